package hive.cli.run;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * How one attempt of a task's command ended.
 *
 * @param exitCode the shell's exit status as {@link Process#exitValue()} reports it: the command's
 *     own status, or 128 + N when the shell was killed by signal N (143 for SIGTERM, 137 for
 *     SIGKILL), the way a shell's {@code $?} shows it. Only {@link #ending()} tells a signal sent
 *     by HiveMind from a command that exited with such a status itself.
 * @param ending whether the command ended by itself, over its timeout, or was stopped
 * @param duration from the start until the process and its output had ended
 * @param tail the last bytes of the merged output, decoded as UTF-8 (malformed bytes replaced);
 *     when output was cut, it starts at a character boundary after "…"
 * @param logFile the file holding the whole output
 */
public record AttemptResult(int exitCode, Ending ending, Duration duration, String tail, Path logFile) {

    /** Why the attempt ended. */
    public enum Ending {
        /** The command's shell exited by itself (with any status, or killed by a signal not sent by HiveMind). */
        EXITED,
        /** It ran past its timeout, so its process group was ended. */
        TIMED_OUT,
        /** {@link TaskProcess#stop} or {@link TaskProcess#kill} ended it. */
        STOPPED
    }

    public AttemptResult {
        Objects.requireNonNull(ending, "ending");
        Objects.requireNonNull(duration, "duration");
        Objects.requireNonNull(tail, "tail");
        Objects.requireNonNull(logFile, "logFile");
    }

    /** Exit status 0, by itself: neither timed out nor stopped. */
    public boolean succeeded() {
        return ending == Ending.EXITED && exitCode == 0;
    }

    /** Ended because it ran past its timeout. */
    public boolean timedOut() {
        return ending == Ending.TIMED_OUT;
    }

    /** Ended by {@link TaskProcess#stop} or {@link TaskProcess#kill}. */
    public boolean stopped() {
        return ending == Ending.STOPPED;
    }
}
