package hive.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import hive.Conflict;
import hive.Forbidden;
import hive.EngineTest;
import hive.NotFound;
import hive.agents.AgentProfile;
import hive.events.Event;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SchedulerTest extends EngineTest {

    AgentProfile bob = AgentProfile.of("bob");

    private static final String CHAIN = """
            name: chain
            tasks:
              - {id: backend, priority: 1}
              - {id: frontend, depends_on: [backend]}
              - {id: deploy, depends_on: [frontend]}
              - {id: docs}
            """;

    private Task claim(AgentProfile agent, String swarm) {
        return hive.claim(agent, swarm).orElseThrow(() -> new AssertionError("nothing to claim"));
    }

    @Test
    void tasksWithoutDependenciesAreReadyAtCreationAndClaimedByPriorityThenAge() {
        String id = swarm(CHAIN);

        assertThat(hive.ready(id, 10)).extracting(Task::id).containsExactly("backend", "docs");
        assertThat(claim(alice, id).id()).isEqualTo("backend");
        assertThat(claim(bob, id).id()).isEqualTo("docs");
        assertThat(hive.claim(AgentProfile.of("carol"), id)).isEmpty();
    }

    @Test
    void completingADependencyMakesItsDependentReady() {
        String id = swarm(CHAIN);
        Task backend = claim(alice, id);

        hive.complete(id, backend.id(), "alice", "built");

        assertThat(hive.task(id, "frontend").status()).isEqualTo(TaskState.READY);
        assertThat(hive.task(id, "backend").result()).isEqualTo("built");
        assertThat(hive.task(id, "deploy").status()).isEqualTo(TaskState.PENDING);
    }

    @Test
    void readinessNamesTheUnmetDependency() {
        String id = swarm(CHAIN);

        Readiness r = hive.readiness(id, "frontend", alice);

        assertThat(r.ready()).isFalse();
        assertThat(r.reason()).contains("'backend'").contains("ready");
        assertThatThrownBy(() -> hive.start(id, "frontend", alice)).isInstanceOf(Conflict.class)
                .hasMessageContaining("backend");
    }

    @Test
    void failedTaskBlocksEveryDescendantAndRetryBringsThemBack() {
        String id = swarm(CHAIN);
        claim(alice, id);

        hive.fail(id, "backend", "alice", "compiler crashed", false);

        assertThat(hive.task(id, "backend").status()).isEqualTo(TaskState.FAILED);
        assertThat(hive.task(id, "frontend").status()).isEqualTo(TaskState.BLOCKED);
        assertThat(hive.task(id, "deploy").blockedBy()).containsExactly("backend");
        assertThat(hive.task(id, "docs").status()).isEqualTo(TaskState.READY);
        assertThat(hive.readiness(id, "deploy", alice).reason()).contains("'backend' failed");

        hive.retry(id, "deploy");

        assertThat(hive.task(id, "backend").status()).isEqualTo(TaskState.READY);
        assertThat(hive.task(id, "backend").attempt()).isZero();
        assertThat(hive.task(id, "frontend").status()).isEqualTo(TaskState.PENDING);
        assertThat(hive.task(id, "deploy").blockedBy()).isEmpty();
    }

    @Test
    void swarmFailsWhenNothingMoreCanRun() {
        String id = swarm(CHAIN);
        claim(alice, id);
        hive.fail(id, "backend", "alice", "boom", false);
        hive.complete(id, claim(alice, id).id(), "alice", null);

        assertThat(hive.swarm(id).status()).isEqualTo(SwarmStatus.FAILED);
        Progress p = hive.progress(id);
        assertThat(p.failed()).isEqualTo(1);
        assertThat(p.blocked()).isEqualTo(2);
        assertThat(p.completed()).isEqualTo(1);
        assertThat(hive.events(id, 0, 100)).extracting(Event::type).contains("swarm_failed");
    }

    @Test
    void retryableFailureWaitsForItsBackoffThenRunsAgain() {
        String id = swarm("""
                name: flaky
                tasks:
                  - {id: flaky, max_attempts: 3, backoff_s: 10}
                """);
        claim(alice, id);

        Task failed = hive.fail(id, "flaky", "alice", "network", true);

        assertThat(failed.status()).isEqualTo(TaskState.PENDING);
        assertThat(failed.notBefore()).isBetween(clock.instant().plusSeconds(5), clock.instant().plusSeconds(10));
        assertThat(hive.claim(alice, id)).isEmpty();
        assertThat(hive.readiness(id, "flaky", alice).reason()).contains("backoff");

        clock.advance(Duration.ofSeconds(10));

        Task again = claim(alice, id);
        assertThat(again.attempt()).isEqualTo(2);
        assertThat(again.error()).isEqualTo("network");
    }

    @Test
    void lastAttemptFailsForGood() {
        String id = swarm("""
                name: flaky
                tasks:
                  - {id: flaky, max_attempts: 2, backoff_s: 0}
                """);
        claim(alice, id);
        assertThat(hive.fail(id, "flaky", "alice", "one", true).status()).isEqualTo(TaskState.READY);
        claim(alice, id);

        assertThat(hive.fail(id, "flaky", "alice", "two", true).status()).isEqualTo(TaskState.FAILED);
    }

    @Test
    void attemptPastItsTimeoutFailsOnSweep() {
        String id = swarm("""
                name: slow
                tasks:
                  - {id: slow, timeout_s: 60, max_attempts: 2, backoff_s: 0}
                """);
        claim(alice, id);
        clock.advance(Duration.ofSeconds(59));
        assertThat(hive.sweep()).isZero();

        clock.advance(Duration.ofSeconds(1));
        assertThat(hive.sweep()).isEqualTo(1);

        Task task = hive.task(id, "slow");
        assertThat(task.status()).isEqualTo(TaskState.READY);
        assertThat(task.error()).contains("timed out after 60 s");
        assertThat(hive.events(id, 0, 100)).extracting(Event::type).contains("task_timed_out");
    }

    @Test
    void onlyTheHolderMayCompleteOrFail() {
        String id = swarm(CHAIN);
        claim(alice, id);

        assertThatThrownBy(() -> hive.complete(id, "backend", "bob", null)).isInstanceOf(Forbidden.class);
        assertThatThrownBy(() -> hive.complete(id, "docs", "alice", null)).isInstanceOf(Conflict.class);
        assertThatThrownBy(() -> hive.complete(id, "nope", "alice", null)).isInstanceOf(NotFound.class);
        assertThatThrownBy(() -> hive.complete("sw_missing", "nope", "alice", null)).isInstanceOf(NotFound.class);
    }

    @Test
    void agentTakesOnlyTasksOfItsRoleOrPinnedToItUpToMaxTasks() {
        String id = swarm("""
                name: roles
                tasks:
                  - {id: api, role: backend, priority: 5}
                  - {id: pinned, agent: bob, priority: 4}
                  - {id: any}
                  - {id: more}
                """);
        AgentProfile front = new AgentProfile("alice", Set.of("frontend"), 2);

        assertThat(claim(front, id).id()).isEqualTo("any");
        assertThat(claim(front, id).id()).isEqualTo("more");
        assertThat(hive.readiness(id, "api", front).reason()).contains("needs role 'backend'");
        assertThat(hive.readiness(id, "pinned", front).reason()).contains("reserved for agent 'bob'");
        assertThat(claim(new AgentProfile("bob", Set.of("backend"), 3), id).id()).isEqualTo("api");
    }

    @Test
    void pausedSwarmHandsOutNothingUntilResumed() {
        String id = swarm(CHAIN);
        hive.pause(id);

        assertThat(hive.claim(alice, id)).isEmpty();
        assertThat(hive.claim(alice, null)).isEmpty();
        assertThat(hive.swarm(id).status()).isEqualTo(SwarmStatus.PAUSED);

        hive.resume(id);
        assertThat(hive.claim(alice, null)).isPresent();
    }

    @Test
    void cancelCancelsEveryUnfinishedTask() {
        String id = swarm(CHAIN);
        claim(alice, id);

        hive.cancel(id);

        assertThat(hive.tasks(id)).extracting(Task::status).containsOnly(TaskState.CANCELLED);
        assertThat(hive.progress(id).cancelled()).isEqualTo(4);
        assertThatThrownBy(() -> hive.complete(id, "backend", "alice", null)).isInstanceOf(Conflict.class);
        assertThat(hive.swarm(id).status()).isEqualTo(SwarmStatus.CANCELLED);
    }

    @Test
    void progressIsWeightedAndEndsAtOneHundred() {
        String id = swarm("""
                name: weights
                tasks:
                  - {id: big, weight: 3}
                  - {id: small}
                """);
        hive.complete(id, claim(alice, id).id(), "alice", null);
        assertThat(hive.progress(id).progress()).isEqualTo(75.0);

        hive.complete(id, claim(alice, id).id(), "alice", null);
        Progress p = hive.progress(id);
        assertThat(p.progress()).isEqualTo(100.0);
        assertThat(p.status()).isEqualTo(SwarmStatus.COMPLETED);
    }

    @Test
    void tasksAddedToALiveSwarmWaitForExistingOnesOrInheritTheirBlock() throws Exception {
        String id = swarm(CHAIN);
        hive.complete(id, claim(alice, id).id(), "alice", null);
        assertThat(claim(alice, id).id()).isEqualTo("frontend");
        hive.fail(id, "frontend", "alice", "frontend broke", false);
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree("""
                [{"id": "lint", "depends_on": ["backend"]},
                 {"id": "publish", "depends_on": ["docs", "lint"]},
                 {"id": "test", "depends_on": ["frontend"]}]""");

        List<Task> added = hive.addTasks(id, json);

        assertThat(added).extracting(Task::status)
                .containsExactly(TaskState.READY, TaskState.PENDING, TaskState.BLOCKED);
        assertThat(hive.task(id, "test").blockedBy()).containsExactly("frontend");
        assertThat(hive.progress(id).total()).isEqualTo(7);
    }

    @Test
    void eventsAreNumberedPerSwarmWithoutGaps() {
        String id = swarm(CHAIN);
        hive.complete(id, claim(alice, id).id(), "alice", null);

        List<Event> events = hive.events(id, 0, 100);

        assertThat(events).extracting(Event::seq).containsExactly(1L, 2L, 3L, 4L);
        assertThat(events).extracting(Event::type)
                .containsExactly("swarm_created", "task_started", "task_completed", "task_ready");
        assertThat(hive.events(id, 2, 100)).extracting(Event::seq).containsExactly(3L, 4L);
    }

    @Test
    void claimWithoutSwarmTakesFromAnyRunningSwarm() {
        swarm(CHAIN);
        Optional<Task> task = hive.claim(alice, null);
        assertThat(task).isPresent();
    }
}
