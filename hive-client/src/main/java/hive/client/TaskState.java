package hive.client;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * The states of a task (API.md "Task states"), by their wire names ({@code in_progress}).
 * {@code pending} waits for dependencies (or a retry's backoff), {@code ready} may be claimed,
 * {@code in_progress} is held by one agent; the other four are final until a retry.
 */
public enum TaskState {
    PENDING,
    READY,
    IN_PROGRESS,
    COMPLETED,
    FAILED,
    BLOCKED,
    CANCELLED;

    private final String wire = name().toLowerCase(Locale.ROOT);

    /** The name used in the API: {@code in_progress}. */
    @JsonValue
    public String wire() {
        return wire;
    }

    /** No transition leaves this state on its own: only a retry (failed, blocked) revives it. */
    public boolean isFinished() {
        return this == COMPLETED || this == FAILED || this == BLOCKED || this == CANCELLED;
    }
}
