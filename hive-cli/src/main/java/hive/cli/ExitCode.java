package hive.cli;

/**
 * The exit codes of every {@code hive} command, as {@code CLI.md} defines them. picocli's own code
 * for a usage error ({@link picocli.CommandLine.ExitCode#USAGE}) is {@link #INVALID} too.
 */
final class ExitCode {

    /** The command did what was asked. */
    static final int OK = 0;

    /** The work failed: a task failed or was blocked. */
    static final int FAILED = 1;

    /** Bad usage or invalid input; the message is on stderr. */
    static final int INVALID = 2;

    /** Interrupted (Ctrl-C, SIGTERM): 128 + SIGINT, as a shell reports it. */
    static final int INTERRUPTED = 130;

    private ExitCode() {}
}
