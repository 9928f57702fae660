package hive.cli.run;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * One attempt of a task handed to a worker, whichever engine it came from (the embedded one of
 * {@code hive run} or a server's, for {@code hive agent}).
 *
 * @param run the task's own command; null when the plan gave it none
 * @param attempt the number of this attempt, from 1
 * @param timeoutS seconds the attempt may run; 0 for no limit
 * @param lockToken the fencing token of the locks taken on the task's {@code files}, when it has any
 * @param taskJson the task as the API shows it, for {@code HIVE_TASK_JSON}
 */
public record Assignment(
        String swarmId,
        String taskId,
        String title,
        String description,
        String run,
        int attempt,
        int maxAttempts,
        double timeoutS,
        OptionalLong lockToken,
        String taskJson) {

    public Assignment {
        Objects.requireNonNull(swarmId, "swarmId");
        Objects.requireNonNull(taskId, "taskId");
        Objects.requireNonNull(lockToken, "lockToken");
        Objects.requireNonNull(taskJson, "taskJson");
    }

    /** {@code swarm/task}, as log lines name an attempt. */
    public String ref() {
        return swarmId + "/" + taskId;
    }
}
