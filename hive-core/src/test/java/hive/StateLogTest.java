package hive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.ObjectMapper;
import hive.agents.Registration;
import hive.locks.AcquireResult;
import hive.locks.LockMode;
import hive.locks.LockPath;
import hive.locks.LockRequest;
import hive.store.LockWaiter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.event.KeyValuePair;

/**
 * Every state change is logged once it is committed, at INFO, as one structured line: a fixed
 * message and key-value pairs in a fixed order. Each step of these scenarios checks the exact
 * lines it produced, so a change that stops being logged (or is logged twice, or at another
 * level) fails here. Lines are read as {@code "message key=value ..."}.
 */
class StateLogTest extends EngineTest {

    private static final Duration PATIENCE = Duration.ofSeconds(10);

    private final Logger hiveLogger = (Logger) LoggerFactory.getLogger("hive");
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private Level levelBefore;

    @BeforeEach
    void listen() {
        levelBefore = hiveLogger.getLevel();
        hiveLogger.setLevel(Level.INFO);
        appender.start();
        hiveLogger.addAppender(appender);
    }

    @AfterEach
    void stopListening() {
        hiveLogger.detachAppender(appender);
        hiveLogger.setLevel(levelBefore);
        appender.stop();
    }

    @Test
    void tasksLocksAndAgentsLogEachChangeOnce() {
        String id = swarm("""
                name: logs
                tasks:
                  - {id: build}
                  - {id: deploy, depends_on: [build], max_attempts: 1}
                  - {id: ship, depends_on: [deploy]}
                  - {id: docs, agent: w2, max_attempts: 2}
                """);
        assertThat(logged()).containsExactly(
                "swarm created swarm=" + id + " name=logs workspace=default task_count=4");

        hive.register(new Registration("w1", null, Set.of(), 1, List.of()));
        hive.register(new Registration("w2", null, Set.of("docs"), 1, List.of()));
        assertThat(logged()).containsExactly(
                "agent registered agent=w1 roles=[] max_tasks=1",
                "agent registered agent=w2 roles=[docs] max_tasks=1");

        hive.claim("w1", id).orElseThrow();
        assertThat(logged()).containsExactly("task started swarm=" + id + " task=build agent=w1 attempt=1");

        hive.complete(id, "build", "w1", "built");
        assertThat(logged()).containsExactly(
                "task completed swarm=" + id + " task=build agent=w1 attempt=1",
                "tasks ready swarm=" + id + " tasks=[deploy] task_count=1");

        hive.claim("w1", id).orElseThrow();
        assertThat(logged()).containsExactly("task started swarm=" + id + " task=deploy agent=w1 attempt=1");

        hive.fail(id, "deploy", "w1", "boom", true);
        assertThat(logged()).as("no attempt left: it fails for good and blocks what depends on it").containsExactly(
                "task failed swarm=" + id + " task=deploy agent=w1 attempt=1 error=boom",
                "tasks blocked swarm=" + id + " tasks=[ship] task_count=1 blocked_by=[deploy]");

        long token = ((AcquireResult.Granted) hive.acquire(LockRequest.exclusive("w1", "src/app.txt"))).token();
        assertThat(logged()).containsExactly(
                "locks granted agent=w1 workspace=default paths=[src/app.txt] mode=exclusive token=" + token);

        hive.release("w1", "default", null);
        assertThat(logged()).containsExactly("locks released agent=w1 workspace=default paths=[src/app.txt]");

        hive.claim("w2", id).orElseThrow();
        long docsToken = ((AcquireResult.Granted) hive.acquire(new LockRequest("w2", "default",
                List.of(LockPath.parse("docs/")), LockMode.EXCLUSIVE, Duration.ofHours(1),
                null))).token();
        long shortToken = ((AcquireResult.Granted) hive.acquire(new LockRequest("w1", "default",
                List.of(LockPath.parse("tmp/scratch")), LockMode.SHARED,
                Duration.ofSeconds(30), null))).token();
        assertThat(logged()).containsExactly(
                "task started swarm=" + id + " task=docs agent=w2 attempt=1",
                "locks granted agent=w2 workspace=default paths=[docs/] mode=exclusive token=" + docsToken,
                "locks granted agent=w1 workspace=default paths=[tmp/scratch] mode=shared token=" + shortToken);

        // w1 keeps its session (a claim that finds nothing is heard from it), w2 goes silent
        clock.advance(Hive.DEFAULT_SESSION_TIMEOUT.minusSeconds(1));
        assertThat(hive.claim("w1", id)).isEmpty();
        clock.advance(Duration.ofSeconds(1));
        assertThat(hive.sweep()).as("agents, tasks and locks the sweep changed").isEqualTo(2);
        assertThat(logged()).containsExactly(
                "agent lost agent=w2 last_heartbeat=2026-01-01T00:00:00Z timeout_s=60",
                "task requeued swarm=" + id + " task=docs agent=w2 attempt=1 reason=agent 'w2' lost: silent since"
                        + " 2026-01-01T00:00:00Z (session timeout 60 s)",
                "locks released agent=w2 workspace=default paths=[docs/] reason=agent lost",
                "locks expired agent=w1 workspace=default paths=[tmp/scratch]");

        hive.heartbeat("w1");
        hive.renew("w1", "default", null, Duration.ofMinutes(5));
        hive.leave("w1");
        hive.leave("w1");
        assertThat(logged()).as("heartbeats and renewals change no state; leaving twice, once").containsExactly(
                "agent left agent=w1");
    }

    @Test
    void swarmControlsRetriesAndTimeoutsLogEachChangeOnce() throws Exception {
        String id = swarm("""
                name: controls
                workspace: repo
                tasks:
                  - {id: a, max_attempts: 3, backoff_s: 10, timeout_s: 60}
                  - {id: b, depends_on: [a]}
                """);
        logged();

        hive.pause(id);
        hive.pause(id);
        hive.resume(id);
        assertThat(logged()).as("pausing twice is one change").containsExactly(
                "swarm paused swarm=" + id,
                "swarm resumed swarm=" + id);

        hive.addTasks(id, new ObjectMapper().readTree("[{\"id\": \"c\", \"depends_on\": [\"b\"]}]"));
        assertThat(logged()).containsExactly("tasks added swarm=" + id + " tasks=[c] task_count=1");

        hive.claim(alice, id).orElseThrow();
        String notBefore = hive.fail(id, "a", "alice", "flaky", true).notBefore().toString();
        assertThat(logged()).containsExactly(
                "task started swarm=" + id + " task=a agent=alice attempt=1",
                "task retry scheduled swarm=" + id + " task=a agent=alice attempt=1 error=flaky not_before="
                        + notBefore);

        clock.advance(Duration.ofSeconds(10));
        hive.sweep();
        assertThat(logged()).as("the backoff passed").containsExactly(
                "tasks ready swarm=" + id + " tasks=[a] task_count=1");

        hive.claim(alice, id).orElseThrow();
        clock.advance(Duration.ofSeconds(60));
        hive.sweep();
        List<String> timedOut = logged();
        assertThat(timedOut).as("a time-out is a failed attempt, logged once").hasSize(2);
        assertThat(timedOut.getFirst()).isEqualTo("task started swarm=" + id + " task=a agent=alice attempt=2");
        assertThat(timedOut.getLast()).startsWith(
                "task retry scheduled swarm=" + id + " task=a agent=alice attempt=2 error=timed out after 60 s"
                        + " (attempt 2 of 3) not_before=");

        clock.advance(Duration.ofSeconds(60));
        hive.claim(alice, id).orElseThrow();
        hive.fail(id, "a", "alice", "broken", false);
        assertThat(logged()).containsExactly(
                "tasks ready swarm=" + id + " tasks=[a] task_count=1",
                "task started swarm=" + id + " task=a agent=alice attempt=3",
                "task failed swarm=" + id + " task=a agent=alice attempt=3 error=broken",
                "tasks blocked swarm=" + id + " tasks=[b, c] task_count=2 blocked_by=[a]",
                "swarm failed swarm=" + id + " previous=running");

        hive.retry(id, "a");
        assertThat(logged()).containsExactly(
                "task retried swarm=" + id + " task=a",
                "tasks unblocked swarm=" + id + " tasks=[b, c] task_count=2",
                "swarm running swarm=" + id + " previous=failed");

        hive.cancel(id);
        hive.cancel(id);
        assertThat(logged()).as("cancelling twice is one change").containsExactly(
                "swarm cancelled swarm=" + id + " task_count=3");
    }

    @Test
    void lockWaitsLogHowTheyEnded() throws Exception {
        hive.register(new Registration("alice", null, Set.of(), 1, List.of()));
        logged();
        long held = granted(hive.acquire(LockRequest.exclusive("alice", "a.txt"))).token();
        CompletableFuture<AcquireResult> bob = waitFor(LockRequest.exclusive("bob", "a.txt"), PATIENCE);
        assertThat(logged()).as("waiting is no change yet").containsExactly(
                "locks granted agent=alice workspace=default paths=[a.txt] mode=exclusive token=" + held);

        hive.release("alice", "default", null);
        long bobs = granted(result(bob)).token();
        assertThat(logged()).containsExactlyInAnyOrder(
                "locks released agent=alice workspace=default paths=[a.txt]",
                "locks granted agent=bob workspace=default paths=[a.txt] mode=exclusive token=" + bobs
                        + " wait_ms=*");

        hive.acquire(LockRequest.exclusive("carol", "a.txt"), Duration.ofMillis(20));
        assertThat(logged()).containsExactly(
                "lock wait timed out agent=carol workspace=default paths=[a.txt] wait_ms=* held_by=[bob]");

        long alices = granted(hive.acquire(LockRequest.exclusive("alice", "x.txt"))).token();
        CompletableFuture<AcquireResult> bobWaits = waitFor(LockRequest.exclusive("bob", "x.txt"), PATIENCE);
        hive.acquire(LockRequest.exclusive("alice", "a.txt"), PATIENCE);
        assertThat(logged()).containsExactly(
                "locks granted agent=alice workspace=default paths=[x.txt] mode=exclusive token=" + alices,
                "lock wait refused: deadlock agent=alice workspace=default paths=[a.txt] cycle=[alice, bob]");

        hive.leave("alice");
        long bobsSecond = granted(result(bobWaits)).token();
        assertThat(logged()).containsExactlyInAnyOrder(
                "agent left agent=alice",
                "locks released agent=alice workspace=default paths=[x.txt] reason=agent left",
                "locks granted agent=bob workspace=default paths=[x.txt] mode=exclusive token=" + bobsSecond
                        + " wait_ms=*");
    }

    // --- helpers ---

    /**
     * The lines logged since the last call, as {@code "message key=value ..."} ({@code wait_ms},
     * which depends on real time, as {@code *}); fails if any was not at INFO.
     */
    private List<String> logged() {
        List<ILoggingEvent> events;
        synchronized (appender) {
            events = List.copyOf(appender.list);
            appender.list.clear();
        }
        List<String> lines = new ArrayList<>();
        for (ILoggingEvent event : events) {
            assertThat(event.getLevel()).as("level of '%s'", event.getFormattedMessage()).isEqualTo(Level.INFO);
            assertThat(event.getLoggerName()).as("logger of '%s'", event.getFormattedMessage()).isEqualTo("hive.Hive");
            StringBuilder line = new StringBuilder(event.getMessage());
            for (KeyValuePair pair : event.getKeyValuePairs() == null ? List.<KeyValuePair>of()
                    : event.getKeyValuePairs()) {
                line.append(' ').append(pair.key).append('=');
                if (pair.key.equals("wait_ms")) {
                    assertThat(pair.value).isInstanceOf(Long.class);
                    assertThat((Long) pair.value).isNotNegative();
                    line.append('*');
                } else {
                    line.append(pair.value);
                }
            }
            lines.add(line.toString());
        }
        return lines;
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

    private List<LockWaiter> queue() {
        return hive.store().write(tx -> tx.waiters(LockRequest.DEFAULT_WORKSPACE));
    }

    private static AcquireResult result(CompletableFuture<AcquireResult> outcome) throws Exception {
        return outcome.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
    }

    private static AcquireResult.Granted granted(AcquireResult result) {
        assertThat(result).isInstanceOf(AcquireResult.Granted.class);
        return (AcquireResult.Granted) result;
    }
}
