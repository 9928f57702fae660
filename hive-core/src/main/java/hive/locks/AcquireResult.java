package hive.locks;

import java.time.Instant;
import java.util.List;

/**
 * The outcome of a lock request: granted; refused with what stands in the way; or, for a request
 * that would wait, refused because waiting would close a cycle of agents waiting for each other.
 */
public sealed interface AcquireResult permits AcquireResult.Granted, AcquireResult.Conflicted,
        AcquireResult.Deadlocked {

    /** Every path was locked (or renewed) under fencing token {@code token}. */
    record Granted(long token, List<Lock> locks) implements AcquireResult {
        public Granted {
            locks = List.copyOf(locks);
        }
    }

    /** Nothing was locked: these locks of other agents overlap the request. */
    record Conflicted(List<Conflict> conflicts) implements AcquireResult {
        public Conflicted {
            conflicts = List.copyOf(conflicts);
        }
    }

    /**
     * Nothing was locked and nothing waits: waiting would close a cycle in the wait-for graph.
     * {@code cycle} names its agents in order, starting with the requester: each waits for the next,
     * and the last for the first.
     */
    record Deadlocked(List<String> cycle) implements AcquireResult {
        public Deadlocked {
            cycle = List.copyOf(cycle);
        }
    }

    /**
     * A requested path and what stands in its way: the lock of another agent that overlaps it or,
     * when {@code queued}, the request of another agent that waits for it and was there first
     * ({@code heldPath} is then the path it waits for, {@code expiresAt} when it stops waiting).
     */
    record Conflict(String path, String heldPath, String heldBy, LockMode heldMode, Instant expiresAt,
            boolean queued) {

        /** Another agent's lock in the way. */
        public Conflict(String path, String heldPath, String heldBy, LockMode heldMode, Instant expiresAt) {
            this(path, heldPath, heldBy, heldMode, expiresAt, false);
        }
    }
}
