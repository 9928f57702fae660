package hive.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import hive.Hive;
import hive.server.TestServer.Client;
import hive.server.TestServer.Reply;
import hive.store.postgres.PostgresStore;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Issue 6's acceptance for a node of a cluster: a node that loses PostgreSQL answers 503 (with a
 * problem document, within seconds) and recovers by itself when the database is back, without a
 * restart; nothing acknowledged is lost. The test runs a PostgreSQL of its own (not the shared
 * {@code TestPostgres} server, which other tests use) on a fixed folder and port, so that it can be
 * stopped and started again on the same data, and two server nodes on it: A, watched through the
 * outage, and B, which must hear A's commits again once both have reconnected.
 */
class PostgresOutageTest {

    /** HTTP/1.1: the JDK client would otherwise try an h2c upgrade on the first request. */
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    /** Longer than a node takes to give up on the database (its pool waits 3 s), and then some. */
    private static final Duration FEW_SECONDS = Duration.ofSeconds(12);
    /** For PostgreSQL to start and the nodes to reconnect, on a loaded machine. */
    private static final Duration GENEROUS = Duration.ofSeconds(90);

    @TempDir
    Path dir;
    private int port;
    private EmbeddedPostgres postgres;
    private final List<Node> nodes = new ArrayList<>();

    /** One server node: its store (to ask whether it listens) and a client for it. */
    private record Node(HiveServer server, PostgresStore store, Client api) {
    }

    @BeforeEach
    void startPostgres() throws SQLException {
        port = freePort();
        postgres = startPostgres(dir.resolve("pgdata"), port);
        try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE hive");
        }
    }

    @AfterEach
    void stopEverything() throws IOException {
        for (Node node : nodes.reversed()) {
            node.server().close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    @Test
    void aNodeThatLosesPostgresAnswersUnavailableAndRecoversByItselfLosingNothingAcknowledged() throws IOException {
        Node a = startNode();
        Node b = startNode();
        // Given a swarm under way: three tasks completed (acknowledged), two in progress.
        String swarmId = a.api().post("/api/swarms", json("""
                {'name': 'outage', 'tasks': [{'id': 't1'}, {'id': 't2'}, {'id': 't3'}, {'id': 't4'},
                 {'id': 't5'}, {'id': 'final', 'depends_on': ['t1', 't2', 't3', 't4', 't5']}]}"""))
                .expect(201).json().get("id").asText();
        a.api().post("/api/agents", json("{'id': 'w1'}")).expect(201);
        b.api().post("/api/agents", json("{'id': 'w2'}")).expect(201);
        Set<String> acknowledged = new LinkedHashSet<>();
        for (int i = 0; i < 2; i++) {
            acknowledged.add(completeNext(a, "w1", swarmId));
        }
        acknowledged.add(completeNext(b, "w2", swarmId));
        String heldByW1 = claim(a, "w1", swarmId);
        String heldByW2 = claim(b, "w2", swarmId);

        // When PostgreSQL goes away
        ListAppender<ILoggingEvent> logs = captureLogs();
        Instant down = Instant.now();
        postgres.close();
        postgres = null;

        // then the nodes say so on /health within seconds,
        await().atMost(FEW_SECONDS).untilAsserted(() -> a.api().get("/health").expect(503));
        JsonNode health = a.api().get("/health").expect(503).json();
        assertThat(health.get("status").asText()).isEqualTo("unavailable");
        await().atMost(FEW_SECONDS).untilAsserted(() -> b.api().get("/health").expect(503));
        // and every call that needs the database answers 503 with a problem, not 500, and not late:
        Map<String, CompletableFuture<Timed>> calls = new LinkedHashMap<>();
        calls.put("claim", timed(a.api(), "POST", "/api/agents/w1/claim", "{'swarm_id': '" + swarmId + "'}"));
        calls.put("waiting claim", timed(a.api(), "POST", "/api/agents/w1/claim",
                "{'swarm_id': '" + swarmId + "', 'wait_s': 30}"));
        calls.put("complete", timed(a.api(), "POST", taskPath(swarmId, heldByW1) + "/complete",
                "{'agent_id': 'w1'}"));
        calls.put("create swarm", timed(a.api(), "POST", "/api/swarms", "{'name': 'during', 'tasks': [{'id': 'x'}]}"));
        calls.put("read swarm", timed(a.api(), "GET", "/api/swarms/" + swarmId, null));
        calls.put("heartbeat", timed(a.api(), "POST", "/api/agents/w1/heartbeat", null));
        calls.put("lock", timed(a.api(), "POST", "/api/locks/acquire", "{'agent_id': 'w1', 'paths': ['a.txt']}"));
        Map<String, Duration> took = new LinkedHashMap<>();
        calls.forEach((what, call) -> {
            Timed answer = call.join();
            took.put(what, answer.took());
            JsonNode problem = answer.reply().problem(503);
            assertThat(problem.get("detail").asText()).as("%s: %s", what, answer.reply()).contains("PostgreSQL");
            assertThat(answer.took()).as("%s answered after %s", what, answer.took()).isLessThan(FEW_SECONDS);
        });
        // while the process stays up and serves what needs no database.
        a.api().get("/").expect(200);
        Duration outage = Duration.between(down, Instant.now());

        // When PostgreSQL is back on the same data, the nodes recover without a restart:
        postgres = startPostgres(dir.resolve("pgdata"), port);
        await().atMost(GENEROUS).untilAsserted(() -> {
            a.api().get("/health").expect(200);
            b.api().get("/health").expect(200);
        });
        await("both nodes listen to each other again").atMost(GENEROUS)
                .until(() -> a.store().listening() && b.store().listening());
        detach(logs);
        Duration watched = Duration.between(down, Instant.now());
        report(logs, outage, watched);
        // The log said so in a few lines, without a stack trace per request, and said when it was over.
        List<ILoggingEvent> server = logs.list.stream().filter(e -> e.getLoggerName().startsWith("hive.server."))
                .toList();
        assertThat(server).as("stack traces logged by the server").noneMatch(e -> e.getThrowableProxy() != null);
        long outages = server.stream().filter(e -> e.getMessage().startsWith("store unavailable")).count();
        long stillUnreachable = server.stream().filter(e -> e.getMessage().startsWith("store still unavailable"))
                .count();
        assertThat(outages).as("outages logged").isGreaterThanOrEqualTo(nodes.size());
        assertThat(server.stream().filter(e -> e.getMessage().startsWith("store available again")).count())
                .as("outages logged as over").isEqualTo(outages);
        assertThat(stillUnreachable).as("reminders, at most one per node every %s s", StoreOutage.REPEAT_S)
                .isLessThanOrEqualTo(nodes.size() * (1 + watched.toSeconds() / StoreOutage.REPEAT_S));

        // completions and claims work again, on both nodes;
        complete(b, "w2", swarmId, heldByW2);
        acknowledged.add(heldByW2);
        a.api().post("/api/swarms", json("{'name': 'after', 'tasks': [{'id': 'x'}]}")).expect(201);
        // a claim waiting on B is answered when A's completion readies 'final': B hears A again.
        CompletableFuture<Timed> waiting = reachingTheEngine(b, "w2", () -> timed(b.api(), "POST",
                "/api/agents/w2/claim", "{'swarm_id': '" + swarmId + "', 'wait_s': 45}"));
        complete(a, "w1", swarmId, heldByW1);
        acknowledged.add(heldByW1);
        Timed handedOut = waiting.orTimeout(GENEROUS.toSeconds(), TimeUnit.SECONDS).join();
        System.out.println("answered 503 during the outage after " + took + "; the waiting claim on B was"
                + " handed 'final' " + handedOut.took() + " after it was sent");
        assertThat(handedOut.reply().expect(200).json().get("id").asText()).isEqualTo("final");
        // Without the LISTEN connection, B would only look again on its own after 15 s of waiting.
        assertThat(handedOut.took()).as("the waiting claim on B was woken by A's commit, not by its 15 s re-look")
                .isLessThan(Duration.ofSeconds(14));
        complete(b, "w2", swarmId, "final");
        acknowledged.add("final");

        // Then everything acknowledged is there, the swarm finished normally,
        JsonNode swarm = a.api().get("/api/swarms/" + swarmId).expect(200).json();
        assertThat(swarm.get("status").asText()).isEqualTo("completed");
        Map<String, String> states = new TreeMap<>();
        swarm.get("tasks").forEach(t -> states.put(t.get("id").asText(), t.get("status").asText()));
        assertThat(acknowledged).as("every completion acknowledged").hasSize(6);
        acknowledged.forEach(id -> assertThat(states).as("task %s", id).containsEntry(id, "completed"));
        assertThat(a.api().get("/api/planner/" + swarmId + "/progress").expect(200).json().get("progress").asDouble())
                .isEqualTo(100.0);
        // and the event log is numbered without gaps, each completion in it once, the same from both nodes.
        List<EventReader.Event> fromA = eventsUntilCompleted(a, swarmId);
        List<EventReader.Event> fromB = eventsUntilCompleted(b, swarmId);
        List<Long> seqs = fromA.stream().map(EventReader.Event::seq).toList();
        assertThat(seqs).as("event numbers").isEqualTo(
                java.util.stream.LongStream.rangeClosed(1, seqs.size()).boxed().toList());
        assertThat(fromA.stream().filter(e -> e.type().equals("task_completed")).map(EventReader.Event::taskId)
                .toList()).containsExactlyInAnyOrderElementsOf(acknowledged);
        assertThat(fromB.stream().map(e -> e.seq() + " " + e.type() + " " + e.taskId()).toList())
                .isEqualTo(fromA.stream().map(e -> e.seq() + " " + e.type() + " " + e.taskId()).toList());
    }

    // --- the database ---

    private static EmbeddedPostgres startPostgres(Path data, int port) {
        try {
            return EmbeddedPostgres.builder().setDataDirectory(data).setCleanDataDirectory(false).setPort(port)
                    // What docs/deployment.md asks of a production database: commits durable on return.
                    .setServerConfig("synchronous_commit", "on")
                    .setServerConfig("max_connections", "100")
                    .setPGStartupWait(Duration.ofSeconds(60))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the embedded PostgreSQL on port " + port, e);
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Node startNode() {
        PostgresStore store = PostgresStore.open("postgresql://postgres:postgres@localhost:" + port + "/hive");
        Hive hive = Hive.open(store, InstantSource.system(), new SecureRandom(), Duration.ofSeconds(1));
        HiveServer server = HiveServer.start(hive, ServerConfig.local(0));
        Node node = new Node(server, store, new Client(HTTP, server.url(), null));
        nodes.add(node);
        return node;
    }

    // --- requests ---

    private static String json(String singleQuoted) {
        return TestServer.json(singleQuoted);
    }

    private static String taskPath(String swarmId, String taskId) {
        return "/api/swarms/" + swarmId + "/tasks/" + taskId;
    }

    private static String claim(Node node, String agentId, String swarmId) {
        return node.api().post("/api/agents/" + agentId + "/claim", json("{'swarm_id': '" + swarmId + "'}"))
                .expect(200).json().get("id").asText();
    }

    private static void complete(Node node, String agentId, String swarmId, String taskId) {
        node.api().post(taskPath(swarmId, taskId) + "/complete", json("{'agent_id': '" + agentId + "'}")).expect(200);
    }

    /** Claims the agent's next task and completes it; returns its id once the completion is acknowledged. */
    private static String completeNext(Node node, String agentId, String swarmId) {
        String taskId = claim(node, agentId, swarmId);
        complete(node, agentId, swarmId, taskId);
        return taskId;
    }

    /** An answer and how long it took. */
    private record Timed(Reply reply, Duration took) {
    }

    /** Sends a request without waiting for its answer; the future has the answer and its time. */
    private static CompletableFuture<Timed> timed(Client api, String method, String path, String singleQuotedBody) {
        HttpRequest request = api.request(method, path, singleQuotedBody == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(json(singleQuotedBody)));
        long started = System.nanoTime();
        return api.http().sendAsync(request, HttpResponse.BodyHandlers.ofString())
                .thenApply(r -> new Timed(Reply.of(r), Duration.ofNanos(System.nanoTime() - started)));
    }

    /**
     * Sends the agent's request with {@code send} and returns once it has reached the engine (it
     * renewed the agent's session), so that what follows happens while it waits.
     */
    private static <T> T reachingTheEngine(Node node, String agentId, java.util.function.Supplier<T> send) {
        Instant before = Instant.parse(node.api().get("/api/agents/" + agentId).expect(200).json()
                .get("last_heartbeat").asText());
        await().atMost(Duration.ofSeconds(5)).until(() -> Instant.now().isAfter(before.plusMillis(5)));
        T sent = send.get();
        await().atMost(GENEROUS).until(() -> Instant.parse(node.api().get("/api/agents/" + agentId).expect(200)
                .json().get("last_heartbeat").asText()).isAfter(before));
        return sent;
    }

    private static List<EventReader.Event> eventsUntilCompleted(Node node, String swarmId) {
        try (EventReader events = EventReader.open(node.api(), "/api/swarms/" + swarmId + "/events")) {
            assertThat(events.status()).isEqualTo(200);
            return events.until(e -> e.type().equals("swarm_completed"));
        }
    }

    // --- the log ---

    /** Collects what is logged from now on: WARN and above, and the end of an outage (INFO). */
    private static ListAppender<ILoggingEvent> captureLogs() {
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        ((Logger) LoggerFactory.getLogger(StoreOutage.class)).setLevel(Level.INFO);
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(appender);
        return appender;
    }

    private static void detach(ListAppender<ILoggingEvent> appender) {
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(appender);
        ((Logger) LoggerFactory.getLogger(StoreOutage.class)).setLevel(null);
        appender.stop();
    }

    /** What the outage wrote to the log, summed up by logger and message: how loud it was. */
    private static void report(ListAppender<ILoggingEvent> logs, Duration outage, Duration watched) {
        Map<String, Long> lines = logs.list.stream()
                .collect(Collectors.groupingBy(e -> e.getLevel() + " " + e.getLoggerName() + " '"
                        + e.getMessage() + "'" + (e.getThrowableProxy() != null ? " +stack trace" : ""),
                        TreeMap::new, Collectors.counting()));
        StringBuilder summary = new StringBuilder("log lines in the ").append(watched.toMillis())
                .append(" ms from PostgreSQL going away to both nodes listening again (down for ")
                .append(outage.toMillis()).append(" ms):");
        lines.forEach((line, count) -> summary.append("\n  ").append(count).append(" x ").append(line));
        System.out.println(summary);
    }
}
