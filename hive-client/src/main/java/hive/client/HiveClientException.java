package hive.client;

/**
 * A call of {@link HiveClient} that did not end with an answer it could read. Two kinds cover
 * nearly every case: {@link HiveApiException}, the server answered with an error, and
 * {@link HiveConnectionException}, no answer came. This class itself is thrown for an answer the
 * client cannot read (a success whose body is not the JSON the API describes): a bug on one side
 * or a proxy in the way.
 */
public class HiveClientException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public HiveClientException(String message) {
        super(message);
    }

    public HiveClientException(String message, Throwable cause) {
        super(message, cause);
    }
}
