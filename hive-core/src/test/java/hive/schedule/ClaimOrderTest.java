package hive.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import hive.EngineTest;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A retry whose backoff has passed competes for claims as a ready task, by priority then age,
 * whether or not the sweep has promoted it yet. Found by {@link SchedulerPropertyTest}.
 */
class ClaimOrderTest extends EngineTest {


    /**
     * API.md, "Task states": a failed attempt with attempts left is pending "until its backoff
     * passes (not_before), then ready"; claim "hands out the highest-priority ready task". Once
     * {@code urgent}'s backoff has passed it is ready and outranks {@code chore}, even before a
     * sweep has promoted it.
     */
    @Test
    void claimPrefersADueRetryOfHigherPriorityOverALowerReadyTask() {
        String id = swarm("""
                name: due-retry
                tasks:
                  - {id: urgent, priority: 5, max_attempts: 2, backoff_s: 1}
                  - {id: chore, priority: 0}
                """);
        assertThat(hive.claim(alice, id)).get().extracting(Task::id).isEqualTo("urgent");
        hive.fail(id, "urgent", "alice", "flaky", true);
        clock.advance(Duration.ofSeconds(2));

        assertThat(hive.claim(alice, id)).get().extracting(Task::id)
                .as("the due retry outranks the lower-priority ready task")
                .isEqualTo("urgent");
    }

    /** The same, with equal priorities: a due retry that is older (earlier in the plan) goes first. */
    @Test
    void claimPrefersAnOlderDueRetryOverAYoungerReadyTaskOfEqualPriority() {
        String id = swarm("""
                name: due-retry-age
                tasks:
                  - {id: first, max_attempts: 2, backoff_s: 1}
                  - {id: second}
                """);
        hive.claim(alice, id);
        hive.fail(id, "first", "alice", "flaky", true);
        clock.advance(Duration.ofSeconds(2));

        assertThat(hive.claim(alice, id)).get().extracting(Task::id).isEqualTo("first");
    }
}
