package hive.locks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import hive.EngineTest;
import hive.Hive;
import hive.Hives;
import hive.agents.Registration;
import hive.schedule.Task;
import hive.schedule.TaskState;
import hive.store.LockWaiter;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * Lock waits by example (API.md {@code wait_s}): granted the moment the way is clear, first come
 * first served, no barging past a waiter, refusal of a wait that would close a cycle (with the
 * agents of the cycle), time-outs, and the ways an agent can go away while others wait for it.
 * Waiting callers run on threads of their own; the clock is moved by hand.
 */
class LockWaitTest extends EngineTest {

    private static final Duration LONG = Duration.ofSeconds(30);
    private static final Duration PATIENCE = Duration.ofSeconds(10);

    @Test
    void waiterIsGrantedTheMomentTheHolderReleases() throws Exception {
        long held = granted(hive.acquire(LockRequest.exclusive("alice", "a.txt"))).token();
        CompletableFuture<AcquireResult> bob = waitFor(LockRequest.exclusive("bob", "a.txt"), LONG);

        hive.release("alice", "default", null);

        AcquireResult.Granted grant = granted(result(bob));
        assertThat(grant.token()).as("a new grant's token").isGreaterThan(held);
        assertThat(hive.locks("default")).extracting(Lock::agentId).containsExactly("bob");
        assertThat(hive.lockStats().waitsGranted()).isEqualTo(1);
        assertThat(hive.lockStats().waiting()).isZero();
    }

    @Test
    void waitersAreServedInArrivalOrder() throws Exception {
        hive.acquire(LockRequest.exclusive("alice", "a.txt"));
        CompletableFuture<AcquireResult> bob = waitFor(LockRequest.exclusive("bob", "a.txt"), LONG);
        CompletableFuture<AcquireResult> carol = waitFor(LockRequest.exclusive("carol", "a.txt"), LONG);
        CompletableFuture<AcquireResult> dave = waitFor(LockRequest.exclusive("dave", "*.txt"), LONG);
        assertThat(queue()).extracting(LockWaiter::agentId).containsExactly("bob", "carol", "dave");

        hive.release("alice", "default", null);
        long bobs = granted(result(bob)).token();
        barrier();
        assertThat(carol).as("carol, second in line, waits for bob").isNotDone();
        assertThat(dave).isNotDone();

        hive.release("bob", "default", null);
        long carols = granted(result(carol)).token();
        barrier();
        assertThat(dave).as("dave, third in line, waits for carol").isNotDone();

        hive.release("carol", "default", null);
        long daves = granted(result(dave)).token();
        assertThat(List.of(bobs, carols, daves)).isSorted();
    }

    @Test
    void laterWaiterForOtherPathsIsNotHeldBackByAnEarlierOne() throws Exception {
        hive.acquire(LockRequest.exclusive("alice", "a.txt", "b.txt"));
        CompletableFuture<AcquireResult> bob = waitFor(LockRequest.exclusive("bob", "a.txt"), LONG);
        CompletableFuture<AcquireResult> carol = waitFor(LockRequest.exclusive("carol", "b.txt"), LONG);

        hive.release("alice", "default", List.of(LockPath.parse("b.txt")));

        granted(result(carol));
        barrier();
        assertThat(bob).as("bob still waits for alice's a.txt").isNotDone();
    }

    @Test
    void newRequestDoesNotBargePastAWaiter() throws Exception {
        hive.acquire(LockRequest.exclusive("alice", "a.txt"));
        CompletableFuture<AcquireResult> bob = waitFor(LockRequest.exclusive("bob", "a.txt", "b.txt"), LONG);

        AcquireResult carol = hive.acquire(LockRequest.exclusive("carol", "b.txt"));

        assertThat(carol).isInstanceOfSatisfying(AcquireResult.Conflicted.class, c -> assertThat(c.conflicts())
                .singleElement().satisfies(conflict -> {
                    assertThat(conflict.heldBy()).isEqualTo("bob");
                    assertThat(conflict.queued()).as("in the way as a waiter queued first").isTrue();
                    assertThat(conflict.path()).isEqualTo("b.txt");
                }));
        assertThat(hive.locks("default")).extracting(Lock::agentId).containsExactly("alice");
        hive.release("alice", "default", null);
        assertThat(granted(result(bob)).locks()).extracting(Lock::path).containsExactlyInAnyOrder("a.txt", "b.txt");
    }

    @Test
    void holderGoesAheadOfAWaiterThatWaitsForIt() throws Exception {
        hive.acquire(LockRequest.exclusive("alice", "a.txt"));
        CompletableFuture<AcquireResult> bob = waitFor(LockRequest.exclusive("bob", "a.txt", "b.txt"), LONG);

        AcquireResult more = hive.acquire(LockRequest.exclusive("alice", "b.txt"));

        assertThat(more).as("bob waits for alice anyway: making alice wait for bob would deadlock them")
                .isInstanceOf(AcquireResult.Granted.class);
        hive.release("alice", "default", null);
        granted(result(bob));
    }

    @Test
    void sharedWaitersAreGrantedTogether() throws Exception {
        hive.acquire(LockRequest.exclusive("alice", "docs/"));
        CompletableFuture<AcquireResult> bob = waitFor(shared("bob", "docs/a.md"), LONG);
        CompletableFuture<AcquireResult> carol = waitFor(shared("carol", "docs/**"), LONG);
        CompletableFuture<AcquireResult> dave = waitFor(LockRequest.exclusive("dave", "docs/a.md"), LONG);

        hive.release("alice", "default", null);

        granted(result(bob));
        granted(result(carol));
        barrier();
        assertThat(dave).as("an exclusive waiter waits for the shared holders").isNotDone();
        hive.release("bob", "default", null);
        hive.release("carol", "default", null);
        granted(result(dave));
    }

    // --- deadlocks ---

    @Test
    void twoAgentCycleIsRefusedWithItsAgents() throws Exception {
        hive.acquire(LockRequest.exclusive("alice", "a.txt"));
        hive.acquire(LockRequest.exclusive("bob", "b.txt"));
        CompletableFuture<AcquireResult> alice = waitFor(LockRequest.exclusive("alice", "b.txt"), LONG);

        AcquireResult bob = hive.acquire(LockRequest.exclusive("bob", "a.txt"), LONG);

        assertThat(bob).isEqualTo(new AcquireResult.Deadlocked(List.of("bob", "alice")));
        assertThat(queue()).extracting(LockWaiter::agentId).as("nothing queued for bob").containsExactly("alice");
        assertThat(hive.lockStats().deadlocksRefused()).isEqualTo(1);
        hive.release("bob", "default", null);
        granted(result(alice));
    }

    @Test
    void threeAgentCycleIsRefusedWithItsAgentsInWaitOrder() throws Exception {
        hive.acquire(LockRequest.exclusive("alice", "x"));
        hive.acquire(LockRequest.exclusive("bob", "y"));
        hive.acquire(LockRequest.exclusive("carol", "z"));
        CompletableFuture<AcquireResult> alice = waitFor(LockRequest.exclusive("alice", "y"), LONG);
        CompletableFuture<AcquireResult> bob = waitFor(LockRequest.exclusive("bob", "z"), LONG);

        AcquireResult carol = hive.acquire(LockRequest.exclusive("carol", "x"), LONG);

        assertThat(carol).isEqualTo(new AcquireResult.Deadlocked(List.of("carol", "alice", "bob")));
        hive.release("carol", "default", null);
        granted(result(bob));
        hive.release("bob", "default", null);
        granted(result(alice));
    }

    @Test
    void cycleThroughTheQueueIsRefusedToo() throws Exception {
        // alice holds a; bob waits for a and b; carol holds c and waits behind bob for b; alice now
        // waiting for c would wait for carol, who waits for bob, who waits for alice
        hive.acquire(LockRequest.exclusive("alice", "a"));
        hive.acquire(LockRequest.exclusive("carol", "c"));
        CompletableFuture<AcquireResult> bob = waitFor(LockRequest.exclusive("bob", "a", "b"), LONG);
        CompletableFuture<AcquireResult> carol = waitFor(LockRequest.exclusive("carol", "b"), LONG);

        AcquireResult alice = hive.acquire(LockRequest.exclusive("alice", "c"), LONG);

        assertThat(alice).isEqualTo(new AcquireResult.Deadlocked(List.of("alice", "carol", "bob")));
        hive.release("alice", "default", null);
        granted(result(bob));
        hive.release("bob", "default", null);
        granted(result(carol));
    }

    @Test
    void waitWithoutACycleIsNotRefused() throws Exception {
        hive.acquire(LockRequest.exclusive("alice", "a"));
        CompletableFuture<AcquireResult> bob = waitFor(LockRequest.exclusive("bob", "a"), LONG);
        CompletableFuture<AcquireResult> carol = waitFor(LockRequest.exclusive("carol", "a"), LONG);

        assertThat(queue()).extracting(LockWaiter::agentId).containsExactly("bob", "carol");
        hive.release("alice", "default", null);
        granted(result(bob));
        hive.release("bob", "default", null);
        granted(result(carol));
        assertThat(hive.lockStats().deadlocksRefused()).isZero();
    }

    // --- time-outs and agents going away ---

    @Test
    void waitThatTimesOutReturnsTheConflictsAndLeavesTheQueue() {
        hive.acquire(LockRequest.exclusive("alice", "a.txt"));

        long started = System.nanoTime();
        AcquireResult bob = hive.acquire(LockRequest.exclusive("bob", "a.txt"), Duration.ofMillis(300));

        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("waited its time")
                .isGreaterThanOrEqualTo(Duration.ofMillis(290));
        assertThat(bob).isInstanceOfSatisfying(AcquireResult.Conflicted.class, c ->
                assertThat(c.conflicts()).extracting(AcquireResult.Conflict::heldBy).containsExactly("alice"));
        assertThat(queue()).isEmpty();
        assertThat(hive.lockStats().waitsTimedOut()).isEqualTo(1);
        assertThat(hive.lockStats().waiting()).isZero();
    }

    @Test
    void waiterThatGivesUpLetsTheOnesBehindItGo() throws Exception {
        hive.acquire(LockRequest.exclusive("alice", "a.txt"));
        CompletableFuture<AcquireResult> bob = waitFor(LockRequest.exclusive("bob", "a.txt", "b.txt"),
                Duration.ofMillis(400));
        CompletableFuture<AcquireResult> carol = waitFor(LockRequest.exclusive("carol", "b.txt"), LONG);

        assertThat(result(bob)).isInstanceOf(AcquireResult.Conflicted.class);

        granted(result(carol));
    }

    @Test
    void agentThatStopsHeartbeatingLosesItsLocksItsTaskIsRequeuedAndItsWaiterIsGranted() throws Exception {
        String swarmId = swarm("""
                name: edit
                tasks:
                  - {id: edit, files: [src/app.ts], max_attempts: 3}
                """);
        hive.register(new Registration("alice", null, Set.of(), 1, List.of()));
        hive.register(Registration.of("bob"));
        Task edit = hive.claim("alice", swarmId).orElseThrow();
        assertThat(hive.locks("default")).extracting(Lock::agentId, Lock::path)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("alice", "src/app.ts"));
        CompletableFuture<AcquireResult> bob = waitFor(LockRequest.exclusive("bob", "src/"), LONG);

        clock.advance(Hive.DEFAULT_SESSION_TIMEOUT.plusSeconds(1));
        hive.sweep();

        assertThat(granted(result(bob)).locks()).extracting(Lock::path).containsExactly("src/");
        assertThat(hive.agent("alice").status().wire()).isEqualTo("lost");
        assertThat(hive.agent("bob").status().wire()).as("a wait in progress keeps the session").isEqualTo("active");
        Task requeued = hive.task(swarmId, edit.id());
        assertThat(requeued.status()).isEqualTo(TaskState.READY);
        assertThat(requeued.attempt()).as("the attempt counts").isEqualTo(1);
        assertThat(hive.locks("default")).extracting(Lock::agentId).containsExactly("bob");
    }

    @Test
    void waiterIsGrantedWhenTheLeaseInItsWayEnds() throws Exception {
        hive.acquire(new LockRequest("alice", "default", List.of(LockPath.parse("a.txt")), LockMode.EXCLUSIVE,
                Duration.ofSeconds(5), null));
        CompletableFuture<AcquireResult> bob = waitFor(LockRequest.exclusive("bob", "a.txt"), LONG);

        clock.advance(Duration.ofSeconds(6));
        hive.sweep();

        granted(result(bob));
        assertThat(hive.lockStats().locksExpired()).isEqualTo(1);
    }

    @Test
    void leavingEndsTheAgentsWaits() throws Exception {
        hive.register(Registration.of("bob"));
        hive.acquire(LockRequest.exclusive("alice", "a.txt"));
        CompletableFuture<AcquireResult> bob = waitFor(LockRequest.exclusive("bob", "a.txt"), LONG);

        hive.leave("bob");

        assertThat(result(bob)).isInstanceOf(AcquireResult.Conflicted.class);
        assertThat(queue()).isEmpty();
    }

    @Test
    void closingEndsWaitsInProgress() throws Exception {
        hive.acquire(LockRequest.exclusive("alice", "a.txt"));
        CompletableFuture<AcquireResult> bob = waitFor(LockRequest.exclusive("bob", "a.txt"), LONG);

        hive.close();

        assertThatThrownBy(() -> bob.get(PATIENCE.toSeconds(), TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).cause().isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closing");
        hive = Hives.open(dir, clock);
    }

    @Test
    void interruptedWaiterGivesUpAndKeepsItsInterrupt() throws Exception {
        hive.acquire(LockRequest.exclusive("alice", "a.txt"));
        CompletableFuture<Boolean> interruptKept = new CompletableFuture<>();
        CompletableFuture<AcquireResult> bob = new CompletableFuture<>();
        Thread waiter = Thread.ofPlatform().daemon(true).start(() -> {
            bob.complete(hive.acquire(LockRequest.exclusive("bob", "a.txt"), LONG));
            interruptKept.complete(Thread.currentThread().isInterrupted());
        });
        await().atMost(PATIENCE).until(() -> !queue().isEmpty());

        waiter.interrupt();

        assertThat(result(bob)).isInstanceOf(AcquireResult.Conflicted.class);
        assertThat(interruptKept.get(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(queue()).isEmpty();
    }

    @Test
    void waitOutsideItsBoundsIsRefusedAndChangesNothing() {
        hive.acquire(LockRequest.exclusive("alice", "a.txt"));

        assertThatThrownBy(() -> hive.acquire(LockRequest.exclusive("bob", "a.txt"), Duration.ofSeconds(61)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("wait_s");
        assertThatThrownBy(() -> hive.acquire(LockRequest.exclusive("bob", "a.txt"), Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("wait_s");
        assertThat(queue()).isEmpty();
        assertThat(hive.locks("default")).extracting(Lock::agentId).containsExactly("alice");
    }

    @Test
    void countsActiveLocksAndLockedFiles() {
        hive.acquire(LockRequest.exclusive("alice", "a.txt", "src/"));
        hive.acquire(shared("bob", "docs/d.md"));
        hive.acquire(shared("carol", "docs/d.md"));

        assertThat(hive.lockCounts()).isEqualTo(new Hive.LockCounts(4, 3));
    }

    // --- helpers ---

    private static LockRequest shared(String agent, String... paths) {
        return new LockRequest(agent, LockRequest.DEFAULT_WORKSPACE, Arrays.stream(paths).map(LockPath::parse).toList(),
                LockMode.SHARED, LockRequest.DEFAULT_TTL, null);
    }

    /** Starts {@code request} waiting up to {@code wait} on a thread of its own; returns once it waits. */
    private CompletableFuture<AcquireResult> waitFor(LockRequest request, Duration wait) {
        int before = queue().size();
        CompletableFuture<AcquireResult> outcome = new CompletableFuture<>();
        Thread.ofPlatform().daemon(true).start(() -> {
            try {
                outcome.complete(hive.acquire(request, wait));
            } catch (Throwable t) {
                outcome.completeExceptionally(t);
            }
        });
        await("the request to queue").atMost(PATIENCE).until(() -> outcome.isDone() || queue().size() > before);
        assertThat(outcome).as("a request meant to wait was answered at once").isNotDone();
        return outcome;
    }

    /** The waiters of the default workspace, in arrival order. */
    private List<LockWaiter> queue() {
        return hive.store().write(tx -> tx.waiters(LockRequest.DEFAULT_WORKSPACE));
    }

    /** Returns once every grant made by earlier operations has reached its caller's outcome. */
    private void barrier() {
        hive.store().write(tx -> null);
    }

    private static AcquireResult result(CompletableFuture<AcquireResult> outcome) throws Exception {
        try {
            return outcome.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("the waiting request was not answered within " + PATIENCE, e);
        }
    }

    private static AcquireResult.Granted granted(AcquireResult result) {
        assertThat(result).isInstanceOf(AcquireResult.Granted.class);
        return (AcquireResult.Granted) result;
    }
}
