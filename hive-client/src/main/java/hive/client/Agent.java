package hive.client;

import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * An agent as the API shows it (API.md "Resources"): a snapshot.
 *
 * @param roles         the roles it may take tasks of (a task without a role: any agent)
 * @param maxTasks      how many tasks it may hold in progress at once
 * @param allowedPaths  the paths it may lock; empty: any
 * @param currentTasks  the tasks it holds in progress, as {@code swarm_id/task_id}
 */
public record Agent(
        String id,
        String name,
        Set<String> roles,
        int maxTasks,
        List<String> allowedPaths,
        AgentStatus status,
        Instant registeredAt,
        Instant lastHeartbeat,
        List<String> currentTasks) {

    public Agent {
        roles = roles == null ? Set.of() : Set.copyOf(roles);
        allowedPaths = Wire.list(allowedPaths);
        currentTasks = Wire.list(currentTasks);
    }
}
