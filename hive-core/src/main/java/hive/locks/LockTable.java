package hive.locks;

import hive.Forbidden;
import hive.agents.AgentStatus;
import hive.store.AgentRow;
import hive.store.LockRow;
import hive.store.LockWaiter;
import hive.store.StoreTx;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The lock rules of API.md, written against a {@link StoreTx}: every method is one step of an
 * atomic store operation. A request is all or nothing; a path conflicts with a lock of another
 * agent when the two overlap ({@link LockPath#overlaps}) and their modes are not both shared.
 * Asking again for what an agent holds succeeds and renews it (re-entrant). Every grant takes a
 * new fencing token, larger than every earlier one; a renewal keeps its token. Leases end at their
 * {@code expires_at}: from that instant a lease holds nothing, whether or not {@link #expire} has
 * removed it yet (every method here drops the caller's ended leases before it decides).
 *
 * <p>Waiting ({@link #acquireOrWait}): a request that cannot be granted may queue as a
 * {@link LockWaiter}. Waiters are served first come, first served: a request (waiting or new) may
 * not take what an earlier waiter of another agent waits for, unless that waiter waits for the
 * requester itself (it holds a lock in the waiter's way: making it wait too would be a certain
 * deadlock). Every operation that frees paths (release, task end, lease expiry, a waiter giving
 * up) grants, in the same store operation, every waiter that can now go, in arrival order; the
 * waiting caller learns it once that operation is durable. A wait that would close a cycle of
 * agents waiting for each other (through locks held or through the queue) is refused at once.
 *
 * <p>Cost: a request checks the live locks and the waiters of its workspace, O(locks + waiters
 * there) overlap tests per path. Holds no state but its statistics (counted once the operation
 * commits: a store may run an operation again) and the callers' pending waits; thread-safe.
 */
public final class LockTable {

    private static final int EXPIRY_PAGE = 256;

    private final AtomicLong conflictsRefused = new AtomicLong();
    private final AtomicLong locksExpired = new AtomicLong();
    private final AtomicLong grants = new AtomicLong();
    private final AtomicLong deadlocksRefused = new AtomicLong();
    private final AtomicLong waitsGranted = new AtomicLong();
    private final AtomicLong waitsTimedOut = new AtomicLong();
    private final LongAdder waitedMillis = new LongAdder();
    private final AtomicLong longestWaitMillis = new AtomicLong();
    /** The callers waiting now, by waiter id: completed once their grant is durable. */
    private final Map<Long, CompletableFuture<AcquireResult>> pending = new ConcurrentHashMap<>();

    /** Grants every path of the request, or nothing and the conflicts. Does not wait. */
    public AcquireResult acquire(StoreTx tx, LockRequest request, Instant now) {
        checkAllowed(tx, request.agentId(), request.paths());
        grantDueWaiters(tx, request.workspace(), now);
        List<AcquireResult.Conflict> conflicts = conflicts(tx, request.agentId(), request.workspace(),
                request.paths(), request.mode(), now);
        if (!conflicts.isEmpty()) {
            tx.afterCommit(conflictsRefused::incrementAndGet);
            return new AcquireResult.Conflicted(conflicts);
        }
        Set<String> freed = new LinkedHashSet<>();
        AcquireResult.Granted granted = grant(tx, request, now, freed);
        grantWaiters(tx, freed, now);
        return granted;
    }

    /** What a request that may wait came to in its store operation. */
    public sealed interface Attempt {
        /** Decided at once: granted, or refused for a deadlock. */
        record Done(AcquireResult result) implements Attempt {
        }

        /**
         * Queued: {@code outcome} completes with the grant once it is durable. If it has not by the
         * deadline, the caller gives up with {@link #giveUp}.
         */
        record Queued(LockWaiter waiter, CompletableFuture<AcquireResult> outcome) implements Attempt {
        }
    }

    /**
     * Grants the request now if nothing stands in its way; otherwise queues it to wait until
     * {@code deadline}, unless that would close a cycle in the wait-for graph
     * ({@link AcquireResult.Deadlocked}, nothing queued).
     */
    public Attempt acquireOrWait(StoreTx tx, LockRequest request, Instant now, Instant deadline) {
        checkAllowed(tx, request.agentId(), request.paths());
        grantDueWaiters(tx, request.workspace(), now);
        List<AcquireResult.Conflict> conflicts = conflicts(tx, request.agentId(), request.workspace(),
                request.paths(), request.mode(), now);
        if (conflicts.isEmpty()) {
            Set<String> freed = new LinkedHashSet<>();
            AcquireResult.Granted granted = grant(tx, request, now, freed);
            grantWaiters(tx, freed, now);
            return new Attempt.Done(granted);
        }
        List<String> cycle = cycle(tx, request.agentId(), conflicts, now);
        if (!cycle.isEmpty()) {
            tx.afterCommit(deadlocksRefused::incrementAndGet);
            return new Attempt.Done(new AcquireResult.Deadlocked(cycle));
        }
        LockWaiter waiter = new LockWaiter(tx.nextWaiterId(), request, now, deadline);
        CompletableFuture<AcquireResult> outcome = new CompletableFuture<>();
        pending.put(waiter.id(), outcome);
        tx.putWaiter(waiter);
        return new Attempt.Queued(waiter, outcome);
    }

    /**
     * The caller of {@code waiter} stops waiting (its time is up). If it is still queued, it
     * leaves the queue (and later waiters that only it held back are granted) and the answer is
     * the grant, if its paths are free after all, or the conflicts in its way. If it is not queued
     * any more it was granted, and its outcome is complete once this operation is acknowledged;
     * the answer is then the conflicts as they are now, for the rare case that the grant was lost
     * with a failed commit.
     */
    public AcquireResult giveUp(StoreTx tx, LockWaiter waiter, Instant now) {
        LockRequest request = waiter.request();
        if (!queued(tx, waiter)) {
            return decided(tx, request, now);
        }
        tx.removeWaiter(waiter);
        heard(tx, request.agentId(), now);
        List<AcquireResult.Conflict> conflicts = conflicts(tx, request.agentId(), request.workspace(),
                request.paths(), request.mode(), now);
        if (conflicts.isEmpty()) {
            tx.afterCommit(() -> recordWait(waiter, now));
            Set<String> freed = new LinkedHashSet<>();
            AcquireResult.Granted granted = grant(tx, request, now, freed);
            grantWaiters(tx, freed, now);
            return granted;
        }
        tx.afterCommit(() -> {
            waitsTimedOut.incrementAndGet();
            conflictsRefused.incrementAndGet();
        });
        grantWaiters(tx, request.workspace(), now);
        return new AcquireResult.Conflicted(conflicts);
    }

    private static boolean queued(StoreTx tx, LockWaiter waiter) {
        return tx.waitersOf(waiter.agentId()).stream().anyMatch(w -> w.id() == waiter.id());
    }

    /** What a request that left the queue came to: the grant, if its agent holds it now, or the conflicts. */
    private AcquireResult decided(StoreTx tx, LockRequest request, Instant now) {
        return heldNow(tx, request, now).<AcquireResult>map(g -> g).orElseGet(() ->
                new AcquireResult.Conflicted(conflicts(tx, request.agentId(), request.workspace(),
                        request.paths(), request.mode(), now)));
    }

    /** Completes the caller's pending wait, if it is waiting here. */
    private void answer(LockWaiter waiter, AcquireResult result) {
        CompletableFuture<AcquireResult> outcome = pending.get(waiter.id());
        if (outcome != null) {
            outcome.complete(result);
        }
    }

    /**
     * Another node took these waiters out of the queue (granted them, or dropped them), or may
     * have ({@code null}: every waiter here, after notices may have been missed): their callers
     * here are told to look ({@link DecidedElsewhere}), with {@link #rearm} and {@link #settle}.
     */
    public void wake(Set<Long> waiterIds) {
        pending.forEach((id, outcome) -> {
            if (waiterIds == null || waiterIds.contains(id)) {
                outcome.completeExceptionally(new DecidedElsewhere());
            }
        });
    }

    /** A fresh outcome for a caller told to look, taken before it looks so that no answer is missed. */
    public CompletableFuture<AcquireResult> rearm(LockWaiter waiter) {
        CompletableFuture<AcquireResult> outcome = new CompletableFuture<>();
        pending.put(waiter.id(), outcome);
        return outcome;
    }

    /** Null while the waiter is still queued; otherwise what its request came to. */
    public AcquireResult settle(StoreTx tx, LockWaiter waiter, Instant now) {
        return queued(tx, waiter) ? null : decided(tx, waiter.request(), now);
    }

    /** A waiting caller's outcome when its waiter may have left the queue on another node. */
    public static final class DecidedElsewhere extends RuntimeException {
        private static final long serialVersionUID = 1L;

        DecidedElsewhere() {
            super("the wait may have been decided on another node", null, false, false);
        }
    }

    /** Ends every pending wait with {@code reason} (the store is closing): its caller stops waiting. */
    public void endWaits(RuntimeException reason) {
        for (CompletableFuture<AcquireResult> outcome : pending.values()) {
            outcome.completeExceptionally(reason);
        }
    }

    /**
     * The request as granted, when its agent holds every path of it now (in a mode at least as
     * strong): how a caller whose answer was lost (its wait ended as the grant was being made)
     * learns that it was granted.
     */
    private static java.util.Optional<AcquireResult.Granted> heldNow(StoreTx tx, LockRequest request, Instant now) {
        List<Lock> held = new ArrayList<>();
        long token = 0;
        List<LockRow> mine = tx.locksOf(request.agentId());
        for (LockPath path : request.paths()) {
            LockRow lock = mine.stream()
                    .filter(l -> l.workspace().equals(request.workspace()) && l.path().equals(path)
                            && l.expiresAt().isAfter(now) && l.mode().strongest(request.mode()) == l.mode())
                    .findFirst().orElse(null);
            if (lock == null) {
                return java.util.Optional.empty();
            }
            held.add(lock.toLock());
            token = Math.max(token, lock.token());
        }
        return java.util.Optional.of(new AcquireResult.Granted(token, held));
    }

    /** Forgets a caller's pending wait once it has its answer. */
    public void forget(LockWaiter waiter) {
        pending.remove(waiter.id());
    }

    /**
     * Takes the agent's waiters out of the queue (it left): their callers are answered with the
     * conflicts in their way once this operation is durable; later waiters may go.
     */
    public void dropWaiters(StoreTx tx, String agentId, Instant now) {
        Set<String> workspaces = new LinkedHashSet<>();
        for (LockWaiter waiter : tx.waitersOf(agentId)) {
            tx.removeWaiter(waiter);
            workspaces.add(waiter.workspace());
            LockRequest r = waiter.request();
            AcquireResult refused = new AcquireResult.Conflicted(conflicts(tx, agentId, r.workspace(), r.paths(),
                    r.mode(), now));
            tx.afterCommit(() -> answer(waiter, refused));
        }
        for (String workspace : workspaces) {
            grantWaiters(tx, workspace, now);
        }
    }

    /**
     * Waiters held back only by leases that have ended since (not yet swept) go before a new
     * request looks at the queue: an ended lease holds nothing.
     */
    private void grantDueWaiters(StoreTx tx, String workspace, Instant now) {
        if (!tx.waiters(workspace).isEmpty() && !tx.expiredLocks(now, 1).isEmpty()) {
            grantWaiters(tx, workspace, now);
        }
    }

    /**
     * Grants, in arrival order, every waiter of the workspace that nothing stands in the way of
     * now; each caller is answered once this operation is durable.
     */
    private void grantWaiters(StoreTx tx, String workspace, Instant now) {
        Set<String> freed = new LinkedHashSet<>();
        for (LockWaiter waiter : tx.waiters(workspace)) {
            LockRequest r = waiter.request();
            if (!conflicts(tx, r.agentId(), workspace, r.paths(), r.mode(), now, waiter.id()).isEmpty()) {
                continue;
            }
            tx.removeWaiter(waiter);
            AcquireResult.Granted granted = grant(tx, r, now, freed);
            heard(tx, r.agentId(), now);
            tx.afterCommit(() -> {
                recordWait(waiter, now);
                answer(waiter, granted);
            });
        }
        // Ended leases the grants dropped (of the agents granted, in any workspace) held nobody
        // back, but their waiters may not have been looked at since they ended.
        grantWaiters(tx, freed, now);
    }

    /**
     * The end of a wait answers a request of the agent: a registered, active agent's session is
     * renewed for its full length from now (its waiting kept it alive until then).
     */
    private static void heard(StoreTx tx, String agentId, Instant now) {
        AgentRow agent = tx.agentIfFree(agentId).orElse(null);
        if (agent != null && agent.status() == AgentStatus.ACTIVE && agent.expiresAt() != null) {
            Duration length = Duration.between(agent.lastHeartbeat(), agent.expiresAt());
            tx.putAgent(agent.heard(now, now.plus(length)));
        }
    }

    private void recordWait(LockWaiter waiter, Instant now) {
        long waited = Math.max(0, Duration.between(waiter.since(), now).toMillis());
        waitsGranted.incrementAndGet();
        waitedMillis.add(waited);
        longestWaitMillis.accumulateAndGet(waited, Math::max);
    }

    /**
     * The agents of the cycle that {@code requester} would close by waiting behind
     * {@code conflicts}, in wait order starting with it; empty when there is none. The wait-for
     * graph: a waiting agent waits for the agents in the way of each of its waiters.
     */
    private List<String> cycle(StoreTx tx, String requester, List<AcquireResult.Conflict> conflicts, Instant now) {
        List<String> path = new ArrayList<>();
        path.add(requester);
        Set<String> seen = new HashSet<>();
        for (String next : blockers(conflicts)) {
            if (reaches(tx, next, requester, path, seen, now)) {
                return path;
            }
        }
        return List.of();
    }

    /** Depth first: whether {@code agent} waits, directly or not, for {@code target}; extends {@code path}. */
    private boolean reaches(StoreTx tx, String agent, String target, List<String> path, Set<String> seen,
            Instant now) {
        if (!seen.add(agent)) {
            return false;
        }
        path.add(agent);
        for (LockWaiter waiter : tx.waitersOf(agent)) {
            LockRequest r = waiter.request();
            for (String next : blockers(conflicts(tx, agent, r.workspace(), r.paths(), r.mode(), now, waiter.id()))) {
                if (next.equals(target) || reaches(tx, next, target, path, seen, now)) {
                    return true;
                }
            }
        }
        path.removeLast();
        return false;
    }

    private static Set<String> blockers(List<AcquireResult.Conflict> conflicts) {
        Set<String> agents = new LinkedHashSet<>();
        for (AcquireResult.Conflict c : conflicts) {
            agents.add(c.heldBy());
        }
        return agents;
    }

    /** Grants the request (the caller checked it may); ended leases dropped on the way go to {@code freed}. */
    private AcquireResult.Granted grant(StoreTx tx, LockRequest request, Instant now, Set<String> freed) {
        long token = tx.nextFencingToken();
        Instant expires = now.plus(request.ttl());
        Map<String, LockRow> mine = new LinkedHashMap<>();
        for (LockRow held : live(tx, request.agentId(), now, freed)) {
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
        tx.afterCommit(grants::incrementAndGet);
        return new AcquireResult.Granted(token, granted);
    }

    /**
     * What stands in the way of {@code agentId} taking {@code paths} in {@code mode} now: the
     * locks of other agents (leases already ended, not yet swept, do not count) and the waiters of
     * other agents queued first. Empty when it may go.
     */
    public List<AcquireResult.Conflict> conflicts(StoreTx tx, String agentId, String workspace, List<LockPath> paths,
            LockMode mode, Instant now) {
        return conflicts(tx, agentId, workspace, paths, mode, now, Long.MAX_VALUE);
    }

    /** As above, counting only the waiters that arrived before waiter {@code before}. */
    private List<AcquireResult.Conflict> conflicts(StoreTx tx, String agentId, String workspace,
            List<LockPath> paths, LockMode mode, Instant now, long before) {
        List<LockRow> held = tx.locks(workspace);
        List<LockWaiter> waiters = tx.waiters(workspace);
        if (held.isEmpty() && waiters.isEmpty()) {
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
        for (LockWaiter waiter : waiters) {
            if (waiter.id() >= before) {
                break;
            }
            LockRequest r = waiter.request();
            if (r.agentId().equals(agentId) || mode.compatibleWith(r.mode())) {
                continue;
            }
            for (LockPath path : paths) {
                for (LockPath wanted : r.paths()) {
                    if (wanted.overlaps(path) && !waitsFor(tx, waiter, agentId, now)) {
                        conflicts.add(new AcquireResult.Conflict(path.value(), wanted.value(), r.agentId(), r.mode(),
                                waiter.deadline(), true));
                    }
                }
            }
        }
        return conflicts;
    }

    /** Whether {@code agentId} holds a live lock in the way of {@code waiter}. */
    private static boolean waitsFor(StoreTx tx, LockWaiter waiter, String agentId, Instant now) {
        LockRequest r = waiter.request();
        for (LockRow lock : tx.locksOf(agentId)) {
            if (lock.workspace().equals(r.workspace()) && lock.expiresAt().isAfter(now)
                    && !r.mode().compatibleWith(lock.mode())
                    && r.paths().stream().anyMatch(p -> p.overlaps(lock.path()))) {
                return true;
            }
        }
        return false;
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
        Set<String> freed = new LinkedHashSet<>();
        List<Lock> released = releaseOnly(tx, agentId, workspace, paths, now, freed);
        grantWaiters(tx, workspacesOf(released, freed), now);
        return released;
    }

    private static Set<String> workspacesOf(List<Lock> locks, Set<String> also) {
        Set<String> workspaces = new LinkedHashSet<>(also);
        for (Lock lock : locks) {
            workspaces.add(lock.workspace());
        }
        return workspaces;
    }

    /** Grants the waiters that can go now in each of {@code workspaces}. */
    private void grantWaiters(StoreTx tx, Set<String> workspaces, Instant now) {
        for (String workspace : workspaces) {
            grantWaiters(tx, workspace, now);
        }
    }

    private List<Lock> releaseOnly(StoreTx tx, String agentId, String workspace, List<LockPath> paths, Instant now,
            Set<String> freed) {
        List<LockRow> mine = live(tx, agentId, now, freed);
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

    /** Releases the locks the agent took for one task ({@code swarm_id/task_id}); waiters may go. */
    public int releaseTask(StoreTx tx, String agentId, String taskRef, Instant now) {
        List<Lock> released = new ArrayList<>();
        for (LockRow lock : tx.locksOf(agentId)) {
            if (taskRef.equals(lock.taskId())) {
                tx.removeLock(lock);
                released.add(lock.toLock());
            }
        }
        grantWaiters(tx, workspacesOf(released, Set.of()), now);
        return released.size();
    }

    /**
     * Renews the agent's locks on {@code paths} (all of them when null) for {@code ttl} from now.
     * A renewal is not a new grant: each lock keeps its fencing token. Returns the renewed locks.
     */
    public List<Lock> renew(StoreTx tx, String agentId, String workspace, List<LockPath> paths, Duration ttl,
            Instant now) {
        List<LockRow> renewable = new ArrayList<>();
        Set<String> freed = new LinkedHashSet<>();
        for (LockRow lock : live(tx, agentId, now, freed)) {
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
        grantWaiters(tx, freed, now);
        return renewed;
    }

    /**
     * Keeps the agent's locks alive for at least {@code atLeast} from now (a heartbeat): a lock
     * that would end sooner is extended, keeping its token.
     */
    public void extend(StoreTx tx, String agentId, Duration atLeast, Instant now) {
        Instant until = now.plus(atLeast);
        Set<String> freed = new LinkedHashSet<>();
        for (LockRow lock : live(tx, agentId, now, freed)) {
            if (lock.expiresAt().isBefore(until)) {
                tx.putLock(new LockRow(lock.workspace(), lock.path(), lock.agentId(), lock.mode(), lock.taskId(),
                        lock.token(), lock.acquiredAt(), until));
            }
        }
        grantWaiters(tx, freed, now);
    }

    /**
     * The agent's leases that have not ended; those that have are removed on the way (as the
     * sweep would), so that nothing can renew, extend or inherit the mode of an ended lease. The
     * workspaces of those removed go to {@code freed}: the caller lets their waiters go once it is
     * done (the sweep, finding nothing left to break, would not).
     */
    private List<LockRow> live(StoreTx tx, String agentId, Instant now, Set<String> freed) {
        List<LockRow> live = new ArrayList<>();
        for (LockRow lock : tx.locksOf(agentId)) {
            if (lock.expiresAt().isAfter(now)) {
                live.add(lock);
            } else {
                tx.removeLock(lock);
                freed.add(lock.workspace());
                tx.afterCommit(locksExpired::incrementAndGet);
            }
        }
        return live;
    }

    /**
     * Breaks every lease that ended by {@code now} and drops waiters left behind by callers that
     * are gone (waiters may go); returns the locks broken.
     */
    public List<Lock> expire(StoreTx tx, Instant now) {
        List<Lock> expired = new ArrayList<>();
        List<LockRow> due;
        do {
            due = tx.expiredLocks(now, EXPIRY_PAGE);
            for (LockRow lock : due) {
                tx.removeLock(lock);
                expired.add(lock.toLock());
            }
        } while (due.size() == EXPIRY_PAGE);
        tx.afterCommit(() -> locksExpired.addAndGet(expired.size()));
        Set<String> freed = new LinkedHashSet<>(workspacesOf(expired, Set.of()));
        for (LockWaiter orphan : tx.orphanedWaiters(EXPIRY_PAGE)) {
            tx.removeWaiter(orphan);
            freed.add(orphan.workspace());
        }
        grantWaiters(tx, freed, now);
        return expired;
    }

    /** Figures since this process started. */
    public Stats stats() {
        long granted = waitsGranted.get();
        return new Stats(grants.get(), conflictsRefused.get(), locksExpired.get(), deadlocksRefused.get(),
                pending.size(), granted, waitsTimedOut.get(),
                granted == 0 ? 0 : (double) waitedMillis.sum() / granted, longestWaitMillis.get());
    }

    /**
     * Lock figures of this process: grants made (with or without a wait), requests refused for a
     * conflict (including waits that timed out), leases broken by expiry, waits refused for a
     * deadlock, callers waiting now, waits granted and timed out, and the mean and longest wait of
     * those granted, in milliseconds.
     */
    public record Stats(long grants, long conflictsRefused, long locksExpired, long deadlocksRefused,
            long waiting, long waitsGranted, long waitsTimedOut, double meanWaitMillis, long longestWaitMillis) {
    }
}
