package hive.store.sqlite;

import static hive.store.RowMappers.SWARM;
import static hive.store.RowMappers.SWARM_COLUMNS;
import static hive.store.RowMappers.TASK;
import static hive.store.sqlite.SqliteRows.TASK_COLUMNS;

import hive.events.Event;
import hive.schedule.TaskState;
import hive.store.AgentRow;
import hive.store.LockRow;
import hive.store.RowMappers;
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
 * Every query is an index lookup (see {@code V1__engine.sql}), except the listings of a swarm's
 * tasks. Used by one thread at a time.
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
            // by the derived state (see SqliteRows): 'ready' is not stored
            return handle.createQuery("SELECT * FROM (SELECT " + TASK_COLUMNS + " FROM tasks WHERE swarm_id = ?"
                    + " ORDER BY pk) WHERE derived_state = ?").bind(0, swarmId).bind(1, state.get().wire())
                    .map(TASK).list();
        }
        return handle.createQuery("SELECT " + TASK_COLUMNS + " FROM tasks WHERE swarm_id = ? ORDER BY pk")
                .bind(0, swarmId).map(TASK).list();
    }

    @Override
    public Optional<AgentRow> agent(String agentId) {
        return handle.createQuery("SELECT " + RowMappers.AGENT_COLUMNS + " FROM agents WHERE id = ?")
                .bind(0, agentId).map(RowMappers.AGENT).findOne();
    }

    @Override
    public List<AgentRow> agents() {
        return handle.createQuery("SELECT " + RowMappers.AGENT_COLUMNS + " FROM agents ORDER BY id")
                .map(RowMappers.AGENT).list();
    }

    @Override
    public List<LockRow> locks(String workspace) {
        if (workspace == null) {
            return handle.createQuery("SELECT " + RowMappers.LOCK_COLUMNS + " FROM locks ORDER BY workspace, path,"
                    + " agent_id").map(RowMappers.LOCK).list();
        }
        return handle.createQuery("SELECT " + RowMappers.LOCK_COLUMNS + " FROM locks WHERE workspace = ?"
                + " ORDER BY path, agent_id").bind(0, workspace).map(RowMappers.LOCK).list();
    }

    @Override
    public List<Event> events(String swarmId, long afterSeq, int limit) {
        return handle.createQuery(RowMappers.EVENTS_AFTER).bind(0, swarmId).bind(1, afterSeq).bind(2, limit)
                .map(RowMappers.EVENT).list();
    }
}
