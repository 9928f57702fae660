package hive.store;

import hive.events.Event;
import hive.schedule.TaskState;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the engine may read of the store: one consistent view (a snapshot for reads, the
 * transaction's own view inside a write). Every method is an index lookup or returns the rows it
 * names; none scans all tasks of a swarm, except the listings that ask for them.
 */
public interface StoreReader {

    /** The swarm, with its counters. */
    Optional<SwarmRow> swarm(String swarmId);

    List<SwarmRow> swarms();

    Optional<TaskRow> task(String swarmId, String taskId);

    /** The tasks of a swarm with these ids, by id; ids that do not exist are absent. */
    Map<String, TaskRow> tasks(String swarmId, Collection<String> taskIds);

    /** A swarm's tasks (of one state, when given), oldest first. */
    List<TaskRow> tasks(String swarmId, Optional<TaskState> state);

    /** The tasks that depend directly on this one. */
    List<TaskRow> dependents(long taskPk);

    /** The tasks this one depends on directly. */
    List<TaskRow> dependencies(long taskPk);

    /**
     * Ready tasks, highest priority first, then oldest; of one swarm, or of every swarm when
     * {@code swarmId} is null. {@code runnableOnly} leaves out swarms that are paused or cancelled.
     * Starts after {@code after} (exclusive) when given, for paging through the queue.
     */
    List<TaskRow> readyQueue(String swarmId, boolean runnableOnly, QueuePosition after, int limit);

    /** A place in the ready queue. */
    record QueuePosition(int priority, long pk) {
        public static QueuePosition of(TaskRow task) {
            return new QueuePosition(task.priority(), task.pk());
        }
    }

    /** Tasks waiting out a retry backoff that ended at or before {@code now}, earliest first. */
    List<TaskRow> dueRetries(Instant now, int limit);

    /** Running tasks whose deadline is at or before {@code now}, earliest first. */
    List<TaskRow> overdue(Instant now, int limit);

    /** How many tasks the agent holds in progress, over all swarms. */
    int inProgressCount(String agentId);

    /** A swarm's events after {@code afterSeq}, in order, at most {@code limit}. */
    List<Event> events(String swarmId, long afterSeq, int limit);
}
