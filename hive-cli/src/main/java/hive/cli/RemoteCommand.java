package hive.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import hive.client.HiveApiException;
import hive.client.HiveClient;
import hive.client.HiveClientException;
import hive.client.HiveConnectionException;
import hive.client.PlanError;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * A command that talks to a server through {@link HiveClient}: it connects, runs, and turns the
 * failures into messages on stderr and exit codes. An error answer of the server (4xx: bad input,
 * unknown swarm/task/agent, acting for another agent, missing token, state conflict) is exit 2 with
 * its problem detail; no answer at all is exit 2 too, saying the server cannot be reached; a
 * server error (5xx) or an answer the client cannot read is exit 1.
 */
abstract class RemoteCommand implements Callable<Integer> {

    /** The client's records written back as the API's JSON: snake_case, RFC 3339 times. */
    static final ObjectMapper JSON = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    @Spec
    CommandSpec spec;

    @Mixin
    RemoteOptions remote;

    /** Does the command's work; returns its exit code. Client exceptions are handled by {@link #call}. */
    abstract int run(HiveClient client);

    /** Checks the options before anything is sent: throws a {@link ParameterException} (exit 2). */
    void validate() {}

    @Override
    public final Integer call() {
        try {
            validate();
        } catch (InvalidInput e) {
            err().println(name() + ": " + e.getMessage());
            err().flush();
            return ExitCode.INVALID;
        }
        try (HiveClient client = remote.connect(spec)) {
            int code = run(client);
            out().flush();
            return code;
        } catch (HiveApiException e) {
            out().flush();
            return problem(e);
        } catch (HiveConnectionException e) {
            out().flush();
            err().println(name() + ": cannot reach the HiveMind server at " + remote.serverUrl() + " ("
                    + e.getMessage() + "); is 'hive server' running? Set --server or HIVE_SERVER.");
            err().flush();
            return ExitCode.INVALID;
        } catch (HiveClientException e) {
            out().flush();
            err().println(name() + ": " + e.getMessage());
            err().flush();
            return ExitCode.FAILED;
        }
    }

    /** The server's problem on stderr: one line, then one per plan error; exit 2 for 4xx, 1 for 5xx. */
    private int problem(HiveApiException e) {
        PrintWriter err = err();
        String text = e.detail() == null ? "" : e.detail().strip();
        if (!e.errors().isEmpty()) {
            text = text.lines().findFirst().orElse("").strip(); // the errors follow, one per line
        }
        String detail = text.isEmpty() ? "" : ": " + oneLine(text);
        err.println(name() + ": " + e.status() + " " + e.title() + detail);
        e.reason().filter(reason -> !detail.contains(reason)).ifPresent(reason -> err.println("  " + oneLine(reason)));
        for (PlanError error : e.errors()) {
            err.println("  " + describe(error));
        }
        err.flush();
        return e.status() >= 500 ? ExitCode.FAILED : ExitCode.INVALID;
    }

    static String describe(PlanError error) {
        StringBuilder line = new StringBuilder(error.task() == null ? "plan" : "task '" + error.task() + "'");
        if (error.field() != null) {
            line.append(" (").append(error.field()).append(')');
        }
        line.append(": ").append(error.problem() == null ? "invalid" : error.problem());
        if (!error.cycle().isEmpty() && (error.problem() == null || !error.problem().contains("→"))) {
            line.append(": ").append(String.join(" → ", error.cycle()));
        }
        return oneLine(line.toString());
    }

    /** Control characters (from user-given values) become spaces: one terminal line. */
    static String oneLine(String text) {
        return text.replaceAll("\\p{Cntrl}", " ");
    }

    /** {@code hive task claim}: the command's full name, for messages. */
    String name() {
        return spec.qualifiedName();
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    /** Input that cannot be used (a file that cannot be read): its message alone on stderr, exit 2. */
    static final class InvalidInput extends RuntimeException {
        private static final long serialVersionUID = 1L;

        InvalidInput(String message) {
            super(message);
        }
    }

    /** Prints {@code value} as JSON on one line. */
    void printJson(Object value) {
        out().println(toJson(value));
    }

    static String toJson(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new HiveClientException("cannot write the answer as JSON: " + e.getMessage(), e);
        }
    }

    /** Seconds given on the command line as a duration; a usage error outside [min, max]. */
    Duration seconds(String option, double value, double min, double max, boolean minExcluded) {
        boolean ok = (minExcluded ? value > min : value >= min) && value <= max && !Double.isNaN(value);
        if (!ok) {
            throw new ParameterException(spec.commandLine(), option + " must be " + (minExcluded ? "more than " : "at least ")
                    + fmt(min) + " and at most " + fmt(max) + " seconds, got " + fmt(value));
        }
        return Duration.ofMillis(Math.round(value * 1000));
    }

    private static String fmt(double value) {
        return value == Math.rint(value) && !Double.isInfinite(value) ? Long.toString((long) value) : Double.toString(value);
    }
}
