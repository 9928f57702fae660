package hive.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import hive.Conflict;
import hive.EngineTest;
import hive.Hives;
import hive.agents.AgentProfile;
import hive.events.Event;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Edge cases that {@link SchedulerPropertyTest} exercises, pinned as readable examples. */
class SchedulerEdgeCasesTest extends EngineTest {


    @Test
    void blockedByNamesEveryFailedRootReachedThroughBlockedTasks() {
        String id = swarm("""
                name: roots
                tasks:
                  - {id: a}
                  - {id: b}
                  - {id: mid, depends_on: [a]}
                  - {id: top, depends_on: [mid, b]}
                """);
        AgentProfile two = new AgentProfile("two", java.util.Set.of(), 2);
        hive.claim(two, id);
        hive.claim(two, id);
        hive.fail(id, "a", "two", "x", false);
        hive.fail(id, "b", "two", "y", false);

        assertThat(hive.task(id, "mid").blockedBy()).containsExactly("a");
        assertThat(hive.task(id, "top").blockedBy()).containsExactlyInAnyOrder("a", "b");

        hive.retry(id, "b");

        assertThat(hive.task(id, "top").status()).isEqualTo(TaskState.BLOCKED);
        assertThat(hive.task(id, "top").blockedBy()).containsExactly("a");
        assertThat(hive.swarm(id).status()).isEqualTo(SwarmStatus.RUNNING);
    }

    @Test
    void refusedStartLeavesDueRetriesAndEventsAsTheyWere() {
        String id = swarm("""
                name: refused
                tasks:
                  - {id: flaky, max_attempts: 2, backoff_s: 1}
                  - {id: later, depends_on: [flaky]}
                """);
        hive.claim(alice, id);
        hive.fail(id, "flaky", "alice", "net", true);
        clock.advance(Duration.ofSeconds(2));
        long events = hive.events(id, 0, 1000).size();

        assertThatThrownBy(() -> hive.start(id, "later", alice)).isInstanceOf(Conflict.class);

        assertThat(hive.task(id, "flaky").status()).isEqualTo(TaskState.PENDING);
        assertThat(hive.events(id, 0, 1000)).hasSize((int) events);
    }

    @Test
    void sweepReadiesEveryDueRetryAndTimesOutTheLastAttemptForGood() {
        String id = swarm("""
                name: sweep
                tasks:
                  - {id: flaky, max_attempts: 2, backoff_s: 1}
                  - {id: slow, timeout_s: 5}
                  - {id: after, depends_on: [slow]}
                """);
        AgentProfile two = new AgentProfile("two", java.util.Set.of(), 2);
        hive.claim(two, id);
        hive.claim(two, id);
        hive.fail(id, "flaky", "two", "net", true);
        clock.advance(Duration.ofSeconds(5));

        assertThat(hive.sweep()).isEqualTo(2);

        assertThat(hive.task(id, "flaky").status()).isEqualTo(TaskState.READY);
        assertThat(hive.task(id, "slow").status()).isEqualTo(TaskState.FAILED);
        assertThat(hive.task(id, "slow").error()).isEqualTo("timed out after 5 s (attempt 1 of 1)");
        assertThat(hive.task(id, "after").blockedBy()).containsExactly("slow");
        assertThat(hive.events(id, 4, 100)).extracting(Event::type)
                .containsExactly("task_ready", "task_timed_out", "task_failed", "task_blocked");
    }

    @Test
    void cancellingAFailedSwarmCancelsItsBlockedTasksAndRefusesRetries() {
        String id = swarm("""
                name: cancel-failed
                tasks:
                  - {id: root}
                  - {id: child, depends_on: [root]}
                """);
        hive.claim(alice, id);
        hive.fail(id, "root", "alice", "x", false);
        assertThat(hive.swarm(id).status()).isEqualTo(SwarmStatus.FAILED);
        assertThatThrownBy(() -> hive.pause(id)).isInstanceOf(Conflict.class);

        hive.cancel(id);

        assertThat(hive.tasks(id)).extracting(Task::status).containsExactly(TaskState.FAILED, TaskState.CANCELLED);
        assertThat(hive.progress(id).cancelled()).isEqualTo(1);
        assertThatThrownBy(() -> hive.retry(id, "root")).isInstanceOf(Conflict.class);
        assertThatThrownBy(() -> hive.resume(id)).isInstanceOf(Conflict.class);
    }

    @Test
    void retryOfAFailedSwarmRunsItAgainWithAnEvent() {
        String id = swarm("""
                name: rerun
                tasks:
                  - {id: only}
                """);
        hive.claim(alice, id);
        hive.fail(id, "only", "alice", "x", false);

        hive.retry(id, "only");

        assertThat(hive.swarm(id).status()).isEqualTo(SwarmStatus.RUNNING);
        List<Event> events = hive.events(id, 0, 100);
        assertThat(events).extracting(Event::type).endsWith("swarm_failed", "task_retried", "swarm_running");
    }

    @Test
    void reopeningKeepsABackoffAndTheAgentsRunningTasks() {
        String id = swarm("""
                name: reopen
                tasks:
                  - {id: flaky, max_attempts: 2, backoff_s: 3}
                  - {id: busy}
                  - {id: idle}
                """);
        AgentProfile two = new AgentProfile("two", java.util.Set.of(), 2);
        hive.claim(two, id);
        hive.claim(two, id);
        hive.fail(id, "flaky", "two", "net", true);
        Task before = hive.task(id, "flaky");
        hive.close();

        hive = Hives.open(dir, clock);

        assertThat(hive.task(id, "flaky")).isEqualTo(before);
        assertThat(hive.claim(two, id)).get().extracting(Task::id).isEqualTo("idle");
        assertThat(hive.claim(two, id)).as("two already holds busy and idle").isEmpty();
    }
}
