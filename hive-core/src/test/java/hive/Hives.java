package hive;

import hive.plan.PlanFormat;
import hive.plan.Plans;
import hive.plan.Plan;
import hive.store.Durability;
import hive.store.sqlite.SqliteStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;

/** Test fixtures: a Hive on a real SQLite file with a hand-moved clock and no background sweep. */
public final class Hives {

    private Hives() {
    }

    public static Hive open(Path dir, TestClock clock) {
        return Hive.open(SqliteStore.open(dir.resolve("hive.db"), Durability.NORMAL), clock, new Random(42),
                Duration.ZERO);
    }

    public static Plan yaml(String text) {
        return Plans.parse(text, PlanFormat.YAML);
    }
}
