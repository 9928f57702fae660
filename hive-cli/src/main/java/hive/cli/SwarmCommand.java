package hive.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code hive swarm}: swarms on a server. */
@Command(
        name = "swarm",
        mixinStandardHelpOptions = true,
        versionProvider = HiveCommand.Version.class,
        description = "Swarms on a server (see also 'hive status').",
        subcommands = {CreateSwarmCommand.class},
        footer = {
            "",
            "Examples:",
            "  SWARM=$(hive swarm create plan.yaml)",
        })
final class SwarmCommand implements Runnable {

    @ParentCommand
    HiveCommand hive;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing command: try 'hive swarm --help'");
    }
}
