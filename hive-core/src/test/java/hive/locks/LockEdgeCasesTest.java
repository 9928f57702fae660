package hive.locks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import hive.Conflict;
import hive.EngineTest;
import hive.Forbidden;
import hive.Hive;
import hive.Hives;
import hive.agents.AgentStatus;
import hive.agents.Registration;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Edge cases of the lock manager that {@link LockPropertyTest} runs into, pinned as examples. */
class LockEdgeCasesTest extends EngineTest {

    private static List<LockPath> paths(String... raw) {
        return Arrays.stream(raw).map(LockPath::parse).toList();
    }

    private AcquireResult acquire(String agent, String workspace, LockMode mode, int ttlS, String... raw) {
        return hive.acquire(new LockRequest(agent, workspace, paths(raw), mode, Duration.ofSeconds(ttlS), null));
    }

    private AcquireResult acquire(String agent, LockMode mode, int ttlS, String... raw) {
        return acquire(agent, "default", mode, ttlS, raw);
    }

    private static long granted(AcquireResult result) {
        assertThat(result).isInstanceOf(AcquireResult.Granted.class);
        return ((AcquireResult.Granted) result).token();
    }

    private static List<AcquireResult.Conflict> refused(AcquireResult result) {
        assertThat(result).isInstanceOf(AcquireResult.Conflicted.class);
        return ((AcquireResult.Conflicted) result).conflicts();
    }

    @Test
    void leaseEndsExactlyAtItsExpiresAtAndIsGrantedOverBeforeTheSweep() {
        granted(acquire("alice", LockMode.EXCLUSIVE, 5, "src/"));
        clock.advance(Duration.ofSeconds(4));
        assertThat(refused(acquire("bob", LockMode.SHARED, 30, "src/**/*.ts"))).singleElement()
                .satisfies(c -> assertThat(c.heldBy()).isEqualTo("alice"));

        clock.advance(Duration.ofSeconds(1));

        granted(acquire("bob", LockMode.EXCLUSIVE, 30, "src/**/*.ts"));
        assertThat(hive.locks("default")).as("the ended lease is listed until the sweep")
                .extracting(Lock::agentId).containsExactly("alice", "bob");
        assertThat(hive.sweep()).isEqualTo(1);
        assertThat(hive.locks("default")).extracting(Lock::agentId).containsExactly("bob");
    }

    @Test
    void conflictsNameOnlyLiveLeases() {
        granted(acquire("alice", LockMode.EXCLUSIVE, 5, "*.md"));
        granted(acquire("carol", LockMode.EXCLUSIVE, 60, "docs/"));
        clock.advance(Duration.ofSeconds(10));

        List<AcquireResult.Conflict> conflicts = refused(acquire("bob", LockMode.EXCLUSIVE, 30, "**"));

        assertThat(conflicts).as("alice's lease on *.md ended").extracting(AcquireResult.Conflict::heldBy)
                .containsExactly("carol");
    }

    @Test
    void askingAgainInSharedModeKeepsExclusiveWithANewToken() {
        long first = granted(acquire("alice", LockMode.EXCLUSIVE, 60, "a.txt"));

        long second = granted(acquire("alice", LockMode.SHARED, 10, "a.txt"));

        assertThat(second).isGreaterThan(first);
        assertThat(hive.locks("default")).singleElement().satisfies(l -> {
            assertThat(l.mode()).as("the stronger of the two modes").isEqualTo(LockMode.EXCLUSIVE);
            assertThat(l.token()).isEqualTo(second);
            assertThat(l.expiresAt()).as("a shorter ttl does not shorten the lease")
                    .isEqualTo(clock.instant().plusSeconds(60));
        });
    }

    @Test
    void upgradeToExclusiveIsRefusedWhileAnotherAgentSharesAndChangesNothing() {
        granted(acquire("alice", LockMode.SHARED, 60, "docs/"));
        granted(acquire("bob", LockMode.SHARED, 60, "docs/d.md"));
        List<Lock> before = hive.locks(null);

        List<AcquireResult.Conflict> conflicts = refused(acquire("alice", LockMode.EXCLUSIVE, 60, "a.txt", "docs/"));

        assertThat(conflicts).singleElement().satisfies(c -> {
            assertThat(c.path()).isEqualTo("docs/");
            assertThat(c.heldBy()).isEqualTo("bob");
        });
        assertThat(hive.locks(null)).as("not even a.txt was taken").isEqualTo(before);
    }

    @Test
    void anAgentsOwnLocksNeverStandInItsWay() {
        granted(acquire("alice", LockMode.EXCLUSIVE, 60, "src/"));

        granted(acquire("alice", LockMode.SHARED, 60, "src/x.ts", "src/**/*.ts", "**"));

        assertThat(hive.locks("default")).extracting(Lock::path)
                .containsExactly("**", "src/", "src/**/*.ts", "src/x.ts");
    }

    @Test
    void releaseIsAllOrNothingWhenOnePathIsAnotherAgentsLock() {
        granted(acquire("alice", LockMode.EXCLUSIVE, 60, "a.txt", "src/x.ts"));
        granted(acquire("bob", LockMode.EXCLUSIVE, 60, "docs/d.md"));

        assertThatThrownBy(() -> hive.release("alice", "default", paths("a.txt", "docs/d.md")))
                .isInstanceOf(Forbidden.class).hasMessageContaining("bob");

        assertThat(hive.locks("default")).extracting(Lock::path).as("a.txt is still alice's")
                .containsExactly("a.txt", "docs/d.md", "src/x.ts");
    }

    @Test
    void releasingAPathCoveredByAnotherAgentsLockIsNotForbidden() {
        granted(acquire("alice", LockMode.EXCLUSIVE, 60, "src/"));

        assertThat(hive.release("bob", "default", paths("src/x.ts", "src"))).as("bob names paths, not alice's lock")
                .isEmpty();
        assertThat(hive.locks("default")).extracting(Lock::agentId).containsExactly("alice");
    }

    @Test
    void releaseAndRenewWithoutPathsActOnEveryWorkspace() {
        long mine = granted(acquire("alice", "default", LockMode.EXCLUSIVE, 10, "a.txt"));
        long other = granted(acquire("alice", "other", LockMode.SHARED, 10, "a.txt"));
        clock.advance(Duration.ofSeconds(5));

        assertThat(hive.renew("alice", "default", null, Duration.ofSeconds(30))).extracting(Lock::token)
                .containsExactlyInAnyOrder(mine, other);
        assertThat(hive.release("alice", "default", null)).extracting(Lock::workspace)
                .containsExactlyInAnyOrder("default", "other");
        assertThat(hive.locks(null)).isEmpty();
    }

    @Test
    void globsAndPatternsOutsideAllowedPathsAreForbiddenAndChangeNothing() {
        hive.register(new Registration("front", null, Set.of(), 1, List.of("src/**")));
        Instant heard = hive.agent("front").lastHeartbeat();
        clock.advance(Duration.ofSeconds(10));

        granted(acquire("front", LockMode.EXCLUSIVE, 60, "src/", "src/**/*.ts", "src/x.ts"));
        Instant granted = hive.agent("front").lastHeartbeat();
        clock.advance(Duration.ofSeconds(10));

        for (String outside : List.of("*.md", "**", "docs/", "a.txt")) {
            assertThatThrownBy(() -> acquire("front", LockMode.SHARED, 60, "src/y.ts", outside))
                    .as(outside).isInstanceOf(Forbidden.class).hasMessageContaining(outside);
        }
        assertThat(granted).isAfter(heard);
        assertThat(hive.agent("front").lastHeartbeat()).as("a forbidden request changed nothing, not even the"
                + " session").isEqualTo(granted);
        assertThat(hive.locks("default")).extracting(Lock::path).containsExactly("src/", "src/**/*.ts", "src/x.ts");
    }

    @Test
    void lostAgentMayNotLockUntilItRegistersAgain() {
        hive.register(Registration.of("flaky"));
        granted(acquire("flaky", LockMode.EXCLUSIVE, 600, "a.txt"));
        clock.advance(Hive.DEFAULT_SESSION_TIMEOUT);
        hive.sweep();
        assertThat(hive.agent("flaky").status()).isEqualTo(AgentStatus.LOST);
        assertThat(hive.locks(null)).as("a lost agent holds nothing").isEmpty();

        assertThatThrownBy(() -> acquire("flaky", LockMode.EXCLUSIVE, 60, "a.txt")).isInstanceOf(Conflict.class);
        assertThatThrownBy(() -> hive.renew("flaky", "default", null, Duration.ofSeconds(60)))
                .isInstanceOf(Conflict.class);
        assertThatThrownBy(() -> hive.release("flaky", "default", null)).isInstanceOf(Conflict.class);

        hive.register(Registration.of("flaky"));
        granted(acquire("flaky", LockMode.EXCLUSIVE, 60, "a.txt"));
    }

    @Test
    void goneAgentHoldsNothingInAnyWorkspace() {
        hive.register(Registration.of("leaver"));
        granted(acquire("leaver", "default", LockMode.EXCLUSIVE, 60, "src/"));
        granted(acquire("leaver", "other", LockMode.SHARED, 60, "**"));

        hive.leave("leaver");

        assertThat(hive.locks(null)).isEmpty();
        granted(acquire("bob", LockMode.EXCLUSIVE, 60, "src/x.ts"));
    }

    @Test
    void renewalsKeepTheirTokensAndGrantsAfterAReopenGoOnGrowing() {
        long first = granted(acquire("alice", LockMode.EXCLUSIVE, 30, "a.txt"));
        hive.close();
        hive = Hives.open(dir, clock);

        assertThat(hive.renew("alice", "default", paths("a.txt"), Duration.ofSeconds(60))).singleElement()
                .extracting(Lock::token).isEqualTo(first);
        hive.close();
        hive = Hives.open(dir, clock);

        long next = granted(acquire("bob", LockMode.EXCLUSIVE, 30, "b.txt"));
        assertThat(next).isGreaterThan(first);
        assertThat(hive.locks("default")).extracting(Lock::token).containsExactly(first, next);
    }
}
