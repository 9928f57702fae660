package hive.cli;

import hive.client.HiveClient;
import hive.client.Task;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code hive task fail SWARM TASK}: the agent's attempt at the task it holds failed. */
@Command(
        name = "fail",
        mixinStandardHelpOptions = true,
        versionProvider = HiveCommand.Version.class,
        description = {
            "Fails the current attempt of a task the agent holds; its file locks are released. With attempts "
                    + "left (and without --no-retry) the task comes back after its backoff; otherwise it is "
                    + "failed and blocks its dependents.",
            "Prints 'TASK STATUS attempt=N/MAX' (STATUS: pending when it will be retried, failed otherwise); "
                    + "--json: the task.",
            "Exit status: 0 the failure was recorded; 2 for an unknown swarm or task, a task another agent "
                    + "holds (403) or one that is not in progress (409), bad usage, or a server that cannot be "
                    + "reached.",
        },
        footer = {
            "",
            "Examples:",
            "  hive task fail sw_3f9a2c schema --agent w1 --error 'tests failed'",
            "  hive task fail sw_3f9a2c schema --agent w1 --error 'not doable' --no-retry",
        })
final class FailTaskCommand extends RemoteCommand {

    @Parameters(index = "0", paramLabel = "SWARM", description = "The swarm's id.")
    String swarm;

    @Parameters(index = "1", paramLabel = "TASK", description = "The task's id.")
    String task;

    @Option(names = "--agent", required = true, paramLabel = "ID", description = "The agent that holds the task.")
    String agent;

    @Option(names = "--error", required = true, paramLabel = "TEXT", description = "What went wrong.")
    String error;

    @Option(names = "--no-retry", description = "Fail the task for good, even with attempts left.")
    boolean noRetry;

    @Override
    int run(HiveClient client) {
        Task failed = client.fail(agent, swarm, task, error, !noRetry);
        if (remote.json) {
            printJson(failed);
        } else {
            out().println(failed.id() + " " + failed.status().wire() + " attempt=" + failed.attempt() + "/"
                    + failed.maxAttempts());
        }
        return ExitCode.OK;
    }
}
