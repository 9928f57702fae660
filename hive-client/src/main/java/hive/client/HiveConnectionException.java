package hive.client;

/**
 * No answer came: the server could not be reached, the connection broke, the call timed out,
 * the calling thread was interrupted (its interrupt flag is set again) or the client was closed.
 * The request may or may not have been applied on the server: only the server's state tells.
 * The cause is the underlying {@link java.io.IOException} (a
 * {@link java.net.http.HttpTimeoutException} for a timeout, a {@link java.net.ConnectException}
 * for a refused connection) or {@link InterruptedException}.
 */
public class HiveConnectionException extends HiveClientException {

    private static final long serialVersionUID = 1L;

    public HiveConnectionException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Whether the call ended because it took longer than its timeout. */
    public boolean isTimeout() {
        return getCause() instanceof java.net.http.HttpTimeoutException;
    }
}
