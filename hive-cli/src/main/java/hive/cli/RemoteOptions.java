package hive.cli;

import hive.client.HiveClient;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * The options of every command that talks to a server: {@code --server}, {@code --token},
 * {@code --json}. The server and the token come from {@code HIVE_SERVER} and {@code HIVE_TOKEN}
 * when not given.
 */
final class RemoteOptions {

    static final String DEFAULT_SERVER = "http://127.0.0.1:8000";

    @Option(names = "--server", paramLabel = "URL", description = "The server (default: $HIVE_SERVER, else "
            + DEFAULT_SERVER + ").")
    String server;

    @Option(names = "--token", paramLabel = "T", description = "Bearer token: the admin's or the agent's "
            + "(default: $HIVE_TOKEN, else none).")
    String token;

    @Option(names = "--json", description = "Print the server's answer as JSON, on one line.")
    boolean json;

    /** The server's address: --server, else $HIVE_SERVER, else the default. */
    String serverUrl() {
        return firstNonBlank(server, System.getenv("HIVE_SERVER"), DEFAULT_SERVER);
    }

    /** The token: --token, else $HIVE_TOKEN, else none (null). */
    String tokenValue() {
        return firstNonBlank(token, System.getenv("HIVE_TOKEN"), null);
    }

    /** A client of the server; a bad address is a usage error. */
    HiveClient connect(CommandSpec spec) {
        String url = serverUrl();
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new ParameterException(spec.commandLine(), "--server: not a URL: '" + url + "'");
        }
        if (uri.getHost() == null) {
            throw new ParameterException(spec.commandLine(), "--server must be http://HOST:PORT or https://..., got '"
                    + url + "'");
        }
        try {
            return HiveClient.builder(uri).token(tokenValue()).connectTimeout(Duration.ofSeconds(5)).build();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--server: " + e.getMessage());
        }
    }

    private static String firstNonBlank(String first, String second, String fallback) {
        if (first != null && !first.isBlank()) {
            return first;
        }
        if (second != null && !second.isBlank()) {
            return second;
        }
        return fallback;
    }
}
