package hive.agents;

import hive.Conflict;
import hive.Ids;
import hive.NotFound;
import hive.locks.Lock;
import hive.locks.LockTable;
import hive.schedule.Outcome;
import hive.schedule.Scheduler;
import hive.store.AgentRow;
import hive.store.StoreTx;
import hive.store.TaskRow;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Agent sessions: registration, heartbeats, leaving, and the expiry of agents that went silent.
 * A session is a lease: every request of an agent renews it for the session timeout; an agent not
 * heard from for longer becomes {@code lost}, and everything it held is taken back (its tasks go
 * back to the queue with the attempt counted, or fail with no attempt left; its locks are
 * released, and the waiters they held back granted). A lock wait in progress counts as being
 * heard from. Leaving does the same, ends the agent's waits, and marks it {@code gone}. A heartbeat also keeps the agent's
 * locks alive for at least one more session timeout.
 *
 * <p>Each method is one step of a store operation ({@link StoreTx}); expiry reads only the due
 * part of the session timeline, so it is cheap to run often and safe to run on several nodes.
 * Stateless apart from its configuration; thread-safe.
 */
public final class Sessions {

    private static final int EXPIRY_PAGE = 256;

    private final Scheduler scheduler;
    private final LockTable locks;
    private final Duration timeout;

    public Sessions(Scheduler scheduler, LockTable locks, Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("the session timeout must be positive, got " + timeout);
        }
        this.scheduler = scheduler;
        this.locks = locks;
        this.timeout = timeout;
    }

    public Duration timeout() {
        return timeout;
    }

    /**
     * Registers an agent; registering an id that exists returns that agent as it was registered
     * (its roles, limits and paths), renewing its session, and makes a lost or gone agent active
     * again.
     */
    public AgentRow register(StoreTx tx, Registration request, Instant now) {
        String id = request.id() != null ? request.id() : newId();
        AgentRow existing = tx.agent(id).orElse(null);
        if (existing != null) {
            AgentRow again = existing.heard(now, now.plus(timeout));
            tx.putAgent(again);
            return again;
        }
        AgentRow agent = new AgentRow(id, request.name(), request.roles(), request.maxTasks(),
                request.allowedPaths(), AgentStatus.ACTIVE, now, now, now.plus(timeout));
        tx.putAgent(agent);
        return agent;
    }

    /** Renews the agent's session. {@link NotFound} if unknown; {@link Conflict} if lost or gone. */
    public AgentRow heartbeat(StoreTx tx, String agentId, Instant now) {
        AgentRow agent = tx.agent(agentId).orElseThrow(() -> new NotFound("no agent '" + agentId + "'"));
        if (agent.status() != AgentStatus.ACTIVE) {
            throw new Conflict("agent '" + agentId + "' is " + agent.status().wire()
                    + ": what it held was taken back; register again to go on");
        }
        AgentRow renewed = agent.heard(now, now.plus(timeout));
        tx.putAgent(renewed);
        locks.extend(tx, agentId, timeout, now);
        return renewed;
    }

    /**
     * Renews the session of a registered, active agent making a request; an id that was never
     * registered (an embedded worker) is left alone. {@link Conflict} for a lost or gone agent.
     */
    public void touch(StoreTx tx, String agentId, Instant now) {
        AgentRow agent = tx.agent(agentId).orElse(null);
        if (agent == null) {
            return;
        }
        if (agent.status() != AgentStatus.ACTIVE) {
            throw new Conflict("agent '" + agentId + "' is " + agent.status().wire()
                    + ": what it held was taken back; register again to go on");
        }
        tx.putAgent(agent.heard(now, now.plus(timeout)));
    }

    /**
     * The agent leaves: its tasks are taken back, its status is {@code gone}. Idempotent: empty
     * when it had already left (nothing changes).
     */
    public Optional<Departure> leave(StoreTx tx, String agentId, Instant now) {
        AgentRow agent = tx.agent(agentId).orElseThrow(() -> new NotFound("no agent '" + agentId + "'"));
        if (agent.status() == AgentStatus.GONE) {
            return Optional.empty();
        }
        Outcome<List<TaskRow>> taken = scheduler.abandon(tx, agentId, "agent '" + agentId + "' left", now);
        locks.dropWaiters(tx, agentId, now);
        List<Lock> released = locks.release(tx, agentId, null, null, now);
        AgentRow gone = agent.ended(AgentStatus.GONE);
        tx.putAgent(gone);
        return Optional.of(new Departure(gone, taken.events(), released));
    }

    /**
     * Every active agent whose session ended by {@code now} becomes lost; returns them. An agent
     * waiting for a lock is not silent: its session is renewed instead.
     */
    public List<Departure> expire(StoreTx tx, Instant now) {
        List<Departure> lost = new ArrayList<>();
        List<AgentRow> expired;
        do {
            expired = tx.expiredSessions(now, EXPIRY_PAGE);
            for (AgentRow listed : expired) {
                // Read again: an earlier agent of the page going may have renewed this one (a grant
                // to a waiter answers its request).
                AgentRow agent = tx.agent(listed.id()).orElseThrow();
                if (agent.status() != AgentStatus.ACTIVE || agent.expiresAt().isAfter(now)) {
                    continue;
                }
                if (!tx.waitersOf(agent.id()).isEmpty()) {
                    tx.putAgent(agent.heard(now, now.plus(timeout)));
                    continue;
                }
                String reason = "agent '" + agent.id() + "' lost: silent since " + agent.lastHeartbeat()
                        + " (session timeout " + timeout.toSeconds() + " s)";
                Outcome<List<TaskRow>> taken = scheduler.abandon(tx, agent.id(), reason, now);
                List<Lock> released = locks.release(tx, agent.id(), null, null, now);
                AgentRow ended = agent.ended(AgentStatus.LOST);
                tx.putAgent(ended);
                lost.add(new Departure(ended, taken.events(), released));
            }
        } while (expired.size() == EXPIRY_PAGE);
        return lost;
    }

    private static String newId() {
        return Ids.make("ag_", 12);
    }
}
