package hive.store;

import hive.events.Event;
import java.util.List;

/**
 * What a {@link GroupCommitWriter} writes through: a view that operations change, sealed batch by
 * batch into change sets that are made durable.
 *
 * <p>Threads: {@link #tx()}, the savepoint methods, {@link #seal()} and {@link #recover()} are
 * called under the writer's lock, by one thread at a time; {@link #commit} by one thread at a
 * time, one change set after the other in the order they were sealed, while other threads may go
 * on changing the view. {@link #recover()} is called only while no commit is running.
 */
public interface WriterSession extends AutoCloseable {

    /** The view that operations read and change. */
    StoreTx tx();

    /** Marks the start of one operation. */
    void savepoint();

    /** Undoes everything since the last {@link #savepoint()} and drops the mark. */
    void rollbackToSavepoint();

    /** Keeps everything since the last {@link #savepoint()} and drops the mark. */
    void releaseSavepoint();

    /**
     * Everything changed since the last seal, as one change set, and a fresh start for the next
     * batch. Operations of the next batch see the changes of this one before it is durable; they
     * are acknowledged only after it is.
     */
    ChangeSet seal();

    /** Makes a sealed change set durable (one transaction); throws if it could not. */
    void commit(ChangeSet changes);

    /**
     * After a failed commit: rebuilds the view from what is durable, forgetting every change not
     * committed.
     */
    void recover();

    @Override
    void close();

    /** A batch's changes, ready to be written; immutable. */
    interface ChangeSet {

        /** The events the batch appended, in order. */
        List<Event> events();

        /**
         * What the batch's operations asked to run once it is durable ({@link StoreTx#afterCommit}),
         * in the order they asked.
         */
        List<Runnable> afterCommit();

        boolean isEmpty();
    }
}
