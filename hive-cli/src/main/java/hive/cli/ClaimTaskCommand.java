package hive.cli;

import hive.client.AgentSpec;
import hive.client.HiveClient;
import hive.client.Task;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code hive task claim}: the next task an agent may take, now in progress for it. */
@Command(
        name = "claim",
        mixinStandardHelpOptions = true,
        versionProvider = HiveCommand.Version.class,
        description = {
            "Claims the highest-priority ready task the agent may take (its role, pinned agent, max tasks) "
                    + "whose files are free; the task is then in progress for the agent, with its files locked. "
                    + "Waits up to --wait seconds on the server when nothing fits yet.",
            "Prints 'TASK SWARM' (the task's id and its swarm's id) on one line; --json: the task.",
            "The agent must be registered, unless --register registers it first (idempotent).",
            "Exit status: 0 a task was claimed; 1 nothing was available before the wait ended (nothing on "
                    + "stdout); 2 for an unknown agent or swarm, bad usage or a server that cannot be reached.",
        },
        footer = {
            "",
            "Examples:",
            "  hive task claim --register --agent w1 --swarm sw_3f9a2c --wait 30",
            "  read TASK SWARM <<EOF",
            "  $(hive task claim --agent w1)",
            "  EOF",
        })
final class ClaimTaskCommand extends RemoteCommand {

    @Option(names = "--agent", required = true, paramLabel = "ID", description = "The agent that takes the task.")
    String agent;

    @Option(names = "--swarm", paramLabel = "ID", description = "Only this swarm's tasks (default: any running "
            + "swarm).")
    String swarm;

    @Option(names = "--wait", paramLabel = "S", defaultValue = "0", description = "Seconds to wait for a task, "
            + "0 to 60 (default: ${DEFAULT-VALUE}).")
    double waitS;

    @Option(names = "--register", description = "Register the agent first (nothing happens when it is "
            + "registered already).")
    boolean register;

    @Option(names = "--roles", split = ",", paramLabel = "ROLE", description = "With --register: the roles the "
            + "agent may take tasks of (a,b).")
    List<String> roles;

    private Duration wait;

    @Override
    void validate() {
        wait = seconds("--wait", waitS, 0, 60, false);
        if (roles != null && !register) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--roles goes with --register");
        }
    }

    @Override
    int run(HiveClient client) {
        if (register) {
            AgentSpec agentSpec = AgentSpec.withId(agent);
            if (roles != null) {
                agentSpec = agentSpec.roles(roles.toArray(String[]::new));
            }
            client.register(agentSpec);
        }
        Optional<Task> task = client.claim(agent, swarm, wait);
        if (task.isEmpty()) {
            err().println(name() + ": no task for " + agent + (swarm == null ? "" : " in " + swarm)
                    + (wait.isZero() ? " now" : " within " + waitS + " s"));
            err().flush();
            return ExitCode.FAILED;
        }
        if (remote.json) {
            printJson(task.get());
        } else {
            out().println(task.get().id() + " " + task.get().swarmId());
        }
        return ExitCode.OK;
    }
}
