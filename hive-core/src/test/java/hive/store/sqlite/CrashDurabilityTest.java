package hive.store.sqlite;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import hive.Hive;
import hive.Hives;
import hive.RandomPlans;
import hive.TestClock;
import hive.agents.AgentProfile;
import hive.events.Event;
import hive.locks.AcquireResult;
import hive.locks.Lock;
import hive.locks.LockRequest;
import hive.plan.Plan;
import hive.schedule.Progress;
import hive.schedule.Swarm;
import hive.schedule.SwarmStatus;
import hive.schedule.Task;
import hive.schedule.TaskState;
import hive.store.Counters;
import hive.store.Durability;
import hive.store.StoreFailure;
import hive.store.SwarmRow;
import hive.store.TaskRow;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.Timeout.ThreadMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Durability of the SQLite store across an abrupt stop: a writer in another process is killed
 * with SIGKILL while its agents work, and the file, reopened here, reflects every operation that
 * process acknowledged, with nothing half done (locks granted included, and fencing tokens go on
 * above every token given out). Also: a clean close and reopen changes nothing,
 * and a file held by another process cannot be opened a second time.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = ThreadMode.SEPARATE_THREAD)
class CrashDurabilityTest {

    private static final int WORKER_TASKS = 2_500;
    private static final int WORKER_AGENTS = 4;
    private static final int ACKS_BEFORE_KILL = 400;
    private static final Duration CHILD_WAIT = Duration.ofSeconds(40);

    @TempDir
    Path dir;
    private final List<Child> children = new ArrayList<>();

    @AfterEach
    void killChildren() {
        children.forEach(Child::kill);
    }

    // --- crash ---

    @Test
    void everyOperationAcknowledgedBeforeAKillSurvivesItAndTheStoreStaysUsable() {
        // given a writer process whose agents claim, complete and fail tasks of a 2,500-task swarm
        Path db = dir.resolve("hive.db");
        Path ackLog = dir.resolve("acks.log");
        Child worker = start("work", db.toString(), Integer.toString(WORKER_TASKS), Integer.toString(WORKER_AGENTS),
                ackLog.toString());
        String swarmId = worker.awaitLine(line -> line.startsWith("swarm ")).split(" ")[1];

        // when it is killed (SIGKILL) after a few hundred acknowledged operations
        await("a few hundred acknowledgements").atMost(CHILD_WAIT).pollInterval(Duration.ofMillis(2))
                .failFast("the worker exited before it was killed (see " + worker.stderrFile() + ")", () -> !worker.isAlive())
                .until(() -> worker.ackCount() >= ACKS_BEFORE_KILL);
        worker.kill();
        assertThat(worker.exitValue()).as("exit status of the killed worker").isEqualTo(128 + 9);
        List<String> lines = worker.lines();
        assertThat(lines).as("the worker must be killed mid-run, not finish").doesNotContain("done .");
        // The acknowledgements read from the worker's standard output, and those it appended to its
        // log file (a second record, independent of how the pipe is drained after the kill).
        List<Ack> printed = Ack.parseAll(lines);
        List<Ack> logged = Ack.parseAll(readLines(ackLog));
        assertThat(printed).as("acknowledgements printed").hasSizeGreaterThanOrEqualTo(ACKS_BEFORE_KILL);
        List<Ack> acks = new ArrayList<>(logged);
        printed.stream().filter(ack -> !logged.contains(ack)).forEach(acks::add);
        String sources = printed.size() + " printed, " + logged.size() + " logged, "
                + logged.stream().filter(ack -> !printed.contains(ack)).count() + " logged but not printed, "
                + printed.stream().filter(ack -> !logged.contains(ack)).count() + " printed but not logged";

        // then, reopened in this process, every acknowledged operation is there
        Plan plan = RandomPlans.dag("crash", WORKER_TASKS, 3, CrashWorker.PLAN_SEED, CrashWorker.MAX_ATTEMPTS);
        Map<String, List<String>> dependencies = RandomPlans.dependencies(plan);
        try (Hive hive = Hives.open(dir, new TestClock())) {
            assertThat(hive.tasks(swarmId)).extracting(Task::id).as("tasks of the swarm")
                    .containsExactlyElementsOf(dependencies.keySet());
            assertAcknowledgedStatesSurvived(hive, swarmId, acks, sources);
            assertAcknowledgedEventsSurvived(hive, swarmId, acks);
            assertConsistent(hive, swarmId, dependencies);
            assertAcknowledgedLocksSurvived(hive, lines, readLines(ackLog));

            // and the store is fully usable: the rest of the swarm can be run to completion
            drain(hive, swarmId);
            assertConsistent(hive, swarmId, dependencies);
            assertThat(hive.progress(swarmId).progress()).as("progress after the drain").isEqualTo(100.0);
            assertThat(hive.swarm(swarmId).status()).isEqualTo(SwarmStatus.COMPLETED);
        }
    }

    /**
     * Locks: a file whose last acknowledged operation was a grant is still held (a release that
     * was acknowledged may or may not have become durable: it is acknowledged once applied); and
     * the next grant's fencing token is larger than every token acknowledged before the kill,
     * although tokens are reserved in blocks and the reservation is all the file keeps.
     */
    private static void assertAcknowledgedLocksSurvived(Hive hive, List<String> printed, List<String> logged) {
        // The last operation acknowledged per file, in the order of the log (printed lines are the
        // same operations; the log is the record that outlives the kill in one piece).
        Map<String, String> last = new java.util.TreeMap<>();
        long maxToken = 0;
        for (String line : logged.isEmpty() ? printed : logged) {
            String[] w = line.split(" ");
            if (!line.endsWith(" .")) {
                continue;
            }
            if (w[0].equals("lock") && w.length == 5) {
                last.put(w[1], "lock");
                maxToken = Math.max(maxToken, Long.parseLong(w[3]));
            } else if (w[0].equals("unlock") && w.length == 3) {
                last.put(w[1], "unlock");
            }
        }
        for (String line : printed) {
            String[] w = line.split(" ");
            if (w[0].equals("lock") && w.length == 5 && line.endsWith(" .")) {
                maxToken = Math.max(maxToken, Long.parseLong(w[3]));
            }
        }
        assertThat(last).as("files locked before the kill").isNotEmpty();
        Set<String> held = hive.locks("default").stream().filter(l -> l.agentId().equals("locker"))
                .map(Lock::path).collect(Collectors.toSet());
        for (Map.Entry<String, String> e : last.entrySet()) {
            if (e.getValue().equals("lock")) {
                assertThat(held).as("locks held after the kill (last acknowledged: %s)", last).contains(e.getKey());
            }
        }
        long largest = maxToken;
        assertThat(hive.acquire(LockRequest.exclusive("checker", "after/kill.txt")))
                .isInstanceOfSatisfying(AcquireResult.Granted.class, g -> assertThat(g.token())
                        .as("the first token after the kill, against the largest acknowledged").isGreaterThan(largest));
    }

    /**
     * Each task is at the stage its last acknowledged operation left it, or some steps further:
     * an operation in flight at the kill may have committed without being acknowledged, and each
     * agent has at most one in flight, so all tasks together are at most as many steps ahead as
     * there are agents (two agents may both have moved the same task: a failure and the next claim).
     */
    private static void assertAcknowledgedStatesSurvived(Hive hive, String swarmId, List<Ack> acks,
            String sources) {
        Map<String, Ack> last = new HashMap<>();
        for (Ack ack : acks) {
            last.merge(ack.task(), ack, (a, b) -> a.stage().compareTo(b.stage()) >= 0 ? a : b);
        }
        List<String> lost = new ArrayList<>();
        List<String> ahead = new ArrayList<>();
        int stepsAhead = 0;
        for (Task task : hive.tasks(swarmId)) {
            Ack ack = last.get(task.id());
            Stage acked = ack == null ? Stage.UNTOUCHED : ack.stage();
            Stage stored = Stage.of(task);
            if (stored.equals(acked)) {
                if (ack != null && !ack.matches(task)) {
                    lost.add(ack + " but stored " + describe(task));
                }
            } else if (ack != null && ack.isFinal()) {
                lost.add(ack + " (final) but stored " + describe(task));
            } else if (stored.equals(acked.next()) && (ack == null || ack.followedBy(task))) {
                ahead.add(describe(task) + " after " + (ack == null ? "no acknowledgement" : ack));
                stepsAhead++;
            } else if (steps(acked, stored) > 1) {
                ahead.add(describe(task) + ", " + steps(acked, stored) + " steps after "
                        + (ack == null ? "no acknowledgement" : ack));
                stepsAhead += steps(acked, stored);
            } else {
                lost.add((ack == null ? "no acknowledgement" : ack.toString()) + " but stored " + describe(task));
            }
        }
        assertThat(lost).as("acknowledged operations not reflected in the reopened store (acks: %s)", sources)
                .isEmpty();
        assertThat(stepsAhead).as("unacknowledged steps (at most one in-flight operation per agent): %s", ahead)
                .isLessThanOrEqualTo(WORKER_AGENTS);
    }

    /** How many steps lead from {@code from} to {@code to}, up to one per agent; 0 if none. */
    private static int steps(Stage from, Stage to) {
        Stage stage = from;
        for (int i = 1; i <= WORKER_AGENTS; i++) {
            stage = stage.next();
            if (stage.equals(to)) {
                return i;
            }
        }
        return 0;
    }

    /** Every acknowledged operation has its event: the agent and attempt it reported. */
    private static void assertAcknowledgedEventsSurvived(Hive hive, String swarmId, List<Ack> acks) {
        Map<String, Event> byKey = new HashMap<>();
        for (Event e : allEvents(hive, swarmId)) {
            if (e.taskId() != null && e.data().get("attempt") instanceof Number attempt) {
                byKey.put(e.type() + " " + e.taskId() + " " + attempt.intValue(), e);
            }
        }
        List<String> missing = new ArrayList<>();
        for (Ack ack : acks) {
            Event event = byKey.get(ack.eventType() + " " + ack.task() + " " + ack.attempt());
            if (event == null || !ack.agent().equals(event.agentId())
                    || (ack.kind().equals("fail") && !Boolean.valueOf(ack.outcome() != TaskState.FAILED)
                            .equals(event.data().get("will_retry")))) {
                missing.add(ack + " has event " + event);
            }
        }
        assertThat(missing).as("acknowledged operations without their event").isEmpty();
    }

    // --- clean close ---

    @Test
    void cleanCloseAndReopenKeepsTasksProgressAndEventsIdentical() {
        // given a swarm in every kind of state: completed, in progress, retried, failed, blocked, ready
        TestClock clock = new TestClock();
        Plan plan = RandomPlans.dag("reopen", 300, 3, 5L, 2);
        Snapshot before;
        String swarmId;
        try (Hive hive = Hives.open(dir, clock)) {
            swarmId = hive.createSwarm(plan).id();
            work(hive, swarmId, clock, new Random(3), 400);
            before = Snapshot.of(hive, swarmId);
            assertThat(before.tasks()).extracting(Task::status).as("states before close")
                    .contains(TaskState.COMPLETED, TaskState.IN_PROGRESS, TaskState.FAILED, TaskState.BLOCKED,
                            TaskState.READY, TaskState.PENDING);
            assertWriterCopyEqualsFile(hive, swarmId);
        }

        // when the store is reopened
        try (Hive hive = Hives.open(dir, clock)) {
            Snapshot after = Snapshot.of(hive, swarmId);

            // then everything reads back identical
            assertThat(after.swarm()).as("swarm").isEqualTo(before.swarm());
            assertThat(after.tasks()).as("tasks").containsExactlyElementsOf(before.tasks());
            assertThat(after.progress()).as("progress").isEqualTo(before.progress());
            assertThat(after.events()).as("events").containsExactlyElementsOf(before.events());
            assertThat(after.ready()).as("ready queue").containsExactlyElementsOf(before.ready());
            assertWriterCopyEqualsFile(hive, swarmId);

            // and work goes on where it stopped, numbering events after the last one
            drain(hive, swarmId);
            assertConsistent(hive, swarmId, RandomPlans.dependencies(plan));
            assertThat(hive.events(swarmId, 0, 1)).extracting(Event::seq).containsExactly(1L);
            assertThat(hive.events(swarmId, before.events().size(), 1)).extracting(Event::seq)
                    .containsExactly(before.events().size() + 1L);
            assertThat(hive.progress(swarmId).progress()).isEqualTo(100.0);
        }
    }

    private record Snapshot(Swarm swarm, List<Task> tasks, Progress progress, List<Event> events, List<Task> ready) {
        static Snapshot of(Hive hive, String swarmId) {
            return new Snapshot(hive.swarm(swarmId), hive.tasks(swarmId), hive.progress(swarmId),
                    allEvents(hive, swarmId), hive.ready(swarmId, 10_000));
        }
    }

    /** Agents with room for two tasks each: complete, fail with a retry, fail for good, or keep running. */
    private static void work(Hive hive, String swarmId, TestClock clock, Random random, int rounds) {
        List<AgentProfile> agents = List.of(new AgentProfile("a0", Set.of(), 2), new AgentProfile("a1", Set.of(), 2),
                new AgentProfile("a2", Set.of(), 2), new AgentProfile("a3", Set.of(), 2));
        for (int i = 0; i < rounds; i++) {
            clock.advance(Duration.ofMillis(1_500));
            AgentProfile agent = agents.get(i % agents.size());
            Optional<Task> claimed = hive.claim(agent, swarmId);
            if (claimed.isEmpty()) {
                continue;
            }
            String task = claimed.get().id();
            int roll = random.nextInt(100);
            if (roll < 65) {
                hive.complete(swarmId, task, agent.id(), "result " + i);
            } else if (roll < 80) {
                hive.fail(swarmId, task, agent.id(), "flaky " + i, true);
            } else if (roll < 85) {
                hive.fail(swarmId, task, agent.id(), "broken " + i, false);
            }
        }
    }

    // --- a file held by another process ---

    @Test
    void secondOpenOfAFileHeldByAnotherProcessFailsNamingTheFile() {
        // given another process holding the store open
        Path db = dir.resolve("held.db");
        Child holder = start("hold", db.toString());
        holder.awaitLine(line -> line.startsWith("open "));

        // when this process opens the same file, then it is refused with a clear message
        assertThatThrownBy(() -> SqliteStore.open(db, Durability.NORMAL)).isInstanceOf(StoreFailure.class)
                .hasMessageContaining(db.toAbsolutePath().toString())
                .hasMessageContaining("in use by another HiveMind process")
                .hasMessageContaining("pid " + holder.pid());

        // and once the other process has closed it, it opens
        holder.closeInput();
        holder.awaitExit();
        assertThat(holder.exitValue()).as("exit status of the holder; stderr: %s", holder.stderr()).isZero();
        assertThat(holder.lines()).contains("closed .");
        try (SqliteStore store = SqliteStore.open(db, Durability.NORMAL)) {
            List<SwarmRow> swarms = store.read(tx -> tx.swarms());
            assertThat(swarms).isEmpty();
        }
    }

    // --- shared checks ---

    /**
     * Nothing half done: counters equal a recount, events are numbered 1..n without gaps, and every
     * task's state agrees with its dependencies' states.
     */
    static void assertConsistent(Hive hive, String swarmId, Map<String, List<String>> dependencies) {
        SwarmRow swarm = hive.store().read(tx -> tx.swarm(swarmId)).orElseThrow();
        List<Task> tasks = hive.tasks(swarmId);
        Map<TaskState, Integer> recount = new EnumMap<>(TaskState.class);
        double weightCompleted = 0;
        double weightTotal = 0;
        for (Task t : tasks) {
            recount.merge(t.status(), 1, Integer::sum);
            weightTotal += t.weight();
            weightCompleted += t.status() == TaskState.COMPLETED ? t.weight() : 0;
        }
        Counters counters = swarm.counters();
        for (TaskState state : TaskState.values()) {
            assertThat(counters.count(state)).as("counter of %s (counters %s)", state.wire(), counters)
                    .isEqualTo(recount.getOrDefault(state, 0));
        }
        assertThat(counters.weightTotal()).as("total weight").isEqualTo(weightTotal);
        assertThat(counters.weightCompleted()).as("completed weight").isEqualTo(weightCompleted);

        List<Event> events = allEvents(hive, swarmId);
        assertThat(events).extracting(Event::seq).as("event numbers").containsExactlyElementsOf(
                java.util.stream.LongStream.rangeClosed(1, swarm.lastEventSeq()).boxed().toList());

        Map<String, TaskState> states = tasks.stream().collect(Collectors.toMap(Task::id, Task::status));
        List<String> inconsistent = new ArrayList<>();
        for (Task t : tasks) {
            List<String> deps = dependencies.get(t.id());
            boolean depsDone = deps.stream().allMatch(d -> states.get(d) == TaskState.COMPLETED);
            boolean depsBroken = deps.stream().anyMatch(d -> states.get(d) == TaskState.FAILED
                    || states.get(d) == TaskState.BLOCKED);
            boolean ok = switch (t.status()) {
                case READY, IN_PROGRESS, COMPLETED -> depsDone;
                case FAILED -> depsDone && t.error() != null;
                case PENDING -> !depsDone || t.notBefore() != null;
                case BLOCKED -> depsBroken && !t.blockedBy().isEmpty()
                        && t.blockedBy().stream().allMatch(root -> states.get(root) == TaskState.FAILED);
                case CANCELLED -> false;
            };
            if (!ok) {
                inconsistent.add(describe(t) + " with dependencies " + deps.stream()
                        .map(d -> d + "=" + states.get(d).wire()).toList());
            }
        }
        assertThat(inconsistent).as("tasks whose state disagrees with their dependencies").isEmpty();
    }

    /** The writer's in-memory copy, rebuilt on open, holds exactly what the file holds. */
    private static void assertWriterCopyEqualsFile(Hive hive, String swarmId) {
        List<TaskRow> fromFile = hive.store().read(tx -> tx.tasks(swarmId, Optional.empty()));
        SwarmRow swarmFromFile = hive.store().read(tx -> tx.swarm(swarmId)).orElseThrow();
        List<TaskRow> fromCopy = hive.store().write(tx -> tx.tasks(swarmId, Optional.empty()));
        SwarmRow swarmFromCopy = hive.store().write(tx -> tx.swarm(swarmId)).orElseThrow();
        assertThat(fromCopy).as("tasks in the writer's copy vs the file").containsExactlyElementsOf(fromFile);
        assertThat(swarmFromCopy).as("swarm in the writer's copy vs the file").isEqualTo(swarmFromFile);
    }

    /**
     * Runs what is left of the swarm: tasks left running by dead agents are finished by them, failed
     * tasks get fresh attempts, then one agent takes everything else.
     */
    private static void drain(Hive hive, String swarmId) {
        for (Task t : hive.tasks(swarmId, Optional.of(TaskState.IN_PROGRESS))) {
            hive.complete(swarmId, t.id(), t.assignedAgent(), "finished after reopening");
        }
        for (Task t : hive.tasks(swarmId, Optional.of(TaskState.FAILED))) {
            hive.retry(swarmId, t.id());
        }
        AgentProfile survivor = AgentProfile.of("survivor");
        Optional<Task> next;
        while ((next = hive.claim(survivor, swarmId)).isPresent()) {
            hive.complete(swarmId, next.get().id(), survivor.id(), "drained");
        }
    }

    static List<Event> allEvents(Hive hive, String swarmId) {
        List<Event> all = new ArrayList<>();
        while (true) {
            List<Event> page = hive.events(swarmId, all.isEmpty() ? 0 : all.get(all.size() - 1).seq(), 5_000);
            if (page.isEmpty()) {
                return all;
            }
            all.addAll(page);
        }
    }

    private static List<String> readLines(Path file) {
        try {
            return Files.readAllLines(file, UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String describe(Task t) {
        return t.id() + " " + t.status().wire() + " attempt " + t.attempt() + " agent " + t.assignedAgent()
                + " result " + t.result() + " error " + t.error();
    }

    // --- the model of what the worker acknowledged ---

    /** How far a task has gone: its attempt, and 1 while running, 2 once that attempt ended. */
    record Stage(int attempt, int phase) implements Comparable<Stage> {
        static final Stage UNTOUCHED = new Stage(0, 2);

        static Stage of(Task task) {
            return switch (task.status()) {
                case IN_PROGRESS -> new Stage(task.attempt(), 1);
                default -> new Stage(task.attempt(), 2);
            };
        }

        Stage next() {
            return phase == 1 ? new Stage(attempt, 2) : new Stage(attempt + 1, 1);
        }

        @Override
        public int compareTo(Stage other) {
            return attempt != other.attempt ? Integer.compare(attempt, other.attempt)
                    : Integer.compare(phase, other.phase);
        }
    }

    /** One line {@code ack KIND TASK by AGENT attempt N [-> STATE] .} of the worker. */
    record Ack(String kind, String task, String agent, int attempt, TaskState outcome) {

        static List<Ack> parseAll(List<String> lines) {
            List<Ack> acks = new ArrayList<>();
            for (String line : lines) {
                if (line.startsWith("ack ") && line.endsWith(" .")) {
                    String[] w = line.split(" ");
                    TaskState outcome = switch (w[1]) {
                        case "claim" -> TaskState.IN_PROGRESS;
                        case "complete" -> TaskState.COMPLETED;
                        default -> TaskState.ofWire(w[8]);
                    };
                    acks.add(new Ack(w[1], w[2], w[4], Integer.parseInt(w[6]), outcome));
                }
            }
            return acks;
        }

        Stage stage() {
            return new Stage(attempt, kind.equals("claim") ? 1 : 2);
        }

        /** Nothing may follow it: the task completed or failed for good. */
        boolean isFinal() {
            return outcome == TaskState.COMPLETED || outcome == TaskState.FAILED;
        }

        String eventType() {
            return switch (kind) {
                case "claim" -> "task_started";
                case "complete" -> "task_completed";
                default -> "task_failed";
            };
        }

        /** The stored task is exactly what this operation left. */
        boolean matches(Task t) {
            return t.status() == outcome && switch (kind) {
                case "claim" -> agent.equals(t.assignedAgent());
                case "complete" -> agent.equals(t.assignedAgent())
                        && ("result of " + task + " #" + attempt).equals(t.result());
                default -> ("failure of " + task + " #" + attempt).equals(t.error())
                        && (outcome != TaskState.FAILED || agent.equals(t.assignedAgent()));
            };
        }

        /** The stored task is what one more (unacknowledged) operation after this one would leave. */
        boolean followedBy(Task t) {
            if (kind.equals("claim")) {
                return t.status() == TaskState.COMPLETED || t.status() == TaskState.FAILED
                        ? agent.equals(t.assignedAgent())
                        : t.status() == TaskState.READY && ("failure of " + task + " #" + attempt).equals(t.error());
            }
            return t.status() == TaskState.IN_PROGRESS;
        }

        @Override
        public String toString() {
            return "acked " + kind + " " + task + " by " + agent + " attempt " + attempt + " -> " + outcome.wire();
        }
    }

    // --- child processes ---

    private Child start(String... args) {
        Child child = Child.start(dir, children.size(), args);
        children.add(child);
        return child;
    }

    /** A JVM running {@link CrashWorker} on this test's classpath; its stdout read line by line as it comes. */
    private static final class Child {
        private final Process process;
        private final Path stderr;
        private final List<String> lines = new ArrayList<>();
        private final Thread reader;

        private Child(Process process, Path stderr) {
            this.process = process;
            this.stderr = stderr;
            this.reader = Thread.ofPlatform().daemon(true).name("child-stdout-" + process.pid()).start(this::read);
        }

        static Child start(Path dir, int number, String... args) {
            List<String> command = new ArrayList<>(List.of(
                    ProcessHandle.current().info().command().orElseThrow(),
                    "--enable-native-access=ALL-UNNAMED", "-Xmx512m",
                    "-cp", System.getProperty("java.class.path"),
                    CrashWorker.class.getName()));
            command.addAll(List.of(args));
            Path stderr = dir.resolve("child-" + number + ".stderr");
            try {
                return new Child(new ProcessBuilder(command).redirectError(stderr.toFile()).start(), stderr);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private void read() {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    synchronized (lines) {
                        lines.add(line);
                    }
                }
            } catch (IOException e) {
                // the process is gone; what was read is kept
            }
        }

        long pid() {
            return process.pid();
        }

        boolean isAlive() {
            return process.isAlive();
        }

        List<String> lines() {
            synchronized (lines) {
                return List.copyOf(lines);
            }
        }

        long ackCount() {
            synchronized (lines) {
                return lines.stream().filter(line -> line.startsWith("ack ")).count();
            }
        }

        String awaitLine(Predicate<String> wanted) {
            return await("a line from the child").atMost(CHILD_WAIT).pollInterval(Duration.ofMillis(5))
                    .failFast("the child exited: " + stderr, () -> !process.isAlive() && !reader.isAlive())
                    .until(() -> lines().stream().filter(wanted).findFirst(), Optional::isPresent).orElseThrow();
        }

        void closeInput() {
            try {
                process.getOutputStream().close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** SIGKILL, no clean shutdown; then reads what the child had printed up to its death. */
        void kill() {
            process.destroyForcibly();
            awaitExit();
        }

        void awaitExit() {
            await("the child to exit").atMost(CHILD_WAIT).until(() -> !process.isAlive());
            try {
                reader.join(CHILD_WAIT.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        Path stderrFile() {
            return stderr;
        }

        int exitValue() {
            return process.exitValue();
        }

        String stderr() {
            try {
                return Files.exists(stderr) ? Files.readString(stderr) : "";
            } catch (IOException e) {
                return "(unreadable: " + e + ")";
            }
        }
    }
}
