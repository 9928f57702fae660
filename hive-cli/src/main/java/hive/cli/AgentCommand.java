package hive.cli;

import hive.cli.run.Assignment;
import hive.cli.run.AttemptListener;
import hive.cli.run.AttemptResult;
import hive.cli.run.Crew;
import hive.cli.run.Launch;
import hive.cli.run.LaunchSettings;
import hive.cli.run.RemoteWork;
import hive.cli.run.RunDisplay;
import hive.cli.run.RunSummary;
import hive.cli.run.Signals;
import hive.cli.run.TaskProcess;
import hive.cli.run.WorkSource;
import hive.client.AgentSpec;
import hive.client.HiveApiException;
import hive.client.HiveClient;
import hive.client.Registered;
import hive.client.SwarmStatus;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code hive agent}: a worker for a remote server. It registers one agent, runs {@code
 * --max-tasks} workers ({@link Crew}) that all claim as that agent over {@link RemoteWork},
 * heartbeats on a thread of its own, and on SIGINT/SIGTERM stops claiming, gives running attempts
 * {@code --grace-s}, stops them, reports them failed and leaves the server. With {@code --swarm}
 * it ends by itself when that swarm is finished. One line per attempt start and end on stdout.
 *
 * <p>The command runs on the main thread; signal handlers run on threads of their own and meet
 * it through {@link #stopping}, which guards the crew's creation, so a signal either finds the
 * crew to stop or tells the main thread not to start it.
 */
@Command(
        name = "agent",
        mixinStandardHelpOptions = true,
        versionProvider = HiveCommand.Version.class,
        description = {
            "A worker for a remote HiveMind server: registers as one agent, heartbeats, claims tasks with "
                    + "long-polls (up to --max-tasks at once) and runs each task's 'run' command, or --exec "
                    + "COMMAND, under 'sh -c' in --dir, like 'hive run': exit 0 completes the task, anything else "
                    + "fails the attempt; past 'timeout_s' its whole process group is killed. The task's files are "
                    + "locked for it by the claim and released when it is reported.",
            "Each attempt sees HIVE_SERVER, HIVE_SWARM_ID, HIVE_TASK_ID, HIVE_AGENT_ID, HIVE_ATTEMPT, "
                    + "HIVE_LOCK_TOKEN (when it has files), HIVE_TASK_TITLE, HIVE_TASK_DESCRIPTION, HIVE_TASK_RUN, "
                    + "HIVE_TASK_JSON, and HIVE_TOKEN (the agent's own token) when a token was given. Output of each "
                    + "attempt: --logs/<swarm>/<task>/attempt-<n>.log.",
            "When the server cannot be reached it tries again, backing off up to 5 s, without losing a "
                    + "result; when the server has declared it lost (silent past the session timeout), its "
                    + "running attempts are stopped and it registers again.",
            "SIGINT or SIGTERM: no new tasks; running ones get --grace-s to finish, then are stopped and "
                    + "reported failed (retried elsewhere while attempts are left); then it leaves the server, "
                    + "which releases its locks. A second signal kills running tasks at once.",
        },
        footer = {
            "",
            "Exit codes: 0 the --swarm completed, or stopped by SIGTERM after leaving cleanly; 1 the --swarm "
                    + "failed or was cancelled, or the agent could not go on; 2 bad options, or the server "
                    + "refused the agent (bad token, unknown swarm); 130 stopped by SIGINT (Ctrl-C).",
            "",
            "Examples:",
            "  hive agent --server http://127.0.0.1:8000",
            "  hive agent --server http://hive:8000 --swarm sw_3f9a2c --max-tasks 4",
            "  hive agent --server http://hive:8000 --roles backend,test --dir ~/src/app",
            "  HIVE_TOKEN=s3cret hive agent --server http://hive:8000 --id builder-1",
            "  export HIVE_SERVER=http://hive:8000",
            "  hive agent --exec 'claude -p \"$HIVE_TASK_DESCRIPTION\"' --max-tasks 2",
        })
final class AgentCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(AgentCommand.class);
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final int MAX_TASKS = 1000;
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");
    /** While stopping, how long past the grace reports may wait for a server that does not answer. */
    private static final Duration REPORT_PATIENCE = Duration.ofSeconds(30);
    /** How long leaving may wait for a server that does not answer. */
    private static final Duration LEAVE_PATIENCE = Duration.ofSeconds(15);

    @Spec
    CommandSpec spec;

    @Option(names = "--server", paramLabel = "URL", description = "The server (default: $HIVE_SERVER).")
    String server;

    @Option(names = "--id", paramLabel = "ID", description = "The agent's id (default: <host>-<pid>); "
            + "[A-Za-z0-9][A-Za-z0-9._-]*, at most 128 characters.")
    String id;

    @Option(names = "--roles", split = ",", paramLabel = "ROLE", description = "The roles whose tasks it may take "
            + "(a,b); a task without a role goes to any agent (default: none).")
    List<String> roles;

    @Option(names = "--max-tasks", paramLabel = "N", defaultValue = "1", description = "Tasks it runs at once, "
            + "1 to " + MAX_TASKS + " (default: ${DEFAULT-VALUE}).")
    int maxTasks;

    @Option(names = "--swarm", paramLabel = "ID", description = "Only this swarm's tasks; the agent ends when the "
            + "swarm is finished (default: tasks of any running swarm, until stopped).")
    String swarm;

    @Option(names = "--token", paramLabel = "T", description = "Bearer token: the admin's, or this agent's "
            + "(default: $HIVE_TOKEN, else none).")
    String token;

    @Option(names = "--exec", paramLabel = "COMMAND", description = "Run COMMAND for every task instead of its own "
            + "'run' (the task is in HIVE_TASK_ID, HIVE_TASK_TITLE, HIVE_TASK_DESCRIPTION, HIVE_TASK_RUN and "
            + "HIVE_TASK_JSON). Without it, a task with no 'run' fails for good.")
    String exec;

    @Option(names = "--dir", paramLabel = "DIR", defaultValue = ".", description = "The folder commands run in "
            + "(default: the current folder).")
    Path dir;

    @Option(names = "--logs", paramLabel = "DIR", defaultValue = ".hive/logs", description = "Where attempt logs go "
            + "(default: ${DEFAULT-VALUE}, from the current folder).")
    Path logs;

    @Option(names = "--grace-s", paramLabel = "S", defaultValue = "30", description = "After SIGINT/SIGTERM, how "
            + "long running tasks may go on before they are stopped (default: ${DEFAULT-VALUE}).")
    double graceS;

    @Option(names = "--heartbeat-s", paramLabel = "S", defaultValue = "10", description = "Seconds between "
            + "heartbeats; keep it under a third of the server's --session-timeout-s (default: ${DEFAULT-VALUE}).")
    double heartbeatS;

    /** Guards {@link #crew} against a signal that comes while it is made. */
    private final Object stopping = new Object();
    private Crew crew;
    private RemoteWork work;
    private Thread main;
    private final AtomicInteger signals = new AtomicInteger();
    /** The first signal received ("INT", "TERM"), or null. */
    private volatile String stoppedBy;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        URI url = serverUrl();
        String agentId = id != null ? id : defaultId();
        check(ID.matcher(agentId).matches(), "--id must match [A-Za-z0-9][A-Za-z0-9._-]*, at most 128 characters, "
                + "got '" + agentId + "'");
        List<String> roleList = roles == null ? List.of() : roles.stream().map(String::strip).toList();
        for (String role : roleList) {
            check(!role.isEmpty(), "--roles: an empty role in '" + String.join(",", roles) + "'");
        }
        check(maxTasks >= 1 && maxTasks <= MAX_TASKS, "--max-tasks must be between 1 and " + MAX_TASKS + ", got "
                + maxTasks);
        check(swarm == null || ID.matcher(swarm).matches(), "--swarm: not a swarm id: '" + swarm + "'");
        check(exec == null || !exec.isBlank(), "--exec needs a command");
        check(graceS >= 0 && graceS <= 24 * 3600, "--grace-s must be between 0 and 86400, got " + graceS);
        check(heartbeatS >= 0.1 && heartbeatS <= 3600, "--heartbeat-s must be between 0.1 and 3600, got "
                + heartbeatS);
        Path workingDirectory = dir.toAbsolutePath().normalize();
        check(Files.isDirectory(workingDirectory), "--dir: no folder '" + dir + "'");
        String tokenValue = token != null && !token.isBlank() ? token : blankToNull(System.getenv("HIVE_TOKEN"));

        quietUnlessAsked();
        AgentSpec registration = new AgentSpec(agentId, "hive agent on " + hostName(), roleList, maxTasks, null);
        try (HiveClient client = HiveClient.builder(url).token(tokenValue).connectTimeout(Duration.ofSeconds(5))
                .build()) {
            Running running = new Running();
            work = new RemoteWork(client, registration, swarm, RemoteCommand.JSON, running::stopAll);
            main = Thread.currentThread();
            Signals.handle("INT", () -> signalled("INT"));
            Signals.handle("TERM", () -> signalled("TERM"));
            Signals.handle("HUP", () -> signalled("HUP")); // the terminal closed; stays ignored under nohup
            try {
                return work(url, tokenValue, workingDirectory, running, out, err);
            } catch (HiveApiException e) {
                err.println("hive agent: the server refused: " + e.getMessage());
                err.flush();
                return e.status() >= 500 ? ExitCode.FAILED : ExitCode.INVALID;
            }
        }
    }

    private int work(URI url, String tokenValue, Path workingDirectory, Running running,
            PrintWriter out, PrintWriter err) throws InterruptedException {
        String agentId = work.agentId();
        if (swarm != null) {
            Optional<SwarmStatus> status;
            try {
                status = work.swarmStatus(swarm);
            } catch (HiveApiException e) {
                if (e.status() != 404) {
                    throw e;
                }
                err.println("hive agent: the server at " + url + " has no swarm '" + swarm + "'");
                err.flush();
                return ExitCode.INVALID;
            }
            if (status.isEmpty()) {
                return stoppedCode();
            }
            if (status.get().isFinished()) {
                out.println("swarm " + swarm + " is already " + status.get().wire() + ": nothing to do");
                return status.get() == SwarmStatus.COMPLETED ? ExitCode.OK : ExitCode.FAILED;
            }
        }
        Path logsRoot = logs.toAbsolutePath().normalize();
        int leftovers = TaskProcess.endLeftovers(logsRoot, Launch.DEFAULT_GRACE, agentId);
        if (leftovers > 0) {
            out.println("ended " + leftovers + " process group" + (leftovers == 1 ? "" : "s") + " an earlier run of "
                    + agentId + " left running");
        }
        Optional<Registered> registered = work.register();
        if (registered.isEmpty()) {
            return stoppedCode();
        }
        List<String> inherited = registered.get().agent().currentTasks();
        if (!inherited.isEmpty()) {
            // An earlier process of this id died holding them: nothing here runs them, so give them back now
            // rather than when their timeout passes (this agent's heartbeats keep its session alive).
            out.println("agent " + agentId + " still held " + String.join(", ", inherited) + " from an earlier run: "
                    + "giving " + (inherited.size() == 1 ? "it" : "them") + " back");
            if (!work.leave()) {
                return stoppedCode();
            }
            registered = work.register();
            if (registered.isEmpty()) {
                return stoppedCode();
            }
        }
        out.println("agent " + agentId + " registered at " + url + " (" + describe() + ")");
        Map<String, String> env = new LinkedHashMap<>();
        env.put("HIVE_SERVER", url.toString());
        if (tokenValue != null && registered.get().token() != null) {
            env.put("HIVE_TOKEN", registered.get().token());
        }
        LaunchSettings settings = new LaunchSettings(workingDirectory, logsRoot,
                Optional.ofNullable(exec), env);
        Lines lines = new Lines(out, settings, running, () -> stoppedBy != null);

        Crew started;
        synchronized (stopping) {
            if (stoppedBy != null) {
                return leave(out);
            }
            crew = new Crew(work, settings, lines, Duration.ofMillis(Math.round(heartbeatS * 1000)));
            started = crew;
            for (int i = 0; i < maxTasks; i++) {
                crew.start(agentId);
            }
        }
        started.awaitEnd();
        if (stoppedBy != null) {
            out.println("stopped by SIG" + stoppedBy + "; " + lines.tally());
            return leave(out);
        }
        Optional<SwarmStatus> status = swarm == null || work.swarmGone() ? Optional.empty()
                : work.swarmStatus(swarm);
        if (!work.swarmGone() && !status.map(SwarmStatus::isFinished).orElse(false)) {
            out.println("every worker stopped on an error (see the log); " + lines.tally());
            leave(out);
            return ExitCode.FAILED;
        }
        out.println("swarm " + swarm + " " + status.map(SwarmStatus::wire).orElse("is no longer known to the server")
                + "; " + lines.tally());
        leave(out);
        return status.orElse(null) == SwarmStatus.COMPLETED ? ExitCode.OK : ExitCode.FAILED;
    }

    /** Leaves the server; the exit code of an agent that was stopped. */
    private int leave(PrintWriter out) {
        Thread.interrupted(); // a signal's interrupt, meant for a wait that is over
        work.giveUpAfter(LEAVE_PATIENCE);
        boolean left = work.leave();
        if (left) {
            out.println("agent " + work.agentId() + " left the server");
        }
        if (stoppedBy == null) {
            return ExitCode.OK;
        }
        if (!left) {
            return ExitCode.FAILED;
        }
        return "INT".equals(stoppedBy) ? ExitCode.INTERRUPTED : ExitCode.OK;
    }

    private int stoppedCode() {
        return "INT".equals(stoppedBy) ? ExitCode.INTERRUPTED : stoppedBy != null ? ExitCode.OK : ExitCode.FAILED;
    }

    /**
     * SIGINT or SIGTERM: the first stops claiming and gives running attempts the grace; the
     * second kills them and ends every retry. Before the workers start, it interrupts the main
     * thread's wait for the server.
     */
    private void signalled(String signal) {
        int n = signals.incrementAndGet();
        synchronized (stopping) {
            if (n == 1) {
                stoppedBy = signal;
            }
            if (crew == null) {
                main.interrupt(); // ends the wait for the server, if any
                return;
            }
        }
        Duration grace = Duration.ofMillis(Math.round(graceS * 1000));
        if (n == 1) {
            log.info("SIG{}: no new tasks; {} running get {} s before they are stopped", signal, crew.runningCount(),
                    graceS);
            work.giveUpAfter(grace.plus(Launch.DEFAULT_GRACE).plus(REPORT_PATIENCE));
            crew.stop(grace, "hive agent " + work.agentId() + " was stopped (SIG" + signal + ")");
        } else {
            log.info("SIG{} again: running tasks are killed", signal);
            work.giveUpNow();
            crew.kill("hive agent " + work.agentId() + " was stopped (SIG" + signal + " twice)");
        }
    }

    private String describe() {
        return (maxTasks == 1 ? "1 task" : maxTasks + " tasks") + " at once, "
                + (roles == null || roles.isEmpty() ? "no role" : "roles " + String.join(",", roles)) + ", "
                + (swarm == null ? "any swarm" : "swarm " + swarm)
                + (exec == null ? "" : ", --exec");
    }

    private URI serverUrl() {
        String text = server != null && !server.isBlank() ? server : blankToNull(System.getenv("HIVE_SERVER"));
        check(text != null, "--server URL is required (or set HIVE_SERVER)");
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new ParameterException(spec.commandLine(), "--server: not a URL: '" + text + "'");
        }
        check(("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()))
                && uri.getHost() != null, "--server must be http://HOST:PORT or https://..., got '" + text + "'");
        return uri;
    }

    private void check(boolean ok, String message) {
        if (!ok) {
            throw new ParameterException(spec.commandLine(), message);
        }
    }

    /** {@code <host>-<pid>}, with what an id may not hold replaced by '-'. */
    static String defaultId() {
        String host = hostName().replaceAll("[^A-Za-z0-9._-]", "-").replaceAll("^[^A-Za-z0-9]+", "");
        String pid = Long.toString(ProcessHandle.current().pid());
        if (host.isEmpty()) {
            host = "agent";
        }
        return host.substring(0, Math.min(host.length(), 127 - pid.length())) + "-" + pid;
    }

    private static String hostName() {
        String env = blankToNull(System.getenv("HOSTNAME"));
        if (env != null) {
            return env;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "agent";
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    /** An agent runs for long: what it does (losing and finding the server, ...) is logged at INFO unless told. */
    private static void quietUnlessAsked() {
        if (System.getenv("HIVE_LOG_LEVEL") == null && System.getProperty("HIVE_LOG_LEVEL") == null) {
            ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME))
                    .setLevel(ch.qos.logback.classic.Level.INFO);
        }
    }

    /** The attempts running now, to stop when the server has taken them back. Thread-safe. */
    private static final class Running {

        private final Map<Assignment, TaskProcess> processes = new ConcurrentHashMap<>();

        void add(Assignment task, TaskProcess process) {
            processes.put(task, process);
        }

        void remove(Assignment task) {
            processes.remove(task);
        }

        /** Stops every attempt running now (SIGTERM, SIGKILL after 2 s), on a thread of its own: returns at once. */
        void stopAll() {
            List<TaskProcess> now = List.copyOf(processes.values());
            if (now.isEmpty()) {
                return;
            }
            Thread.ofPlatform().daemon().name("stop taken-back attempts").start(() -> {
                for (TaskProcess process : now) {
                    try {
                        process.stop(Launch.DEFAULT_GRACE);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            });
        }
    }

    /**
     * One line on stdout per attempt start and end, with the time; the same at DEBUG in the log.
     * Counts the attempts by outcome. Called on the workers' threads; thread-safe.
     */
    private static final class Lines implements AttemptListener {

        private static final String TAKEN_BACK = "HiveMind had taken the attempt back";

        private final PrintWriter out;
        private final LaunchSettings settings;
        private final Running running;
        private final BooleanSupplier agentStopping;
        private final AtomicInteger completed = new AtomicInteger();
        private final AtomicInteger failed = new AtomicInteger();
        private final AtomicInteger takenBack = new AtomicInteger();

        Lines(PrintWriter out, LaunchSettings settings, Running running, BooleanSupplier agentStopping) {
            this.out = out;
            this.settings = settings;
            this.running = running;
            this.agentStopping = agentStopping;
        }

        @Override
        public void started(String agentId, Assignment task, TaskProcess attempt) {
            running.add(task, attempt);
            print("started   " + task.ref() + " " + attempts(task) + " (log " + RunDisplay.relative(settings.logFile(task))
                    + ")");
        }

        @Override
        public void ended(String agentId, Assignment task, Optional<AttemptResult> result, String outcome,
                WorkSource.Report report) {
            running.remove(task);
            String took = result.map(r -> " in " + RunSummary.human(r.duration())).orElse("");
            boolean done = "completed".equals(outcome);
            boolean notRecorded = report == WorkSource.Report.TAKEN_BACK;
            String head = task.ref() + " " + attempts(task) + took;
            String line;
            if (done) {
                line = "completed " + head + (notRecorded ? ", not recorded: " + TAKEN_BACK : "");
            } else if (notRecorded && result.map(AttemptResult::stopped).orElse(false)
                    && !agentStopping.getAsBoolean()) {
                line = "stopped   " + head + ": " + TAKEN_BACK; // by Running.stopAll
            } else {
                String tail = result.map(AttemptResult::tail).orElse("");
                line = "failed    " + head + ": " + oneLine(RunDisplay.headline(outcome + "\n" + tail))
                        + (notRecorded ? "; not recorded: " + TAKEN_BACK : "");
            }
            if (notRecorded) {
                takenBack.incrementAndGet();
            } else if (done) {
                completed.incrementAndGet();
            } else {
                failed.incrementAndGet();
            }
            print(line);
        }

        String tally() {
            return "this agent's attempts: " + completed.get() + " completed, " + failed.get() + " failed"
                    + (takenBack.get() > 0 ? ", " + takenBack.get() + " taken back" : "");
        }

        private static String attempts(Assignment task) {
            return "attempt " + task.attempt() + "/" + task.maxAttempts();
        }

        private void print(String line) {
            String stamped = ZonedDateTime.now(ZoneId.systemDefault()).format(CLOCK) + " " + line;
            log.debug(line);
            synchronized (out) {
                out.println(stamped);
                out.flush();
            }
        }

        private static String oneLine(String text) {
            String first = text.lines().findFirst().orElse("");
            return first.replaceAll("\\p{Cntrl}", " ");
        }

    }
}
