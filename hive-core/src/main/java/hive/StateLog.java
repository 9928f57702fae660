package hive;

import hive.agents.Agent;
import hive.agents.Departure;
import hive.events.Event;
import hive.locks.AcquireResult;
import hive.locks.Lock;
import hive.locks.LockRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;
import org.slf4j.spi.LoggingEventBuilder;

/**
 * The server's record of what it changed: one structured line per state change, at INFO, under
 * the logger {@code hive.Hive}, with a short fixed message ({@code "task started"}) and key-value
 * pairs with the same keys everywhere ({@code swarm}, {@code task}, {@code agent}, {@code attempt},
 * {@code workspace}, {@code paths}, {@code token}, ...; docs/api.md lists them). {@link Hive} calls
 * it once an operation is committed (applied, for a release), never from inside one, so a change
 * that was rolled back is never logged. Task and swarm changes are written from the events the
 * operation appended, so the log and the event stream tell the same story; the tasks a change
 * moved on the way (dependents made ready, blocked or unblocked) are one line per operation.
 *
 * <p>Cheap when INFO is off: every method checks the level before it builds anything (or only
 * touches the fluent API's no-op builder). Stateless; thread-safe.
 */
final class StateLog {

    /** The facade's logger: every state change is logged as {@code hive.Hive}, whichever class found it. */
    private static final Logger log = LoggerFactory.getLogger(Hive.class);

    private StateLog() {
    }

    // --- swarms and tasks ---

    /** The task and swarm changes of one committed operation, from its events, in order. */
    static void events(List<Event> events) {
        if (events.isEmpty() || !log.isInfoEnabled()) {
            return;
        }
        int i = 0;
        while (i < events.size()) {
            Event e = events.get(i);
            int end = i + 1;
            if (isMovedOnTheWay(e.type())) {
                while (end < events.size() && events.get(end).type().equals(e.type())
                        && events.get(end).swarmId().equals(e.swarmId())) {
                    end++;
                }
                moved(events.subList(i, end));
            } else {
                event(e);
            }
            i = end;
        }
    }

    private static boolean isMovedOnTheWay(String type) {
        return type.equals("task_ready") || type.equals("task_blocked") || type.equals("task_unblocked");
    }

    private static void event(Event e) {
        Map<String, Object> data = e.data();
        switch (e.type()) {
            case "swarm_created" -> swarm("swarm created", e)
                    .addKeyValue("name", data.get("name"))
                    .addKeyValue("workspace", data.get("workspace"))
                    .addKeyValue("task_count", data.get("task_count"))
                    .log();
            case "tasks_added" -> swarm("tasks added", e)
                    .addKeyValue("tasks", data.get("task_ids"))
                    .addKeyValue("task_count", data.get("count"))
                    .log();
            case "swarm_paused" -> swarm("swarm paused", e).log();
            case "swarm_resumed" -> swarm("swarm resumed", e).log();
            case "swarm_cancelled" -> swarm("swarm cancelled", e)
                    .addKeyValue("task_count", data.get("cancelled_tasks"))
                    .log();
            case "swarm_completed" -> swarm("swarm completed", e).addKeyValue("previous", data.get("previous")).log();
            case "swarm_failed" -> swarm("swarm failed", e).addKeyValue("previous", data.get("previous")).log();
            case "swarm_running" -> swarm("swarm running", e).addKeyValue("previous", data.get("previous")).log();
            case "task_started" -> task("task started", e).addKeyValue("attempt", data.get("attempt")).log();
            case "task_completed" -> task("task completed", e).addKeyValue("attempt", data.get("attempt")).log();
            case "task_failed" -> {
                if (Boolean.TRUE.equals(data.get("will_retry"))) {
                    LoggingEventBuilder line = task("task retry scheduled", e)
                            .addKeyValue("attempt", data.get("attempt"))
                            .addKeyValue("error", data.get("error"));
                    if (data.get("not_before") != null) {
                        line.addKeyValue("not_before", data.get("not_before"));
                    }
                    line.log();
                } else {
                    task("task failed", e)
                            .addKeyValue("attempt", data.get("attempt"))
                            .addKeyValue("error", data.get("error"))
                            .log();
                }
            }
            case "task_requeued" -> task("task requeued", e)
                    .addKeyValue("attempt", data.get("attempt"))
                    .addKeyValue("reason", data.get("reason"))
                    .log();
            case "task_retried" -> task("task retried", e).log();
            case "task_timed_out" -> {
                // one change, one line: the failure that follows says "timed out"
            }
            default -> { // an event this class does not know yet: its type, as words
                if (e.taskId() != null) {
                    task(e.type().replace('_', ' '), e).log();
                } else {
                    swarm(e.type().replace('_', ' '), e).log();
                }
            }
        }
    }

    /** A run of tasks of one swarm that one operation made ready, blocked or unblocked. */
    private static void moved(List<Event> run) {
        Event first = run.getFirst();
        List<String> tasks = new ArrayList<>(run.size());
        Set<Object> roots = new LinkedHashSet<>();
        for (Event e : run) {
            tasks.add(e.taskId());
            if (e.data().get("blocked_by") instanceof List<?> blockedBy) {
                roots.addAll(blockedBy);
            }
        }
        LoggingEventBuilder line = log.atInfo()
                .setMessage(switch (first.type()) {
                    case "task_ready" -> "tasks ready";
                    case "task_blocked" -> "tasks blocked";
                    default -> "tasks unblocked";
                })
                .addKeyValue("swarm", first.swarmId())
                .addKeyValue("tasks", tasks)
                .addKeyValue("task_count", tasks.size());
        if (!roots.isEmpty()) {
            line.addKeyValue("blocked_by", List.copyOf(roots));
        }
        line.log();
    }

    private static LoggingEventBuilder swarm(String message, Event e) {
        return log.atInfo().setMessage(message).addKeyValue("swarm", e.swarmId());
    }

    private static LoggingEventBuilder task(String message, Event e) {
        LoggingEventBuilder line = swarm(message, e).addKeyValue("task", e.taskId());
        return e.agentId() == null ? line : line.addKeyValue("agent", e.agentId());
    }

    // --- agents ---

    static void registered(Agent agent) {
        log.atInfo().setMessage("agent registered")
                .addKeyValue("agent", agent.id())
                .addKeyValue("roles", agent.roles().stream().sorted().toList())
                .addKeyValue("max_tasks", agent.maxTasks())
                .log();
    }

    /** An agent left: the agent, then what was taken back from it. */
    static void left(Departure left) {
        if (!log.isInfoEnabled()) {
            return;
        }
        log.atInfo().setMessage("agent left").addKeyValue("agent", left.agent().id()).log();
        events(left.events());
        released(left.agent().id(), left.locks(), "agent left");
    }

    /** An agent went silent past its session timeout: the agent, then what was taken back from it. */
    static void lost(Departure lost, Duration timeout) {
        if (!log.isInfoEnabled()) {
            return;
        }
        log.atInfo().setMessage("agent lost")
                .addKeyValue("agent", lost.agent().id())
                .addKeyValue("last_heartbeat", lost.agent().lastHeartbeat())
                .addKeyValue("timeout_s", timeout.toSeconds())
                .log();
        events(lost.events());
        released(lost.agent().id(), lost.locks(), "agent lost");
    }

    // --- locks ---

    /** A grant; {@code waitMs} is how long the request waited, or negative for one that could not wait. */
    static void granted(LockRequest request, AcquireResult.Granted granted, long waitMs) {
        if (!log.isInfoEnabled()) {
            return;
        }
        LoggingEventBuilder line = log.atInfo().setMessage("locks granted")
                .addKeyValue("agent", request.agentId())
                .addKeyValue("workspace", request.workspace())
                .addKeyValue("paths", request.paths())
                .addKeyValue("mode", request.mode().wire())
                .addKeyValue("token", granted.token());
        if (request.taskId() != null) {
            line.addKeyValue("task", request.taskId());
        }
        if (waitMs >= 0) {
            line.addKeyValue("wait_ms", waitMs);
        }
        line.log();
    }

    static void waitTimedOut(LockRequest request, AcquireResult.Conflicted conflicted, long waitMs) {
        if (!log.isInfoEnabled()) {
            return;
        }
        Set<String> holders = new LinkedHashSet<>();
        conflicted.conflicts().forEach(c -> holders.add(c.heldBy()));
        log.atInfo().setMessage("lock wait timed out")
                .addKeyValue("agent", request.agentId())
                .addKeyValue("workspace", request.workspace())
                .addKeyValue("paths", request.paths())
                .addKeyValue("wait_ms", waitMs)
                .addKeyValue("held_by", List.copyOf(holders))
                .log();
    }

    static void deadlocked(LockRequest request, AcquireResult.Deadlocked deadlocked) {
        log.atInfo().setMessage("lock wait refused: deadlock")
                .addKeyValue("agent", request.agentId())
                .addKeyValue("workspace", request.workspace())
                .addKeyValue("paths", request.paths())
                .addKeyValue("cycle", deadlocked.cycle())
                .log();
    }

    /** Locks the agent released ({@code reason}: why, when it did not ask; null when it did). */
    static void released(String agentId, List<Lock> released, String reason) {
        if (released.isEmpty() || !log.isInfoEnabled()) {
            return;
        }
        for (Map.Entry<String, List<String>> workspace : pathsByWorkspace(released).entrySet()) {
            LoggingEventBuilder line = log.atInfo().setMessage("locks released")
                    .addKeyValue("agent", agentId)
                    .addKeyValue("workspace", workspace.getKey())
                    .addKeyValue("paths", workspace.getValue());
            if (reason != null) {
                line.addKeyValue("reason", reason);
            }
            line.log();
        }
    }

    /** Renewals keep who holds what: DEBUG, not INFO. */
    static void renewed(String agentId, List<Lock> renewed, Duration ttl) {
        if (renewed.isEmpty() || !log.isDebugEnabled()) {
            return;
        }
        for (Map.Entry<String, List<String>> workspace : pathsByWorkspace(renewed).entrySet()) {
            log.atLevel(Level.DEBUG).setMessage("locks renewed")
                    .addKeyValue("agent", agentId)
                    .addKeyValue("workspace", workspace.getKey())
                    .addKeyValue("paths", workspace.getValue())
                    .addKeyValue("ttl_ms", ttl.toMillis())
                    .log();
        }
    }

    /** Leases the sweep broke: one line per agent and workspace. */
    static void expired(List<Lock> expired) {
        if (expired.isEmpty() || !log.isInfoEnabled()) {
            return;
        }
        Map<String, List<Lock>> byAgent = new LinkedHashMap<>();
        for (Lock lock : expired) {
            byAgent.computeIfAbsent(lock.agentId(), a -> new ArrayList<>()).add(lock);
        }
        for (Map.Entry<String, List<Lock>> agent : byAgent.entrySet()) {
            for (Map.Entry<String, List<String>> workspace : pathsByWorkspace(agent.getValue()).entrySet()) {
                log.atInfo().setMessage("locks expired")
                        .addKeyValue("agent", agent.getKey())
                        .addKeyValue("workspace", workspace.getKey())
                        .addKeyValue("paths", workspace.getValue())
                        .log();
            }
        }
    }

    private static Map<String, List<String>> pathsByWorkspace(List<Lock> locks) {
        Map<String, List<String>> paths = new LinkedHashMap<>();
        for (Lock lock : locks) {
            paths.computeIfAbsent(lock.workspace(), w -> new ArrayList<>()).add(lock.path());
        }
        return paths;
    }
}
