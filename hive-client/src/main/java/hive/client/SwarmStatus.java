package hive.client;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * The state of a swarm (API.md "Task states"): {@code completed} when every task completed,
 * {@code failed} when nothing more can run and some task failed or is blocked, {@code cancelled}
 * once cancelled, else {@code paused} or {@code running}.
 */
public enum SwarmStatus {
    RUNNING,
    PAUSED,
    COMPLETED,
    FAILED,
    CANCELLED;

    private final String wire = name().toLowerCase(Locale.ROOT);

    /** The name used in the API: {@code running}. */
    @JsonValue
    public String wire() {
        return wire;
    }

    public boolean isFinished() {
        return this == COMPLETED || this == FAILED || this == CANCELLED;
    }
}
