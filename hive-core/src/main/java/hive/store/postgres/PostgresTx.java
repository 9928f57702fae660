package hive.store.postgres;

import static hive.store.RowMappers.AGENT;
import static hive.store.RowMappers.AGENT_COLUMNS;
import static hive.store.RowMappers.LOCK;
import static hive.store.RowMappers.LOCK_COLUMNS;
import static hive.store.RowMappers.SWARM;
import static hive.store.RowMappers.SWARM_COLUMNS;
import static hive.store.RowMappers.TASK;

import hive.events.Event;
import hive.locks.LockMode;
import hive.locks.LockPath;
import hive.locks.LockRequest;
import hive.schedule.TaskState;
import hive.store.AgentRow;
import hive.store.Counters;
import hive.store.LockRow;
import hive.store.LockWaiter;
import hive.store.RowMappers;
import hive.store.StoreJson;
import hive.store.StoreTx;
import hive.store.SwarmRow;
import hive.store.TaskRow;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.jdbi.v3.core.statement.Query;

/**
 * One operation's transaction on PostgreSQL (READ COMMITTED), or a read-only snapshot. Every call
 * is SQL on the operation's connection; what keeps concurrent operations of several nodes apart:
 * <ul>
 *   <li>a task, agent or dependent read to be changed is read {@code FOR UPDATE}, so the decision
 *       is taken on its latest committed version and nobody changes it before this commits;</li>
 *   <li>the ready queue, due retries, overdue attempts and ended sessions are read
 *       {@code FOR UPDATE SKIP LOCKED}: two claims never wait for, or take, the same task, and
 *       two nodes' sweeps take disjoint rows;</li>
 *   <li>everything about a workspace's locks and waiters happens under a transaction-scoped
 *       advisory lock on that workspace, so grants in a workspace are decided one at a time over
 *       all nodes, and a fencing token is taken under it (tokens rise in commit order there);</li>
 *   <li>{@link #advanceSwarm} updates the swarm row, which stays locked until commit: event
 *       numbers of a swarm are given out in commit order, without gaps (a rollback gives its
 *       numbers back);</li>
 *   <li>a dependency completing decrements its dependents' counts in one UPDATE, so of two
 *       dependencies completing at once exactly one sees a dependent's count reach zero.</li>
 * </ul>
 * Collects what other nodes must hear once it commits (see {@link PostgresStore}). Used by one
 * thread.
 */
final class PostgresTx implements StoreTx {

    /** The task columns, in {@link hive.store.RowMappers#TASK} order; the state 'ready' is stored. */
    static final String TASK_COLUMNS = "pk, swarm_id, id, title, description, role, agent, priority, weight,"
            + " depends_on, files, run, max_attempts, timeout_ms, backoff_ms, state, remaining_deps, attempt,"
            + " assigned_agent, result, error, blocked_by, not_before, deadline, created_at, started_at, finished_at";
    private static final String TASK_COLUMNS_T = "t." + TASK_COLUMNS.replace(", ", ", t.");
    /** The advisory-lock class of workspace locks (the other int is the workspace's hash). */
    private static final int WORKSPACE_LOCKS = 0x48495645; // "HIVE"
    private static final int SWEEP_LOCK = 0x53574550; // "SWEP"

    private final Handle handle;
    private final boolean writing;
    private final String node;
    private final TreeSet<String> lockedWorkspaces = new TreeSet<>();
    private final Set<String> prelock;
    private final List<Runnable> afterCommit = new ArrayList<>();
    /** Rows this transaction holds (agents read FOR UPDATE or written; workspaces it locked), as it left them. */
    private final Map<String, AgentRow> lockedAgents = new java.util.HashMap<>();
    private final Map<String, List<LockRow>> workspaceLocks = new java.util.HashMap<>();
    private final Map<String, List<LockWaiter>> workspaceWaiters = new java.util.HashMap<>();
    private final List<Event> events = new ArrayList<>();
    private final Set<Long> dequeued = new LinkedHashSet<>();
    private boolean freed;
    private boolean skippedLocked;

    /**
     * {@code node}: the node whose callers wait on the waiters this transaction queues;
     * {@code prelock}: the workspaces to lock, in order, with the first one this operation needs.
     */
    PostgresTx(Handle handle, boolean writing, String node, Set<String> prelock) {
        this.handle = handle;
        this.writing = writing;
        this.node = node;
        this.prelock = prelock;
    }

    // --- what the store does with the transaction ---

    List<Runnable> afterCommitActions() {
        return afterCommit;
    }

    List<Event> appended() {
        return events;
    }

    /** Waiters taken out of the queue: their callers, on whatever node, learn their fate. */
    Set<Long> dequeued() {
        return dequeued;
    }

    /** Whether locks were removed: claims held back by them may go. */
    boolean freed() {
        return freed;
    }

    /** Whether the ready queue skipped tasks that other operations had locked (they may stay ready). */
    boolean skippedLocked() {
        return skippedLocked;
    }

    private String lockSuffix() {
        return writing ? " FOR UPDATE" : "";
    }

    /**
     * Takes the workspace's advisory lock (once per transaction): its locks and waiters are ours
     * now. Workspace locks are taken in name order, so that two operations never wait for each
     * other's: the first one taken brings along, in order, those that an earlier attempt of this
     * operation found it needed; one that comes after a later name is only tried, and if it is
     * busy the operation is run again ({@link Reorder}), knowing it needs both from the start.
     */
    private void lockWorkspace(String workspace) {
        if (!writing || lockedWorkspaces.contains(workspace)) {
            return;
        }
        if (lockedWorkspaces.isEmpty() && !prelock.isEmpty()) {
            TreeSet<String> all = new TreeSet<>(prelock);
            all.add(workspace);
            for (String w : all) {
                waitFor(w);
            }
            return;
        }
        if (lockedWorkspaces.isEmpty() || lockedWorkspaces.last().compareTo(workspace) < 0) {
            waitFor(workspace);
            return;
        }
        boolean got = handle.createQuery("SELECT pg_try_advisory_xact_lock(?, ?)").bind(0, WORKSPACE_LOCKS)
                .bind(1, workspace.hashCode()).mapTo(Boolean.class).one();
        if (!got) {
            TreeSet<String> needed = new TreeSet<>(lockedWorkspaces);
            needed.add(workspace);
            throw new Reorder(needed);
        }
        lockedWorkspaces.add(workspace);
    }

    private void waitFor(String workspace) {
        handle.createQuery("SELECT pg_advisory_xact_lock(?, ?)").bind(0, WORKSPACE_LOCKS)
                .bind(1, workspace.hashCode()).mapTo(String.class).one();
        lockedWorkspaces.add(workspace);
    }

    /** The workspaces this transaction locked: an operation run again takes them all first, in order. */
    Set<String> lockedWorkspaces() {
        return lockedWorkspaces;
    }

    /**
     * A workspace lock out of name order was busy: the operation is undone and run again, taking
     * {@code needed} in order from the start.
     */
    static final class Reorder extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient Set<String> needed;

        Reorder(Set<String> needed) {
            super("workspace locks needed out of order: " + needed, null, false, false);
            this.needed = needed;
        }
    }

    /** Locks several workspaces in a fixed order, so that two operations never wait for each other's. */
    private void lockWorkspaces(Collection<String> workspaces) {
        for (String workspace : new TreeSet<>(workspaces)) {
            lockWorkspace(workspace);
        }
    }

    // --- StoreReader ---

    @Override
    public Optional<SwarmRow> swarm(String swarmId) {
        return handle.createQuery("SELECT " + SWARM_COLUMNS + " FROM swarms WHERE id = ?").bind(0, swarmId)
                .map(SWARM).findOne();
    }

    @Override
    public List<SwarmRow> swarms() {
        return handle.createQuery("SELECT " + SWARM_COLUMNS + " FROM swarms ORDER BY created_at, id").map(SWARM)
                .list();
    }

    @Override
    public Optional<TaskRow> task(String swarmId, String taskId) {
        return handle.createQuery("SELECT " + TASK_COLUMNS + " FROM tasks WHERE swarm_id = ? AND id = ?"
                + lockSuffix()).bind(0, swarmId).bind(1, taskId).map(TASK).findOne();
    }

    @Override
    public Map<String, TaskRow> tasks(String swarmId, Collection<String> taskIds) {
        Map<String, TaskRow> found = new LinkedHashMap<>();
        if (taskIds.isEmpty()) {
            return found;
        }
        handle.createQuery("SELECT " + TASK_COLUMNS + " FROM tasks WHERE swarm_id = ? AND id = ANY(?) ORDER BY pk"
                        + lockSuffix())
                .bind(0, swarmId).bind(1, taskIds.toArray(String[]::new)).map(TASK)
                .forEach(t -> found.put(t.id(), t));
        Map<String, TaskRow> ordered = new LinkedHashMap<>();
        for (String id : taskIds) {
            TaskRow t = found.get(id);
            if (t != null) {
                ordered.put(id, t);
            }
        }
        return ordered;
    }

    @Override
    public List<TaskRow> tasks(String swarmId, Optional<TaskState> state) {
        if (state.isPresent()) {
            return handle.createQuery("SELECT " + TASK_COLUMNS + " FROM tasks WHERE swarm_id = ? AND state = ?"
                    + " ORDER BY pk" + lockSuffix()).bind(0, swarmId).bind(1, state.get().wire()).map(TASK).list();
        }
        return handle.createQuery("SELECT " + TASK_COLUMNS + " FROM tasks WHERE swarm_id = ? ORDER BY pk"
                + lockSuffix()).bind(0, swarmId).map(TASK).list();
    }

    @Override
    public Optional<AgentRow> agent(String agentId) {
        if (writing && lockedAgents.containsKey(agentId)) {
            return Optional.of(lockedAgents.get(agentId)); // ours until commit: nobody changed it
        }
        Optional<AgentRow> agent = handle.createQuery("SELECT " + AGENT_COLUMNS + " FROM agents WHERE id = ?"
                + lockSuffix()).bind(0, agentId).map(AGENT).findOne();
        if (writing) {
            agent.ifPresent(a -> lockedAgents.put(agentId, a));
        }
        return agent;
    }

    @Override
    public Optional<AgentRow> agentIfFree(String agentId) {
        return handle.createQuery("SELECT " + AGENT_COLUMNS + " FROM agents WHERE id = ?"
                + (writing ? " FOR UPDATE SKIP LOCKED" : "")).bind(0, agentId).map(AGENT).findOne();
    }

    @Override
    public List<AgentRow> agents() {
        return handle.createQuery("SELECT " + AGENT_COLUMNS + " FROM agents ORDER BY id").map(AGENT).list();
    }

    @Override
    public List<LockRow> locks(String workspace) {
        if (workspace == null) {
            return handle.createQuery("SELECT " + LOCK_COLUMNS + " FROM locks ORDER BY workspace, path, agent_id")
                    .map(LOCK).list();
        }
        lockWorkspace(workspace);
        if (!writing) {
            return readLocks(workspace);
        }
        // The workspace is ours until commit: what we read of it changes only by our own writes.
        return workspaceLocks.computeIfAbsent(workspace, this::readLocks);
    }

    private List<LockRow> readLocks(String workspace) {
        return handle.createQuery("SELECT " + LOCK_COLUMNS + " FROM locks WHERE workspace = ?"
                + " ORDER BY path, agent_id").bind(0, workspace).map(LOCK).list();
    }

    @Override
    public List<Event> events(String swarmId, long afterSeq, int limit) {
        return handle.createQuery(RowMappers.EVENTS_AFTER).bind(0, swarmId).bind(1, afterSeq).bind(2, limit)
                .map(RowMappers.EVENT).list();
    }

    // --- StoreTx: tasks ---

    @Override
    public List<TaskRow> dependents(long taskPk) {
        return handle.createQuery("SELECT " + TASK_COLUMNS + " FROM tasks WHERE pk IN"
                + " (SELECT task_pk FROM task_deps WHERE dep_pk = ?) ORDER BY pk" + lockSuffix())
                .bind(0, taskPk).map(TASK).list();
    }

    @Override
    public List<TaskRow> dependencies(long taskPk) {
        return handle.createQuery("SELECT " + TASK_COLUMNS + " FROM tasks WHERE pk IN"
                + " (SELECT dep_pk FROM task_deps WHERE task_pk = ?) ORDER BY pk").bind(0, taskPk).map(TASK).list();
    }

    @Override
    public List<TaskRow> readyQueue(String swarmId, boolean runnableOnly, QueuePosition after, int limit) {
        StringBuilder where = new StringBuilder(" WHERE t.state = 'ready'");
        List<Object> args = new ArrayList<>();
        if (swarmId != null) {
            where.append(" AND t.swarm_id = ?");
            args.add(swarmId);
        }
        if (runnableOnly) {
            where.append(" AND s.paused = 0 AND s.cancelled = 0");
        }
        if (after != null) {
            where.append(" AND (t.priority < ? OR (t.priority = ? AND t.pk > ?))");
            args.add(after.priority());
            args.add(after.priority());
            args.add(after.pk());
        }
        String from = " FROM tasks t" + (runnableOnly ? " JOIN swarms s ON s.id = t.swarm_id" : "");
        String order = " ORDER BY t.priority DESC, t.pk LIMIT " + limit;
        List<TaskRow> page = bindAll(handle.createQuery("SELECT " + TASK_COLUMNS_T + from + where + order
                + (writing ? " FOR UPDATE OF t SKIP LOCKED" : "")), args).map(TASK).list();
        if (writing && page.size() < limit && !skippedLocked) {
            // A short page: did it skip tasks that other operations hold? They may stay ready when
            // those commit, with nothing to say so (a claim that passes a task over changes nothing).
            List<Long> visible = bindAll(handle.createQuery("SELECT t.pk" + from + where + order), args)
                    .mapTo(Long.class).list();
            Set<Long> got = new HashSet<>();
            page.forEach(t -> got.add(t.pk()));
            skippedLocked = !got.containsAll(visible);
        }
        return page;
    }

    private static Query bindAll(Query query, List<Object> args) {
        for (int i = 0; i < args.size(); i++) {
            query.bind(i, args.get(i));
        }
        return query;
    }

    @Override
    public List<TaskRow> dueRetries(Instant now, int limit) {
        return onTimeline("pending", "not_before", now, limit);
    }

    @Override
    public List<TaskRow> overdue(Instant now, int limit) {
        return onTimeline("in_progress", "deadline", now, limit);
    }

    /**
     * Tasks in {@code state} whose {@code time} column is at or before {@code now}, earliest first.
     * The state is written into the SQL, not bound: a partial index ({@code tasks_retry},
     * {@code tasks_deadline}) serves only a query whose predicate names it, and a prepared
     * statement's generic plan cannot see a bound value.
     */
    private List<TaskRow> onTimeline(String state, String time, Instant now, int limit) {
        return handle.createQuery("SELECT " + TASK_COLUMNS + " FROM tasks WHERE state = '" + state + "' AND " + time
                        + " IS NOT NULL AND " + time + " <= ? ORDER BY " + time + ", pk LIMIT ?"
                        + (writing ? " FOR UPDATE SKIP LOCKED" : ""))
                .bind(0, now.toEpochMilli()).bind(1, limit).map(TASK).list();
    }

    @Override
    public int inProgressCount(String agentId) {
        return handle.createQuery("SELECT count(*) FROM tasks WHERE state = 'in_progress' AND assigned_agent = ?")
                .bind(0, agentId).mapTo(Integer.class).one();
    }

    @Override
    public List<TaskRow> runningTasks(String agentId) {
        return handle.createQuery("SELECT " + TASK_COLUMNS + " FROM tasks WHERE state = 'in_progress'"
                + " AND assigned_agent = ? ORDER BY pk" + lockSuffix()).bind(0, agentId).map(TASK).list();
    }

    // --- StoreTx: swarms ---

    @Override
    public void insertSwarm(SwarmRow s) {
        Counters c = s.counters();
        handle.createUpdate("INSERT INTO swarms (" + SWARM_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                        + " ?, ?, ?, ?, ?, ?)")
                .bind(0, s.id()).bind(1, s.name()).bind(2, s.goal()).bind(3, s.workspace())
                .bind(4, StoreJson.defaults(s.defaults())).bind(5, s.createdAt().toEpochMilli())
                .bind(6, s.paused() ? 1 : 0).bind(7, s.cancelled() ? 1 : 0)
                .bind(8, c.pending()).bind(9, c.ready()).bind(10, c.inProgress()).bind(11, c.completed())
                .bind(12, c.failed()).bind(13, c.blocked()).bind(14, c.cancelled()).bind(15, c.weightTotal())
                .bind(16, c.weightCompleted()).bind(17, s.lastEventSeq())
                .execute();
    }

    @Override
    public void updateSwarmFlags(String swarmId, boolean paused, boolean cancelled) {
        int changed = handle.createUpdate("UPDATE swarms SET paused = ?, cancelled = ? WHERE id = ?")
                .bind(0, paused ? 1 : 0).bind(1, cancelled ? 1 : 0).bind(2, swarmId).execute();
        if (changed == 0) {
            throw new IllegalStateException("no swarm " + swarmId);
        }
    }

    @Override
    public SwarmRow advanceSwarm(String swarmId, Counters d, int eventCount) {
        return handle.createQuery("UPDATE swarms SET n_pending = n_pending + ?, n_ready = n_ready + ?,"
                        + " n_in_progress = n_in_progress + ?, n_completed = n_completed + ?, n_failed = n_failed + ?,"
                        + " n_blocked = n_blocked + ?, n_cancelled = n_cancelled + ?,"
                        + " weight_total = weight_total + ?, weight_completed = weight_completed + ?,"
                        + " event_seq = event_seq + ? WHERE id = ? RETURNING " + SWARM_COLUMNS)
                .bind(0, d.pending()).bind(1, d.ready()).bind(2, d.inProgress()).bind(3, d.completed())
                .bind(4, d.failed()).bind(5, d.blocked()).bind(6, d.cancelled()).bind(7, d.weightTotal())
                .bind(8, d.weightCompleted()).bind(9, eventCount).bind(10, swarmId)
                .map(SWARM).findOne().orElseThrow(() -> new IllegalStateException("no swarm " + swarmId));
    }

    @Override
    public List<TaskRow> insertTasks(List<TaskRow> rows) {
        if (rows.isEmpty()) {
            return List.of();
        }
        PreparedBatch batch = handle.prepareBatch("INSERT INTO tasks (swarm_id, id, title, description, role, agent,"
                + " priority, weight, depends_on, files, run, max_attempts, timeout_ms, backoff_ms, state,"
                + " remaining_deps, attempt, assigned_agent, result, error, blocked_by, not_before, deadline,"
                + " created_at, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                + " ?, ?, ?, ?, ?, ?, ?, ?, ?)");
        for (TaskRow t : rows) {
            batch.bind(0, t.swarmId()).bind(1, t.id()).bind(2, t.title()).bind(3, t.description())
                    .bind(4, t.role()).bind(5, t.agent()).bind(6, t.priority()).bind(7, t.weight())
                    .bind(8, StoreJson.strings(t.dependsOn())).bind(9, StoreJson.strings(t.files()))
                    .bind(10, t.run()).bind(11, t.maxAttempts()).bind(12, Math.round(t.timeoutS() * 1000))
                    .bind(13, Math.round(t.backoffS() * 1000)).bind(14, t.state().wire())
                    .bind(15, t.remainingDeps()).bind(16, t.attempt()).bind(17, t.assignedAgent())
                    .bind(18, t.result()).bind(19, t.error())
                    .bind(20, t.blockedBy().isEmpty() ? null : StoreJson.strings(t.blockedBy()))
                    .bind(21, millis(t.notBefore())).bind(22, millis(t.deadline()))
                    .bind(23, millis(t.createdAt())).bind(24, millis(t.startedAt())).bind(25, millis(t.finishedAt()))
                    .add();
        }
        List<Long> keys = batch.executePreparedBatch("pk").mapTo(Long.class).list();
        List<TaskRow> inserted = new ArrayList<>(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            TaskRow t = rows.get(i);
            inserted.add(new TaskRow(keys.get(i), t.swarmId(), t.id(), t.title(), t.description(), t.role(),
                    t.agent(), t.priority(), t.weight(), t.dependsOn(), t.files(), t.run(), t.maxAttempts(),
                    t.timeoutS(), t.backoffS(), t.state(), t.remainingDeps(), t.attempt(), t.assignedAgent(),
                    t.result(), t.error(), t.blockedBy(), t.notBefore(), t.deadline(), t.createdAt(), t.startedAt(),
                    t.finishedAt()));
        }
        return inserted;
    }

    private static Long millis(Instant at) {
        return at == null ? null : at.toEpochMilli();
    }

    @Override
    public void insertDependencies(List<long[]> edges) {
        if (edges.isEmpty()) {
            return;
        }
        PreparedBatch batch = handle.prepareBatch("INSERT INTO task_deps (task_pk, dep_pk) VALUES (?, ?)");
        for (long[] e : edges) {
            batch.bind(0, e[0]).bind(1, e[1]).add();
        }
        batch.execute();
    }

    /**
     * Writes the task's mutable part. Its count of open dependencies is not written: only
     * {@link #completeDependency} changes it, in SQL, so that no operation writes back a count it
     * read before another dependency completed.
     */
    @Override
    public void updateTask(TaskRow t) {
        handle.createUpdate("UPDATE tasks SET state = ?, attempt = ?, assigned_agent = ?, result = ?, error = ?,"
                        + " blocked_by = ?, not_before = ?, deadline = ?, started_at = ?, finished_at = ? WHERE pk = ?")
                .bind(0, t.state().wire()).bind(1, t.attempt()).bind(2, t.assignedAgent()).bind(3, t.result())
                .bind(4, t.error()).bind(5, t.blockedBy().isEmpty() ? null : StoreJson.strings(t.blockedBy()))
                .bind(6, millis(t.notBefore())).bind(7, millis(t.deadline())).bind(8, millis(t.startedAt()))
                .bind(9, millis(t.finishedAt())).bind(10, t.pk())
                .execute();
    }

    @Override
    public List<TaskRow> completeDependency(long taskPk) {
        List<TaskRow> changed = handle.createQuery("UPDATE tasks SET remaining_deps = remaining_deps - 1,"
                        + " state = CASE WHEN remaining_deps = 1 AND state = 'pending' AND not_before IS NULL"
                        + " THEN 'ready' ELSE state END"
                        + " WHERE pk IN (SELECT task_pk FROM task_deps WHERE dep_pk = ?) RETURNING " + TASK_COLUMNS)
                .bind(0, taskPk).map(TASK).list();
        // A dependent with an open dependency was not ready before: those ready now were just made so.
        return changed.stream().filter(t -> t.state() == TaskState.READY)
                .sorted(java.util.Comparator.comparingLong(TaskRow::pk)).toList();
    }

    @Override
    public Map<TaskState, Integer> cancelUnfinished(String swarmId, Instant at) {
        Map<TaskState, Integer> cancelled = new EnumMap<>(TaskState.class);
        handle.createQuery("WITH open AS (SELECT pk, state FROM tasks WHERE swarm_id = ?"
                        + " AND state IN ('pending', 'ready', 'in_progress', 'blocked') FOR UPDATE)"
                        + " UPDATE tasks t SET state = 'cancelled', blocked_by = NULL, not_before = NULL,"
                        + " deadline = NULL, finished_at = ? FROM open WHERE t.pk = open.pk RETURNING open.state")
                .bind(0, swarmId).bind(1, at.toEpochMilli()).mapTo(String.class)
                .forEach(state -> cancelled.merge(TaskState.ofWire(state), 1, Integer::sum));
        return cancelled;
    }

    @Override
    public void afterCommit(Runnable action) {
        afterCommit.add(action);
    }

    @Override
    public void insertEvents(List<Event> appended) {
        if (appended.isEmpty()) {
            return;
        }
        PreparedBatch batch = handle.prepareBatch("INSERT INTO events (swarm_id, seq, type, task_id, agent_id, at,"
                + " data) VALUES (?, ?, ?, ?, ?, ?, ?)");
        for (Event e : appended) {
            batch.bind(0, e.swarmId()).bind(1, e.seq()).bind(2, e.type()).bind(3, e.taskId()).bind(4, e.agentId())
                    .bind(5, e.at().toEpochMilli()).bind(6, e.data() == null || e.data().isEmpty() ? null
                            : StoreJson.object(e.data()))
                    .add();
        }
        batch.execute();
        events.addAll(appended);
    }

    // --- StoreTx: locks ---

    @Override
    public List<LockRow> locksOf(String agentId) {
        if (writing) {
            List<String> workspaces = handle.createQuery("SELECT DISTINCT workspace FROM locks WHERE agent_id = ?")
                    .bind(0, agentId).mapTo(String.class).list();
            if (workspaces.isEmpty()) {
                return List.of(); // none now, and none can come but through a workspace we would lock first
            }
            lockWorkspaces(workspaces);
        }
        return handle.createQuery("SELECT " + LOCK_COLUMNS + " FROM locks WHERE agent_id = ?"
                + " ORDER BY workspace, path").bind(0, agentId).map(LOCK).list();
    }

    @Override
    public void putLock(LockRow l) {
        lockWorkspace(l.workspace());
        workspaceLocks.remove(l.workspace());
        handle.createUpdate("INSERT INTO locks (" + LOCK_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                        + " ON CONFLICT (workspace, path, agent_id) DO UPDATE SET mode = excluded.mode,"
                        + " task_id = excluded.task_id, token = excluded.token, acquired_at = excluded.acquired_at,"
                        + " expires_at = excluded.expires_at")
                .bind(0, l.workspace()).bind(1, l.path().value()).bind(2, l.agentId()).bind(3, l.mode().wire())
                .bind(4, l.taskId()).bind(5, l.token()).bind(6, l.acquiredAt().toEpochMilli())
                .bind(7, l.expiresAt().toEpochMilli())
                .execute();
    }

    @Override
    public void removeLock(LockRow l) {
        lockWorkspace(l.workspace());
        workspaceLocks.remove(l.workspace());
        int removed = handle.createUpdate("DELETE FROM locks WHERE workspace = ? AND path = ? AND agent_id = ?")
                .bind(0, l.workspace()).bind(1, l.path().value()).bind(2, l.agentId()).execute();
        freed |= removed > 0;
    }

    @Override
    public long nextFencingToken() {
        return handle.createQuery("SELECT nextval('fencing_token')").mapTo(Long.class).one();
    }

    @Override
    public List<LockRow> expiredLocks(Instant now, int limit) {
        return handle.createQuery("SELECT " + LOCK_COLUMNS + " FROM locks WHERE expires_at <= ?"
                        + " ORDER BY expires_at, workspace, path, agent_id LIMIT ?")
                .bind(0, now.toEpochMilli()).bind(1, limit).map(LOCK).list();
    }

    private static final String WAITER_COLUMNS = "id, workspace, agent_id, paths, mode, ttl_ms, task_id, since,"
            + " deadline";

    private static LockWaiter waiter(java.sql.ResultSet rs) throws java.sql.SQLException {
        LockRequest request = new LockRequest(rs.getString(3), rs.getString(2),
                StoreJson.strings(rs.getString(4)).stream().map(LockPath::parse).toList(),
                LockMode.ofWire(rs.getString(5)), Duration.ofMillis(rs.getLong(6)), rs.getString(7));
        return new LockWaiter(rs.getLong(1), request, Instant.ofEpochMilli(rs.getLong(8)),
                Instant.ofEpochMilli(rs.getLong(9)));
    }

    @Override
    public void putWaiter(LockWaiter w) {
        lockWorkspace(w.workspace());
        workspaceWaiters.remove(w.workspace());
        LockRequest r = w.request();
        handle.createUpdate("INSERT INTO lock_waiters (" + WAITER_COLUMNS + ", node) VALUES (?, ?, ?, ?, ?, ?, ?, ?,"
                        + " ?, ?)")
                .bind(9, node).bind(0, w.id()).bind(1, r.workspace()).bind(2, r.agentId())
                .bind(3, StoreJson.strings(r.paths().stream().map(LockPath::value).toList()))
                .bind(4, r.mode().wire()).bind(5, r.ttl().toMillis()).bind(6, r.taskId())
                .bind(7, w.since().toEpochMilli()).bind(8, w.deadline().toEpochMilli())
                .execute();
    }

    @Override
    public void removeWaiter(LockWaiter w) {
        lockWorkspace(w.workspace());
        workspaceWaiters.remove(w.workspace());
        int removed = handle.createUpdate("DELETE FROM lock_waiters WHERE id = ?").bind(0, w.id()).execute();
        if (removed > 0) {
            dequeued.add(w.id());
        }
    }

    @Override
    public long nextWaiterId() {
        return handle.createQuery("SELECT nextval('waiter_id')").mapTo(Long.class).one();
    }

    @Override
    public List<LockWaiter> waiters(String workspace) {
        lockWorkspace(workspace);
        if (!writing) {
            return readWaiters(workspace);
        }
        return workspaceWaiters.computeIfAbsent(workspace, this::readWaiters);
    }

    private List<LockWaiter> readWaiters(String workspace) {
        return handle.createQuery("SELECT " + WAITER_COLUMNS + " FROM lock_waiters WHERE workspace = ? ORDER BY id")
                .bind(0, workspace).map((rs, ctx) -> waiter(rs)).list();
    }

    @Override
    public List<LockWaiter> waitersOf(String agentId) {
        if (writing) {
            List<String> workspaces = handle.createQuery("SELECT DISTINCT workspace FROM lock_waiters"
                    + " WHERE agent_id = ?").bind(0, agentId).mapTo(String.class).list();
            if (workspaces.isEmpty()) {
                return List.of();
            }
            lockWorkspaces(workspaces);
        }
        return handle.createQuery("SELECT " + WAITER_COLUMNS + " FROM lock_waiters WHERE agent_id = ? ORDER BY id")
                .bind(0, agentId).map((rs, ctx) -> waiter(rs)).list();
    }

    /** Waiters whose node has no connection to the database any more: it is gone, and their callers with it. */
    @Override
    public List<LockWaiter> orphanedWaiters(int limit) {
        return handle.createQuery("SELECT " + WAITER_COLUMNS + " FROM lock_waiters w WHERE NOT EXISTS"
                        + " (SELECT 1 FROM pg_stat_activity a WHERE a.application_name = ? || w.node)"
                        + " ORDER BY id LIMIT ?")
                .bind(0, PostgresStore.APPLICATION_PREFIX).bind(1, limit).map((rs, ctx) -> waiter(rs)).list();
    }

    // --- StoreTx: agents ---

    @Override
    public void putAgent(AgentRow a) {
        lockedAgents.put(a.id(), a); // the upsert below locks the row if it did not hold it yet
        handle.createUpdate("INSERT INTO agents (" + AGENT_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                        + " ON CONFLICT (id) DO UPDATE SET name = excluded.name, roles = excluded.roles,"
                        + " max_tasks = excluded.max_tasks, allowed_paths = excluded.allowed_paths,"
                        + " status = excluded.status, last_heartbeat = excluded.last_heartbeat,"
                        + " expires_at = excluded.expires_at")
                .bind(0, a.id()).bind(1, a.name()).bind(2, StoreJson.strings(a.roles().stream().sorted().toList()))
                .bind(3, a.maxTasks()).bind(4, StoreJson.strings(a.allowedPaths())).bind(5, a.status().wire())
                .bind(6, a.registeredAt().toEpochMilli()).bind(7, a.lastHeartbeat().toEpochMilli())
                .bind(8, millis(a.expiresAt()))
                .execute();
    }

    @Override
    public List<AgentRow> expiredSessions(Instant now, int limit) {
        return handle.createQuery("SELECT " + AGENT_COLUMNS + " FROM agents WHERE status = 'active'"
                        + " AND expires_at <= ? ORDER BY expires_at, id LIMIT ?" + (writing ? " FOR UPDATE SKIP LOCKED" : ""))
                .bind(0, now.toEpochMilli()).bind(1, limit).map(AGENT).list();
    }

    @Override
    public boolean sweepTurn() {
        return !writing || handle.createQuery("SELECT pg_try_advisory_xact_lock(?, 0)").bind(0, SWEEP_LOCK)
                .mapTo(Boolean.class).one();
    }
}
