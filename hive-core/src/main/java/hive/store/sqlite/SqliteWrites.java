package hive.store.sqlite;

import static hive.store.sqlite.SqliteRows.TASK_INSERT_COLUMNS;
import static hive.store.sqlite.SqliteRows.secondsToMillis;

import hive.events.Event;
import hive.store.AgentRow;
import hive.store.LockRow;
import hive.store.RowMappers;
import hive.store.Counters;
import hive.store.StoreFailure;
import hive.store.StoreJson;
import hive.store.SwarmRow;
import hive.store.TaskRow;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.Collection;
import java.util.List;

/**
 * The SQL that writes a batch's changes to SQLite, each kind of row as one JDBC batch of a
 * statement prepared once. This is the writer's hot path: plain JDBC here, because JDBI's
 * per-row binding cost as much as SQLite's own work (measured; see docs/benchmarks.md).
 * Runs on the writer's connection, inside the batch's transaction; not thread-safe.
 */
final class SqliteWrites implements AutoCloseable {

    private final PreparedStatement insertSwarm;
    private final PreparedStatement updateSwarm;
    private final PreparedStatement insertTask;
    private final PreparedStatement updateTask;
    private final PreparedStatement insertEvent;
    private final PreparedStatement putAgent;
    private final PreparedStatement putLock;
    private final PreparedStatement removeLock;
    private final PreparedStatement saveToken;
    private final PreparedStatement begin;
    private final PreparedStatement commit;
    private final PreparedStatement rollback;

    SqliteWrites(Connection connection) {
        try {
            begin = connection.prepareStatement("BEGIN IMMEDIATE");
            commit = connection.prepareStatement("COMMIT");
            rollback = connection.prepareStatement("ROLLBACK");
            insertSwarm = connection.prepareStatement("INSERT INTO swarms (" + RowMappers.SWARM_COLUMNS + ") VALUES"
                    + " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
            updateSwarm = connection.prepareStatement("UPDATE swarms SET paused = ?, cancelled = ?, n_pending = ?,"
                    + " n_ready = ?, n_in_progress = ?, n_completed = ?, n_failed = ?, n_blocked = ?,"
                    + " n_cancelled = ?, weight_total = ?, weight_completed = ?, event_seq = ? WHERE id = ?");
            insertTask = connection.prepareStatement("INSERT INTO tasks (" + TASK_INSERT_COLUMNS + ") VALUES (?, ?,"
                    + " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
            updateTask = connection.prepareStatement("UPDATE tasks SET state = ?, attempt = ?,"
                    + " assigned_agent = ?, result = ?, error = ?, blocked_by = ?, not_before = ?, deadline = ?,"
                    + " started_at = ?, finished_at = ? WHERE pk = ?");
            putAgent = connection.prepareStatement("INSERT INTO agents (" + RowMappers.AGENT_COLUMNS + ") VALUES"
                    + " (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name,"
                    + " roles = excluded.roles, max_tasks = excluded.max_tasks, allowed_paths = excluded.allowed_paths,"
                    + " status = excluded.status, last_heartbeat = excluded.last_heartbeat,"
                    + " expires_at = excluded.expires_at");
            putLock = connection.prepareStatement("INSERT OR REPLACE INTO locks (" + RowMappers.LOCK_COLUMNS
                    + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
            removeLock = connection.prepareStatement("DELETE FROM locks WHERE workspace = ? AND path = ?"
                    + " AND agent_id = ?");
            saveToken = connection.prepareStatement("UPDATE meta SET value = ? WHERE name = 'fencing_token'");
            insertEvent = connection.prepareStatement("INSERT INTO events (swarm_id, seq, type, task_id, agent_id,"
                    + " at, data) VALUES (?, ?, ?, ?, ?, ?, ?)");
        } catch (SQLException e) {
            throw new StoreFailure("cannot prepare the writer's statements", e);
        }
    }

    void insertSwarms(Collection<SwarmRow> swarms) {
        run(insertSwarm, swarms, (st, s) -> {
            st.setString(1, s.id());
            st.setString(2, s.name());
            st.setString(3, s.goal());
            st.setString(4, s.workspace());
            st.setString(5, StoreJson.defaults(s.defaults()));
            st.setLong(6, s.createdAt().toEpochMilli());
            st.setInt(7, s.paused() ? 1 : 0);
            st.setInt(8, s.cancelled() ? 1 : 0);
            setCounters(st, 9, s.counters());
            st.setLong(18, s.lastEventSeq());
        });
    }

    void updateSwarms(Collection<SwarmRow> swarms) {
        run(updateSwarm, swarms, (st, s) -> {
            st.setInt(1, s.paused() ? 1 : 0);
            st.setInt(2, s.cancelled() ? 1 : 0);
            setCounters(st, 3, s.counters());
            st.setLong(12, s.lastEventSeq());
            st.setString(13, s.id());
        });
    }

    private static void setCounters(PreparedStatement st, int from, Counters c) throws SQLException {
        st.setInt(from, c.pending());
        st.setInt(from + 1, c.ready());
        st.setInt(from + 2, c.inProgress());
        st.setInt(from + 3, c.completed());
        st.setInt(from + 4, c.failed());
        st.setInt(from + 5, c.blocked());
        st.setInt(from + 6, c.cancelled());
        st.setDouble(from + 7, c.weightTotal());
        st.setDouble(from + 8, c.weightCompleted());
    }

    void insertTasks(Collection<TaskRow> tasks) {
        run(insertTask, tasks, (st, t) -> {
            st.setLong(1, t.pk());
            st.setString(2, t.swarmId());
            st.setString(3, t.id());
            st.setString(4, t.title());
            st.setString(5, t.description());
            st.setString(6, t.role());
            st.setString(7, t.agent());
            st.setInt(8, t.priority());
            st.setDouble(9, t.weight());
            st.setString(10, StoreJson.strings(t.dependsOn()));
            st.setString(11, StoreJson.strings(t.files()));
            st.setString(12, t.run());
            st.setInt(13, t.maxAttempts());
            st.setLong(14, secondsToMillis(t.timeoutS()));
            st.setLong(15, secondsToMillis(t.backoffS()));
            setMutable(st, 16, t);
            setTime(st, 24, t.createdAt());
            setTime(st, 25, t.startedAt());
            setTime(st, 26, t.finishedAt());
        });
    }

    void updateTasks(Collection<TaskRow> tasks) {
        run(updateTask, tasks, (st, t) -> {
            setMutable(st, 1, t);
            setTime(st, 9, t.startedAt());
            setTime(st, 10, t.finishedAt());
            st.setLong(11, t.pk());
        });
    }

    /** state, attempt, assigned_agent, result, error, blocked_by, not_before, deadline. */
    private static void setMutable(PreparedStatement st, int from, TaskRow t) throws SQLException {
        st.setString(from, SqliteRows.storedState(t.state()));
        st.setInt(from + 1, t.attempt());
        st.setString(from + 2, t.assignedAgent());
        st.setString(from + 3, t.result());
        st.setString(from + 4, t.error());
        st.setString(from + 5, t.blockedBy().isEmpty() ? null : StoreJson.strings(t.blockedBy()));
        setTime(st, from + 6, t.notBefore());
        setTime(st, from + 7, t.deadline());
    }

    private static void setTime(PreparedStatement st, int index, Instant at) throws SQLException {
        if (at == null) {
            st.setNull(index, Types.INTEGER);
        } else {
            st.setLong(index, at.toEpochMilli());
        }
    }

    void putAgents(List<AgentRow> agents) {
        run(putAgent, agents, (st, a) -> {
            st.setString(1, a.id());
            st.setString(2, a.name());
            st.setString(3, StoreJson.strings(a.roles().stream().sorted().toList()));
            st.setInt(4, a.maxTasks());
            st.setString(5, StoreJson.strings(a.allowedPaths()));
            st.setString(6, a.status().wire());
            setTime(st, 7, a.registeredAt());
            setTime(st, 8, a.lastHeartbeat());
            setTime(st, 9, a.expiresAt());
        });
    }

    void putLocks(List<LockRow> locks) {
        run(putLock, locks, (st, l) -> {
            st.setString(1, l.workspace());
            st.setString(2, l.path().value());
            st.setString(3, l.agentId());
            st.setString(4, l.mode().wire());
            st.setString(5, l.taskId());
            st.setLong(6, l.token());
            setTime(st, 7, l.acquiredAt());
            setTime(st, 8, l.expiresAt());
        });
    }

    void removeLocks(List<LockRow.Key> keys) {
        run(removeLock, keys, (st, k) -> {
            st.setString(1, k.workspace());
            st.setString(2, k.path());
            st.setString(3, k.agentId());
        });
    }

    /** Starts the batch's transaction, taking the write lock at once. */
    void begin() {
        execute(begin, "begin");
    }

    void commit() {
        execute(commit, "commit");
    }

    void rollback() {
        execute(rollback, "roll back");
    }

    private static void execute(PreparedStatement statement, String what) {
        try {
            statement.execute();
        } catch (SQLException e) {
            throw new StoreFailure("cannot " + what + " a SQLite transaction: " + e.getMessage(), e);
        }
    }

    void saveFencingToken(long token) {
        run(saveToken, List.of(token), (st, t) -> st.setLong(1, t));
    }

    void insertEvents(List<Event> events) {
        run(insertEvent, events, (st, e) -> {
            st.setString(1, e.swarmId());
            st.setLong(2, e.seq());
            st.setString(3, e.type());
            st.setString(4, e.taskId());
            st.setString(5, e.agentId());
            st.setLong(6, e.at().toEpochMilli());
            st.setString(7, StoreJson.object(e.data()));
        });
    }

    private interface Binder<T> {
        void bind(PreparedStatement statement, T row) throws SQLException;
    }

    private static <T> void run(PreparedStatement statement, Collection<T> rows, Binder<T> binder) {
        if (rows.isEmpty()) {
            return;
        }
        try {
            for (T row : rows) {
                binder.bind(statement, row);
                statement.addBatch();
            }
            statement.executeBatch();
        } catch (SQLException e) {
            throw new StoreFailure("cannot write to SQLite: " + e.getMessage(), e);
        } finally {
            try {
                statement.clearBatch();
            } catch (SQLException ignored) {
                // the statement is reused; a failed clear surfaces on its next use
            }
        }
    }

    @Override
    public void close() {
        for (PreparedStatement st : List.of(insertSwarm, updateSwarm, insertTask, updateTask, insertEvent,
                putAgent, putLock, removeLock, saveToken, begin, commit, rollback)) {
            try {
                st.close();
            } catch (SQLException ignored) {
                // closing with the connection
            }
        }
    }
}
