package hive.cli.run;

import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
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

    /**
     * The process group {@code pgid}, whose leader {@code setsid} made a session leader. {@code
     * fallback} (null when the leader is gone) is used when no {@code kill} process can be
     * started; {@code startNanos} is when the group began, for {@link ProcTable#anyInGroup}.
     */
    record Session(long pgid, Tree fallback, long startNanos) implements ProcessGroup {

        /** Signals the group through the shell's {@code kill}; the tree when no process can be started. */
        Session(ProcessHandle leader) {
            this(leader.pid(), new Tree(leader), System.nanoTime());
        }

        /**
         * The group of an attempt whose {@code hive} died, led by {@code leader} if it still runs.
         * Not recent: the pid counter may have wrapped since it began, so every pid is looked at.
         */
        static Session leftover(long pgid, Optional<ProcessHandle> leader) {
            return new Session(pgid, leader.map(Tree::new).orElse(null), System.nanoTime() - ProcTable.RECENT_NANOS);
        }

        private boolean anyInGroup() {
            return ProcTable.anyInGroup(pgid, System.nanoTime() - startNanos < ProcTable.RECENT_NANOS);
        }

        @Override
        public boolean signal(Signal signal) throws InterruptedException {
            if (ProcTable.AVAILABLE && !anyInGroup()) {
                return false; // the common end of an attempt: nothing left, no kill process needed
            }
            return kill(signal.name()).orElseGet(() -> fallback != null && fallback.signal(signal));
        }

        @Override
        public boolean isAlive() throws InterruptedException {
            if (ProcTable.AVAILABLE) {
                return anyInGroup();
            }
            return kill("0").orElseGet(() -> fallback != null && fallback.isAlive());
        }

        /** Whether {@code kill} found a process of the group; empty when it could not be run. */
        private Optional<Boolean> kill(String signal) throws InterruptedException {
            return signalGroup(pgid, signal);
        }

        /**
         * Sends {@code signal} ({@code TERM}, {@code KILL}, {@code 0}) to process group {@code
         * pgid} with the shell's {@code kill}: whether a process of it was found; empty when no
         * process can be started.
         */
        private static Optional<Boolean> signalGroup(long pgid, String signal) throws InterruptedException {
            Process kill;
            try {
                kill = new ProcessBuilder("sh", "-c", "kill -s " + signal + " -- -" + pgid)
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

        /**
         * Within this long of a group's creation, the pid counter cannot have gone all the way
         * around: that takes pid_max process starts (32,768 at the least), over 16,000 a second.
         */
        static final long RECENT_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(2);

        private static final File LAST_PID = new File("/proc/sys/kernel/ns_last_pid");

        /**
         * Whether a live process has {@code pgid} as its process group id: reads {@code
         * /proc/<pid>/stat} of each process. A member of the group was started after its leader,
         * so its pid is the leader's or above, unless the pid counter went around meanwhile: when
         * the group is {@code recent} and the counter ({@code ns_last_pid}) is still at or above
         * the leader's pid, only those pids are read (a handful, instead of every process of the
         * machine; each read is three system calls).
         */
        static boolean anyInGroup(long pgid, boolean recent) {
            String[] names = PROC.list();
            if (names == null) {
                return true; // cannot tell: the caller signals, which settles it
            }
            long from = recent && lastPid() >= pgid ? pgid : 0;
            byte[] buffer = new byte[512];
            for (String name : names) {
                long pid = pid(name);
                if (pid >= from && pid > 0 && inGroup("/proc/" + name + "/stat", pgid, buffer)) {
                    return true;
                }
            }
            return false;
        }

        /** The pid a name of {@code /proc} stands for; -1 for other entries. */
        private static long pid(String name) {
            long pid = 0;
            for (int i = 0; i < name.length(); i++) {
                char c = name.charAt(i);
                if (c < '0' || c > '9') {
                    return -1;
                }
                pid = pid * 10 + (c - '0');
            }
            return name.isEmpty() ? -1 : pid;
        }

        /** The last pid the kernel handed out in this pid namespace; -1 when unknown. */
        private static long lastPid() {
            byte[] buffer = new byte[32];
            int length;
            try (FileInputStream in = new FileInputStream(LAST_PID)) {
                length = in.readNBytes(buffer, 0, buffer.length);
            } catch (IOException e) {
                return -1;
            }
            long pid = 0;
            int digits = 0;
            for (int i = 0; i < length && buffer[i] >= '0' && buffer[i] <= '9'; i++, digits++) {
                pid = pid * 10 + (buffer[i] - '0');
            }
            return digits == 0 ? -1 : pid;
        }

        private static final File PROC = new File("/proc");

        /**
         * {@code pid (comm) state ppid pgrp ...}: the fields after the last ')' (comm may hold
         * spaces and parentheses). Read into {@code buffer}, parsed as bytes: this runs once per
         * process of the machine at the end of every attempt.
         */
        private static boolean inGroup(String stat, long pgid, byte[] buffer) {
            int length;
            try (FileInputStream in = new FileInputStream(stat)) {
                length = in.readNBytes(buffer, 0, buffer.length);
            } catch (IOException e) {
                return false; // the process ended while the table was read: not in it
            }
            int end = length - 1;
            while (end >= 0 && buffer[end] != ')') {
                end--;
            }
            int at = end + 2; // the state
            if (end < 0 || at >= length || buffer[at] == 'Z' || buffer[at] == 'X') {
                return false;
            }
            int field = 0;
            while (at < length && field < 2) { // skip the state and the ppid
                if (buffer[at++] == ' ') {
                    field++;
                }
            }
            long value = 0;
            int digits = 0;
            while (at < length && buffer[at] >= '0' && buffer[at] <= '9') {
                value = value * 10 + (buffer[at++] - '0');
                digits++;
            }
            return digits > 0 && value == pgid;
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
