package hive.store.sqlite;

import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies the write-ahead log back into the database file on a thread of its own, twice a second
 * ({@code wal_checkpoint(PASSIVE)}: it never blocks the writer or readers), so that commits only
 * append to the log. On close, a last {@code TRUNCATE} checkpoint empties the log. The writer's
 * own automatic checkpoints are off. Thread-safe.
 */
final class Checkpointer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Checkpointer.class);
    private static final long EVERY_MS = 500;

    private final Jdbi jdbi;
    private final Path file;
    private final ScheduledExecutorService thread;

    Checkpointer(Jdbi jdbi, Path file) {
        this.jdbi = jdbi;
        this.file = file;
        this.thread = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("hive-sqlite-checkpoint").daemon(true).factory());
        thread.scheduleWithFixedDelay(() -> checkpoint("PASSIVE"), EVERY_MS, EVERY_MS, TimeUnit.MILLISECONDS);
    }

    private void checkpoint(String mode) {
        try {
            jdbi.useHandle(h -> h.createQuery("PRAGMA wal_checkpoint(" + mode + ")")
                    .mapTo(Integer.class).list());
        } catch (RuntimeException e) {
            log.warn("checkpoint of {} failed; the log grows until one succeeds", file, e);
        }
    }

    /** Stops the periodic checkpoints and empties the log (the writer is closed by now). */
    @Override
    public void close() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        checkpoint("TRUNCATE");
    }
}
