package hive.client;

import java.util.List;

/**
 * One problem of a rejected plan (an entry of {@code errors} in a {@code 400} answer to
 * {@link HiveClient#createSwarm} or {@link HiveClient#addTasks}).
 *
 * @param task    the task it is about, or null for the plan itself
 * @param field   the field it is about, or null
 * @param problem what is wrong
 * @param cycle   the dependency cycle it is about ({@code [a, b, a]}), or empty
 */
public record PlanError(String task, String field, String problem, List<String> cycle) {

    public PlanError {
        cycle = Wire.list(cycle);
    }
}
