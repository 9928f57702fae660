package hive.client;

import java.time.Instant;
import java.util.Map;

/**
 * One entry of a swarm's event log, as {@code GET /api/swarms/{id}/events} sends it. {@code seq}
 * numbers a swarm's events 1, 2, 3... without gaps, in commit order; it is the SSE id a stream
 * resumes after.
 *
 * @param type    what happened: {@code swarm_created}, {@code task_ready}, {@code task_started},
 *                {@code task_completed}, {@code task_failed}...
 * @param taskId  the task it is about, or null
 * @param agentId the agent it is about, or null
 * @param data    the event's other fields (for example {@code attempt}, {@code error}), as JSON
 *                values read into maps, lists, strings, numbers and booleans
 */
public record Event(long seq, String type, String swarmId, String taskId, String agentId, Instant at,
        Map<String, Object> data) {

    public Event {
        data = data == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(data));
    }
}
