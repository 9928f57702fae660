package hive.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import hive.server.TestServer.Client;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A Server-Sent Events client for tests: opens a stream, parses its events on a thread of its own
 * and hands them out in order. Closing it disconnects.
 */
final class EventReader implements AutoCloseable {

    /** One event: its SSE {@code id} and its JSON {@code data}. */
    record Event(String id, JsonNode data) {
        long seq() {
            return data.get("seq").asLong();
        }

        String type() {
            return data.get("type").asText();
        }

        String taskId() {
            return data.path("task_id").asText(null);
        }
    }

    private static final Duration PATIENCE = Duration.ofSeconds(15);

    private final HttpResponse<InputStream> response;
    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final Thread reader;

    private EventReader(HttpResponse<InputStream> response) {
        this.response = response;
        this.reader = Thread.ofVirtual().name("sse-reader").start(this::read);
    }

    /**
     * Opens {@code path}; {@code headers} are name, value, ... ({@code Last-Event-ID},
     * {@code Accept}). Like {@code curl}, it sends no {@code Accept} unless told.
     */
    static EventReader open(Client client, String path, String... headers) {
        HttpRequest request = client.request("GET", path, HttpRequest.BodyPublishers.noBody(), headers);
        try {
            return new EventReader(client.http().send(request, HttpResponse.BodyHandlers.ofInputStream()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    int status() {
        return response.statusCode();
    }

    String contentType() {
        return response.headers().firstValue("Content-Type").orElse("");
    }

    private void read() {
        if (response.statusCode() != 200) {
            return;
        }
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(),
                StandardCharsets.UTF_8))) {
            String id = null;
            StringBuilder data = new StringBuilder();
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                if (line.isEmpty()) {
                    if (!data.isEmpty()) {
                        events.add(new Event(id, TestServer.JSON.readTree(data.toString())));
                    }
                    id = null;
                    data.setLength(0);
                } else if (line.startsWith("id:")) {
                    id = line.substring(3).strip();
                } else if (line.startsWith("data:")) {
                    data.append(data.isEmpty() ? "" : "\n").append(line.substring(5).strip());
                }
            }
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("an event's data is not JSON", e);
        } catch (IOException e) {
            // disconnected
        }
    }

    /** The next event; fails when none comes in time. */
    Event next() {
        try {
            Event event = events.poll(PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
            if (event == null) {
                throw new AssertionError("no event within " + PATIENCE);
            }
            return event;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Events up to and including the first that {@code last} accepts. */
    List<Event> until(Predicate<Event> last) {
        List<Event> read = new ArrayList<>();
        Event event;
        do {
            event = next();
            read.add(event);
        } while (!last.test(event));
        return read;
    }

    /** Whether an event arrived that was not handed out yet. */
    boolean hasMore() {
        return !events.isEmpty();
    }

    /** The body of an answer that is not a stream (a problem). */
    String body() {
        try {
            return new String(response.body().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        reader.interrupt();
        try {
            response.body().close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
