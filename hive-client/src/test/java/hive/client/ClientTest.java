package hive.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Operations, settings and failures: health, metrics, the planner's 503, 413, no answer, closing, interrupts. */
class ClientTest extends LiveServer {

    @Test
    void healthMetricsAndOpenApiAnswer() {
        Health health = hive.health();
        assertThat(health.isOk()).isTrue();
        assertThat(health.store()).isEqualTo("ok");
        assertThat(hive.metrics()).contains("hive_");
        assertThat(hive.openApi()).contains("\"/api/locks/acquire\"");
    }

    @Test
    void orchestrateWithoutAPlannerIs503SayingWhatToDo() {
        HiveApiException e = catchThrowableOfType(HiveApiException.class,
                () -> hive.orchestrate("build me a website", "user-1"));

        assertThat(e.status()).isEqualTo(503);
        assertThat(e.detail()).contains("/api/swarms");
    }

    @Test
    void bodyOverTheServersLimitIs413() {
        String goal = "x".repeat(1024 * 1024 + 1);

        HiveApiException e = catchThrowableOfType(HiveApiException.class,
                () -> hive.createSwarm("{\"name\": \"big\", \"goal\": \"" + goal + "\", \"tasks\": [{\"id\": \"a\"}]}"));

        assertThat(e.status()).isEqualTo(413);
    }

    @Test
    void baseUriMayEndWithASlashAndWithTokenMakesASiblingClient() {
        try (HiveClient slashed = HiveClient.connect(server.url() + "/");
                HiveClient sibling = slashed.withToken("unused-with-auth-off")) {
            assertThat(slashed.health().isOk()).isTrue();
            assertThat(sibling.health().isOk()).isTrue();
            assertThat(sibling.baseUri()).isEqualTo(slashed.baseUri());
            assertThat(sibling.toString()).contains("with a token").doesNotContain("unused-with-auth-off");
        }
    }

    @Test
    void unreachableServerIsAConnectionException() throws IOException {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        try (HiveClient nowhere = HiveClient.connect("http://127.0.0.1:" + port)) {
            HiveConnectionException e = catchThrowableOfType(HiveConnectionException.class, nowhere::health);
            assertThat(e).hasCauseInstanceOf(ConnectException.class);
            assertThat(e.getMessage()).contains("cannot connect", "127.0.0.1:" + port);
            assertThat(e.isTimeout()).isFalse();
        }
    }

    @Test
    void serverThatDoesNotAnswerTimesOut() throws IOException {
        try (ServerSocket silent = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
                HiveClient client = HiveClient.builder(URI.create("http://127.0.0.1:" + silent.getLocalPort()))
                        .requestTimeout(Duration.ofMillis(300)).build()) {
            HiveConnectionException e = catchThrowableOfType(HiveConnectionException.class, client::swarms);
            assertThat(e.isTimeout()).isTrue();
            assertThat(e.getMessage()).contains("no answer");
        }
    }

    @Test
    void errorAnswerThatIsNotAProblemDocumentIsStillAnApiException() throws IOException {
        HttpServer proxy = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        proxy.createContext("/", exchange -> {
            boolean broken = exchange.getRequestURI().getPath().equals("/api/swarms");
            byte[] body = (broken ? "[{\"id\": 5, \"status\": \"weird\"}]" : "<html>Bad gateway</html>")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(broken ? 200 : 502, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        proxy.start();
        try (HiveClient client = HiveClient.connect("http://127.0.0.1:" + proxy.getAddress().getPort())) {
            HiveApiException e = catchThrowableOfType(HiveApiException.class, () -> client.agent("a"));
            assertThat(e.status()).isEqualTo(502);
            assertThat(e.type()).isEqualTo("about:blank");
            assertThat(e.title()).isEqualTo("Bad Gateway");
            assertThat(e.detail()).contains("Bad gateway");

            assertThatThrownBy(client::swarms).isExactlyInstanceOf(HiveClientException.class)
                    .hasMessageContaining("cannot read");
        } finally {
            proxy.stop(0);
        }
    }

    @Test
    void closingTheClientAbortsAWaitingClaimAndLaterCalls() throws Exception {
        HiveClient closing = HiveClient.connect(server.url());
        String worker = closing.register(AgentSpec.withId(unique("closing"))).id();
        String swarmId = closing.createSwarm(plan("closing", "[{\"id\": \"a\", \"role\": \"nobody\"}]")).id();
        CompletableFuture<Optional<Task>> claim = CompletableFuture.supplyAsync(
                () -> closing.claim(worker, swarmId, Duration.ofSeconds(30)));
        Thread.sleep(300);

        closing.close();

        ExecutionException e = catchThrowableOfType(ExecutionException.class, () -> claim.get(10, TimeUnit.SECONDS));
        assertThat(e).hasCauseInstanceOf(HiveConnectionException.class);
        assertThatThrownBy(closing::health).isInstanceOf(HiveConnectionException.class).hasMessageContaining("closed");
    }

    @Test
    void interruptedClaimStopsWaitingAndKeepsTheInterrupt() throws Exception {
        String worker = hive.register(AgentSpec.withId(unique("interrupted"))).id();
        String swarmId = hive.createSwarm(plan("interrupted", "[{\"id\": \"a\", \"role\": \"nobody\"}]")).id();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicReference<Boolean> flag = new AtomicReference<>();
        Thread claimer = Thread.ofPlatform().start(() -> {
            try {
                hive.claim(worker, swarmId, Duration.ofSeconds(30));
            } catch (RuntimeException e) {
                thrown.set(e);
                flag.set(Thread.currentThread().isInterrupted());
            }
        });
        Thread.sleep(300);

        claimer.interrupt();
        claimer.join(Duration.ofSeconds(10));

        assertThat(claimer.isAlive()).isFalse();
        assertThat(thrown.get()).isInstanceOf(HiveConnectionException.class).hasMessageContaining("interrupted");
        assertThat(flag.get()).isTrue();
        assertThat(hive.health().isOk()).as("the client still works").isTrue();
    }

    @Test
    void builderRefusesWhatCannotWork() {
        assertThatThrownBy(() -> HiveClient.connect("ftp://127.0.0.1:1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> HiveClient.builder(URI.create(server.url())).token(" "))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> HiveClient.builder(URI.create(server.url())).requestTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LockRequest.of("a")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LockRequest.of("a", "x").waitUpTo(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
