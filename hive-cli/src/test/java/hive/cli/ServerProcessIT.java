package hive.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hive server} as a real process: it prints where it listens, serves the API, refuses a
 * non-loopback host without a token, keeps everything acknowledged through a SIGKILL, stops cleanly on SIGTERM (status 143, after closing the
 * database), and what it acknowledged
 * is there when it starts again on the same database.
 */
class ServerProcessIT {

    private static final Pattern LISTENING = Pattern.compile("HiveMind listening on (http://\\S+)");

    @TempDir
    Path folder;
    final List<Process> started = new ArrayList<>();
    final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void killLeftovers() {
        started.forEach(Process::destroyForcibly);
    }

    @Test
    void servesStopsOnSigtermAndKeepsItsDataAcrossARestart() throws Exception {
        Server first = start("--port", "0", "--db", "sqlite:" + folder.resolve("db/hive.db"));
        HttpResponse<String> health = get(first.url() + "/health");
        assertThat(health.statusCode()).isEqualTo(200);
        HttpResponse<String> created = post(first.url() + "/api/swarms", """
                {"name": "kept", "tasks": [{"id": "a"}]}""");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);

        first.process().destroy(); // SIGTERM
        assertThat(first.process().waitFor(30, TimeUnit.SECONDS)).as("stopped after SIGTERM").isTrue();
        assertThat(first.process().exitValue()).as("the JVM's status after SIGTERM, once its clean-up ran")
                .isEqualTo(128 + 15);
        assertThat(first.err().get(10, TimeUnit.SECONDS)).contains("HiveMind stopped");

        Server second = start("--port", "0", "--db", "sqlite:" + folder.resolve("db/hive.db"));
        assertThat(get(second.url() + "/api/swarms").body()).contains("\"name\":\"kept\"");
        second.process().destroy();
        assertThat(second.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void everythingAcknowledgedSurvivesAKillNineInTheMiddleOfWork() throws Exception {
        // given a server with a swarm, two agents, a task in progress, a completed one, locks and events
        String db = "sqlite:" + folder.resolve("crash.db");
        Server first = start("--port", "0", "--db", db);
        String url = first.url();
        String swarm = field(post(url + "/api/swarms", """
                {"name": "crash", "tasks": [{"id": "a"}, {"id": "b", "depends_on": ["a"]},
                  {"id": "c", "files": ["src/c.ts"]}]}"""), "id");
        post(url + "/api/agents", "{\"id\": \"w1\"}");
        post(url + "/api/agents", "{\"id\": \"w2\"}");
        assertThat(field(post(url + "/api/agents/w1/claim", "{\"swarm_id\": \"" + swarm + "\"}"), "id"))
                .isEqualTo("a");
        assertThat(post(url + "/api/swarms/" + swarm + "/tasks/a/complete", "{\"agent_id\": \"w1\"}")
                .statusCode()).isEqualTo(200);
        assertThat(field(post(url + "/api/agents/w2/claim", "{\"swarm_id\": \"" + swarm + "\"}"), "id"))
                .isIn("b", "c");
        HttpResponse<String> lock = post(url + "/api/locks/acquire",
                "{\"agent_id\": \"w1\", \"paths\": [\"docs/\"], \"ttl_s\": 3600}");
        assertThat(lock.statusCode()).as(lock.body()).isEqualTo(200);
        long token = Long.parseLong(field(lock, "token"));
        String tasksBefore = get(url + "/api/swarms/" + swarm + "/tasks").body();
        String locksBefore = get(url + "/api/locks").body();
        String eventsBefore = events(url, swarm);

        // when it is killed with SIGKILL and started again on the same database
        first.process().destroyForcibly();
        assertThat(first.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
        Server second = start("--port", "0", "--db", db);
        String again = second.url();

        // then every swarm, task, lock and event is as acknowledged, and tokens go on above
        assertThat(get(again + "/api/swarms").body()).contains(swarm);
        assertThat(get(again + "/api/swarms/" + swarm + "/tasks").body()).isEqualTo(tasksBefore);
        assertThat(get(again + "/api/locks").body()).isEqualTo(locksBefore);
        assertThat(events(again, swarm)).isEqualTo(eventsBefore);
        HttpResponse<String> next = post(again + "/api/locks/acquire",
                "{\"agent_id\": \"w2\", \"paths\": [\"other.txt\"]}");
        assertThat(Long.parseLong(field(next, "token"))).isGreaterThan(token);
        second.process().destroy();
        assertThat(second.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
    }

    /**
     * The events of the swarm so far, as the SSE stream sends them: every stored event comes at
     * once, so the stream is read (over a plain socket) until it pauses for a second.
     */
    private static String events(String url, String swarm) throws Exception {
        URI base = URI.create(url);
        StringBuilder data = new StringBuilder();
        try (java.net.Socket socket = new java.net.Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout(1000);
            socket.getOutputStream().write(("GET /api/swarms/" + swarm + "/events HTTP/1.1\r\nHost: "
                    + base.getHost() + "\r\nAccept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.UTF_8));
            try {
                for (String line; (line = in.readLine()) != null; ) {
                    if (line.startsWith("data:")) {
                        data.append(line).append('\n');
                    }
                }
            } catch (java.net.SocketTimeoutException paused) {
                // everything stored has been sent
            }
        }
        assertThat(data).as("events of the swarm").isNotEmpty();
        return data.toString();
    }

    private static String field(HttpResponse<String> response, String name) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isBetween(200, 299);
        return new com.fasterxml.jackson.databind.ObjectMapper().readTree(response.body()).get(name).asText();
    }

    @Test
    void refusesAnOpenHostWithoutATokenAndABadDatabaseUrl() throws Exception {
        HiveProcessIT.Run open = HiveProcessIT.run(folder, HiveProcessIT.jar("server", "--host", "0.0.0.0",
                "--port", "0"));
        assertThat(open.exitCode()).isEqualTo(2);
        assertThat(open.err()).contains("without a token");

        HiveProcessIT.Run badDb = HiveProcessIT.run(folder, HiveProcessIT.jar("server", "--db", "mysql://x",
                "--port", "0"));
        assertThat(badDb.exitCode()).isEqualTo(2);
        assertThat(badDb.err()).contains("sqlite:PATH");
    }

    /** A running {@code hive server}: its process, where it listens, and its stderr once it has ended. */
    record Server(Process process, String url, CompletableFuture<String> err) {
    }

    private Server start(String... args) throws IOException {
        return start(folder, "server-" + started.size(), started, args);
    }

    /**
     * Starts {@code hive server ARGS} in {@code folder}, with its stderr (the log) in {@code
     * folder/NAME.err}, and waits for the line that says where it listens. The process is added to
     * {@code started} before the wait, so that the caller's clean-up kills it whatever happens.
     */
    static Server start(Path folder, String name, List<Process> started, String... args) throws IOException {
        // stderr to a file: destroying a process closes its pipes, and the last log lines come after
        Path errFile = folder.resolve(name + ".err");
        ProcessBuilder builder = new ProcessBuilder(HiveProcessIT.jar(prepend("server", args)))
                .directory(folder.toFile()).redirectError(errFile.toFile());
        Process process = builder.start();
        started.add(process);
        CompletableFuture<String> err = process.onExit().thenApply(p -> {
            try {
                return java.nio.file.Files.readString(errFile);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8));
        String line = out.readLine();
        if (line == null) {
            throw new AssertionError("hive server ended before saying where it listens; stderr:\n"
                    + java.nio.file.Files.readString(errFile));
        }
        Matcher m = LISTENING.matcher(line);
        assertThat(m.find()).as("'%s' says where it listens", line).isTrue();
        return new Server(process, m.group(1), err);
    }

    private static String[] prepend(String first, String... rest) {
        String[] all = new String[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String url, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
