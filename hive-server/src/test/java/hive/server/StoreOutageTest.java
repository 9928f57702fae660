package hive.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import hive.store.StoreFailure;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** How a node logs a database it cannot reach: a line when it starts, a few while it lasts, one when over. */
class StoreOutageTest {

    private static final StoreFailure REFUSED = new StoreFailure("PostgreSQL is unreachable: Connection refused",
            new SQLTransientConnectionException("hive-postgres - Connection is not available", "08001"));

    private final AtomicLong nanos = new AtomicLong(1_000);
    private final StoreOutage outage = new StoreOutage(nanos::get);
    private final Logger logger = (Logger) LoggerFactory.getLogger(StoreOutage.class);
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();

    @BeforeEach
    void capture() {
        logged.start();
        logger.setLevel(Level.INFO);
        logger.addAppender(logged);
    }

    @AfterEach
    void release() {
        logger.detachAppender(logged);
        logger.setLevel(null);
    }

    private void later(long seconds) {
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(seconds));
    }

    private List<String> lines() {
        return logged.list.stream().map(e -> e.getLevel() + " " + e.getMessage()
                + (e.getThrowableProxy() != null ? " +stack trace" : "")).toList();
    }

    @Test
    void anOutageIsOneLineWhenItStartsAReminderEveryTenSecondsAndOneLineWhenItEnds() {
        for (int second = 0; second < 25; second++) {
            for (int request = 0; request < 100; request++) {
                outage.failed("POST /api/agents/w1/claim", REFUSED);
            }
            later(1);
        }
        outage.served();
        outage.served();

        assertThat(lines()).containsExactly(
                "WARN store unavailable: answering 503 until it answers again",
                "WARN store still unavailable",
                "WARN store still unavailable",
                "INFO store available again");
        assertThat(logged.list.get(1).getKeyValuePairs()).anyMatch(kv -> kv.key.equals("answered_503")
                && kv.value.equals(1000L));
        assertThat(logged.list.get(3).getKeyValuePairs()).anyMatch(kv -> kv.key.equals("answered_503")
                && kv.value.equals(2500L));
    }

    @Test
    void aRequestServedWithNoOutageLogsNothing() {
        outage.served();

        assertThat(lines()).isEmpty();
    }

    @Test
    void aNewOutageAfterTheLastOneEndedIsLoggedAgain() {
        outage.failed("GET /health", REFUSED);
        outage.served();
        outage.failed("GET /health", REFUSED);

        assertThat(lines()).containsExactly(
                "WARN store unavailable: answering 503 until it answers again",
                "INFO store available again",
                "WARN store unavailable: answering 503 until it answers again");
    }

    @Test
    void onlyFailuresToGetAConnectionCountAsTheStoreBeingUnavailable() {
        assertThat(StoreOutage.unavailable(REFUSED)).isTrue();
        assertThat(StoreOutage.unavailable(new StoreFailure("lost", new RuntimeException("wrapped",
                new SQLException("FATAL: terminating connection due to administrator command", "57P01")))))
                .as("a connection ended by a database shutting down").isTrue();
        assertThat(StoreOutage.unavailable(new StoreFailure("busy", new SQLTransientConnectionException(
                "hive-postgres - Connection is not available, request timed out after 3002ms (total=2, active=2)"))))
                .as("a pool with no free connection in time").isTrue();
        assertThat(StoreOutage.unavailable(new StoreFailure("refused", new SQLException(
                "duplicate key value violates unique constraint", "23505"))))
                .as("a statement refused").isFalse();
        assertThat(StoreOutage.unavailable(new StoreFailure("aborted 8 times", new SQLException(
                "could not serialize access", "40001"))))
                .as("conflicts with other transactions").isFalse();
        assertThat(StoreOutage.unavailable(new StoreFailure("disk", null))).isFalse();
    }
}
