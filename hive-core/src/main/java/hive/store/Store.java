package hive.store;

import hive.events.Event;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The durable truth of HiveMind. Every write is one operation run in a transaction together with
 * other operations queued at the same moment (group commit): the caller returns once the batch
 * that holds its operation has committed. An operation that throws is rolled back alone and its
 * exception is rethrown to its caller; the others of the batch commit.
 *
 * <p>Implementations: SQLite (embedded, one process; the writer keeps the scheduler's indexes in
 * memory and pipelines commits, see {@link hive.store.sqlite.SqliteStore}) and PostgreSQL
 * (several nodes; every {@link StoreTx} call is SQL in the operation's transaction: the ready queue
 * read with {@code FOR UPDATE SKIP LOCKED}, the swarm row locked by {@link StoreTx#advanceSwarm}
 * so that event numbers follow commit order; see {@link hive.store.postgres.PostgresStore}). The
 * engine only sees this interface. Thread-safe.
 */
public interface Store extends AutoCloseable {

    /**
     * Runs {@code operation} in a write transaction and returns its result once committed.
     * The operation may run on another thread and must not keep the {@link StoreTx} it is given.
     * Queries that need the scheduler's indexes (the ready queue) run here too, changing nothing.
     */
    <T> T write(Function<StoreTx, T> operation);

    /**
     * Runs {@code operation} like {@link #write}, but returns once it is applied, before it is
     * durable: it commits with the next batch. Only for operations whose loss in a crash is
     * harmless because they only give up what a caller held (a lock release: lost, the lock stays
     * held until its lease ends). Every operation after it that reads what it changed (a waiter
     * granted the released path) is acknowledged only once it is durable too. A store may make it
     * durable first, as {@link #write} does.
     */
    default <T> T writeApplied(Function<StoreTx, T> operation) {
        return write(operation);
    }

    /** Runs {@code query} against a consistent, committed snapshot. */
    <T> T read(Function<StoreReader, T> query);

    /**
     * Called after every commit with the events it appended, in commit order, on the committing
     * thread: listeners must return quickly (wake waiters, hand off to a queue). A store shared by
     * several server nodes also calls it for the commits of the other nodes, once it has heard of
     * them, with each swarm's events in order.
     */
    void onCommit(Consumer<List<Event>> listener);

    /**
     * Called when something that no event tells may let callers waiting on this node go: a commit
     * (of another node, or one this node may not hear of otherwise) freed locks, or took lock
     * waiters out of the queue. A store used by one process has nothing to add to what
     * {@link #onCommit} and {@link StoreTx#afterCommit} tell, and never calls it.
     */
    default void onWake(WakeListener listener) {
    }

    /** What {@link #onWake} reports. Called on the store's own thread: return quickly. */
    interface WakeListener {

        /** Claims held back may go now: locks were freed, or a task may be claimable again. */
        void claimsMayGo();

        /** These lock waiters left the queue (granted, or dropped): their callers here learn how. */
        void waitersDequeued(java.util.Set<Long> waiterIds);
    }

    /** Finishes queued writes, then closes connections. */
    @Override
    void close();
}
