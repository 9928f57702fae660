package hive.plan;

import static hive.plan.FieldReader.quote;
import static hive.plan.FieldReader.typeOf;

import com.fasterxml.jackson.databind.JsonNode;
import hive.locks.LockPath;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Turns the JSON tree of a plan (or of tasks added to a swarm) into validated values, collecting
 * every problem rather than stopping at the first: field types and bounds, unknown fields, then
 * the dependency graph (duplicate ids, unknown and self dependencies, cycles). Throws
 * {@link PlanRejected} with all of them when there is any. One instance per validation; not
 * thread-safe.
 */
final class PlanValidator {

    static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    static final int MAX_ATTEMPTS = 100;
    static final double MAX_TIMEOUT_S = 7 * 24 * 3600;
    static final double MAX_BACKOFF_S = 300;
    static final double MAX_WEIGHT = 1e6;
    static final String DEFAULT_WORKSPACE = "default";

    static final List<String> PLAN_FIELDS = List.of("name", "goal", "workspace", "defaults", "tasks");
    static final List<String> DEFAULTS_FIELDS = List.of("max_attempts", "timeout_s", "backoff_s", "role");
    static final List<String> TASK_FIELDS = List.of("id", "title", "description", "role", "agent", "priority",
            "weight", "depends_on", "files", "run", "max_attempts", "timeout_s", "backoff_s");

    /**
     * A task as far as it could be read: its id when it has a string one, its dependencies, and
     * its spec when every field was valid. {@code subject}, {@code prefix} and {@code path} say how
     * problems name it (by id, or by position when it has no usable id).
     */
    private record ReadTask(int index, String id, List<String> dependsOn, TaskSpec spec,
            String subject, String prefix, String path) {

        PlanProblem problem(String field, String text) {
            return new PlanProblem(subject, path + field, prefix + text, List.of());
        }
    }

    private final List<PlanProblem> problems = new ArrayList<>();

    Plan plan(JsonNode root) {
        if (root == null || root.isMissingNode() || root.isNull()) {
            throw rejected(PlanProblem.ofPlan(null, "the plan is empty"));
        }
        if (!root.isObject()) {
            throw rejected(PlanProblem.ofPlan(null, "a plan must be an object, got " + typeOf(root)));
        }
        FieldReader plan = new FieldReader(root, PLAN_FIELDS, null, "", "", "", problems);
        String name = plan.requiredString("name");
        if (name != null && name.isBlank()) {
            plan.problem("name", "'name' must not be blank");
        }
        String goal = plan.string("goal");
        String workspace = workspace(plan);
        PlanDefaults defaults = defaults(plan.object("defaults"));
        JsonNode array = plan.array("tasks");
        if (plan.node("tasks") == null) {
            plan.problem("tasks", "missing required field 'tasks'");
        }
        List<ReadTask> tasks = tasks(array, defaults);
        checkGraph(tasks, Set.of());
        if (!problems.isEmpty()) {
            throw new PlanRejected(problems);
        }
        return new Plan(name, goal, workspace, defaults, tasks.stream().map(ReadTask::spec).toList());
    }

    List<TaskSpec> addition(JsonNode array, PlanDefaults defaults, Function<Set<String>, Set<String>> existingIds) {
        if (array == null || array.isMissingNode() || array.isNull()) {
            problems.add(PlanProblem.ofPlan("tasks", "missing required field 'tasks'"));
        } else if (!array.isArray()) {
            problems.add(PlanProblem.ofPlan("tasks", "'tasks' must be an array, got " + typeOf(array)));
        }
        List<ReadTask> tasks = tasks(array != null && array.isArray() ? array : null, defaults);
        Set<String> asked = new HashSet<>();
        for (ReadTask task : tasks) {
            if (task.id() != null) {
                asked.add(task.id());
            }
            asked.addAll(task.dependsOn());
        }
        Set<String> existing = asked.isEmpty() ? Set.of() : Set.copyOf(existingIds.apply(Set.copyOf(asked)));
        checkGraph(tasks, existing);
        if (!problems.isEmpty()) {
            throw new PlanRejected(problems);
        }
        return tasks.stream().map(ReadTask::spec).toList();
    }

    private PlanRejected rejected(PlanProblem problem) {
        problems.add(problem);
        return new PlanRejected(problems);
    }

    private String workspace(FieldReader plan) {
        String raw = plan.string("workspace");
        if (raw == null) {
            return DEFAULT_WORKSPACE;
        }
        try {
            LockPath folder = LockPath.parse(raw);
            if (folder.isGlob()) {
                plan.problem("workspace", "'workspace' must name a folder, not a glob: " + quote(raw));
                return null;
            }
            return folder.isDirectory() ? folder.value().substring(0, folder.value().length() - 1) : folder.value();
        } catch (IllegalArgumentException e) {
            plan.problem("workspace", "'workspace' must be a name or a relative folder: " + e.getMessage());
            return null;
        }
    }

    private PlanDefaults defaults(JsonNode object) {
        PlanDefaults builtIn = PlanDefaults.BUILT_IN;
        if (object == null) {
            return builtIn;
        }
        FieldReader defaults = new FieldReader(object, DEFAULTS_FIELDS, null, "", "defaults.", "defaults.", problems);
        Integer maxAttempts = defaults.integer("max_attempts", 1, MAX_ATTEMPTS);
        Double timeoutS = defaults.number("timeout_s", 0, false, MAX_TIMEOUT_S);
        Double backoffS = defaults.number("backoff_s", 0, true, MAX_BACKOFF_S);
        String role = identifier(defaults, "role");
        return new PlanDefaults(
                maxAttempts != null ? maxAttempts : builtIn.maxAttempts(),
                timeoutS != null ? timeoutS : builtIn.timeoutS(),
                backoffS != null ? backoffS : builtIn.backoffS(),
                role != null ? role : builtIn.role());
    }

    private List<ReadTask> tasks(JsonNode array, PlanDefaults defaults) {
        if (array == null) {
            return List.of();
        }
        if (array.isEmpty()) {
            problems.add(PlanProblem.ofPlan("tasks", "'tasks' must list at least one task"));
            return List.of();
        }
        List<ReadTask> tasks = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            JsonNode task = array.get(i);
            if (task.isObject()) {
                tasks.add(task(task, i, defaults));
            } else {
                problems.add(PlanProblem.ofPlan("tasks[" + i + "]",
                        "'tasks[" + i + "]' must be an object, got " + typeOf(task)));
            }
        }
        return tasks;
    }

    private ReadTask task(JsonNode object, int index, PlanDefaults defaults) {
        int before = problems.size();
        JsonNode idNode = object.get("id");
        String givenId = idNode != null && idNode.isTextual() ? idNode.textValue() : null;
        boolean named = givenId != null && ID.matcher(givenId).matches();
        String subject = named ? givenId : null;
        String prefix = named ? "" : "tasks[" + index + "]: ";
        String path = named ? "" : "tasks[" + index + "].";
        FieldReader task = new FieldReader(object, TASK_FIELDS, subject, prefix, path, "", problems);

        String id = task.requiredString("id");
        if (id != null && !named) {
            task.problem("id", "task id " + quote(id) + " must match " + ID.pattern());
        }
        String title = task.string("title");
        String description = task.string("description");
        String role = identifier(task, "role");
        String agent = identifier(task, "agent");
        Integer priority = task.integer("priority", Integer.MIN_VALUE, Integer.MAX_VALUE);
        Double weight = task.number("weight", 0, false, MAX_WEIGHT);
        List<String> dependsOn = dependencies(task);
        List<String> files = files(task);
        String run = task.string("run");
        Integer maxAttempts = task.integer("max_attempts", 1, MAX_ATTEMPTS);
        Double timeoutS = task.number("timeout_s", 0, false, MAX_TIMEOUT_S);
        Double backoffS = task.number("backoff_s", 0, true, MAX_BACKOFF_S);

        TaskSpec spec = problems.size() > before ? null : new TaskSpec(id, title, description,
                role != null ? role : defaults.role(),
                agent,
                priority != null ? priority : 0,
                weight != null ? weight : 1,
                dependsOn,
                files,
                run,
                maxAttempts != null ? maxAttempts : defaults.maxAttempts(),
                timeoutS != null ? timeoutS : defaults.timeoutS(),
                backoffS != null ? backoffS : defaults.backoffS());
        return new ReadTask(index, id, dependsOn, spec, subject, prefix, path);
    }

    private static String identifier(FieldReader reader, String name) {
        String value = reader.string(name);
        if (value != null && !ID.matcher(value).matches()) {
            reader.problem(name, quote(reader.label(name)) + " must match " + ID.pattern() + ", got " + quote(value));
            return null;
        }
        return value;
    }

    private static List<String> dependencies(FieldReader task) {
        return distinct(task.strings("depends_on"), repeated ->
                task.problem("depends_on", "'depends_on' lists " + quote(repeated) + " more than once"));
    }

    private static List<String> files(FieldReader task) {
        List<String> files = new ArrayList<>();
        for (String raw : task.strings("files")) {
            try {
                files.add(LockPath.parse(raw).value());
            } catch (IllegalArgumentException e) {
                task.problem("files", "bad path in 'files': " + e.getMessage());
            }
        }
        return distinct(files, repeated -> { });
    }

    /**
     * The elements of {@code list} without repeats, in order; {@code repeated} is told each element
     * that occurs more than once, once. Short lists (the usual case) are searched, not hashed.
     */
    private static List<String> distinct(List<String> list, Consumer<String> repeated) {
        if (list.size() <= 1) {
            return list;
        }
        List<String> unique = new ArrayList<>(list.size());
        Set<String> seen = list.size() > 16 ? new HashSet<>() : null;
        Set<String> reported = new HashSet<>();
        for (String element : list) {
            boolean first = seen != null ? seen.add(element) : !unique.contains(element);
            if (first) {
                unique.add(element);
            } else if (reported.add(element)) {
                repeated.accept(element);
            }
        }
        return unique;
    }

    /**
     * Duplicate ids (against each other and against {@code existing}, the ids already in the
     * swarm), unknown and self dependencies, and cycles among {@code tasks}. A dependency on an
     * existing task is satisfied and adds no edge: existing tasks cannot depend on new ones, so
     * no cycle can pass through them.
     */
    private void checkGraph(List<ReadTask> tasks, Set<String> existing) {
        Map<String, Integer> nodeOf = new HashMap<>(tasks.size() * 2);
        List<ReadTask> nodes = new ArrayList<>(tasks.size());
        for (ReadTask task : tasks) {
            if (task.id() == null) {
                continue;
            }
            Integer first = nodeOf.get(task.id());
            if (existing.contains(task.id())) {
                problems.add(task.problem("id", "task " + quote(task.id()) + " already exists in the swarm"));
            } else if (first != null) {
                problems.add(task.problem("id", "duplicate task id " + quote(task.id())
                        + " (first at tasks[" + nodes.get(first).index() + "])"));
            } else {
                nodeOf.put(task.id(), nodes.size());
                nodes.add(task);
            }
        }
        int[][] edges = new int[nodes.size()][];
        for (ReadTask task : tasks) {
            Integer self = task.id() == null ? null : nodeOf.get(task.id());
            boolean isNode = self != null && nodes.get(self) == task;
            int[] out = new int[task.dependsOn().size()];
            int count = 0;
            for (String dependency : task.dependsOn()) {
                Integer target = nodeOf.get(dependency);
                if (dependency.equals(task.id())) {
                    problems.add(task.problem("depends_on", "depends on itself"));
                } else if (target != null) {
                    out[count++] = target;
                } else if (!existing.contains(dependency)) {
                    problems.add(task.problem("depends_on", "depends on unknown task " + quote(dependency)));
                }
            }
            if (isNode) {
                edges[self] = count == out.length ? out : Arrays.copyOf(out, count);
            }
        }
        for (DependencyGraph.Cycle cycle : new DependencyGraph(edges).cycles()) {
            ReadTask start = nodes.get(cycle.path().get(0));
            List<String> ids = cycle.path().stream().map(node -> nodes.get(node).id()).toList();
            problems.add(new PlanProblem(start.subject(), start.path() + "depends_on",
                    start.prefix() + "dependency cycle: " + ids.stream().collect(Collectors.joining(" → ")), ids));
        }
    }
}
