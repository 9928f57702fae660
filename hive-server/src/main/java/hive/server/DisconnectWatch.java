package hive.server;

import io.javalin.http.Context;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.server.ConnectionMetaData;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Notices a client that goes away while its request waits (a claim or a lock wait with
 * {@code wait_s}) and ends the wait, so that an abandoned claim takes no task and an abandoned
 * lock wait gives up its place in the queue. Jetty cannot tell: it does not read from a
 * connection while the handler runs, so it learns that the client closed only when it writes the
 * answer.
 *
 * <p>One platform daemon thread with one {@link Selector}, for the whole server. While a request
 * waits, its connection's {@link SocketChannel} is registered here too, for reads (a channel may
 * be registered with several selectors, and Jetty's is not interested in reads meanwhile).
 * Nothing is ever read from it: when it becomes readable, the bytes waiting are counted
 * ({@link java.io.InputStream#available()}). None means the client closed or reset the
 * connection: the wait is cancelled by interrupting its thread, which the engine's waits take as
 * "stop waiting, take nothing". Some mean the client sent its next request (pipelined): it is
 * still there, and the watch of that wait ends. Only plain HTTP/1.x connections over a socket
 * channel are watched.
 *
 * <p>Registrations are queued for the selector's thread, which applies them between selects
 * ({@link java.nio.channels.SelectableChannel#register} would block while it selects), at most
 * {@link #TICK_MS} after they are asked for; a wait that is over by then is never registered. Most
 * waits are short (a lock handed on within a millisecond), and so cost the watch nothing: no
 * thread wake-up, no system call. The selector's thread is woken only when it sleeps with nothing
 * to do. A request's thread is interrupted only while it is inside its wait, never after (see
 * {@link Watch}). Thread-safe.
 */
final class DisconnectWatch implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DisconnectWatch.class);
    /** How long {@link #close()} waits for the selector's thread to end. */
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);
    /** How often the selector's thread takes the queued registrations while there are any. */
    static final long TICK_MS = 50;

    private final Selector selector;
    /** Waits to watch, in the order they were asked for; registered by {@link #thread}. */
    private final Queue<Watch> pending = new ConcurrentLinkedQueue<>();
    /** Set while the selector's thread selects with no time limit (nothing pending, nothing watched). */
    private final AtomicBoolean asleep = new AtomicBoolean();
    private final Thread thread;

    private DisconnectWatch(Selector selector) {
        this.selector = selector;
        this.thread = Thread.ofPlatform().daemon().name("hive-disconnect-watch").unstarted(this::run);
    }

    /** Opens the selector and starts its thread. */
    static DisconnectWatch start() {
        try {
            DisconnectWatch watch = new DisconnectWatch(Selector.open());
            watch.thread.start();
            return watch;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open a selector to watch for clients that go away", e);
        }
    }

    /**
     * Runs {@code wait}, a call into the engine that blocks the calling thread, while watching the
     * request's connection. When the client goes away meanwhile, the calling thread is interrupted
     * (only while {@code wait} runs, so the engine ends the wait), the interrupt is cleared again
     * once {@code wait} returns, and the departure is logged; whatever {@code wait} returns is then
     * answered to nobody. Watches nothing once closed.
     */
    <T> T during(Context ctx, String agentId, Supplier<T> wait) {
        Optional<SocketChannel> channel = channel(ctx);
        if (channel.isEmpty() || !selector.isOpen()) {
            return wait.get();
        }
        Watch watch = new Watch(channel.get(), Thread.currentThread());
        pending.add(watch);
        if (asleep.compareAndSet(true, false)) {
            selector.wakeup();
        }
        try {
            return wait.get();
        } finally {
            if (watch.end()) {
                log.info("the client of agent {} went away while it waited ({} {}): the wait ended", agentId,
                        ctx.method(), ctx.path());
            }
        }
    }

    /**
     * The connection's socket channel, for plain HTTP/1.x only: there Jetty reads nothing while the
     * handler runs. (HTTP/2 reads all along, and behind TLS the bytes waiting are not the client's.)
     */
    private static Optional<SocketChannel> channel(Context ctx) {
        ServletContextRequest request = ServletContextRequest.getServletContextRequest(ctx.req());
        if (request == null) {
            return Optional.empty();
        }
        ConnectionMetaData connection = request.getConnectionMetaData();
        HttpVersion version = connection.getHttpVersion();
        if (connection.isSecure() || (version != HttpVersion.HTTP_1_1 && version != HttpVersion.HTTP_1_0)) {
            return Optional.empty();
        }
        return connection.getConnection().getEndPoint().getTransport() instanceof SocketChannel channel
                ? Optional.of(channel) : Optional.empty();
    }

    private void run() {
        try {
            while (true) {
                if (pending.isEmpty() && selector.keys().isEmpty()) {
                    asleep.set(true);
                    if (pending.isEmpty()) {
                        selector.select(this::readable); // a new wait wakes it
                    }
                    asleep.set(false);
                } else {
                    selector.select(this::readable, TICK_MS);
                }
                for (Watch watch = pending.poll(); watch != null; watch = pending.poll()) {
                    register(watch);
                }
            }
        } catch (ClosedSelectorException e) {
            pending.clear(); // closed: closing the selector ended every registration
        } catch (IOException | RuntimeException e) {
            log.error("the disconnect watch failed: clients that go away while waiting are no longer noticed", e);
            closeSelector();
        }
    }

    /** A watched connection has something to say: its client has gone, or sent more. Reads nothing. */
    private void readable(SelectionKey key) {
        key.cancel();
        Watch watch = (Watch) key.attachment();
        if (clientGone(watch.channel)) {
            watch.cancel();
        }
    }

    /**
     * Whether the client closed or reset a connection that reads as ready: nothing waits to be
     * read, so what is ready is the end of the stream (or an error).
     */
    private static boolean clientGone(SocketChannel channel) {
        try {
            return channel.socket().getInputStream().available() == 0;
        } catch (IOException e) {
            return true; // closed meanwhile: nobody is left to answer
        }
    }

    /** Starts watching, unless the wait is already over; on the selector's thread. */
    private void register(Watch watch) {
        try {
            if (!watch.waiting()) {
                return;
            }
            if (watch.channel.keyFor(selector) != null) {
                // The key of the connection's previous wait, cancelled but still registered until the
                // selector next selects: register would fail on it.
                selector.selectNow(this::readable);
            }
            watch.register(selector);
        } catch (ClosedChannelException e) {
            // Jetty closed the connection already: its answer will go nowhere anyway.
        } catch (IOException e) {
            log.warn("cannot watch a waiting request's connection; a departure of its client goes unnoticed", e);
        }
    }

    /**
     * Stops watching and ends the selector's thread; waits still running are no longer watched.
     * Idempotent.
     */
    @Override
    public void close() {
        closeSelector();
        try {
            thread.join(STOP_TIMEOUT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void closeSelector() {
        try {
            selector.close();
        } catch (IOException e) {
            log.warn("closing the disconnect watch's selector failed", e);
        }
    }

    /**
     * One wait's watch. Its state says whether the wait may still be cancelled: {@code WAITING}
     * until the waiting thread ends it ({@code DONE}) or the client goes away ({@code CANCELLED},
     * with the thread interrupted). It changes under the watch's monitor, so an interrupt never
     * lands once the wait is over, and the waiting thread always finds and clears the one that
     * landed; the registration is made and cancelled under it too, so none outlives the wait.
     */
    private static final class Watch {

        private enum State { WAITING, CANCELLED, DONE }

        final SocketChannel channel;
        private final Thread thread;
        private State state = State.WAITING;
        /** The registration with the selector; null until registered, or when never. */
        private SelectionKey key;

        Watch(SocketChannel channel, Thread thread) {
            this.channel = channel;
            this.thread = thread;
        }

        synchronized boolean waiting() {
            return state == State.WAITING;
        }

        /** The client has gone: interrupts the wait, if it still runs. */
        synchronized void cancel() {
            if (state == State.WAITING) {
                state = State.CANCELLED;
                thread.interrupt();
            }
        }

        /**
         * The wait is over (on the waiting thread): true when it was cancelled, and then the
         * interrupt is cleared, so that it does not reach the writing of the answer.
         */
        synchronized boolean end() {
            boolean cancelled = state == State.CANCELLED;
            if (cancelled) {
                Thread.interrupted();
            }
            state = State.DONE;
            if (key != null) {
                key.cancel(); // the selector drops it at its next select
            }
            return cancelled;
        }

        /** Starts watching while the wait runs (on the selector's thread, which is not selecting). */
        synchronized void register(Selector selector) throws ClosedChannelException {
            if (state == State.WAITING) {
                key = channel.register(selector, SelectionKey.OP_READ, this);
            }
        }
    }
}
