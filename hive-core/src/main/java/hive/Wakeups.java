package hive;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A generation counter that waiting claims sleep on: every change that may let a claim succeed
 * (a task made ready, a task finished, files released, a swarm resumed...) moves it on and wakes
 * every sleeper, which then tries again. A sleeper reads the generation before it tries, and
 * sleeps only while it has not moved since, so no wake-up is lost between a try and the sleep.
 * Thread-safe.
 */
final class Wakeups {

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition moved = lock.newCondition();
    private long generation;
    private boolean closed;

    long generation() {
        lock.lock();
        try {
            return generation;
        } finally {
            lock.unlock();
        }
    }

    void wakeAll() {
        lock.lock();
        try {
            generation++;
            moved.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Sleeps until the generation moves past {@code seen}, at most {@code nanos}. Returns false when
     * closed. {@link InterruptedException} when the caller is interrupted.
     */
    boolean await(long seen, long nanos) throws InterruptedException {
        lock.lock();
        try {
            long left = nanos;
            while (generation == seen && !closed && left > 0) {
                left = moved.awaitNanos(left);
            }
            return !closed;
        } finally {
            lock.unlock();
        }
    }

    /** Wakes every sleeper for good. */
    void close() {
        lock.lock();
        try {
            closed = true;
            moved.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
