package hive.server;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;

/**
 * How the server listens (CLI.md {@code hive server}).
 *
 * @param host          address to listen on (default loopback)
 * @param port          0 for any free port
 * @param token         the admin token, or null: auth off, allowed on loopback only
 * @param maxBodyBytes  larger request bodies are refused with 413 (default 1 MiB)
 */
public record ServerConfig(String host, int port, String token, long maxBodyBytes) {

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8000;
    public static final long DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

    public ServerConfig {
        Objects.requireNonNull(host, "host");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be between 0 and 65535, got " + port);
        }
        if (maxBodyBytes < 1) {
            throw new IllegalArgumentException("the body size limit must be at least 1 byte, got " + maxBodyBytes);
        }
        if (token != null && token.isBlank()) {
            throw new IllegalArgumentException("the token must not be blank");
        }
        if (token == null && !isLoopback(host)) {
            throw new IllegalArgumentException("refusing to listen on " + host + " without a token: anyone who can"
                    + " reach it could act as any agent. Set --token (or HIVE_TOKEN), or listen on 127.0.0.1");
        }
    }

    /** Loopback, auth off, the given port. */
    public static ServerConfig local(int port) {
        return new ServerConfig(DEFAULT_HOST, port, null, DEFAULT_MAX_BODY_BYTES);
    }

    public boolean authOn() {
        return token != null;
    }

    static boolean isLoopback(String host) {
        if (host.equals("localhost")) {
            return true;
        }
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
