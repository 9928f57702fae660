package hive.cli.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a worker turns an {@link Assignment} into a {@link Launch}: the folder commands run in,
 * where attempt logs go, the command to run instead of each task's own ({@code --exec}), and
 * variables added for every attempt (such as {@code HIVE_SERVER}).
 *
 * <p>Every attempt gets {@code HIVE_SWARM_ID}, {@code HIVE_TASK_ID}, {@code HIVE_AGENT_ID},
 * {@code HIVE_ATTEMPT}, {@code HIVE_LOCK_TOKEN} (when its files were locked), {@code
 * HIVE_TASK_TITLE}, {@code HIVE_TASK_DESCRIPTION}, {@code HIVE_TASK_RUN} (set, possibly empty)
 * and {@code HIVE_TASK_JSON}. Its log is {@code LOGS/<swarm>/<task>/attempt-<n>.log}; the log of
 * an earlier attempt of that number is kept as {@code attempt-<n>.<k>.log}.
 *
 * <p>A task's {@code timeout_s} is where its whole process group must be gone, because HiveMind
 * may hand its files to another task from then on: the group gets SIGTERM a grace period
 * earlier (2 s, or a quarter of the timeout when that is shorter) and SIGKILL at the timeout.
 */
public record LaunchSettings(Path workingDirectory, Path logRoot, Optional<String> exec, Map<String, String> extraEnv) {

    private static final Logger log = LoggerFactory.getLogger(LaunchSettings.class);

    public LaunchSettings {
        Objects.requireNonNull(workingDirectory, "workingDirectory");
        Objects.requireNonNull(logRoot, "logRoot");
        Objects.requireNonNull(exec, "exec");
        extraEnv = Map.copyOf(extraEnv);
    }

    /** The command an attempt runs: {@code --exec} when given, else the task's own; empty when neither. */
    public Optional<String> command(Assignment task) {
        return exec.isPresent() ? exec : Optional.ofNullable(task.run()).filter(run -> !run.isBlank());
    }

    /** The log file of an attempt. */
    public Path logFile(Assignment task) {
        return logFile(task.swarmId(), task.taskId(), task.attempt());
    }

    /** The log file of attempt {@code attempt} of a task. */
    public Path logFile(String swarmId, String taskId, int attempt) {
        return logRoot.resolve(swarmId).resolve(taskId).resolve("attempt-" + attempt + ".log");
    }

    /**
     * Keeps the log of an earlier attempt of the same number (a task retried from the start counts
     * its attempts from 1 again) by renaming it {@code attempt-<n>.<k>.log}, the first free k from 1.
     * Does nothing when there is none; a rename that fails leaves it to be replaced.
     */
    static void setAsideEarlierLog(Path logFile) {
        if (!Files.exists(logFile)) {
            return;
        }
        String name = logFile.getFileName().toString();
        String stem = name.endsWith(".log") ? name.substring(0, name.length() - 4) : name;
        for (int k = 1; k < 10_000; k++) {
            Path earlier = logFile.resolveSibling(stem + "." + k + ".log");
            if (!Files.exists(earlier)) {
                try {
                    Files.move(logFile, earlier);
                } catch (IOException e) {
                    log.warn("cannot keep the earlier log {}: {}", logFile, e.getMessage());
                }
                return;
            }
        }
    }

    /** The launch of the attempt by {@code agentId}; the task must have a {@linkplain #command command}. */
    public Launch launch(Assignment task, String agentId) {
        String command = command(task).orElseThrow(() -> new IllegalArgumentException(
                "task '" + task.taskId() + "' has no 'run' command and no --exec was given"));
        Map<String, String> env = new LinkedHashMap<>(extraEnv);
        env.put("HIVE_SWARM_ID", task.swarmId());
        env.put("HIVE_TASK_ID", task.taskId());
        env.put("HIVE_AGENT_ID", agentId);
        env.put("HIVE_ATTEMPT", Integer.toString(task.attempt()));
        task.lockToken().ifPresent(token -> env.put("HIVE_LOCK_TOKEN", Long.toString(token)));
        env.put("HIVE_TASK_TITLE", Objects.requireNonNullElse(task.title(), ""));
        env.put("HIVE_TASK_DESCRIPTION", Objects.requireNonNullElse(task.description(), ""));
        env.put("HIVE_TASK_RUN", Objects.requireNonNullElse(task.run(), ""));
        env.put("HIVE_TASK_JSON", task.taskJson());
        Launch launch = Launch.of(command, workingDirectory, env, logFile(task));
        if (task.timeoutS() > 0) {
            long limitMs = Math.max(1, Math.round(task.timeoutS() * 1000));
            long graceMs = Math.min(Launch.DEFAULT_GRACE.toMillis(), limitMs / 4);
            launch = launch.withTimeout(Duration.ofMillis(limitMs - graceMs)).withGrace(Duration.ofMillis(graceMs));
        }
        return launch;
    }
}
