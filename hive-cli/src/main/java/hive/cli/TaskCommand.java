package hive.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code hive task}: claim, complete and fail tasks as an agent, from a shell. */
@Command(
        name = "task",
        mixinStandardHelpOptions = true,
        versionProvider = HiveCommand.Version.class,
        description = "Take and finish tasks as an agent, from a shell script (a shell agent).",
        subcommands = {ClaimTaskCommand.class, CompleteTaskCommand.class, FailTaskCommand.class},
        footer = {
            "",
            "Examples:",
            "  while NEXT=$(hive task claim --register --agent w1 --swarm $SWARM --wait 30); do",
            "    set -- $NEXT                     # $1 the task id, $2 the swarm id",
            "    if make \"$1\"; then hive task complete \"$2\" \"$1\" --agent w1",
            "    else hive task fail \"$2\" \"$1\" --agent w1 --error \"make $1 failed\"; fi",
            "  done",
        })
final class TaskCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing command: try 'hive task --help'");
    }
}
