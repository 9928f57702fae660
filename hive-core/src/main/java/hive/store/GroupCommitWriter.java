package hive.store;

import hive.events.Event;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit: one writer thread per store takes every operation queued at that moment (up to
 * {@code maxBatch}), runs them one after the other in a single transaction, commits once, and only
 * then completes their callers. Throughput grows with load
 * (one commit, and with strict durability one fsync, serves the whole batch) instead of
 * collapsing under lock contention.
 *
 * <p>An operation that throws is rolled back to its savepoint alone; its exception goes to its
 * caller and the rest of the batch commits. If the commit itself fails, every operation of the
 * batch fails with {@link StoreFailure}. Thread-safe; the session is touched by the writer thread
 * only.
 */
public final class GroupCommitWriter implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(GroupCommitWriter.class);

    private final WriterSession session;
    private final int maxBatch;
    private final BlockingQueue<Operation<?>> queue = new LinkedBlockingQueue<>();
    private final List<Consumer<List<Event>>> listeners = new CopyOnWriteArrayList<>();
    private final Thread thread;
    private final Object submitLock = new Object();
    /** Set once, under {@link #submitLock}: no operation is queued after it. */
    private volatile boolean closing;

    public GroupCommitWriter(String name, WriterSession session, int maxBatch) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be at least 1");
        }
        this.session = session;
        this.maxBatch = maxBatch;
        this.thread = Thread.ofPlatform().name(name).daemon(true).start(this::loop);
    }

    public void onCommit(Consumer<List<Event>> listener) {
        listeners.add(listener);
    }

    /** Queues {@code fn}, waits until its batch committed, returns its result or rethrows its exception. */
    public <T> T submit(Function<StoreTx, T> fn) {
        if (Thread.currentThread() == thread) {
            throw new IllegalStateException("a store operation may not submit another operation");
        }
        Operation<T> op = new Operation<>(fn);
        synchronized (submitLock) {
            if (closing) {
                throw new IllegalStateException("the store is closed");
            }
            queue.add(op);
        }
        try {
            return op.future.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }

    private void loop() {
        List<Operation<?>> batch = new ArrayList<>(maxBatch);
        while (true) {
            Operation<?> first;
            try {
                first = queue.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            if (first == null) {
                if (closing && queue.isEmpty()) {
                    break;
                }
                continue;
            }
            batch.add(first);
            queue.drainTo(batch, maxBatch - 1);
            runBatch(batch);
            batch.clear();
        }
        failQueued();
    }

    private void runBatch(List<Operation<?>> batch) {
        List<Event> events;
        try {
            session.begin();
            if (!runOptimistically(batch)) {
                // An operation failed half-way: undo the batch and run it again, each operation in a
                // savepoint of its own. Operations are functions of the store's state, so the second
                // run decides as the first did.
                safeRollback();
                session.takeEvents();
                session.begin();
                for (Operation<?> op : batch) {
                    op.reset();
                    runInSavepoint(op);
                }
            }
            session.commit();
            events = session.takeEvents();
        } catch (RuntimeException | Error e) {
            log.error("store commit failed; {} operation(s) not applied", batch.size(), e);
            safeRollback();
            session.takeEvents();
            StoreFailure failure = new StoreFailure("the store could not commit: " + e.getMessage(), e);
            for (Operation<?> op : batch) {
                op.fail(failure);
            }
            return;
        }
        for (Operation<?> op : batch) {
            op.finish();
        }
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

    /**
     * Runs the batch without savepoints (they cost two statements per operation). An operation
     * that throws before writing anything (the usual refusal: not found, not allowed) needs no
     * undo. Returns false when one threw after writing: the batch must be run again.
     */
    private boolean runOptimistically(List<Operation<?>> batch) {
        for (Operation<?> op : batch) {
            long writes = session.writeCount();
            try {
                op.run(session.tx());
            } catch (RuntimeException | Error e) {
                if (session.writeCount() != writes) {
                    return false;
                }
                op.error = e;
            }
        }
        return true;
    }

    private void runInSavepoint(Operation<?> op) {
        int events = session.eventCount();
        session.savepoint();
        try {
            op.run(session.tx());
            session.releaseSavepoint();
        } catch (RuntimeException | Error e) {
            session.rollbackToSavepoint();
            session.truncateEvents(events);
            op.error = e;
        }
    }

    private void safeRollback() {
        try {
            session.rollback();
        } catch (RuntimeException e) {
            log.warn("rollback failed", e);
        }
    }

    private void failQueued() {
        Operation<?> op;
        while ((op = queue.poll()) != null) {
            op.fail(new IllegalStateException("the store is closed"));
        }
    }

    /** Lets queued operations finish, then stops the writer and closes its session. */
    @Override
    public void close() {
        synchronized (submitLock) {
            closing = true;
        }
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        session.close();
    }

    private static final class Operation<T> {
        final Function<StoreTx, T> fn;
        final CompletableFuture<T> future = new CompletableFuture<>();
        T result;
        Throwable error;

        Operation(Function<StoreTx, T> fn) {
            this.fn = fn;
        }

        void run(StoreTx tx) {
            result = fn.apply(tx);
        }

        void reset() {
            result = null;
            error = null;
        }

        void finish() {
            if (error != null) {
                future.completeExceptionally(error);
            } else {
                future.complete(result);
            }
        }

        void fail(Throwable t) {
            future.completeExceptionally(t);
        }
    }
}
