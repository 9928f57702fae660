package hive.cli;

import hive.client.Lock;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code hive lock}: file locks as an agent, from a shell. */
@Command(
        name = "lock",
        mixinStandardHelpOptions = true,
        versionProvider = HiveCommand.Version.class,
        description = "Lock, release and list file locks (leases on files, folders or globs) from a shell script.",
        subcommands = {AcquireLockCommand.class, ReleaseLockCommand.class, ListLocksCommand.class},
        footer = {
            "",
            "Examples:",
            "  TOKEN=$(hive lock acquire src/api.ts docs/ --agent w1 --wait 10) || exit 1",
            "  hive lock list",
            "  hive lock release --agent w1",
        })
final class LockCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing command: try 'hive lock --help'");
    }

    /** {@code src/a.ts exclusive w1 7 2025-01-01T00:30:00Z}: path, mode, agent, token, expires_at. */
    static String line(Lock lock) {
        return String.join(" ", RemoteCommand.oneLine(lock.path()), lock.mode() == null ? "?" : lock.mode().wire(),
                lock.agentId(), Long.toString(lock.token()), lock.expiresAt() == null ? "-" : lock.expiresAt().toString());
    }
}
