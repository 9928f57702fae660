package hive.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import hive.client.HiveClient;
import hive.client.LockConflict;
import hive.client.LockMode;
import hive.client.LockRequest;
import hive.client.LockResult;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** {@code hive lock acquire PATH...}: all of the paths or none, with a fencing token. */
@Command(
        name = "acquire",
        mixinStandardHelpOptions = true,
        versionProvider = HiveCommand.Version.class,
        description = {
            "Locks every PATH (a file, a folder 'src/' or a glob 'src/**/*.ts') for the agent, all or nothing. "
                    + "Re-acquiring what the agent holds renews it. Waits up to --wait seconds for paths others "
                    + "hold, in turn with other waiters.",
            "Prints the fencing token alone (TOKEN=$(hive lock acquire ...)); --json: the server's answer "
                    + "({granted, token, locks} or {granted: false, conflicts} or {granted: false, deadlock}).",
            "Exit status: 0 granted; 1 refused: held by others (each conflict on stderr: who holds what, until "
                    + "when) or waiting would deadlock (the cycle on stderr); 2 for a bad path (400), a path "
                    + "outside the agent's allowed paths (403), bad usage or a server that cannot be reached.",
        },
        footer = {
            "",
            "Examples:",
            "  TOKEN=$(hive lock acquire src/api.ts --agent w1) || exit 1",
            "  hive lock acquire 'src/**/*.ts' docs/ --agent w1 --mode shared --ttl 600 --wait 30",
        })
final class AcquireLockCommand extends RemoteCommand {

    @Parameters(paramLabel = "PATH", arity = "1..*", description = "Paths, folders (ending in /) or globs, "
            + "relative to the workspace.")
    List<String> paths;

    @Option(names = "--agent", required = true, paramLabel = "ID", description = "The agent that will hold the locks.")
    String agent;

    @Option(names = "--mode", defaultValue = "exclusive", paramLabel = "MODE", description = "exclusive or shared "
            + "(default: ${DEFAULT-VALUE}).")
    String mode;

    @Option(names = "--ttl", paramLabel = "S", description = "Seconds the locks live unless renewed (default: the "
            + "server's, 1800).")
    Double ttlS;

    @Option(names = "--wait", paramLabel = "S", defaultValue = "0", description = "Seconds to wait for the paths, "
            + "0 to 60 (default: ${DEFAULT-VALUE}).")
    double waitS;

    @Option(names = "--workspace", paramLabel = "W", description = "The namespace of the paths (default: the "
            + "server's 'default').")
    String workspace;

    @Option(names = "--task", paramLabel = "T", description = "The task the locks are for.")
    String task;

    private LockRequest request;

    @Override
    void validate() {
        LockMode lockMode = switch (mode.toLowerCase(Locale.ROOT)) {
            case "exclusive" -> LockMode.EXCLUSIVE;
            case "shared" -> LockMode.SHARED;
            default -> throw new ParameterException(spec.commandLine(), "--mode is exclusive or shared, got '"
                    + mode + "'");
        };
        Duration ttl = ttlS == null ? null : seconds("--ttl", ttlS, 0, 365.0 * 24 * 3600, true);
        request = LockRequest.of(agent, paths).mode(lockMode).ttl(ttl).waitUpTo(seconds("--wait", waitS, 0, 60, false))
                .forTask(task).inWorkspace(workspace);
    }

    @Override
    int run(HiveClient client) {
        LockResult result = client.acquire(request);
        if (remote.json) {
            printJson(json(result));
        }
        return switch (result) {
            case LockResult.Granted granted -> {
                if (!remote.json) {
                    out().println(granted.token());
                }
                yield ExitCode.OK;
            }
            case LockResult.Conflicted conflicted -> {
                err().println(name() + ": refused, held by others: nothing was locked");
                conflicted.conflicts().forEach(conflict -> err().println("  " + describe(conflict)));
                err().flush();
                yield ExitCode.FAILED;
            }
            case LockResult.Deadlocked deadlocked -> {
                List<String> cycle = deadlocked.cycle();
                err().println(name() + ": refused, waiting would deadlock: "
                        + String.join(" → ", cycle) + (cycle.isEmpty() ? "" : " → " + cycle.get(0))
                        + " (each waits for the next): nothing was locked");
                err().flush();
                yield ExitCode.FAILED;
            }
        };
    }

    /** {@code src/a.ts: held by w2 (src/ exclusive) until 2025-...}. */
    static String describe(LockConflict conflict) {
        StringBuilder line = new StringBuilder(RemoteCommand.oneLine(String.valueOf(conflict.path())));
        line.append(conflict.queued() ? ": waited for first by " : ": held by ").append(conflict.heldBy());
        if (conflict.heldPath() != null || conflict.mode() != null) {
            line.append(" (");
            if (conflict.heldPath() != null) {
                line.append(RemoteCommand.oneLine(conflict.heldPath()));
            }
            if (conflict.mode() != null) {
                line.append(conflict.heldPath() != null ? " " : "").append(conflict.mode().wire());
            }
            line.append(')');
        }
        if (conflict.expiresAt() != null) {
            line.append(" until ").append(conflict.expiresAt());
        }
        return line.toString();
    }

    static ObjectNode json(LockResult result) {
        ObjectNode node = JSON.createObjectNode();
        switch (result) {
            case LockResult.Granted granted -> {
                node.put("granted", true);
                node.put("token", granted.token());
                node.set("locks", JSON.valueToTree(granted.locks()));
            }
            case LockResult.Conflicted conflicted -> {
                node.put("granted", false);
                node.set("conflicts", JSON.valueToTree(conflicted.conflicts()));
            }
            case LockResult.Deadlocked deadlocked -> {
                node.put("granted", false);
                node.set("deadlock", JSON.valueToTree(deadlocked.cycle()));
            }
        }
        return node;
    }
}
