package hive.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import hive.cli.HiveProcessIT.Run;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keeps {@code examples/} honest: every plan there is valid, and {@code examples/build.yaml},
 * run by the packaged jar as README.md shows it, does what its comments and the README say —
 * exit 1 because {@code lint} fails on purpose, {@code publish} blocked by it while the rest
 * completes, the flaky {@code test} passing on its second attempt, the {@code compile-*} tasks
 * taking turns on the file they share, the {@code gen-*} tasks running at the same time, and a
 * second run of the same plan and database resuming with only the failed task.
 *
 * <p>The plan is copied to a temporary folder, since it writes next to itself ({@code out/}),
 * and run there once, with three workers whatever the machine's cores; the tests read that run.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ExampleRunIT {

    private static final Path EXAMPLES = Path.of(System.getProperty("hive.root", "..")).toAbsolutePath()
            .normalize().resolve("examples");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> GENERATORS = List.of("gen-greet", "gen-math", "gen-text");
    private static final List<String> COMPILERS = List.of("compile-greet", "compile-math", "compile-text");

    /** The folder the first run ran in, shared by the tests (a temporary one, deleted after them). */
    private Path folder;
    private Run first;
    private List<JsonNode> events;
    private JsonNode summary;
    /** out/build.log and whether out/dist/app.tar was made, right after the first run (later runs rewrite out/). */
    private List<String> buildLog;
    private boolean packaged;

    /** When a task ran: its (last) start to its completion or failure, by the events' times. */
    private record Span(Instant start, Instant end) {
        boolean overlaps(Span other) {
            return start.isBefore(other.end) && other.start.isBefore(end);
        }

        @Override
        public String toString() {
            return "[" + start + ", " + end + "]";
        }
    }

    @BeforeAll
    void runTheBuildExample(@TempDir Path dir) throws Exception {
        folder = dir;
        Files.copy(EXAMPLES.resolve("build.yaml"), folder.resolve("build.yaml"));
        first = HiveProcessIT.run(folder, HiveProcessIT.jar("run", "build.yaml", "--json", "--workers", "3"));
        events = jsonLines(first);
        summary = events.getLast();
        Path log = folder.resolve("out/build.log");
        buildLog = Files.exists(log) ? Files.readAllLines(log) : List.of();
        Path tar = folder.resolve("out/dist/app.tar");
        packaged = Files.exists(tar) && Files.size(tar) > 0;
    }

    @Test
    void everyPlanInExamplesIsValid() throws Exception {
        List<Path> plans;
        try (Stream<Path> files = Files.list(EXAMPLES)) {
            plans = files.filter(f -> f.getFileName().toString().matches(".*\\.(ya?ml|json)")).sorted().toList();
        }
        assertThat(plans).extracting(p -> p.getFileName().toString())
                .contains("hello.yaml", "build.yaml", "agents.yaml");
        for (Path plan : plans) {
            Run run = HiveProcessIT.run(EXAMPLES, HiveProcessIT.jar("plan", "validate", plan.getFileName().toString()));
            assertThat(run.exitCode()).as("hive plan validate %s: %s", plan.getFileName(), run.err()).isEqualTo(0);
            assertThat(run.out()).as("hive plan validate %s", plan.getFileName()).contains("is valid");
        }
    }

    @Test
    void buildExitsOneBecauseLintFailsOnPurpose() {
        assertThat(first.exitCode()).as("exit code; stderr: %s", first.err()).isEqualTo(1);
        assertThat(summary.path("type").asText()).as("last line of --json").isEqualTo("run_summary");
        assertThat(summary.path("status").asText()).isEqualTo("failed");
        assertThat(summary.path("exit_code").asInt()).isEqualTo(1);
    }

    @Test
    void everyTaskOfTheBuildEndsInTheStateTheReadmeShows() {
        Map<String, String> states = new LinkedHashMap<>();
        summary.path("tasks").forEach(t -> states.put(t.path("id").asText(), t.path("status").asText()));

        assertThat(states).containsExactly(
                Map.entry("clean", "completed"),
                Map.entry("gen-greet", "completed"),
                Map.entry("gen-math", "completed"),
                Map.entry("gen-text", "completed"),
                Map.entry("compile-greet", "completed"),
                Map.entry("compile-math", "completed"),
                Map.entry("compile-text", "completed"),
                Map.entry("test", "completed"),
                Map.entry("lint", "failed"),
                Map.entry("docs", "completed"),
                Map.entry("package", "completed"),
                Map.entry("publish", "blocked"));
        assertThat(packaged).as("package made out/dist/app.tar").isTrue();
    }

    @Test
    void theFlakyTestFailsItsFirstAttemptAndPassesItsSecond() {
        assertThat(attemptsOf("test")).isEqualTo(2);
        JsonNode failure = only("task_failed", "test");
        assertThat(failure.path("attempt").asInt()).isEqualTo(1);
        assertThat(failure.path("will_retry").asBoolean()).as("will_retry of test's failure").isTrue();
        assertThat(failure.path("error").asText()).contains("attempt 1 always fails");
    }

    @Test
    void lintFailsForGoodAndBlocksOnlyPublishWhileUnrelatedTasksComplete() {
        JsonNode failure = only("task_failed", "lint");
        assertThat(failure.path("will_retry").asBoolean()).isFalse();
        assertThat(failure.path("error").asText()).contains("TODO left in the sources");

        JsonNode blocked = only("task_blocked", "publish");
        assertThat(blocked.path("blocked_by")).extracting(JsonNode::asText).containsExactly("lint");
        assertThat(events).filteredOn(e -> "task_blocked".equals(e.path("type").asText())).hasSize(1);
        assertThat(only("task_completed", "package").path("seq").asLong())
                .as("package completes after publish is blocked")
                .isGreaterThan(blocked.path("seq").asLong());
    }

    @Test
    void theCompileTasksTakeTurnsOnTheBuildLogTheyShare() {
        // in time: no two of them ran at once
        for (int i = 0; i < COMPILERS.size(); i++) {
            for (int j = i + 1; j < COMPILERS.size(); j++) {
                assertThat(overlap(COMPILERS.get(i), COMPILERS.get(j)))
                        .as("%s and %s, which both append to out/build.log, overlapped: %s and %s",
                                COMPILERS.get(i), COMPILERS.get(j), span(COMPILERS.get(i)), span(COMPILERS.get(j)))
                        .isFalse();
            }
        }
        // in the file: a whole start/done pair each, fencing tokens going up
        List<String> lines = buildLog;
        assertThat(lines).hasSize(1 + 2 * COMPILERS.size());
        Pattern startLine = Pattern.compile("(compile-[a-z]+) start \\(lock token (\\d+)\\)");
        List<String> order = new ArrayList<>();
        long lastToken = 0;
        for (int i = 1; i < lines.size(); i += 2) {
            Matcher start = startLine.matcher(lines.get(i));
            assertThat(start.matches()).as("line %d of out/build.log: %s", i + 1, lines).isTrue();
            assertThat(lines.get(i + 1)).as("the line after '%s' in %s", lines.get(i), lines)
                    .isEqualTo(start.group(1) + " done");
            long token = Long.parseLong(start.group(2));
            assertThat(token).as("fencing tokens in %s", lines).isGreaterThan(lastToken);
            lastToken = token;
            order.add(start.group(1));
        }
        assertThat(order).containsExactlyInAnyOrderElementsOf(COMPILERS);
    }

    @Test
    void theGeneratorsRunAtTheSameTime() {
        for (int i = 0; i < GENERATORS.size(); i++) {
            for (int j = i + 1; j < GENERATORS.size(); j++) {
                assertThat(overlap(GENERATORS.get(i), GENERATORS.get(j)))
                        .as("%s %s and %s %s, independent, with 3 workers", GENERATORS.get(i),
                                span(GENERATORS.get(i)), GENERATORS.get(j), span(GENERATORS.get(j)))
                        .isTrue();
            }
        }
    }

    @Test
    void runningItAgainWithTheSameDatabaseRetriesOnlyLint() throws Exception {
        // when: the same plan, the same (default) database, after the first run
        Run again = HiveProcessIT.run(folder, HiveProcessIT.jar("run", "build.yaml", "--json", "--workers", "3"));

        // then
        assertThat(again.exitCode()).as(again.err()).isEqualTo(1);
        List<JsonNode> lines = jsonLines(again);
        assertThat(lines.getFirst().path("message").asText())
                .startsWith("resuming plan 'build'").contains("10 of 12 tasks completed, retrying 1 failed");
        assertThat(lines).filteredOn(e -> "task_started".equals(e.path("type").asText()))
                .extracting(e -> e.path("task_id").asText()).containsExactly("lint");
        assertThat(lines.getLast().path("status").asText()).isEqualTo("failed");
    }

    @Test
    void aFreshDatabaseRunsTheWholeBuildAgainFromAnEmptyOutFolder() throws Exception {
        // when: a new database, so a new swarm, in the folder the first run wrote to
        Run fresh = HiveProcessIT.run(folder,
                HiveProcessIT.jar("run", "build.yaml", "--json", "--workers", "3", "--db", "sqlite:fresh/hive.db"));

        // then
        assertThat(fresh.exitCode()).as(fresh.err()).isEqualTo(1);
        assertThat(jsonLines(fresh)).filteredOn(e -> "task_started".equals(e.path("type").asText()))
                .hasSize(12); // 11 tasks started once, test twice; publish never
        assertThat(Files.readAllLines(folder.resolve("out/build.log")))
                .as("clean emptied out/ first").hasSize(1 + 2 * COMPILERS.size());
    }

    private static List<JsonNode> jsonLines(Run run) throws IOException {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : run.out().lines().toList()) {
            lines.add(JSON.readTree(line));
        }
        assertThat(lines).as("--json output; stderr: %s", run.err()).isNotEmpty();
        return lines;
    }

    private int attemptsOf(String taskId) {
        for (JsonNode task : summary.path("tasks")) {
            if (task.path("id").asText().equals(taskId)) {
                return task.path("attempts").asInt();
            }
        }
        throw new AssertionError("no task " + taskId + " in " + summary);
    }

    /** The one event of this type for this task. */
    private JsonNode only(String type, String taskId) {
        List<JsonNode> found = events.stream()
                .filter(e -> type.equals(e.path("type").asText()) && taskId.equals(e.path("task_id").asText()))
                .toList();
        assertThat(found).as("%s events of %s", type, taskId).hasSize(1);
        return found.getFirst();
    }

    private Span span(String taskId) {
        Instant start = null;
        Instant end = null;
        for (JsonNode e : events) {
            if (!taskId.equals(e.path("task_id").asText())) {
                continue;
            }
            Instant at = Instant.parse(e.path("at").asText());
            switch (e.path("type").asText()) {
                case "task_started" -> start = at;
                case "task_completed", "task_failed" -> end = at;
                default -> { }
            }
        }
        assertThat(start).as("start of %s", taskId).isNotNull();
        assertThat(end).as("end of %s", taskId).isNotNull();
        return new Span(start, end);
    }

    private boolean overlap(String a, String b) {
        return span(a).overlaps(span(b));
    }
}
