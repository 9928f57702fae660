package hive.bench;

import hive.Hive;
import hive.agents.AgentProfile;
import hive.plan.Plans;
import hive.schedule.Progress;
import hive.schedule.Task;
import hive.store.Durability;
import hive.store.sqlite.SqliteStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link Hive#progress(String)} on a large swarm (100,000 tasks by default, the random DAG of
 * {@link EngineDrain}) in a SQLite file: once on an idle swarm just created, once on a swarm
 * part-way through (a twentieth of its tasks completed, a few in progress). Progress is read from
 * counters, so both should cost the same as on a 10-task swarm: one read transaction.
 *
 * <p>Each state is set up once per trial on a fresh temp file and deleted after. Run with
 * {@code hive-bench jmh ProgressBenchmark}: four forks (two benchmarks, two modes), each
 * creating its swarm first; about a minute and a half in all.
 */
@BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
public class ProgressBenchmark {

    /** A swarm of {@code tasks} tasks on its own SQLite file; subclasses move it along. */
    @State(Scope.Benchmark)
    public abstract static class SwarmState {

        @Param("100000")
        public int tasks;

        Path dir;
        Hive hive;
        String swarmId;

        @Setup(Level.Trial)
        public void create() throws IOException {
            dir = Files.createTempDirectory("hive-bench-progress-");
            hive = Hive.open(SqliteStore.open(dir.resolve("progress.db"), Durability.NORMAL), InstantSource.system(),
                    new Random(7), Duration.ZERO);
            swarmId = hive.createSwarm(Plans.parse(EngineDrain.planTree("progress", tasks, 7))).id();
            advance();
        }

        /** Brings the swarm to the state measured; nothing by default. */
        void advance() {}

        @TearDown(Level.Trial)
        public void close() {
            if (hive != null) {
                hive.close();
            }
            if (dir != null) {
                EngineDrain.deleteQuietly(dir);
            }
        }
    }

    /** Just created: every task pending or ready. */
    public static class IdleSwarm extends SwarmState {}

    /** A twentieth of the tasks completed, by one agent, and 16 more claimed and left in progress. */
    public static class SwarmUnderWay extends SwarmState {

        @Override
        void advance() {
            AgentProfile worker = AgentProfile.of("worker");
            int done = 0;
            while (done < tasks / 20) {
                Optional<Task> task = hive.claim(worker, swarmId);
                if (task.isEmpty()) {
                    break;
                }
                hive.complete(swarmId, task.get().id(), worker.id(), null);
                done++;
            }
            for (int i = 0; i < 16; i++) {
                hive.claim(AgentProfile.of("holder_" + i), swarmId);
            }
        }
    }

    @Benchmark
    public Progress progressOfIdleSwarm(IdleSwarm state) {
        return state.hive.progress(state.swarmId);
    }

    @Benchmark
    public Progress progressOfSwarmUnderWay(SwarmUnderWay state) {
        return state.hive.progress(state.swarmId);
    }
}
