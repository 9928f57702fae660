package hive.store;

import hive.plan.PlanDefaults;
import hive.schedule.Swarm;
import hive.schedule.SwarmStatus;
import java.time.Instant;

/**
 * A swarm as stored: its identity, flags and the counters kept with every task transition, from
 * which its status and progress are read without looking at its tasks. {@code lastEventSeq} is the
 * number of its latest event.
 */
public record SwarmRow(
        String id,
        String name,
        String goal,
        String workspace,
        PlanDefaults defaults,
        Instant createdAt,
        boolean paused,
        boolean cancelled,
        Counters counters,
        long lastEventSeq) {

    public SwarmStatus status() {
        if (cancelled) {
            return SwarmStatus.CANCELLED;
        }
        if (counters.total() > 0 && counters.completed() == counters.total()) {
            return SwarmStatus.COMPLETED;
        }
        if (counters.pending() + counters.ready() + counters.inProgress() == 0
                && counters.failed() + counters.blocked() > 0) {
            return SwarmStatus.FAILED;
        }
        return paused ? SwarmStatus.PAUSED : SwarmStatus.RUNNING;
    }

    public Swarm toSwarm() {
        return new Swarm(id, name, goal, workspace, status(), createdAt, counters.total());
    }
}
