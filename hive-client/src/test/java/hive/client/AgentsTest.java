package hive.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Agents end to end: registration (idempotent), heartbeats, leaving, listing. */
class AgentsTest extends LiveServer {

    @Test
    void registersWithEveryFieldAndGetsAToken() {
        String id = unique("full");

        Registered registered = hive.register(AgentSpec.withId(id).name("Full agent").roles("backend", "docs")
                .maxTasks(3).allowedPaths("src/", "docs/**"));

        Agent agent = registered.agent();
        assertThat(registered.id()).isEqualTo(id);
        assertThat(registered.token()).startsWith("hat_");
        assertThat(registered.toString()).doesNotContain(registered.token());
        assertThat(agent.name()).isEqualTo("Full agent");
        assertThat(agent.roles()).containsExactlyInAnyOrder("backend", "docs");
        assertThat(agent.maxTasks()).isEqualTo(3);
        assertThat(agent.allowedPaths()).containsExactly("src/", "docs/**");
        assertThat(agent.status()).isEqualTo(AgentStatus.ACTIVE);
        assertThat(agent.registeredAt()).isNotNull();
        assertThat(agent.lastHeartbeat()).isNotNull();
        assertThat(agent.currentTasks()).isEmpty();
    }

    @Test
    void registeringAnExistingIdAgainReturnsItAsRegistered() {
        String id = unique("again");
        Agent first = hive.register(AgentSpec.withId(id).roles("backend").maxTasks(2)).agent();

        Agent second = hive.register(AgentSpec.withId(id)).agent();

        assertThat(second.id()).isEqualTo(first.id());
        assertThat(second.roles()).containsExactly("backend");
        assertThat(second.maxTasks()).isEqualTo(2);
        assertThat(second.registeredAt()).isEqualTo(first.registeredAt());
    }

    @Test
    void serverMakesAnIdWhenNoneIsGiven() {
        Registered anonymous = hive.register(AgentSpec.anonymous());

        assertThat(anonymous.id()).isNotBlank();
        assertThat(anonymous.agent().maxTasks()).as("the server's default").isEqualTo(1);
        assertThat(anonymous.agent().roles()).isEmpty();
    }

    @Test
    void heartbeatRenewsTheSession() throws Exception {
        String id = unique("beat");
        Agent registered = hive.register(AgentSpec.withId(id)).agent();
        Thread.sleep(20);

        Agent beaten = hive.heartbeat(id);

        assertThat(beaten.status()).isEqualTo(AgentStatus.ACTIVE);
        assertThat(beaten.lastHeartbeat()).isAfter(registered.lastHeartbeat());
    }

    @Test
    void leavingReleasesTheAgentsLocksAndRequeuesItsTasks() {
        String id = unique("leaver");
        String workspace = unique("ws-leave");
        hive.register(AgentSpec.withId(id));
        Swarm swarm = hive.createSwarm(plan("leave", workspace, "[{\"id\": \"a\", \"max_attempts\": 2}]"));
        Task task = hive.claim(id, swarm.id(), Duration.ZERO).orElseThrow();
        assertThat(hive.acquire(LockRequest.of(id, "notes.md").inWorkspace(workspace)).isGranted()).isTrue();
        assertThat(hive.agent(id).currentTasks()).containsExactly(swarm.id() + "/" + task.id());

        Agent gone = hive.leave(id);

        assertThat(gone.status()).isEqualTo(AgentStatus.GONE);
        assertThat(gone.currentTasks()).isEmpty();
        assertThat(hive.locks(workspace)).isEmpty();
        Task back = hive.task(swarm.id(), "a");
        assertThat(back.status()).isEqualTo(TaskState.READY);
        assertThat(back.attempt()).isEqualTo(1);
        HiveApiException lost = catchThrowableOfType(HiveApiException.class, () -> hive.heartbeat(id));
        assertThat(lost.status()).as("a gone agent must register again").isEqualTo(409);
        assertThat(hive.register(AgentSpec.withId(id)).agent().status()).isEqualTo(AgentStatus.ACTIVE);
    }

    @Test
    void listsAndGetsAgents() {
        String id = unique("listed");
        hive.register(AgentSpec.withId(id).roles("qa"));

        assertThat(hive.agents()).extracting(Agent::id).contains(id);
        assertThat(hive.agent(id).roles()).containsExactly("qa");
    }

    @Test
    void unknownAgentIs404() {
        HiveApiException get = catchThrowableOfType(HiveApiException.class, () -> hive.agent("nobody-here"));
        assertThat(get.status()).isEqualTo(404);
        assertThat(get.detail()).contains("nobody-here");
        assertThat(catchThrowableOfType(HiveApiException.class, () -> hive.heartbeat("nobody-here")).status())
                .isEqualTo(404);
        assertThat(catchThrowableOfType(HiveApiException.class, () -> hive.claim("nobody-here", Duration.ZERO))
                .status()).isEqualTo(404);
    }
}
