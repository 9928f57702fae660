package hive.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import hive.Hive;
import hive.store.Durability;
import hive.store.sqlite.SqliteStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.CompletableFuture;

/**
 * A real {@link HiveServer} on a random loopback port over a SQLite file in a test's temporary
 * folder, and plain {@link HttpClient} clients for it. No mocks: every request goes over HTTP.
 */
final class TestServer implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();
    /** HTTP/1.1: the JDK client would otherwise try an h2c upgrade on the first request. */
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    final HiveServer server;
    private final String adminToken;

    private TestServer(HiveServer server, String adminToken) {
        this.server = server;
        this.adminToken = adminToken;
    }

    /** A server with the defaults: loopback, auth off, 1 MiB bodies. */
    static TestServer start(Path dir) {
        return start(dir, ServerConfig.local(0));
    }

    static TestServer start(Path dir, ServerConfig config) {
        return new TestServer(HiveServer.start(Hive.sqlite(dir.resolve("hive.db")), config), config.token());
    }

    /** A default server whose agents are lost after {@code sessionTimeout} of silence (swept often). */
    static TestServer withSessionTimeout(Path dir, Duration sessionTimeout) {
        Hive hive = Hive.open(SqliteStore.open(dir.resolve("hive.db"), Durability.NORMAL), InstantSource.system(),
                new SecureRandom(), Duration.ofMillis(100), sessionTimeout);
        return new TestServer(HiveServer.start(hive, ServerConfig.local(0)), null);
    }

    /** A client with the admin token when auth is on (none when off). */
    Client client() {
        return new Client(HTTP, server.url(), adminToken);
    }

    /** A client that sends {@code token} (null: no Authorization header). */
    Client client(String token) {
        return new Client(HTTP, server.url(), token);
    }

    /** A client of its own (its own connections), with the admin token when auth is on. */
    Client otherClient() {
        return new Client(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build(), server.url(),
                adminToken);
    }

    @Override
    public void close() {
        server.close();
    }

    /** Turns {@code {'a': 'b'}} into {@code {"a": "b"}}: JSON bodies in tests without escapes. */
    static String json(String singleQuoted) {
        return singleQuoted.replace('\'', '"');
    }

    /** Requests to one server with one token. */
    record Client(HttpClient http, String base, String token) {

        Reply get(String path) {
            return send("GET", path, null);
        }

        Reply post(String path, String body) {
            return send("POST", path, body);
        }

        Reply delete(String path) {
            return send("DELETE", path, null);
        }

        Reply send(String method, String path, String body, String... headers) {
            return send(request(method, path, body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body), headers));
        }

        Reply send(HttpRequest request) {
            try {
                return Reply.of(http.send(request, HttpResponse.BodyHandlers.ofString()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        /** Sends a POST without waiting for its answer (long-polls). */
        CompletableFuture<Reply> postAsync(String path, String body) {
            return http.sendAsync(request("POST", path, HttpRequest.BodyPublishers.ofString(body)),
                    HttpResponse.BodyHandlers.ofString()).thenApply(Reply::of);
        }

        /**
         * A request with JSON as its content type unless {@code headers} (name, value, ...) say
         * otherwise, and this client's token.
         */
        HttpRequest request(String method, String path, HttpRequest.BodyPublisher body, String... headers) {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).method(method, body)
                    .timeout(Duration.ofSeconds(90));
            boolean typed = false;
            for (int i = 0; i + 1 < headers.length; i += 2) {
                request.header(headers[i], headers[i + 1]);
                typed |= headers[i].equalsIgnoreCase("Content-Type");
            }
            if (!typed) {
                request.header("Content-Type", "application/json");
            }
            if (token != null) {
                request.header("Authorization", "Bearer " + token);
            }
            return request.build();
        }
    }

    /** An answer: status, headers, body. */
    record Reply(int status, HttpHeaders headers, String body) {

        static Reply of(HttpResponse<String> response) {
            return new Reply(response.statusCode(), response.headers(), response.body());
        }

        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (JsonProcessingException e) {
                throw new AssertionError("not JSON: " + this, e);
            }
        }

        String contentType() {
            return headers.firstValue("Content-Type").orElse("");
        }

        /** Asserts the status; returns this. */
        Reply expect(int expected) {
            assertThat(status).as("status of %s", this).isEqualTo(expected);
            return this;
        }

        /**
         * Asserts an {@code application/problem+json} answer with this status and the RFC 9457
         * fields; returns the document.
         */
        JsonNode problem(int expected) {
            expect(expected);
            assertThat(contentType()).as("content type of %s", this).startsWith("application/problem+json");
            JsonNode problem = json();
            assertThat(problem.path("type").asText()).as("type of %s", this).startsWith(ApiProblem.TYPE_BASE);
            assertThat(problem.path("title").asText()).as("title of %s", this).isNotBlank();
            assertThat(problem.path("status").asInt()).as("status field of %s", this).isEqualTo(expected);
            assertThat(problem.path("detail").asText()).as("detail of %s", this).isNotBlank();
            return problem;
        }

        @Override
        public String toString() {
            return status + " " + contentType() + " " + body;
        }
    }
}
