package hive.store.sqlite;

import hive.Hive;
import hive.RandomPlans;
import hive.agents.AgentProfile;
import hive.locks.AcquireResult;
import hive.locks.LockPath;
import hive.locks.LockRequest;
import hive.schedule.Task;
import hive.store.Durability;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * The child process of {@link CrashDurabilityTest}: a HiveMind writer that the test kills.
 *
 * <ul>
 * <li>{@code work FILE TASKS AGENTS ACKLOG}: opens a Hive on the SQLite file, creates a random
 *     swarm and lets {@code AGENTS} threads claim, complete and fail its tasks until it is
 *     finished. After each acknowledged operation it prints one line (to standard output, and
 *     appended to the file {@code ACKLOG} with one write, which outlives a kill), for example
 *     {@code ack claim t17 by a3 attempt 1 .}, {@code ack complete t17 by a3 attempt 1 .} or
 *     {@code ack fail t17 by a3 attempt 1 -> ready .}: enough to recompute every task's state.
 *     The trailing {@code .} tells a whole line from one cut short by the kill. Meanwhile one
 *     more thread, agent {@code locker}, cycles over the files {@code locks/f0..f7}: it locks one
 *     ({@code lock locks/f3 token 41 .}, once granted) and, two times in three, releases it again
 *     ({@code unlock locks/f3 .}, once the release returned: applied, maybe not durable).</li>
 * <li>{@code hold FILE}: opens the store, prints {@code open PID .}, and keeps it open until its
 *     standard input ends; then closes it and prints {@code closed .}.</li>
 * </ul>
 * Nothing else goes to standard output (logs go to standard error).
 */
public final class CrashWorker {

    /** Seed of the worker's plan: the test rebuilds the same plan to know its dependencies. */
    static final long PLAN_SEED = 424242L;
    static final int MAX_ATTEMPTS = 3;

    private static final PrintStream OUT = System.out;
    private static FileOutputStream ackLog;

    private CrashWorker() {
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[1]);
        switch (args[0]) {
            case "work" -> {
                ackLog = new FileOutputStream(args[4], true);
                work(file, Integer.parseInt(args[2]), Integer.parseInt(args[3]));
            }
            case "hold" -> hold(file);
            default -> throw new IllegalArgumentException("unknown mode " + args[0]);
        }
    }

    private static void work(Path file, int tasks, int agents) throws InterruptedException {
        Hive hive = Hive.open(SqliteStore.open(file, Durability.NORMAL), InstantSource.system(), new Random(1),
                Duration.ZERO);
        String swarmId = hive.createSwarm(RandomPlans.dag("crash", tasks, 3, PLAN_SEED, MAX_ATTEMPTS)).id();
        emit("swarm " + swarmId + " tasks " + tasks);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < agents; i++) {
            AgentProfile agent = AgentProfile.of("a" + i);
            Random random = new Random(i);
            threads.add(Thread.ofPlatform().name("agent-" + agent.id()).start(() -> agent(hive, swarmId, agent,
                    random)));
        }
        AtomicBoolean finished = new AtomicBoolean();
        Thread locker = Thread.ofPlatform().name("locker").start(() -> locker(hive, finished));
        for (Thread thread : threads) {
            thread.join();
        }
        finished.set(true);
        locker.join();
        emit("done");
        hive.close();
    }

    /** Claims; then completes (80 %), fails with a retry (17 %) or fails for good (3 %). */
    private static void agent(Hive hive, String swarmId, AgentProfile agent, Random random) {
        while (true) {
            Optional<Task> claimed = hive.claim(agent, swarmId);
            if (claimed.isEmpty()) {
                if (hive.swarm(swarmId).status().isFinished()) {
                    return;
                }
                LockSupport.parkNanos(500_000);
                continue;
            }
            Task task = claimed.get();
            String who = task.id() + " by " + agent.id() + " attempt " + task.attempt();
            emit("ack claim " + who);
            int roll = random.nextInt(100);
            if (roll < 80) {
                hive.complete(swarmId, task.id(), agent.id(), "result of " + task.id() + " #" + task.attempt());
                emit("ack complete " + who);
            } else {
                Task failed = hive.fail(swarmId, task.id(), agent.id(), "failure of " + task.id() + " #"
                        + task.attempt(), roll < 97);
                emit("ack fail " + who + " -> " + failed.status().wire());
            }
        }
    }

    /** Locks and releases files as agent {@code locker} until {@code finished}. */
    private static void locker(Hive hive, AtomicBoolean finished) {
        for (int i = 0; !finished.get(); i++) {
            String path = "locks/f" + (i % 8);
            AcquireResult result = hive.acquire(LockRequest.exclusive("locker", path));
            if (!(result instanceof AcquireResult.Granted granted)) {
                throw new IllegalStateException("the locker was refused " + path + ": " + result);
            }
            emit("lock " + path + " token " + granted.token());
            if (i % 3 != 0) {
                hive.release("locker", LockRequest.DEFAULT_WORKSPACE, List.of(LockPath.parse(path)));
                emit("unlock " + path);
            }
            LockSupport.parkNanos(200_000);
        }
    }

    private static void hold(Path file) throws IOException {
        try (SqliteStore store = SqliteStore.open(file, Durability.NORMAL)) {
            emit("open " + ProcessHandle.current().pid() + " " + store.file());
            while (System.in.read() != -1) {
                // hold the store until the test closes our standard input
            }
        }
        emit("closed");
    }

    private static void emit(String line) {
        synchronized (OUT) {
            OUT.println(line + " .");
            OUT.flush();
            if (ackLog != null) {
                try {
                    ackLog.write((line + " .\n").getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
    }
}
