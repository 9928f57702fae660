package hive.agents;

import java.util.Locale;

/**
 * The state of an agent's session: {@code active} while it is heard from within the session
 * timeout; {@code lost} once silent for longer; {@code gone} once it left. A lost or gone agent
 * holds nothing: its tasks went back to the queue (or failed) and its locks were released.
 */
public enum AgentStatus {
    ACTIVE,
    LOST,
    GONE;

    private final String wire = name().toLowerCase(Locale.ROOT);

    public String wire() {
        return wire;
    }

    public static AgentStatus ofWire(String wire) {
        return valueOf(wire.toUpperCase(Locale.ROOT));
    }
}
