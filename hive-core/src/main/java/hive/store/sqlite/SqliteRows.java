package hive.store.sqlite;

import hive.agents.AgentStatus;
import hive.schedule.TaskState;
import hive.locks.LockMode;
import hive.locks.LockPath;
import hive.store.AgentRow;
import hive.store.LockRow;
import hive.store.Counters;
import hive.store.StoreJson;
import hive.store.SwarmRow;
import hive.store.TaskRow;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.StatementContext;

/** The column lists and row mappers of the SQLite schema. Times are epoch milliseconds. */
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

    static final String SWARM_COLUMNS = "id, name, goal, workspace, defaults, created_at, paused, cancelled,"
            + " n_pending, n_ready, n_in_progress, n_completed, n_failed, n_blocked, n_cancelled, weight_total,"
            + " weight_completed, event_seq";

    static final String AGENT_COLUMNS = "id, name, roles, max_tasks, allowed_paths, status, registered_at,"
            + " last_heartbeat, expires_at";

    static final String LOCK_COLUMNS = "workspace, path, agent_id, mode, task_id, token, acquired_at, expires_at";

    static final RowMapper<LockRow> LOCK = (rs, ctx) -> new LockRow(rs.getString(1), LockPath.parse(rs.getString(2)),
            rs.getString(3), LockMode.ofWire(rs.getString(4)), rs.getString(5), rs.getLong(6),
            Instant.ofEpochMilli(rs.getLong(7)), Instant.ofEpochMilli(rs.getLong(8)));

    static final RowMapper<TaskRow> TASK = SqliteRows::mapTask;
    static final RowMapper<AgentRow> AGENT = SqliteRows::mapAgent;
    static final RowMapper<SwarmRow> SWARM = SqliteRows::mapSwarm;

    private SqliteRows() {
    }

    private static TaskRow mapTask(ResultSet rs, StatementContext ctx) throws SQLException {
        String blockedBy = rs.getString(22);
        return new TaskRow(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                rs.getString(6), rs.getString(7), rs.getInt(8), rs.getDouble(9), StoreJson.strings(rs.getString(10)),
                StoreJson.strings(rs.getString(11)), rs.getString(12), rs.getInt(13), rs.getLong(14) / 1000.0,
                rs.getLong(15) / 1000.0, TaskState.ofWire(rs.getString(16)), rs.getInt(17), rs.getInt(18),
                rs.getString(19), rs.getString(20), rs.getString(21),
                blockedBy == null ? List.of() : StoreJson.strings(blockedBy), instant(rs, 23), instant(rs, 24),
                instant(rs, 25), instant(rs, 26), instant(rs, 27));
    }

    private static SwarmRow mapSwarm(ResultSet rs, StatementContext ctx) throws SQLException {
        Counters counters = new Counters(rs.getInt(9), rs.getInt(10), rs.getInt(11), rs.getInt(12), rs.getInt(13),
                rs.getInt(14), rs.getInt(15), rs.getDouble(16), rs.getDouble(17));
        return new SwarmRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                StoreJson.defaults(rs.getString(5)), Instant.ofEpochMilli(rs.getLong(6)), rs.getInt(7) != 0,
                rs.getInt(8) != 0, counters, rs.getLong(18));
    }

    private static AgentRow mapAgent(ResultSet rs, StatementContext ctx) throws SQLException {
        return new AgentRow(rs.getString(1), rs.getString(2), Set.copyOf(StoreJson.strings(rs.getString(3))),
                rs.getInt(4), StoreJson.strings(rs.getString(5)), AgentStatus.ofWire(rs.getString(6)),
                Instant.ofEpochMilli(rs.getLong(7)), Instant.ofEpochMilli(rs.getLong(8)), instant(rs, 9));
    }

    private static Instant instant(ResultSet rs, int column) throws SQLException {
        long value = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochMilli(value);
    }

    static Long millis(Instant instant) {
        return instant == null ? null : instant.toEpochMilli();
    }

    static long secondsToMillis(double seconds) {
        return Math.round(seconds * 1000);
    }
}
