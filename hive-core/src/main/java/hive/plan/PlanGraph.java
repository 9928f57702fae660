package hive.plan;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Renders a validated plan's dependency graph as text for diagram tools: Mermaid
 * ({@code flowchart TD}) and Graphviz DOT. One node per task, labelled with its id and title; one
 * edge per dependency, drawn from the dependency to the task that waits for it, so the graph
 * reads top-down in the order tasks can run. Stateless.
 */
public final class PlanGraph {

    private PlanGraph() {}

    /**
     * A Mermaid flowchart. Nodes are named {@code t0, t1, ...} in plan order, because task ids may
     * collide with Mermaid keywords ({@code end}); labels are quoted with Mermaid's entity codes.
     */
    public static String mermaid(Plan plan) {
        List<TaskSpec> tasks = plan.tasks();
        Map<String, Integer> indexOf = indexes(tasks);
        StringBuilder out = new StringBuilder("flowchart TD\n");
        for (int i = 0; i < tasks.size(); i++) {
            out.append("    t").append(i).append("[\"").append(mermaidText(label(tasks.get(i)))).append("\"]\n");
        }
        for (int i = 0; i < tasks.size(); i++) {
            for (String dependency : tasks.get(i).dependsOn()) {
                out.append("    t").append(indexOf.get(dependency)).append(" --> t").append(i).append('\n');
            }
        }
        return out.toString();
    }

    /** A Graphviz digraph named {@code plan}, labelled with the plan's name; every id quoted. */
    public static String dot(Plan plan) {
        StringBuilder out = new StringBuilder("digraph plan {\n");
        out.append("    label=").append(dotString(plan.name())).append(";\n");
        out.append("    rankdir=TB;\n");
        out.append("    node [shape=box];\n");
        for (TaskSpec task : plan.tasks()) {
            out.append("    ").append(dotString(task.id()))
                    .append(" [label=").append(dotString(label(task))).append("];\n");
        }
        for (TaskSpec task : plan.tasks()) {
            for (String dependency : task.dependsOn()) {
                out.append("    ").append(dotString(dependency)).append(" -> ").append(dotString(task.id())).append(";\n");
            }
        }
        return out.append("}\n").toString();
    }

    private static Map<String, Integer> indexes(List<TaskSpec> tasks) {
        Map<String, Integer> indexOf = new HashMap<>(tasks.size() * 2);
        for (int i = 0; i < tasks.size(); i++) {
            indexOf.put(tasks.get(i).id(), i);
        }
        return indexOf;
    }

    private static String label(TaskSpec task) {
        return task.title() == null || task.title().isBlank() ? task.id() : task.id() + ": " + task.title();
    }

    /** Text inside a quoted Mermaid label: quotes and markup characters as entity codes, one line. */
    private static String mermaidText(String text) {
        StringBuilder out = new StringBuilder(text.length());
        text.codePoints().forEach(c -> {
            switch (c) {
                case '"' -> out.append("#quot;");
                case '#' -> out.append("#35;");
                case '<' -> out.append("#lt;");
                case '>' -> out.append("#gt;");
                case '&' -> out.append("#amp;");
                case '`' -> out.append("#96;");
                default -> out.appendCodePoint(Character.isISOControl(c) ? ' ' : c);
            }
        });
        return out.toString();
    }

    /** A DOT double-quoted string: backslashes and quotes escaped, line breaks as {@code \n}. */
    private static String dotString(String text) {
        StringBuilder out = new StringBuilder(text.length() + 2).append('"');
        text.codePoints().forEach(c -> {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> { }
                default -> out.appendCodePoint(Character.isISOControl(c) ? ' ' : c);
            }
        });
        return out.append('"').toString();
    }
}
