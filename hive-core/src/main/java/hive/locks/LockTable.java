package hive.locks;

import hive.Forbidden;
import hive.store.AgentRow;
import hive.store.LockRow;
import hive.store.StoreTx;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The lock rules of API.md, written against a {@link StoreTx}: every method is one step of an
 * atomic store operation. A request is all or nothing; a path conflicts with a lock of another
 * agent when the two overlap ({@link LockPath#overlaps}) and their modes are not both shared.
 * Asking again for what an agent holds succeeds and renews it (re-entrant). Every grant takes a
 * new fencing token, larger than every earlier one; a renewal keeps its token. Leases end at their
 * {@code expires_at}: from that instant a lease holds nothing, whether or not {@link #expire} has
 * removed it yet (every method here drops the caller's ended leases before it decides).
 *
 * <p>Cost: a request checks the live locks of its workspace, O(locks held there) overlap tests
 * per path. Holds no state but its statistics; thread-safe.
 */
public final class LockTable {

    private static final int EXPIRY_PAGE = 256;

    private final AtomicLong conflictsRefused = new AtomicLong();
    private final AtomicLong locksExpired = new AtomicLong();
    private final AtomicLong grants = new AtomicLong();

    /** Grants every path of the request, or nothing and the conflicts. */
    public AcquireResult acquire(StoreTx tx, LockRequest request, Instant now) {
        checkAllowed(tx, request.agentId(), request.paths());
        List<AcquireResult.Conflict> conflicts = conflicts(tx, request.agentId(), request.workspace(),
                request.paths(), request.mode(), now);
        if (!conflicts.isEmpty()) {
            conflictsRefused.incrementAndGet();
            return new AcquireResult.Conflicted(conflicts);
        }
        long token = tx.nextFencingToken();
        Instant expires = now.plus(request.ttl());
        Map<String, LockRow> mine = new LinkedHashMap<>();
        for (LockRow held : live(tx, request.agentId(), now)) {
            if (held.workspace().equals(request.workspace())) {
                mine.put(held.path().value(), held);
            }
        }
        List<Lock> granted = new ArrayList<>(request.paths().size());
        for (LockPath path : request.paths()) {
            LockRow held = mine.get(path.value());
            LockRow lock = held == null
                    ? new LockRow(request.workspace(), path, request.agentId(), request.mode(), request.taskId(), token,
                            now, expires)
                    : new LockRow(request.workspace(), path, request.agentId(), held.mode().strongest(request.mode()),
                            request.taskId() != null ? request.taskId() : held.taskId(), token, held.acquiredAt(),
                            expires.isAfter(held.expiresAt()) ? expires : held.expiresAt());
            tx.putLock(lock);
            granted.add(lock.toLock());
        }
        grants.incrementAndGet();
        return new AcquireResult.Granted(token, granted);
    }

    /**
     * The locks of other agents that stand in the way of {@code agentId} taking {@code paths} in
     * {@code mode}; leases already ended (not yet swept) do not count.
     */
    public List<AcquireResult.Conflict> conflicts(StoreTx tx, String agentId, String workspace, List<LockPath> paths,
            LockMode mode, Instant now) {
        List<LockRow> held = tx.locks(workspace);
        if (held.isEmpty()) {
            return List.of();
        }
        List<AcquireResult.Conflict> conflicts = new ArrayList<>();
        for (LockPath path : paths) {
            for (LockRow lock : held) {
                if (!lock.agentId().equals(agentId) && lock.expiresAt().isAfter(now)
                        && !(mode.compatibleWith(lock.mode())) && lock.path().overlaps(path)) {
                    conflicts.add(new AcquireResult.Conflict(path.value(), lock.path().value(), lock.agentId(),
                            lock.mode(), lock.expiresAt()));
                }
            }
        }
        return conflicts;
    }

    /** A registered agent with {@code allowed_paths} may lock only paths within them. */
    private static void checkAllowed(StoreTx tx, String agentId, List<LockPath> paths) {
        AgentRow agent = tx.agent(agentId).orElse(null);
        if (agent == null || agent.allowedPaths().isEmpty()) {
            return;
        }
        List<LockPath> allowed = agent.allowedPaths().stream().map(LockPath::parse).toList();
        for (LockPath path : paths) {
            boolean within = allowed.stream().anyMatch(a -> within(path, a));
            if (!within) {
                throw new Forbidden("agent '" + agentId + "' may not lock '" + path.value() + "': outside its"
                        + " allowed paths " + agent.allowedPaths());
            }
        }
    }

    /**
     * Whether everything {@code path} covers is covered by {@code allowed}. Exact for plain paths
     * and directories (a covered path has everything below it covered too); for a glob, its literal
     * leading folders must be covered, so a glob is refused when only some of its matches would be
     * allowed, and a glob with no literal folder only under {@code **}: refusals on the safe side.
     */
    static boolean within(LockPath path, LockPath allowed) {
        String value = path.value();
        String literal;
        if (!path.isGlob()) {
            literal = value.endsWith("/") ? value.substring(0, value.length() - 1) : value;
        } else {
            StringBuilder prefix = new StringBuilder();
            for (String segment : value.split("/")) {
                if (segment.contains("*") || segment.contains("?") || segment.contains("[")) {
                    break;
                }
                prefix.append(prefix.isEmpty() ? "" : "/").append(segment);
            }
            literal = prefix.toString();
        }
        return literal.isEmpty() ? allowed.value().equals("**") : allowed.covers(literal);
    }

    /**
     * Releases the agent's locks on {@code paths} in {@code workspace} (all its locks, in every
     * workspace, when {@code paths} is null). {@link Forbidden} if a named path is locked only by
     * another agent. Returns the locks released.
     */
    public List<Lock> release(StoreTx tx, String agentId, String workspace, List<LockPath> paths, Instant now) {
        List<LockRow> mine = live(tx, agentId, now);
        List<Lock> released = new ArrayList<>();
        if (paths == null) {
            for (LockRow lock : mine) {
                tx.removeLock(lock);
                released.add(lock.toLock());
            }
            return released;
        }
        for (LockPath path : paths) {
            LockRow lock = mine.stream()
                    .filter(l -> l.workspace().equals(workspace) && l.path().equals(path)).findFirst().orElse(null);
            if (lock == null) {
                List<String> holders = tx.locks(workspace).stream()
                        .filter(l -> l.path().equals(path) && l.expiresAt().isAfter(now))
                        .map(LockRow::agentId).toList();
                if (!holders.isEmpty()) {
                    throw new Forbidden("'" + path.value() + "' is locked by " + holders + ", not by '" + agentId + "'");
                }
                continue;
            }
            tx.removeLock(lock);
            released.add(lock.toLock());
        }
        return released;
    }

    /** Releases the locks the agent took for one task ({@code swarm_id/task_id}). */
    public int releaseTask(StoreTx tx, String agentId, String taskRef) {
        int released = 0;
        for (LockRow lock : tx.locksOf(agentId)) {
            if (taskRef.equals(lock.taskId())) {
                tx.removeLock(lock);
                released++;
            }
        }
        return released;
    }

    /**
     * Renews the agent's locks on {@code paths} (all of them when null) for {@code ttl} from now.
     * A renewal is not a new grant: each lock keeps its fencing token. Returns the renewed locks.
     */
    public List<Lock> renew(StoreTx tx, String agentId, String workspace, List<LockPath> paths, Duration ttl,
            Instant now) {
        List<LockRow> renewable = new ArrayList<>();
        for (LockRow lock : live(tx, agentId, now)) {
            if (paths == null || (lock.workspace().equals(workspace) && paths.contains(lock.path()))) {
                renewable.add(lock);
            }
        }
        List<Lock> renewed = new ArrayList<>();
        for (LockRow lock : renewable) {
            LockRow next = new LockRow(lock.workspace(), lock.path(), lock.agentId(), lock.mode(), lock.taskId(),
                    lock.token(), lock.acquiredAt(), now.plus(ttl));
            tx.putLock(next);
            renewed.add(next.toLock());
        }
        return renewed;
    }

    /**
     * Keeps the agent's locks alive for at least {@code atLeast} from now (a heartbeat): a lock
     * that would end sooner is extended, keeping its token.
     */
    public void extend(StoreTx tx, String agentId, Duration atLeast, Instant now) {
        Instant until = now.plus(atLeast);
        for (LockRow lock : live(tx, agentId, now)) {
            if (lock.expiresAt().isBefore(until)) {
                tx.putLock(new LockRow(lock.workspace(), lock.path(), lock.agentId(), lock.mode(), lock.taskId(),
                        lock.token(), lock.acquiredAt(), until));
            }
        }
    }

    /**
     * The agent's leases that have not ended; those that have are removed on the way (as the
     * sweep would), so that nothing can renew, extend or inherit the mode of an ended lease.
     */
    private List<LockRow> live(StoreTx tx, String agentId, Instant now) {
        List<LockRow> live = new ArrayList<>();
        for (LockRow lock : tx.locksOf(agentId)) {
            if (lock.expiresAt().isAfter(now)) {
                live.add(lock);
            } else {
                tx.removeLock(lock);
                locksExpired.incrementAndGet();
            }
        }
        return live;
    }

    /** Breaks every lease that ended by {@code now}; returns how many. */
    public int expire(StoreTx tx, Instant now) {
        int expired = 0;
        List<LockRow> due;
        do {
            due = tx.expiredLocks(now, EXPIRY_PAGE);
            for (LockRow lock : due) {
                tx.removeLock(lock);
                expired++;
            }
        } while (due.size() == EXPIRY_PAGE);
        locksExpired.addAndGet(expired);
        return expired;
    }

    /** Figures since this process started. */
    public Stats stats() {
        return new Stats(grants.get(), conflictsRefused.get(), locksExpired.get());
    }

    /** Lock figures of this process: grants made, requests refused for a conflict, leases broken. */
    public record Stats(long grants, long conflictsRefused, long locksExpired) {
    }
}
