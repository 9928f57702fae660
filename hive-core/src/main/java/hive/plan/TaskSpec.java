package hive.plan;

import java.util.List;
import java.util.Objects;

/**
 * One task of a plan, as validated: every default applied, every field within its bounds.
 * Instances are only made by {@link Plans} after validation, so the engine may trust them.
 *
 * @param timeoutS  seconds an attempt may run before it is failed
 * @param backoffS  delay before the first retry; doubles per attempt with jitter, capped at 300 s
 * @param files     normalized workspace-relative paths or globs, locked exclusively while it runs
 */
public record TaskSpec(
        String id,
        String title,
        String description,
        String role,
        String agent,
        int priority,
        double weight,
        List<String> dependsOn,
        List<String> files,
        String run,
        int maxAttempts,
        double timeoutS,
        double backoffS) {

    public TaskSpec {
        Objects.requireNonNull(id, "id");
        dependsOn = List.copyOf(dependsOn);
        files = List.copyOf(files);
    }
}
