package hive.cli.run;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import hive.client.AgentSpec;
import hive.client.HiveApiException;
import hive.client.HiveClient;
import hive.client.HiveConnectionException;
import hive.client.Lock;
import hive.client.Registered;
import hive.client.SwarmStatus;
import hive.client.Task;
import hive.client.TaskState;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The work of one agent on a HiveMind server ({@code hive agent}): its tasks come from long-poll
 * claims, in one swarm or in any, and its reports go back over HTTP, through {@link HiveClient}.
 *
 * <p><b>Outages.</b> A server that cannot be reached, or answers 5xx, is asked again with backoff
 * ({@value #FIRST_BACKOFF_MS} ms doubling to {@value #MAX_BACKOFF_MS} ms) until it answers, the
 * calling thread is interrupted, or the deadline set by {@link #giveUpAfter} passes: a claim then
 * comes back empty, a report {@link Report#TAKEN_BACK} (not recorded). The first failure after an
 * answer is logged once at WARN, the first answer after failures once at INFO. Heartbeats are not
 * retried: the next one is due soon anyway.
 *
 * <p><b>Sessions.</b> When the server says the agent is lost, gone or unknown (409 or 404 on a
 * heartbeat or claim: it was silent past the session timeout, or the server lost its data), what
 * it held was taken back. The attempts still running are then told to end ({@code onSessionLost})
 * and the agent registers again with the same registration, once per loss however many threads
 * notice it (a session epoch tells which loss a thread saw). Each assignment remembers the
 * session it was claimed in; a report of an attempt of an ended session is not sent (it is
 * {@link Report#TAKEN_BACK}): the API does not name the attempt a report is for, so it would end
 * the agent's later attempt of the same task.
 *
 * <p>Thread-safe: the workers of a {@link Crew} and a heartbeat thread share one.
 */
public final class RemoteWork implements WorkSource {

    private static final Logger log = LoggerFactory.getLogger(RemoteWork.class);

    static final long FIRST_BACKOFF_MS = 250;
    static final long MAX_BACKOFF_MS = 5_000;
    /** The longest claim wait the API allows. */
    static final Duration MAX_WAIT = Duration.ofSeconds(60);

    private final HiveClient client;
    private final AgentSpec registration;
    private final String agentId;
    private final String swarmId;
    private final ObjectMapper json;
    private final Runnable onSessionLost;
    private final long maxBackoffMs;
    /** Each swarm's workspace, where the locks of its tasks are listed; swarms do not change workspace. */
    private final Map<String, String> workspaces = new ConcurrentHashMap<>();
    /** Whether the last exchange with the server got an answer; flips are logged. */
    private final AtomicBoolean reachable = new AtomicBoolean(true);
    /** The session each assignment handed out and not yet reported was claimed in. */
    private final Map<Assignment, Long> claimedIn = new ConcurrentHashMap<>();
    /**
     * Re-registration after a loss holds its write lock; reports and the check of a claim that
     * spanned a loss hold its read lock, so none is sent while the session changes.
     */
    private final ReadWriteLock sessions = new ReentrantReadWriteLock();
    /** Counts the agent's losses of its session; written under the write lock of {@link #sessions}. */
    private volatile long sessionEpoch;
    /** Whether calls have a deadline for retrying through an outage ({@link #giveUpAt}). */
    private volatile boolean deadline;
    /** The {@link System#nanoTime()} after which calls stop retrying; written under {@code this}. */
    private volatile long giveUpAt;
    /** Set once the server no longer knows the swarm: nothing more will come from it. */
    private volatile boolean swarmGone;

    /**
     * @param registration what the agent registers with (its id is required), again after a loss
     * @param swarmId the swarm to take tasks from; null for any running swarm
     * @param json writes tasks as the API shows them, for {@code HIVE_TASK_JSON}
     * @param onSessionLost called when the server has taken back what the agent held, before it
     *     registers again; must not block for long
     */
    public RemoteWork(HiveClient client, AgentSpec registration, String swarmId, ObjectMapper json,
            Runnable onSessionLost) {
        this(client, registration, swarmId, json, onSessionLost, MAX_BACKOFF_MS);
    }

    /** As the public constructor, with the longest pause between tries of a call (tests). */
    RemoteWork(HiveClient client, AgentSpec registration, String swarmId, ObjectMapper json,
            Runnable onSessionLost, long maxBackoffMs) {
        this.maxBackoffMs = maxBackoffMs;
        this.client = Objects.requireNonNull(client, "client");
        this.registration = Objects.requireNonNull(registration, "registration");
        this.agentId = Objects.requireNonNull(registration.id(), "registration.id");
        this.swarmId = swarmId;
        this.json = Objects.requireNonNull(json, "json");
        this.onSessionLost = Objects.requireNonNull(onSessionLost, "onSessionLost");
    }

    /** Thrown inside this class when a call stops retrying: interrupted, or past the deadline. */
    private static final class GaveUp extends Exception {
        private static final long serialVersionUID = 1L;

        GaveUp(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Registers the agent, waiting through an outage. Empty when it gave up (interrupted, or past
     * the deadline); {@link HiveApiException} when the server refuses (bad id, bad token).
     */
    public Optional<Registered> register() {
        try {
            return Optional.of(untilAnswered("registering " + agentId, () -> client.register(registration)));
        } catch (GaveUp e) {
            return Optional.empty();
        }
    }

    /**
     * The swarm's status, waiting through an outage; empty when it gave up. {@link
     * HiveApiException} 404 when the server does not know the swarm.
     */
    public Optional<SwarmStatus> swarmStatus(String swarm) {
        try {
            return Optional.of(untilAnswered("reading swarm " + swarm, () -> client.swarm(swarm)).status());
        } catch (GaveUp e) {
            return Optional.empty();
        }
    }

    @Override
    public Optional<Assignment> claim(String agent, Duration wait) {
        checkAgent(agent);
        Duration capped = wait.compareTo(MAX_WAIT) > 0 ? MAX_WAIT : wait;
        while (true) {
            long epoch = sessionEpoch;
            Optional<Task> claimed;
            try {
                claimed = untilAnswered("claiming", () -> client.claim(agentId, swarmId, capped));
            } catch (GaveUp e) {
                return Optional.empty();
            } catch (HiveApiException e) {
                if (e.status() == 409 || (e.status() == 404 && !agentKnown())) {
                    if (!sessionLost(epoch, e)) {
                        return Optional.empty();
                    }
                    continue;
                }
                if (e.status() == 404 && swarmId != null) {
                    log.error("the server no longer knows swarm {}: {}", swarmId, e.getMessage());
                    swarmGone = true;
                    return Optional.empty();
                }
                throw e;
            }
            if (claimed.isEmpty()) {
                return Optional.empty();
            }
            OptionalLong session = sessionOf(claimed.get(), epoch);
            if (session.isEmpty()) {
                continue;
            }
            Assignment assignment = assignment(claimed.get());
            claimedIn.put(assignment, session.getAsLong());
            return Optional.of(assignment);
        }
    }

    /**
     * The session a claimed task belongs to. A claim made in session {@code before} that returns
     * with the session unchanged is of that session; one that spans a new registration is
     * ambiguous (handed out before the loss, and taken back, or after the new registration), so
     * the server is asked whether the task is the agent's now at that attempt. Empty when it is
     * not: the task is not to run. Holds the session lock, so no registration is under way.
     */
    private OptionalLong sessionOf(Task task, long before) {
        sessions.readLock().lock();
        try {
            if (sessionEpoch == before) {
                return OptionalLong.of(before);
            }
            try {
                Task now = client.task(task.swarmId(), task.id());
                if (now.status() != TaskState.IN_PROGRESS || !agentId.equals(now.assignedAgent())
                        || now.attempt() != task.attempt()) {
                    log.info("attempt {} of {}/{} was handed out before agent {} lost its session: not run",
                            task.attempt(), task.swarmId(), task.id(), agentId);
                    return OptionalLong.empty();
                }
            } catch (HiveConnectionException | HiveApiException e) {
                log.debug("cannot check attempt {} of {}/{}: {}; running it", task.attempt(), task.swarmId(),
                        task.id(), e.getMessage());
            }
            return OptionalLong.of(sessionEpoch);
        } finally {
            sessions.readLock().unlock();
        }
    }

    /** A report of an attempt whose session has ended; not sent. */
    private static final class SessionEnded extends RuntimeException {
        private static final long serialVersionUID = 1L;

        SessionEnded() {
            super(null, null, false, false);
        }
    }

    /**
     * {@code report}, sent only while the session {@code task} was claimed in goes on: once it
     * has ended, the server has taken the attempt back and the task may be the agent's again in
     * a later attempt, which the report (the API does not name the attempt) would wrongly end.
     * Throws {@link SessionEnded} then.
     */
    private <T> Supplier<T> inSessionOf(Assignment task, Supplier<T> report) {
        Long claimed = claimedIn.get(task);
        return () -> {
            sessions.readLock().lock();
            try {
                if (claimed != null && claimed != sessionEpoch) {
                    throw new SessionEnded();
                }
                return report.get();
            } finally {
                sessions.readLock().unlock();
            }
        };
    }

    /**
     * With a swarm, whether it is completed, failed or cancelled (or unknown to the server now);
     * without one, never. Asks once: false when the server does not answer.
     */
    @Override
    public boolean finished() {
        if (swarmId == null || swarmGone) {
            return swarmGone;
        }
        try {
            SwarmStatus status = client.swarm(swarmId).status();
            answered();
            return status.isFinished();
        } catch (HiveConnectionException e) {
            unanswered(e);
            return false;
        } catch (HiveApiException e) {
            if (e.status() >= 500) {
                unanswered(e);
                return false;
            }
            if (e.status() == 404) {
                log.error("the server no longer knows swarm {}", swarmId);
                swarmGone = true;
                return true;
            }
            throw e;
        }
    }

    /** Whether the server told that the swarm given is no longer known (nothing more will come). */
    public boolean swarmGone() {
        return swarmGone;
    }

    @Override
    public Report complete(Assignment task, String agent, String result) {
        checkAgent(agent);
        try {
            untilAnswered("completing " + task.ref(), inSessionOf(task, () -> client.complete(agentId, task.swarmId(),
                    task.taskId(), result)));
            return Report.RECORDED;
        } catch (SessionEnded e) {
            log.info("attempt {} of {} ended after its session: not reported completed", task.attempt(), task.ref());
            return Report.TAKEN_BACK;
        } catch (HiveApiException e) {
            if (e.status() == 409 && recordedBefore(task)) {
                return Report.RECORDED; // an earlier try was applied, its answer lost
            }
            return takenBack(task, e);
        } catch (GaveUp e) {
            log.warn("gave up reporting {} completed ({}): the server takes the attempt back", task.ref(),
                    e.getMessage());
            return Report.TAKEN_BACK;
        } finally {
            claimedIn.remove(task);
        }
    }

    @Override
    public Report fail(Assignment task, String agent, String error, boolean retryable) {
        checkAgent(agent);
        try {
            untilAnswered("failing " + task.ref(), inSessionOf(task, () -> client.fail(agentId, task.swarmId(),
                    task.taskId(), error, retryable)));
            return Report.RECORDED;
        } catch (SessionEnded e) {
            log.info("attempt {} of {} ended after its session: not reported failed", task.attempt(), task.ref());
            return Report.TAKEN_BACK;
        } catch (HiveApiException e) {
            return takenBack(task, e);
        } catch (GaveUp e) {
            log.warn("gave up reporting {} failed ({}): the server takes the attempt back", task.ref(), e.getMessage());
            return Report.TAKEN_BACK;
        } finally {
            claimedIn.remove(task);
        }
    }

    /** Renews the session; once, without retrying. A lost or unknown agent registers again. */
    @Override
    public void heartbeat(String agent) {
        checkAgent(agent);
        long epoch = sessionEpoch;
        try {
            client.heartbeat(agentId);
            answered();
        } catch (HiveConnectionException e) {
            if (!Thread.currentThread().isInterrupted()) {
                unanswered(e);
            }
        } catch (HiveApiException e) {
            if (e.status() >= 500) {
                unanswered(e);
            } else if (e.status() == 409 || e.status() == 404) {
                answered();
                sessionLost(epoch, e);
            } else {
                log.warn("heartbeat of {} refused: {}", agentId, e.getMessage());
            }
        }
    }

    /**
     * The agent leaves the server: its locks are released and what it still holds is requeued.
     * Waits through an outage like any call; false when it gave up or the server refused.
     */
    public boolean leave() {
        try {
            untilAnswered("leaving", () -> client.leave(agentId));
            return true;
        } catch (GaveUp e) {
            log.warn("{} could not leave ({}): the server takes back what it holds after its session timeout",
                    agentId, e.getMessage());
            return false;
        } catch (HiveApiException e) {
            log.warn("{} could not leave: {}", agentId, e.getMessage());
            return false;
        }
    }

    /**
     * From {@code patience} on, calls stop retrying through an outage (a claim comes back empty, a
     * report is given up) after one more try; the calls waiting then stop at their next retry.
     * Only ever shortens the deadline.
     */
    public void giveUpAfter(Duration patience) {
        long at = System.nanoTime() + patience.toNanos();
        synchronized (this) {
            if (!deadline || at - giveUpAt < 0) {
                giveUpAt = at;
                deadline = true;
            }
        }
    }

    /** Calls stop retrying at once. */
    public void giveUpNow() {
        giveUpAfter(Duration.ZERO);
    }

    /** The agent's id. */
    public String agentId() {
        return agentId;
    }

    private void checkAgent(String agent) {
        if (!agentId.equals(agent)) {
            throw new IllegalArgumentException("this work is agent " + agentId + "'s, not " + agent + "'s");
        }
    }

    /**
     * Calls {@code call} until the server answers it: through connection failures and 5xx
     * answers, with backoff. Any other error answer is thrown.
     */
    private <T> T untilAnswered(String what, Supplier<T> call) throws GaveUp {
        long backoff = FIRST_BACKOFF_MS;
        while (true) {
            RuntimeException failure;
            try {
                T answer = call.get();
                answered();
                return answer;
            } catch (HiveConnectionException e) {
                if (Thread.currentThread().isInterrupted()) {
                    throw new GaveUp(what + ": interrupted");
                }
                failure = e;
            } catch (HiveApiException e) {
                if (e.status() < 500) {
                    answered();
                    throw e;
                }
                failure = e;
            }
            unanswered(failure);
            if (deadline && System.nanoTime() - giveUpAt >= 0) {
                throw new GaveUp(what + ": " + failure.getMessage());
            }
            log.debug("{}: {}; again in {} ms", what, failure.getMessage(), backoff);
            try {
                long left = !deadline ? backoff
                        : Math.max(0, TimeUnit.NANOSECONDS.toMillis(giveUpAt - System.nanoTime()));
                TimeUnit.MILLISECONDS.sleep(Math.min(backoff, left));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new GaveUp(what + ": interrupted");
            }
            backoff = Math.min(maxBackoffMs, backoff * 2);
        }
    }

    private void answered() {
        if (reachable.compareAndSet(false, true)) {
            log.info("the server {} answers again", client.baseUri());
        }
    }

    private void unanswered(RuntimeException e) {
        if (reachable.compareAndSet(true, false)) {
            log.warn("the server {} does not answer ({}); trying again until it does", client.baseUri(),
                    e.getMessage());
        }
    }

    /**
     * The server has taken back what the agent held, as seen by a call made in session {@code
     * seen}: unless another thread has already dealt with that loss, running attempts are told
     * to end and the agent registers again. False when registering gave up.
     */
    private boolean sessionLost(long seen, HiveApiException why) {
        sessions.writeLock().lock();
        try {
            if (seen != sessionEpoch) {
                return true;
            }
            // A new session from here on: reports of the attempts of the old one are not sent.
            sessionEpoch++;
            log.warn("agent {} lost its session ({}); its running attempts were taken back: registering again",
                    agentId, why.detail() == null ? why.getMessage() : why.detail());
            onSessionLost.run();
            try {
                untilAnswered("registering " + agentId + " again", () -> client.register(registration));
            } catch (GaveUp e) {
                return false;
            }
            log.info("agent {} registered again", agentId);
            return true;
        } finally {
            sessions.writeLock().unlock();
        }
    }

    /** Whether the server knows the agent; true when it cannot tell (a 404 is then about the swarm). */
    private boolean agentKnown() {
        try {
            client.agent(agentId);
            return true;
        } catch (HiveApiException e) {
            return e.status() != 404;
        } catch (HiveConnectionException e) {
            return true;
        }
    }

    /** Whether a completion answered 409 had been recorded by an earlier try of the same report. */
    private boolean recordedBefore(Assignment assignment) {
        try {
            Task now = client.task(assignment.swarmId(), assignment.taskId());
            return now.status() == TaskState.COMPLETED && agentId.equals(now.assignedAgent())
                    && now.attempt() == assignment.attempt();
        } catch (HiveConnectionException | HiveApiException e) {
            return false;
        }
    }

    private Report takenBack(Assignment task, HiveApiException e) {
        if (e.status() == 409 || e.status() == 403 || e.status() == 404) {
            log.info("attempt {} of {} was no longer agent {}'s: {}", task.attempt(), task.ref(), agentId,
                    e.detail() == null ? e.getMessage() : e.detail());
            return Report.TAKEN_BACK;
        }
        throw e;
    }

    private Assignment assignment(Task task) {
        String ref = task.swarmId() + "/" + task.id();
        String text;
        try {
            text = json.writeValueAsString(task);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write task " + ref + " as JSON", e);
        }
        return new Assignment(task.swarmId(), task.id(), task.title(), task.description(), task.run(), task.attempt(),
                task.maxAttempts(), task.timeoutS(), lockToken(task, ref), text);
    }

    /**
     * The fencing token of the locks the claim took on the task's files: the agent's locks for
     * {@code swarm/task} in the swarm's workspace. Empty when the task has no files, or the server
     * stopped answering meanwhile (the attempt still runs; it is reported as usual).
     */
    private OptionalLong lockToken(Task task, String ref) {
        if (task.files().isEmpty()) {
            return OptionalLong.empty();
        }
        try {
            String workspace = workspaces.get(task.swarmId());
            if (workspace == null) {
                workspace = untilAnswered("reading swarm " + task.swarmId(), () -> client.swarm(task.swarmId()))
                        .workspace();
                workspaces.put(task.swarmId(), workspace);
            }
            String in = workspace;
            return untilAnswered("listing locks", () -> client.locks(in)).stream()
                    .filter(lock -> agentId.equals(lock.agentId()) && ref.equals(lock.taskId()))
                    .mapToLong(Lock::token)
                    .max();
        } catch (GaveUp | HiveApiException e) {
            log.warn("cannot read the lock token of {}: {}", ref, e.getMessage());
            return OptionalLong.empty();
        }
    }
}
