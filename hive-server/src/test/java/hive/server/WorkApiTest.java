package hive.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import hive.server.TestServer.Reply;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** API.md "Work": claims (at once and waiting), readiness, start, complete, fail, retry. */
class WorkApiTest extends ApiTest {

    private static final String CHAIN = """
            {'name': 'chain', 'tasks': [{'id': 'first'}, {'id': 'second', 'depends_on': ['first']}]}""";

    @Test
    void aClaimHandsOutTheTaskInProgressWithItsFilesLocked() {
        String swarmId = createSwarm("{'name': 's', 'tasks': [{'id': 'edit', 'files': ['src/app.py']}]}");
        register("w1");

        JsonNode task = claim("w1", swarmId);

        assertThat(task.get("id").asText()).isEqualTo("edit");
        assertThat(task.get("status").asText()).isEqualTo("in_progress");
        assertThat(task.get("assigned_agent").asText()).isEqualTo("w1");
        assertThat(task.get("attempt").asInt()).isEqualTo(1);
        assertThat(task.get("started_at").asText()).endsWith("Z");
        JsonNode locks = api.get("/api/locks").expect(200).json();
        assertThat(each(locks, "path")).containsExactly("src/app.py");
        assertThat(locks.get(0).get("agent_id").asText()).isEqualTo("w1");
        assertThat(locks.get(0).get("task_id").asText()).contains("edit");
    }

    @Test
    void aClaimWithNothingToHandOutAnswersNoContent() {
        String swarmId = createSwarm(CHAIN);
        register("w1");
        register("w2");
        claim("w1", swarmId);

        Reply nothing = api.post("/api/agents/w2/claim", json("{'swarm_id': '" + swarmId + "'}"));
        Reply nothingAnywhere = api.post("/api/agents/w2/claim", null);

        nothing.expect(204);
        assertThat(nothing.body()).isEmpty();
        nothingAnywhere.expect(204);
    }

    @Test
    void aClaimForAnUnknownAgentOrSwarmIsNotFound() {
        String swarmId = createSwarm(CHAIN);
        register("w1");

        api.post("/api/agents/ghost/claim", json("{'swarm_id': '" + swarmId + "'}")).problem(404);
        api.post("/api/agents/w1/claim", json("{'swarm_id': 'sw_doesnotexist'}")).problem(404);
    }

    @Test
    void aClaimRespectsRolesAndPinnedAgents() {
        String swarmId = createSwarm("""
                {'name': 's', 'tasks': [{'id': 'ui', 'role': 'frontend', 'priority': 9},
                 {'id': 'mine', 'agent': 'w2', 'priority': 5}, {'id': 'any'}]}""");
        register("w1");
        register("w2", "frontend");

        assertThat(claim("w1", swarmId).get("id").asText()).isEqualTo("any");
        api.post("/api/agents/w1/claim", json("{'swarm_id': '" + swarmId + "'}")).expect(204);
        assertThat(claim("w2", swarmId).get("id").asText()).isEqualTo("ui");
    }

    @Test
    void aClaimRespectsTheAgentsTaskLimit() {
        String swarmId = createSwarm("{'name': 's', 'tasks': [{'id': 'a'}, {'id': 'b'}, {'id': 'c'}]}");
        api.post("/api/agents", json("{'id': 'w1', 'max_tasks': 2}")).expect(201);

        claim("w1", swarmId);
        claim("w1", swarmId);
        api.post("/api/agents/w1/claim", json("{'swarm_id': '" + swarmId + "'}")).expect(204);

        assertThat(api.get("/api/agents/w1").expect(200).json().get("current_tasks")).hasSize(2);
    }

    @Test
    void aWaitingClaimIsWokenByAnotherClientsCompletion() throws Exception {
        String swarmId = createSwarm(CHAIN);
        register("w1");
        register("w2");
        claim("w1", swarmId);
        CompletableFuture<Reply> waiting = claimWaiting("w2", swarmId, 30);
        assertThat(waiting).as("nothing to claim yet").isNotDone();

        long completed = System.nanoTime();
        server.otherClient().post(taskPath(swarmId, "first") + "/complete", json("{'agent_id': 'w1'}")).expect(200);
        Reply claimed = waiting.get(20, TimeUnit.SECONDS);

        claimed.expect(200);
        assertThat(claimed.json().get("id").asText()).isEqualTo("second");
        assertThat(Duration.ofNanos(System.nanoTime() - completed)).as("woken at once, not at a later re-check")
                .isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void aWaitingClaimEndsWithNoContentWhenNothingComes() {
        String swarmId = createSwarm(CHAIN);
        register("w1");
        register("w2");
        claim("w1", swarmId);
        long started = System.nanoTime();

        api.post("/api/agents/w2/claim", json("{'swarm_id': '" + swarmId + "', 'wait_s': 0.5}")).expect(204);

        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(450));
    }

    @Test
    void aClaimWaitIsAtMostSixtySeconds() {
        register("w1");

        JsonNode problem = api.post("/api/agents/w1/claim", json("{'wait_s': 61}")).problem(400);

        assertThat(problem.get("detail").asText()).contains("wait_s");
    }

    @Test
    void readinessSaysWhyATaskMayNotStart() {
        String swarmId = createSwarm("""
                {'name': 's', 'tasks': [{'id': 'first'}, {'id': 'second', 'depends_on': ['first']},
                 {'id': 'ui', 'role': 'frontend'}]}""");
        register("w1");

        JsonNode ready = api.get(taskPath(swarmId, "first") + "/readiness").expect(200).json();
        JsonNode waiting = api.get(taskPath(swarmId, "second") + "/readiness?agent_id=w1").expect(200).json();
        JsonNode noRole = api.get(taskPath(swarmId, "ui") + "/readiness?agent_id=w1").expect(200).json();

        assertThat(ready.get("ready").asBoolean()).isTrue();
        assertThat(ready.get("reason").isTextual()).isTrue();
        assertThat(waiting.get("ready").asBoolean()).isFalse();
        assertThat(waiting.get("reason").asText()).contains("first");
        assertThat(noRole.get("ready").asBoolean()).isFalse();
        assertThat(noRole.get("reason").asText()).contains("frontend");
        api.get(taskPath(swarmId, "ghost") + "/readiness").problem(404);
        api.get(taskPath(swarmId, "first") + "/readiness?agent_id=ghost").problem(404);
    }

    @Test
    void readinessNamesTheHeldFile() {
        String swarmId = createSwarm("{'name': 's', 'tasks': [{'id': 'edit', 'files': ['src/app.py']}]}");
        register("w1");
        register("w2");
        api.post("/api/locks/acquire", json("{'agent_id': 'w2', 'paths': ['src/']}")).expect(200);

        JsonNode readiness = api.get(taskPath(swarmId, "edit") + "/readiness?agent_id=w1").expect(200).json();

        assertThat(readiness.get("ready").asBoolean()).isFalse();
        assertThat(readiness.get("reason").asText()).contains("src/app.py").contains("w2");
    }

    @Test
    void startingATaskTakesItOrSaysWhyNot() {
        String swarmId = createSwarm(CHAIN);
        register("w1");

        JsonNode notYet = api.post(taskPath(swarmId, "second") + "/start", json("{'agent_id': 'w1'}")).problem(409);
        JsonNode started = api.post(taskPath(swarmId, "first") + "/start", json("{'agent_id': 'w1'}")).expect(200)
                .json();
        JsonNode again = api.post(taskPath(swarmId, "first") + "/start", json("{'agent_id': 'w1'}")).problem(409);

        assertThat(notYet.get("reason").asText()).contains("first");
        assertThat(started.get("status").asText()).isEqualTo("in_progress");
        assertThat(started.get("assigned_agent").asText()).isEqualTo("w1");
        assertThat(again.get("reason").asText()).contains("in progress");
        api.post(taskPath(swarmId, "ghost") + "/start", json("{'agent_id': 'w1'}")).problem(404);
        api.post(taskPath(swarmId, "first") + "/start", json("{'agent_id': 'ghost'}")).problem(404);
    }

    @Test
    void onlyTheHolderCompletesATask() {
        String swarmId = createSwarm(CHAIN);
        register("w1");
        register("w2");
        claim("w1", swarmId);

        JsonNode other = api.post(taskPath(swarmId, "first") + "/complete", json("{'agent_id': 'w2'}")).problem(403);
        JsonNode done = api.post(taskPath(swarmId, "first") + "/complete", json("{'agent_id': 'w1', 'result': 'ok'}"))
                .expect(200).json();

        assertThat(other.get("detail").asText()).contains("w1");
        assertThat(done.get("status").asText()).isEqualTo("completed");
        assertThat(done.get("result").asText()).isEqualTo("ok");
        assertThat(done.get("finished_at").asText()).endsWith("Z");
        assertThat(task(swarmId, "second").get("status").asText()).isEqualTo("ready");
        api.post(taskPath(swarmId, "first") + "/complete", json("{'agent_id': 'w1'}")).problem(409);
        api.post(taskPath(swarmId, "ghost") + "/complete", json("{'agent_id': 'w1'}")).problem(404);
        api.post(taskPath("sw_doesnotexist", "first") + "/complete", json("{'agent_id': 'w1'}")).problem(404);
    }

    @Test
    void completingReleasesTheTasksLocks() {
        String swarmId = createSwarm("{'name': 's', 'tasks': [{'id': 'edit', 'files': ['src/app.py']}]}");
        register("w1");
        claim("w1", swarmId);

        complete(swarmId, "edit", "w1");

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(api.get("/api/locks").expect(200).json()).isEmpty());
    }

    @Test
    void onlyTheHolderFailsATask() {
        String swarmId = createSwarm(CHAIN);
        register("w1");
        register("w2");
        claim("w1", swarmId);

        api.post(taskPath(swarmId, "first") + "/fail", json("{'agent_id': 'w2', 'error': 'no'}")).problem(403);
        JsonNode missingError = api.post(taskPath(swarmId, "first") + "/fail", json("{'agent_id': 'w1'}"))
                .problem(400);

        assertThat(missingError.get("detail").asText()).contains("error");
        assertThat(task(swarmId, "first").get("status").asText()).isEqualTo("in_progress");
    }

    @Test
    void aFailureThatIsNotRetryableFailsTheTaskAndBlocksItsDependents() {
        String swarmId = createSwarm("""
                {'name': 's', 'tasks': [{'id': 'first', 'max_attempts': 3}, {'id': 'second', 'depends_on': ['first']}]}""");
        register("w1");
        claim("w1", swarmId);

        JsonNode failed = api.post(taskPath(swarmId, "first") + "/fail",
                json("{'agent_id': 'w1', 'error': 'disk full', 'retryable': false}")).expect(200).json();

        assertThat(failed.get("status").asText()).isEqualTo("failed");
        assertThat(failed.get("error").asText()).isEqualTo("disk full");
        JsonNode second = task(swarmId, "second");
        assertThat(second.get("status").asText()).isEqualTo("blocked");
        assertThat(second.get("blocked_by").get(0).asText()).isEqualTo("first");
    }

    @Test
    void aRetryableFailureWithAttemptsLeftComesBackAfterItsBackoff() {
        String swarmId = createSwarm("{'name': 's', 'tasks': [{'id': 'flaky', 'max_attempts': 2, 'backoff_s': 30}]}");
        register("w1");
        claim("w1", swarmId);

        JsonNode failed = api.post(taskPath(swarmId, "flaky") + "/fail", json("{'agent_id': 'w1', 'error': 'flake'}"))
                .expect(200).json();

        assertThat(failed.get("status").asText()).isEqualTo("pending");
        assertThat(failed.get("attempt").asInt()).isEqualTo(1);
        assertThat(failed.get("not_before").asText()).endsWith("Z");
    }

    @Test
    void aRetryBringsAFailedTaskAndItsBlockedDescendantsBack() {
        String swarmId = createSwarm(CHAIN);
        register("w1");
        claim("w1", swarmId);
        api.post(taskPath(swarmId, "first") + "/fail", json("{'agent_id': 'w1', 'error': 'x', 'retryable': false}"))
                .expect(200);

        JsonNode retried = api.post(taskPath(swarmId, "first") + "/retry", null).expect(200).json();

        assertThat(retried.get("status").asText()).isIn("pending", "ready");
        assertThat(retried.get("attempt").asInt()).isZero();
        assertThat(task(swarmId, "second").get("status").asText()).isEqualTo("pending");
        assertThat(claim("w1", swarmId).get("id").asText()).isEqualTo("first");
        api.post(taskPath(swarmId, "second") + "/retry", null).problem(409);
        api.post(taskPath(swarmId, "ghost") + "/retry", null).problem(404);
    }
}
