package hive.locks;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * {@link LockPath#overlaps} against a plain reference: a segment-by-segment glob matcher written
 * from the rules of the class comment, run over every real path of a small alphabet. The bounded
 * reference proves soundness (a shared path it finds, {@code overlaps} finds too); the witness that
 * {@code overlaps} produces proves the other direction without a bound.
 */
class LockPathOverlapPropertyTest {

    private static final List<String> PATHS_AB = realPaths(List.of("a", "b"), 3, 3);
    private static final List<String> PATHS_DOT = realPaths(List.of("a", "."), 3, 3);
    private static final Map<List<String>, List<String[]>> SPLIT = Map.of(
            PATHS_AB, PATHS_AB.stream().map(path -> path.split("/")).toList(),
            PATHS_DOT, PATHS_DOT.stream().map(path -> path.split("/")).toList());

    @Provide
    Arbitrary<LockPath> patterns() {
        return patternsOf("a", "b", "/", "*", "**", "?", "[ab]", "[!a]");
    }

    @Provide
    Arbitrary<LockPath> dottedPatterns() {
        return patternsOf("a", ".", "/", "*", "**", "?", "[.a]", "[!a]");
    }

    @Provide
    Arbitrary<LockPath> plainPaths() {
        return Arbitraries.of("a", "b", "ab", "a/", "b/").list().ofMinSize(1).ofMaxSize(4)
                .map(parts -> String.join("", parts))
                .map(LockPath::parse);
    }

    @Property(tries = 600)
    void overlapsExactlyWhenSomeFileIsCoveredByBoth(
            @ForAll("patterns") LockPath p, @ForAll("patterns") LockPath q) {
        checkAgainstReference(p, q, PATHS_AB);
    }

    @Property(tries = 400)
    void dotAndDotDotAreNeverFileNames(
            @ForAll("dottedPatterns") LockPath p, @ForAll("dottedPatterns") LockPath q) {
        checkAgainstReference(p, q, PATHS_DOT);
    }

    @Property(tries = 1000)
    void overlapIsSymmetricAndReflexive(@ForAll("patterns") LockPath p, @ForAll("patterns") LockPath q) {
        assertThat(p.overlaps(q)).as("%s vs %s, both ways", p, q).isEqualTo(q.overlaps(p));
        assertThat(p.overlaps(p)).as("%s overlaps itself", p).isTrue();
        assertThat(p.witness(p)).as("a file under %s", p).isPresent();
    }

    @Property(tries = 1000)
    void coversAgreesWithTheReference(@ForAll("dottedPatterns") LockPath p, @ForAll("dottedFiles") String file) {
        assertThat(p.covers(file)).as("%s covers %s", p, file).isEqualTo(referenceCovers(p, file));
    }

    @Provide
    Arbitrary<String> dottedFiles() {
        return Arbitraries.of(PATHS_DOT);
    }

    @Property(tries = 1000)
    void thePlainPathShortcutAgreesWithTheAutomaton(
            @ForAll("plainPaths") LockPath p, @ForAll("plainPaths") LockPath q) {
        boolean automaton = PathPattern.commonPath(PathPattern.compile(p.value()), PathPattern.compile(q.value()))
                .isPresent();
        assertThat(p.overlaps(q)).as("%s vs %s", p, q).isEqualTo(automaton);
        String file = q.isDirectory() ? q.value().substring(0, q.value().length() - 1) : q.value();
        assertThat(p.covers(file)).as("%s covers %s", p, file)
                .isEqualTo(PathPattern.compile(p.value()).matches(file));
    }

    private static void checkAgainstReference(LockPath p, LockPath q, List<String> paths) {
        // given every real path of the alphabet that each covers, by the reference
        BitSet underP = coveredBy(p, paths);
        BitSet underQ = coveredBy(q, paths);
        boolean referenceShares = underP.intersects(underQ);

        // when
        boolean overlaps = p.overlaps(q);
        Statistics.label("overlaps").collect(overlaps);
        Optional<String> witness = p.witness(q);

        // then a shared file the reference sees is never missed
        if (referenceShares) {
            assertThat(overlaps).as("%s and %s both cover %s", p, q, paths.get(firstShared(underP, underQ)))
                    .isTrue();
        }
        // and an overlap always comes with a real file that both cover
        assertThat(witness.isPresent()).as("%s vs %s: overlaps and witness agree", p, q).isEqualTo(overlaps);
        witness.ifPresent(w -> {
            assertThat(isRealPath(w)).as("%s is a real path", w).isTrue();
            assertThat(p.covers(w)).as("%s covers %s", p, w).isTrue();
            assertThat(q.covers(w)).as("%s covers %s", q, w).isTrue();
            assertThat(referenceCovers(p, w) && referenceCovers(q, w)).as("reference: both cover %s", w).isTrue();
        });
    }

    private static int firstShared(BitSet a, BitSet b) {
        BitSet both = (BitSet) a.clone();
        both.and(b);
        return both.nextSetBit(0);
    }

    private static Arbitrary<LockPath> patternsOf(String... tokens) {
        return Arbitraries.of(tokens).list().ofMinSize(1).ofMaxSize(6)
                .map(parts -> parsedOrNull(String.join("", parts)))
                .filter(path -> path != null);
    }

    private static LockPath parsedOrNull(String raw) {
        try {
            return LockPath.parse(raw);
        } catch (IllegalArgumentException refused) {
            return null;
        }
    }

    private static BitSet coveredBy(LockPath lock, List<String> paths) {
        String[] pattern = segmentsOf(lock);
        List<String[]> files = SPLIT.get(paths);
        BitSet covered = new BitSet(paths.size());
        for (int i = 0; i < files.size(); i++) {
            if (matchesPrefix(pattern, 0, files.get(i), 0)) {
                covered.set(i);
            }
        }
        return covered;
    }

    // the reference ---------------------------------------------------------------------------

    private static final Map<String, Pattern> SEGMENT_REGEX = new ConcurrentHashMap<>();

    /** Some leading run of the file's segments matches the pattern's: the file is a match or below one. */
    static boolean referenceCovers(LockPath lock, String file) {
        return matchesPrefix(segmentsOf(lock), 0, file.split("/"), 0);
    }

    private static String[] segmentsOf(LockPath lock) {
        String value = lock.value();
        return (lock.isDirectory() ? value.substring(0, value.length() - 1) : value).split("/");
    }

    private static boolean matchesPrefix(String[] pattern, int i, String[] file, int j) {
        if (i == pattern.length) {
            return true;
        }
        if (pattern[i].equals("**")) {
            return matchesPrefix(pattern, i + 1, file, j) || j < file.length && matchesPrefix(pattern, i, file, j + 1);
        }
        return j < file.length && segmentRegex(pattern[i]).matcher(file[j]).matches()
                && matchesPrefix(pattern, i + 1, file, j + 1);
    }

    /** The generated classes only: {@code [ab]}, {@code [.a]}, {@code [!a]}; '*' runs are one '*'. */
    private static Pattern segmentRegex(String segment) {
        return SEGMENT_REGEX.computeIfAbsent(segment, s -> {
            StringBuilder regex = new StringBuilder();
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == '*') {
                    regex.append("[^/]*");
                } else if (c == '?') {
                    regex.append("[^/]");
                } else if (c == '[') {
                    int end = s.indexOf(']', i + 2);
                    String members = s.substring(i + 1, end);
                    regex.append(members.startsWith("!")
                            ? "[^/" + escaped(members.substring(1)) + "]"
                            : "[" + escaped(members) + "]");
                    i = end;
                } else {
                    regex.append(Pattern.quote(String.valueOf(c)));
                }
            }
            return Pattern.compile(regex.toString());
        });
    }

    private static String escaped(String members) {
        StringBuilder out = new StringBuilder();
        members.chars().forEach(c -> out.append(Character.isLetterOrDigit(c) ? "" : "\\").append((char) c));
        return out.toString();
    }

    /** Every path of one to {@code maxSegments} names, each of one to {@code maxLength} letters, but '.' and '..'. */
    private static List<String> realPaths(List<String> letters, int maxSegments, int maxLength) {
        List<String> names = new ArrayList<>();
        List<String> previous = List.of("");
        for (int length = 1; length <= maxLength; length++) {
            List<String> longer = new ArrayList<>();
            for (String name : previous) {
                for (String letter : letters) {
                    longer.add(name + letter);
                }
            }
            names.addAll(longer);
            previous = longer;
        }
        names.removeAll(List.of(".", ".."));
        List<String> paths = new ArrayList<>(names);
        List<String> last = names;
        for (int segments = 2; segments <= maxSegments; segments++) {
            List<String> deeper = new ArrayList<>();
            for (String path : last) {
                for (String name : names) {
                    deeper.add(path + "/" + name);
                }
            }
            paths.addAll(deeper);
            last = deeper;
        }
        return List.copyOf(paths);
    }

    private static boolean isRealPath(String path) {
        return !path.isBlank() && Arrays.stream(path.split("/", -1)).allMatch(segment ->
                !segment.isEmpty() && !segment.equals(".") && !segment.equals("..")
                        && segment.chars().allMatch(c -> c >= 0x20 && c != 0x7f && c != '\\'));
    }
}
