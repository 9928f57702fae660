package hive.events;

import java.time.Instant;
import java.util.Map;

/**
 * One entry of a swarm's event log. {@code seq} numbers a swarm's events 1, 2, 3, ... without
 * gaps, in commit order, so a reader can resume after the last one it saw. {@code data} holds the
 * event's own fields (for example {@code attempt}, {@code error}, {@code blocked_by}).
 */
public record Event(
        String swarmId,
        long seq,
        String type,
        String taskId,
        String agentId,
        Instant at,
        Map<String, Object> data) {

    public Event {
        data = data == null ? Map.of() : Map.copyOf(data);
    }
}
