package hive.store;

import hive.agents.AgentStatus;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * An agent as stored. {@code expiresAt} is when its session ends unless it is heard from again
 * (last heartbeat plus the session timeout); null once lost or gone.
 */
public record AgentRow(
        String id,
        String name,
        Set<String> roles,
        int maxTasks,
        List<String> allowedPaths,
        AgentStatus status,
        Instant registeredAt,
        Instant lastHeartbeat,
        Instant expiresAt) {

    public AgentRow {
        roles = Set.copyOf(roles);
        allowedPaths = List.copyOf(allowedPaths);
    }

    public AgentRow heard(Instant at, Instant expires) {
        return new AgentRow(id, name, roles, maxTasks, allowedPaths, AgentStatus.ACTIVE, registeredAt, at, expires);
    }

    public AgentRow ended(AgentStatus to) {
        return new AgentRow(id, name, roles, maxTasks, allowedPaths, to, registeredAt, lastHeartbeat, null);
    }
}
