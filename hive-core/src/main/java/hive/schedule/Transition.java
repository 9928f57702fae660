package hive.schedule;

import hive.NotFound;
import hive.events.Event;
import hive.store.Counters;
import hive.store.StoreTx;
import hive.store.SwarmRow;
import hive.store.TaskRow;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The bookkeeping of one engine operation: it writes task changes, gathers the counter deltas and
 * events of every swarm it touches, and at the end writes each swarm once (counters plus event
 * numbers, {@link StoreTx#advanceSwarm}), then its events, then the swarm's own state change
 * (completed, failed, running again) when there is one. Lives for one operation on one thread.
 */
final class Transition {

    private final StoreTx tx;
    private final Instant now;
    private final Map<String, SwarmTouch> swarms = new LinkedHashMap<>();

    Transition(StoreTx tx, Instant now) {
        this.tx = tx;
        this.now = now;
    }

    StoreTx tx() {
        return tx;
    }

    Instant now() {
        return now;
    }

    /** The swarm as this operation has changed it so far; {@link NotFound} when there is none. */
    SwarmRow swarm(String swarmId) {
        SwarmTouch touch = touch(swarmId);
        if (touch.before == null) {
            touch.before = tx.swarm(swarmId).orElseThrow(() -> NotFound.swarm(swarmId));
            touch.paused = touch.before.paused();
            touch.cancelled = touch.before.cancelled();
        }
        return touch.current();
    }

    private SwarmTouch touch(String swarmId) {
        return swarms.computeIfAbsent(swarmId, id -> new SwarmTouch());
    }

    /** Writes {@code changed}, moving the counters from {@code before}'s state to its own. */
    TaskRow save(TaskRow before, TaskRow changed) {
        tx.updateTask(changed);
        counted(before, changed.state());
        return changed;
    }

    /** Counts a move of {@code task} from its state to {@code to} that the store already wrote. */
    void counted(TaskRow task, TaskState to) {
        if (task.state() != to) {
            touch(task.swarmId()).add(Counters.move(task.state(), to, task.weight()));
        }
    }

    /** Counts changes that the store already wrote (new tasks, bulk cancels). */
    void counted(String swarmId, Counters delta) {
        touch(swarmId).add(delta);
    }

    void swarmFlags(String swarmId, boolean paused, boolean cancelled) {
        swarm(swarmId);
        SwarmTouch touch = touch(swarmId);
        touch.paused = paused;
        touch.cancelled = cancelled;
        tx.updateSwarmFlags(swarmId, paused, cancelled);
    }

    /** Queues an event; it gets its number and is written by {@link #finish()}. */
    void event(String swarmId, String type, TaskRow task, String agentId, Map<String, Object> data) {
        touch(swarmId).events.add(new Event(swarmId, 0, type, task == null ? null : task.id(), agentId, now, data));
    }

    /**
     * Writes every touched swarm's counters and events and records its state changes; returns the
     * events written, numbered, swarm by swarm in the order the swarms were first touched. Call
     * once, last.
     */
    List<Event> finish() {
        List<Event> written = new ArrayList<>();
        for (Map.Entry<String, SwarmTouch> entry : swarms.entrySet()) {
            String swarmId = entry.getKey();
            SwarmTouch touch = entry.getValue();
            if (touch.delta.isZero() && touch.events.isEmpty()) {
                continue;
            }
            SwarmRow after = tx.advanceSwarm(swarmId, touch.delta, touch.events.size());
            SwarmRow before = touch.before != null ? touch.before
                    : new SwarmRow(after.id(), after.name(), after.goal(), after.workspace(), after.defaults(),
                            after.createdAt(), after.paused(), after.cancelled(), after.counters().minus(touch.delta),
                            after.lastEventSeq() - touch.events.size());
            List<Event> numbered = new ArrayList<>(touch.events.size() + 1);
            long seq = after.lastEventSeq() - touch.events.size();
            for (Event e : touch.events) {
                numbered.add(new Event(swarmId, ++seq, e.type(), e.taskId(), e.agentId(), e.at(), e.data()));
            }
            SwarmStatus was = before.status();
            SwarmStatus is = after.status();
            if (was != is && (is == SwarmStatus.COMPLETED || is == SwarmStatus.FAILED
                    || (is == SwarmStatus.RUNNING && was != SwarmStatus.PAUSED))) {
                tx.advanceSwarm(swarmId, Counters.ZERO, 1);
                numbered.add(new Event(swarmId, ++seq, "swarm_" + is.wire(), null, null, now,
                        Map.of("status", is.wire(), "previous", was.wire())));
            }
            tx.insertEvents(numbered);
            written.addAll(numbered);
        }
        return written;
    }

    private static final class SwarmTouch {
        SwarmRow before;
        boolean paused;
        boolean cancelled;
        Counters delta = Counters.ZERO;
        final List<Event> events = new ArrayList<>();

        void add(Counters d) {
            delta = delta.plus(d);
        }

        SwarmRow current() {
            return new SwarmRow(before.id(), before.name(), before.goal(), before.workspace(), before.defaults(),
                    before.createdAt(), paused, cancelled, before.counters().plus(delta),
                    before.lastEventSeq() + events.size());
        }
    }
}
