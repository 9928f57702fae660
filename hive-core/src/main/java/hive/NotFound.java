package hive;

/** A swarm, task or agent that does not exist. Maps to {@code 404} at the HTTP edge. */
public final class NotFound extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public NotFound(String message) {
        super(message);
    }

    public static NotFound swarm(String swarmId) {
        return new NotFound("no swarm '" + swarmId + "'");
    }

    public static NotFound task(String swarmId, String taskId) {
        return new NotFound("no task '" + taskId + "' in swarm '" + swarmId + "'");
    }
}
