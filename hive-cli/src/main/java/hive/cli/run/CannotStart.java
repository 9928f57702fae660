package hive.cli.run;

/**
 * A task's command could not be started at all: its working directory is missing, its log file
 * cannot be written, or {@code sh} cannot be run. The message says which, in one line fit for a
 * task's error; when the log file could be opened, the same line is written to it.
 */
public final class CannotStart extends Exception {

    private static final long serialVersionUID = 1L;

    CannotStart(String message, Throwable cause) {
        super(message, cause);
    }
}
