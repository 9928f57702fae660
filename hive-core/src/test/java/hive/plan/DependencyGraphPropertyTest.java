package hive.plan;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * {@link DependencyGraph} against a plain reference model: reachability by breadth-first search
 * from every node, O(V·(V+E)), fine for 30 nodes.
 */
class DependencyGraphPropertyTest {

    @Provide
    Arbitrary<int[][]> graphs() {
        return Arbitraries.integers().between(1, 30).flatMap(n -> Arbitraries.integers().between(0, n - 1)
                .list().ofMaxSize(4)
                .list().ofSize(n)
                .map(lists -> lists.stream()
                        .map(targets -> targets.stream().mapToInt(Integer::intValue).distinct().toArray())
                        .toArray(int[][]::new)));
    }

    @Provide
    Arbitrary<int[][]> acyclicGraphs() {
        return Arbitraries.integers().between(1, 30).flatMap(n -> Arbitraries.integers().between(0, 1_000_000)
                .list().ofMaxSize(4)
                .list().ofSize(n)
                .map(lists -> {
                    int[][] edges = new int[n][];
                    for (int v = 0; v < n; v++) {
                        int from = v;
                        edges[v] = from == 0 ? new int[0]
                                : lists.get(v).stream().mapToInt(r -> r % from).distinct().toArray();
                    }
                    return edges;
                }));
    }

    @Property(tries = 1000)
    void findsACycleExactlyWhenTheReferenceDoes(@ForAll("graphs") int[][] edges) {
        // given
        boolean referenceHasCycle = hasCycleByRemovingSinks(edges);

        // when
        List<DependencyGraph.Cycle> cycles = new DependencyGraph(edges).cycles();

        // then
        assertThat(!cycles.isEmpty()).as("cycle found").isEqualTo(referenceHasCycle);
    }

    @Property(tries = 1000)
    void reportsEachCyclicComponentOnceWithExactlyTheNodesOnCycles(@ForAll("graphs") int[][] edges) {
        // given
        boolean[][] reaches = reachability(edges);

        // when
        List<DependencyGraph.Cycle> cycles = new DependencyGraph(edges).cycles();

        // then every node on some cycle is in exactly one reported component, and no other node is
        Set<Integer> reported = new HashSet<>();
        for (DependencyGraph.Cycle cycle : cycles) {
            for (int v : cycle.members()) {
                assertThat(reported.add(v)).as("node %d reported twice", v).isTrue();
            }
        }
        for (int v = 0; v < edges.length; v++) {
            assertThat(reported.contains(v)).as("node %d on a cycle", v).isEqualTo(reaches[v][v]);
        }
        // and members of one component reach each other, members of different ones do not
        for (DependencyGraph.Cycle cycle : cycles) {
            for (int u : cycle.members()) {
                for (int w = 0; w < edges.length; w++) {
                    boolean mutual = reaches[u][w] && reaches[w][u];
                    assertThat(cycle.members().contains(w)).as("%d and %d in one component", u, w).isEqualTo(mutual);
                }
            }
        }
    }

    @Property(tries = 1000)
    void everyReportedPathIsAClosedWalkAlongEdgesInsideItsComponent(@ForAll("graphs") int[][] edges) {
        for (DependencyGraph.Cycle cycle : new DependencyGraph(edges).cycles()) {
            List<Integer> path = cycle.path();
            assertThat(path).as("path").hasSizeGreaterThanOrEqualTo(2);
            assertThat(path.get(0)).as("closed").isEqualTo(path.get(path.size() - 1));
            assertThat(path.get(0)).as("starts at the lowest member").isEqualTo(cycle.members().get(0));
            assertThat(cycle.members()).containsAll(path);
            assertThat(new HashSet<>(path.subList(0, path.size() - 1))).as("simple").hasSize(path.size() - 1);
            for (int i = 0; i + 1 < path.size(); i++) {
                assertThat(edges[path.get(i)]).as("edge %d → %d", path.get(i), path.get(i + 1)).contains(path.get(i + 1));
            }
        }
    }

    @Property(tries = 500)
    void graphsWhoseEdgesPointToEarlierNodesHaveNoCycle(@ForAll("acyclicGraphs") int[][] edges) {
        assertThat(new DependencyGraph(edges).cycles()).isEmpty();
    }

    @Example
    void aLongChainClosedIntoOneCycleIsFoundWithoutRecursion() {
        // given: 0 → 1 → ... → 199,999 → 0
        int n = 200_000;
        int[][] edges = new int[n][];
        for (int v = 0; v < n; v++) {
            edges[v] = new int[] {(v + 1) % n};
        }

        // when
        List<DependencyGraph.Cycle> cycles = new DependencyGraph(edges).cycles();

        // then
        assertThat(cycles).singleElement().satisfies(cycle -> {
            assertThat(cycle.members()).hasSize(n);
            assertThat(cycle.path()).hasSize(n + 1);
        });
    }

    /** Kahn's algorithm from the other end: repeatedly remove nodes with no remaining edges out. */
    private static boolean hasCycleByRemovingSinks(int[][] edges) {
        int n = edges.length;
        int[] outDegree = new int[n];
        List<List<Integer>> incoming = new java.util.ArrayList<>();
        for (int v = 0; v < n; v++) {
            incoming.add(new java.util.ArrayList<>());
        }
        for (int v = 0; v < n; v++) {
            outDegree[v] = edges[v].length;
            for (int w : edges[v]) {
                incoming.get(w).add(v);
            }
        }
        Deque<Integer> sinks = new ArrayDeque<>();
        for (int v = 0; v < n; v++) {
            if (outDegree[v] == 0) {
                sinks.add(v);
            }
        }
        int removed = 0;
        while (!sinks.isEmpty()) {
            int v = sinks.poll();
            removed++;
            for (int u : incoming.get(v)) {
                if (--outDegree[u] == 0) {
                    sinks.add(u);
                }
            }
        }
        return removed < n;
    }

    /** {@code reaches[u][w]}: a path of at least one edge leads from u to w. */
    private static boolean[][] reachability(int[][] edges) {
        int n = edges.length;
        boolean[][] reaches = new boolean[n][n];
        for (int start = 0; start < n; start++) {
            Deque<Integer> queue = new ArrayDeque<>();
            for (int w : edges[start]) {
                if (!reaches[start][w]) {
                    reaches[start][w] = true;
                    queue.add(w);
                }
            }
            while (!queue.isEmpty()) {
                int v = queue.poll();
                for (int w : edges[v]) {
                    if (!reaches[start][w]) {
                        reaches[start][w] = true;
                        queue.add(w);
                    }
                }
            }
        }
        return reaches;
    }
}
