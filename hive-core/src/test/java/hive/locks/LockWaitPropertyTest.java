package hive.locks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import hive.Conflict;
import hive.Hive;
import hive.Hives;
import hive.NotFound;
import hive.TestClock;
import hive.agents.Agent;
import hive.agents.AgentStatus;
import hive.agents.Registration;
import hive.store.LockWaiter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionTimeoutException;

/**
 * Lock WAITING (through the {@link Hive} facade, on a real SQLite file, with real blocked caller
 * threads) against a small, plain reference model of docs/locks.md, API.md "Locks" and the rules
 * of {@link LockTable}: random sequences of acquires without and with a wait, releases (some paths
 * or all; often by an agent holding what a queued waiter needs), renewals, interrupted waiters
 * (they give up and keep their interrupt), leaves and registrations again, clock moves and sweeps
 * (short leases end and are broken), by 3-4 agents (three registered, one embedded), on files,
 * a directory ({@code src/}) and globs ({@code src/**}{@code /*.ts}, {@code *.md}) in two
 * workspaces, in both modes. {@link LockPropertyTest} covers the same engine without waiting.
 *
 * <p>The model holds the locks, one FIFO queue of waiters (arrival order over every workspace)
 * and, per operation, the grants it predicts. It decides from {@link LockPath#overlaps} and the
 * modes only, never by asking the engine what should happen (it takes from the engine only the
 * values it cannot know: fencing tokens and waiter ids). Its rules:
 * <ul>
 *   <li>In the way of agent A taking paths P in mode M: live locks of other agents in the same
 *       workspace overlapping a path of P, unless both shared; and queued waiters of other agents
 *       in that workspace that arrived earlier (for a new request: all of them), want an
 *       overlapping path and are not both shared, except a waiter that itself waits for A (A
 *       holds a live lock in its way).
 *   <li>A request (with or without a wait) first lets the queued waiters of its workspace go if
 *       they can (an ended lease is over), then is granted when nothing is in its way; otherwise
 *       a request without a wait is refused with exactly the conflicts in its way, and one with a
 *       wait is refused with {@code Deadlocked} when an agent in its way reaches the requester in
 *       the wait-for graph (X waits for the agents in the way of each of X's waiters, at its own
 *       arrival position), else it is queued and its caller blocks.
 *   <li>Whatever frees paths (a release, a break of ended leases by the sweep, a waiter leaving
 *       the queue) checks, in the same operation, every waiter of the workspace in arrival order
 *       and grants those with nothing in their way now. An agent that acts (is granted, releases,
 *       renews, leaves) drops its own ended leases, and the waiters of their workspaces are
 *       checked again too: nobody may stay queued behind a lease that has ended. An interrupted waiter leaves the queue
 *       and is granted if nothing is in its way then, else refused with the conflicts in its way.
 *       An agent that leaves has its waiters dropped (refused), then its locks released.
 * </ul>
 *
 * <p>After EVERY operation (and a durable barrier, after which every grant made so far has been
 * handed to its caller): (1) the lock list is the model's; (2) no two agents hold overlapping live
 * locks unless both shared; (3) the queued waiters are the model's, in the same order, and their
 * callers are still blocked; (4) exactly the waiters the model grants in this operation have
 * returned {@code Granted} with the locks the model predicts, and none was granted while an
 * earlier waiter that wants an overlapping path in a conflicting mode (and does not wait for it)
 * was still queued, nor was a new request granted past such a waiter; (5) every grant's token is
 * larger than every earlier one, and the grants of one operation in one workspace are made in
 * arrival order; (6) {@code Deadlocked} exactly when the model sees a cycle, the cycle named is a
 * cycle of the model's wait-for graph starting with the requester, and a refused request
 * (conflicted, deadlocked, or by an agent that left) changes nothing; waiters that give up or are
 * dropped get {@code Conflicted} with the conflicts in their way; the lock figures (grants, waits
 * granted, deadlocks refused, callers waiting) agree. At the end, closing the Hive ends the waits
 * still blocked with {@link IllegalStateException}.
 *
 * <p>Waits are 60 s (the most allowed), so no wait times out by itself during a run: a waiter
 * gives up only when interrupted. The session timeout is one day, so no agent is lost to silence
 * (LockPropertyTest covers that). Sequence length: up to {@code -Dhive.props.maxOps=N}
 * operations (default 40), uniformly distributed.
 */
class LockWaitPropertyTest {

    static final int MAX_OPS = Integer.getInteger("hive.props.maxOps", 40);

    static final List<String> PATHS = List.of("a.txt", "README.md", "docs/d.md", "src/x.ts", "src/y.ts", "src/",
            "src/**/*.ts", "*.md");
    static final List<String> WORKSPACES = List.of("default", "other");
    static final Duration WAIT = Hive.MAX_WAIT;
    static final Duration SESSION = Duration.ofDays(1);
    /** How long the test waits for a caller thread to get its answer before it calls it a failure. */
    static final Duration PATIENCE = Duration.ofSeconds(10);
    static final int LONG_TTL_S = 3600;

    // --- the scenario ---

    /** Who plays: a0, a1 and a3 registered (they may leave), a2 embedded (unregistered). */
    record AgentSpec(String id, boolean registered) {
        @Override
        public String toString() {
            return id + (registered ? "(registered)" : "(unregistered)");
        }
    }

    static List<AgentSpec> agents(int count) {
        List<AgentSpec> all = List.of(new AgentSpec("a0", true), new AgentSpec("a1", true),
                new AgentSpec("a2", false), new AgentSpec("a3", true));
        return all.subList(0, count);
    }

    sealed interface Op {
    }

    /** {@code waits}: with a wait of 60 s (blocks on its own thread until granted), else without. */
    record Acquire(int agent, int ws, List<Integer> paths, LockMode mode, int ttlS, boolean waits) implements Op {
    }

    /** {@code which}: "all" (no paths), "own" (paths picked among what the agent lists), "any". */
    record Release(int agent, int ws, String which, List<Integer> picks) implements Op {
    }

    record Renew(int agent, int ws, String which, List<Integer> picks, int ttlS) implements Op {
    }

    /**
     * An agent holding a live lock in the way of a queued waiter (picked among them) releases those
     * of its locks that are in the way, or all it holds: what wakes waiters most often.
     */
    record Unblock(int pick, boolean all) implements Op {
    }

    /** Interrupts the caller of one queued waiter (picked among them): it gives up. */
    record Interrupt(int pick) implements Op {
    }

    record Leave(int agent) implements Op {
    }

    record Register(int agent) implements Op {
    }

    record Advance(int seconds) implements Op {
    }

    record Sweep() implements Op {
    }

    record Scenario(int agentCount, List<Op> ops) {
        @Override
        public String toString() {
            return "agents " + agents(agentCount) + "\nops " + ops;
        }
    }

    @Provide
    Arbitrary<Scenario> scenarios() {
        return Combinators.combine(Arbitraries.integers().between(3, 4),
                op().list().ofMinSize(1).ofMaxSize(MAX_OPS)
                .withSizeDistribution(RandomDistribution.uniform())).as(Scenario::new);
    }

    private Arbitrary<Op> op() {
        Arbitrary<Integer> agent = Arbitraries.integers().between(0, 3);
        Arbitrary<Integer> ws = Arbitraries.frequency(Tuple.of(4, 0), Tuple.of(1, 1));
        // weighted towards a few contended paths: a.txt, README.md, docs/d.md, src/x.ts, src/y.ts, src/, globs
        Arbitrary<List<Integer>> paths = Arbitraries.frequency(Tuple.of(3, 0), Tuple.of(2, 1), Tuple.of(1, 2),
                Tuple.of(5, 3), Tuple.of(2, 4), Tuple.of(2, 5), Tuple.of(2, 6), Tuple.of(2, 7)).list()
                .uniqueElements().ofMinSize(1).ofMaxSize(3);
        Arbitrary<List<Integer>> picks = Arbitraries.integers().between(0, 100).list().ofMinSize(1).ofMaxSize(2);
        Arbitrary<LockMode> mode = Arbitraries.frequency(Tuple.of(3, LockMode.EXCLUSIVE), Tuple.of(2, LockMode.SHARED));
        Arbitrary<Integer> ttl = Arbitraries.frequencyOf(Tuple.of(2, Arbitraries.just(LONG_TTL_S)),
                Tuple.of(1, Arbitraries.integers().between(5, 40)));
        Arbitrary<String> which = Arbitraries.frequency(Tuple.of(2, "all"), Tuple.of(6, "own"), Tuple.of(2, "any"));
        return Arbitraries.frequencyOf(
                Tuple.of(14, Combinators.combine(agent, ws, paths, mode, ttl)
                        .as((a, w, p, m, t) -> new Acquire(a, w, p, m, t, false))),
                Tuple.of(30, Combinators.combine(agent, ws, paths, mode, ttl)
                        .as((a, w, p, m, t) -> new Acquire(a, w, p, m, t, true))),
                Tuple.of(9, Combinators.combine(agent, ws, which, picks).as(Release::new)),
                Tuple.of(10, Combinators.combine(Arbitraries.integers().between(0, 100), Arbitraries.of(true, false))
                        .as(Unblock::new)),
                Tuple.of(4, Combinators.combine(agent, ws, which, picks, ttl).as(Renew::new)),
                Tuple.of(6, Arbitraries.integers().between(0, 100).map(Interrupt::new)),
                Tuple.of(3, agent.map(Leave::new)),
                Tuple.of(4, agent.map(Register::new)),
                Tuple.of(6, Arbitraries.integers().between(5, 40).map(Advance::new)),
                Tuple.of(7, Arbitraries.just(new Sweep())));
    }

    // --- the property ---

    /** Properties 1-6 after every operation of a random sequence. */
    @Property(tries = 150, edgeCases = EdgeCasesMode.NONE)
    void waitersFollowTheModelAfterEveryOperation(@ForAll("scenarios") Scenario scenario) throws IOException {
        try (Run run = new Run(scenario)) {
            run.play();
        }
    }

    // --- the reference model ---

    /** A lock as the model sees it, keyed by workspace, path and agent. */
    record Key(String ws, String path, String agent) implements Comparable<Key> {
        @Override
        public int compareTo(Key o) {
            return Comparator.comparing(Key::ws).thenComparing(Key::path).thenComparing(Key::agent).compare(this, o);
        }
    }

    /**
     * What the engine's {@link Lock} must show, apart from {@code acquired_at}. While an operation
     * is being modelled, a lock granted by it carries a negative placeholder token until the
     * engine's answer tells the real one.
     */
    record View(String ws, String path, String agent, LockMode mode, long token, Instant expiresAt) {
        static View of(Lock l) {
            return new View(l.workspace(), l.path(), l.agentId(), l.mode(), l.token(), l.expiresAt());
        }

        Key key() {
            return new Key(ws, path, agent);
        }

        View withToken(long t) {
            return new View(ws, path, agent, mode, t, expiresAt);
        }

        @Override
        public String toString() {
            return ws + ":" + path + "@" + agent + "/" + (mode == LockMode.SHARED ? "sh" : "ex") + "#" + token
                    + "<" + expiresAt;
        }
    }

    static final class ModelAgent {
        final AgentSpec spec;
        AgentStatus status = AgentStatus.ACTIVE;

        ModelAgent(AgentSpec spec) {
            this.spec = spec;
        }

        String id() {
            return spec.id();
        }

        boolean gone() {
            return spec.registered() && status == AgentStatus.GONE;
        }

        @Override
        public String toString() {
            return spec.id() + (spec.registered() ? "=" + status.wire() : "");
        }
    }

    /** A waiting request and its caller (a virtual thread blocked in {@link Hive#acquire(LockRequest, Duration)}). */
    static final class Waiter {
        final int seq;
        final String agent;
        final String ws;
        final List<LockPath> paths;
        final LockMode mode;
        final Duration ttl;
        final CompletableFuture<Object> outcome = new CompletableFuture<>();
        /** Whether the caller's thread was interrupted when it returned (set before {@link #outcome}). */
        volatile boolean interruptedAfter;
        Instant deadline;
        long engineId;
        Thread thread;

        Waiter(int seq, String agent, String ws, List<LockPath> paths, LockMode mode, Duration ttl) {
            this.seq = seq;
            this.agent = agent;
            this.ws = ws;
            this.paths = paths;
            this.mode = mode;
            this.ttl = ttl;
        }

        String label() {
            return "w" + seq;
        }

        @Override
        public String toString() {
            return label() + "(" + agent + "@" + ws + " " + paths.stream().map(LockPath::value).toList() + " "
                    + mode.wire() + ", engine id " + engineId + ")";
        }
    }

    /** A grant the model predicts in the current operation, answered by {@code outcome}. */
    record Granting(long placeholder, String who, String agent, String ws, Waiter waiter, List<View> views,
            CompletableFuture<Object> outcome) {
    }

    /** A waiter the model says is refused in the current operation (gave up, or its agent left). */
    record Ending(Waiter waiter, List<AcquireResult.Conflict> conflicts, String why) {
    }

    static boolean bothShared(LockMode x, LockMode y) {
        return x == LockMode.SHARED && y == LockMode.SHARED;
    }

    /** One run of a scenario on a fresh Hive: applies each operation to engine and model, then compares. */
    static final class Run implements AutoCloseable {
        final Scenario scenario;
        final Path dir;
        final TestClock clock = new TestClock();
        final Instant start = clock.instant();
        final Hive hive;
        final List<String> history = new ArrayList<>();
        final List<ModelAgent> agents = new ArrayList<>();
        /** The locks the engine should list, ended ones included until released or swept. */
        final Map<Key, View> model = new TreeMap<>();
        /** The queued waiters, over every workspace, in arrival order. */
        final List<Waiter> queue = new ArrayList<>();
        /** Every waiting call started, to join at the end. */
        final List<Waiter> started = new ArrayList<>();
        final Map<String, LockPath> parsed = new HashMap<>();
        /** What the current operation grants and refuses, in the model's order. */
        final List<Granting> granting = new ArrayList<>();
        final List<Ending> ending = new ArrayList<>();
        List<Lock> beforeOp = List.of();
        long lastToken;
        long placeholders;
        int seqs;
        long grants;
        long waitsGranted;
        long deadlocks;
        int waiterGrantsInRun;
        int mostQueued;
        String current = "start";
        boolean closed;

        Run(Scenario scenario) throws IOException {
            this.scenario = scenario;
            this.dir = Files.createTempDirectory("hive-lock-wait-prop");
            this.hive = Hive.open(Hives.store(dir), clock, new Random(42),
                    Duration.ZERO, SESSION);
        }

        void play() {
            for (AgentSpec spec : agents(scenario.agentCount())) {
                agents.add(new ModelAgent(spec));
                if (spec.registered()) {
                    hive.register(Registration.of(spec.id()));
                }
            }
            history.add("register " + agents.stream().filter(a -> a.spec.registered()).map(ModelAgent::id).toList());
            check();
            for (Op op : scenario.ops()) {
                beforeOp = hive.locks(null);
                granting.clear();
                ending.clear();
                current = "t+" + seconds() + "s " + op;
                current = apply(op);
                check();
                history.add(current);
                Statistics.label("operations").collect(kind(current));
                mostQueued = Math.max(mostQueued, queue.size());
            }
            Statistics.label("waiters granted in a run").collect(waiterGrantsInRun == 0 ? "0"
                    : waiterGrantsInRun < 4 ? "1-3" : waiterGrantsInRun < 10 ? "4-9" : "10+");
            Statistics.label("longest queue in a run").collect(mostQueued == 0 ? "0"
                    : mostQueued < 3 ? "1-2" : mostQueued < 6 ? "3-5" : "6+");
            finish();
        }

        /** "acquire-wait queued", "release released +woke": the operation and what it came to. */
        private static String kind(String line) {
            String[] words = line.split(" ");
            int arrow = line.indexOf("→ ");
            String outcome = arrow < 0 ? "" : line.substring(arrow + 2).split("[ #(,\\[]")[0];
            return words[1] + " " + outcome + (line.contains("⇒ woke") ? " +woke" : "")
                    + (line.contains("on giving up") ? " on giving up" : "");
        }

        /** Closes the Hive: the waits still blocked end with IllegalStateException. */
        private void finish() {
            current = "close";
            hive.close();
            closed = true;
            for (Waiter w : queue) {
                Object result = outcome(w, "the caller of " + w + " ends when the Hive closes");
                assertThat(result).as(why("a wait blocked at close ends with IllegalStateException: " + w))
                        .isInstanceOf(IllegalStateException.class);
            }
        }

        private long seconds() {
            return Duration.between(start, clock.instant()).toSeconds();
        }

        private Instant now() {
            return clock.instant();
        }

        private String t() {
            return "t+" + seconds() + "s ";
        }

        private LockPath path(String raw) {
            return parsed.computeIfAbsent(raw, LockPath::parse);
        }

        private boolean live(View v) {
            return v.expiresAt().isAfter(now());
        }

        // --- messages ---

        String history() {
            StringBuilder b = new StringBuilder("\nscenario:\n").append(scenario).append("\nhistory:\n");
            history.forEach(line -> b.append("  ").append(line).append('\n'));
            b.append("operation being checked: ").append(current).append('\n');
            b.append("clock: t+").append(seconds()).append("s = ").append(now()).append('\n');
            b.append("model agents: ").append(agents).append('\n');
            b.append("model locks:\n");
            model.values().forEach(v -> b.append("  ").append(v).append(live(v) ? "" : " (ended)").append('\n'));
            b.append("model queue: ").append(queue).append('\n');
            if (!closed) {
                try {
                    b.append("engine locks:\n");
                    hive.locks(null).forEach(l -> b.append("  ").append(View.of(l)).append('\n'));
                    b.append("engine queue: ").append(engineQueue().stream().map(Run::describe).toList()).append('\n');
                } catch (RuntimeException e) {
                    b.append("  (cannot read: ").append(e).append(")\n");
                }
            }
            return b.toString();
        }

        Supplier<String> why(String what) {
            return () -> what + "\n" + history();
        }

        private static String describe(LockWaiter w) {
            LockRequest r = w.request();
            return w.id() + ":" + r.agentId() + "@" + r.workspace() + " " + r.paths().stream().map(LockPath::value)
                    .toList() + " " + r.mode().wire();
        }

        private static String describe(Waiter w) {
            return w.engineId + ":" + w.agent + "@" + w.ws + " " + w.paths.stream().map(LockPath::value).toList() + " "
                    + w.mode.wire();
        }

        // --- engine helpers ---

        /** The engine's queued waiters over every workspace, in id (arrival) order. */
        private List<LockWaiter> engineQueue() {
            return hive.store().write(tx -> {
                List<LockWaiter> all = new ArrayList<>();
                for (String ws : WORKSPACES) {
                    all.addAll(tx.waiters(ws));
                }
                all.sort(Comparator.comparingLong(LockWaiter::id));
                return all;
            });
        }

        private void awaitUntil(String what, BooleanSupplier condition) {
            try {
                Awaitility.await(what).atMost(PATIENCE).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1))
                        .pollInSameThread().until(condition::getAsBoolean);
            } catch (ConditionTimeoutException e) {
                throw new AssertionError("timed out after " + PATIENCE + ": " + what + "\n" + history(), e);
            }
        }

        /** The answer of a waiting caller (its result, or what it threw), awaited. */
        private Object outcome(Waiter w, String what) {
            awaitUntil(what, w.outcome::isDone);
            return w.outcome.join();
        }

        /** Starts a waiting acquire on its own thread. */
        private void startWaiting(Waiter w, LockRequest request) {
            started.add(w);
            w.thread = Thread.ofVirtual().name("lock-wait-" + w.label()).start(() -> {
                Object result;
                try {
                    result = hive.acquire(request, WAIT);
                } catch (Throwable e) {
                    result = e;
                }
                w.interruptedAfter = Thread.currentThread().isInterrupted();
                w.outcome.complete(result);
            });
        }

        private static Object call(Supplier<?> action) {
            try {
                return action.get();
            } catch (RuntimeException e) {
                return e;
            }
        }

        // --- the model's rules ---

        /** Whether the live lock {@code (path, mode)} stands in the way of waiter {@code w}. */
        private boolean inWay(Waiter w, String lockPath, LockMode lockMode) {
            if (bothShared(w.mode, lockMode)) {
                return false;
            }
            LockPath held = path(lockPath);
            return w.paths.stream().anyMatch(p -> p.overlaps(held));
        }

        /** Whether {@code agent} holds a live lock in the way of waiter {@code w} (w waits for it). */
        private boolean waitsFor(Waiter w, String agent) {
            for (View v : model.values()) {
                if (v.agent().equals(agent) && v.ws().equals(w.ws) && live(v) && inWay(w, v.path(), v.mode())) {
                    return true;
                }
            }
            return false;
        }

        /** What stands in the way of {@code agent} taking {@code paths}, counting waiters before {@code before}. */
        private List<AcquireResult.Conflict> conflicts(String agent, String ws, List<LockPath> paths, LockMode mode,
                long before) {
            List<AcquireResult.Conflict> found = new ArrayList<>();
            for (LockPath p : paths) {
                for (View held : model.values()) {
                    if (held.ws().equals(ws) && !held.agent().equals(agent) && live(held)
                            && !bothShared(mode, held.mode()) && path(held.path()).overlaps(p)) {
                        found.add(new AcquireResult.Conflict(p.value(), held.path(), held.agent(), held.mode(),
                                held.expiresAt()));
                    }
                }
            }
            for (Waiter w : queue) {
                if (w.seq >= before) {
                    break;
                }
                if (!w.ws.equals(ws) || w.agent.equals(agent) || bothShared(mode, w.mode)) {
                    continue;
                }
                boolean exempt = waitsFor(w, agent);
                for (LockPath p : paths) {
                    for (LockPath wanted : w.paths) {
                        if (!exempt && wanted.overlaps(p)) {
                            found.add(new AcquireResult.Conflict(p.value(), wanted.value(), w.agent, w.mode,
                                    w.deadline, true));
                        }
                    }
                }
            }
            return found;
        }

        private static Set<String> blockers(List<AcquireResult.Conflict> conflicts) {
            Set<String> agents = new LinkedHashSet<>();
            conflicts.forEach(c -> agents.add(c.heldBy()));
            return agents;
        }

        /** The wait-for graph: each agent with a queued waiter waits for the agents in the way of each. */
        private Map<String, Set<String>> waitGraph() {
            Map<String, Set<String>> graph = new LinkedHashMap<>();
            for (Waiter w : queue) {
                graph.computeIfAbsent(w.agent, k -> new LinkedHashSet<>())
                        .addAll(blockers(conflicts(w.agent, w.ws, w.paths, w.mode, w.seq)));
            }
            return graph;
        }

        private static boolean reaches(Map<String, Set<String>> graph, Set<String> from, String target) {
            Set<String> seen = new HashSet<>(from);
            Deque<String> todo = new ArrayDeque<>(from);
            while (!todo.isEmpty()) {
                String next = todo.pop();
                if (next.equals(target)) {
                    return true;
                }
                for (String further : graph.getOrDefault(next, Set.of())) {
                    if (seen.add(further)) {
                        todo.push(further);
                    }
                }
            }
            return false;
        }

        /**
         * Grants {@code paths} to {@code agent} in the model (re-entrant: what it holds live is
         * renewed in the stronger mode) and records the grant, answered by {@code outcome}.
         */
        private void grant(String who, String agent, String ws, List<LockPath> paths, LockMode mode, Duration ttl,
                Waiter waiter, CompletableFuture<Object> outcome) {
            long placeholder = -(++placeholders);
            dropEnded(agent);
            Instant expires = now().plus(ttl);
            List<View> views = new ArrayList<>();
            for (LockPath p : paths) {
                Key key = new Key(ws, p.value(), agent);
                View held = model.get(key);
                View next = held != null && live(held)
                        ? new View(ws, p.value(), agent,
                                held.mode() == LockMode.EXCLUSIVE ? LockMode.EXCLUSIVE : mode, placeholder,
                                held.expiresAt().isAfter(expires) ? held.expiresAt() : expires)
                        : new View(ws, p.value(), agent, mode, placeholder, expires);
                model.put(key, next);
                views.add(next);
            }
            grants++;
            granting.add(new Granting(placeholder, who, agent, ws, waiter, views, outcome));
        }

        /** Grants, in arrival order, every waiter of {@code ws} with nothing in its way now. */
        private void grantWaiters(String ws) {
            for (Waiter w : List.copyOf(queue)) {
                if (w.ws.equals(ws) && conflicts(w.agent, ws, w.paths, w.mode, w.seq).isEmpty()) {
                    queue.remove(w);
                    grant("waiter " + w, w.agent, ws, w.paths, w.mode, w.ttl, w, w.outcome);
                    waitsGranted++;
                    waiterGrantsInRun++;
                }
            }
            settle();
        }

        /**
         * An agent acting (a grant, a release, a renewal) drops its ended leases; the waiters of
         * their workspaces are then looked at again, once the operation's own work is done.
         */
        private Set<String> dropEnded(String agent) {
            List<View> ended = model.values().stream().filter(v -> v.agent().equals(agent) && !live(v)).toList();
            ended.forEach(v -> model.remove(v.key()));
            Set<String> freed = workspaces(ended);
            recheck.addAll(freed);
            return freed;
        }

        /** Looks again at the waiters of the workspaces where ended leases were dropped. */
        private void settle() {
            while (!recheck.isEmpty()) {
                String ws = recheck.iterator().next();
                recheck.remove(ws);
                grantWaiters(ws);
            }
        }

        /** Workspaces whose waiters are to be looked at again (see {@link #dropEnded}). */
        private final Set<String> recheck = new LinkedHashSet<>();

        /** The workspaces of {@code views}, in order of first appearance. */
        private static Set<String> workspaces(List<View> views) {
            return views.stream().map(View::ws).collect(Collectors.toCollection(LinkedHashSet::new));
        }

        // --- operations ---

        private ModelAgent agent(int pick) {
            return agents.get(pick % agents.size());
        }

        String apply(Op op) {
            return switch (op) {
                case Acquire a -> acquire(a);
                case Release r -> release(r);
                case Unblock u -> unblock(u);
                case Renew r -> renew(r);
                case Interrupt i -> interrupt(i);
                case Leave l -> leave(agent(l.agent()));
                case Register r -> register(agent(r.agent()));
                case Advance a -> {
                    clock.advance(Duration.ofSeconds(a.seconds()));
                    yield t() + "advance " + a.seconds() + "s";
                }
                case Sweep s -> sweep();
            };
        }

        private String acquire(Acquire op) {
            ModelAgent a = agent(op.agent());
            String ws = WORKSPACES.get(op.ws());
            List<LockPath> paths = op.paths().stream().map(i -> path(PATHS.get(i))).toList();
            LockRequest request = new LockRequest(a.id(), ws, paths, op.mode(), Duration.ofSeconds(op.ttlS()), null);
            String line = t() + (op.waits() ? "acquire-wait " : "acquire ") + a.id() + "@" + ws + " "
                    + paths.stream().map(LockPath::value).toList() + " " + op.mode().wire() + " ttl=" + op.ttlS() + "s";
            current = line;
            Waiter w = op.waits() ? new Waiter(++seqs, a.id(), ws, paths, op.mode(), request.ttl()) : null;

            if (a.gone()) {
                Object result;
                if (w != null) {
                    startWaiting(w, request);
                    result = outcome(w, "a request by a gone agent is answered at once");
                } else {
                    result = call(() -> hive.acquire(request));
                }
                assertThat(result).as(why("a request by an agent that left is refused with Conflict"))
                        .isInstanceOf(Conflict.class);
                assertThat(hive.locks(null)).as(why("a refused request changes nothing")).isEqualTo(beforeOp);
                return line + " → refused, agent gone";
            }

            // The model first: the waiters that can go, then the request.
            if (queue.stream().anyMatch(x -> x.ws.equals(ws))) {
                grantWaiters(ws);
            }
            List<AcquireResult.Conflict> conflicts = conflicts(a.id(), ws, paths, op.mode(), Long.MAX_VALUE);
            Map<String, Set<String>> graph = waitGraph();
            Set<String> inWay = blockers(conflicts);
            String expected = conflicts.isEmpty() ? "granted"
                    : w == null ? "conflicted"
                    : reaches(graph, inWay, a.id()) ? "deadlocked"
                    : "queued";
            CompletableFuture<Object> own = w != null ? w.outcome : new CompletableFuture<>();
            if (expected.equals("granted")) {
                grant("the request " + line, a.id(), ws, paths, op.mode(), request.ttl(), null, own);
                settle();
            }

            // Then the engine.
            Object result = null;
            long newId = 0;
            if (w == null) {
                result = call(() -> hive.acquire(request));
                own.complete(result);
            } else {
                Set<Long> known = engineQueue().stream().map(LockWaiter::id).collect(Collectors.toSet());
                startWaiting(w, request);
                AtomicLong queuedAs = new AtomicLong();
                awaitUntil("the waiting acquire is answered or queued", () -> {
                    if (w.outcome.isDone()) {
                        return true;
                    }
                    for (LockWaiter x : engineQueue()) {
                        if (!known.contains(x.id())) {
                            queuedAs.set(x.id());
                            return true;
                        }
                    }
                    return false;
                });
                newId = queuedAs.get();
                if (newId != 0) {
                    assertThat(expected).as(why("the engine queued the request (waiter " + newId + "), the model "
                            + "expects it " + expected + (conflicts.isEmpty() ? "" : ", in its way " + conflicts)))
                            .isEqualTo("queued");
                } else {
                    result = w.outcome.join();
                    assertThat(expected).as(why("the engine answered the waiting request at once with " + result
                            + ", the model expects it " + expected + ", in its way " + conflicts))
                            .isNotEqualTo("queued");
                }
            }

            if (!expected.equals("granted") && granting.isEmpty()) {
                assertThat(hive.locks(null)).as(why("a request that is refused or waits holds nothing yet and"
                        + " changes no lock")).isEqualTo(beforeOp);
            }
            switch (expected) {
                case "granted" -> {
                    return line + " → granted";
                }
                case "conflicted" -> {
                    assertThat(result).as(why("the model sees in the way " + conflicts))
                            .isInstanceOf(AcquireResult.Conflicted.class);
                    assertThat(((AcquireResult.Conflicted) result).conflicts()).as(why("the conflicts named"))
                            .containsExactlyInAnyOrderElementsOf(conflicts);
                    return line + " → conflicted by " + inWay;
                }
                case "deadlocked" -> {
                    deadlocks++;
                    assertThat(result).as(why("the model sees a wait cycle: in the way " + inWay + ", graph "
                            + graph)).isInstanceOf(AcquireResult.Deadlocked.class);
                    List<String> cycle = ((AcquireResult.Deadlocked) result).cycle();
                    checkCycle(cycle, a.id(), inWay, graph);
                    return line + " → deadlocked " + cycle;
                }
                default -> {
                    w.deadline = now().plus(WAIT);
                    w.engineId = newId;
                    queue.add(w);
                    return line + " → queued as " + w.label() + " behind " + inWay;
                }
            }
        }

        /**
         * The cycle named: the requester first, each waiting (in the model's graph) for the next,
         * the last for the first.
         */
        private void checkCycle(List<String> cycle, String requester, Set<String> inWay,
                Map<String, Set<String>> graph) {
            Supplier<String> why = why("the cycle " + cycle + " must be a cycle of the model's wait-for graph "
                    + graph + " through the agents in the requester's way " + inWay);
            assertThat(cycle).as(why).hasSizeGreaterThanOrEqualTo(2).doesNotHaveDuplicates();
            assertThat(cycle.getFirst()).as(why).isEqualTo(requester);
            assertThat(inWay).as(why).contains(cycle.get(1));
            for (int i = 1; i < cycle.size(); i++) {
                String next = i + 1 < cycle.size() ? cycle.get(i + 1) : requester;
                assertThat(graph.getOrDefault(cycle.get(i), Set.of())).as(why).contains(next);
            }
        }

        /** The paths a release or renewal names: none ("all"), some the agent lists ("own"), or any. */
        private List<String> pick(ModelAgent a, String ws, String which, List<Integer> picks) {
            if (which.equals("all")) {
                return null;
            }
            List<String> pool = which.equals("own")
                    ? model.values().stream().filter(v -> v.agent().equals(a.id()) && v.ws().equals(ws))
                            .map(View::path).toList()
                    : PATHS.stream().map(p -> path(p).value()).toList();
            if (pool.isEmpty()) {
                pool = PATHS.stream().map(p -> path(p).value()).toList();
            }
            List<String> chosen = new ArrayList<>();
            for (int p : picks) {
                String chose = pool.get(p % pool.size());
                if (!chosen.contains(chose)) {
                    chosen.add(chose);
                }
            }
            return chosen;
        }

        private String release(Release op) {
            ModelAgent a = agent(op.agent());
            String ws = WORKSPACES.get(op.ws());
            List<String> raw = pick(a, ws, op.which(), op.picks());
            return release(a, ws, raw, t() + "release " + a.id() + "@" + ws + " " + (raw == null ? "all" : raw));
        }

        private String unblock(Unblock op) {
            if (queue.isEmpty()) {
                String line = t() + "unblock → no waiter";
                current = line;
                return line;
            }
            Waiter w = queue.get(op.pick() % queue.size());
            List<View> inWay = model.values().stream()
                    .filter(v -> v.ws().equals(w.ws) && !v.agent().equals(w.agent) && live(v)
                            && inWay(w, v.path(), v.mode()))
                    .toList();
            if (inWay.isEmpty()) {
                String line = t() + "unblock " + w + " → nothing held in its way";
                current = line;
                return line;
            }
            String holder = inWay.getFirst().agent();
            ModelAgent a = agents.stream().filter(x -> x.id().equals(holder)).findFirst().orElseThrow();
            List<String> raw = op.all() ? null
                    : inWay.stream().filter(v -> v.agent().equals(holder)).map(View::path).toList();
            return release(a, w.ws, raw, t() + "unblock " + w.label() + ": release " + a.id() + "@" + w.ws + " "
                    + (raw == null ? "all" : raw));
        }

        private String release(ModelAgent a, String ws, List<String> raw, String line) {
            current = line;
            List<View> released = new ArrayList<>();
            String refusal = a.gone() ? "agent gone" : null;
            if (refusal == null) {
                for (View v : model.values()) {
                    if (v.agent().equals(a.id()) && live(v)
                            && (raw == null || v.ws().equals(ws) && raw.contains(v.path()))) {
                        released.add(v);
                    }
                }
                if (raw != null) {
                    for (String p : raw) {
                        View own = model.get(new Key(ws, p, a.id()));
                        if (own != null && live(own)) {
                            continue;
                        }
                        for (View v : model.values()) {
                            if (v.ws().equals(ws) && v.path().equals(p) && !v.agent().equals(a.id()) && live(v)) {
                                refusal = "forbidden, held by " + v.agent() + ":" + p;
                            }
                        }
                    }
                }
            }
            Object result = call(() -> hive.release(a.id(), ws, raw == null ? null : raw.stream().map(this::path)
                    .toList()));
            if (refusal != null) {
                assertThat(result).as(why("the release is refused: " + refusal))
                        .isInstanceOf(a.gone() ? Conflict.class : hive.Forbidden.class);
                assertThat(hive.locks(null)).as(why("a refused release changes nothing")).isEqualTo(beforeOp);
                return line + " → refused, " + refusal;
            }
            released.forEach(v -> model.remove(v.key()));
            dropEnded(a.id());
            settle();
            for (String w : workspaces(released)) {
                grantWaiters(w);
            }
            assertThat(result).as(why("the release succeeds")).isInstanceOf(List.class);
            List<View> engine = ((List<?>) result).stream().map(l -> View.of((Lock) l)).toList();
            assertThat(engine).as(why("the locks released")).containsExactlyInAnyOrderElementsOf(released);
            return line + " → released " + released.size();
        }

        private String renew(Renew op) {
            ModelAgent a = agent(op.agent());
            String ws = WORKSPACES.get(op.ws());
            List<String> raw = pick(a, ws, op.which(), op.picks());
            String line = t() + "renew " + a.id() + "@" + ws + " " + (raw == null ? "all" : raw) + " ttl="
                    + op.ttlS() + "s";
            current = line;
            Object result = call(() -> hive.renew(a.id(), ws, raw == null ? null : raw.stream().map(this::path)
                    .toList(), Duration.ofSeconds(op.ttlS())));
            if (a.gone()) {
                assertThat(result).as(why("a renewal by an agent that left is refused")).isInstanceOf(Conflict.class);
                return line + " → refused, agent gone";
            }
            List<View> renewed = new ArrayList<>();
            for (View v : List.copyOf(model.values())) {
                if (v.agent().equals(a.id()) && live(v)
                        && (raw == null || v.ws().equals(ws) && raw.contains(v.path()))) {
                    View next = new View(v.ws(), v.path(), v.agent(), v.mode(), v.token(),
                            now().plusSeconds(op.ttlS()));
                    model.put(next.key(), next);
                    renewed.add(next);
                }
            }
            dropEnded(a.id());
            settle();
            assertThat(result).as(why("the renewal succeeds")).isInstanceOf(List.class);
            List<View> engine = ((List<?>) result).stream().map(l -> View.of((Lock) l)).toList();
            assertThat(engine).as(why("the locks renewed, tokens kept")).containsExactlyInAnyOrderElementsOf(renewed);
            return line + " → renewed " + renewed.size();
        }

        private String interrupt(Interrupt op) {
            if (queue.isEmpty()) {
                String line = t() + "interrupt → no waiter";
                current = line;
                return line;
            }
            Waiter w = queue.get(op.pick() % queue.size());
            String line = t() + "interrupt " + w;
            current = line;
            queue.remove(w);
            List<AcquireResult.Conflict> conflicts = conflicts(w.agent, w.ws, w.paths, w.mode, Long.MAX_VALUE);
            if (conflicts.isEmpty()) {
                grant("interrupted " + w, w.agent, w.ws, w.paths, w.mode, w.ttl, w, w.outcome);
                waitsGranted++;
                waiterGrantsInRun++;
                settle();
            } else {
                ending.add(new Ending(w, conflicts, "the interrupted " + w + " gives up"));
                grantWaiters(w.ws);
            }
            w.thread.interrupt();
            outcome(w, "the interrupted caller of " + w + " returns");
            assertThat(w.interruptedAfter).as(why("an interrupted caller keeps its interrupt")).isTrue();
            return line + " → " + (conflicts.isEmpty() ? "granted on giving up" : "gave up, in its way "
                    + blockers(conflicts));
        }

        private String leave(ModelAgent a) {
            String line = t() + "leave " + a.id();
            current = line;
            Object result = call(() -> hive.leave(a.id()));
            if (!a.spec.registered()) {
                assertThat(result).as(why("an unregistered agent cannot leave")).isInstanceOf(NotFound.class);
                return line + " → refused, not registered";
            }
            assertThat(result).as(why("the agent leaves")).isInstanceOf(Agent.class);
            assertThat(((Agent) result).status()).as(why("the agent after leaving")).isEqualTo(AgentStatus.GONE);
            if (a.gone()) {
                return line + " → gone already";
            }
            a.status = AgentStatus.GONE;
            List<Waiter> dropped = queue.stream().filter(w -> w.agent.equals(a.id())).toList();
            Set<String> dropWs = new LinkedHashSet<>();
            for (Waiter w : dropped) {
                queue.remove(w);
                dropWs.add(w.ws);
                ending.add(new Ending(w, conflicts(w.agent, w.ws, w.paths, w.mode, Long.MAX_VALUE),
                        "the wait " + w + " of the agent that left is dropped"));
            }
            for (String ws : dropWs) {
                grantWaiters(ws);
            }
            List<View> released = model.values().stream().filter(v -> v.agent().equals(a.id()) && live(v)).toList();
            released.forEach(v -> model.remove(v.key()));
            dropEnded(a.id());
            settle();
            for (String ws : workspaces(released)) {
                grantWaiters(ws);
            }
            return line + " → gone (dropped " + dropped.size() + " waits, released " + released.size() + ")";
        }

        private String register(ModelAgent a) {
            if (!a.spec.registered()) {
                String line = t() + "register " + a.id() + " → skipped, stays unregistered";
                current = line;
                return line;
            }
            String line = t() + "register " + a.id() + " (was " + a.status.wire() + ")";
            current = line;
            Agent result = hive.register(Registration.of(a.id()));
            assertThat(result.status()).as(why("an agent registered again is active")).isEqualTo(AgentStatus.ACTIVE);
            a.status = AgentStatus.ACTIVE;
            return line + " → active";
        }

        private String sweep() {
            String line = t() + "sweep";
            current = line;
            List<View> ended = model.values().stream().filter(v -> !live(v)).toList();
            ended.forEach(v -> model.remove(v.key()));
            for (String ws : workspaces(ended)) {
                grantWaiters(ws);
            }
            int changed = hive.sweep();
            assertThat(changed).as(why("the sweep breaks the " + ended.size() + " ended leases (no agent is lost)"))
                    .isEqualTo(ended.size());
            return line + " → broke " + ended.size();
        }

        // --- checks after every operation ---

        void check() {
            // After this durable barrier, every grant made so far has been handed to its caller.
            hive.store().write(tx -> null);
            Instant now = now();

            // 3: the queue is the model's, in arrival order
            Map<String, List<LockWaiter>> perWs = hive.store().write(tx -> {
                Map<String, List<LockWaiter>> m = new LinkedHashMap<>();
                for (String ws : WORKSPACES) {
                    m.put(ws, tx.waiters(ws));
                }
                return m;
            });
            List<LockWaiter> engineQueue = new ArrayList<>();
            perWs.forEach((ws, list) -> {
                assertThat(list).as(why("the waiters of " + ws + " are listed in arrival (id) order"))
                        .isSortedAccordingTo(Comparator.comparingLong(LockWaiter::id));
                engineQueue.addAll(list);
            });
            engineQueue.sort(Comparator.comparingLong(LockWaiter::id));
            assertThat(engineQueue.stream().map(Run::describe).toList())
                    .as(why("the engine's queue of waiters against the model's"))
                    .isEqualTo(queue.stream().map(Run::describe).toList());

            // 4 and 5: what this operation granted
            Map<Long, Long> tokens = new HashMap<>();
            for (Granting g : granting) {
                Object result = g.waiter() == null ? g.outcome().join()
                        : outcome(g.waiter(), "the caller of " + g.waiter() + " is granted");
                assertThat(result).as(why(g.who() + " is granted by this operation"))
                        .isInstanceOf(AcquireResult.Granted.class);
                AcquireResult.Granted granted = (AcquireResult.Granted) result;
                tokens.put(g.placeholder(), granted.token());
                assertThat(granted.locks().stream().map(View::of).toList())
                        .as(why("the locks granted to " + g.who()))
                        .containsExactlyInAnyOrderElementsOf(g.views().stream().map(v -> v.withToken(granted.token()))
                                .toList());
            }
            Map<String, Long> lastInWs = new HashMap<>();
            long floor = lastToken;
            for (Granting g : granting) {
                long token = tokens.get(g.placeholder());
                assertThat(token).as(why("the token of " + g.who() + " is larger than every earlier grant's ("
                        + floor + ")")).isGreaterThan(floor);
                Long previous = lastInWs.put(g.ws(), token);
                if (previous != null) {
                    assertThat(token).as(why("the grants of one operation in " + g.ws() + " are made in arrival"
                            + " order: " + g.who() + " after a grant with token " + previous))
                            .isGreaterThan(previous);
                }
                lastToken = Math.max(lastToken, token);
            }
            assertThat(new HashSet<>(tokens.values())).as(why("every grant has its own token")).hasSize(tokens.size());
            model.replaceAll((k, v) -> v.token() < 0 ? v.withToken(tokens.get(v.token())) : v);
            if (!granting.isEmpty()) {
                current += granting.stream().filter(g -> g.waiter() != null)
                        .map(g -> g.waiter().label() + "→" + g.agent() + "#" + tokens.get(g.placeholder()))
                        .collect(Collectors.collectingAndThen(Collectors.joining(", "),
                                s -> s.isEmpty() ? "" : " ⇒ woke " + s))
                        + granting.stream().filter(g -> g.waiter() == null)
                                .map(g -> " #" + tokens.get(g.placeholder())).collect(Collectors.joining());
            }

            // 6: waiters refused by this operation (gave up, or their agent left)
            for (Ending e : ending) {
                Object result = outcome(e.waiter(), e.why());
                assertThat(result).as(why(e.why() + ": refused with the conflicts in its way " + e.conflicts()))
                        .isInstanceOf(AcquireResult.Conflicted.class);
                assertThat(((AcquireResult.Conflicted) result).conflicts()).as(why(e.why() + ": the conflicts named"))
                        .containsExactlyInAnyOrderElementsOf(e.conflicts());
            }
            // 3: the callers of the queued waiters still wait
            for (Waiter w : queue) {
                assertThat(w.outcome.isDone()).as(() -> "the caller of queued " + w + " still waits, but got "
                        + w.outcome.getNow(null) + "\n" + history()).isFalse();
            }

            // 1: the lock list is the model's. An ended lease holds nothing; the engine may drop it
            // before the sweep does (when its agent acts again), and from then on the model forgets it too.
            List<Lock> listed = hive.locks(null);
            Set<View> listedViews = listed.stream().map(View::of).collect(Collectors.toSet());
            model.values().removeIf(v -> !live(v) && !listedViews.contains(v));
            assertThat(listed.stream().map(View::of).toList()).as(why("the engine's locks against the model"))
                    .containsExactlyInAnyOrderElementsOf(model.values());
            for (Lock l : listed) {
                assertThat(l.token()).as(why("token of " + l)).isPositive().isLessThanOrEqualTo(lastToken);
            }

            // 2: safety over the leases that have not ended
            List<Lock> live = listed.stream().filter(l -> l.expiresAt().isAfter(now)).toList();
            for (int i = 0; i < live.size(); i++) {
                for (int j = i + 1; j < live.size(); j++) {
                    Lock x = live.get(i);
                    Lock y = live.get(j);
                    boolean clash = x.workspace().equals(y.workspace()) && !x.agentId().equals(y.agentId())
                            && !bothShared(x.mode(), y.mode()) && path(x.path()).overlaps(path(y.path()));
                    assertThat(clash).as(why("SAFETY: two agents hold overlapping live leases " + View.of(x) + " and "
                            + View.of(y))).isFalse();
                }
            }

            // 4: first come, first served, checked on the engine's own answers: no grant of this
            // operation went ahead of an earlier waiter still queued that wants an overlapping path
            // in a conflicting mode, unless that waiter waits for the grantee (it held, before
            // this grant, a live lock in that waiter's way)
            for (int i = 0; i < granting.size(); i++) {
                Granting g = granting.get(i);
                long arrived = g.waiter() == null ? Long.MAX_VALUE : g.waiter().seq;
                for (Waiter e : queue) {
                    if (e.seq >= arrived || !e.ws.equals(g.ws()) || e.agent.equals(g.agent())) {
                        continue;
                    }
                    boolean clash = g.views().stream().anyMatch(v -> inWay(e, v.path(), v.mode()));
                    if (!clash) {
                        continue;
                    }
                    boolean exempt = beforeOp.stream().anyMatch(l -> l.agentId().equals(g.agent())
                            && l.workspace().equals(e.ws) && l.expiresAt().isAfter(now) && inWay(e, l.path(), l.mode()))
                            || granting.subList(0, i).stream().filter(h -> h.agent().equals(g.agent()))
                                    .flatMap(h -> h.views().stream()).anyMatch(v -> inWay(e, v.path(), v.mode()));
                    assertThat(exempt).as(why("FIRST COME FIRST SERVED: " + g.who() + " was granted #"
                            + tokens.get(g.placeholder()) + " while the earlier " + e + " still waits for an"
                            + " overlapping path, and does not wait for " + g.agent())).isTrue();
                }
            }

            // the lock figures
            LockTable.Stats stats = hive.lockStats();
            assertThat(stats.grants()).as(why("grants made")).isEqualTo(grants);
            assertThat(stats.waitsGranted()).as(why("waits granted")).isEqualTo(waitsGranted);
            assertThat(stats.deadlocksRefused()).as(why("deadlocks refused")).isEqualTo(deadlocks);
            assertThat(stats.waiting()).as(why("callers waiting")).isEqualTo(queue.size());
        }

        @Override
        public void close() throws IOException {
            try {
                if (!closed) {
                    closed = true;
                    hive.close();
                }
                for (Waiter w : started) {
                    if (w.thread != null) {
                        try {
                            if (!w.thread.join(PATIENCE)) {
                                w.thread.interrupt();
                                w.thread.join(PATIENCE);
                            }
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return;
                        }
                    }
                }
            } finally {
                try (Stream<Path> files = Files.walk(dir)) {
                    for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(f);
                    }
                }
            }
        }
    }

    // --- examples ---

    /** A Hive on a fresh file, for the examples; waiting acquires run on their own threads. */
    static final class Fixture implements AutoCloseable {
        final Path dir;
        final Hive hive;
        final List<Thread> threads = new ArrayList<>();
        /** Per waiting call: whether its thread was interrupted when it returned. */
        final Map<CompletableFuture<Object>, Boolean> interruptKept = new ConcurrentHashMap<>();

        Fixture() throws IOException {
            dir = Files.createTempDirectory("hive-lock-wait-example");
            hive = Hive.open(Hives.store(dir), new TestClock(),
                    new Random(1), Duration.ZERO, SESSION);
        }

        static LockRequest request(String agent, LockMode mode, String... paths) {
            return new LockRequest(agent, "default", Stream.of(paths).map(LockPath::parse).toList(), mode,
                    Duration.ofSeconds(LONG_TTL_S), null);
        }

        long granted(AcquireResult result) {
            assertThat(result).isInstanceOf(AcquireResult.Granted.class);
            return ((AcquireResult.Granted) result).token();
        }

        List<LockWaiter> queue() {
            return hive.store().write(tx -> tx.waiters("default"));
        }

        /** Starts a waiting acquire and returns once it is queued (or answered). */
        CompletableFuture<Object> waiting(LockRequest request) {
            int before = queue().size();
            CompletableFuture<Object> outcome = new CompletableFuture<>();
            threads.add(Thread.ofVirtual().start(() -> {
                Object result;
                try {
                    result = hive.acquire(request, WAIT);
                } catch (Throwable e) {
                    result = e;
                }
                interruptKept.put(outcome, Thread.currentThread().isInterrupted());
                outcome.complete(result);
            }));
            Awaitility.await().atMost(PATIENCE).pollInterval(Duration.ofMillis(1))
                    .until(() -> outcome.isDone() || queue().size() > before);
            return outcome;
        }

        /** Every grant of the operations so far has reached its caller. */
        void barrier() {
            hive.store().write(tx -> null);
        }

        static Object answer(CompletableFuture<Object> outcome) {
            Awaitility.await().atMost(PATIENCE).until(outcome::isDone);
            return outcome.join();
        }

        Thread thread(int i) {
            return threads.get(i);
        }

        @Override
        public void close() throws IOException {
            hive.close();
            try {
                for (Thread t : threads) {
                    t.join(PATIENCE);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    /** Three waiters for one file (as a file, its directory and a glob) get it one by one, in arrival order. */
    @Example
    void threeWaitersForOneFileAreServedInArrivalOrder() throws Exception {
        try (Fixture f = new Fixture()) {
            long held = f.granted(f.hive.acquire(Fixture.request("a0", LockMode.EXCLUSIVE, "src/x.ts")));
            CompletableFuture<Object> first = f.waiting(Fixture.request("a1", LockMode.EXCLUSIVE, "src/x.ts"));
            CompletableFuture<Object> second = f.waiting(Fixture.request("a2", LockMode.EXCLUSIVE, "src/"));
            CompletableFuture<Object> third = f.waiting(Fixture.request("a3", LockMode.SHARED, "src/**/*.ts"));
            assertThat(f.queue()).extracting(LockWaiter::agentId).containsExactly("a1", "a2", "a3");

            f.hive.release("a0", "default", null);
            f.barrier();
            long t1 = f.granted((AcquireResult) Fixture.answer(first));
            assertThat(f.queue()).extracting(LockWaiter::agentId).containsExactly("a2", "a3");
            assertThat(second).isNotDone();
            assertThat(third).isNotDone();

            f.hive.release("a1", "default", null);
            f.barrier();
            long t2 = f.granted((AcquireResult) Fixture.answer(second));
            assertThat(f.queue()).extracting(LockWaiter::agentId).containsExactly("a3");
            assertThat(third).isNotDone();

            f.hive.release("a2", "default", null);
            f.barrier();
            long t3 = f.granted((AcquireResult) Fixture.answer(third));
            assertThat(f.queue()).isEmpty();
            assertThat(List.of(held, t1, t2, t3)).isSorted().doesNotHaveDuplicates();
            assertThat(f.hive.locks(null)).extracting(Lock::agentId, Lock::path)
                    .containsExactly(tuple("a3", "src/**/*.ts"));
        }
    }

    /** A new request, even a shared one without a wait, does not take what an earlier waiter waits for. */
    @Example
    void aNewRequestDoesNotBargePastAWaiter() throws Exception {
        try (Fixture f = new Fixture()) {
            f.granted(f.hive.acquire(Fixture.request("a0", LockMode.SHARED, "docs/d.md")));
            CompletableFuture<Object> writer = f.waiting(Fixture.request("a1", LockMode.EXCLUSIVE, "docs/d.md"));

            AcquireResult reader = f.hive.acquire(Fixture.request("a2", LockMode.SHARED, "docs/"));
            assertThat(reader).isInstanceOf(AcquireResult.Conflicted.class);
            assertThat(((AcquireResult.Conflicted) reader).conflicts()).singleElement().satisfies(c -> {
                assertThat(c.heldBy()).isEqualTo("a1");
                assertThat(c.queued()).isTrue();
            });

            f.hive.release("a0", "default", null);
            f.barrier();
            f.granted((AcquireResult) Fixture.answer(writer));
            assertThat(f.hive.acquire(Fixture.request("a2", LockMode.SHARED, "docs/")))
                    .isInstanceOf(AcquireResult.Conflicted.class);
        }
    }

    /** An agent holding what a waiter needs may go ahead of it: making it wait would be a certain deadlock. */
    @Example
    void aHolderMayGoAheadOfAWaiterThatWaitsForIt() throws Exception {
        try (Fixture f = new Fixture()) {
            f.granted(f.hive.acquire(Fixture.request("a0", LockMode.EXCLUSIVE, "src/x.ts")));
            CompletableFuture<Object> waiter = f.waiting(Fixture.request("a1", LockMode.EXCLUSIVE, "src/x.ts",
                    "a.txt"));

            f.granted(f.hive.acquire(Fixture.request("a0", LockMode.EXCLUSIVE, "a.txt")));
            assertThat(f.hive.acquire(Fixture.request("a2", LockMode.EXCLUSIVE, "a.txt")))
                    .isInstanceOf(AcquireResult.Conflicted.class);

            f.hive.release("a0", "default", null);
            f.barrier();
            AcquireResult.Granted granted = (AcquireResult.Granted) Fixture.answer(waiter);
            assertThat(granted.locks()).extracting(Lock::path).containsExactlyInAnyOrder("src/x.ts", "a.txt");
        }
    }

    /** Two readers that both want to upgrade: the second wait would close a cycle and is refused, changing nothing. */
    @Example
    void anUpgradeDeadlockIsRefusedAndChangesNothing() throws Exception {
        try (Fixture f = new Fixture()) {
            f.granted(f.hive.acquire(Fixture.request("a0", LockMode.SHARED, "a.txt")));
            f.granted(f.hive.acquire(Fixture.request("a1", LockMode.SHARED, "a.txt")));
            CompletableFuture<Object> upgrade = f.waiting(Fixture.request("a0", LockMode.EXCLUSIVE, "a.txt"));
            assertThat(f.queue()).extracting(LockWaiter::agentId).containsExactly("a0");
            List<Lock> before = f.hive.locks(null);

            CompletableFuture<Object> refused = f.waiting(Fixture.request("a1", LockMode.EXCLUSIVE, "a.txt"));
            assertThat(refused).as("refused at once, not queued").isDone();
            assertThat(refused.join()).isEqualTo(new AcquireResult.Deadlocked(List.of("a1", "a0")));
            assertThat(f.hive.locks(null)).isEqualTo(before);
            assertThat(f.queue()).extracting(LockWaiter::agentId).containsExactly("a0");
            assertThat(f.hive.lockStats().deadlocksRefused()).isEqualTo(1);

            f.hive.release("a1", "default", null);
            f.barrier();
            AcquireResult.Granted granted = (AcquireResult.Granted) Fixture.answer(upgrade);
            assertThat(granted.locks()).singleElement().satisfies(l -> assertThat(l.mode()).isEqualTo(
                    LockMode.EXCLUSIVE));
        }
    }

    /** An interrupted waiter gives up (refused, interrupt kept), and the waiter it held back goes. */
    @Example
    void anInterruptedWaiterGivesUpAndTheNextGoes() throws Exception {
        try (Fixture f = new Fixture()) {
            f.granted(f.hive.acquire(Fixture.request("a0", LockMode.EXCLUSIVE, "a.txt")));
            CompletableFuture<Object> first = f.waiting(Fixture.request("a1", LockMode.EXCLUSIVE, "a.txt",
                    "README.md"));
            CompletableFuture<Object> second = f.waiting(Fixture.request("a2", LockMode.EXCLUSIVE, "*.md"));
            assertThat(f.queue()).extracting(LockWaiter::agentId).containsExactly("a1", "a2");

            f.thread(0).interrupt();
            assertThat(Fixture.answer(first)).isInstanceOf(AcquireResult.Conflicted.class);
            assertThat(f.interruptKept.get(first)).as("the caller keeps its interrupt").isTrue();
            f.barrier();
            f.granted((AcquireResult) Fixture.answer(second));
            assertThat(f.queue()).isEmpty();
        }
    }
}
