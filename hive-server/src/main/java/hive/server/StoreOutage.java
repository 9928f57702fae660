package hive.server;

import hive.store.StoreFailure;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the log says while the database cannot serve this node: unreachable, or no free connection
 * in the pool in time (the error's {@code total=N, active=N} tells which). The first request
 * answered 503 logs one WARN line with the cause, the next ones are counted and logged at most
 * once every {@value #REPEAT_S} s, and the first request served again logs one INFO line with how
 * long it lasted. No stack traces (they go to DEBUG): this is an expected condition, not a bug, and
 * a node behind a load balancer may answer hundreds of requests a second with 503. Other store
 * failures (a refused statement, a disk error) are not outages; {@link HiveServer} logs them in
 * full. Thread-safe.
 */
final class StoreOutage {

    private static final Logger log = LoggerFactory.getLogger(StoreOutage.class);
    static final long REPEAT_S = 10;
    private static final long REPEAT_NANOS = TimeUnit.SECONDS.toNanos(REPEAT_S);

    private final LongSupplier nanoTime;
    /** Whether an outage was logged and nothing was served since; read on every request, without the lock. */
    private volatile boolean failing;
    /** When the outage began and when it was last logged (nanoTime); guarded by {@code this}. */
    private long began;
    private long logged;
    /** Requests answered 503 in this outage, and since it was last logged; guarded by {@code this}. */
    private long failed;
    private long unlogged;

    StoreOutage(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
    }

    /**
     * Whether {@code e} says no connection to the database could be had (refused or lost
     * connections, a pool that gave up waiting for one, a database shutting down or starting up)
     * rather than that the database refused what it was asked.
     */
    static boolean unavailable(StoreFailure e) {
        for (Throwable t = e.getCause(); t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLTransientConnectionException) {
                return true;
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null) {
                String state = sql.getSQLState();
                if (state.startsWith("08") || state.equals("57P01") || state.equals("57P02")
                        || state.equals("57P03")) {
                    return true;
                }
            }
        }
        return false;
    }

    /** {@code request} ({@code "POST /api/swarms"}) was answered 503: no connection to the database. */
    void failed(String request, StoreFailure e) {
        log.debug("store unavailable on {}", request, e);
        synchronized (this) {
            long now = nanoTime.getAsLong();
            failed++;
            if (!failing) {
                failing = true;
                began = now;
                logged = now;
                unlogged = 0;
                log.atWarn().setMessage("store unavailable: answering 503 until it answers again")
                        .addKeyValue("request", request).addKeyValue("error", e.getMessage()).log();
            } else if (now - logged >= REPEAT_NANOS) {
                log.atWarn().setMessage("store still unavailable")
                        .addKeyValue("since_s", TimeUnit.NANOSECONDS.toSeconds(now - began))
                        .addKeyValue("answered_503", unlogged + 1).addKeyValue("error", e.getMessage()).log();
                logged = now;
                unlogged = 0;
            } else {
                unlogged++;
            }
        }
    }

    /** A request that needed the database was served: an outage logged before is over. */
    void served() {
        if (!failing) {
            return;
        }
        synchronized (this) {
            if (!failing) {
                return;
            }
            failing = false;
            log.atInfo().setMessage("store available again")
                    .addKeyValue("after_ms", TimeUnit.NANOSECONDS.toMillis(nanoTime.getAsLong() - began))
                    .addKeyValue("answered_503", failed).log();
            failed = 0;
        }
    }
}
