package hive.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The acceptance test of the shell-agent commands: a POSIX sh script starts {@code hive server},
 * creates a swarm with {@code hive swarm create}, takes every task of a three-task chain with
 * {@code hive task claim --register}, locks, lists and releases a file for each with
 * {@code hive lock}, completes it with {@code hive task complete}, checks {@code hive status}, and
 * stops the server. Only the packaged jar and sh are used (no curl).
 */
class ShellScriptIT {

    private static final Path JAR = Path.of(System.getProperty("hive.jar", "target/hive.jar")).toAbsolutePath();
    private static final String JAVA = ProcessHandle.current().info().command().orElseThrow();

    private static final String PLAN = """
            name: shell chain
            tasks:
              - id: a
              - id: b
                depends_on: [a]
              - id: c
                depends_on: [b]
            """;

    private static final String SCRIPT = """
            #!/bin/sh
            set -eu
            hive() { "$HIVE_JAVA" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -jar "$HIVE_JAR" "$@"; }

            # not through the function: $! must be the server's JVM itself
            "$HIVE_JAVA" -XX:+UseSerialGC -jar "$HIVE_JAR" server --port 0 --db "sqlite:$PWD/hive.db" \
              > server.out 2> server.err &
            SERVER_PID=$!
            echo "$SERVER_PID" > server.pid
            i=0
            until grep -q 'listening on' server.out 2>/dev/null; do
              i=$((i + 1))
              if [ "$i" -gt 600 ] || ! kill -0 "$SERVER_PID" 2>/dev/null; then
                echo "the server did not start" >&2; cat server.err >&2; exit 1
              fi
              sleep 0.1
            done
            HIVE_SERVER=$(sed -n 's/.*listening on \\([^ ]*\\).*/\\1/p' server.out)
            export HIVE_SERVER
            echo "server $HIVE_SERVER"

            SWARM=$(hive swarm create plan.yaml)
            echo "swarm $SWARM"
            for round in 1 2 3; do
              NEXT=$(hive task claim --register --agent w1 --swarm "$SWARM" --wait 5)
              set -- $NEXT
              TOKEN=$(hive lock acquire "notes/$1.txt" --agent w1 --task "$1")
              echo "claimed $1 in $2 token $TOKEN"
              if hive lock acquire "notes/$1.txt" --agent w2 2> refused.err; then
                echo "w2 got a lock w1 holds" >&2; exit 1
              fi
              echo "refused: $(head -n 1 refused.err)"
              hive lock list | sed 's/^/lock /'
              echo "$1 done by w1" >> work.log
              hive lock release "notes/$1.txt" --agent w1 > /dev/null
              hive task complete "$2" "$1" --agent w1 --result "did $1"
            done
            if hive task claim --agent w1 --swarm "$SWARM" 2> /dev/null; then
              echo "a fourth task" >&2; exit 1
            fi
            echo "nothing left"
            echo "locks left: $(hive lock list | wc -l | tr -d ' ')"
            hive status "$SWARM"
            hive status

            kill "$SERVER_PID"
            wait "$SERVER_PID" || true
            echo "server stopped"
            """;

    @TempDir
    Path folder;

    private Process script;

    /** Processes started for this test: their command line names its folder (the server's --db). */
    private List<ProcessHandle> startedHere() {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains(folder.toString())).orElse(false))
                .toList();
    }

    @AfterEach
    void leaveNothingRunning() throws IOException {
        startedHere().forEach(ProcessHandle::destroyForcibly);
        if (script != null) {
            script.descendants().forEach(ProcessHandle::destroyForcibly);
            script.destroyForcibly();
        }
        Path pid = folder.resolve("server.pid");
        if (Files.exists(pid)) {
            String text = Files.readString(pid).strip();
            if (!text.isEmpty()) {
                ProcessHandle.of(Long.parseLong(text)).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }

    @Test
    void aShellScriptDrivesASwarmEndToEnd() throws Exception {
        // given
        Files.writeString(folder.resolve("plan.yaml"), PLAN);
        Files.writeString(folder.resolve("agent.sh"), SCRIPT);
        ProcessBuilder builder = new ProcessBuilder("sh", "agent.sh").directory(folder.toFile());
        builder.environment().put("HIVE_JAVA", JAVA);
        builder.environment().put("HIVE_JAR", JAR.toString());
        builder.environment().remove("HIVE_SERVER");
        builder.environment().remove("HIVE_TOKEN");

        // when
        script = builder.start();
        script.getOutputStream().close();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(script.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(script.getErrorStream()));
        assertThat(script.waitFor(180, TimeUnit.SECONDS)).as("the script finished in time").isTrue();

        // then
        String stdout = out.get(10, TimeUnit.SECONDS);
        String stderr = err.get(10, TimeUnit.SECONDS);
        assertThat(script.exitValue()).as("stdout:%n%s%nstderr:%n%s", stdout, stderr).isZero();
        List<String> lines = stdout.lines().toList();
        String swarm = lines.stream().filter(l -> l.startsWith("swarm ")).findFirst().orElseThrow().substring(6);
        assertThat(swarm).matches("sw_\\S+");

        List<String> claimed = lines.stream().filter(l -> l.startsWith("claimed ")).toList();
        assertThat(claimed).hasSize(3);
        long previous = 0;
        for (int i = 0; i < 3; i++) {
            String task = List.of("a", "b", "c").get(i);
            assertThat(claimed.get(i)).as("the chain in order").startsWith("claimed " + task + " in " + swarm
                    + " token ");
            long token = Long.parseLong(claimed.get(i).substring(claimed.get(i).lastIndexOf(' ') + 1));
            assertThat(token).as("fencing tokens grow").isGreaterThan(previous);
            previous = token;
        }
        assertThat(lines).filteredOn(l -> l.startsWith("refused: ")).hasSize(3)
                .allMatch(l -> l.contains("hive lock acquire: refused"));
        String tokenOfA = claimed.get(0).substring(claimed.get(0).lastIndexOf(' ') + 1);
        assertThat(lines).as("hive lock list while a runs")
                .anyMatch(l -> l.matches("lock notes/a\\.txt exclusive w1 " + tokenOfA + " \\d{4}-\\S+Z"));
        assertThat(lines).contains("a completed", "b completed", "c completed", "nothing left", "locks left: 0",
                swarm + " completed 100.0% (3/3 completed, 0 in progress, 0 pending, 0 failed, 0 blocked) shell chain",
                "a completed attempt=1 agent=w1", "b completed attempt=1 agent=w1", "c completed attempt=1 agent=w1",
                swarm + " completed 100.0% shell chain", "server stopped");
        assertThat(Files.readAllLines(folder.resolve("work.log")))
                .containsExactly("a done by w1", "b done by w1", "c done by w1");
        long serverPid = Long.parseLong(Files.readString(folder.resolve("server.pid")).strip());
        assertThat(ProcessHandle.of(serverPid).map(ProcessHandle::isAlive).orElse(false))
                .as("the server was stopped").isFalse();
        assertThat(startedHere()).as("nothing left running").isEmpty();
    }

    private static String read(java.io.InputStream stream) {
        try (stream) {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
