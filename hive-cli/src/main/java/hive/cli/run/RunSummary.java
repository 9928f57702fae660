package hive.cli.run;

import hive.schedule.Task;
import hive.schedule.TaskState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What a run came to, for the summary {@code hive run} prints at the end (CLI.md): each task's
 * state, attempts and duration (its last attempt, start to finish), the counts by state, the wall
 * time from the first start to the last finish, and the critical path: the chain of dependencies
 * that decided when the run ended. It is found backwards from the task that finished last, each
 * step going to the dependency that finished last, so it names what to make faster (or split) to
 * end sooner. Tasks that never finished (failed before starting, blocked, cancelled) are not on
 * it. Immutable.
 */
public record RunSummary(List<Row> rows, Map<TaskState, Integer> counts, Optional<Duration> wall,
        List<String> criticalPath, Optional<Duration> criticalSpan) {

    /** One task's line. {@code duration} is empty for a task that did not both start and finish. */
    public record Row(String id, TaskState state, int attempts, Optional<Duration> duration) {
    }

    public RunSummary {
        rows = List.copyOf(rows);
        counts = Collections.unmodifiableMap(new EnumMap<>(counts));
        criticalPath = List.copyOf(criticalPath);
    }

    /** The summary of {@code tasks}, one swarm's, in the order given. */
    public static RunSummary of(List<Task> tasks) {
        List<Row> rows = new ArrayList<>();
        Map<TaskState, Integer> counts = new EnumMap<>(TaskState.class);
        Instant first = null;
        Instant last = null;
        for (Task task : tasks) {
            rows.add(new Row(task.id(), task.status(), task.attempt(), duration(task)));
            counts.merge(task.status(), 1, Integer::sum);
            if (task.startedAt() != null && (first == null || task.startedAt().isBefore(first))) {
                first = task.startedAt();
            }
            if (task.finishedAt() != null && (last == null || task.finishedAt().isAfter(last))) {
                last = task.finishedAt();
            }
        }
        Optional<Duration> wall = first != null && last != null && !last.isBefore(first)
                ? Optional.of(Duration.between(first, last)) : Optional.empty();
        List<Task> path = criticalPath(tasks);
        Optional<Duration> span = path.isEmpty() || path.getFirst().startedAt() == null ? Optional.empty()
                : Optional.of(Duration.between(path.getFirst().startedAt(), path.getLast().finishedAt()));
        return new RunSummary(rows, counts, wall, path.stream().map(Task::id).toList(), span);
    }

    private static Optional<Duration> duration(Task task) {
        if (task.startedAt() == null || task.finishedAt() == null || task.finishedAt().isBefore(task.startedAt())) {
            return Optional.empty();
        }
        return Optional.of(Duration.between(task.startedAt(), task.finishedAt()));
    }

    /** From the task that finished last back through the dependency that finished last, first task first. */
    private static List<Task> criticalPath(List<Task> tasks) {
        Map<String, Task> byId = new HashMap<>();
        for (Task task : tasks) {
            byId.put(task.id(), task);
        }
        Comparator<Task> byFinish = Comparator.comparing(Task::finishedAt);
        List<Task> path = new ArrayList<>();
        Task at = tasks.stream().filter(t -> t.finishedAt() != null).max(byFinish).orElse(null);
        while (at != null && path.size() <= tasks.size()) { // the bound guards against a cyclic input
            path.add(at);
            at = at.dependsOn().stream().map(byId::get).filter(t -> t != null && t.finishedAt() != null)
                    .max(byFinish).orElse(null);
        }
        Collections.reverse(path);
        return path;
    }

    /**
     * The summary as text: a table of the tasks, a line of counts with the wall time, and the
     * critical path with its span; lines end with {@code \n}.
     */
    public String render() {
        int width = Math.max("TASK".length(), rows.stream().mapToInt(r -> r.id().length()).max().orElse(0));
        StringBuilder out = new StringBuilder();
        String format = "%-" + width + "s  %-11s  %8s  %s%n";
        out.append(String.format(Locale.ROOT, format, "TASK", "STATE", "ATTEMPTS", "DURATION"));
        for (Row row : rows) {
            out.append(String.format(Locale.ROOT, format, row.id(), row.state().wire(), row.attempts(),
                    row.duration().map(RunSummary::human).orElse("-")));
        }
        List<String> parts = new ArrayList<>();
        counts.forEach((state, n) -> parts.add(n + " " + state.wire()));
        out.append(parts.isEmpty() ? "no tasks" : String.join(", ", parts))
                .append(wall.map(w -> " in " + human(w)).orElse("")).append('\n');
        if (!criticalPath.isEmpty()) {
            out.append("critical path: ").append(String.join(" → ", criticalPath))
                    .append(criticalSpan.map(s -> " (" + human(s) + ")").orElse("")).append('\n');
        }
        return out.toString();
    }

    /** {@code 340 ms}, {@code 1.2 s}, {@code 2 m 05 s}, {@code 1 h 02 m}. */
    public static String human(Duration d) {
        long ms = d.toMillis();
        if (ms < 1_000) {
            return ms + " ms";
        }
        if (ms < 60_000) {
            return String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
        }
        long s = ms / 1000;
        if (s < 3600) {
            return String.format(Locale.ROOT, "%d m %02d s", s / 60, s % 60);
        }
        return String.format(Locale.ROOT, "%d h %02d m", s / 3600, (s % 3600) / 60);
    }
}
