package hive.store;

import hive.agents.AgentStatus;
import hive.locks.LockMode;
import hive.locks.LockPath;
import hive.schedule.TaskState;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.StatementContext;

/**
 * The column lists and row mappers shared by the SQL stores (SQLite and PostgreSQL keep rows of
 * the same shape: times in epoch milliseconds, JSON as text). A task is read as the 27 columns of
 * {@link TaskRow}, in its order; each store says how it gets its state and open dependencies.
 */
public final class RowMappers {

    public static final String SWARM_COLUMNS = "id, name, goal, workspace, defaults, created_at, paused, cancelled,"
            + " n_pending, n_ready, n_in_progress, n_completed, n_failed, n_blocked, n_cancelled, weight_total,"
            + " weight_completed, event_seq";

    public static final String AGENT_COLUMNS = "id, name, roles, max_tasks, allowed_paths, status, registered_at,"
            + " last_heartbeat, expires_at";

    public static final String LOCK_COLUMNS = "workspace, path, agent_id, mode, task_id, token, acquired_at, expires_at";

    public static final RowMapper<LockRow> LOCK = (rs, ctx) -> new LockRow(rs.getString(1),
            LockPath.parse(rs.getString(2)),
            rs.getString(3), LockMode.ofWire(rs.getString(4)), rs.getString(5), rs.getLong(6),
            Instant.ofEpochMilli(rs.getLong(7)), Instant.ofEpochMilli(rs.getLong(8)));

    public static final RowMapper<TaskRow> TASK = RowMappers::mapTask;

    /** The events of a swarm after a number, oldest first, at most a limit: bind swarm, after, limit. */
    public static final String EVENTS_AFTER = "SELECT swarm_id, seq, type, task_id, agent_id, at, data FROM events"
            + " WHERE swarm_id = ? AND seq > ? ORDER BY seq LIMIT ?";

    public static final RowMapper<hive.events.Event> EVENT = (rs, ctx) -> new hive.events.Event(rs.getString(1),
            rs.getLong(2), rs.getString(3), rs.getString(4), rs.getString(5), Instant.ofEpochMilli(rs.getLong(6)),
            StoreJson.object(rs.getString(7)));
    public static final RowMapper<AgentRow> AGENT = RowMappers::mapAgent;
    public static final RowMapper<SwarmRow> SWARM = RowMappers::mapSwarm;

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


    private RowMappers() {
    }
}
