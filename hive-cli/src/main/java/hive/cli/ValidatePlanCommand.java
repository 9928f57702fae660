package hive.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import java.util.concurrent.Callable;

/** {@code hive plan validate PLAN}: every problem of a plan, or confirmation that it has none. */
@Command(
        name = "validate",
        mixinStandardHelpOptions = true,
        versionProvider = HiveCommand.Version.class,
        description = {
            "Checks a plan as the server would when it is submitted: fields, types and bounds, "
                    + "duplicate ids, unknown or self dependencies, dependency cycles, file paths.",
            "Prints a one-line summary when the plan is valid (exit 0); otherwise every problem, "
                    + "one per line, on stderr (exit 2).",
        },
        footer = {
            "",
            "Examples:",
            "  hive plan validate plan.yaml",
            "  cat plan.json | hive plan validate -",
            "",
            "A rejected plan prints lines such as:",
            "  task 'b': depends on unknown task 'x'",
            "  task 'a': dependency cycle: a → b → a",
        })
final class ValidatePlanCommand implements Callable<Integer> {

    @ParentCommand
    PlanCommand parent;

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "PLAN", description = "The plan file (JSON or YAML), or '-' for standard input.")
    String plan;

    @Override
    public Integer call() {
        return switch (PlanInput.load(plan, parent.hive.stdin)) {
            case PlanInput.Loaded(var valid) -> {
                int tasks = valid.tasks().size();
                spec.commandLine().getOut().printf("plan '%s' is valid: %d task%s%n",
                        valid.name(), tasks, tasks == 1 ? "" : "s");
                spec.commandLine().getOut().flush();
                yield ExitCode.OK;
            }
            case PlanInput.Refused refused -> refused.report(spec.commandLine().getErr());
        };
    }
}
