package hive.client;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A callback subscription to a swarm's events: an {@link EventStream} read by its own virtual
 * thread, which hands each event to the callback, in order and one at a time, with the same
 * reconnection and the same guarantee (no loss, no repeats). Made by
 * {@link HiveClient#subscribe(String, long, Consumer)}.
 *
 * <p>It ends when closed, when the stream ends with an error, or when the callback throws: that
 * error is kept in {@link #failure()}. Thread-safe.
 */
public final class EventSubscription implements AutoCloseable {

    private final EventStream stream;
    private final Thread dispatcher;
    private final CountDownLatch ended = new CountDownLatch(1);
    private volatile RuntimeException failure;
    private volatile boolean closing;

    EventSubscription(EventStream stream, Consumer<? super Event> onEvent) {
        this.stream = stream;
        this.dispatcher = Thread.ofVirtual().name("hive-subscription").unstarted(() -> dispatch(onEvent));
        dispatcher.start();
    }

    private void dispatch(Consumer<? super Event> onEvent) {
        try {
            while (!closing && stream.hasNext()) {
                Event event = stream.next();
                if (closing) {
                    break;
                }
                onEvent.accept(event);
            }
        } catch (RuntimeException e) {
            failure = e;
        } finally {
            stream.close();
            ended.countDown();
        }
    }

    /** The seq of the last event handed to the callback. */
    public long lastSeq() {
        return stream.lastSeq();
    }

    public boolean isOpen() {
        return ended.getCount() > 0;
    }

    /** What ended the subscription: the stream's error or the callback's exception, if either did. */
    public Optional<RuntimeException> failure() {
        return Optional.ofNullable(failure);
    }

    /** Waits up to {@code timeout} for the subscription to end; whether it did. */
    public boolean awaitEnd(Duration timeout) throws InterruptedException {
        return ended.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * Stops the subscription: no callback starts after this returns, except one already under
     * way on the dispatcher thread. Idempotent.
     */
    @Override
    public void close() {
        closing = true;
        stream.close();
        if (Thread.currentThread() != dispatcher) {
            dispatcher.interrupt();
        }
    }
}
