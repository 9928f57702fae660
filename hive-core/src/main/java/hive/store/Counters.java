package hive.store;

import hive.schedule.TaskState;

/**
 * A swarm's task counts by state and its task weights. Kept up to date by adding a
 * {@link Counters} delta in the same transaction as every task transition; "counters equal a
 * recount" is an invariant the tests check.
 */
public record Counters(
        int pending,
        int ready,
        int inProgress,
        int completed,
        int failed,
        int blocked,
        int cancelled,
        double weightTotal,
        double weightCompleted) {

    public static final Counters ZERO = new Counters(0, 0, 0, 0, 0, 0, 0, 0, 0);

    public int total() {
        return pending + ready + inProgress + completed + failed + blocked + cancelled;
    }

    public int count(TaskState state) {
        return switch (state) {
            case PENDING -> pending;
            case READY -> ready;
            case IN_PROGRESS -> inProgress;
            case COMPLETED -> completed;
            case FAILED -> failed;
            case BLOCKED -> blocked;
            case CANCELLED -> cancelled;
        };
    }

    public Counters plus(Counters d) {
        return new Counters(pending + d.pending, ready + d.ready, inProgress + d.inProgress, completed + d.completed,
                failed + d.failed, blocked + d.blocked, cancelled + d.cancelled, weightTotal + d.weightTotal,
                weightCompleted + d.weightCompleted);
    }

    public Counters minus(Counters d) {
        return new Counters(pending - d.pending, ready - d.ready, inProgress - d.inProgress, completed - d.completed,
                failed - d.failed, blocked - d.blocked, cancelled - d.cancelled, weightTotal - d.weightTotal,
                weightCompleted - d.weightCompleted);
    }

    public boolean isZero() {
        return equals(ZERO);
    }

    /** A delta: one task of {@code weight} moved from {@code from} (null for a new task) to {@code to}. */
    public static Counters move(TaskState from, TaskState to, double weight) {
        int[] n = new int[TaskState.values().length];
        if (from != null) {
            n[from.ordinal()]--;
        }
        n[to.ordinal()]++;
        double weightTotal = from == null ? weight : 0;
        double weightCompleted = (to == TaskState.COMPLETED ? weight : 0) - (from == TaskState.COMPLETED ? weight : 0);
        return of(n, weightTotal, weightCompleted);
    }

    private static Counters of(int[] n, double weightTotal, double weightCompleted) {
        return new Counters(n[TaskState.PENDING.ordinal()], n[TaskState.READY.ordinal()],
                n[TaskState.IN_PROGRESS.ordinal()], n[TaskState.COMPLETED.ordinal()], n[TaskState.FAILED.ordinal()],
                n[TaskState.BLOCKED.ordinal()], n[TaskState.CANCELLED.ordinal()], weightTotal, weightCompleted);
    }
}
