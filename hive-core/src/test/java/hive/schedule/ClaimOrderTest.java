package hive.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import hive.Hive;
import hive.Hives;
import hive.TestClock;
import hive.agents.AgentProfile;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A retry whose backoff has passed competes for claims as a ready task, by priority then age,
 * whether or not the sweep has promoted it yet. Found by {@link SchedulerPropertyTest}.
 */
class ClaimOrderTest {

    @TempDir
    Path dir;
    TestClock clock = new TestClock();
    Hive hive;
    AgentProfile alice = AgentProfile.of("alice");

    @BeforeEach
    void open() {
        hive = Hives.open(dir, clock);
    }

    @AfterEach
    void close() {
        hive.close();
    }

    /**
     * API.md, "Task states": a failed attempt with attempts left is pending "until its backoff
     * passes (not_before), then ready"; claim "hands out the highest-priority ready task". Once
     * {@code urgent}'s backoff has passed it is ready and outranks {@code chore}. The engine makes
     * due retries ready during a claim only when no ready task fits the agent, so it hands out
     * {@code chore} and leaves {@code urgent} pending until the next sweep.
     */
    @Test
    void claimPrefersADueRetryOfHigherPriorityOverALowerReadyTask() {
        String id = hive.createSwarm(Hives.yaml("""
                name: due-retry
                tasks:
                  - {id: urgent, priority: 5, max_attempts: 2, backoff_s: 1}
                  - {id: chore, priority: 0}
                """)).id();
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
        String id = hive.createSwarm(Hives.yaml("""
                name: due-retry-age
                tasks:
                  - {id: first, max_attempts: 2, backoff_s: 1}
                  - {id: second}
                """)).id();
        hive.claim(alice, id);
        hive.fail(id, "first", "alice", "flaky", true);
        clock.advance(Duration.ofSeconds(2));

        assertThat(hive.claim(alice, id)).get().extracting(Task::id).isEqualTo("first");
    }
}
