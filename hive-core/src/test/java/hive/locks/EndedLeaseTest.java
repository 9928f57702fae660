package hive.locks;

import static org.assertj.core.api.Assertions.assertThat;

import hive.EngineTest;
import hive.Forbidden;
import hive.agents.Registration;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A lease that ended holds nothing, even before the sweep removes it: it cannot be renewed, kept
 * alive by a heartbeat, give its mode to a new request of its agent, or make a release forbidden.
 * Found by {@link LockPropertyTest} (ended leases were brought back to life, so two agents could
 * hold one file exclusively).
 */
class EndedLeaseTest extends EngineTest {

    private static final Duration SHORT = Duration.ofSeconds(5);
    private static final Duration LONG = Duration.ofSeconds(60);

    private AcquireResult acquire(String agent, LockMode mode, Duration ttl, String path) {
        return hive.acquire(new LockRequest(agent, "default", List.of(LockPath.parse(path)), mode, ttl, null));
    }

    /** The live locks on {@code a.txt}, as "agent/mode". */
    private List<String> liveHoldersOfA() {
        return hive.locks("default").stream().filter(l -> l.path().equals("a.txt"))
                .filter(l -> l.expiresAt().isAfter(clock.instant()))
                .map(l -> l.agentId() + "/" + l.mode().wire()).sorted().toList();
    }

    @Test
    void renewingAnEndedLeaseMustNotTakeBackWhatAnotherAgentNowHolds() {
        acquire("alice", LockMode.EXCLUSIVE, SHORT, "a.txt");
        clock.advance(SHORT);
        assertThat(acquire("bob", LockMode.EXCLUSIVE, LONG, "a.txt"))
                .as("alice's lease ended: bob may take the file").isInstanceOf(AcquireResult.Granted.class);

        hive.renew("alice", "default", null, LONG);

        assertThat(liveHoldersOfA()).as("only bob holds a.txt; alice's ended lease was brought back by renew")
                .containsExactly("bob/exclusive");
    }

    @Test
    void heartbeatMustNotBringBackAnEndedLease() {
        hive.register(Registration.of("alice"));
        acquire("alice", LockMode.EXCLUSIVE, SHORT, "a.txt");
        clock.advance(SHORT);
        assertThat(acquire("bob", LockMode.EXCLUSIVE, LONG, "a.txt")).isInstanceOf(AcquireResult.Granted.class);

        hive.heartbeat("alice");

        assertThat(liveHoldersOfA()).as("only bob holds a.txt; alice's heartbeat extended her ended lease")
                .containsExactly("bob/exclusive");
    }

    @Test
    void sharedRequestOverAnOwnEndedExclusiveLeaseIsGrantedShared() {
        acquire("alice", LockMode.EXCLUSIVE, SHORT, "a.txt");
        clock.advance(SHORT);
        assertThat(acquire("bob", LockMode.SHARED, LONG, "a.txt")).isInstanceOf(AcquireResult.Granted.class);

        AcquireResult again = acquire("alice", LockMode.SHARED, LONG, "a.txt");

        assertThat(again).as("shared beside bob's shared lock").isInstanceOf(AcquireResult.Granted.class);
        assertThat(liveHoldersOfA()).as("alice asked for shared; the exclusive mode of her ended lease came back"
                + " without a conflict check against bob's shared lock")
                .containsExactly("alice/shared", "bob/shared");
    }

    @Test
    void anEndedLeaseDoesNotMakeItsPathHeldByAnotherAgentForARelease() {
        acquire("alice", LockMode.EXCLUSIVE, SHORT, "a.txt");
        clock.advance(SHORT.multipliedBy(2));

        List<Lock> released;
        try {
            released = hive.release("bob", "default", List.of(LockPath.parse("a.txt")));
        } catch (Forbidden e) {
            throw new AssertionError("alice's lease on a.txt ended, so nobody holds it and releasing it is not"
                    + " forbidden; the engine still counts the ended lease: " + e.getMessage(), e);
        }

        assertThat(released).as("there is nothing to release").isEmpty();
    }
}
