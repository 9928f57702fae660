package hive.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import hive.Hive;
import hive.store.Durability;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A first pass over real HTTP: a swarm created, an agent registered, a task claimed and completed. */
class ServerSmokeTest {

    @TempDir
    Path dir;
    HiveServer server;
    final HttpClient http = HttpClient.newHttpClient();
    final ObjectMapper json = new ObjectMapper();

    @BeforeEach
    void start() {
        server = HiveServer.start(Hive.sqlite(dir.resolve("hive.db"), Durability.NORMAL), ServerConfig.local(0));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void swarmAgentClaimComplete() throws Exception {
        HttpResponse<String> created = send("POST", "/api/swarms", """
                {"name": "smoke", "tasks": [{"id": "build"}, {"id": "deploy", "depends_on": ["build"]}]}""");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String swarmId = json.readTree(created.body()).get("id").asText();

        HttpResponse<String> agent = send("POST", "/api/agents", "{\"id\": \"worker-1\", \"roles\": []}");
        assertThat(agent.statusCode()).as(agent.body()).isEqualTo(201);
        assertThat(json.readTree(agent.body()).get("token").asText()).startsWith("hat_");

        HttpResponse<String> claim = send("POST", "/api/agents/worker-1/claim", "{\"swarm_id\": \"" + swarmId + "\"}");
        assertThat(claim.statusCode()).as(claim.body()).isEqualTo(200);
        JsonNode task = json.readTree(claim.body());
        assertThat(task.get("id").asText()).isEqualTo("build");
        assertThat(task.get("status").asText()).isEqualTo("in_progress");

        HttpResponse<String> done = send("POST", "/api/swarms/" + swarmId + "/tasks/build/complete",
                "{\"agent_id\": \"worker-1\", \"result\": \"ok\"}");
        assertThat(done.statusCode()).as(done.body()).isEqualTo(200);

        HttpResponse<String> progress = send("GET", "/api/planner/" + swarmId + "/progress", null);
        assertThat(json.readTree(progress.body()).get("completed").asInt()).isEqualTo(1);

        HttpResponse<String> unknown = send("POST", "/api/agents", "{\"idd\": \"x\"}");
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(unknown.headers().firstValue("Content-Type")).hasValueSatisfying(v ->
                assertThat(v).contains("application/problem+json"));
        assertThat(json.readTree(unknown.body()).get("detail").asText()).contains("did you mean 'id'");

        HttpResponse<String> events = send("GET", "/api/swarms/" + swarmId + "/events?after=0", null, true);
        assertThat(events.statusCode()).isEqualTo(200);

        HttpResponse<String> openapi = send("GET", "/openapi.json", null);
        assertThat(json.readTree(openapi.body()).get("paths").has("/api/locks/acquire")).isTrue();
        HttpResponse<String> metrics = send("GET", "/metrics", null);
        assertThat(metrics.body()).contains("hive_tasks");
    }

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        return send(method, path, body, false);
    }

    private HttpResponse<String> send(String method, String path, String body, boolean stream) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(server.url() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json");
        if (stream) {
            HttpResponse<java.io.InputStream> response = http.send(request.build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            try (var in = response.body()) {
                byte[] first = new byte[64];
                int n = in.read(first);
                return new FakeResponse(response.statusCode(), new String(first, 0, Math.max(0, n)));
            }
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private record FakeResponse(int statusCode, String body) implements HttpResponse<String> {
        public HttpRequest request() { return null; }
        public java.util.Optional<HttpResponse<String>> previousResponse() { return java.util.Optional.empty(); }
        public java.net.http.HttpHeaders headers() { return java.net.http.HttpHeaders.of(java.util.Map.of(), (a, b) -> true); }
        public java.util.Optional<javax.net.ssl.SSLSession> sslSession() { return java.util.Optional.empty(); }
        public URI uri() { return null; }
        public HttpClient.Version version() { return HttpClient.Version.HTTP_1_1; }
    }
}
