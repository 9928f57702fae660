package hive.plan;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DidYouMeanTest {

    @ParameterizedTest(name = "{0} → {1}")
    @CsvSource({
        "dependencies, depends_on",
        "deps,         depends_on",
        "needs,        depends_on",
        "after,        depends_on",
        "DependsOn,    depends_on",
        "depends-on,   depends_on",
        "depnds_on,    depends_on",
        "command,      run",
        "script,       run",
        "paths,        files",
        "retries,      max_attempts",
        "maxAttempts,  max_attempts",
        "timeout,      timeout_s",
        "name,         title",
        "tilte,        title",
        "desc,         description",
        "wieght,       weight",
        "di,           id",
    })
    void suggestsTheLikelyTaskField(String unknown, String expected) {
        assertThat(DidYouMean.suggest(unknown, PlanValidator.TASK_FIELDS)).contains(expected);
    }

    @ParameterizedTest
    @CsvSource({"xyzzy", "zz", "colour", "owner"})
    void suggestsNothingForUnrelatedNames(String unknown) {
        assertThat(DidYouMean.suggest(unknown, PlanValidator.TASK_FIELDS)).isEmpty();
    }

    @ParameterizedTest
    @CsvSource({"title, name", "taks, tasks", "steps, tasks"})
    void suggestsPlanFieldsAtThePlanLevel(String unknown, String expected) {
        assertThat(DidYouMean.suggest(unknown, PlanValidator.PLAN_FIELDS)).contains(expected);
    }

    @ParameterizedTest(name = "d({0}, {1}) = {2}")
    @CsvSource({"abc, abc, 0", "abc, acb, 1", "abc, ab, 1", "'', abc, 3", "kitten, sitting, 3", "ca, abc, 3"})
    void distanceCountsEditsWithAdjacentSwapsAsOne(String a, String b, int expected) {
        assertThat(DidYouMean.distance(a, b)).isEqualTo(expected);
    }

    @org.junit.jupiter.api.Test
    void namesInTheKnownListAreMatchedOnlyAgainstThatList() {
        assertThat(DidYouMean.suggest("name", List.of("id", "run"))).isEmpty();
    }
}
