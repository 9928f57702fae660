package hive.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import hive.cli.run.Pids;
import hive.client.Agent;
import hive.client.AgentStatus;
import hive.client.HiveApiException;
import hive.client.HiveClient;
import hive.client.Lock;
import hive.client.Swarm;
import hive.client.SwarmStatus;
import hive.client.Task;
import hive.client.TaskState;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hive agent} as real processes against {@code hive server} as a real process, on a free
 * loopback port, over a SQLite file, with a 3 s session timeout. Tasks are shell commands that
 * leave marker files in the agents' {@code --dir}: {@code done/<task>} (one line per completed
 * run: the agent's id), {@code started/<task>}, and {@code pids/<task>.<attempt>} (the attempt's
 * shell, to clean up after an agent killed with SIGKILL, whose attempts outlive it).
 */
class AgentProcessIT {

    private static final String SESSION_TIMEOUT_S = "3";
    private static final Duration LONG = Duration.ofSeconds(180);

    @TempDir
    Path folder;
    Path work;
    Path db;
    int port;
    final List<Process> started = new ArrayList<>();
    HiveClient hive;

    @BeforeEach
    void folders() throws IOException {
        work = Files.createDirectories(folder.resolve("work"));
        for (String sub : List.of("done", "started", "pids", "env", "out")) {
            Files.createDirectories(work.resolve(sub));
        }
        db = folder.resolve("db/hive.db");
        port = freePort();
    }

    @AfterEach
    void cleanUp() throws IOException {
        if (hive != null) {
            hive.close();
        }
        started.forEach(Process::destroyForcibly);
        try (Stream<Path> pids = Files.list(work.resolve("pids"))) {
            for (Path file : pids.toList()) {
                long pid = Long.parseLong(Files.readString(file).strip());
                ProcessHandle.of(pid).ifPresent(shell -> {
                    shell.descendants().forEach(ProcessHandle::destroyForcibly);
                    shell.destroyForcibly();
                });
            }
        }
    }

    @Test
    void twoAgentsShareASwarmAndDoEveryTaskOnce() throws Exception {
        // given a paused swarm of six tasks that each lock their output file, and two agents on it
        String url = startServer().url();
        Swarm swarm = hive.createSwarm(plan("share", 1, 0, List.of("t1", "t2", "t3", "t4", "t5", "t6"),
                "echo \\\"$HIVE_LOCK_TOKEN $HIVE_SERVER\\\" > env/$HIVE_TASK_ID; sleep 1; "
                        + "echo $HIVE_AGENT_ID > out/$HIVE_TASK_ID.txt; echo $HIVE_AGENT_ID >> done/$HIVE_TASK_ID",
                true));
        hive.pause(swarm.id());
        AgentProcess one = startAgent("one", url, swarm.id());
        AgentProcess two = startAgent("two", url, swarm.id());
        awaitActive("one", "two");

        // when the swarm is resumed
        hive.resume(swarm.id());

        // then both agents work on it, end with it, and every task was done once
        assertThat(one.awaitExit()).as(one.describe()).isZero();
        assertThat(two.awaitExit()).as(two.describe()).isZero();
        Swarm done = hive.swarm(swarm.id());
        assertThat(done.status()).isEqualTo(SwarmStatus.COMPLETED);
        Map<String, String> doneBy = new TreeMap<>();
        for (Task task : done.tasks()) {
            assertThat(task.status()).as(task.id()).isEqualTo(TaskState.COMPLETED);
            assertThat(task.attempt()).as("attempts of %s", task.id()).isEqualTo(1);
            List<String> runs = Files.readAllLines(work.resolve("done").resolve(task.id()));
            assertThat(runs).as("runs of %s", task.id()).containsExactly(task.assignedAgent());
            String[] env = Files.readString(work.resolve("env").resolve(task.id())).strip().split(" ");
            assertThat(Long.parseLong(env[0])).as("HIVE_LOCK_TOKEN of %s", task.id()).isPositive();
            assertThat(env[1]).as("HIVE_SERVER of %s", task.id()).isEqualTo(url);
            doneBy.put(task.id(), task.assignedAgent());
        }
        assertThat(new HashSet<>(doneBy.values())).as("agents that did tasks: %s", doneBy)
                .containsExactlyInAnyOrder("one", "two");
        assertThat(hive.locks("default")).as("locks left").isEmpty();
        assertThat(hive.agent("one").status()).isEqualTo(AgentStatus.GONE);
        assertThat(one.stdout()).contains("agent one registered at " + url)
                .contains("swarm " + swarm.id() + " completed")
                .containsPattern("completed +" + swarm.id() + "/t\\d attempt 1/1");
    }

    @Test
    void aTaskOfAnAgentKilledWithSigkillIsFinishedByTheOtherAfterTheSessionTimeout() throws Exception {
        // given two agents on a swarm of one task, whose first attempt hangs
        String url = startServer().url();
        Swarm swarm = hive.createSwarm(plan("kill", 2, 0, List.of("slow"),
                "echo $$ > pids/$HIVE_TASK_ID.$HIVE_ATTEMPT; "
                        + "if [ \\\"$HIVE_ATTEMPT\\\" = 1 ]; then echo $HIVE_AGENT_ID > started/slow; sleep 300; fi; "
                        + "echo $HIVE_AGENT_ID >> done/$HIVE_TASK_ID", false));
        Map<String, AgentProcess> agents = Map.of("one", startAgent("one", url, swarm.id()),
                "two", startAgent("two", url, swarm.id()));
        Path marker = work.resolve("started/slow");
        await().atMost(LONG).until(() -> Files.exists(marker) && !Files.readString(marker).isBlank());
        String holder = Files.readString(marker).strip();
        String other = holder.equals("one") ? "two" : "one";

        // when the agent running it is killed with SIGKILL
        agents.get(holder).process().destroyForcibly();
        assertThat(agents.get(holder).process().waitFor(60, TimeUnit.SECONDS)).isTrue();

        // then, once its session has timed out, the other agent runs the second attempt and ends with the swarm
        assertThat(agents.get(other).awaitExit()).as(agents.get(other).describe()).isZero();
        Task slow = hive.task(swarm.id(), "slow");
        assertThat(slow.status()).isEqualTo(TaskState.COMPLETED);
        assertThat(slow.attempt()).isEqualTo(2);
        assertThat(slow.assignedAgent()).isEqualTo(other);
        assertThat(Files.readAllLines(work.resolve("done/slow"))).containsExactly(other);
        assertThat(hive.agent(holder).status()).isEqualTo(AgentStatus.LOST);
    }

    @Test
    void anAgentStartedAgainAfterSigkillEndsWhatItLeftRunningAndGivesBackWhatItHeld() throws Exception {
        // given an agent whose first attempt of the only task hangs, killed with SIGKILL mid-task
        String url = startServer().url();
        Swarm swarm = hive.createSwarm(plan("restart", 2, 0, List.of("slow"),
                "echo $$ > pids/$HIVE_TASK_ID.$HIVE_ATTEMPT; "
                        + "if [ \\\"$HIVE_ATTEMPT\\\" = 1 ]; then touch started/slow; sleep 300; fi; "
                        + "echo $HIVE_AGENT_ID >> done/$HIVE_TASK_ID", false));
        AgentProcess first = startAgent("solo", url, swarm.id());
        await().atMost(LONG).until(() -> Files.exists(work.resolve("started/slow")));
        // the agent records the attempt's process group just after starting it: wait for that record
        Path record = folder.resolve("logs").resolve(swarm.id()).resolve("slow/attempt-1.pid");
        await().atMost(LONG).until(() -> Files.exists(record) && !Files.readString(record).isBlank());
        first.process().destroyForcibly();
        assertThat(first.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
        long orphan = Long.parseLong(Files.readString(work.resolve("pids/slow.1")).strip());
        assertThat(ProcessHandle.of(orphan).map(ProcessHandle::isAlive).orElse(false))
                .as("the attempt outlives its agent (a session of its own)").isTrue();

        // when it is started again with the same id, before its session times out (the test keeps
        // the session alive until the new process has registered: a JVM starting on a loaded
        // machine may take longer than the short session of this test)
        java.util.concurrent.atomic.AtomicBoolean keep = new java.util.concurrent.atomic.AtomicBoolean(true);
        Thread stand = Thread.ofPlatform().daemon(true).start(() -> {
            while (keep.get()) {
                hive.heartbeat("solo");
                java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(300).toNanos());
            }
        });
        AgentProcess again = startAgent("solo", url, swarm.id());
        await().atMost(LONG).until(() -> again.stdout().contains("agent solo registered")
                || !again.process().isAlive());
        keep.set(false);
        stand.join();

        // then the orphaned attempt is ended, the task is given back at once and done by the new process
        assertThat(again.awaitExit()).as(again.describe()).isZero();
        await().atMost(Duration.ofSeconds(5)).until(() -> !Pids.running(orphan));
        Task slow = hive.task(swarm.id(), "slow");
        assertThat(slow.status()).isEqualTo(TaskState.COMPLETED);
        assertThat(slow.attempt()).isEqualTo(2);
        assertThat(Files.readAllLines(work.resolve("done/slow"))).containsExactly("solo");
        assertThat(again.stdout()).contains("ended 1 process group an earlier run of solo left running")
                .contains("agent solo still held " + swarm.id() + "/slow from an earlier run: giving it back");
    }

    @Test
    void agentsCarryOnThroughAServerRestart() throws Exception {
        // given two agents working on a swarm
        Server server = startServer();
        String url = server.url();
        List<String> ids = List.of("a", "b", "c", "d", "e", "f");
        Swarm swarm = hive.createSwarm(plan("restart", 5, 1, ids,
                "echo $$ > pids/$HIVE_TASK_ID.$HIVE_ATTEMPT; touch started/$HIVE_TASK_ID; sleep 1; "
                        + "echo $HIVE_AGENT_ID >> done/$HIVE_TASK_ID", false));
        AgentProcess one = startAgent("one", url, swarm.id());
        AgentProcess two = startAgent("two", url, swarm.id());
        await().atMost(LONG).until(() -> count(work.resolve("started")) > 0);

        // when the server is stopped, both agents notice, and it starts again on the same port and database
        server.process().destroy();
        assertThat(server.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
        await().atMost(LONG).until(() -> one.stderr().contains("does not answer")
                && two.stderr().contains("does not answer"));
        startServer();

        // then they carry on until the swarm is completed
        assertThat(one.awaitExit()).as(one.describe()).isZero();
        assertThat(two.awaitExit()).as(two.describe()).isZero();
        Swarm done = hive.swarm(swarm.id());
        assertThat(done.status()).isEqualTo(SwarmStatus.COMPLETED);
        for (String id : ids) {
            assertThat(work.resolve("done").resolve(id)).as("task %s done", id).exists();
        }
        assertThat(one.stderr()).contains("answers again");
        assertThat(two.stderr()).contains("answers again");
        assertThat(hive.locks("default")).isEmpty();
    }

    @Test
    void anAgentFoundLostStopsItsTakenBackAttemptAndRegistersAgain() throws Exception {
        // given an agent running the first attempt of a task, which hangs
        String url = startServer().url();
        Swarm swarm = hive.createSwarm(plan("lost", 2, 0, List.of("long"),
                "echo $$ > pids/$HIVE_TASK_ID.$HIVE_ATTEMPT; "
                        + "if [ \\\"$HIVE_ATTEMPT\\\" = 1 ]; then touch started/long; sleep 300; fi; "
                        + "echo $HIVE_AGENT_ID >> done/$HIVE_TASK_ID", false));
        AgentProcess agent = startAgent("frozen", url, swarm.id());
        await().atMost(LONG).until(() -> Files.exists(work.resolve("started/long")));
        long firstShell = Long.parseLong(Files.readString(work.resolve("pids/long.1")).strip());

        // when the agent's JVM is frozen (SIGSTOP) past the session timeout, so the server takes the task back
        signal("STOP", agent.process().pid());
        await().atMost(LONG).until(() -> hive.agent("frozen").status() == AgentStatus.LOST);
        signal("CONT", agent.process().pid());

        // then it stops that attempt, registers again, runs the second attempt and ends with the swarm
        assertThat(agent.awaitExit()).as(agent.describe()).isZero();
        assertThat(ProcessHandle.of(firstShell).map(ProcessHandle::isAlive).orElse(false))
                .as("the first attempt's shell is alive").isFalse();
        Task task = hive.task(swarm.id(), "long");
        assertThat(task.status()).isEqualTo(TaskState.COMPLETED);
        assertThat(task.attempt()).isEqualTo(2);
        assertThat(agent.stdout()).contains("stopped   " + swarm.id() + "/long attempt 1/2")
                .contains("completed " + swarm.id() + "/long attempt 2/2");
        assertThat(agent.stderr()).contains("agent frozen registered again");
    }

    @Test
    void sigtermStopsRunningTasksReportsThemAndLeaves() throws Exception {
        // given an agent running two tasks that lock files and hang, one with an attempt left
        String url = startServer().url();
        Swarm swarm = hive.createSwarm("""
                {"name": "term", "tasks": [
                  {"id": "again", "files": ["out/again.txt"], "max_attempts": 2, "backoff_s": 60, "run": "%s"},
                  {"id": "once", "files": ["out/once.txt"], "max_attempts": 1, "run": "%s"}]}"""
                .formatted(HANG, HANG));
        AgentProcess agent = startAgent("solo", url, swarm.id(), "--max-tasks", "2", "--grace-s", "1");
        await().atMost(LONG).until(() -> count(work.resolve("started")) == 2);
        assertThat(hive.locks("default")).extracting(Lock::agentId).containsExactly("solo", "solo");
        List<Long> shells = pids();

        // when it gets SIGTERM
        agent.process().destroy();

        // then it stops both, reports them failed (retryable), leaves and exits 0
        assertThat(agent.awaitExit()).as(agent.describe()).isZero();
        assertThat(agent.stdout()).contains("agent solo left the server");
        assertThat(hive.agent("solo").status()).isEqualTo(AgentStatus.GONE);
        assertThat(hive.agent("solo").currentTasks()).isEmpty();
        assertThat(hive.locks("default")).as("locks left").isEmpty();
        Task again = hive.task(swarm.id(), "again");
        assertThat(again.status()).isIn(TaskState.PENDING, TaskState.READY);
        assertThat(again.error()).contains("stopped").contains("SIGTERM");
        Task once = hive.task(swarm.id(), "once");
        assertThat(once.status()).isEqualTo(TaskState.FAILED);
        assertThat(once.attempt()).isEqualTo(1);
        for (long pid : shells) {
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("shell %s alive", pid)
                    .isFalse();
        }
    }

    @Test
    void refusesBadOptionsAndAnUnknownSwarm() throws Exception {
        String url = startServer().url();

        HiveProcessIT.Run badId = HiveProcessIT.run(folder, HiveProcessIT.jar("agent", "--server", url, "--id",
                "-x"));
        assertThat(badId.exitCode()).isEqualTo(2);
        assertThat(badId.err()).contains("--id must match");

        HiveProcessIT.Run noServer = HiveProcessIT.run(folder, withoutServerEnv(HiveProcessIT.jar("agent")));
        assertThat(noServer.exitCode()).isEqualTo(2);
        assertThat(noServer.err()).contains("--server URL is required");

        HiveProcessIT.Run unknown = HiveProcessIT.run(folder, HiveProcessIT.jar("agent", "--server", url, "--swarm",
                "sw_nope"));
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.err()).contains("has no swarm 'sw_nope'");
    }

    /** A hanging task: it records its shell's pid and that it started, then sleeps. */
    private static final String HANG = "echo $$ > pids/$HIVE_TASK_ID.$HIVE_ATTEMPT; touch started/$HIVE_TASK_ID; "
            + "sleep 300";

    /** A plan of independent tasks running {@code run} (JSON-escaped), each locking out/<id>.txt if asked. */
    private static String plan(String name, int maxAttempts, int backoffS, List<String> ids, String run,
            boolean files) {
        String tasks = ids.stream().map(id -> "{\"id\": \"" + id + "\", \"max_attempts\": " + maxAttempts
                + ", \"backoff_s\": " + backoffS + (files ? ", \"files\": [\"out/" + id + ".txt\"]" : "")
                + ", \"run\": \"" + run + "\"}").collect(Collectors.joining(",\n"));
        return "{\"name\": \"" + name + "\", \"tasks\": [\n" + tasks + "]}";
    }

    private List<Long> pids() throws IOException {
        try (Stream<Path> files = Files.list(work.resolve("pids"))) {
            List<Long> pids = new ArrayList<>();
            for (Path file : files.toList()) {
                pids.add(Long.parseLong(Files.readString(file).strip()));
            }
            return pids;
        }
    }

    private static void signal(String name, long pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).inheritIO().start();
        assertThat(kill.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(kill.exitValue()).as("kill -%s %s", name, pid).isZero();
    }

    private static long count(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.count();
        }
    }

    private void awaitActive(String... agentIds) {
        await().atMost(LONG).ignoreException(HiveApiException.class).until(() -> {
            for (String id : agentIds) {
                Agent agent = hive.agent(id);
                if (agent.status() != AgentStatus.ACTIVE) {
                    return false;
                }
            }
            return true;
        });
    }

    private static List<String> withoutServerEnv(List<String> command) {
        List<String> wrapped = new ArrayList<>(List.of("env", "-u", "HIVE_SERVER", "-u", "HIVE_TOKEN"));
        wrapped.addAll(command);
        return wrapped;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private record Server(Process process, String url) {
    }

    /** {@code hive server} on {@link #port} over {@link #db}; the test's client connects to it once. */
    private Server startServer() throws IOException {
        Path errFile = folder.resolve("server-" + started.size() + ".err");
        Process process = new ProcessBuilder(HiveProcessIT.jar("server", "--port", Integer.toString(port), "--db",
                "sqlite:" + db, "--session-timeout-s", SESSION_TIMEOUT_S))
                .directory(folder.toFile()).redirectError(errFile.toFile()).start();
        started.add(process);
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
        String line = out.readLine();
        if (line == null || !line.startsWith("HiveMind listening on http://")) {
            throw new AssertionError("hive server did not start: " + line + "\n" + Files.readString(errFile));
        }
        String url = line.substring("HiveMind listening on ".length()).split(" ")[0];
        if (hive == null) {
            hive = HiveClient.connect(url);
        }
        return new Server(process, url);
    }

    /** A {@code hive agent} process; stdout and stderr go to files (a destroyed process's pipes close). */
    private record AgentProcess(String id, Process process, Path out, Path err) {

        /** Waits for the agent to end; its exit status. */
        int awaitExit() throws InterruptedException {
            assertThat(process.waitFor(LONG.toSeconds(), TimeUnit.SECONDS)).as("agent %s ended in time; %s", id,
                    describe()).isTrue();
            return process.exitValue();
        }

        String stdout() {
            return read(out);
        }

        String stderr() {
            return read(err);
        }

        String describe() {
            return "agent " + id + "\n--- stdout:\n" + stdout() + "--- stderr:\n" + stderr();
        }

        private static String read(Path file) {
            try {
                return Files.readString(file);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private AgentProcess startAgent(String id, String url, String swarmId, String... more) throws IOException {
        List<String> args = new ArrayList<>(List.of("agent", "--server", url, "--id", id, "--swarm", swarmId, "--dir",
                work.toString(), "--logs", folder.resolve("logs").toString(), "--heartbeat-s", "1"));
        args.addAll(List.of(more));
        Path out = folder.resolve("agent-" + id + ".out");
        Path err = folder.resolve("agent-" + id + ".err");
        ProcessBuilder builder = new ProcessBuilder(HiveProcessIT.jar(args.toArray(String[]::new)))
                .directory(folder.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile());
        builder.environment().remove("HIVE_TOKEN");
        builder.environment().remove("HIVE_SERVER");
        Process process = builder.start();
        started.add(process);
        return new AgentProcess(id, process, out, err);
    }
}
