package hive.client;

import java.util.List;

/**
 * How far a swarm is, in the seed's shape of {@code GET /api/planner/{id}/progress} (API.md),
 * plus the two fields the server adds ({@code status}, {@code cancelled}).
 *
 * @param progress   0 to 100, weighted by task weight, one decimal
 * @param pending    pending and ready tasks together (the seed's meaning)
 * @param readyTasks ready tasks alone
 * @param hasCycle   always false: plans with cycles are refused at creation
 */
public record Progress(
        String swarmId,
        double progress,
        int completed,
        int inProgress,
        int pending,
        int failed,
        int blocked,
        int total,
        int readyTasks,
        boolean hasCycle,
        ConflictStats conflictStats,
        SwarmStatus status,
        int cancelled) {

    /**
     * The live locks of the swarm's workspace and its failed tasks.
     *
     * @param lockedFiles the distinct paths locked, sorted
     */
    public record ConflictStats(int activeLocks, List<String> lockedFiles, int failedTasks) {
        public ConflictStats {
            lockedFiles = Wire.list(lockedFiles);
        }
    }
}
