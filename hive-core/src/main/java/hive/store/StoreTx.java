package hive.store;

import hive.events.Event;
import hive.schedule.TaskState;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the engine may do inside one store write: read its own view, including the scheduler's
 * indexes (ready queue, retry and deadline timelines, tasks per agent), and change rows. Nothing is
 * visible to others before the operation's batch commits. The engine decides; the store only
 * reads and writes, and holds no state that another server node would need.
 */
public interface StoreTx extends StoreReader {

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


    void insertSwarm(SwarmRow swarm);

    void updateSwarmFlags(String swarmId, boolean paused, boolean cancelled);

    /**
     * Adds {@code delta} to the swarm's counters and reserves the next {@code events} numbers of its
     * event log, in one write; returns the swarm as it is now ({@link SwarmRow#lastEventSeq()} is
     * the last number reserved). This serializes writers of the same swarm until commit, so event
     * numbers are given out in commit order, without gaps.
     */
    SwarmRow advanceSwarm(String swarmId, Counters delta, int events);

    /**
     * Inserts new tasks (their {@code pk} is ignored) and returns them with the keys the store gave
     * them, in the same order; later inserts get larger keys.
     */
    List<TaskRow> insertTasks(List<TaskRow> tasks);

    /** Records dependency edges: {@code edges[i] = {taskPk, dependencyPk}}. */
    void insertDependencies(List<long[]> edges);

    /** Writes the mutable part of a task (state, attempt, agent, result, error, times...). */
    void updateTask(TaskRow task);

    /**
     * Records that a task completed: every direct dependent has one fewer dependency to wait for,
     * and those of them that were {@code pending} with none left (and no backoff) become
     * {@code ready}. Returns those, oldest first.
     */
    List<TaskRow> completeDependency(long taskPk);

    /**
     * Cancels every task of the swarm that is pending, ready, in progress or blocked (clearing its
     * blocked_by); returns how many of each state were cancelled.
     */
    Map<TaskState, Integer> cancelUnfinished(String swarmId, Instant at);

    /**
     * Runs {@code action} once the batch that holds this operation is durable, before the
     * operation's caller (and every other caller of the batch) is acknowledged; forgotten if the
     * operation is undone or the commit fails. It runs on the committing thread and must return
     * quickly: complete a future, wake a thread.
     */
    void afterCommit(Runnable action);

    /** Appends events whose numbers were reserved with {@link #advanceSwarm}. */
    void insertEvents(List<Event> events);

    /** The locks an agent holds, over all workspaces. */
    List<LockRow> locksOf(String agentId);

    /** Grants or renews a lock (one row per workspace, path and agent). */
    void putLock(LockRow lock);

    void removeLock(LockRow lock);

    /** The next fencing token: larger than every token given out before, by this or any node. */
    long nextFencingToken();

    /** Locks whose lease ended at or before {@code now}, earliest first. */
    List<LockRow> expiredLocks(Instant now, int limit);

    /**
     * Queues a waiting lock request. Waiters are not durable: they belong to callers that are
     * waiting now, and are gone with them (a store may keep them in memory only).
     */
    void putWaiter(LockWaiter waiter);

    void removeWaiter(LockWaiter waiter);

    /** The id of the next waiter to queue: larger than every waiter id given out before, by any node. */
    long nextWaiterId();

    /**
     * Waiters left behind by callers that are gone with their server node (it died while they
     * waited), oldest first. A store whose waiters live and die with their callers' process has
     * none.
     */
    List<LockWaiter> orphanedWaiters(int limit);

    /** The waiters of a workspace, in arrival order (by id). */
    List<LockWaiter> waiters(String workspace);

    /** The waiters of an agent, over all workspaces, in arrival order. */
    List<LockWaiter> waitersOf(String agentId);

    /**
     * The agent, unless another operation holds it at this moment (then empty: that operation is
     * the agent's own, and renews it). For renewals made on the way, which must not wait for the
     * agent while holding what its own operation may be waiting for.
     */
    Optional<AgentRow> agentIfFree(String agentId);

    /** Registers an agent, or writes a registered agent's new state. */
    void putAgent(AgentRow agent);

    /**
     * Whether this operation may sweep (end sessions, attempts and leases that are over): false
     * when another node sweeps at this moment, whose sweep does the same work.
     */
    boolean sweepTurn();

    /** Active agents whose session ended at or before {@code now}, earliest first. */
    List<AgentRow> expiredSessions(Instant now, int limit);

    /** The tasks the agent holds in progress, over all swarms, oldest first. */
    List<TaskRow> runningTasks(String agentId);
}
