package hive.cli.run;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import hive.events.Event;
import hive.schedule.Progress;
import hive.schedule.SwarmStatus;
import hive.schedule.Task;
import hive.schedule.TaskState;
import hive.server.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RunDisplayTest {

    private static final Instant T0 = Instant.parse("2026-11-26T10:00:00Z");
    private static final RunDisplay.LogFiles LOGS = (s, t, n) -> Path.of(".hive/logs", s, t, "attempt-" + n + ".log");

    private final StringWriter text = new StringWriter();
    private final PrintWriter out = new PrintWriter(text);

    @Test
    void plainLinesTellStartsEndsFailuresAndBlocksAndSkipTheRest() {
        RunDisplay display = RunDisplay.plain(out, LOGS);

        display.event(event(1, "task_ready", "build", null, 0, Map.of()));
        display.event(event(2, "task_started", "build", "run-2.sw_abc", 0, Map.of("attempt", 1)));
        display.event(event(3, "task_failed", "build", "run-2.sw_abc", 1500, Map.of("attempt", 1,
                "error", "exit status 2\nmake: *** [all] Error 2", "will_retry", false)));
        display.event(event(4, "task_blocked", "deploy", null, 1500, Map.of("blocked_by", List.of("build"))));
        display.event(event(5, "task_started", "docs", "run-1.sw_abc", 1600, Map.of("attempt", 1)));
        display.event(event(6, "task_completed", "docs", "run-1.sw_abc", 2850, Map.of()));

        assertThat(lines()).containsExactly(
                clock(0) + " started   build attempt 1 on run-2",
                clock(1500) + " failed    build attempt 1: exit status 2: make: *** [all] Error 2 (log: "
                        + ".hive/logs/sw_abc/build/attempt-1.log)",
                clock(1500) + " blocked   deploy by build",
                clock(1600) + " started   docs attempt 1 on run-1",
                clock(2850) + " completed docs in 1.3 s");
    }

    @Test
    void liveDisplayRedrawsItsFooterInPlaceAndPrintsEndsAboveIt() {
        RunDisplay display = RunDisplay.live(out, LOGS, 80);

        display.event(event(1, "task_started", "build", "run-1.sw_abc", 0, Map.of("attempt", 1)));
        display.tick(progress(1, 1, 2, 0, 0), List.of(running("build", "run-1.sw_abc", 0)), T0.plusSeconds(3));
        String firstFooter = text.toString();
        display.event(event(2, "task_completed", "build", "run-1.sw_abc", 4000, Map.of()));
        display.close();

        assertThat(firstFooter).as("a start is shown in the footer only")
                .isEqualTo("[#####---------------] 1/4  done 1  running 1  waiting 2  failed 0  blocked 0\n"
                        + "  build                    run-1    3.0 s\n");
        assertThat(text.toString()).isEqualTo(firstFooter + "\r\033[2A\033[J" + clock(4000)
                + " completed build in 4.0 s\n");
    }

    @Test
    void liveFooterLinesAreCutToTheTerminalWidthSoTheRedrawErasesThemAll() {
        RunDisplay display = RunDisplay.live(out, LOGS, 40);

        display.tick(progress(0, 1, 0, 0, 0), List.of(running("a-task-with-a-very-long-name-indeed", "run-1", 0)),
                T0.plusSeconds(1));
        display.close();

        String drawn = text.toString();
        assertThat(drawn.substring(0, drawn.indexOf('\r')).lines())
                .hasSize(2)
                .allSatisfy(line -> assertThat(line.length()).isLessThan(40));
        assertThat(drawn).endsWith("\r\033[2A\033[J");
    }

    @Test
    void jsonLinesAreTheEventsAsTheApiShowsThem() throws Exception {
        RunDisplay display = RunDisplay.json(out, Json::event, Json.mapper());

        display.event(event(7, "task_failed", "build", "run-1.sw_abc", 0, Map.of("attempt", 2, "error", "boom",
                "will_retry", true)));
        display.note("resuming plan 'x'");

        List<String> lines = lines();
        JsonNode failed = new ObjectMapper().readTree(lines.get(0));
        assertThat(failed.get("seq").asLong()).isEqualTo(7);
        assertThat(failed.get("type").asText()).isEqualTo("task_failed");
        assertThat(failed.get("swarm_id").asText()).isEqualTo("sw_abc");
        assertThat(failed.get("task_id").asText()).isEqualTo("build");
        assertThat(failed.get("at").asText()).isEqualTo("2026-11-26T10:00:00Z");
        assertThat(failed.get("error").asText()).isEqualTo("boom");
        assertThat(failed.get("will_retry").asBoolean()).isTrue();
        assertThat(lines.get(1)).isEqualTo("{\"type\":\"run_note\",\"message\":\"resuming plan 'x'\"}");
    }

    private List<String> lines() {
        out.flush();
        return text.toString().lines().toList();
    }

    private static Event event(long seq, String type, String task, String agent, long atMillis, Map<String, Object> data) {
        return new Event("sw_abc", seq, type, task, agent, T0.plusMillis(atMillis), data);
    }

    private static String clock(long atMillis) {
        return java.time.format.DateTimeFormatter.ofPattern("HH:mm:ss").withZone(java.time.ZoneId.systemDefault())
                .format(T0.plusMillis(atMillis));
    }

    private static Progress progress(int completed, int running, int waiting, int failed, int blocked) {
        int total = completed + running + waiting + failed + blocked;
        return new Progress("sw_abc", SwarmStatus.RUNNING, 0, completed, running, waiting, failed, blocked, 0, total,
                0, false, new Progress.ConflictStats(0, List.of(), failed));
    }

    private static Task running(String id, String agent, long startedMillis) {
        return new Task(id, "sw_abc", null, null, null, null, 0, 1, List.of(), List.of(), "true", TaskState.IN_PROGRESS,
                1, 1, 1800, 5, agent, null, null, List.of(), null, T0, T0.plusMillis(startedMillis), null);
    }
}
