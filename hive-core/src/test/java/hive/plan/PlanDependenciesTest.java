package hive.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The dependency graph of a plan and of tasks added to a swarm: ids, dependencies, cycles. */
class PlanDependenciesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    static PlanRejected rejectionOf(String yaml) {
        PlanRejected rejected = catchThrowableOfType(PlanRejected.class, () -> Plans.parse(yaml, PlanFormat.YAML));
        assertThat(rejected).as("plan should have been rejected:\n%s", yaml).isNotNull();
        return rejected;
    }

    static JsonNode json(String text) {
        try {
            return JSON.readTree(text);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void duplicateIdsAreReportedWithTheId() {
        // when
        PlanRejected rejected = rejectionOf("name: p\ntasks: [{id: a}, {id: b}, {id: a}]\n");

        // then
        assertThat(rejected.problems()).containsExactly(
                PlanProblem.ofTask("a", "id", "duplicate task id 'a' (first at tasks[0])"));
    }

    @Test
    void unknownDependencyIsNamed() {
        assertThat(rejectionOf("name: p\ntasks: [{id: a}, {id: b, depends_on: [a, x]}]\n").problems())
                .containsExactly(PlanProblem.ofTask("b", "depends_on", "depends on unknown task 'x'"));
    }

    @Test
    void selfDependencyIsReportedOnceAndNotAsACycle() {
        assertThat(rejectionOf("name: p\ntasks: [{id: a, depends_on: [a]}]\n").problems())
                .containsExactly(PlanProblem.ofTask("a", "depends_on", "depends on itself"));
    }

    @Test
    void repeatedDependencyIsReported() {
        assertThat(rejectionOf("name: p\ntasks: [{id: a}, {id: b, depends_on: [a, a, a]}]\n").problems())
                .containsExactly(PlanProblem.ofTask("b", "depends_on", "'depends_on' lists 'a' more than once"));
    }

    @Test
    void cycleIsReportedAsAClosedPathFromItsFirstTask() {
        // given: a waits for b, b for c, c for a
        String yaml = """
                name: p
                tasks:
                  - {id: start}
                  - {id: a, depends_on: [start, b]}
                  - {id: b, depends_on: [c]}
                  - {id: c, depends_on: [a]}
                """;

        // when
        PlanRejected rejected = rejectionOf(yaml);

        // then
        assertThat(rejected.problems()).containsExactly(new PlanProblem("a", "depends_on",
                "dependency cycle: a → b → c → a", List.of("a", "b", "c", "a")));
        assertThat(rejected.cycle()).contains(List.of("a", "b", "c", "a"));
    }

    @Test
    void eachCyclicComponentIsReportedOnce() {
        // given: {a, b, c} hold two cycles (a-b, a-b-c); {x, y} is a separate one
        String yaml = """
                name: p
                tasks:
                  - {id: a, depends_on: [b]}
                  - {id: b, depends_on: [a, c]}
                  - {id: c, depends_on: [a]}
                  - {id: free}
                  - {id: x, depends_on: [y, free]}
                  - {id: y, depends_on: [x]}
                """;

        // when
        List<List<String>> cycles = rejectionOf(yaml).problems().stream().map(PlanProblem::cycle).toList();

        // then
        assertThat(cycles).containsExactly(List.of("a", "b", "a"), List.of("x", "y", "x"));
    }

    @Test
    void cycleUnknownDependencyAndDuplicateIdAreAllReportedAtOnce() {
        // given
        String yaml = """
                name: p
                tasks:
                  - {id: a, depends_on: [b]}
                  - {id: b, depends_on: [c]}
                  - {id: c, depends_on: [a]}
                  - {id: d, depends_on: [x]}
                  - {id: d}
                """;

        // when
        List<String> problems = rejectionOf(yaml).problems().stream().map(PlanProblem::describe).toList();

        // then
        assertThat(problems).containsExactlyInAnyOrder(
                "task 'd': duplicate task id 'd' (first at tasks[3])",
                "task 'd': depends on unknown task 'x'",
                "task 'a': dependency cycle: a → b → c → a");
    }

    @Test
    void fieldProblemsAndGraphProblemsAreReportedTogether() {
        assertThat(rejectionOf("name: p\ntasks: [{id: a, priority: x, depends_on: [b]}, {id: b, depends_on: [a]}]\n")
                .problems().stream().map(PlanProblem::describe))
                .containsExactly(
                        "task 'a': 'priority' must be an integer, got string",
                        "task 'a': dependency cycle: a → b → a");
    }

    @Test
    void tasksKeepThePlansOrder() {
        Plan plan = Plans.parse("name: p\ntasks: [{id: z, depends_on: [m]}, {id: m}, {id: a, depends_on: [z]}]\n",
                PlanFormat.YAML);

        assertThat(plan.tasks()).extracting(TaskSpec::id).containsExactly("z", "m", "a");
    }

    @Test
    void additionMayDependOnExistingAndOnNewTasks() {
        // given
        JsonNode tasks = json("""
                [{"id": "c", "depends_on": ["a", "d"]}, {"id": "d", "depends_on": ["b"]}]""");
        PlanDefaults swarmDefaults = new PlanDefaults(3, 60, 1, "coder");

        // when
        List<TaskSpec> added = Plans.parseAddition(tasks, swarmDefaults, ids -> Set.of("a", "b"));

        // then
        assertThat(added).extracting(TaskSpec::id).containsExactly("c", "d");
        assertThat(added.get(0).dependsOn()).containsExactly("a", "d");
        assertThat(added.get(0)).extracting(TaskSpec::maxAttempts, TaskSpec::timeoutS, TaskSpec::role)
                .containsExactly(3, 60.0, "coder");
    }

    @Test
    void additionAsksForExistingIdsOnceWithNewIdsAndTheirDependencies() {
        // given
        List<Set<String>> asked = new ArrayList<>();

        // when
        Plans.parseAddition(json("[{\"id\": \"c\", \"depends_on\": [\"a\"]}, {\"id\": \"d\", \"depends_on\": [\"c\"]}]"),
                PlanDefaults.BUILT_IN, ids -> {
                    asked.add(ids);
                    return Set.of("a");
                });

        // then
        assertThat(asked).containsExactly(Set.of("a", "c", "d"));
    }

    @Test
    void additionReportsExistingIdsUnknownDependenciesAndCyclesAmongNewTasks() {
        // given
        JsonNode tasks = json("""
                [{"id": "a"}, {"id": "n", "depends_on": ["ghost", "m"]}, {"id": "m", "depends_on": ["n", "a"]}]""");

        // when
        PlanRejected rejected = catchThrowableOfType(PlanRejected.class,
                () -> Plans.parseAddition(tasks, PlanDefaults.BUILT_IN, ids -> Set.of("a")));

        // then
        assertThat(rejected.problems().stream().map(PlanProblem::describe).collect(Collectors.toList()))
                .containsExactly(
                        "task 'a': task 'a' already exists in the swarm",
                        "task 'n': depends on unknown task 'ghost'",
                        "task 'n': dependency cycle: n → m → n");
    }

    @Test
    void additionNeedsAnArrayOfAtLeastOneTask() {
        assertThat(catchThrowableOfType(PlanRejected.class,
                () -> Plans.parseAddition(json("[]"), PlanDefaults.BUILT_IN, ids -> Set.of())).problems())
                .containsExactly(PlanProblem.ofPlan("tasks", "'tasks' must list at least one task"));
        assertThat(catchThrowableOfType(PlanRejected.class,
                () -> Plans.parseAddition(json("{}"), PlanDefaults.BUILT_IN, ids -> Set.of())).problems())
                .containsExactly(PlanProblem.ofPlan("tasks", "'tasks' must be an array, got object"));
        assertThat(catchThrowableOfType(PlanRejected.class,
                () -> Plans.parseAddition(null, PlanDefaults.BUILT_IN, ids -> Set.of())).problems())
                .containsExactly(PlanProblem.ofPlan("tasks", "missing required field 'tasks'"));
    }
}
