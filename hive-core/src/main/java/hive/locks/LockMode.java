package hive.locks;

import java.util.Locale;

/** How a path is locked: {@code exclusive} conflicts with everything, {@code shared} only with exclusive. */
public enum LockMode {
    EXCLUSIVE,
    SHARED;

    private final String wire = name().toLowerCase(Locale.ROOT);

    public String wire() {
        return wire;
    }

    public static LockMode ofWire(String wire) {
        return valueOf(wire.toUpperCase(Locale.ROOT));
    }

    /** Whether a lock in this mode and one in {@code other} may be held at once by two agents. */
    public boolean compatibleWith(LockMode other) {
        return this == SHARED && other == SHARED;
    }

    /** The stronger of the two: what an agent holds after asking again in another mode. */
    public LockMode strongest(LockMode other) {
        return this == EXCLUSIVE || other == EXCLUSIVE ? EXCLUSIVE : SHARED;
    }
}
