package hive.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import hive.Hive;
import hive.bench.HttpBench.ClientKind;
import hive.server.HiveServer;
import hive.server.ServerConfig;
import hive.store.postgres.PostgresStore;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import org.HdrHistogram.Histogram;

/**
 * The cluster load generator: several HiveMind server nodes sharing one PostgreSQL, as issue 6
 * runs them. It starts its own PostgreSQL ({@link BenchPostgres}: fsync and synchronous commit on),
 * and, for each node count, N {@link HiveServer}s in this JVM, each with its own
 * {@link PostgresStore} (its own pool and its own LISTEN connection) and its own {@link Hive}, on
 * loopback ports of their own. Clients ({@link HttpBench}'s loops, on {@link LoopbackHttp}) are
 * spread evenly over the nodes: client n talks to node n mod N.
 *
 * <ul>
 *   <li><b>claims</b>: registered agents claim and complete tasks of one large swarm of
 *       independent tasks (no files, no dependencies: scheduling alone);
 *   <li><b>claims-swarms</b>: the same, each client on a swarm of its own;
 *   <li><b>locks</b>: exclusive acquire+release pairs of distinct paths, all in one workspace;
 *   <li><b>locks-workspaces</b>: the same, each client in a workspace of its own;
 *   <li><b>handoff</b>: all clients contend for one path with {@code wait_s} (release to grant);
 *   <li><b>wake</b>: agent X on one node holds a path, agent Y on the next node waits for it, X
 *       releases: the time from X's release answer (and from its request) to Y's grant answer.
 * </ul>
 * Every (round, node count) gets a fresh database and fresh nodes; each run is preceded by a
 * warm-up of the same kind and a checkpoint. Besides the rates and latencies it reports what the
 * database did (commits, writing transactions, WAL syncs) and where the machine's CPU went.
 */
final class ClusterBench {

    static final String USAGE = """
            usage: hive-bench cluster [options]
              --nodes A,B,...        node counts to measure (default 1,2,3)
              --clients N            clients in all, spread evenly over the nodes (default 12)
              --seconds S            length of each measured run (default 10)
              --warmup-seconds W     warm-up before each run (default 3)
              --rounds R             rounds, each measuring every node count once (default 3)
              --runs R,...           claims, claims-swarms, locks, locks-workspaces, handoff, wake
                                     (default all)
              --wake-samples N       cross-node wake samples per node count and round (default 500)
              --claim-wait S         wait_s of each claim, 0 for none (default 1)
              --synchronous-commit on|off   PostgreSQL's synchronous_commit (default on)
              --profile              also where the time goes: pg_stat_statements per operation and
                                     samples of pg_stat_activity (costs a little: not for figures)
              --dir DIR              PostgreSQL's data folder (default: a new temp folder, deleted after)
              --json                 print the figures as one JSON line at the end
            """;

    static final List<String> RUNS = List.of("claims", "claims-swarms", "locks", "locks-workspaces", "handoff",
            "wake");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ClientKind CLIENT = ClientKind.RAW;

    private ClusterBench() {}

    record Options(List<Integer> nodes, int clients, double seconds, double warmupSeconds, int rounds,
            List<String> runs, int wakeSamples, double claimWait, boolean synchronousCommit, boolean profile, Path dir,
            boolean json) {

        static Options parse(String[] args) {
            BenchArgs a = BenchArgs.parse(args, List.of("--nodes", "--clients", "--seconds", "--warmup-seconds",
                    "--rounds", "--runs", "--wake-samples", "--claim-wait", "--synchronous-commit", "--dir"),
                    List.of("--profile", "--json"));
            List<String> runs = new ArrayList<>(new LinkedHashSet<>(Arrays.stream(
                    a.string("--runs", String.join(",", RUNS)).split(",")).map(String::trim).toList()));
            for (String run : runs) {
                if (!RUNS.contains(run)) {
                    throw new IllegalArgumentException("--runs takes " + String.join(", ", RUNS) + "; got '" + run
                            + "'");
                }
            }
            String sync = a.string("--synchronous-commit", "on").toLowerCase(Locale.ROOT);
            if (!sync.equals("on") && !sync.equals("off")) {
                throw new IllegalArgumentException("--synchronous-commit is on or off, got '" + sync + "'");
            }
            int clients = a.count("--clients", 12, 2, 240);
            return new Options(a.counts("--nodes", List.of(1, 2, 3), 1, 8), clients,
                    a.seconds("--seconds", 10, false), a.seconds("--warmup-seconds", 3, true),
                    a.count("--rounds", 3, 1, 100), runs, a.count("--wake-samples", 500, 10, 100_000),
                    a.seconds("--claim-wait", 1, true), sync.equals("on"), a.flag("--profile"), a.path("--dir"),
                    a.flag("--json"));
        }
    }

    /**
     * One measured run: its rate (pairs or handoffs per second; wake: samples), latency
     * (nanoseconds: per pair, per handoff, or, for wake, from the release answer to the grant
     * answer), and what it cost.
     */
    record Measurement(String run, int nodes, int round, int clients, double seconds, long operations,
            Histogram latency, Wake wake, Cost cost, Profile profile, String note) {

        double perSecond() {
            return operations / seconds;
        }

        double micros(double percentile) {
            return latency.getValueAtPercentile(percentile) / 1e3;
        }

        ObjectNode toJson() {
            ObjectNode o = JSON.createObjectNode();
            o.put("run", run);
            o.put("nodes", nodes);
            o.put("round", round);
            o.put("clients", clients);
            o.put("seconds", Math.round(seconds * 1000) / 1000.0);
            o.put("operations", operations);
            if (wake == null) {
                o.put("per_s", Math.round(perSecond()));
            }
            o.put("p50_us", Math.round(micros(50)));
            o.put("p99_us", Math.round(micros(99)));
            o.put("max_us", Math.round(latency.getMaxValue() / 1e3));
            if (wake != null) {
                o.put("from_request_p50_us", Math.round(wake.fromRequest().getValueAtPercentile(50) / 1e3));
                o.put("from_request_p99_us", Math.round(wake.fromRequest().getValueAtPercentile(99) / 1e3));
                o.put("from_request_max_us", Math.round(wake.fromRequest().getMaxValue() / 1e3));
                o.put("granted_before_release_answer", wake.early());
                o.put("cross_node", wake.crossNode());
            }
            cost.toJson(o.putObject("database"), operations);
            if (note != null) {
                o.put("note", note);
            }
            return o;
        }
    }

    /** The wake run's other figures: latency from the release request, grants seen before the release's answer. */
    record Wake(Histogram fromRequest, long early, boolean crossNode) {
    }

    /** What a run cost: the database's counters over it, CPU of this JVM, of PostgreSQL, of the machine. */
    record Cost(BenchPostgres.Counters db, long jvmCpuNanos, long machineBusyNanos, long machineIdleNanos,
            long machineIowaitNanos, double seconds) {

        static Cost between(Snapshot a, Snapshot b) {
            boolean machine = a.machine() != null && b.machine() != null;
            return new Cost(b.db().minus(a.db()), a.jvmCpu() < 0 || b.jvmCpu() < 0 ? -1 : b.jvmCpu() - a.jvmCpu(),
                    machine ? BenchPostgres.ticksToNanos(b.machine()[0] - a.machine()[0]) : -1,
                    machine ? BenchPostgres.ticksToNanos(b.machine()[1] - a.machine()[1]) : -1,
                    machine ? BenchPostgres.ticksToNanos(b.machine()[2] - a.machine()[2]) : -1,
                    (b.nanos() - a.nanos()) / 1e9);
        }

        /** Percent of one core over the run (a 2-core machine has 200). */
        double percent(long nanos) {
            return nanos < 0 ? Double.NaN : nanos / 1e9 / seconds * 100;
        }

        void toJson(ObjectNode o, long operations) {
            o.put("commits_per_s", Math.round(db.commits() / seconds));
            o.put("commits_per_op", round2(db.commits() / (double) operations));
            o.put("rollbacks", db.rollbacks());
            o.put("deadlocks", db.deadlocks());
            o.put("writing_xacts_per_op", round2(db.xid() / (double) operations));
            o.put("wal_syncs_per_s", Math.round(db.walSyncs() / seconds));
            o.put("wal_sync_ms_avg", db.walSyncs() == 0 ? 0 : round2(db.walSyncMillis() / db.walSyncs()));
            o.put("wal_bytes_per_op", Math.round(db.walBytes() / (double) operations));
            o.put("cpu_percent_jvm", Math.round(percent(jvmCpuNanos)));
            o.put("cpu_percent_postgres", Math.round(percent(db.cpuNanos())));
            o.put("cpu_percent_machine_busy", Math.round(percent(machineBusyNanos)));
            o.put("cpu_percent_machine_idle", Math.round(percent(machineIdleNanos)));
            o.put("cpu_percent_machine_iowait", Math.round(percent(machineIowaitNanos)));
        }

        String describe(long operations) {
            return String.format(Locale.ROOT, "db %,.0f commits/s (%.2f per op, %.2f writing), %d rollbacks, %d"
                            + " deadlocks, %,.0f WAL syncs/s (%.2f ms each, %.1f commits per sync), %,.0f WAL bytes/op;"
                            + " CPU %% of a core: JVM %.0f, PostgreSQL %.0f, machine busy %.0f idle %.0f iowait %.0f",
                    db.commits() / seconds, db.commits() / (double) operations, db.xid() / (double) operations,
                    db.rollbacks(), db.deadlocks(), db.walSyncs() / seconds,
                    db.walSyncs() == 0 ? 0 : db.walSyncMillis() / db.walSyncs(),
                    db.walSyncs() == 0 ? 0 : db.xid() / (double) db.walSyncs(), db.walBytes() / (double) operations,
                    percent(jvmCpuNanos), percent(db.cpuNanos()), percent(machineBusyNanos),
                    percent(machineIdleNanos), percent(machineIowaitNanos));
        }

        private static double round2(double v) {
            return Math.round(v * 100) / 100.0;
        }
    }

    /** The counters at one instant. */
    record Snapshot(long nanos, long jvmCpu, long[] machine, BenchPostgres.Counters db) {
        static Snapshot take(BenchPostgres pg, String database) {
            BenchPostgres.Counters db = pg.counters(database);
            return new Snapshot(System.nanoTime(), EngineDrain.processCpuNanos(), BenchPostgres.machineTicks(), db);
        }
    }

    /** With {@code --profile}: the statements per operation and the connections' states. */
    record Profile(List<BenchPostgres.StatementCount> statements, Map<String, Long> waits, long samples) {
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("hive-bench cluster: " + e.getMessage());
            err.print(USAGE);
            return 2;
        }
        Path dir = EngineDrain.folder(o.dir());
        List<Measurement> all = new ArrayList<>();
        PrintStream log = o.json() ? err : out;
        try (BenchPostgres pg = BenchPostgres.start(dir.resolve("pgdata"), o.synchronousCommit(), o.profile())) {
            log.printf(Locale.ROOT, "machine: %d cores, load average %s before starting; JVM %s%n",
                    Runtime.getRuntime().availableProcessors(), loadAverage(), Runtime.version());
            log.println("PostgreSQL: " + pg.settings());
            log.printf(Locale.ROOT, "%d clients in all, spread over the nodes; %s s runs after %s s warm-ups;"
                    + " claims wait_s %s%n", o.clients(), o.seconds(), o.warmupSeconds(), o.claimWait());
            int biggest = o.nodes().stream().max(Integer::compare).orElseThrow();
            log.printf(Locale.ROOT, "JIT warm-up: every run once on %d node(s), not counted%n", biggest);
            inCluster(pg, "hive_jit", biggest, o, 0, m -> { });
            for (int round = 1; round <= o.rounds(); round++) {
                for (int nodes : o.nodes()) {
                    int r = round;
                    log.printf(Locale.ROOT, "round %d, %d node(s) (load average %s):%n", round, nodes, loadAverage());
                    inCluster(pg, "hive_r" + round + "_n" + nodes, nodes, o, r, m -> {
                        all.add(m);
                        print(log, m, o.profile());
                    });
                }
            }
            summary(log, all, o);
        } catch (RuntimeException e) {
            err.println("hive-bench cluster: " + e);
            e.printStackTrace(err);
            return 1;
        } finally {
            if (o.dir() == null) {
                EngineDrain.deleteQuietly(dir);
            }
        }
        if (o.json()) {
            ObjectNode j = JSON.createObjectNode();
            j.put("cores", Runtime.getRuntime().availableProcessors());
            j.put("clients", o.clients());
            j.put("synchronous_commit", o.synchronousCommit() ? "on" : "off");
            ArrayNode runs = j.putArray("runs");
            all.forEach(m -> runs.add(m.toJson()));
            out.println(j);
        }
        return 0;
    }

    private static String loadAverage() {
        return String.format(Locale.ROOT, "%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
    }

    /** Runs every selected run on a fresh database with {@code nodes} fresh nodes; round 0 is the JIT warm-up. */
    private static void inCluster(BenchPostgres pg, String database, int nodes, Options o, int round,
            Consumer<Measurement> sink) {
        pg.createDatabase(database);
        try {
            List<HiveServer> servers = new ArrayList<>();
            try {
                for (int i = 0; i < nodes; i++) {
                    PostgresStore store = PostgresStore.open(pg.url(database));
                    Hive hive = Hive.open(store, InstantSource.system(), new SecureRandom(), Duration.ofSeconds(1),
                            Duration.ofMinutes(10));
                    servers.add(HiveServer.start(hive, ServerConfig.local(0)));
                }
                List<String> urls = servers.stream().map(HiveServer::url).toList();
                for (String run : o.runs()) {
                    Measurement m = measure(pg, database, urls, run, o, round);
                    if (round > 0) {
                        sink.accept(m);
                    }
                }
            } finally {
                for (HiveServer s : servers) {
                    s.close();
                }
            }
        } finally {
            pg.dropDatabase(database);
        }
    }

    private static Measurement measure(BenchPostgres pg, String db, List<String> urls, String run, Options o,
            int round) {
        int nodes = urls.size();
        int clients = o.clients();
        double seconds = round == 0 ? Math.max(o.warmupSeconds(), 1) : o.seconds();
        pg.checkpoint();
        return switch (run) {
            case "claims", "claims-swarms" -> {
                boolean own = run.equals("claims-swarms");
                // Warm-up on swarms sized for 8,000 pairs/s; its rate sizes the measured swarms.
                double warm = Math.max(o.warmupSeconds(), 0.5);
                List<String> warmSwarms = swarms(urls.getFirst(), own ? clients : 1,
                        (int) (warm * 8_000 / (own ? clients : 1)) + 200, "warm-" + run);
                HttpBench.Result w = HttpBench.claims(urls, CLIENT, clients, warm,
                        n -> warmSwarms.get(own ? n : 0), o.claimWait());
                double expected = Math.max(w.perSecond(), 200) * seconds * 2 + 1_000;
                List<String> swarms = swarms(urls.getFirst(), own ? clients : 1,
                        (int) (expected / (own ? clients : 1) * (own ? 1.5 : 1)) + 200, run);
                Timed<HttpBench.Result> t = timed(pg, db, () -> HttpBench.claims(urls, CLIENT, clients, seconds,
                        n -> swarms.get(own ? n : 0), o.claimWait()));
                String note = drained(pg, db, swarms);
                if (t.value().empty() > 0) {
                    String empties = t.value().empty() + " claims came back empty";
                    note = note == null ? empties : note + "; " + empties;
                }
                yield new Measurement(run, nodes, round, clients, t.value().seconds(), t.value().operations(),
                        t.value().latency(), null, t.cost(), t.profile(), note);
            }
            case "locks", "locks-workspaces" -> {
                boolean own = run.equals("locks-workspaces");
                IntFunction<String> workspace = own ? n -> "ws" + n : n -> null;
                HttpBench.locks(urls, CLIENT, clients, o.warmupSeconds(), workspace);
                Timed<HttpBench.Result> t = timed(pg, db,
                        () -> HttpBench.locks(urls, CLIENT, clients, seconds, workspace));
                yield new Measurement(run, nodes, round, clients, t.value().seconds(), t.value().operations(),
                        t.value().latency(), null, t.cost(), t.profile(), null);
            }
            case "handoff" -> {
                HttpBench.handoff(urls, CLIENT, clients, o.warmupSeconds());
                Timed<HttpBench.Result> t = timed(pg, db, () -> HttpBench.handoff(urls, CLIENT, clients, seconds));
                yield new Measurement(run, nodes, round, clients, t.value().seconds(), t.value().operations(),
                        t.value().latency(), null, t.cost(), t.profile(), null);
            }
            case "wake" -> {
                int samples = round == 0 ? Math.min(100, o.wakeSamples()) : o.wakeSamples();
                Timed<WakeResult> t = timed(pg, db, () -> wake(pg, db, urls, samples, 50));
                WakeResult r = t.value();
                yield new Measurement(run, nodes, round, 2, r.seconds(), r.fromAnswer().getTotalCount(),
                        r.fromAnswer(), new Wake(r.fromRequest(), r.early(), nodes > 1), t.cost(), t.profile(), null);
            }
            default -> throw new IllegalArgumentException("no run " + run);
        };
    }

    /** A run's value, its cost, and with {@code --profile} where its time went. */
    private record Timed<T>(T value, Cost cost, Profile profile) {
    }

    private static <T> Timed<T> timed(BenchPostgres pg, String db, Supplier<T> run) {
        pg.resetStatements();
        BenchPostgres.WaitSampler sampler = pg.profiling() ? pg.sampleWaits(db, 10) : null;
        Snapshot before = Snapshot.take(pg, db);
        T value;
        try {
            value = run.get();
        } finally {
            if (sampler != null) {
                sampler.close();
            }
        }
        Snapshot after = Snapshot.take(pg, db);
        Profile profile = null;
        if (sampler != null) {
            Map<String, Long> waits = sampler.stop();
            profile = new Profile(pg.statements(db), waits, sampler.samples());
        }
        return new Timed<>(value, Cost.between(before, after), profile);
    }

    /** {@code count} swarms of {@code tasks} independent tasks each, created through the first node. */
    private static List<String> swarms(String url, int count, int tasks, String name) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ids.add(HttpBench.fillSwarm(url, CLIENT, name + "-" + i + "-" + System.nanoTime(), tasks));
        }
        return ids;
    }

    /** A warning when a swarm ran out of ready tasks before the run ended (it was sized too small). */
    private static String drained(BenchPostgres pg, String db, List<String> swarms) {
        try (Connection c = pg.connect(db);
                PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM swarms WHERE id = ANY(?)"
                        + " AND n_ready = 0")) {
            ps.setArray(1, c.createArrayOf("text", swarms.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                long empty = rs.getLong(1);
                return empty == 0 ? null : empty + " of " + swarms.size() + " swarms ran dry before the end (the"
                        + " rate is understated)";
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the swarms: " + e.getMessage(), e);
        }
    }

    private record WakeResult(double seconds, Histogram fromAnswer, Histogram fromRequest, long early) {
    }

    /**
     * Cross-node wake-ups, one at a time: agent X, on node i mod N, acquires a path; agent Y, on
     * node (i + 1) mod N, asks for it with {@code wait_s} 30 from a thread of its own; once Y's
     * waiter is in the database (and 5 ms more, so its request is parked), X releases. Latency:
     * from X's release answer to Y's grant answer (0 when the grant came first), and from X's
     * release request. The first {@code warmup} samples are not recorded.
     */
    private static WakeResult wake(BenchPostgres pg, String db, List<String> urls, int samples, int warmup) {
        int n = urls.size();
        long runId = System.nanoTime();
        String x = "wx-" + runId;
        String y = "wy-" + runId;
        Histogram fromAnswer = new Histogram(3);
        Histogram fromRequest = new Histogram(3);
        long early = 0;
        List<HttpBench.Client> holders = new ArrayList<>();
        List<HttpBench.Client> waiters = new ArrayList<>();
        ExecutorService waiting = Executors.newSingleThreadExecutor(Thread.ofPlatform().name("wake-waiter").factory());
        long start = System.nanoTime();
        long measuredFrom = start;
        try (Connection c = pg.connect(db);
                PreparedStatement queued = c.prepareStatement("SELECT count(*) FROM lock_waiters WHERE agent_id = ?")) {
            for (String url : urls) {
                holders.add(new HttpBench.Client(url, CLIENT));
                waiters.add(new HttpBench.Client(url, CLIENT));
            }
            queued.setString(1, y);
            for (int i = 0; i < warmup + samples; i++) {
                if (i == warmup) {
                    measuredFrom = System.nanoTime();
                }
                HttpBench.Client holder = holders.get(i % n);
                HttpBench.Client waiter = waiters.get((i + 1) % n);
                String path = "wake/f" + (i % 64) + ".txt";
                String lock = ",\"paths\":[\"" + path + "\"],\"workspace\":\"wake\"";
                holder.post("/api/locks/acquire", "{\"agent_id\":\"" + x + "\"" + lock + ",\"ttl_s\":60}").expect(200);
                Future<Long> granted = waiting.submit(() -> {
                    HttpBench.Response r = waiter.post("/api/locks/acquire", "{\"agent_id\":\"" + y + "\"" + lock
                            + ",\"ttl_s\":60,\"wait_s\":30}");
                    long at = System.nanoTime();
                    r.expect(200);
                    return at;
                });
                awaitQueued(queued, granted);
                LockSupport.parkNanos(5_000_000);
                long t0 = System.nanoTime();
                holder.post("/api/locks/release", "{\"agent_id\":\"" + x + "\"" + lock + "}").expect(200);
                long t1 = System.nanoTime();
                long t2 = granted.get(30, TimeUnit.SECONDS);
                if (i >= warmup) {
                    fromAnswer.recordValue(Math.max(0, t2 - t1));
                    fromRequest.recordValue(t2 - t0);
                    if (t2 < t1) {
                        early++;
                    }
                }
                waiter.post("/api/locks/release", "{\"agent_id\":\"" + y + "\"" + lock + "}").expect(200);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the lock waiters: " + e.getMessage(), e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("a lock wait was not granted within 30 s of the release that freed it"
                    + " (a lost wake-up)", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("the waiting request failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } finally {
            waiting.shutdownNow();
            holders.forEach(HttpBench.Client::close);
            waiters.forEach(HttpBench.Client::close);
        }
        return new WakeResult((System.nanoTime() - measuredFrom) / 1e9, fromAnswer, fromRequest, early);
    }

    /** Until Y's waiter is committed (or Y's request ended: then its failure shows). */
    private static void awaitQueued(PreparedStatement queued, Future<Long> granted) throws SQLException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            try (ResultSet rs = queued.executeQuery()) {
                rs.next();
                if (rs.getLong(1) > 0 || granted.isDone()) {
                    return;
                }
            }
            LockSupport.parkNanos(500_000);
        }
        throw new IllegalStateException("the waiting lock request was not queued within 10 s");
    }

    // --- reporting ---

    private static void print(PrintStream out, Measurement m, boolean profile) {
        if (m.wake() != null) {
            out.printf(Locale.ROOT, "  %-17s %s wake-ups: %d; release answer -> grant answer p50 %,.0f us  p99 %,.0f us"
                            + "  max %,.0f us; release request -> grant p50 %,.0f us  p99 %,.0f us  max %,.0f us;"
                            + " %d granted before the release answer%n",
                    m.run(), m.wake().crossNode() ? "cross-node" : "same-node", m.operations(), m.micros(50),
                    m.micros(99), m.latency().getMaxValue() / 1e3,
                    m.wake().fromRequest().getValueAtPercentile(50) / 1e3,
                    m.wake().fromRequest().getValueAtPercentile(99) / 1e3, m.wake().fromRequest().getMaxValue() / 1e3,
                    m.wake().early());
        } else {
            out.printf(Locale.ROOT, "  %-17s %3d clients %,9.0f %-12s p50 %,7.0f us  p99 %,8.0f us  max %,9.0f us%n",
                    m.run(), m.clients(), m.perSecond(), m.run().startsWith("handoff") ? "handoffs/s" : "pairs/s",
                    m.micros(50), m.micros(99), m.latency().getMaxValue() / 1e3);
        }
        out.println("      " + m.cost().describe(m.operations()));
        if (m.note() != null) {
            out.println("      note: " + m.note());
        }
        if (profile && m.profile() != null) {
            out.printf(Locale.ROOT, "      statements per %s (pg_stat_statements: calls × time each = time per op):%n",
                    m.wake() != null ? "wake-up sample" : m.run().startsWith("handoff") ? "handoff" : "pair");
            for (BenchPostgres.StatementCount s : m.profile().statements()) {
                double per = s.calls() / (double) m.operations();
                if (per < 0.01) {
                    continue;
                }
                String q = s.query().strip().replaceAll("\\s+", " ");
                out.printf(Locale.ROOT, "        %6.2f × %7.1f us = %7.1f us  %s%n", per, s.totalMillis() * 1000 / s.calls(),
                        s.totalMillis() * 1000 / m.operations(), q.length() > 110 ? q.substring(0, 110) + "…" : q);
            }
            out.printf(Locale.ROOT, "      connections in a transaction, average over %d samples of pg_stat_activity:%n",
                    m.profile().samples());
            long samples = Math.max(1, m.profile().samples());
            m.profile().waits().entrySet().stream().limit(14).forEach(e -> out.printf(Locale.ROOT,
                    "        %6.2f  %s%n", e.getValue() / (double) samples, e.getKey()));
        }
    }

    private static void summary(PrintStream out, List<Measurement> all, Options o) {
        out.printf(Locale.ROOT, "%nmedian of %d round(s) (min - max), %d clients in all, synchronous_commit %s:%n",
                o.rounds(), o.clients(), o.synchronousCommit() ? "on" : "off");
        for (String run : o.runs()) {
            for (int nodes : o.nodes()) {
                List<Measurement> ms = all.stream().filter(m -> m.run().equals(run) && m.nodes() == nodes).toList();
                if (ms.isEmpty()) {
                    continue;
                }
                if (run.equals("wake")) {
                    out.printf(Locale.ROOT, "  %-17s %d node(s)  release answer -> grant: p50 %s us  p99 %s us"
                                    + "  max %s us%n", run, nodes,
                            spread(ms, m -> m.micros(50)), spread(ms, m -> m.micros(99)),
                            spread(ms, m -> m.latency().getMaxValue() / 1e3));
                } else {
                    out.printf(Locale.ROOT, "  %-17s %d node(s)  %s %s  p99 %s us  db commits/op %s  CPU%% JVM %s"
                                    + " PostgreSQL %s idle %s%n", run, nodes, spread(ms, Measurement::perSecond),
                            run.equals("handoff") ? "handoffs/s" : "pairs/s", spread(ms, m -> m.micros(99)),
                            spread2(ms, m -> m.cost().db().commits() / (double) m.operations()),
                            spread(ms, m -> m.cost().percent(m.cost().jvmCpuNanos())),
                            spread(ms, m -> m.cost().percent(m.cost().db().cpuNanos())),
                            spread(ms, m -> m.cost().percent(m.cost().machineIdleNanos())));
                }
            }
        }
    }

    private static String spread(List<Measurement> ms, ToDoubleFunction<Measurement> f) {
        double[] v = ms.stream().mapToDouble(f).sorted().toArray();
        return String.format(Locale.ROOT, "%,.0f (%,.0f - %,.0f)", median(v), v[0], v[v.length - 1]);
    }

    private static String spread2(List<Measurement> ms, ToDoubleFunction<Measurement> f) {
        double[] v = ms.stream().mapToDouble(f).sorted().toArray();
        return String.format(Locale.ROOT, "%.2f (%.2f - %.2f)", median(v), v[0], v[v.length - 1]);
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
