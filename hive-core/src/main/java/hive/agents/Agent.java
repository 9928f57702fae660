package hive.agents;

import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * An agent as the API shows it (API.md, "Resources"): a snapshot. {@code currentTasks} names the
 * tasks it holds in progress, as {@code swarm_id/task_id}.
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
        roles = Set.copyOf(roles);
        allowedPaths = List.copyOf(allowedPaths);
        currentTasks = List.copyOf(currentTasks);
    }

    /** What the scheduler needs of it to hand it work. */
    public AgentProfile profile() {
        return new AgentProfile(id, roles, maxTasks);
    }
}
