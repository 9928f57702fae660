package hive.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Swarms end to end: plans in JSON, YAML and files; listing, state changes, tasks, progress, rejections. */
class SwarmsTest extends LiveServer {

    @Test
    void createsASwarmFromJsonWithItsTasks() {
        Swarm swarm = hive.createSwarm(plan("json", """
                [{"id": "build", "title": "Build", "priority": 3, "files": ["src/"]},
                 {"id": "deploy", "depends_on": ["build"], "weight": 2, "max_attempts": 3}]"""));

        assertThat(swarm.id()).startsWith("sw_");
        assertThat(swarm.name()).isEqualTo("json");
        assertThat(swarm.status()).isEqualTo(SwarmStatus.RUNNING);
        assertThat(swarm.workspace()).isEqualTo("default");
        assertThat(swarm.taskCount()).isEqualTo(2);
        assertThat(swarm.createdAt()).isNotNull();
        Task build = swarm.task("build").orElseThrow();
        assertThat(build.swarmId()).isEqualTo(swarm.id());
        assertThat(build.title()).isEqualTo("Build");
        assertThat(build.priority()).isEqualTo(3);
        assertThat(build.files()).containsExactly("src/");
        assertThat(build.status()).isEqualTo(TaskState.READY);
        Task deploy = swarm.task("deploy").orElseThrow();
        assertThat(deploy.status()).isEqualTo(TaskState.PENDING);
        assertThat(deploy.dependsOn()).containsExactly("build");
        assertThat(deploy.weight()).isEqualTo(2.0);
        assertThat(deploy.maxAttempts()).isEqualTo(3);
        assertThat(deploy.timeoutS()).isEqualTo(1800.0);
        assertThat(deploy.assignedAgent()).isNull();
        assertThat(deploy.blockedBy()).isEmpty();
    }

    @Test
    void createsSwarmsFromYamlTextAndFromPlanFiles() throws Exception {
        String yaml = """
                name: yaml
                goal: test YAML
                workspace: ws-yaml
                tasks:
                  - id: schema
                    priority: 10
                  - id: api
                    depends_on: [schema]
                """;
        Swarm fromText = hive.createSwarm(yaml, PlanFormat.YAML);
        assertThat(fromText.goal()).isEqualTo("test YAML");
        assertThat(fromText.workspace()).isEqualTo("ws-yaml");
        assertThat(fromText.tasks()).extracting(Task::id).containsExactlyInAnyOrder("schema", "api");

        Path yamlFile = Files.writeString(dir.resolve("plan.yml"), yaml);
        Path jsonFile = Files.writeString(dir.resolve("plan.json"), plan("file", "[{\"id\": \"only\"}]"));
        Path bareFile = Files.writeString(dir.resolve("plan"), plan("bare", "[{\"id\": \"one\"}]"));
        assertThat(hive.createSwarm(yamlFile).name()).isEqualTo("yaml");
        assertThat(hive.createSwarm(jsonFile).tasks()).extracting(Task::id).containsExactly("only");
        assertThat(hive.createSwarm(bareFile).name()).isEqualTo("bare");
    }

    @Test
    void listsSwarmsWithoutTasksAndGetsOneWithItsTasks() {
        Swarm created = hive.createSwarm(plan("listed", "[{\"id\": \"a\"}, {\"id\": \"b\"}]"));

        List<Swarm> swarms = hive.swarms();
        Swarm listed = swarms.stream().filter(s -> s.id().equals(created.id())).findFirst().orElseThrow();
        assertThat(listed.taskCount()).isEqualTo(2);
        assertThat(listed.tasks()).as("lists carry no tasks").isEmpty();

        Swarm got = hive.swarm(created.id());
        assertThat(got.tasks()).extracting(Task::id).containsExactly("a", "b");
        assertThat(got.createdAt()).isEqualTo(created.createdAt());
    }

    @Test
    void pausedSwarmHandsOutNothingUntilResumedAndCancelledSwarmCancelsItsTasks() {
        String worker = hive.register(AgentSpec.withId(unique("pauser"))).id();
        Swarm swarm = hive.createSwarm(plan("paused", "[{\"id\": \"a\"}, {\"id\": \"b\"}]"));

        assertThat(hive.pause(swarm.id()).status()).isEqualTo(SwarmStatus.PAUSED);
        assertThat(hive.claim(worker, swarm.id(), Duration.ZERO)).isEmpty();

        assertThat(hive.resume(swarm.id()).status()).isEqualTo(SwarmStatus.RUNNING);
        assertThat(hive.claim(worker, swarm.id(), Duration.ZERO)).isPresent();

        Swarm cancelled = hive.cancel(swarm.id());
        assertThat(cancelled.status()).isEqualTo(SwarmStatus.CANCELLED);
        assertThat(hive.tasks(swarm.id(), TaskState.CANCELLED)).extracting(Task::id).contains("b");
        assertThat(hive.progress(swarm.id()).cancelled()).isPositive();
    }

    @Test
    void addsTasksToALiveSwarmValidatedWithItsTasks() {
        Swarm swarm = hive.createSwarm(plan("grow", "[{\"id\": \"build\"}]"));

        List<Task> added = hive.addTasks(swarm.id(), """
                [{"id": "docs", "depends_on": ["build"]}, {"id": "lint"}]""");

        assertThat(added).extracting(Task::id).containsExactly("docs", "lint");
        assertThat(added.getFirst().status()).isEqualTo(TaskState.PENDING);
        assertThat(hive.swarm(swarm.id()).taskCount()).isEqualTo(3);

        HiveApiException e = catchThrowableOfType(HiveApiException.class,
                () -> hive.addTasks(swarm.id(), "[{\"id\": \"ship\", \"depends_on\": [\"nowhere\"]}]"));
        assertThat(e.status()).isEqualTo(400);
        assertThat(e.errors()).as(e.getMessage()).anySatisfy(p -> {
            assertThat(p.task()).isEqualTo("ship");
            assertThat(p.problem()).contains("nowhere");
        });
        assertThat(hive.swarm(swarm.id()).taskCount()).as("a rejected addition adds nothing").isEqualTo(3);
        assertThatThrownBy(() -> hive.addTasks(swarm.id(), "{\"id\": \"x\"}"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void listsTasksByStatusAndReadsOne() {
        Swarm swarm = hive.createSwarm(plan("statuses", """
                [{"id": "a"}, {"id": "b", "depends_on": ["a"]}, {"id": "c", "depends_on": ["b"]}]"""));

        assertThat(hive.tasks(swarm.id())).extracting(Task::id).containsExactly("a", "b", "c");
        assertThat(hive.tasks(swarm.id(), TaskState.READY)).extracting(Task::id).containsExactly("a");
        assertThat(hive.tasks(swarm.id(), TaskState.PENDING)).extracting(Task::id).containsExactly("b", "c");
        assertThat(hive.tasks(swarm.id(), TaskState.COMPLETED)).isEmpty();
        Task c = hive.task(swarm.id(), "c");
        assertThat(c.dependsOn()).containsExactly("b");
        assertThat(c.status()).isEqualTo(TaskState.PENDING);
    }

    @Test
    void readyTasksComeHighestPriorityFirst() {
        Swarm swarm = hive.createSwarm(plan("priorities", """
                [{"id": "low", "priority": 1}, {"id": "high", "priority": 9}, {"id": "mid", "priority": 5},
                 {"id": "later", "depends_on": ["low"], "priority": 100}]"""));

        assertThat(hive.ready(swarm.id())).extracting(Task::id).containsExactly("high", "mid", "low");
        assertThat(hive.ready(swarm.id(), 1)).extracting(Task::id).containsExactly("high");
    }

    @Test
    void progressHasTheSeedsShapeWeightedByTaskWeight() {
        String worker = hive.register(AgentSpec.withId(unique("progress"))).id();
        String workspace = unique("ws-progress");
        Swarm swarm = hive.createSwarm(plan("progress", workspace, """
                [{"id": "a", "weight": 1, "files": ["a.txt"]}, {"id": "b", "weight": 3, "depends_on": ["a"]},
                 {"id": "c", "weight": 1}]"""));

        Progress before = hive.progress(swarm.id());
        assertThat(before.swarmId()).isEqualTo(swarm.id());
        assertThat(before.total()).isEqualTo(3);
        assertThat(before.pending()).as("pending counts ready tasks too").isEqualTo(3);
        assertThat(before.readyTasks()).isEqualTo(2);
        assertThat(before.progress()).isEqualTo(0.0);
        assertThat(before.hasCycle()).isFalse();
        assertThat(before.status()).isEqualTo(SwarmStatus.RUNNING);

        hive.start(worker, swarm.id(), "a");
        Progress running = hive.progress(swarm.id());
        assertThat(running.inProgress()).isEqualTo(1);
        assertThat(running.conflictStats().activeLocks()).isEqualTo(1);
        assertThat(running.conflictStats().lockedFiles()).containsExactly("a.txt");

        hive.complete(worker, swarm.id(), "a", "ok");
        Progress after = hive.progress(swarm.id());
        assertThat(after.completed()).isEqualTo(1);
        assertThat(after.progress()).as("1 of a total weight of 5").isEqualTo(20.0);
        assertThat(after.conflictStats().activeLocks()).isZero();
        assertThat(after.failed()).isZero();
        assertThat(after.blocked()).isZero();
    }

    @Test
    void rejectedPlanListsEveryProblemWithItsCycleAndCreatesNothing() {
        int before = hive.swarms().size();

        HiveApiException e = catchThrowableOfType(HiveApiException.class, () -> hive.createSwarm(plan("cyclic", """
                [{"id": "a", "depends_on": ["c"]}, {"id": "b", "depends_on": ["a"]}, {"id": "c", "depends_on": ["b"]},
                 {"id": "d", "depends_on": ["ghost"]}, {"id": "d"}]""")));

        assertThat(e.status()).isEqualTo(400);
        assertThat(e.type()).endsWith("/invalid-request");
        assertThat(e.title()).isEqualTo("Invalid request");
        assertThat(e.errors()).as(e.getMessage()).hasSizeGreaterThanOrEqualTo(3);
        assertThat(e.errors()).anySatisfy(p -> assertThat(p.problem()).contains("ghost"));
        assertThat(e.cycle()).hasSize(4);
        assertThat(e.cycle().getFirst()).isEqualTo(e.cycle().getLast());
        assertThat(e.cycle()).contains("a", "b", "c");
        assertThat(hive.swarms()).hasSize(before);
    }

    @Test
    void unknownSwarmOrTaskIs404AndBadInputIs400NamingTheField() {
        HiveApiException unknown = catchThrowableOfType(HiveApiException.class, () -> hive.swarm("sw_nothere"));
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.type()).endsWith("/not-found");
        assertThat(unknown.detail()).contains("sw_nothere");
        assertThat(unknown.method()).isEqualTo("GET");
        assertThat(unknown.path()).isEqualTo("/api/swarms/sw_nothere");

        Swarm swarm = hive.createSwarm(plan("errors", "[{\"id\": \"a\"}]"));
        assertThat(catchThrowableOfType(HiveApiException.class, () -> hive.task(swarm.id(), "zzz")).status())
                .isEqualTo(404);
        assertThat(catchThrowableOfType(HiveApiException.class, () -> hive.progress("sw_nothere")).status())
                .isEqualTo(404);

        HiveApiException badLimit = catchThrowableOfType(HiveApiException.class, () -> hive.ready(swarm.id(), 0));
        assertThat(badLimit.status()).isEqualTo(400);
        assertThat(badLimit.field()).contains("limit");

        HiveApiException badId = catchThrowableOfType(HiveApiException.class,
                () -> hive.register(AgentSpec.withId("not an id!")));
        assertThat(badId.status()).isEqualTo(400);
        assertThat(badId.field()).contains("id");
        assertThat(badId.detail()).contains("'id'");

        HiveApiException empty = catchThrowableOfType(HiveApiException.class, () -> hive.createSwarm("  "));
        assertThat(empty.status()).isEqualTo(400);
        HiveApiException malformed = catchThrowableOfType(HiveApiException.class, () -> hive.createSwarm("{\"name\":"));
        assertThat(malformed.status()).isEqualTo(400);
    }
}
