package hive;

import hive.agents.AgentProfile;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fixture of the engine's example tests: a fresh {@link Hive} on a real store ({@link Hives}:
 * a SQLite file in a temporary folder, or a PostgreSQL database of its own), a clock moved by
 * hand, no background sweep.
 */
public abstract class EngineTest {

    @TempDir
    protected Path dir;
    protected final TestClock clock = new TestClock();
    protected final AgentProfile alice = AgentProfile.of("alice");
    protected Hive hive;

    @BeforeEach
    void openHive() {
        hive = Hives.open(dir, clock);
    }

    @AfterEach
    void closeHive() {
        hive.close();
    }

    /** Creates a swarm from a YAML plan and returns its id. */
    protected String swarm(String yaml) {
        return hive.createSwarm(Hives.yaml(yaml)).id();
    }
}
