package hive.client;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * A swarm's events as they happen, read from {@code GET /api/swarms/{id}/events} (Server-Sent
 * Events): a blocking {@link Iterator} ({@link #next()} waits for the next event), with
 * {@link #poll(Duration)} to wait a bounded time and {@link #stream()} for a {@link Stream}.
 * Made by {@link HiveClient#events(String, long)}.
 *
 * <p>Events arrive in order, each once: when the connection drops (a server restart, a network
 * cut) the stream reconnects by itself, with {@code Last-Event-ID} set to the last event it
 * delivered, so nothing is lost or repeated; it tries again after 0.25 s, doubling up to 5 s,
 * for as long as it is open. An error answer to a reconnection (the token refused, say) ends it:
 * the remaining events are delivered, then {@link #next()} throws that {@link HiveApiException}
 * (or the {@link HiveClientException} of an answer that is not an event stream).
 *
 * <p>One background virtual thread reads the connection into an unbounded queue. Closing the
 * stream (or its client) ends the connection and wakes a waiting reader, which then sees the
 * end: {@link #hasNext()} false. The methods are thread-safe, but the events are a single
 * sequence: two threads reading share it.
 */
public final class EventStream implements Iterator<Event>, AutoCloseable {

    private static final Duration FIRST_RETRY = Duration.ofMillis(250);
    private static final Duration LAST_RETRY = Duration.ofSeconds(5);

    /** The end of the sequence, with the failure that ended it, if any. */
    private record End(RuntimeException failure) {
    }

    private final Http http;
    private final String path;
    private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private final Thread reader;
    private final Consumer<EventStream> onClose;
    private final Object connectionLock = new Object();
    /** The connection being read; replaced on each reconnection; guarded by {@code connectionLock}. */
    private InputStream connection;
    private volatile boolean closed;
    /** The seq of the last event queued: the resume point of a reconnection (reader thread only). */
    private long lastQueued;
    /** The seq of the last event handed to the caller. */
    private volatile long lastSeq;
    /** Guards {@link #peeked} and {@link #end}: one caller at a time takes from the queue. */
    private final ReentrantLock consumer = new ReentrantLock();
    /** The next event, taken from the queue by {@link #hasNext()} and not yet returned. */
    private Event peeked;
    /** The end of the sequence, once taken from the queue. */
    private End end;

    /**
     * Opens the stream at once, so that an unknown swarm or a refused token is thrown here;
     * {@code onClose} is told when the stream closes.
     */
    EventStream(Http http, String swarmId, long afterSeq, Consumer<EventStream> onClose) {
        if (afterSeq < 0) {
            throw new IllegalArgumentException("afterSeq must be 0 or more, got " + afterSeq);
        }
        this.http = http;
        this.path = "/api/swarms/" + Wire.segment(swarmId) + "/events";
        this.onClose = onClose;
        this.lastQueued = afterSeq;
        this.lastSeq = afterSeq;
        this.connection = http.openStream(path, afterSeq);
        this.reader = Thread.ofVirtual().name("hive-events-" + swarmId).unstarted(this::read);
        reader.start();
    }

    /** The seq of the last event this stream returned (the {@code afterSeq} it opened with before that). */
    public long lastSeq() {
        return lastSeq;
    }

    /**
     * Waits for the next event; false once the stream is closed. True when an error ended the
     * stream, which {@link #next()} then throws. An interrupt while waiting ends the wait: false,
     * with the thread's interrupt flag set.
     */
    @Override
    public boolean hasNext() {
        consumer.lock();
        try {
            if (peeked == null && end == null) {
                try {
                    take(queue.take());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return peeked != null || end.failure() != null;
        } finally {
            consumer.unlock();
        }
    }

    /**
     * The next event, waiting for it. {@link NoSuchElementException} once the stream is closed;
     * the {@link HiveClientException} that ended it, if one did.
     */
    @Override
    public Event next() {
        consumer.lock();
        try {
            if (!hasNext()) {
                throw new NoSuchElementException("the event stream of " + path + " is closed");
            }
            if (peeked == null) {
                throw end.failure();
            }
            return deliver();
        } finally {
            consumer.unlock();
        }
    }

    /**
     * The next event if one comes within {@code timeout}; empty when none did or the stream is
     * closed. Throws the {@link HiveClientException} that ended the stream, if one did.
     */
    public Optional<Event> poll(Duration timeout) {
        consumer.lock();
        try {
            if (peeked == null && end == null) {
                try {
                    Object item = queue.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
                    if (item == null) {
                        return Optional.empty();
                    }
                    take(item);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return Optional.empty();
                }
            }
            if (peeked != null) {
                return Optional.of(deliver());
            }
            if (end.failure() != null) {
                throw end.failure();
            }
            return Optional.empty();
        } finally {
            consumer.unlock();
        }
    }

    private void take(Object item) {
        if (item instanceof End e) {
            end = e;
        } else {
            peeked = (Event) item;
        }
    }

    private Event deliver() {
        Event event = peeked;
        peeked = null;
        lastSeq = event.seq();
        return event;
    }

    /**
     * The events as a sequential {@link Stream} that blocks for each next event and ends when this
     * event stream closes; closing the {@code Stream} closes this event stream.
     */
    public Stream<Event> stream() {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(this, Spliterator.ORDERED
                | Spliterator.NONNULL), false).onClose(this::close);
    }

    public boolean isOpen() {
        return !closed;
    }

    /** Ends the connection and the sequence; waiting readers see the end. Idempotent. */
    @Override
    public void close() {
        InputStream current;
        synchronized (connectionLock) {
            if (closed) {
                return;
            }
            closed = true;
            current = connection;
        }
        closeQuietly(current);
        reader.interrupt();
        queue.offer(new End(null));
        onClose.accept(this);
    }

    // --- the reader thread ---

    private void read() {
        Duration retry = FIRST_RETRY;
        InputStream in = connection;
        while (!closed) {
            boolean delivered = false;
            try {
                delivered = readEvents(in);
            } catch (IOException | RuntimeException e) {
                // the connection broke (or was closed): reconnect below unless closed
            } finally {
                closeQuietly(in);
            }
            // a connection that ended without delivering anything counts as a failed one
            retry = delivered ? FIRST_RETRY : longer(retry);
            in = null;
            while (in == null && !closed) {
                if (!pause(retry)) {
                    return;
                }
                try {
                    in = http.openStream(path, lastQueued);
                } catch (HiveConnectionException e) {
                    retry = longer(retry);
                } catch (HiveClientException e) {
                    end(e);
                    return;
                }
            }
            if (in != null && !install(in)) {
                closeQuietly(in);
            }
        }
    }

    private static Duration longer(Duration retry) {
        Duration doubled = retry.multipliedBy(2);
        return doubled.compareTo(LAST_RETRY) > 0 ? LAST_RETRY : doubled;
    }

    /** Ends the sequence with {@code failure}: the reader's last act. */
    private void end(HiveClientException failure) {
        synchronized (connectionLock) {
            closed = true;
        }
        queue.offer(new End(failure));
        onClose.accept(this);
    }

    /** Makes {@code in} the connection a close ends; false when the stream closed meanwhile. */
    private boolean install(InputStream in) {
        synchronized (connectionLock) {
            if (closed) {
                return false;
            }
            connection = in;
            return true;
        }
    }

    /**
     * Reads SSE events (W3C "Server-sent events", 9.2.6: {@code data:} lines joined, a blank line
     * dispatches, {@code :} lines are comments) until the connection ends; queues each event past
     * {@link #lastQueued}. Returns whether it queued any.
     */
    private boolean readEvents(InputStream in) throws IOException {
        boolean delivered = false;
        BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        StringBuilder data = new StringBuilder();
        String line;
        while (!closed && (line = lines.readLine()) != null) {
            if (line.isEmpty()) {
                if (!data.isEmpty()) {
                    delivered |= dispatch(data.toString());
                    data.setLength(0);
                }
                continue;
            }
            if (line.startsWith(":")) {
                continue;
            }
            int colon = line.indexOf(':');
            String field = colon < 0 ? line : line.substring(0, colon);
            String value = colon < 0 ? "" : line.substring(colon + 1);
            if (value.startsWith(" ")) {
                value = value.substring(1);
            }
            if (field.equals("data")) {
                if (!data.isEmpty()) {
                    data.append('\n');
                }
                data.append(value);
            }
        }
        return delivered;
    }

    private boolean dispatch(String data) throws IOException {
        Event event;
        try {
            event = Wire.event(data);
        } catch (IllegalArgumentException e) {
            throw new IOException("the server sent an event this client cannot read: " + e.getMessage(), e);
        }
        if (event.seq() <= lastQueued) {
            return false; // already delivered: never repeat
        }
        lastQueued = event.seq();
        queue.offer(event);
        return true;
    }

    /** Sleeps before a reconnection; false when the stream closed (or the thread was interrupted). */
    private boolean pause(Duration retry) {
        try {
            Thread.sleep(retry);
            return !closed;
        } catch (InterruptedException e) {
            return false;
        }
    }

    private static void closeQuietly(InputStream in) {
        if (in == null) {
            return;
        }
        try {
            in.close();
        } catch (IOException e) {
            // closing a broken connection: nothing more to do
        }
    }
}
