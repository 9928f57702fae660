package hive.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Objects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The {@code hive} command line run in-process, with its stdin, stdout and stderr captured. */
class HiveCommandTest {

    record Run(int exitCode, String out, String err) {}

    static Run hiveWithInput(String stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exitCode = HiveCommand.commandLine(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintWriter(out), new PrintWriter(err)).execute(args);
        return new Run(exitCode, out.toString(), err.toString());
    }

    static Run hive(String... args) {
        return hiveWithInput("", args);
    }

    static String plan(String name) {
        try {
            return Path.of(Objects.requireNonNull(HiveCommandTest.class.getResource("/plans/" + name)).toURI()).toString();
        } catch (URISyntaxException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void validYamlPlanPrintsItsNameAndTaskCountAndExitsZero() {
        // when
        Run run = hive("plan", "validate", plan("valid.yaml"));

        // then
        assertThat(run.exitCode()).isEqualTo(ExitCode.OK);
        assertThat(run.out()).isEqualTo("plan 'release' is valid: 4 tasks" + System.lineSeparator());
        assertThat(run.err()).isEmpty();
    }

    @Test
    void validJsonPlanIsReadAsJson() {
        assertThat(hive("plan", "validate", plan("valid.json")))
                .isEqualTo(new Run(0, "plan 'pair' is valid: 2 tasks" + System.lineSeparator(), ""));
    }

    @Test
    void invalidPlanPrintsEveryProblemOnStderrAndExitsTwo() {
        // when
        Run run = hive("plan", "validate", plan("broken.yaml"));

        // then
        assertThat(run.exitCode()).isEqualTo(ExitCode.INVALID);
        assertThat(run.out()).isEmpty();
        assertThat(run.err().lines()).containsExactlyInAnyOrder(
                "task 'd': duplicate task id 'd' (first at tasks[3])",
                "task 'd': depends on unknown task 'x'",
                "task 'a': dependency cycle: a → b → c → a");
    }

    @Test
    void malformedPlanNamesTheLineAndColumn() {
        Run run = hive("plan", "validate", plan("malformed.json"));

        assertThat(run.exitCode()).isEqualTo(ExitCode.INVALID);
        assertThat(run.err()).startsWith("plan: malformed JSON at line 3, column 1: ");
    }

    @Test
    void misspelledFieldGetsASuggestion() {
        assertThat(hive("plan", "validate", plan("typo.yaml")).err())
                .isEqualTo("task 'a': unknown field 'dependencies' (did you mean 'depends_on'?)" + System.lineSeparator());
    }

    @Test
    void missingFileExitsTwoWithAClearMessage(@TempDir Path folder) {
        // given
        String missing = folder.resolve("nope.yaml").toString();

        // when
        Run run = hive("plan", "validate", missing);

        // then
        assertThat(run.exitCode()).isEqualTo(ExitCode.INVALID);
        assertThat(run.err()).isEqualTo("hive: plan file '" + missing + "' not found" + System.lineSeparator());
    }

    @Test
    void folderIsNotAPlanFile(@TempDir Path folder) {
        Run run = hive("plan", "validate", folder.toString());

        assertThat(run.exitCode()).isEqualTo(ExitCode.INVALID);
        assertThat(run.err()).contains("is a folder, not a plan file");
    }

    @Test
    void dashReadsThePlanFromStandardInputInEitherFormat() {
        assertThat(hiveWithInput("{\"name\": \"piped\", \"tasks\": [{\"id\": \"a\"}]}", "plan", "validate", "-").out())
                .isEqualTo("plan 'piped' is valid: 1 task" + System.lineSeparator());
        assertThat(hiveWithInput("name: piped\ntasks:\n  - id: a\n  - id: b\n", "plan", "validate", "-").out())
                .isEqualTo("plan 'piped' is valid: 2 tasks" + System.lineSeparator());
    }

    @Test
    void standardInputThatIsNotUtf8IsRefused() {
        StringWriter err = new StringWriter();
        int exitCode = HiveCommand.commandLine(new ByteArrayInputStream(new byte[] {(byte) 0xff, (byte) 0xfe, 'x'}),
                new PrintWriter(new StringWriter()), new PrintWriter(err)).execute("plan", "validate", "-");

        assertThat(exitCode).isEqualTo(ExitCode.INVALID);
        assertThat(err.toString()).contains("standard input is not UTF-8 text");
    }

    @Test
    void graphPrintsMermaidByDefault() {
        // when
        Run run = hive("plan", "graph", plan("valid.json"));

        // then
        assertThat(run.exitCode()).isEqualTo(ExitCode.OK);
        assertThat(run.out()).isEqualTo("""
                flowchart TD
                    t0["a: First"]
                    t1["b"]
                    t0 --> t1
                """);
    }

    @ParameterizedTest
    @ValueSource(strings = {"dot", "DOT"})
    void graphPrintsDotOnRequest(String format) {
        // when
        Run run = hive("plan", "graph", plan("valid.json"), "--format", format);

        // then
        assertThat(run.exitCode()).isEqualTo(ExitCode.OK);
        assertThat(run.out()).isEqualTo("""
                digraph plan {
                    label="pair";
                    rankdir=TB;
                    node [shape=box];
                    "a" [label="a: First"];
                    "b" [label="b"];
                    "a" -> "b";
                }
                """);
    }

    @Test
    void graphOfAnInvalidPlanPrintsItsProblemsInstead() {
        Run run = hive("plan", "graph", plan("broken.yaml"));

        assertThat(run.exitCode()).isEqualTo(ExitCode.INVALID);
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).contains("dependency cycle: a → b → c → a");
    }

    @Test
    void usageErrorsExitTwo() {
        assertThat(hive("plan", "graph", plan("valid.json"), "--format", "png").exitCode()).isEqualTo(ExitCode.INVALID);
        assertThat(hive("plan", "validate").exitCode()).isEqualTo(ExitCode.INVALID);
        assertThat(hive("plan", "validate", "a.yaml", "b.yaml").exitCode()).isEqualTo(ExitCode.INVALID);
        assertThat(hive("plan", "frobnicate").exitCode()).isEqualTo(ExitCode.INVALID);
        assertThat(hive("--no-such-option").exitCode()).isEqualTo(ExitCode.INVALID);
    }

    @Test
    void aCommandWithoutItsSubcommandExplainsWhatIsMissing() {
        Run run = hive("plan");

        assertThat(run.exitCode()).isEqualTo(ExitCode.INVALID);
        assertThat(run.err()).contains("Missing command").contains("validate").contains("graph");
        assertThat(hive().err()).contains("Missing command").contains("plan");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "plan", "plan validate", "plan graph"})
    void everyCommandHasHelpWithExamples(String command) {
        // when
        Run run = hive((command + " --help").strip().split(" "));

        // then
        assertThat(run.exitCode()).isEqualTo(ExitCode.OK);
        assertThat(run.out()).startsWith("Usage: hive").contains("Examples:");
        assertThat(run.err()).isEmpty();
    }

    @Test
    void hiveRunRefusesPostgreSqlAndSaysWhatToRunInstead() {
        Run run = hive("run", plan("valid.yaml"), "--db", "postgresql://hive:secret@db.internal:5432/hive");

        assertThat(run.exitCode()).isEqualTo(ExitCode.INVALID);
        assertThat(run.err()).contains("SQLite").contains("hive server --db").contains("hive agent")
                .doesNotContain("secret");
    }

    @Test
    void badDatabaseUrlsAreRefusedWithWhatIsWrong() {
        assertThat(hive("server", "--db", "postgresql://db.internal:5432", "--port", "0").err())
                .contains("names no database");
        assertThat(hive("server", "--db", "mysql://x", "--port", "0").err()).contains("sqlite:PATH")
                .contains("postgresql://");
        assertThat(hive("server", "--db", "postgresql://h/db", "--pool-size", "1").err())
                .contains("--pool-size must be between 2 and 1000");
    }

    @Test
    void versionIsDevWhenRunFromClasses() {
        assertThat(hive("--version").out().strip()).isEqualTo("hive dev");
    }
}
