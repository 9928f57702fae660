package hive.store.sqlite;

import hive.events.Event;
import hive.schedule.TaskState;
import hive.store.AgentRow;
import hive.store.Counters;
import hive.store.LockRow;
import hive.store.RowMappers;
import hive.store.LockWaiter;
import hive.store.StoreTx;
import hive.store.SwarmRow;
import hive.store.TaskRow;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.jdbi.v3.core.Handle;

/**
 * The SQLite writer's working copy of the store, with the indexes the scheduler needs (ready
 * queues by priority then age, retry and deadline timelines, dependency lists, tasks per agent)
 * kept in memory. Operations run against it; {@link #seal} then gives every row a batch changed,
 * and every event it appended, to be written in one SQLite transaction. An operation that fails
 * is undone from an undo log; a batch whose commit fails is recovered from by reloading.
 *
 * <p>It is a cache that can be rebuilt: {@link #load} reads it from the file at start. It is only
 * valid while this process is the file's one writer, which {@link SqliteStore} ensures with a
 * lock file. Used under the writer's lock, by one thread at a time.
 */
final class Mirror implements StoreTx {

    /** Ready queue order: highest priority first, then oldest (smallest key). */
    record QueueKey(int priority, long pk) implements Comparable<QueueKey> {
        private static final Comparator<QueueKey> ORDER =
                Comparator.comparingInt((QueueKey k) -> -k.priority).thenComparingLong(k -> k.pk);

        @Override
        public int compareTo(QueueKey other) {
            return ORDER.compare(this, other);
        }
    }

    /** A place on a timeline (retry backoffs, deadlines). */
    record TimeKey(long at, long pk) implements Comparable<TimeKey> {
        private static final Comparator<TimeKey> ORDER =
                Comparator.comparingLong(TimeKey::at).thenComparingLong(TimeKey::pk);

        @Override
        public int compareTo(TimeKey other) {
            return ORDER.compare(this, other);
        }
    }

    private sealed interface Undo permits TaskUndo, SwarmUndo, EdgeUndo, AgentUndo, LockUndo, TokenUndo,
            WaiterUndo {
    }

    private record LockUndo(LockRow.Key key, LockRow old) implements Undo {
    }

    private record TokenUndo(long old, long reserved, boolean dirty) implements Undo {
    }

    /** A waiter that was queued ({@code added}) or taken out of the queue. */
    private record WaiterUndo(LockWaiter waiter, boolean added) implements Undo {
    }

    /** A place on the lock timeline: when a lease ends. */
    record LeaseKey(long at, LockRow.Key key) implements Comparable<LeaseKey> {
        private static final Comparator<LeaseKey> ORDER = Comparator.comparingLong(LeaseKey::at)
                .thenComparing(k -> k.key().workspace()).thenComparing(k -> k.key().path())
                .thenComparing(k -> k.key().agentId());

        @Override
        public int compareTo(LeaseKey other) {
            return ORDER.compare(this, other);
        }
    }

    private record AgentUndo(String id, AgentRow old) implements Undo {
    }

    /** A place on the session timeline: when an agent's session ends. */
    record SessionKey(long at, String agentId) implements Comparable<SessionKey> {
        private static final Comparator<SessionKey> ORDER =
                Comparator.comparingLong(SessionKey::at).thenComparing(SessionKey::agentId);

        @Override
        public int compareTo(SessionKey other) {
            return ORDER.compare(this, other);
        }
    }

    private record TaskUndo(long pk, TaskRow old) implements Undo {
    }

    private record SwarmUndo(String id, SwarmRow old) implements Undo {
    }

    private record EdgeUndo(long task, long dep) implements Undo {
    }

    /** A point to undo to: sizes of the undo log, of the batch's event list and of its after-commit actions. */
    record Mark(int undo, int events, int actions) {
    }

    // --- the copy and its indexes ---
    private final Map<String, SwarmRow> swarms = new LinkedHashMap<>();
    private final Map<Long, TaskRow> tasks = new HashMap<>();
    private final Map<String, Map<String, Long>> taskIds = new HashMap<>();
    private final Map<String, List<Long>> swarmTasks = new HashMap<>();
    /** Per swarm, its tasks that are not finished (pending, ready, in progress, blocked). */
    private final Map<String, Set<Long>> unfinished = new HashMap<>();
    private final Map<Long, List<Long>> dependents = new HashMap<>();
    private final Map<Long, List<Long>> dependencies = new HashMap<>();
    private final Map<String, TreeSet<QueueKey>> readyBySwarm = new HashMap<>();
    private final TreeSet<QueueKey> readyAll = new TreeSet<>();
    private final TreeSet<TimeKey> retries = new TreeSet<>();
    private final TreeSet<TimeKey> deadlines = new TreeSet<>();
    private final Map<String, Set<Long>> runningByAgent = new HashMap<>();
    private final Map<String, AgentRow> agents = new HashMap<>();
    private final TreeSet<SessionKey> sessions = new TreeSet<>();
    private final Map<LockRow.Key, LockRow> locks = new HashMap<>();
    private final Map<String, Set<LockRow.Key>> locksByWorkspace = new HashMap<>();
    private final Map<String, Set<LockRow.Key>> locksByAgent = new HashMap<>();
    private final TreeSet<LeaseKey> leases = new TreeSet<>();
    /** The last fencing token given out. */
    private long fencingToken;
    /**
     * What the file's {@code fencing_token} says: no token given out, before or since, is larger.
     * Tokens are reserved a block at a time, so most grants write nothing for their token; after a
     * restart, tokens go on from the reservation, above every token given out before.
     */
    private long tokenReserved;
    private boolean tokenDirty;
    private final Map<String, TreeMap<Long, LockWaiter>> waitersByWorkspace = new HashMap<>();
    /** Waiters live only in memory (see {@link hive.store.StoreTx#putWaiter}); their ids need not survive. */
    private long lastWaiterId;
    private final Map<String, TreeMap<Long, LockWaiter>> waitersByAgent = new HashMap<>();
    private long nextPk = 1;

    // --- what the current batch changed ---
    private Set<Long> dirtyTasks = new LinkedHashSet<>();
    private Set<Long> newTasks = new HashSet<>();
    private final Set<String> dirtySwarms = new LinkedHashSet<>();
    private final Set<String> dirtyAgents = new LinkedHashSet<>();
    private final Set<LockRow.Key> dirtyLocks = new LinkedHashSet<>();
    private final Set<String> newSwarms = new HashSet<>();
    private List<Undo> undo = new ArrayList<>();
    private final List<Event> events = new ArrayList<>();
    private final List<Runnable> afterCommit = new ArrayList<>();

    private static final int SMALL = 4096;
    /** Fencing tokens reserved (written to the file) at a time. */
    static final long TOKEN_BLOCK = 1024;

    /** Reads committed events: the one thing the copy does not hold. */
    interface EventLog {
        List<Event> events(String swarmId, long afterSeq, int limit);
    }

    private final EventLog committed;

    Mirror(EventLog committed) {
        this.committed = committed;
    }

    // --- loading ---

    /** Reads the whole copy from the file, replacing what it held. */
    void load(Handle handle) {
        swarms.clear();
        tasks.clear();
        taskIds.clear();
        swarmTasks.clear();
        unfinished.clear();
        dependents.clear();
        dependencies.clear();
        readyBySwarm.clear();
        readyAll.clear();
        retries.clear();
        deadlines.clear();
        runningByAgent.clear();
        agents.clear();
        sessions.clear();
        events.clear();
        afterCommit.clear();
        // Waiters belong to callers waiting now: after a reload they wait out their time and go.
        waitersByWorkspace.clear();
        waitersByAgent.clear();
        forgetBatch();
        handle.createQuery("SELECT " + RowMappers.AGENT_COLUMNS + " FROM agents").map(RowMappers.AGENT)
                .forEach(this::indexAgent);
        locks.clear();
        locksByWorkspace.clear();
        locksByAgent.clear();
        leases.clear();
        handle.createQuery("SELECT " + RowMappers.LOCK_COLUMNS + " FROM locks").map(RowMappers.LOCK)
                .forEach(this::indexLock);
        tokenReserved = handle.createQuery("SELECT value FROM meta WHERE name = 'fencing_token'")
                .mapTo(Long.class).one();
        fencingToken = tokenReserved;
        handle.createQuery("SELECT " + RowMappers.SWARM_COLUMNS + " FROM swarms ORDER BY created_at, id")
                .map(RowMappers.SWARM).forEach(s -> swarms.put(s.id(), s));
        handle.createQuery("SELECT " + SqliteRows.TASK_COLUMNS + " FROM tasks ORDER BY pk")
                .map(RowMappers.TASK).forEach(t -> {
                    tasks.put(t.pk(), t);
                    taskIds.computeIfAbsent(t.swarmId(), k -> new HashMap<>()).put(t.id(), t.pk());
                    swarmTasks.computeIfAbsent(t.swarmId(), k -> new ArrayList<>()).add(t.pk());
                    index(t);
                    nextPk = Math.max(nextPk, t.pk() + 1);
                });
        // Dependency edges are not stored apart: each task's depends_on names them.
        for (TaskRow t : tasks.values()) {
            Map<String, Long> ids = taskIds.get(t.swarmId());
            for (String dep : t.dependsOn()) {
                addEdge(t.pk(), ids.get(dep));
            }
        }
    }

    int taskCount() {
        return tasks.size();
    }

    // --- batches ---

    Mark mark() {
        return new Mark(undo.size(), events.size(), afterCommit.size());
    }

    /** Puts back everything changed since {@code mark}, newest first. */
    void undoTo(Mark mark) {
        for (int i = undo.size() - 1; i >= mark.undo(); i--) {
            switch (undo.remove(i)) {
                case TaskUndo u -> restoreTask(u.pk(), u.old());
                case SwarmUndo u -> {
                    if (u.old() == null) {
                        swarms.remove(u.id());
                    } else {
                        swarms.put(u.id(), u.old());
                    }
                }
                case AgentUndo u -> {
                    unindexAgent(agents.remove(u.id()));
                    if (u.old() != null) {
                        indexAgent(u.old());
                    }
                }
                case LockUndo u -> {
                    unindexLock(locks.get(u.key()));
                    if (u.old() != null) {
                        indexLock(u.old());
                    }
                }
                case TokenUndo u -> {
                    fencingToken = u.old();
                    tokenReserved = u.reserved();
                    tokenDirty = u.dirty();
                }
                case WaiterUndo u -> {
                    if (u.added()) {
                        unindexWaiter(u.waiter());
                    } else {
                        indexWaiter(u.waiter());
                    }
                }
                case EdgeUndo u -> {
                    removeLast(dependents.get(u.dep()), u.task());
                    removeLast(dependencies.get(u.task()), u.dep());
                }
            }
        }
        events.subList(mark.events(), events.size()).clear();
        afterCommit.subList(mark.actions(), afterCommit.size()).clear();
    }

    /** What a batch changed, as the rows to write: immutable, handed to the committer thread. */
    record Changes(List<SwarmRow> newSwarms, List<SwarmRow> changedSwarms, List<TaskRow> newTasks,
            List<TaskRow> changedTasks, List<AgentRow> agents, List<LockRow> putLocks, List<LockRow.Key> removedLocks,
            long fencingToken, List<Event> events, List<Runnable> afterCommit)
            implements hive.store.WriterSession.ChangeSet {

        @Override
        public boolean isEmpty() {
            return newSwarms.isEmpty() && changedSwarms.isEmpty() && newTasks.isEmpty() && changedTasks.isEmpty()
                    && agents.isEmpty() && putLocks.isEmpty() && removedLocks.isEmpty() && fencingToken < 0
                    && events.isEmpty();
        }

        void writeTo(SqliteWrites sql) {
            sql.insertSwarms(newSwarms);
            sql.updateSwarms(changedSwarms);
            sql.insertTasks(newTasks);
            sql.updateTasks(changedTasks);
            sql.putAgents(agents);
            sql.removeLocks(removedLocks);
            sql.putLocks(putLocks);
            if (fencingToken >= 0) {
                sql.saveFencingToken(fencingToken);
            }
            sql.insertEvents(events);
        }
    }

    /**
     * Everything the batch changed, as rows (the rows are immutable records, safe to hand to another
     * thread); then a fresh start for the next batch. The undo log is dropped: a batch whose commit
     * fails is recovered from by {@link #load} instead.
     */
    Changes seal() {
        List<SwarmRow> insertedSwarms = new ArrayList<>();
        List<SwarmRow> changedSwarms = new ArrayList<>();
        for (String id : dirtySwarms) {
            SwarmRow s = swarms.get(id);
            if (s != null) {
                (newSwarms.contains(id) ? insertedSwarms : changedSwarms).add(s);
            }
        }
        List<TaskRow> insertedTasks = new ArrayList<>();
        List<TaskRow> changedTasks = new ArrayList<>();
        for (long pk : dirtyTasks) {
            TaskRow t = tasks.get(pk);
            if (t != null) {
                (newTasks.contains(pk) ? insertedTasks : changedTasks).add(t);
            }
        }
        List<AgentRow> changedAgents = new ArrayList<>();
        for (String id : dirtyAgents) {
            AgentRow a = agents.get(id);
            if (a != null) {
                changedAgents.add(a);
            }
        }
        List<LockRow> putLocks = new ArrayList<>();
        List<LockRow.Key> removedLocks = new ArrayList<>();
        for (LockRow.Key key : dirtyLocks) {
            LockRow lock = locks.get(key);
            if (lock != null) {
                putLocks.add(lock);
            } else {
                removedLocks.add(key);
            }
        }
        Changes changes = new Changes(insertedSwarms, changedSwarms, insertedTasks, changedTasks, changedAgents,
                putLocks, removedLocks, tokenDirty ? tokenReserved : -1, List.copyOf(events), List.copyOf(afterCommit));
        events.clear();
        afterCommit.clear();
        forgetBatch();
        return changes;
    }

    private void forgetBatch() {
        // After a large batch (a swarm of many tasks) start from small collections again: clearing
        // a hash set costs its capacity, not its size, and the next batches are small.
        if (dirtyTasks.size() > SMALL || undo.size() > SMALL) {
            dirtyTasks = new LinkedHashSet<>();
            newTasks = new HashSet<>();
            undo = new ArrayList<>();
        } else {
            dirtyTasks.clear();
            newTasks.clear();
            undo.clear();
        }
        dirtySwarms.clear();
        newSwarms.clear();
        dirtyAgents.clear();
        dirtyLocks.clear();
        tokenDirty = false;
    }

    // --- index upkeep ---

    private void index(TaskRow t) {
        if (isUnfinished(t.state())) {
            unfinished.computeIfAbsent(t.swarmId(), k -> new HashSet<>()).add(t.pk());
        }
        switch (t.state()) {
            case READY -> {
                QueueKey key = new QueueKey(t.priority(), t.pk());
                readyBySwarm.computeIfAbsent(t.swarmId(), k -> new TreeSet<>()).add(key);
                readyAll.add(key);
            }
            case PENDING -> {
                if (t.notBefore() != null) {
                    retries.add(new TimeKey(t.notBefore().toEpochMilli(), t.pk()));
                }
            }
            case IN_PROGRESS -> {
                if (t.deadline() != null) {
                    deadlines.add(new TimeKey(t.deadline().toEpochMilli(), t.pk()));
                }
                runningByAgent.computeIfAbsent(t.assignedAgent(), k -> new java.util.TreeSet<>()).add(t.pk());
            }
            default -> {
                // finished and blocked tasks are found through their swarm only
            }
        }
    }

    private static boolean isUnfinished(TaskState state) {
        return state == TaskState.PENDING || state == TaskState.READY || state == TaskState.IN_PROGRESS
                || state == TaskState.BLOCKED;
    }

    private void unindex(TaskRow t) {
        if (isUnfinished(t.state())) {
            Set<Long> open = unfinished.get(t.swarmId());
            if (open != null) {
                open.remove(t.pk());
            }
        }
        switch (t.state()) {
            case READY -> {
                QueueKey key = new QueueKey(t.priority(), t.pk());
                TreeSet<QueueKey> queue = readyBySwarm.get(t.swarmId());
                if (queue != null) {
                    queue.remove(key);
                }
                readyAll.remove(key);
            }
            case PENDING -> {
                if (t.notBefore() != null) {
                    retries.remove(new TimeKey(t.notBefore().toEpochMilli(), t.pk()));
                }
            }
            case IN_PROGRESS -> {
                if (t.deadline() != null) {
                    deadlines.remove(new TimeKey(t.deadline().toEpochMilli(), t.pk()));
                }
                Set<Long> running = runningByAgent.get(t.assignedAgent());
                if (running != null) {
                    running.remove(t.pk());
                    if (running.isEmpty()) {
                        runningByAgent.remove(t.assignedAgent());
                    }
                }
            }
            default -> {
                // not indexed
            }
        }
    }

    private void put(TaskRow row) {
        TaskRow old = tasks.put(row.pk(), row);
        if (old == null) {
            throw new IllegalStateException("no task with key " + row.pk());
        }
        unindex(old);
        index(row);
        undo.add(new TaskUndo(row.pk(), old));
        if (!stored(row).equals(stored(old))) {
            dirtyTasks.add(row.pk());
        }
    }

    /**
     * A task as the file holds it (see {@link SqliteRows#storedState}): without its count of open
     * dependencies and with {@code ready} as {@code pending}. A change that leaves this the same,
     * such as a dependency completing, is not written.
     */
    private static TaskRow stored(TaskRow t) {
        return t.with(t.state() == TaskState.READY ? TaskState.PENDING : t.state(), 0, t.attempt(),
                t.assignedAgent(), t.result(), t.error(), t.blockedBy(), t.notBefore(), t.deadline(), t.startedAt(),
                t.finishedAt());
    }

    private void restoreTask(long pk, TaskRow old) {
        TaskRow current = tasks.remove(pk);
        if (current != null) {
            unindex(current);
        }
        if (old != null) {
            tasks.put(pk, old);
            index(old);
        } else if (current != null) {
            taskIds.get(current.swarmId()).remove(current.id());
            removeLast(swarmTasks.get(current.swarmId()), pk);
        }
    }

    private void putSwarm(SwarmRow row, SwarmRow old) {
        swarms.put(row.id(), row);
        undo.add(new SwarmUndo(row.id(), old));
        dirtySwarms.add(row.id());
    }

    private void addEdge(long task, long dep) {
        dependents.computeIfAbsent(dep, k -> new ArrayList<>(2)).add(task);
        dependencies.computeIfAbsent(task, k -> new ArrayList<>(3)).add(dep);
    }

    private static void removeLast(List<Long> list, long value) {
        if (list != null) {
            list.remove(list.lastIndexOf(value));
        }
    }

    private SwarmRow requireSwarm(String swarmId) {
        SwarmRow row = swarms.get(swarmId);
        if (row == null) {
            throw new IllegalStateException("no swarm " + swarmId);
        }
        return row;
    }

    // --- StoreTx: swarms ---

    @Override
    public void insertSwarm(SwarmRow swarm) {
        if (swarms.containsKey(swarm.id())) {
            throw new IllegalStateException("swarm " + swarm.id() + " exists already");
        }
        putSwarm(swarm, null);
        newSwarms.add(swarm.id());
    }

    @Override
    public Optional<SwarmRow> swarm(String swarmId) {
        return Optional.ofNullable(swarms.get(swarmId));
    }

    @Override
    public List<SwarmRow> swarms() {
        return List.copyOf(swarms.values());
    }

    @Override
    public void updateSwarmFlags(String swarmId, boolean paused, boolean cancelled) {
        SwarmRow s = requireSwarm(swarmId);
        putSwarm(new SwarmRow(s.id(), s.name(), s.goal(), s.workspace(), s.defaults(), s.createdAt(), paused,
                cancelled, s.counters(), s.lastEventSeq()), s);
    }

    @Override
    public SwarmRow advanceSwarm(String swarmId, Counters delta, int eventCount) {
        SwarmRow s = requireSwarm(swarmId);
        SwarmRow next = new SwarmRow(s.id(), s.name(), s.goal(), s.workspace(), s.defaults(), s.createdAt(),
                s.paused(), s.cancelled(), s.counters().plus(delta), s.lastEventSeq() + eventCount);
        putSwarm(next, s);
        return next;
    }

    // --- StoreTx: tasks ---

    @Override
    public List<TaskRow> insertTasks(List<TaskRow> rows) {
        List<TaskRow> inserted = new ArrayList<>(rows.size());
        for (TaskRow t : rows) {
            long pk = nextPk++;
            TaskRow row = new TaskRow(pk, t.swarmId(), t.id(), t.title(), t.description(), t.role(), t.agent(),
                    t.priority(), t.weight(), t.dependsOn(), t.files(), t.run(), t.maxAttempts(), t.timeoutS(),
                    t.backoffS(), t.state(), t.remainingDeps(), t.attempt(), t.assignedAgent(), t.result(), t.error(),
                    t.blockedBy(), t.notBefore(), t.deadline(), t.createdAt(), t.startedAt(), t.finishedAt());
            Map<String, Long> ids = taskIds.computeIfAbsent(row.swarmId(), k -> new HashMap<>());
            if (ids.putIfAbsent(row.id(), pk) != null) {
                throw new IllegalStateException("task " + row.id() + " exists already in " + row.swarmId());
            }
            tasks.put(pk, row);
            swarmTasks.computeIfAbsent(row.swarmId(), k -> new ArrayList<>()).add(pk);
            index(row);
            undo.add(new TaskUndo(pk, null));
            dirtyTasks.add(pk);
            newTasks.add(pk);
                inserted.add(row);
        }
        return inserted;
    }

    @Override
    public void insertDependencies(List<long[]> edges) {
        for (long[] e : edges) {
            addEdge(e[0], e[1]);
            undo.add(new EdgeUndo(e[0], e[1]));
        }
    }

    @Override
    public Optional<TaskRow> task(String swarmId, String taskId) {
        Map<String, Long> ids = taskIds.get(swarmId);
        Long pk = ids == null ? null : ids.get(taskId);
        return pk == null ? Optional.empty() : Optional.of(tasks.get(pk));
    }

    @Override
    public Map<String, TaskRow> tasks(String swarmId, Collection<String> ids) {
        Map<String, TaskRow> found = new LinkedHashMap<>();
        for (String id : ids) {
            task(swarmId, id).ifPresent(t -> found.put(id, t));
        }
        return found;
    }

    @Override
    public List<TaskRow> tasks(String swarmId, Optional<TaskState> state) {
        List<TaskRow> list = new ArrayList<>();
        for (long pk : swarmTasks.getOrDefault(swarmId, List.of())) {
            TaskRow t = tasks.get(pk);
            if (state.isEmpty() || t.state() == state.get()) {
                list.add(t);
            }
        }
        return list;
    }

    @Override
    public void updateTask(TaskRow task) {
        put(task);
    }

    @Override
    public List<TaskRow> dependents(long taskPk) {
        return rows(dependents.get(taskPk));
    }

    @Override
    public List<TaskRow> dependencies(long taskPk) {
        return rows(dependencies.get(taskPk));
    }

    private List<TaskRow> rows(List<Long> pks) {
        if (pks == null) {
            return List.of();
        }
        List<TaskRow> rows = new ArrayList<>(pks.size());
        for (long pk : pks) {
            rows.add(tasks.get(pk));
        }
        return rows;
    }

    @Override
    public List<TaskRow> completeDependency(long taskPk) {
        List<TaskRow> ready = new ArrayList<>();
        for (TaskRow t : dependents(taskPk)) {
            int remaining = t.remainingDeps() - 1;
            boolean nowReady = remaining == 0 && t.state() == TaskState.PENDING && t.notBefore() == null;
            TaskRow next = t.with(nowReady ? TaskState.READY : t.state(), remaining, t.attempt(), t.assignedAgent(),
                    t.result(), t.error(), t.blockedBy(), t.notBefore(), t.deadline(), t.startedAt(), t.finishedAt());
            put(next);
            if (nowReady) {
                ready.add(next);
            }
        }
        ready.sort(Comparator.comparingLong(TaskRow::pk));
        return ready;
    }

    @Override
    public List<TaskRow> readyQueue(String swarmId, boolean runnableOnly, QueuePosition after, int limit) {
        NavigableSet<QueueKey> queue = swarmId == null ? readyAll : readyBySwarm.get(swarmId);
        if (queue == null) {
            return List.of();
        }
        if (swarmId != null && runnableOnly && !runnable(swarmId)) {
            return List.of();
        }
        if (after != null) {
            queue = queue.tailSet(new QueueKey(after.priority(), after.pk()), false);
        }
        List<TaskRow> page = new ArrayList<>(Math.min(limit, 64));
        for (QueueKey key : queue) {
            TaskRow t = tasks.get(key.pk());
            if (swarmId == null && runnableOnly && !runnable(t.swarmId())) {
                continue;
            }
            page.add(t);
            if (page.size() == limit) {
                break;
            }
        }
        return page;
    }

    private boolean runnable(String swarmId) {
        SwarmRow s = swarms.get(swarmId);
        return s != null && !s.paused() && !s.cancelled();
    }

    @Override
    public List<TaskRow> dueRetries(Instant now, int limit) {
        return firstOnTimeline(retries, now, limit);
    }

    @Override
    public List<TaskRow> overdue(Instant now, int limit) {
        return firstOnTimeline(deadlines, now, limit);
    }

    private List<TaskRow> firstOnTimeline(TreeSet<TimeKey> timeline, Instant now, int limit) {
        List<TaskRow> due = new ArrayList<>();
        for (TimeKey key : timeline.headSet(new TimeKey(now.toEpochMilli(), Long.MAX_VALUE), true)) {
            due.add(tasks.get(key.pk()));
            if (due.size() == limit) {
                break;
            }
        }
        return due;
    }

    @Override
    public int inProgressCount(String agentId) {
        Set<Long> running = runningByAgent.get(agentId);
        return running == null ? 0 : running.size();
    }

    @Override
    public List<TaskRow> runningTasks(String agentId) {
        return rows(List.copyOf(runningByAgent.getOrDefault(agentId, Set.of())));
    }

    // --- StoreTx: locks ---

    private void indexLock(LockRow lock) {
        locks.put(lock.key(), lock);
        locksByWorkspace.computeIfAbsent(lock.workspace(), k -> new LinkedHashSet<>()).add(lock.key());
        locksByAgent.computeIfAbsent(lock.agentId(), k -> new LinkedHashSet<>()).add(lock.key());
        leases.add(new LeaseKey(lock.expiresAt().toEpochMilli(), lock.key()));
    }

    private void unindexLock(LockRow lock) {
        if (lock == null) {
            return;
        }
        locks.remove(lock.key());
        removeFrom(locksByWorkspace, lock.workspace(), lock.key());
        removeFrom(locksByAgent, lock.agentId(), lock.key());
        leases.remove(new LeaseKey(lock.expiresAt().toEpochMilli(), lock.key()));
    }

    private static void removeFrom(Map<String, Set<LockRow.Key>> index, String name, LockRow.Key key) {
        Set<LockRow.Key> keys = index.get(name);
        if (keys != null) {
            keys.remove(key);
            if (keys.isEmpty()) {
                index.remove(name);
            }
        }
    }

    @Override
    public List<LockRow> locks(String workspace) {
        if (workspace == null) {
            return locks.values().stream().sorted(LOCK_ORDER).toList();
        }
        List<LockRow> held = new ArrayList<>();
        for (LockRow.Key key : locksByWorkspace.getOrDefault(workspace, Set.of())) {
            held.add(locks.get(key));
        }
        return held;
    }

    private static final Comparator<LockRow> LOCK_ORDER = Comparator.comparing(LockRow::workspace)
            .thenComparing(l -> l.path().value()).thenComparing(LockRow::agentId);

    @Override
    public List<LockRow> locksOf(String agentId) {
        List<LockRow> held = new ArrayList<>();
        for (LockRow.Key key : locksByAgent.getOrDefault(agentId, Set.of())) {
            held.add(locks.get(key));
        }
        return held;
    }

    @Override
    public void putLock(LockRow lock) {
        LockRow old = locks.get(lock.key());
        unindexLock(old);
        indexLock(lock);
        undo.add(new LockUndo(lock.key(), old));
        dirtyLocks.add(lock.key());
    }

    @Override
    public void removeLock(LockRow lock) {
        LockRow old = locks.get(lock.key());
        if (old == null) {
            return;
        }
        unindexLock(old);
        undo.add(new LockUndo(lock.key(), old));
        dirtyLocks.add(lock.key());
    }

    @Override
    public long nextFencingToken() {
        undo.add(new TokenUndo(fencingToken, tokenReserved, tokenDirty));
        if (fencingToken == tokenReserved) {
            tokenReserved += TOKEN_BLOCK;
            tokenDirty = true;
        }
        return ++fencingToken;
    }

    // --- StoreTx: lock waiters (in memory only) ---

    private void indexWaiter(LockWaiter w) {
        waitersByWorkspace.computeIfAbsent(w.workspace(), k -> new TreeMap<>()).put(w.id(), w);
        waitersByAgent.computeIfAbsent(w.agentId(), k -> new TreeMap<>()).put(w.id(), w);
    }

    private void unindexWaiter(LockWaiter w) {
        removeFrom(waitersByWorkspace, w.workspace(), w.id());
        removeFrom(waitersByAgent, w.agentId(), w.id());
    }

    private static void removeFrom(Map<String, TreeMap<Long, LockWaiter>> index, String key, long id) {
        TreeMap<Long, LockWaiter> waiters = index.get(key);
        if (waiters != null && waiters.remove(id) != null && waiters.isEmpty()) {
            index.remove(key);
        }
    }

    @Override
    public void putWaiter(LockWaiter waiter) {
        indexWaiter(waiter);
        undo.add(new WaiterUndo(waiter, true));
    }

    @Override
    public List<LockWaiter> orphanedWaiters(int limit) {
        return List.of(); // every waiter here has a caller in this process, which gives up by itself
    }

    @Override
    public boolean sweepTurn() {
        return true; // one process: nobody else sweeps
    }

    @Override
    public long nextWaiterId() {
        return ++lastWaiterId;
    }

    @Override
    public void removeWaiter(LockWaiter waiter) {
        TreeMap<Long, LockWaiter> queued = waitersByWorkspace.get(waiter.workspace());
        if (queued == null || !queued.containsKey(waiter.id())) {
            return;
        }
        unindexWaiter(waiter);
        undo.add(new WaiterUndo(waiter, false));
    }

    @Override
    public List<LockWaiter> waiters(String workspace) {
        TreeMap<Long, LockWaiter> queued = waitersByWorkspace.get(workspace);
        return queued == null ? List.of() : List.copyOf(queued.values());
    }

    @Override
    public List<LockWaiter> waitersOf(String agentId) {
        TreeMap<Long, LockWaiter> queued = waitersByAgent.get(agentId);
        return queued == null ? List.of() : List.copyOf(queued.values());
    }

    // --- StoreTx: after commit ---

    @Override
    public void afterCommit(Runnable action) {
        afterCommit.add(action);
    }

    @Override
    public List<LockRow> expiredLocks(Instant now, int limit) {
        List<LockRow> expired = new ArrayList<>();
        for (LeaseKey key : leases) {
            if (key.at() > now.toEpochMilli() || expired.size() == limit) {
                break;
            }
            expired.add(locks.get(key.key()));
        }
        return expired;
    }

    // --- StoreTx: agents ---

    private void indexAgent(AgentRow a) {
        agents.put(a.id(), a);
        if (a.expiresAt() != null) {
            sessions.add(new SessionKey(a.expiresAt().toEpochMilli(), a.id()));
        }
    }

    private void unindexAgent(AgentRow a) {
        if (a != null && a.expiresAt() != null) {
            sessions.remove(new SessionKey(a.expiresAt().toEpochMilli(), a.id()));
        }
    }

    @Override
    public Optional<AgentRow> agent(String agentId) {
        return Optional.ofNullable(agents.get(agentId));
    }

    @Override
    public Optional<AgentRow> agentIfFree(String agentId) {
        return agent(agentId); // one writer: nobody else holds it
    }

    @Override
    public List<AgentRow> agents() {
        return agents.values().stream().sorted(Comparator.comparing(AgentRow::id)).toList();
    }

    @Override
    public void putAgent(AgentRow agent) {
        AgentRow old = agents.get(agent.id());
        unindexAgent(old);
        indexAgent(agent);
        undo.add(new AgentUndo(agent.id(), old));
        dirtyAgents.add(agent.id());
    }

    @Override
    public List<AgentRow> expiredSessions(Instant now, int limit) {
        List<AgentRow> expired = new ArrayList<>();
        for (SessionKey key : sessions.headSet(new SessionKey(now.toEpochMilli(), "\uffff"), true)) {
            expired.add(agents.get(key.agentId()));
            if (expired.size() == limit) {
                break;
            }
        }
        return expired;
    }

    @Override
    public Map<TaskState, Integer> cancelUnfinished(String swarmId, Instant at) {
        Map<TaskState, Integer> cancelled = new EnumMap<>(TaskState.class);
        for (long pk : List.copyOf(unfinished.getOrDefault(swarmId, Set.of()))) {
            TaskRow t = tasks.get(pk);
            put(t.with(TaskState.CANCELLED, t.remainingDeps(), t.attempt(), t.assignedAgent(), t.result(), t.error(),
                    List.of(), null, null, t.startedAt(), at));
            cancelled.merge(t.state(), 1, Integer::sum);
        }
        return cancelled;
    }

    // --- StoreTx: events ---

    @Override
    public void insertEvents(List<Event> appended) {
        events.addAll(appended);
    }

    @Override
    public List<Event> events(String swarmId, long afterSeq, int limit) {
        List<Event> found = new ArrayList<>(committed.events(swarmId, afterSeq, limit));
        for (Event e : events) {
            if (found.size() < limit && e.swarmId().equals(swarmId) && e.seq() > afterSeq) {
                found.add(e);
            }
        }
        return found;
    }
}
