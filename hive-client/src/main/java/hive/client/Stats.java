package hive.client;

import java.util.Map;

/**
 * Server-wide counts (API.md {@code GET /api/stats}). The lock figures past {@code locks} count
 * since the server process started.
 *
 * @param tasks  tasks by state, keyed by wire name ({@code in_progress}), over every swarm
 * @param agents agents by session state ({@code active}, {@code lost}, {@code gone})
 */
public record Stats(
        int swarms,
        Map<String, Integer> tasks,
        Map<String, Integer> agents,
        LockCounts locks,
        long conflictsRefused,
        long locksExpired,
        long deadlocksRefused,
        long lockGrants,
        long waitsGranted,
        long waitsTimedOut,
        double meanWaitMs,
        long longestWaitMs) {

    public Stats {
        tasks = tasks == null ? Map.of() : Map.copyOf(tasks);
        agents = agents == null ? Map.of() : Map.copyOf(agents);
    }

    /** How many tasks are in {@code state}, over every swarm. */
    public int tasks(TaskState state) {
        return tasks.getOrDefault(state.wire(), 0);
    }

    /**
     * Lock counts now, over every workspace.
     *
     * @param active      live locks (one per agent and path)
     * @param lockedFiles distinct paths held, per workspace
     * @param waiting     lock requests waiting now
     */
    public record LockCounts(long active, long lockedFiles, long waiting) {
    }
}
