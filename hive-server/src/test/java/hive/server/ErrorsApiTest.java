package hive.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import hive.server.TestServer.Client;
import hive.server.TestServer.Reply;
import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/**
 * API.md "Conventions", errors: every bad request is {@code application/problem+json} with
 * {@code type, title, status, detail}, and the detail names what is wrong.
 */
class ErrorsApiTest extends ApiTest {

    private String swarmWithOneTask() {
        String swarmId = createSwarm("{'name': 's', 'tasks': [{'id': 'only'}]}");
        register("w1");
        return swarmId;
    }

    @Test
    void malformedJsonIsABadRequestThatSaysSo() {
        JsonNode agent = api.post("/api/agents", "{\"id\": \"w1\",").problem(400);
        JsonNode plan = api.post("/api/swarms", "{\"name\": \"s\", \"tasks\": [}").problem(400);
        JsonNode lock = api.post("/api/locks/acquire", "{agent_id: w1}").problem(400);

        assertThat(agent.get("detail").asText()).containsIgnoringCase("malformed JSON");
        assertThat(plan.get("detail").asText()).containsIgnoringCase("malformed JSON");
        assertThat(lock.get("detail").asText()).containsIgnoringCase("malformed JSON");
    }

    @Test
    void contentAfterTheJsonValueIsMalformed() {
        String swarmId = swarmWithOneTask();
        register("w2");

        JsonNode problem = api.post(taskPath(swarmId, "only") + "/start",
                "{\"agent_id\": \"w1\"} {\"agent_id\": \"w2\"}").problem(400);

        assertThat(problem.get("detail").asText()).containsIgnoringCase("malformed JSON");
        assertThat(task(swarmId, "only").get("status").asText()).isEqualTo("ready");
    }

    @Test
    void aFieldGivenTwiceIsRefused() {
        String swarmId = swarmWithOneTask();
        register("w2");

        JsonNode problem = api.post(taskPath(swarmId, "only") + "/start",
                "{\"agent_id\": \"w1\", \"agent_id\": \"w2\"}").problem(400);

        assertThat(problem.get("detail").asText()).contains("agent_id");
    }

    @Test
    void aBodyThatIsNotAnObjectIsRefused() {
        JsonNode array = api.post("/api/agents", "[1, 2]").problem(400);
        JsonNode text = api.post("/api/locks/acquire", "\"w1\"").problem(400);

        assertThat(array.get("detail").asText()).contains("object").contains("array");
        assertThat(text.get("detail").asText()).contains("object");
    }

    @Test
    void aWrongTypeNamesTheField() {
        String swarmId = swarmWithOneTask();

        JsonNode maxTasks = api.post("/api/agents", json("{'id': 'w9', 'max_tasks': 'two'}")).problem(400);
        JsonNode fraction = api.post("/api/agents", json("{'id': 'w9', 'max_tasks': 1.5}")).problem(400);
        JsonNode waitS = api.post("/api/agents/w1/claim", json("{'wait_s': 'soon'}")).problem(400);
        JsonNode agentId = api.post(taskPath(swarmId, "only") + "/start", "{\"agent_id\": 7}").problem(400);
        JsonNode paths = api.post("/api/locks/acquire", json("{'agent_id': 'w1', 'paths': 'src/'}")).problem(400);
        JsonNode element = api.post("/api/locks/acquire", json("{'agent_id': 'w1', 'paths': ['a', 3]}"))
                .problem(400);
        JsonNode retryable = api.post(taskPath(swarmId, "only") + "/fail",
                json("{'agent_id': 'w1', 'error': 'x', 'retryable': 'no'}")).problem(400);
        JsonNode planNumber = api.post("/api/swarms", json("{'name': 's', 'tasks': [{'id': 'a', 'priority': 'high'}]}"))
                .problem(400);

        assertThat(maxTasks.get("detail").asText()).contains("max_tasks").contains("string");
        assertThat(maxTasks.get("field").asText()).isEqualTo("max_tasks");
        assertThat(fraction.get("detail").asText()).contains("max_tasks");
        assertThat(waitS.get("detail").asText()).contains("wait_s");
        assertThat(agentId.get("detail").asText()).contains("agent_id");
        assertThat(paths.get("detail").asText()).contains("paths");
        assertThat(element.get("detail").asText()).contains("paths[1]");
        assertThat(retryable.get("detail").asText()).contains("retryable");
        assertThat(planNumber.get("errors").get(0).get("problem").asText()).contains("priority");
    }

    @Test
    void aMissingRequiredFieldIsNamed() {
        String swarmId = swarmWithOneTask();

        JsonNode start = api.post(taskPath(swarmId, "only") + "/start", "{}").problem(400);
        JsonNode empty = api.post(taskPath(swarmId, "only") + "/start", "").problem(400);
        JsonNode acquire = api.post("/api/locks/acquire", json("{'agent_id': 'w1'}")).problem(400);
        JsonNode process = api.post("/orchestrator/process", json("{'user_id': 'u'}")).problem(400);

        assertThat(start.get("detail").asText()).isEqualTo("field 'agent_id' is required");
        assertThat(empty.get("detail").asText()).contains("agent_id");
        assertThat(acquire.get("detail").asText()).contains("paths");
        assertThat(process.get("detail").asText()).contains("message");
    }

    @Test
    void anUnknownFieldSuggestsTheClosestKnownOne() {
        String swarmId = swarmWithOneTask();

        JsonNode start = api.post(taskPath(swarmId, "only") + "/start", json("{'agentid': 'w1'}")).problem(400);
        JsonNode plan = api.post("/api/swarms", json("{'name': 's', 'tasks': [{'id': 'a', 'dependencies': []}]}"))
                .problem(400);

        assertThat(start.get("detail").asText()).isEqualTo("unknown field 'agentid' (did you mean 'agent_id'?)");
        assertThat(start.get("field").asText()).isEqualTo("agentid");
        assertThat(plan.get("errors").get(0).get("problem").asText())
                .contains("unknown field 'dependencies' (did you mean 'depends_on'?)");
    }

    @Test
    void anUnknownSwarmTaskOrAgentIsNotFound() {
        String swarmId = swarmWithOneTask();

        api.get("/api/swarms/sw_nothere").problem(404);
        api.get(taskPath(swarmId, "nothere")).problem(404);
        api.get("/api/agents/nothere").problem(404);
        api.get(taskPath(swarmId, "not%20here")).problem(404);
        api.post("/api/agents/not%20here/heartbeat", null).problem(404);
    }

    @Test
    void anUnknownRouteIsNotFound() {
        JsonNode problem = api.get("/api/nothing/here").problem(404);

        assertThat(problem.get("detail").asText()).contains("/api/nothing/here");
        api.post("/api/swarms/sw_x/explode", "{}").problem(404);
    }

    @Test
    void aKnownRouteWithTheWrongMethodIsNotAllowed() {
        Reply delete = api.delete("/api/swarms");
        JsonNode problem = delete.problem(405);
        api.get("/api/locks/acquire").problem(405);
        Reply put = api.send("PUT", "/api/agents/w1/heartbeat", "{}");

        assertThat(problem.get("detail").asText()).contains("DELETE");
        assertThat(delete.headers().allValues("Allow")).as("RFC 9110: a 405 names the allowed methods")
                .containsExactly("GET, POST");
        put.problem(405);
        assertThat(put.headers().allValues("Allow")).containsExactly("POST");
    }

    @Test
    void thePlannerIsUnavailableUntilConfigured() {
        JsonNode problem = api.post("/orchestrator/process", json("{'message': 'build a blog', 'user_id': 'u1'}"))
                .problem(503);

        assertThat(problem.get("detail").asText()).contains("/api/swarms");
    }

    @Test
    void aBodyOverTheLimitIsTooLarge() throws Exception {
        try (TestServer small = TestServer.start(Files.createDirectories(dir.resolve("small")),
                new ServerConfig(ServerConfig.DEFAULT_HOST, 0, null, 1024))) {
            Client client = small.client();
            String big = "{\"name\": \"" + "x".repeat(2000) + "\"}";

            JsonNode agent = client.post("/api/agents", big).problem(413);
            client.post("/api/swarms", json("{'name': 's', 'tasks': [{'id': 'a', 'description': '"
                    + "y".repeat(4000) + "'}]}")).problem(413);
            JsonNode chunked = client.send(client.request("POST", "/api/agents", HttpRequest.BodyPublishers
                    .ofInputStream(() -> new ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8))))).problem(413);
            client.post("/api/agents", json("{'id': 'fits'}")).expect(201);
            String swarmId = client.post("/api/swarms", json("{'name': 's', 'tasks': [{'id': 'a'}]}")).expect(201)
                    .json().get("id").asText();
            client.post("/api/swarms/" + swarmId + "/pause", big).problem(413);

            assertThat(agent.get("detail").asText()).contains("1024");
            assertThat(chunked.get("detail").asText()).contains("1024");
        }
    }
}
