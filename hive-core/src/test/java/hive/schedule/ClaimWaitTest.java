package hive.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import hive.EngineTest;
import hive.agents.Registration;
import hive.locks.LockRequest;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Claims that wait (API.md {@code wait_s} of a claim): woken by whatever may let them succeed,
 * with no polling, and answered empty when nothing fits in time.
 */
class ClaimWaitTest extends EngineTest {

    private static final Duration LONG = Duration.ofSeconds(30);
    private static final Duration PATIENCE = Duration.ofSeconds(10);

    @BeforeEach
    void agents() {
        hive.register(Registration.of("first"));
        hive.register(Registration.of("second"));
    }

    @Test
    void waitingClaimIsWokenByTheCompletionThatReadiesATask() throws Exception {
        String id = swarm("""
                name: chain
                tasks:
                  - {id: build}
                  - {id: deploy, depends_on: [build]}
                """);
        hive.claim("first", id).orElseThrow();
        CompletableFuture<Optional<Task>> second = waiting("second", id, LONG);

        hive.complete(id, "build", "first", "ok");

        assertThat(result(second)).map(Task::id).contains("deploy");
    }

    @Test
    void waitingClaimIsWokenWhenTheFilesOfATaskAreReleased() throws Exception {
        String id = swarm("""
                name: files
                tasks:
                  - {id: edit, files: [src/app.ts]}
                """);
        hive.acquire(LockRequest.exclusive("someone", "src/"));
        CompletableFuture<Optional<Task>> first = waiting("first", id, LONG);

        hive.release("someone", "default", null);

        assertThat(result(first)).map(Task::id).contains("edit");
    }

    @Test
    void waitingClaimIsWokenByTasksAddedAndBySwarmResumed() throws Exception {
        String id = swarm("""
                name: later
                tasks:
                  - {id: only}
                """);
        hive.pause(id);
        CompletableFuture<Optional<Task>> first = waiting("first", id, LONG);
        hive.resume(id);
        assertThat(result(first)).map(Task::id).contains("only");

        CompletableFuture<Optional<Task>> second = waiting("second", id, LONG);
        hive.addTasks(id, new com.fasterxml.jackson.databind.ObjectMapper().readTree("[{\"id\": \"more\"}]"));
        assertThat(result(second)).map(Task::id).contains("more");
    }

    @Test
    void claimThatFindsNothingInTimeIsEmptyAfterItsWait() {
        String id = swarm("""
                name: empty
                tasks:
                  - {id: held}
                """);
        hive.claim("first", id).orElseThrow();

        long started = System.nanoTime();
        Optional<Task> none = hive.claim("second", id, Duration.ofMillis(300));

        assertThat(none).isEmpty();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(290));
    }

    @Test
    void claimOnAFinishedSwarmDoesNotWait() {
        String id = swarm("""
                name: done
                tasks:
                  - {id: only}
                """);
        hive.claim("first", id).orElseThrow();
        hive.complete(id, "only", "first", "ok");

        long started = System.nanoTime();
        Optional<Task> none = hive.claim("second", id, LONG);

        assertThat(none).isEmpty();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("answered at once")
                .isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void waitOutsideItsBoundsIsRefused() {
        String id = swarm("""
                name: bounds
                tasks:
                  - {id: t}
                """);
        assertThatThrownBy(() -> hive.claim("first", id, Duration.ofSeconds(61)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("wait_s");
        assertThat(hive.task(id, "t").status()).isEqualTo(TaskState.READY);
    }

    @Test
    void interruptedClaimStopsWaitingEmpty() throws Exception {
        String id = swarm("""
                name: none
                tasks:
                  - {id: t}
                """);
        hive.claim("first", id).orElseThrow();
        CompletableFuture<Optional<Task>> outcome = new CompletableFuture<>();
        Thread waiter = Thread.ofPlatform().daemon(true).start(() -> outcome.complete(hive.claim("second", id, LONG)));
        await().atMost(PATIENCE).until(() -> Arrays.stream(waiter.getStackTrace())
                .anyMatch(f -> f.getMethodName().equals("await")));

        waiter.interrupt();

        assertThat(result(outcome)).isEmpty();
    }

    private CompletableFuture<Optional<Task>> waiting(String agent, String swarmId, Duration wait) {
        CompletableFuture<Optional<Task>> outcome = new CompletableFuture<>();
        Thread waiter = Thread.ofPlatform().daemon(true).start(() -> {
            try {
                outcome.complete(hive.claim(agent, swarmId, wait));
            } catch (Throwable t) {
                outcome.completeExceptionally(t);
            }
        });
        await("the claim to wait").atMost(PATIENCE).until(() -> outcome.isDone()
                || Arrays.stream(waiter.getStackTrace()).anyMatch(f -> f.getClassName().equals("hive.Wakeups")));
        assertThat(outcome).as("a claim meant to wait was answered at once").isNotDone();
        return outcome;
    }

    private static <T> T result(CompletableFuture<T> outcome) throws Exception {
        return outcome.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
    }
}
