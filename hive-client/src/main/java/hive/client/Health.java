package hive.client;

/**
 * The answer of {@code GET /health}: {@code status} {@code ok} when the server and its store
 * work, {@code unavailable} (HTTP 503) when the store does not answer, with its error in
 * {@code store}.
 */
public record Health(String status, String store) {

    public boolean isOk() {
        return "ok".equals(status);
    }
}
