package hive.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import hive.Hive;
import hive.agents.AgentProfile;
import hive.plan.Plan;
import hive.plan.Plans;
import hive.schedule.Progress;
import hive.schedule.Swarm;
import hive.schedule.Task;
import hive.store.Durability;
import hive.store.sqlite.SqliteStore;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;

/**
 * The engine load generator: a random DAG of N tasks (each task but the first depends on up to
 * three distinct random earlier tasks, from a seeded {@link Random}) is validated and created as
 * one swarm on a fresh SQLite file, then drained by T threads, each looping
 * {@code claim} + {@code complete} as its own agent until every task is completed.
 *
 * <p>Measures the creation time (validation and the create transaction), the drain time, the
 * claim+complete pairs per second, the latency of each pair (claim start to complete
 * acknowledged, in an HdrHistogram), the empty claims (nothing ready at that instant: the thread
 * spins briefly and tries again) and the cost per pair, in wall time and in process CPU time.
 * No background sweep runs. Single-threaded apart from the drain threads it starts and joins.
 */
final class EngineDrain {

    static final String USAGE = """
            usage: hive-bench drain [options]
              --tasks N              tasks in the measured swarm (default 100000)
              --threads T            draining threads, one agent each (default 16)
              --seed S               seed of the random DAG (default 42)
              --durability MODE      normal | strict: fsync every commit batch (default normal)
              --warmup-tasks W       tasks of a separate swarm drained first to warm the JIT (default 20000; 0: none)
              --sizes A,B,...        drain each size on a fresh file (after one warm-up) and compare
                                     the cost per pair of the largest with the smallest
              --dir PATH             folder for the database files (default: a new temp folder, deleted after)
              --json                 print the figures as one JSON line
            """;

    /** A drain that completes nothing for this long is reported as stuck and aborted. */
    private static final Duration STALL_LIMIT = Duration.ofSeconds(60);

    private static final ObjectMapper JSON = new ObjectMapper();

    private EngineDrain() {}

    record Options(int tasks, int threads, long seed, Durability durability, int warmupTasks,
            List<Integer> sizes, Path dir, boolean json) {

        static Options parse(String[] args) {
            BenchArgs a = BenchArgs.parse(args, List.of("--tasks", "--threads", "--seed", "--durability",
                    "--warmup-tasks", "--sizes", "--dir"), List.of("--json"));
            return new Options(a.count("--tasks", 100_000, 1, Integer.MAX_VALUE),
                    a.count("--threads", 16, 1, Integer.MAX_VALUE), a.whole("--seed", 42),
                    a.durability(Durability.NORMAL), (int) Math.max(0, a.whole("--warmup-tasks", 20_000)),
                    a.counts("--sizes", List.of(), 1, Integer.MAX_VALUE).stream().sorted().toList(),
                    a.path("--dir"), a.flag("--json"));
        }
    }

    /** The figures of one drain. Latencies in nanoseconds. */
    record Result(int tasks, int threads, Durability durability, double validateS, double createS,
            double drainS, long pairs, long emptyClaims, long cpuNanos, Histogram latency, double loadAverage) {

        double creationS() {
            return validateS + createS;
        }

        double pairsPerSecond() {
            return pairs / drainS;
        }

        double wallMicrosPerPair() {
            return drainS * 1e6 / pairs;
        }

        /** Process CPU time (all threads: drainers, writer, readers, GC, JIT) per pair; NaN when unknown. */
        double cpuMicrosPerPair() {
            return cpuNanos < 0 ? Double.NaN : cpuNanos / 1e3 / pairs;
        }

        double p50Micros() {
            return latency.getValueAtPercentile(50) / 1e3;
        }

        double p99Micros() {
            return latency.getValueAtPercentile(99) / 1e3;
        }

        double maxMicros() {
            return latency.getMaxValue() / 1e3;
        }

        ObjectNode toJson() {
            ObjectNode o = JSON.createObjectNode();
            o.put("tasks", tasks);
            o.put("threads", threads);
            o.put("durability", durability.name().toLowerCase(Locale.ROOT));
            o.put("validate_s", round(validateS, 3));
            o.put("create_s", round(createS, 3));
            o.put("creation_s", round(creationS(), 3));
            o.put("drain_s", round(drainS, 3));
            o.put("pairs", pairs);
            o.put("pairs_per_s", round(pairsPerSecond(), 0));
            o.put("p50_us", round(p50Micros(), 1));
            o.put("p99_us", round(p99Micros(), 1));
            o.put("max_us", round(maxMicros(), 1));
            o.put("empty_claims", emptyClaims);
            o.put("wall_us_per_pair", round(wallMicrosPerPair(), 2));
            if (cpuNanos >= 0) {
                o.put("cpu_us_per_pair", round(cpuMicrosPerPair(), 2));
            }
            o.put("cores", Runtime.getRuntime().availableProcessors());
            o.put("load_average", round(loadAverage, 2));
            return o;
        }

        void print(PrintStream out) {
            out.printf(Locale.ROOT, "tasks %,d, %d threads, durability %s%n", tasks, threads,
                    durability.name().toLowerCase(Locale.ROOT));
            out.printf(Locale.ROOT, "  creation      %8.3f s   (validate %.3f s + create %.3f s)%n",
                    creationS(), validateS, createS);
            out.printf(Locale.ROOT, "  drain         %8.3f s   %,d pairs, %,.0f pairs/s%n", drainS, pairs,
                    pairsPerSecond());
            out.printf(Locale.ROOT, "  pair latency  p50 %,.0f us, p99 %,.0f us, max %,.0f us%n", p50Micros(),
                    p99Micros(), maxMicros());
            out.printf(Locale.ROOT, "  empty claims  %,d%n", emptyClaims);
            out.printf(Locale.ROOT, "  cost per pair %.1f us wall%s%n", wallMicrosPerPair(),
                    cpuNanos < 0 ? "" : String.format(Locale.ROOT, ", %.1f us process CPU", cpuMicrosPerPair()));
            out.printf(Locale.ROOT, "  machine       %d cores, load average %.2f after the drain%n",
                    Runtime.getRuntime().availableProcessors(), loadAverage);
        }
    }

    /** Runs the command line {@code args}; returns the exit status. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("hive-bench drain: " + e.getMessage());
            err.print(USAGE);
            return 2;
        }
        boolean ownDir = options.dir() == null;
        Path dir = EngineDrain.folder(options.dir());
        try {
            if (options.warmupTasks() > 0) {
                if (!options.json()) {
                    out.printf(Locale.ROOT, "warm-up: %,d tasks ...%n", options.warmupTasks());
                }
                drain(dir, options.warmupTasks(), options.threads(), options.seed() + 1, options.durability());
            }
            if (options.sizes().isEmpty()) {
                Result result = drain(dir, options.tasks(), options.threads(), options.seed(), options.durability());
                if (options.json()) {
                    out.println(result.toJson());
                } else {
                    result.print(out);
                }
            } else {
                List<Result> results = new ArrayList<>();
                for (int size : options.sizes()) {
                    Result result = drain(dir, size, options.threads(), options.seed(), options.durability());
                    results.add(result);
                    if (!options.json()) {
                        result.print(out);
                    }
                }
                Result smallest = results.get(0);
                Result largest = results.get(results.size() - 1);
                double wallRatio = largest.wallMicrosPerPair() / smallest.wallMicrosPerPair();
                double cpuRatio = largest.cpuMicrosPerPair() / smallest.cpuMicrosPerPair();
                if (options.json()) {
                    ObjectNode o = JSON.createObjectNode();
                    ArrayNode runs = o.putArray("runs");
                    results.forEach(r -> runs.add(r.toJson()));
                    o.put("wall_cost_ratio", round(wallRatio, 3));
                    if (!Double.isNaN(cpuRatio)) {
                        o.put("cpu_cost_ratio", round(cpuRatio, 3));
                    }
                    out.println(o);
                } else {
                    out.println();
                    out.printf(Locale.ROOT, "%12s %14s %14s %12s%n", "tasks", "wall us/pair", "cpu us/pair", "pairs/s");
                    for (Result r : results) {
                        out.printf(Locale.ROOT, "%,12d %14.1f %14.1f %,12.0f%n", r.tasks(), r.wallMicrosPerPair(),
                                r.cpuMicrosPerPair(), r.pairsPerSecond());
                    }
                    out.printf(Locale.ROOT, "cost per pair, %,d vs %,d tasks: %.2fx wall, %.2fx CPU%n",
                            largest.tasks(), smallest.tasks(), wallRatio, cpuRatio);
                }
            }
            return 0;
        } finally {
            if (ownDir) {
                deleteQuietly(dir);
            }
        }
    }

    /**
     * One measured run: a fresh database file in {@code dir}, the plan of {@code tasks} tasks
     * validated and created, then drained by {@code threads} threads. The file is deleted after.
     */
    static Result drain(Path dir, int tasks, int threads, long seed, Durability durability) {
        JsonNode tree = planTree("drain-" + tasks, tasks, seed);
        Path file = dir.resolve("drain-" + tasks + "-" + System.nanoTime() + ".db");
        try (Hive hive = Hive.open(SqliteStore.open(file, durability), InstantSource.system(), new Random(seed),
                Duration.ZERO)) {
            long t0 = System.nanoTime();
            Plan plan = Plans.parse(tree);
            long t1 = System.nanoTime();
            Swarm swarm = hive.createSwarm(plan);
            long t2 = System.nanoTime();
            return drainSwarm(hive, swarm.id(), tasks, threads, durability, (t1 - t0) / 1e9, (t2 - t1) / 1e9);
        } finally {
            deleteDatabase(file);
        }
    }

    private static Result drainSwarm(Hive hive, String swarmId, int tasks, int threads, Durability durability,
            double validateS, double createS) {
        AtomicLong completed = new AtomicLong();
        AtomicLong lastCompletionNanos = new AtomicLong(System.nanoTime());
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Histogram[] latencies = new Histogram[threads];
        long[] empties = new long[threads];
        Thread[] workers = new Thread[threads];
        for (int i = 0; i < threads; i++) {
            int n = i;
            latencies[n] = new Histogram(3);
            AgentProfile agent = AgentProfile.of("a_" + n);
            workers[n] = Thread.ofPlatform().name("drain-" + n).unstarted(() -> {
                try {
                    empties[n] = drainLoop(hive, swarmId, agent, tasks, latencies[n], completed, lastCompletionNanos,
                            stop);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                    stop.set(true);
                }
            });
        }
        long cpu0 = processCpuNanos();
        long start = System.nanoTime();
        for (Thread worker : workers) {
            worker.start();
        }
        for (Thread worker : workers) {
            try {
                worker.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                stop.set(true);
                throw new IllegalStateException("interrupted while draining", e);
            }
        }
        long drainNanos = System.nanoTime() - start;
        long cpu1 = processCpuNanos();
        if (failure.get() != null) {
            throw new IllegalStateException("drain failed: " + failure.get(), failure.get());
        }
        Progress progress = hive.progress(swarmId);
        if (progress.completed() != tasks || progress.total() != tasks) {
            throw new IllegalStateException("drain ended with " + progress.completed() + " of " + progress.total()
                    + " tasks completed (expected " + tasks + "): " + progress);
        }
        Histogram all = new Histogram(3);
        long emptyClaims = 0;
        for (int i = 0; i < threads; i++) {
            all.add(latencies[i]);
            emptyClaims += empties[i];
        }
        long cpu = cpu0 < 0 || cpu1 < 0 ? -1 : cpu1 - cpu0;
        return new Result(tasks, threads, durability, validateS, createS, drainNanos / 1e9, completed.get(),
                emptyClaims, cpu, all, ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }

    /**
     * One agent's loop: claim, complete, record the pair's latency. An empty claim means nothing is
     * ready at this instant (other agents hold the tasks that would release more); it is counted
     * and retried after a short pause. Returns the number of empty claims.
     */
    private static long drainLoop(Hive hive, String swarmId, AgentProfile agent, int tasks, Histogram latency,
            AtomicLong completed, AtomicLong lastCompletionNanos, AtomicBoolean stop) {
        long empty = 0;
        while (!stop.get() && completed.get() < tasks) {
            long start = System.nanoTime();
            Optional<Task> claimed = hive.claim(agent, swarmId);
            if (claimed.isEmpty()) {
                empty++;
                if (completed.get() >= tasks) {
                    break;
                }
                if (System.nanoTime() - lastCompletionNanos.get() > STALL_LIMIT.toNanos()) {
                    throw new IllegalStateException("no task completed for " + STALL_LIMIT.toSeconds() + " s ("
                            + completed.get() + " of " + tasks + "): " + hive.progress(swarmId));
                }
                Thread.onSpinWait();
                LockSupport.parkNanos(20_000);
                continue;
            }
            hive.complete(swarmId, claimed.get().id(), agent.id(), null);
            long end = System.nanoTime();
            latency.recordValue(end - start);
            lastCompletionNanos.set(end);
            completed.incrementAndGet();
        }
        return empty;
    }

    /**
     * The plan as the API would receive it: tasks {@code t0..t(n-1)}, task i > 0 depending on up
     * to three distinct earlier tasks drawn with {@code r.nextInt(i)}. Acyclic by construction.
     */
    static JsonNode planTree(String name, int tasks, long seed) {
        Random r = new Random(seed);
        ObjectNode plan = JSON.createObjectNode();
        plan.put("name", name);
        ArrayNode array = plan.putArray("tasks");
        int[] picked = new int[3];
        for (int i = 0; i < tasks; i++) {
            ObjectNode task = array.addObject();
            task.put("id", "t" + i);
            if (i > 0) {
                ArrayNode deps = task.putArray("depends_on");
                int count = 0;
                for (int k = 0; k < 3; k++) {
                    int d = r.nextInt(i);
                    boolean seen = false;
                    for (int j = 0; j < count; j++) {
                        seen |= picked[j] == d;
                    }
                    if (!seen) {
                        picked[count++] = d;
                        deps.add("t" + d);
                    }
                }
            }
        }
        return plan;
    }

    /** CPU time of the whole process, or -1 when the platform's management bean does not tell. */
    static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }

    /** {@code given}, created if missing; a new temporary folder when null. */
    static Path folder(Path given) {
        try {
            return given == null ? Files.createTempDirectory("hive-bench-") : Files.createDirectories(given);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void deleteDatabase(Path file) {
        for (String suffix : List.of("", "-wal", "-shm", "-journal", ".lock")) {
            try {
                Files.deleteIfExists(file.resolveSibling(file.getFileName() + suffix));
            } catch (IOException ignored) {
                // a leftover file in a temp folder is harmless
            }
        }
    }

    static void deleteQuietly(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // a leftover file in a temp folder is harmless
                }
            });
        } catch (IOException ignored) {
            // nothing to delete
        }
    }

    private static double round(double value, int digits) {
        double scale = Math.pow(10, digits);
        return Math.round(value * scale) / scale;
    }
}
