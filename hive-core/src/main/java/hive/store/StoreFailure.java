package hive.store;

/** The store could not do what was asked (a failed commit, a lost connection). Nothing was applied. */
public final class StoreFailure extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public StoreFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
