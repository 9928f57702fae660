package hive.plan;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;

/**
 * The dependency graph of a plan's tasks, as node indexes: an edge {@code v → w} means task
 * {@code v} depends on task {@code w}. Finds every dependency cycle, reporting each strongly
 * connected component that contains one exactly once, with one closed path through it.
 *
 * <p>Tarjan's strongly connected components, written with an explicit stack so that chains of
 * 100,000 tasks cannot overflow the thread's stack: O(V+E) time, O(V) extra memory. For each
 * component with a cycle, a breadth-first search restricted to the component finds a shortest
 * cycle through its lowest-indexed node: O(V+E) over all components together.
 *
 * <p>Immutable once built; not for concurrent construction.
 */
final class DependencyGraph {

    /**
     * One strongly connected component that contains a cycle (at least two nodes, or one node with
     * an edge to itself), in ascending node order, and a closed path through it: {@code [a, b, a]}.
     */
    record Cycle(List<Integer> members, List<Integer> path) {}

    private final int[][] edges;

    /** @param edges {@code edges[v]} lists the nodes {@code v} depends on, each in {@code [0, n)} */
    DependencyGraph(int[][] edges) {
        this.edges = edges;
    }

    /** Every component with a cycle, ordered by its lowest node. */
    List<Cycle> cycles() {
        List<int[]> components = cyclicComponents();
        List<Cycle> cycles = new ArrayList<>(components.size());
        boolean[] inComponent = new boolean[edges.length];
        boolean[] seen = new boolean[edges.length];
        int[] parent = new int[edges.length];
        int[] queue = new int[edges.length];
        for (int[] members : components) {
            Arrays.sort(members);
            for (int v : members) {
                inComponent[v] = true;
            }
            List<Integer> path = closedPath(members[0], inComponent, seen, parent, queue);
            for (int v : members) {
                inComponent[v] = false;
            }
            cycles.add(new Cycle(Arrays.stream(members).boxed().toList(), path));
        }
        cycles.sort(Comparator.comparing(cycle -> cycle.members().get(0)));
        return cycles;
    }

    /** Tarjan's algorithm, iterative: the components of more than one node or with a self edge. */
    private List<int[]> cyclicComponents() {
        int n = edges.length;
        int[] index = new int[n];
        Arrays.fill(index, -1);
        int[] low = new int[n];
        int[] nextEdge = new int[n];
        boolean[] onStack = new boolean[n];
        int[] stack = new int[n];
        int stackTop = 0;
        int[] calls = new int[n];
        int callTop = 0;
        int counter = 0;
        List<int[]> found = new ArrayList<>();

        for (int root = 0; root < n; root++) {
            if (index[root] != -1) {
                continue;
            }
            index[root] = low[root] = counter++;
            stack[stackTop++] = root;
            onStack[root] = true;
            calls[callTop++] = root;
            while (callTop > 0) {
                int v = calls[callTop - 1];
                if (nextEdge[v] < edges[v].length) {
                    int w = edges[v][nextEdge[v]++];
                    if (index[w] == -1) {
                        index[w] = low[w] = counter++;
                        stack[stackTop++] = w;
                        onStack[w] = true;
                        calls[callTop++] = w;
                    } else if (onStack[w]) {
                        low[v] = Math.min(low[v], index[w]);
                    }
                    continue;
                }
                callTop--;
                if (callTop > 0) {
                    int caller = calls[callTop - 1];
                    low[caller] = Math.min(low[caller], low[v]);
                }
                if (low[v] == index[v]) {
                    int start = stackTop;
                    do {
                        start--;
                        onStack[stack[start]] = false;
                    } while (stack[start] != v);
                    int[] component = Arrays.copyOfRange(stack, start, stackTop);
                    stackTop = start;
                    if (component.length > 1 || hasEdge(v, v)) {
                        found.add(component);
                    }
                }
            }
        }
        return found;
    }

    /**
     * Breadth-first search from {@code start} along edges inside its component until an edge leads
     * back to {@code start}; the component is strongly connected, so one does. Components are
     * disjoint, so {@code seen} never needs clearing between them.
     */
    private List<Integer> closedPath(int start, boolean[] inComponent, boolean[] seen, int[] parent, int[] queue) {
        int head = 0;
        int tail = 0;
        seen[start] = true;
        queue[tail++] = start;
        while (head < tail) {
            int v = queue[head++];
            for (int w : edges[v]) {
                if (w == start) {
                    List<Integer> path = new ArrayList<>();
                    path.add(start);
                    for (int u = v; u != start; u = parent[u]) {
                        path.add(u);
                    }
                    path.add(start);
                    Collections.reverse(path);
                    return path;
                }
                if (inComponent[w] && !seen[w]) {
                    seen[w] = true;
                    parent[w] = v;
                    queue[tail++] = w;
                }
            }
        }
        throw new IllegalStateException("component of node " + start + " is not strongly connected");
    }

    private boolean hasEdge(int from, int to) {
        for (int w : edges[from]) {
            if (w == to) {
                return true;
            }
        }
        return false;
    }
}
