package hive;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicReference;

/** A clock that tests move by hand. Thread-safe. */
public final class TestClock implements InstantSource {

    private final AtomicReference<Instant> now;

    public TestClock(Instant start) {
        this.now = new AtomicReference<>(start);
    }

    public TestClock() {
        this(Instant.parse("2026-01-01T00:00:00Z"));
    }

    @Override
    public Instant instant() {
        return now.get();
    }

    public void advance(Duration d) {
        now.updateAndGet(t -> t.plus(d));
    }
}
