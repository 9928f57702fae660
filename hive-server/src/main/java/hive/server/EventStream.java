package hive.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import hive.Hive;
import hive.events.Event;
import io.javalin.http.Context;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /api/swarms/{id}/events}: a swarm's events as Server-Sent Events, read from the
 * event table in order, from the first (or after {@code Last-Event-ID} / {@code ?after=SEQ}),
 * then live. Each event's SSE {@code id} is its number in the swarm, so a client that reconnects
 * with the last id it saw resumes without loss or repeats. Any client gets the stream, whatever
 * its {@code Accept} header ({@code curl} sends none). A stream holds its request's (virtual)
 * thread and sleeps until a commit appends events of its swarm (no polling); it sends a comment
 * every 15 s to keep the connection (and proxies) alive, and learns that way when its client has
 * gone. {@link #close()} ends every stream. Thread-safe.
 */
final class EventStream implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EventStream.class);
    private static final int PAGE = 500;
    private static final long KEEPALIVE_NANOS = TimeUnit.SECONDS.toNanos(15);
    private static final Pattern SEQ = Pattern.compile("\\d{1,18}");
    private static final byte[] KEEPALIVE = ": keep-alive\n\n".getBytes(StandardCharsets.UTF_8);

    private final Hive hive;
    private final ObjectMapper mapper;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition appended = lock.newCondition();
    /**
     * The swarms with a stream open, each with how many commits appended events to it since its
     * first stream opened (streams sleep until theirs moves) and how many streams it has; guarded by
     * {@link #lock}. Only swarms being watched are here, so a commit that appends events for the
     * others costs nothing more, and the map is as small as the set of open streams.
     */
    private final Map<String, Watched> watched = new HashMap<>();
    /** {@code watched.size()}, readable without the lock: the commit path's fast way out. */
    private volatile int watchedSwarms;
    private volatile boolean closed;

    EventStream(Hive hive, ObjectMapper mapper) {
        this.hive = hive;
        this.mapper = mapper;
        hive.store().onCommit(this::committed);
    }

    void register(RouteTable routes) {
        routes.get("/api/swarms/{id}/events", "The swarm's events as Server-Sent Events: from the first (or after"
                + " Last-Event-ID / ?after=SEQ), then live", this::open, 200, "text/event-stream of events",
                400, "bad Last-Event-ID or after", 404, "unknown swarm");
    }

    /** One swarm's open streams and its generation. */
    private static final class Watched {
        long generation;
        int streams;
    }

    /** After every commit, on the thread that led it: moves on the generations of the swarms watched. */
    private void committed(List<Event> events) {
        if (watchedSwarms == 0) {
            return;
        }
        lock.lock();
        try {
            boolean moved = false;
            String last = null;
            for (Event e : events) {
                if (e.swarmId().equals(last)) {
                    continue; // a commit's events come in runs per swarm: one move per run is enough
                }
                last = e.swarmId();
                Watched w = watched.get(last);
                if (w != null) {
                    w.generation++;
                    moved = true;
                }
            }
            if (moved) {
                appended.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    private void watch(String swarmId) {
        lock.lock();
        try {
            watched.computeIfAbsent(swarmId, id -> new Watched()).streams++;
            watchedSwarms = watched.size();
        } finally {
            lock.unlock();
        }
    }

    private void unwatch(String swarmId) {
        lock.lock();
        try {
            Watched w = watched.get(swarmId);
            if (--w.streams == 0) {
                watched.remove(swarmId);
            }
            watchedSwarms = watched.size();
        } finally {
            lock.unlock();
        }
    }

    private long generation(String swarmId) {
        lock.lock();
        try {
            return watched.get(swarmId).generation;
        } finally {
            lock.unlock();
        }
    }

    private void open(Context ctx) throws IOException {
        String swarmId = ctx.pathParam("id");
        hive.swarm(swarmId); // 404 before the stream starts
        long after = resumePoint(ctx);
        HttpServletResponse response = ctx.res();
        response.setStatus(200);
        response.setCharacterEncoding("UTF-8");
        response.setContentType("text/event-stream");
        response.setHeader("Cache-Control", "no-cache");
        response.setHeader("X-Accel-Buffering", "no");
        response.flushBuffer();
        watch(swarmId);
        try {
            stream(response.getOutputStream(), swarmId, after);
        } catch (IOException e) {
            log.debug("event stream of {} ended: the client went away ({})", swarmId, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            unwatch(swarmId);
        }
    }

    private static long resumePoint(Context ctx) {
        String raw = ctx.header("Last-Event-ID");
        String source = "Last-Event-ID";
        if (raw == null || raw.isBlank()) {
            raw = ctx.queryParam("after");
            source = "after";
        }
        if (raw == null || raw.isBlank()) {
            return 0;
        }
        if (!SEQ.matcher(raw.trim()).matches()) {
            throw ApiProblem.badField(source, "'" + source + "' must be an event number, got '" + raw + "'");
        }
        return Long.parseLong(raw.trim());
    }

    /** Writes the swarm's events after {@code after}, then new ones as they come, until closed. */
    private void stream(OutputStream out, String swarmId, long after) throws IOException, InterruptedException {
        long last = after;
        while (!closed) {
            long seen = generation(swarmId);
            List<Event> batch = hive.events(swarmId, last, PAGE);
            for (Event e : batch) {
                out.write(("id: " + e.seq() + "\nevent: message\ndata: " + data(e) + "\n\n")
                        .getBytes(StandardCharsets.UTF_8));
                last = e.seq();
            }
            out.flush();
            if (batch.size() == PAGE) {
                continue;
            }
            if (!sleep(swarmId, seen)) {
                out.write(KEEPALIVE);
                out.flush();
            }
        }
    }

    /** Sleeps until the swarm's generation moves past {@code seen}; false when the keep-alive time passed. */
    private boolean sleep(String swarmId, long seen) throws InterruptedException {
        lock.lock();
        try {
            long left = KEEPALIVE_NANOS;
            while (watched.get(swarmId).generation == seen && !closed) {
                if (left <= 0) {
                    return false;
                }
                left = appended.awaitNanos(left);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    private String data(Event e) {
        try {
            return mapper.writeValueAsString(Json.event(e));
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException("cannot write event " + e.seq() + " of " + e.swarmId(), ex);
        }
    }

    /** Ends every stream (shutdown). */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            appended.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
