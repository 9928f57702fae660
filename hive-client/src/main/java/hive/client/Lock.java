package hive.client;

import java.time.Instant;

/**
 * A lock as the API shows it (API.md "Resources"): a lease on a path (a file, a directory or a
 * glob) in a workspace, held by one agent, possibly for one of its tasks.
 *
 * @param taskId the task it was taken for, or null
 * @param token  the fencing token of the grant that gave or last renewed it
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
