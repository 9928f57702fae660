package hive.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** API.md "Agents": registration (idempotent, with a token), heartbeats, leaving, the list. */
class AgentApiTest extends ApiTest {

    @Test
    void registeringAnswersTheAgentAndItsToken() {
        JsonNode agent = api.post("/api/agents", json("{'id': 'coder-1', 'name': 'Coder', 'roles': ['backend'],"
                + " 'max_tasks': 2}")).expect(201).json();

        assertThat(agent.get("id").asText()).isEqualTo("coder-1");
        assertThat(agent.get("name").asText()).isEqualTo("Coder");
        assertThat(agent.get("roles")).hasSize(1);
        assertThat(agent.get("roles").get(0).asText()).isEqualTo("backend");
        assertThat(agent.get("max_tasks").asInt()).isEqualTo(2);
        assertThat(agent.get("status").asText()).isEqualTo("active");
        assertThat(agent.get("last_heartbeat").asText()).endsWith("Z");
        assertThat(agent.get("current_tasks")).isEmpty();
        assertThat(agent.get("token").asText()).startsWith("hat_");
    }

    @Test
    void anAgentWithoutAnIdGetsOneMadeByTheServer() {
        JsonNode agent = api.post("/api/agents", "{}").expect(201).json();

        assertThat(agent.get("id").asText()).matches(ApiRoutes.ID.pattern());
        assertThat(agent.get("max_tasks").asInt()).as("default").isEqualTo(1);
    }

    @Test
    void registeringAgainReturnsTheSameAgent() {
        JsonNode first = api.post("/api/agents", json("{'id': 'coder-1', 'roles': ['backend']}")).expect(201).json();

        JsonNode again = api.post("/api/agents", json("{'id': 'coder-1', 'roles': ['frontend']}")).expect(201).json();

        assertThat(again.get("id").asText()).isEqualTo("coder-1");
        assertThat(again.get("roles").get(0).asText()).as("as first registered").isEqualTo("backend");
        assertThat(again.get("token").asText()).isEqualTo(first.get("token").asText());
        assertThat(api.get("/api/agents").expect(200).json()).hasSize(1);
    }

    @Test
    void aBadRegistrationIsRefused() {
        JsonNode badId = api.post("/api/agents", json("{'id': 'no spaces!'}")).problem(400);
        JsonNode badRoles = api.post("/api/agents", json("{'id': 'a', 'roles': 'backend'}")).problem(400);
        JsonNode badMax = api.post("/api/agents", json("{'id': 'a', 'max_tasks': 0}")).problem(400);

        assertThat(badId.get("field").asText()).isEqualTo("id");
        assertThat(badRoles.get("detail").asText()).contains("roles");
        assertThat(badMax.get("detail").asText()).contains("max_tasks");
    }

    @Test
    void aHeartbeatRenewsTheSession() {
        JsonNode registered = api.post("/api/agents", json("{'id': 'w1'}")).expect(201).json();
        Instant before = Instant.parse(registered.get("last_heartbeat").asText());
        await().atMost(Duration.ofSeconds(5)).until(() -> Instant.now().isAfter(before.plusMillis(5)));

        JsonNode beat = api.post("/api/agents/w1/heartbeat", null).expect(200).json();

        assertThat(Instant.parse(beat.get("last_heartbeat").asText())).isAfter(before);
        assertThat(beat.get("status").asText()).isEqualTo("active");
        api.post("/api/agents/ghost/heartbeat", null).problem(404);
    }

    @Test
    void agentsAreListedAndReadOneByOne() {
        register("w1", "backend");
        register("w2");

        JsonNode list = api.get("/api/agents").expect(200).json();
        JsonNode one = api.get("/api/agents/w2").expect(200).json();

        assertThat(each(list, "id")).containsExactly("w1", "w2");
        assertThat(list.get(0).has("token")).as("tokens are answered at registration only").isFalse();
        assertThat(one.get("id").asText()).isEqualTo("w2");
        api.get("/api/agents/ghost").problem(404);
    }

    @Test
    void anAgentThatLeavesGivesBackItsTasksAndLocks() {
        String swarmId = createSwarm("{'name': 's', 'tasks': [{'id': 'edit', 'files': ['src/app.py'],"
                + " 'max_attempts': 3}]}");
        register("w1");
        claim("w1", swarmId);
        api.post("/api/locks/acquire", json("{'agent_id': 'w1', 'paths': ['docs/']}")).expect(200);
        assertThat(api.get("/api/agents/w1").expect(200).json().get("current_tasks").get(0).asText())
                .isEqualTo(swarmId + "/edit");

        JsonNode gone = api.delete("/api/agents/w1").expect(200).json();

        assertThat(gone.get("status").asText()).isEqualTo("gone");
        JsonNode task = task(swarmId, "edit");
        assertThat(task.get("status").asText()).isIn("ready", "pending");
        assertThat(task.get("assigned_agent").isNull()).isTrue();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(api.get("/api/locks").expect(200).json()).isEmpty());
        assertThat(api.get("/api/agents").expect(200).json().get(0).get("status").asText()).isEqualTo("gone");
    }

    @Test
    void aSilentAgentIsLostAndWhatItHeldIsTakenBack() throws Exception {
        try (TestServer quick = TestServer.withSessionTimeout(Files.createDirectories(dir.resolve("short")),
                Duration.ofSeconds(1))) {
            TestServer.Client client = quick.client();
            String swarmId = client.post("/api/swarms", json("{'name': 's', 'tasks': [{'id': 'edit',"
                    + " 'files': ['src/app.py'], 'max_attempts': 2}]}")).expect(201).json().get("id").asText();
            client.post("/api/agents", json("{'id': 'w1'}")).expect(201);
            client.post("/api/agents/w1/claim", json("{'swarm_id': '" + swarmId + "'}")).expect(200);

            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThat(client.get("/api/agents/w1")
                    .expect(200).json().get("status").asText()).isEqualTo("lost"));

            JsonNode task = client.get(taskPath(swarmId, "edit")).expect(200).json();
            assertThat(task.get("status").asText()).isIn("ready", "pending");
            assertThat(task.get("attempt").asInt()).as("the lost attempt counts").isEqualTo(1);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(client.get("/api/locks").expect(200).json()).isEmpty());
            client.post("/api/agents/w1/heartbeat", null).problem(409);
        }
    }

    @Test
    void aGoneAgentCannotHeartbeatUntilItRegistersAgain() {
        register("w1");
        api.delete("/api/agents/w1").expect(200);

        api.post("/api/agents/w1/heartbeat", null).problem(409);
        api.post("/api/agents/w1/claim", null).problem(409);
        api.post("/api/agents", json("{'id': 'w1'}")).expect(201);
        JsonNode back = api.post("/api/agents/w1/heartbeat", null).expect(200).json();

        assertThat(back.get("status").asText()).isEqualTo("active");
        api.delete("/api/agents/ghost").problem(404);
    }
}
