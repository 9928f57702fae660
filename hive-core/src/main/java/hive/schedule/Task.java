package hive.schedule;

import java.time.Instant;
import java.util.List;

/**
 * A task as the API shows it (API.md, "Resources"). A snapshot: it does not change when the task
 * does. {@code blockedBy} names the failed root tasks that block it, empty unless blocked.
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
        dependsOn = List.copyOf(dependsOn);
        files = List.copyOf(files);
        blockedBy = List.copyOf(blockedBy);
    }
}
