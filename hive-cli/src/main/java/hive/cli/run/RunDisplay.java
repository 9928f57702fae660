package hive.cli.run;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import hive.events.Event;
import hive.schedule.Progress;
import hive.schedule.Task;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * What {@code hive run} shows while it runs, fed with the swarm's events in order ({@link #event})
 * and, a few times a second, its progress and running tasks ({@link #tick}). Three kinds:
 * {@linkplain #plain plain lines} (one per start, completion, failure, block, requeue), {@linkplain
 * #json JSON lines} (every event as the API's event stream shows it) and, on a terminal, a
 * {@linkplain #live live display}: the same lines for what finished, under them a progress bar
 * with counts by state and the running tasks with their elapsed time, redrawn in place.
 *
 * <p>Used by one thread at a time.
 */
public abstract sealed class RunDisplay {

    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss")
            .withZone(ZoneId.systemDefault());

    final PrintWriter out;

    private RunDisplay(PrintWriter out) {
        this.out = out;
    }

    /** One line per event that matters to a person. {@code logFile} names an attempt's log. */
    public static RunDisplay plain(PrintWriter out, LogFiles logFile) {
        return new Lines(out, logFile);
    }

    /** One JSON object per line: each event ({@code seq, type, swarm_id, task_id?, agent_id?, at, ...}). */
    public static RunDisplay json(PrintWriter out, Function<Event, Map<String, Object>> view, ObjectMapper mapper) {
        return new Json(out, view, mapper);
    }

    /**
     * Lines for what ends, and a progress footer redrawn in place (ANSI escapes), each of its lines
     * cut to fit a terminal {@code width} columns wide.
     */
    public static RunDisplay live(PrintWriter out, LogFiles logFile, int width) {
        return new Live(out, logFile, width);
    }

    /** The log file of attempt {@code attempt} of a task. */
    @FunctionalInterface
    public interface LogFiles {
        Path of(String swarmId, String taskId, int attempt);
    }

    /** A new event of the swarm. */
    public abstract void event(Event e);

    /** Whether {@link #tick} draws anything: the caller reads progress and running tasks only then. */
    public boolean ticks() {
        return false;
    }

    /** The swarm's progress and its running tasks, now. */
    public void tick(Progress progress, List<Task> running, Instant now) {}

    /** The run is over: the footer, if any, is cleared so the summary follows the last line. */
    public void close() {
        out.flush();
    }

    /** A worker's own note (say, that HiveMind had taken an attempt back). */
    public void note(String line) {
        out.println(line);
        out.flush();
    }

    /** Plain lines, with the agent shown by its short name. */
    private static sealed class Lines extends RunDisplay {

        private final LogFiles logFile;
        private final Map<String, Instant> started = new HashMap<>();

        Lines(PrintWriter out, LogFiles logFile) {
            super(out);
            this.logFile = logFile;
        }

        @Override
        public void event(Event e) {
            String line = line(e);
            if (line != null) {
                print(CLOCK.format(e.at()) + " " + line);
            }
        }

        void print(String line) {
            out.println(line);
            out.flush();
        }

        /** The line for an event, or null for events of no interest here (a task made ready, ...). */
        String line(Event e) {
            Object attempt = e.data().get("attempt");
            return switch (e.type()) {
                case "task_started" -> {
                    started.put(e.taskId(), e.at());
                    yield startLine(e);
                }
                case "task_completed" -> "completed " + e.taskId() + took(e);
                case "task_failed" -> { // a timeout comes as task_timed_out then task_failed: one line
                    String error = headline(String.valueOf(e.data().getOrDefault("error", "")));
                    boolean retry = Boolean.TRUE.equals(e.data().get("will_retry"));
                    String log = attempt instanceof Number n
                            ? " (log: " + logFile.of(e.swarmId(), e.taskId(), n.intValue()) + ")" : "";
                    yield "failed    " + e.taskId() + " attempt " + attempt + ": " + error
                            + (retry ? ", will retry" : "") + log;
                }
                case "task_blocked" -> "blocked   " + e.taskId() + " by " + String.join(", ", names(e.data().get("blocked_by")));
                case "task_requeued" -> "requeued  " + e.taskId() + ": " + e.data().getOrDefault("reason", "its agent left");
                case "task_retried" -> "retrying  " + e.taskId();
                case "swarm_cancelled" -> "swarm cancelled";
                default -> null;
            };
        }

        String startLine(Event e) {
            return "started   " + e.taskId() + " attempt " + e.data().get("attempt") + " on " + shortAgent(e.agentId());
        }

        private String took(Event e) {
            Instant start = started.remove(e.taskId());
            return start == null ? "" : " in " + RunSummary.human(Duration.between(start, e.at()));
        }

        private static List<String> names(Object value) {
            return value instanceof List<?> list ? list.stream().map(String::valueOf).toList() : List.of();
        }
    }

    /** Plain lines for what ends; a footer with progress and running tasks, redrawn. */
    private static final class Live extends Lines {

        private static final int BAR = 20;
        private static final int MAX_RUNNING_SHOWN = 8;
        private final int width;
        private int footerLines;

        Live(PrintWriter out, LogFiles logFile, int width) {
            super(out, logFile);
            this.width = Math.max(20, width);
        }

        @Override
        String startLine(Event e) {
            super.startLine(e);
            return null; // starts are seen in the footer
        }

        @Override
        void print(String line) {
            clearFooter();
            out.println(line);
            out.flush();
        }

        @Override
        public void note(String line) {
            print(line);
        }

        @Override
        public boolean ticks() {
            return true;
        }

        @Override
        public void tick(Progress p, List<Task> running, Instant now) {
            List<String> lines = new ArrayList<>();
            int done = p.completed() + p.failed() + p.blocked() + p.cancelled();
            int filled = p.total() == 0 ? BAR : (int) Math.round(BAR * (double) done / p.total());
            lines.add("[" + "#".repeat(filled) + "-".repeat(BAR - filled) + "] " + done + "/" + p.total()
                    + "  done " + p.completed() + "  running " + p.inProgress() + "  waiting " + p.pending()
                    + "  failed " + p.failed() + "  blocked " + p.blocked());
            running.stream().limit(MAX_RUNNING_SHOWN).forEach(t -> lines.add(String.format("  %-24s %-8s %s",
                    t.id(), shortAgent(t.assignedAgent()),
                    t.startedAt() == null ? "" : RunSummary.human(Duration.between(t.startedAt(), now)))));
            if (running.size() > MAX_RUNNING_SHOWN) {
                lines.add("  … and " + (running.size() - MAX_RUNNING_SHOWN) + " more");
            }
            StringBuilder footer = new StringBuilder();
            for (String line : lines) { // a line wider than the terminal would take two, and the redraw one
                footer.append(line.length() < width ? line : line.substring(0, width - 2) + "…").append('\n');
            }
            clearFooter();
            out.print(footer);
            out.flush();
            footerLines = lines.size();
        }

        @Override
        public void close() {
            clearFooter();
            out.flush();
        }

        private void clearFooter() {
            if (footerLines > 0) {
                out.print("\r\033[" + footerLines + "A\033[J");
                footerLines = 0;
            }
        }
    }

    /** Every event as one line of JSON. */
    private static final class Json extends RunDisplay {

        private final Function<Event, Map<String, Object>> view;
        private final ObjectMapper mapper;

        Json(PrintWriter out, Function<Event, Map<String, Object>> view, ObjectMapper mapper) {
            super(out);
            this.view = view;
            this.mapper = mapper;
        }

        @Override
        public void event(Event e) {
            write(view.apply(e));
        }

        @Override
        public void note(String line) {
            Map<String, Object> note = new LinkedHashMap<>();
            note.put("type", "run_note");
            note.put("message", line);
            write(note);
        }

        /** One object on its own line. */
        public void write(Map<String, Object> object) {
            try {
                out.println(mapper.writeValueAsString(object));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("cannot write " + object.get("type") + " as JSON", e);
            }
            out.flush();
        }
    }

    private static final int MAX_OUTPUT_SHOWN = 120;

    /**
     * An attempt's error in one line: its first line (why it failed), and the last non-blank line
     * of the output that follows it, which usually says what went wrong: {@code exit status 1:
     * TODO left in src/greet.sh}.
     */
    public static String headline(String error) {
        int newline = error.indexOf('\n');
        if (newline < 0) {
            return error;
        }
        String last = error.substring(newline + 1).lines().map(String::strip).filter(l -> !l.isEmpty())
                .reduce((a, b) -> b).orElse("");
        if (last.length() > MAX_OUTPUT_SHOWN) {
            last = last.substring(0, MAX_OUTPUT_SHOWN - 1) + "…";
        }
        return error.substring(0, newline) + (last.isEmpty() ? "" : ": " + last);
    }

    /** A path relative to the working directory when it is below it, for shorter lines. */
    public static Path relative(Path path) {
        Path here = Path.of("").toAbsolutePath();
        return path.startsWith(here) ? here.relativize(path) : path;
    }

    /** {@code run-2} for the worker {@code run-2.sw_…} of {@code hive run}; other ids as they are. */
    static String shortAgent(String agentId) {
        if (agentId == null) {
            return "-";
        }
        int dot = agentId.indexOf(".sw_");
        return dot > 0 ? agentId.substring(0, dot) : agentId;
    }
}
