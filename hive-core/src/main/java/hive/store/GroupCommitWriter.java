package hive.store;

import hive.events.Event;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pipelined group commit. One writer thread runs operations, one after the other, as they arrive,
 * each inside a savepoint of its own (an operation that throws is undone alone and its exception
 * goes to its caller). While the committer thread makes the previous batch durable, the writer
 * keeps running new operations into the next batch; when the committer is free, the writer seals
 * that batch and hands it over. So a batch holds every operation that arrived during one commit:
 * throughput grows with load (one commit, and with strict durability one fsync, serves the whole
 * batch) instead of collapsing under it.
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
    private final BlockingQueue<Operation<?>> queue = new LinkedBlockingQueue<>();
    private final List<Consumer<List<Event>>> listeners = new CopyOnWriteArrayList<>();
    private final ConcurrentLinkedQueue<Sealed> handoff = new ConcurrentLinkedQueue<>();
    private final Thread writer;
    private final Thread committer;
    private final Object submitLock = new Object();

    /** Set once, under {@link #submitLock}: no operation is queued after it. */
    private volatile boolean closing;
    /** True from a hand-over until the committer is done with it. */
    private volatile boolean committing;
    /** Set by the committer when a commit failed; cleared by the writer once it recovered. */
    private volatile boolean broken;
    private volatile boolean writerDone;

    public GroupCommitWriter(String name, WriterSession session, int maxBatch) {
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be at least 1");
        }
        this.session = session;
        this.maxBatch = maxBatch;
        this.writer = Thread.ofPlatform().name(name).daemon(true).unstarted(this::writeLoop);
        this.committer = Thread.ofPlatform().name(name + "-commit").daemon(true).unstarted(this::commitLoop);
        writer.start();
        committer.start();
    }

    public void onCommit(Consumer<List<Event>> listener) {
        listeners.add(listener);
    }

    /** Queues {@code fn}, waits until it is durable, returns its result or rethrows its exception. */
    public <T> T submit(Function<StoreTx, T> fn) {
        if (Thread.currentThread() == writer || Thread.currentThread() == committer) {
            throw new IllegalStateException("a store operation may not submit another operation");
        }
        Operation<T> op = new Operation<>(fn);
        synchronized (submitLock) {
            if (closing) {
                throw new IllegalStateException("the store is closed");
            }
            queue.add(op);
        }
        LockSupport.unpark(writer);
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

    // --- the writer thread ---

    private void writeLoop() {
        List<Operation<?>> batch = new ArrayList<>();
        while (true) {
            if (broken) {
                batch = recover(batch);
            }
            if (!batch.isEmpty() && !committing && !broken) {
                handOver(batch);
                batch = new ArrayList<>();
                continue;
            }
            if (batch.size() < maxBatch) {
                Operation<?> op = queue.poll();
                if (op != null) {
                    run(op);
                    batch.add(op);
                    continue;
                }
            }
            if (closing && queue.isEmpty() && batch.isEmpty() && !committing) {
                break;
            }
            // Nothing to run, or a batch waiting for the committer: woken by a submit or the committer.
            LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(batch.isEmpty() ? 50 : 1));
        }
        writerDone = true;
        LockSupport.unpark(committer);
        failQueued();
    }

    private void run(Operation<?> op) {
        session.savepoint();
        try {
            op.run(session.tx());
            session.releaseSavepoint();
        } catch (RuntimeException | Error e) {
            session.rollbackToSavepoint();
            op.error = e;
        }
    }

    private void handOver(List<Operation<?>> batch) {
        WriterSession.ChangeSet changes = session.seal();
        committing = true;
        handoff.add(new Sealed(batch, changes));
        LockSupport.unpark(committer);
    }

    /** A commit failed: the batch being built rests on it, so it fails too; rebuild from the file. */
    private List<Operation<?>> recover(List<Operation<?>> batch) {
        StoreFailure failure = new StoreFailure("the store could not commit an earlier write this one built on", null);
        for (Operation<?> op : batch) {
            op.fail(failure);
        }
        session.seal();
        try {
            session.recover();
            log.warn("recovered the store's working copy from disk after a failed commit");
        } catch (RuntimeException e) {
            log.error("could not recover the store after a failed commit; writes will keep failing", e);
            return new ArrayList<>();
        }
        broken = false;
        return new ArrayList<>();
    }

    // --- the committer thread ---

    private void commitLoop() {
        while (true) {
            Sealed sealed = handoff.poll();
            if (sealed == null) {
                if (writerDone && handoff.isEmpty()) {
                    return;
                }
                LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(50));
                continue;
            }
            commit(sealed);
            committing = false;
            LockSupport.unpark(writer);
        }
    }

    private void commit(Sealed sealed) {
        try {
            if (!sealed.changes.isEmpty()) {
                session.commit(sealed.changes);
            }
        } catch (RuntimeException | Error e) {
            log.error("store commit failed; {} operation(s) not applied", sealed.batch.size(), e);
            StoreFailure failure = new StoreFailure("the store could not commit: " + e.getMessage(), e);
            for (Operation<?> op : sealed.batch) {
                op.fail(failure);
            }
            broken = true;
            return;
        }
        for (Operation<?> op : sealed.batch) {
            op.finish();
        }
        List<Event> events = sealed.changes.events();
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

    private void failQueued() {
        Operation<?> op;
        while ((op = queue.poll()) != null) {
            op.fail(new IllegalStateException("the store is closed"));
        }
    }

    /** Lets queued operations finish and become durable, then stops both threads and closes the session. */
    @Override
    public void close() {
        synchronized (submitLock) {
            closing = true;
        }
        LockSupport.unpark(writer);
        try {
            writer.join();
            committer.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        session.close();
    }

    private record Sealed(List<Operation<?>> batch, WriterSession.ChangeSet changes) {
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
