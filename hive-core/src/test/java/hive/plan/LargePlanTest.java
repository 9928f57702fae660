package hive.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Plans of 100,000 tasks validate like small ones (cost is checked by the benchmarks, not here). */
class LargePlanTest {

    private static final int TASKS = 100_000;

    private static ObjectNode randomDag(long seed) {
        JsonNodeFactory nodes = JsonNodeFactory.instance;
        SplittableRandom random = new SplittableRandom(seed);
        ObjectNode plan = nodes.objectNode().put("name", "large");
        ArrayNode tasks = plan.putArray("tasks");
        for (int i = 0; i < TASKS; i++) {
            ObjectNode task = tasks.addObject().put("id", "t" + i);
            ArrayNode dependsOn = task.putArray("depends_on");
            for (int d = 0; d < Math.min(3, i); d++) {
                dependsOn.add("t" + (i - 1 - random.nextInt(Math.min(i, 1000))));
            }
            if (dependsOn.size() > 1 && dependsOn.get(0).equals(dependsOn.get(1))) {
                dependsOn.remove(1);
            }
            if (dependsOn.size() > 2 && (dependsOn.get(2).equals(dependsOn.get(0)) || dependsOn.get(2).equals(dependsOn.get(1)))) {
                dependsOn.remove(2);
            }
        }
        return plan;
    }

    @Test
    void aHundredThousandTaskDagValidates() {
        // given
        ObjectNode tree = randomDag(42);

        // when
        Plan plan = Plans.parse(tree);

        // then
        assertThat(plan.tasks()).hasSize(TASKS);
        assertThat(plan.tasks().get(TASKS - 1).dependsOn()).isNotEmpty();
    }

    @Test
    void aHundredThousandTaskChainClosedIntoACycleIsReportedWhole() {
        // given: t0 waits for t99999, each other task for the one before it
        ObjectNode tree = JsonNodeFactory.instance.objectNode().put("name", "ring");
        ArrayNode tasks = tree.putArray("tasks");
        for (int i = 0; i < TASKS; i++) {
            tasks.addObject().put("id", "t" + i).putArray("depends_on").add("t" + ((i + TASKS - 1) % TASKS));
        }

        // when
        PlanRejected rejected = catchThrowableOfType(PlanRejected.class, () -> Plans.parse(tree));

        // then
        assertThat(rejected.problems()).singleElement().satisfies(problem -> {
            assertThat(problem.cycle()).hasSize(TASKS + 1);
            assertThat(problem.cycle().subList(0, 3)).containsExactly("t0", "t99999", "t99998");
        });
    }
}
