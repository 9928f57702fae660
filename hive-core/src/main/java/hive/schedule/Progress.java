package hive.schedule;

import java.util.List;

/**
 * How far a swarm is, in the shape of the seed's {@code GET /api/planner/{id}/progress}. Read from
 * counters kept with every change, so it costs the same for 10 tasks and for 100,000.
 *
 * @param progress   0-100, weighted by task weight, rounded to one decimal
 * @param pending    pending and ready tasks together (the seed's meaning)
 * @param readyTasks ready tasks alone
 * @param hasCycle   always false: plans with cycles are refused at creation
 */
public record Progress(
        String swarmId,
        SwarmStatus status,
        double progress,
        int completed,
        int inProgress,
        int pending,
        int failed,
        int blocked,
        int cancelled,
        int total,
        int readyTasks,
        boolean hasCycle,
        ConflictStats conflictStats) {

    /** The live locks of the swarm's workspace (how many, on which paths), and its failed tasks. */
    public record ConflictStats(int activeLocks, List<String> lockedFiles, int failedTasks) {
        public ConflictStats {
            lockedFiles = List.copyOf(lockedFiles);
        }
    }
}
