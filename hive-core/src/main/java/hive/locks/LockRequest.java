package hive.locks;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A request to lock {@code paths} in {@code workspace}, all or nothing (API.md
 * {@code POST /api/locks/acquire}). Paths are normalized on construction; a path that cannot be
 * locked (absolute, escaping the workspace) is refused with {@link IllegalArgumentException}.
 *
 * @param ttl      how long the lease lasts unless renewed
 * @param taskId   the task the locks are for, when there is one (released with it)
 */
public record LockRequest(String agentId, String workspace, List<LockPath> paths, LockMode mode, Duration ttl,
        String taskId) {

    /** API.md defaults: exclusive, 1800 s, workspace "default". */
    public static final Duration DEFAULT_TTL = Duration.ofSeconds(1800);
    public static final String DEFAULT_WORKSPACE = "default";

    public LockRequest {
        Objects.requireNonNull(agentId, "agentId");
        Objects.requireNonNull(workspace, "workspace");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(ttl, "ttl");
        paths = List.copyOf(paths);
        if (paths.isEmpty()) {
            throw new IllegalArgumentException("paths must name at least one path");
        }
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl_s must be positive, got " + ttl.toMillis() / 1000.0);
        }
    }

    /** Exclusive locks on raw paths in the default workspace, for the default time. */
    public static LockRequest exclusive(String agentId, String... paths) {
        return new LockRequest(agentId, DEFAULT_WORKSPACE,
                java.util.Arrays.stream(paths).map(LockPath::parse).toList(), LockMode.EXCLUSIVE, DEFAULT_TTL, null);
    }
}
