package hive.agents;

import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A request to register an agent (API.md {@code POST /api/agents}). {@code id} may be null: the
 * server makes one. {@code allowedPaths}, when not empty, are the only paths (globs) the agent may
 * lock.
 */
public record Registration(String id, String name, Set<String> roles, int maxTasks, List<String> allowedPaths) {

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    public Registration {
        roles = Set.copyOf(Objects.requireNonNull(roles, "roles"));
        allowedPaths = List.copyOf(Objects.requireNonNull(allowedPaths, "allowedPaths"));
        if (id != null && !ID.matcher(id).matches()) {
            throw new IllegalArgumentException("agent id '" + id + "' must match " + ID.pattern());
        }
        if (maxTasks < 1 || maxTasks > 1000) {
            throw new IllegalArgumentException("max_tasks must be between 1 and 1000, got " + maxTasks);
        }
        for (String role : roles) {
            if (!ID.matcher(role).matches()) {
                throw new IllegalArgumentException("role '" + role + "' must match " + ID.pattern());
            }
        }
    }

    /** An agent with this id, no roles, one task at a time. */
    public static Registration of(String id) {
        return new Registration(id, null, Set.of(), 1, List.of());
    }
}
