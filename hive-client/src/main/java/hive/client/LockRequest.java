package hive.client;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A lock request (API.md {@code POST /api/locks/acquire}): what {@link HiveClient#acquire} sends.
 * All or nothing: either every path is locked, or none. Immutable: each setter-like method
 * returns a copy.
 * <pre>{@code
 * LockRequest.of("worker-1", "src/api/", "docs/api.md").shared().waitUpTo(Duration.ofSeconds(10))
 * }</pre>
 *
 * @param agentId   the agent that will hold the locks (required)
 * @param paths     files, directories ({@code src/}) or globs ({@code src/**}{@code /*.ts}); at least one
 * @param mode      exclusive (the default) or shared
 * @param ttl       how long the locks live unless renewed; null: the server's default (30 min)
 * @param maxWait   how long to wait for the paths ({@link Duration#ZERO}: not at all; at most 60 s)
 * @param taskId    the task they are for, or null
 * @param workspace the namespace of the paths; null: {@code default}
 */
public record LockRequest(String agentId, List<String> paths, LockMode mode, Duration ttl, Duration maxWait,
        String taskId, String workspace) {

    public LockRequest {
        Objects.requireNonNull(agentId, "agentId");
        paths = List.copyOf(paths);
        if (paths.isEmpty()) {
            throw new IllegalArgumentException("a lock request needs at least one path");
        }
        mode = mode == null ? LockMode.EXCLUSIVE : mode;
        maxWait = maxWait == null ? Duration.ZERO : maxWait;
        if (maxWait.isNegative() || (ttl != null && (ttl.isNegative() || ttl.isZero()))) {
            throw new IllegalArgumentException("wait must not be negative and ttl must be positive");
        }
    }

    /** An exclusive request for {@code paths}, in the default workspace, that does not wait. */
    public static LockRequest of(String agentId, String... paths) {
        return new LockRequest(agentId, List.of(paths), LockMode.EXCLUSIVE, null, Duration.ZERO, null, null);
    }

    /** As {@link #of(String, String...)}, for a list of paths. */
    public static LockRequest of(String agentId, List<String> paths) {
        return new LockRequest(agentId, paths, LockMode.EXCLUSIVE, null, Duration.ZERO, null, null);
    }

    public LockRequest mode(LockMode mode) {
        return new LockRequest(agentId, paths, mode, ttl, maxWait, taskId, workspace);
    }

    public LockRequest shared() {
        return mode(LockMode.SHARED);
    }

    public LockRequest ttl(Duration ttl) {
        return new LockRequest(agentId, paths, mode, ttl, maxWait, taskId, workspace);
    }

    /** Waits up to {@code maxWait} (at most 60 s) for the paths, in turn with the other waiters. */
    public LockRequest waitUpTo(Duration maxWait) {
        return new LockRequest(agentId, paths, mode, ttl, maxWait, taskId, workspace);
    }

    public LockRequest forTask(String taskId) {
        return new LockRequest(agentId, paths, mode, ttl, maxWait, taskId, workspace);
    }

    public LockRequest inWorkspace(String workspace) {
        return new LockRequest(agentId, paths, mode, ttl, maxWait, taskId, workspace);
    }
}
