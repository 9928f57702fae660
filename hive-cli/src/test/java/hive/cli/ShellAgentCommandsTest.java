package hive.cli;

import static org.assertj.core.api.Assertions.assertThat;

import hive.Hive;
import hive.server.HiveServer;
import hive.server.ServerConfig;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code hive status}, {@code hive swarm create}, {@code hive task ...} and {@code hive lock ...}
 * in process, against a real server on a random loopback port: their output, their exit codes and
 * their messages for refusals, server errors, bad usage and an unreachable server.
 */
class ShellAgentCommandsTest {

    @TempDir
    static Path dir;
    static HiveServer server;

    record Result(int code, String out, String err) {}

    @BeforeAll
    static void startServer() {
        server = HiveServer.start(Hive.sqlite(dir.resolve("hive.db")), ServerConfig.local(0));
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    static Result withStdin(String stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--server");
        all.add(server.url());
        int code = HiveCommand.commandLine(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintWriter(out, true), new PrintWriter(err, true)).execute(all.toArray(String[]::new));
        return new Result(code, out.toString(), err.toString());
    }

    static Result hive(String... args) {
        return withStdin("", args);
    }

    static String swarm(String plan) {
        Result created = withStdin(plan, "swarm", "create", "-");
        assertThat(created.code()).as(created.err()).isZero();
        return created.out().strip();
    }

    @Test
    void claimsCompletesAndReportsStatus() {
        String id = swarm("{\"name\": \"two\", \"tasks\": [{\"id\": \"a\", \"files\": [\"src/a.txt\"]},"
                + " {\"id\": \"b\", \"depends_on\": [\"a\"]}]}");

        Result unregistered = hive("task", "claim", "--agent", "u1", "--swarm", id);
        assertThat(unregistered.code()).isEqualTo(2);
        assertThat(unregistered.err()).startsWith("hive task claim: 404 ");

        Result claimed = hive("task", "claim", "--register", "--agent", "u1", "--swarm", id);
        assertThat(claimed.code()).as(claimed.err()).isZero();
        assertThat(claimed.out()).isEqualTo("a " + id + "\n");

        Result nothing = hive("task", "claim", "--register", "--agent", "u2", "--swarm", id, "--wait", "0.2");
        assertThat(nothing.code()).isEqualTo(1);
        assertThat(nothing.out()).isEmpty();
        assertThat(nothing.err()).contains("no task for u2");

        Result status = hive("status", id);
        assertThat(status.code()).isZero();
        assertThat(status.out()).isEqualTo(id + " running 0.0% (0/2 completed, 1 in progress, 1 pending, 0 failed,"
                + " 0 blocked) two\na in_progress attempt=1 agent=u1\nb pending attempt=0 agent=-\n");

        Result wrongAgent = hive("task", "complete", id, "a", "--agent", "u2");
        assertThat(wrongAgent.code()).isEqualTo(2);
        assertThat(wrongAgent.err()).startsWith("hive task complete: 403 ");

        Result done = hive("task", "complete", id, "a", "--agent", "u1", "--result", "ok", "--json");
        assertThat(done.code()).isZero();
        assertThat(done.out()).startsWith("{\"id\":\"a\",\"swarm_id\":\"" + id + "\"").contains("\"status\":\"completed\"",
                "\"result\":\"ok\"").endsWith("}\n").hasLineCount(1);

        Result json = hive("task", "claim", "--agent", "u2", "--swarm", id, "--json");
        assertThat(json.out()).contains("\"id\":\"b\"", "\"assigned_agent\":\"u2\"");
        Result failed = hive("task", "fail", id, "b", "--agent", "u2", "--error", "boom", "--no-retry");
        assertThat(failed.code()).isZero();
        assertThat(failed.out()).isEqualTo("b failed attempt=1/1\n");

        Result finished = hive("status", id);
        assertThat(finished.code()).as("a failed swarm").isEqualTo(1);
        assertThat(finished.out()).startsWith(id + " failed 50.0% ");

        Result all = hive("status");
        assertThat(all.code()).isZero();
        assertThat(all.out()).contains(id + " failed 50.0% two\n");
        assertThat(hive("status", "--json").out()).contains("\"id\":\"" + id + "\"", "\"progress\":{");
    }

    @Test
    void locksPrintTheTokenAndExplainRefusals() {
        hive("task", "claim", "--register", "--agent", "l1", "--swarm", swarm("{\"name\": \"l\", \"tasks\": [{\"id\": \"x\"}]}"));
        hive("task", "claim", "--register", "--agent", "l2", "--swarm", "sw_none", "--wait", "0");

        Result granted = hive("lock", "acquire", "docs/", "--agent", "l1", "--workspace", "ws1", "--ttl", "600");
        assertThat(granted.code()).as(granted.err()).isZero();
        assertThat(granted.out()).matches("\\d+\n");
        String token = granted.out().strip();

        Result refused = hive("lock", "acquire", "docs/readme.md", "--agent", "l2", "--workspace", "ws1");
        assertThat(refused.code()).isEqualTo(1);
        assertThat(refused.out()).isEmpty();
        assertThat(refused.err()).contains("refused, held by others", "docs/readme.md: held by l1 (docs/ exclusive) until ");

        Result refusedJson = hive("lock", "acquire", "docs/readme.md", "--agent", "l2", "--workspace", "ws1", "--json");
        assertThat(refusedJson.code()).isEqualTo(1);
        assertThat(refusedJson.out()).startsWith("{\"granted\":false,\"conflicts\":[{\"path\":\"docs/readme.md\"");

        Result list = hive("lock", "list", "--workspace", "ws1");
        assertThat(list.out()).matches("docs/ exclusive l1 " + token + " \\d{4}-\\S+Z\n");

        Result released = hive("lock", "release", "docs/", "--agent", "l1", "--workspace", "ws1");
        assertThat(released.code()).isZero();
        assertThat(released.out()).startsWith("docs/ exclusive l1 " + token + " ");
        assertThat(hive("lock", "list", "--workspace", "ws1").out()).isEmpty();

        Result shared = hive("lock", "acquire", "a.txt", "b.txt", "--agent", "l2", "--mode", "SHARED", "--json");
        assertThat(shared.out()).startsWith("{\"granted\":true,\"token\":").contains("\"mode\":\"shared\"");
        assertThat(hive("lock", "release", "--agent", "l2").out().lines()).hasSize(2);
    }

    @Test
    void refusesBadInputWithExitTwo() throws Exception {
        Result badPlan = withStdin("{\"name\": \"c\", \"tasks\": [{\"id\": \"a\", \"depends_on\": [\"b\"]},"
                + " {\"id\": \"b\", \"depends_on\": [\"a\"]}]}", "swarm", "create", "-");
        assertThat(badPlan.code()).isEqualTo(2);
        assertThat(badPlan.err()).startsWith("hive swarm create: 400 ").contains("\n  task ")
                .contains("a → b → a");

        Path yaml = dir.resolve("plan.yaml");
        Files.writeString(yaml, "name: y\ntasks:\n  - id: t\n");
        Result fromFile = hive("swarm", "create", yaml.toString(), "--json");
        assertThat(fromFile.code()).as(fromFile.err()).isZero();
        assertThat(fromFile.out()).contains("\"name\":\"y\"", "\"tasks\":[{\"id\":\"t\"");

        Result missing = hive("swarm", "create", dir.resolve("nope.yaml").toString());
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("not found").doesNotContain("Usage");

        assertThat(hive("status", "sw_unknown").code()).isEqualTo(2);
        assertThat(hive("task", "claim", "--agent", "x", "--wait", "61").err()).contains("--wait must be");
        assertThat(hive("task", "claim", "--agent", "x", "--wait", "61").code()).isEqualTo(2);
        assertThat(hive("task", "claim").code()).isEqualTo(2);
        assertThat(hive("task", "fail", "sw_x", "t", "--agent", "x").code()).as("--error is required").isEqualTo(2);
        assertThat(hive("lock", "acquire", "a", "--agent", "x", "--mode", "open").code()).isEqualTo(2);
        assertThat(hive("lock", "acquire", "--agent", "x").code()).as("a PATH is required").isEqualTo(2);
        assertThat(hive("lock", "acquire", "/etc/passwd", "--agent", "x").code()).as("absolute path: 400").isEqualTo(2);
        assertThat(hive("lock", "release", "--agent", "x", "--workspace", "w").code()).isEqualTo(2);
        assertThat(hive("lock").code()).isEqualTo(2);
        assertThat(hive("task", "--help").code()).isZero();
    }

    @Test
    void saysWhenTheServerCannotBeReached() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = HiveCommand.commandLine(new ByteArrayInputStream(new byte[0]), new PrintWriter(out, true),
                new PrintWriter(err, true)).execute("status", "--server", "http://127.0.0.1:1");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).startsWith("hive status: cannot reach the HiveMind server at http://127.0.0.1:1");

        int bad = HiveCommand.commandLine(new ByteArrayInputStream(new byte[0]), new PrintWriter(out, true),
                new PrintWriter(err, true)).execute("lock", "list", "--server", "ftp://x");
        assertThat(bad).isEqualTo(2);
    }
}
