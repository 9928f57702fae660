package hive.schedule;

import hive.Conflict;
import hive.Forbidden;
import hive.NotFound;
import hive.agents.AgentProfile;
import hive.events.Event;
import hive.locks.AcquireResult;
import hive.locks.LockMode;
import hive.locks.LockPath;
import hive.locks.LockRequest;
import hive.locks.LockTable;
import hive.plan.Plan;
import hive.plan.TaskSpec;
import hive.store.Counters;
import hive.store.StoreTx;
import hive.store.StoreTx.QueuePosition;
import hive.store.SwarmRow;
import hive.store.TaskRow;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.random.RandomGenerator;

/**
 * The scheduling rules of API.md, written against a {@link StoreTx}: every method is one atomic
 * operation when run inside one store write, and changes counters and appends events with the
 * tasks it changes; a method that changes state answers with its {@link Outcome}, which carries
 * those events. Costs are per task touched: a claim reads the head of the ready queue, a
 * completion its direct dependents, a failure the descendants it blocks.
 *
 * <p>Stateless apart from its clock and random source; thread-safe.
 */
public final class Scheduler {

    /** Backoff never grows past this (API.md). */
    static final double MAX_BACKOFF_S = 300;
    private static final int QUEUE_PAGE = 32;
    private static final int SWEEP_PAGE = 256;

    private final RandomGenerator random;
    private final LockTable locks;

    public Scheduler(RandomGenerator random, LockTable locks) {
        this.random = random;
        this.locks = locks;
    }

    /** How a task names itself on the locks taken for it. */
    static String ref(TaskRow task) {
        return task.swarmId() + "/" + task.id();
    }

    private static List<LockPath> files(TaskRow task) {
        return task.files().stream().map(LockPath::parse).toList();
    }

    /** Releases the locks its agent took on the task's files (a task without files took none). */
    private void releaseFiles(StoreTx tx, TaskRow task, Instant now) {
        if (!task.files().isEmpty()) {
            locks.releaseTask(tx, task.assignedAgent(), ref(task), now);
        }
    }

    /** The locks of other agents on the task's files, in its swarm's workspace. */
    private List<AcquireResult.Conflict> fileConflicts(Transition op, TaskRow task, String agentId) {
        if (task.files().isEmpty()) {
            return List.of();
        }
        return locks.conflicts(op.tx(), agentId, op.swarm(task.swarmId()).workspace(), files(task),
                LockMode.EXCLUSIVE, op.now());
    }

    // --- swarms ---

    /** Creates a swarm from a validated plan: tasks without dependencies ready, the rest pending. */
    public Outcome<SwarmRow> create(StoreTx tx, Plan plan, String swarmId, Instant now) {
        SwarmRow swarm = new SwarmRow(swarmId, plan.name(), plan.goal(), plan.workspace(), plan.defaults(), now,
                false, false, Counters.ZERO, 0);
        tx.insertSwarm(swarm);
        Transition op = new Transition(tx, now);
        insert(op, swarmId, plan.tasks(), Map.of());
        op.event(swarmId, "swarm_created", null, null,
                Map.of("name", plan.name(), "task_count", plan.tasks().size(), "workspace", plan.workspace()));
        List<Event> events = op.finish();
        return new Outcome<>(op.swarm(swarmId), events);
    }

    /**
     * Adds validated tasks to a live swarm. Dependencies on completed tasks are already met; on
     * failed or blocked ones the new task is blocked by the same roots.
     */
    public Outcome<List<TaskRow>> addTasks(StoreTx tx, String swarmId, List<TaskSpec> specs,
            Map<String, TaskRow> existing, Instant now) {
        Transition op = new Transition(tx, now);
        SwarmRow swarm = op.swarm(swarmId);
        if (swarm.cancelled()) {
            throw new Conflict("swarm '" + swarmId + "' is cancelled; no tasks can be added");
        }
        List<TaskRow> added = insert(op, swarmId, specs, existing);
        op.event(swarmId, "tasks_added", null, null,
                Map.of("task_ids", specs.stream().map(TaskSpec::id).toList(), "count", specs.size()));
        return new Outcome<>(added, op.finish());
    }

    private List<TaskRow> insert(Transition op, String swarmId, List<TaskSpec> specs, Map<String, TaskRow> existing) {
        Map<String, Set<String>> roots = blockingRoots(specs, existing);
        List<TaskRow> rows = new ArrayList<>(specs.size());
        Counters delta = Counters.ZERO;
        for (TaskSpec s : specs) {
            int remaining = 0;
            for (String dep : s.dependsOn()) {
                TaskRow old = existing.get(dep);
                if (old == null || old.state() != TaskState.COMPLETED) {
                    remaining++;
                }
            }
            List<String> blockedBy = List.copyOf(roots.getOrDefault(s.id(), Set.of()));
            TaskState state = !blockedBy.isEmpty() ? TaskState.BLOCKED
                    : remaining == 0 ? TaskState.READY : TaskState.PENDING;
            rows.add(new TaskRow(0, swarmId, s.id(), s.title(), s.description(), s.role(), s.agent(), s.priority(),
                    s.weight(), s.dependsOn(), s.files(), s.run(), s.maxAttempts(), s.timeoutS(), s.backoffS(),
                    state, remaining, 0, null, null, null, blockedBy, null, null, op.now(), null, null));
            delta = delta.plus(Counters.move(null, state, s.weight()));
        }
        List<TaskRow> inserted = op.tx().insertTasks(rows);
        Map<String, Long> pks = new HashMap<>(2 * (existing.size() + inserted.size()));
        existing.values().forEach(t -> pks.put(t.id(), t.pk()));
        inserted.forEach(t -> pks.put(t.id(), t.pk()));
        List<long[]> edges = new ArrayList<>(inserted.size() * 3);
        for (TaskRow t : inserted) {
            for (String dep : t.dependsOn()) {
                edges.add(new long[] {t.pk(), pks.get(dep)});
            }
        }
        op.tx().insertDependencies(edges);
        op.counted(swarmId, delta);
        return inserted;
    }

    /**
     * The failed roots that block each new task: they flow from existing failed or blocked
     * dependencies through the new tasks, in dependency order (Kahn's algorithm over the new
     * tasks, O(V + E)). Empty, at no cost, when no existing dependency failed (always, for a new
     * swarm).
     */
    private static Map<String, Set<String>> blockingRoots(List<TaskSpec> specs, Map<String, TaskRow> existing) {
        boolean anyFailed = existing.values().stream()
                .anyMatch(t -> t.state() == TaskState.FAILED || t.state() == TaskState.BLOCKED);
        if (!anyFailed) {
            return Map.of();
        }
        Map<String, TaskSpec> byId = new LinkedHashMap<>();
        specs.forEach(s -> byId.put(s.id(), s));
        Map<String, Set<String>> roots = new HashMap<>();
        for (TaskSpec spec : topological(byId)) {
            Set<String> blockedBy = new LinkedHashSet<>();
            for (String dep : spec.dependsOn()) {
                TaskRow old = existing.get(dep);
                if (old != null) {
                    if (old.state() == TaskState.FAILED) {
                        blockedBy.add(old.id());
                    } else if (old.state() == TaskState.BLOCKED) {
                        blockedBy.addAll(old.blockedBy());
                    }
                } else {
                    blockedBy.addAll(roots.getOrDefault(dep, Set.of()));
                }
            }
            roots.put(spec.id(), blockedBy);
        }
        return roots;
    }

    private static List<TaskSpec> topological(Map<String, TaskSpec> byId) {
        Map<String, Integer> indegree = new HashMap<>();
        Map<String, List<String>> children = new HashMap<>();
        for (TaskSpec s : byId.values()) {
            indegree.putIfAbsent(s.id(), 0);
            for (String dep : s.dependsOn()) {
                if (byId.containsKey(dep)) {
                    indegree.merge(s.id(), 1, Integer::sum);
                    children.computeIfAbsent(dep, k -> new ArrayList<>()).add(s.id());
                }
            }
        }
        ArrayDeque<String> queue = new ArrayDeque<>();
        byId.keySet().forEach(id -> {
            if (indegree.get(id) == 0) {
                queue.add(id);
            }
        });
        List<TaskSpec> order = new ArrayList<>(byId.size());
        while (!queue.isEmpty()) {
            String id = queue.poll();
            order.add(byId.get(id));
            for (String child : children.getOrDefault(id, List.of())) {
                if (indegree.merge(child, -1, Integer::sum) == 0) {
                    queue.add(child);
                }
            }
        }
        if (order.size() != byId.size()) {
            throw new IllegalStateException("a validated plan has a cycle");
        }
        return order;
    }

    public Outcome<SwarmRow> pause(StoreTx tx, String swarmId, Instant now) {
        Transition op = new Transition(tx, now);
        SwarmRow swarm = op.swarm(swarmId);
        if (swarm.status().isFinished()) {
            throw new Conflict("swarm '" + swarmId + "' is " + swarm.status().wire() + "; it cannot be paused");
        }
        if (!swarm.paused()) {
            op.swarmFlags(swarmId, true, false);
            op.event(swarmId, "swarm_paused", null, null, Map.of());
        }
        List<Event> events = op.finish();
        return new Outcome<>(op.swarm(swarmId), events);
    }

    public Outcome<SwarmRow> resume(StoreTx tx, String swarmId, Instant now) {
        Transition op = new Transition(tx, now);
        SwarmRow swarm = op.swarm(swarmId);
        if (swarm.cancelled()) {
            throw new Conflict("swarm '" + swarmId + "' is cancelled; it cannot be resumed");
        }
        if (swarm.paused()) {
            op.swarmFlags(swarmId, false, false);
            op.event(swarmId, "swarm_resumed", null, null, Map.of());
        }
        List<Event> events = op.finish();
        return new Outcome<>(op.swarm(swarmId), events);
    }

    /** Cancels the swarm: every task not completed or failed becomes cancelled. Idempotent. */
    public Outcome<SwarmRow> cancel(StoreTx tx, String swarmId, Instant now) {
        Transition op = new Transition(tx, now);
        SwarmRow swarm = op.swarm(swarmId);
        if (swarm.cancelled()) {
            return new Outcome<>(swarm, List.of());
        }
        if (swarm.status() == SwarmStatus.COMPLETED) {
            throw new Conflict("swarm '" + swarmId + "' is completed; there is nothing to cancel");
        }
        for (TaskRow running : tx.tasks(swarmId, Optional.of(TaskState.IN_PROGRESS))) {
            releaseFiles(tx, running, now);
        }
        Map<TaskState, Integer> cancelled = tx.cancelUnfinished(swarmId, now);
        Counters delta = Counters.ZERO;
        int count = 0;
        for (Map.Entry<TaskState, Integer> e : cancelled.entrySet()) {
            int n = e.getValue();
            count += n;
            delta = delta.plus(new Counters(-n * (e.getKey() == TaskState.PENDING ? 1 : 0),
                    -n * (e.getKey() == TaskState.READY ? 1 : 0), -n * (e.getKey() == TaskState.IN_PROGRESS ? 1 : 0),
                    0, 0, -n * (e.getKey() == TaskState.BLOCKED ? 1 : 0), n, 0, 0));
        }
        op.counted(swarmId, delta);
        op.swarmFlags(swarmId, swarm.paused(), true);
        op.event(swarmId, "swarm_cancelled", null, null, Map.of("cancelled_tasks", count));
        List<Event> events = op.finish();
        return new Outcome<>(op.swarm(swarmId), events);
    }

    // --- handing out work ---

    /**
     * Hands the highest-priority ready task that {@code agent} may take to it, in one step: the
     * task is {@code in_progress} for the agent when this returns. Empty when nothing fits.
     * Tasks whose retry backoff has passed are made ready first.
     */
    public Outcome<Optional<TaskRow>> claim(StoreTx tx, AgentProfile agent, String swarmId, Instant now) {
        Transition op = new Transition(tx, now);
        // A retry whose backoff has passed is ready now, whether or not the sweep has run yet: it
        // competes for this claim by its priority and age like any other ready task.
        promoteDueRetries(op);
        Optional<TaskRow> claimed = Optional.empty();
        if (tx.inProgressCount(agent.id()) < agent.maxTasks()) {
            claimed = firstTakeable(op, agent, swarmId);
        }
        if (claimed.isEmpty() && swarmId != null) {
            op.swarm(swarmId);
        }
        Optional<TaskRow> started = claimed.map(task -> start(op, task, agent.id()));
        return new Outcome<>(started, op.finish());
    }

    /**
     * The first ready task in queue order that the agent may take and whose files are free; the
     * first page is one task.
     */
    private Optional<TaskRow> firstTakeable(Transition op, AgentProfile agent, String swarmId) {
        QueuePosition after = null;
        int limit = 1;
        while (true) {
            List<TaskRow> page = op.tx().readyQueue(swarmId, true, after, limit);
            for (TaskRow candidate : page) {
                if (mayTake(agent, candidate) && fileConflicts(op, candidate, agent.id()).isEmpty()) {
                    return Optional.of(candidate);
                }
            }
            if (page.size() < limit) {
                return Optional.empty();
            }
            after = QueuePosition.of(page.get(page.size() - 1));
            limit = QUEUE_PAGE;
        }
    }

    private static boolean mayTake(AgentProfile agent, TaskRow task) {
        return agent.hasRole(task.role()) && (task.agent() == null || task.agent().equals(agent.id()));
    }

    /** Starts a named task for {@code agent}, or refuses with the reason it is not ready. */
    public Outcome<TaskRow> start(StoreTx tx, String swarmId, String taskId, AgentProfile agent, Instant now) {
        Transition op = new Transition(tx, now);
        promoteDueRetries(op);
        TaskRow task = tx.task(swarmId, taskId).orElseThrow(() -> NotFound.task(swarmId, taskId));
        Readiness readiness = readiness(tx, op.swarm(swarmId), task, agent, now);
        if (!readiness.ready()) {
            throw new Conflict(readiness.reason());
        }
        TaskRow started = start(op, task, agent.id());
        return new Outcome<>(started, op.finish());
    }

    private TaskRow start(Transition op, TaskRow task, String agentId) {
        Instant now = op.now();
        int attempt = task.attempt() + 1;
        if (!task.files().isEmpty()) {
            LockRequest request = new LockRequest(agentId, op.swarm(task.swarmId()).workspace(), files(task),
                    LockMode.EXCLUSIVE, seconds(task.timeoutS()), ref(task));
            if (!(locks.acquire(op.tx(), request, now) instanceof AcquireResult.Granted)) {
                throw new IllegalStateException("files of task " + ref(task) + " were checked free but are held");
            }
        }
        TaskRow started = op.save(task, task.with(TaskState.IN_PROGRESS, task.remainingDeps(), attempt, agentId,
                null, task.error(), List.of(), null, now.plus(seconds(task.timeoutS())), now, null));
        op.event(task.swarmId(), "task_started", task, agentId, Map.of("attempt", attempt));
        return started;
    }

    /** Whether {@code agent} (null: any agent) may start the task now, and why not. */
    public Readiness readiness(StoreTx tx, String swarmId, String taskId, AgentProfile agent, Instant now) {
        SwarmRow swarm = tx.swarm(swarmId).orElseThrow(() -> NotFound.swarm(swarmId));
        TaskRow task = tx.task(swarmId, taskId).orElseThrow(() -> NotFound.task(swarmId, taskId));
        return readiness(tx, swarm, task, agent, now);
    }

    private Readiness readiness(StoreTx tx, SwarmRow swarm, TaskRow task, AgentProfile agent, Instant now) {
        switch (task.state()) {
            case COMPLETED -> {
                return Readiness.no("task '" + task.id() + "' is already completed");
            }
            case IN_PROGRESS -> {
                return Readiness.no("task '" + task.id() + "' is already in progress with agent '"
                        + task.assignedAgent() + "'");
            }
            case FAILED -> {
                return Readiness.no("task '" + task.id() + "' failed: " + task.error());
            }
            case CANCELLED -> {
                return Readiness.no("task '" + task.id() + "' was cancelled with its swarm");
            }
            case BLOCKED -> {
                return Readiness.no("blocked: " + (task.blockedBy().size() == 1 ? "dependency " : "dependencies ")
                        + quoted(task.blockedBy()) + " failed");
            }
            case PENDING -> {
                List<String> unmet = new ArrayList<>();
                for (TaskRow dep : tx.dependencies(task.pk())) {
                    if (dep.state() != TaskState.COMPLETED) {
                        unmet.add("'" + dep.id() + "' (" + dep.state().wire() + ")");
                    }
                }
                if (!unmet.isEmpty()) {
                    return Readiness.no("waiting for " + (unmet.size() == 1 ? "dependency " : "dependencies ")
                            + String.join(", ", unmet));
                }
                if (task.notBefore() != null && task.notBefore().isAfter(now)) {
                    return Readiness.no("retry " + (task.attempt() + 1) + " of " + task.maxAttempts()
                            + " waits for its backoff until " + task.notBefore());
                }
            }
            case READY -> {
                // dependencies met: the swarm and the agent decide
            }
        }
        if (swarm.cancelled()) {
            return Readiness.no("swarm '" + swarm.id() + "' is cancelled");
        }
        if (swarm.paused()) {
            return Readiness.no("swarm '" + swarm.id() + "' is paused");
        }
        if (agent != null) {
            if (task.agent() != null && !task.agent().equals(agent.id())) {
                return Readiness.no("task '" + task.id() + "' is reserved for agent '" + task.agent() + "'");
            }
            if (!agent.hasRole(task.role())) {
                return Readiness.no("task '" + task.id() + "' needs role '" + task.role() + "'; agent '" + agent.id()
                        + "' has " + (agent.roles().isEmpty() ? "no roles" : "roles " + quoted(agent.roles())));
            }
            int held = tx.inProgressCount(agent.id());
            if (held >= agent.maxTasks()) {
                return Readiness.no("agent '" + agent.id() + "' already holds " + held + " task"
                        + (held == 1 ? "" : "s") + " (max_tasks " + agent.maxTasks() + ")");
            }
        }
        if (!task.files().isEmpty()) {
            List<AcquireResult.Conflict> conflicts = locks.conflicts(tx, agent == null ? "" : agent.id(),
                    swarm.workspace(), files(task), LockMode.EXCLUSIVE, now);
            if (!conflicts.isEmpty()) {
                AcquireResult.Conflict c = conflicts.get(0);
                return Readiness.no(c.queued()
                        ? "file '" + c.path() + "' is waited for by agent '" + c.heldBy() + "', queued first ('"
                                + c.heldPath() + "', " + c.heldMode().wire() + ", until " + c.expiresAt() + ")"
                        : "file '" + c.path() + "' is locked by agent '" + c.heldBy() + "' ('"
                                + c.heldPath() + "', " + c.heldMode().wire() + ", until " + c.expiresAt() + ")");
            }
        }
        return Readiness.yes();
    }

    private static String quoted(java.util.Collection<String> ids) {
        return String.join(", ", ids.stream().sorted().map(id -> "'" + id + "'").toList());
    }

    // --- finishing work ---

    /** Completes a task held by {@code agentId}; dependents with nothing left to wait for become ready. */
    public Outcome<TaskRow> complete(StoreTx tx, String swarmId, String taskId, String agentId, String result,
            Instant now) {
        Transition op = new Transition(tx, now);
        TaskRow task = held(tx, swarmId, taskId, agentId);
        TaskRow done = op.save(task, task.with(TaskState.COMPLETED, task.remainingDeps(), task.attempt(),
                task.assignedAgent(), result, null, List.of(), null, null, task.startedAt(), now));
        releaseFiles(tx, task, now);
        op.event(swarmId, "task_completed", task, agentId, Map.of("attempt", task.attempt()));
        for (TaskRow ready : tx.completeDependency(task.pk())) {
            op.counted(ready.withState(TaskState.PENDING), TaskState.READY);
            op.event(swarmId, "task_ready", ready, null, Map.of());
        }
        return new Outcome<>(done, op.finish());
    }

    /**
     * Fails the attempt of a task held by {@code agentId}. With attempts left and
     * {@code retryable}, the task waits out its backoff and runs again; otherwise it fails and
     * every task that depends on it, directly or not, is blocked by it.
     */
    public Outcome<TaskRow> fail(StoreTx tx, String swarmId, String taskId, String agentId, String error,
            boolean retryable, Instant now) {
        Transition op = new Transition(tx, now);
        TaskRow task = held(tx, swarmId, taskId, agentId);
        TaskRow failed = failAttempt(op, task, error, retryable);
        return new Outcome<>(failed, op.finish());
    }

    private TaskRow held(StoreTx tx, String swarmId, String taskId, String agentId) {
        TaskRow task = tx.task(swarmId, taskId).orElseThrow(() -> NotFound.task(swarmId, taskId));
        if (task.state() != TaskState.IN_PROGRESS) {
            throw new Conflict("task '" + taskId + "' is " + task.state().wire() + ", not in progress");
        }
        if (!task.assignedAgent().equals(agentId)) {
            throw new Forbidden("task '" + taskId + "' is held by agent '" + task.assignedAgent() + "', not '"
                    + agentId + "'");
        }
        return task;
    }

    private TaskRow failAttempt(Transition op, TaskRow task, String error, boolean retryable) {
        Instant now = op.now();
        String agentId = task.assignedAgent();
        releaseFiles(op.tx(), task, now);
        if (retryable && task.attempt() < task.maxAttempts()) {
            Duration delay = backoff(task.backoffS(), task.attempt());
            boolean immediately = delay.isZero();
            TaskRow retrying = op.save(task, task.with(immediately ? TaskState.READY : TaskState.PENDING,
                    task.remainingDeps(), task.attempt(), null, null, error, List.of(),
                    immediately ? null : now.plus(delay), null, task.startedAt(), null));
            Map<String, Object> data = new LinkedHashMap<>();
            data.put("attempt", task.attempt());
            data.put("error", error);
            data.put("will_retry", true);
            if (!immediately) {
                data.put("not_before", retrying.notBefore().toString());
            }
            op.event(task.swarmId(), "task_failed", task, agentId, data);
            return retrying;
        }
        TaskRow failed = op.save(task, task.with(TaskState.FAILED, task.remainingDeps(), task.attempt(), agentId,
                null, error, List.of(), null, null, task.startedAt(), now));
        op.event(task.swarmId(), "task_failed", task, agentId,
                Map.of("attempt", task.attempt(), "error", error, "will_retry", false));
        block(op, failed);
        return failed;
    }

    /** Blocks every descendant of a failed root with it (breadth-first, each once). */
    private static void block(Transition op, TaskRow root) {
        ArrayDeque<TaskRow> queue = new ArrayDeque<>(op.tx().dependents(root.pk()));
        Set<Long> seen = new HashSet<>();
        while (!queue.isEmpty()) {
            TaskRow task = queue.poll();
            if (!seen.add(task.pk()) || task.state() == TaskState.COMPLETED || task.state() == TaskState.CANCELLED) {
                continue;
            }
            List<String> roots = new ArrayList<>(task.blockedBy());
            if (!roots.contains(root.id())) {
                roots.add(root.id());
            }
            TaskRow blocked = op.save(task, task.withBlockedBy(TaskState.BLOCKED, roots));
            op.event(task.swarmId(), "task_blocked", blocked, null, Map.of("blocked_by", roots));
            queue.addAll(op.tx().dependents(task.pk()));
        }
    }

    /**
     * Gives a failed task a fresh set of attempts, or a blocked task's failed roots; the tasks they
     * blocked wait for them again.
     */
    public Outcome<TaskRow> retry(StoreTx tx, String swarmId, String taskId, Instant now) {
        Transition op = new Transition(tx, now);
        SwarmRow swarm = op.swarm(swarmId);
        if (swarm.cancelled()) {
            throw new Conflict("swarm '" + swarmId + "' is cancelled; its tasks cannot be retried");
        }
        TaskRow task = tx.task(swarmId, taskId).orElseThrow(() -> NotFound.task(swarmId, taskId));
        switch (task.state()) {
            case FAILED -> revive(op, task);
            case BLOCKED -> {
                for (TaskRow root : tx.tasks(swarmId, task.blockedBy()).values()) {
                    if (root.state() == TaskState.FAILED) {
                        revive(op, root);
                    }
                }
            }
            default -> throw new Conflict("only a failed or blocked task can be retried; task '" + taskId + "' is "
                    + task.state().wire());
        }
        TaskRow after = tx.task(swarmId, taskId).orElseThrow();
        return new Outcome<>(after, op.finish());
    }

    private static void revive(Transition op, TaskRow root) {
        TaskState state = root.remainingDeps() == 0 ? TaskState.READY : TaskState.PENDING;
        op.save(root, root.with(state, root.remainingDeps(), 0, null, null, null, List.of(), null, null, null, null));
        op.event(root.swarmId(), "task_retried", root, null, Map.of());
        ArrayDeque<TaskRow> queue = new ArrayDeque<>(op.tx().dependents(root.pk()));
        Set<Long> seen = new HashSet<>();
        while (!queue.isEmpty()) {
            TaskRow task = queue.poll();
            if (!seen.add(task.pk()) || task.state() != TaskState.BLOCKED || !task.blockedBy().contains(root.id())) {
                continue;
            }
            List<String> roots = new ArrayList<>(task.blockedBy());
            roots.remove(root.id());
            TaskState next = !roots.isEmpty() ? TaskState.BLOCKED
                    : task.remainingDeps() == 0 ? TaskState.READY : TaskState.PENDING;
            op.save(task, task.withBlockedBy(next, roots));
            if (roots.isEmpty()) {
                op.event(task.swarmId(), "task_unblocked", task, null, Map.of());
            }
            queue.addAll(op.tx().dependents(task.pk()));
        }
    }

    /**
     * Takes back every task {@code agentId} holds in progress, because the agent is gone or lost:
     * each goes back to {@code ready} with its attempt counted, or fails (blocking its dependents)
     * when it has no attempt left. Returns the tasks as they are now.
     */
    public Outcome<List<TaskRow>> abandon(StoreTx tx, String agentId, String reason, Instant now) {
        Transition op = new Transition(tx, now);
        List<TaskRow> changed = new ArrayList<>();
        for (TaskRow task : tx.runningTasks(agentId)) {
            releaseFiles(tx, task, now);
            if (task.attempt() < task.maxAttempts()) {
                TaskRow requeued = op.save(task, task.with(TaskState.READY, task.remainingDeps(), task.attempt(), null,
                        null, reason, List.of(), null, null, task.startedAt(), null));
                op.event(task.swarmId(), "task_requeued", task, agentId,
                        Map.of("attempt", task.attempt(), "reason", reason));
                changed.add(requeued);
            } else {
                TaskRow failed = op.save(task, task.with(TaskState.FAILED, task.remainingDeps(), task.attempt(),
                        agentId, null, reason, List.of(), null, null, task.startedAt(), now));
                op.event(task.swarmId(), "task_failed", task, agentId,
                        Map.of("attempt", task.attempt(), "error", reason, "will_retry", false));
                block(op, failed);
                changed.add(failed);
            }
        }
        return new Outcome<>(changed, op.finish());
    }

    // --- time ---

    /**
     * Fails running attempts past their timeout (each counts as a retryable failure) and makes
     * ready the tasks whose retry backoff has passed. Safe to run at any moment, on any node.
     * Returns how many tasks it changed.
     */
    public Outcome<Integer> sweep(StoreTx tx, Instant now) {
        Transition op = new Transition(tx, now);
        int changed = promoteDueRetries(op);
        List<TaskRow> overdue;
        do {
            overdue = tx.overdue(now, SWEEP_PAGE);
            for (TaskRow task : overdue) {
                op.event(task.swarmId(), "task_timed_out", task, task.assignedAgent(),
                        Map.of("attempt", task.attempt(), "timeout_s", task.timeoutS()));
                failAttempt(op, task, "timed out after " + trim(task.timeoutS()) + " s (attempt " + task.attempt()
                        + " of " + task.maxAttempts() + ")", true);
                changed++;
            }
        } while (overdue.size() == SWEEP_PAGE);
        changed += promoteDueRetries(op);
        return new Outcome<>(changed, op.finish());
    }

    private static int promoteDueRetries(Transition op) {
        int promoted = 0;
        List<TaskRow> due;
        do {
            due = op.tx().dueRetries(op.now(), SWEEP_PAGE);
            for (TaskRow task : due) {
                op.save(task, task.with(TaskState.READY, task.remainingDeps(), task.attempt(), null, null,
                        task.error(), List.of(), null, null, task.startedAt(), null));
                op.event(task.swarmId(), "task_ready", task, null, Map.of("attempt", task.attempt() + 1));
                promoted++;
            }
        } while (due.size() == SWEEP_PAGE);
        return promoted;
    }

    /**
     * The delay before retry {@code attempt + 1}: {@code backoffS * 2^(attempt-1)}, capped at 300 s,
     * with "equal jitter" (half fixed, half random) so that tasks failed together do not all come
     * back at the same instant.
     */
    Duration backoff(double backoffS, int attempt) {
        if (backoffS <= 0) {
            return Duration.ZERO;
        }
        double full = Math.min(MAX_BACKOFF_S, backoffS * Math.pow(2, Math.max(0, attempt - 1)));
        double jittered = full / 2 + random.nextDouble() * full / 2;
        return Duration.ofMillis(Math.max(1, Math.round(jittered * 1000)));
    }

    private static Duration seconds(double s) {
        return Duration.ofMillis(Math.round(s * 1000));
    }

    private static String trim(double s) {
        return s == Math.rint(s) ? Long.toString((long) s) : Double.toString(s);
    }
}
