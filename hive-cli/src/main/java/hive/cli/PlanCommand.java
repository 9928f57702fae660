package hive.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code hive plan}: work with plan files without running them. */
@Command(
        name = "plan",
        mixinStandardHelpOptions = true,
        versionProvider = HiveCommand.Version.class,
        description = "Check or draw a plan (JSON or YAML) without running it.",
        subcommands = {ValidatePlanCommand.class, GraphPlanCommand.class},
        footer = {
            "",
            "Examples:",
            "  hive plan validate plan.yaml",
            "  hive plan graph plan.json --format dot",
        })
final class PlanCommand implements Runnable {

    @ParentCommand
    HiveCommand hive;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing command: try 'hive plan --help'");
    }
}
