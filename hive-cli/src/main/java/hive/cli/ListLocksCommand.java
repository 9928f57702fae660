package hive.cli;

import hive.client.HiveClient;
import hive.client.Lock;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hive lock list}: the locks held. */
@Command(
        name = "list",
        mixinStandardHelpOptions = true,
        versionProvider = HiveCommand.Version.class,
        description = {
            "Lists the locks held, one per line: PATH MODE AGENT TOKEN EXPIRES_AT; --json: the server's list.",
            "Exit status: 0; 2 for bad usage or a server that cannot be reached.",
        },
        footer = {
            "",
            "Examples:",
            "  hive lock list",
            "  hive lock list --workspace frontend --json",
        })
final class ListLocksCommand extends RemoteCommand {

    @Option(names = "--workspace", paramLabel = "W", description = "Only this workspace's locks (default: every "
            + "workspace).")
    String workspace;

    @Override
    int run(HiveClient client) {
        List<Lock> locks = workspace == null ? client.locks() : client.locks(workspace);
        if (remote.json) {
            printJson(locks);
        } else {
            locks.forEach(lock -> out().println(LockCommand.line(lock)));
        }
        return ExitCode.OK;
    }
}
