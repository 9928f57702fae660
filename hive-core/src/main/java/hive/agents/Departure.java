package hive.agents;

import hive.events.Event;
import hive.locks.Lock;
import hive.store.AgentRow;
import java.util.List;

/**
 * An agent that left or was lost, and what was taken back from it in the same store operation:
 * the agent as it is now ({@code gone} or {@code lost}), the events of its tasks' moves (each
 * requeued, or failed with its dependents blocked), and the locks released.
 */
public record Departure(AgentRow agent, List<Event> events, List<Lock> locks) {

    public Departure {
        events = List.copyOf(events);
        locks = List.copyOf(locks);
    }
}
