package hive.locks;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a {@link LockPath} covers, compiled to a nondeterministic finite automaton over code points:
 * the paths its pattern matches, each followed by nothing or by {@code /} and anything below it.
 * Transitions are labelled with {@link CharSet}s; {@code /} is a transition of its own
 * ({@link CharSet#SEPARATOR}), never part of a segment set. State 0 is the start state; the
 * automaton has no epsilon transitions once built. Immutable, so it can be shared and cached.
 *
 * <p>The automaton alone also accepts strings that are not real paths ({@code a//b}, {@code a/./b},
 * a leading {@code /}), because {@code *} matches the empty string and {@code ?} matches {@code .}.
 * {@link #matches} is only ever given real paths, so that does not matter there;
 * {@link #commonPath} runs the two automata together with a four-state tracker of the current
 * segment that refuses empty, {@code .} and {@code ..} segments, so its answer is exact over real
 * paths.
 */
final class PathPattern {

    private final int[][] targets;
    private final CharSet[][] labels;
    private final boolean[] accepting;

    private PathPattern(int[][] targets, CharSet[][] labels, boolean[] accepting) {
        this.targets = targets;
        this.labels = labels;
        this.accepting = accepting;
    }

    /**
     * Compiles the value of a {@link LockPath} (normal form). Thompson-style construction, one or
     * two states per pattern element, O(length).
     *
     * @throws IllegalArgumentException for a {@code [} without its {@code ]} or a range written
     *     backwards; the message says where
     */
    static PathPattern compile(String value) {
        PathPattern known = COMPILED.get(value);
        if (known == null) {
            known = build(value);
            if (COMPILED.size() >= CACHED) {
                COMPILED.clear();
            }
            COMPILED.put(value, known);
        }
        return known;
    }

    /** Compiled patterns by value (they are immutable); bounded: emptied when full. */
    private static final Map<String, PathPattern> COMPILED = new ConcurrentHashMap<>();
    private static final int CACHED = 4_096;

    private static PathPattern build(String value) {
        String body = value.endsWith("/") ? value.substring(0, value.length() - 1) : value;
        List<String> segments = new ArrayList<>();
        for (String segment : body.split("/", -1)) {
            boolean repeatedGlobstar = segment.equals("**") && !segments.isEmpty()
                    && segments.get(segments.size() - 1).equals("**");
            if (!repeatedGlobstar) {
                segments.add(segment);
            }
        }
        // a trailing '**' matches zero or more segments, so 'a/**' covers exactly what 'a' covers
        if (segments.size() > 1 && segments.get(segments.size() - 1).equals("**")) {
            segments.remove(segments.size() - 1);
        }
        Builder automaton = new Builder();
        int current = automaton.state();
        for (int i = 0; i < segments.size(); i++) {
            String segment = segments.get(i);
            boolean last = i == segments.size() - 1;
            if (segment.equals("**")) {
                // zero or more whole segments: loop over "one or more characters, then '/'"
                int inside = automaton.state();
                automaton.add(current, CharSet.SEGMENT, inside);
                automaton.add(inside, CharSet.SEGMENT, inside);
                if (last) {
                    automaton.accept(inside);
                    continue;
                }
                automaton.add(inside, CharSet.SEPARATOR, current);
                int next = automaton.state();
                automaton.epsilon(current, next);
                current = next;
            } else {
                current = segment(automaton, current, segment, value);
                if (last) {
                    automaton.accept(current);
                } else {
                    int next = automaton.state();
                    automaton.add(current, CharSet.SEPARATOR, next);
                    current = next;
                }
            }
        }
        // and everything below: an accepted path may go on with '/' and more segments
        int below = automaton.state();
        int belowInside = automaton.state();
        for (int state = 0; state < below; state++) {
            if (automaton.accepting.get(state)) {
                automaton.add(state, CharSet.SEPARATOR, below);
            }
        }
        automaton.add(below, CharSet.SEGMENT, belowInside);
        automaton.add(belowInside, CharSet.SEGMENT, belowInside);
        automaton.add(belowInside, CharSet.SEPARATOR, below);
        automaton.accept(belowInside);
        return automaton.build();
    }

    /** Adds the states of one segment (not {@code **}) after {@code start}; returns its end state. */
    private static int segment(Builder automaton, int start, String segment, String value) {
        int current = start;
        boolean afterStar = false;
        int i = 0;
        while (i < segment.length()) {
            int c = segment.codePointAt(i);
            if (c == '*') {
                // any run of '*' inside a segment ('a**b', '***') is one '*'
                if (!afterStar) {
                    automaton.add(current, CharSet.SEGMENT, current);
                    afterStar = true;
                }
                i++;
                continue;
            }
            afterStar = false;
            CharSet set;
            if (c == '?') {
                set = CharSet.SEGMENT;
                i++;
            } else if (c == '[') {
                int end = classEnd(segment, i, value);
                set = characterClass(segment, i, end, value);
                i = end + 1;
            } else {
                set = CharSet.single(c);
                i += Character.charCount(c);
            }
            int next = automaton.state();
            automaton.add(current, set, next);
            current = next;
        }
        return current;
    }

    /** The index of the {@code ]} that closes the class opened at {@code open}. */
    private static int classEnd(String segment, int open, String value) {
        int i = open + 1;
        if (i < segment.length() && (segment.charAt(i) == '!' || segment.charAt(i) == '^')) {
            i++;
        }
        if (i < segment.length() && segment.charAt(i) == ']') {
            i++;
        }
        int end = segment.indexOf(']', i);
        if (end < 0) {
            throw new IllegalArgumentException("glob '" + value + "' has a '[' without its ']' in '" + segment
                    + "'; to match a '[' itself, write '[[]'");
        }
        return end;
    }

    private static CharSet characterClass(String segment, int open, int end, String value) {
        int i = open + 1;
        boolean negated = segment.charAt(i) == '!' || segment.charAt(i) == '^';
        if (negated) {
            i++;
        }
        int[] pairs = new int[2 * (end - i)];
        int size = 0;
        while (i < end) {
            int lo = segment.codePointAt(i);
            i += Character.charCount(lo);
            int hi = lo;
            if (i + 1 < end && segment.charAt(i) == '-') {
                hi = segment.codePointAt(i + 1);
                i += 1 + Character.charCount(hi);
                if (hi < lo) {
                    throw new IllegalArgumentException("glob '" + value + "' has the range '"
                            + Character.toString(lo) + "-" + Character.toString(hi)
                            + "' written backwards in '" + segment.substring(open, end + 1) + "'");
                }
            }
            pairs[size++] = lo;
            pairs[size++] = hi;
        }
        CharSet set = CharSet.segmentCharacters(Arrays.copyOf(pairs, size));
        return negated ? set.segmentComplement() : set;
    }

    /** True when this covers {@code path}, a real path (normal form, no trailing '/'): O(length × states). */
    boolean matches(String path) {
        boolean[] current = new boolean[accepting.length];
        boolean[] next = new boolean[accepting.length];
        current[0] = true;
        for (int i = 0; i < path.length(); ) {
            int c = path.codePointAt(i);
            i += Character.charCount(c);
            Arrays.fill(next, false);
            boolean any = false;
            for (int state = 0; state < current.length; state++) {
                if (current[state]) {
                    for (int t = 0; t < targets[state].length; t++) {
                        if (labels[state][t].contains(c)) {
                            next[targets[state][t]] = true;
                            any = true;
                        }
                    }
                }
            }
            if (!any) {
                return false;
            }
            boolean[] swap = current;
            current = next;
            next = swap;
        }
        for (int state = 0; state < current.length; state++) {
            if (current[state] && accepting[state]) {
                return true;
            }
        }
        return false;
    }

    // the segment tracker: what the current segment of the path being built is so far
    private static final int SEGMENT_START = 0;
    private static final int DOT = 1;
    private static final int DOT_DOT = 2;
    private static final int NAME = 3;
    private static final int TRACKER_STATES = 4;

    /**
     * A shortest real path that both patterns cover, or empty when there is none.
     *
     * <p>Emptiness of the intersection of two regular languages by breadth-first search over the
     * product automaton: a node is (state of {@code a}, state of {@code b}, segment tracker); two
     * transitions are taken together when their code point sets intersect, and the tracker only
     * lets a path end or go on with {@code /} after a segment that is non-empty and neither
     * {@code .} nor {@code ..}. O(states(a) × states(b) × 4) nodes, each trying the product of the
     * two states' transitions (a handful); a path of ten segments has a few dozen states.
     */
    static Optional<String> commonPath(PathPattern a, PathPattern b) {
        int statesB = b.accepting.length;
        int nodes = a.accepting.length * statesB * TRACKER_STATES;
        int[] parent = new int[nodes];
        int[] via = new int[nodes];
        boolean[] seen = new boolean[nodes];
        int[] queue = new int[nodes];
        int head = 0;
        int tail = 0;
        seen[0] = true;
        parent[0] = -1;
        queue[tail++] = 0;
        while (head < tail) {
            int node = queue[head++];
            int tracker = node % TRACKER_STATES;
            int stateA = node / TRACKER_STATES / statesB;
            int stateB = node / TRACKER_STATES % statesB;
            if (tracker == NAME && a.accepting[stateA] && b.accepting[stateB]) {
                return Optional.of(path(node, parent, via));
            }
            for (int i = 0; i < a.targets[stateA].length; i++) {
                for (int j = 0; j < b.targets[stateB].length; j++) {
                    CharSet both = a.labels[stateA][i].intersect(b.labels[stateB][j]);
                    if (both.isEmpty()) {
                        continue;
                    }
                    int pair = (a.targets[stateA][i] * statesB + b.targets[stateB][j]) * TRACKER_STATES;
                    if (both.contains('/')) {
                        if (tracker == NAME) {
                            tail = visit(pair + SEGMENT_START, node, '/', parent, via, seen, queue, tail);
                        }
                        continue;
                    }
                    if (tracker == SEGMENT_START || tracker == DOT) {
                        if (both.contains('.')) {
                            tail = visit(pair + tracker + 1, node, '.', parent, via, seen, queue, tail);
                        }
                        int other = both.pick('.');
                        if (other >= 0) {
                            tail = visit(pair + NAME, node, other, parent, via, seen, queue, tail);
                        }
                    } else {
                        tail = visit(pair + NAME, node, both.pick(-1), parent, via, seen, queue, tail);
                    }
                }
            }
        }
        return Optional.empty();
    }

    private static int visit(int node, int from, int codePoint, int[] parent, int[] via, boolean[] seen,
            int[] queue, int tail) {
        if (seen[node]) {
            return tail;
        }
        seen[node] = true;
        parent[node] = from;
        via[node] = codePoint;
        queue[tail] = node;
        return tail + 1;
    }

    private static String path(int node, int[] parent, int[] via) {
        StringBuilder reversed = new StringBuilder();
        for (int n = node; parent[n] >= 0; n = parent[n]) {
            reversed.appendCodePoint(via[n]);
        }
        String path = reversed.reverse().toString();
        // LockPath.parse refuses an all-blank path; anything both cover, they cover below too
        return path.isBlank() ? path + "/a" : path;
    }

    int stateCount() {
        return accepting.length;
    }

    /** Collects states and transitions, then removes the epsilon transitions. */
    private static final class Builder {
        private final List<List<Integer>> targets = new ArrayList<>();
        private final List<List<CharSet>> labels = new ArrayList<>();
        private final List<List<Integer>> epsilons = new ArrayList<>();
        private final List<Boolean> accepting = new ArrayList<>();

        int state() {
            targets.add(new ArrayList<>());
            labels.add(new ArrayList<>());
            epsilons.add(new ArrayList<>());
            accepting.add(false);
            return accepting.size() - 1;
        }

        void add(int from, CharSet label, int to) {
            targets.get(from).add(to);
            labels.get(from).add(label);
        }

        void epsilon(int from, int to) {
            epsilons.get(from).add(to);
        }

        void accept(int state) {
            accepting.set(state, true);
        }

        /** Each state takes the transitions and acceptance of every state its epsilon closure holds. */
        PathPattern build() {
            int size = accepting.size();
            int[][] builtTargets = new int[size][];
            CharSet[][] builtLabels = new CharSet[size][];
            boolean[] builtAccepting = new boolean[size];
            for (int state = 0; state < size; state++) {
                List<Integer> closure = new ArrayList<>(List.of(state));
                for (int k = 0; k < closure.size(); k++) {
                    for (int to : epsilons.get(closure.get(k))) {
                        if (!closure.contains(to)) {
                            closure.add(to);
                        }
                    }
                }
                List<Integer> stateTargets = new ArrayList<>();
                List<CharSet> stateLabels = new ArrayList<>();
                for (int member : closure) {
                    stateTargets.addAll(targets.get(member));
                    stateLabels.addAll(labels.get(member));
                    builtAccepting[state] |= accepting.get(member);
                }
                builtTargets[state] = stateTargets.stream().mapToInt(Integer::intValue).toArray();
                builtLabels[state] = stateLabels.toArray(CharSet[]::new);
            }
            return new PathPattern(builtTargets, builtLabels, builtAccepting);
        }
    }
}
