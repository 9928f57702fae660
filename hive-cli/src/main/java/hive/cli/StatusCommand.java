package hive.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import hive.client.HiveClient;
import hive.client.Progress;
import hive.client.Swarm;
import hive.client.SwarmStatus;
import hive.client.Task;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code hive status [SWARM]}: the swarms of a server, or one swarm's progress and tasks. */
@Command(
        name = "status",
        mixinStandardHelpOptions = true,
        versionProvider = HiveCommand.Version.class,
        description = {
            "Without SWARM: one line per swarm of the server: ID STATUS PROGRESS%% NAME.",
            "With SWARM: its progress line (ID STATUS PROGRESS%% (counts) NAME), then one line per task: "
                    + "TASK STATUS attempt=N agent=AGENT ('-' when none).",
            "--json prints the swarms (or the swarm, with its tasks) as the server gives them, each with a "
                    + "'progress' object added (GET /api/planner/{id}/progress).",
            "Exit status: 0; with SWARM, 1 when the swarm has failed (a task failed or is blocked and nothing "
                    + "more can run); 2 for an unknown swarm, bad usage or a server that cannot be reached.",
        },
        footer = {
            "",
            "Examples:",
            "  hive status",
            "  hive status sw_3f9a2c --server http://10.0.0.5:8000",
            "  hive status sw_3f9a2c --json | jq .progress.progress",
        })
final class StatusCommand extends RemoteCommand {

    @Parameters(paramLabel = "SWARM", arity = "0..1", description = "A swarm id (sw_...).")
    String swarmId;

    @Override
    int run(HiveClient client) {
        return swarmId == null ? list(client) : one(client);
    }

    private int list(HiveClient client) {
        List<Swarm> swarms = client.swarms();
        if (remote.json) {
            ArrayNode array = JSON.createArrayNode();
            for (Swarm swarm : swarms) {
                ObjectNode node = JSON.valueToTree(swarm);
                node.remove("tasks");
                node.set("progress", JSON.valueToTree(client.progress(swarm.id())));
                array.add(node);
            }
            printJson(array);
            return ExitCode.OK;
        }
        for (Swarm swarm : swarms) {
            out().println(swarmLine(swarm, client.progress(swarm.id())));
        }
        return ExitCode.OK;
    }

    private int one(HiveClient client) {
        Swarm swarm = client.swarm(swarmId);
        Progress progress = client.progress(swarmId);
        List<Task> tasks = swarm.tasks().isEmpty() && swarm.taskCount() > 0 ? client.tasks(swarmId) : swarm.tasks();
        if (remote.json) {
            ObjectNode node = JSON.valueToTree(swarm);
            node.set("tasks", JSON.valueToTree(tasks));
            node.set("progress", JSON.valueToTree(progress));
            printJson(node);
        } else {
            out().println(progressLine(swarm, progress));
            tasks.forEach(task -> out().println(taskLine(task)));
        }
        SwarmStatus status = progress.status() != null ? progress.status() : swarm.status();
        return status == SwarmStatus.FAILED ? ExitCode.FAILED : ExitCode.OK;
    }

    /** {@code sw_1 running 33.3% release}: the name last, as it may hold spaces. */
    static String swarmLine(Swarm swarm, Progress progress) {
        return String.join(" ", swarm.id(), status(swarm, progress), percent(progress.progress()),
                RemoteCommand.oneLine(String.valueOf(swarm.name())));
    }

    /** {@code sw_1 running 33.3% (1/3 completed, 1 in progress, 1 pending, 0 failed, 0 blocked) release}. */
    static String progressLine(Swarm swarm, Progress progress) {
        return String.join(" ", swarm.id(), status(swarm, progress), percent(progress.progress()),
                String.format(Locale.ROOT, "(%d/%d completed, %d in progress, %d pending, %d failed, %d blocked)",
                        progress.completed(), progress.total(), progress.inProgress(), progress.pending(),
                        progress.failed(), progress.blocked()),
                RemoteCommand.oneLine(String.valueOf(swarm.name())));
    }

    /** {@code a completed attempt=1 agent=w1}. */
    static String taskLine(Task task) {
        return String.join(" ", task.id(), task.status() == null ? "?" : task.status().wire(),
                "attempt=" + task.attempt(), "agent=" + (task.assignedAgent() == null ? "-" : task.assignedAgent()));
    }

    private static String status(Swarm swarm, Progress progress) {
        SwarmStatus status = progress.status() != null ? progress.status() : swarm.status();
        return status == null ? "?" : status.wire();
    }

    static String percent(double progress) {
        return String.format(Locale.ROOT, "%.1f%%", progress);
    }
}
