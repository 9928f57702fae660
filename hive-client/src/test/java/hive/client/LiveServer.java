package hive.client;

import hive.Hive;
import hive.server.HiveServer;
import hive.server.ServerConfig;
import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real HiveMind server for a test class: the HTTP server on a random loopback port over a
 * SQLite file in a temporary directory, auth off, and a client of it. Tests of a class share the
 * server, so each uses its own agents and workspaces ({@link #unique}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class LiveServer {

    private static final AtomicInteger NEXT = new AtomicInteger();

    /** Set for each test class before its {@code @BeforeAll}; its files go with it. */
    @TempDir
    static Path dir;
    HiveServer server;
    HiveClient hive;

    @BeforeAll
    void startServer() {
        server = HiveServer.start(Hive.sqlite(dir.resolve("hive.db")), ServerConfig.local(0));
        hive = HiveClient.connect(URI.create(server.url()));
    }

    @AfterAll
    void stopServer() {
        if (hive != null) {
            hive.close();
        }
        if (server != null) {
            server.close();
        }
    }

    /** An id no other test of the run uses: {@code prefix-N}. */
    static String unique(String prefix) {
        return prefix + "-" + NEXT.incrementAndGet();
    }

    /** A one-line JSON plan: {@code tasks} is the JSON of its task array. */
    static String plan(String name, String tasks) {
        return "{\"name\": \"" + name + "\", \"tasks\": " + tasks + "}";
    }

    /** As {@link #plan(String, String)}, in its own workspace. */
    static String plan(String name, String workspace, String tasks) {
        return "{\"name\": \"" + name + "\", \"workspace\": \"" + workspace + "\", \"tasks\": " + tasks + "}";
    }
}
