package hive.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;

/**
 * The observer of {@link ClusterIT} catches what it is there to catch: overlapping paths used at
 * once (a directory and a file in it too) and fencing tokens that do not grow. Without this, a
 * run with no violation could also mean an observer that sees none.
 */
class FencedResourceTest {

    final Queue<String> problems = new ConcurrentLinkedQueue<>();
    final ClusterIT.FencedResource observer = new ClusterIT.FencedResource(problems);

    @Test
    void takesTurnsOnOverlappingPathsWithGrowingTokensAsTheyShould() {
        observer.enter("a1", "t1", List.of("docs/", "README.md"), 5);
        observer.enter("a2", "t2", List.of("src/core/c01.ts"), 6);
        observer.exit("a1", "t1", List.of("docs/", "README.md"));
        observer.enter("a2", "t3", List.of("docs/d1.md"), 7);
        observer.exit("a2", "t3", List.of("docs/d1.md"));
        observer.enter("a3", "t4", List.of("docs/d1.md"), 8);

        assertThat(observer.violations()).isEmpty();
        assertThat(problems).isEmpty();
        assertThat(observer.enters()).isEqualTo(4);
        assertThat(observer.handovers()).as("t3 after t1's docs/, t4 after t3 and t1").isEqualTo(2);
        assertThat(observer.nestedHandovers()).as("docs/d1.md after docs/, twice").isEqualTo(2);
        assertThat(observer.highestToken()).isEqualTo(8);
    }

    @Test
    void reportsAFileEnteredWhileAnotherAgentIsInsideItsDirectory() {
        observer.enter("a1", "t1", List.of("docs/"), 5);
        observer.enter("a2", "t2", List.of("docs/d1.md"), 6);

        assertThat(observer.violations()).singleElement().asString()
                .isEqualTo("a2 entered docs/d1.md for task t2 with token 6 while a1 is inside docs/ for task t1 "
                        + "(token 5)");
        assertThat(problems).hasSize(1);
    }

    @Test
    void reportsATokenNotAboveOneSeenBeforeOnAnOverlappingPath() {
        observer.enter("a1", "t1", List.of("src/api/a1.ts"), 9);
        observer.exit("a1", "t1", List.of("src/api/a1.ts"));
        observer.enter("a2", "t2", List.of("src/api/"), 9);

        assertThat(observer.violations()).singleElement().asString()
                .isEqualTo("a2 entered src/api/ for task t2 with token 9, not above token 9 that a1 used on "
                        + "src/api/a1.ts for task t1");
    }

    @Test
    void reportsLeavingAPathNotEntered() {
        observer.enter("a1", "t1", List.of("docs/d1.md"), 3);
        observer.exit("a2", "t1", List.of("docs/d1.md"));

        assertThat(observer.violations()).containsExactly("a2 left docs/d1.md for task t1, which it was not inside");
    }

    @Test
    void thePlanIsTheSameForTheSameSeedAndContendsForPaths() throws Exception {
        String plan = ClusterIT.plan(new Random(1));

        assertThat(ClusterIT.plan(new Random(1))).isEqualTo(plan);
        assertThat(plan).contains("\"docs/\"").contains("\"depends_on\"");
    }
}
