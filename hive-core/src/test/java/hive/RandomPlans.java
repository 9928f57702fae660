package hive;

import hive.plan.Plan;
import hive.plan.PlanDefaults;
import hive.plan.TaskSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Test fixtures: large random plans, built directly from {@link TaskSpec} records (no parsing), so
 * that a 10,000-task swarm costs nothing to make. Every dependency points to an earlier task, so
 * the graph has no cycle by construction.
 */
public final class RandomPlans {

    private RandomPlans() {
    }

    /**
     * A random DAG of {@code size} tasks {@code t0, t1, ...}: task {@code i} depends on up to
     * {@code 2 * meanDeps} distinct earlier tasks ({@code meanDeps} on average), mostly among the
     * 100 just before it (so the graph is deep as well as wide) and sometimes anywhere before it.
     * Priorities are 0 to 2; every task has weight 1, {@code maxAttempts} attempts and no backoff
     * (a retryable failure makes it ready again at once).
     */
    public static Plan dag(String name, int size, int meanDeps, long seed, int maxAttempts) {
        Random random = new Random(seed);
        List<TaskSpec> tasks = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            int wanted = Math.min(i, random.nextInt(2 * meanDeps + 1));
            Set<String> deps = new LinkedHashSet<>();
            while (deps.size() < wanted) {
                int dep = random.nextInt(10) < 7 ? i - 1 - random.nextInt(Math.min(i, 100)) : random.nextInt(i);
                deps.add("t" + dep);
            }
            tasks.add(new TaskSpec("t" + i, "task " + i, null, null, null, random.nextInt(3), 1.0,
                    List.copyOf(deps), List.of(), null, maxAttempts, 1800, 0));
        }
        return new Plan(name, "exercise the scheduler", "default", new PlanDefaults(maxAttempts, 1800, 0, null),
                tasks);
    }

    /** Each task's direct dependencies, by id. */
    public static Map<String, List<String>> dependencies(Plan plan) {
        Map<String, List<String>> deps = new LinkedHashMap<>();
        plan.tasks().forEach(t -> deps.put(t.id(), t.dependsOn()));
        return deps;
    }
}
