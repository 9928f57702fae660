package hive.agents;

import java.util.Objects;
import java.util.Set;

/**
 * What the scheduler needs to know of an agent to hand it work: its id, the roles it may take
 * tasks of, and how many tasks it may hold at once.
 */
public record AgentProfile(String id, Set<String> roles, int maxTasks) {

    public AgentProfile {
        Objects.requireNonNull(id, "id");
        roles = Set.copyOf(roles);
        if (maxTasks < 1) {
            throw new IllegalArgumentException("max_tasks must be at least 1, got " + maxTasks);
        }
    }

    /** An agent with no roles that may hold one task. */
    public static AgentProfile of(String id) {
        return new AgentProfile(id, Set.of(), 1);
    }

    /** A task with no role may go to anyone; one with a role only to an agent that has it. */
    public boolean hasRole(String role) {
        return role == null || roles.contains(role);
    }
}
