package hive.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import hive.Conflict;
import hive.Forbidden;
import hive.Hive;
import hive.Hives;
import hive.TestClock;
import hive.agents.AgentProfile;
import hive.events.Event;
import hive.plan.PlanFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
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
 * The scheduler (through the {@link Hive} facade, on a real SQLite file) against a small, plain
 * reference model of API.md's "Task states": random DAGs of tasks with roles, pinned agents and
 * priorities, and random sequences of claims, starts, completions, failures, retries, pauses,
 * cancels, clock moves, sweeps and close-and-reopen. After every operation the engine's tasks,
 * progress, swarm status and new events must match what the model expects; the model never calls
 * engine code to decide what should happen.
 *
 * <p>One nondeterminism is left to the engine: when a task waiting out its retry backoff becomes
 * due, the engine may show it {@code pending} until a sweep or a claim promotes it (it must then
 * emit {@code task_ready}); a sweep must promote every due retry. Backoff jitter is random, so the
 * model checks each {@code not_before} against its bounds and then keeps it.
 *
 * <p>Sizes can be raised with {@code -Dhive.props.maxTasks=N} and {@code -Dhive.props.maxOps=N}.
 */
class SchedulerPropertyTest {

    static final int MAX_TASKS = Integer.getInteger("hive.props.maxTasks", 25);
    static final int MAX_OPS = Integer.getInteger("hive.props.maxOps", 60);

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<Set<String>> ROLE_SETS = List.of(Set.of(), Set.of("build"), Set.of("test"),
            Set.of("build", "test"));

    // --- the scenario: plan, agents, operations ---

    /** A task of the generated plan; {@code deps} are indexes of earlier tasks (plan order is topological). */
    record Spec(int index, List<Integer> deps, String role, String agent, int priority, double weight,
            int maxAttempts, int backoffS, int timeoutS) {

        String id() {
            return "t" + index;
        }

        @Override
        public String toString() {
            return id() + "{deps=" + deps.stream().map(d -> "t" + d).toList() + ", prio=" + priority
                    + (role != null ? ", role=" + role : "") + (agent != null ? ", agent=" + agent : "")
                    + ", w=" + weight + ", max=" + maxAttempts + ", backoff=" + backoffS + ", timeout=" + timeoutS
                    + "}";
        }
    }

    sealed interface Op {
    }

    record Claim(int agent) implements Op {
    }

    record Start(int agent, int task) implements Op {
    }

    record Complete(int pick, boolean byOther) implements Op {
    }

    record Fail(int pick, boolean retryable) implements Op {
    }

    record Retry(int pick) implements Op {
    }

    record Cancel() implements Op {
    }

    record Pause() implements Op {
    }

    record Resume() implements Op {
    }

    record Advance(int seconds) implements Op {
    }

    record Sweep() implements Op {
    }

    record Reopen() implements Op {
    }

    record Scenario(List<Spec> tasks, List<AgentProfile> agents, List<Op> ops) {
        @Override
        public String toString() {
            return "agents " + agents.stream().map(a -> a.id() + a.roles().stream().sorted().toList() + "/max"
                    + a.maxTasks()).toList() + "\ntasks " + tasks + "\nops " + ops;
        }

        Scenario withOps(List<Op> newOps) {
            return new Scenario(tasks, agents, newOps);
        }
    }

    @Provide
    Arbitrary<Scenario> scenarios() {
        Arbitrary<List<AgentProfile>> agents = Combinators.combine(Arbitraries.of(ROLE_SETS),
                        Arbitraries.integers().between(1, 2))
                .as((roles, max) -> Tuple.of(roles, max)).list().ofMinSize(1).ofMaxSize(4)
                .map(list -> IntStream.range(0, list.size())
                        .mapToObj(i -> new AgentProfile("a" + i, list.get(i).get1(), list.get(i).get2())).toList());
        Arbitrary<List<Spec>> tasks = Arbitraries.integers().between(1, MAX_TASKS).withoutEdgeCases().flatMap(n -> task().list()
                .ofSize(n).map(raw -> IntStream.range(0, n).mapToObj(i -> raw.get(i).at(i)).toList()));
        Arbitrary<List<Op>> ops = op().list().ofMinSize(Math.min(20, MAX_OPS)).ofMaxSize(MAX_OPS);
        return Combinators.combine(tasks, agents, ops).as(Scenario::new);
    }

    /** A task before it knows its place: dependency picks are reduced modulo its index. */
    record RawSpec(List<Integer> depPicks, String role, String agent, int priority, double weight, int maxAttempts,
            int backoffS, int timeoutS) {
        Spec at(int i) {
            List<Integer> deps = i == 0 ? List.of()
                    : depPicks.stream().map(p -> p % i).distinct().sorted().toList();
            return new Spec(i, deps, role, agent, priority, weight, maxAttempts, backoffS, timeoutS);
        }
    }

    private Arbitrary<RawSpec> task() {
        Arbitrary<List<Integer>> deps = Arbitraries.integers().between(0, 1000).list().ofMaxSize(3);
        Arbitrary<String> role = Arbitraries.frequency(Tuple.of(6, "-"), Tuple.of(2, "build"), Tuple.of(1, "test"))
                .map(r -> r.equals("-") ? null : r);
        Arbitrary<String> pinned = Arbitraries.frequency(Tuple.of(12, "-"), Tuple.of(1, "a0"), Tuple.of(1, "a1"),
                Tuple.of(1, "ghost")).map(a -> a.equals("-") ? null : a);
        Arbitrary<Integer> priority = Arbitraries.integers().between(0, 3);
        Arbitrary<Double> weight = Arbitraries.of(1.0, 1.0, 2.0, 0.5, 3.0);
        Arbitrary<Integer> maxAttempts = Arbitraries.integers().between(1, 3);
        Arbitrary<Integer> backoff = Arbitraries.of(0, 0, 1, 3);
        Arbitrary<Integer> timeout = Arbitraries.frequency(Tuple.of(3, 1800), Tuple.of(1, 5), Tuple.of(1, 20));
        return Combinators.combine(deps, role, pinned, priority, weight, maxAttempts, backoff, timeout)
                .as(RawSpec::new);
    }

    private Arbitrary<Op> op() {
        Arbitrary<Integer> pick = Arbitraries.integers().between(0, 1000);
        return Arbitraries.frequencyOf(
                Tuple.of(30, pick.map(Claim::new)),
                Tuple.of(6, Combinators.combine(pick, pick).as(Start::new)),
                Tuple.of(16, Combinators.combine(pick, Arbitraries.of(false, false, false, false, false, false,
                        false, false, false, true)).as(Complete::new)),
                Tuple.of(10, Combinators.combine(pick, Arbitraries.of(true, false)).as(Fail::new)),
                Tuple.of(6, pick.map(Retry::new)),
                Tuple.of(1, Arbitraries.just(new Cancel())),
                Tuple.of(3, Arbitraries.just(new Pause())),
                Tuple.of(4, Arbitraries.just(new Resume())),
                Tuple.of(10, Arbitraries.of(1, 2, 4, 10, 30).map(Advance::new)),
                Tuple.of(8, Arbitraries.just(new Sweep())),
                Tuple.of(2, Arbitraries.just(new Reopen())));
    }

    // --- the properties ---

    /**
     * Properties 1-6 of the issue after every operation: dependencies before starts, blocking and
     * its roots, counters and status against a recount, every task against the model, claims in
     * priority-then-age order within what the agent may take, and gap-free events matching the
     * transitions.
     */
    @Property(tries = 150, edgeCases = EdgeCasesMode.NONE)
    void engineFollowsTheReferenceModelAfterEveryOperation(@ForAll("scenarios") Scenario scenario) throws IOException {
        try (Run run = new Run(scenario)) {
            run.play();
        }
    }

    /**
     * A clean close and reopen in the middle of a run shows the same tasks, progress and events,
     * and the rebuilt working copy goes on behaving like the model.
     */
    @Property(tries = 40, edgeCases = EdgeCasesMode.NONE)
    void reopenedHiveShowsTheSameStateAndGoesOnAsBefore(@ForAll("scenarios") Scenario scenario) throws IOException {
        List<Op> ops = new ArrayList<>(scenario.ops().stream().filter(op -> !(op instanceof Reopen)).toList());
        ops.add(ops.size() / 2, new Reopen());
        ops.add(new Reopen());
        try (Run run = new Run(scenario.withOps(ops))) {
            run.play();
        }
    }

    // --- the reference model ---

    /** The model's view of one task. */
    static final class ModelTask {
        TaskState state;
        int attempt;
        String agent;
        String error;
        Instant notBefore;
        /** Bounds of a not_before the engine chose with jitter, not yet read back. */
        Instant notBeforeLow;
        Instant notBeforeHigh;
        Instant deadline;
        Set<String> blockedBy = new TreeSet<>();

        @Override
        public String toString() {
            return state.wire() + (attempt > 0 ? " #" + attempt : "") + (agent != null ? " @" + agent : "")
                    + (notBefore != null ? " nb=" + notBefore : "") + (blockedBy.isEmpty() ? "" : " by " + blockedBy);
        }
    }

    /** One run of a scenario on a fresh Hive: applies each operation to engine and model, then compares. */
    static final class Run implements AutoCloseable {
        final Scenario scenario;
        final List<Spec> specs;
        final Path dir;
        final TestClock clock = new TestClock();
        final List<String> history = new ArrayList<>();
        final ModelTask[] model;
        final List<List<Integer>> dependents = new ArrayList<>();
        Hive hive;
        String swarm;
        boolean paused;
        boolean cancelled;
        long lastSeq;
        String current = "create";
        /** Expected events of the current operation, as "type:task" ("type:-" for swarm events). */
        final List<String> mandatory = new ArrayList<>();
        final List<String> optional = new ArrayList<>();

        Run(Scenario scenario) throws IOException {
            this.scenario = scenario;
            this.specs = scenario.tasks();
            this.dir = Files.createTempDirectory("hive-sched-prop");
            this.hive = Hives.open(dir, clock);
            this.model = new ModelTask[specs.size()];
            for (Spec s : specs) {
                dependents.add(new ArrayList<>());
            }
            for (Spec s : specs) {
                for (int d : s.deps()) {
                    dependents.get(d).add(s.index());
                }
            }
        }

        String history() {
            StringBuilder b = new StringBuilder("\nscenario:\n").append(scenario).append("\nhistory:\n");
            history.forEach(line -> b.append("  ").append(line).append('\n'));
            b.append("model now: ");
            for (int i = 0; i < model.length; i++) {
                b.append("t").append(i).append('=').append(model[i]).append("; ");
            }
            return b.append("swarm paused=").append(paused).append(" cancelled=").append(cancelled)
                    .append(" clock=").append(clock.instant()).toString();
        }

        Supplier<String> why(String what) {
            return () -> what + history() + "\noperation being checked: " + current;
        }

        /** The kind of an operation's history line, for jqwik's statistics. */
        static String kind(String line) {
            String kind = line.split(" ")[0];
            for (String mark : List.of("refused", "intruder", "final", "retryable", "timed out", "nothing",
                    "tolerated")) {
                if (line.contains(mark)) {
                    kind += " (" + mark + ")";
                }
            }
            return kind;
        }

        void play() {
            swarm = hive.createSwarm(plan(), PlanFormat.JSON).id();
            for (Spec s : specs) {
                ModelTask t = new ModelTask();
                t.state = s.deps().isEmpty() ? TaskState.READY : TaskState.PENDING;
                model[s.index()] = t;
            }
            mandatory.add("swarm_created:-");
            SwarmStatus before = SwarmStatus.RUNNING;
            check(before);
            history.add("create");
            for (Op op : scenario.ops()) {
                before = status();
                mandatory.clear();
                optional.clear();
                current = op.toString();
                try {
                    current = apply(op);
                } catch (RuntimeException e) {
                    throw new AssertionError("engine threw " + e + history() + "\noperation: " + current, e);
                }
                check(before);
                history.add(current);
                Statistics.label("operations").collect(kind(current));
            }
            Statistics.label("final swarm status").collect(status());
            current = "end";
            List<Event> all = hive.events(swarm, 0, 1_000_000);
            assertThat(all).extracting(Event::seq).as(why("event numbers at the end"))
                    .containsExactlyElementsOf(LongStreamRange.of(1, all.size()));
        }

        private String plan() {
            ObjectNode plan = JSON.createObjectNode();
            plan.put("name", "prop");
            ArrayNode tasks = plan.putArray("tasks");
            for (Spec s : specs) {
                ObjectNode t = tasks.addObject();
                t.put("id", s.id());
                ArrayNode deps = t.putArray("depends_on");
                s.deps().forEach(d -> deps.add("t" + d));
                if (s.role() != null) {
                    t.put("role", s.role());
                }
                if (s.agent() != null) {
                    t.put("agent", s.agent());
                }
                t.put("priority", s.priority());
                t.put("weight", s.weight());
                t.put("max_attempts", s.maxAttempts());
                t.put("backoff_s", s.backoffS());
                t.put("timeout_s", s.timeoutS());
            }
            return plan.toString();
        }

        // --- model queries ---

        Instant now() {
            return clock.instant();
        }

        boolean due(int i) {
            ModelTask t = model[i];
            return t.state == TaskState.PENDING && t.notBefore != null && !t.notBefore.isAfter(now());
        }

        boolean depsCompleted(int i) {
            return specs.get(i).deps().stream().allMatch(d -> model[d].state == TaskState.COMPLETED);
        }

        boolean mayTake(AgentProfile agent, int i) {
            Spec s = specs.get(i);
            return (s.role() == null || agent.roles().contains(s.role()))
                    && (s.agent() == null || s.agent().equals(agent.id()));
        }

        long held(String agentId) {
            return Stream.of(model).filter(t -> t.state == TaskState.IN_PROGRESS && agentId.equals(t.agent)).count();
        }

        boolean hasRoom(AgentProfile agent) {
            return held(agent.id()) < agent.maxTasks();
        }

        /** Highest priority first, then oldest (plan order), among the tasks {@code eligible} lets through. */
        Optional<Integer> best(AgentProfile agent, java.util.function.IntPredicate eligible) {
            return IntStream.range(0, specs.size()).boxed()
                    .filter(i -> eligible.test(i) && mayTake(agent, i))
                    .min(Comparator.comparingInt((Integer i) -> -specs.get(i).priority()).thenComparingInt(i -> i));
        }

        List<Integer> inState(TaskState state) {
            return IntStream.range(0, specs.size()).filter(i -> model[i].state == state).boxed().toList();
        }

        SwarmStatus status() {
            if (cancelled) {
                return SwarmStatus.CANCELLED;
            }
            Map<TaskState, Long> n = Stream.of(model).collect(Collectors.groupingBy(t -> t.state,
                    Collectors.counting()));
            long total = model.length;
            if (total > 0 && n.getOrDefault(TaskState.COMPLETED, 0L) == total) {
                return SwarmStatus.COMPLETED;
            }
            long live = n.getOrDefault(TaskState.PENDING, 0L) + n.getOrDefault(TaskState.READY, 0L)
                    + n.getOrDefault(TaskState.IN_PROGRESS, 0L);
            if (live == 0 && n.getOrDefault(TaskState.FAILED, 0L) + n.getOrDefault(TaskState.BLOCKED, 0L) > 0) {
                return SwarmStatus.FAILED;
            }
            return paused ? SwarmStatus.PAUSED : SwarmStatus.RUNNING;
        }

        AgentProfile agent(int pick) {
            return scenario.agents().get(pick % scenario.agents().size());
        }

        // --- model transitions ---

        void start(int i, AgentProfile agent) {
            assertThat(depsCompleted(i)).as(why("t" + i + " starts only after all its dependencies completed"))
                    .isTrue();
            ModelTask t = model[i];
            if (due(i)) {
                optional.add("task_ready:t" + i);
            }
            t.state = TaskState.IN_PROGRESS;
            t.attempt++;
            t.agent = agent.id();
            t.notBefore = null;
            t.deadline = now().plusSeconds(specs.get(i).timeoutS());
            mandatory.add("task_started:t" + i);
        }

        void complete(int i) {
            ModelTask t = model[i];
            t.state = TaskState.COMPLETED;
            t.error = null;
            t.deadline = null;
            mandatory.add("task_completed:t" + i);
            for (int d : dependents.get(i)) {
                ModelTask dep = model[d];
                if (dep.state == TaskState.PENDING && dep.notBefore == null && depsCompleted(d)) {
                    dep.state = TaskState.READY;
                    mandatory.add("task_ready:t" + d);
                }
            }
        }

        void failAttempt(int i, String error, boolean retryable) {
            ModelTask t = model[i];
            Spec s = specs.get(i);
            mandatory.add("task_failed:t" + i);
            t.error = error;
            t.deadline = null;
            if (retryable && t.attempt < s.maxAttempts()) {
                t.agent = null;
                if (s.backoffS() == 0) {
                    t.state = TaskState.READY;
                    t.notBefore = null;
                } else {
                    t.state = TaskState.PENDING;
                    double full = Math.min(300, s.backoffS() * Math.pow(2, Math.max(0, t.attempt - 1)));
                    t.notBefore = null;
                    t.notBeforeLow = now().plusMillis(Math.max(1, (long) Math.floor(full * 500)));
                    t.notBeforeHigh = now().plusMillis((long) Math.ceil(full * 1000));
                }
            } else {
                t.state = TaskState.FAILED;
                reblock();
            }
        }

        /** A failed task back with fresh attempts (API.md: retry). */
        void revive(int i) {
            ModelTask t = model[i];
            t.state = depsCompleted(i) ? TaskState.READY : TaskState.PENDING;
            t.attempt = 0;
            t.agent = null;
            t.error = null;
            t.notBefore = null;
            t.deadline = null;
            mandatory.add("task_retried:t" + i);
        }

        /**
         * Blocking as API.md defines it, recomputed from scratch in plan (topological) order: a task
         * not yet run is blocked by each failed dependency and by the roots of each blocked one.
         * Emits task_blocked where the roots grow and task_unblocked where they vanish.
         */
        void reblock() {
            for (int i = 0; i < specs.size(); i++) {
                ModelTask t = model[i];
                if (t.state != TaskState.PENDING && t.state != TaskState.READY && t.state != TaskState.BLOCKED) {
                    continue;
                }
                Set<String> roots = new TreeSet<>();
                for (int d : specs.get(i).deps()) {
                    if (model[d].state == TaskState.FAILED) {
                        roots.add("t" + d);
                    } else if (model[d].state == TaskState.BLOCKED) {
                        roots.addAll(model[d].blockedBy);
                    }
                }
                if (!roots.isEmpty()) {
                    assertThat(t.notBefore).as(why("a task waiting for a retry has no failed dependency")).isNull();
                    if (!roots.equals(t.blockedBy) && roots.containsAll(t.blockedBy)) {
                        mandatory.add("task_blocked:t" + i);
                    }
                    t.state = TaskState.BLOCKED;
                    t.blockedBy = roots;
                } else if (t.state == TaskState.BLOCKED) {
                    t.state = depsCompleted(i) ? TaskState.READY : TaskState.PENDING;
                    t.blockedBy = new TreeSet<>();
                    mandatory.add("task_unblocked:t" + i);
                }
            }
        }

        void promoteDue() {
            for (int i = 0; i < specs.size(); i++) {
                if (due(i)) {
                    model[i].state = TaskState.READY;
                    model[i].notBefore = null;
                    mandatory.add("task_ready:t" + i);
                }
            }
        }

        // --- operations ---

        String apply(Op op) {
            return switch (op) {
                case Claim c -> claim(agent(c.agent()));
                case Start s -> start(agent(s.agent()), startTarget(s.task()));
                case Complete c -> complete(c);
                case Fail f -> fail(f);
                case Retry r -> retry(r.pick());
                case Cancel c -> cancel();
                case Pause p -> pause();
                case Resume r -> resume();
                case Advance a -> {
                    clock.advance(Duration.ofSeconds(a.seconds()));
                    yield "advance " + a.seconds() + " s";
                }
                case Sweep s -> sweep();
                case Reopen r -> reopen();
            };
        }

        String claim(AgentProfile agent) {
            boolean can = hasRoom(agent) && !paused && !cancelled;
            Optional<Integer> expected = can
                    ? best(agent, i -> model[i].state == TaskState.READY || due(i)) : Optional.empty();
            Optional<Task> got = hive.claim(agent, swarm);
            String line = "claim by " + agent.id() + " -> " + got.map(Task::id).orElse("nothing");
            current = line;
            if (expected.isEmpty()) {
                assertThat(got).as(why("claim by " + agent.id() + " finds nothing")).isEmpty();
                return line;
            }
            assertThat(got).as(why("claim by " + agent.id() + " finds t" + expected.get())).isPresent();
            int claimed = Integer.parseInt(got.get().id().substring(1));
            assertThat(got.get().id()).as(why("claim hands out the highest-priority, then oldest, task "
                    + agent.id() + " may take")).isEqualTo("t" + expected.get());
            start(claimed, agent);
            assertThat(got.get().status()).as(why("claimed task is in progress")).isEqualTo(TaskState.IN_PROGRESS);
            assertThat(got.get().attempt()).as(why("claimed task's attempt")).isEqualTo(model[claimed].attempt);
            assertThat(got.get().assignedAgent()).as(why("claimed task's agent")).isEqualTo(agent.id());
            return line;
        }

        /** Even picks aim at a task that may be startable (ready or due), odd ones at any task. */
        int startTarget(int pick) {
            List<Integer> open = IntStream.range(0, specs.size())
                    .filter(i -> model[i].state == TaskState.READY || due(i)).boxed().toList();
            return pick % 2 == 0 && !open.isEmpty() ? open.get(pick / 2 % open.size()) : pick % specs.size();
        }

        String start(AgentProfile agent, int i) {
            boolean allowed = (model[i].state == TaskState.READY || due(i)) && !paused && !cancelled
                    && mayTake(agent, i) && hasRoom(agent);
            String line = "start t" + i + " by " + agent.id() + (allowed ? "" : " (refused)");
            current = line;
            if (allowed) {
                Task task = hive.start(swarm, "t" + i, agent);
                start(i, agent);
                assertThat(task.status()).as(why("started task is in progress")).isEqualTo(TaskState.IN_PROGRESS);
            } else {
                assertThatThrownBy(() -> hive.start(swarm, "t" + i, agent)).as(why(line))
                        .isInstanceOf(Conflict.class);
            }
            return line;
        }

        String complete(Complete c) {
            List<Integer> running = inState(TaskState.IN_PROGRESS);
            if (running.isEmpty()) {
                int i = c.pick() % specs.size();
                String line = "complete t" + i + " (not in progress: refused)";
                assertThatThrownBy(() -> hive.complete(swarm, "t" + i, "a0", null)).as(why(line))
                        .isInstanceOf(Conflict.class);
                return line;
            }
            int i = running.get(c.pick() % running.size());
            String holder = model[i].agent;
            if (c.byOther()) {
                String line = "complete t" + i + " by intruder (refused)";
                assertThatThrownBy(() -> hive.complete(swarm, "t" + i, holder + "-other", null)).as(why(line))
                        .isInstanceOf(Forbidden.class);
                return line;
            }
            Task done = hive.complete(swarm, "t" + i, holder, "ok");
            complete(i);
            assertThat(done.status()).as(why("completed t" + i)).isEqualTo(TaskState.COMPLETED);
            return "complete t" + i + " by " + holder;
        }

        String fail(Fail f) {
            List<Integer> running = inState(TaskState.IN_PROGRESS);
            if (running.isEmpty()) {
                int i = f.pick() % specs.size();
                String line = "fail t" + i + " (not in progress: refused)";
                assertThatThrownBy(() -> hive.fail(swarm, "t" + i, "a0", "x", f.retryable())).as(why(line))
                        .isInstanceOf(Conflict.class);
                return line;
            }
            int i = running.get(f.pick() % running.size());
            String error = "boom " + history.size();
            hive.fail(swarm, "t" + i, model[i].agent, error, f.retryable());
            String line = "fail t" + i + " by " + model[i].agent + (f.retryable() ? " (retryable)" : " (final)");
            failAttempt(i, error, f.retryable());
            return line;
        }

        String retry(int pick) {
            List<Integer> candidates = IntStream.range(0, specs.size())
                    .filter(i -> model[i].state == TaskState.FAILED || model[i].state == TaskState.BLOCKED)
                    .boxed().toList();
            if (cancelled || candidates.isEmpty()) {
                int i = candidates.isEmpty() ? pick % specs.size() : candidates.get(pick % candidates.size());
                String line = "retry t" + i + " (refused)";
                assertThatThrownBy(() -> hive.retry(swarm, "t" + i)).as(why(line)).isInstanceOf(Conflict.class);
                return line;
            }
            int i = candidates.get(pick % candidates.size());
            Task after = hive.retry(swarm, "t" + i);
            Set<String> roots = model[i].state == TaskState.FAILED ? Set.of("t" + i) : Set.copyOf(model[i].blockedBy);
            roots.stream().sorted().forEach(r -> revive(Integer.parseInt(r.substring(1))));
            reblock();
            String line = "retry t" + i + " (roots " + new TreeSet<>(roots) + ")";
            current = line;
            assertThat(after.status()).as(why("retried t" + i + "'s state"))
                    .isEqualTo(model[i].state);
            return line;
        }

        String cancel() {
            if (status() == SwarmStatus.COMPLETED) {
                assertThatThrownBy(() -> hive.cancel(swarm)).as(why("cancel")).isInstanceOf(Conflict.class);
                return "cancel (completed: refused)";
            }
            Swarm s = hive.cancel(swarm);
            if (!cancelled) {
                for (ModelTask t : model) {
                    if (t.state == TaskState.PENDING || t.state == TaskState.READY
                            || t.state == TaskState.IN_PROGRESS || t.state == TaskState.BLOCKED) {
                        t.state = TaskState.CANCELLED;
                        t.notBefore = null;
                        t.deadline = null;
                    }
                }
                cancelled = true;
                mandatory.add("swarm_cancelled:-");
            }
            assertThat(s.status()).as(why("cancelled swarm's status")).isEqualTo(SwarmStatus.CANCELLED);
            return "cancel";
        }

        String pause() {
            if (status().isFinished()) {
                String line = "pause (" + status().wire() + ": refused)";
                assertThatThrownBy(() -> hive.pause(swarm)).as(why(line)).isInstanceOf(Conflict.class);
                return line;
            }
            hive.pause(swarm);
            if (!paused) {
                paused = true;
                mandatory.add("swarm_paused:-");
            }
            return "pause";
        }

        String resume() {
            if (cancelled) {
                assertThatThrownBy(() -> hive.resume(swarm)).as(why("resume")).isInstanceOf(Conflict.class);
                return "resume (cancelled: refused)";
            }
            hive.resume(swarm);
            if (paused) {
                paused = false;
                mandatory.add("swarm_resumed:-");
            }
            return "resume";
        }

        String sweep() {
            int changed = hive.sweep();
            int expected = 0;
            for (int i = 0; i < specs.size(); i++) {
                expected += due(i) ? 1 : 0;
            }
            promoteDue();
            List<Integer> overdue = IntStream.range(0, specs.size())
                    .filter(i -> model[i].state == TaskState.IN_PROGRESS && !model[i].deadline.isAfter(now()))
                    .boxed().sorted(Comparator.comparing((Integer i) -> model[i].deadline).thenComparingInt(i -> i))
                    .toList();
            for (int i : overdue) {
                ModelTask t = model[i];
                mandatory.add("task_timed_out:t" + i);
                failAttempt(i, "timed out after " + specs.get(i).timeoutS() + " s (attempt " + t.attempt + " of "
                        + specs.get(i).maxAttempts() + ")", true);
            }
            expected += overdue.size();
            String line = "sweep -> " + changed + (overdue.isEmpty() ? "" : " (timed out " + overdue + ")");
            current = line;
            assertThat(changed).as(why("tasks changed by the sweep (" + line + ")")).isEqualTo(expected);
            return line;
        }

        String reopen() {
            Snapshot before = snapshot();
            hive.close();
            hive = Hives.open(dir, clock);
            Snapshot after = snapshot();
            assertThat(after.tasks()).as(why("tasks after reopening")).containsExactlyElementsOf(before.tasks());
            assertThat(after.progress()).as(why("progress after reopening")).isEqualTo(before.progress());
            assertThat(after.swarm()).as(why("swarm after reopening")).isEqualTo(before.swarm());
            assertThat(after.events()).as(why("events after reopening")).containsExactlyElementsOf(before.events());
            return "close and reopen";
        }

        record Snapshot(List<Task> tasks, Progress progress, Swarm swarm, List<Event> events) {
        }

        Snapshot snapshot() {
            return new Snapshot(hive.tasks(swarm), hive.progress(swarm), hive.swarm(swarm),
                    hive.events(swarm, 0, 1_000_000));
        }

        // --- the checks after every operation ---

        void check(SwarmStatus statusBefore) {
            List<Task> tasks = hive.tasks(swarm);
            assertThat(tasks).extracting(Task::id).as(why("tasks in plan order"))
                    .containsExactlyElementsOf(specs.stream().map(Spec::id).toList());
            Map<String, Task> byId = new LinkedHashMap<>();
            tasks.forEach(t -> byId.put(t.id(), t));
            readBackNotBefore(tasks);
            observePromotions(tasks);

            SwarmStatus statusAfter = status();
            if (statusAfter != statusBefore && (statusAfter == SwarmStatus.COMPLETED
                    || statusAfter == SwarmStatus.FAILED
                    || (statusAfter == SwarmStatus.RUNNING && statusBefore != SwarmStatus.PAUSED))) {
                mandatory.add("swarm_" + statusAfter.wire() + ":-");
            }

            compareTasks(tasks);
            checkReadyList(tasks);
            checkDependencyRules(byId);
            checkProgress(tasks, statusAfter);
            checkEvents();
        }

        /** Takes the jittered not_before the engine chose, once it is within the backoff's bounds. */
        void readBackNotBefore(List<Task> tasks) {
            for (int i = 0; i < specs.size(); i++) {
                ModelTask t = model[i];
                if (t.notBeforeLow == null) {
                    continue;
                }
                Instant nb = tasks.get(i).notBefore();
                assertThat(nb).as(why("t" + i + "'s not_before after a failed attempt with backoff")).isNotNull()
                        .isBetween(t.notBeforeLow, t.notBeforeHigh);
                t.notBefore = nb;
                t.notBeforeLow = null;
                t.notBeforeHigh = null;
            }
        }

        /** A due retry that the engine made ready during this operation owes a task_ready event. */
        void observePromotions(List<Task> tasks) {
            for (int i = 0; i < specs.size(); i++) {
                if (due(i) && tasks.get(i).status() == TaskState.READY) {
                    model[i].state = TaskState.READY;
                    model[i].notBefore = null;
                    mandatory.add("task_ready:t" + i);
                }
            }
        }

        void compareTasks(List<Task> tasks) {
            for (int i = 0; i < specs.size(); i++) {
                Task e = tasks.get(i);
                ModelTask m = model[i];
                String name = "t" + i;
                assertThat(e.status()).as(why(name + "'s state")).isEqualTo(m.state);
                assertThat(e.attempt()).as(why(name + "'s attempt")).isEqualTo(m.attempt);
                assertThat(e.notBefore()).as(why(name + "'s not_before")).isEqualTo(m.notBefore);
                assertThat(e.error()).as(why(name + "'s error")).isEqualTo(m.error);
                assertThat(e.assignedAgent()).as(why(name + "'s assigned agent")).isEqualTo(m.agent);
                if (m.state != TaskState.CANCELLED) {
                    assertThat(e.blockedBy()).as(why(name + "'s blocked_by")).containsExactlyInAnyOrderElementsOf(
                            m.blockedBy).doesNotHaveDuplicates();
                }
            }
        }

        /** GET ready: the ready tasks, highest priority first, then oldest. */
        void checkReadyList(List<Task> tasks) {
            List<String> expected = tasks.stream().filter(t -> t.status() == TaskState.READY)
                    .sorted(Comparator.comparingInt((Task t) -> -t.priority())
                            .thenComparingInt(t -> Integer.parseInt(t.id().substring(1))))
                    .map(Task::id).toList();
            assertThat(hive.ready(swarm, 1000)).extracting(Task::id).as(why("GET ready"))
                    .containsExactlyElementsOf(expected);
        }

        /** Properties 1 and 2 on the engine's own states, without the model. */
        void checkDependencyRules(Map<String, Task> byId) {
            Map<String, Set<String>> roots = new HashMap<>();
            for (Spec s : specs) {
                Task t = byId.get(s.id());
                boolean depsDone = s.deps().stream().allMatch(d -> byId.get("t" + d).status() == TaskState.COMPLETED);
                if (t.status() == TaskState.READY || t.status() == TaskState.IN_PROGRESS
                        || t.status() == TaskState.COMPLETED || t.status() == TaskState.FAILED
                        || t.notBefore() != null) {
                    assertThat(depsDone).as(why(s.id() + " is " + t.status().wire()
                            + " only with every dependency completed")).isTrue();
                }
                Set<String> r = new HashSet<>();
                for (int d : s.deps()) {
                    Task dep = byId.get("t" + d);
                    if (dep.status() == TaskState.FAILED) {
                        r.add(dep.id());
                    } else if (dep.status() == TaskState.BLOCKED) {
                        r.addAll(roots.get(dep.id()));
                    }
                }
                roots.put(s.id(), r);
                if (cancelled) {
                    assertThat(t.status()).as(why(s.id() + ": in a cancelled swarm every unfinished task is cancelled"))
                            .isIn(TaskState.COMPLETED, TaskState.FAILED, TaskState.CANCELLED);
                } else if (t.status() == TaskState.PENDING || t.status() == TaskState.READY
                        || t.status() == TaskState.BLOCKED) {
                    assertThat(t.status() == TaskState.BLOCKED).as(why(s.id()
                            + " is blocked exactly when a dependency chain leads to a failed task")).isEqualTo(
                            !r.isEmpty());
                    assertThat(new HashSet<>(t.blockedBy())).as(why(s.id() + "'s blocked_by names its failed roots"))
                            .isEqualTo(r);
                }
            }
        }

        void checkProgress(List<Task> tasks, SwarmStatus status) {
            Progress p = hive.progress(swarm);
            Map<TaskState, Long> n = tasks.stream().collect(Collectors.groupingBy(Task::status,
                    Collectors.counting()));
            int total = tasks.size();
            double weightTotal = tasks.stream().mapToDouble(Task::weight).sum();
            double weightDone = tasks.stream().filter(t -> t.status() == TaskState.COMPLETED)
                    .mapToDouble(Task::weight).sum();
            int completed = n.getOrDefault(TaskState.COMPLETED, 0L).intValue();
            double percent = completed == total ? 100 : Math.round(weightDone / weightTotal * 1000) / 10.0;
            Progress recount = new Progress(swarm, status, percent, completed,
                    n.getOrDefault(TaskState.IN_PROGRESS, 0L).intValue(),
                    n.getOrDefault(TaskState.PENDING, 0L).intValue() + n.getOrDefault(TaskState.READY, 0L).intValue(),
                    n.getOrDefault(TaskState.FAILED, 0L).intValue(), n.getOrDefault(TaskState.BLOCKED, 0L).intValue(),
                    n.getOrDefault(TaskState.CANCELLED, 0L).intValue(), total,
                    n.getOrDefault(TaskState.READY, 0L).intValue(), false,
                    new Progress.ConflictStats(0, List.of(), n.getOrDefault(TaskState.FAILED, 0L).intValue()));
            assertThat(p).as(why("progress equals a recount of the tasks (and the model's swarm status)"))
                    .isEqualTo(recount);
            assertThat(hive.swarm(swarm).status()).as(why("swarm status")).isEqualTo(status);
            assertThat(hive.swarm(swarm).taskCount()).as(why("swarm task_count")).isEqualTo(total);
        }

        void checkEvents() {
            List<Event> fresh = hive.events(swarm, lastSeq, 1_000_000);
            assertThat(fresh).extracting(Event::seq).as(why("new events are numbered on from " + lastSeq))
                    .containsExactlyElementsOf(LongStreamRange.of(lastSeq + 1, fresh.size()));
            List<String> got = fresh.stream().map(e -> e.type() + ":" + (e.taskId() == null ? "-" : e.taskId()))
                    .collect(Collectors.toCollection(ArrayList::new));
            List<String> missing = new ArrayList<>();
            for (String m : mandatory) {
                if (!got.remove(m)) {
                    missing.add(m);
                }
            }
            List<String> spare = new ArrayList<>(optional);
            List<String> unexpected = new ArrayList<>();
            for (String g : got) {
                if (!spare.remove(g)) {
                    unexpected.add(g);
                }
            }
            assertThat(missing).as(why("events this operation should have appended; it appended "
                    + fresh.stream().map(e -> e.type() + ":" + e.taskId()).toList())).isEmpty();
            assertThat(unexpected).as(why("events this operation should not have appended")).isEmpty();
            lastSeq += fresh.size();
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

    /** {@code from, from+1, ..., from+count-1} as boxed longs. */
    static final class LongStreamRange {
        static List<Long> of(long from, int count) {
            List<Long> list = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                list.add(from + i);
            }
            return list;
        }
    }
}
