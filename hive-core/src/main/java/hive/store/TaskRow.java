package hive.store;

import hive.schedule.Task;
import hive.schedule.TaskState;
import java.time.Instant;
import java.util.List;

/**
 * A task as stored: the API fields plus what the scheduler keeps to run it.
 *
 * @param pk            store-wide key; its order is the tasks' age (older first in the ready queue)
 * @param remainingDeps how many of its dependencies have not completed; 0 means it may become ready
 * @param deadline      when the running attempt times out (null unless in progress)
 */
public record TaskRow(
        long pk,
        String swarmId,
        String id,
        String title,
        String description,
        String role,
        String agent,
        int priority,
        double weight,
        List<String> dependsOn,
        List<String> files,
        String run,
        int maxAttempts,
        double timeoutS,
        double backoffS,
        TaskState state,
        int remainingDeps,
        int attempt,
        String assignedAgent,
        String result,
        String error,
        List<String> blockedBy,
        Instant notBefore,
        Instant deadline,
        Instant createdAt,
        Instant startedAt,
        Instant finishedAt) {

    public TaskRow {
        dependsOn = List.copyOf(dependsOn);
        files = List.copyOf(files);
        blockedBy = List.copyOf(blockedBy);
    }

    public Task toTask() {
        return new Task(id, swarmId, title, description, role, agent, priority, weight, dependsOn, files, run,
                state, attempt, maxAttempts, timeoutS, backoffS, assignedAgent, result, error, blockedBy, notBefore,
                createdAt, startedAt, finishedAt);
    }

    /** The mutable part of a task, changed as one unit by {@link StoreTx#updateTask}. */
    public TaskRow with(TaskState state, int remainingDeps, int attempt, String assignedAgent, String result,
            String error, List<String> blockedBy, Instant notBefore, Instant deadline, Instant startedAt,
            Instant finishedAt) {
        return new TaskRow(pk, swarmId, id, title, description, role, agent, priority, weight, dependsOn, files, run,
                maxAttempts, timeoutS, backoffS, state, remainingDeps, attempt, assignedAgent, result, error,
                blockedBy, notBefore, deadline, createdAt, startedAt, finishedAt);
    }

    public TaskRow withState(TaskState newState) {
        return with(newState, remainingDeps, attempt, assignedAgent, result, error, blockedBy, notBefore, deadline,
                startedAt, finishedAt);
    }

    public TaskRow withBlockedBy(TaskState newState, List<String> newBlockedBy) {
        return with(newState, remainingDeps, attempt, assignedAgent, result, error, newBlockedBy, notBefore, deadline,
                startedAt, finishedAt);
    }
}
