package hive.cli.run;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

/**
 * The processes of one attempt, as one thing to signal. Two kinds:
 * <ul>
 *   <li>{@link Session}: the command was started through {@code setsid}, so its shell leads a
 *       process group of its own (its pid is the group id: a child of the JVM is never a group
 *       leader, so {@code setsid} does not fork) that every process it starts joins, even one
 *       that outlives the shell or double-forks; the group is signalled with the shell's {@code
 *       kill -s SIG -- -PGID}, and on Linux looked up in {@code /proc} to see whether it has a
 *       member left (no process started when it has none). Only a process that makes a session of its own (a daemon calling
 *       {@code setsid}) leaves it.
 *   <li>{@link Tree}: no {@code setsid} on the PATH; the shell and its descendants, as {@link
 *       ProcessHandle} sees them when signalled. A process whose parent has already exited is no
 *       longer anyone's descendant, so one that escaped by double-forking, or was left behind by
 *       a shell that has exited, is missed.
 * </ul>
 * Thread-safe: several threads may signal one group at once.
 */
sealed interface ProcessGroup {

    /** The two signals an attempt's processes get. */
    enum Signal { TERM, KILL }

    /**
     * Sends the signal to every process of the group still there.
     *
     * @return whether there was any process to signal
     */
    boolean signal(Signal signal) throws InterruptedException;

    /**
     * Whether any process of the group is still there. A zombie (exited, not yet reaped by its
     * new parent) may count as there for a {@link Session}.
     */
    boolean isAlive() throws InterruptedException;

    /** A process group led by {@code leader}, which {@code setsid} made a session leader. */
    record Session(ProcessHandle leader, Tree fallback) implements ProcessGroup {

        /** Signals the group through the shell's {@code kill}; the tree when no process can be started. */
        Session(ProcessHandle leader) {
            this(leader, new Tree(leader));
        }

        @Override
        public boolean signal(Signal signal) throws InterruptedException {
            if (ProcTable.AVAILABLE && !ProcTable.anyInGroup(leader.pid())) {
                return false; // the common end of an attempt: nothing left, no kill process needed
            }
            return kill(signal.name()).orElseGet(() -> fallback.signal(signal));
        }

        @Override
        public boolean isAlive() throws InterruptedException {
            if (ProcTable.AVAILABLE) {
                return ProcTable.anyInGroup(leader.pid());
            }
            return kill("0").orElseGet(fallback::isAlive);
        }

        /** Whether {@code kill} found a process of the group; empty when it could not be run. */
        private Optional<Boolean> kill(String signal) throws InterruptedException {
            Process kill;
            try {
                kill = new ProcessBuilder("sh", "-c", "kill -s " + signal + " -- -" + leader.pid())
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .redirectError(ProcessBuilder.Redirect.DISCARD)
                        .start();
            } catch (IOException cannotFork) {
                return Optional.empty();
            }
            return Optional.of(kill.waitFor() == 0);
        }
    }

    /**
     * Linux's process table under {@code /proc}, read to tell whether a process group still has a
     * member without starting a {@code kill} process (a fork and exec: milliseconds, once or twice
     * per attempt). A zombie (exited, waiting for its parent to reap it) is not counted: it runs
     * nothing and writes nothing.
     */
    final class ProcTable {

        static final boolean AVAILABLE = Files.isReadable(Path.of("/proc/self/stat"));

        private ProcTable() {}

        /** Whether a live process has {@code pgid} as its process group id. Reads each {@code /proc/<pid>/stat}. */
        static boolean anyInGroup(long pgid) {
            try (DirectoryStream<Path> pids = Files.newDirectoryStream(Path.of("/proc"),
                    entry -> Character.isDigit(entry.getFileName().toString().charAt(0)))) {
                for (Path pid : pids) {
                    if (inGroup(pid.resolve("stat"), pgid)) {
                        return true;
                    }
                }
                return false;
            } catch (IOException | UncheckedIOException e) {
                return true; // cannot tell: the caller signals, which settles it
            }
        }

        /** {@code pid (comm) state ppid pgrp ...}; comm may hold spaces and parentheses, so parse from the last ')'. */
        private static boolean inGroup(Path stat, long pgid) {
            String line;
            try {
                line = new String(Files.readAllBytes(stat), StandardCharsets.ISO_8859_1);
            } catch (IOException e) {
                return false; // the process ended while the table was read: not in it
            }
            int end = line.lastIndexOf(')');
            if (end < 0 || end + 2 >= line.length()) {
                return false;
            }
            String[] fields = line.substring(end + 2).split(" ", 4);
            return fields.length >= 3 && !fields[0].equals("Z") && fields[2].equals(Long.toString(pgid));
        }
    }

    /**
     * The root process and its descendants. Every process seen once is remembered, so a child
     * whose shell died of SIGTERM still gets the SIGKILL that follows.
     */
    final class Tree implements ProcessGroup {

        private final ProcessHandle root;
        /** Every process seen in the tree; guarded by {@code this}. */
        private final Set<ProcessHandle> seen = new LinkedHashSet<>();

        Tree(ProcessHandle root) {
            this.root = root;
        }

        @Override
        public synchronized boolean signal(Signal signal) {
            boolean any = false;
            for (ProcessHandle process : look()) {
                if (process.isAlive()) {
                    any = true;
                    if (signal == Signal.KILL) {
                        process.destroyForcibly();
                    } else {
                        process.destroy();
                    }
                }
            }
            return any;
        }

        @Override
        public synchronized boolean isAlive() {
            return look().stream().anyMatch(ProcessHandle::isAlive);
        }

        private Set<ProcessHandle> look() {
            seen.add(root);
            root.descendants().forEach(seen::add);
            return seen;
        }
    }
}
