package hive;

import com.fasterxml.jackson.databind.JsonNode;
import hive.agents.Agent;
import hive.agents.AgentProfile;
import hive.agents.Departure;
import hive.agents.Registration;
import hive.agents.Sessions;
import hive.events.Event;
import hive.locks.AcquireResult;
import hive.locks.Lock;
import hive.locks.LockPath;
import hive.locks.LockRequest;
import hive.locks.LockTable;
import hive.plan.Plan;
import hive.plan.PlanFormat;
import hive.plan.Plans;
import hive.plan.TaskSpec;
import hive.schedule.Outcome;
import hive.schedule.Progress;
import hive.schedule.Readiness;
import hive.schedule.Scheduler;
import hive.schedule.Swarm;
import hive.schedule.Task;
import hive.schedule.TaskState;
import hive.store.AgentRow;
import hive.store.Durability;
import hive.store.LockRow;
import hive.store.Store;
import hive.store.StoreTx;
import hive.store.SwarmRow;
import hive.store.TaskRow;
import hive.store.sqlite.SqliteStore;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HiveMind in-process: the one entry point that the server, the CLI and embedding users call —
 * swarms and their tasks, agent sessions, and file locks. Every method that changes state is one
 * atomic store operation (group-committed with others arriving at the same moment) that also
 * appends its events; it returns once committed, after logging each state change it made at INFO
 * as one structured line (a short message and key-value pairs: docs/api.md, "Logs"). Queries read
 * a committed snapshot, or run in the writer's order when they need its indexes (the ready queue,
 * readiness, agents).
 *
 * <p>Errors: {@link NotFound} for an unknown swarm, task or agent; {@link Conflict} when the state
 * does not allow the request (including a lost or gone agent acting); {@link Forbidden} when acting
 * on another agent's task or lock, or locking outside an agent's allowed paths;
 * {@link hive.plan.PlanRejected} for an invalid plan; {@link IllegalArgumentException} for a bad
 * path, registration or wait. A lock that cannot be had is not an error: it is
 * {@link hive.locks.AcquireResult.Conflicted} (or {@link hive.locks.AcquireResult.Deadlocked}
 * for a wait that would close a cycle). Thread-safe.
 */
public final class Hive implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Hive.class);

    /** The longest a lock request may wait (API.md {@code wait_s}: at most 60). */
    public static final Duration MAX_WAIT = Duration.ofSeconds(60);

    /** How long an agent may stay silent before it is lost (API.md: 60 s). */
    public static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofSeconds(60);

    private final Store store;
    private final InstantSource clock;
    private final LockTable locks;
    private final Scheduler scheduler;
    private final Sessions sessions;
    private final ScheduledExecutorService sweeper;
    /** Set by {@link #endWaits()}: requests no longer wait. */
    private volatile boolean waitsEnded;
    /** Set by {@link #close()}. */
    private volatile boolean closing;
    /** Set while background sweeps fail (the store is unreachable), so that an outage is logged once. */
    private volatile boolean sweepFailing;
    private final long sweepEveryMillis;
    /** Waiting claims sleep here; moved on by every change that may let a claim succeed. */
    private final Wakeups claimWakeups = new Wakeups();

    /** Events after which a claim that found nothing may find something. */
    private static final Set<String> CLAIM_WAKING = Set.of("task_ready", "task_completed", "task_failed",
            "task_requeued", "task_timed_out", "task_retried", "task_unblocked", "tasks_added", "swarm_created",
            "swarm_resumed");
    /**
     * A waiting claim tries again at least this often: it renews its agent's session (it is a
     * request in progress), and it finds what a wake-up it missed would have told it (a store
     * shared by nodes may lose one with a node that dies right after a commit).
     */
    private static final Duration CLAIM_KEEPALIVE = Duration.ofSeconds(5);
    /** A waiting lock request looks whether it was granted at least this often, for the same reason. */
    private static final Duration LOCK_LOOK = Duration.ofSeconds(5);

    private Hive(Store store, InstantSource clock, RandomGenerator random, Duration sweepEvery,
            Duration sessionTimeout) {
        this.store = store;
        this.clock = clock;
        this.locks = new LockTable();
        this.scheduler = new Scheduler(random, locks);
        this.sessions = new Sessions(scheduler, locks, sessionTimeout);
        this.sweepEveryMillis = sweepEvery.toMillis();
        store.onWake(new Store.WakeListener() {
            @Override
            public void claimsMayGo() {
                claimWakeups.wakeAll();
            }

            @Override
            public void waitersDequeued(Set<Long> waiterIds) {
                locks.wake(waiterIds);
            }
        });
        store.onCommit(events -> {
            for (Event e : events) {
                if (CLAIM_WAKING.contains(e.type())) {
                    claimWakeups.wakeAll();
                    return;
                }
            }
        });
        if (sweepEvery.isZero()) {
            this.sweeper = null;
        } else {
            this.sweeper = Executors.newSingleThreadScheduledExecutor(
                    Thread.ofPlatform().name("hive-sweeper").daemon(true).factory());
            long every = sweepEvery.toMillis();
            sweeper.scheduleWithFixedDelay(this::sweepQuietly, every, every, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * HiveMind over {@code store}. {@code sweepEvery} is how often timeouts and retry backoffs are
     * checked in the background; {@link Duration#ZERO} leaves that to {@link #sweep()} (tests with
     * an injected clock). Claims make due retries ready by themselves either way.
     */
    public static Hive open(Store store, InstantSource clock, RandomGenerator random, Duration sweepEvery) {
        return open(store, clock, random, sweepEvery, DEFAULT_SESSION_TIMEOUT);
    }

    /** As {@link #open(Store, InstantSource, RandomGenerator, Duration)}, with an agent session timeout. */
    public static Hive open(Store store, InstantSource clock, RandomGenerator random, Duration sweepEvery,
            Duration sessionTimeout) {
        return new Hive(store, clock, random, sweepEvery, sessionTimeout);
    }

    /** HiveMind on a SQLite file, on the system clock, sweeping every second. */
    public static Hive sqlite(Path file) {
        return sqlite(file, Durability.NORMAL);
    }

    /** HiveMind on a SQLite file with the given durability, on the system clock, sweeping every second. */
    public static Hive sqlite(Path file, Durability durability) {
        return open(SqliteStore.open(file, durability), InstantSource.system(), new SecureRandom(),
                Duration.ofSeconds(1));
    }

    public Store store() {
        return store;
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MILLIS);
    }

    // --- swarms ---

    /** Creates a swarm from a validated plan; its tasks without dependencies are ready at once. */
    public Swarm createSwarm(Plan plan) {
        String id = newSwarmId();
        Outcome<SwarmRow> created = store.write(tx -> scheduler.create(tx, plan, id, now()));
        StateLog.events(created.events());
        return created.value().toSwarm();
    }

    /** Parses, validates and creates; {@link hive.plan.PlanRejected} lists every problem. */
    public Swarm createSwarm(String planText, PlanFormat format) {
        return createSwarm(Plans.parse(planText, format));
    }

    /**
     * Adds tasks ({@code tasks} is the JSON array of the request body) to a live swarm, validated
     * together with its existing tasks; the swarm's plan defaults apply. All or nothing.
     */
    public List<Task> addTasks(String swarmId, JsonNode tasks) {
        Outcome<List<TaskRow>> added = store.write(tx -> {
            SwarmRow swarm = tx.swarm(swarmId).orElseThrow(() -> NotFound.swarm(swarmId));
            // The validator asks once for the new ids and every id they depend on; once it has
            // accepted them, the existing ones it found are exactly the existing dependencies.
            Map<String, TaskRow> existing = new HashMap<>();
            List<TaskSpec> specs = Plans.parseAddition(tasks, swarm.defaults(), ids -> {
                existing.putAll(tx.tasks(swarmId, ids));
                return Set.copyOf(existing.keySet());
            });
            return scheduler.addTasks(tx, swarmId, specs, existing, now());
        });
        StateLog.events(added.events());
        return added.value().stream().map(TaskRow::toTask).toList();
    }

    public Swarm swarm(String swarmId) {
        return store.read(tx -> tx.swarm(swarmId).orElseThrow(() -> NotFound.swarm(swarmId))).toSwarm();
    }

    public List<Swarm> swarms() {
        return store.read(tx -> tx.swarms().stream().map(SwarmRow::toSwarm).toList());
    }

    public Swarm pause(String swarmId) {
        Outcome<SwarmRow> paused = store.write(tx -> scheduler.pause(tx, swarmId, now()));
        StateLog.events(paused.events());
        return paused.value().toSwarm();
    }

    public Swarm resume(String swarmId) {
        Outcome<SwarmRow> resumed = store.write(tx -> scheduler.resume(tx, swarmId, now()));
        StateLog.events(resumed.events());
        return resumed.value().toSwarm();
    }

    public Swarm cancel(String swarmId) {
        Outcome<SwarmRow> cancelled = store.write(tx -> scheduler.cancel(tx, swarmId, now()));
        StateLog.events(cancelled.events());
        return cancelled.value().toSwarm();
    }

    // --- tasks ---

    /** The swarm's tasks, oldest first. */
    public List<Task> tasks(String swarmId) {
        return tasks(swarmId, Optional.empty());
    }

    /** The swarm's tasks in {@code state} (all when empty), oldest first. */
    public List<Task> tasks(String swarmId, Optional<TaskState> state) {
        return store.read(tx -> {
            tx.swarm(swarmId).orElseThrow(() -> NotFound.swarm(swarmId));
            return tx.tasks(swarmId, state).stream().map(TaskRow::toTask).toList();
        });
    }

    public Task task(String swarmId, String taskId) {
        return store.read(tx -> {
            tx.swarm(swarmId).orElseThrow(() -> NotFound.swarm(swarmId));
            return tx.task(swarmId, taskId).orElseThrow(() -> NotFound.task(swarmId, taskId)).toTask();
        });
    }

    /**
     * Up to {@code limit} ready tasks of the swarm, highest priority first, then oldest. Read in the
     * writer's order (the ready queue is the writer's index); it changes nothing.
     */
    public List<Task> ready(String swarmId, int limit) {
        return store.write(tx -> {
            tx.swarm(swarmId).orElseThrow(() -> NotFound.swarm(swarmId));
            return tx.readyQueue(swarmId, false, null, limit).stream().map(TaskRow::toTask).toList();
        });
    }

    // --- work ---

    /**
     * Hands {@code agent} the highest-priority ready task it may take (of {@code swarmId}, or of any
     * running swarm when null): the task is {@code in_progress} for it on return. Empty when
     * nothing fits now; this call does not wait.
     */
    public Optional<Task> claim(AgentProfile agent, String swarmId) {
        Outcome<Optional<TaskRow>> claimed = store.write(tx -> asAgent(tx, agent.id(), () -> scheduler.claim(tx, agent, swarmId, now())));
        StateLog.events(claimed.events());
        return claimed.value().map(TaskRow::toTask);
    }

    /**
     * Hands the registered agent {@code agentId} the next task it may take, by its registered
     * roles and {@code max_tasks}, renewing its session. {@link NotFound} for an unknown agent,
     * {@link Conflict} for one that is lost or gone.
     */
    public Optional<Task> claim(String agentId, String swarmId) {
        Outcome<Optional<TaskRow>> claimed = store.write(tx -> asAgent(tx, agentId, () -> {
            AgentRow agent = tx.agent(agentId).orElseThrow(() -> new NotFound("no agent '" + agentId + "'"));
            return scheduler.claim(tx, profile(agent), swarmId, now());
        }));
        StateLog.events(claimed.events());
        return claimed.value().map(TaskRow::toTask);
    }

    /**
     * As {@link #claim(String, String)}, but when nothing fits now, waits up to {@code wait} (at most
     * {@link #MAX_WAIT}) for something to: the claim is tried again whenever a task is made ready,
     * finishes or is requeued, files are released, tasks are added or a swarm is resumed (no
     * polling). The wait renews the agent's session. Empty when nothing fitted in time, or at once
     * when {@code swarmId}'s swarm is finished (nothing more can come from it); an
     * interrupted caller stops waiting (empty) and keeps its interrupt; closing {@code Hive} ends
     * waits with {@link WaitEnded}.
     */
    public Optional<Task> claim(String agentId, String swarmId, Duration wait) {
        checkWait(wait);
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            long seen = claimWakeups.generation();
            Optional<Task> task = claim(agentId, swarmId);
            long left = deadline - System.nanoTime();
            if (task.isPresent() || left <= 0) {
                return task;
            }
            if (swarmId != null && swarm(swarmId).status().isFinished()) {
                return task; // nothing can come from a finished swarm: no use waiting
            }
            try {
                if (!claimWakeups.await(seen, Math.min(left, CLAIM_KEEPALIVE.toNanos()))) {
                    throw new WaitEnded("HiveMind is closing: the claim wait ended");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
            if (Thread.currentThread().isInterrupted()) {
                return Optional.empty(); // interrupted as it was woken: it stops all the same, taking nothing
            }
        }
    }

    private static void checkWait(Duration wait) {
        if (wait.isNegative() || wait.compareTo(MAX_WAIT) > 0) {
            throw new IllegalArgumentException("wait_s must be between 0 and " + MAX_WAIT.toSeconds() + ", got "
                    + wait.toMillis() / 1000.0);
        }
    }

    /**
     * Runs {@code operation} for {@code agentId}: a lost or gone agent is refused first
     * ({@link Conflict}), and the agent's session is renewed, as of when the operation began and,
     * if it took long (it waited for locks that operations of other nodes held), again as of when
     * it is done: an operation never commits a session that ended while it waited.
     */
    private <T> T asAgent(StoreTx tx, String agentId, java.util.function.Supplier<T> operation) {
        Instant began = now();
        sessions.touch(tx, agentId, began);
        T result = operation.get();
        Instant done = now();
        if (done.isAfter(began.plus(LATE_RENEWAL))) {
            sessions.touch(tx, agentId, done);
        }
        return result;
    }

    /** How long an operation may take before it renews its agent's session again at its end. */
    private static final Duration LATE_RENEWAL = Duration.ofMillis(500);

    private static AgentProfile profile(AgentRow agent) {
        return new AgentProfile(agent.id(), agent.roles(), agent.maxTasks());
    }

    // --- locks ---

    /**
     * Locks every path of the request for its agent, all or nothing: {@link AcquireResult.Granted}
     * with the fencing token, or {@link AcquireResult.Conflicted} with the locks in the way (nothing
     * taken). Re-entrant: what the agent holds is renewed. {@link Forbidden} for a path outside the
     * agent's allowed paths. Does not wait.
     */
    public AcquireResult acquire(LockRequest request) {
        AcquireResult result = store.write(tx -> asAgent(tx, request.agentId(), () -> locks.acquire(tx, request, now())));
        if (result instanceof AcquireResult.Granted granted) {
            StateLog.granted(request, granted, -1);
        }
        return result;
    }

    /**
     * As {@link #acquire(LockRequest)}, but a request that cannot be granted now waits up to
     * {@code wait} ({@link Duration#ZERO}: not at all; at most {@link #MAX_WAIT}) for its paths:
     * waiters are granted first come, first served, the moment what held them back is released
     * (or its lease broken, or its agent lost), with no polling. Returns the grant, or, when the
     * time is up, the conflicts still in the way; or at once {@link AcquireResult.Deadlocked}
     * when waiting would close a cycle of agents waiting for each other. While it waits, the
     * agent's session stays alive. An interrupted caller stops waiting and keeps its interrupt.
     */
    public AcquireResult acquire(LockRequest request, Duration wait) {
        checkWait(wait);
        if (wait.isZero() || waitsEnded) {
            return acquire(request);
        }
        long started = System.nanoTime();
        LockTable.Attempt attempt = store.write(tx -> asAgent(tx, request.agentId(), () -> {
            Instant now = now();
            return locks.acquireOrWait(tx, request, now, now.plus(wait));
        }));
        AcquireResult result = switch (attempt) {
            case LockTable.Attempt.Done done -> done.result();
            case LockTable.Attempt.Queued queued -> awaitGrant(queued, wait.toNanos() - (System.nanoTime() - started));
        };
        long waitedMs = (System.nanoTime() - started) / 1_000_000;
        switch (result) {
            case AcquireResult.Granted granted -> StateLog.granted(request, granted, waitedMs);
            case AcquireResult.Deadlocked deadlocked -> StateLog.deadlocked(request, deadlocked);
            case AcquireResult.Conflicted conflicted -> StateLog.waitTimedOut(request, conflicted, waitedMs);
        }
        return result;
    }

    private AcquireResult awaitGrant(LockTable.Attempt.Queued queued, long nanos) {
        boolean interrupted = false;
        long deadline = System.nanoTime() + nanos;
        CompletableFuture<AcquireResult> outcome = queued.outcome();
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                try {
                    return outcome.get(Math.max(0, Math.min(left, LOCK_LOOK.toNanos())), TimeUnit.NANOSECONDS);
                } catch (TimeoutException e) {
                    if (deadline - System.nanoTime() <= 0) {
                        break; // time is up: give up below
                    }
                    outcome = locks.rearm(queued.waiter()); // a while without news: look
                    AcquireResult decided = store.write(tx -> locks.settle(tx, queued.waiter(), now()));
                    if (decided != null) {
                        return decided;
                    }
                    continue;
                } catch (InterruptedException e) {
                    interrupted = true;
                    break;
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof LockTable.DecidedElsewhere) {
                        // Another node may have granted (or dropped) the waiter: look, and wait on if not.
                        outcome = locks.rearm(queued.waiter());
                        AcquireResult decided = store.write(tx -> locks.settle(tx, queued.waiter(), now()));
                        if (decided != null) {
                            return decided;
                        }
                        continue;
                    }
                    if (!(e.getCause() instanceof WaitEnded ended)) {
                        throw new IllegalStateException("a lock wait failed", e.getCause());
                    }
                    if (closing) {
                        throw ended; // the waiters go with the store
                    }
                    // Waits ended, the store goes on for a while (a graceful shutdown): leave the queue
                    // as on a time-out, or a release still to come could grant a lock whose caller was
                    // told it did not get it.
                    try {
                        return store.write(tx -> locks.giveUp(tx, queued.waiter(), now()));
                    } catch (IllegalStateException closed) {
                        throw ended;
                    }
                }
            }
            AcquireResult fallback = store.write(tx -> locks.giveUp(tx, queued.waiter(), now()));
            // Granted meanwhile: its outcome completed before this give-up was acknowledged.
            AcquireResult granted = outcome.isDone() && !outcome.isCompletedExceptionally() ? outcome.join() : null;
            return granted != null ? granted : fallback;
        } finally {
            locks.forget(queued.waiter());
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Releases the agent's locks on {@code paths} in {@code workspace}, or all its locks when
     * {@code paths} is null, and grants the waiters that can go now. {@link Forbidden} for a path
     * that another agent holds. Returns once applied, before it is durable
     * ({@link Store#writeApplied}): lost in a crash, a release leaves the lock held until its
     * lease ends or its agent is lost, never held twice.
     */
    public List<Lock> release(String agentId, String workspace, List<LockPath> paths) {
        List<Lock> released = store.writeApplied(tx -> asAgent(tx, agentId, () -> locks.release(tx, agentId, workspace, paths, now())));
        if (!released.isEmpty()) {
            claimWakeups.wakeAll();
            StateLog.released(agentId, released, null);
        }
        return released;
    }

    /** Renews the agent's locks on {@code paths} (all when null) for {@code ttl}; tokens are kept. */
    public List<Lock> renew(String agentId, String workspace, List<LockPath> paths, Duration ttl) {
        List<Lock> renewed = store.write(tx -> asAgent(tx, agentId, () -> locks.renew(tx, agentId, workspace, paths, ttl, now())));
        StateLog.renewed(agentId, renewed, ttl);
        return renewed;
    }

    /** The locks held in {@code workspace} (in every workspace when null). */
    public List<Lock> locks(String workspace) {
        return store.read(tx -> tx.locks(workspace).stream().map(LockRow::toLock).toList());
    }

    /** Lock figures of this process since it started. */
    public LockTable.Stats lockStats() {
        return locks.stats();
    }

    /** How many tasks are in each state, over every swarm: one read of the swarms' counters. */
    public Map<TaskState, Long> taskCounts() {
        return store.read(tx -> {
            Map<TaskState, Long> counts = new java.util.EnumMap<>(TaskState.class);
            for (TaskState state : TaskState.values()) {
                counts.put(state, 0L);
            }
            for (SwarmRow swarm : tx.swarms()) {
                for (TaskState state : TaskState.values()) {
                    counts.merge(state, (long) swarm.counters().count(state), Long::sum);
                }
            }
            return counts;
        });
    }

    /** The live locks now, and the files they hold, over every workspace. */
    public LockCounts lockCounts() {
        Instant now = now();
        return store.read(tx -> {
            List<LockRow> live = tx.locks(null).stream().filter(l -> l.expiresAt().isAfter(now)).toList();
            long files = live.stream().map(l -> l.workspace() + "\u0000" + l.path().value()).distinct().count();
            return new LockCounts(live.size(), files);
        });
    }

    /** Live locks (one per agent and path) and locked files (distinct paths held, per workspace). */
    public record LockCounts(long activeLocks, long lockedFiles) {
    }

    // --- agents ---

    /**
     * Registers an agent (idempotent: an existing id is returned as registered, its session
     * renewed, and active again if it was lost or gone).
     */
    public Agent register(Registration registration) {
        Agent agent = store.write(tx -> agentView(tx, sessions.register(tx, registration, now())));
        StateLog.registered(agent);
        return agent;
    }

    /** Renews the agent's session: {@link NotFound} if unknown, {@link Conflict} if lost or gone. */
    public Agent heartbeat(String agentId) {
        return store.write(tx -> agentView(tx, sessions.heartbeat(tx, agentId, now())));
    }

    /** The agent leaves: its tasks go back to the queue (or fail with no attempt left). */
    public Agent leave(String agentId) {
        Leaving leaving = store.write(tx -> {
            Optional<Departure> departure = sessions.leave(tx, agentId, now());
            return new Leaving(agentView(tx, tx.agent(agentId).orElseThrow()), departure);
        });
        claimWakeups.wakeAll();
        leaving.departure().ifPresent(StateLog::left);
        return leaving.agent();
    }

    /** An agent after {@link #leave}, and what leaving took back from it (empty when it had already left). */
    private record Leaving(Agent agent, Optional<Departure> departure) {
    }

    public Agent agent(String agentId) {
        return store.write(tx -> agentView(tx,
                tx.agent(agentId).orElseThrow(() -> new NotFound("no agent '" + agentId + "'"))));
    }

    /** Every registered agent, by id, with the tasks each holds. */
    public List<Agent> agents() {
        return store.write(tx -> tx.agents().stream().map(a -> agentView(tx, a)).toList());
    }

    private static Agent agentView(StoreTx tx, AgentRow a) {
        List<String> current = tx.runningTasks(a.id()).stream().map(t -> t.swarmId() + "/" + t.id()).toList();
        return new Agent(a.id(), a.name(), a.roles(), a.maxTasks(), a.allowedPaths(), a.status(), a.registeredAt(),
                a.lastHeartbeat(), current);
    }

    /** Starts the named task for {@code agent}; {@link Conflict} with the reason when it may not. */
    public Task start(String swarmId, String taskId, AgentProfile agent) {
        Outcome<TaskRow> started = store.write(tx -> asAgent(tx, agent.id(), () -> scheduler.start(tx, swarmId, taskId, agent, now())));
        StateLog.events(started.events());
        return started.value().toTask();
    }

    /**
     * Whether the task may start now (for {@code agent}, or for any agent when null), and why not.
     * Decided in the writer's order, by the rules a claim or start would apply; it changes nothing.
     */
    public Readiness readiness(String swarmId, String taskId, AgentProfile agent) {
        return store.write(tx -> scheduler.readiness(tx, swarmId, taskId, agent, now()));
    }

    public Task complete(String swarmId, String taskId, String agentId, String result) {
        Outcome<TaskRow> completed = store.write(tx -> asAgent(tx, agentId, () -> scheduler.complete(tx, swarmId, taskId, agentId, result, now())));
        StateLog.events(completed.events());
        return completed.value().toTask();
    }

    /**
     * Fails the current attempt. With attempts left and {@code retryable}, the task comes back
     * after its backoff; otherwise it fails and blocks every task that depends on it.
     */
    public Task fail(String swarmId, String taskId, String agentId, String error, boolean retryable) {
        Outcome<TaskRow> failed = store.write(tx -> asAgent(tx, agentId, () -> scheduler.fail(tx, swarmId, taskId, agentId, error, retryable, now())));
        StateLog.events(failed.events());
        return failed.value().toTask();
    }

    /** A failed task (or a blocked task's failed roots) back to pending with fresh attempts. */
    public Task retry(String swarmId, String taskId) {
        Outcome<TaskRow> retried = store.write(tx -> scheduler.retry(tx, swarmId, taskId, now()));
        StateLog.events(retried.events());
        return retried.value().toTask();
    }

    /**
     * Seed-shaped progress, read from counters (the same cost for any swarm size), with the live
     * locks of the swarm's workspace as its conflict statistics.
     */
    public Progress progress(String swarmId) {
        Instant now = now();
        return store.read(tx -> {
            SwarmRow swarm = tx.swarm(swarmId).orElseThrow(() -> NotFound.swarm(swarmId));
            var c = swarm.counters();
            double percent = c.total() == 0 ? 0
                    : c.completed() == c.total() ? 100
                    : Math.round(c.weightCompleted() / c.weightTotal() * 1000) / 10.0;
            List<LockRow> held = tx.locks(swarm.workspace()).stream().filter(l -> l.expiresAt().isAfter(now)).toList();
            List<String> files = held.stream().map(l -> l.path().value()).distinct().sorted().toList();
            return new Progress(swarmId, swarm.status(), percent, c.completed(), c.inProgress(),
                    c.pending() + c.ready(), c.failed(), c.blocked(), c.cancelled(), c.total(), c.ready(), false,
                    new Progress.ConflictStats(held.size(), files, c.failed()));
        });
    }

    /** A swarm's events after {@code afterSeq} (0: from the first), at most {@code limit}. */
    public List<Event> events(String swarmId, long afterSeq, int limit) {
        return store.read(tx -> {
            tx.swarm(swarmId).orElseThrow(() -> NotFound.swarm(swarmId));
            return tx.events(swarmId, afterSeq, limit);
        });
    }

    /**
     * Declares lost the agents silent past the session timeout (taking back their tasks and
     * locks), fails attempts past their timeout, readies tasks whose backoff passed and breaks
     * lock leases that ended; returns how many agents, tasks and locks changed.
     */
    public int sweep() {
        Swept swept = store.write(tx -> tx.sweepTurn()
                ? new Swept(sessions.expire(tx, now()), scheduler.sweep(tx, now()), locks.expire(tx, now()))
                : new Swept(List.of(), new Outcome<>(0, List.of()), List.of()));
        int changed = swept.lost().size() + swept.tasks().value() + swept.locks().size();
        if (changed > 0) {
            claimWakeups.wakeAll();
            swept.lost().forEach(lost -> StateLog.lost(lost, sessions.timeout()));
            StateLog.events(swept.tasks().events());
            StateLog.expired(swept.locks());
        }
        return changed;
    }

    /** What one sweep changed: the agents lost, the tasks timed out or made ready, the leases broken. */
    private record Swept(List<Departure> lost, Outcome<Integer> tasks, List<Lock> locks) {
    }

    private void sweepQuietly() {
        try {
            int changed = sweep();
            if (changed > 0) {
                log.debug("sweep changed {} agents, tasks and locks", changed);
            }
            if (sweepFailing) {
                sweepFailing = false;
                log.info("sweep works again");
            }
        } catch (RuntimeException e) {
            if (!sweepFailing) {
                sweepFailing = true; // once per outage, not every second of it
                log.warn("sweep failed; will try again every {} ms", sweepEveryMillis, e);
            } else {
                log.debug("sweep failed again: {}", e.toString());
            }
        }
    }

    private static String newSwarmId() {
        return Ids.make("sw_", 14);
    }

    /**
     * Ends the lock and claim waits in progress, and makes later ones answer at once: a waiting
     * claim gets a {@link WaitEnded}, a lock wait gives up as if its time were up (the conflicts in
     * its way, or the grant if it got one meanwhile). The first step of a graceful shutdown;
     * everything else keeps working.
     */
    public void endWaits() {
        waitsEnded = true;
        locks.endWaits(new WaitEnded("HiveMind is closing: the lock wait ended"));
        claimWakeups.close();
    }

    /**
     * Stops the background sweep, ends lock waits in progress (their callers get an
     * {@link IllegalStateException}), then closes the store (writes under way finish first).
     */
    @Override
    public void close() {
        closing = true;
        endWaits();
        if (sweeper != null) {
            sweeper.shutdownNow();
            try {
                sweeper.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        store.close();
    }
}
