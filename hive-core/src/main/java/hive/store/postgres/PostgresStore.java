package hive.store.postgres;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import hive.events.Event;
import hive.store.Store;
import hive.store.StoreFailure;
import hive.store.StoreReader;
import hive.store.StoreTx;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shared store: PostgreSQL, used by any number of server nodes at once, each as if it were
 * the only one. Every {@link #write} is one transaction (READ COMMITTED) on a pooled connection,
 * concurrent with the others of this node and of the other nodes; {@link PostgresTx} says how
 * they are kept apart. A transaction that PostgreSQL aborts for a deadlock or a serialization
 * failure is run again from the start (at most {@value #MAX_ATTEMPTS} times). A write is
 * acknowledged once committed: nothing acknowledged is lost with a node.
 *
 * <p>Nodes hear of each other through {@code LISTEN/NOTIFY}: once a commit is done, the node
 * tells the others (batched, from its {@link Notifier}) the ranges of events it appended per
 * swarm, the lock waiters it took out of the queue and whether it freed locks. Each node listens
 * on a connection of its own; for the commits of the others it reads the events and hands them to
 * its {@link #onCommit} listeners (so event streams and waiting claims on every node see them),
 * and tells its {@link #onWake} listeners of freed locks and dequeued waiters (so a lock wait on
 * one node is answered at once when a release on another grants it). After the listening
 * connection was lost, a node catches up: it reads the events it missed and wakes every waiting
 * caller to look again.
 *
 * <p>Losing PostgreSQL: operations fail with {@link StoreFailure} (a server answers 503) until
 * the pool reconnects, which it does by itself. Schema migrations (Flyway, {@code db/postgresql})
 * run on open; several nodes starting at once migrate once. Thread-safe.
 */
public final class PostgresStore implements Store {

    private static final Logger log = LoggerFactory.getLogger(PostgresStore.class);
    private static final String CHANNEL = "hive_changes";
    static final int MAX_ATTEMPTS = 8;
    /** Runs again to take workspace locks in order (each knowing more of them) that count as no attempt. */
    private static final int MAX_REORDERS = 16;
    /** A notice's payload must stay under PostgreSQL's 8,000 bytes. */
    private static final int MAX_PAYLOAD = 7_000;
    /** How soon claims that skipped tasks held by other operations look again. */
    private static final long REPOLL_MS = 15;
    /** How long the listening connection may stay quiet before it is asked whether it is alive. */
    private static final long PROBE_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * Every connection of a node names it ({@code application_name}): a lock waiter whose node has
     * no connection left belongs to a caller that is gone ({@link PostgresTx#orphanedWaiters}).
     */
    static final String APPLICATION_PREFIX = "hive node ";

    private final PostgresUrl url;
    private final HikariDataSource pool;
    private final Jdbi jdbi;
    private final String node;
    private final List<Consumer<List<Event>>> commitListeners = new CopyOnWriteArrayList<>();
    private final List<WakeListener> wakeListeners = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService repoll;
    /** The threads operations run on (as many as connections): see {@link #onStoreThread}. */
    private final java.util.concurrent.ExecutorService workers;
    private final AtomicBoolean repollQueued = new AtomicBoolean();
    private final Listener listener;
    private final Notifier notifier;
    private volatile boolean closed;

    private PostgresStore(PostgresUrl url, HikariDataSource pool, String node, int poolSize) {
        this.url = url;
        this.pool = pool;
        this.jdbi = Jdbi.create(pool);
        this.node = node;
        this.workers = Executors.newFixedThreadPool(poolSize,
                Thread.ofPlatform().name("hive-pg-", 0).daemon(true).factory());
        this.repoll = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("hive-pg-repoll").daemon(true).factory());
        this.listener = new Listener();
        this.notifier = new Notifier();
    }

    /**
     * Connects to PostgreSQL at {@code url} ({@code postgresql://user:password@host:port/database}
     * or a {@code jdbc:postgresql:} URL), migrates the schema and starts listening to the other
     * nodes. {@link StoreFailure} when it cannot connect.
     */
    public static PostgresStore open(String url) {
        return open(PostgresUrl.parse(url), 16);
    }

    /** As {@link #open(String)}, with at most {@code poolSize} connections for operations. */
    public static PostgresStore open(PostgresUrl url, int poolSize) {
        return open(url, poolSize, true);
    }

    /**
     * As {@link #open(PostgresUrl, int)}; {@code migrate} false skips Flyway, for a database known
     * to have the current schema (tests that open hundreds of stores on copies of a migrated one).
     */
    public static PostgresStore open(PostgresUrl url, int poolSize, boolean migrate) {
        String node = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
        HikariConfig config = new HikariConfig();
        config.setPoolName("hive-postgres");
        config.addDataSourceProperty("ApplicationName", APPLICATION_PREFIX + node);
        config.setJdbcUrl(url.jdbcUrl());
        if (url.user() != null) {
            config.setUsername(url.user());
        }
        if (url.password() != null) {
            config.setPassword(url.password());
        }
        config.setMaximumPoolSize(poolSize);
        config.setMinimumIdle(Math.min(2, poolSize));
        // A node that lost PostgreSQL answers 503 within seconds, rather than holding requests.
        config.setConnectionTimeout(5_000);
        config.setValidationTimeout(1_000);
        config.setInitializationFailTimeout(10_000);
        HikariDataSource pool;
        try {
            pool = new HikariDataSource(config);
        } catch (RuntimeException e) {
            throw new StoreFailure("cannot connect to PostgreSQL at " + url.display() + ": " + rootMessage(e), e);
        }
        try {
            if (migrate) {
                Flyway.configure().dataSource(pool).locations("classpath:db/postgresql").load().migrate();
            }
            PostgresStore store = new PostgresStore(url, pool, node, poolSize);
            store.listener.start();
            store.notifier.start();
            log.atInfo().setMessage("store opened").addKeyValue("database", url.display())
                    .addKeyValue("node", store.node).log();
            return store;
        } catch (RuntimeException e) {
            pool.close();
            throw new StoreFailure("cannot open the HiveMind schema on " + url.display() + ": " + rootMessage(e), e);
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.toString() : root.getMessage();
    }

    /** This node's name in the notices it sends. */
    public String node() {
        return node;
    }

    @Override
    public <T> T write(Function<StoreTx, T> operation) {
        return onStoreThread(() -> writeHere(operation));
    }

    /**
     * Runs {@code work} on one of the store's own threads and waits for it, whatever happens to
     * the caller's thread meanwhile. An interrupt of a virtual thread blocked on a socket closes
     * the socket: a caller interrupted while its transaction commits (a server's request thread
     * whose client went away, a lock wait given up) would lose its connection and never learn
     * whether the commit happened. The store's threads are never interrupted; the caller keeps
     * its interrupt and sees it once the operation is done.
     */
    private <T> T onStoreThread(java.util.function.Supplier<T> work) {
        CompletableFuture<T> done;
        try {
            done = CompletableFuture.supplyAsync(work, workers);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            throw new IllegalStateException("the store is closed", e);
        }
        try {
            return done.join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            throw e;
        }
    }

    private <T> T writeHere(Function<StoreTx, T> operation) {
        Set<String> prelock = Set.of();
        int reorders = 0;
        for (int attempt = 1; ; attempt++) {
            if (closed) {
                throw new IllegalStateException("the store is closed");
            }
            Handle handle = open();
            PostgresTx tx = new PostgresTx(handle, true, node, prelock);
            T result;
            try {
                handle.begin();
                result = operation.apply(tx);
                handle.commit();
            } catch (RuntimeException e) {
                rollbackQuietly(handle, e);
                handle.close();
                if (tx.skippedLocked()) {
                    repollSoon();
                }
                if (e instanceof PostgresTx.Reorder reorder) {
                    prelock = new java.util.TreeSet<>(reorder.needed);
                    prelock.addAll(tx.lockedWorkspaces());
                    if (++reorders <= MAX_REORDERS) {
                        attempt--; // no conflict with anyone yet: this is not a failed attempt
                    }
                    continue;
                }
                SQLException sql = sqlCause(e);
                if (sql == null) {
                    throw e; // the engine's own refusal (not found, conflict...): nothing was written
                }
                if (retryable(sql)) {
                    prelock = new java.util.TreeSet<>(tx.lockedWorkspaces());
                }
                if (retryable(sql) && attempt < MAX_ATTEMPTS) {
                    log.debug("retrying a transaction that PostgreSQL aborted ({}), attempt {}", sql.getSQLState(),
                            attempt);
                    sleepQuietly(ThreadLocalRandom.current().nextLong(1, 2L << Math.min(attempt, 6)));
                    continue;
                }
                throw failure(sql, e);
            }
            handle.close();
            notifier.send(tx);
            for (Runnable action : tx.afterCommitActions()) {
                action.run();
            }
            List<Event> events = tx.appended();
            if (!events.isEmpty()) {
                for (Event e : events) {
                    listener.lastSeq.merge(e.swarmId(), e.seq(), Math::max);
                }
                for (Consumer<List<Event>> l : commitListeners) {
                    l.accept(events);
                }
            }
            if (tx.skippedLocked()) {
                repollSoon();
            }
            return result;
        }
    }

    private Handle open() {
        try {
            return jdbi.open();
        } catch (RuntimeException e) {
            SQLException sql = sqlCause(e);
            // Hikari says which: "total=16, active=16" is a node whose connections are all busy.
            throw new StoreFailure("no connection to PostgreSQL (" + url.display() + ") within 5 s: unreachable,"
                    + " or every connection of this node busy: " + rootMessage(e), sql != null ? sql : e);
        }
    }

    private static void rollbackQuietly(Handle handle, RuntimeException cause) {
        try {
            if (handle.isInTransaction()) {
                handle.rollback();
            }
        } catch (RuntimeException suppressed) {
            cause.addSuppressed(suppressed);
        }
    }

    private StoreFailure failure(SQLException sql, RuntimeException e) {
        if (connectionLost(sql)) {
            return new StoreFailure("PostgreSQL is unreachable (" + url.display() + "): " + sql.getMessage(), e);
        }
        if (retryable(sql)) {
            return new StoreFailure("PostgreSQL aborted the operation " + MAX_ATTEMPTS + " times in a row for"
                    + " conflicts with others (" + sql.getMessage() + "); nothing was written", e);
        }
        return new StoreFailure("PostgreSQL refused the operation: " + sql.getMessage(), e);
    }

    static SQLException sqlCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql) {
                return sql;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return null;
    }

    /** Serialization failure and deadlock: PostgreSQL undid the transaction; running it again is safe. */
    private static boolean retryable(SQLException e) {
        return "40001".equals(e.getSQLState()) || "40P01".equals(e.getSQLState());
    }

    private static boolean connectionLost(SQLException e) {
        String state = e.getSQLState();
        return e instanceof SQLTransientConnectionException
                || (state != null && (state.startsWith("08") || state.equals("57P01") || state.equals("57P02")
                        || state.equals("57P03")));
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** What one commit changed that the other nodes' waiting callers care about. */
    private record Change(Map<String, long[]> ranges, Set<Long> dequeued, boolean freed) {

        static Change of(PostgresTx tx) {
            Map<String, long[]> ranges = new LinkedHashMap<>();
            for (Event e : tx.appended()) {
                ranges.merge(e.swarmId(), new long[] {e.seq(), e.seq()}, Change::span);
            }
            return new Change(ranges, Set.copyOf(tx.dequeued()), tx.freed());
        }

        static long[] span(long[] a, long[] b) {
            return new long[] {Math.min(a[0], b[0]), Math.max(a[1], b[1])};
        }

        boolean isEmpty() {
            return ranges.isEmpty() && dequeued.isEmpty() && !freed;
        }
    }

    /**
     * Tells the other nodes what the commits of this one changed, after they committed, from a
     * thread and a connection of its own: the changes of many commits go out as one notice. Not
     * in the operations' transactions: PostgreSQL holds one server-wide lock from a notifying
     * transaction's commit until its WAL is flushed, so notifying there would make every commit
     * of every node wait for the one before it. The notifier's session commits without waiting
     * for the flush (a notice is a wake-up, not data: the rows it points to are committed).
     * A notice lost with a node that dies right after a commit costs a wait, not a result:
     * waiting lock callers look again every {@code 5 s} by themselves, waiting claims every 5 s,
     * event streams every 15 s.
     */
    private final class Notifier implements Runnable {
        private final java.util.concurrent.LinkedBlockingQueue<Change> queue =
                new java.util.concurrent.LinkedBlockingQueue<>();
        private final Thread thread = Thread.ofPlatform().name("hive-pg-notify").daemon(true).unstarted(this);
        private Connection connection;

        void start() {
            thread.start();
        }

        void send(PostgresTx tx) {
            Change change = Change.of(tx);
            if (!change.isEmpty()) {
                queue.add(change);
            }
        }

        void stop() {
            thread.interrupt();
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            closeQuietly();
        }

        @Override
        public void run() {
            List<Change> batch = new ArrayList<>();
            while (true) {
                try {
                    Change first = queue.poll(1, TimeUnit.SECONDS);
                    if (first == null) {
                        continue;
                    }
                    batch.add(first);
                    queue.drainTo(batch);
                    notify(batch);
                    batch.clear();
                } catch (InterruptedException e) {
                    // closing: what the last commits changed still goes out
                    queue.drainTo(batch);
                    try {
                        if (!batch.isEmpty()) {
                            notify(batch);
                        }
                    } catch (SQLException | RuntimeException lost) {
                        log.debug("could not tell the other nodes of the last commits: {}", rootMessage(lost));
                    }
                    return;
                } catch (SQLException | RuntimeException e) {
                    // The database is out of reach: the other nodes lose their listening connections too,
                    // and catch up when they are back; these changes need not be told again.
                    log.debug("cannot notify the other nodes: {}", rootMessage(e));
                    batch.clear();
                    closeQuietly();
                    sleepQuietly(200);
                }
            }
        }

        private void notify(List<Change> batch) throws SQLException {
            Map<String, long[]> ranges = new LinkedHashMap<>();
            Set<Long> dequeued = new LinkedHashSet<>();
            boolean freed = false;
            for (Change c : batch) {
                c.ranges().forEach((swarm, range) -> ranges.merge(swarm, range, Change::span));
                dequeued.addAll(c.dequeued());
                freed |= c.freed();
            }
            List<ObjectNode> notices = new ArrayList<>();
            ObjectNode notice = newNotice(freed);
            notices.add(notice);
            int size = 0;
            for (Map.Entry<String, long[]> range : ranges.entrySet()) {
                if (size > MAX_PAYLOAD) {
                    notice = newNotice(false);
                    notices.add(notice);
                    size = 0;
                }
                notice.withObjectProperty("s").putArray(range.getKey()).add(range.getValue()[0])
                        .add(range.getValue()[1]);
                size += range.getKey().length() + 48;
            }
            for (long id : dequeued) {
                if (size > MAX_PAYLOAD) {
                    notice = newNotice(false);
                    notices.add(notice);
                    size = 0;
                }
                notice.withArray("w").add(id);
                size += 21;
            }
            Connection c = connection();
            try (java.sql.PreparedStatement st = c.prepareStatement("SELECT pg_notify(?, ?)")) {
                for (ObjectNode n : notices) {
                    st.setString(1, CHANNEL);
                    st.setString(2, n.toString());
                    st.execute();
                }
            }
            c.commit();
        }

        private Connection connection() throws SQLException {
            if (connection == null) {
                java.util.Properties properties = url.properties();
                properties.setProperty("ApplicationName", APPLICATION_PREFIX + node);
                Connection c = java.sql.DriverManager.getConnection(url.jdbcUrl(), properties);
                try (Statement st = c.createStatement()) {
                    st.execute("SET synchronous_commit TO off");
                }
                c.setAutoCommit(false);
                connection = c;
            }
            return connection;
        }

        private void closeQuietly() {
            if (connection != null) {
                try {
                    connection.close();
                } catch (SQLException ignored) {
                    // gone anyway
                }
                connection = null;
            }
        }
    }

    private ObjectNode newNotice(boolean freed) {
        ObjectNode notice = JSON.createObjectNode().put("n", node);
        if (freed) {
            notice.put("f", true);
        }
        return notice;
    }

    /**
     * A claim skipped ready tasks that other operations held: if those let them be, nothing will
     * say so. Waiting claims here look again shortly (one look for many skips).
     */
    private void repollSoon() {
        if (closed || !repollQueued.compareAndSet(false, true)) {
            return;
        }
        try {
            repoll.schedule(() -> {
                repollQueued.set(false);
                wakeClaims();
            }, REPOLL_MS, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            repollQueued.set(false);
        }
    }

    private void wakeClaims() {
        for (WakeListener l : wakeListeners) {
            l.claimsMayGo();
        }
    }

    @Override
    public <T> T read(Function<StoreReader, T> query) {
        return onStoreThread(() -> readHere(query));
    }

    private <T> T readHere(Function<StoreReader, T> query) {
        Handle handle = open();
        try {
            // For this transaction only: a connection set to REPEATABLE READ and handed back to the pool
            // would give a later write a snapshot older than the locks it waited for.
            return handle.inTransaction(h -> {
                h.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
                return query.apply(new PostgresTx(h, false, node, Set.of()));
            });
        } catch (RuntimeException e) {
            SQLException sql = sqlCause(e);
            if (sql == null) {
                throw e;
            }
            throw failure(sql, e);
        } finally {
            handle.close();
        }
    }

    @Override
    public void onCommit(Consumer<List<Event>> listener) {
        commitListeners.add(listener);
    }

    @Override
    public void onWake(WakeListener listener) {
        wakeListeners.add(listener);
    }

    /** Whether the node hears the others now (its listening connection is up). */
    public boolean listening() {
        return listener.connected;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        listener.stop();
        notifier.stop();
        repoll.shutdownNow();
        workers.shutdown();
        pool.close();
        log.atInfo().setMessage("store closed").addKeyValue("database", url.display()).log();
    }

    /**
     * The listening side: one connection doing {@code LISTEN}, one platform thread reading its
     * notices. Own notices are skipped (this node told its listeners when it committed).
     */
    private final class Listener implements Runnable {
        private final Thread thread = Thread.ofPlatform().name("hive-pg-listen").daemon(true).unstarted(this);
        /** The last event handed to the listeners, per swarm heard of (from this node or another). */
        private final Map<String, Long> lastSeq = new java.util.concurrent.ConcurrentHashMap<>();
        private volatile Connection connection;
        private volatile boolean connected;

        void start() {
            thread.start();
        }

        void stop() {
            Connection c = connection;
            thread.interrupt();
            if (c != null) {
                try {
                    c.close();
                } catch (SQLException ignored) {
                    // closing anyway
                }
            }
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void run() {
            boolean missed = false;
            long backoff = 100;
            while (!closed) {
                java.util.Properties properties = url.properties();
                properties.setProperty("ApplicationName", APPLICATION_PREFIX + node);
                try (Connection c = java.sql.DriverManager.getConnection(url.jdbcUrl(), properties)) {
                    connection = c;
                    c.setAutoCommit(true);
                    try (Statement st = c.createStatement()) {
                        st.execute("LISTEN " + CHANNEL);
                    }
                    connected = true;
                    if (missed) {
                        log.atInfo().setMessage("listening to the other nodes again").addKeyValue("node", node).log();
                        catchUp();
                        missed = false;
                    }
                    backoff = 100;
                    PGConnection pg = c.unwrap(PGConnection.class);
                    long quietSince = System.nanoTime();
                    while (!closed) {
                        PGNotification[] notices = pg.getNotifications(1_000);
                        if (notices != null && notices.length > 0) {
                            heard(notices);
                            quietSince = System.nanoTime();
                        } else if (System.nanoTime() - quietSince > PROBE_NANOS) {
                            // A connection that only reads would not notice a silent network failure:
                            // ask something now and then, so that a dead one is found and replaced.
                            try (Statement st = c.createStatement()) {
                                st.setQueryTimeout(5);
                                st.execute("SELECT 1");
                            }
                            quietSince = System.nanoTime();
                        }
                    }
                } catch (SQLException | RuntimeException e) {
                    connected = false;
                    if (closed) {
                        return;
                    }
                    if (!missed) {
                        log.atWarn().setMessage("lost the connection that hears the other nodes; reconnecting")
                                .addKeyValue("node", node).addKeyValue("error", rootMessage(e)).log();
                    }
                    missed = true;
                    sleepQuietly(backoff);
                    backoff = Math.min(2_000, backoff * 2);
                }
            }
        }

        /** Hands the listeners what the other nodes committed, events first. */
        private void heard(PGNotification[] notices) {
            Map<String, long[]> ranges = new LinkedHashMap<>();
            Set<Long> dequeued = new LinkedHashSet<>();
            boolean freed = false;
            for (PGNotification notice : notices) {
                JsonNode n;
                try {
                    n = JSON.readTree(notice.getParameter());
                } catch (java.io.IOException e) {
                    log.warn("ignoring a notice that is not HiveMind's: {}", notice.getParameter());
                    continue;
                }
                if (node.equals(n.path("n").asText())) {
                    continue;
                }
                freed |= n.path("f").asBoolean(false);
                n.path("s").properties().forEach(f -> ranges.merge(f.getKey(),
                        new long[] {f.getValue().get(0).asLong(), f.getValue().get(1).asLong()},
                        (a, b) -> new long[] {Math.min(a[0], b[0]), Math.max(a[1], b[1])}));
                for (JsonNode id : n.path("w")) {
                    dequeued.add(id.asLong());
                }
            }
            for (Map.Entry<String, long[]> range : ranges.entrySet()) {
                long after = Math.max(range.getValue()[0] - 1, lastSeq.getOrDefault(range.getKey(), 0L));
                deliver(range.getKey(), after, range.getValue()[1]);
            }
            if (freed) {
                wakeClaims();
            }
            if (!dequeued.isEmpty()) {
                for (WakeListener l : wakeListeners) {
                    l.waitersDequeued(dequeued);
                }
            }
        }

        /** Reads the swarm's events in {@code (after, upTo]} (to the end when upTo is 0) and hands them on. */
        private void deliver(String swarmId, long after, long upTo) {
            long from = after;
            while (upTo == 0 || from < upTo) {
                long start = from;
                List<Event> page = read(r -> r.events(swarmId, start, 500));
                List<Event> mine = upTo == 0 ? page : page.stream().filter(e -> e.seq() <= upTo).toList();
                if (!mine.isEmpty()) {
                    for (Consumer<List<Event>> l : commitListeners) {
                        l.accept(mine);
                    }
                    from = mine.getLast().seq();
                    lastSeq.merge(swarmId, from, Math::max);
                }
                if (page.size() < 500) {
                    return;
                }
            }
        }

        /**
         * After notices may have been missed: each swarm whose events moved on since it was last
         * heard of delivers them (a swarm never heard of, its latest event: enough to wake those
         * who watch it), and every waiting caller looks again.
         */
        private void catchUp() {
            for (hive.store.SwarmRow swarm : read(StoreReader::swarms)) {
                Long known = lastSeq.get(swarm.id());
                long after = known != null ? known : Math.max(0, swarm.lastEventSeq() - 1);
                if (swarm.lastEventSeq() > after) {
                    deliver(swarm.id(), after, swarm.lastEventSeq());
                }
            }
            wakeClaims();
            for (WakeListener l : wakeListeners) {
                l.waitersDequeued(null);
            }
        }
    }
}
