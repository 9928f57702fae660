package hive.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import hive.Hive;
import hive.server.HiveServer;
import hive.server.ServerConfig;
import hive.store.Durability;
import hive.store.sqlite.SqliteStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The load generators' minimal HTTP/1.1 client, against the real server and a scripted one. */
class LoopbackHttpTest {

    @TempDir
    Path dir;

    @Test
    void talksToTheServerOverOneKeepAliveConnection() {
        Hive hive = Hive.open(SqliteStore.open(dir.resolve("hive.db"), Durability.NORMAL), InstantSource.system(),
                new SecureRandom(), Duration.ofSeconds(1), Duration.ofMinutes(1));
        try (HiveServer server = HiveServer.start(hive, ServerConfig.local(0));
                LoopbackHttp a = new LoopbackHttp(server.url());
                LoopbackHttp b = new LoopbackHttp(server.url())) {
            LoopbackHttp.Response granted = a.post("/api/locks/acquire", "{\"agent_id\":\"a\",\"paths\":[\"x\"]}");
            assertThat(granted.status()).isEqualTo(200);
            assertThat(granted.body()).contains("\"granted\":true");

            LoopbackHttp.Response refused = b.post("/api/locks/acquire", "{\"agent_id\":\"b\",\"paths\":[\"x\"]}");
            assertThat(refused.status()).isEqualTo(409);
            assertThat(refused.body()).contains("\"held_by\":\"a\"");

            assertThat(a.post("/api/locks/release", "{\"agent_id\":\"a\"}").status()).isEqualTo(200);
            assertThat(b.post("/api/locks/acquire", "{\"agent_id\":\"b\",\"paths\":[\"x\"]}").status())
                    .isEqualTo(200);
            assertThat(a.post("/api/nowhere", "{}").status()).isEqualTo(404);
        }
    }

    @Test
    void readsChunkedBodiesAndReconnectsAfterConnectionClose() throws Exception {
        List<String> answers = List.of(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n3;x=y\r\n1}\n\r\n0\r\n\r\n",
                "HTTP/1.1 201 Created\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
                "HTTP/1.1 204 No Content\r\n\r\n");
        try (Scripted server = new Scripted(answers); LoopbackHttp http = new LoopbackHttp(server.url())) {
            LoopbackHttp.Response chunked = http.post("/one", "{}");
            assertThat(chunked.status()).isEqualTo(200);
            assertThat(chunked.body()).isEqualTo("{\"a\":1}\n");
            assertThat(http.post("/two", "{\"b\":\"é\"}").status()).isEqualTo(201);
            assertThat(http.post("/three", "{}").status()).isEqualTo(204);
            assertThat(server.connections.get()).as("a new connection after Connection: close").isEqualTo(2);
            assertThat(server.requests).hasSize(3);
            assertThat(server.requests.get(1)).startsWith("POST /two HTTP/1.1\r\n")
                    .contains("Content-Length: 10\r\n").endsWith("\r\n\r\n{\"b\":\"é\"}");
        }
    }

    @Test
    void aServerThatHangsUpMidAnswerIsAnError() throws Exception {
        try (Scripted server = new Scripted(List.of("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{\"a\""));
                LoopbackHttp http = new LoopbackHttp(server.url())) {
            assertThatThrownBy(() -> http.post("/x", "{}")).isInstanceOf(UncheckedIOException.class)
                    .hasMessageContaining("POST /x failed");
        }
    }

    /**
     * Answers each request it reads with the next scripted answer, closing the connection after
     * an answer that says {@code Connection: close} or when the script ends.
     */
    private static final class Scripted implements AutoCloseable {
        final ServerSocket socket = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
        final List<String> requests = java.util.Collections.synchronizedList(new ArrayList<>());
        final AtomicInteger connections = new AtomicInteger();
        private final Thread thread;

        Scripted(List<String> answers) throws IOException {
            thread = new Thread(() -> serve(answers));
            thread.setDaemon(true);
            thread.start();
        }

        String url() {
            return "http://127.0.0.1:" + socket.getLocalPort();
        }

        private void serve(List<String> answers) {
            int next = 0;
            try {
                while (next < answers.size()) {
                    try (Socket c = socket.accept()) {
                        connections.incrementAndGet();
                        InputStream in = c.getInputStream();
                        OutputStream out = c.getOutputStream();
                        while (next < answers.size()) {
                            requests.add(readRequest(in));
                            String answer = answers.get(next++);
                            out.write(answer.getBytes(StandardCharsets.UTF_8));
                            out.flush();
                            if (answer.contains("Connection: close") || next == answers.size()) {
                                break;
                            }
                        }
                    }
                }
            } catch (IOException e) {
                // closed by the test
            }
        }

        private static String readRequest(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("closed");
                }
                head.write(b);
            }
            String text = head.toString(StandardCharsets.ISO_8859_1);
            int at = text.indexOf("Content-Length: ") + "Content-Length: ".length();
            int length = Integer.parseInt(text.substring(at, text.indexOf("\r\n", at)));
            return new String(head.toByteArray(), StandardCharsets.UTF_8)
                    + new String(in.readNBytes(length), StandardCharsets.UTF_8);
        }

        @Override
        public void close() throws IOException {
            socket.close();
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
