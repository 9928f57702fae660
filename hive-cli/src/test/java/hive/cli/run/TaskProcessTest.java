package hive.cli.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import hive.cli.run.AttemptResult.Ending;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link TaskProcess} with real processes: what an attempt's result says, what its log file
 * holds, and that ending an attempt (timeout, stop, kill, or the shell exiting) leaves none of
 * its processes running.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class TaskProcessTest {

    private static final Duration GRACE = Duration.ofMillis(500);

    @TempDir
    Path dir;

    private Launch launch(String command) {
        return Launch.of(command, dir, Map.of(), dir.resolve("logs/swarm-1/task-a/attempt-1.log")).withGrace(GRACE);
    }

    private static AttemptResult run(Launch launch) throws Exception {
        return TaskProcess.start(launch).await();
    }

    @Test
    void commandThatExitsZeroSucceedsWithItsWholeOutputInTheLogAndTail() throws Exception {
        AttemptResult result = run(launch("echo one; echo two"));

        assertThat(result.succeeded()).isTrue();
        assertThat(result.exitCode()).isZero();
        assertThat(result.ending()).isEqualTo(Ending.EXITED);
        assertThat(result.logFile()).isEqualTo(dir.resolve("logs/swarm-1/task-a/attempt-1.log"));
        assertThat(result.logFile()).hasContent("one\ntwo");
        assertThat(result.tail()).isEqualTo("one\ntwo\n");
    }

    @Test
    void commandThatExitsThreeFailsWithStandardErrorInTheLogAndTail() throws Exception {
        AttemptResult result = run(launch("echo checking; echo 'no such test' >&2; exit 3"));

        assertThat(result.succeeded()).isFalse();
        assertThat(result.exitCode()).isEqualTo(3);
        assertThat(result.timedOut()).isFalse();
        assertThat(result.stopped()).isFalse();
        assertThat(result.tail()).isEqualTo("checking\nno such test\n");
        assertThat(result.logFile()).hasContent("checking\nno such test");
    }

    @Test
    void commandRunsInTheGivenFolderWithTheGivenVariablesAddedToTheEnvironment() throws Exception {
        Path workspace = Files.createDirectories(dir.resolve("workspace"));
        Launch launch = Launch.of("echo \"$HIVE_TASK_ID $HIVE_ATTEMPT\"; pwd; echo \"${PATH:+has PATH}\"; cat",
                workspace, Map.of("HIVE_TASK_ID", "task-a", "HIVE_ATTEMPT", "2"), dir.resolve("attempt-2.log"));

        AttemptResult result = run(launch);

        assertThat(result.succeeded()).as(result.tail()).isTrue();
        assertThat(result.tail()).as("variables, folder, inherited PATH, empty standard input")
                .isEqualTo("task-a 2\n" + workspace.toRealPath() + "\nhas PATH\n");
    }

    @Test
    void commandOverItsTimeoutIsEndedWithEveryProcessItStarted() throws Exception {
        Launch launch = launch("sleep 30 & echo $! >> pids; (sleep 30 & echo $! >> pids); sleep 30 & echo $! >> pids;"
                + " echo started; wait").withTimeout(Duration.ofMillis(300));

        AttemptResult result = run(launch);

        assertThat(result.timedOut()).isTrue();
        assertThat(result.succeeded()).isFalse();
        assertThat(result.exitCode()).as("sh killed by SIGTERM").isEqualTo(128 + 15);
        assertThat(result.tail()).isEqualTo("started\n");
        assertThat(result.duration()).isBetween(Duration.ofMillis(300), Duration.ofSeconds(3));
        assertNoneRunning(pids(), "the background sleeps, including one whose parent subshell had exited");
    }

    @Test
    void commandThatIgnoresSigtermIsKilledAfterTheGracePeriod() throws Exception {
        Launch launch = launch("trap '' TERM; echo $$ > pids; sleep 30").withTimeout(Duration.ofMillis(200));

        AttemptResult result = run(launch);

        assertThat(result.timedOut()).isTrue();
        assertThat(result.exitCode()).as("sh killed by SIGKILL").isEqualTo(128 + 9);
        assertThat(result.duration()).isBetween(Duration.ofMillis(200).plus(GRACE), Duration.ofSeconds(3));
        assertNoneRunning(pids(), "the shell");
    }

    @Test
    void fiveMegabytesOfOutputNeverBlockAndTheTailIsTheirLastBytes() throws Exception {
        Launch launch = launch("head -c 5000000 /dev/zero | tr '\\0' x; printf end").withTailBytes(4096);

        AttemptResult result = run(launch);

        assertThat(result.succeeded()).isTrue();
        assertThat(Files.size(result.logFile())).isEqualTo(5_000_003);
        assertThat(result.tail()).isEqualTo(LogTail.CUT_MARK + "x".repeat(4093) + "end");
    }

    @Test
    void tailCutInsideACharacterStartsAtTheNextWholeCharacter() throws Exception {
        String command = "printf 'a\\303\\251bc'";

        assertThat(run(launch(command).withTailBytes(5)).tail()).as("all of it").isEqualTo("aébc");
        assertThat(run(launch(command).withTailBytes(4)).tail()).isEqualTo("…ébc");
        assertThat(run(launch(command).withTailBytes(3)).tail()).as("second byte of é dropped").isEqualTo("…bc");
        assertThat(run(launch(command).withTailBytes(0)).tail()).isEqualTo("…");
    }

    @Test
    void stopFromAnotherThreadEndsTheCommandAndTheResultSaysStopped() throws Exception {
        TaskProcess process = TaskProcess.start(launch("echo $$ > pids; echo waiting; sleep 30"));
        CompletableFuture<AttemptResult> awaited = awaitInBackground(process);
        waitForLine(dir.resolve("logs/swarm-1/task-a/attempt-1.log"), "waiting");

        process.stop(GRACE);

        AttemptResult result = awaited.get(5, TimeUnit.SECONDS);
        assertThat(result.stopped()).isTrue();
        assertThat(result.succeeded()).isFalse();
        assertThat(result.tail()).isEqualTo("waiting\n");
        assertThat(result.duration()).isLessThan(Duration.ofSeconds(3));
        assertNoneRunning(pids(), "the shell");
    }

    @Test
    void killEndsTheCommandAtOnceEvenWhenItIgnoresSigterm() throws Exception {
        TaskProcess process = TaskProcess.start(launch("trap '' TERM; echo waiting; sleep 30")
                .withGrace(Duration.ofSeconds(30)));
        CompletableFuture<AttemptResult> awaited = awaitInBackground(process);
        waitForLine(dir.resolve("logs/swarm-1/task-a/attempt-1.log"), "waiting");

        process.kill();

        AttemptResult result = awaited.get(5, TimeUnit.SECONDS);
        assertThat(result.stopped()).isTrue();
        assertThat(result.exitCode()).isEqualTo(128 + 9);
        assertThat(result.duration()).isLessThan(Duration.ofSeconds(3));
    }

    @Test
    void whatTheShellLeavesRunningIsEndedWhenItExits() throws Exception {
        AttemptResult result = run(launch("sleep 30 > /dev/null 2>&1 & echo $! > pids; echo done"));

        assertThat(result.succeeded()).isTrue();
        assertThat(result.tail()).isEqualTo("done\n");
        assertThat(result.duration()).isLessThan(Duration.ofSeconds(3));
        assertNoneRunning(pids(), "the background sleep");
    }

    @Test
    void withoutSetsidTheShellAndItsChildrenAreStillEndedOverTheTimeout() throws Exception {
        Launch launch = launch("sleep 30 & echo $! >> pids; sleep 30 & echo $! >> pids; echo $$ >> pids; wait")
                .withTimeout(Duration.ofMillis(300));

        AttemptResult result = TaskProcess.start(launch, false).await();

        assertThat(result.timedOut()).isTrue();
        assertThat(result.duration()).isLessThan(Duration.ofSeconds(3));
        assertNoneRunning(pids(), "the shell and its sleeps");
    }

    @Test
    void missingWorkingDirectoryCannotStartAndTheLogSaysWhy() {
        Path missing = dir.resolve("no-such-folder");
        Path log = dir.resolve("logs/attempt-1.log");

        assertThatThrownBy(() -> TaskProcess.start(Launch.of("true", missing, Map.of(), log)))
                .isInstanceOf(CannotStart.class)
                .hasMessage("working directory '" + missing + "' does not exist");
        assertThat(log).hasContent("hive: working directory '" + missing + "' does not exist");
    }

    @Test
    void unwritableLogFileCannotStart() throws IOException {
        Path file = Files.writeString(dir.resolve("a-file"), "");

        assertThatThrownBy(() -> TaskProcess.start(Launch.of("true", dir, Map.of(), file.resolve("attempt-1.log"))))
                .isInstanceOf(CannotStart.class)
                .hasMessageStartingWith("cannot write the log file '" + file.resolve("attempt-1.log") + "': ");
    }

    private List<Long> pids() throws IOException {
        return Files.readAllLines(dir.resolve("pids")).stream().map(Long::parseLong).toList();
    }

    private static CompletableFuture<AttemptResult> awaitInBackground(TaskProcess process) {
        CompletableFuture<AttemptResult> awaited = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                awaited.complete(process.await());
            } catch (InterruptedException | RuntimeException e) {
                awaited.completeExceptionally(e);
            }
        });
        return awaited;
    }

    /** Waits (a few milliseconds at a time, 5 s at most) until the log file holds the line. */
    private static void waitForLine(Path log, String line) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!Files.readString(log).contains(line + "\n")) {
            assertThat(System.nanoTime()).as("'%s' in %s within 5 s", line, log).isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    /**
     * Asserts that none of the processes is running, waiting up to 2 s for the kernel to finish
     * them: SIGKILL is delivered after kill(2) returns. A zombie (dead, not yet reaped by init)
     * counts as ended.
     */
    private static void assertNoneRunning(List<Long> pids, String which) throws Exception {
        assertThat(pids).as("pids of " + which).isNotEmpty();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (pids.stream().anyMatch(Pids::running) && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(pids).as(which + " ended").noneMatch(Pids::running);
    }

}
