package hive.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import hive.server.EventReader.Event;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** API.md {@code GET /api/swarms/{id}/events}: from the first event, live, and resumed without loss or repeats. */
class EventStreamTest extends ApiTest {

    private static final String SIX = """
            {'name': 'six', 'tasks': [{'id': 't1'}, {'id': 't2'}, {'id': 't3'}, {'id': 't4'}, {'id': 't5'},
             {'id': 't6'}]}""";

    private void finish(String swarmId, String taskId) {
        api.post(taskPath(swarmId, taskId) + "/start", json("{'agent_id': 'w1'}")).expect(200);
        complete(swarmId, taskId, "w1");
    }

    private static boolean isCompletionOf(Event e, String taskId) {
        return e.type().equals("task_completed") && taskId.equals(e.taskId());
    }

    private static List<Long> seqs(List<Event> events) {
        return events.stream().map(Event::seq).toList();
    }

    @Test
    void aNewStreamStartsAtTheFirstEventAndFollowsLive() {
        String swarmId = createSwarm(SIX);
        register("w1");
        finish(swarmId, "t1");

        try (EventReader stream = EventReader.open(api, "/api/swarms/" + swarmId + "/events")) {
            assertThat(stream.status()).isEqualTo(200);
            assertThat(stream.contentType()).startsWith("text/event-stream");
            Event first = stream.next();
            List<Event> past = stream.until(e -> isCompletionOf(e, "t1"));
            finish(swarmId, "t2");
            List<Event> live = stream.until(e -> isCompletionOf(e, "t2"));

            assertThat(first.seq()).isEqualTo(1);
            assertThat(first.type()).isEqualTo("swarm_created");
            assertThat(first.id()).isEqualTo("1");
            JsonNode data = first.data();
            assertThat(data.get("swarm_id").asText()).isEqualTo(swarmId);
            assertThat(data.get("at").asText()).endsWith("Z");
            List<Event> all = new ArrayList<>(List.of(first));
            all.addAll(past);
            all.addAll(live);
            assertThat(seqs(all)).as("numbered 1, 2, 3... without gaps")
                    .isEqualTo(LongStream.rangeClosed(1, all.size()).boxed().toList());
            assertThat(all).allSatisfy(e -> assertThat(e.id()).isEqualTo(Long.toString(e.seq())));
            Event started = live.stream().filter(e -> e.type().equals("task_started")).findFirst().orElseThrow();
            assertThat(started.taskId()).isEqualTo("t2");
            assertThat(started.data().get("agent_id").asText()).isEqualTo("w1");
        }
    }

    @Test
    void aStreamResumesAfterTheLastEventIdWithoutLossOrRepeats() {
        String swarmId = createSwarm(SIX);
        register("w1");
        finish(swarmId, "t1");
        finish(swarmId, "t2");
        List<Event> before;
        try (EventReader stream = EventReader.open(api, "/api/swarms/" + swarmId + "/events")) {
            before = stream.until(e -> isCompletionOf(e, "t2"));
        }
        String lastId = before.getLast().id();

        for (String task : List.of("t3", "t4", "t5", "t6")) {
            finish(swarmId, task);
        }
        List<Event> resumed;
        try (EventReader stream = EventReader.open(api, "/api/swarms/" + swarmId + "/events",
                "Last-Event-ID", lastId)) {
            resumed = stream.until(e -> e.type().equals("swarm_completed"));
        }
        List<Event> whole;
        try (EventReader stream = EventReader.open(api, "/api/swarms/" + swarmId + "/events")) {
            whole = stream.until(e -> e.type().equals("swarm_completed"));
        }

        long last = Long.parseLong(lastId);
        assertThat(seqs(resumed)).as("exactly the rest")
                .isEqualTo(LongStream.rangeClosed(last + 1, last + resumed.size()).boxed().toList());
        List<Event> joined = new ArrayList<>(before);
        joined.addAll(resumed);
        assertThat(joined.stream().map(e -> e.seq() + " " + e.type() + " " + e.taskId()).toList())
                .isEqualTo(whole.stream().map(e -> e.seq() + " " + e.type() + " " + e.taskId()).toList());
        assertThat(resumed.stream().filter(e -> e.type().equals("task_completed")).map(Event::taskId).toList())
                .containsExactly("t3", "t4", "t5", "t6");
    }

    @Test
    void afterResumesLikeLastEventId() {
        String swarmId = createSwarm(SIX);
        register("w1");
        for (String task : List.of("t1", "t2", "t3", "t4", "t5", "t6")) {
            finish(swarmId, task);
        }

        List<Event> resumed;
        try (EventReader stream = EventReader.open(api, "/api/swarms/" + swarmId + "/events?after=3")) {
            resumed = stream.until(e -> e.type().equals("swarm_completed"));
        }

        assertThat(resumed.getFirst().seq()).isEqualTo(4);
        assertThat(seqs(resumed)).isEqualTo(LongStream.rangeClosed(4, 3 + resumed.size()).boxed().toList());
    }

    @Test
    void aBrowserAskingForAnEventStreamGetsTheSameEvents() {
        String swarmId = createSwarm(SIX);

        try (EventReader stream = EventReader.open(api, "/api/swarms/" + swarmId + "/events",
                "Accept", "text/event-stream")) {
            assertThat(stream.status()).isEqualTo(200);
            assertThat(stream.next().type()).isEqualTo("swarm_created");
        }
    }

    @Test
    void aStreamOfAnUnknownSwarmIsNotFound() {
        try (EventReader stream = EventReader.open(api, "/api/swarms/sw_doesnotexist/events")) {
            assertThat(stream.status()).isEqualTo(404);
            assertThat(stream.contentType()).startsWith("application/problem+json");
            assertThat(stream.body()).contains("sw_doesnotexist");
        }
    }

    @Test
    void aBadResumePointIsRefused() {
        String swarmId = createSwarm(SIX);

        try (EventReader stream = EventReader.open(api, "/api/swarms/" + swarmId + "/events",
                "Last-Event-ID", "yesterday")) {
            assertThat(stream.status()).isEqualTo(400);
            assertThat(stream.body()).contains("Last-Event-ID");
        }
        api.get("/api/swarms/" + swarmId + "/events?after=-1").problem(400);
    }
}
