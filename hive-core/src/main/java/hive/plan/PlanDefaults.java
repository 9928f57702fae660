package hive.plan;

/**
 * The defaults a plan gives its tasks (its {@code defaults} object, over the built-in ones).
 * Kept with the swarm so that tasks added later get the same defaults.
 */
public record PlanDefaults(int maxAttempts, double timeoutS, double backoffS, String role) {

    /** The defaults of {@code API.md}: one attempt, 1800 s timeout, 5 s first backoff, any role. */
    public static final PlanDefaults BUILT_IN = new PlanDefaults(1, 1800, 5, null);
}
