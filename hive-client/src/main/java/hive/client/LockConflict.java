package hive.client;

import java.time.Instant;

/**
 * A requested path and what stands in its way (an entry of {@code conflicts} in a refused
 * acquire): another agent's lock that overlaps it or, when {@code queued}, another agent's
 * earlier request that waits for it.
 *
 * @param path      the requested path
 * @param heldBy    the agent in the way
 * @param expiresAt when its lock (or its wait) ends
 * @param heldPath  the path it holds (or waits for), which overlaps {@code path}; may be null
 * @param mode      the mode it holds (or asks for); may be null
 */
public record LockConflict(String path, String heldBy, Instant expiresAt, String heldPath, LockMode mode,
        boolean queued) {
}
