package hive.cli;

import hive.client.HiveClient;
import hive.client.PlanFormat;
import hive.client.Swarm;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code hive swarm create PLAN}: submits a plan to a server, which makes a swarm of it. */
@Command(
        name = "create",
        mixinStandardHelpOptions = true,
        versionProvider = HiveCommand.Version.class,
        description = {
            "Submits a plan (JSON or YAML) to the server, which validates it and creates a swarm. Prints the "
                    + "swarm's id (--json: the swarm with its tasks).",
            "Exit status: 0 created; 2 for a plan the server rejects (every problem on stderr), a file that "
                    + "cannot be read, or a server that cannot be reached.",
        },
        footer = {
            "",
            "Examples:",
            "  SWARM=$(hive swarm create plan.yaml)",
            "  cat plan.json | hive swarm create - --server http://10.0.0.5:8000",
        })
final class CreateSwarmCommand extends RemoteCommand {

    @ParentCommand
    SwarmCommand parent;

    @Parameters(paramLabel = "PLAN", description = "The plan file (JSON or YAML), or '-' for standard input.")
    String plan;

    private String text;

    @Override
    void validate() {
        boolean fromStdin = plan.equals("-");
        try {
            if (!fromStdin && Files.isDirectory(Path.of(plan))) {
                throw new InvalidInput("'" + plan + "' is a folder, not a plan file");
            }
            byte[] bytes = fromStdin ? parent.hive.stdin.readAllBytes() : Files.readAllBytes(Path.of(plan));
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (NoSuchFileException e) {
            throw new InvalidInput("plan file '" + plan + "' not found");
        } catch (CharacterCodingException e) {
            throw new InvalidInput((fromStdin ? "standard input" : "plan file '" + plan
                    + "'") + " is not UTF-8 text");
        } catch (IOException e) {
            throw new InvalidInput("cannot read plan " + (fromStdin ? "from standard input"
                    : "file '" + plan + "'") + ": " + e.getMessage());
        }
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
    }

    @Override
    int run(HiveClient client) {
        Swarm swarm = client.createSwarm(text, format(plan, text));
        if (remote.json) {
            printJson(swarm);
        } else {
            out().println(swarm.id());
        }
        return ExitCode.OK;
    }

    static PlanFormat format(String argument, String text) {
        String name = argument.toLowerCase(Locale.ROOT);
        if (name.endsWith(".yaml") || name.endsWith(".yml")) {
            return PlanFormat.YAML;
        }
        if (name.endsWith(".json")) {
            return PlanFormat.JSON;
        }
        String start = text.stripLeading();
        return start.startsWith("{") || start.startsWith("[") ? PlanFormat.JSON : PlanFormat.YAML;
    }
}
