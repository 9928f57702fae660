package hive.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import hive.TestPostgres;
import hive.client.Agent;
import hive.client.AgentSpec;
import hive.client.HiveApiException;
import hive.client.HiveClient;
import hive.client.HiveConnectionException;
import hive.client.Lock;
import hive.client.LockRequest;
import hive.client.LockResult;
import hive.client.Progress;
import hive.client.Swarm;
import hive.client.SwarmStatus;
import hive.client.Task;
import hive.client.TaskState;
import hive.locks.LockPath;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * Several {@code hive server} processes on one PostgreSQL database behave as one server (issue 6),
 * shown with real processes (the packaged jar) on a real PostgreSQL ({@link TestPostgres}).
 *
 * <p>{@link #threeNodesDrainASwarmWithFileConflictsThroughAKillNine}: three nodes; 24 agents (8
 * per node, in-test threads with a {@link HiveClient} each, moving to the next node when theirs
 * stops answering, as behind a load balancer) drain a generated swarm of 3,000 tasks with
 * dependencies, each locking 1 or 2 paths of a pool of 100 (directories among them, so that
 * {@code docs/} and {@code docs/d3.md} contend too). A third of the way through, one node is
 * killed with SIGKILL. It proves that:
 * <ul>
 *   <li>every task is completed exactly once (one {@code task_completed} event each, every task
 *       {@code completed}) and no task is ever handed to two agents at once (as the agents saw
 *       their claims, and as the event log tells the attempts);
 *   <li>no two agents ever hold overlapping paths at the same time, and fencing tokens grow: an
 *       independent observer ({@link FencedResource}) is told by each agent, with the token the
 *       server gave its task's locks, when it starts and stops using its paths;
 *   <li>every node's event stream is gap-free: ids 1..N once each, in order; the stream of the
 *       killed node resumes on another node with {@code Last-Event-ID} and, joined, is too;
 *   <li>the agents of the killed node carry on through the others, and the swarm completes.
 * </ul>
 *
 * <p>{@link #aLockWaitOnOneNodeIsGrantedByAReleaseOnAnother}: a lock wait on node A is answered
 * granted when the holder releases on node B, 200 times; the delay from the release's answer to
 * the grant's answer is printed (p50, p99, max).
 *
 * <p>Server logs are kept in {@code target/cluster-it/<test>/node-N.err}.
 */
class ClusterIT {

    private static final long SEED = 20_260_006L;
    private static final int NODES = 3;
    private static final int AGENTS_PER_NODE = 8;
    private static final int TASKS = 3_000;
    private static final int LAYERS = 30;
    /**
     * The agents' session timeout: short, so that the nodes' sweeps run with sessions that end
     * within the test, yet long enough that an agent on a node slowed down by the kill and by two
     * cores shared with PostgreSQL and two other nodes is not silent that long. (An operation that
     * waits for its workspace's lock renews its agent's session as of its end, so an agent busy all
     * along is never declared lost; see MultiNodeTest.) A claim whose answer was lost with the
     * killed node is found by its agent (see {@link SwarmAgent}), not taken back by a timeout.
     */
    private static final String SESSION_TIMEOUT_S = "10";
    /** The node killed with SIGKILL, once {@link #KILL_AT_COMPLETED} tasks are completed. */
    private static final int VICTIM = 1;
    private static final int KILL_AT_COMPLETED = TASKS / 3;
    private static final Duration CLAIM_WAIT = Duration.ofSeconds(2);
    /** Liveness only: the swarm drains in 1 to 3 minutes on 2 busy cores. */
    private static final Duration SWARM_DEADLINE = Duration.ofMinutes(8);
    /** How long an agent tries every node for one call before it gives up (and the test fails). */
    private static final Duration NO_NODE_PATIENCE = Duration.ofSeconds(60);
    private static final String WORKSPACE = "cluster";
    /** Directories that tasks lock now and then, each covering a few of {@link #FILES}. */
    static final List<String> DIRECTORIES = List.of("src/api/", "src/ui/", "docs/", "test/fixtures/", "config/",
            "scripts/");
    /** The files that tasks lock: 94 of them, 30 under one of {@link #DIRECTORIES}. */
    static final List<String> FILES = files();
    /** How often a task locks a directory (as well as, maybe, a file outside it). */
    private static final double DIRECTORY_SHARE = 0.04;
    private static final ObjectMapper JSON = new ObjectMapper();

    Path logs;
    final List<Process> started = new CopyOnWriteArrayList<>();
    final List<AutoCloseable> toClose = new CopyOnWriteArrayList<>();
    final List<Thread> threads = new CopyOnWriteArrayList<>();

    @BeforeEach
    void logFolder(TestInfo test) throws IOException {
        logs = Files.createDirectories(Path.of("target", "cluster-it", test.getTestMethod().orElseThrow().getName()));
    }

    @AfterEach
    void stopEverything() throws InterruptedException {
        for (AutoCloseable closeable : toClose) {
            try {
                closeable.close();
            } catch (Exception e) {
                System.out.println("closing " + closeable + ": " + e);
            }
        }
        threads.forEach(Thread::interrupt);
        for (Process process : started) {
            process.destroyForcibly();
        }
        for (Process process : started) {
            process.waitFor(30, TimeUnit.SECONDS);
        }
        for (Thread thread : threads) {
            thread.join(5_000);
        }
    }

    // --- the swarm ---

    @Test
    void threeNodesDrainASwarmWithFileConflictsThroughAKillNine() throws Exception {
        // given three nodes on one database, a swarm of 3,000 tasks, and a stream of its events on each node
        long begin = System.nanoTime();
        List<ServerProcessIT.Server> nodes = startNodes(NODES, TestPostgres.newDatabase(),
                "--session-timeout-s", SESSION_TIMEOUT_S);
        List<String> urls = nodes.stream().map(ServerProcessIT.Server::url).toList();
        say("nodes: %s (logs in %s)", urls, logs.toAbsolutePath());
        HiveClient survivor = client(urls.get(0));
        Swarm swarm = survivor.createSwarm(plan(new Random(SEED)));
        assertThat(swarm.taskCount()).isEqualTo(TASKS);
        assertThat(swarm.workspace()).isEqualTo(WORKSPACE);

        Queue<String> problems = new ConcurrentLinkedQueue<>();
        List<SseWatch> streams = new ArrayList<>();
        for (int node = 0; node < NODES; node++) {
            streams.add(watch("events-" + node, urls, node, swarm.id(), problems));
        }
        await("each node's stream sends the swarm's first event").atMost(Duration.ofSeconds(30))
                .until(() -> streams.stream().allMatch(s -> s.size() > 0));

        // when 24 agents (8 per node) drain it, and one node is killed with SIGKILL a third of the way
        FencedResource observer = new FencedResource(problems);
        Ledger ledger = new Ledger(problems);
        AtomicBoolean swarmDone = new AtomicBoolean();
        List<SwarmAgent> agents = new ArrayList<>();
        for (int i = 0; i < NODES * AGENTS_PER_NODE; i++) {
            agents.add(new SwarmAgent("agent-%02d".formatted(i), i / AGENTS_PER_NODE, urls, swarm.id(), observer,
                    ledger, swarmDone, problems));
        }
        long agentsStart = System.nanoTime();
        List<Thread> agentThreads = agents.stream().map(agent -> Thread.ofPlatform().daemon().name(agent.id)
                .start(agent)).toList();
        threads.addAll(agentThreads);

        awaitOrFail("about a third of the tasks completed", Duration.ofMinutes(4), problems, survivor, swarm.id(),
                () -> ledger.completions.get() >= KILL_AT_COMPLETED);
        ServerProcessIT.Server victim = nodes.get(VICTIM);
        victim.process().destroyForcibly(); // SIGKILL
        assertThat(victim.process().waitFor(30, TimeUnit.SECONDS)).as("node %d ended after SIGKILL", VICTIM).isTrue();
        ledger.killed.set(true);
        Progress atKill = survivor.progress(swarm.id());
        say("killed node %d (SIGKILL, exit status %d) with %d of %d tasks completed, %d in progress", VICTIM,
                victim.process().exitValue(), atKill.completed(), TASKS, atKill.inProgress());

        awaitOrFail("the swarm completed", SWARM_DEADLINE, problems, survivor, swarm.id(),
                () -> survivor.progress(swarm.id()).status() == SwarmStatus.COMPLETED);
        double drainS = (System.nanoTime() - agentsStart) / 1e9;
        String cpu = IntStream.range(0, NODES).filter(n -> n != VICTIM).mapToObj(n -> "node-%d %s".formatted(n,
                cpuSeconds(nodes.get(n).process().toHandle()))).collect(Collectors.joining(", "))
                + ", test JVM " + cpuSeconds(ProcessHandle.current());
        swarmDone.set(true);
        for (Thread thread : agentThreads) {
            thread.join(Duration.ofSeconds(30));
            assertThat(thread.isAlive()).as("%s stopped once the swarm completed", thread.getName()).isFalse();
        }

        // then the event log, read whole from a surviving node, has N events; every stream saw 1..N
        SseWatch whole = watch("events-final", urls, 0, swarm.id(), problems);
        await("the whole event log is read").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(whole::quietFor, quiet -> quiet.compareTo(Duration.ofMillis(1500)) > 0 && whole.size() > 0);
        whole.stop();
        long last = whole.lastSeq();
        assertThat(last).as("events in the swarm's log").isGreaterThan(2L * TASKS);
        await("every stream reaches event " + last).atMost(Duration.ofSeconds(60))
                .until(() -> streams.stream().allMatch(s -> s.lastSeq() >= last));
        streams.forEach(SseWatch::stop);

        long restarted = ledger.claims.values().stream().filter(count -> count.get() > 1).count();
        say("""
                swarm of %d tasks drained by %d agents on %d nodes in %.1f s (whole test %.1f s so far); CPU: %s
                  events: %d; streams: %s
                  observer: %d uses of paths, %d after another agent's use of an overlapping path (%d of them \
                a directory and a file within it), highest token %d
                  completions answered %d, of which %d confirmed after a 409 (retried after being applied); \
                %d claims adopted after their answer was lost; %d tasks claimed more than once; %d agent moves \
                between nodes; %d sessions lost""",
                TASKS, agents.size(), NODES, drainS, (System.nanoTime() - begin) / 1e9, cpu, last,
                streams.stream().map(s -> s.name + " " + s.connections()).toList(), observer.enters(),
                observer.handovers(), observer.nestedHandovers(), observer.highestToken(), ledger.completions.get(),
                ledger.confirmedAfterConflict.get(), ledger.adopted.get(), restarted,
                agents.stream().mapToInt(a -> a.failovers.get()).sum(), ledger.sessionsLost.get());

        assertThat(problems).as("problems seen by the agents, the observer and the streams").isEmpty();
        assertThat(observer.violations()).as("overlapping paths held at once, or stale fencing tokens").isEmpty();
        assertThat(ledger.sessionsLost.get()).as("sessions lost by agents that were never silent (see the log)")
                .isZero();

        // every task completed exactly once, by the event log and by the tasks themselves
        List<SseWatch.Received> log = whole.received();
        assertGapFree("the event log read after the run", log, last);
        Map<String, Long> completedEvents = log.stream().filter(e -> e.type().equals("task_completed"))
                .collect(Collectors.groupingBy(SseWatch.Received::taskId, TreeMap::new, Collectors.counting()));
        Map<String, Long> notOnce = new TreeMap<>(completedEvents);
        notOnce.values().removeIf(count -> count == 1);
        assertThat(notOnce).as("tasks with more than one task_completed event").isEmpty();
        assertThat(completedEvents).as("tasks with a task_completed event").hasSize(TASKS);
        assertThat(log.stream().filter(e -> e.type().equals("swarm_completed")).count())
                .as("swarm_completed events").isEqualTo(1);
        List<Task> tasks = survivor.tasks(swarm.id());
        assertThat(tasks).hasSize(TASKS);
        assertThat(tasks.stream().filter(t -> t.status() != TaskState.COMPLETED).map(t -> t.id() + " " + t.status())
                .toList()).as("tasks not completed").isEmpty();

        // no attempt was started while the one before was running; the agents worked every attempt started
        assertThat(attemptsStartedOverRunningOnes(log)).as("tasks started again while an attempt was running")
                .isEmpty();
        long attemptsStarted = log.stream().filter(e -> e.type().equals("task_started")).count();
        assertThat(ledger.claims.values().stream().mapToLong(AtomicInteger::get).sum())
                .as("attempts the agents worked, of %d task_started events", attemptsStarted)
                .isEqualTo(attemptsStarted);

        // every stream that stayed up saw 1..N; the killed node's stream resumed elsewhere and, joined, did too
        for (SseWatch stream : streams) {
            assertGapFree(stream.name + " " + stream.connections(), stream.received(), last);
            if (stream.home == VICTIM) {
                assertThat(stream.connections()).as("%s resumed on another node after the kill", stream.name)
                        .hasSizeGreaterThanOrEqualTo(2);
                assertThat(stream.received().getLast().node()).as("node of %s's last event", stream.name)
                        .isNotEqualTo(VICTIM);
            } else {
                assertThat(stream.connections()).as("%s stayed up on its node", stream.name).hasSize(1);
            }
        }

        // it was not vacuous: the kill came mid-run, the victim's agents carried on, paths were contended
        assertThat(atKill.completed()).as("tasks completed at the kill")
                .isBetween(KILL_AT_COMPLETED, TASKS * 2 / 3);
        for (SwarmAgent agent : agents) {
            if (agent.home == VICTIM) {
                assertThat(agent.failovers.get()).as("%s moved off the killed node", agent.id).isPositive();
                assertThat(agent.completedAfterKill.get()).as("tasks %s completed after the kill", agent.id)
                        .isPositive();
            }
        }
        assertThat(observer.enters()).as("uses of paths the observer saw").isGreaterThanOrEqualTo(TASKS);
        assertThat(observer.handovers()).as("uses of paths last used (or covered) by another agent")
                .isGreaterThan(TASKS / 2);
        assertThat(observer.nestedHandovers()).as("uses of a path whose directory or file another agent had used")
                .isGreaterThan(100);

    }

    /**
     * A plan of {@link #TASKS} tasks in {@link #LAYERS} layers: each task past the first layer
     * depends on one or two tasks of the three layers before it (so that about a hundred are ready
     * at a time), and locks a file or, now and then, a directory, and half the time a second file
     * that does not overlap the first path.
     */
    static String plan(Random random) throws IOException {
        ObjectNode plan = JSON.createObjectNode();
        plan.put("name", "cluster-drain");
        plan.put("goal", "drained by three nodes, one of them killed");
        plan.put("workspace", WORKSPACE);
        // Attempts lost with a session (an agent silent past the timeout) come back soon.
        plan.putObject("defaults").put("max_attempts", 5).put("backoff_s", 0.2);
        ArrayNode tasks = plan.putArray("tasks");
        int perLayer = TASKS / LAYERS;
        for (int i = 0; i < TASKS; i++) {
            ObjectNode task = tasks.addObject();
            task.put("id", taskId(i));
            int layer = i / perLayer;
            if (layer > 0) {
                int from = Math.max(0, layer - 3) * perLayer;
                int to = layer * perLayer;
                Set<Integer> deps = new TreeSet<>();
                int count = 1 + random.nextInt(2);
                while (deps.size() < count) {
                    deps.add(from + random.nextInt(to - from));
                }
                ArrayNode dependsOn = task.putArray("depends_on");
                deps.forEach(d -> dependsOn.add(taskId(d)));
            }
            ArrayNode files = task.putArray("files");
            LockPath first = LockPath.parse(random.nextDouble() < DIRECTORY_SHARE
                    ? DIRECTORIES.get(random.nextInt(DIRECTORIES.size())) : FILES.get(random.nextInt(FILES.size())));
            files.add(first.value());
            if (random.nextBoolean()) {
                LockPath second;
                do {
                    second = LockPath.parse(FILES.get(random.nextInt(FILES.size())));
                } while (second.overlaps(first));
                files.add(second.value());
            }
        }
        return JSON.writeValueAsString(plan);
    }

    private static String taskId(int i) {
        return "t%04d".formatted(i);
    }

    private static List<String> files() {
        List<String> files = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            files.addAll(List.of("src/api/a%d.ts".formatted(i), "src/ui/u%d.tsx".formatted(i),
                    "docs/d%d.md".formatted(i)));
        }
        for (int i = 0; i < 4; i++) {
            files.addAll(List.of("test/fixtures/f%d.json".formatted(i), "config/x%d.yaml".formatted(i),
                    "scripts/s%d.sh".formatted(i)));
        }
        for (int i = 0; i < 40; i++) {
            files.add("src/core/c%02d.ts".formatted(i));
        }
        for (int i = 0; i < 20; i++) {
            files.add("test/t%02d.ts".formatted(i));
        }
        files.addAll(List.of("README.md", "package.json", "tsconfig.json", "CHANGELOG.md"));
        return List.copyOf(files);
    }

    /**
     * Waits for {@code condition}, failing at once with what went wrong when a problem is
     * reported, and with the swarm's state when {@code patience} runs out. Prints progress.
     */
    private void awaitOrFail(String what, Duration patience, Queue<String> problems, HiveClient hive, String swarmId,
            Callable<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + patience.toNanos();
        long nextReport = System.nanoTime();
        while (!condition.call()) {
            if (!problems.isEmpty()) {
                fail("while waiting for %s: %s", what, List.copyOf(problems));
            }
            if (System.nanoTime() - deadline > 0) {
                fail("%s did not happen within %s: %s; tasks in progress: %s", what, patience,
                        hive.progress(swarmId), hive.tasks(swarmId, TaskState.IN_PROGRESS).stream()
                                .map(t -> t.id() + " by " + t.assignedAgent() + " attempt " + t.attempt()).toList());
            }
            if (System.nanoTime() - nextReport > 0) {
                Progress p = hive.progress(swarmId);
                say("%d completed, %d in progress, %d ready, %d pending", p.completed(), p.inProgress(),
                        p.readyTasks(), p.pending() - p.readyTasks());
                nextReport = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            }
            Thread.sleep(100);
        }
    }

    private static String cpuSeconds(ProcessHandle process) {
        return process.info().totalCpuDuration().map(d -> "%.0f s".formatted(d.toMillis() / 1e3)).orElse("?");
    }

    /**
     * The {@code task_started} events of the log that came while the task's attempt before was
     * running: neither completed nor failed, requeued or timed out.
     */
    private static List<String> attemptsStartedOverRunningOnes(List<SseWatch.Received> log) {
        Set<String> running = new HashSet<>();
        List<String> overlapping = new ArrayList<>();
        for (SseWatch.Received event : log) {
            switch (event.type()) {
                case "task_started" -> {
                    if (!running.add(event.taskId())) {
                        overlapping.add(event.taskId() + " at event " + event.seq());
                    }
                }
                case "task_completed", "task_failed", "task_requeued", "task_timed_out" ->
                        running.remove(event.taskId());
                default -> {
                    // not about an attempt
                }
            }
        }
        return overlapping;
    }

    /** Fails unless {@code received} is the events 1..{@code last}, each once, in order; says where not. */
    private static void assertGapFree(String what, List<SseWatch.Received> received, long last) {
        long[] seqs = received.stream().mapToLong(SseWatch.Received::seq).toArray();
        for (int i = 0; i < seqs.length; i++) {
            if (seqs[i] != i + 1) {
                fail("%s: event #%d is seq %d, expected %d (%s); around it: %s", what, i + 1, seqs[i], i + 1,
                        seqs[i] <= i ? "a repeat or out of order" : "a gap",
                        received.subList(Math.max(0, i - 3), Math.min(received.size(), i + 3)));
            }
        }
        assertThat((long) seqs.length).as("%s: events received, of %d", what, last).isEqualTo(last);
    }

    // --- the lock wait ---

    @Test
    void aLockWaitOnOneNodeIsGrantedByAReleaseOnAnother() throws Exception {
        // given two nodes; agent x on node B, agent y on node A
        List<ServerProcessIT.Server> nodes = startNodes(2, TestPostgres.newDatabase());
        String nodeA = nodes.get(0).url();
        String nodeB = nodes.get(1).url();
        HiveClient onA = client(nodeA);
        HiveClient onB = client(nodeB);
        HiveClient statsOfA = client(nodeA);
        onB.register(AgentSpec.withId("x"));
        onA.register(AgentSpec.withId("y"));
        ExecutorService waiter = Executors.newSingleThreadExecutor(Thread.ofPlatform().daemon().name("y-waits")
                .factory());
        toClose.add(waiter::shutdownNow);
        String path = "shared/wake.txt";
        int rounds = 200;
        long[] wakeNanos = new long[rounds];

        for (int round = 0; round < rounds; round++) {
            // x holds the path on B; y waits for it on A
            LockResult held = onB.acquire(LockRequest.of("x", path));
            assertThat(held).as("round %d: x's lock on node B", round).isInstanceOf(LockResult.Granted.class);
            long heldToken = ((LockResult.Granted) held).token();
            Future<TimedResult> waited = waiter.submit(() -> {
                LockResult result = onA.acquire(LockRequest.of("y", path).waitUpTo(Duration.ofSeconds(30)));
                return new TimedResult(result, System.nanoTime());
            });
            int r = round;
            await("round " + r + ": y waits on node A").atMost(Duration.ofSeconds(20))
                    .pollInterval(Duration.ofMillis(2)).pollDelay(Duration.ZERO)
                    .until(() -> waited.isDone() || statsOfA.stats().locks().waiting() > 0);
            assertThat(waited.isDone()).as("round %d: y's acquire answered before x released: %s", round,
                    waited.isDone() ? waited.get() : null).isFalse();

            // when x releases on B
            List<Lock> released = onB.release("x", List.of(path));
            long releasedAt = System.nanoTime();
            assertThat(released).as("round %d: released on node B", round).extracting(Lock::path).containsExactly(path);

            // then y's wait on A is granted, well before its deadline
            TimedResult granted = waited.get(10, TimeUnit.SECONDS);
            assertThat(granted.result()).as("round %d: y's wait on node A", round)
                    .isInstanceOf(LockResult.Granted.class);
            assertThat(((LockResult.Granted) granted.result()).token()).as("round %d: y's token", round)
                    .isGreaterThan(heldToken);
            wakeNanos[round] = granted.at() - releasedAt;
            assertThat(wakeNanos[round]).as("round %d: ns from the release on B to the grant on A", round)
                    .isLessThan(TimeUnit.SECONDS.toNanos(5));
            assertThat(onA.release("y", List.of(path))).as("round %d: y releases", round).hasSize(1);
        }

        long[] sorted = wakeNanos.clone();
        Arrays.sort(sorted);
        System.out.printf("%nCROSS-NODE LOCK WAKE (wait on node A granted by a release on node B), %d waits: "
                + "p50 %.1f ms, p99 %.1f ms, max %.1f ms (from the release's answer to the grant's answer)%n%n",
                rounds, percentile(sorted, 50) / 1e6, percentile(sorted, 99) / 1e6, sorted[rounds - 1] / 1e6);
    }

    private record TimedResult(LockResult result, long at) {
    }

    /** The nearest-rank percentile of sorted values. */
    static long percentile(long[] sorted, int p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, rank - 1)];
    }

    // --- plumbing ---

    /** Starts {@code count} nodes on {@code database} at once; their logs go to {@link #logs}. */
    private List<ServerProcessIT.Server> startNodes(int count, String database, String... options) throws Exception {
        List<CompletableFuture<ServerProcessIT.Server>> starting = new ArrayList<>();
        for (int node = 0; node < count; node++) {
            List<String> args = new ArrayList<>(List.of("--port", "0", "--db", database));
            args.addAll(List.of(options));
            String name = "node-" + node;
            starting.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return ServerProcessIT.start(logs, name, started, args.toArray(String[]::new));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }));
        }
        List<ServerProcessIT.Server> nodes = new ArrayList<>();
        for (CompletableFuture<ServerProcessIT.Server> node : starting) {
            nodes.add(node.get(120, TimeUnit.SECONDS));
        }
        return nodes;
    }

    private HiveClient client(String url) {
        HiveClient client = HiveClient.builder(URI.create(url)).connectTimeout(Duration.ofSeconds(2))
                .requestTimeout(Duration.ofSeconds(20)).build();
        toClose.add(client);
        return client;
    }

    private SseWatch watch(String name, List<String> urls, int node, String swarmId, Queue<String> problems) {
        SseWatch watch = new SseWatch(name, urls, node, swarmId, problems);
        toClose.add(watch::stop);
        threads.add(Thread.ofPlatform().daemon().name(name).start(watch::run));
        return watch;
    }

    static void say(String format, Object... args) {
        System.out.println(LocalTime.now().truncatedTo(ChronoUnit.MILLIS) + " ClusterIT: " + format.formatted(args));
    }

    /**
     * What the agents did, as the test saw it: who holds which task now (a task handed to a
     * second agent while the first holds it is a problem), how often each task was claimed, and
     * counts for the summary.
     */
    static final class Ledger {
        final Map<String, String> holders = new ConcurrentHashMap<>();
        final Map<String, AtomicInteger> claims = new ConcurrentHashMap<>();
        final AtomicInteger completions = new AtomicInteger();
        final AtomicInteger confirmedAfterConflict = new AtomicInteger();
        final AtomicInteger adopted = new AtomicInteger();
        final AtomicInteger sessionsLost = new AtomicInteger();
        final AtomicBoolean killed = new AtomicBoolean();
        private final Queue<String> problems;

        Ledger(Queue<String> problems) {
            this.problems = problems;
        }

        void claimed(String agent, Task task, int node) {
            claims.computeIfAbsent(task.id(), id -> new AtomicInteger()).incrementAndGet();
            String other = holders.putIfAbsent(task.id(), agent);
            if (other != null) {
                problems.add("task %s (attempt %d) was handed to %s on node %d while %s still held it".formatted(
                        task.id(), task.attempt(), agent, node, other));
            }
        }

        void done(String agent, Task task) {
            holders.remove(task.id(), agent);
        }
    }

    /**
     * An agent: claims with a long-poll wait on its node, learns the fencing token of its task's
     * locks, uses the task's paths through the {@link FencedResource} for a few milliseconds,
     * and completes the task. When its node does not answer (connection refused or broken, or a
     * 5xx), it makes the same call on the next node. A claim whose answer was lost that way may
     * still have been made: when a claim finds nothing, the agent asks which tasks it holds, and
     * works those ("adopts" them).
     */
    static final class SwarmAgent implements Runnable {
        final String id;
        final int home;
        final AtomicInteger failovers = new AtomicInteger();
        final AtomicInteger completedAfterKill = new AtomicInteger();
        private final List<String> urls;
        private final String swarmId;
        private final FencedResource observer;
        private final Ledger ledger;
        private final AtomicBoolean swarmDone;
        private final Queue<String> problems;
        private int node;
        private HiveClient client;

        SwarmAgent(String id, int home, List<String> urls, String swarmId, FencedResource observer, Ledger ledger,
                AtomicBoolean swarmDone, Queue<String> problems) {
            this.id = id;
            this.home = home;
            this.node = home;
            this.urls = urls;
            this.swarmId = swarmId;
            this.observer = observer;
            this.ledger = ledger;
            this.swarmDone = swarmDone;
            this.problems = problems;
        }

        @Override
        public void run() {
            client = connect(node);
            try {
                call("registering", c -> c.register(AgentSpec.withId(id)));
                while (!Thread.currentThread().isInterrupted()) {
                    Optional<Task> task = claim();
                    if (task.isPresent()) {
                        work(task.get());
                    } else if (swarmDone.get()) {
                        return;
                    } else {
                        adoptForgottenClaims();
                    }
                }
            } catch (GaveUp e) {
                problems.add(e.getMessage());
            } catch (RuntimeException | AssertionError e) {
                problems.add(id + " stopped: " + e);
            } finally {
                client.close();
            }
        }

        private Optional<Task> claim() throws GaveUp {
            try {
                return call("claiming", c -> c.claim(id, swarmId, CLAIM_WAIT));
            } catch (HiveApiException e) {
                if (e.status() == 409) { // lost: silent past the session timeout; what it held was taken back
                    ledger.sessionsLost.incrementAndGet();
                    say("%s lost its session (%s): registering again", id, e.getMessage());
                    call("registering again", c -> c.register(AgentSpec.withId(id)));
                    return Optional.empty();
                }
                throw e;
            }
        }

        /** Works the tasks the server says this agent holds, which it never heard of (a lost claim answer). */
        private void adoptForgottenClaims() throws GaveUp {
            Agent me = call("reading itself", c -> c.agent(id));
            for (String ref : me.currentTasks()) {
                String taskId = ref.substring(ref.indexOf('/') + 1);
                Task task = call("reading " + ref, c -> c.task(swarmId, taskId));
                if (task.status() == TaskState.IN_PROGRESS && id.equals(task.assignedAgent())) {
                    ledger.adopted.incrementAndGet();
                    say("%s adopts %s (attempt %d): handed to it by a claim whose answer was lost", id, ref,
                            task.attempt());
                    work(task);
                }
            }
        }

        private void work(Task task) throws GaveUp {
            ledger.claimed(id, task, node);
            String ref = swarmId + "/" + task.id();
            List<Lock> mine = call("listing locks", c -> c.locks(WORKSPACE)).stream()
                    .filter(lock -> id.equals(lock.agentId()) && ref.equals(lock.taskId())).toList();
            Set<String> lockedPaths = mine.stream().map(Lock::path).collect(Collectors.toSet());
            OptionalLong token = mine.stream().mapToLong(Lock::token).max();
            if (!lockedPaths.equals(new HashSet<>(task.files())) || token.isEmpty()) {
                problems.add("%s claimed %s (attempt %d) with files %s but holds locks %s for it".formatted(id,
                        task.id(), task.attempt(), task.files(), mine));
                return;
            }
            observer.enter(id, task.id(), task.files(), token.getAsLong());
            try {
                Thread.sleep(1 + ThreadLocalRandom.current().nextInt(4));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            observer.exit(id, task.id(), task.files());
            complete(task);
            ledger.done(id, task);
        }

        private void complete(Task task) throws GaveUp {
            try {
                call("completing " + task.id(), c -> c.complete(id, swarmId, task.id(), "done by " + id));
            } catch (HiveApiException e) {
                if (e.status() != 409) {
                    throw e;
                }
                // A completion retried on another node after the first try was applied: fine if it is ours.
                Task now = call("reading " + task.id(), c -> c.task(swarmId, task.id()));
                if (now.status() != TaskState.COMPLETED || !id.equals(now.assignedAgent())
                        || now.attempt() != task.attempt()) {
                    problems.add("%s could not complete %s (attempt %d): %s; the task is %s, assigned to %s, attempt %d"
                            .formatted(id, task.id(), task.attempt(), e.getMessage(), now.status(),
                                    now.assignedAgent(), now.attempt()));
                    return;
                }
                ledger.confirmedAfterConflict.incrementAndGet();
            }
            ledger.completions.incrementAndGet();
            if (ledger.killed.get()) {
                completedAfterKill.incrementAndGet();
            }
        }

        /** Thrown when no node answered a call for {@link #NO_NODE_PATIENCE}. */
        static final class GaveUp extends Exception {
            private static final long serialVersionUID = 1L;

            GaveUp(String message) {
                super(message);
            }
        }

        /**
         * {@code call} on this agent's node; when it does not answer, the same call on the next
         * node, round and round (pausing after each round) until one answers. Error answers other
         * than 5xx are thrown.
         */
        private <T> T call(String what, Function<HiveClient, T> call) throws GaveUp {
            long giveUpAt = System.nanoTime() + NO_NODE_PATIENCE.toNanos();
            int tries = 0;
            while (true) {
                RuntimeException failure;
                try {
                    return call.apply(client);
                } catch (HiveConnectionException e) {
                    if (Thread.currentThread().isInterrupted()) {
                        throw new GaveUp(id + " interrupted while " + what);
                    }
                    failure = e;
                } catch (HiveApiException e) {
                    if (e.status() < 500) {
                        throw e;
                    }
                    failure = e;
                }
                if (System.nanoTime() - giveUpAt > 0) {
                    throw new GaveUp("%s: no node answered while %s for %s; last: %s".formatted(id, what,
                            NO_NODE_PATIENCE, failure));
                }
                int from = node;
                node = (node + 1) % urls.size();
                client.close();
                client = connect(node);
                failovers.incrementAndGet();
                say("%s: node %d did not answer while %s (%s): on to node %d", id, from, what, failure.getMessage(),
                        node);
                if (++tries % urls.size() == 0) {
                    try {
                        Thread.sleep(200);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new GaveUp(id + " interrupted while " + what);
                    }
                }
            }
        }

        private HiveClient connect(int to) {
            return HiveClient.builder(URI.create(urls.get(to))).connectTimeout(Duration.ofSeconds(2))
                    .requestTimeout(Duration.ofSeconds(20)).build();
        }
    }

    /**
     * The independent observer of the paths: a resource that agents enter (with the fencing token
     * of their locks) before they use paths and exit after. It records every grant, and reports a
     * violation when an agent enters a path that overlaps one another agent is inside ({@link
     * LockPath#overlaps}, the server's own rule: {@code src/} overlaps {@code src/api/users.ts}),
     * or with a token not larger than every token seen before on an overlapping path.
     */
    static final class FencedResource {
        private record Grant(String agent, String task, LockPath path, long token) {
        }

        private final Queue<String> problems;
        private final List<Grant> inside = new ArrayList<>();
        /** The grant with the highest token seen on each path. */
        private final Map<LockPath, Grant> latest = new HashMap<>();
        private final List<String> violations = new ArrayList<>();
        private int enters;
        private int handovers;
        private int nestedHandovers;
        private long highestToken;

        FencedResource(Queue<String> problems) {
            this.problems = problems;
        }

        synchronized void enter(String agent, String task, List<String> paths, long token) {
            enters++;
            highestToken = Math.max(highestToken, token);
            boolean handover = false;
            boolean nested = false;
            List<Grant> grants = paths.stream().map(p -> new Grant(agent, task, LockPath.parse(p), token)).toList();
            for (Grant grant : grants) {
                for (Grant in : inside) {
                    if (in.path().overlaps(grant.path())) {
                        violation("%s entered %s for task %s with token %d while %s is inside %s for task %s "
                                + "(token %d)", agent, grant.path().value(), task, token, in.agent(),
                                in.path().value(), in.task(), in.token());
                    }
                }
                for (Grant before : latest.values()) {
                    if (!before.path().overlaps(grant.path())) {
                        continue;
                    }
                    if (token <= before.token()) {
                        violation("%s entered %s for task %s with token %d, not above token %d that %s used on %s "
                                + "for task %s", agent, grant.path().value(), task, token, before.token(),
                                before.agent(), before.path().value(), before.task());
                    }
                    if (!before.agent().equals(agent)) {
                        handover = true;
                        nested |= !before.path().equals(grant.path());
                    }
                }
            }
            for (Grant grant : grants) {
                inside.add(grant);
                latest.merge(grant.path(), grant, (a, b) -> a.token() >= b.token() ? a : b);
            }
            handovers += handover ? 1 : 0;
            nestedHandovers += nested ? 1 : 0;
        }

        synchronized void exit(String agent, String task, List<String> paths) {
            for (String path : paths) {
                LockPath lockPath = LockPath.parse(path);
                if (!inside.removeIf(g -> g.agent().equals(agent) && g.path().equals(lockPath))) {
                    violation("%s left %s for task %s, which it was not inside", agent, path, task);
                }
            }
        }

        private void violation(String format, Object... args) {
            String message = format.formatted(args);
            violations.add(message);
            problems.add("observer: " + message);
        }

        synchronized List<String> violations() {
            return List.copyOf(violations);
        }

        synchronized int enters() {
            return enters;
        }

        synchronized int handovers() {
            return handovers;
        }

        synchronized int nestedHandovers() {
            return nestedHandovers;
        }

        synchronized long highestToken() {
            return highestToken;
        }
    }

    /**
     * One reader of a swarm's event stream, read raw (over {@link HttpClient}, not the project's
     * client, which would hide repeats): it records every event as it comes, with the node that
     * sent it. When its node stops answering it resumes on the next node, sending the last id it
     * received as {@code Last-Event-ID}; each connection is listed in {@link #connections()}.
     */
    static final class SseWatch {
        record Received(long seq, String type, String taskId, int node) {
        }

        final String name;
        final int home;
        private final List<String> urls;
        private final String swarmId;
        private final Queue<String> problems;
        private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2)).build();
        private final List<Received> received = new ArrayList<>();
        private final List<String> connections = new CopyOnWriteArrayList<>();
        private volatile boolean stopped;
        private volatile InputStream current;
        private volatile long lastSeq;
        private volatile long lastArrival = System.nanoTime();

        SseWatch(String name, List<String> urls, int home, String swarmId, Queue<String> problems) {
            this.name = name;
            this.urls = urls;
            this.home = home;
            this.swarmId = swarmId;
            this.problems = problems;
        }

        void run() {
            int node = home;
            while (!stopped) {
                try {
                    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(urls.get(node) + "/api/swarms/"
                            + swarmId + "/events")).header("Accept", "text/event-stream").GET();
                    long after = lastSeq;
                    if (after > 0) {
                        request.header("Last-Event-ID", Long.toString(after));
                    }
                    HttpResponse<InputStream> response = http.send(request.build(),
                            HttpResponse.BodyHandlers.ofInputStream());
                    try (InputStream in = response.body()) {
                        if (response.statusCode() != 200) {
                            problems.add("%s: node %d answered %d to a stream request: %s".formatted(name, node,
                                    response.statusCode(), new String(in.readAllBytes(), StandardCharsets.UTF_8)));
                            return;
                        }
                        current = in;
                        connections.add("node " + node + (after > 0 ? " after " + after : ""));
                        read(in, node);
                    }
                } catch (IOException e) {
                    // refused, or the connection broke: resume on the next node below
                } catch (InterruptedException e) {
                    return;
                }
                if (stopped) {
                    return;
                }
                node = (node + 1) % urls.size();
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        /** Reads events (W3C server-sent events: {@code id:}, {@code data:}, a blank line ends one) until the end. */
        private void read(InputStream in, int node) throws IOException {
            BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String id = null;
            StringBuilder data = new StringBuilder();
            for (String line; !stopped && (line = lines.readLine()) != null; ) {
                if (line.isEmpty()) {
                    if (!data.isEmpty()) {
                        dispatch(id, data.toString(), node);
                    }
                    id = null;
                    data.setLength(0);
                } else if (line.startsWith("id:")) {
                    id = line.substring(3).strip();
                } else if (line.startsWith("data:")) {
                    data.append(line.substring(line.startsWith("data: ") ? 6 : 5));
                }
            }
        }

        private void dispatch(String id, String data, int node) throws IOException {
            JsonNode event = JSON.readTree(data);
            long seq = event.path("seq").asLong();
            if (id == null || !id.equals(Long.toString(seq))) {
                problems.add("%s: node %d sent event seq %d with SSE id %s".formatted(name, node, seq, id));
            }
            synchronized (received) {
                received.add(new Received(seq, event.path("type").asText(), event.path("task_id").asText(null), node));
            }
            lastSeq = seq;
            lastArrival = System.nanoTime();
        }

        void stop() {
            stopped = true;
            InputStream in = current;
            if (in != null) {
                try {
                    in.close();
                } catch (IOException e) {
                    // ending anyway
                }
            }
            http.shutdownNow();
        }

        int size() {
            synchronized (received) {
                return received.size();
            }
        }

        List<Received> received() {
            synchronized (received) {
                return List.copyOf(received);
            }
        }

        long lastSeq() {
            return lastSeq;
        }

        Duration quietFor() {
            return Duration.ofNanos(System.nanoTime() - lastArrival);
        }

        List<String> connections() {
            return List.copyOf(connections);
        }
    }

    static {
        // Fail early, with a clear message, if the pool stops being what the plan relies on.
        List<LockPath> files = FILES.stream().map(LockPath::parse).toList();
        for (String directory : DIRECTORIES) {
            LockPath covering = LockPath.parse(directory);
            if (files.stream().noneMatch(covering::overlaps)) {
                throw new IllegalStateException(directory + " covers none of the files");
            }
        }
        if (FILES.size() + DIRECTORIES.size() != 100 || new HashSet<>(FILES).size() != FILES.size()) {
            throw new IllegalStateException("the pool must be 100 distinct paths");
        }
    }
}
