package hive.bench;

import java.util.Arrays;

/**
 * The entry point of {@code hive-bench.jar}: {@code drain} runs the engine load generator
 * ({@link EngineDrain}), {@code locks} the lock load generator ({@link LockBench}), {@code http} the HTTP one
 * ({@link HttpBench}), {@code jmh} hands its arguments to JMH's own command line
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
              jmh [JMH args]    run the JMH benchmarks (e.g. `jmh ProgressBenchmark`, `jmh -l`, `jmh -h`)
              --help            this text
            """;

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
        switch (args[0]) {
            case "drain" -> {
                if (Arrays.asList(rest).contains("--help") || Arrays.asList(rest).contains("-h")) {
                    System.out.print(EngineDrain.USAGE);
                    return;
                }
                int status = EngineDrain.run(rest, System.out, System.err);
                System.out.flush();
                System.exit(status);
            }
            case "locks" -> {
                if (Arrays.asList(rest).contains("--help") || Arrays.asList(rest).contains("-h")) {
                    System.out.print(LockBench.USAGE);
                    return;
                }
                int status = LockBench.run(rest, System.out, System.err);
                System.out.flush();
                System.exit(status);
            }
            case "http" -> {
                if (Arrays.asList(rest).contains("--help") || Arrays.asList(rest).contains("-h")) {
                    System.out.print(HttpBench.USAGE);
                    return;
                }
                int status = HttpBench.run(rest, System.out, System.err);
                System.out.flush();
                System.exit(status);
            }
            case "jmh" -> org.openjdk.jmh.Main.main(rest);
            default -> {
                System.err.println("hive-bench: unknown command '" + args[0] + "'");
                System.err.print(USAGE);
                System.exit(2);
            }
        }
    }
}
