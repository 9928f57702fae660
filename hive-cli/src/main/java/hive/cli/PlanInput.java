package hive.cli;

import hive.plan.Plan;
import hive.plan.PlanFormat;
import hive.plan.PlanProblem;
import hive.plan.PlanRejected;
import hive.plan.Plans;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * The PLAN argument of the plan commands: a file path, relative to the working directory, or
 * {@code -} for standard input. Read as UTF-8; the format comes from the file name
 * ({@code .json}, {@code .yaml}, {@code .yml}) or, for anything else, from the first character
 * (<code>{</code> or {@code [} is JSON, the rest YAML).
 */
sealed interface PlanInput {

    /** A valid plan. */
    record Loaded(Plan plan) implements PlanInput {}

    /** No plan: the file could not be read or the plan is invalid; one line for each reason. */
    record Refused(List<String> reasons) implements PlanInput {

        int report(PrintWriter err) {
            reasons.forEach(err::println);
            err.flush();
            return ExitCode.INVALID;
        }
    }

    static PlanInput load(String argument, InputStream stdin) {
        boolean fromStdin = argument.equals("-");
        String text;
        try {
            byte[] bytes = fromStdin ? stdin.readAllBytes() : readFile(Path.of(argument));
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (NotAFile e) {
            return new Refused(List.of("hive: " + e.getMessage()));
        } catch (NoSuchFileException e) {
            return new Refused(List.of("hive: plan file '" + argument + "' not found"));
        } catch (AccessDeniedException e) {
            return new Refused(List.of("hive: cannot read plan file '" + argument + "': permission denied"));
        } catch (CharacterCodingException e) {
            return new Refused(List.of("hive: " + (fromStdin ? "standard input" : "plan file '" + argument + "'")
                    + " is not UTF-8 text"));
        } catch (IOException e) {
            return new Refused(List.of("hive: cannot read plan " + (fromStdin ? "from standard input" : "file '"
                    + argument + "'") + ": " + e.getMessage()));
        }
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        try {
            return new Loaded(Plans.parse(text, format(argument, text)));
        } catch (PlanRejected rejected) {
            return new Refused(rejected.problems().stream().map(PlanInput::oneLine).toList());
        }
    }

    private static byte[] readFile(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            throw new NotAFile("'" + path + "' is a folder, not a plan file");
        }
        return Files.readAllBytes(path);
    }

    private static PlanFormat format(String argument, String text) {
        String name = argument.toLowerCase(java.util.Locale.ROOT);
        if (name.endsWith(".json") || name.endsWith(".yaml") || name.endsWith(".yml")) {
            return PlanFormat.ofFileName(name);
        }
        String start = text.stripLeading();
        return start.startsWith("{") || start.startsWith("[") ? PlanFormat.JSON : PlanFormat.YAML;
    }

    /** A problem as one terminal line: control characters in user-given values become spaces. */
    private static String oneLine(PlanProblem problem) {
        return problem.describe().replaceAll("\\p{Cntrl}", " ");
    }

    /** The PLAN argument names something that is not a regular file. */
    final class NotAFile extends IOException {
        private static final long serialVersionUID = 1L;

        NotAFile(String message) {
            super(message);
        }
    }
}
