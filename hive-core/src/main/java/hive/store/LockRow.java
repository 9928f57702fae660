package hive.store;

import hive.locks.Lock;
import hive.locks.LockMode;
import hive.locks.LockPath;
import java.time.Instant;

/** A lock as stored: one path held by one agent in one workspace. */
public record LockRow(
        String workspace,
        LockPath path,
        String agentId,
        LockMode mode,
        String taskId,
        long token,
        Instant acquiredAt,
        Instant expiresAt) {

    public Lock toLock() {
        return new Lock(path.value(), workspace, mode, agentId, taskId, token, acquiredAt, expiresAt);
    }

    /** Identity of a lock: the same agent holds a path in a workspace at most once. */
    public record Key(String workspace, String path, String agentId) {
    }

    public Key key() {
        return new Key(workspace, path.value(), agentId);
    }
}
