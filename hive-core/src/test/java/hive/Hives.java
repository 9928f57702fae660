package hive;

import hive.plan.Plan;
import hive.plan.PlanFormat;
import hive.plan.Plans;
import hive.store.Durability;
import hive.store.Store;
import hive.store.postgres.PostgresStore;
import hive.store.postgres.PostgresUrl;
import hive.store.sqlite.SqliteStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;

/**
 * Test fixtures: a Hive with a hand-moved clock and no background sweep, on a real store: a SQLite
 * file in the test's folder, or, when the run selects PostgreSQL ({@link TestPostgres#selected}),
 * the folder's own database on the embedded server. The engine suites run on both.
 */
public final class Hives {

    private Hives() {
    }

    public static Hive open(Path dir, TestClock clock) {
        return Hive.open(store(dir), clock, new Random(42), Duration.ZERO);
    }

    /** The store of {@code dir}: opened again on the same data when asked again for the same folder. */
    public static Store store(Path dir) {
        if (TestPostgres.selected()) {
            // cloned from the migrated template, or emptied: the schema is current
            return PostgresStore.open(PostgresUrl.parse(TestPostgres.databaseFor(dir)), 4, false);
        }
        return SqliteStore.open(dir.resolve("hive.db"), Durability.NORMAL);
    }

    public static Plan yaml(String text) {
        return Plans.parse(text, PlanFormat.YAML);
    }
}
