package hive.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The HTTP exchanges of one {@link HiveClient}: one {@link HttpClient} (HTTP/1.1, connections kept
 * alive and reused), the bearer token on every request, a timeout per call, and the mapping of
 * failures: an error answer to {@link HiveApiException}, no answer to
 * {@link HiveConnectionException}. Thread-safe.
 */
final class Http implements AutoCloseable {

    private static final String ACCEPT = "application/json, application/problem+json";

    private final HttpClient client;
    private final String base;
    private final String authorization;
    private final Duration requestTimeout;
    private volatile boolean closed;

    /** A status and a body, read whole. */
    record Answer(String method, String path, int status, String body) {

        boolean ok() {
            return status >= 200 && status < 300;
        }
    }

    Http(URI base, String token, Duration connectTimeout, Duration requestTimeout) {
        String text = base.toString();
        this.base = text.endsWith("/") ? text.substring(0, text.length() - 1) : text;
        this.authorization = token == null ? null : "Bearer " + token;
        this.requestTimeout = requestTimeout;
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /**
     * Sends a request and reads the whole answer. {@code wait} is how long the server may hold the
     * request on purpose (a claim or lock wait): the timeout is the request timeout beyond it.
     */
    Answer send(String method, String path, String contentType, String body, Duration wait) {
        HttpRequest.Builder request = request(path).timeout(requestTimeout.plus(wait));
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                    .header("Content-Type", contentType + "; charset=utf-8");
        }
        HttpResponse<String> response = exchange(method, path, request.build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        return new Answer(method, path, response.statusCode(), response.body());
    }

    Answer get(String path) {
        return send("GET", path, null, null, Duration.ZERO);
    }

    Answer post(String path, JsonNode body) {
        return post(path, body, Duration.ZERO);
    }

    Answer post(String path, JsonNode body, Duration wait) {
        return send("POST", path, "application/json", body == null ? null : Wire.text(body), wait);
    }

    /**
     * Opens a stream of Server-Sent Events: the body of a {@code 200}, to read as it comes (no
     * timeout once the answer started). Any other answer is thrown as a {@link HiveApiException}.
     */
    InputStream openStream(String path, long lastEventId) {
        HttpRequest.Builder request = request(path).timeout(requestTimeout).setHeader("Accept", "text/event-stream")
                .header("Cache-Control", "no-cache").GET();
        if (lastEventId > 0) {
            request.header("Last-Event-ID", Long.toString(lastEventId));
        }
        HttpResponse<InputStream> response = exchange("GET", path, request.build(),
                HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() == 200) {
            String type = response.headers().firstValue("Content-Type").orElse("");
            if (!type.toLowerCase(java.util.Locale.ROOT).startsWith("text/event-stream")) {
                closeQuietly(response.body());
                throw new HiveClientException("GET " + path + ": the server answered 200 but not with an event stream"
                        + " (Content-Type '" + type + "')");
            }
            return response.body();
        }
        String body;
        try (InputStream in = response.body()) {
            body = new String(in.readNBytes(64 * 1024), StandardCharsets.UTF_8);
        } catch (IOException e) {
            body = "";
        }
        throw problem(new Answer("GET", path, response.statusCode(), body));
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException e) {
            // an answer we do not read: nothing more to do
        }
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
                .header("Accept", ACCEPT)
                .header("User-Agent", "hive-client");
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return request;
    }

    private <T> HttpResponse<T> exchange(String method, String path, HttpRequest request,
            HttpResponse.BodyHandler<T> handler) {
        if (closed) {
            throw new HiveConnectionException(method + " " + path + ": the client is closed",
                    new IOException("closed"));
        }
        try {
            return client.send(request, handler);
        } catch (HttpTimeoutException e) {
            throw new HiveConnectionException(method + " " + path + ": no answer from " + base + " within "
                    + request.timeout().map(Duration::toString).orElse("the timeout"), e);
        } catch (ConnectException e) {
            throw new HiveConnectionException(method + " " + path + ": cannot connect to " + base
                    + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")"), e);
        } catch (IOException e) {
            throw new HiveConnectionException(method + " " + path + ": the exchange with " + base + " failed"
                    + (closed ? " (the client is closed)" : "") + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HiveConnectionException(method + " " + path + ": interrupted while waiting for " + base, e);
        }
    }

    /** The error answer as an exception: its problem document, or what can be read of it. */
    static HiveApiException problem(Answer answer) {
        JsonNode doc = null;
        try {
            doc = answer.body() == null || answer.body().isBlank() ? null : Wire.MAPPER.readTree(answer.body());
        } catch (JsonProcessingException e) {
            // not JSON: read as a problem of type about:blank below
        }
        if (doc == null || !doc.isObject()) {
            return new HiveApiException(answer.method(), answer.path(), answer.status(), "about:blank",
                    reasonPhrase(answer.status()), Wire.abbreviate(answer.body()), Map.of());
        }
        Map<String, Object> fields = new LinkedHashMap<>(Wire.MAPPER.convertValue(doc, Wire.MAP));
        Object type = fields.remove("type");
        Object title = fields.remove("title");
        fields.remove("status");
        Object detail = fields.remove("detail");
        return new HiveApiException(answer.method(), answer.path(), answer.status(),
                type == null ? "about:blank" : type.toString(),
                title == null ? reasonPhrase(answer.status()) : title.toString(),
                detail == null ? null : detail.toString(), fields);
    }

    private static String reasonPhrase(int status) {
        return switch (status) {
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 409 -> "Conflict";
            case 413 -> "Content Too Large";
            case 500 -> "Internal Server Error";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            case 504 -> "Gateway Timeout";
            default -> "HTTP " + status;
        };
    }

    boolean isClosed() {
        return closed;
    }

    /** Aborts the exchanges under way (they throw {@link HiveConnectionException}) and frees the connections. */
    @Override
    public void close() {
        closed = true;
        client.shutdownNow();
    }
}
