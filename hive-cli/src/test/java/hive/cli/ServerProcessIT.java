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
 * non-loopback host without a token, stops cleanly on SIGTERM (status 143, after closing the
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

    private record Server(Process process, String url, CompletableFuture<String> err) {
    }

    private Server start(String... args) throws IOException {
        // stderr to a file: destroying a process closes its pipes, and the last log lines come after
        Path errFile = folder.resolve("server-" + started.size() + ".err");
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
