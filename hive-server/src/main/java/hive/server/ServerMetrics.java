package hive.server;

import hive.Hive;
import hive.locks.LockTable;
import hive.schedule.TaskState;
import io.javalin.http.Context;
import io.javalin.router.Endpoint;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * {@code GET /metrics} (Prometheus text, through Micrometer): request latencies by route, method
 * and status; tasks by state over every swarm; locks held, files locked, callers waiting; lock
 * conflicts refused, leases expired, deadlocks refused, waits granted and timed out.
 */
final class ServerMetrics {

    static final String STARTED = "hive.started";

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();

    ServerMetrics(Hive hive) {
        for (TaskState state : TaskState.values()) {
            Gauge.builder("hive_tasks", hive, h -> h.taskCounts().get(state)).tag("state", state.wire())
                    .description("tasks by state, over every swarm").register(registry);
        }
        Gauge.builder("hive_locks_held", hive, h -> h.lockCounts().activeLocks())
                .description("live locks (one per agent and path)").register(registry);
        Gauge.builder("hive_locked_files", hive, h -> h.lockCounts().lockedFiles())
                .description("distinct paths locked, per workspace").register(registry);
        Gauge.builder("hive_lock_waiters", hive, h -> h.lockStats().waiting())
                .description("lock requests waiting now").register(registry);
        counter(hive, "hive_lock_grants", "locks granted", LockTable.Stats::grants);
        counter(hive, "hive_lock_conflicts", "lock requests refused for a conflict (timed-out waits included)",
                LockTable.Stats::conflictsRefused);
        counter(hive, "hive_lock_expiries", "lock leases broken by expiry", LockTable.Stats::locksExpired);
        counter(hive, "hive_lock_deadlocks", "lock waits refused for a deadlock", LockTable.Stats::deadlocksRefused);
        counter(hive, "hive_lock_waits_granted", "lock waits granted", LockTable.Stats::waitsGranted);
        counter(hive, "hive_lock_waits_timed_out", "lock waits that timed out", LockTable.Stats::waitsTimedOut);
    }

    private void counter(Hive hive, String name, String description,
            java.util.function.ToLongFunction<LockTable.Stats> value) {
        FunctionCounter.builder(name, hive, h -> value.applyAsLong(h.lockStats())).description(description)
                .register(registry);
    }

    /** Times the request that just ended, by its route (not its raw path: ids would explode the series). */
    void record(Context ctx) {
        Long started = ctx.attribute(STARTED);
        if (started == null) {
            return;
        }
        Endpoint endpoint = ctx.endpoints().lastHttpEndpoint();
        String route = endpoint == null ? "unmatched" : endpoint.path;
        String key = route + ' ' + ctx.method().name() + ' ' + ctx.statusCode();
        // One timer per route, method and status, built once: a request only records into it.
        timers.computeIfAbsent(key, k -> Timer.builder("hive_http_requests")
                .description("HTTP requests by route, method and status")
                .tag("route", route).tag("method", ctx.method().name())
                .tag("status", Integer.toString(ctx.statusCode()))
                .publishPercentileHistogram().maximumExpectedValue(Duration.ofSeconds(61))
                .register(registry)).record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
    }

    String scrape() {
        return registry.scrape();
    }
}
