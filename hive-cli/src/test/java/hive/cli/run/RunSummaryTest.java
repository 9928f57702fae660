package hive.cli.run;

import static org.assertj.core.api.Assertions.assertThat;

import hive.schedule.Task;
import hive.schedule.TaskState;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RunSummaryTest {

    private static final Instant T0 = Instant.parse("2026-11-25T12:00:00Z");

    @Test
    void theCriticalPathFollowsTheDependencyThatFinishedLast() {
        // gen → {lint, build} → test; build is the slow branch, lint the quick one.
        List<Task> tasks = List.of(
                task("gen", TaskState.COMPLETED, 1, 0, 1_000, List.of()),
                task("lint", TaskState.COMPLETED, 1, 1_000, 1_500, List.of("gen")),
                task("build", TaskState.COMPLETED, 2, 1_000, 4_000, List.of("gen")),
                task("test", TaskState.COMPLETED, 1, 4_000, 6_500, List.of("lint", "build")));

        RunSummary summary = RunSummary.of(tasks);

        assertThat(summary.criticalPath()).containsExactly("gen", "build", "test");
        assertThat(summary.criticalSpan()).contains(Duration.ofMillis(6_500));
        assertThat(summary.wall()).contains(Duration.ofMillis(6_500));
        assertThat(summary.counts()).isEqualTo(Map.of(TaskState.COMPLETED, 4));
        assertThat(summary.rows()).extracting(RunSummary.Row::attempts).containsExactly(1, 1, 2, 1);
        assertThat(summary.render()).isEqualTo("""
                TASK   STATE        ATTEMPTS  DURATION
                gen    completed           1  1.0 s
                lint   completed           1  500 ms
                build  completed           2  3.0 s
                test   completed           1  2.5 s
                4 completed in 6.5 s
                critical path: gen → build → test (6.5 s)
                """);
    }

    @Test
    void tasksThatNeverFinishedHaveNoDurationAndAreNotOnThePath() {
        List<Task> tasks = List.of(
                task("a", TaskState.COMPLETED, 1, 0, 2_000, List.of()),
                task("b", TaskState.FAILED, 3, 2_000, 2_300, List.of("a")),
                task("c", TaskState.BLOCKED, 0, -1, -1, List.of("b")),
                task("d", TaskState.COMPLETED, 1, 0, 90_000, List.of()));

        RunSummary summary = RunSummary.of(tasks);

        assertThat(summary.criticalPath()).containsExactly("d");
        assertThat(summary.rows()).extracting(RunSummary.Row::duration)
                .containsExactly(Optional.of(Duration.ofSeconds(2)), Optional.of(Duration.ofMillis(300)),
                        Optional.empty(), Optional.of(Duration.ofSeconds(90)));
        assertThat(summary.render()).contains("c     blocked             0  -\n")
                .contains("2 completed, 1 failed, 1 blocked in 1 m 30 s\n")
                .endsWith("critical path: d (1 m 30 s)\n");
    }

    @Test
    void aRunThatStartedNothingHasNoWallTimeAndNoPath() {
        RunSummary summary = RunSummary.of(List.of(task("a", TaskState.READY, 0, -1, -1, List.of())));

        assertThat(summary.wall()).isEmpty();
        assertThat(summary.criticalPath()).isEmpty();
        assertThat(summary.render()).endsWith("1 ready\n");
        assertThat(RunSummary.of(List.of()).render()).endsWith("no tasks\n");
    }

    @Test
    void durationsReadAsPeopleWriteThem() {
        assertThat(RunSummary.human(Duration.ofMillis(340))).isEqualTo("340 ms");
        assertThat(RunSummary.human(Duration.ofMillis(1_240))).isEqualTo("1.2 s");
        assertThat(RunSummary.human(Duration.ofSeconds(125))).isEqualTo("2 m 05 s");
        assertThat(RunSummary.human(Duration.ofMinutes(62))).isEqualTo("1 h 02 m");
    }

    /** A task of swarm {@code s}; {@code startMs}/{@code endMs} after T0, negative: never. */
    private static Task task(String id, TaskState state, int attempts, long startMs, long endMs, List<String> deps) {
        return new Task(id, "s", null, null, null, null, 0, 1.0, deps, List.of(), null, state, attempts, 3, 60, 0,
                null, null, null, List.of(), null, T0, startMs < 0 ? null : T0.plusMillis(startMs),
                endMs < 0 ? null : T0.plusMillis(endMs));
    }
}
