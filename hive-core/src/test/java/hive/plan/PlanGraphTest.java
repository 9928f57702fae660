package hive.plan;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PlanGraphTest {

    private static final Plan PLAN = Plans.parse("""
            name: release "v2"
            tasks:
              - {id: build, title: 'Build <all> "modules" & #tag'}
              - {id: end, depends_on: [build]}
              - {id: ship.it, title: 'Ship\\it', depends_on: [build, end]}
            """, PlanFormat.YAML);

    @Test
    void mermaidDrawsOneNodePerTaskAndAnEdgeFromEachDependency() {
        assertThat(PlanGraph.mermaid(PLAN)).isEqualTo("""
                flowchart TD
                    t0["build: Build #lt;all#gt; #quot;modules#quot; #amp; #35;tag"]
                    t1["end"]
                    t2["ship.it: Ship\\it"]
                    t0 --> t1
                    t0 --> t2
                    t1 --> t2
                """);
    }

    @Test
    void dotQuotesIdsAndEscapesLabels() {
        assertThat(PlanGraph.dot(PLAN)).isEqualTo("""
                digraph plan {
                    label="release \\"v2\\"";
                    rankdir=TB;
                    node [shape=box];
                    "build" [label="build: Build <all> \\"modules\\" & #tag"];
                    "end" [label="end"];
                    "ship.it" [label="ship.it: Ship\\\\it"];
                    "build" -> "end";
                    "build" -> "ship.it";
                    "end" -> "ship.it";
                }
                """);
    }
}
