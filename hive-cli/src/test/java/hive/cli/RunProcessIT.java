package hive.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import hive.cli.run.Pids;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hive run} as a user runs it: the packaged jar as a process, plans of real shell commands
 * in a temporary folder, the outcome read from its {@code --json} events and final {@code
 * run_summary}, and from the files the commands wrote.
 */
class RunProcessIT {

    private static final Path JAR = Path.of(System.getProperty("hive.jar", "target/hive.jar")).toAbsolutePath();
    private static final String JAVA = ProcessHandle.current().info().command().orElseThrow();
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void killLeftovers() throws IOException {
        started.forEach(p -> p.descendants().forEach(ProcessHandle::destroyForcibly));
        started.forEach(Process::destroyForcibly);
        // commands that recorded their pid (they run in sessions of their own)
        try (var files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".pid")).toList()) {
                ProcessHandle.of(Long.parseLong(Files.readString(file).trim())).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }

    @Test
    void runsTasksInDependencyOrder() throws Exception {
        plan("""
                name: chain
                tasks:
                  - {id: c, run: "echo c >> order.txt", depends_on: [b]}
                  - {id: a, run: "sleep 0.3; echo a >> order.txt"}
                  - {id: b, run: "echo b >> order.txt", depends_on: [a]}
                """);

        Run run = run("plan.yaml", "--workers", "3");

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(lines("order.txt")).containsExactly("a", "b", "c");
        assertThat(run.states()).containsExactlyInAnyOrderEntriesOf(
                Map.of("a", "completed", "b", "completed", "c", "completed"));
    }

    @Test
    void aFailureBlocksItsDependentsAndNotTheOthers() throws Exception {
        plan("""
                name: broken-backend
                tasks:
                  - {id: backend, run: "echo compile error >&2; exit 3"}
                  - {id: frontend, run: "touch frontend.done", depends_on: [backend]}
                  - {id: deploy, run: "touch deploy.done", depends_on: [frontend]}
                  - {id: docs, run: "sleep 0.5; touch docs.done"}
                """);

        Run run = run("plan.yaml", "--workers", "2");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.states()).containsExactlyInAnyOrderEntriesOf(Map.of("backend", "failed", "frontend",
                "blocked", "deploy", "blocked", "docs", "completed"));
        assertThat(dir.resolve("docs.done")).exists();
        assertThat(dir.resolve("frontend.done")).doesNotExist();
        assertThat(dir.resolve("deploy.done")).doesNotExist();
        JsonNode failed = run.events("task_failed").getFirst();
        assertThat(failed.get("error").asText()).startsWith("exit status 3").contains("compile error");
        Path log = dir.resolve(".hive/logs").resolve(run.swarmId()).resolve("backend/attempt-1.log");
        assertThat(Files.readString(log)).isEqualTo("compile error\n");
    }

    @Test
    void anInvalidPlanExitsTwoNamingTheCycle() throws Exception {
        plan("""
                name: loop
                tasks:
                  - {id: a, run: "true", depends_on: [b]}
                  - {id: b, run: "true", depends_on: [a]}
                  - {id: c}
                """);

        Run run = run("plan.yaml");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("a → b → a");
        assertThat(dir.resolve(".hive/hive.db")).as("nothing was created").doesNotExist();
    }

    @Test
    void aTaskWithoutACommandIsRefusedUnlessExecIsGiven() throws Exception {
        plan("""
                name: prompts
                tasks:
                  - {id: api, description: "Build the API"}
                  - {id: ui, description: "Build the UI", depends_on: [api]}
                """);

        Run refused = run("plan.yaml");
        Run run = run("plan.yaml", "--exec", "echo \"$HIVE_TASK_ID: $HIVE_TASK_DESCRIPTION\" >> prompts.txt");

        assertThat(refused.exitCode()).isEqualTo(2);
        assertThat(refused.err()).contains("task 'api': no 'run' command").contains("--exec");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(lines("prompts.txt")).containsExactly("api: Build the API", "ui: Build the UI");
    }

    @Test
    void aTaskOverItsTimeoutIsKilledWithItsChildrenAndFails() throws Exception {
        plan("""
                name: stuck
                tasks:
                  - id: hang
                    run: "sleep 300 & echo $! > child.pid; echo $$ > shell.pid; sleep 300"
                    timeout_s: 2
                """);

        Run run = run("plan.yaml");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.states()).containsEntry("hang", "failed");
        assertThat(run.events("task_failed").getFirst().get("error").asText()).startsWith("timed out after 2 s");
        for (String pidFile : List.of("child.pid", "shell.pid")) {
            assertGone(pidFile);
        }
    }

    @Test
    void aFlakyTaskSucceedsOnRetry() throws Exception {
        plan("""
                name: flaky
                tasks:
                  - id: fetch
                    run: 'echo "attempt $HIVE_ATTEMPT" >> attempts.txt; [ "$HIVE_ATTEMPT" -ge 2 ]'
                    max_attempts: 3
                    backoff_s: 0.2
                  - {id: use, run: "true", depends_on: [fetch]}
                """);

        Run run = run("plan.yaml");

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(lines("attempts.txt")).containsExactly("attempt 1", "attempt 2");
        assertThat(run.summaryTask("fetch").get("attempts").asInt()).isEqualTo(2);
        assertThat(run.events("task_failed").getFirst().get("will_retry").asBoolean()).isTrue();
    }

    @Test
    void independentTasksRunInParallel() throws Exception {
        StringBuilder plan = new StringBuilder("name: wide\ntasks:\n");
        for (int i = 1; i <= 4; i++) {
            plan.append("  - {id: t").append(i).append(", run: \"touch started.$HIVE_TASK_ID; ")
                    .append("n=0; while [ $(ls started.* | wc -l) -lt 4 ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n+1)); done; ")
                    .append("ls started.* | wc -l > seen.$HIVE_TASK_ID\"}\n");
        }
        plan(plan.toString());

        Run run = run("plan.yaml", "--workers", "4");

        assertThat(run.exitCode()).as(run.err()).isZero();
        for (int i = 1; i <= 4; i++) {
            assertThat(Files.readString(dir.resolve("seen.t" + i)).trim())
                    .as("t%d saw all four running at once", i).isEqualTo("4");
        }
    }

    @Test
    void tasksWritingTheSameFileNeverOverlap() throws Exception {
        StringBuilder plan = new StringBuilder("name: shared\ntasks:\n");
        for (int i = 1; i <= 6; i++) {
            plan.append("  - {id: w").append(i).append(", files: [shared.txt], run: \"echo start $HIVE_TASK_ID ")
                    .append("$HIVE_LOCK_TOKEN >> shared.txt; sleep 0.2; echo end $HIVE_TASK_ID >> shared.txt\"}\n");
        }
        plan.append("  - {id: other, run: \"sleep 0.5\"}\n");
        plan(plan.toString());

        Run run = run("plan.yaml", "--workers", "4");

        assertThat(run.exitCode()).as(run.err()).isZero();
        List<String> lines = lines("shared.txt");
        assertThat(lines).hasSize(12);
        long lastToken = 0;
        for (int i = 0; i < lines.size(); i += 2) {
            String[] start = lines.get(i).split(" ");
            assertThat(start[0]).as("line %d: %s", i, lines).isEqualTo("start");
            assertThat(lines.get(i + 1)).as("the writer that started ends before the next starts: %s", lines)
                    .isEqualTo("end " + start[1]);
            long token = Long.parseLong(start[2]);
            assertThat(token).as("fencing tokens grow: %s", lines).isGreaterThan(lastToken);
            lastToken = token;
        }
    }

    @Test
    void aRerunResumesWithoutRepeatingCompletedTasks() throws Exception {
        plan("""
                name: resumable
                tasks:
                  - {id: gen, run: "echo gen >> ran.txt"}
                  - {id: build, run: "echo build >> ran.txt; test -f fixed", depends_on: [gen]}
                  - {id: test, run: "echo test >> ran.txt", depends_on: [build]}
                """);

        Run first = run("plan.yaml");
        Files.writeString(dir.resolve("fixed"), "");
        Run second = run("plan.yaml");
        Run third = run("plan.yaml");

        assertThat(first.exitCode()).isEqualTo(1);
        assertThat(first.states()).containsEntry("build", "failed").containsEntry("test", "blocked");
        assertThat(second.exitCode()).as(second.err()).isZero();
        assertThat(second.swarmId()).isEqualTo(first.swarmId());
        assertThat(lines("ran.txt")).containsExactly("gen", "build", "build", "test");
        assertThat(second.events("task_started")).extracting(e -> e.get("task_id").asText())
                .containsExactly("build", "test");
        assertThat(third.exitCode()).isZero();
        assertThat(third.events("task_started")).isEmpty();
        assertThat(lines("ran.txt")).hasSize(4);
        Path logs = dir.resolve(".hive/logs").resolve(first.swarmId()).resolve("build");
        assertThat(logs.resolve("attempt-1.1.log")).as("the first run's log is kept").exists();
        assertThat(logs.resolve("attempt-1.log")).exists();
    }

    @Test
    void aRunAfterAKillNineEndsTheCommandsItLeftRunningBeforeRunningTheirTasksAgain() throws Exception {
        plan("""
                name: crashed
                tasks:
                  - id: work
                    run: "if [ -f first.pid ]; then echo again >> runs.txt; else echo $$ > first.pid; sleep 120; fi"
                    max_attempts: 2
                    files: [out.txt]
                """);
        Process first = start("plan.yaml");
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(dir.resolve("first.pid")));
        // hive records the attempt's process group just after starting it: wait for that record
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            try (var files = Files.walk(dir.resolve(".hive/logs"))) {
                return files.anyMatch(f -> f.endsWith(Path.of("work", "attempt-1.pid")));
            }
        });
        first.destroyForcibly().waitFor();
        assertThat(alive("first.pid")).as("the command outlives its hive (a session of its own)").isTrue();

        Run second = run("plan.yaml");

        assertThat(second.exitCode()).as(second.err()).isZero();
        assertGone("first.pid");
        assertThat(lines("runs.txt")).containsExactly("again");
        assertThat(second.events("run_note")).extracting(e -> e.get("message").asText())
                .anyMatch(note -> note.equals("ended 1 process group an earlier run left running"));
    }

    @Test
    void aSecondRunOnTheSameDatabaseIsRefusedWhileTheFirstRuns() throws Exception {
        plan("""
                name: busy
                tasks:
                  - {id: slow, run: "touch slow.started; sleep 3"}
                """);
        Process first = start("plan.yaml");
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(dir.resolve("slow.started")));

        Run second = run("plan.yaml");
        Run done = finish(first);

        assertThat(second.exitCode()).isEqualTo(1);
        assertThat(second.err()).contains("is in use by another HiveMind process (pid " + first.pid() + ")");
        assertThat(done.exitCode()).as(done.err()).isZero();
    }

    @Test
    void firstCtrlCLetsRunningTasksFinishAndStartsNothingNew() throws Exception {
        plan("""
                name: interrupted
                tasks:
                  - {id: slow, run: "touch slow.started; sleep 2; touch slow.done"}
                  - {id: next, run: "touch next.done", depends_on: [slow]}
                """);
        Process hive = start("plan.yaml", "--grace-s", "30");
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(dir.resolve("slow.started")));

        signal(hive, "INT");
        Run run = finish(hive);

        assertThat(run.exitCode()).isEqualTo(130);
        assertThat(dir.resolve("slow.done")).as("the running task finished").exists();
        assertThat(dir.resolve("next.done")).as("nothing new started").doesNotExist();
        assertThat(run.states()).containsEntry("slow", "completed");
        assertThat(run.states().get("next")).isIn("ready", "pending");

        Run resumed = run("plan.yaml");
        assertThat(resumed.exitCode()).as(resumed.err()).isZero();
        assertThat(resumed.events("task_started")).extracting(e -> e.get("task_id").asText()).containsExactly("next");
    }

    @Test
    void closingTheTerminalStopsLikeAFirstCtrlC() throws Exception {
        plan("""
                name: hangup
                tasks:
                  - {id: slow, run: "touch slow.started; sleep 2; touch slow.done"}
                  - {id: next, run: "touch next.done", depends_on: [slow]}
                """);
        Process hive = start("plan.yaml");
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(dir.resolve("slow.started")));

        signal(hive, "HUP");
        Run run = finish(hive);

        assertThat(run.exitCode()).isEqualTo(130);
        assertThat(dir.resolve("slow.done")).as("the running task finished").exists();
        assertThat(dir.resolve("next.done")).as("nothing new started").doesNotExist();
    }

    @Test
    void runningTasksAreStoppedWhenTheGraceEnds() throws Exception {
        plan("""
                name: stop-them
                tasks:
                  - {id: endless, run: "echo $$ > endless.pid; sleep 120", max_attempts: 1}
                """);
        Process hive = start("plan.yaml", "--grace-s", "1");
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(dir.resolve("endless.pid")));

        signal(hive, "INT");
        Run run = finish(hive);

        assertThat(run.exitCode()).isEqualTo(130);
        assertGone("endless.pid");
        assertThat(run.states()).containsEntry("endless", "failed");
        assertThat(run.events("task_failed").getFirst().get("error").asText())
                .startsWith("stopped: hive run was interrupted");
    }

    @Test
    void aSecondCtrlCKillsRunningTasksAtOnce() throws Exception {
        plan("""
                name: kill-them
                tasks:
                  - {id: stubborn, run: "trap '' TERM; echo $$ > stubborn.pid; sleep 120"}
                  - {id: later, run: "true", depends_on: [stubborn]}
                """);
        Process hive = start("plan.yaml", "--grace-s", "600");
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(dir.resolve("stubborn.pid")));

        signal(hive, "INT");
        Thread.sleep(300);
        assertThat(hive.isAlive()).as("the first Ctrl-C waits for the running task").isTrue();
        signal(hive, "INT");
        Run run = finish(hive);

        assertThat(run.exitCode()).isEqualTo(130);
        assertGone("stubborn.pid");
        assertThat(run.events("task_failed").getFirst().get("error").asText())
                .startsWith("stopped: hive run was interrupted twice");
        assertThat(run.states().get("later")).isNotEqualTo("completed");
    }

    // --- helpers ---

    record Run(int exitCode, List<JsonNode> lines, String err) {

        JsonNode summary() {
            return lines.stream().filter(l -> "run_summary".equals(l.path("type").asText())).findFirst()
                    .orElseThrow(() -> new AssertionError("no run_summary in " + lines + "\nstderr: " + err));
        }

        Map<String, String> states() {
            Map<String, String> states = new HashMap<>();
            summary().get("tasks").forEach(t -> states.put(t.get("id").asText(), t.get("status").asText()));
            return states;
        }

        JsonNode summaryTask(String id) {
            for (JsonNode t : summary().get("tasks")) {
                if (t.get("id").asText().equals(id)) {
                    return t;
                }
            }
            throw new AssertionError("no task " + id + " in " + summary());
        }

        String swarmId() {
            return summary().get("swarm_id").asText();
        }

        List<JsonNode> events(String type) {
            return lines.stream().filter(l -> type.equals(l.path("type").asText())).toList();
        }
    }

    private void plan(String yaml) throws IOException {
        Files.writeString(dir.resolve("plan.yaml"), yaml);
    }

    private List<String> lines(String file) throws IOException {
        return Files.readAllLines(dir.resolve(file));
    }

    /** Asserts the process has ended, allowing the kernel a moment to deliver a SIGKILL already sent. */
    private void assertGone(String pidFile) {
        await(pidFile + " is gone").atMost(Duration.ofSeconds(3)).until(() -> !alive(pidFile));
    }

    /** Whether the process whose pid the file holds still runs (a zombie counts as gone). */
    private boolean alive(String pidFile) throws IOException {
        return Pids.running(Long.parseLong(Files.readString(dir.resolve(pidFile)).trim()));
    }

    private Run run(String... args) throws Exception {
        return finish(start(args));
    }

    /**
     * Starts {@code hive run ARGS --json} in the plan's folder. Through perl, when there is one, to
     * give SIGINT back its default action: a process started in the background by a
     * non-interactive shell (a CI runner) inherits SIGINT ignored, and the JVM then cannot handle it.
     */
    private Process start(String... args) throws IOException {
        List<String> command = new ArrayList<>();
        if (Files.isExecutable(Path.of("/usr/bin/perl"))) {
            command.addAll(List.of("/usr/bin/perl", "-e", "$SIG{INT} = 'DEFAULT'; exec @ARGV or die \"exec: $!\""));
        }
        command.addAll(List.of(JAVA, "-jar", JAR.toString(), "run"));
        command.addAll(List.of(args));
        command.add("--json");
        Process process = new ProcessBuilder(command).directory(dir.toFile()).start();
        process.getOutputStream().close();
        started.add(process);
        return process;
    }

    private static Run finish(Process process) throws Exception {
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(process.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("hive run finished in time").isTrue();
        List<JsonNode> lines = new ArrayList<>();
        for (String line : out.join().split("\n")) {
            if (!line.isBlank()) {
                lines.add(JSON.readTree(line));
            }
        }
        return new Run(process.exitValue(), lines, err.join());
    }

    private static void signal(Process process, String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start();
        assertThat(kill.waitFor()).isZero();
    }

    private static String read(InputStream stream) {
        try (stream) {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
