package hive.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import hive.Hive;
import hive.server.HiveServer;
import hive.server.ServerConfig;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Server-Sent Events end to end: from the first event, live, resumed, across a server restart. */
class EventsTest extends LiveServer {

    private static final Duration SOON = Duration.ofSeconds(10);

    /**
     * A swarm of {@code n} independent tasks ({@code t1}...) and a worker that may hold them all.
     * Tests leave a task undone: the last completion would add a {@code swarm_completed} event.
     */
    private record Fixture(String swarmId, String worker) {
    }

    private Fixture fixture(HiveClient client, int n) {
        String worker = client.register(AgentSpec.withId(unique("events")).maxTasks(n)).id();
        StringBuilder tasks = new StringBuilder("[");
        for (int i = 1; i <= n; i++) {
            tasks.append(i > 1 ? ", " : "").append("{\"id\": \"t").append(i).append("\"}");
        }
        String swarmId = client.createSwarm(plan("events", tasks.append("]").toString())).id();
        return new Fixture(swarmId, worker);
    }

    /** Starts and completes task {@code ti}: two events. */
    private static void work(HiveClient client, Fixture f, int i) {
        client.start(f.worker(), f.swarmId(), "t" + i);
        client.complete(f.worker(), f.swarmId(), "t" + i, "done " + i);
    }

    private static Event next(EventStream events) {
        return events.poll(SOON).orElseThrow(() -> new AssertionError("no event within " + SOON));
    }

    @Test
    void streamStartsWithTheSwarmsFirstEventAndFollowsLive() {
        Fixture f = fixture(hive, 2);

        try (EventStream events = hive.events(f.swarmId())) {
            Event created = next(events);
            assertThat(created.seq()).isEqualTo(1);
            assertThat(created.type()).isEqualTo("swarm_created");
            assertThat(created.swarmId()).isEqualTo(f.swarmId());
            assertThat(created.at()).isNotNull();
            assertThat(created.data()).containsEntry("name", "events").containsEntry("task_count", 2);

            work(hive, f, 1);

            Event started = next(events);
            Event completed = next(events);
            assertThat(started.type()).isEqualTo("task_started");
            assertThat(started.taskId()).isEqualTo("t1");
            assertThat(started.agentId()).isEqualTo(f.worker());
            assertThat(completed.type()).isEqualTo("task_completed");
            assertThat(completed.seq()).isEqualTo(3);
            assertThat(events.lastSeq()).isEqualTo(3);
            assertThat(events.poll(Duration.ofMillis(200))).as("nothing else happened").isEmpty();
        }
    }

    @Test
    void resumingAfterASeqLosesAndRepeatsNothing() {
        Fixture f = fixture(hive, 4);
        work(hive, f, 1);
        List<Long> seen = new ArrayList<>();
        long last;
        try (EventStream events = hive.events(f.swarmId())) {
            for (int i = 0; i < 2; i++) {
                seen.add(next(events).seq());
            }
            last = events.lastSeq();
        }
        work(hive, f, 2);

        try (EventStream resumed = hive.events(f.swarmId(), last)) {
            work(hive, f, 3);
            for (int i = 0; i < 5; i++) {
                seen.add(next(resumed).seq());
            }
            assertThat(resumed.poll(Duration.ofMillis(200))).isEmpty();
        }

        assertThat(seen).containsExactlyElementsOf(LongStream.rangeClosed(1, 7).boxed().toList());
    }

    @Test
    void streamReconnectsAcrossAServerRestartWithLastEventId(@TempDir Path own) throws Exception {
        Path file = own.resolve("restart.db");
        HiveServer first = HiveServer.start(Hive.sqlite(file), ServerConfig.local(0));
        int port = first.port();
        List<Long> seen = new ArrayList<>();
        HiveClient client = HiveClient.connect(URI.create(first.url()));
        HiveServer second = null;
        try {
            Fixture f = fixture(client, 4);
            EventStream events = client.events(f.swarmId());
            work(client, f, 1);
            for (int i = 0; i < 3; i++) {
                seen.add(next(events).seq());
            }

            // the server goes away and comes back on the same port and store
            first.close();
            second = HiveServer.start(Hive.sqlite(file), ServerConfig.local(port));
            work(client, f, 2);
            work(client, f, 3);
            for (int i = 0; i < 4; i++) {
                seen.add(next(events).seq());
            }
            assertThat(events.poll(Duration.ofMillis(200))).isEmpty();
            assertThat(events.isOpen()).isTrue();

            client.close();
            assertThat(events.isOpen()).as("closing the client closes its streams").isFalse();
        } finally {
            client.close();
            first.close();
            if (second != null) {
                second.close();
            }
        }

        assertThat(seen).as("resumed after the last event seen, without loss or repeats")
                .containsExactlyElementsOf(LongStream.rangeClosed(1, 7).boxed().toList());
    }

    @Test
    void subscriptionHandsEveryEventToTheCallbackInOrder() throws Exception {
        Fixture f = fixture(hive, 3);
        List<Event> received = new CopyOnWriteArrayList<>();

        EventSubscription subscription = hive.subscribe(f.swarmId(), 0, received::add);
        work(hive, f, 1);
        work(hive, f, 2);
        await().atMost(SOON).until(() -> received.size() == 5);
        subscription.close();

        assertThat(received).extracting(Event::seq).containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThat(subscription.lastSeq()).isEqualTo(5);
        assertThat(subscription.awaitEnd(SOON)).isTrue();
        assertThat(subscription.isOpen()).isFalse();
        assertThat(subscription.failure()).isEmpty();
    }

    @Test
    void callbackThatThrowsEndsTheSubscriptionWithItsError() throws Exception {
        Fixture f = fixture(hive, 1);

        EventSubscription subscription = hive.subscribe(f.swarmId(), 0, e -> {
            throw new IllegalStateException("boom at " + e.seq());
        });

        assertThat(subscription.awaitEnd(SOON)).isTrue();
        assertThat(subscription.failure()).hasValueSatisfying(e -> assertThat(e).hasMessage("boom at 1"));
    }

    @Test
    void streamWorksAsAJavaStream() {
        Fixture f = fixture(hive, 2);
        work(hive, f, 1);

        List<String> types;
        try (EventStream events = hive.events(f.swarmId())) {
            types = events.stream().limit(3).map(Event::type).toList();
        }

        assertThat(types).containsExactly("swarm_created", "task_started", "task_completed");
    }

    @Test
    void closingTheStreamWakesAWaitingReader() throws Exception {
        Fixture f = fixture(hive, 1);
        EventStream events = hive.events(f.swarmId());
        next(events);

        CompletableFuture<Boolean> reader = CompletableFuture.supplyAsync(events::hasNext);
        Thread.sleep(200);
        assertThat(reader).as("the reader waits for the next event").isNotDone();
        events.close();

        assertThat(reader.get(5, TimeUnit.SECONDS)).isFalse();
        assertThat(events.isOpen()).isFalse();
        assertThatThrownBy(events::next).isInstanceOf(NoSuchElementException.class);
        assertThat(events.poll(Duration.ofMillis(10))).isEmpty();
    }

    @Test
    void streamOutlivesTheRequestTimeout() throws Exception {
        Fixture f = fixture(hive, 1);
        try (HiveClient impatient = HiveClient.builder(URI.create(server.url()))
                .requestTimeout(Duration.ofMillis(500)).build();
                EventStream events = impatient.events(f.swarmId())) {
            next(events);
            Thread.sleep(1200);

            work(hive, f, 1);

            assertThat(next(events).seq()).isEqualTo(2);
            assertThat(next(events).seq()).isEqualTo(3);
        }
    }

    @Test
    void unknownSwarmIs404WhenTheStreamOpens() {
        HiveApiException e = catchThrowableOfType(HiveApiException.class, () -> hive.events("sw_nothing"));
        assertThat(e.status()).isEqualTo(404);
        assertThatThrownBy(() -> hive.events("sw_nothing", -1)).isInstanceOf(IllegalArgumentException.class);
    }
}
