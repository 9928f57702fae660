package hive.store;

import hive.events.Event;
import java.util.List;

/**
 * The one connection a {@link GroupCommitWriter} writes through, with the transaction controls it
 * needs. Used by the writer's thread only.
 */
public interface WriterSession extends AutoCloseable {

    void begin();

    void commit();

    void rollback();

    /** Marks the start of one operation inside the batch's transaction. */
    void savepoint();

    /** Undoes everything since {@link #savepoint()} and drops the mark. */
    void rollbackToSavepoint();

    /** Keeps everything since {@link #savepoint()} and drops the mark. */
    void releaseSavepoint();

    /** The transaction view that operations are given. */
    StoreTx tx();

    /** How many writes the transaction view has issued so far (to tell whether a failed operation wrote). */
    long writeCount();

    /** How many events the current transaction has appended so far. */
    int eventCount();

    /** Forgets the events appended after the first {@code count} (their operation rolled back). */
    void truncateEvents(int count);

    /** The events appended since the last call, in order; the list is cleared. */
    List<Event> takeEvents();

    @Override
    void close();
}
