package hive.client;

import java.util.List;

/**
 * The outcome of {@link HiveClient#acquire}: granted; refused with what stands in the way; or,
 * for a request that would wait, refused because waiting would close a cycle of agents waiting
 * for each other. Both refusals are the API's {@code 409} answers, read as values rather than
 * thrown, so a {@code switch} handles each:
 * <pre>{@code
 * switch (client.acquire(request)) {
 *     case LockResult.Granted g -> write(g.token());
 *     case LockResult.Conflicted c -> retryLater(c.conflicts());
 *     case LockResult.Deadlocked d -> releaseAndBackOff(d.cycle());
 * }
 * }</pre>
 */
public sealed interface LockResult permits LockResult.Granted, LockResult.Conflicted, LockResult.Deadlocked {

    /** Whether every path was locked. */
    default boolean isGranted() {
        return this instanceof Granted;
    }

    /**
     * Every path was locked (or, for what the agent held already, renewed) under the fencing
     * token {@code token}, which grows with every grant across the server.
     */
    record Granted(long token, List<Lock> locks) implements LockResult {
        public Granted {
            locks = Wire.list(locks);
        }
    }

    /** Nothing was locked: these locks (or earlier waiters) of other agents are in the way. */
    record Conflicted(List<LockConflict> conflicts) implements LockResult {
        public Conflicted {
            conflicts = Wire.list(conflicts);
        }
    }

    /**
     * Nothing was locked and nothing waits: waiting would close a cycle in the wait-for graph.
     * {@code cycle} names its agents in order, starting with the requester: each waits for the
     * next, and the last for the first.
     */
    record Deadlocked(List<String> cycle) implements LockResult {
        public Deadlocked {
            cycle = Wire.list(cycle);
        }
    }
}
