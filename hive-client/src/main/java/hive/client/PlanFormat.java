package hive.client;

/**
 * The language of a plan's text (API.md "Plans"): sent as {@code application/json} or
 * {@code application/yaml}. The client sends the text as it is; the server parses and validates it.
 */
public enum PlanFormat {
    JSON("application/json"),
    YAML("application/yaml");

    private final String contentType;

    PlanFormat(String contentType) {
        this.contentType = contentType;
    }

    /** The {@code Content-Type} the plan is sent with. */
    public String contentType() {
        return contentType;
    }
}
