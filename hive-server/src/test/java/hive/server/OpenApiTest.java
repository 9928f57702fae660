package hive.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** {@code GET /openapi.json} describes exactly the routes the server has, and every endpoint of API.md. */
class OpenApiTest extends ApiTest {

    /** Every endpoint of API.md "Endpoints", with the statuses API.md names for it. */
    private static final Map<String, List<Integer>> API_MD = Map.ofEntries(
            Map.entry("POST /api/swarms", List.of(201, 400)),
            Map.entry("GET /api/swarms", List.of(200)),
            Map.entry("GET /api/swarms/{id}", List.of(200, 404)),
            Map.entry("POST /api/swarms/{id}/cancel", List.of(200, 404)),
            Map.entry("POST /api/swarms/{id}/pause", List.of(200, 404)),
            Map.entry("POST /api/swarms/{id}/resume", List.of(200, 404)),
            Map.entry("POST /api/swarms/{id}/tasks", List.of(201, 400, 404)),
            Map.entry("GET /api/swarms/{id}/tasks", List.of(200, 404)),
            Map.entry("GET /api/swarms/{id}/tasks/{task_id}", List.of(200, 404)),
            Map.entry("GET /api/swarms/{id}/ready", List.of(200, 404)),
            Map.entry("GET /api/swarms/{id}/events", List.of(200, 404)),
            Map.entry("GET /api/planner/{id}/progress", List.of(200, 404)),
            Map.entry("POST /api/agents", List.of(201, 400)),
            Map.entry("POST /api/agents/{id}/heartbeat", List.of(200, 404)),
            Map.entry("DELETE /api/agents/{id}", List.of(200, 404)),
            Map.entry("GET /api/agents", List.of(200)),
            Map.entry("POST /api/agents/{id}/claim", List.of(200, 204, 404)),
            Map.entry("GET /api/swarms/{id}/tasks/{task_id}/readiness", List.of(200, 404)),
            Map.entry("POST /api/swarms/{id}/tasks/{task_id}/start", List.of(200, 404, 409)),
            Map.entry("POST /api/swarms/{id}/tasks/{task_id}/complete", List.of(200, 403, 404)),
            Map.entry("POST /api/swarms/{id}/tasks/{task_id}/fail", List.of(200, 403, 404)),
            Map.entry("POST /api/swarms/{id}/tasks/{task_id}/retry", List.of(200, 404)),
            Map.entry("POST /api/locks/acquire", List.of(200, 409)),
            Map.entry("POST /api/locks/release", List.of(200, 403)),
            Map.entry("POST /api/locks/renew", List.of(200)),
            Map.entry("GET /api/locks", List.of(200)),
            Map.entry("GET /api/stats", List.of(200)),
            Map.entry("POST /orchestrator/process", List.of(201, 503)),
            Map.entry("GET /health", List.of(200)),
            Map.entry("GET /metrics", List.of(200)),
            Map.entry("GET /openapi.json", List.of(200)),
            Map.entry("GET /", List.of(200)));

    private JsonNode document() {
        return api.get("/openapi.json").expect(200).json();
    }

    private static List<String> operations(JsonNode document) {
        List<String> operations = new ArrayList<>();
        document.get("paths").properties().forEach(path -> path.getValue().properties().forEach(op ->
                operations.add(op.getKey().toUpperCase(Locale.ROOT) + " " + path.getKey())));
        return operations;
    }

    @Test
    void theDocumentDescribesExactlyTheRoutesTheServerHas() {
        List<String> served = server.server.endpoints();

        List<String> described = operations(document());

        assertThat(served).as("the server's routes").isNotEmpty();
        assertThat(new TreeSet<>(described)).as("every route the server has is described, and nothing else")
                .isEqualTo(new TreeSet<>(served));
        assertThat(described).doesNotHaveDuplicates();
    }

    @Test
    void everyEndpointOfTheContractIsDescribedWithItsStatuses() {
        JsonNode document = document();

        assertThat(operations(document)).containsAll(API_MD.keySet());
        API_MD.forEach((operation, statuses) -> {
            String[] parts = operation.split(" ", 2);
            JsonNode responses = document.get("paths").get(parts[1]).get(parts[0].toLowerCase(Locale.ROOT))
                    .get("responses");
            for (int status : statuses) {
                assertThat(responses.has(Integer.toString(status))).as("%s answers %d", operation, status).isTrue();
            }
        });
    }

    @Test
    void everyOperationDocumentsTheErrorsEveryRequestMayGet() {
        JsonNode paths = document().get("paths");

        paths.properties().forEach(path -> path.getValue().properties().forEach(op -> {
            JsonNode responses = op.getValue().get("responses");
            assertThat(responses.has("401")).as("%s %s: 401", op.getKey(), path.getKey()).isTrue();
            if (op.getKey().equals("post")) {
                assertThat(responses.has("400")).as("post %s: 400", path.getKey()).isTrue();
                assertThat(responses.has("413")).as("post %s: 413", path.getKey()).isTrue();
            }
        }));
    }

    @Test
    void theDocumentIsOpenApiWithItsPathParameters() {
        JsonNode document = document();

        assertThat(document.get("openapi").asText()).startsWith("3.1");
        assertThat(document.get("info").get("title").asText()).isEqualTo("HiveMind");
        JsonNode start = document.get("paths").get("/api/swarms/{id}/tasks/{task_id}/start").get("post");
        assertThat(ApiTest.each(start.get("parameters"), "name")).containsExactly("id", "task_id");
        assertThat(start.get("operationId").asText()).isNotBlank();
        assertThat(start.get("responses").has("401")).isTrue();
    }
}
