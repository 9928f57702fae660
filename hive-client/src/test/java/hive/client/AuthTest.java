package hive.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import hive.Hive;
import hive.server.HiveServer;
import hive.server.ServerConfig;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** A server with a token: 401 without a valid one, the admin token does everything, an agent's only its own. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuthTest {

    private static final String SECRET = "secret";

    @TempDir
    static Path dir;
    HiveServer server;
    HiveClient admin;

    @BeforeAll
    void startServer() {
        server = HiveServer.start(Hive.sqlite(dir.resolve("auth.db")),
                new ServerConfig("127.0.0.1", 0, SECRET, ServerConfig.DEFAULT_MAX_BODY_BYTES));
        admin = HiveClient.builder(URI.create(server.url())).token(SECRET).build();
    }

    @AfterAll
    void stopServer() {
        admin.close();
        server.close();
    }

    private static HiveApiException thrown(Executable call) {
        return catchThrowableOfType(HiveApiException.class, call::execute);
    }

    @Test
    void requestWithoutATokenOrWithAWrongOneIs401() {
        try (HiveClient anonymous = HiveClient.connect(server.url());
                HiveClient forger = admin.withToken("not-the-secret");
                HiveClient fakeAgent = admin.withToken("hat_d29ya2Vy.Zm9yZ2Vk")) {
            HiveApiException missing = thrown(anonymous::swarms);
            assertThat(missing.status()).isEqualTo(401);
            assertThat(missing.type()).endsWith("/unauthorized");
            assertThat(missing.detail()).contains("Bearer");

            assertThat(thrown(forger::agents).status()).isEqualTo(401);
            assertThat(thrown(() -> fakeAgent.heartbeat("worker")).status()).isEqualTo(401);
            assertThat(thrown(() -> anonymous.events("sw_whatever")).status()).as("the stream is refused as it opens")
                    .isEqualTo(401);
        }
    }

    @Test
    void adminTokenMayDoEverything() {
        Swarm swarm = admin.createSwarm("{\"name\": \"admin\", \"tasks\": [{\"id\": \"a\"}, {\"id\": \"b\"}]}");
        admin.register(AgentSpec.withId("admin-made"));

        Task task = admin.claim("admin-made", swarm.id(), Duration.ZERO).orElseThrow();
        admin.complete("admin-made", swarm.id(), task.id(), "by the admin");
        assertThat(admin.pause(swarm.id()).status()).isEqualTo(SwarmStatus.PAUSED);
        assertThat(admin.stats().swarms()).isPositive();
        try (EventStream events = admin.events(swarm.id())) {
            assertThat(events.poll(Duration.ofSeconds(10))).isPresent();
        }
    }

    @Test
    void agentTokenActsForItsAgentOnly() {
        Registered worker = admin.register(AgentSpec.withId("token-worker"));
        admin.register(AgentSpec.withId("token-other"));
        Swarm swarm = admin.createSwarm("{\"name\": \"agents\", \"tasks\": [{\"id\": \"mine\"}, {\"id\": \"theirs\"}]}");
        admin.start("token-other", swarm.id(), "theirs");

        try (HiveClient asWorker = admin.withToken(worker.token())) {
            // its own actions
            assertThat(asWorker.register(AgentSpec.withId("token-worker")).id()).isEqualTo("token-worker");
            assertThat(asWorker.heartbeat("token-worker").status()).isEqualTo(AgentStatus.ACTIVE);
            Task mine = asWorker.claim("token-worker", swarm.id(), Duration.ZERO).orElseThrow();
            assertThat(asWorker.acquire(LockRequest.of("token-worker", "notes.md")).isGranted()).isTrue();
            assertThat(asWorker.complete("token-worker", swarm.id(), mine.id(), "done").status())
                    .isEqualTo(TaskState.COMPLETED);
            assertThat(asWorker.releaseAll("token-worker")).hasSize(1);

            // acting for another agent
            HiveApiException heartbeat = thrown(() -> asWorker.heartbeat("token-other"));
            assertThat(heartbeat.status()).isEqualTo(403);
            assertThat(heartbeat.type()).endsWith("/forbidden");
            assertThat(heartbeat.detail()).contains("token-worker", "token-other");
            assertThat(thrown(() -> asWorker.complete("token-other", swarm.id(), "theirs", "stolen")).status())
                    .isEqualTo(403);
            assertThat(thrown(() -> asWorker.claim("token-other", swarm.id(), Duration.ZERO)).status()).isEqualTo(403);
            assertThat(thrown(() -> asWorker.acquire(LockRequest.of("token-other", "x"))).status()).isEqualTo(403);
            assertThat(thrown(() -> asWorker.release("token-other", List.of("x"))).status()).isEqualTo(403);
            assertThat(thrown(() -> asWorker.leave("token-other")).status()).isEqualTo(403);

            // admin-only actions
            assertThat(thrown(() -> asWorker.createSwarm("{\"name\": \"no\", \"tasks\": [{\"id\": \"a\"}]}")).status())
                    .isEqualTo(403);
            assertThat(thrown(() -> asWorker.cancel(swarm.id())).status()).isEqualTo(403);
        }
        assertThat(admin.task(swarm.id(), "theirs").status()).isEqualTo(TaskState.IN_PROGRESS);
    }
}
