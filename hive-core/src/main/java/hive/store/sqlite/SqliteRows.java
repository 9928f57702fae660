package hive.store.sqlite;

import hive.schedule.TaskState;
import java.time.Instant;

/** The task columns of the SQLite schema (the others: {@link hive.store.RowMappers}). */
final class SqliteRows {

    /** The columns written when a task is inserted, in {@link #TASK_COLUMNS} order less remaining_deps. */
    static final String TASK_INSERT_COLUMNS = "pk, swarm_id, id, title, description, role, agent, priority,"
            + " weight, depends_on, files, run, max_attempts, timeout_ms, backoff_ms, state, attempt,"
            + " assigned_agent, result, error, blocked_by, not_before, deadline, created_at, started_at, finished_at";

    /**
     * How many dependencies of the row of {@code tasks} have not completed: its {@code depends_on}
     * ids looked up in the swarm, one index lookup each. CROSS JOIN makes the dependency list the
     * outer loop, so that it is: with a plain JOIN, SQLite's planner (which
     * cannot tell how many rows {@code json_each} yields) scanned the swarm's tasks for every task
     * read, and reading a 10,000-task swarm took 25 s instead of 10 ms
     * ({@code SqliteReaderTest.readingALargeSwarmLooksUpEachDependency}).
     */
    private static final String OPEN_DEPENDENCIES = "(SELECT count(*) FROM json_each(tasks.depends_on) d"
            + " CROSS JOIN tasks p ON p.swarm_id = tasks.swarm_id AND p.id = d.value WHERE p.state <> 'completed')";

    /**
     * The columns a task is read with, from {@code tasks} (not aliased). Two values are derived, not
     * stored (see {@code V1__engine.sql}): the count of open dependencies, and the state
     * {@code ready}, which is stored as {@code pending}.
     */
    static final String TASK_COLUMNS = "pk, swarm_id, id, title, description, role, agent, priority, weight,"
            + " depends_on, files, run, max_attempts, timeout_ms, backoff_ms,"
            + " CASE WHEN state = 'pending' AND not_before IS NULL AND " + OPEN_DEPENDENCIES + " = 0"
            + " THEN 'ready' ELSE state END AS derived_state, " + OPEN_DEPENDENCIES + ", attempt,"
            + " assigned_agent, result, error, blocked_by, not_before, deadline, created_at, started_at, finished_at";

    /**
     * The state as stored: {@code ready} is written as {@code pending}, since a pending task with
     * no open dependency and no backoff is ready by definition. A completion then writes only the
     * completed task, not the tasks it makes ready.
     */
    static String storedState(TaskState state) {
        return state == TaskState.READY ? TaskState.PENDING.wire() : state.wire();
    }

    private SqliteRows() {
    }

    static Long millis(Instant instant) {
        return instant == null ? null : instant.toEpochMilli();
    }

    static long secondsToMillis(double seconds) {
        return Math.round(seconds * 1000);
    }
}
