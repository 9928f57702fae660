package hive.locks;

import java.time.Instant;
import java.util.List;

/** The outcome of a lock request: granted, or refused with what stands in the way. */
public sealed interface AcquireResult permits AcquireResult.Granted, AcquireResult.Conflicted {

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

    /** A requested path and the lock of another agent that overlaps it. */
    record Conflict(String path, String heldPath, String heldBy, LockMode heldMode, Instant expiresAt) {
    }
}
