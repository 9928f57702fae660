package hive.cli.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import hive.Hive;
import hive.client.AgentSpec;
import hive.client.AgentStatus;
import hive.client.HiveClient;
import hive.client.Lock;
import hive.client.Registered;
import hive.client.Swarm;
import hive.client.Task;
import hive.client.TaskState;
import hive.server.HiveServer;
import hive.server.ServerConfig;
import hive.store.Durability;
import hive.store.sqlite.SqliteStore;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link RemoteWork} against a real {@link HiveServer} in this JVM, over loopback HTTP: what a
 * claim hands out, how reports are taken, waiting through a server that is not there yet, and
 * registering again after the server declared the agent lost.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RemoteWorkTest {

    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    /** Tries of a call through an outage at most this far apart, for a short test. */
    private static final long MAX_BACKOFF_MS = 500;

    @TempDir
    Path dir;
    final List<AutoCloseable> opened = new ArrayList<>();
    final AtomicInteger losses = new AtomicInteger();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : opened.reversed()) {
            c.close();
        }
    }

    private HiveServer server(int port, Duration sessionTimeout) {
        Hive hive = Hive.open(SqliteStore.open(dir.resolve("hive.db"), Durability.NORMAL), InstantSource.system(),
                new SecureRandom(), Duration.ofMillis(100), sessionTimeout);
        HiveServer server = HiveServer.start(hive, ServerConfig.local(port));
        opened.add(server);
        return server;
    }

    private HiveClient client(String url) {
        HiveClient client = HiveClient.connect(url);
        opened.add(client);
        return client;
    }

    private RemoteWork work(HiveClient client, String agentId, String swarmId) {
        return new RemoteWork(client, AgentSpec.withId(agentId).maxTasks(2), swarmId, JSON, losses::incrementAndGet,
                MAX_BACKOFF_MS);
    }

    @Test
    void aClaimHandsOutTheTaskWithTheTokenOfItsLocksAndItsJson() throws Exception {
        // given a swarm whose task locks a file, and a registered agent
        HiveClient hive = client(server(0, Hive.DEFAULT_SESSION_TIMEOUT).url());
        Swarm swarm = hive.createSwarm("""
                {"name": "map", "workspace": "repo", "tasks": [{"id": "build", "title": "Build",
                  "description": "compile it", "run": "make", "files": ["src/"], "max_attempts": 3,
                  "timeout_s": 90}]}""");
        RemoteWork work = work(hive, "w1", swarm.id());
        assertThat(work.register()).map(Registered::id).contains("w1");

        // when it claims
        Optional<Assignment> claimed = work.claim("w1", Duration.ofSeconds(5));

        // then the assignment is the task as the server handed it out, with its fencing token
        assertThat(claimed).isPresent();
        Assignment task = claimed.get();
        assertThat(task.ref()).isEqualTo(swarm.id() + "/build");
        assertThat(task.title()).isEqualTo("Build");
        assertThat(task.description()).isEqualTo("compile it");
        assertThat(task.run()).isEqualTo("make");
        assertThat(task.attempt()).isEqualTo(1);
        assertThat(task.maxAttempts()).isEqualTo(3);
        assertThat(task.timeoutS()).isEqualTo(90.0);
        List<Lock> locks = hive.locks("repo");
        assertThat(locks).hasSize(1);
        assertThat(task.lockToken()).hasValue(locks.getFirst().token());
        JsonNode json = JSON.readTree(task.taskJson());
        assertThat(json.path("id").asText()).isEqualTo("build");
        assertThat(json.path("swarm_id").asText()).isEqualTo(swarm.id());
        assertThat(json.path("status").asText()).isEqualTo("in_progress");
        assertThat(json.path("assigned_agent").asText()).isEqualTo("w1");
        assertThat(json.path("files").get(0).asText()).isEqualTo("src/");
    }

    @Test
    void reportsAreRecordedUnlessTheAttemptWasTakenBack() {
        // given an agent holding two tasks
        HiveClient hive = client(server(0, Hive.DEFAULT_SESSION_TIMEOUT).url());
        Swarm swarm = hive.createSwarm("""
                {"name": "reports", "tasks": [{"id": "a", "run": "true"}, {"id": "b", "run": "true"},
                  {"id": "c", "run": "true", "max_attempts": 2}]}""");
        RemoteWork work = work(hive, "w1", swarm.id());
        work.register();
        Assignment first = work.claim("w1", Duration.ZERO).orElseThrow();
        Assignment second = work.claim("w1", Duration.ZERO).orElseThrow();

        // when one is completed, the other failed, then a third claimed and its agent made to leave
        WorkSource.Report completed = work.complete(first, "w1", "ok");
        WorkSource.Report failed = work.fail(second, "w1", "broken", false);
        Assignment third = work.claim("w1", Duration.ZERO).orElseThrow();
        hive.leave("w1");
        WorkSource.Report late = work.complete(third, "w1", "too late");

        // then the first two are recorded, the third was taken back and is ready again
        assertThat(completed).isEqualTo(WorkSource.Report.RECORDED);
        assertThat(hive.task(swarm.id(), first.taskId()).status()).isEqualTo(TaskState.COMPLETED);
        assertThat(failed).isEqualTo(WorkSource.Report.RECORDED);
        Task failedTask = hive.task(swarm.id(), second.taskId());
        assertThat(failedTask.status()).isEqualTo(TaskState.FAILED);
        assertThat(failedTask.error()).isEqualTo("broken");
        assertThat(late).isEqualTo(WorkSource.Report.TAKEN_BACK);
        assertThat(hive.task(swarm.id(), third.taskId()).status()).isEqualTo(TaskState.READY);
    }

    @Test
    void waitsForAServerThatIsNotThereYet() throws Exception {
        // given no server on the port yet
        int port = freePort();
        HiveClient hive = client("http://127.0.0.1:" + port);
        RemoteWork work = work(hive, "w1", null);

        // when the agent registers, it keeps trying
        CompletableFuture<Optional<Registered>> registered = CompletableFuture.supplyAsync(work::register);
        await().during(Duration.ofMillis(800)).atMost(Duration.ofSeconds(5)).until(() -> !registered.isDone());

        // then it is registered once the server is there
        server(port, Hive.DEFAULT_SESSION_TIMEOUT);
        assertThat(registered.get(30, TimeUnit.SECONDS)).map(Registered::id).contains("w1");
        assertThat(hive.agent("w1").status()).isEqualTo(AgentStatus.ACTIVE);
    }

    @Test
    void giveUpEndsTheWaitForAServerThatIsNotThere() throws Exception {
        HiveClient hive = client("http://127.0.0.1:" + freePort());
        RemoteWork work = work(hive, "w1", null);
        CompletableFuture<Optional<Registered>> registered = CompletableFuture.supplyAsync(work::register);

        work.giveUpNow();

        assertThat(registered.get(10, TimeUnit.SECONDS)).isEmpty();
    }

    @Test
    void aLostAgentRegistersAgainAndItsAttemptsOfTheEndedSessionAreNotReported() {
        // given an agent that claimed a task, then stayed silent past the session timeout
        HiveClient hive = client(server(0, Duration.ofMillis(1500)).url());
        Swarm swarm = hive.createSwarm("""
                {"name": "lost", "tasks": [{"id": "a", "run": "true", "max_attempts": 3}]}""");
        RemoteWork work = work(hive, "w1", swarm.id());
        work.register();
        Assignment old = work.claim("w1", Duration.ZERO).orElseThrow();
        await().atMost(Duration.ofSeconds(20)).until(() -> hive.agent("w1").status() == AgentStatus.LOST);

        // when its next heartbeat finds it lost
        work.heartbeat("w1");

        // then its running attempts were told to end, and it is registered again
        assertThat(losses).hasValue(1);
        assertThat(hive.agent("w1").status()).isEqualTo(AgentStatus.ACTIVE);

        // and when it takes the task again, a late report of the old attempt does not touch the new one
        Assignment again = work.claim("w1", Duration.ofSeconds(5)).orElseThrow();
        assertThat(again.taskId()).isEqualTo("a");
        assertThat(again.attempt()).isEqualTo(2);
        assertThat(work.fail(old, "w1", "stale", true)).isEqualTo(WorkSource.Report.TAKEN_BACK);
        Task now = hive.task(swarm.id(), "a");
        assertThat(now.status()).isEqualTo(TaskState.IN_PROGRESS);
        assertThat(now.attempt()).isEqualTo(2);
        assertThat(work.complete(again, "w1", "done")).isEqualTo(WorkSource.Report.RECORDED);
        assertThat(hive.task(swarm.id(), "a").status()).isEqualTo(TaskState.COMPLETED);
        assertThat(losses).hasValue(1);
    }

    @Test
    void finishedOnceItsSwarmIsAndNeverWithoutOne() {
        HiveClient hive = client(server(0, Hive.DEFAULT_SESSION_TIMEOUT).url());
        Swarm swarm = hive.createSwarm("""
                {"name": "end", "tasks": [{"id": "a", "run": "true"}]}""");
        RemoteWork one = work(hive, "w1", swarm.id());
        RemoteWork any = work(hive, "w2", null);
        one.register();
        assertThat(one.finished()).isFalse();

        one.complete(one.claim("w1", Duration.ZERO).orElseThrow(), "w1", null);

        assertThat(one.finished()).isTrue();
        assertThat(any.finished()).isFalse();
    }

    @Test
    void aTaskWithNothingToRunFailsForGoodAtItsFirstAttempt() throws Exception {
        // given a task with no run and attempts to spare, and a worker without --exec
        HiveClient hive = client(server(0, Hive.DEFAULT_SESSION_TIMEOUT).url());
        Swarm swarm = hive.createSwarm("""
                {"name": "nothing", "tasks": [{"id": "think", "description": "ponder", "max_attempts": 3}]}""");
        RemoteWork work = work(hive, "w1", swarm.id());
        work.register();
        Crew crew = new Crew(work, new LaunchSettings(dir, dir.resolve("logs"), Optional.empty(), Map.of()),
                new AttemptListener() { });

        // when it works on the swarm
        crew.start("w1");
        crew.awaitEnd();

        // then the task failed at once, saying why, and the worker ended with the swarm
        Task think = hive.task(swarm.id(), "think");
        assertThat(think.status()).isEqualTo(TaskState.FAILED);
        assertThat(think.attempt()).isEqualTo(1);
        assertThat(think.error()).contains("no 'run' command").contains("--exec");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
