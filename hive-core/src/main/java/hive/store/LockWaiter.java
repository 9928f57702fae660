package hive.store;

import hive.locks.LockRequest;
import java.time.Instant;

/**
 * A lock request waiting its turn (API.md {@code wait_s}). Waiters of a workspace are served in
 * arrival order, which is the order of their ids: a later waiter has a larger id.
 *
 * @param since    when it started waiting
 * @param deadline when its caller stops waiting
 */
public record LockWaiter(long id, LockRequest request, Instant since, Instant deadline) {

    public String agentId() {
        return request.agentId();
    }

    public String workspace() {
        return request.workspace();
    }
}
