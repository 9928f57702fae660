package hive.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import hive.server.TestServer.Reply;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** API.md "Locks": acquire (at once, waiting, deadlocks), coverage, release, renew, listing, stats. */
class LockApiTest extends ApiTest {

    private Reply acquire(String agentId, String paths, String more) {
        return api.post("/api/locks/acquire", json("{'agent_id': '" + agentId + "', 'paths': [" + paths + "]"
                + (more.isEmpty() ? "" : ", " + more) + "}"));
    }

    private Reply acquire(String agentId, String paths) {
        return acquire(agentId, paths, "");
    }

    /** Waits until {@code n} lock requests wait (so that a test acts while they do). */
    private void awaitWaiters(int n) {
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(api.get("/api/stats").expect(200).json().get("locks").get("waiting").asInt()).isEqualTo(n));
    }

    @Test
    void aFreePathIsGrantedWithAFencingToken() {
        JsonNode first = acquire("a1", "'src/app.py', 'README.md'").expect(200).json();
        JsonNode second = acquire("a2", "'docs/'").expect(200).json();

        assertThat(first.get("granted").asBoolean()).isTrue();
        assertThat(first.get("token").asLong()).isPositive();
        assertThat(second.get("token").asLong()).as("tokens increase").isGreaterThan(first.get("token").asLong());
        assertThat(each(first.get("locks"), "path")).containsExactlyInAnyOrder("src/app.py", "README.md");
        JsonNode lock = first.get("locks").get(0);
        assertThat(lock.get("agent_id").asText()).isEqualTo("a1");
        assertThat(lock.get("workspace").asText()).isEqualTo("default");
        assertThat(lock.get("mode").asText()).isEqualTo("exclusive");
        assertThat(lock.get("token").asLong()).isEqualTo(first.get("token").asLong());
        assertThat(lock.has("acquired_at")).isTrue();
        assertThat(Instant.parse(lock.get("expires_at").asText())).as("default ttl 1800 s")
                .isAfter(Instant.now().plusSeconds(1700));
    }

    @Test
    void aHeldPathIsRefusedWithWhoHoldsIt() {
        acquire("a1", "'src/app.py'", "'ttl_s': 600").expect(200);

        JsonNode refused = acquire("a2", "'src/app.py', 'free.txt'").problem(409);

        assertThat(refused.get("granted").asBoolean()).isFalse();
        JsonNode conflict = refused.get("conflicts").get(0);
        assertThat(conflict.get("path").asText()).isEqualTo("src/app.py");
        assertThat(conflict.get("held_by").asText()).isEqualTo("a1");
        assertThat(Instant.parse(conflict.get("expires_at").asText())).isAfter(Instant.now().plusSeconds(500));
        assertThat(refused.get("conflicts")).hasSize(1);
        assertThat(each(api.get("/api/locks").expect(200).json(), "path")).as("all or nothing")
                .containsExactly("src/app.py");
    }

    @Test
    void aLockWaitIsGrantedWhenThePathIsReleased() throws Exception {
        acquire("a1", "'src/app.py'").expect(200);
        CompletableFuture<Reply> waiting = api.postAsync("/api/locks/acquire",
                json("{'agent_id': 'a2', 'paths': ['src/app.py'], 'wait_s': 30}"));
        awaitWaiters(1);

        long released = System.nanoTime();
        server.otherClient().post("/api/locks/release", json("{'agent_id': 'a1'}")).expect(200);
        Reply granted = waiting.get(20, TimeUnit.SECONDS);

        granted.expect(200);
        assertThat(granted.json().get("granted").asBoolean()).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - released)).as("granted at once")
                .isLessThan(Duration.ofSeconds(5));
        assertThat(api.get("/api/stats").expect(200).json().get("waits_granted").asInt()).isEqualTo(1);
    }

    @Test
    void aLockWaitThatTimesOutIsRefusedWithTheConflicts() {
        acquire("a1", "'src/app.py'").expect(200);

        JsonNode refused = acquire("a2", "'src/app.py'", "'wait_s': 0.3").problem(409);

        assertThat(refused.get("granted").asBoolean()).isFalse();
        assertThat(refused.get("conflicts").get(0).get("held_by").asText()).isEqualTo("a1");
    }

    @Test
    void aWaitThatWouldCloseACycleIsRefusedAsADeadlock() throws Exception {
        acquire("a1", "'x.txt'").expect(200);
        acquire("a2", "'y.txt'").expect(200);
        CompletableFuture<Reply> a2Waits = api.postAsync("/api/locks/acquire",
                json("{'agent_id': 'a2', 'paths': ['x.txt'], 'wait_s': 30}"));
        awaitWaiters(1);

        JsonNode deadlock = acquire("a1", "'y.txt'", "'wait_s': 30").problem(409);

        assertThat(deadlock.get("deadlock")).hasSize(2);
        assertThat(deadlock.get("deadlock").get(0).asText()).isEqualTo("a1");
        assertThat(deadlock.get("deadlock").get(1).asText()).isEqualTo("a2");
        api.post("/api/locks/release", json("{'agent_id': 'a1', 'paths': ['x.txt']}")).expect(200);
        a2Waits.get(20, TimeUnit.SECONDS).expect(200);
        assertThat(api.get("/api/stats").expect(200).json().get("deadlocks_refused").asInt()).isEqualTo(1);
    }

    @Test
    void reAcquiringWhatAnAgentHoldsRenewsIt() {
        JsonNode first = acquire("a1", "'src/app.py'", "'ttl_s': 60").expect(200).json();

        JsonNode again = acquire("a1", "'src/app.py'", "'ttl_s': 600").expect(200).json();

        assertThat(again.get("granted").asBoolean()).isTrue();
        assertThat(Instant.parse(again.get("locks").get(0).get("expires_at").asText()))
                .isAfter(Instant.parse(first.get("locks").get(0).get("expires_at").asText()));
        assertThat(api.get("/api/locks").expect(200).json()).hasSize(1);
    }

    @Test
    void sharedLocksAreCompatibleOnlyWithSharedOnes() {
        acquire("a1", "'schema.sql'", "'mode': 'shared'").expect(200);

        JsonNode shared = acquire("a2", "'schema.sql'", "'mode': 'shared'").expect(200).json();
        JsonNode exclusive = acquire("a3", "'schema.sql'").problem(409);
        acquire("a4", "'other.sql'").expect(200);
        acquire("a5", "'other.sql'", "'mode': 'shared'").problem(409);
        JsonNode badMode = acquire("a6", "'x'", "'mode': 'forever'").problem(400);

        assertThat(shared.get("locks").get(0).get("mode").asText()).isEqualTo("shared");
        assertThat(each(exclusive.get("conflicts"), "held_by")).containsExactlyInAnyOrder("a1", "a2");
        assertThat(badMode.get("detail").asText()).contains("mode");
    }

    @Test
    void aDirectoryCoversTheFilesBelowIt() {
        acquire("a1", "'src/'").expect(200);

        acquire("a2", "'src/main/App.java'").problem(409);
        acquire("a2", "'src'").problem(409);
        acquire("a2", "'srcx/App.java'").expect(200);
    }

    @Test
    void aFileBelowALockedDirectoryStopsTheDirectory() {
        acquire("a1", "'src/main/App.java'").expect(200);

        JsonNode refused = acquire("a2", "'src/'").problem(409);

        assertThat(refused.get("conflicts").get(0).get("held_by").asText()).isEqualTo("a1");
    }

    @Test
    void aGlobCoversTheFilesItMatches() {
        acquire("a1", "'src/**/*.ts'").expect(200);
        acquire("a3", "'docs/*.md'").expect(200);

        acquire("a2", "'src/app/main.ts'").problem(409);
        acquire("a2", "'src/app/'").problem(409);
        acquire("a2", "'lib/main.ts'").expect(200);
        acquire("a4", "'docs/guide.md'").problem(409);
        acquire("a4", "'docs/guide/intro.txt'").expect(200);
    }

    @Test
    void pathsAreNormalizedFirst() {
        JsonNode granted = acquire("a1", "'./a//b'").expect(200).json();

        assertThat(granted.get("locks").get(0).get("path").asText()).isEqualTo("a/b");
        JsonNode refused = acquire("a2", "'a/b'").problem(409);
        assertThat(refused.get("conflicts").get(0).get("path").asText()).isEqualTo("a/b");
    }

    @Test
    void pathsOutsideTheWorkspaceAreRefused() {
        JsonNode absolute = acquire("a1", "'/etc/passwd'").problem(400);
        JsonNode escaping = acquire("a1", "'../secrets'").problem(400);
        JsonNode none = acquire("a1", "").problem(400);

        assertThat(absolute.get("field").asText()).isEqualTo("paths");
        assertThat(escaping.get("detail").asText()).contains("..");
        assertThat(none.get("field").asText()).isEqualTo("paths");
    }

    @Test
    void workspacesDoNotContend() {
        acquire("a1", "'src/app.py'", "'workspace': 'one'").expect(200);

        acquire("a2", "'src/app.py'", "'workspace': 'two'").expect(200);

        assertThat(each(api.get("/api/locks?workspace=one").expect(200).json(), "agent_id")).containsExactly("a1");
        assertThat(each(api.get("/api/locks?workspace=two").expect(200).json(), "agent_id")).containsExactly("a2");
        assertThat(api.get("/api/locks").expect(200).json()).hasSize(2);
        assertThat(api.get("/api/locks?workspace=three").expect(200).json()).isEmpty();
    }

    @Test
    void releasingPathsFreesThem() {
        acquire("a1", "'x.txt', 'y.txt'").expect(200);

        JsonNode released = api.post("/api/locks/release", json("{'agent_id': 'a1', 'paths': ['x.txt']}")).expect(200)
                .json();

        assertThat(each(released.get("released"), "path")).containsExactly("x.txt");
        acquire("a2", "'x.txt'").expect(200);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                each(api.get("/api/locks").expect(200).json(), "agent_id")).containsExactlyInAnyOrder("a1", "a2"));
    }

    @Test
    void releasingWithoutPathsFreesEverythingTheAgentHolds() {
        acquire("a1", "'x.txt', 'y.txt'").expect(200);
        acquire("a1", "'z.txt'", "'workspace': 'other'").expect(200);

        JsonNode released = api.post("/api/locks/release", json("{'agent_id': 'a1'}")).expect(200).json();

        assertThat(released.get("released")).hasSize(3);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(api.get("/api/locks").expect(200).json()).isEmpty());
    }

    @Test
    void anotherAgentsLockCannotBeReleased() {
        acquire("a1", "'x.txt'").expect(200);

        JsonNode problem = api.post("/api/locks/release", json("{'agent_id': 'a2', 'paths': ['x.txt']}"))
                .problem(403);

        assertThat(problem.get("detail").asText()).contains("a1");
        assertThat(api.get("/api/locks").expect(200).json()).hasSize(1);
    }

    @Test
    void renewingExtendsTheLeaseAndKeepsTheToken() {
        JsonNode granted = acquire("a1", "'x.txt'", "'ttl_s': 30").expect(200).json();

        JsonNode renewed = api.post("/api/locks/renew", json("{'agent_id': 'a1', 'paths': ['x.txt'], 'ttl_s': 900}"))
                .expect(200).json();
        JsonNode all = api.post("/api/locks/renew", json("{'agent_id': 'a1'}")).expect(200).json();

        JsonNode lock = renewed.get("renewed").get(0);
        assertThat(lock.get("token").asLong()).isEqualTo(granted.get("token").asLong());
        assertThat(Instant.parse(lock.get("expires_at").asText())).isAfter(Instant.now().plusSeconds(800));
        assertThat(all.get("renewed")).hasSize(1);
    }

    @Test
    void anExpiredLeaseHoldsNothing() {
        acquire("a1", "'x.txt'", "'ttl_s': 0.2").expect(200);

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> acquire("a2", "'x.txt'").expect(200));
    }

    @Test
    void statsCountTasksLocksAgentsAndRefusals() {
        createSwarm("{'name': 's', 'tasks': [{'id': 'a'}, {'id': 'b', 'depends_on': ['a']}]}");
        register("w1");
        acquire("a1", "'x.txt'").expect(200);
        acquire("a2", "'x.txt'").problem(409);

        JsonNode stats = api.get("/api/stats").expect(200).json();

        assertThat(stats.get("swarms").asInt()).isEqualTo(1);
        assertThat(stats.get("tasks").get("ready").asInt()).isEqualTo(1);
        assertThat(stats.get("tasks").get("pending").asInt()).isEqualTo(1);
        assertThat(SwarmApiTest.fieldNames(stats.get("tasks"))).contains("pending", "ready", "in_progress",
                "completed", "failed", "blocked", "cancelled");
        assertThat(stats.get("agents").get("active").asInt()).isEqualTo(1);
        assertThat(stats.get("locks").get("active").asInt()).isEqualTo(1);
        assertThat(stats.get("locks").get("locked_files").asInt()).isEqualTo(1);
        assertThat(stats.get("locks").get("waiting").asInt()).isZero();
        assertThat(stats.get("conflicts_refused").asInt()).isEqualTo(1);
        assertThat(stats.get("locks_expired").asInt()).isZero();
        assertThat(stats.get("deadlocks_refused").asInt()).isZero();
    }
}
