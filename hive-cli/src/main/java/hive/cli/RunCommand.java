package hive.cli;

import static hive.cli.run.RunDisplay.relative;

import com.fasterxml.jackson.databind.ObjectMapper;
import hive.Hive;
import hive.agents.Agent;
import hive.agents.AgentStatus;
import hive.agents.Registration;
import hive.cli.run.AttemptResult;
import hive.cli.run.Crew;
import hive.cli.run.EmbeddedWork;
import hive.cli.run.Launch;
import hive.cli.run.LaunchSettings;
import hive.cli.run.RunDisplay;
import hive.cli.run.RunSummary;
import hive.cli.run.Signals;
import hive.cli.run.TaskProcess;
import hive.cli.run.WorkSource;
import hive.events.Event;
import hive.plan.Plan;
import hive.plan.TaskSpec;
import hive.schedule.Swarm;
import hive.schedule.SwarmStatus;
import hive.schedule.Task;
import hive.schedule.TaskState;
import hive.server.Json;
import hive.store.Durability;
import hive.store.StoreFailure;
import hive.store.sqlite.SqliteStore;
import java.io.Console;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code hive run PLAN}: runs a whole plan on this machine, with an engine in this process over a
 * SQLite file and {@code --workers} local workers, each a registered agent ({@code run-N.<swarm>})
 * that claims tasks and runs their commands ({@link hive.cli.run.TaskProcess}). The swarm is the
 * plan's name: running the same plan again with the same database resumes it.
 */
@Command(
        name = "run",
        mixinStandardHelpOptions = true,
        versionProvider = HiveCommand.Version.class,
        description = {
            "Runs a whole plan on this machine: an embedded engine over a SQLite file, N local workers.",
            "Each task's 'run' command runs under 'sh -c' in the plan's folder (or its 'workspace' folder "
                    + "when that names one), with HIVE_SWARM_ID, HIVE_TASK_ID, HIVE_AGENT_ID, HIVE_ATTEMPT and "
                    + "HIVE_LOCK_TOKEN set, after its 'files' are locked. Exit 0 completes it, anything else "
                    + "fails it; past 'timeout_s' its whole process group is killed. Failed attempts are "
                    + "retried (max_attempts, backoff_s); a task that fails for good blocks its dependents.",
            "Output of each attempt: <db folder>/logs/<swarm>/<task>/attempt-<n>.log (or --logs DIR).",
            "Ctrl-C once: no new tasks start, running ones get --grace-s to finish, then are stopped; "
                    + "twice: they are killed at once. Exit 130. Run the same plan again with the same --db "
                    + "to resume: completed tasks are not run again, failed ones are retried.",
        },
        footer = {
            "",
            "Exit codes: 0 every task completed, 1 some task failed or is blocked, 2 invalid plan or "
                    + "options, 130 interrupted.",
            "",
            "Examples:",
            "  hive run examples/build.yaml",
            "  hive run plan.yaml --workers 4 --db sqlite:/tmp/hive.db",
            "  hive run plan.yaml --json | jq -c 'select(.type == \"task_failed\")'",
            "  hive run plan.yaml --exec 'claude -p \"$HIVE_TASK_DESCRIPTION\"'",
        })
final class RunCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(RunCommand.class);
    private static final int MAX_WORKERS = 256;
    private static final Duration TICK = Duration.ofMillis(200);

    @ParentCommand
    HiveCommand hive;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "PLAN", description = "The plan file (JSON or YAML), or '-' for standard input.")
    String plan;

    @Option(names = "--workers", paramLabel = "N", description = "Tasks run at once (default: the number of cores, "
            + "here ${DEFAULT-VALUE}).")
    int workers = Runtime.getRuntime().availableProcessors();

    @Option(names = "--db", defaultValue = "sqlite:.hive/hive.db", paramLabel = "URL", description = "The database "
            + "that keeps the run, sqlite:PATH (default: ${DEFAULT-VALUE}).")
    String db;

    @Option(names = "--json", description = "One JSON event per line on stdout (the events of the API's event "
            + "stream), then a run_summary object.")
    boolean json;

    @Option(names = "--exec", paramLabel = "COMMAND", description = "Run COMMAND for every task instead of its own "
            + "'run' (the task is in HIVE_TASK_ID, HIVE_TASK_TITLE, HIVE_TASK_DESCRIPTION, HIVE_TASK_RUN and "
            + "HIVE_TASK_JSON).")
    String exec;

    @Option(names = "--logs", paramLabel = "DIR", description = "Where each attempt's output goes, as "
            + "DIR/<swarm>/<task>/attempt-<n>.log (default: 'logs' next to the database, so .hive/logs).")
    Path logs;

    @Option(names = "--grace-s", defaultValue = "30", paramLabel = "S", description = "After Ctrl-C, how long running "
            + "tasks may go on before they are stopped (default: ${DEFAULT-VALUE}).")
    double graceS;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (workers < 1 || workers > MAX_WORKERS) {
            throw new ParameterException(spec.commandLine(), "--workers must be between 1 and " + MAX_WORKERS
                    + ", got " + workers);
        }
        if (!(graceS >= 0 && graceS <= 24 * 3600)) {
            throw new ParameterException(spec.commandLine(), "--grace-s must be between 0 and 86400, got " + graceS);
        }
        if (exec != null && exec.isBlank()) {
            throw new ParameterException(spec.commandLine(), "--exec needs a command");
        }
        Path dbFile;
        try {
            dbFile = DatabaseUrl.sqliteFile(db, "hive run").toAbsolutePath();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        Plan valid;
        switch (PlanInput.load(plan, hive.stdin)) {
            case PlanInput.Loaded(var loaded) -> valid = loaded;
            case PlanInput.Refused refused -> {
                return refused.report(err);
            }
        }
        List<String> problems = unrunnable(valid);
        if (!problems.isEmpty()) {
            problems.forEach(err::println);
            err.flush();
            return ExitCode.INVALID;
        }
        Path planFolder = "-".equals(plan) ? Path.of("").toAbsolutePath()
                : Objects.requireNonNullElse(Path.of(plan).toAbsolutePath().getParent(), Path.of("/"));
        Path workspaceFolder = planFolder.resolve(valid.workspace());
        Path workingDirectory = Files.isDirectory(workspaceFolder) ? workspaceFolder : planFolder;

        Hive engine;
        try {
            Files.createDirectories(dbFile.getParent());
            // The store's lock file keeps a second process (another hive run, a hive server) off this database.
            engine = Hive.open(SqliteStore.open(dbFile, Durability.NORMAL), InstantSource.system(),
                    new SecureRandom(), Duration.ofSeconds(1), Hive.DEFAULT_SESSION_TIMEOUT);
        } catch (IOException e) {
            err.println("hive run: cannot create the folder of " + dbFile + ": " + e.getMessage());
            err.flush();
            return ExitCode.FAILED;
        } catch (StoreFailure e) {
            err.println("hive run: " + e.getMessage());
            err.flush();
            return ExitCode.FAILED;
        }
        try {
            return run(engine, valid, dbFile, workingDirectory, out);
        } finally {
            engine.close();
        }
    }

    private int run(Hive engine, Plan valid, Path dbFile, Path workingDirectory, PrintWriter out)
            throws InterruptedException {
        ObjectMapper mapper = Json.mapper();
        long began = System.nanoTime();
        Path logRoot = logs != null ? logs.toAbsolutePath() : dbFile.getParent().resolve("logs");
        LaunchSettings settings = new LaunchSettings(workingDirectory, logRoot, Optional.ofNullable(exec), Map.of());
        RunDisplay.LogFiles logFiles = (swarm, task, attempt) -> relative(settings.logFile(swarm, task, attempt));
        RunDisplay display = json ? RunDisplay.json(out, Json::event, mapper)
                : onTerminal() ? RunDisplay.live(out, logFiles, terminalWidth())
                : RunDisplay.plain(out, logFiles);

        Start start = resumeOrCreate(engine, valid, dbFile, logRoot, display);
        Swarm swarm = start.swarm();
        String swarmId = swarm.id();
        if (swarm.status() == SwarmStatus.COMPLETED) {
            display.note("plan '" + valid.name() + "' already completed (swarm " + swarmId + " in "
                    + relative(dbFile) + "): nothing to run");
            return finish(engine, swarmId, display, out, mapper, false, Optional.empty());
        }

        Set<String> roles = new TreeSet<>();
        valid.tasks().forEach(t -> {
            if (t.role() != null) {
                roles.add(t.role());
            }
        });
        List<String> agents = new ArrayList<>();
        for (int i = 1; i <= workers; i++) {
            String id = "run-" + i + "." + swarmId;
            engine.register(new Registration(id, "hive run worker " + i, roles, 1, List.of()));
            agents.add(id);
        }

        Crew crew = new Crew(new EmbeddedWork(engine, swarmId, mapper), settings, new TakenBackNotes(display),
                Hive.DEFAULT_SESSION_TIMEOUT.dividedBy(6));
        AtomicInteger interrupts = new AtomicInteger();
        Runnable onInterrupt = () -> {
            if (interrupts.incrementAndGet() == 1) {
                crew.stop(Duration.ofMillis(Math.round(graceS * 1000)), "hive run was interrupted");
                log.info("interrupted: no new tasks; {} running get {} s before they are stopped",
                        crew.runningCount(), graceS);
            } else {
                crew.kill("hive run was interrupted twice");
                log.info("interrupted again: running tasks are killed");
            }
        };
        Signals.handle("INT", onInterrupt);
        Signals.handle("TERM", onInterrupt);
        Signals.handle("HUP", onInterrupt); // the terminal closed; stays ignored under nohup

        try {
            agents.forEach(crew::start);
            Thread end = Thread.ofPlatform().name("run end").start(() -> {
                try {
                    crew.awaitEnd();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            long seen = start.shownUpTo();
            while (end.isAlive()) {
                end.join(TICK.toMillis());
                seen = follow(engine, swarmId, seen, display);
                if (display.ticks()) { // two reads every tick: only for a display that draws them
                    display.tick(engine.progress(swarmId),
                            engine.tasks(swarmId, Optional.of(TaskState.IN_PROGRESS)), Instant.now());
                }
            }
            follow(engine, swarmId, seen, display);
        } finally {
            for (String id : agents) {
                leaveQuietly(engine, id);
            }
        }
        return finish(engine, swarmId, display, out, mapper, crew.stopped(),
                start.shownUpTo() > 0 ? Optional.of(Duration.ofNanos(System.nanoTime() - began)) : Optional.empty());
    }

    /** Shows the events after {@code seen} (none when {@code display} is null); returns the last one. */
    private static long follow(Hive engine, String swarmId, long seen, RunDisplay display) {
        while (true) {
            List<Event> events = engine.events(swarmId, seen, 500);
            for (Event e : events) {
                if (display != null) {
                    display.event(e);
                }
                seen = e.seq();
            }
            if (events.size() < 500) {
                return seen;
            }
        }
    }

    /**
     * Prints the summary and returns the exit status. {@code resumedRun} is how long this run took
     * when it resumed an earlier one (the summary's own times span every run of the swarm).
     */
    private int finish(Hive engine, String swarmId, RunDisplay display, PrintWriter out, ObjectMapper mapper,
            boolean interrupted, Optional<Duration> resumedRun) {
        display.close();
        List<Task> tasks = engine.tasks(swarmId);
        RunSummary summary = RunSummary.of(tasks);
        SwarmStatus status = engine.swarm(swarmId).status();
        int code = interrupted ? ExitCode.INTERRUPTED : status == SwarmStatus.COMPLETED ? ExitCode.OK : ExitCode.FAILED;
        if (json) {
            Map<String, Object> end = new LinkedHashMap<>();
            end.put("type", "run_summary");
            end.put("swarm_id", swarmId);
            end.put("status", status.wire());
            end.put("exit_code", code);
            end.put("tasks", summary.rows().stream().map(row -> {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("id", row.id());
                r.put("status", row.state().wire());
                r.put("attempts", row.attempts());
                r.put("duration_s", row.duration().map(d -> d.toMillis() / 1000.0).orElse(null));
                return r;
            }).toList());
            end.put("critical_path", summary.criticalPath());
            resumedRun.ifPresent(took -> end.put("this_run_s", took.toMillis() / 1000.0));
            try {
                out.println(mapper.writeValueAsString(end));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException("cannot write the run summary", e);
            }
        } else {
            out.println();
            out.print(summary.render());
            resumedRun.ifPresent(took -> out.println("this run (resumed): " + RunSummary.human(took)));
            if (interrupted) {
                out.println("interrupted: run the same command again to resume");
            }
        }
        out.flush();
        return code;
    }

    /** The swarm to run, and its last event already shown by an earlier run (0 for a new swarm). */
    private record Start(Swarm swarm, long shownUpTo) {
    }

    /**
     * The swarm of this plan in the database, readied to go on, or a new one. A swarm is resumed
     * when it has the plan's name and the same tasks: the commands of an earlier run that died
     * with them still running are ended, its workers leave (their tasks go back to ready), failed tasks are retried (unblocking their
     * dependents), a paused swarm is resumed.
     */
    private Start resumeOrCreate(Hive engine, Plan valid, Path dbFile, Path logRoot, RunDisplay display)
            throws InterruptedException {
        Optional<Swarm> earlier = engine.swarms().stream()
                .filter(s -> s.name().equals(valid.name()) && s.status() != SwarmStatus.CANCELLED)
                .max(Comparator.comparing(Swarm::createdAt));
        if (earlier.isPresent()) {
            Swarm swarm = earlier.get();
            List<Task> tasks = engine.tasks(swarm.id());
            Optional<String> change = change(valid, swarm, tasks);
            if (change.isEmpty()) {
                long shown = follow(engine, swarm.id(), 0, null);
                int leftovers = TaskProcess.endLeftovers(logRoot.resolve(swarm.id()), Launch.DEFAULT_GRACE);
                if (leftovers > 0) {
                    display.note("ended " + plural(leftovers, "process group") + " an earlier run left running");
                }
                for (Agent agent : engine.agents()) {
                    if (agent.id().endsWith("." + swarm.id()) && agent.status() == AgentStatus.ACTIVE) {
                        engine.leave(agent.id());
                    }
                }
                int retried = 0;
                for (Task task : engine.tasks(swarm.id(), Optional.of(TaskState.FAILED))) {
                    engine.retry(swarm.id(), task.id());
                    retried++;
                }
                if (engine.swarm(swarm.id()).status() == SwarmStatus.PAUSED) {
                    engine.resume(swarm.id());
                }
                long completed = tasks.stream().filter(t -> t.status() == TaskState.COMPLETED).count();
                if (completed < tasks.size()) {
                    display.note("resuming plan '" + valid.name() + "' (swarm " + swarm.id() + "): " + completed
                            + " of " + tasks.size() + " tasks completed" + (retried > 0 ? ", retrying " + retried
                            + " failed" : ""));
                }
                return new Start(engine.swarm(swarm.id()), shown);
            }
            display.note("plan '" + valid.name() + "' changed since swarm " + swarm.id() + " ran (" + change.get()
                    + "): starting it anew");
        }
        Swarm created = engine.createSwarm(valid);
        display.note("running plan '" + valid.name() + "' (swarm " + created.id() + ", "
                + plural(valid.tasks().size(), "task") + ", " + plural(workers, "worker") + ", database "
                + relative(dbFile) + ")");
        return new Start(created, 0);
    }

    /** How the plan differs from an earlier swarm of the same name, if it does. */
    private static Optional<String> change(Plan valid, Swarm swarm, List<Task> tasks) {
        if (!valid.workspace().equals(swarm.workspace())) {
            return Optional.of("workspace");
        }
        if (!Objects.equals(valid.goal(), swarm.goal())) {
            return Optional.of("goal");
        }
        Map<String, Task> byId = new LinkedHashMap<>();
        tasks.forEach(t -> byId.put(t.id(), t));
        for (TaskSpec s : valid.tasks()) {
            Task t = byId.remove(s.id());
            if (t == null) {
                return Optional.of("task '" + s.id() + "' is new");
            }
            List<String> fields = new ArrayList<>();
            compare(fields, "run", s.run(), t.run());
            compare(fields, "depends_on", s.dependsOn(), t.dependsOn());
            compare(fields, "files", s.files(), t.files());
            compare(fields, "role", s.role(), t.role());
            compare(fields, "agent", s.agent(), t.agent());
            compare(fields, "title", s.title(), t.title());
            compare(fields, "description", s.description(), t.description());
            compare(fields, "priority", s.priority(), t.priority());
            compare(fields, "weight", s.weight(), t.weight());
            compare(fields, "max_attempts", s.maxAttempts(), t.maxAttempts());
            compare(fields, "timeout_s", s.timeoutS(), t.timeoutS());
            compare(fields, "backoff_s", s.backoffS(), t.backoffS());
            if (!fields.isEmpty()) {
                return Optional.of("task '" + s.id() + "': " + String.join(", ", fields));
            }
        }
        return byId.isEmpty() ? Optional.empty()
                : Optional.of("task '" + byId.keySet().iterator().next() + "' was removed");
    }

    private static void compare(List<String> differ, String field, Object planned, Object stored) {
        if (!Objects.equals(planned, stored)) {
            differ.add(field);
        }
    }

    /** What keeps the plan from running here: tasks without a command, tasks reserved for an agent. */
    private List<String> unrunnable(Plan valid) {
        Set<String> problems = new LinkedHashSet<>();
        for (TaskSpec task : valid.tasks()) {
            if (exec == null && (task.run() == null || task.run().isBlank())) {
                problems.add("task '" + task.id() + "': no 'run' command to run (give it one, or run every task "
                        + "with --exec COMMAND)");
            }
            if (task.agent() != null) {
                problems.add("task '" + task.id() + "': reserved for agent '" + task.agent() + "', which hive run "
                        + "does not have (its workers are run-1 … run-N): remove 'agent', or serve the plan with "
                        + "hive server and run hive agent --id " + task.agent());
            }
        }
        return List.copyOf(problems);
    }

    private static String plural(int n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    private static void leaveQuietly(Hive engine, String agentId) {
        try {
            engine.leave(agentId);
        } catch (RuntimeException e) {
            log.warn("worker {} could not leave: {}", agentId, e.getMessage());
        }
    }


    /** The terminal's width: $COLUMNS when the shell exports it, else 80. */
    private static int terminalWidth() {
        try {
            return Integer.parseInt(Objects.requireNonNullElse(System.getenv("COLUMNS"), "80").trim());
        } catch (NumberFormatException e) {
            return 80;
        }
    }

    /** Whether standard output is a terminal (a live display there; plain lines elsewhere). */
    private static boolean onTerminal() {
        if ("dumb".equals(System.getenv("TERM"))) {
            return false;
        }
        Console console = System.console();
        if (console == null) {
            return false;
        }
        try { // Java 22+: a console exists even when redirected; isTerminal tells
            return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true; // Java 21: a console exists only on a terminal
        }
    }

    /** Tells, among the run's lines, of attempts whose outcome HiveMind had already decided. */
    private record TakenBackNotes(RunDisplay display) implements hive.cli.run.AttemptListener {
        @Override
        public void ended(String agentId, hive.cli.run.Assignment task, Optional<AttemptResult> result,
                String outcome, WorkSource.Report report) {
            if (report == WorkSource.Report.TAKEN_BACK) {
                log.info("attempt {} of {} ended ({}) after HiveMind had taken it back", task.attempt(), task.ref(),
                        outcome);
            }
        }
    }
}
