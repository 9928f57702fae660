package hive.cli.run;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * What {@link TaskProcess#start} runs: one attempt of a task's command.
 *
 * @param command the shell command, run as {@code sh -c COMMAND}
 * @param workingDirectory the folder it runs in; must exist
 * @param environment variables added to (or replacing) the ones this JVM inherited, such as
 *     {@code HIVE_TASK_ID} and {@code HIVE_ATTEMPT}
 * @param logFile where the merged standard output and error are written in full; its parent
 *     folders are created, an existing file is replaced
 * @param timeout how long the attempt may run before its process group is ended; {@link
 *     Duration#ZERO} for no limit
 * @param grace how long the process group has, after SIGTERM, before it gets SIGKILL
 * @param tailBytes how many of the last bytes of output {@link AttemptResult#tail()} keeps
 */
public record Launch(
        String command,
        Path workingDirectory,
        Map<String, String> environment,
        Path logFile,
        Duration timeout,
        Duration grace,
        int tailBytes) {

    /** SIGTERM to SIGKILL, unless {@link #withGrace} says otherwise. */
    public static final Duration DEFAULT_GRACE = Duration.ofSeconds(2);

    /** The tail kept unless {@link #withTailBytes} says otherwise. */
    public static final int DEFAULT_TAIL_BYTES = 4096;

    public Launch {
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(workingDirectory, "workingDirectory");
        Objects.requireNonNull(logFile, "logFile");
        Objects.requireNonNull(environment, "environment");
        environment.forEach((name, value) -> {
            Objects.requireNonNull(name, "environment variable name");
            Objects.requireNonNull(value, () -> "value of environment variable " + name);
        });
        environment = Map.copyOf(environment);
        timeout = timeout == null ? Duration.ZERO : timeout;
        Objects.requireNonNull(grace, "grace");
        if (timeout.isNegative() || grace.isNegative()) {
            throw new IllegalArgumentException("timeout and grace must not be negative: " + timeout + ", " + grace);
        }
        if (tailBytes < 0) {
            throw new IllegalArgumentException("tailBytes must not be negative: " + tailBytes);
        }
    }

    /** No timeout, a {@linkplain #DEFAULT_GRACE 2 s grace}, a {@linkplain #DEFAULT_TAIL_BYTES 4 KiB tail}. */
    public static Launch of(String command, Path workingDirectory, Map<String, String> environment, Path logFile) {
        return new Launch(command, workingDirectory, environment, logFile, Duration.ZERO, DEFAULT_GRACE,
                DEFAULT_TAIL_BYTES);
    }

    /** This launch with a time limit; zero for none. */
    public Launch withTimeout(Duration limit) {
        return new Launch(command, workingDirectory, environment, logFile, limit, grace, tailBytes);
    }

    /** This launch with another delay between SIGTERM and SIGKILL. */
    public Launch withGrace(Duration delay) {
        return new Launch(command, workingDirectory, environment, logFile, timeout, delay, tailBytes);
    }

    /** This launch keeping another number of output bytes as its tail. */
    public Launch withTailBytes(int bytes) {
        return new Launch(command, workingDirectory, environment, logFile, timeout, grace, bytes);
    }

    /** Whether the attempt has a time limit. */
    public boolean hasTimeout() {
        return !timeout.isZero();
    }
}
