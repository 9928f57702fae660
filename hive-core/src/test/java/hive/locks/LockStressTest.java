package hive.locks;

import static org.assertj.core.api.Assertions.assertThat;

import hive.Hive;
import hive.Hives;
import hive.TestClock;
import hive.agents.Agent;
import hive.agents.AgentStatus;
import hive.agents.Registration;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stress: 32 threads, each its own agent (half of them registered, half not), hammer a dozen
 * overlapping paths (files, {@code src/}, {@code docs/}, {@code src/**}{@code /*.ts}, {@code *.md})
 * in two workspaces of one {@link Hive} on a real SQLite file, on the real clock with the
 * background sweep every 200 ms, for 60 s ({@code -Dhive.stress.seconds=N} to change;
 * {@code -Dhive.stress.seed=N} for another mix, {@code -Dhive.stress.slackMillis=N} for another
 * lateness allowed to waits). Each thread mixes, at random: acquires without
 * waiting, acquires waiting 50 ms to 2 s (sometimes 5 s), all-or-nothing requests of up to three
 * paths while holding others (so waits may close cycles), shared and exclusive modes, short holds,
 * releases of some or all locks, renewals, heartbeats, sweeps, and, for registered agents,
 * leaving and registering again. A quarter of the threads take only short leases (0.3 to 2 s),
 * often leave them to run out and now and then go silent like a crashed client, so the sweep and
 * the grant of waiters on expiry get their share. Tens of thousands of operations in 60 s; the
 * figures are printed in one line at the end.
 *
 * <p>Checked while it runs:
 * <ol>
 *   <li>Mutual exclusion, seen by the agents: each thread records in a shared registry the long
 *       leases (30 s or more left) it was granted, and forgets them before it lets go of them. A
 *       grant that overlaps, in an incompatible mode, a live lease that another thread holds in
 *       that registry is a violation.
 *   <li>Fencing: every grant has a token never given before, on each of its locks; a lease
 *       registered on a path has a larger token than every earlier registered lease on an
 *       overlapping path that it excludes (any one for an exclusive lease, the exclusive ones for a
 *       shared lease). Renewals keep tokens, and release and renew return what the agent held.
 *   <li>Mutual exclusion, seen by the store: a checker thread reads {@link Hive#locks} every 50 ms;
 *       among the leases live after the read, no two agents hold overlapping paths of one
 *       workspace unless both are shared.
 *   <li>No waiter past its {@code wait_s}: every acquire that may wait returns within the wait
 *       plus 1.5 s (the worst overshoot is reported); one that times out ({@code Conflicted}) has
 *       waited its whole time; {@code Deadlocked} comes only to a request that may wait, from an
 *       agent that may hold something (one that holds nothing is in nobody's way), naming a cycle
 *       of distinct agents that starts with the requester.
 *   <li>No lost or phantom grant: after every timed-out wait (and now and then) the agent's locks
 *       in the store are exactly those it was told about (tokens it received, every long lease it
 *       holds still there); and at the end the engine's counts of grants, timed-out waits and
 *       refused deadlocks equal what the callers received.
 *   <li>No thread stuck: once told to stop, every thread finishes within the longest wait plus
 *       10 s, or the test fails with their stack traces.
 * </ol>
 * At the end every agent releases everything: no lock is left, nobody waits, and the file reopens
 * with no lock and a fencing counter that goes on growing.
 */
class LockStressTest {

    private static final int THREADS = 32;
    /** Threads from this index on take only short leases and seldom release them. */
    private static final int FIRST_SLOPPY = 24;
    private static final Duration RUN = Duration.ofSeconds(Long.getLong("hive.stress.seconds", 60));
    private static final long SEED = Long.getLong("hive.stress.seed", 20260314L);

    private static final Duration LONG_TTL = LockRequest.DEFAULT_TTL;
    /** Only leases with at least this much left when granted go into the registry. */
    private static final Duration REGISTER_AT_LEAST = Duration.ofSeconds(30);
    private static final Duration LONGEST_WAIT = Duration.ofSeconds(5);
    /** How late a waiting acquire may return (GC, scheduling and commits on a busy 2-core machine). */
    private static final Duration WAIT_SLACK = Duration.ofMillis(Long.getLong("hive.stress.slackMillis", 1500));
    /** How much earlier than its wait a timed-out acquire may return (timer granularity). */
    private static final Duration EARLY_TOLERANCE = Duration.ofMillis(20);
    private static final Duration STOP_GRACE = LONGEST_WAIT.plusSeconds(10);
    private static final Duration CHECK_EVERY = Duration.ofMillis(50);

    private static final String WS = "default";
    private static final String OTHER_WS = "other";
    /** Repeated entries are drawn more often: mostly files, now and then a directory or a glob. */
    private static final List<String> DEFAULT_PATHS = List.of(
            "README.md", "README.md", "README.md", "pom.xml", "pom.xml", "pom.xml",
            "src/a.ts", "src/a.ts", "src/a.ts", "src/a.ts", "src/b.ts", "src/b.ts", "src/b.ts", "src/b.ts",
            "src/lib/c.ts", "src/lib/c.ts", "src/lib/c.ts", "src/lib/d.js", "src/lib/d.js", "src/lib/d.js",
            "docs/guide.md", "docs/guide.md", "docs/guide.md",
            "src/", "docs/", "src/**/*.ts", "*.md");
    private static final List<String> OTHER_PATHS = List.of("README.md", "src/a.ts", "src/a.ts", "src/");

    @TempDir
    Path dir;

    @Test
    void thirtyTwoAgentsMixingLockOperationsOnAFewPathsKeepEveryInvariant() throws Exception {
        assertThat(new Overlaps(knownPaths()).disagreements())
                .as("pairs of paths where LockPath.overlaps differs from docs/locks.md").isEmpty();
        Hive hive = Hive.open(Hives.store(dir), InstantSource.system(),
                new Random(SEED), Duration.ofMillis(200));
        Context ctx = new Context(hive);
        AtomicReference<Throwable> closeFailure = new AtomicReference<>();
        boolean closed;
        try {
            runAndCheck(ctx);
        } finally {
            closed = closeWithin(hive, Duration.ofSeconds(20), closeFailure);
        }
        assertThat(closeFailure.get()).as("Hive.close() failed").isNull();
        assertThat(closed).as("Hive.close() returned within 20 s").isTrue();

        // and the file reopens with nothing locked, and the fencing counter goes on from where it was
        try (Hive again = Hives.open(dir, new TestClock())) {
            assertThat(again.locks(null)).as("locks after reopening").isEmpty();
            assertThat(again.lockStats().waiting()).as("waiters after reopening").isZero();
            AcquireResult after = again.acquire(LockRequest.exclusive("after-reopen", "src/", "README.md"));
            assertThat(after).isInstanceOf(AcquireResult.Granted.class);
            assertThat(((AcquireResult.Granted) after).token()).as("first token after reopening")
                    .isGreaterThan(ctx.maxToken.get());
        }
    }

    private static void runAndCheck(Context ctx) throws InterruptedException {
        List<Worker> workers = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < THREADS; i++) {
            Worker worker = new Worker(ctx, i);
            workers.add(worker);
            threads.add(Thread.ofPlatform().name("stress-" + worker.agentId).daemon(true).unstarted(worker));
        }
        Thread checker = Thread.ofPlatform().name("stress-checker").daemon(true).unstarted(() -> checkLoop(ctx));
        ctx.before = warmUp(ctx.hive);
        long started = System.nanoTime();
        checker.start();
        threads.forEach(Thread::start);

        // when they run for the whole time (or until something breaks)
        long runUntil = started + RUN.toNanos();
        while (!ctx.stop.get() && System.nanoTime() < runUntil) {
            LockSupport.parkNanos(Math.min(100_000_000L, Math.max(0, runUntil - System.nanoTime())));
        }
        ctx.stop.set(true);
        long stopped = System.nanoTime();
        long joinUntil = stopped + STOP_GRACE.toNanos();
        List<Thread> all = new ArrayList<>(threads);
        all.add(checker);
        for (Thread t : all) {
            long left = joinUntil - System.nanoTime();
            if (left > 0) {
                t.join(Duration.ofNanos(left));
            }
        }
        long stopMillis = (System.nanoTime() - stopped) / 1_000_000;
        long ranMillis = (stopped - started) / 1_000_000;

        // then no thread is stuck
        List<String> stuck = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            Thread t = all.get(i);
            if (t.isAlive()) {
                String doing = i < workers.size() ? workers.get(i).doing : "checking snapshots";
                stuck.add(describe(t, doing));
            }
        }
        if (!stuck.isEmpty()) {
            Thread.getAllStackTraces().forEach((t, trace) -> {
                boolean inHive = Arrays.stream(trace).anyMatch(f -> f.getClassName().startsWith("hive."));
                if (!all.contains(t) && inHive) {
                    stuck.add("(another thread in HiveMind code) " + describe(t, "-"));
                }
            });
        }
        String summary = ctx.summary(ranMillis, stopMillis);
        System.out.println(summary);
        assertThat(stuck).as("threads still running %s after the stop signal (%s)", STOP_GRACE, summary)
                .isEmpty();

        // and nothing broke on the way
        if (!ctx.errors.isEmpty()) {
            AssertionError failure = new AssertionError(ctx.errors.size() + " worker failure(s), the first: "
                    + ctx.errors.peek().getMessage() + "; violations: " + ctx.violations + " (" + summary + ")",
                    ctx.errors.peek().getCause());
            ctx.errors.stream().skip(1).limit(10).forEach(failure::addSuppressed);
            throw failure;
        }
        assertThat(ctx.violations).as("invariant violations (%s)", summary).isEmpty();

        // and every agent let go of everything: no lock left, nobody waiting
        Hive hive = ctx.hive;
        hive.sweep(); // a durable write after every release (releases return before they are durable)
        assertThat(hive.locks(null)).as("locks left after every agent released everything").isEmpty();
        LockTable.Stats stats = hive.lockStats();
        assertThat(stats.waiting()).as("callers still waiting").isZero();
        assertThat(hive.lockCounts().activeLocks()).as("live locks").isZero();

        // and the engine's figures match what the callers were told: no grant lost, none made twice
        LockTable.Stats before = ctx.before;
        assertThat(stats.grants() - before.grants()).as("grants made by the engine vs received by the agents")
                .isEqualTo(ctx.grants.sum());
        assertThat(stats.waitsTimedOut() - before.waitsTimedOut()).as("timed-out waits counted vs received")
                .isEqualTo(ctx.timeouts.sum());
        assertThat(stats.deadlocksRefused() - before.deadlocksRefused()).as("deadlocks refused counted vs received")
                .isEqualTo(ctx.deadlocks.sum());

        // and the run was a stress, not a stroll: every path of the engine was taken (shorter runs
        // on a loaded machine may miss some)
        if (RUN.toSeconds() >= 30) {
            assertThat(ctx.grants.sum()).as("grants").isGreaterThan(10 * RUN.toSeconds());
            assertThat(stats.waitsGranted() - before.waitsGranted()).as("waits granted").isPositive();
            assertThat(ctx.timeouts.sum()).as("waits timed out").isPositive();
            assertThat(ctx.deadlocks.sum()).as("deadlocks refused").isPositive();
            assertThat(ctx.noWaitConflicts.sum()).as("conflicts without waiting").isPositive();
            assertThat(stats.locksExpired() - before.locksExpired()).as("leases broken by expiry").isPositive();
            assertThat(ctx.leaves.sum()).as("agents that left and came back").isPositive();
            assertThat(ctx.snapshots.sum()).as("snapshots checked").isGreaterThan(RUN.toSeconds());
        }
    }

    /**
     * A few hundred operations on a workspace of their own before the agents start (grants, waits
     * that time out, releases, renewals, globs), so that class loading and the first compilations
     * do not count against the first waits. Returns the lock figures after it.
     */
    private static LockTable.Stats warmUp(Hive hive) {
        List<LockPath> wide = List.of(new LockPath("src/"), new LockPath("*.md"), new LockPath("src/**/*.ts"));
        List<LockPath> narrow = List.of(new LockPath("src/x.ts"), new LockPath("README.md"));
        for (int i = 0; i < 100; i++) {
            hive.acquire(new LockRequest("warm-a", "warm-up", wide, LockMode.EXCLUSIVE, LONG_TTL, null));
            AcquireResult refused = hive.acquire(new LockRequest("warm-b", "warm-up", narrow, LockMode.SHARED, LONG_TTL,
                    null), Duration.ofMillis(2));
            assertThat(refused).as("warm-up wait").isInstanceOf(AcquireResult.Conflicted.class);
            hive.release("warm-a", "warm-up", null);
            hive.acquire(new LockRequest("warm-b", "warm-up", narrow, LockMode.EXCLUSIVE, LONG_TTL, null),
                    Duration.ofMillis(100));
            hive.renew("warm-b", "warm-up", null, LONG_TTL);
            hive.locks(null);
            hive.release("warm-b", "warm-up", null);
        }
        hive.sweep();
        assertThat(hive.locks(null)).as("locks after the warm-up").isEmpty();
        return hive.lockStats();
    }

    private static String describe(Thread t, String doing) {
        StringBuilder out = new StringBuilder(t.getName()).append(" (").append(t.getState()).append(", doing: ")
                .append(doing).append(")");
        for (StackTraceElement frame : t.getStackTrace()) {
            out.append("\n        at ").append(frame);
        }
        return out.toString();
    }

    private static boolean closeWithin(Hive hive, Duration limit, AtomicReference<Throwable> failure)
            throws InterruptedException {
        Thread closer = Thread.ofPlatform().name("stress-closer").daemon(true).start(() -> {
            try {
                hive.close();
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        closer.join(limit);
        return !closer.isAlive();
    }

    // --- invariant 3: what the store holds ---

    /** Every 50 ms: no two agents hold live, overlapping, incompatible leases in one workspace. */
    private static void checkLoop(Context ctx) {
        try {
            while (!ctx.stop.get()) {
                List<Lock> snapshot = ctx.hive.locks(null);
                Instant now = Instant.now(); // after the read: a lease live now was live when read
                List<Lock> live = snapshot.stream().filter(l -> l.expiresAt().isAfter(now)).toList();
                ctx.maxLiveLocks.accumulateAndGet(live.size(), Math::max);
                for (int i = 0; i < live.size(); i++) {
                    for (int j = i + 1; j < live.size(); j++) {
                        Lock a = live.get(i);
                        Lock b = live.get(j);
                        if (!a.agentId().equals(b.agentId()) && a.workspace().equals(b.workspace())
                                && !compatible(a.mode(), b.mode()) && ctx.overlaps.test(a.path(), b.path())) {
                            ctx.violation("store snapshot holds two incompatible overlapping live leases: " + a
                                    + " and " + b + " (read before " + now + ")");
                        }
                    }
                }
                ctx.snapshots.increment();
                LockSupport.parkNanos(CHECK_EVERY.toNanos());
            }
        } catch (Throwable e) {
            ctx.error("checker", e);
        }
    }

    // --- the agents ---

    /** One agent on one platform thread: a seeded random mix of lock operations until told to stop. */
    private static final class Worker implements Runnable {
        private final Context ctx;
        private final int index;
        private final String agentId;
        private final boolean registered;
        private final boolean sloppy;
        private final Random random;
        /** Long leases this agent holds, also in the registry, by workspace and path. */
        private final Map<String, Lock> held = new HashMap<>();
        /** Short leases this agent may still hold (they may end on their own). */
        private final Map<String, Lock> shortHeld = new HashMap<>();
        private final Set<Long> myTokens = new HashSet<>();
        /** False only while the agent surely holds nothing: since it released everything or left. */
        private boolean mayHold;
        volatile String doing = "starting";

        Worker(Context ctx, int index) {
            this.ctx = ctx;
            this.index = index;
            this.registered = index % 2 == 0;
            this.sloppy = index >= FIRST_SLOPPY;
            this.agentId = agentId(index);
            this.random = new Random(SEED * 31 + index);
        }

        static String agentId(int index) {
            return (index % 2 == 0 ? "reg-" : "anon-") + (index >= FIRST_SLOPPY ? "sloppy-" : "") + index;
        }

        @Override
        public void run() {
            try {
                if (registered) {
                    ctx.hive.register(Registration.of(agentId));
                }
                while (!ctx.stop.get()) {
                    step();
                    ctx.ops.increment();
                }
            } catch (Throwable e) {
                ctx.error(agentId + " while " + doing, e);
            } finally {
                try {
                    letGoOfEverything();
                } catch (Throwable e) {
                    ctx.error(agentId + " while releasing everything at the end", e);
                }
                doing = "done";
            }
        }

        private void step() {
            int r = random.nextInt(1000);
            if (registered && r < 15) {
                leaveAndComeBack();
            } else if (registered && !sloppy && r < 30) {
                doing = "heartbeat";
                Agent agent = ctx.hive.heartbeat(agentId);
                if (agent.status() != AgentStatus.ACTIVE) {
                    violation("heartbeat left the agent " + agent.status());
                }
            } else if (!sloppy && r < 70) {
                renewHeld();
            } else if (r < 100) {
                renewShortLeases();
            } else if (r < 110) {
                doing = "sweep";
                ctx.hive.sweep();
            } else if (r < 130) {
                checkOwnLocks("at random");
            } else {
                acquire();
            }
        }

        private void acquire() {
            String ws = random.nextInt(100) < 85 ? WS : OTHER_WS;
            List<String> pool = ws.equals(WS) ? DEFAULT_PATHS : OTHER_PATHS;
            int count = Math.min(1 + (random.nextInt(100) < 50 ? 0 : random.nextInt(100) < 70 ? 1 : 2),
                    new HashSet<>(pool).size());
            Set<String> chosen = new LinkedHashSet<>();
            while (chosen.size() < count) {
                chosen.add(pool.get(random.nextInt(pool.size())));
            }
            List<LockPath> paths = chosen.stream().map(LockPath::new).toList();
            LockMode mode = random.nextInt(4) == 0 ? LockMode.SHARED : LockMode.EXCLUSIVE;
            boolean shortLease = sloppy || random.nextInt(10) == 0;
            Duration ttl = shortLease ? Duration.ofMillis(300 + random.nextInt(1700)) : LONG_TTL;
            LockRequest request = new LockRequest(agentId, ws, paths, mode, ttl, null);
            boolean waits = random.nextInt(100) < 65;
            Duration wait = !waits ? Duration.ZERO
                    : random.nextInt(10) == 0 ? LONGEST_WAIT : Duration.ofMillis(50 + random.nextInt(1951));

            doing = "acquire " + chosen + " in " + ws + " " + mode.wire() + " ttl " + ttl.toMillis() + " ms"
                    + (waits ? " waiting " + wait.toMillis() + " ms" : "");
            long start = System.nanoTime();
            AcquireResult result = waits ? ctx.hive.acquire(request, wait) : ctx.hive.acquire(request);
            long elapsed = System.nanoTime() - start;
            if (waits) {
                ctx.waitCalls.increment();
                ctx.recordWait(elapsed, wait, result, agentId);
                if (elapsed > wait.plus(WAIT_SLACK).toNanos()) {
                    violation(doing + ": returned " + kind(result) + " after " + elapsed / 1_000_000 + " ms, more than"
                            + " its wait plus " + WAIT_SLACK.toMillis() + " ms");
                }
            } else {
                ctx.worstNoWaitNanos.accumulateAndGet(elapsed, Math::max);
            }
            switch (result) {
                case AcquireResult.Granted granted -> {
                    granted(request, granted, waits);
                    hold();
                    afterHolding(request);
                }
                case AcquireResult.Conflicted conflicted -> {
                    checkConflicts(request, conflicted);
                    if (waits) {
                        ctx.timeouts.increment();
                        if (elapsed < wait.minus(EARLY_TOLERANCE).toNanos()) {
                            violation(doing + ": gave up after only " + elapsed / 1_000_000 + " ms: " + conflicted);
                        }
                        checkOwnLocks("after a timed-out wait");
                        if (random.nextInt(100) < 30) {
                            letGoOfEverything();
                        }
                    } else {
                        ctx.noWaitConflicts.increment();
                    }
                }
                case AcquireResult.Deadlocked deadlocked -> {
                    ctx.deadlocks.increment();
                    List<String> cycle = deadlocked.cycle();
                    if (!waits) {
                        violation(doing + ": a request that does not wait was refused for a deadlock " + cycle);
                    }
                    if (!mayHold) {
                        // it waits for nothing, so only a lock of its own can be in someone's way
                        violation(doing + ": refused for a deadlock " + cycle + " while it holds nothing");
                    }
                    if (cycle.size() < 2 || !cycle.get(0).equals(agentId) || new HashSet<>(cycle).size() != cycle.size()
                            || !cycle.stream().allMatch(ctx.agentIds::contains)) {
                        violation(doing + ": deadlock cycle " + cycle + " should be distinct known agents, " + agentId
                                + " first");
                    }
                    if (random.nextInt(100) < 70) {
                        letGoOfEverything(); // back off, as a client would
                    }
                }
            }
        }

        private static String kind(AcquireResult result) {
            return result.getClass().getSimpleName();
        }

        private void granted(LockRequest request, AcquireResult.Granted granted, boolean waited) {
            long token = granted.token();
            ctx.grants.increment();
            if (waited) {
                ctx.grantsOnWaitCalls.increment();
            }
            ctx.maxToken.accumulateAndGet(token, Math::max);
            if (!ctx.allTokens.add(token)) {
                violation(doing + ": token " + token + " was granted before");
            }
            myTokens.add(token);
            mayHold = true;
            Set<String> wanted = new HashSet<>();
            request.paths().forEach(p -> wanted.add(p.value()));
            Set<String> got = new HashSet<>();
            for (Lock lock : granted.locks()) {
                got.add(lock.path());
                if (!lock.agentId().equals(agentId) || !lock.workspace().equals(request.workspace())
                        || lock.token() != token
                        || (request.mode() == LockMode.EXCLUSIVE && lock.mode() != LockMode.EXCLUSIVE)) {
                    violation(doing + ": granted lock " + lock + " does not match the grant (token " + token + ")");
                }
            }
            if (!got.equals(wanted) || granted.locks().size() != wanted.size()) {
                violation(doing + ": granted " + granted.locks() + " for paths " + wanted);
            }
            Instant longFrom = Instant.now().plus(REGISTER_AT_LEAST);
            List<Lock> longLeases = granted.locks().stream().filter(l -> l.expiresAt().isAfter(longFrom)).toList();
            for (String problem : ctx.registry.granted(index, granted.locks(), longLeases)) {
                violation(doing + ": " + problem);
            }
            for (Lock lock : granted.locks()) {
                String key = key(lock);
                if (longLeases.contains(lock)) {
                    held.put(key, lock);
                    shortHeld.remove(key);
                } else {
                    shortHeld.put(key, lock);
                }
            }
        }

        private void hold() {
            int millis = random.nextInt(6);
            if (millis > 0) {
                doing = "holding for " + millis + " ms";
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(millis));
            }
        }

        /** Lets go of all, some or none of what it holds; sloppy agents mostly let leases run out. */
        private void afterHolding(LockRequest request) {
            Instant now = Instant.now();
            shortHeld.values().removeIf(l -> !l.expiresAt().isAfter(now));
            int r = random.nextInt(100);
            if (sloppy) {
                if (r < 40) {
                    letGoOfEverything();
                } else if (r < 45 && request.ttl().toMillis() <= 1_000) {
                    walkAway(request);
                }
                // else: go on; the short leases run out unless asked for again
                return;
            }
            if (held.size() + shortHeld.size() > 3 || r < 45) {
                letGoOfEverything();
            } else if (r < 85) {
                List<String> mine = new ArrayList<>();
                for (LockPath p : request.paths()) {
                    String key = key(request.workspace(), p.value());
                    if (held.containsKey(key) && (mine.isEmpty() || random.nextBoolean())) {
                        mine.add(key);
                    }
                }
                if (mine.isEmpty()) {
                    letGoOfEverything();
                } else {
                    releaseSome(request.workspace(), mine);
                }
            }
            // else: keep holding; the next request may then wait while holding
        }

        /**
         * Goes silent, as a crashed client would, until the short leases just granted have ended
         * and a little more: the sweep (or the next request in the workspace) breaks them and
         * grants those waiting for them.
         */
        private void walkAway(LockRequest request) {
            Instant last = Instant.now();
            for (String key : new ArrayList<>(shortHeld.keySet())) {
                Lock lock = shortHeld.get(key);
                if (lock.workspace().equals(request.workspace()) && lock.expiresAt().isAfter(last)) {
                    last = lock.expiresAt();
                }
            }
            long millis = Math.min(2_500, Duration.between(Instant.now(), last).toMillis() + 100 + random.nextInt(400));
            doing = "silent for " + millis + " ms, leaving its short leases to run out";
            ctx.walkAways.increment();
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(millis));
        }

        /** Forgets, then releases every lock of the agent: the long ones must all come back, tokens intact. */
        private void letGoOfEverything() {
            doing = "releasing everything";
            Map<String, Lock> expected = new HashMap<>(held);
            ctx.registry.dropAll(index);
            held.clear();
            shortHeld.clear();
            List<Lock> released = ctx.hive.release(agentId, WS, null);
            mayHold = false;
            ctx.releases.increment();
            checkReturned("release of everything", released, expected, false);
        }

        private void releaseSome(String ws, List<String> keys) {
            doing = "releasing " + keys;
            Map<String, Lock> expected = new HashMap<>();
            for (String key : keys) {
                expected.put(key, held.remove(key));
            }
            ctx.registry.drop(index, keys);
            List<LockPath> paths = keys.stream().map(k -> new LockPath(k.substring(k.indexOf('\u0000') + 1)))
                    .toList();
            List<Lock> released = ctx.hive.release(agentId, ws, paths);
            ctx.releases.increment();
            checkReturned("release of " + paths, released, expected, true);
        }

        /** Renews its long leases (or, now and then, all its leases) for the long ttl. */
        private void renewHeld() {
            if (held.isEmpty()) {
                return;
            }
            boolean all = random.nextInt(10) < 3;
            String ws = all ? WS : held.values().iterator().next().workspace();
            Map<String, Lock> expected = new HashMap<>();
            held.forEach((key, lock) -> {
                if (all || lock.workspace().equals(ws)) {
                    expected.put(key, lock);
                }
            });
            List<LockPath> paths = all ? null : expected.values().stream().map(l -> new LockPath(l.path())).toList();
            doing = "renewing " + (all ? "everything" : expected.keySet());
            List<Lock> renewed = ctx.hive.renew(agentId, ws, paths, LONG_TTL);
            ctx.renewals.increment();
            checkReturned("renewal", renewed, expected, !all);
            for (Lock lock : renewed) {
                if (held.containsKey(key(lock))) {
                    held.put(key(lock), lock);
                }
            }
        }

        /** Renews some short leases it may still hold for another short while (never a long one). */
        private void renewShortLeases() {
            List<Lock> candidates = shortHeld.values().stream().filter(l -> !held.containsKey(key(l))).toList();
            if (candidates.isEmpty()) {
                return;
            }
            String ws = candidates.get(0).workspace();
            List<LockPath> paths = candidates.stream().filter(l -> l.workspace().equals(ws))
                    .map(l -> new LockPath(l.path())).toList();
            Duration ttl = Duration.ofMillis(300 + random.nextInt(1700));
            doing = "renewing short leases " + paths + " in " + ws + " for " + ttl.toMillis() + " ms";
            List<Lock> renewed = ctx.hive.renew(agentId, ws, paths, ttl);
            ctx.renewals.increment();
            for (Lock lock : renewed) {
                if (!lock.agentId().equals(agentId) || !paths.contains(new LockPath(lock.path()))
                        || !myTokens.contains(lock.token())) {
                    violation(doing + ": renewed " + lock);
                }
                shortHeld.put(key(lock), lock);
            }
        }

        private void leaveAndComeBack() {
            doing = "leaving";
            ctx.registry.dropAll(index);
            held.clear();
            shortHeld.clear();
            Agent gone = ctx.hive.leave(agentId);
            mayHold = false;
            if (gone.status() != AgentStatus.GONE) {
                violation("after leaving, the agent is " + gone.status());
            }
            List<Lock> left = ctx.hive.locks(null).stream().filter(l -> l.agentId().equals(agentId)).toList();
            if (!left.isEmpty()) {
                violation("an agent that left still holds " + left);
            }
            doing = "registering again";
            Agent back = ctx.hive.register(Registration.of(agentId));
            if (back.status() != AgentStatus.ACTIVE) {
                violation("registered again, the agent is " + back.status());
            }
            ctx.leaves.increment();
        }

        /**
         * The agent's locks in the store are what it was told: only tokens it received, and every
         * long lease it holds is there with its token.
         */
        private void checkOwnLocks(String when) {
            doing = "checking its own locks " + when;
            List<Lock> mine = ctx.hive.locks(null).stream().filter(l -> l.agentId().equals(agentId)).toList();
            ctx.ownChecks.increment();
            Map<String, Lock> byKey = new HashMap<>();
            for (Lock lock : mine) {
                byKey.put(key(lock), lock);
                if (!myTokens.contains(lock.token())) {
                    violation("(" + when + ") the store holds a lock for " + agentId + " that it was never granted: "
                            + lock);
                }
            }
            Instant soon = Instant.now().plusSeconds(1);
            held.forEach((key, lock) -> {
                Lock stored = byKey.get(key);
                if (lock.expiresAt().isAfter(soon) && (stored == null || stored.token() != lock.token())) {
                    violation("(" + when + ") the lease " + lock + " it holds is in the store as " + stored);
                }
            });
        }

        /**
         * What a release or renewal returned: every expected long lease, with its token; with
         * {@code exact}, nothing else; only locks of this agent under tokens it received.
         */
        private void checkReturned(String what, List<Lock> returned, Map<String, Lock> expected, boolean exact) {
            Map<String, Lock> byKey = new HashMap<>();
            for (Lock lock : returned) {
                byKey.put(key(lock), lock);
                if (!lock.agentId().equals(agentId) || !myTokens.contains(lock.token())) {
                    violation(what + " by " + agentId + " returned " + lock);
                }
            }
            expected.forEach((key, lock) -> {
                Lock back = byKey.get(key);
                if (back == null || back.token() != lock.token()) {
                    violation(what + " by " + agentId + " returned " + back + " for the held " + lock);
                }
            });
            if (exact && !byKey.keySet().equals(expected.keySet())) {
                violation(what + " by " + agentId + " returned " + returned + ", expected " + expected.values());
            }
        }

        private void checkConflicts(LockRequest request, AcquireResult.Conflicted conflicted) {
            Set<String> wanted = new HashSet<>();
            request.paths().forEach(p -> wanted.add(p.value()));
            if (conflicted.conflicts().isEmpty()) {
                violation(doing + ": refused with no conflict");
            }
            for (AcquireResult.Conflict c : conflicted.conflicts()) {
                if (c.heldBy().equals(agentId) || !wanted.contains(c.path())) {
                    violation(doing + ": refused for " + c);
                }
            }
        }

        private void violation(String message) {
            ctx.violation(agentId + ": " + message);
        }
    }

    private static Set<String> knownPaths() {
        Set<String> paths = new LinkedHashSet<>(DEFAULT_PATHS);
        paths.addAll(OTHER_PATHS);
        return paths;
    }

    private static String key(Lock lock) {
        return key(lock.workspace(), lock.path());
    }

    private static String key(String workspace, String path) {
        return workspace + '\u0000' + path;
    }

    // --- invariants 1 and 2: what the agents believe they hold ---

    /**
     * The long leases each thread believes it holds, and for each workspace and path the largest
     * token registered on it (by any lease, and by exclusive ones). Synchronized: a thread checks
     * and registers a grant in one step, and forgets a lease before it releases it.
     */
    private static final class Registry {
        private final Overlaps overlaps;
        private final Map<Integer, Map<String, Lock>> byOwner = new HashMap<>();
        private final Map<String, Long> lastAny = new HashMap<>();
        private final Map<String, Long> lastExclusive = new HashMap<>();

        Registry(Overlaps overlaps) {
            this.overlaps = overlaps;
        }

        /**
         * Checks every lock of a grant against the live leases the other threads hold, checks the
         * tokens of {@code toRegister} against earlier leases on overlapping paths, and registers
         * them. Returns the problems found.
         */
        synchronized List<String> granted(int owner, List<Lock> locks, List<Lock> toRegister) {
            List<String> problems = new ArrayList<>();
            Instant now = Instant.now();
            for (Lock mine : locks) {
                byOwner.forEach((other, leases) -> {
                    if (other == owner) {
                        return;
                    }
                    for (Lock theirs : leases.values()) {
                        if (theirs.workspace().equals(mine.workspace()) && theirs.expiresAt().isAfter(now)
                                && !compatible(mine.mode(), theirs.mode())
                                && overlaps.test(mine.path(), theirs.path())) {
                            problems.add("mutual exclusion broken: granted " + mine + " while " + theirs
                                    + " is held");
                        }
                    }
                });
            }
            for (Lock lock : toRegister) {
                for (String path : overlaps.overlapping(lock.path())) {
                    String key = key(lock.workspace(), path);
                    Long bound = lock.mode() == LockMode.EXCLUSIVE ? lastAny.get(key) : lastExclusive.get(key);
                    if (bound != null && lock.token() <= bound) {
                        problems.add("fencing broken: " + lock + " has a token not above " + bound + ", the token of"
                                + " an earlier lease on '" + path + "'");
                    }
                }
            }
            Map<String, Lock> mineHeld = byOwner.computeIfAbsent(owner, o -> new HashMap<>());
            for (Lock lock : toRegister) {
                String key = key(lock);
                mineHeld.put(key, lock);
                lastAny.merge(key, lock.token(), Math::max);
                if (lock.mode() == LockMode.EXCLUSIVE) {
                    lastExclusive.merge(key, lock.token(), Math::max);
                }
            }
            return problems;
        }

        synchronized void drop(int owner, List<String> keys) {
            Map<String, Lock> mine = byOwner.get(owner);
            if (mine != null) {
                keys.forEach(mine::remove);
            }
        }

        synchronized void dropAll(int owner) {
            byOwner.remove(owner);
        }
    }

    /**
     * Which of the paths drawn overlap, written out by hand (docs/locks.md) so that the checks do
     * not lean on the {@link LockPath#overlaps} they check; the test makes sure the two agree.
     */
    private static final class Overlaps {
        /** Every pair of distinct paths that overlap; every path overlaps itself. */
        private static final List<List<String>> PAIRS = List.of(
                List.of("src/", "src/a.ts"), List.of("src/", "src/b.ts"), List.of("src/", "src/lib/c.ts"),
                List.of("src/", "src/lib/d.js"), List.of("src/", "src/**/*.ts"),
                List.of("src/**/*.ts", "src/a.ts"), List.of("src/**/*.ts", "src/b.ts"),
                List.of("src/**/*.ts", "src/lib/c.ts"),
                List.of("src/**/*.ts", "src/lib/d.js"), // d.js may be a folder: src/lib/d.js/x.ts
                List.of("docs/", "docs/guide.md"),
                List.of("*.md", "README.md"));

        private final List<String> known;
        private final Set<List<String>> overlapping = new HashSet<>();

        Overlaps(Set<String> paths) {
            this.known = List.copyOf(paths);
            for (String path : known) {
                overlapping.add(List.of(path, path));
            }
            for (List<String> pair : PAIRS) {
                overlapping.add(pair);
                overlapping.add(List.of(pair.get(1), pair.get(0)));
            }
        }

        boolean test(String a, String b) {
            if (!known.contains(a) || !known.contains(b)) {
                throw new IllegalStateException("a lock on a path never asked for: '" + a + "' or '" + b + "'");
            }
            return overlapping.contains(List.of(a, b));
        }

        List<String> overlapping(String path) {
            return known.stream().filter(other -> test(path, other)).toList();
        }

        /** Where {@link LockPath#overlaps} says otherwise. */
        List<String> disagreements() {
            List<String> out = new ArrayList<>();
            for (String a : known) {
                for (String b : known) {
                    if (new LockPath(a).overlaps(new LockPath(b)) != test(a, b)) {
                        out.add(a + " / " + b);
                    }
                }
            }
            return out;
        }
    }

    /** Whether two agents may hold overlapping locks in these modes (API.md: only both shared). */
    private static boolean compatible(LockMode a, LockMode b) {
        return a == LockMode.SHARED && b == LockMode.SHARED;
    }

    // --- shared state and figures ---

    private static final class Context {
        final Hive hive;
        final AtomicBoolean stop = new AtomicBoolean();
        final Overlaps overlaps;
        final Registry registry;
        final Set<String> agentIds = ConcurrentHashMap.newKeySet();
        final Set<Long> allTokens = ConcurrentHashMap.newKeySet();
        final Queue<String> violations = new ConcurrentLinkedQueue<>();
        final Queue<Throwable> errors = new ConcurrentLinkedQueue<>();

        final LongAdder ops = new LongAdder();
        final LongAdder grants = new LongAdder();
        final LongAdder grantsOnWaitCalls = new LongAdder();
        final LongAdder waitCalls = new LongAdder();
        final LongAdder timeouts = new LongAdder();
        final LongAdder deadlocks = new LongAdder();
        final LongAdder noWaitConflicts = new LongAdder();
        final LongAdder releases = new LongAdder();
        final LongAdder renewals = new LongAdder();
        final LongAdder leaves = new LongAdder();
        final LongAdder walkAways = new LongAdder();
        final LongAdder ownChecks = new LongAdder();
        final LongAdder snapshots = new LongAdder();
        final AtomicLong maxToken = new AtomicLong();
        final AtomicLong maxLiveLocks = new AtomicLong();
        final AtomicLong worstNoWaitNanos = new AtomicLong();
        volatile LockTable.Stats before;
        private long worstOvershootNanos = Long.MIN_VALUE;
        private String worstOvershoot = "none";

        Context(Hive hive) {
            this.hive = hive;
            this.overlaps = new Overlaps(knownPaths());
            this.registry = new Registry(overlaps);
            for (int i = 0; i < THREADS; i++) {
                agentIds.add(Worker.agentId(i));
            }
        }

        synchronized void recordWait(long elapsedNanos, Duration wait, AcquireResult result, String agentId) {
            long overshoot = elapsedNanos - wait.toNanos();
            if (overshoot > worstOvershootNanos) {
                worstOvershootNanos = overshoot;
                worstOvershoot = overshoot / 1_000_000 + " ms (" + agentId + ", wait " + wait.toMillis() + " ms, "
                        + result.getClass().getSimpleName() + ")";
            }
        }

        void violation(String message) {
            violations.add(message);
            stop.set(true);
        }

        void error(String where, Throwable e) {
            errors.add(new AssertionError(where + ": " + e, e));
            stop.set(true);
        }

        synchronized String summary(long ranMillis, long stopMillis) {
            LockTable.Stats stats = hive.lockStats();
            return String.format("LockStressTest: %d threads for %.1f s (seed %d), stopped in %d ms: %d operations,"
                    + " %d grants (%d on waiting calls; engine: %d waits granted, mean %.0f ms, longest %d ms),"
                    + " %d waiting calls, %d timed out, %d deadlocks refused, %d conflicts without waiting,"
                    + " %d releases, %d renewals, %d leaves, %d walk-aways, %d leases expired, %d own-lock checks,"
                    + " %d snapshots (max %d live locks), worst overshoot %s, slowest no-wait acquire %d ms,"
                    + " %d violations, %d errors",
                    THREADS, ranMillis / 1000.0, SEED, stopMillis, ops.sum(), grants.sum(), grantsOnWaitCalls.sum(),
                    stats.waitsGranted() - before.waitsGranted(), stats.meanWaitMillis(), stats.longestWaitMillis(),
                    waitCalls.sum(), timeouts.sum(), deadlocks.sum(), noWaitConflicts.sum(), releases.sum(),
                    renewals.sum(), leaves.sum(), walkAways.sum(), stats.locksExpired() - before.locksExpired(),
                    ownChecks.sum(), snapshots.sum(), maxLiveLocks.get(), worstOvershoot,
                    worstNoWaitNanos.get() / 1_000_000, violations.size(), errors.size());
        }
    }
}
