package hive.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import hive.Hive;
import hive.server.HiveServer;
import hive.server.ServerConfig;
import hive.store.Durability;
import hive.store.sqlite.SqliteStore;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import org.HdrHistogram.Histogram;

/**
 * The HTTP load generator: clients on loopback, each a thread with its own keep-alive connection
 * ({@link LoopbackHttp} by default, or the JDK's {@link HttpClient}), against a HiveMind server
 * started in this process on a fresh SQLite file, or a running one given with {@code --url} (then
 * the CPU figures are the clients' alone).
 *
 * <ul>
 *   <li><b>locks</b>: C clients, each its own agent on its own paths, loop {@code POST
 *       /api/locks/acquire} (exclusive, one path) then {@code POST /api/locks/release}.
 *   <li><b>handoff</b>: C clients contend for one path with {@code wait_s}, release at once, queue
 *       again; the release-to-grant time is measured from the holder's release request to the
 *       next holder's acquire response.
 *   <li><b>claims</b>: C registered agents drain a swarm of independent tasks with {@code POST
 *       /api/agents/{id}/claim} then {@code POST .../complete}.
 * </ul>
 * Each run is preceded by a warm-up of the same kind. Latency per pair (or handoff) in an
 * HdrHistogram; CPU is this process's, which includes the server's when it runs here.
 */
final class HttpBench {

    static final String USAGE = """
            usage: hive-bench http [options]
              --clients A,B,...      client counts of the lock pair and claim runs (default 1,8,32)
              --handoff-clients C    clients contending for one path (default 8; 0: none)
              --runs R,...           which runs: locks, handoff, claims (default all three)
              --seconds S            length of each measured run (default 10)
              --warmup-seconds W     warm-up before each run (default 3)
              --durability MODE      normal | strict (in-process server only; default normal)
              --url URL              a running server instead of one in this process (auth off)
              --client raw|jdk       raw: a minimal blocking HTTP/1.1 client (default); jdk: the
                                     JDK's HttpClient
              --json                 print the figures as one JSON line
            """;

    private static final ObjectMapper JSON = new ObjectMapper();

    private HttpBench() {}

    record Options(List<Integer> clients, int handoffClients, double seconds, double warmupSeconds,
            Durability durability, String url, ClientKind client, Set<String> runs, boolean json) {

        static Options parse(String[] args) {
            BenchArgs a = BenchArgs.parse(args, List.of("--clients", "--handoff-clients", "--seconds",
                    "--warmup-seconds", "--durability", "--url", "--client", "--runs"), List.of("--json"));
            int handoff = a.count("--handoff-clients", 8, 0, 1024);
            if (handoff == 1) {
                throw new IllegalArgumentException("--handoff-clients needs at least 2 clients to hand off (or 0)");
            }
            String url = a.string("--url", null);
            if (url != null && url.endsWith("/")) {
                url = url.substring(0, url.length() - 1);
            }
            ClientKind client = switch (a.string("--client", "raw").toLowerCase(Locale.ROOT)) {
                case "raw" -> ClientKind.RAW;
                case "jdk" -> ClientKind.JDK;
                default -> throw new IllegalArgumentException("--client is raw or jdk, got '"
                        + a.string("--client", "") + "'");
            };
            Set<String> runs = Set.copyOf(List.of(a.string("--runs", "locks,handoff,claims").split(",")).stream()
                    .map(String::trim).toList());
            for (String run : runs) {
                if (!List.of("locks", "handoff", "claims").contains(run)) {
                    throw new IllegalArgumentException("--runs takes locks, handoff and claims, got '" + run + "'");
                }
            }
            return new Options(a.counts("--clients", List.of(1, 8, 32), 1, 1024), handoff,
                    a.seconds("--seconds", 10, false), a.seconds("--warmup-seconds", 3, true),
                    a.durability(Durability.NORMAL), url, client, runs, a.flag("--json"));
        }
    }

    record Result(String kind, int clients, double seconds, long operations, long cpuNanos, Histogram latency,
            long empty) {

        /** {@code empty}: claims that came back with nothing (claims runs only). */
        Result(String kind, int clients, double seconds, long operations, long cpuNanos, Histogram latency) {
            this(kind, clients, seconds, operations, cpuNanos, latency, 0);
        }

        double perSecond() {
            return operations / seconds;
        }

        double micros(double percentile) {
            return latency.getValueAtPercentile(percentile) / 1e3;
        }

        ObjectNode toJson() {
            ObjectNode o = JSON.createObjectNode();
            o.put("kind", kind);
            o.put("clients", clients);
            o.put("seconds", Math.round(seconds * 1000) / 1000.0);
            o.put("operations", operations);
            o.put("per_s", Math.round(perSecond()));
            o.put("p50_us", Math.round(micros(50)));
            o.put("p99_us", Math.round(micros(99)));
            o.put("max_us", Math.round(latency.getMaxValue() / 1e3));
            if (cpuNanos >= 0) {
                o.put("cpu_us_per_op", Math.round(cpuNanos / 1e3 / operations * 10) / 10.0);
            }
            return o;
        }

        void print(PrintStream out) {
            String what = switch (kind) {
                case "locks" -> "lock pairs/s";
                case "handoff" -> "handoffs/s";
                default -> "claim+complete pairs/s";
            };
            out.printf(Locale.ROOT, "%-8s %3d clients  %,10.0f %-22s p50 %,7.0f us  p99 %,7.0f us  max %,8.0f us"
                    + "   %.1f us CPU each%n", kind, clients, perSecond(), what, micros(50), micros(99),
                    latency.getMaxValue() / 1e3, cpuNanos < 0 ? Double.NaN : cpuNanos / 1e3 / operations);
        }
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("hive-bench http: " + e.getMessage());
            err.print(USAGE);
            return 2;
        }
        Path dir = EngineDrain.folder(null);
        Path file = dir.resolve("http-" + System.nanoTime() + ".db");
        HiveServer server = null;
        String url = options.url();
        List<Result> results = new ArrayList<>();
        try {
            if (url == null) {
                Hive hive = Hive.open(SqliteStore.open(file, options.durability()), InstantSource.system(),
                        new SecureRandom(), Duration.ofSeconds(1), Duration.ofMinutes(10));
                server = HiveServer.start(hive, ServerConfig.local(0));
                url = server.url();
            }
            for (int clients : options.runs().contains("locks") ? options.clients() : List.<Integer>of()) {
                locks(url, options.client(), clients, options.warmupSeconds());
                Result r = locks(url, options.client(), clients, options.seconds());
                results.add(r);
                if (!options.json()) {
                    r.print(out);
                }
            }
            if (options.handoffClients() > 0 && options.runs().contains("handoff")) {
                handoff(url, options.client(), options.handoffClients(), options.warmupSeconds());
                Result r = handoff(url, options.client(), options.handoffClients(), options.seconds());
                results.add(r);
                if (!options.json()) {
                    r.print(out);
                }
            }
            for (int clients : options.runs().contains("claims") ? options.clients() : List.<Integer>of()) {
                claims(url, options.client(), clients, options.warmupSeconds());
                Result r = claims(url, options.client(), clients, options.seconds());
                results.add(r);
                if (!options.json()) {
                    r.print(out);
                }
            }
        } finally {
            if (server != null) {
                server.close();
            }
            EngineDrain.deleteDatabase(file);
            EngineDrain.deleteQuietly(dir);
        }
        if (options.json()) {
            ObjectNode o = JSON.createObjectNode();
            ArrayNode runs = o.putArray("runs");
            results.forEach(r -> runs.add(r.toJson()));
            o.put("cores", Runtime.getRuntime().availableProcessors());
            o.put("load_average", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
            out.println(o);
        }
        return 0;
    }

    /** Which HTTP client the load generator uses. */
    enum ClientKind {
        /** {@link LoopbackHttp}: a blocking socket, the least CPU per request. */
        RAW,
        /** The JDK's {@link HttpClient} (HTTP/1.1), as a Java agent would use it. */
        JDK
    }

    /** One client: its own keep-alive connection, JSON in and out; fails on an unexpected status. */
    static final class Client implements AutoCloseable {
        private final String url;
        private final LoopbackHttp raw;
        private final HttpClient jdk;

        Client(String url, ClientKind kind) {
            this.url = url;
            this.raw = kind == ClientKind.RAW ? new LoopbackHttp(url) : null;
            this.jdk = kind == ClientKind.JDK ? HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5)).build() : null;
        }

        @Override
        public void close() {
            if (raw != null) {
                raw.close();
            } else {
                jdk.close();
            }
        }

        Response post(String path, String body) {
            if (raw != null) {
                LoopbackHttp.Response response = raw.post(path, body);
                return new Response(response.status(), response.body());
            }
            HttpRequest request = HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(90))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
            try {
                HttpResponse<String> response = jdk.send(request, HttpResponse.BodyHandlers.ofString());
                return new Response(response.statusCode(), response.body());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
    }

    record Response(int status, String body) {
        Response expect(int... statuses) {
            for (int s : statuses) {
                if (s == status) {
                    return this;
                }
            }
            throw new IllegalStateException("unexpected HTTP " + status + ": " + body);
        }

        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    static Result locks(String url, ClientKind kind, int clients, double seconds) {
        return locks(List.of(url), kind, clients, seconds, n -> null);
    }

    /**
     * Lock pairs with client {@code n} on server {@code urls.get(n % urls.size())} (clients spread
     * evenly over several nodes of one database) and in workspace {@code workspaceOf.apply(n)}
     * (null: the default workspace).
     */
    static Result locks(List<String> urls, ClientKind kind, int clients, double seconds,
            IntFunction<String> workspaceOf) {
        long runId = System.nanoTime();
        Histogram[] latencies = new Histogram[clients];
        AtomicLong pairs = new AtomicLong();
        TimedRun.Measured m = TimedRun.measure("http-client", clients, seconds, (n, stop) -> {
            latencies[n] = new Histogram(3);
            String agent = "lk-" + runId + "-" + n;
            String workspace = workspaceOf.apply(n);
            String in = workspace == null ? "" : ",\"workspace\":\"" + workspace + "\"";
            long done = 0;
            try (Client client = new Client(urls.get(n % urls.size()), kind)) {
                while (!stop.get()) {
                    String path = "bench/" + agent + "/f" + (done % 16) + ".txt";
                    long start = System.nanoTime();
                    client.post("/api/locks/acquire", "{\"agent_id\":\"" + agent + "\",\"paths\":[\"" + path
                            + "\"],\"ttl_s\":60" + in + "}").expect(200);
                    client.post("/api/locks/release", "{\"agent_id\":\"" + agent + "\",\"paths\":[\"" + path
                            + "\"]" + in + "}").expect(200);
                    latencies[n].recordValue(System.nanoTime() - start);
                    done++;
                }
            }
            pairs.addAndGet(done);
        });
        return new Result("locks", clients, m.seconds(), pairs.get(), m.cpuNanos(), TimedRun.merge(latencies));
    }

    static Result handoff(String url, ClientKind kind, int clients, double seconds) {
        return handoff(List.of(url), kind, clients, seconds);
    }

    /** Handoffs with client {@code n} on server {@code urls.get(n % urls.size())}. */
    static Result handoff(List<String> urls, ClientKind kind, int clients, double seconds) {
        long runId = System.nanoTime();
        String path = "bench/hot-" + runId + ".txt";
        AtomicLong releaseStarted = new AtomicLong();
        AtomicLong handoffs = new AtomicLong();
        Histogram[] latencies = new Histogram[clients];
        TimedRun.Measured m = TimedRun.measure("http-client", clients, seconds, (n, stop) -> {
            latencies[n] = new Histogram(3);
            String agent = "ho-" + runId + "-" + n;
            long done = 0;
            try (Client client = new Client(urls.get(n % urls.size()), kind)) {
                while (!stop.get()) {
                    client.post("/api/locks/acquire", "{\"agent_id\":\"" + agent + "\",\"paths\":[\"" + path
                            + "\"],\"ttl_s\":60,\"wait_s\":60}").expect(200);
                    long released = releaseStarted.get();
                    if (released != 0) {
                        latencies[n].recordValue(System.nanoTime() - released);
                        done++;
                    }
                    releaseStarted.set(System.nanoTime());
                    client.post("/api/locks/release", "{\"agent_id\":\"" + agent + "\",\"paths\":[\"" + path
                            + "\"]}").expect(200);
                }
            }
            handoffs.addAndGet(done);
        });
        return new Result("handoff", clients, m.seconds(), handoffs.get(), m.cpuNanos(),
                TimedRun.merge(latencies));
    }

    static Result claims(String url, ClientKind kind, int clients, double seconds) {
        // about 20,000 pairs/s at most here
        int tasks = (int) Math.max(2_000, Math.min(400_000, seconds * 20_000));
        String swarm = fillSwarm(url, kind, "claims-" + System.nanoTime(), tasks);
        return claims(List.of(url), kind, clients, seconds, n -> swarm, 0);
    }

    /**
     * Claim+complete pairs with client {@code n} on server {@code urls.get(n % urls.size())},
     * claiming from swarm {@code swarmOf.apply(n)}, each claim waiting up to {@code waitS} seconds
     * (0: not at all). A client whose claims come back empty three times in a row stops (its
     * swarm is drained); an empty claim alone may be a claim that found the ready tasks taken by
     * claims under way (PostgreSQL: they skip the rows others hold). Empty claims are counted.
     */
    static Result claims(List<String> urls, ClientKind kind, int clients, double seconds, IntFunction<String> swarmOf,
            double waitS) {
        long runId = System.nanoTime();
        String wait = waitS > 0 ? ",\"wait_s\":" + waitS : "";
        Histogram[] latencies = new Histogram[clients];
        AtomicLong pairs = new AtomicLong();
        AtomicLong empty = new AtomicLong();
        TimedRun.Measured m = TimedRun.measure("http-client", clients, seconds, (n, stop) -> {
            latencies[n] = new Histogram(3);
            String agent = "cl-" + runId + "-" + n;
            String swarm = swarmOf.apply(n);
            long done = 0;
            int emptyInARow = 0;
            try (Client client = new Client(urls.get(n % urls.size()), kind)) {
                client.post("/api/agents", "{\"id\":\"" + agent + "\"}").expect(201);
                while (!stop.get()) {
                    long start = System.nanoTime();
                    Response claimed = client.post("/api/agents/" + agent + "/claim", "{\"swarm_id\":\"" + swarm
                            + "\"" + wait + "}").expect(200, 204);
                    if (claimed.status() == 204) {
                        empty.incrementAndGet();
                        if (++emptyInARow == 3) {
                            break; // the swarm is drained
                        }
                        continue;
                    }
                    emptyInARow = 0;
                    String task = claimed.json().get("id").asText();
                    client.post("/api/swarms/" + swarm + "/tasks/" + task + "/complete", "{\"agent_id\":\"" + agent
                            + "\"}").expect(200);
                    latencies[n].recordValue(System.nanoTime() - start);
                    done++;
                }
            }
            pairs.addAndGet(done);
        });
        return new Result("claims", clients, m.seconds(), pairs.get(), m.cpuNanos(), TimedRun.merge(latencies),
                empty.get());
    }

    /**
     * Creates a swarm named {@code name} of {@code tasks} independent tasks (no files), sent in
     * parts that stay under the server's default body limit; its id.
     */
    static String fillSwarm(String url, ClientKind kind, String name, int tasks) {
        int part = 10_000;
        try (Client setup = new Client(url, kind)) {
            String swarm = setup.post("/api/swarms", "{\"name\":\"" + name + "\",\"tasks\":"
                    + taskArray(0, Math.min(part, tasks)) + "}").expect(201).json().get("id").asText();
            for (int from = part; from < tasks; from += part) {
                setup.post("/api/swarms/" + swarm + "/tasks", "{\"tasks\":" + taskArray(from,
                        Math.min(from + part, tasks)) + "}").expect(201);
            }
            return swarm;
        }
    }

    private static String taskArray(int from, int to) {
        StringBuilder tasks = new StringBuilder("[");
        for (int i = from; i < to; i++) {
            tasks.append(i == from ? "" : ",").append("{\"id\":\"t").append(i).append("\"}");
        }
        return tasks.append(']').toString();
    }

}
