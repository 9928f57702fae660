package hive;

/**
 * A claim or lock wait ended before its time because HiveMind is shutting down
 * ({@link Hive#endWaits()}): the caller got neither a task nor a lock. A server answers it as it
 * answers a wait that ran out (a claim: nothing; a lock: refused).
 */
public final class WaitEnded extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    public WaitEnded(String message) {
        super(message);
    }
}
