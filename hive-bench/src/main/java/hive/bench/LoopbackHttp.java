package hive.bench;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A minimal HTTP/1.1 client for the load generators: one keep-alive connection, one blocking
 * request at a time, bodies sized by {@code Content-Length} or chunked. It does as little as a
 * client can (no pool, no executor, no thread hand-offs), so that on a small machine the figures
 * show the server and not the client: the JDK's {@code HttpClient} spends, on this 2-core machine,
 * about as much CPU per request as the server does (docs/benchmarks.md "HTTP").
 *
 * <p>Not a general client: no TLS, no redirects, no {@code 100-continue}; responses with
 * {@code Connection: close} reconnect before the next request. Not thread-safe; one per client.
 */
final class LoopbackHttp implements AutoCloseable {

    /** A response: its status and body (UTF-8). */
    record Response(int status, String body) {
    }

    private final InetSocketAddress address;
    private final String host;
    private Socket socket;
    private OutputStream out;
    private InputStream in;
    private final StringBuilder line = new StringBuilder();

    LoopbackHttp(String url) {
        URI uri = URI.create(url);
        if (!"http".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalArgumentException("an http://host:port URL is needed, got " + url);
        }
        int port = uri.getPort() < 0 ? 80 : uri.getPort();
        this.address = new InetSocketAddress(uri.getHost(), port);
        this.host = uri.getHost() + ":" + port;
    }

    /** POSTs a JSON body to {@code path} and reads the whole response. */
    Response post(String path, String json) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        byte[] head = ("POST " + path + " HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        try {
            connect();
            byte[] request = new byte[head.length + body.length];
            System.arraycopy(head, 0, request, 0, head.length);
            System.arraycopy(body, 0, request, head.length, body.length);
            out.write(request);
            out.flush();
            return read();
        } catch (IOException e) {
            close();
            throw new UncheckedIOException("POST " + path + " failed: " + e.getMessage(), e);
        }
    }

    private void connect() throws IOException {
        if (socket != null) {
            return;
        }
        socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.connect(address, 5_000);
        socket.setSoTimeout(90_000);
        out = socket.getOutputStream();
        in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
    }

    private Response read() throws IOException {
        String status = readLine();
        if (!status.startsWith("HTTP/1.1 ") || status.length() < 12) {
            throw new IOException("not an HTTP/1.1 status line: " + status);
        }
        int code = Integer.parseInt(status.substring(9, 12));
        long length = -1;
        boolean chunked = false;
        boolean close = false;
        for (String header = readLine(); !header.isEmpty(); header = readLine()) {
            int colon = header.indexOf(':');
            if (colon < 0) {
                throw new IOException("malformed header: " + header);
            }
            String name = header.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = header.substring(colon + 1).trim();
            switch (name) {
                case "content-length" -> length = Long.parseLong(value);
                case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
                case "connection" -> close = value.equalsIgnoreCase("close");
                default -> { }
            }
        }
        byte[] body;
        if (chunked) {
            body = readChunked();
        } else if (length >= 0) {
            body = in.readNBytes((int) length);
            if (body.length != length) {
                throw new EOFException("the body ended after " + body.length + " of " + length + " bytes");
            }
        } else if (code == 204 || code == 304) {
            body = new byte[0];
        } else {
            body = in.readAllBytes(); // the body runs to the end of the connection
            close = true;
        }
        if (close) {
            close();
        }
        return new Response(code, new String(body, StandardCharsets.UTF_8));
    }

    private byte[] readChunked() throws IOException {
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        while (true) {
            String size = readLine();
            int semi = size.indexOf(';');
            int n = Integer.parseInt((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
            if (n == 0) {
                while (!readLine().isEmpty()) {
                    // trailers, ignored
                }
                return body.toByteArray();
            }
            byte[] chunk = in.readNBytes(n);
            if (chunk.length != n) {
                throw new EOFException("a chunk ended early");
            }
            body.writeBytes(chunk);
            readLine();
        }
    }

    private String readLine() throws IOException {
        line.setLength(0);
        while (true) {
            int c = in.read();
            if (c < 0) {
                throw new EOFException("the server closed the connection");
            }
            if (c == '\n') {
                int end = line.length();
                if (end > 0 && line.charAt(end - 1) == '\r') {
                    line.setLength(end - 1);
                }
                return line.toString();
            }
            line.append((char) c);
        }
    }

    @Override
    public void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException e) {
                // closing anyway
            }
            socket = null;
        }
    }
}
