package hive.server;

import static org.assertj.core.api.Assertions.assertThat;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import hive.server.TestServer.Client;
import hive.server.TestServer.Reply;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the HTTP tests share: a fresh server (loopback, auth off) per test, a client for it, and the
 * few steps most tests take on the way to what they check.
 */
abstract class ApiTest {

    @TempDir
    Path dir;
    TestServer server;
    Client api;

    @BeforeEach
    void startServer() {
        server = TestServer.start(dir);
        api = server.client();
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    static String json(String singleQuoted) {
        return TestServer.json(singleQuoted);
    }

    /** Creates a swarm from a plan (single-quoted JSON); returns its id. */
    String createSwarm(String plan) {
        return api.post("/api/swarms", json(plan)).expect(201).json().get("id").asText();
    }

    /** Registers an agent with these roles; returns its token. */
    String register(String agentId, String... roles) {
        String body = json("{'id': '" + agentId + "', 'roles': [" + String.join(", ", quoted(roles)) + "]}");
        return api.post("/api/agents", body).expect(201).json().get("token").asText();
    }

    /** The agent claims the next task of the swarm, which there must be; returns the task. */
    JsonNode claim(String agentId, String swarmId) {
        return api.post("/api/agents/" + agentId + "/claim", json("{'swarm_id': '" + swarmId + "'}")).expect(200)
                .json();
    }

    JsonNode complete(String swarmId, String taskId, String agentId) {
        return api.post(taskPath(swarmId, taskId) + "/complete", json("{'agent_id': '" + agentId + "'}"))
                .expect(200).json();
    }

    /**
     * Sends the agent's claim without waiting for its answer, and returns once the claim has
     * reached the engine (it renewed the agent's session), so that what follows happens while it
     * waits.
     */
    CompletableFuture<Reply> claimWaiting(String agentId, String swarmId, int waitS) {
        return reachingTheEngine(agentId, () -> api.postAsync("/api/agents/" + agentId + "/claim",
                json("{'swarm_id': '" + swarmId + "', 'wait_s': " + waitS + "}")));
    }

    /**
     * Sends the agent's request with {@code send}, and returns what it returned once the request
     * has reached the engine (it renewed the agent's session).
     */
    <T> T reachingTheEngine(String agentId, Supplier<T> send) {
        Instant before = Instant.parse(api.get("/api/agents/" + agentId).expect(200).json().get("last_heartbeat")
                .asText());
        await().atMost(Duration.ofSeconds(5)).until(() -> Instant.now().isAfter(before.plusMillis(5)));
        T sent = send.get();
        await().atMost(Duration.ofSeconds(10)).until(() -> Instant.parse(api.get("/api/agents/" + agentId)
                .expect(200).json().get("last_heartbeat").asText()).isAfter(before));
        return sent;
    }

    JsonNode task(String swarmId, String taskId) {
        return api.get(taskPath(swarmId, taskId)).expect(200).json();
    }

    static String taskPath(String swarmId, String taskId) {
        return "/api/swarms/" + swarmId + "/tasks/" + taskId;
    }

    /** The values of {@code field} in each element of an array. */
    static List<String> each(JsonNode array, String field) {
        assertThat(array.isArray()).as("an array: %s", array).isTrue();
        List<String> values = new ArrayList<>();
        array.forEach(item -> values.add(item.path(field).asText()));
        return values;
    }

    private static List<String> quoted(String... values) {
        List<String> quoted = new ArrayList<>();
        for (String v : values) {
            quoted.add("'" + v + "'");
        }
        return quoted;
    }
}
