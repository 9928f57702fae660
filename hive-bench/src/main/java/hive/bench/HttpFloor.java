package hive.bench;

import io.javalin.Javalin;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * What loopback HTTP itself costs on this machine: the lock-pair loop of {@link HttpBench}, with
 * the same client, against stand-in servers that do no work at all (each request's body is read
 * and a fixed JSON answer written): a plain blocking socket server (a platform thread per
 * connection, the least a Java server can do), Jetty's core handler API on virtual threads, and
 * a Javalin route on virtual threads (the stack {@code hive server} runs on). No store, no engine,
 * no JSON parsing: the figures are ceilings that no server on that stack can pass here, which
 * is what the HiveMind figures are to be read against.
 */
final class HttpFloor {

    static final String USAGE = """
            usage: hive-bench http-floor [options]
              --clients A,B,...      client counts (default 8,32)
              --seconds S            length of each measured run (default 10)
              --warmup-seconds W     warm-up before each run (default 3)
            """;

    private static final byte[] ANSWER = "{\"granted\":true,\"token\":1,\"locks\":[]}".getBytes(StandardCharsets.UTF_8);

    private HttpFloor() {}

    static int run(String[] args, PrintStream out, PrintStream err) {
        List<Integer> clients;
        double seconds;
        double warmup;
        try {
            BenchArgs a = BenchArgs.parse(args, List.of("--clients", "--seconds", "--warmup-seconds"), List.of());
            clients = a.counts("--clients", List.of(8, 32), 1, 1024);
            seconds = a.seconds("--seconds", 10, false);
            warmup = a.seconds("--warmup-seconds", 3, true);
        } catch (IllegalArgumentException e) {
            err.println("hive-bench http-floor: " + e.getMessage());
            err.print(USAGE);
            return 2;
        }
        List<StandIn> standIns = List.of(new SocketStandIn(), new JettyStandIn(), new JavalinStandIn());
        for (StandIn standIn : standIns) {
            try (standIn) {
                String url = standIn.start();
                for (int c : clients) {
                    HttpBench.locks(url, HttpBench.ClientKind.RAW, c, warmup);
                    HttpBench.Result r = HttpBench.locks(url, HttpBench.ClientKind.RAW, c, seconds);
                    out.printf(Locale.ROOT, "%-8s %3d clients  %,10.0f lock pairs/s (stand-in)  p50 %,7.0f us"
                            + "  p99 %,7.0f us%n", standIn.name(), c, r.perSecond(), r.micros(50), r.micros(99));
                }
            } catch (Exception e) {
                err.println("hive-bench http-floor: " + standIn.name() + " failed: " + e);
                return 1;
            }
        }
        return 0;
    }

    /** A server that answers every request with {@link #ANSWER}. */
    private interface StandIn extends AutoCloseable {
        String name();

        /** Starts on a free loopback port; the base URL. */
        String start() throws Exception;

        @Override
        void close() throws IOException;
    }

    /** A blocking {@link ServerSocket}, a platform thread per connection, minimal HTTP/1.1. */
    private static final class SocketStandIn implements StandIn {
        private ServerSocket server;
        private final List<Socket> connections = new ArrayList<>();

        @Override
        public String name() {
            return "socket";
        }

        @Override
        public String start() throws IOException {
            server = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
            Thread acceptor = new Thread(this::accept, "floor-accept");
            acceptor.setDaemon(true);
            acceptor.start();
            return "http://127.0.0.1:" + server.getLocalPort();
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket socket = server.accept();
                    socket.setTcpNoDelay(true);
                    synchronized (connections) {
                        connections.add(socket);
                    }
                    Thread serve = new Thread(() -> serve(socket), "floor-conn");
                    serve.setDaemon(true);
                    serve.start();
                } catch (IOException e) {
                    return; // closed
                }
            }
        }

        private static void serve(Socket socket) {
            byte[] head = ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + ANSWER.length
                    + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
            byte[] response = new byte[head.length + ANSWER.length];
            System.arraycopy(head, 0, response, 0, head.length);
            System.arraycopy(ANSWER, 0, response, head.length, ANSWER.length);
            try (socket) {
                InputStream in = new BufferedInputStream(socket.getInputStream());
                OutputStream out = socket.getOutputStream();
                StringBuilder line = new StringBuilder();
                while (true) {
                    int length = 0;
                    while (true) {
                        int c = in.read();
                        if (c < 0) {
                            return;
                        }
                        if (c != '\n') {
                            line.append((char) c);
                            continue;
                        }
                        String header = line.toString().strip();
                        line.setLength(0);
                        if (header.isEmpty()) {
                            break;
                        }
                        if (header.regionMatches(true, 0, "content-length:", 0, 15)) {
                            length = Integer.parseInt(header.substring(15).trim());
                        }
                    }
                    in.readNBytes(length);
                    out.write(response);
                    out.flush();
                }
            } catch (IOException e) {
                // the client went away
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            synchronized (connections) {
                for (Socket s : connections) {
                    s.close();
                }
            }
        }
    }

    /** Jetty's core {@link Handler} API (no servlets), virtual threads, as Javalin configures Jetty. */
    private static final class JettyStandIn implements StandIn {
        private Server server;

        @Override
        public String name() {
            return "jetty";
        }

        @Override
        public String start() throws Exception {
            QueuedThreadPool pool = new QueuedThreadPool();
            pool.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
            server = new Server(pool);
            ServerConnector connector = new ServerConnector(server);
            connector.setHost("127.0.0.1");
            connector.setPort(0);
            server.addConnector(connector);
            server.setHandler(new Handler.Abstract() {
                @Override
                public boolean handle(Request request, Response response, Callback callback) throws Exception {
                    Content.Source.asByteBuffer(request);
                    response.getHeaders().put("Content-Type", "application/json");
                    response.write(true, ByteBuffer.wrap(ANSWER), callback);
                    return true;
                }
            });
            server.start();
            return "http://127.0.0.1:" + connector.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            try {
                server.stop();
            } catch (Exception e) {
                throw new IOException("stopping Jetty failed", e);
            }
        }
    }

    /** A Javalin route on virtual threads, default configuration otherwise. */
    private static final class JavalinStandIn implements StandIn {
        private Javalin app;

        @Override
        public String name() {
            return "javalin";
        }

        @Override
        public String start() {
            app = Javalin.create(config -> {
                config.startup.showJavalinBanner = false;
                config.startup.showOldJavalinVersionWarning = false;
                config.concurrency.useVirtualThreads = true;
                config.jetty.host = "127.0.0.1";
                config.jetty.port = 0;
                config.routes.post("/api/locks/{op}", ctx -> {
                    ctx.bodyAsBytes();
                    ctx.contentType("application/json").result(ANSWER);
                });
            }).start();
            return "http://127.0.0.1:" + app.port();
        }

        @Override
        public void close() {
            app.stop();
        }
    }
}
