package hive.plan;

import java.util.List;
import java.util.Objects;

/**
 * A validated plan: a name, a workspace for its file locks and a graph of tasks without cycles.
 * Tasks are in the order the plan gave them; that order is their age in the ready queue.
 */
public record Plan(String name, String goal, String workspace, PlanDefaults defaults, List<TaskSpec> tasks) {

    public Plan {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(workspace, "workspace");
        Objects.requireNonNull(defaults, "defaults");
        tasks = List.copyOf(tasks);
    }
}
