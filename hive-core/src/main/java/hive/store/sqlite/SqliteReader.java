package hive.store.sqlite;

import static hive.store.sqlite.SqliteRows.SWARM;
import static hive.store.sqlite.SqliteRows.SWARM_COLUMNS;
import static hive.store.sqlite.SqliteRows.TASK;
import static hive.store.sqlite.SqliteRows.TASK_COLUMNS;

import hive.events.Event;
import hive.schedule.TaskState;
import hive.store.StoreJson;
import hive.store.StoreReader;
import hive.store.SwarmRow;
import hive.store.TaskRow;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;

/**
 * {@link StoreReader} in SQL, on a read connection inside a read transaction (one WAL snapshot).
 * Every query is an index lookup (see {@code V1__engine.sql}). Used by one thread at a time.
 */
final class SqliteReader implements StoreReader {

    private final Handle handle;

    SqliteReader(Handle handle) {
        this.handle = handle;
    }

    @Override
    public Optional<SwarmRow> swarm(String swarmId) {
        return handle.createQuery("SELECT " + SWARM_COLUMNS + " FROM swarms WHERE id = ?")
                .bind(0, swarmId).map(SWARM).findOne();
    }

    @Override
    public List<SwarmRow> swarms() {
        return handle.createQuery("SELECT " + SWARM_COLUMNS + " FROM swarms ORDER BY created_at, id")
                .map(SWARM).list();
    }

    @Override
    public Optional<TaskRow> task(String swarmId, String taskId) {
        return handle.createQuery("SELECT " + TASK_COLUMNS + " FROM tasks WHERE swarm_id = ? AND id = ?")
                .bind(0, swarmId).bind(1, taskId).map(TASK).findOne();
    }

    @Override
    public Map<String, TaskRow> tasks(String swarmId, Collection<String> taskIds) {
        Map<String, TaskRow> found = new LinkedHashMap<>();
        List<String> ids = List.copyOf(taskIds);
        for (int from = 0; from < ids.size(); from += 500) {
            List<String> chunk = ids.subList(from, Math.min(ids.size(), from + 500));
            handle.createQuery("SELECT " + TASK_COLUMNS + " FROM tasks WHERE swarm_id = :swarm AND id IN (<ids>)")
                    .bind("swarm", swarmId).bindList("ids", chunk).map(TASK)
                    .forEach(t -> found.put(t.id(), t));
        }
        return found;
    }

    @Override
    public List<TaskRow> tasks(String swarmId, Optional<TaskState> state) {
        if (state.isPresent()) {
            return handle.createQuery("SELECT " + TASK_COLUMNS + " FROM tasks WHERE swarm_id = ? AND state = ?"
                    + " ORDER BY pk").bind(0, swarmId).bind(1, state.get().wire()).map(TASK).list();
        }
        return handle.createQuery("SELECT " + TASK_COLUMNS + " FROM tasks WHERE swarm_id = ? ORDER BY pk")
                .bind(0, swarmId).map(TASK).list();
    }

    @Override
    public List<TaskRow> dependents(long taskPk) {
        return handle.createQuery("SELECT " + TASK_COLUMNS + " FROM tasks WHERE pk IN"
                + " (SELECT task_pk FROM task_deps WHERE dep_pk = ?) ORDER BY pk").bind(0, taskPk).map(TASK).list();
    }

    @Override
    public List<TaskRow> dependencies(long taskPk) {
        return handle.createQuery("SELECT " + TASK_COLUMNS + " FROM tasks WHERE pk IN"
                + " (SELECT dep_pk FROM task_deps WHERE task_pk = ?) ORDER BY pk").bind(0, taskPk).map(TASK).list();
    }

    @Override
    public List<TaskRow> readyQueue(String swarmId, boolean runnableOnly, QueuePosition after, int limit) {
        String cursor = after == null ? ""
                : " AND (tasks.priority < :p OR (tasks.priority = :p AND tasks.pk > :pk))";
        String runnable = !runnableOnly ? ""
                : " AND EXISTS (SELECT 1 FROM swarms s WHERE s.id = tasks.swarm_id AND s.paused = 0 AND s.cancelled = 0)";
        String sql = "SELECT " + TASK_COLUMNS + " FROM tasks WHERE tasks.state = 'ready'"
                + (swarmId != null ? " AND tasks.swarm_id = :swarm" : "") + cursor + runnable
                + " ORDER BY tasks.priority DESC, tasks.pk LIMIT :limit";
        var query = handle.createQuery(sql).bind("limit", limit);
        if (swarmId != null) {
            query.bind("swarm", swarmId);
        }
        if (after != null) {
            query.bind("p", after.priority()).bind("pk", after.pk());
        }
        return query.map(TASK).list();
    }

    @Override
    public List<TaskRow> dueRetries(Instant now, int limit) {
        return handle.createQuery("SELECT " + TASK_COLUMNS + " FROM tasks WHERE state = 'pending'"
                        + " AND not_before IS NOT NULL AND not_before <= ? ORDER BY not_before LIMIT ?")
                .bind(0, now.toEpochMilli()).bind(1, limit).map(TASK).list();
    }

    @Override
    public List<TaskRow> overdue(Instant now, int limit) {
        return handle.createQuery("SELECT " + TASK_COLUMNS + " FROM tasks WHERE state = 'in_progress'"
                        + " AND deadline <= ? ORDER BY deadline LIMIT ?")
                .bind(0, now.toEpochMilli()).bind(1, limit).map(TASK).list();
    }

    @Override
    public int inProgressCount(String agentId) {
        return handle.createQuery("SELECT count(*) FROM tasks WHERE state = 'in_progress' AND assigned_agent = ?")
                .bind(0, agentId).mapTo(Integer.class).one();
    }

    @Override
    public List<Event> events(String swarmId, long afterSeq, int limit) {
        return handle.createQuery("SELECT swarm_id, seq, type, task_id, agent_id, at, data FROM events"
                        + " WHERE swarm_id = ? AND seq > ? ORDER BY seq LIMIT ?")
                .bind(0, swarmId).bind(1, afterSeq).bind(2, limit)
                .map((rs, ctx) -> new Event(rs.getString(1), rs.getLong(2), rs.getString(3), rs.getString(4),
                        rs.getString(5), Instant.ofEpochMilli(rs.getLong(6)), StoreJson.object(rs.getString(7))))
                .list();
    }
}
