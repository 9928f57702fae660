package hive.schedule;

import hive.events.Event;
import java.util.List;

/**
 * What a scheduler operation came to: its answer, and the events it appended, in order — the
 * record of every task and swarm state change it made, including those it made on the way
 * (dependents made ready or blocked, retries whose backoff passed, a swarm that completed). The
 * caller reports them once the operation is committed.
 */
public record Outcome<T>(T value, List<Event> events) {

    public Outcome {
        events = List.copyOf(events);
    }
}
