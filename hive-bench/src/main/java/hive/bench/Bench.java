package hive.bench;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.Map;

/**
 * The entry point of {@code hive-bench.jar}: {@code drain} runs the engine load generator
 * ({@link EngineDrain}), {@code locks} the lock load generator ({@link LockBench}), {@code http} the HTTP one
 * ({@link HttpBench}), {@code http-floor} the same against servers doing no work ({@link HttpFloor}),
 * {@code run-overhead} what {@code hive run} adds per task ({@link RunOverhead}), {@code cluster}
 * several server nodes on one PostgreSQL ({@link ClusterBench}), {@code jmh} hands its arguments to JMH's own command line
 * ({@code org.openjdk.jmh.Main}: {@code -l} lists the benchmarks, {@code -h} its options).
 */
public final class Bench {

    static final String USAGE = """
            usage: hive-bench <command> [arguments]

            commands:
              drain [options]   create a large random task graph on a fresh SQLite file and drain it
                                with claim+complete threads; prints creation time, pairs/s, latency,
                                cost per pair (see `drain --help`)
              locks [options]   lock acquire+release pairs (1, 8, 32 threads) and handoffs on one
                                contended path, on a fresh SQLite file (see `locks --help`)
              http [options]    the server over loopback HTTP: lock pairs (1, 8, 32 clients), handoffs
                                (8 clients, one path), claim+complete pairs (see `http --help`)
              http-floor [opts] the same lock-pair loop against stand-in servers doing no work (a
                                plain socket server, Jetty, Javalin): what loopback HTTP itself
                                allows on this machine (see `http-floor --help`)
              run-overhead [o]  what hive run adds to the commands it runs: N `true` tasks bare and
                                through its engine and workers (see `run-overhead --help`)
              cluster [options] 1, 2, 3 server nodes on one PostgreSQL (started by the bench):
                                claim and lock pairs/s, one swarm/workspace vs. many, handoffs,
                                cross-node lock wake latency (see `cluster --help`)
              jmh [JMH args]    run the JMH benchmarks (e.g. `jmh ProgressBenchmark`, `jmh -l`, `jmh -h`)
              --help            this text
            """;

    /** A load generator: its usage text and its entry point (exit status 0, 1 failed, 2 bad usage). */
    private record Command(String usage, Runner runner) {
    }

    @FunctionalInterface
    private interface Runner {
        int run(String[] args, PrintStream out, PrintStream err);
    }

    private static final Map<String, Command> COMMANDS = Map.of(
            "drain", new Command(EngineDrain.USAGE, EngineDrain::run),
            "locks", new Command(LockBench.USAGE, LockBench::run),
            "http", new Command(HttpBench.USAGE, HttpBench::run),
            "http-floor", new Command(HttpFloor.USAGE, HttpFloor::run),
            "run-overhead", new Command(RunOverhead.USAGE, RunOverhead::run),
            "cluster", new Command(ClusterBench.USAGE, ClusterBench::run));

    private Bench() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            System.out.print(USAGE);
            if (args.length == 0) {
                System.exit(2);
            }
            return;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        if (args[0].equals("jmh")) {
            org.openjdk.jmh.Main.main(rest);
            return;
        }
        Command command = COMMANDS.get(args[0]);
        if (command == null) {
            System.err.println("hive-bench: unknown command '" + args[0] + "'");
            System.err.print(USAGE);
            System.exit(2);
            return;
        }
        if (Arrays.asList(rest).contains("--help") || Arrays.asList(rest).contains("-h")) {
            System.out.print(command.usage());
            return;
        }
        int status = command.runner().run(rest, System.out, System.err);
        System.out.flush();
        System.exit(status);
    }
}
