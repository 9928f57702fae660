package hive.client;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** How a path is locked: {@code exclusive} conflicts with every other lock, {@code shared} only with exclusive. */
public enum LockMode {
    EXCLUSIVE,
    SHARED;

    private final String wire = name().toLowerCase(Locale.ROOT);

    /** The name used in the API: {@code exclusive}. */
    @JsonValue
    public String wire() {
        return wire;
    }
}
