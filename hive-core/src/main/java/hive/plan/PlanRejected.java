package hive.plan;

import java.util.List;
import java.util.Optional;

/**
 * A plan (or tasks added to a swarm) refused, with every problem found. Nothing was created.
 */
public final class PlanRejected extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient List<PlanProblem> problems;

    public PlanRejected(List<PlanProblem> problems) {
        super(summary(problems));
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("a rejection needs at least one problem");
        }
        this.problems = List.copyOf(problems);
    }

    public List<PlanProblem> problems() {
        return problems;
    }

    /** The first cycle found, as a closed path, when a cycle is one of the problems. */
    public Optional<List<String>> cycle() {
        return problems.stream().map(PlanProblem::cycle).filter(c -> !c.isEmpty()).findFirst();
    }

    private static String summary(List<PlanProblem> problems) {
        StringBuilder text = new StringBuilder("plan rejected (" + problems.size() + " problem"
                + (problems.size() == 1 ? "" : "s") + ")");
        for (PlanProblem p : problems) {
            text.append("\n  - ").append(p.describe());
        }
        return text.toString();
    }
}
