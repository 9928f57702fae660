package hive.locks;

import static org.assertj.core.api.Assertions.assertThat;

import hive.Conflict;
import hive.Forbidden;
import hive.Hive;
import hive.Hives;
import hive.NotFound;
import hive.TestClock;
import hive.agents.Agent;
import hive.agents.AgentStatus;
import hive.agents.Registration;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

/**
 * The lock manager (through the {@link Hive} facade, on a real SQLite file) against a small, plain
 * reference model of docs/locks.md and API.md "Locks" / "Agents": random sequences of acquires,
 * releases, renewals, clock moves, sweeps, heartbeats, leaves, registrations and close-and-reopen,
 * by 3-4 agents (registered ones, one with {@code allowed_paths: ["src/**"]}, and unregistered
 * embedded ones), on files, directories and globs in two workspaces, in both modes.
 *
 * <p>After every operation: (1) no two agents hold overlapping live leases in one workspace unless
 * both are shared; (2) a refused acquire changes nothing, a granted one holds every path; (3) each
 * grant's token is larger than every earlier one, also across a reopen, and renewals keep tokens;
 * (4) the engine's answer and its lock list agree with the model; (5) {@link Forbidden} exactly
 * when the model says so; (6) lost and gone agents hold nothing. The model decides from
 * {@link LockPath#overlaps} and the modes only; it never calls the engine to know what should happen.
 *
 * <p>The model reads "a lease that ended no longer stands in anyone's way" (docs/locks.md) as: an
 * ended lease is over, even while it is still listed until the sweep. It blocks nobody, nothing can
 * keep it alive (renew, heartbeat), asking for its path again is a fresh grant, and it makes no
 * one "hold" its path for a release. {@link #leasesFollowTheModelWhenSweptPromptly} runs the same
 * checks with a sweep after every clock move, so that no ended lease is ever listed.
 *
 * <p>Sequence length: {@code -Dhive.props.maxOps=N} (default 50).
 */
class LockPropertyTest {

    static final int MAX_OPS = Integer.getInteger("hive.props.maxOps", 50);

    static final List<String> PATHS = List.of("a.txt", "src/x.ts", "src/y.ts", "docs/d.md", "src/", "docs/",
            "src/**/*.ts", "*.md", "**");
    static final List<String> WORKSPACES = List.of("default", "other");
    static final String ALLOWED = "src/**";
    static final Duration SESSION = Hive.DEFAULT_SESSION_TIMEOUT;

    // --- the scenario ---

    /** Who plays: a0 registered, a1 registered within src/**, a2 unregistered, a3 registered (if 4). */
    record AgentSpec(String id, boolean registered, List<String> allowedPaths) {
        @Override
        public String toString() {
            return id + (registered ? "(registered" + (allowedPaths.isEmpty() ? "" : " " + allowedPaths) + ")"
                    : "(unregistered)");
        }
    }

    static List<AgentSpec> agents(int count) {
        List<AgentSpec> all = List.of(new AgentSpec("a0", true, List.of()), new AgentSpec("a1", true,
                List.of(ALLOWED)), new AgentSpec("a2", false, List.of()), new AgentSpec("a3", true, List.of()));
        return all.subList(0, count);
    }

    sealed interface Op {
    }

    record Acquire(int agent, int ws, List<Integer> paths, LockMode mode, int ttlS) implements Op {
    }

    /** {@code which}: "all" (no paths), "own" (paths picked among what the agent lists), "any". */
    record Release(int agent, int ws, String which, List<Integer> picks) implements Op {
    }

    record Renew(int agent, int ws, String which, List<Integer> picks, int ttlS) implements Op {
    }

    record Advance(int seconds) implements Op {
    }

    record Sweep() implements Op {
    }

    record Heartbeat(int agent) implements Op {
    }

    record Leave(int agent) implements Op {
    }

    record Register(int agent) implements Op {
    }

    record Reopen() implements Op {
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
                op().list().ofMinSize(Math.min(10, MAX_OPS)).ofMaxSize(MAX_OPS)).as(Scenario::new);
    }

    /** As {@link #scenarios}, with a sweep right after every clock move. */
    @Provide
    Arbitrary<Scenario> promptlySweptScenarios() {
        return scenarios().map(s -> {
            List<Op> ops = new ArrayList<>();
            for (Op op : s.ops()) {
                if (!(op instanceof Sweep)) {
                    ops.add(op);
                }
                if (op instanceof Advance) {
                    ops.add(new Sweep());
                }
            }
            return new Scenario(s.agentCount(), ops);
        });
    }

    private Arbitrary<Op> op() {
        Arbitrary<Integer> agent = Arbitraries.integers().between(0, 3);
        Arbitrary<Integer> ws = Arbitraries.frequency(Tuple.of(3, 0), Tuple.of(1, 1));
        Arbitrary<List<Integer>> paths = Arbitraries.integers().between(0, PATHS.size() - 1).list().uniqueElements()
                .ofMinSize(1).ofMaxSize(3);
        Arbitrary<List<Integer>> picks = Arbitraries.integers().between(0, 100).list().ofMinSize(1).ofMaxSize(2);
        Arbitrary<LockMode> mode = Arbitraries.frequency(Tuple.of(3, LockMode.EXCLUSIVE), Tuple.of(2, LockMode.SHARED));
        Arbitrary<Integer> ttl = Arbitraries.integers().between(5, 60);
        Arbitrary<String> which = Arbitraries.frequency(Tuple.of(2, "all"), Tuple.of(5, "own"), Tuple.of(3, "any"));
        return Arbitraries.frequencyOf(
                Tuple.of(35, Combinators.combine(agent, ws, paths, mode, ttl).as(Acquire::new)),
                Tuple.of(10, Combinators.combine(agent, ws, which, picks).as(Release::new)),
                Tuple.of(8, Combinators.combine(agent, ws, which, picks, ttl).as(Renew::new)),
                Tuple.of(14, Arbitraries.integers().between(0, 40).map(Advance::new)),
                Tuple.of(8, Arbitraries.just(new Sweep())),
                Tuple.of(8, agent.map(Heartbeat::new)),
                Tuple.of(2, agent.map(Leave::new)),
                Tuple.of(5, agent.map(Register::new)),
                Tuple.of(2, Arbitraries.just(new Reopen())));
    }

    // --- the properties ---

    /** Properties 1-6 after every operation, ended leases left to the sweep (the general case). */
    @Property(tries = 200, edgeCases = EdgeCasesMode.NONE)
    void locksFollowTheModelAfterEveryOperation(@ForAll("scenarios") Scenario scenario) throws IOException {
        try (Run run = new Run(scenario)) {
            run.play();
        }
    }

    /**
     * Properties 1-6 when every clock move is followed at once by a sweep: no ended lease is ever
     * listed, which reaches more of the states where every lease is live.
     */
    @Property(tries = 100, edgeCases = EdgeCasesMode.NONE)
    void leasesFollowTheModelWhenSweptPromptly(@ForAll("promptlySweptScenarios") Scenario scenario)
            throws IOException {
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

    /** What the engine's {@link Lock} must show, apart from {@code acquired_at} (checked separately). */
    record View(String ws, String path, String agent, LockMode mode, long token, Instant expiresAt) {
        static View of(Lock l) {
            return new View(l.workspace(), l.path(), l.agentId(), l.mode(), l.token(), l.expiresAt());
        }

        Key key() {
            return new Key(ws, path, agent);
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
        Instant lastHeard;

        ModelAgent(AgentSpec spec, Instant now) {
            this.spec = spec;
            this.lastHeard = now;
        }

        @Override
        public String toString() {
            return spec.id() + (spec.registered() ? "=" + status.wire() + " heard " + lastHeard : "");
        }
    }

    /** One run of a scenario on a fresh Hive: applies each operation to engine and model, then compares. */
    static final class Run implements AutoCloseable {
        final Scenario scenario;
        final Path dir;
        final TestClock clock = new TestClock();
        final Instant start = clock.instant();
        final List<String> history = new ArrayList<>();
        final List<ModelAgent> agents = new ArrayList<>();
        /** The locks the engine should list, ended ones included until released or swept. */
        final Map<Key, View> model = new TreeMap<>();
        long lastToken;
        String current = "start";
        Hive hive;

        Run(Scenario scenario) throws IOException {
            this.scenario = scenario;
            this.dir = Files.createTempDirectory("hive-lock-prop");
            this.hive = Hives.open(dir, clock);
        }

        void play() {
            for (AgentSpec spec : agents(scenario.agentCount())) {
                agents.add(new ModelAgent(spec, clock.instant()));
                if (spec.registered()) {
                    hive.register(new Registration(spec.id(), null, Set.of(), 1, spec.allowedPaths()));
                }
            }
            history.add("register " + agents.stream().filter(a -> a.spec.registered()).map(a -> a.spec.id())
                    .toList());
            check();
            for (Op op : scenario.ops()) {
                current = "t+" + seconds() + "s " + op;
                current = apply(op);
                check();
                history.add(current);
                Statistics.label("operations").collect(current.split(" ")[1] + " " + outcome(current));
            }
        }

        private static String outcome(String line) {
            int arrow = line.indexOf("→ ");
            return arrow < 0 ? "" : line.substring(arrow + 2).split("[ #(,]")[0];
        }

        private long seconds() {
            return Duration.between(start, clock.instant()).toSeconds();
        }

        private Instant now() {
            return clock.instant();
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
            b.append("engine locks:\n");
            try {
                hive.locks(null).forEach(l -> b.append("  ").append(View.of(l)).append('\n'));
            } catch (RuntimeException e) {
                b.append("  (cannot read: ").append(e).append(")\n");
            }
            return b.toString();
        }

        Supplier<String> why(String what) {
            return () -> what + "\n" + history();
        }

        private boolean live(View v) {
            return v.expiresAt().isAfter(now());
        }

        // --- operations ---

        private ModelAgent agent(int pick) {
            return agents.get(pick % agents.size());
        }

        /** {@code Conflict} when the agent is registered and not active, else null (may act). */
        private Class<? extends RuntimeException> ended(ModelAgent a) {
            return a.spec.registered() && a.status != AgentStatus.ACTIVE ? Conflict.class : null;
        }

        private void touch(ModelAgent a) {
            if (a.spec.registered()) {
                a.lastHeard = now();
            }
        }

        /** Runs {@code action}; it must throw exactly {@code expected} (or nothing when null). */
        private <T> T expect(Class<? extends RuntimeException> expected, Supplier<T> action) {
            T result;
            try {
                result = action.get();
            } catch (RuntimeException e) {
                if (expected != null && expected.isInstance(e)) {
                    return null;
                }
                throw new AssertionError("engine threw " + e + (expected == null ? ", expected no exception"
                        : ", expected " + expected.getSimpleName()) + "\n" + history(), e);
            }
            if (expected != null) {
                throw new AssertionError("expected " + expected.getSimpleName() + ", engine returned " + result + "\n"
                        + history());
            }
            return result;
        }

        String apply(Op op) {
            return switch (op) {
                case Acquire a -> acquire(a);
                case Release r -> release(r);
                case Renew r -> renew(r);
                case Advance a -> {
                    clock.advance(Duration.ofSeconds(a.seconds()));
                    yield "t+" + seconds() + "s advance " + a.seconds() + "s";
                }
                case Sweep s -> sweep();
                case Heartbeat h -> heartbeat(agent(h.agent()));
                case Leave l -> leave(agent(l.agent()));
                case Register r -> register(agent(r.agent()));
                case Reopen r -> {
                    hive.close();
                    hive = Hives.open(dir, clock);
                    yield "t+" + seconds() + "s reopen";
                }
            };
        }

        private String acquire(Acquire op) {
            ModelAgent a = agent(op.agent());
            String ws = WORKSPACES.get(op.ws());
            List<String> raw = op.paths().stream().map(PATHS::get).toList();
            List<LockPath> paths = raw.stream().map(LockPath::parse).toList();
            String line = "t+" + seconds() + "s acquire " + a.spec.id() + "@" + ws + " " + raw + " "
                    + op.mode().wire() + " ttl=" + op.ttlS() + "s";
            LockRequest request = new LockRequest(a.spec.id(), ws, paths, op.mode(), Duration.ofSeconds(op.ttlS()),
                    null);
            current = line;
            List<Lock> before = hive.locks(null);

            Class<? extends RuntimeException> expected = ended(a);
            if (expected == null && !a.spec.allowedPaths().isEmpty()
                    && !paths.stream().allMatch(LockPropertyTest::withinSrc)) {
                expected = Forbidden.class;
            }
            AcquireResult result = expect(expected, () -> hive.acquire(request));
            if (expected != null) {
                assertThat(hive.locks(null)).as(why("a refused (" + expected.getSimpleName() + ") acquire changes"
                        + " nothing")).isEqualTo(before);
                return line + " → " + (expected == Forbidden.class ? "forbidden" : "refused, agent "
                        + a.status.wire());
            }
            touch(a);
            Set<AcquireResult.Conflict> conflicts = new HashSet<>();
            for (LockPath p : paths) {
                for (View held : model.values()) {
                    if (held.ws().equals(ws) && !held.agent().equals(a.spec.id()) && live(held)
                            && !(op.mode() == LockMode.SHARED && held.mode() == LockMode.SHARED)
                            && LockPath.parse(held.path()).overlaps(p)) {
                        conflicts.add(new AcquireResult.Conflict(p.value(), held.path(), held.agent(), held.mode(),
                                held.expiresAt()));
                    }
                }
            }
            if (!conflicts.isEmpty()) {
                assertThat(result).as(why("the model sees conflicts " + conflicts))
                        .isInstanceOf(AcquireResult.Conflicted.class);
                assertThat(new HashSet<>(((AcquireResult.Conflicted) result).conflicts()))
                        .as(why("the conflicts named")).isEqualTo(conflicts);
                assertThat(hive.locks(null)).as(why("a conflicted acquire changes nothing")).isEqualTo(before);
                return line + " → conflicted by " + conflicts.stream().map(c -> c.heldBy() + ":" + c.heldPath())
                        .distinct().sorted().toList();
            }
            assertThat(result).as(why("the model sees no live conflicting lock"))
                    .isInstanceOf(AcquireResult.Granted.class);
            AcquireResult.Granted granted = (AcquireResult.Granted) result;
            assertThat(granted.token()).as(why("a grant's token is larger than every earlier one (last "
                    + lastToken + ")")).isGreaterThan(lastToken);
            lastToken = granted.token();
            Instant expires = now().plusSeconds(op.ttlS());
            List<View> mine = new ArrayList<>();
            for (LockPath p : paths) {
                Key key = new Key(ws, p.value(), a.spec.id());
                View held = model.get(key);
                View next = held != null && live(held)
                        ? new View(ws, p.value(), a.spec.id(),
                                held.mode() == LockMode.EXCLUSIVE ? LockMode.EXCLUSIVE : op.mode(), granted.token(),
                                held.expiresAt().isAfter(expires) ? held.expiresAt() : expires)
                        : new View(ws, p.value(), a.spec.id(), op.mode(), granted.token(), expires);
                model.put(key, next);
                mine.add(next);
            }
            assertThat(granted.locks().stream().map(View::of).toList()).as(why("the locks granted"))
                    .containsExactlyInAnyOrderElementsOf(mine);
            Set<Key> listed = hive.locks(ws).stream().filter(l -> l.agentId().equals(a.spec.id()))
                    .filter(l -> l.expiresAt().isAfter(now())).filter(l -> l.token() == granted.token())
                    .map(l -> View.of(l).key()).collect(Collectors.toSet());
            assertThat(listed).as(why("a grant holds every requested path, live, under its token"))
                    .containsAll(mine.stream().map(View::key).toList());
            return line + " → granted #" + granted.token();
        }

        /** The paths a release or renewal names: none ("all"), some the agent lists ("own"), or any. */
        private List<String> pick(ModelAgent a, String ws, String which, List<Integer> picks) {
            if (which.equals("all")) {
                return null;
            }
            List<String> pool = which.equals("own")
                    ? model.values().stream().filter(v -> v.agent().equals(a.spec.id()) && v.ws().equals(ws))
                            .map(View::path).toList()
                    : PATHS;
            if (pool.isEmpty()) {
                pool = PATHS;
            }
            List<String> chosen = new ArrayList<>();
            for (int p : picks) {
                String path = pool.get(p % pool.size());
                if (!chosen.contains(path)) {
                    chosen.add(path);
                }
            }
            return chosen;
        }

        private String release(Release op) {
            ModelAgent a = agent(op.agent());
            String ws = WORKSPACES.get(op.ws());
            List<String> raw = pick(a, ws, op.which(), op.picks());
            String line = "t+" + seconds() + "s release " + a.spec.id() + "@" + ws + " "
                    + (raw == null ? "all" : raw);
            current = line;
            List<Lock> before = hive.locks(null);
            List<View> released = new ArrayList<>();
            Class<? extends RuntimeException> expected = ended(a);
            String holder = null;
            if (expected == null) {
                for (View v : model.values()) {
                    if (v.agent().equals(a.spec.id()) && live(v)
                            && (raw == null || v.ws().equals(ws) && raw.contains(v.path()))) {
                        released.add(v);
                    }
                }
                if (raw != null) {
                    for (String p : raw) {
                        View own = model.get(new Key(ws, p, a.spec.id()));
                        boolean mine = own != null && live(own);
                        for (View v : model.values()) {
                            if (!mine && v.ws().equals(ws) && v.path().equals(p) && !v.agent().equals(a.spec.id())
                                    && live(v)) {
                                expected = Forbidden.class;
                                holder = v.agent() + ":" + p;
                            }
                        }
                    }
                }
            }
            List<Lock> result = expect(expected, () -> hive.release(a.spec.id(), ws,
                    raw == null ? null : raw.stream().map(LockPath::parse).toList()));
            if (expected != null) {
                assertThat(hive.locks(null)).as(why("a refused release changes nothing")).isEqualTo(before);
                return line + " → " + (expected == Forbidden.class ? "forbidden (held by " + holder + ")"
                        : "refused, agent " + a.status.wire());
            }
            touch(a);
            released.forEach(v -> model.remove(v.key()));
            assertThat(result.stream().map(View::of).toList()).as(why("the locks released"))
                    .containsExactlyInAnyOrderElementsOf(released);
            return line + " → released " + released.size();
        }

        private String renew(Renew op) {
            ModelAgent a = agent(op.agent());
            String ws = WORKSPACES.get(op.ws());
            List<String> raw = pick(a, ws, op.which(), op.picks());
            String line = "t+" + seconds() + "s renew " + a.spec.id() + "@" + ws + " " + (raw == null ? "all" : raw)
                    + " ttl=" + op.ttlS() + "s";
            current = line;
            List<Lock> before = hive.locks(null);
            Class<? extends RuntimeException> expected = ended(a);
            List<Lock> result = expect(expected, () -> hive.renew(a.spec.id(), ws,
                    raw == null ? null : raw.stream().map(LockPath::parse).toList(), Duration.ofSeconds(op.ttlS())));
            if (expected != null) {
                assertThat(hive.locks(null)).as(why("a refused renewal changes nothing")).isEqualTo(before);
                return line + " → refused, agent " + a.status.wire();
            }
            touch(a);
            List<View> renewed = new ArrayList<>();
            int skipped = 0;
            for (View v : List.copyOf(model.values())) {
                if (v.agent().equals(a.spec.id()) && (raw == null || v.ws().equals(ws) && raw.contains(v.path()))) {
                    if (!live(v)) {
                        skipped++;
                        continue;
                    }
                    View next = new View(v.ws(), v.path(), v.agent(), v.mode(), v.token(),
                            now().plusSeconds(op.ttlS()));
                    model.put(next.key(), next);
                    renewed.add(next);
                }
            }
            assertThat(result.stream().map(View::of).toList())
                    .as(why("the locks renewed, tokens kept (an ended lease is not renewed)"))
                    .containsExactlyInAnyOrderElementsOf(renewed);
            return line + " → renewed " + renewed.size() + (skipped > 0 ? " (ended: " + skipped + ")" : "");
        }

        private String sweep() {
            String line = "t+" + seconds() + "s sweep";
            current = line;
            int lost = 0;
            int taken = 0;
            for (ModelAgent a : agents) {
                if (a.spec.registered() && a.status == AgentStatus.ACTIVE
                        && !a.lastHeard.plus(SESSION).isAfter(now())) {
                    a.status = AgentStatus.LOST;
                    taken += (int) model.values().stream().filter(v -> v.agent().equals(a.spec.id())).count();
                    model.values().removeIf(v -> v.agent().equals(a.spec.id()));
                    lost++;
                }
            }
            int expired = 0;
            for (View v : List.copyOf(model.values())) {
                if (!live(v)) {
                    model.remove(v.key());
                    expired++;
                }
            }
            int changed = hive.sweep();
            assertThat(changed).as(why("the sweep's count: " + lost + " agents lost (holding " + taken + " locks), "
                    + expired + " leases broken")).isBetween(lost + expired, lost + taken + expired);
            return line + " → " + (lost > 0 ? "lost " + lost + ", " : "") + "broke " + expired;
        }

        private String heartbeat(ModelAgent a) {
            String line = "t+" + seconds() + "s heartbeat " + a.spec.id();
            current = line;
            Class<? extends RuntimeException> expected = !a.spec.registered() ? NotFound.class : ended(a);
            Agent result = expect(expected, () -> hive.heartbeat(a.spec.id()));
            if (expected != null) {
                return line + " → refused, "
                        + (expected == NotFound.class ? "not registered" : "agent " + a.status.wire());
            }
            assertThat(result.status()).as(why("the agent after a heartbeat")).isEqualTo(AgentStatus.ACTIVE);
            touch(a);
            Instant until = now().plus(SESSION);
            int extended = 0;
            for (View v : List.copyOf(model.values())) {
                if (v.agent().equals(a.spec.id()) && live(v) && v.expiresAt().isBefore(until)) {
                    model.put(v.key(), new View(v.ws(), v.path(), v.agent(), v.mode(), v.token(), until));
                    extended++;
                }
            }
            return line + " → extended " + extended;
        }

        private String leave(ModelAgent a) {
            String line = "t+" + seconds() + "s leave " + a.spec.id();
            current = line;
            Class<? extends RuntimeException> expected = !a.spec.registered() ? NotFound.class : null;
            Agent result = expect(expected, () -> hive.leave(a.spec.id()));
            if (expected != null) {
                return line + " → refused, not registered";
            }
            assertThat(result.status()).as(why("the agent after leaving")).isEqualTo(AgentStatus.GONE);
            int dropped = 0;
            if (a.status != AgentStatus.GONE) {
                a.status = AgentStatus.GONE;
                dropped = (int) model.values().stream().filter(v -> v.agent().equals(a.spec.id())).count();
                model.values().removeIf(v -> v.agent().equals(a.spec.id()));
            }
            return line + " → gone (dropped " + dropped + ")";
        }

        private String register(ModelAgent a) {
            if (!a.spec.registered()) {
                return "t+" + seconds() + "s register " + a.spec.id() + " → skipped, stays unregistered";
            }
            String line = "t+" + seconds() + "s register " + a.spec.id() + " (was " + a.status.wire() + ")";
            current = line;
            Agent result = hive.register(new Registration(a.spec.id(), null, Set.of(), 1, List.of()));
            assertThat(result.status()).as(why("an agent registered again is active")).isEqualTo(AgentStatus.ACTIVE);
            assertThat(result.allowedPaths()).as(why("registering again keeps the first registration's paths"))
                    .isEqualTo(a.spec.allowedPaths());
            a.status = AgentStatus.ACTIVE;
            touch(a);
            return line + " → active";
        }

        // --- checks after every operation ---

        void check() {
            Instant now = now();
            List<Lock> listed = hive.locks(null);
            // An ended lease holds nothing; the engine may drop it before the sweep does (when its
            // agent acts again), and from then on the model forgets it too.
            Set<View> listedViews = listed.stream().map(View::of).collect(java.util.stream.Collectors.toSet());
            model.values().removeIf(v -> !live(v) && !listedViews.contains(v));

            // 4: the lock list is the model's
            assertThat(listed.stream().map(View::of).toList()).as(why("the engine's locks against the model"))
                    .containsExactlyInAnyOrderElementsOf(model.values());
            assertThat(listed).as(why("locks are listed by workspace, path, agent")).isSortedAccordingTo(
                    Comparator.comparing(Lock::workspace).thenComparing(Lock::path).thenComparing(Lock::agentId));
            for (String ws : WORKSPACES) {
                assertThat(hive.locks(ws)).as(why("the locks of workspace " + ws))
                        .isEqualTo(listed.stream().filter(l -> l.workspace().equals(ws)).toList());
            }
            for (Lock l : listed) {
                assertThat(l.taskId()).as(why("no task for " + l)).isNull();
                assertThat(l.acquiredAt()).as(why("acquired_at of " + l)).isBeforeOrEqualTo(now)
                        .isBefore(l.expiresAt());
                // 3: no token beyond the last grant
                assertThat(l.token()).as(why("token of " + l)).isPositive().isLessThanOrEqualTo(lastToken);
            }

            // 1: safety over the leases that have not ended
            List<Lock> live = listed.stream().filter(l -> l.expiresAt().isAfter(now)).toList();
            for (int i = 0; i < live.size(); i++) {
                for (int j = i + 1; j < live.size(); j++) {
                    Lock x = live.get(i);
                    Lock y = live.get(j);
                    boolean clash = x.workspace().equals(y.workspace()) && !x.agentId().equals(y.agentId())
                            && !(x.mode() == LockMode.SHARED && y.mode() == LockMode.SHARED)
                            && LockPath.parse(x.path()).overlaps(LockPath.parse(y.path()));
                    assertThat(clash).as(why("SAFETY: two agents hold overlapping live leases " + View.of(x) + " and "
                            + View.of(y))).isFalse();
                }
            }

            // 6 and the sessions: status and last heartbeat as in the model; lost and gone hold nothing
            Map<String, Agent> engineAgents = hive.agents().stream()
                    .collect(Collectors.toMap(Agent::id, x -> x));
            for (ModelAgent a : agents) {
                if (!a.spec.registered()) {
                    assertThat(engineAgents).as(why("an embedded agent is not registered")).doesNotContainKey(
                            a.spec.id());
                    continue;
                }
                Agent e = engineAgents.get(a.spec.id());
                assertThat(e).as(why("agent " + a.spec.id())).isNotNull();
                assertThat(e.status()).as(why("status of " + a.spec.id())).isEqualTo(a.status);
                assertThat(e.lastHeartbeat()).as(why("last heartbeat of " + a.spec.id())).isEqualTo(a.lastHeard);
                if (a.status != AgentStatus.ACTIVE) {
                    assertThat(listed).as(why("a " + a.status.wire() + " agent holds nothing"))
                            .noneMatch(l -> l.agentId().equals(a.spec.id()));
                }
            }
        }

        @Override
        public void close() throws IOException {
            try {
                hive.close();
            } finally {
                try (Stream<Path> files = Files.walk(dir)) {
                    for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(f);
                    }
                }
            }
        }
    }

    /**
     * The model's reading of {@code allowed_paths: ["src/**"]} (docs/locks.md "Allowed paths"): a
     * path is within when its literal leading folder is {@code src}; a glob whose first segment is
     * a pattern ({@code *.md}, {@code **}) is not.
     */
    static boolean withinSrc(LockPath path) {
        String first = path.value().split("/")[0];
        return first.equals("src");
    }
}
