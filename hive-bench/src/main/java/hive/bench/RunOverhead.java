package hive.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import hive.Hive;
import hive.agents.Registration;
import hive.cli.run.AttemptListener;
import hive.cli.run.Assignment;
import hive.cli.run.AttemptResult;
import hive.cli.run.Crew;
import hive.cli.run.EmbeddedWork;
import hive.cli.run.LaunchSettings;
import hive.cli.run.TaskProcess;
import hive.cli.run.WorkSource;
import hive.plan.PlanFormat;
import hive.schedule.SwarmStatus;
import hive.server.Json;
import hive.store.Durability;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code run-overhead}: what {@code hive run} adds to the commands it runs. The same number of
 * {@code true} commands is run three ways, on the same number of worker threads: bare ({@code
 * setsid sh -c true} through {@link ProcessBuilder}, output to a file: the process spawns alone); each through {@link
 * TaskProcess} exactly as a worker starts an attempt (log file, {@code setsid}, process-group
 * clean-up); and through {@code hive run}'s own machinery (an engine over a fresh SQLite file,
 * registered workers that claim, run and complete each task, a {@link Crew}). The differences, per
 * task, are HiveMind's time: in wall time (how much longer the run takes) and in CPU time of this
 * process.
 */
final class RunOverhead {

    static final String USAGE = """
            usage: hive-bench run-overhead [options]

            Runs --tasks `true` commands on --workers threads three ways, in turn, --rounds times
            each: bare spawns (`setsid sh -c true` through ProcessBuilder, output to a file: the
            processes every attempt needs); through TaskProcess, as a
            worker runs an attempt (log file, setsid, process-group clean-up); and through hive
            run's engine and workers (SQLite, claim, run, complete). Prints wall time and this
            process's CPU time of each, and per task, median of the rounds, what each layer adds.

            options:
              --tasks N        tasks per run (default 2000)
              --workers N      worker threads (default 8)
              --rounds N       runs of each kind (default 3)
              --durability M   normal|strict (default normal)
              --dir DIR        folder for the databases and logs (default: a temporary folder)
              --json           one JSON object with every figure
            """;

    private static final ObjectMapper JSON = new ObjectMapper();

    private RunOverhead() {}

    record Options(int tasks, int workers, int rounds, Durability durability, Path dir, boolean json) {

        static Options parse(String[] args) {
            BenchArgs a = BenchArgs.parse(args, List.of("--tasks", "--workers", "--rounds", "--durability", "--dir"),
                    List.of("--json"));
            return new Options(a.count("--tasks", 2000, 1, 1_000_000), a.count("--workers", 8, 1, 256),
                    a.count("--rounds", 3, 1, 100), a.durability(Durability.NORMAL), a.path("--dir"), a.flag("--json"));
        }
    }

    /** One run: its wall and CPU time. */
    record Timing(String kind, long wallNanos, long cpuNanos) {
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("run-overhead: " + e.getMessage());
            return 2;
        }
        try {
            Path dir = options.dir() != null ? Files.createDirectories(options.dir())
                    : Files.createTempDirectory("hive-run-overhead");
            List<Timing> spawns = new ArrayList<>();
            List<Timing> floors = new ArrayList<>();
            List<Timing> hives = new ArrayList<>();
            for (int round = 1; round <= options.rounds(); round++) {
                spawns.add(spawns(options, dir));
                floors.add(floor(options, dir.resolve("floor-" + round)));
                hives.add(hive(options, dir.resolve("hive-" + round)));
                if (!options.json()) {
                    out.printf("round %d:%n  bare spawns  %s%n  TaskProcess  %s%n  hive run     %s%n", round,
                            describe(spawns.getLast(), options), describe(floors.getLast(), options),
                            describe(hives.getLast(), options));
                }
            }
            report(options, spawns, floors, hives, out);
            return 0;
        } catch (IOException | InterruptedException | RuntimeException e) {
            err.println("run-overhead: " + e);
            return 1;
        }
    }

    /** The processes a task's attempt needs: a session of its own when setsid is there, and sh. */
    private static final List<String> SPAWN = Files.isExecutable(Path.of("/usr/bin/setsid"))
            ? List.of("/usr/bin/setsid", "sh", "-c", "true") : List.of("sh", "-c", "true");

    /**
     * The process spawns alone: {@code setsid sh -c true} (a session of its own, as every attempt
     * is started, when setsid is there) with its output to a file, waited for, on the same number of
     * threads; nothing of HiveMind.
     */
    private static Timing spawns(Options options, Path dir) throws InterruptedException {
        return onWorkers("spawns", options, (worker, task) -> {
            Process p = new ProcessBuilder(SPAWN).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("spawn-" + worker + ".log").toFile()).start();
            return p.waitFor() == 0;
        });
    }

    /** The commands through TaskProcess, as a worker runs an attempt, on the same number of threads. */
    private static Timing floor(Options options, Path dir) throws InterruptedException {
        LaunchSettings settings = new LaunchSettings(dir, dir.resolve("logs"), Optional.empty(), Map.of());
        return onWorkers("TaskProcess", options, (worker, task) -> {
            Assignment attempt = new Assignment("floor", "t" + task, null, null, "true", 1, 1, 1800,
                    OptionalLong.empty(), "{}");
            return TaskProcess.start(settings.launch(attempt, "floor-" + worker)).await().succeeded();
        });
    }

    /** One command run by a worker thread: whether it succeeded. */
    @FunctionalInterface
    private interface Command {
        boolean run(int worker, int task) throws Exception;
    }

    /** Runs {@code --tasks} commands on {@code --workers} threads, timing wall and CPU; any failure is thrown. */
    private static Timing onWorkers(String kind, Options options, Command command) throws InterruptedException {
        AtomicInteger next = new AtomicInteger();
        AtomicLong failures = new AtomicLong();
        long cpu = cpuNanos();
        long start = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < options.workers(); w++) {
            int worker = w;
            threads.add(Thread.ofPlatform().start(() -> {
                int task;
                while ((task = next.getAndIncrement()) < options.tasks()) {
                    try {
                        if (!command.run(worker, task)) {
                            failures.incrementAndGet();
                        }
                    } catch (Exception e) {
                        failures.incrementAndGet();
                    }
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        Timing timing = new Timing(kind, System.nanoTime() - start, cpuNanos() - cpu);
        if (failures.get() > 0) {
            throw new IllegalStateException(failures.get() + " commands failed (" + kind + ")");
        }
        return timing;
    }

    /** The same commands as a swarm, through hive run's engine, workers and crew. */
    private static Timing hive(Options options, Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        StringBuilder plan = new StringBuilder("{\"name\": \"overhead\", \"tasks\": [");
        for (int i = 0; i < options.tasks(); i++) {
            plan.append(i == 0 ? "" : ",").append("{\"id\": \"t").append(i).append("\", \"run\": \"true\"}");
        }
        plan.append("]}");
        try (Hive engine = Hive.sqlite(dir.resolve("hive.db"), options.durability())) {
            String swarmId = engine.createSwarm(plan.toString(), PlanFormat.JSON).id();
            List<String> agents = new ArrayList<>();
            for (int w = 1; w <= options.workers(); w++) {
                String id = "run-" + w + "." + swarmId;
                engine.register(new Registration(id, "worker " + w, java.util.Set.of(), 1, List.of()));
                agents.add(id);
            }
            LaunchSettings settings = new LaunchSettings(dir, dir.resolve("logs"), Optional.empty(), Map.of());
            AtomicLong notRecorded = new AtomicLong();
            Crew crew = new Crew(new EmbeddedWork(engine, swarmId, Json.mapper()), settings, new AttemptListener() {
                @Override
                public void ended(String agentId, Assignment task, Optional<AttemptResult> result, String outcome,
                        WorkSource.Report report) {
                    if (report != WorkSource.Report.RECORDED || !"completed".equals(outcome)) {
                        notRecorded.incrementAndGet();
                    }
                }
            });
            long cpu = cpuNanos();
            long start = System.nanoTime();
            agents.forEach(crew::start);
            crew.awaitEnd();
            Timing timing = new Timing("hive", System.nanoTime() - start, cpuNanos() - cpu);
            SwarmStatus status = engine.swarm(swarmId).status();
            if (status != SwarmStatus.COMPLETED || notRecorded.get() > 0) {
                throw new IllegalStateException("the swarm ended " + status.wire() + " with " + notRecorded.get()
                        + " attempts not completed");
            }
            agents.forEach(engine::leave);
            return timing;
        }
    }

    private static void report(Options options, List<Timing> spawns, List<Timing> floors, List<Timing> hives,
            PrintStream out) throws IOException {
        double runWall = median(perTask(hives, floors, Timing::wallNanos, options));
        double runCpu = median(perTask(hives, floors, Timing::cpuNanos, options));
        double processWall = median(perTask(floors, spawns, Timing::wallNanos, options));
        double processCpu = median(perTask(floors, spawns, Timing::cpuNanos, options));
        double allWall = median(perTask(hives, spawns, Timing::wallNanos, options));
        double allCpu = median(perTask(hives, spawns, Timing::cpuNanos, options));
        if (options.json()) {
            ObjectNode o = JSON.createObjectNode();
            o.put("tasks", options.tasks());
            o.put("workers", options.workers());
            o.put("durability", options.durability().name().toLowerCase(java.util.Locale.ROOT));
            o.put("cores", Runtime.getRuntime().availableProcessors());
            ArrayNode rounds = o.putArray("rounds");
            for (int i = 0; i < floors.size(); i++) {
                ObjectNode r = rounds.addObject();
                r.put("spawns_wall_s", round(spawns.get(i).wallNanos() / 1e9, 3));
                r.put("spawns_cpu_s", round(spawns.get(i).cpuNanos() / 1e9, 3));
                r.put("task_process_wall_s", round(floors.get(i).wallNanos() / 1e9, 3));
                r.put("task_process_cpu_s", round(floors.get(i).cpuNanos() / 1e9, 3));
                r.put("hive_wall_s", round(hives.get(i).wallNanos() / 1e9, 3));
                r.put("hive_cpu_s", round(hives.get(i).cpuNanos() / 1e9, 3));
            }
            o.put("engine_and_workers_wall_ms_per_task", round(runWall, 3));
            o.put("engine_and_workers_cpu_ms_per_task", round(runCpu, 3));
            o.put("task_process_wall_ms_per_task", round(processWall, 3));
            o.put("task_process_cpu_ms_per_task", round(processCpu, 3));
            o.put("hive_wall_ms_per_task", round(allWall, 3));
            o.put("hive_cpu_ms_per_task", round(allCpu, 3));
            out.println(JSON.writeValueAsString(o));
        } else {
            out.printf("%d tasks, %d workers, %d cores, durability %s; per task, median of %d rounds "
                    + "(CPU: of this process):%n", options.tasks(), options.workers(),
                    Runtime.getRuntime().availableProcessors(),
                    options.durability().name().toLowerCase(java.util.Locale.ROOT), floors.size());
            out.printf("  engine and workers (hive run - TaskProcess):  %.3f ms wall, %.3f ms CPU%n", runWall, runCpu);
            out.printf("  TaskProcess (TaskProcess - bare spawns):      %.3f ms wall, %.3f ms CPU%n", processWall,
                    processCpu);
            out.printf("  HiveMind in all (hive run - bare spawns):     %.3f ms wall, %.3f ms CPU%n", allWall, allCpu);
        }
    }

    private static List<Double> perTask(List<Timing> more, List<Timing> less, java.util.function.ToLongFunction<Timing> of,
            Options options) {
        List<Double> values = new ArrayList<>();
        for (int i = 0; i < more.size(); i++) {
            values.add((of.applyAsLong(more.get(i)) - of.applyAsLong(less.get(i))) / 1e6 / options.tasks());
        }
        return values;
    }

    private static String describe(Timing t, Options options) {
        return String.format("%.2f s wall (%.2f ms/task), %.2f s CPU", t.wallNanos() / 1e9,
                t.wallNanos() / 1e6 / options.tasks(), t.cpuNanos() / 1e9);
    }

    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted(Comparator.naturalOrder()).toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static double round(double value, int digits) {
        double scale = Math.pow(10, digits);
        return Math.round(value * scale) / scale;
    }
}
