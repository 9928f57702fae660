package hive.client;

import java.util.List;
import java.util.Objects;

/**
 * A registration (API.md {@code POST /api/agents}): what {@link HiveClient#register} sends. Every
 * field is optional; null fields are left out, so the server's defaults apply (a server-made id,
 * {@code max_tasks} 1, any role, any path). Immutable: each {@code with...} returns a copy.
 * <pre>{@code
 * AgentSpec.withId("worker-1").roles("backend").maxTasks(2).allowedPaths("src/")
 * }</pre>
 *
 * @param id           the agent's id ({@code [A-Za-z0-9][A-Za-z0-9._-]{0,127}}), or null
 * @param name         a display name, or null
 * @param roles        the roles it may take tasks of, or null
 * @param maxTasks     how many tasks it may hold at once (1 to 1000), or null
 * @param allowedPaths the only paths it may lock, or null: any
 */
public record AgentSpec(String id, String name, List<String> roles, Integer maxTasks, List<String> allowedPaths) {

    public AgentSpec {
        roles = roles == null ? null : List.copyOf(roles);
        allowedPaths = allowedPaths == null ? null : List.copyOf(allowedPaths);
    }

    /** A registration with a server-made id. */
    public static AgentSpec anonymous() {
        return new AgentSpec(null, null, null, null, null);
    }

    /** A registration of the agent {@code id}. */
    public static AgentSpec withId(String id) {
        return new AgentSpec(Objects.requireNonNull(id, "id"), null, null, null, null);
    }

    public AgentSpec name(String name) {
        return new AgentSpec(id, name, roles, maxTasks, allowedPaths);
    }

    public AgentSpec roles(String... roles) {
        return new AgentSpec(id, name, List.of(roles), maxTasks, allowedPaths);
    }

    public AgentSpec maxTasks(int maxTasks) {
        return new AgentSpec(id, name, roles, maxTasks, allowedPaths);
    }

    public AgentSpec allowedPaths(String... paths) {
        return new AgentSpec(id, name, roles, maxTasks, List.of(paths));
    }
}
