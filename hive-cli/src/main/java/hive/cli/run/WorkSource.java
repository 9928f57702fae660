package hive.cli.run;

import java.time.Duration;
import java.util.Optional;

/**
 * Where a {@link Worker} gets its tasks and reports how they went: the embedded engine of
 * {@code hive run}, or a server for {@code hive agent}. Implementations are thread-safe: several
 * workers share one.
 */
public interface WorkSource {

    /**
     * Hands {@code agentId} its next task, waiting up to {@code wait} for one. Empty when none came
     * in time, when the swarm it works on is finished (see {@link #finished}), or when the calling
     * thread is interrupted (its interrupt is kept).
     */
    Optional<Assignment> claim(String agentId, Duration wait);

    /** Whether nothing more will ever be handed out: the swarm this source serves is finished. */
    boolean finished();

    /**
     * Records the attempt as done. {@link Report#TAKEN_BACK} when HiveMind had already ended it
     * (its timeout passed, or the agent's session ended): the result is then not recorded.
     */
    Report complete(Assignment task, String agentId, String result);

    /** Records the attempt as failed; with {@code retryable}, the task runs again while it has attempts left. */
    Report fail(Assignment task, String agentId, String error, boolean retryable);

    /** Renews the agent's session (and so its tasks' locks). */
    void heartbeat(String agentId);

    /** How a report of an attempt was taken. */
    enum Report {
        /** The task's state changed as reported. */
        RECORDED,
        /** The attempt was no longer the agent's: HiveMind had timed it out or taken it back. */
        TAKEN_BACK
    }
}
