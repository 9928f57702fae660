package hive.server;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import com.fasterxml.jackson.databind.JsonNode;
import hive.server.TestServer.Reply;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * docs/api.md "Waiting": a client that goes away while its claim or lock wait waits gives up its
 * place ({@link DisconnectWatch}); one that stays, or sends its next request meanwhile, gets its
 * answer. The clients here are raw sockets, so that a test decides when a connection closes.
 */
class DisconnectApiTest extends ApiTest {

    private static final Duration NOTICED = Duration.ofSeconds(5);
    private static final String CHAIN = "{'name': 's', 'tasks': [{'id': 'a'}, {'id': 'b', 'depends_on': ['a']}]}";

    private final Departures departures = new Departures();
    private final Logger watchLog = (Logger) LoggerFactory.getLogger(DisconnectWatch.class);

    @BeforeEach
    void listenForDepartures() {
        departures.start();
        watchLog.addAppender(departures);
        watchLog.setLevel(Level.INFO);
    }

    @AfterEach
    void stopListening() {
        watchLog.detachAppender(departures);
        watchLog.setLevel(null);
    }

    @Test
    void aClaimWhoseClientGoesAwayTakesNothing() throws Exception {
        String swarmId = createSwarm(CHAIN);
        register("w0");
        register("gone");
        register("w2");
        claim("w0", swarmId);
        RawClient client = reachingTheEngine("gone", () -> RawClient.post(server, "/api/agents/gone/claim",
                json("{'swarm_id': '" + swarmId + "', 'wait_s': 30}")));

        client.leave();
        await("the server to notice").atMost(NOTICED).until(() -> departures.of("gone"));
        complete(swarmId, "a", "w0");

        JsonNode task = claim("w2", swarmId);
        assertThat(task.get("id").asText()).isEqualTo("b");
        assertThat(task(swarmId, "b").get("assigned_agent").asText()).isEqualTo("w2");
        assertThat(api.get("/api/swarms/" + swarmId + "/tasks?status=in_progress").expect(200).json())
                .as("nothing in progress by the agent that went away").allSatisfy(t ->
                        assertThat(t.get("assigned_agent").asText()).isNotEqualTo("gone"));
    }

    @Test
    void aLockWaitWhoseClientGoesAwayLeavesTheQueue() {
        api.post("/api/locks/acquire", json("{'agent_id': 'a1', 'paths': ['x']}")).expect(200);
        RawClient client = RawClient.post(server, "/api/locks/acquire",
                json("{'agent_id': 'gone', 'paths': ['x'], 'wait_s': 30}"));
        awaitWaiters(1);

        client.reset();
        await("the server to notice").atMost(NOTICED).until(() -> departures.of("gone"));
        api.post("/api/locks/release", json("{'agent_id': 'a1'}")).expect(200);

        JsonNode granted = api.post("/api/locks/acquire", json("{'agent_id': 'a3', 'paths': ['x']}")).expect(200)
                .json();
        assertThat(granted.get("granted").asBoolean()).isTrue();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(each(api.get("/api/locks").expect(200).json(), "agent_id")).containsExactly("a3"));
        JsonNode stats = api.get("/api/stats").expect(200).json();
        assertThat(stats.get("waits_granted").asInt()).as("the wait was not granted").isZero();
        assertThat(stats.get("waits_timed_out").asInt()).as("it ended as if its time were up").isEqualTo(1);
        assertThat(stats.get("locks").get("waiting").asInt()).isZero();
    }

    @Test
    void aClaimWhoseClientStaysIsAnsweredWhenATaskComes() throws Exception {
        String swarmId = createSwarm(CHAIN);
        register("w0");
        register("w1");
        claim("w0", swarmId);
        CompletableFuture<Reply> waiting = claimWaiting("w1", swarmId, 30);
        await("the claim to go on waiting").during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5))
                .until(() -> !waiting.isDone());

        api.post("/api/swarms/" + swarmId + "/tasks", json("{'tasks': [{'id': 'c'}]}")).expect(201);

        Reply reply = waiting.get(10, TimeUnit.SECONDS).expect(200);
        assertThat(reply.json().get("id").asText()).isEqualTo("c");
        assertThat(departures.of("w1")).isFalse();
    }

    @Test
    void aClientThatSendsItsNextRequestWhileWaitingIsStillAnswered() throws Exception {
        String swarmId = createSwarm(CHAIN);
        register("w0");
        register("w1");
        claim("w0", swarmId);
        RawClient client = reachingTheEngine("w1", () -> RawClient.post(server, "/api/agents/w1/claim",
                json("{'swarm_id': '" + swarmId + "', 'wait_s': 30}")));

        client.send("GET /health HTTP/1.1\r\nHost: hive\r\nConnection: close\r\n\r\n");
        await("the claim to go on waiting").during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5))
                .until(() -> !client.answered());
        complete(swarmId, "a", "w0");

        String answers = client.readToEnd();
        assertThat(answers).as("the claim's answer, then the next one").startsWith("HTTP/1.1 200")
                .contains("\"id\":\"b\"");
        assertThat(answers.split("HTTP/1.1 200", -1)).as("two answers: %s", answers).hasSize(3);
        assertThat(task(swarmId, "b").get("assigned_agent").asText()).isEqualTo("w1");
    }

    @Test
    void closingTheServerEndsAWatchedWaitPromptly() {
        String swarmId = createSwarm(CHAIN);
        register("w0");
        register("w1");
        claim("w0", swarmId);
        RawClient client = reachingTheEngine("w1", () -> RawClient.post(server, "/api/agents/w1/claim",
                json("{'swarm_id': '" + swarmId + "', 'wait_s': 60}")));

        long closing = System.nanoTime();
        server.close();

        assertThat(client.readToEnd()).startsWith("HTTP/1.1 204");
        assertThat(Duration.ofNanos(System.nanoTime() - closing)).isLessThan(Duration.ofSeconds(10));
    }

    /** Waits until {@code n} lock requests wait. */
    private void awaitWaiters(int n) {
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(api.get("/api/stats").expect(200).json().get("locks").get("waiting").asInt()).isEqualTo(n));
    }

    /** What the server logs of clients that went away while they waited. */
    private static final class Departures extends AppenderBase<ILoggingEvent> {

        private final Queue<String> messages = new ConcurrentLinkedQueue<>();

        @Override
        protected void append(ILoggingEvent event) {
            messages.add(event.getFormattedMessage());
        }

        boolean of(String agentId) {
            return messages.stream().anyMatch(m -> m.contains("agent " + agentId + " went away"));
        }
    }

    /** An HTTP/1.1 client on a socket of its own, which may leave without reading its answer. */
    private record RawClient(Socket socket) {

        /** Opens a connection and sends a POST of {@code body} (JSON) on it. */
        static RawClient post(TestServer server, String path, String body) {
            URI base = URI.create(server.server.url());
            try {
                RawClient client = new RawClient(new Socket(base.getHost(), base.getPort()));
                client.socket.setSoTimeout(20_000);
                byte[] content = body.getBytes(UTF_8);
                client.send("POST " + path + " HTTP/1.1\r\nHost: hive\r\nContent-Type: application/json\r\n"
                        + "Content-Length: " + content.length + "\r\n\r\n" + body);
                return client;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        void send(String request) {
            try {
                socket.getOutputStream().write(request.getBytes(UTF_8));
                socket.getOutputStream().flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** Whether some answer has arrived (reads nothing). */
        boolean answered() throws IOException {
            return socket.getInputStream().available() > 0;
        }

        /** Everything the server sends until it closes the connection. */
        String readToEnd() {
            try (InputStream in = socket.getInputStream()) {
                ByteArrayOutputStream all = new ByteArrayOutputStream();
                in.transferTo(all);
                return all.toString(UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** Closes the connection the ordinary way (FIN), leaving the answer unread. */
        void leave() throws IOException {
            socket.close();
        }

        /** Resets the connection (RST), as a client that is killed may. */
        void reset() {
            try {
                socket.setSoLinger(true, 0);
                socket.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
