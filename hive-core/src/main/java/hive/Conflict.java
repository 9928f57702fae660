package hive;

/**
 * A request that the current state does not allow: a task that is not ready, held by another
 * agent, already finished; a swarm that is cancelled. Nothing was changed. Maps to {@code 409}.
 * {@link #reason()} is a sentence fit for a person or an agent's log.
 */
public final class Conflict extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public Conflict(String reason) {
        super(reason);
    }

    public String reason() {
        return getMessage();
    }
}
