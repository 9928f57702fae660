package hive.schedule;

import java.util.Locale;

/**
 * The states of a task (API.md, "Task states").
 * <pre>
 * pending ──deps completed, backoff passed──▶ ready ──claim/start──▶ in_progress ──▶ completed
 *    ▲                                                                   │
 *    └────────────── failed attempt with attempts left ◀────────────────┴──▶ failed
 * a dependency failed, blocked or cancelled ──▶ blocked      swarm cancelled ──▶ cancelled
 * </pre>
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

    /** The name used in the API and in the store: {@code in_progress}. */
    public String wire() {
        return wire;
    }

    public static TaskState ofWire(String wire) {
        return valueOf(wire.toUpperCase(Locale.ROOT));
    }

    /** No transition leaves this state on its own: only a retry (failed, blocked) revives it. */
    public boolean isFinished() {
        return this == COMPLETED || this == FAILED || this == BLOCKED || this == CANCELLED;
    }
}
