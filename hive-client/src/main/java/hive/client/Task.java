package hive.client;

import java.time.Instant;
import java.util.List;

/**
 * A task as the API shows it (API.md "Resources"): a snapshot, which does not change when the
 * task does. Lists are never null (empty when the server sent none); the other fields not set
 * on the server are null ({@code assignedAgent} of a ready task, {@code finishedAt} of a
 * running one...).
 *
 * @param dependsOn  ids of the tasks of the same swarm it waits for
 * @param files      paths or globs locked exclusively for it while it runs
 * @param attempt    how many attempts were started (0 before the first)
 * @param timeoutS   seconds an attempt may run
 * @param backoffS   the first retry delay, in seconds
 * @param blockedBy  the failed root tasks that block it; empty unless {@code blocked}
 * @param notBefore  a retry does not start before this (null when not backing off)
 */
public record Task(
        String id,
        String swarmId,
        String title,
        String description,
        String role,
        String agent,
        int priority,
        double weight,
        List<String> dependsOn,
        List<String> files,
        String run,
        TaskState status,
        int attempt,
        int maxAttempts,
        double timeoutS,
        double backoffS,
        String assignedAgent,
        String result,
        String error,
        List<String> blockedBy,
        Instant notBefore,
        Instant createdAt,
        Instant startedAt,
        Instant finishedAt) {

    public Task {
        dependsOn = Wire.list(dependsOn);
        files = Wire.list(files);
        blockedBy = Wire.list(blockedBy);
    }
}
