package hive.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged {@code hive.jar} and {@code bin/hive} as real processes, on the JDK that runs the
 * tests. Runs after {@code package}, so the jar is fresh and {@code bin/hive} does not rebuild it.
 */
class HiveProcessIT {

    private static final Path JAR = Path.of(System.getProperty("hive.jar", "target/hive.jar")).toAbsolutePath();
    private static final Path ROOT = Path.of(System.getProperty("hive.root", "..")).toAbsolutePath().normalize();
    private static final String JAVA = ProcessHandle.current().info().command().orElseThrow();

    record Run(int exitCode, String out, String err) {}

    static Run run(Path workingDirectory, List<String> command) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(workingDirectory.toFile());
        builder.environment().put("JAVA_HOME", Path.of(JAVA).getParent().getParent().toString());
        builder.environment().remove("HIVE_JAVA_OPTS");
        Process process = builder.start();
        process.getOutputStream().close();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(process.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("%s finished in time", command).isTrue();
        return new Run(process.exitValue(), out.join(), err.join());
    }

    private static String read(java.io.InputStream stream) {
        try (stream) {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static Path copyPlan(Path folder, String name) throws IOException {
        Path copy = folder.resolve(name);
        try (var in = HiveProcessIT.class.getResourceAsStream("/plans/" + name)) {
            Files.copy(in, copy);
        }
        return copy;
    }

    static List<String> jar(String... args) {
        List<String> command = new ArrayList<>(List.of(JAVA, "-jar", JAR.toString()));
        command.addAll(List.of(args));
        return command;
    }

    static List<String> binHive(String... args) {
        List<String> command = new ArrayList<>(List.of(ROOT.resolve("bin/hive").toString()));
        command.addAll(List.of(args));
        return command;
    }

    /** What bin/hive compares with the jar: every pom.xml and everything under a module's src/main/. */
    static List<Path> sourcesNewerThanJar() throws IOException {
        FileTime built = Files.getLastModifiedTime(JAR);
        List<Path> newer = new ArrayList<>();
        try (Stream<Path> modules = Files.list(ROOT)) {
            for (Path module : modules.filter(Files::isDirectory).toList()) {
                for (Path tree : List.of(module.resolve("pom.xml"), module.resolve("src/main"))) {
                    if (Files.exists(tree)) {
                        try (Stream<Path> files = Files.walk(tree)) {
                            files.filter(Files::isRegularFile).filter(file -> isNewer(file, built)).forEach(newer::add);
                        }
                    }
                }
            }
        }
        if (isNewer(ROOT.resolve("pom.xml"), built)) {
            newer.add(ROOT.resolve("pom.xml"));
        }
        return newer;
    }

    private static boolean isNewer(Path file, FileTime than) {
        try {
            return Files.getLastModifiedTime(file).compareTo(than) > 0;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void jarValidatesAPlanAndPrintsNothingElse(@TempDir Path folder) throws Exception {
        // given
        copyPlan(folder, "valid.yaml");

        // when
        Run run = run(folder, jar("plan", "validate", "valid.yaml"));

        // then
        assertThat(run.exitCode()).as(run.err()).isEqualTo(0);
        assertThat(run.out()).isEqualTo("plan 'release' is valid: 4 tasks\n");
        assertThat(run.err()).isEmpty();
    }

    @Test
    void jarRejectsABrokenPlanWithEveryProblemOnStderr(@TempDir Path folder) throws Exception {
        // given
        copyPlan(folder, "broken.yaml");

        // when
        Run run = run(folder, jar("plan", "validate", "broken.yaml"));

        // then
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.out()).isEmpty();
        assertThat(run.err().lines()).containsExactlyInAnyOrder(
                "task 'd': duplicate task id 'd' (first at tasks[3])",
                "task 'd': depends on unknown task 'x'",
                "task 'a': dependency cycle: a → b → c → a");
    }

    @Test
    void jarExitsTwoForAMissingFileAndForBadUsage(@TempDir Path folder) throws Exception {
        Run missing = run(folder, jar("plan", "validate", "nope.yaml"));
        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.err()).isEqualTo("hive: plan file 'nope.yaml' not found\n");

        assertThat(run(folder, jar("plan", "graph", "--format", "png", "x.yaml")).exitCode()).isEqualTo(2);
    }

    @Test
    void jarReportsItsVersionFromTheManifest(@TempDir Path folder) throws Exception {
        Run run = run(folder, jar("--version"));

        assertThat(run.out().strip()).startsWith("hive ").doesNotContain("dev");
    }

    @Test
    void binHiveRunsFromAnyFolderWithPathsRelativeToIt(@TempDir Path folder) throws Exception {
        // given
        copyPlan(folder, "valid.yaml");
        copyPlan(folder, "broken.yaml");
        List<Path> newer = sourcesNewerThanJar();
        boolean jarIsFresh = newer.isEmpty();

        // when
        Run valid = run(folder, binHive("plan", "validate", "valid.yaml"));
        Run broken = run(folder, binHive("plan", "validate", "broken.yaml"));

        // then
        assertThat(valid.exitCode()).as(valid.err()).isEqualTo(0);
        assertThat(valid.out()).isEqualTo("plan 'release' is valid: 4 tasks\n");
        if (jarIsFresh) {
            assertThat(valid.err()).as("no rebuild of a fresh jar, no logs").isEmpty();
        } else {
            assertThat(valid.err()).as("rebuilt for sources edited since packaging: " + newer)
                    .startsWith("hive: building");
        }
        assertThat(broken.exitCode()).isEqualTo(2);
        assertThat(broken.err()).contains("dependency cycle: a → b → c → a");
    }
}
