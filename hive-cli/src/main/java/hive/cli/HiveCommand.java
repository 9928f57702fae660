package hive.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code hive} command: the entry point of the runnable jar, with one subcommand per area
 * ({@code plan}, ...). Commands write their results to the command line's {@code out} and every
 * message about a failure to its {@code err}; {@link #main} binds those to stdout and stderr,
 * always in UTF-8 (cycles are drawn with {@code →}).
 */
@Command(
        name = "hive",
        mixinStandardHelpOptions = true,
        versionProvider = HiveCommand.Version.class,
        description = "HiveMind: coordinates swarms of agents working on one codebase — "
                + "task graphs with dependencies, file locks, progress.",
        subcommands = {PlanCommand.class, RunCommand.class, ServerCommand.class, StatusCommand.class, SwarmCommand.class,
            TaskCommand.class, LockCommand.class, AgentCommand.class},
        footer = {
            "",
            "Exit codes: 0 success, 1 the work failed, 2 bad usage or invalid input.",
            "",
            "Examples:",
            "  hive plan validate plan.yaml",
            "  hive plan graph plan.yaml --format dot | dot -Tsvg > plan.svg",
            "  hive run plan.yaml --workers 4",
            "  hive server --port 8000",
            "  hive status --server http://127.0.0.1:8000",
            "  SWARM=$(hive swarm create plan.yaml)",
            "  hive task claim --register --agent w1 --swarm $SWARM --wait 30",
            "  TOKEN=$(hive lock acquire src/api.ts --agent w1)",
        })
public final class HiveCommand implements Runnable {

    final InputStream stdin;

    @Spec
    CommandSpec spec;

    HiveCommand(InputStream stdin) {
        this.stdin = stdin;
    }

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing command: try 'hive --help'");
    }

    public static void main(String[] args) {
        PrintWriter out = utf8(FileDescriptor.out);
        PrintWriter err = utf8(FileDescriptor.err);
        int code = commandLine(System.in, out, err).execute(args);
        out.flush();
        err.flush();
        System.exit(code);
    }

    /** The command line, reading plans given as {@code -} from {@code stdin}. */
    static CommandLine commandLine(InputStream stdin, PrintWriter out, PrintWriter err) {
        CommandLine commandLine = new CommandLine(new HiveCommand(stdin));
        commandLine.setCaseInsensitiveEnumValuesAllowed(true);
        commandLine.setOut(out);
        commandLine.setErr(err);
        return commandLine;
    }

    private static PrintWriter utf8(FileDescriptor descriptor) {
        return new PrintWriter(new OutputStreamWriter(new FileOutputStream(descriptor), StandardCharsets.UTF_8), true);
    }

    /** The version in the jar's manifest; "dev" when run from classes. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String version = HiveCommand.class.getPackage().getImplementationVersion();
            return new String[] {"hive " + (version == null ? "dev" : version)};
        }
    }
}
