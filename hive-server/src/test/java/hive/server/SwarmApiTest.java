package hive.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import hive.server.TestServer.Reply;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** API.md "Swarms": plans in, swarms and their tasks out, the swarm's life, the seed's progress. */
class SwarmApiTest extends ApiTest {

    private static final String TWO_STEPS = """
            {'name': 'release', 'goal': 'ship it', 'workspace': 'repo',
             'tasks': [{'id': 'build', 'title': 'Build'}, {'id': 'deploy', 'depends_on': ['build']}]}""";

    @Test
    void aJsonPlanMakesASwarmWithItsTasks() {
        Reply created = api.post("/api/swarms", json(TWO_STEPS)).expect(201);

        JsonNode swarm = created.json();
        assertThat(created.contentType()).startsWith("application/json");

        assertThat(swarm.get("id").asText()).matches("sw_[A-Za-z0-9]+");
        assertThat(swarm.get("name").asText()).isEqualTo("release");
        assertThat(swarm.get("goal").asText()).isEqualTo("ship it");
        assertThat(swarm.get("workspace").asText()).isEqualTo("repo");
        assertThat(swarm.get("status").asText()).isEqualTo("running");
        assertThat(swarm.get("task_count").asInt()).isEqualTo(2);
        assertThat(swarm.get("created_at").asText()).endsWith("Z");
        assertThat(each(swarm.get("tasks"), "id")).containsExactly("build", "deploy");
        JsonNode build = swarm.get("tasks").get(0);
        assertThat(build.get("status").asText()).isEqualTo("ready");
        assertThat(build.get("swarm_id").asText()).isEqualTo(swarm.get("id").asText());
        assertThat(swarm.get("tasks").get(1).get("status").asText()).isEqualTo("pending");
        assertThat(swarm.get("tasks").get(1).get("depends_on")).hasSize(1);
    }

    @Test
    void taskResourcesHaveEveryFieldOfTheContract() {
        String swarmId = createSwarm(TWO_STEPS);

        JsonNode task = task(swarmId, "build");

        assertThat(fieldNames(task)).contains("id", "swarm_id", "title", "description", "role", "agent", "priority",
                "weight", "depends_on", "files", "run", "status", "attempt", "max_attempts", "timeout_s",
                "assigned_agent", "result", "error", "blocked_by", "not_before", "created_at", "started_at",
                "finished_at");
        assertThat(task.get("max_attempts").asInt()).isEqualTo(1);
        assertThat(task.get("timeout_s").asDouble()).isEqualTo(1800);
        assertThat(task.get("weight").asDouble()).isEqualTo(1);
        assertThat(task.get("priority").asInt()).isZero();
    }

    @Test
    void aYamlPlanMakesASwarm() {
        String yaml = """
                name: yaml swarm
                tasks:
                  - id: lint
                    priority: 2
                  - id: test
                    depends_on: [lint]
                """;

        JsonNode swarm = api.send("POST", "/api/swarms", yaml, "Content-Type", "application/yaml").expect(201)
                .json();

        assertThat(swarm.get("name").asText()).isEqualTo("yaml swarm");
        assertThat(each(swarm.get("tasks"), "id")).containsExactly("lint", "test");
        assertThat(swarm.get("tasks").get(0).get("priority").asInt()).isEqualTo(2);
    }

    @Test
    void textOutsideAsciiSurvivesJsonAndYaml() {
        String name = "caf\u00e9 \u2713 \u65e5\u672c";

        JsonNode fromJson = api.post("/api/swarms", json("{'name': '" + name + "', 'tasks': [{'id': 'a'}]}"))
                .expect(201).json();
        JsonNode fromYaml = api.send("POST", "/api/swarms", "name: " + name + "\ntasks:\n  - id: a\n",
                "Content-Type", "application/yaml").expect(201).json();
        JsonNode agent = api.post("/api/agents", json("{'id': 'w1', 'name': '" + name + "'}")).expect(201).json();

        assertThat(fromJson.get("name").asText()).isEqualTo(name);
        assertThat(fromYaml.get("name").asText()).isEqualTo(name);
        assertThat(agent.get("name").asText()).isEqualTo(name);
    }

    @Test
    void anInvalidPlanIsRejectedWithEveryProblemAndCreatesNothing() {
        String plan = json("""
                {'name': 'bad', 'tasks': [{'id': 'a'}, {'id': 'a'}, {'id': 'b', 'depends_on': ['ghost']},
                 {'id': 'c', 'files': ['/etc/passwd']}]}""");

        JsonNode problem = api.post("/api/swarms", plan).problem(400);

        List<String> problems = each(problem.get("errors"), "problem");
        assertThat(problems).hasSizeGreaterThanOrEqualTo(3);
        assertThat(String.join("\n", problems)).contains("ghost").containsIgnoringCase("duplicate")
                .contains("/etc/passwd");
        assertThat(each(problem.get("errors"), "task")).contains("a", "b", "c");
        assertThat(api.get("/api/swarms").expect(200).json()).isEmpty();
    }

    @Test
    void aDependencyCycleIsRejectedWithTheCycle() {
        String plan = json("""
                {'name': 'loop', 'tasks': [{'id': 'a', 'depends_on': ['c']}, {'id': 'b', 'depends_on': ['a']},
                 {'id': 'c', 'depends_on': ['b']}, {'id': 'free'}]}""");

        JsonNode problem = api.post("/api/swarms", plan).problem(400);

        List<String> cycle = new ArrayList<>();
        problem.get("cycle").forEach(id -> cycle.add(id.asText()));
        assertThat(cycle).as("a closed path").hasSize(4).containsOnly("a", "b", "c");
        assertThat(cycle.getFirst()).isEqualTo(cycle.getLast());
        assertThat(problem.get("errors")).isNotEmpty();
        assertThat(problem.get("errors").get(0).has("task")).isTrue();
        assertThat(problem.get("errors").get(0).get("problem").asText()).contains("cycle");
        assertThat(api.get("/api/swarms").expect(200).json()).isEmpty();
    }

    @Test
    void aPlanWithoutTasksOrNameIsRejected() {
        JsonNode problem = api.post("/api/swarms", json("{'goal': 'nothing'}")).problem(400);

        assertThat(String.join("\n", each(problem.get("errors"), "problem"))).contains("name").contains("tasks");
    }

    @Test
    void swarmsAreListedAndReadWithTheirTasks() {
        String first = createSwarm(TWO_STEPS);
        String second = createSwarm("{'name': 'other', 'tasks': [{'id': 'x'}]}");

        JsonNode list = api.get("/api/swarms").expect(200).json();
        JsonNode one = api.get("/api/swarms/" + second).expect(200).json();

        assertThat(each(list, "id")).containsExactlyInAnyOrder(first, second);
        assertThat(list.get(0).has("task_count")).isTrue();
        assertThat(one.get("name").asText()).isEqualTo("other");
        assertThat(each(one.get("tasks"), "id")).containsExactly("x");
    }

    @Test
    void anUnknownSwarmIsNotFound() {
        api.get("/api/swarms/sw_doesnotexist").problem(404);
        api.get("/api/swarms/not-a-swarm-id").problem(404);
        api.post("/api/swarms/sw_doesnotexist/cancel", null).problem(404);
        api.post("/api/swarms/sw_doesnotexist/pause", null).problem(404);
        api.post("/api/swarms/sw_doesnotexist/resume", null).problem(404);
        api.get("/api/swarms/sw_doesnotexist/tasks").problem(404);
        api.get("/api/swarms/sw_doesnotexist/ready").problem(404);
        api.get("/api/planner/sw_doesnotexist/progress").problem(404);
    }

    @Test
    void aPausedSwarmHandsOutNothingUntilResumed() {
        String swarmId = createSwarm(TWO_STEPS);
        register("w1");

        JsonNode paused = api.post("/api/swarms/" + swarmId + "/pause", null).expect(200).json();
        Reply whilePaused = api.post("/api/agents/w1/claim", json("{'swarm_id': '" + swarmId + "'}"));
        JsonNode resumed = api.post("/api/swarms/" + swarmId + "/resume", null).expect(200).json();

        assertThat(paused.get("status").asText()).isEqualTo("paused");
        whilePaused.expect(204);
        assertThat(resumed.get("status").asText()).isEqualTo("running");
        assertThat(claim("w1", swarmId).get("id").asText()).isEqualTo("build");
    }

    @Test
    void cancellingASwarmCancelsItsUnfinishedTasks() {
        String swarmId = createSwarm(TWO_STEPS);

        JsonNode cancelled = api.post("/api/swarms/" + swarmId + "/cancel", null).expect(200).json();

        assertThat(cancelled.get("status").asText()).isEqualTo("cancelled");
        assertThat(each(api.get("/api/swarms/" + swarmId + "/tasks").expect(200).json(), "status"))
                .containsOnly("cancelled");
        JsonNode resume = api.post("/api/swarms/" + swarmId + "/resume", null).problem(409);
        assertThat(resume.get("detail").asText()).contains("cancelled");
        api.post("/api/swarms/" + swarmId + "/tasks", json("{'tasks': [{'id': 'late'}]}")).problem(409);
        api.post("/api/swarms/" + swarmId + "/cancel", null).expect(200);
    }

    @Test
    void aCompletedSwarmCannotBeCancelled() {
        String swarmId = createSwarm("{'name': 'one', 'tasks': [{'id': 'only'}]}");
        register("w1");
        claim("w1", swarmId);
        complete(swarmId, "only", "w1");

        assertThat(api.get("/api/swarms/" + swarmId).expect(200).json().get("status").asText())
                .isEqualTo("completed");
        api.post("/api/swarms/" + swarmId + "/cancel", null).problem(409);
    }

    @Test
    void tasksAddedToALiveSwarmMayDependOnItsTasks() {
        String swarmId = createSwarm(TWO_STEPS);

        JsonNode added = api.post("/api/swarms/" + swarmId + "/tasks", json("""
                {'tasks': [{'id': 'notify', 'depends_on': ['deploy']}, {'id': 'docs', 'priority': 3}]}"""))
                .expect(201).json();

        assertThat(each(added.get("tasks"), "id")).containsExactly("notify", "docs");
        assertThat(each(added.get("tasks"), "status")).containsExactly("pending", "ready");
        assertThat(api.get("/api/swarms/" + swarmId).expect(200).json().get("task_count").asInt()).isEqualTo(4);
    }

    @Test
    void addedTasksAreValidatedAgainstTheExistingOnes() {
        String swarmId = createSwarm(TWO_STEPS);

        JsonNode problem = api.post("/api/swarms/" + swarmId + "/tasks", json("""
                {'tasks': [{'id': 'build'}, {'id': 'late', 'depends_on': ['nowhere']}]}""")).problem(400);

        assertThat(each(problem.get("errors"), "task")).contains("build", "late");
        assertThat(api.get("/api/swarms/" + swarmId).expect(200).json().get("task_count").asInt()).isEqualTo(2);
    }

    @Test
    void addingTasksNeedsATasksArrayAndAKnownSwarm() {
        String swarmId = createSwarm(TWO_STEPS);

        JsonNode missing = api.post("/api/swarms/" + swarmId + "/tasks", "{}").problem(400);
        JsonNode notArray = api.post("/api/swarms/" + swarmId + "/tasks", json("{'tasks': 'build'}")).problem(400);
        api.post("/api/swarms/sw_doesnotexist/tasks", json("{'tasks': [{'id': 'x'}]}")).problem(404);

        assertThat(missing.get("detail").asText()).contains("tasks");
        assertThat(notArray.get("detail").asText()).contains("tasks").contains("array");
    }

    @Test
    void tasksAreFilteredByStatus() {
        String swarmId = createSwarm(TWO_STEPS);

        JsonNode ready = api.get("/api/swarms/" + swarmId + "/tasks?status=ready").expect(200).json();
        JsonNode pending = api.get("/api/swarms/" + swarmId + "/tasks?status=pending").expect(200).json();
        JsonNode all = api.get("/api/swarms/" + swarmId + "/tasks").expect(200).json();
        JsonNode bad = api.get("/api/swarms/" + swarmId + "/tasks?status=sleeping").problem(400);

        assertThat(each(ready, "id")).containsExactly("build");
        assertThat(each(pending, "id")).containsExactly("deploy");
        assertThat(each(all, "id")).containsExactly("build", "deploy");
        assertThat(bad.get("detail").asText()).contains("sleeping").contains("in_progress");
    }

    @Test
    void oneTaskIsReadAndAnUnknownOneIsNotFound() {
        String swarmId = createSwarm(TWO_STEPS);

        assertThat(task(swarmId, "deploy").get("depends_on").get(0).asText()).isEqualTo("build");
        JsonNode unknown = api.get(taskPath(swarmId, "ghost")).problem(404);
        api.get(taskPath("sw_doesnotexist", "build")).problem(404);

        assertThat(unknown.get("detail").asText()).contains("ghost");
    }

    @Test
    void readyTasksComeHighestPriorityFirstThenOldest() {
        String swarmId = createSwarm("""
                {'name': 'order', 'tasks': [{'id': 'low'}, {'id': 'high1', 'priority': 5},
                 {'id': 'high2', 'priority': 5}, {'id': 'mid', 'priority': 1}, {'id': 'later', 'depends_on': ['low']}]}""");
        api.post("/api/swarms/" + swarmId + "/tasks", json("{'tasks': [{'id': 'high3', 'priority': 5}]}"))
                .expect(201);

        JsonNode ready = api.get("/api/swarms/" + swarmId + "/ready").expect(200).json();

        assertThat(each(ready, "id")).containsExactly("high1", "high2", "high3", "mid", "low");
    }

    @Test
    void progressHasExactlyTheSeedsShape() {
        String swarmId = createSwarm("""
                {'name': 'weighted', 'tasks': [{'id': 'big', 'weight': 3}, {'id': 'small', 'files': ['src/a.txt']},
                 {'id': 'after', 'depends_on': ['big'], 'weight': 2}, {'id': 'doomed', 'weight': 2},
                 {'id': 'child', 'depends_on': ['doomed']}]}""");
        register("w1");
        register("w2");
        register("w3");
        api.post(taskPath(swarmId, "big") + "/start", json("{'agent_id': 'w1'}")).expect(200);
        complete(swarmId, "big", "w1");
        api.post(taskPath(swarmId, "small") + "/start", json("{'agent_id': 'w2'}")).expect(200);
        api.post(taskPath(swarmId, "doomed") + "/start", json("{'agent_id': 'w3'}")).expect(200);
        api.post(taskPath(swarmId, "doomed") + "/fail", json("{'agent_id': 'w3', 'error': 'boom', 'retryable': false}"))
                .expect(200);

        JsonNode progress = api.get("/api/planner/" + swarmId + "/progress").expect(200).json();

        assertThat(fieldNames(progress).subList(0, 11)).containsExactly("swarm_id", "progress", "completed",
                "in_progress", "pending", "failed", "blocked", "total", "ready_tasks", "has_cycle", "conflict_stats");
        assertThat(progress.get("swarm_id").asText()).isEqualTo(swarmId);
        assertThat(progress.get("progress").isNumber()).isTrue();
        assertThat(progress.get("progress").asDouble()).as("3 of 9 by weight").isEqualTo(33.3);
        assertThat(progress.get("completed").asInt()).isEqualTo(1);
        assertThat(progress.get("in_progress").asInt()).isEqualTo(1);
        assertThat(progress.get("pending").asInt()).as("pending and ready: 'after'").isEqualTo(1);
        assertThat(progress.get("failed").asInt()).isEqualTo(1);
        assertThat(progress.get("blocked").asInt()).isEqualTo(1);
        assertThat(progress.get("total").asInt()).isEqualTo(5);
        assertThat(progress.get("ready_tasks").asInt()).isEqualTo(1);
        assertThat(progress.get("has_cycle").isBoolean()).isTrue();
        assertThat(progress.get("has_cycle").asBoolean()).isFalse();
        JsonNode conflicts = progress.get("conflict_stats");
        assertThat(fieldNames(conflicts)).containsExactly("active_locks", "locked_files", "failed_tasks");
        assertThat(conflicts.get("active_locks").asInt()).isEqualTo(1);
        assertThat(conflicts.get("locked_files").get(0).asText()).isEqualTo("src/a.txt");
        assertThat(conflicts.get("failed_tasks").asInt()).isEqualTo(1);
    }

    @Test
    void aFinishedSwarmIsAtOneHundredPercent() {
        String swarmId = createSwarm("{'name': 'one', 'tasks': [{'id': 'only', 'weight': 0.5}]}");
        register("w1");
        claim("w1", swarmId);
        complete(swarmId, "only", "w1");

        JsonNode progress = api.get("/api/planner/" + swarmId + "/progress").expect(200).json();

        assertThat(progress.get("progress").asDouble()).isEqualTo(100.0);
        assertThat(progress.get("pending").asInt()).isZero();
        assertThat(progress.get("conflict_stats").get("locked_files")).isEmpty();
    }

    static List<String> fieldNames(JsonNode object) {
        List<String> names = new ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
