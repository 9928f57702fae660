package hive.cli.run;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The workers of one {@code hive run} or {@code hive agent}, each on a thread of its own, and the
 * way to stop them: {@link #stop} (stop claiming, let running attempts finish, end those still
 * running after a grace period) and {@link #kill} (end running attempts now). Every attempt ended
 * that way is reported failed, so the task runs again later.
 *
 * <p>Thread-safe: {@link #stop} and {@link #kill} are meant to be called from signal handlers.
 */
public final class Crew {

    private static final Logger log = LoggerFactory.getLogger(Crew.class);

    /** How long one claim waits before the worker looks again whether it should stop. */
    static final Duration CLAIM_WAIT = Duration.ofSeconds(30);

    private final WorkSource source;
    private final LaunchSettings settings;
    private final AttemptListener listener;
    private final Duration heartbeatEvery;
    private final List<Thread> threads = new ArrayList<>();
    /** The agents the workers claim as, each heartbeated once per beat. */
    private final Set<String> agents = ConcurrentHashMap.newKeySet();
    /** Renews the agents' sessions, from the first worker's start; guarded by {@code this}. */
    private ScheduledExecutorService heartbeats;
    /** Set once claiming should end; read by every worker before it claims. */
    private volatile boolean stopping;
    /** Set once running attempts are to be killed, including any started from now on. */
    private volatile boolean killed;
    /** The reason given to attempts ended by a stop, for their error. */
    private volatile String stopReason = "stopped";
    /** Threads waiting in a claim, to be interrupted when claiming ends. */
    private final Set<Thread> claiming = ConcurrentHashMap.newKeySet();
    /** Attempts running now. */
    private final Set<TaskProcess> running = ConcurrentHashMap.newKeySet();
    private final AtomicInteger stops = new AtomicInteger();

    /** Heartbeats every 10 s: a sixth of the default session timeout. */
    public Crew(WorkSource source, LaunchSettings settings, AttemptListener listener) {
        this(source, settings, listener, Duration.ofSeconds(10));
    }

    /** @param heartbeatEvery how often the session of each of the crew's agents is renewed while it works */
    public Crew(WorkSource source, LaunchSettings settings, AttemptListener listener, Duration heartbeatEvery) {
        this.source = source;
        this.settings = settings;
        this.listener = listener;
        this.heartbeatEvery = heartbeatEvery;
    }

    /**
     * Starts one worker for {@code agentId}, on a thread named after it. Several workers may share
     * an agent (one per task it may hold); each agent's session is renewed once per heartbeat.
     */
    public synchronized void start(String agentId) {
        if (heartbeats == null) {
            heartbeats = Executors.newSingleThreadScheduledExecutor(
                    Thread.ofPlatform().daemon().name("heartbeats").factory());
            heartbeats.scheduleWithFixedDelay(this::heartbeat, heartbeatEvery.toMillis(), heartbeatEvery.toMillis(),
                    TimeUnit.MILLISECONDS);
        }
        agents.add(agentId);
        Thread thread = Thread.ofPlatform().name("worker " + agentId).unstarted(new Worker(agentId, this));
        threads.add(thread);
        thread.start();
    }

    private void heartbeat() {
        for (String agentId : agents) {
            try {
                source.heartbeat(agentId);
            } catch (RuntimeException e) {
                log.warn("heartbeat of {} failed: {}", agentId, e.getMessage());
            }
        }
    }

    /** Waits until every worker has ended (the swarm finished, or the crew was stopped); heartbeats end then. */
    public void awaitEnd() throws InterruptedException {
        List<Thread> all;
        synchronized (this) {
            all = List.copyOf(threads);
        }
        try {
            for (Thread thread : all) {
                thread.join();
            }
        } finally {
            synchronized (this) {
                if (heartbeats != null) {
                    heartbeats.shutdownNow();
                }
            }
        }
    }

    /**
     * Ends claiming (workers waiting for a task stop waiting) and gives running attempts {@code
     * grace} to finish by themselves; those still running then are ended (SIGTERM, SIGKILL 2 s
     * later). Returns at once. Calling it again does nothing more.
     */
    public void stop(Duration grace, String reason) {
        if (stops.getAndIncrement() > 0) {
            return;
        }
        stopReason = reason;
        stopping = true;
        claiming.forEach(Thread::interrupt);
        Thread.ofPlatform().daemon().name("crew stop").start(() -> {
            long deadline = System.nanoTime() + grace.toNanos();
            try {
                while (!running.isEmpty() && System.nanoTime() < deadline) {
                    TimeUnit.MILLISECONDS.sleep(50);
                }
                for (TaskProcess attempt : List.copyOf(running)) {
                    attempt.stop(Launch.DEFAULT_GRACE);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    /** Ends claiming and kills every running attempt now (SIGKILL to each process group). */
    public void kill(String reason) {
        stopReason = reason;
        stopping = true;
        killed = true;
        claiming.forEach(Thread::interrupt);
        for (TaskProcess attempt : List.copyOf(running)) {
            try {
                attempt.kill();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Whether {@link #stop} or {@link #kill} was called. */
    public boolean stopped() {
        return stopping;
    }

    /** The attempts running now. */
    public int runningCount() {
        return running.size();
    }

    WorkSource source() {
        return source;
    }

    LaunchSettings settings() {
        return settings;
    }

    AttemptListener listener() {
        return listener;
    }

    String stopReason() {
        return stopReason;
    }

    boolean stopping() {
        return stopping;
    }

    /** Marks the calling worker as waiting in a claim; false when claiming has already ended. */
    boolean enterClaim() {
        claiming.add(Thread.currentThread());
        if (stopping) {
            claiming.remove(Thread.currentThread());
            return false;
        }
        return true;
    }

    void leaveClaim() {
        claiming.remove(Thread.currentThread());
        Thread.interrupted(); // an interrupt meant for the claim must not reach the attempt
    }

    /** Registers a started attempt; when the crew was killed meanwhile, it is killed too. */
    void running(TaskProcess attempt) throws InterruptedException {
        running.add(attempt);
        if (killed) {
            attempt.kill();
        }
    }

    void ended(TaskProcess attempt) {
        running.remove(attempt);
    }

    static void logUnexpected(String agentId, RuntimeException e) {
        log.error("worker {} failed; it stops", agentId, e);
    }
}
