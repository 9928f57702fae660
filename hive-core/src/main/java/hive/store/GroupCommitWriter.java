package hive.store;

import hive.events.Event;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit with a leader: the calling threads do the work themselves, with no writer thread
 * to hand operations to. A caller runs its operation against the session under the writer's lock,
 * inside a savepoint of its own (an operation that throws is undone alone and its exception goes
 * to its caller), and adds it to the batch being built. If no commit is under way, the caller
 * becomes the leader: it seals the batch and commits it, outside the lock, so that others keep
 * running operations into the next batch meanwhile. The others wait; when a commit is done, its
 * leader runs the change set's after-commit actions, wakes the callers of the batch, tells the
 * commit listeners, and hands the lead to the first caller of the next batch, if there is one.
 *
 * <p>So a batch holds every operation that ran during one commit: throughput grows with load (one
 * commit, and with strict durability one fsync, serves the whole batch), and a caller costs at
 * most one thread wake-up, which is what an operation costs on a small machine.
 *
 * <p>An operation is acknowledged (its caller returns) only after the batch that holds it is
 * durable. Operations may see the effects of the batch being committed; they are acknowledged
 * after it. If a commit fails, its operations and those of the batch being built fail with
 * {@link StoreFailure}, and the session is rebuilt from what is durable before anything else runs.
 * Thread-safe.
 */
public final class GroupCommitWriter implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(GroupCommitWriter.class);

    private final WriterSession session;
    private final int maxBatch;
    private final List<Consumer<List<Event>>> listeners = new CopyOnWriteArrayList<>();
    /** Guards the session's working view and the fields below it. */
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled when the batch being built is taken (room again) and when the writer goes idle. */
    private final Condition changed = lock.newCondition();

    /** The operations run since the last seal, in the order they ran. */
    private List<Operation<?>> building = new ArrayList<>();
    /** True while a leader owns the commit (from taking a batch until it hands over or goes idle). */
    private boolean leading;
    /** Set when the session could not be rebuilt after a failed commit; every write retries it. */
    private boolean broken;
    private boolean closing;
    /** The thread committing and delivering a batch: it may not submit (it would wait for itself). */
    private volatile Thread leader;

    public GroupCommitWriter(WriterSession session, int maxBatch) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be at least 1");
        }
        this.session = session;
        this.maxBatch = maxBatch;
    }

    /**
     * Called after every commit with the events it appended, in commit order, on the thread that
     * led the commit; must return quickly.
     */
    public void onCommit(Consumer<List<Event>> listener) {
        listeners.add(listener);
    }

    /** Runs {@code fn}, waits until it is durable, returns its result or rethrows its exception. */
    public <T> T submit(Function<StoreTx, T> fn) {
        return submit(fn, true);
    }

    /**
     * Runs {@code fn} and returns its result (or rethrows its exception) once it is applied,
     * without waiting for it to be durable: it commits with the batch it joined, which this call
     * commits itself when no commit is under way. For operations whose loss in a crash (or a
     * failed commit) is harmless; operations that come after it in the store's order, and read
     * what it changed, are acknowledged only once it is durable too.
     */
    public <T> T submitApplied(Function<StoreTx, T> fn) {
        return submit(fn, false);
    }

    private <T> T submit(Function<StoreTx, T> fn, boolean durable) {
        if (lock.isHeldByCurrentThread() || Thread.currentThread() == leader) {
            throw new IllegalStateException("a store operation may not submit another operation");
        }
        Operation<T> op = new Operation<>(fn, durable);
        boolean lead;
        lock.lock();
        try {
            while (building.size() >= maxBatch && !closing) {
                changed.awaitUninterruptibly();
            }
            if (closing) {
                throw new IllegalStateException("the store is closed");
            }
            if (broken) {
                recover();
            }
            run(op);
            building.add(op);
            lead = !leading;
            leading = true;
        } finally {
            lock.unlock();
        }
        if (lead) {
            leadCommits();
        } else if (durable && op.awaitTurn()) {
            leadCommits();
        }
        return op.outcome();
    }

    private <T> void run(Operation<T> op) {
        session.savepoint();
        try {
            op.result = op.fn.apply(session.tx());
            session.releaseSavepoint();
        } catch (RuntimeException | Error e) {
            session.rollbackToSavepoint();
            op.error = e;
        }
    }

    /**
     * Commits the batch being built (which holds this thread's operation), then hands the lead to
     * the first caller waiting in the next batch; when the next batch has no caller waiting (only
     * operations acknowledged as applied), commits it too.
     */
    private void leadCommits() {
        leader = Thread.currentThread();
        try {
            while (true) {
                List<Operation<?>> batch;
                WriterSession.ChangeSet changes;
                lock.lock();
                try {
                    batch = building;
                    building = new ArrayList<>();
                    changes = session.seal();
                    changed.signalAll();
                } finally {
                    lock.unlock();
                }
                commit(batch, changes);
                lock.lock();
                try {
                    if (building.isEmpty()) {
                        leading = false;
                        changed.signalAll();
                        return;
                    }
                    Operation<?> next = building.stream().filter(o -> o.durable).findFirst().orElse(null);
                    if (next != null) {
                        next.lead();
                        return;
                    }
                } finally {
                    lock.unlock();
                }
            }
        } catch (RuntimeException | Error e) {
            lock.lock();
            try {
                leading = false;
                changed.signalAll();
                Operation<?> next = building.stream().filter(o -> o.durable).findFirst().orElse(null);
                if (next != null) {
                    leading = true;
                    next.lead();
                }
            } finally {
                lock.unlock();
            }
            throw e;
        } finally {
            leader = null;
        }
    }

    private void commit(List<Operation<?>> batch, WriterSession.ChangeSet changes) {
        try {
            if (!changes.isEmpty()) {
                session.commit(changes);
            }
        } catch (RuntimeException | Error e) {
            log.error("store commit failed; {} operation(s) not applied", batch.size(), e);
            StoreFailure failure = new StoreFailure("the store could not commit: " + e.getMessage(), e);
            for (Operation<?> op : batch) {
                op.fail(failure);
            }
            lock.lock();
            try {
                // The batch built meanwhile rests on the failed one: it fails too.
                StoreFailure builtOn = new StoreFailure(
                        "the store could not commit an earlier write this one built on", e);
                for (Operation<?> op : building) {
                    op.fail(builtOn);
                }
                building = new ArrayList<>();
                session.seal();
                recover();
            } finally {
                lock.unlock();
            }
            return;
        }
        for (Runnable action : changes.afterCommit()) {
            try {
                action.run();
            } catch (RuntimeException e) {
                log.warn("an after-commit action failed", e);
            }
        }
        for (Operation<?> op : batch) {
            op.finish();
        }
        List<Event> events = changes.events();
        if (!events.isEmpty()) {
            for (Consumer<List<Event>> listener : listeners) {
                try {
                    listener.accept(events);
                } catch (RuntimeException e) {
                    log.warn("commit listener failed", e);
                }
            }
        }
    }

    /** Rebuilds the session from what is durable; called under the lock with no commit running. */
    private void recover() {
        try {
            session.recover();
            broken = false;
            log.warn("recovered the store's working copy from disk after a failed commit");
        } catch (RuntimeException e) {
            broken = true;
            log.error("could not recover the store after a failed commit; writes will keep failing", e);
            throw new StoreFailure("the store could not recover from a failed commit: " + e.getMessage(), e);
        }
    }

    /** Lets running and waiting operations finish and become durable, refuses new ones, closes the session. */
    @Override
    public void close() {
        lock.lock();
        try {
            closing = true;
            changed.signalAll();
            while (leading) {
                changed.awaitUninterruptibly();
            }
        } finally {
            lock.unlock();
        }
        session.close();
    }

    private static final class Operation<T> {
        private static final int WAITING = 0;
        private static final int LEAD = 1;
        private static final int DONE = 2;
        /**
         * Yields before parking: a commit takes tens of microseconds, and a thread that yields a
         * few times is often done by then, without the cost of parking and being woken (measured
         * in docs/benchmarks.md: about a third more lock pairs per second at 8 threads).
         * Platform threads only: a virtual thread that yields is unmounted and queued again on its
         * scheduler, which costs about what parking does, so virtual callers (the HTTP server's)
         * park at once.
         */
        private static final int SPINS = 16;

        final Function<StoreTx, T> fn;
        /** Whether its caller waits until it is durable. */
        final boolean durable;
        final Thread caller = Thread.currentThread();
        T result;
        Throwable error;
        private volatile int state = WAITING;

        Operation(Function<StoreTx, T> fn, boolean durable) {
            this.fn = fn;
            this.durable = durable;
        }

        /** Parks until this operation is done (false) or its caller is to lead the next commit (true). */
        boolean awaitTurn() {
            int s;
            boolean interrupted = false;
            int spinLimit = caller.isVirtual() ? 0 : SPINS;
            for (int spins = 0; spins < spinLimit && state == WAITING; spins++) {
                Thread.yield();
            }
            while ((s = state) == WAITING) {
                LockSupport.park(this);
                // An interrupt does not cut the wait short (the operation has run): it is kept for later.
                interrupted |= Thread.interrupted();
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            return s == LEAD;
        }

        void lead() {
            state = LEAD;
            LockSupport.unpark(caller);
        }

        void finish() {
            if (durable) {
                wake(DONE);
            }
        }

        /** Its caller learns of a failed commit only if it waits for it (the operation is durable). */
        void fail(Throwable t) {
            if (!durable) {
                return;
            }
            error = t;
            result = null;
            wake(DONE);
        }

        private void wake(int next) {
            boolean self = caller == Thread.currentThread();
            state = next;
            if (!self) {
                LockSupport.unpark(caller);
            }
        }

        T outcome() {
            if (durable && state != DONE) {
                throw new IllegalStateException("the operation is not done");
            }
            if (error instanceof RuntimeException r) {
                throw r;
            }
            if (error instanceof Error e) {
                throw e;
            }
            return result;
        }
    }
}
