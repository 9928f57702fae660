package hive.cli;

import hive.client.HiveClient;
import hive.client.Lock;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** {@code hive lock release [PATH...]}: the agent's locks on the paths, or all of them. */
@Command(
        name = "release",
        mixinStandardHelpOptions = true,
        versionProvider = HiveCommand.Version.class,
        description = {
            "Releases the agent's locks on PATHs (as acquired: the same path, folder or glob), in --workspace; "
                    + "without PATH, every lock the agent holds, in every workspace. Paths the agent does not "
                    + "hold are skipped.",
            "Prints one line per lock released: PATH MODE AGENT TOKEN EXPIRES_AT; --json: the list.",
            "Exit status: 0; 2 for a path another agent holds (403), bad usage or a server that cannot be "
                    + "reached.",
        },
        footer = {
            "",
            "Examples:",
            "  hive lock release src/api.ts --agent w1",
            "  hive lock release --agent w1            # everything w1 holds",
        })
final class ReleaseLockCommand extends RemoteCommand {

    @Parameters(paramLabel = "PATH", arity = "0..*", description = "The paths to release (default: all).")
    List<String> paths;

    @Option(names = "--agent", required = true, paramLabel = "ID", description = "The agent that holds the locks.")
    String agent;

    @Option(names = "--workspace", paramLabel = "W", description = "The namespace of the PATHs (default: the "
            + "server's 'default').")
    String workspace;

    @Override
    void validate() {
        if (workspace != null && (paths == null || paths.isEmpty())) {
            throw new ParameterException(spec.commandLine(), "--workspace goes with PATHs: without PATH every lock "
                    + "of the agent is released, in every workspace");
        }
    }

    @Override
    int run(HiveClient client) {
        List<Lock> released = paths == null || paths.isEmpty() ? client.releaseAll(agent)
                : client.release(agent, workspace, paths);
        if (remote.json) {
            printJson(released);
        } else {
            released.forEach(lock -> out().println(LockCommand.line(lock)));
        }
        return ExitCode.OK;
    }
}
