package hive.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Locks end to end: grants, conflicts and deadlocks as results, waits woken by releases, renewals. */
class LocksTest extends LiveServer {

    private String agent(String prefix) {
        return hive.register(AgentSpec.withId(unique(prefix))).id();
    }

    @Test
    void acquireGrantsEveryPathWithAGrowingFencingToken() {
        String a = agent("granted");
        String workspace = unique("ws-grant");

        LockResult first = hive.acquire(LockRequest.of(a, "src/main.py", "./docs//readme.md").inWorkspace(workspace)
                .ttl(Duration.ofMinutes(5)).forTask("t-1"));
        LockResult second = hive.acquire(LockRequest.of(a, "build/").inWorkspace(workspace));

        LockResult.Granted granted = (LockResult.Granted) first;
        assertThat(granted.locks()).extracting(Lock::path).containsExactlyInAnyOrder("src/main.py", "docs/readme.md");
        assertThat(granted.locks()).allSatisfy(lock -> {
            assertThat(lock.agentId()).isEqualTo(a);
            assertThat(lock.workspace()).isEqualTo(workspace);
            assertThat(lock.mode()).isEqualTo(LockMode.EXCLUSIVE);
            assertThat(lock.taskId()).isEqualTo("t-1");
            assertThat(lock.token()).isEqualTo(granted.token());
            assertThat(lock.expiresAt()).isBetween(lock.acquiredAt().plusSeconds(290), lock.acquiredAt().plusSeconds(310));
        });
        assertThat(((LockResult.Granted) second).token()).isGreaterThan(granted.token());
        assertThat(hive.locks(workspace)).hasSize(3);
        assertThat(hive.locks()).extracting(Lock::workspace).contains(workspace);
    }

    @Test
    void reacquiringWhatTheAgentHoldsIsGranted() {
        String a = agent("reentrant");
        String workspace = unique("ws-reentrant");
        hive.acquire(LockRequest.of(a, "x.txt").inWorkspace(workspace));

        LockResult again = hive.acquire(LockRequest.of(a, "x.txt").inWorkspace(workspace));

        assertThat(again).isInstanceOf(LockResult.Granted.class);
        assertThat(hive.locks(workspace)).hasSize(1);
    }

    @Test
    void heldPathsAreAConflictResultNamingTheHolderNotAnException() {
        String holder = agent("holder");
        String other = agent("other");
        String workspace = unique("ws-conflict");
        hive.acquire(LockRequest.of(holder, "src/").inWorkspace(workspace));

        LockResult result = hive.acquire(LockRequest.of(other, "src/app/main.py", "README.md").inWorkspace(workspace));

        assertThat(result).isInstanceOf(LockResult.Conflicted.class);
        LockConflict conflict = ((LockResult.Conflicted) result).conflicts().getFirst();
        assertThat(conflict.path()).isEqualTo("src/app/main.py");
        assertThat(conflict.heldBy()).isEqualTo(holder);
        assertThat(conflict.heldPath()).isEqualTo("src/");
        assertThat(conflict.mode()).isEqualTo(LockMode.EXCLUSIVE);
        assertThat(conflict.expiresAt()).isAfter(Instant.now());
        assertThat(conflict.queued()).isFalse();
        assertThat(hive.locks(workspace)).as("all or nothing: README.md was not taken")
                .extracting(Lock::agentId).containsOnly(holder);
    }

    @Test
    void sharedLocksAreCompatibleOnlyWithShared() {
        String a = agent("reader-a");
        String b = agent("reader-b");
        String c = agent("writer");
        String workspace = unique("ws-shared");

        assertThat(hive.acquire(LockRequest.of(a, "docs/").shared().inWorkspace(workspace)).isGranted()).isTrue();
        assertThat(hive.acquire(LockRequest.of(b, "docs/").mode(LockMode.SHARED).inWorkspace(workspace)).isGranted())
                .isTrue();
        LockResult write = hive.acquire(LockRequest.of(c, "docs/guide.md").inWorkspace(workspace));

        assertThat(write).isInstanceOfSatisfying(LockResult.Conflicted.class, conflicted ->
                assertThat(conflicted.conflicts()).extracting(LockConflict::heldBy).contains(a, b));
        assertThat(hive.locks(workspace)).extracting(Lock::mode).containsOnly(LockMode.SHARED);
    }

    @Test
    void lockWaitIsWokenByARelease() throws Exception {
        String holder = agent("release-holder");
        String waiter = agent("release-waiter");
        String workspace = unique("ws-wait");
        hive.acquire(LockRequest.of(holder, "db/schema.sql").inWorkspace(workspace));
        Duration wait = Duration.ofSeconds(30);

        // given a request that waits on the server for a held file
        long started = System.nanoTime();
        CompletableFuture<LockResult> waiting = CompletableFuture.supplyAsync(() -> hive.acquire(
                LockRequest.of(waiter, "db/schema.sql").inWorkspace(workspace).waitUpTo(wait)));
        Thread.sleep(300);
        assertThat(waiting).as("the request waits while the file is held").isNotDone();

        // when another client releases the file
        try (HiveClient other = HiveClient.connect(server.url())) {
            assertThat(other.release(holder, workspace, List.of("db/schema.sql"))).hasSize(1);
        }

        // then the waiting request is granted, long before its wait ends
        LockResult result = waiting.get(15, TimeUnit.SECONDS);
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        assertThat(result).isInstanceOfSatisfying(LockResult.Granted.class, granted ->
                assertThat(granted.locks()).singleElement().extracting(Lock::agentId).isEqualTo(waiter));
        assertThat(tookMs).as("woken by the release, not by the end of its %s wait", wait).isLessThan(15_000);
        assertThat(hive.stats().waitsGranted()).isPositive();
    }

    @Test
    void lockWaitThatTimesOutAnswersTheConflictsStillInTheWay() {
        String holder = agent("timeout-holder");
        String waiter = agent("timeout-waiter");
        String workspace = unique("ws-timeout");
        hive.acquire(LockRequest.of(holder, "a.txt").inWorkspace(workspace));

        long started = System.nanoTime();
        LockResult result = hive.acquire(LockRequest.of(waiter, "a.txt").inWorkspace(workspace)
                .waitUpTo(Duration.ofMillis(500)));

        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)).isGreaterThanOrEqualTo(400);
        assertThat(result).isInstanceOfSatisfying(LockResult.Conflicted.class, c ->
                assertThat(c.conflicts()).extracting(LockConflict::heldBy).containsExactly(holder));
    }

    @Test
    void waitThatWouldCloseACycleIsADeadlockResult() throws Exception {
        String a = agent("cycle-a");
        String b = agent("cycle-b");
        String workspace = unique("ws-deadlock");
        hive.acquire(LockRequest.of(a, "x").inWorkspace(workspace));
        hive.acquire(LockRequest.of(b, "y").inWorkspace(workspace));
        long deadlocksBefore = hive.stats().deadlocksRefused();

        // a waits for y, held by b
        CompletableFuture<LockResult> aWaits = CompletableFuture.supplyAsync(() -> hive.acquire(
                LockRequest.of(a, "y").inWorkspace(workspace).waitUpTo(Duration.ofSeconds(30))));
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> hive.stats().locks().waiting() > 0);

        // b waiting for x, held by a, would close the cycle
        LockResult bWaits = hive.acquire(LockRequest.of(b, "x").inWorkspace(workspace).waitUpTo(Duration.ofSeconds(30)));

        assertThat(bWaits).isInstanceOfSatisfying(LockResult.Deadlocked.class, d ->
                assertThat(d.cycle()).containsExactly(b, a));
        assertThat(bWaits.isGranted()).isFalse();
        assertThat(hive.stats().deadlocksRefused()).isGreaterThan(deadlocksBefore);

        // b backs off: a gets y
        hive.releaseAll(b);
        assertThat(aWaits.get(15, TimeUnit.SECONDS).isGranted()).isTrue();
    }

    @Test
    void releasesPathsOrEverythingButNeverAnotherAgentsLock() {
        String a = agent("releaser");
        String b = agent("bystander");
        String workspace = unique("ws-release");
        String elsewhere = unique("ws-elsewhere");
        hive.acquire(LockRequest.of(a, "one", "two").inWorkspace(workspace));
        hive.acquire(LockRequest.of(a, "three").inWorkspace(elsewhere));
        hive.acquire(LockRequest.of(b, "mine").inWorkspace(workspace));

        HiveApiException forbidden = catchThrowableOfType(HiveApiException.class,
                () -> hive.release(a, workspace, List.of("mine")));
        assertThat(forbidden.status()).isEqualTo(403);
        assertThat(forbidden.detail()).contains(b);

        assertThat(hive.release(a, workspace, List.of("one"))).extracting(Lock::path).containsExactly("one");
        assertThat(hive.releaseAll(a)).extracting(Lock::path).containsExactlyInAnyOrder("two", "three");
        assertThat(hive.locks(workspace)).extracting(Lock::agentId).containsExactly(b);
        assertThat(hive.locks(elsewhere)).isEmpty();

        String defaultPath = unique("default-path");
        hive.acquire(LockRequest.of(a, defaultPath));
        assertThat(hive.release(a, List.of(defaultPath))).extracting(Lock::workspace).containsExactly("default");
    }

    @Test
    void renewalExtendsTheLeaseAndKeepsTheToken() {
        String a = agent("renewer");
        String workspace = unique("ws-renew");
        LockResult.Granted granted = (LockResult.Granted) hive.acquire(LockRequest.of(a, "f1", "f2")
                .inWorkspace(workspace).ttl(Duration.ofSeconds(30)));
        Instant firstExpiry = granted.locks().getFirst().expiresAt();

        List<Lock> renewed = hive.renew(a, workspace, List.of("f1"), Duration.ofMinutes(10));

        assertThat(renewed).singleElement().satisfies(lock -> {
            assertThat(lock.path()).isEqualTo("f1");
            assertThat(lock.token()).isEqualTo(granted.token());
            assertThat(lock.expiresAt()).isAfter(firstExpiry.plusSeconds(500));
        });
        assertThat(hive.renewAll(a, null)).extracting(Lock::path).containsExactlyInAnyOrder("f1", "f2");

        String defaultPath = unique("renew-default");
        hive.acquire(LockRequest.of(a, defaultPath).ttl(Duration.ofSeconds(30)));
        assertThat(hive.renew(a, List.of(defaultPath), Duration.ofSeconds(60))).hasSize(1);
    }

    @Test
    void badPathIs400AndPathOutsideTheAllowedOnesIs403() {
        String confined = hive.register(AgentSpec.withId(unique("confined")).allowedPaths("src/")).id();

        HiveApiException bad = catchThrowableOfType(HiveApiException.class,
                () -> hive.acquire(LockRequest.of(confined, "../outside")));
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.field()).contains("paths");

        HiveApiException outside = catchThrowableOfType(HiveApiException.class,
                () -> hive.acquire(LockRequest.of(confined, "docs/readme.md")));
        assertThat(outside.status()).isEqualTo(403);
        assertThat(hive.acquire(LockRequest.of(confined, "src/ok.py").inWorkspace(unique("ws-confined"))).isGranted())
                .isTrue();
    }

    @Test
    void statsCountTasksAgentsLocksAndRefusals() {
        String a = agent("counted");
        String b = agent("counted-other");
        String workspace = unique("ws-stats");
        hive.createSwarm(plan("stats", "[{\"id\": \"s1\"}, {\"id\": \"s2\", \"depends_on\": [\"s1\"]}]"));
        hive.acquire(LockRequest.of(a, "s.txt").inWorkspace(workspace));
        hive.acquire(LockRequest.of(b, "s.txt").inWorkspace(workspace));

        Stats stats = hive.stats();

        assertThat(stats.swarms()).isPositive();
        assertThat(stats.tasks(TaskState.READY)).isPositive();
        assertThat(stats.tasks(TaskState.PENDING)).isPositive();
        assertThat(stats.tasks()).containsKeys("in_progress", "completed", "failed", "blocked", "cancelled");
        assertThat(stats.agents().get("active")).isGreaterThanOrEqualTo(2);
        assertThat(stats.locks().active()).isPositive();
        assertThat(stats.locks().lockedFiles()).isPositive();
        assertThat(stats.conflictsRefused()).isPositive();
        assertThat(stats.lockGrants()).isPositive();
        assertThat(stats.meanWaitMs()).isGreaterThanOrEqualTo(0);
        assertThat(stats.longestWaitMs()).isGreaterThanOrEqualTo(0);
        assertThat(stats.locksExpired()).isGreaterThanOrEqualTo(0);
        assertThat(stats.waitsTimedOut()).isGreaterThanOrEqualTo(0);
    }
}
