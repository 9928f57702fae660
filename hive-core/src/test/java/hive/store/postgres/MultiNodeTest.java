package hive.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import hive.Hive;
import hive.Hives;
import hive.TestClock;
import hive.TestPostgres;
import hive.agents.Registration;
import hive.events.Event;
import hive.locks.AcquireResult;
import hive.locks.LockRequest;
import hive.schedule.Task;
import hive.schedule.TaskState;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two server nodes on one PostgreSQL database, in one JVM: two {@link Hive}s, each with its own
 * {@link PostgresStore} (its own pool and its own listening connection), sharing a clock. What one
 * node does, the other's waiting callers hear at once: a release on one grants a lock wait on the
 * other, a task made ready on one wakes a claim waiting on the other, and one node's commit
 * listeners see the other's events, in order, without gaps, even after losing its listening
 * connection. Claims from both nodes hand out each task once; a lock wait left behind by a node
 * that died stops holding the queue once any node sweeps.
 */
class MultiNodeTest {

    private static final Duration LONG = Duration.ofSeconds(30);
    private static final Duration PATIENCE = Duration.ofSeconds(10);

    private final TestClock clock = new TestClock();
    private String url;
    private Hive a;
    private Hive b;

    @BeforeEach
    void openTwoNodes() {
        url = TestPostgres.newDatabase();
        a = node();
        b = node();
    }

    private Hive node() {
        return Hive.open(PostgresStore.open(url), clock, new Random(7), Duration.ZERO);
    }

    @AfterEach
    void closeNodes() {
        for (Hive h : new Hive[] {a, b}) {
            if (h != null) {
                h.close();
            }
        }
    }

    private static <T> T result(CompletableFuture<T> future) throws Exception {
        return future.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
    }

    @Test
    void lockWaitOnOneNodeIsGrantedByAReleaseOnTheOther() throws Exception {
        AcquireResult.Granted held = (AcquireResult.Granted) b.acquire(LockRequest.exclusive("alice", "src/a.ts"));
        CompletableFuture<AcquireResult> bob = CompletableFuture.supplyAsync(
                () -> a.acquire(LockRequest.exclusive("bob", "src/a.ts"), LONG));
        await().atMost(PATIENCE).until(() -> a.store().read(r -> r.locks(null)).size() == 1
                && waiters(a) == 1);

        long released = System.nanoTime();
        b.release("alice", LockRequest.DEFAULT_WORKSPACE, null);
        AcquireResult answer = result(bob);

        assertThat(answer).isInstanceOf(AcquireResult.Granted.class);
        AcquireResult.Granted granted = (AcquireResult.Granted) answer;
        assertThat(granted.token()).as("a new grant, after alice's").isGreaterThan(held.token());
        assertThat(granted.locks()).singleElement().satisfies(l -> assertThat(l.agentId()).isEqualTo("bob"));
        assertThat(Duration.ofNanos(System.nanoTime() - released)).as("woken, not timed out")
                .isLessThan(Duration.ofSeconds(5));
        assertThat(waiters(a)).isZero();
    }

    private static int waiters(Hive node) {
        return node.store().write(tx -> tx.waiters(LockRequest.DEFAULT_WORKSPACE)).size();
    }

    @Test
    void claimWaitingOnOneNodeIsWokenByATaskMadeReadyOnTheOther() throws Exception {
        String swarm = a.createSwarm(Hives.yaml("""
                name: relay
                tasks:
                  - {id: first}
                  - {id: second, depends_on: [first]}
                """)).id();
        a.register(Registration.of("one"));
        b.register(Registration.of("two"));
        Task first = b.claim("one", swarm).orElseThrow();
        CompletableFuture<Optional<Task>> waiting = CompletableFuture.supplyAsync(() -> a.claim("two", swarm, LONG));
        await().atMost(PATIENCE).pollDelay(Duration.ofMillis(200)).until(() -> !waiting.isDone());

        b.complete(swarm, first.id(), "one", "done");

        assertThat(result(waiting)).map(Task::id).contains("second");
    }

    @Test
    void eachNodeHearsTheOthersEventsInOrderWithoutGaps() throws Exception {
        List<Event> heardOnA = new CopyOnWriteArrayList<>();
        a.store().onCommit(heardOnA::addAll);
        String swarm = b.createSwarm(Hives.yaml("""
                name: chatter
                tasks:
                  - {id: t1}
                  - {id: t2}
                  - {id: t3, depends_on: [t1, t2]}
                """)).id();
        b.register(Registration.of("worker"));
        for (int i = 0; i < 3; i++) {
            Task t = b.claim("worker", swarm).orElseThrow();
            b.complete(swarm, t.id(), "worker", "ok");
        }
        long last = b.store().read(r -> r.swarm(swarm)).orElseThrow().lastEventSeq();

        await().atMost(PATIENCE).until(() -> seqs(heardOnA, swarm).size() == last);
        assertThat(seqs(heardOnA, swarm)).containsExactlyElementsOf(
                IntStream.rangeClosed(1, (int) last).mapToObj(i -> (long) i).toList());
        assertThat(heardOnA).extracting(Event::type).contains("swarm_created", "task_completed", "swarm_completed");
    }

    private static List<Long> seqs(List<Event> events, String swarm) {
        return events.stream().filter(e -> e.swarmId().equals(swarm)).map(Event::seq).toList();
    }

    @Test
    void aNodeThatLostItsListeningConnectionCatchesUpOnWhatItMissed() throws Exception {
        List<Event> heardOnA = new CopyOnWriteArrayList<>();
        a.store().onCommit(heardOnA::addAll);
        String swarm = b.createSwarm(Hives.yaml("""
                name: gap
                tasks:
                  - {id: t1}
                  - {id: t2}
                """)).id();
        await().atMost(PATIENCE).until(() -> !seqs(heardOnA, swarm).isEmpty());

        // PostgreSQL drops the connections that listen; b's notices meanwhile reach nobody on a
        terminateListeners();
        b.register(Registration.of("worker"));
        Task t = b.claim("worker", swarm).orElseThrow();
        b.complete(swarm, t.id(), "worker", "ok");
        long last = b.store().read(r -> r.swarm(swarm)).orElseThrow().lastEventSeq();

        await().atMost(PATIENCE).until(() -> seqs(heardOnA, swarm).contains(last));
        assertThat(seqs(heardOnA, swarm)).as("every event once, in order").containsExactlyElementsOf(
                IntStream.rangeClosed(1, (int) last).mapToObj(i -> (long) i).toList());
        await().atMost(PATIENCE).until(() -> ((PostgresStore) a.store()).listening());
    }

    private void terminateListeners() throws Exception {
        PostgresUrl target = PostgresUrl.parse(url);
        try (Connection c = DriverManager.getConnection(target.jdbcUrl(), target.properties());
                Statement st = c.createStatement()) {
            st.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%'"
                    + " AND pid <> pg_backend_pid()");
        }
    }

    @Test
    void agentsOnBothNodesTakeEachTaskOnceAndOnlyAfterItsDependencies() throws Exception {
        StringBuilder plan = new StringBuilder("name: shared\ntasks:\n");
        Random random = new Random(11);
        int tasks = 300;
        for (int i = 0; i < tasks; i++) {
            plan.append("  - {id: t").append(i);
            if (i > 5) {
                int one = random.nextInt(i);
                int two = random.nextInt(i);
                plan.append(", depends_on: [t").append(one).append(two != one ? ", t" + two : "").append("]");
            }
            plan.append(", files: [f").append(random.nextInt(12)).append(".txt]}\n");
        }
        String swarm = a.createSwarm(Hives.yaml(plan.toString())).id();
        Map<String, String> holder = new ConcurrentHashMap<>();
        List<String> problems = new CopyOnWriteArrayList<>();
        ExecutorService agents = Executors.newFixedThreadPool(8);
        List<Future<?>> running = new ArrayList<>();
        for (int n = 0; n < 8; n++) {
            Hive node = n % 2 == 0 ? a : b;
            String agent = "agent-" + n;
            node.register(Registration.of(agent));
            running.add(agents.submit(() -> {
                while (true) {
                    Optional<Task> task = node.claim(agent, swarm, Duration.ofSeconds(2));
                    if (task.isEmpty()) {
                        if (node.swarm(swarm).status().isFinished()) {
                            return null;
                        }
                        continue;
                    }
                    Task t = task.get();
                    if (holder.putIfAbsent(t.id(), agent) != null) {
                        problems.add(t.id() + " handed to " + agent + " after " + holder.get(t.id()));
                    }
                    for (String dep : t.dependsOn()) {
                        if (node.task(swarm, dep).status() != TaskState.COMPLETED) {
                            problems.add(t.id() + " handed out before its dependency " + dep + " completed");
                        }
                    }
                    node.complete(swarm, t.id(), agent, "ok");
                }
            }));
        }
        for (Future<?> f : running) {
            f.get(120, TimeUnit.SECONDS);
        }
        agents.shutdown();

        assertThat(problems).isEmpty();
        assertThat(holder).hasSize(tasks);
        assertThat(a.tasks(swarm)).allSatisfy(t -> {
            assertThat(t.status()).isEqualTo(TaskState.COMPLETED);
            assertThat(t.attempt()).isEqualTo(1);
        });
        List<Event> log = a.events(swarm, 0, 100_000);
        assertThat(log).extracting(Event::seq).as("event numbers, gap-free under writers of two nodes")
                .containsExactlyElementsOf(LongRangeList.of(1, log.size()));
        assertThat(log.stream().filter(e -> e.type().equals("task_completed")).map(Event::taskId).distinct())
                .hasSize(tasks);
        assertThat(a.store().read(r -> r.swarm(swarm)).orElseThrow().counters().completed()).isEqualTo(tasks);
        assertThat(a.locks(null)).as("locks left").isEmpty();
    }

    /** The numbers first..last, as a list. */
    private static final class LongRangeList {
        static List<Long> of(long first, long last) {
            List<Long> list = new ArrayList<>();
            for (long i = first; i <= last; i++) {
                list.add(i);
            }
            return list;
        }
    }

    @Test
    void aWaitLeftBehindByADeadNodeStopsHoldingTheQueueOnceAnyNodeSweeps() throws Exception {
        a.acquire(LockRequest.exclusive("alice", "x.txt"));
        CompletableFuture<AcquireResult> orphan = CompletableFuture.supplyAsync(
                () -> b.acquire(LockRequest.exclusive("bob", "y.txt", "x.txt"), LONG));
        await().atMost(PATIENCE).until(() -> waiters(a) == 1);
        // node b dies with bob's wait queued: its caller is gone, its row stays
        b.close();
        b = null;
        assertThat(orphan).failsWithin(PATIENCE);
        assertThat(waiters(a)).isEqualTo(1);
        assertThat(a.acquire(LockRequest.exclusive("carol", "y.txt"))).as("behind bob's queued wait for y.txt")
                .isInstanceOf(AcquireResult.Conflicted.class);

        a.sweep(); // b has no connection left: nobody waits for bob's request any more
        assertThat(waiters(a)).isZero();
        assertThat(a.acquire(LockRequest.exclusive("carol", "y.txt"))).isInstanceOf(AcquireResult.Granted.class);
    }

    @Test
    void anAgentWhoseClaimWaitedLongerThanItsSessionForAnotherNodesLocksIsNotLost() throws Exception {
        Hive strict = Hive.open(PostgresStore.open(url), clock, new Random(7), Duration.ZERO, Duration.ofSeconds(3));
        try {
            String swarm = strict.createSwarm(Hives.yaml("""
                    name: slow
                    workspace: ws
                    tasks:
                      - {id: edit, files: [a.txt]}
                    """)).id();
            strict.register(Registration.of("x"));
            PostgresUrl target = PostgresUrl.parse(url);
            try (Connection other = DriverManager.getConnection(target.jdbcUrl(), target.properties())) {
                other.setAutoCommit(false);
                try (Statement st = other.createStatement()) {
                    // another node's operation holds the workspace
                    st.execute("SELECT pg_advisory_xact_lock(" + 0x48495645 + ", " + "ws".hashCode() + ")");
                }
                CompletableFuture<Optional<Task>> claim = CompletableFuture.supplyAsync(() -> strict.claim("x", swarm));
                await().atMost(PATIENCE).pollDelay(Duration.ofMillis(300)).until(() -> !claim.isDone());
                clock.advance(Duration.ofSeconds(4)); // longer than the session, while the claim waits
                other.commit();
                assertThat(result(claim)).map(Task::id).contains("edit");
            }

            strict.sweep();

            assertThat(strict.agent("x").status()).as("renewed as of the claim's end").isEqualTo(
                    hive.agents.AgentStatus.ACTIVE);
            assertThat(strict.task(swarm, "edit").status()).isEqualTo(TaskState.IN_PROGRESS);
        } finally {
            strict.close();
        }
    }

    @Test
    void sweepIsTakenInTurn() {
        Set<Boolean> turns = ConcurrentHashMap.newKeySet();
        a.store().write(tx -> {
            turns.add(tx.sweepTurn());
            // while a holds the sweep, b's turn is refused
            turns.add(b.store().write(other -> other.sweepTurn()));
            return null;
        });
        assertThat(turns).containsExactlyInAnyOrder(true, false);
        assertThat((boolean) b.store().write(tx -> tx.sweepTurn())).as("free again once a committed").isTrue();
    }
}
