package hive.cli;

import hive.plan.Plan;
import hive.plan.PlanGraph;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code hive plan graph PLAN}: a valid plan's dependency graph as Mermaid or Graphviz text. */
@Command(
        name = "graph",
        mixinStandardHelpOptions = true,
        versionProvider = HiveCommand.Version.class,
        description = {
            "Prints the dependency graph of a valid plan as a Mermaid flowchart or a Graphviz "
                    + "digraph: one node per task, an arrow from each dependency to the task that waits for it.",
            "An invalid plan prints its problems on stderr instead (exit 2).",
        },
        footer = {
            "",
            "Examples:",
            "  hive plan graph plan.yaml > plan.mmd",
            "  hive plan graph plan.yaml --format dot | dot -Tsvg > plan.svg",
        })
final class GraphPlanCommand implements Callable<Integer> {

    /** The diagram languages this command writes. */
    enum Format {
        MERMAID(PlanGraph::mermaid),
        DOT(PlanGraph::dot);

        private final Function<Plan, String> render;

        Format(Function<Plan, String> render) {
            this.render = render;
        }
    }

    @ParentCommand
    PlanCommand parent;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "PLAN", description = "The plan file (JSON or YAML), or '-' for standard input.")
    String plan;

    @Option(names = {"-f", "--format"}, paramLabel = "FORMAT", defaultValue = "mermaid",
            description = "mermaid or dot (default: ${DEFAULT-VALUE}).")
    Format format;

    @Override
    public Integer call() {
        return switch (PlanInput.load(plan, parent.hive.stdin)) {
            case PlanInput.Loaded(var valid) -> {
                spec.commandLine().getOut().print(format.render.apply(valid));
                spec.commandLine().getOut().flush();
                yield ExitCode.OK;
            }
            case PlanInput.Refused refused -> refused.report(spec.commandLine().getErr());
        };
    }
}
