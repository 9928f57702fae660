package hive.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import hive.Hive;
import hive.Hives;
import hive.TestClock;
import hive.agents.Registration;
import hive.schedule.Task;
import hive.schedule.TaskState;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading tasks back from the file: derived states, and how SQLite is asked for them. */
class SqliteReaderTest {

    @TempDir
    Path dir;

    /**
     * The open dependencies of each task read are found by one key lookup per dependency. The plan
     * SQLite chose for the plain JOIN scanned the swarm's tasks for every task read instead (a
     * 10,000-task swarm took 25 s to read; now 10 ms), which only shows on large swarms.
     */
    @Test
    void readingALargeSwarmLooksUpEachDependency() throws Exception {
        StringBuilder plan = new StringBuilder("name: wide\ntasks:\n");
        for (int i = 0; i < 300; i++) {
            plan.append("  - id: t").append(i).append(i == 0 ? "\n" : "\n    depends_on: [t" + (i - 1) + "]\n");
        }
        try (Hive hive = Hives.open(dir, new TestClock())) {
            hive.createSwarm(Hives.yaml(plan.toString()));
        }
        List<String> steps = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("hive.db"));
                PreparedStatement explain = c.prepareStatement("EXPLAIN QUERY PLAN SELECT " + SqliteRows.TASK_COLUMNS
                        + " FROM tasks WHERE swarm_id = ? ORDER BY pk")) {
            explain.setString(1, "any");
            try (ResultSet rs = explain.executeQuery()) {
                while (rs.next()) {
                    steps.add(rs.getString("detail"));
                }
            }
        }
        assertThat(steps).as("the query plan").anyMatch(s -> s.startsWith("SEARCH p USING INDEX")
                && s.contains("(swarm_id=? AND id=?)"));
        assertThat(steps).as("the query plan").noneMatch(s -> s.startsWith("SCAN p")
                || (s.startsWith("SEARCH p") && s.endsWith("(swarm_id=?)")));
    }

    @Test
    void derivedStatesCountOnlyDependenciesNotCompleted() {
        try (Hive hive = Hives.open(dir, new TestClock())) {
            String swarm = hive.createSwarm(Hives.yaml("""
                    name: chain
                    tasks:
                      - id: a
                      - id: b
                      - id: c
                        depends_on: [a, b]
                    """)).id();
            hive.register(new Registration("w", null, Set.of(), 1, List.of()));
            Task a = hive.claim("w", swarm).orElseThrow();
            hive.complete(swarm, a.id(), "w", null);

            Map<String, TaskState> states = hive.tasks(swarm).stream()
                    .collect(Collectors.toMap(Task::id, Task::status));
            String other = a.id().equals("a") ? "b" : "a";
            assertThat(states).containsExactlyInAnyOrderEntriesOf(Map.of(a.id(), TaskState.COMPLETED,
                    other, TaskState.READY, "c", TaskState.PENDING));
        }
    }
}
