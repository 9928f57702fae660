package hive.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import hive.Conflict;
import hive.Forbidden;
import hive.Hive;
import hive.Hives;
import hive.NotFound;
import hive.RandomPlans;
import hive.TestClock;
import hive.agents.AgentProfile;
import hive.events.Event;
import hive.locks.Lock;
import hive.locks.LockMode;
import hive.locks.LockPath;
import hive.locks.LockRequest;
import hive.plan.Plan;
import hive.schedule.Scheduler;
import hive.schedule.Swarm;
import hive.schedule.SwarmStatus;
import hive.schedule.Task;
import hive.schedule.TaskState;
import hive.store.sqlite.SqliteStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Timeout.ThreadMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The group commit writer's contract, on the real SQLite store: operations queued together commit
 * together; one that throws is reported to its caller alone and leaves no trace; listeners see
 * every committed event once, in order; close finishes queued work and refuses new work.
 *
 * <p>To make a batch on purpose, a {@link Gate} holds the thread that delivers commits inside a
 * listener while other threads queue their operations, one after the other (so the queue order is
 * known); opening the gate lets the writer commit them all as one batch. The tests hold for a
 * writer that runs and commits batches on one thread as well as for one that runs the next batch
 * while another thread commits the previous one.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = ThreadMode.SEPARATE_THREAD)
class GroupCommitWriterTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String GATEKEEPER = "gatekeeper";
    private static final String TEN_TASKS = """
            name: ten
            tasks:
              - {id: t0}
              - {id: t1}
              - {id: t2}
              - {id: t3}
              - {id: t4}
              - {id: t5}
              - {id: t6}
              - {id: t7}
              - {id: t8}
              - {id: t9}
            """;

    @TempDir
    Path dir;
    TestClock clock = new TestClock();
    SqliteStore store;
    Hive hive;
    boolean closed;
    /** Each commit's events, as the listener received them. */
    final List<List<Event>> commits = new CopyOnWriteArrayList<>();
    final AtomicReference<Gate> armedGate = new AtomicReference<>();

    @BeforeEach
    void open() {
        store = SqliteStore.open(dir.resolve("hive.db"), Durability.NORMAL);
        store.onCommit(commits::add);
        store.onCommit(events -> {
            Gate gate = armedGate.get();
            if (gate != null && events.stream().anyMatch(e -> GATEKEEPER.equals(e.agentId()))
                    && armedGate.compareAndSet(gate, null)) {
                gate.hold();
            }
        });
        hive = Hive.open(store, clock, new Random(7), Duration.ZERO);
    }

    /**
     * Holds commits from the one that carries a claim by the gatekeeper (of the next ready task of
     * {@code swarmId}). Only that commit: the listeners of the commits before it may still be
     * running when their callers, acknowledged first, return.
     */
    private Gate gate(String swarmId) {
        return new Gate(() -> assertThat(hive.claim(AgentProfile.of(GATEKEEPER), swarmId)).isPresent());
    }

    @AfterEach
    void close() {
        if (!closed) {
            hive.close();
        }
    }

    /** A swarm t0..t9 (all ready) with t0..t{n-1} claimed by agents a0..a{n-1}. */
    private String swarmWithClaims(int claimed) {
        String swarmId = hive.createSwarm(Hives.yaml(TEN_TASKS)).id();
        for (int i = 0; i < claimed; i++) {
            assertThat(hive.claim(AgentProfile.of("a" + i), swarmId)).map(Task::id).contains("t" + i);
        }
        return swarmId;
    }

    // --- failures inside a batch ---

    @Test
    void refusedOperationIsReportedToItsCallerWhileTheRestOfItsBatchCommits() {
        // given three running tasks and a batch mixing good completions with refused ones
        String swarmId = swarmWithClaims(4);
        Gate gate = gate(swarmId);
        var first = queue(() -> hive.complete(swarmId, "t0", "a0", "ok 0"));
        var notInProgress = queue(() -> hive.complete(swarmId, "t8", "a0", null));
        var second = queue(() -> hive.complete(swarmId, "t1", "a1", "ok 1"));
        var unknown = queue(() -> hive.complete(swarmId, "nope", "a1", null));
        var notTheHolder = queue(() -> hive.complete(swarmId, "t3", "a2", null));
        var third = queue(() -> hive.complete(swarmId, "t2", "a2", "ok 2"));

        // when the writer takes them as one batch
        gate.open();

        // then each refusal goes to its own caller
        assertThat(failure(notInProgress)).isInstanceOf(Conflict.class).hasMessageContaining("'t8'")
                .hasMessageContaining("not in progress");
        assertThat(failure(unknown)).isInstanceOf(NotFound.class).hasMessageContaining("'nope'");
        assertThat(failure(notTheHolder)).isInstanceOf(Forbidden.class).hasMessageContaining("'a3'");
        // and the other operations of the batch commit
        for (var done : List.of(first, second, third)) {
            assertThat(result(done).status()).isEqualTo(TaskState.COMPLETED);
        }
        assertThat(commits).as("one commit delivered the three completions together")
                .anySatisfy(batch -> assertThat(batch).filteredOn(e -> e.type().equals("task_completed"))
                        .extracting(Event::taskId).containsExactly("t0", "t1", "t2"));
        assertThat(hive.tasks(swarmId)).extracting(Task::id, Task::status).startsWith(
                org.assertj.core.groups.Tuple.tuple("t0", TaskState.COMPLETED),
                org.assertj.core.groups.Tuple.tuple("t1", TaskState.COMPLETED),
                org.assertj.core.groups.Tuple.tuple("t2", TaskState.COMPLETED),
                org.assertj.core.groups.Tuple.tuple("t3", TaskState.IN_PROGRESS));
        assertThat(hive.task(swarmId, "t8").status()).isEqualTo(TaskState.READY);
        assertCountersAndEventsExact(swarmId);
    }

    @Test
    void operationThatThrowsAfterWritingIsUndoneForLaterOperationsTheFileAndListeners() {
        // given running tasks t0, t1, t2, and an operation that completes t1 by hand, appends an
        // event, and then throws
        String swarmId = swarmWithClaims(3);
        RuntimeException boom = new IllegalStateException("boom after writing");
        Gate gate = gate(swarmId);
        var before = queue(() -> hive.complete(swarmId, "t0", "a0", "ok 0"));
        var poisoned = queue(() -> store.write(tx -> {
            TaskRow t1 = tx.task(swarmId, "t1").orElseThrow();
            tx.updateTask(t1.with(TaskState.COMPLETED, 0, t1.attempt(), "a1", "poison", null, List.of(), null, null,
                    t1.startedAt(), clock.instant()));
            SwarmRow swarm = tx.advanceSwarm(swarmId, Counters.move(TaskState.IN_PROGRESS, TaskState.COMPLETED, 1), 1);
            tx.insertEvents(List.of(new Event(swarmId, swarm.lastEventSeq(), "poison", "t1", "a1", clock.instant(),
                    Map.of())));
            throw boom;
        }));
        var seenAfter = queue(() -> store.write(tx -> new Seen(tx.task(swarmId, "t1").orElseThrow(),
                tx.swarm(swarmId).orElseThrow(), tx.events(swarmId, 0, 1_000))));
        var after = queue(() -> hive.complete(swarmId, "t2", "a2", "ok 2"));

        // when they run as one batch
        gate.open();

        // then the thrower gets its own exception, the others succeed
        assertThat(failure(poisoned)).isSameAs(boom);
        assertThat(result(before).status()).isEqualTo(TaskState.COMPLETED);
        assertThat(result(after).status()).isEqualTo(TaskState.COMPLETED);

        // and the operation after it saw nothing of it
        Seen seen = result(seenAfter);
        assertThat(seen.t1().state()).as("t1 as seen by the next operation").isEqualTo(TaskState.IN_PROGRESS);
        assertThat(seen.t1().result()).isNull();
        assertThat(seen.swarm().counters().completed()).as("completed count seen by the next operation")
                .isEqualTo(1);
        assertThat(seen.events()).extracting(Event::type).as("events seen by the next operation")
                .doesNotContain("poison").endsWith("task_completed");
        assertThat(seen.swarm().lastEventSeq()).as("last event number seen by the next operation")
                .isEqualTo(seen.events().get(seen.events().size() - 1).seq());

        // and neither the file nor the listeners ever got it
        Task t1 = hive.task(swarmId, "t1");
        assertThat(t1.status()).isEqualTo(TaskState.IN_PROGRESS);
        assertThat(t1.result()).isNull();
        assertThat(commits).flatExtracting(batch -> batch).extracting(Event::type).doesNotContain("poison");
        assertThat(hive.events(swarmId, 0, 1_000)).extracting(Event::type).doesNotContain("poison");
        assertCountersAndEventsExact(swarmId);

        // and the writer's own copy is intact: t1 can still be completed by its holder
        assertThat(hive.complete(swarmId, "t1", "a1", "ok 1").status()).isEqualTo(TaskState.COMPLETED);
        assertCountersAndEventsExact(swarmId);
    }

    private record Seen(TaskRow t1, SwarmRow swarm, List<Event> events) {
    }

    @Test
    void operationThatThrowsAfterCreatingASwarmLeavesNeitherSwarmNorTasks() {
        // given a running swarm, and an operation that creates a swarm of urgent tasks, then throws
        String swarmId = swarmWithClaims(0);
        Plan urgent = Hives.yaml("""
                name: ghost
                tasks:
                  - {id: g0, priority: 100}
                  - {id: g1, priority: 100, depends_on: [g0]}
                """);
        Gate gate = gate(swarmId);
        var ghost = queue(() -> store.write(tx -> {
            new Scheduler(new Random(1), new hive.locks.LockTable()).create(tx, urgent, "sw_ghost", clock.instant());
            throw new IllegalStateException("created, then failed");
        }));
        var claim = queue(() -> hive.claim(AgentProfile.of("a0"), null));

        // when they run as one batch
        gate.open();

        // then the later claim, over every swarm, did not see the ghost's urgent tasks
        assertThat(failure(ghost)).hasMessage("created, then failed");
        assertThat(result(claim)).map(Task::swarmId).as("swarm of the claimed task").contains(swarmId);
        assertThat(hive.swarms()).extracting(Swarm::id).containsExactly(swarmId);
        assertThatThrownBy(() -> hive.swarm("sw_ghost")).isInstanceOf(NotFound.class);
        Optional<SwarmRow> ghostSwarm = store.write(tx -> tx.swarm("sw_ghost"));
        Optional<TaskRow> ghostTask = store.write(tx -> tx.task("sw_ghost", "g0"));
        List<TaskRow> readyQueue = store.write(tx -> tx.readyQueue(null, false, null, 100));
        assertThat(ghostSwarm).as("ghost in the writer's copy").isEmpty();
        assertThat(ghostTask).as("ghost task in the writer's copy").isEmpty();
        assertThat(readyQueue).extracting(TaskRow::swarmId).as("ready queue of the writer's copy")
                .containsOnly(swarmId);

        // and the same swarm can be created for real afterwards
        String created = store.write(tx -> new Scheduler(new Random(1), new hive.locks.LockTable()).create(tx, urgent, "sw_ghost",
                clock.instant())).value().id();
        assertThat(hive.tasks(created)).extracting(Task::id, Task::status).containsExactly(
                org.assertj.core.groups.Tuple.tuple("g0", TaskState.READY),
                org.assertj.core.groups.Tuple.tuple("g1", TaskState.PENDING));
        assertCountersAndEventsExact(created);
    }

    @Test
    void failedCommitFailsEveryOperationOfItsBatchAndTheStoreGoesOnFromWhatIsDurable() {
        // given a batch in which one operation appends an event that the file refuses at commit
        // (its number is taken), between two good completions
        String swarmId = swarmWithClaims(2);
        Gate gate = gate(swarmId);
        var good = queue(() -> hive.complete(swarmId, "t0", "a0", "ok 0"));
        var clash = queue(() -> store.write(tx -> {
            tx.insertEvents(List.of(new Event(swarmId, 1, "clash", null, null, clock.instant(), Map.of())));
            return "accepted by the writer";
        }));
        var alsoGood = queue(() -> hive.complete(swarmId, "t1", "a1", "ok 1"));

        // when the batch commits
        gate.open();

        // then every operation of the batch fails with StoreFailure, and nothing of it is stored
        for (var call : List.of(good, clash, alsoGood)) {
            assertThat(failure(call)).isInstanceOf(StoreFailure.class).hasMessageContaining("could not commit");
        }
        assertThat(hive.tasks(swarmId, Optional.of(TaskState.IN_PROGRESS))).extracting(Task::id)
                .as("tasks still running").containsExactly("t0", "t1", "t2");
        assertThat(hive.events(swarmId, 0, 1_000)).extracting(Event::type).doesNotContain("clash");
        assertThat(commits).flatExtracting(batch -> batch).extracting(Event::type).as("events delivered")
                .doesNotContain("clash");
        assertCountersAndEventsExact(swarmId);

        // and the writer goes on from what is durable: the same completions succeed now
        assertThat(hive.complete(swarmId, "t0", "a0", "ok 0").status()).isEqualTo(TaskState.COMPLETED);
        assertThat(hive.complete(swarmId, "t1", "a1", "ok 1").status()).isEqualTo(TaskState.COMPLETED);
        assertCountersAndEventsExact(swarmId);
    }

    @Test
    void operationMayNotSubmitAnotherOperation() {
        assertThatThrownBy(() -> store.write(tx -> store.write(inner -> 1))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("may not submit another");
        int after = store.write(tx -> 2);
        assertThat(after).as("the writer still works").isEqualTo(2);
    }

    // --- after-commit actions and writes acknowledged once applied ---

    @Test
    void afterCommitActionsRunOnceDurableInOrderBeforeTheCallerReturnsAndNotForUndoneOperations() {
        List<String> ran = new CopyOnWriteArrayList<>();
        LockRequest request = LockRequest.exclusive("alice", "a.txt");

        store.write(tx -> {
            tx.putLock(new LockRow("default", LockPath.parse("a.txt"), "alice", LockMode.EXCLUSIVE, null,
                    tx.nextFencingToken(), clock.instant(), clock.instant().plus(request.ttl())));
            tx.afterCommit(() -> ran.add("first, sees " + store.read(r -> r.locks("default")).size() + " lock"));
            tx.afterCommit(() -> ran.add("second"));
            return null;
        });
        assertThat(ran).as("run before the caller returned, on a durable store")
                .containsExactly("first, sees 1 lock", "second");

        assertThatThrownBy(() -> store.write(tx -> {
            tx.afterCommit(() -> ran.add("undone"));
            throw new IllegalStateException("refused");
        })).hasMessage("refused");
        store.write(tx -> null);
        assertThat(ran).as("an undone operation's actions are forgotten").containsExactly("first, sees 1 lock",
                "second");
    }

    @Test
    void appliedWriteReturnsBeforeItIsDurableAndCommitsWithTheNextBatch() {
        // given a lock, and commits held behind the gate
        hive.acquire(LockRequest.exclusive("alice", "a.txt"));
        String swarmId = swarmWithClaims(1);
        Gate gate = gate(swarmId);

        // when the lock is released (acknowledged once applied) while no commit can finish
        List<Lock> released = hive.release("alice", "default", null);

        // then the release returned at once, and what is durable still holds the lock
        assertThat(released).extracting(Lock::path).containsExactly("a.txt");
        assertThat(hive.locks("default")).as("committed locks").extracting(Lock::agentId).containsExactly("alice");
        List<LockRow> working = store.writeApplied(tx -> tx.locks("default"));
        assertThat(working).as("the working copy").isEmpty();

        // and it is durable with the next batch
        gate.open();
        assertThat(hive.locks("default")).isEmpty();
        hive.close();
        closed = true;
        try (Hive reopened = Hives.open(dir, clock)) {
            assertThat(reopened.locks("default")).isEmpty();
        }
    }

    // --- listeners ---

    @Test
    void commitListenersReceiveEveryEventOnceInCommitOrder() throws Exception {
        // given two more listeners, one of them failing, and two swarms worked by eight agents at once
        List<Event> received = new CopyOnWriteArrayList<>();
        AtomicBoolean failedOnce = new AtomicBoolean();
        store.onCommit(events -> {
            if (failedOnce.compareAndSet(false, true)) {
                throw new IllegalStateException("a listener that fails once (a warning is logged)");
            }
        });
        store.onCommit(received::addAll);
        List<String> swarmIds = List.of(
                hive.createSwarm(RandomPlans.dag("left", 150, 2, 1L, 1)).id(),
                hive.createSwarm(RandomPlans.dag("right", 150, 2, 2L, 1)).id());

        // when the agents claim from any swarm and complete until both swarms are done
        List<Thread> agents = new ArrayList<>();
        AtomicReference<Throwable> error = new AtomicReference<>();
        for (int i = 0; i < 8; i++) {
            AgentProfile agent = AgentProfile.of("agent-" + i);
            agents.add(Thread.ofPlatform().daemon(true).start(() -> {
                try {
                    while (!swarmIds.stream().allMatch(id -> hive.swarm(id).status() == SwarmStatus.COMPLETED)) {
                        Optional<Task> task = hive.claim(agent, null);
                        if (task.isPresent()) {
                            hive.complete(task.get().swarmId(), task.get().id(), agent.id(), null);
                        } else {
                            LockSupport.parkNanos(100_000);
                        }
                    }
                } catch (RuntimeException | Error e) {
                    error.set(e);
                }
            }));
        }
        for (Thread agent : agents) {
            agent.join(WAIT.toMillis());
        }
        assertThat(error.get()).as("error in an agent").isNull();

        // then each listener call held whole commits: each swarm's events arrive numbered 1..n, in
        // order, once, exactly as the store lists them, despite the failing listener
        for (String swarmId : swarmIds) {
            List<Event> stored = hive.events(swarmId, 0, 10_000);
            assertThat(stored).extracting(Event::seq).as("stored event numbers of %s", swarmId)
                    .containsExactlyElementsOf(LongStream.rangeClosed(1, stored.size()).boxed().toList());
            assertThat(received).filteredOn(e -> e.swarmId().equals(swarmId)).as("events received for %s", swarmId)
                    .containsExactlyElementsOf(stored);
        }
        assertThat(commits).as("commits delivered to the first listener").flatExtracting(batch -> batch)
                .containsExactlyElementsOf(received);
        assertThat(commits).as("commits that carried events of several operations").anySatisfy(batch ->
                assertThat(batch).filteredOn(e -> e.type().equals("task_started")).hasSizeGreaterThan(1));
    }

    // --- closing ---

    @Test
    void closeLetsQueuedWritesFinishAndRefusesNewOnes() {
        // given three completions queued behind a busy writer
        String swarmId = swarmWithClaims(3);
        Gate gate = gate(swarmId);
        List<CompletableFuture<Task>> queued = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String task = "t" + i;
            String agent = "a" + i;
            queued.add(queue(() -> hive.complete(swarmId, task, agent, "finished before close")));
        }

        // when the store is closed meanwhile
        Thread closer = Thread.ofPlatform().name("closer").start(store::close);
        closed = true;
        await("close() to wait for the writer").atMost(WAIT).pollInterval(Duration.ofMillis(1))
                .until(() -> isInside(closer, GroupCommitWriter.class, "close"));

        // then a new write is refused at once
        assertThatThrownBy(() -> store.write(tx -> 1)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThatThrownBy(() -> hive.claim(AgentProfile.of("late"), swarmId))
                .isInstanceOf(IllegalStateException.class);

        // and the queued ones finish before close returns
        gate.release();
        await("close() to return").atMost(WAIT).until(() -> !closer.isAlive());
        for (CompletableFuture<Task> done : queued) {
            assertThat(result(done).status()).isEqualTo(TaskState.COMPLETED);
        }
        try (Hive reopened = Hives.open(dir, clock)) {
            assertThat(reopened.tasks(swarmId, Optional.of(TaskState.COMPLETED))).extracting(Task::id)
                    .containsExactly("t0", "t1", "t2");
        }
    }

    @Test
    void writesAfterCloseAreRefused() {
        String swarmId = swarmWithClaims(1);

        hive.close();
        closed = true;

        assertThatThrownBy(() -> store.write(tx -> 1)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThatThrownBy(() -> hive.complete(swarmId, "t0", "a0", null)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
    }

    // --- helpers ---

    /** Counters equal a recount of the tasks; events are numbered 1..n without gaps. */
    private void assertCountersAndEventsExact(String swarmId) {
        SwarmRow swarm = store.read(tx -> tx.swarm(swarmId)).orElseThrow();
        List<Task> tasks = hive.tasks(swarmId);
        for (TaskState state : TaskState.values()) {
            assertThat(swarm.counters().count(state)).as("counter of %s", state.wire())
                    .isEqualTo((int) tasks.stream().filter(t -> t.status() == state).count());
        }
        assertThat(hive.events(swarmId, 0, 10_000)).extracting(Event::seq).as("event numbers")
                .containsExactlyElementsOf(LongStream.rangeClosed(1, swarm.lastEventSeq()).boxed().toList());
    }

    /**
     * Runs {@code call} on a thread of its own and returns once that thread waits in the writer's
     * queue, so that calls queued one after another are queued in that order.
     */
    private static <T> CompletableFuture<T> queue(Supplier<T> call) {
        CompletableFuture<T> outcome = new CompletableFuture<>();
        Thread caller = Thread.ofPlatform().daemon(true).start(() -> {
            try {
                outcome.complete(call.get());
            } catch (Throwable t) {
                outcome.completeExceptionally(t);
            }
        });
        await("the call to be queued").atMost(WAIT).pollInterval(Duration.ofMillis(1))
                .until(() -> outcome.isDone() || isInside(caller, GroupCommitWriter.class, "submit"));
        assertThat(outcome).as("a call meant to wait behind the gate returned at once").isNotDone();
        return outcome;
    }

    private static boolean isInside(Thread thread, Class<?> type, String method) {
        return thread.getState() == Thread.State.WAITING && Arrays.stream(thread.getStackTrace())
                .anyMatch(f -> f.getClassName().equals(type.getName()) && f.getMethodName().equals(method));
    }

    private static <T> T result(CompletableFuture<T> call) {
        try {
            return call.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("the call failed: " + e.getCause(), e.getCause());
        } catch (Exception e) {
            throw new AssertionError("the call did not return: " + e, e);
        }
    }

    private static Throwable failure(CompletableFuture<?> call) {
        try {
            call.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            throw new AssertionError("the call did not fail: " + e, e);
        }
        throw new AssertionError("the call succeeded; it should have failed");
    }

    /**
     * Holds the thread that delivers a commit to listeners (the commit's leader, the caller that
     * committed it) inside a listener until {@link #open()}: operations submitted meanwhile run
     * and wait behind it, and are committed together, as one batch, once it opens.
     */
    private final class Gate {
        private final CountDownLatch entered = new CountDownLatch(1);
        private final CountDownLatch release = new CountDownLatch(1);
        /**
         * Arms the gate, then runs {@code trigger}, the gatekeeper's claim, on a thread of its own
         * (the thread that commits the claim is held); returns once held.
         */
        Gate(Runnable trigger) {
            armedGate.set(this);
            Thread.ofPlatform().daemon(true).name("gatekeeper").start(trigger);
            try {
                assertThat(entered.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).as("commits held by the gate")
                        .isTrue();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }

        void hold() {
            entered.countDown();
            try {
                release.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /**
         * Opens once every queued operation has run into the next batch (operations run while
         * another thread commits): a last, empty operation queued after them tells.
         */
        void open() {
            CountDownLatch probeRan = new CountDownLatch(1);
            CompletableFuture<Boolean> probe = queue(() -> store.write(tx -> {
                probeRan.countDown();
                return true;
            }));
            await("queued operations to run or wait").atMost(WAIT).pollInterval(Duration.ofMillis(1))
                    .until(() -> probeRan.getCount() == 0);
            release();
            await("the probe's batch to commit").atMost(WAIT).until(probe::isDone);
        }

        /** Opens at once. */
        void release() {
            release.countDown();
        }
    }
}
