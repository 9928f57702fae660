package hive.cli.run;

import java.util.Optional;

/**
 * One worker: claims a task, runs its attempt ({@link TaskProcess}), reports the outcome, and
 * again, until its swarm is finished or its {@link Crew} stops. A run of {@code hive run} has
 * one per {@code --workers}; a {@code hive agent} one per {@code --max-tasks}.
 */
final class Worker implements Runnable {

    private final String agentId;
    private final Crew crew;

    Worker(String agentId, Crew crew) {
        this.agentId = agentId;
        this.crew = crew;
    }

    @Override
    public void run() {
        try {
            while (crew.enterClaim()) {
                Optional<Assignment> claimed;
                try {
                    claimed = crew.source().claim(agentId, Crew.CLAIM_WAIT);
                } finally {
                    crew.leaveClaim();
                }
                if (claimed.isPresent()) {
                    attempt(claimed.get());
                } else if (crew.source().finished()) {
                    return;
                }
            }
        } catch (RuntimeException e) {
            Crew.logUnexpected(agentId, e);
        }
    }

    private void attempt(Assignment task) {
        WorkSource source = crew.source();
        if (crew.stopping()) {
            notRun(task, "not started: " + crew.stopReason(), true);
            return;
        }
        if (crew.settings().command(task).isEmpty()) {
            // No other attempt could do better: retrying would only fail the same way.
            notRun(task, "nothing to run: the task has no 'run' command and no --exec command was given", false);
            return;
        }
        TaskProcess process;
        try {
            Launch launch = crew.settings().launch(task, agentId);
            LaunchSettings.setAsideEarlierLog(launch.logFile());
            process = TaskProcess.start(launch);
        } catch (CannotStart e) {
            notRun(task, "cannot start: " + e.getMessage(), true);
            return;
        }
        boolean interrupted = false;
        AttemptResult result;
        try {
            try {
                crew.running(process);
            } catch (InterruptedException e) {
                interrupted = true;
            }
            crew.listener().started(agentId, task, process);
            while (true) {
                try {
                    result = process.await();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // the attempt goes on: only the crew ends it
                }
            }
        } finally {
            crew.ended(process);
        }
        WorkSource.Report report;
        String outcome;
        if (result.succeeded()) {
            outcome = "completed";
            report = source.complete(task, agentId, result.tail());
        } else {
            outcome = failure(task, result);
            report = source.fail(task, agentId, outcome + errorTail(result.tail()), true);
        }
        crew.listener().ended(agentId, task, Optional.of(result), outcome, report);
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Reports an attempt that never ran as failed, and tells the listener. */
    private void notRun(Assignment task, String error, boolean retryable) {
        crew.listener().ended(agentId, task, Optional.empty(), error, crew.source().fail(task, agentId, error,
                retryable));
    }

    /** The first line of a failed attempt's error: why it failed. */
    private String failure(Assignment task, AttemptResult result) {
        return switch (result.ending()) {
            case TIMED_OUT -> "timed out after " + seconds(task.timeoutS()) + " s (attempt " + task.attempt() + " of "
                    + task.maxAttempts() + ")"; // as the engine says it when its sweep comes first
            case STOPPED -> "stopped: " + crew.stopReason();
            case EXITED -> "exit status " + result.exitCode();
        };
    }

    private static String errorTail(String tail) {
        return tail.isEmpty() ? "" : "\n" + tail;
    }

    private static String seconds(double s) {
        return s == Math.rint(s) ? Long.toString((long) s) : Double.toString(s);
    }
}
