package hive.plan;

import java.util.List;

/**
 * One thing wrong with a plan. {@code task} names the task it concerns (null for the plan itself);
 * {@code field} the field, when there is one; {@code cycle} the dependency cycle as a closed path
 * ({@code [a, b, c, a]}) when the problem is a cycle, else empty.
 */
public record PlanProblem(String task, String field, String problem, List<String> cycle) {

    public PlanProblem {
        cycle = cycle == null ? List.of() : List.copyOf(cycle);
    }

    public static PlanProblem ofPlan(String field, String problem) {
        return new PlanProblem(null, field, problem, List.of());
    }

    public static PlanProblem ofTask(String task, String field, String problem) {
        return new PlanProblem(task, field, problem, List.of());
    }

    /** "task 'b': depends on unknown task 'x'" or "plan: ..." — one line for a terminal. */
    public String describe() {
        return (task == null ? "plan" : "task '" + task + "'") + ": " + problem;
    }
}
