package hive.agents;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import hive.Conflict;
import hive.EngineTest;
import hive.Hive;
import hive.Hives;
import hive.NotFound;
import hive.events.Event;
import hive.schedule.Task;
import hive.schedule.TaskState;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AgentSessionTest extends EngineTest {

    private static final String PLAN = """
            name: sessions
            tasks:
              - {id: build, max_attempts: 2, role: backend}
              - {id: deploy, depends_on: [build]}
              - {id: docs}
            """;

    private static final Duration TIMEOUT = Hive.DEFAULT_SESSION_TIMEOUT;

    @Test
    void registeringTwiceReturnsTheSameAgentAsFirstRegistered() {
        Agent first = hive.register(new Registration("claude-1", "Claude", Set.of("backend"), 2, List.of("src/**")));

        Agent again = hive.register(new Registration("claude-1", null, Set.of("frontend"), 1, List.of()));

        assertThat(again.roles()).containsExactly("backend");
        assertThat(again.maxTasks()).isEqualTo(2);
        assertThat(again.allowedPaths()).containsExactly("src/**");
        assertThat(again.registeredAt()).isEqualTo(first.registeredAt());
        assertThat(hive.agents()).extracting(Agent::id).containsExactly("claude-1");
    }

    @Test
    void agentWithoutIdGetsOneMadeByTheServer() {
        Agent agent = hive.register(new Registration(null, "anonymous", Set.of(), 1, List.of()));

        assertThat(agent.id()).startsWith("ag_");
        assertThat(agent.status()).isEqualTo(AgentStatus.ACTIVE);
    }

    @Test
    void claimByARegisteredIdUsesItsRolesAndLimitAndListsItsTask() {
        String id = swarm(PLAN);
        hive.register(new Registration("back", null, Set.of("backend"), 1, List.of()));

        Task task = hive.claim("back", id).orElseThrow();

        assertThat(task.id()).isEqualTo("build");
        assertThat(hive.claim("back", id)).as("max_tasks 1 is reached").isEmpty();
        assertThat(hive.agent("back").currentTasks()).containsExactly(id + "/build");
        assertThatThrownBy(() -> hive.claim("nobody", id)).isInstanceOf(NotFound.class);
    }

    @Test
    void silentAgentIsLostAndItsTaskGoesBackToTheQueueWithTheAttemptCounted() {
        String id = swarm(PLAN);
        hive.register(new Registration("back", null, Set.of("backend"), 1, List.of()));
        hive.claim("back", id).orElseThrow();

        clock.advance(TIMEOUT.minusSeconds(1));
        assertThat(hive.sweep()).as("not silent long enough yet").isZero();
        clock.advance(Duration.ofSeconds(1));
        hive.sweep();

        assertThat(hive.agent("back").status()).isEqualTo(AgentStatus.LOST);
        assertThat(hive.agent("back").currentTasks()).isEmpty();
        Task build = hive.task(id, "build");
        assertThat(build.status()).isEqualTo(TaskState.READY);
        assertThat(build.attempt()).isEqualTo(1);
        assertThat(build.assignedAgent()).isNull();
        assertThat(build.error()).contains("agent 'back' lost");
        assertThat(hive.events(id, 0, 100)).extracting(Event::type).contains("task_requeued");
    }

    @Test
    void anotherAgentFinishesTheTaskOfALostOne() {
        String id = swarm(PLAN);
        hive.register(new Registration("back", null, Set.of("backend"), 1, List.of()));
        hive.register(new Registration("spare", null, Set.of("backend"), 1, List.of()));
        hive.claim("back", id).orElseThrow();
        clock.advance(TIMEOUT);
        hive.heartbeat("spare");
        hive.sweep();

        Task again = hive.claim("spare", id).orElseThrow();

        assertThat(again.id()).isEqualTo("build");
        assertThat(again.attempt()).isEqualTo(2);
        hive.complete(id, "build", "spare", "ok");
        assertThat(hive.task(id, "deploy").status()).isEqualTo(TaskState.READY);
        assertThatThrownBy(() -> hive.complete(id, "build", "back", "late"))
                .as("the lost agent can no longer act").isInstanceOf(Conflict.class);
    }

    @Test
    void taskOfALostAgentWithNoAttemptLeftFailsAndBlocksItsDependents() {
        String id = swarm("""
                name: once
                tasks:
                  - {id: build}
                  - {id: deploy, depends_on: [build]}
                """);
        hive.register(Registration.of("solo"));
        hive.claim("solo", id).orElseThrow();

        clock.advance(TIMEOUT);
        hive.sweep();

        assertThat(hive.task(id, "build").status()).isEqualTo(TaskState.FAILED);
        assertThat(hive.task(id, "deploy").blockedBy()).containsExactly("build");
    }

    @Test
    void heartbeatsAndRequestsKeepTheSessionAlive() {
        String id = swarm(PLAN);
        hive.register(new Registration("back", null, Set.of("backend"), 2, List.of()));
        hive.claim("back", id).orElseThrow();

        for (int i = 0; i < 5; i++) {
            clock.advance(TIMEOUT.minusSeconds(10));
            if (i % 2 == 0) {
                hive.heartbeat("back");
            } else {
                hive.claim("back", id);
            }
            hive.sweep();
        }

        assertThat(hive.agent("back").status()).isEqualTo(AgentStatus.ACTIVE);
        assertThat(hive.task(id, "build").status()).isEqualTo(TaskState.IN_PROGRESS);
    }

    @Test
    void leavingTakesBackTheTasksAndMarksTheAgentGone() {
        String id = swarm(PLAN);
        hive.register(new Registration("back", null, Set.of("backend"), 1, List.of()));
        hive.claim("back", id).orElseThrow();

        Agent gone = hive.leave("back");

        assertThat(gone.status()).isEqualTo(AgentStatus.GONE);
        assertThat(hive.task(id, "build").status()).isEqualTo(TaskState.READY);
        assertThat(hive.leave("back").status()).as("leaving twice is harmless").isEqualTo(AgentStatus.GONE);
        assertThatThrownBy(() -> hive.heartbeat("back")).isInstanceOf(Conflict.class);
        assertThatThrownBy(() -> hive.heartbeat("nobody")).isInstanceOf(NotFound.class);
    }

    @Test
    void lostAgentThatRegistersAgainIsActive() {
        hive.register(Registration.of("flaky"));
        clock.advance(TIMEOUT);
        hive.sweep();
        assertThat(hive.agent("flaky").status()).isEqualTo(AgentStatus.LOST);

        Agent back = hive.register(Registration.of("flaky"));

        assertThat(back.status()).isEqualTo(AgentStatus.ACTIVE);
        assertThat(hive.heartbeat("flaky").status()).isEqualTo(AgentStatus.ACTIVE);
    }

    @Test
    void sessionsSurviveAReopenAndExpireAfterIt() {
        String id = swarm(PLAN);
        hive.register(new Registration("back", null, Set.of("backend"), 1, List.of()));
        hive.claim("back", id).orElseThrow();
        hive.close();

        hive = Hives.open(dir, clock);
        assertThat(hive.agent("back").currentTasks()).containsExactly(id + "/build");
        clock.advance(TIMEOUT);
        hive.sweep();

        assertThat(hive.agent("back").status()).isEqualTo(AgentStatus.LOST);
        assertThat(hive.task(id, "build").status()).isEqualTo(TaskState.READY);
    }

    @Test
    void registrationRefusesBadIdsAndLimits() {
        assertThatThrownBy(() -> new Registration("bad id", null, Set.of(), 1, List.of()))
                .hasMessageContaining("agent id 'bad id'");
        assertThatThrownBy(() -> new Registration("ok", null, Set.of(), 0, List.of()))
                .hasMessageContaining("max_tasks");
    }
}
