package hive.locks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import hive.EngineTest;
import hive.Forbidden;
import hive.Hive;
import hive.Hives;
import hive.agents.AgentProfile;
import hive.agents.Registration;
import hive.schedule.Task;
import hive.schedule.TaskState;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LockTableTest extends EngineTest {

    private static List<LockPath> paths(String... raw) {
        return Arrays.stream(raw).map(LockPath::parse).toList();
    }

    private AcquireResult acquire(String agent, LockMode mode, String... raw) {
        return hive.acquire(new LockRequest(agent, "default", paths(raw), mode, Duration.ofSeconds(60), null));
    }

    private long granted(AcquireResult result) {
        assertThat(result).isInstanceOf(AcquireResult.Granted.class);
        return ((AcquireResult.Granted) result).token();
    }

    private List<AcquireResult.Conflict> refused(AcquireResult result) {
        assertThat(result).isInstanceOf(AcquireResult.Conflicted.class);
        return ((AcquireResult.Conflicted) result).conflicts();
    }

    @Test
    void exclusiveLockRefusesAnotherAgentAndNamesTheHolder() {
        granted(acquire("alice", LockMode.EXCLUSIVE, "src/types.ts"));

        List<AcquireResult.Conflict> conflicts = refused(acquire("bob", LockMode.EXCLUSIVE, "./src//types.ts"));

        assertThat(conflicts).singleElement().satisfies(c -> {
            assertThat(c.path()).isEqualTo("src/types.ts");
            assertThat(c.heldBy()).isEqualTo("alice");
            assertThat(c.expiresAt()).isEqualTo(clock.instant().plusSeconds(60));
        });
    }

    @Test
    void sharedLocksAreCompatibleOnlyWithShared() {
        granted(acquire("alice", LockMode.SHARED, "docs/"));
        granted(acquire("bob", LockMode.SHARED, "docs/intro.md"));

        refused(acquire("carol", LockMode.EXCLUSIVE, "docs/intro.md"));
        refused(acquire("carol", LockMode.EXCLUSIVE, "docs/"));
    }

    @Test
    void directoriesAndGlobsCoverWhatIsBelowThem() {
        granted(acquire("alice", LockMode.EXCLUSIVE, "src/"));
        refused(acquire("bob", LockMode.EXCLUSIVE, "src/a/b.ts"));
        granted(acquire("bob", LockMode.EXCLUSIVE, "docs/a.md"));

        granted(acquire("carol", LockMode.EXCLUSIVE, "web/**/*.css"));
        refused(acquire("dave", LockMode.EXCLUSIVE, "web/theme/site.css"));
        granted(acquire("dave", LockMode.EXCLUSIVE, "assets/site.css"));
        assertThat(refused(acquire("dave", LockMode.EXCLUSIVE, "web/theme/site.js")))
                .as("a plain path may be a folder: web/theme/site.js/x.css would match the glob").isNotEmpty();
    }

    @Test
    void refusedRequestHoldsNothing() {
        granted(acquire("alice", LockMode.EXCLUSIVE, "b.txt"));

        refused(acquire("bob", LockMode.EXCLUSIVE, "a.txt", "b.txt"));

        assertThat(hive.locks("default")).extracting(Lock::agentId).containsOnly("alice");
        granted(acquire("carol", LockMode.EXCLUSIVE, "a.txt"));
    }

    @Test
    void reacquiringRenewsAndEveryGrantHasALargerToken() {
        long first = granted(acquire("alice", LockMode.EXCLUSIVE, "a.txt"));
        clock.advance(Duration.ofSeconds(30));

        long second = granted(acquire("alice", LockMode.EXCLUSIVE, "a.txt"));
        long third = granted(acquire("bob", LockMode.EXCLUSIVE, "b.txt"));

        assertThat(second).isGreaterThan(first);
        assertThat(third).isGreaterThan(second);
        assertThat(hive.locks("default")).filteredOn(l -> l.agentId().equals("alice")).singleElement()
                .satisfies(l -> assertThat(l.expiresAt()).isEqualTo(clock.instant().plusSeconds(60)));
    }

    @Test
    void tokensKeepGrowingAfterAReopen() {
        long before = granted(acquire("alice", LockMode.EXCLUSIVE, "a.txt"));
        hive.close();
        hive = Hives.open(dir, clock);

        assertThat(hive.locks("default")).extracting(Lock::path).containsExactly("a.txt");
        assertThat(granted(acquire("bob", LockMode.EXCLUSIVE, "b.txt"))).isGreaterThan(before);
    }

    @Test
    void releaseOneSeveralOrAllAndNeverAnotherAgentsLock() {
        granted(acquire("alice", LockMode.EXCLUSIVE, "a", "b", "c"));
        granted(acquire("bob", LockMode.EXCLUSIVE, "z"));

        assertThat(hive.release("alice", "default", paths("a"))).extracting(Lock::path).containsExactly("a");
        assertThatThrownBy(() -> hive.release("alice", "default", paths("z"))).isInstanceOf(Forbidden.class)
                .hasMessageContaining("bob");
        assertThat(hive.release("alice", "default", null)).extracting(Lock::path).containsExactlyInAnyOrder("b", "c");
        assertThat(hive.locks(null)).extracting(Lock::agentId).containsOnly("bob");
    }

    @Test
    void expiredLeaseIsBrokenAndThePathIsFreeAgain() {
        granted(acquire("alice", LockMode.EXCLUSIVE, "a.txt"));
        clock.advance(Duration.ofSeconds(60));

        granted(acquire("bob", LockMode.EXCLUSIVE, "a.txt"));
        hive.sweep();

        assertThat(hive.locks("default")).extracting(Lock::agentId).containsExactly("bob");
        assertThat(hive.lockStats().locksExpired()).isEqualTo(1);
    }

    @Test
    void renewKeepsTheTokenAndPushesTheEnd() {
        long token = granted(acquire("alice", LockMode.EXCLUSIVE, "a.txt"));
        clock.advance(Duration.ofSeconds(50));

        List<Lock> renewed = hive.renew("alice", "default", null, Duration.ofSeconds(120));

        assertThat(renewed).singleElement().satisfies(l -> {
            assertThat(l.token()).isEqualTo(token);
            assertThat(l.expiresAt()).isEqualTo(clock.instant().plusSeconds(120));
        });
    }

    @Test
    void claimLocksTheTaskFilesAndSkipsTasksWhoseFilesAreHeld() {
        String id = swarm("""
                name: files
                tasks:
                  - {id: types, files: [src/types.ts], priority: 2}
                  - {id: also-types, files: ["src/**"], priority: 1}
                  - {id: docs, files: [docs/]}
                """);
        AgentProfile bob = AgentProfile.of("bob");

        Task first = hive.claim(alice, id).orElseThrow();
        Task second = hive.claim(bob, id).orElseThrow();

        assertThat(first.id()).isEqualTo("types");
        assertThat(second.id()).as("also-types overlaps the held file").isEqualTo("docs");
        assertThat(hive.readiness(id, "also-types", AgentProfile.of("carol")).reason())
                .contains("src/types.ts").contains("alice");
        assertThat(hive.locks("default")).extracting(Lock::taskId)
                .containsExactlyInAnyOrder(id + "/types", id + "/docs");
        assertThat(hive.progress(id).conflictStats().activeLocks()).isEqualTo(2);
        assertThat(hive.progress(id).conflictStats().lockedFiles()).containsExactly("docs/", "src/types.ts");

        hive.complete(id, "types", "alice", null);

        assertThat(hive.claim(AgentProfile.of("carol"), id)).get().extracting(Task::id).isEqualTo("also-types");
    }

    @Test
    void failedOrTimedOutTaskReleasesItsFiles() {
        String id = swarm("""
                name: files
                tasks:
                  - {id: a, files: [x.txt], max_attempts: 2, backoff_s: 0, timeout_s: 30}
                """);
        hive.claim(alice, id).orElseThrow();
        hive.fail(id, "a", "alice", "oops", true);
        assertThat(hive.locks("default")).isEmpty();

        hive.claim(alice, id).orElseThrow();
        clock.advance(Duration.ofSeconds(30));
        hive.sweep();

        assertThat(hive.task(id, "a").status()).isEqualTo(TaskState.FAILED);
        assertThat(hive.locks("default")).isEmpty();
    }

    @Test
    void lostAgentLosesItsLocksAndAWaitingPathIsFree() {
        hive.register(Registration.of("ghost"));
        granted(acquire("ghost", LockMode.EXCLUSIVE, "src/"));
        refused(acquire("bob", LockMode.EXCLUSIVE, "src/main.c"));

        clock.advance(Hive.DEFAULT_SESSION_TIMEOUT);
        hive.sweep();

        assertThat(hive.locks("default")).isEmpty();
        granted(acquire("bob", LockMode.EXCLUSIVE, "src/main.c"));
    }

    @Test
    void heartbeatKeepsTheAgentsLocksAlive() {
        hive.register(Registration.of("busy"));
        hive.acquire(new LockRequest("busy", "default", paths("a.txt"), LockMode.EXCLUSIVE, Duration.ofSeconds(10),
                null));

        clock.advance(Duration.ofSeconds(9));
        hive.heartbeat("busy");
        clock.advance(Duration.ofSeconds(30));
        hive.sweep();

        assertThat(hive.locks("default")).extracting(Lock::agentId).containsExactly("busy");
    }

    @Test
    void agentMayLockOnlyWithinItsAllowedPaths() {
        hive.register(new Registration("front", null, Set.of(), 1, List.of("web/**")));

        granted(acquire("front", LockMode.EXCLUSIVE, "web/app.js", "web/css/"));

        assertThatThrownBy(() -> acquire("front", LockMode.EXCLUSIVE, "server/main.go"))
                .isInstanceOf(Forbidden.class).hasMessageContaining("server/main.go");
        assertThatThrownBy(() -> acquire("front", LockMode.EXCLUSIVE, "*.js"))
                .as("a glob reaching outside web/").isInstanceOf(Forbidden.class);
    }

    @Test
    void workspacesDoNotContend() {
        granted(acquire("alice", LockMode.EXCLUSIVE, "a.txt"));

        granted(hive.acquire(new LockRequest("bob", "other", paths("a.txt"), LockMode.EXCLUSIVE,
                Duration.ofSeconds(60), null)));
    }

    @Test
    void badPathsAreRefusedBeforeAnythingHappens() {
        assertThatThrownBy(() -> LockRequest.exclusive("alice", "/etc/passwd"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LockRequest.exclusive("alice", "../outside"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LockRequest.exclusive("alice"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
