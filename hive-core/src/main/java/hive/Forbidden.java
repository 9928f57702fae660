package hive;

/**
 * A request made for an agent that may not make it: completing or failing a task that another
 * agent holds. Nothing was changed. Maps to {@code 403}.
 */
public final class Forbidden extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public Forbidden(String reason) {
        super(reason);
    }
}
