package hive.cli.run;

import hive.cli.run.AttemptResult.Ending;
import hive.cli.run.ProcessGroup.Signal;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One attempt of a task's command, running: {@code sh -c COMMAND} in the launch's working
 * directory, with its variables added to the inherited environment, standard input from {@code
 * /dev/null}, standard output and error both appended to the log file.
 *
 * <p>The output goes straight to the file, not through a pipe: a chatty command never waits for
 * a reader, and what a background process writes after the shell has exited is kept (the JDK
 * closes a process's pipe once the process exits, which would cut it off). The result's tail is
 * read from the end of the file.
 *
 * <p>The command runs in a process group of its own (through {@code setsid}, see {@link
 * ProcessGroup} for the fallback without it). Whenever it is ended — over its timeout, by {@link
 * #stop}, and also after it exits by itself, for whatever it left running — the whole group gets
 * SIGTERM, then SIGKILL if anything is left after the grace period: an attempt leaves no process
 * behind that could still write files once its locks are released.
 *
 * <p>Thread-safe: one thread {@linkplain #await awaits} the result while another may {@link
 * #stop} or {@link #kill} the attempt.
 */
public final class TaskProcess {

    private static final Logger log = LoggerFactory.getLogger(TaskProcess.class);

    private static final boolean SETSID_ON_PATH = onPath("setsid");
    private static final File NO_INPUT = new File("/dev/null");
    private static final Duration POLL = Duration.ofMillis(20);

    private final Launch launch;
    private final Process shell;
    private final ProcessGroup group;
    private final long startNanos;
    /** Set once, by whichever ends the attempt first: the timeout or a stop; null while it runs. */
    private final AtomicReference<Ending> ending = new AtomicReference<>();
    /** The result once {@link #await} has it; guarded by {@code this}. */
    private AttemptResult result;

    private TaskProcess(Launch launch, Process shell, ProcessGroup group, long startNanos) {
        this.launch = launch;
        this.shell = shell;
        this.group = group;
        this.startNanos = startNanos;
    }

    /**
     * Starts the attempt: truncates (or creates, with its folders) the log file, then starts the
     * command. Returns at once.
     *
     * @throws CannotStart when the log file cannot be written, the working directory is not a
     *     folder, or {@code sh} cannot be run; the reason is also written to the log file when it
     *     could be created
     */
    public static TaskProcess start(Launch launch) throws CannotStart {
        return start(launch, SETSID_ON_PATH);
    }

    /** As {@link #start(Launch)}, in a session of its own only when {@code ownSession}. */
    static TaskProcess start(Launch launch, boolean ownSession) throws CannotStart {
        createLog(launch.logFile());
        try {
            checkWorkingDirectory(launch.workingDirectory());
            long startNanos = System.nanoTime();
            Process shell = startShell(launch, ownSession);
            ProcessGroup group = ownSession
                    ? new ProcessGroup.Session(shell.toHandle())
                    : new ProcessGroup.Tree(shell.toHandle());
            if (ownSession) {
                recordGroup(launch.logFile(), shell.toHandle(),
                        launch.environment().getOrDefault("HIVE_AGENT_ID", "-"));
            }
            return new TaskProcess(launch, shell, group, startNanos);
        } catch (CannotStart refused) {
            appendToLog(launch.logFile(), "hive: " + refused.getMessage() + "\n");
            throw refused;
        }
    }

    /** The process id of the command's shell (with {@code setsid}, also its process group id). */
    public long pid() {
        return shell.pid();
    }

    /**
     * Waits until the attempt is over: the command has exited, been stopped or timed out, and
     * nothing it started is left in its process group. When the timeout passes, the group is
     * ended (SIGTERM, SIGKILL after the grace period) before this returns. Calling it again
     * returns the same result. Interrupting the waiting thread leaves the command running; end
     * it with {@link #stop} or {@link #kill}.
     */
    public synchronized AttemptResult await() throws InterruptedException {
        if (result == null) {
            if (launch.hasTimeout() && !shell.waitFor(launch.timeout().minus(elapsed()).toNanos(), TimeUnit.NANOSECONDS)
                    && ending.compareAndSet(null, Ending.TIMED_OUT)) {
                end(launch.grace());
            }
            int exitCode = shell.waitFor();
            end(launch.grace());
            deleteQuietly(groupFile(launch.logFile()));
            Duration duration = elapsed();
            result = new AttemptResult(exitCode, ending.compareAndSet(null, Ending.EXITED) ? Ending.EXITED
                    : ending.get(), duration, tail(), launch.logFile());
        }
        return result;
    }

    /**
     * Stops the attempt: SIGTERM to its process group, SIGKILL after {@code grace} if anything is
     * left. Returns once that is done; the result then says {@linkplain AttemptResult#stopped()
     * stopped}. Does nothing when the command has already ended or timed out.
     */
    public void stop(Duration grace) throws InterruptedException {
        if (shell.isAlive() && ending.compareAndSet(null, Ending.STOPPED)) {
            end(grace);
        }
    }

    /** Stops the attempt at once: SIGKILL to its process group. Does nothing when it has already ended. */
    public void kill() throws InterruptedException {
        if (shell.isAlive() && ending.compareAndSet(null, Ending.STOPPED)) {
            group.signal(Signal.KILL);
        }
    }

    /**
     * Ends the process group: SIGTERM, then SIGKILL once the shell and every process of the group
     * have gone or {@code grace} has passed, whichever comes first. Costs one {@code kill} process
     * when the group is already empty.
     */
    private void end(Duration grace) throws InterruptedException {
        end(group, shell, grace);
    }

    /**
     * SIGTERM to the group, then SIGKILL once its {@code shell} (null: none of ours) and every
     * process of it have gone or {@code grace} has passed, whichever comes first.
     */
    private static void end(ProcessGroup group, Process shell, Duration grace) throws InterruptedException {
        if (!group.signal(Signal.TERM)) {
            return;
        }
        long deadline = System.nanoTime() + grace.toNanos();
        if (shell == null || shell.waitFor(grace.toNanos(), TimeUnit.NANOSECONDS)) {
            while (System.nanoTime() < deadline && group.isAlive()) {
                Thread.sleep(POLL);
            }
        }
        group.signal(Signal.KILL);
    }

    private String tail() {
        try {
            return LogTail.read(launch.logFile(), launch.tailBytes());
        } catch (IOException e) {
            return "hive: cannot read the log file '" + launch.logFile() + "': " + describe(e);
        }
    }

    private Duration elapsed() {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }

    /**
     * The file that names a running attempt's process group, next to its log: {@code
     * attempt-<n>.pid}, holding the group id (the shell's pid), the shell's start time in epoch
     * milliseconds and the agent that ran it. Written when the attempt starts, deleted once nothing of it is left, so a file
     * still there after its {@code hive} died names processes that may still run: {@link
     * #endLeftovers} ends them.
     */
    static Path groupFile(Path logFile) {
        String name = logFile.getFileName().toString();
        return logFile.resolveSibling((name.endsWith(".log") ? name.substring(0, name.length() - 4) : name) + ".pid");
    }

    private static void recordGroup(Path logFile, ProcessHandle shell, String agentId) {
        String started = shell.info().startInstant().map(at -> Long.toString(at.toEpochMilli())).orElse("-");
        try {
            Path file = groupFile(logFile);
            Path partial = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(partial, shell.pid() + " " + started + " " + agentId + "\n", StandardCharsets.UTF_8);
            Files.move(partial, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING); // whole or absent, if hive dies now
        } catch (IOException e) {
            log.warn("cannot record the process group of {}: {}; if hive dies, its processes are not ended by "
                    + "the next run", logFile, e.getMessage());
        }
    }

    /**
     * Ends the process groups of attempts whose {@code hive} died while they ran: every group
     * named by an {@code attempt-<n>.pid} file under {@code folder} that still has a process
     * (SIGTERM, SIGKILL after {@code grace}), then deletes the file. A group is ended only when
     * it is certainly the one recorded: its leader runs with the recorded start time, or it has
     * left but processes of its group remain (Linux does not hand out a pid while a group still
     * uses it). Returns how many groups were ended.
     */
    public static int endLeftovers(Path folder, Duration grace) throws InterruptedException {
        return endLeftovers(folder, grace, null);
    }

    /**
     * As {@link #endLeftovers(Path, Duration)}, for the attempts of one agent only ({@code agentId};
     * null for any): an agent started again ends what its killed self left, and nothing of
     * other agents sharing the folder.
     */
    public static int endLeftovers(Path folder, Duration grace, String agentId) throws InterruptedException {
        if (!Files.isDirectory(folder)) {
            return 0;
        }
        List<Path> files;
        try (Stream<Path> walk = Files.walk(folder, 3)) {
            files = walk.filter(f -> f.getFileName().toString().matches("attempt-\\d+\\.pid")).toList();
        } catch (IOException | java.io.UncheckedIOException e) {
            log.warn("cannot look for processes left by an earlier run under {}: {}", folder, e.getMessage());
            return 0;
        }
        int ended = 0;
        for (Path file : files) {
            String[] fields;
            try {
                fields = Files.readString(file, StandardCharsets.UTF_8).trim().split(" ");
            } catch (IOException e) {
                continue;
            }
            if (agentId != null && !(fields.length > 2 && fields[2].equals(agentId))) {
                continue;
            }
            if (endLeftover(file, fields, grace)) {
                ended++;
            }
            deleteQuietly(file);
        }
        return ended;
    }

    private static boolean endLeftover(Path file, String[] fields, Duration grace) throws InterruptedException {
        long pgid;
        try {
            pgid = Long.parseLong(fields[0]);
        } catch (NumberFormatException e) {
            return false;
        }
        Optional<ProcessHandle> leader = ProcessHandle.of(pgid).filter(ProcessHandle::isAlive);
        ProcessGroup group = ProcessGroup.Session.leftover(pgid, leader);
        boolean ours = leader.isPresent()
                ? fields.length > 1 && leader.get().info().startInstant()
                        .map(at -> Long.toString(at.toEpochMilli()).equals(fields[1])).orElse(false)
                : group.isAlive(); // leader gone, members left: Linux keeps the id while the group uses it
        if (!ours) {
            return false;
        }
        log.info("ending process group {} left running by an earlier run ({})", pgid, file);
        end(group, null, grace);
        return true;
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            log.debug("cannot delete {}: {}", file, e.getMessage());
        }
    }

    private static void createLog(Path logFile) throws CannotStart {
        try {
            Path folder = logFile.toAbsolutePath().getParent();
            if (folder != null) {
                Files.createDirectories(folder);
            }
            Files.write(logFile, new byte[0]);
        } catch (IOException e) {
            throw new CannotStart("cannot write the log file '" + logFile + "': " + describe(e), e);
        }
    }

    private static void appendToLog(Path logFile, String line) {
        try {
            Files.writeString(logFile, line, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        } catch (IOException e) {
            // The caller gets the same reason from the exception; the log file only repeats it.
        }
    }

    private static void checkWorkingDirectory(Path folder) throws CannotStart {
        if (!Files.isDirectory(folder)) {
            throw new CannotStart("working directory '" + folder + "' "
                    + (Files.exists(folder) ? "is not a folder" : "does not exist"), null);
        }
    }

    private static Process startShell(Launch launch, boolean ownSession) throws CannotStart {
        List<String> command = ownSession
                ? List.of("setsid", "sh", "-c", launch.command())
                : List.of("sh", "-c", launch.command());
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(launch.workingDirectory().toFile())
                .redirectInput(ProcessBuilder.Redirect.from(NO_INPUT))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(launch.logFile().toFile()))
                .redirectErrorStream(true);
        builder.environment().putAll(launch.environment());
        try {
            return builder.start();
        } catch (IOException e) {
            throw new CannotStart("cannot run '" + String.join(" ", command.subList(0, command.size() - 1))
                    + "' in '" + launch.workingDirectory() + "': " + describe(e), e);
        }
    }

    private static String describe(IOException e) {
        return switch (e) {
            case NoSuchFileException missing -> "no such file or folder '" + missing.getFile() + "'";
            case AccessDeniedException denied -> "permission denied on '" + denied.getFile() + "'";
            case FileSystemException other when other.getReason() != null ->
                    other.getReason() + " ('" + other.getFile() + "')";
            default -> String.valueOf(e.getMessage());
        };
    }

    private static boolean onPath(String program) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(Pattern.quote(File.pathSeparator)))
                .filter(folder -> !folder.isEmpty())
                .anyMatch(folder -> Files.isExecutable(Path.of(folder, program)));
    }
}
