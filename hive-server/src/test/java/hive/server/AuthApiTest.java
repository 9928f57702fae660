package hive.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNoException;

import com.fasterxml.jackson.databind.JsonNode;
import hive.server.TestServer.Client;
import hive.server.TestServer.Reply;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * API.md "Conventions", auth: with a token configured every request needs it; the admin token may
 * do everything; an agent's token may act only as that agent.
 */
class AuthApiTest {

    private static final String ADMIN = "admin-secret-token";

    @TempDir
    Path dir;
    TestServer server;
    Client admin;
    String swarmId;
    Client w1;

    @BeforeEach
    void start() {
        server = TestServer.start(dir, new ServerConfig(ServerConfig.DEFAULT_HOST, 0, ADMIN,
                ServerConfig.DEFAULT_MAX_BODY_BYTES));
        admin = server.client();
        swarmId = admin.post("/api/swarms", TestServer.json("""
                {'name': 's', 'tasks': [{'id': 't1'}, {'id': 't2'}]}""")).expect(201).json().get("id").asText();
        w1 = server.client(admin.post("/api/agents", TestServer.json("{'id': 'w1'}")).expect(201).json().get("token")
                .asText());
        admin.post("/api/agents", TestServer.json("{'id': 'w2'}")).expect(201);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private static String json(String singleQuoted) {
        return TestServer.json(singleQuoted);
    }

    @Test
    void aRequestWithoutATokenIsUnauthorized() {
        Client anonymous = server.client(null);

        JsonNode problem = anonymous.get("/api/swarms").problem(401);
        Reply post = anonymous.post("/api/agents", json("{'id': 'w3'}"));

        assertThat(problem.get("detail").asText()).contains("Authorization: Bearer");
        post.problem(401);
        assertThat(post.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v ->
                assertThat(v).startsWith("Bearer"));
        anonymous.get("/api/nothing").problem(401);
    }

    @Test
    void aWrongTokenIsUnauthorized() {
        server.client("not-the-token").get("/api/swarms").problem(401);
        server.client(ADMIN + "x").get("/api/swarms").problem(401);
        server.client(null).send("GET", "/api/swarms", null, "Authorization", "Basic " + ADMIN).problem(401);
    }

    @Test
    void aForgedAgentTokenIsUnauthorized() {
        String forged = "hat_" + Base64.getUrlEncoder().withoutPadding()
                .encodeToString("w2".getBytes(StandardCharsets.UTF_8)) + ".AAAA";
        String[] w1Parts = w1.token().split("\\.");
        String swapped = "hat_" + Base64.getUrlEncoder().withoutPadding()
                .encodeToString("w2".getBytes(StandardCharsets.UTF_8)) + "." + w1Parts[1];

        server.client(forged).get("/api/swarms").problem(401);
        server.client(swapped).get("/api/swarms").problem(401);
    }

    @Test
    void theAdminTokenMayDoEverything() {
        admin.get("/api/swarms").expect(200);
        admin.post("/api/agents/w2/claim", json("{'swarm_id': '" + swarmId + "'}")).expect(200);
        admin.post("/api/locks/acquire", json("{'agent_id': 'w2', 'paths': ['x']}")).expect(200);
        admin.post("/api/agents/w2/heartbeat", null).expect(200);
        admin.post("/api/swarms/" + swarmId + "/pause", null).expect(200);
        admin.get("/health").expect(200);
    }

    @Test
    void anAgentTokenActsAsItsAgent() {
        JsonNode task = w1.post("/api/agents/w1/claim", json("{'swarm_id': '" + swarmId + "'}")).expect(200).json();
        w1.post(ApiTest.taskPath(swarmId, task.get("id").asText()) + "/complete", json("{'agent_id': 'w1'}"))
                .expect(200);
        w1.post("/api/locks/acquire", json("{'agent_id': 'w1', 'paths': ['src/']}")).expect(200);
        w1.post("/api/locks/release", json("{'agent_id': 'w1'}")).expect(200);
        w1.post("/api/agents/w1/heartbeat", null).expect(200);
        w1.post("/api/agents", json("{'id': 'w1'}")).expect(201);
        w1.get("/api/swarms/" + swarmId).expect(200);
    }

    @Test
    void anAgentTokenMayNotActForAnotherAgent() {
        JsonNode held = admin.post("/api/agents/w2/claim", json("{'swarm_id': '" + swarmId + "'}")).expect(200)
                .json();
        String heldPath = ApiTest.taskPath(swarmId, held.get("id").asText());
        admin.post("/api/locks/acquire", json("{'agent_id': 'w2', 'paths': ['shared.txt']}")).expect(200);

        JsonNode claim = w1.post("/api/agents/w2/claim", json("{'swarm_id': '" + swarmId + "'}")).problem(403);
        w1.post(heldPath + "/complete", json("{'agent_id': 'w2'}")).problem(403);
        w1.post(ApiTest.taskPath(swarmId, "t2") + "/start", json("{'agent_id': 'w2'}")).problem(403);
        w1.post(heldPath + "/fail", json("{'agent_id': 'w2', 'error': 'x'}")).problem(403);
        w1.post("/api/locks/acquire", json("{'agent_id': 'w2', 'paths': ['mine.txt']}")).problem(403);
        w1.post("/api/locks/release", json("{'agent_id': 'w2'}")).problem(403);
        w1.post("/api/locks/renew", json("{'agent_id': 'w2'}")).problem(403);
        w1.post("/api/agents/w2/heartbeat", null).problem(403);
        w1.delete("/api/agents/w2").problem(403);
        w1.post("/api/agents", json("{'id': 'w3'}")).problem(403);

        assertThat(claim.get("detail").asText()).contains("w1").contains("w2");
        assertThat(admin.get(ApiTest.taskPath(swarmId, held.get("id").asText())).expect(200).json().get("status")
                .asText()).isEqualTo("in_progress");
        assertThat(admin.get("/api/agents/w2").expect(200).json().get("status").asText()).isEqualTo("active");
    }

    @Test
    void anAgentTokenMayNotRunTheSwarms() {
        w1.post("/api/swarms", json("{'name': 'mine', 'tasks': [{'id': 'a'}]}")).problem(403);
        w1.post("/api/swarms/" + swarmId + "/cancel", null).problem(403);
        w1.post("/api/swarms/" + swarmId + "/tasks", json("{'tasks': [{'id': 'x'}]}")).problem(403);
    }

    @Test
    void anAgentTokenOfAnotherServerIsUnauthorized() throws Exception {
        String foreign;
        try (TestServer other = TestServer.start(java.nio.file.Files.createDirectories(dir.resolve("other")),
                new ServerConfig(ServerConfig.DEFAULT_HOST, 0, "another-admin-token",
                        ServerConfig.DEFAULT_MAX_BODY_BYTES))) {
            foreign = other.client().post("/api/agents", json("{'id': 'w1'}")).expect(201).json().get("token")
                    .asText();
        }

        server.client(foreign).get("/api/swarms").problem(401);
    }

    @Test
    void listeningBeyondLoopbackWithoutATokenIsRefused() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> new ServerConfig("0.0.0.0", 0, null, ServerConfig.DEFAULT_MAX_BODY_BYTES))
                .withMessageContaining("0.0.0.0").withMessageContaining("token");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> new ServerConfig("192.0.2.10", 8000, null, ServerConfig.DEFAULT_MAX_BODY_BYTES))
                .withMessageContaining("--token");
        assertThatNoException().isThrownBy(() -> new ServerConfig("0.0.0.0", 0, ADMIN,
                ServerConfig.DEFAULT_MAX_BODY_BYTES));
        assertThatNoException().isThrownBy(() -> new ServerConfig("localhost", 0, null,
                ServerConfig.DEFAULT_MAX_BODY_BYTES));
        assertThatNoException().isThrownBy(() -> new ServerConfig("::1", 0, null,
                ServerConfig.DEFAULT_MAX_BODY_BYTES));
    }
}
