package hive.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Work end to end: claims (waiting ones too), readiness, start, complete, fail, retry. */
class WorkTest extends LiveServer {

    @Test
    void claimHandsOutTheHighestPriorityReadyTaskAndLocksItsFiles() {
        String worker = hive.register(AgentSpec.withId(unique("claimer")).maxTasks(2)).id();
        String workspace = unique("ws-claim");
        Swarm swarm = hive.createSwarm(plan("claim", workspace, """
                [{"id": "low", "priority": 1}, {"id": "high", "priority": 5, "files": ["src/app.py"]}]"""));

        Task task = hive.claim(worker, swarm.id(), Duration.ZERO).orElseThrow();

        assertThat(task.id()).isEqualTo("high");
        assertThat(task.status()).isEqualTo(TaskState.IN_PROGRESS);
        assertThat(task.assignedAgent()).isEqualTo(worker);
        assertThat(task.attempt()).isEqualTo(1);
        assertThat(task.startedAt()).isNotNull();
        assertThat(hive.locks(workspace)).singleElement().satisfies(lock -> {
            assertThat(lock.path()).isEqualTo("src/app.py");
            assertThat(lock.agentId()).isEqualTo(worker);
            assertThat(lock.taskId()).contains("high");
        });

        Task done = hive.complete(worker, swarm.id(), "high", "shipped");
        assertThat(done.status()).isEqualTo(TaskState.COMPLETED);
        assertThat(done.result()).isEqualTo("shipped");
        assertThat(done.finishedAt()).isNotNull();
        assertThat(hive.locks(workspace)).as("completing releases the task's files").isEmpty();
    }

    @Test
    void claimWithNothingToDoIsEmptyOnceItsWaitEnds() {
        String worker = hive.register(AgentSpec.withId(unique("idle"))).id();
        Swarm swarm = hive.createSwarm(plan("idle", "[{\"id\": \"a\", \"role\": \"nobody\"}]"));

        long started = System.nanoTime();
        Optional<Task> none = hive.claim(worker, swarm.id(), Duration.ofMillis(600));
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);

        assertThat(none).isEmpty();
        assertThat(tookMs).as("the claim waited on the server").isGreaterThanOrEqualTo(500);
        assertThat(hive.claim(worker, swarm.id(), Duration.ZERO)).isEmpty();
    }

    @Test
    void waitingClaimIsWokenByAnotherClientsCompletion() throws Exception {
        String builder = hive.register(AgentSpec.withId(unique("builder"))).id();
        String deployer = hive.register(AgentSpec.withId(unique("deployer"))).id();
        Swarm swarm = hive.createSwarm(plan("wake", """
                [{"id": "build"}, {"id": "deploy", "depends_on": ["build"]}]"""));
        hive.start(builder, swarm.id(), "build");
        Duration wait = Duration.ofSeconds(30);

        // given a claim that waits on the server for the only task left, which is not ready yet
        long started = System.nanoTime();
        CompletableFuture<Optional<Task>> claim = CompletableFuture.supplyAsync(
                () -> hive.claim(deployer, swarm.id(), wait));
        Thread.sleep(300);
        assertThat(claim).as("the claim waits while build runs").isNotDone();

        // when another client completes the dependency
        try (HiveClient other = HiveClient.connect(server.url())) {
            other.complete(builder, swarm.id(), "build", "built");
        }

        // then the waiting claim returns the dependent task, long before its wait ends
        Task deploy = claim.get(15, TimeUnit.SECONDS).orElseThrow();
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        assertThat(deploy.id()).isEqualTo("deploy");
        assertThat(deploy.assignedAgent()).isEqualTo(deployer);
        assertThat(deploy.status()).isEqualTo(TaskState.IN_PROGRESS);
        assertThat(tookMs).as("woken by the completion, not by the end of its %s wait", wait).isLessThan(15_000);
    }

    @Test
    void waitingClaimIsWokenWhenAPausedSwarmResumes() throws Exception {
        String worker = hive.register(AgentSpec.withId(unique("resumed"))).id();
        Swarm swarm = hive.createSwarm(plan("resume", "[{\"id\": \"a\"}]"));
        hive.pause(swarm.id());

        CompletableFuture<Optional<Task>> claim = CompletableFuture.supplyAsync(
                () -> hive.claim(worker, swarm.id(), Duration.ofSeconds(30)));
        Thread.sleep(200);
        hive.resume(swarm.id());

        assertThat(claim.get(15, TimeUnit.SECONDS)).hasValueSatisfying(t -> assertThat(t.id()).isEqualTo("a"));
    }

    @Test
    void readinessNamesWhatIsMissing() {
        String backend = hive.register(AgentSpec.withId(unique("backend")).roles("backend")).id();
        Swarm swarm = hive.createSwarm(plan("readiness", """
                [{"id": "schema"}, {"id": "api", "depends_on": ["schema"]}, {"id": "ui", "role": "frontend"}]"""));

        assertThat(hive.readiness(swarm.id(), "schema").ready()).isTrue();
        Readiness api = hive.readiness(swarm.id(), "api");
        assertThat(api.ready()).isFalse();
        assertThat(api.reason()).contains("schema");
        assertThat(hive.readiness(swarm.id(), "ui").ready()).as("any agent").isTrue();
        Readiness forBackend = hive.readiness(swarm.id(), "ui", backend);
        assertThat(forBackend.ready()).isFalse();
        assertThat(forBackend.reason()).contains("frontend");
    }

    @Test
    void startTakesANamedTaskOrSaysWhyNot() {
        String worker = hive.register(AgentSpec.withId(unique("starter"))).id();
        Swarm swarm = hive.createSwarm(plan("start", "[{\"id\": \"a\"}, {\"id\": \"b\", \"depends_on\": [\"a\"]}]"));

        HiveApiException notReady = catchThrowableOfType(HiveApiException.class,
                () -> hive.start(worker, swarm.id(), "b"));
        assertThat(notReady.status()).isEqualTo(409);
        assertThat(notReady.reason()).hasValueSatisfying(r -> assertThat(r).contains("a"));

        Task a = hive.start(worker, swarm.id(), "a");
        assertThat(a.status()).isEqualTo(TaskState.IN_PROGRESS);
        assertThat(a.assignedAgent()).isEqualTo(worker);
        assertThat(hive.complete(worker, swarm.id(), "a").result()).isNull();
        assertThat(hive.task(swarm.id(), "b").status()).isEqualTo(TaskState.READY);
    }

    @Test
    void onlyTheAgentHoldingATaskMayFinishIt() {
        String holder = hive.register(AgentSpec.withId(unique("holder"))).id();
        String intruder = hive.register(AgentSpec.withId(unique("intruder"))).id();
        Swarm swarm = hive.createSwarm(plan("held", "[{\"id\": \"a\"}]"));
        hive.start(holder, swarm.id(), "a");

        HiveApiException complete = catchThrowableOfType(HiveApiException.class,
                () -> hive.complete(intruder, swarm.id(), "a", "mine"));
        HiveApiException fail = catchThrowableOfType(HiveApiException.class,
                () -> hive.fail(intruder, swarm.id(), "a", "no"));

        assertThat(complete.status()).isEqualTo(403);
        assertThat(complete.type()).endsWith("/forbidden");
        assertThat(fail.status()).isEqualTo(403);
        assertThat(hive.task(swarm.id(), "a").status()).isEqualTo(TaskState.IN_PROGRESS);
        hive.complete(holder, swarm.id(), "a", "ok");
        HiveApiException again = catchThrowableOfType(HiveApiException.class,
                () -> hive.complete(holder, swarm.id(), "a", "twice"));
        assertThat(again.status()).as("no longer in progress").isEqualTo(409);
    }

    @Test
    void failedAttemptWithAttemptsLeftComesBackAndFinalFailureBlocksDependentsUntilRetried() {
        String worker = hive.register(AgentSpec.withId(unique("failer"))).id();
        Swarm swarm = hive.createSwarm(plan("fail", """
                [{"id": "flaky", "max_attempts": 2, "backoff_s": 0.05},
                 {"id": "broken"}, {"id": "after", "depends_on": ["broken"]}]"""));

        hive.start(worker, swarm.id(), "flaky");
        Task retried = hive.fail(worker, swarm.id(), "flaky", "timeout talking to db");
        assertThat(retried.status()).isIn(TaskState.PENDING, TaskState.READY);
        assertThat(retried.error()).isEqualTo("timeout talking to db");
        assertThat(retried.attempt()).isEqualTo(1);

        hive.start(worker, swarm.id(), "broken");
        Task failed = hive.fail(worker, swarm.id(), "broken", "syntax error", false);
        assertThat(failed.status()).isEqualTo(TaskState.FAILED);
        Task blocked = hive.task(swarm.id(), "after");
        assertThat(blocked.status()).isEqualTo(TaskState.BLOCKED);
        assertThat(blocked.blockedBy()).containsExactly("broken");
        assertThat(hive.progress(swarm.id()).blocked()).isEqualTo(1);

        Task again = hive.retry(swarm.id(), "broken");
        assertThat(again.status()).isIn(TaskState.PENDING, TaskState.READY);
        assertThat(hive.task(swarm.id(), "after").status()).isEqualTo(TaskState.PENDING);
        HiveApiException notFailed = catchThrowableOfType(HiveApiException.class,
                () -> hive.retry(swarm.id(), "after"));
        assertThat(notFailed.status()).isEqualTo(409);
    }

    @Test
    void claimInAnySwarmFindsWorkInAnyRunningSwarm() {
        hive.swarms().stream().filter(s -> !s.status().isFinished()).forEach(s -> hive.cancel(s.id()));
        String pinned = hive.register(AgentSpec.withId(unique("pinned"))).id();
        Swarm swarm = hive.createSwarm(plan("pinned", "[{\"id\": \"mine\", \"agent\": \"" + pinned + "\"}]"));

        Task task = hive.claim(pinned, Duration.ofSeconds(1)).orElseThrow();

        assertThat(task.swarmId()).isEqualTo(swarm.id());
        assertThat(task.agent()).isEqualTo(pinned);
    }
}
