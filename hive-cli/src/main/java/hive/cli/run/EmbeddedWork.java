package hive.cli.run;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import hive.Conflict;
import hive.Forbidden;
import hive.Hive;
import hive.WaitEnded;
import hive.locks.Lock;
import hive.schedule.Task;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The work of one swarm of an engine in this process ({@code hive run}). The engine takes a
 * task's files for its agent when it hands the task out; the fencing token comes from those locks.
 */
public final class EmbeddedWork implements WorkSource {

    private final Hive hive;
    private final String swarmId;
    private final String workspace;
    private final ObjectMapper json;

    /** @param json writes tasks as the API shows them */
    public EmbeddedWork(Hive hive, String swarmId, ObjectMapper json) {
        this.hive = hive;
        this.swarmId = swarmId;
        this.workspace = hive.swarm(swarmId).workspace();
        this.json = json;
    }

    @Override
    public Optional<Assignment> claim(String agentId, Duration wait) {
        try {
            return hive.claim(agentId, swarmId, wait).map(task -> assignment(task, agentId));
        } catch (WaitEnded e) {
            return Optional.empty();
        }
    }

    @Override
    public boolean finished() {
        return hive.swarm(swarmId).status().isFinished();
    }

    @Override
    public Report complete(Assignment task, String agentId, String result) {
        try {
            hive.complete(task.swarmId(), task.taskId(), agentId, result);
            return Report.RECORDED;
        } catch (Conflict | Forbidden e) {
            return Report.TAKEN_BACK;
        }
    }

    @Override
    public Report fail(Assignment task, String agentId, String error, boolean retryable) {
        try {
            hive.fail(task.swarmId(), task.taskId(), agentId, error, retryable);
            return Report.RECORDED;
        } catch (Conflict | Forbidden e) {
            return Report.TAKEN_BACK;
        }
    }

    @Override
    public void heartbeat(String agentId) {
        hive.heartbeat(agentId);
    }

    private Assignment assignment(Task task, String agentId) {
        String ref = task.swarmId() + "/" + task.id();
        OptionalLong token = task.files().isEmpty() ? OptionalLong.empty()
                : hive.locks(workspace).stream()
                        .filter(lock -> agentId.equals(lock.agentId()) && ref.equals(lock.taskId()))
                        .mapToLong(Lock::token)
                        .max();
        try {
            return new Assignment(task.swarmId(), task.id(), task.title(), task.description(), task.run(),
                    task.attempt(), task.maxAttempts(), task.timeoutS(), token, json.writeValueAsString(task));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write task " + ref + " as JSON", e);
        }
    }
}
