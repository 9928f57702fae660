package hive.cli;

import hive.client.HiveClient;
import hive.client.Task;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code hive task complete SWARM TASK}: the agent finished the task it holds. */
@Command(
        name = "complete",
        mixinStandardHelpOptions = true,
        versionProvider = HiveCommand.Version.class,
        description = {
            "Completes a task the agent holds, with an optional result; its file locks are released and its "
                    + "dependents may become ready. Prints 'TASK completed'; --json: the task.",
            "Exit status: 0 completed; 2 for an unknown swarm or task, a task another agent holds (403) or one "
                    + "that is not in progress (409), bad usage, or a server that cannot be reached.",
        },
        footer = {
            "",
            "Examples:",
            "  hive task complete sw_3f9a2c schema --agent w1 --result 'migrations added'",
        })
final class CompleteTaskCommand extends RemoteCommand {

    @Parameters(index = "0", paramLabel = "SWARM", description = "The swarm's id.")
    String swarm;

    @Parameters(index = "1", paramLabel = "TASK", description = "The task's id.")
    String task;

    @Option(names = "--agent", required = true, paramLabel = "ID", description = "The agent that holds the task.")
    String agent;

    @Option(names = "--result", paramLabel = "TEXT", description = "What was done, kept with the task.")
    String result;

    @Override
    int run(HiveClient client) {
        Task done = client.complete(agent, swarm, task, result);
        if (remote.json) {
            printJson(done);
        } else {
            out().println(done.id() + " " + done.status().wire());
        }
        return ExitCode.OK;
    }
}
