package hive.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import hive.Hive;
import hive.locks.AcquireResult;
import hive.locks.LockMode;
import hive.locks.LockPath;
import hive.locks.LockRequest;
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
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * The lock load generator, in process on a fresh SQLite file (no background sweep).
 *
 * <ul>
 *   <li><b>pairs</b>: T threads, each its own agent on its own paths, loop exclusive
 *       {@code acquire} of one path then {@code release} of it, for a fixed time. Reports pairs
 *       per second and the latency of a pair (acquire start to release acknowledged).
 *   <li><b>handoff</b>: T threads contend for one path, each acquiring it with a wait, holding it
 *       for no time, and releasing it; the others queue as waiters. Reports the release-to-grant
 *       time: from the start of the holder's release call to the return of the next holder's
 *       acquire (the grant is made in the release's own commit and handed to the waiter).
 * </ul>
 *
 * Each run is preceded by a warm-up of the same kind on the same file. Single-threaded apart from
 * the threads it starts and joins.
 */
final class LockBench {

    static final String USAGE = """
            usage: hive-bench locks [options]
              --threads A,B,...      thread counts of the uncontended pair runs (default 1,8,32)
              --handoff-threads T    threads contending for one path in the handoff run (default 8; 0: none)
              --seconds S            length of each measured run (default 10)
              --warmup-seconds W     length of the warm-up before each run (default 3)
              --durability MODE      normal | strict: fsync every commit batch (default normal)
              --dir PATH             folder for the database file (default: a new temp folder, deleted after)
              --json                 print the figures as one JSON line
            """;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TTL = Duration.ofSeconds(60);
    private static final Duration WAIT = Duration.ofSeconds(60);

    private LockBench() {}

    record Options(List<Integer> threads, int handoffThreads, double seconds, double warmupSeconds,
            Durability durability, Path dir, boolean json) {

        static Options parse(String[] args) {
            BenchArgs a = BenchArgs.parse(args, List.of("--threads", "--handoff-threads", "--seconds",
                    "--warmup-seconds", "--durability", "--dir"), List.of("--json"));
            int handoff = a.count("--handoff-threads", 8, 0, 1024);
            if (handoff == 1) {
                throw new IllegalArgumentException("--handoff-threads needs at least 2 threads to hand off (or 0)");
            }
            return new Options(a.counts("--threads", List.of(1, 8, 32), 1, 1024), handoff,
                    a.seconds("--seconds", 10, false), a.seconds("--warmup-seconds", 3, true),
                    a.durability(Durability.NORMAL), a.path("--dir"), a.flag("--json"));
        }
    }

    /** The figures of one run; latencies in nanoseconds. */
    record Result(String kind, int threads, Durability durability, double seconds, long operations,
            long cpuNanos, Histogram latency) {

        double perSecond() {
            return operations / seconds;
        }

        double micros(double percentile) {
            return latency.getValueAtPercentile(percentile) / 1e3;
        }

        double cpuMicrosPerOperation() {
            return cpuNanos < 0 ? Double.NaN : cpuNanos / 1e3 / operations;
        }

        ObjectNode toJson() {
            ObjectNode o = JSON.createObjectNode();
            o.put("kind", kind);
            o.put("threads", threads);
            o.put("durability", durability.name().toLowerCase(Locale.ROOT));
            o.put("seconds", round(seconds, 3));
            o.put(kind.equals("pairs") ? "pairs" : "handoffs", operations);
            o.put("per_s", round(perSecond(), 0));
            o.put("p50_us", round(micros(50), 1));
            o.put("p99_us", round(micros(99), 1));
            o.put("max_us", round(latency.getMaxValue() / 1e3, 1));
            if (cpuNanos >= 0) {
                o.put("cpu_us_per_op", round(cpuMicrosPerOperation(), 2));
            }
            return o;
        }

        void print(PrintStream out) {
            String what = kind.equals("pairs") ? "acquire+release pairs" : "handoffs";
            out.printf(Locale.ROOT, "%-8s %3d threads  %,10.0f %s/s   p50 %,7.0f us  p99 %,7.0f us  max %,8.0f us"
                    + "   %.1f us CPU each%n", kind, threads, perSecond(), what, micros(50), micros(99),
                    latency.getMaxValue() / 1e3, cpuMicrosPerOperation());
        }
    }

    /** Runs the command line {@code args}; returns the exit status. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("hive-bench locks: " + e.getMessage());
            err.print(USAGE);
            return 2;
        }
        boolean ownDir = options.dir() == null;
        Path dir = EngineDrain.folder(options.dir());
        Path file = dir.resolve("locks-" + System.nanoTime() + ".db");
        List<Result> results = new ArrayList<>();
        try (Hive hive = Hive.open(SqliteStore.open(file, options.durability()), InstantSource.system(),
                new Random(1), Duration.ZERO)) {
            for (int threads : options.threads()) {
                pairs(hive, threads, options.warmupSeconds(), options.durability());
                Result result = pairs(hive, threads, options.seconds(), options.durability());
                results.add(result);
                if (!options.json()) {
                    result.print(out);
                }
            }
            if (options.handoffThreads() > 0) {
                handoff(hive, options.handoffThreads(), options.warmupSeconds(), options.durability());
                Result result = handoff(hive, options.handoffThreads(), options.seconds(), options.durability());
                results.add(result);
                if (!options.json()) {
                    result.print(out);
                }
            }
        } finally {
            EngineDrain.deleteDatabase(file);
            if (ownDir) {
                EngineDrain.deleteQuietly(dir);
            }
        }
        if (options.json()) {
            ObjectNode o = JSON.createObjectNode();
            ArrayNode runs = o.putArray("runs");
            results.forEach(r -> runs.add(r.toJson()));
            o.put("cores", Runtime.getRuntime().availableProcessors());
            o.put("load_average", round(ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), 2));
            out.println(o);
        }
        return 0;
    }

    /** T threads, each its own agent and paths, looping acquire + release for {@code seconds}. */
    static Result pairs(Hive hive, int threads, double seconds, Durability durability) {
        AtomicLong pairs = new AtomicLong();
        Histogram[] latencies = new Histogram[threads];
        long runId = System.nanoTime();
        TimedRun.Measured measured = TimedRun.measure("locks", threads, seconds, (n, stop) -> {
            latencies[n] = new Histogram(3);
            String agent = "pair-" + runId + "-" + n;
            List<LockPath> paths = new ArrayList<>();
            for (int k = 0; k < 16; k++) {
                paths.add(LockPath.parse("bench/" + agent + "/f" + k + ".txt"));
            }
            long done = 0;
            while (!stop.get()) {
                List<LockPath> path = List.of(paths.get((int) (done % paths.size())));
                long start = System.nanoTime();
                AcquireResult result = hive.acquire(new LockRequest(agent, LockRequest.DEFAULT_WORKSPACE, path,
                        LockMode.EXCLUSIVE, TTL, null));
                if (!(result instanceof AcquireResult.Granted)) {
                    throw new IllegalStateException("an uncontended acquire was refused: " + result);
                }
                hive.release(agent, LockRequest.DEFAULT_WORKSPACE, path);
                latencies[n].recordValue(System.nanoTime() - start);
                done++;
            }
            pairs.addAndGet(done);
        });
        return new Result("pairs", threads, durability, measured.seconds(), pairs.get(), measured.cpuNanos(),
                TimedRun.merge(latencies));
    }

    /**
     * T threads contending for one path: acquire with a wait, release at once, again. The
     * release-to-grant time of every handoff is recorded by the thread granted.
     */
    static Result handoff(Hive hive, int threads, double seconds, Durability durability) {
        AtomicLong handoffs = new AtomicLong();
        AtomicLong releaseStarted = new AtomicLong();
        Histogram[] latencies = new Histogram[threads];
        long runId = System.nanoTime();
        List<LockPath> hot = List.of(LockPath.parse("bench/hot-" + runId + ".txt"));
        TimedRun.Measured measured = TimedRun.measure("locks", threads, seconds, (n, stop) -> {
            latencies[n] = new Histogram(3);
            String agent = "handoff-" + runId + "-" + n;
            long done = 0;
            while (!stop.get()) {
                AcquireResult result = hive.acquire(new LockRequest(agent, LockRequest.DEFAULT_WORKSPACE, hot,
                        LockMode.EXCLUSIVE, TTL, null), WAIT);
                if (!(result instanceof AcquireResult.Granted)) {
                    throw new IllegalStateException("a waiting acquire was not granted within " + WAIT + ": "
                            + result);
                }
                long granted = System.nanoTime();
                long released = releaseStarted.get();
                if (released != 0) {
                    latencies[n].recordValue(granted - released);
                    done++;
                }
                releaseStarted.set(System.nanoTime());
                hive.release(agent, LockRequest.DEFAULT_WORKSPACE, hot);
            }
            handoffs.addAndGet(done);
        });
        return new Result("handoff", threads, durability, measured.seconds(), handoffs.get(), measured.cpuNanos(),
                TimedRun.merge(latencies));
    }


    private static double round(double value, int digits) {
        double scale = Math.pow(10, digits);
        return Math.round(value * scale) / scale;
    }
}
