package hive.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import hive.Hive;
import hive.Hives;
import hive.RandomPlans;
import hive.TestClock;
import hive.agents.AgentProfile;
import hive.events.Event;
import hive.plan.Plan;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Many agents claiming from one large swarm at once, on a real store: the scheduler hands each
 * task out exactly once, never before its dependencies completed, and the swarm's counters and
 * event log come out exact. On PostgreSQL every claim and completion is a transaction of a dozen
 * statements (see docs/benchmarks.md), so the graph there is smaller: the same races, in the
 * same time budget.
 */
class ConcurrentClaimTest {

    private static final int TASKS = hive.TestPostgres.selected() ? 3_000 : 10_000;
    private static final int AGENTS = 16;
    private static final Duration BUDGET = Duration.ofSeconds(45);

    @TempDir
    Path dir;

    @Test
    void sixteenAgentsDrainATenThousandTaskGraphTakingEachTaskOnceAndOnlyAfterItsDependencies() throws Exception {
        // given a 10,000-task (3,000 on PostgreSQL) random DAG (about 3 dependencies per task, all on earlier tasks)
        Plan plan = RandomPlans.dag("concurrent-claims", TASKS, 3, 20260101L, 1);
        Map<String, List<String>> dependencies = RandomPlans.dependencies(plan);
        try (Hive hive = Hives.open(dir, new TestClock())) {
            String swarmId = hive.createSwarm(plan).id();
            Ledger ledger = new Ledger();

            // when 16 agents claim and complete concurrently until every task is done
            runAgents(hive, swarmId, ledger);

            // then every task was handed out exactly once, and completed
            assertThat(ledger.errors).as("errors thrown to agents").isEmpty();
            assertThat(ledger.duplicateClaims).as("tasks handed out more than once").isEmpty();
            assertThat(ledger.holder.keySet()).as("tasks handed out").containsExactlyInAnyOrderElementsOf(
                    dependencies.keySet());
            assertThat(ledger.completionAcked.keySet()).as("completions acknowledged")
                    .containsExactlyInAnyOrderElementsOf(dependencies.keySet());
            assertThat(hive.tasks(swarmId)).as("tasks in the store").hasSize(TASKS).allSatisfy(t -> {
                assertThat(t.status()).as("state of %s", t.id()).isEqualTo(TaskState.COMPLETED);
                assertThat(t.attempt()).as("attempts of %s", t.id()).isEqualTo(1);
                assertThat(t.assignedAgent()).as("agent of %s", t.id()).isEqualTo(ledger.holder.get(t.id()));
            });

            // and no claim returned before the completion of each of its dependencies was even asked for
            assertThat(claimsAheadOfTheirDependencies(dependencies, ledger))
                    .as("claims returned before complete() of one of their dependencies was called").isEmpty();

            // and in commit order (the event log), every start follows the completion of each dependency
            List<Event> events = allEvents(hive, swarmId);
            assertThat(events).extracting(Event::seq).as("event numbers")
                    .containsExactlyElementsOf(range(1, events.size()));
            assertThat(startsAheadOfTheirDependencies(dependencies, events, ledger))
                    .as("tasks started before a dependency completed, in commit order").isEmpty();
            assertThat(events.get(events.size() - 1).type()).as("last event").isEqualTo("swarm_completed");

            // and progress is complete
            Progress progress = hive.progress(swarmId);
            assertThat(progress.progress()).isEqualTo(100.0);
            assertThat(progress.completed()).isEqualTo(TASKS);
            assertThat(progress.total()).isEqualTo(TASKS);
            assertThat(progress.inProgress() + progress.pending() + progress.failed() + progress.blocked())
                    .as("tasks not completed").isZero();
            assertThat(progress.status()).isEqualTo(SwarmStatus.COMPLETED);
        }
    }

    /**
     * What the agents saw, stamped with one global sequence: when each claim returned, when each
     * completion was asked for and when it was acknowledged.
     */
    private static final class Ledger {
        final AtomicLong sequence = new AtomicLong();
        final Map<String, String> holder = new ConcurrentHashMap<>();
        final Map<String, Long> claimReturned = new ConcurrentHashMap<>();
        final Map<String, Long> completionRequested = new ConcurrentHashMap<>();
        final Map<String, Long> completionAcked = new ConcurrentHashMap<>();
        final Queue<String> duplicateClaims = new ConcurrentLinkedQueue<>();
        final Queue<Throwable> errors = new ConcurrentLinkedQueue<>();
        final AtomicInteger completed = new AtomicInteger();

        void claimed(Task task, String agentId) {
            long at = sequence.incrementAndGet();
            String earlier = holder.putIfAbsent(task.id(), agentId);
            if (earlier != null) {
                duplicateClaims.add(task.id() + " to " + agentId + " (held by " + earlier + ")");
                return;
            }
            claimReturned.put(task.id(), at);
            if (task.status() != TaskState.IN_PROGRESS || !agentId.equals(task.assignedAgent())) {
                errors.add(new AssertionError("claim returned " + task.id() + " " + task.status() + " for "
                        + task.assignedAgent() + ", expected in_progress for " + agentId));
            }
        }

        void completing(String taskId) {
            completionRequested.put(taskId, sequence.incrementAndGet());
        }

        void completedTask(String taskId) {
            completionAcked.put(taskId, sequence.incrementAndGet());
            completed.incrementAndGet();
        }

        String summary() {
            return "handed out " + holder.size() + ", completed " + completed.get() + " of " + TASKS;
        }
    }

    private static void runAgents(Hive hive, String swarmId, Ledger ledger) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(AGENTS);
        try {
            List<Future<?>> agents = new ArrayList<>();
            for (int i = 0; i < AGENTS; i++) {
                AgentProfile agent = AgentProfile.of("agent-" + i);
                agents.add(pool.submit(() -> work(hive, swarmId, agent, ledger, stop)));
            }
            assertTimeoutPreemptively(BUDGET, () -> {
                for (Future<?> agent : agents) {
                    agent.get();
                }
            }, () -> "agents did not drain the swarm within " + BUDGET + ": " + ledger.summary());
        } finally {
            stop.set(true);
            pool.shutdownNow();
            assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).as("agents stopped").isTrue();
        }
    }

    /** One agent: claim, complete, again; when nothing is ready, wait a fraction of a millisecond. */
    private static void work(Hive hive, String swarmId, AgentProfile agent, Ledger ledger, AtomicBoolean stop) {
        try {
            while (!stop.get() && ledger.completed.get() < TASKS) {
                Optional<Task> claimed = hive.claim(agent, swarmId);
                if (claimed.isEmpty()) {
                    LockSupport.parkNanos(200_000);
                    continue;
                }
                Task task = claimed.get();
                ledger.claimed(task, agent.id());
                ledger.completing(task.id());
                hive.complete(swarmId, task.id(), agent.id(), "done by " + agent.id());
                ledger.completedTask(task.id());
            }
        } catch (RuntimeException | Error e) {
            ledger.errors.add(e);
            stop.set(true);
        }
    }

    /**
     * Claims that returned before {@code complete()} of one of their dependencies was called. (A
     * claim may legitimately return before the completion's own caller is acknowledged: group
     * commit acknowledges both after the same commit when they share a batch.)
     */
    private static List<String> claimsAheadOfTheirDependencies(Map<String, List<String>> dependencies, Ledger ledger) {
        List<String> violations = new ArrayList<>();
        dependencies.forEach((task, deps) -> {
            Long claimed = ledger.claimReturned.get(task);
            for (String dep : deps) {
                Long requested = ledger.completionRequested.get(dep);
                if (claimed == null || requested == null || claimed < requested) {
                    violations.add(task + " claimed at " + claimed + ", its dependency " + dep
                            + " asked to complete at " + requested);
                }
            }
        });
        return violations;
    }

    /** Tasks whose {@code task_started} event precedes a dependency's {@code task_completed}, or is missing. */
    private static List<String> startsAheadOfTheirDependencies(Map<String, List<String>> dependencies,
            List<Event> events, Ledger ledger) {
        Map<String, Event> started = new HashMap<>();
        Map<String, Event> completed = new HashMap<>();
        List<String> violations = new ArrayList<>();
        for (Event e : events) {
            Map<String, Event> byTask = switch (e.type()) {
                case "task_started" -> started;
                case "task_completed" -> completed;
                default -> null;
            };
            if (byTask != null && byTask.put(e.taskId(), e) != null) {
                violations.add(e.type() + " twice for " + e.taskId());
            }
        }
        dependencies.forEach((task, deps) -> {
            Event start = started.get(task);
            if (start == null || completed.get(task) == null) {
                violations.add(task + " has no task_started or no task_completed event");
                return;
            }
            if (!start.agentId().equals(ledger.holder.get(task))) {
                violations.add(task + " started by " + start.agentId() + " but handed to " + ledger.holder.get(task));
            }
            for (String dep : deps) {
                Event depDone = completed.get(dep);
                if (depDone == null || depDone.seq() > start.seq()) {
                    violations.add(task + " started at event " + start.seq() + ", its dependency " + dep
                            + " completed at " + (depDone == null ? "never" : depDone.seq()));
                }
            }
        });
        return violations;
    }

    private static List<Event> allEvents(Hive hive, String swarmId) {
        List<Event> all = new ArrayList<>();
        while (true) {
            List<Event> page = hive.events(swarmId, all.isEmpty() ? 0 : all.get(all.size() - 1).seq(), 5_000);
            if (page.isEmpty()) {
                return all;
            }
            all.addAll(page);
        }
    }

    private static List<Long> range(long from, long to) {
        List<Long> numbers = new ArrayList<>();
        for (long n = from; n <= to; n++) {
            numbers.add(n);
        }
        return numbers;
    }
}
