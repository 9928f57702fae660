package hive.cli.run;

import java.util.Optional;

/** Told what each attempt of a {@link Crew}'s workers did; called on the worker's thread. */
public interface AttemptListener {

    /** The attempt's process started. */
    default void started(String agentId, Assignment task, TaskProcess attempt) {}

    /**
     * The attempt ended (or could not start: {@code result} empty), and was reported: {@code
     * outcome} is {@code completed} or the first line of its error.
     */
    default void ended(String agentId, Assignment task, Optional<AttemptResult> result, String outcome,
            WorkSource.Report report) {}
}
