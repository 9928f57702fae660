package hive.client;

/**
 * Whether a task may start now, and why not (API.md {@code .../readiness}): the reason names the
 * unmet or failed dependency, the role or pinned agent, the agent's task limit, the backoff, the
 * swarm's state or the held file.
 */
public record Readiness(boolean ready, String reason) {
}
