package hive.client;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * The state of an agent's session (API.md "Agents"): {@code active} while heard from within the
 * session timeout, {@code lost} once silent for longer, {@code gone} once it left. A lost or gone
 * agent holds nothing.
 */
public enum AgentStatus {
    ACTIVE,
    LOST,
    GONE;

    private final String wire = name().toLowerCase(Locale.ROOT);

    /** The name used in the API: {@code active}. */
    @JsonValue
    public String wire() {
        return wire;
    }
}
