package hive.plan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Reading a plan's fields: types, bounds, defaults, unknown fields, both text formats. */
class PlanFieldsTest {

    static Plan yaml(String text) {
        return Plans.parse(text, PlanFormat.YAML);
    }

    static List<String> problemsOf(String yaml) {
        PlanRejected rejected = catchThrowableOfType(PlanRejected.class, () -> yaml(yaml));
        assertThat(rejected).as("plan should have been rejected:\n%s", yaml).isNotNull();
        return rejected.problems().stream().map(PlanProblem::describe).toList();
    }

    @Test
    void validJsonPlanGetsTheBuiltInDefaults() {
        // given
        String json = """
                {"name": "build", "tasks": [{"id": "a"}, {"id": "b", "depends_on": ["a"]}]}
                """;

        // when
        Plan plan = Plans.parse(json, PlanFormat.JSON);

        // then
        assertThat(plan.name()).isEqualTo("build");
        assertThat(plan.goal()).isNull();
        assertThat(plan.workspace()).isEqualTo("default");
        assertThat(plan.defaults()).isEqualTo(PlanDefaults.BUILT_IN);
        assertThat(plan.tasks()).extracting(TaskSpec::id).containsExactly("a", "b");
        TaskSpec b = plan.tasks().get(1);
        assertThat(b.dependsOn()).containsExactly("a");
        assertThat(b.priority()).isZero();
        assertThat(b.weight()).isEqualTo(1.0);
        assertThat(b.maxAttempts()).isEqualTo(1);
        assertThat(b.timeoutS()).isEqualTo(1800.0);
        assertThat(b.backoffS()).isEqualTo(5.0);
        assertThat(b.files()).isEmpty();
        assertThat(b.role()).isNull();
    }

    @Test
    void yamlAndJsonOfTheSamePlanReadTheSame() {
        // given
        String json = """
                {"name": "p", "goal": "ship", "workspace": "services/api",
                 "defaults": {"max_attempts": 3, "timeout_s": 60, "backoff_s": 2.5, "role": "coder"},
                 "tasks": [{"id": "a", "title": "A", "description": "first", "agent": "agent-1",
                            "priority": 5, "weight": 2.5, "files": ["src/a.ts"], "run": "make a"},
                           {"id": "b", "depends_on": ["a"], "role": "tester", "max_attempts": 2,
                            "timeout_s": 10, "backoff_s": 0}]}
                """;
        String yaml = """
                name: p
                goal: ship
                workspace: services/api
                defaults: {max_attempts: 3, timeout_s: 60, backoff_s: 2.5, role: coder}
                tasks:
                  - id: a
                    title: A
                    description: first
                    agent: agent-1
                    priority: 5
                    weight: 2.5
                    files: [src/a.ts]
                    run: make a
                  - id: b
                    depends_on: [a]
                    role: tester
                    max_attempts: 2
                    timeout_s: 10
                    backoff_s: 0
                """;

        // when
        Plan fromJson = Plans.parse(json, PlanFormat.JSON);
        Plan fromYaml = Plans.parse(yaml, PlanFormat.YAML);

        // then
        assertThat(fromYaml).isEqualTo(fromJson);
        assertThat(fromJson.tasks().get(0)).isEqualTo(new TaskSpec("a", "A", "first", "coder", "agent-1", 5, 2.5,
                List.of(), List.of("src/a.ts"), "make a", 3, 60, 2.5));
        assertThat(fromJson.tasks().get(1)).isEqualTo(new TaskSpec("b", null, null, "tester", null, 0, 1,
                List.of("a"), List.of(), null, 2, 10, 0));
    }

    @Test
    void nullOptionalFieldsReadAsAbsent() {
        Plan plan = yaml("""
                name: p
                goal:
                tasks:
                  - {id: a, title: null, priority: null, depends_on: null}
                """);

        assertThat(plan.tasks().get(0).title()).isNull();
        assertThat(plan.tasks().get(0).priority()).isZero();
    }

    @Test
    void missingNameAndMissingTasksAreBothReported() {
        assertThat(problemsOf("goal: nothing\n"))
                .containsExactly("plan: missing required field 'name'", "plan: missing required field 'tasks'");
    }

    @Test
    void blankNameIsReported() {
        assertThat(problemsOf("name: '  '\ntasks: [{id: a}]\n")).containsExactly("plan: 'name' must not be blank");
    }

    @Test
    void planWithoutTasksIsReported() {
        assertThat(problemsOf("name: p\ntasks: []\n")).containsExactly("plan: 'tasks' must list at least one task");
    }

    @Test
    void planThatIsNotAnObjectIsReported() {
        assertThat(problemsOf("- a\n- b\n")).containsExactly("plan: a plan must be an object, got array");
        assertThat(problemsOf("")).containsExactly("plan: the plan is empty");
    }

    @Test
    void taskWithoutIdIsReportedByItsPosition() {
        // when
        PlanRejected rejected = catchThrowableOfType(PlanRejected.class,
                () -> yaml("name: p\ntasks: [{id: a}, {title: nameless, priority: x}]\n"));

        // then
        assertThat(rejected.problems()).containsExactly(
                new PlanProblem(null, "tasks[1].id", "tasks[1]: missing required field 'id'", List.of()),
                new PlanProblem(null, "tasks[1].priority", "tasks[1]: 'priority' must be an integer, got string",
                        List.of()));
    }

    @Test
    void taskIdsMustMatchThePattern() {
        assertThat(problemsOf("name: p\ntasks: [{id: 'has space'}, {id: '-dash'}, {id: ''}]\n")).containsExactly(
                "plan: tasks[0]: task id 'has space' must match [A-Za-z0-9][A-Za-z0-9._-]{0,127}",
                "plan: tasks[1]: task id '-dash' must match [A-Za-z0-9][A-Za-z0-9._-]{0,127}",
                "plan: tasks[2]: task id '' must match [A-Za-z0-9][A-Za-z0-9._-]{0,127}");
        assertThat(yaml("name: p\ntasks: [{id: 'a.B_9-x'}, {id: '" + "x".repeat(128) + "'}]\n").tasks()).hasSize(2);
        assertThat(problemsOf("name: p\ntasks: [{id: '" + "x".repeat(129) + "'}]\n")).hasSize(1);
    }

    @Test
    void taskThatIsNotAnObjectIsReported() {
        assertThat(problemsOf("name: p\ntasks: [{id: a}, 7, [x]]\n")).containsExactly(
                "plan: 'tasks[1]' must be an object, got integer",
                "plan: 'tasks[2]' must be an object, got array");
    }

    @Test
    void wrongTypesNameTheFieldAndTheExpectedType() {
        // given
        String yaml = """
                name: [p]
                goal: 3
                defaults: fast
                tasks:
                  - id: a
                    title: 12
                    priority: "1"
                    weight: heavy
                    depends_on: b
                    files: [src/a, 5]
                    run: {sh: ls}
                    max_attempts: true
                """;

        // then
        assertThat(problemsOf(yaml)).containsExactly(
                "plan: 'name' must be a string, got array",
                "plan: 'goal' must be a string, got integer",
                "plan: 'defaults' must be an object, got string",
                "task 'a': 'title' must be a string, got integer",
                "task 'a': 'priority' must be an integer, got string",
                "task 'a': 'weight' must be a number, got string",
                "task 'a': 'depends_on' must be an array of strings, got string",
                "task 'a': 'files[1]' must be a string, got integer",
                "task 'a': 'run' must be a string, got object",
                "task 'a': 'max_attempts' must be an integer, got boolean");
    }

    @Test
    void problemsCarryTaskAndFieldSeparately() {
        PlanRejected rejected = catchThrowableOfType(PlanRejected.class,
                () -> yaml("name: p\ntasks: [{id: a, priority: high}]\n"));

        assertThat(rejected.problems()).containsExactly(
                PlanProblem.ofTask("a", "priority", "'priority' must be an integer, got string"));
    }

    @Test
    void integralDecimalsCountAsIntegers() {
        assertThat(yaml("name: p\ntasks: [{id: a, priority: 3.0, max_attempts: 2.00}]\n").tasks().get(0))
                .extracting(TaskSpec::priority, TaskSpec::maxAttempts)
                .containsExactly(3, 2);
        assertThat(problemsOf("name: p\ntasks: [{id: a, priority: 2.5}]\n"))
                .containsExactly("task 'a': 'priority' must be an integer, got 2.5");
    }

    @ParameterizedTest(name = "{0}: {1} → {2}")
    @CsvSource(delimiter = '|', textBlock = """
            max_attempts | 0          | 'max_attempts' must be between 1 and 100, got 0
            max_attempts | 101        | 'max_attempts' must be between 1 and 100, got 101
            timeout_s    | 0          | 'timeout_s' must be greater than 0 and at most 604800, got 0
            timeout_s    | -1.5       | 'timeout_s' must be greater than 0 and at most 604800, got -1.5
            timeout_s    | 604800.5   | 'timeout_s' must be greater than 0 and at most 604800, got 604800.5
            backoff_s    | -1         | 'backoff_s' must be between 0 and 300, got -1
            backoff_s    | 301        | 'backoff_s' must be between 0 and 300, got 301
            weight       | 0          | 'weight' must be greater than 0 and at most 1000000, got 0
            weight       | 1000001    | 'weight' must be greater than 0 and at most 1000000, got 1000001
            weight       | 1e300      | 'weight' must be greater than 0 and at most 1000000, got 1
            priority     | 2147483648 | 'priority' must be between -2147483648 and 2147483647, got 2147483648
            priority     | -2147483649 | 'priority' must be between -2147483648 and 2147483647, got -2147483649
            priority     | 99999999999999999999999 | 'priority' must be between -2147483648 and 2147483647, got 99999999999999999999999
            """)
    void numbersOutOfBoundsAreReported(String field, String value, String problem) {
        assertThat(problemsOf("name: p\ntasks:\n  - id: a\n    " + field + ": " + value + "\n"))
                .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .startsWith("task 'a': " + problem);
    }

    @Test
    void numbersAtTheirBoundsAreAccepted() {
        // given
        String yaml = """
                name: p
                tasks:
                  - {id: low, max_attempts: 1, timeout_s: 0.001, backoff_s: 0, weight: 0.0001, priority: -2147483648}
                  - {id: high, max_attempts: 100, timeout_s: 604800, backoff_s: 300, weight: 1000000, priority: 2147483647}
                """;

        // when
        List<TaskSpec> tasks = yaml(yaml).tasks();

        // then
        assertThat(tasks.get(0).priority()).isEqualTo(Integer.MIN_VALUE);
        assertThat(tasks.get(1)).extracting(TaskSpec::maxAttempts, TaskSpec::timeoutS, TaskSpec::backoffS,
                TaskSpec::weight, TaskSpec::priority).containsExactly(100, 604800.0, 300.0, 1e6, Integer.MAX_VALUE);
    }

    @Test
    void defaultsAreBoundedAndAppliedToTasksWithoutTheirOwn() {
        // given
        String yaml = """
                name: p
                defaults: {max_attempts: 4, timeout_s: 90, backoff_s: 1, role: builder}
                tasks:
                  - {id: a}
                  - {id: b, max_attempts: 1, role: tester}
                """;

        // when
        Plan plan = yaml(yaml);

        // then
        assertThat(plan.defaults()).isEqualTo(new PlanDefaults(4, 90, 1, "builder"));
        assertThat(plan.tasks().get(0)).extracting(TaskSpec::maxAttempts, TaskSpec::timeoutS, TaskSpec::backoffS,
                TaskSpec::role).containsExactly(4, 90.0, 1.0, "builder");
        assertThat(plan.tasks().get(1)).extracting(TaskSpec::maxAttempts, TaskSpec::role).containsExactly(1, "tester");
        assertThat(problemsOf("name: p\ndefaults: {max_attempts: 0, timeout_s: 0, backoff_s: 400}\ntasks: [{id: a}]\n"))
                .containsExactly(
                        "plan: 'defaults.max_attempts' must be between 1 and 100, got 0",
                        "plan: 'defaults.timeout_s' must be greater than 0 and at most 604800, got 0",
                        "plan: 'defaults.backoff_s' must be between 0 and 300, got 400");
    }

    @Test
    void rolesAndAgentsMustBeIdentifiers() {
        assertThat(problemsOf("name: p\ntasks: [{id: a, role: 'two words', agent: '/bin/sh'}]\n")).containsExactly(
                "task 'a': 'role' must match [A-Za-z0-9][A-Za-z0-9._-]{0,127}, got 'two words'",
                "task 'a': 'agent' must match [A-Za-z0-9][A-Za-z0-9._-]{0,127}, got '/bin/sh'");
    }

    @Test
    void unknownFieldsSuggestTheClosestKnownName() {
        // given
        String yaml = """
                name: p
                taks_note: x
                defaults: {retries: 2}
                tasks:
                  - id: a
                    dependencies: []
                    cmd: ls
                    priorty: 1
                    dependsOn: []
                    timeout: 5
                    name: A
                    paths: []
                    xyzzy: 1
                """;

        // then
        assertThat(problemsOf(yaml)).containsExactly(
                "plan: unknown field 'taks_note'",
                "plan: unknown field 'defaults.retries' (did you mean 'max_attempts'?)",
                "task 'a': unknown field 'dependencies' (did you mean 'depends_on'?)",
                "task 'a': unknown field 'cmd' (did you mean 'run'?)",
                "task 'a': unknown field 'priorty' (did you mean 'priority'?)",
                "task 'a': unknown field 'dependsOn' (did you mean 'depends_on'?)",
                "task 'a': unknown field 'timeout' (did you mean 'timeout_s'?)",
                "task 'a': unknown field 'name' (did you mean 'title'?)",
                "task 'a': unknown field 'paths' (did you mean 'files'?)",
                "task 'a': unknown field 'xyzzy'");
    }

    @Test
    void filesAreNormalizedAndBadPathsAreReported() {
        // when
        Plan plan = yaml("name: p\ntasks: [{id: a, files: ['./src//a.ts', 'src/x/../b/', 'lib/**/*.c', 'src/a.ts']}]\n");

        // then
        assertThat(plan.tasks().get(0).files()).containsExactly("src/a.ts", "src/b/", "lib/**/*.c");
        assertThat(problemsOf("name: p\ntasks: [{id: a, files: ['/etc/passwd', '../up', 'a\\\\b']}]\n")).containsExactly(
                "task 'a': bad path in 'files': absolute path '/etc/passwd': paths are relative to the workspace",
                "task 'a': bad path in 'files': path '../up' escapes the workspace with '..'",
                "task 'a': bad path in 'files': path 'a\\\\b' contains '\\': use '/' to separate folders");
    }

    @Test
    void workspaceIsANameOrARelativeFolder() {
        assertThat(yaml("name: p\nworkspace: team-a\ntasks: [{id: a}]\n").workspace()).isEqualTo("team-a");
        assertThat(yaml("name: p\nworkspace: ./services//api/\ntasks: [{id: a}]\n").workspace())
                .isEqualTo("services/api");
        assertThat(problemsOf("name: p\nworkspace: ../other\ntasks: [{id: a}]\n")).containsExactly(
                "plan: 'workspace' must be a name or a relative folder: path '../other' escapes the workspace with '..'");
        assertThat(problemsOf("name: p\nworkspace: 'src/*'\ntasks: [{id: a}]\n"))
                .containsExactly("plan: 'workspace' must name a folder, not a glob: 'src/*'");
    }

    @Test
    void malformedJsonIsOneProblemWithLineAndColumn() {
        assertThat(catchThrowableOfType(PlanRejected.class,
                () -> Plans.parse("{\"name\": \"p\",\n  \"tasks\": [}\n", PlanFormat.JSON)).problems())
                .singleElement()
                .satisfies(problem -> assertThat(problem.problem()).startsWith("malformed JSON at line 2, column 13: "));
    }

    @Test
    void malformedYamlIsOneProblemWithLineAndColumn() {
        assertThat(catchThrowableOfType(PlanRejected.class,
                () -> yaml("name: p\ntasks:\n  - id: a\n   - id: b\n")).problems())
                .singleElement()
                .satisfies(problem -> assertThat(problem.problem()).startsWith("malformed YAML at line 4, column 4: "));
    }

    @Test
    void yamlAliasesAreRefusedRatherThanReadAsTheirName() {
        assertThat(catchThrowableOfType(PlanRejected.class,
                () -> yaml("name: p\ntasks:\n  - {id: a, run: &cmd make}\n  - {id: b, run: *cmd}\n")).problems())
                .singleElement()
                .satisfies(problem -> assertThat(problem.problem())
                        .isEqualTo("malformed YAML at line 4, column 18: YAML aliases are not supported (*cmd): "
                                + "write the value out in full"));
        assertThat(yaml("name: p\ntasks:\n  - {id: a, run: &cmd make}\n").tasks().getFirst().run())
                .as("an anchor alone is harmless").isEqualTo("make");
    }

    @Test
    void repeatedKeysAreMalformed() {
        assertThat(problemsOf("name: p\nname: q\ntasks: [{id: a}]\n")).singleElement()
                .asString().contains("duplicate field 'name'");
        assertThat(catchThrowableOfType(PlanRejected.class,
                () -> Plans.parse("{\"name\": \"p\", \"tasks\": [{\"id\": \"a\", \"id\": \"b\"}]}", PlanFormat.JSON))
                .getMessage()).contains("duplicate field 'id'");
    }

    @Test
    void contentAfterTheJsonPlanIsMalformed() {
        assertThat(catchThrowableOfType(PlanRejected.class,
                () -> Plans.parse("{\"name\": \"p\", \"tasks\": [{\"id\": \"a\"}]} {}", PlanFormat.JSON))
                .getMessage()).contains("more content after the end of the plan");
    }
}
