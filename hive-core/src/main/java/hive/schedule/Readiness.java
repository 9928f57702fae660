package hive.schedule;

/**
 * Whether an agent may start a task now, and why not: the seed's {@code check_task_ready} and
 * {@code can_agent_start_task} in one answer. The reason names the unmet or failed dependency,
 * the role or pinned agent, the agent's task limit, the backoff or the swarm's state.
 */
public record Readiness(boolean ready, String reason) {

    public static Readiness yes() {
        return new Readiness(true, "task is ready");
    }

    public static Readiness no(String reason) {
        return new Readiness(false, reason);
    }
}
