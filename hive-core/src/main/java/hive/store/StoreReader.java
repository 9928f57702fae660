package hive.store;

import hive.events.Event;
import hive.schedule.TaskState;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What anyone may read of the store: one consistent, committed view (a snapshot), or the
 * transaction's own view inside a write. Every method is an index lookup or returns the rows it
 * names; none scans all tasks of a swarm, except the listings that ask for them. What the
 * scheduler needs to decide (the ready queue, timelines, per-agent counts) is in {@link StoreTx}:
 * a store may keep it where only its writer sees it.
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

    /** The agent registered with this id, in whatever status. */
    Optional<AgentRow> agent(String agentId);

    /** Every agent ever registered, by id. */
    List<AgentRow> agents();

    /** The locks held in a workspace (every workspace when null), by workspace, path and agent. */
    List<LockRow> locks(String workspace);

    /** A swarm's events after {@code afterSeq}, in order, at most {@code limit}. */
    List<Event> events(String swarmId, long afterSeq, int limit);
}
