package hive.cli;

import hive.Hive;
import hive.server.HiveServer;
import hive.server.ServerConfig;
import hive.store.Durability;
import hive.store.StoreFailure;
import hive.store.Store;
import hive.store.postgres.PostgresStore;
import hive.store.sqlite.SqliteStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code hive server}: the HTTP API of API.md over a database, until SIGINT or SIGTERM. */
@Command(
        name = "server",
        mixinStandardHelpOptions = true,
        versionProvider = HiveCommand.Version.class,
        description = {
            "Runs the HiveMind server: the HTTP API (swarms, tasks, agents, file locks, events, metrics) over "
                    + "a database. Prints the address it listens on, then serves until SIGINT or SIGTERM, when it "
                    + "ends waits in progress, finishes the requests under way and closes the database.",
            "Auth is off on loopback unless --token (or HIVE_TOKEN) is set; any other --host needs a token.",
            "Exit status: 2 when it cannot start (bad option, database, address); after SIGTERM, the JVM's 143 "
                    + "once the clean shutdown is done (130 after SIGINT, Ctrl-C).",
        },
        footer = {
            "",
            "Examples:",
            "  hive server                                   # http://127.0.0.1:8000, .hive/hive.db",
            "  hive server --port 9000 --db sqlite:/var/lib/hive/hive.db",
            "  hive server --host 0.0.0.0 --token s3cret --db postgresql://hive:pw@db.internal:5432/hive",
            "                                                # one of several nodes on one PostgreSQL",
            "  HIVE_TOKEN=s3cret hive server --host 0.0.0.0",
        })
final class ServerCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--host", defaultValue = ServerConfig.DEFAULT_HOST, description = "Address to listen on "
            + "(default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "8000", description = "Port (default: ${DEFAULT-VALUE}; 0: any free "
            + "port).")
    int port;

    @Option(names = "--db", defaultValue = "sqlite:.hive/hive.db", paramLabel = "URL", description = "sqlite:PATH "
            + "(default: ${DEFAULT-VALUE}; one server), or a PostgreSQL URL: postgresql://user:password@host:port/db "
            + "or jdbc:postgresql://... (any number of servers on one database; see docs/deployment.md).")
    String db;

    @Option(names = "--pool-size", defaultValue = "16", paramLabel = "N", description = "PostgreSQL only: "
            + "connections this node keeps for requests (default: ${DEFAULT-VALUE}; at least 2), plus one that "
            + "listens to the other nodes and one that tells them what this node committed.")
    int poolSize;

    @Option(names = "--token", paramLabel = "T", description = "Admin token; requests then need 'Authorization: "
            + "Bearer <token>' (default: $HIVE_TOKEN, else none).")
    String token;

    @Option(names = "--session-timeout-s", defaultValue = "60", description = "Seconds an agent may stay silent "
            + "before it is lost (default: ${DEFAULT-VALUE}).")
    double sessionTimeoutS;

    @Option(names = "--max-body-bytes", defaultValue = "1048576", description = "Larger request bodies are "
            + "refused with 413 (default: ${DEFAULT-VALUE}).")
    long maxBodyBytes;

    @Option(names = "--durability", defaultValue = "normal", paramLabel = "MODE", description = "normal: a "
            + "crash of the process loses nothing acknowledged; strict: every commit is also fsynced (default: "
            + "${DEFAULT-VALUE}). SQLite only: on PostgreSQL, durability is the database server's.")
    String durability;

    @Override
    public Integer call() throws InterruptedException {
        if (System.getenv("HIVE_LOG_LEVEL") == null && System.getProperty("HIVE_LOG_LEVEL") == null) {
            // A server logs what it does (every state change at INFO) unless told otherwise.
            ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
                    .setLevel(ch.qos.logback.classic.Level.INFO);
        }
        String adminToken = token != null ? token : System.getenv("HIVE_TOKEN");
        if (adminToken != null && adminToken.isBlank()) {
            adminToken = null;
        }
        ServerConfig config;
        try {
            config = new ServerConfig(host, port, adminToken, maxBodyBytes);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        if (!(sessionTimeoutS > 0 && sessionTimeoutS <= 24 * 3600)) {
            throw new ParameterException(spec.commandLine(), "--session-timeout-s must be more than 0 and at most "
                    + "86400, got " + sessionTimeoutS);
        }
        if (poolSize < 2 || poolSize > 1000) {
            // two at least: schema migrations hold one connection and ask for another
            throw new ParameterException(spec.commandLine(), "--pool-size must be between 2 and 1000, got "
                    + poolSize);
        }
        DatabaseUrl database = database(db);
        Durability mode = switch (durability.toLowerCase(Locale.ROOT)) {
            case "normal" -> Durability.NORMAL;
            case "strict" -> Durability.STRICT;
            default -> throw new ParameterException(spec.commandLine(), "--durability is normal or strict, got '"
                    + durability + "'");
        };
        String shown = switch (database) {
            case DatabaseUrl.Sqlite sqlite -> sqlite.file().toString();
            case DatabaseUrl.Postgres postgres -> postgres.url().display();
        };
        Hive hive;
        try {
            Store store = switch (database) {
                case DatabaseUrl.Sqlite sqlite -> {
                    if (sqlite.file().getParent() != null) {
                        Files.createDirectories(sqlite.file().getParent());
                    }
                    yield SqliteStore.open(sqlite.file(), mode);
                }
                // Durability on PostgreSQL is the server's (synchronous_commit): every commit is acknowledged
                // by it before HiveMind answers.
                case DatabaseUrl.Postgres postgres -> PostgresStore.open(postgres.url(), poolSize);
            };
            hive = Hive.open(store, InstantSource.system(), new SecureRandom(),
                    Duration.ofSeconds(1), Duration.ofMillis(Math.round(sessionTimeoutS * 1000)));
        } catch (IOException | StoreFailure e) {
            spec.commandLine().getErr().println("hive server: cannot open " + shown + ": " + e.getMessage());
            spec.commandLine().getErr().flush();
            return ExitCode.INVALID;
        }
        HiveServer server;
        try {
            server = HiveServer.start(hive, config);
        } catch (RuntimeException e) {
            hive.close();
            spec.commandLine().getErr().println("hive server: cannot listen on " + host + ":" + port + ": "
                    + e.getMessage());
            spec.commandLine().getErr().flush();
            return ExitCode.INVALID;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "hive-shutdown"));
        spec.commandLine().getOut().println("HiveMind listening on " + server.url() + " (database " + shown
                + (config.authOn() ? ", auth on" : ", auth off: loopback only") + ")");
        spec.commandLine().getOut().flush();
        stopped.await();
        return ExitCode.OK;
    }

    private DatabaseUrl database(String url) {
        try {
            return DatabaseUrl.parse(url);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }
}
