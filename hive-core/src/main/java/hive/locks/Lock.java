package hive.locks;

import java.time.Instant;

/**
 * A lock as the API shows it (API.md, "Resources"): a lease on a path (a file, a directory or a
 * glob) in a workspace, held by one agent, possibly for one of its tasks. {@code token} is the
 * fencing token of the grant that last gave or renewed it.
 */
public record Lock(
        String path,
        String workspace,
        LockMode mode,
        String agentId,
        String taskId,
        long token,
        Instant acquiredAt,
        Instant expiresAt) {
}
