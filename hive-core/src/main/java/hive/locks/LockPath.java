package hive.locks;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A workspace-relative path, directory or glob that a lock may cover, in normal form: segments
 * joined by single {@code /}, no {@code .} segments, {@code ..} resolved, and a trailing {@code /}
 * kept as the mark of a directory ({@code src/}). Glob characters ({@code * ** ? [}) are kept as
 * written. The constructor accepts only normal forms; {@link #parse} makes one from user input.
 * Immutable.
 *
 * <h2>What a lock covers</h2>
 * A lock covers a set of real file paths: relative, {@code /}-separated, every segment non-empty
 * and neither {@code .} nor {@code ..}.
 * <ul>
 *   <li>A plain path {@code a/b} covers {@code a/b} and everything below it ({@code a/b/...}): it may
 *       name a file or a folder, and a lock never misses a conflict, so it is taken as both. This
 *       "may be a folder" rule is the only source of conflicts that the files on disk might not
 *       justify: {@code src/x.js} conflicts with {@code src/**}{@code /*.ts}, since
 *       {@code src/x.js/y.ts} would be under both.
 *   <li>A directory {@code src/} covers {@code src} and everything below it, as {@code src} does.
 *   <li>A glob covers every path it matches and everything below each of them (a match, too, may
 *       be a folder: {@code *.md} covers {@code x.md/y}). In a segment,
 *       {@code *} matches any run of characters (none included), {@code ?} one character, and
 *       {@code [abc]}, {@code [a-z]}, {@code [!a-c]} or {@code [^a-c]} one character of (or not of)
 *       the class; none of them ever matches {@code /}. A {@code ]} right after {@code [},
 *       {@code [!} or {@code [^} belongs to the class, as does a {@code -} first or last;
 *       {@code [[]} matches a {@code [} itself. A segment that is exactly {@code **} matches zero
 *       or more whole segments: {@code a/**}{@code /b} matches {@code a/b} and {@code a/x/y/b}, and
 *       {@code a/**} covers what {@code a} covers. Elsewhere {@code **} is {@code *}: {@code a**b}
 *       is {@code a*b}.
 * </ul>
 * The construction refuses a glob it cannot read or that covers no real path: a {@code [}
 * without its {@code ]}, a range written backwards ({@code [z-a]}), or a segment that can only be
 * {@code .} or {@code ..} ({@code [.]}). So every lock path covers something and overlaps itself.
 * Characters are Unicode code points; {@code ?} and negated classes never match {@code /},
 * {@code \}, a control character or a lone surrogate, which no normalized path holds.
 *
 * <p>Two lock paths {@link #overlaps overlap} when some real path is covered by both; the answer
 * is exact, with no false conflict beyond the "may be a folder" rule above.
 */
public record LockPath(String value) {

    /** Longer paths are refused: no file system needs them and they only cost memory. */
    static final int MAX_LENGTH = 4096;

    public LockPath {
        String normal = normalize(value);
        if (!normal.equals(value)) {
            throw new IllegalArgumentException(
                    "lock path '" + value + "' is not in normal form ('" + normal + "'); use LockPath.parse");
        }
        if (isGlob(value)) {
            PathPattern pattern = PathPattern.compile(value);
            if (PathPattern.commonPath(pattern, pattern).isEmpty()) {
                throw new IllegalArgumentException("glob '" + value + "' covers no file path: one of its segments"
                        + " can only be '.' or '..', or has a class that no character matches");
            }
        }
    }

    /**
     * The normal form of {@code raw}: {@code ./a//b} is {@code a/b}, {@code a/x/../b} is {@code a/b},
     * {@code src/} stays {@code src/}.
     *
     * @throws IllegalArgumentException for an empty, absolute or escaping path, a backslash, a
     *     control character, or a glob that cannot be read or covers no file (see the class
     *     comment); the message says which
     */
    public static LockPath parse(String raw) {
        return new LockPath(normalize(raw));
    }

    /** True when the path ends in {@code /}: it covers everything below that directory. */
    public boolean isDirectory() {
        return value.endsWith("/");
    }

    /** True when the path contains a glob character ({@code *}, {@code ?} or {@code [}). */
    public boolean isGlob() {
        return isGlob(value);
    }

    /**
     * True when some real file path is covered by both this and {@code other} (see the class
     * comment): two exclusive locks on them conflict. Symmetric, and true for {@code other ==
     * this}. Two paths without glob characters, the common case, take a prefix test on segments
     * that allocates nothing; with a glob, both are compiled and intersected (see
     * {@link PathPattern#commonPath}), O(length(this) × length(other)).
     */
    public boolean overlaps(LockPath other) {
        if (!isGlob() && !other.isGlob()) {
            int length = plainLength();
            int otherLength = other.plainLength();
            int shorter = Math.min(length, otherLength);
            if (!value.regionMatches(0, other.value, 0, shorter)) {
                return false;
            }
            return length == otherLength
                    || (length > otherLength ? value : other.value).charAt(shorter) == '/';
        }
        String key = value.compareTo(other.value) <= 0 ? value + '\u0000' + other.value
                : other.value + '\u0000' + value;
        Boolean known = GLOB_OVERLAPS.get(key);
        if (known == null) {
            known = witness(other).isPresent();
            if (GLOB_OVERLAPS.size() >= CACHED) {
                GLOB_OVERLAPS.clear();
            }
            GLOB_OVERLAPS.put(key, known);
        }
        return known;
    }

    /**
     * Overlap tests that involve a glob, by pair of values: the lock table asks about the same few
     * pairs over and over (every request, every waiter checked), and each answer costs two
     * automata and a search. Bounded: emptied when full.
     */
    private static final Map<String, Boolean> GLOB_OVERLAPS = new ConcurrentHashMap<>();
    private static final int CACHED = 16_384;

    /**
     * True when this covers the file {@code filePath}: it is this path or below it, or matched by
     * this glob or below a match. {@code filePath} is read literally ({@code *} in it is just a
     * character) and normalized first as {@link #parse} does; a trailing {@code /} is ignored.
     *
     * @throws IllegalArgumentException when {@code filePath} is not a workspace-relative path
     */
    public boolean covers(String filePath) {
        String file = normalize(filePath);
        int fileLength = file.endsWith("/") ? file.length() - 1 : file.length();
        if (isGlob()) {
            return PathPattern.compile(value).matches(file.substring(0, fileLength));
        }
        int length = plainLength();
        return fileLength >= length && file.regionMatches(0, value, 0, length)
                && (fileLength == length || file.charAt(length) == '/');
    }

    /**
     * A shortest real file path that both this and {@code other} cover, or empty when they do not
     * {@link #overlaps overlap}. For two plain paths it is the longer one.
     */
    Optional<String> witness(LockPath other) {
        if (!isGlob() && !other.isGlob()) {
            if (!overlaps(other)) {
                return Optional.empty();
            }
            LockPath longer = plainLength() >= other.plainLength() ? this : other;
            return Optional.of(longer.value.substring(0, longer.plainLength()));
        }
        return PathPattern.commonPath(PathPattern.compile(value), PathPattern.compile(other.value));
    }

    /** The length of the value without its directory mark. */
    private int plainLength() {
        return isDirectory() ? value.length() - 1 : value.length();
    }

    @Override
    public String toString() {
        return value;
    }

    private static boolean isGlob(String segment) {
        return segment.indexOf('*') >= 0 || segment.indexOf('?') >= 0 || segment.indexOf('[') >= 0;
    }

    private static String normalize(String raw) {
        if (isNormal(raw)) {
            return raw;
        }
        if (raw == null || raw.isBlank()) {
            throw new IllegalArgumentException("empty path");
        }
        if (raw.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("path longer than " + MAX_LENGTH + " characters");
        }
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw new IllegalArgumentException(
                        "path '" + printable(raw) + "' contains a control character at position " + i);
            }
        }
        if (raw.startsWith("/") || raw.startsWith("\\") || hasDriveLetter(raw)) {
            throw new IllegalArgumentException(
                    "absolute path '" + raw + "': paths are relative to the workspace");
        }
        if (raw.indexOf('\\') >= 0) {
            throw new IllegalArgumentException("path '" + raw + "' contains '\\': use '/' to separate folders");
        }
        Deque<String> segments = new ArrayDeque<>();
        boolean directory = false;
        for (String segment : raw.split("/", -1)) {
            directory = segment.isEmpty() || segment.equals(".") || segment.equals("..");
            if (segment.equals("..")) {
                if (segments.isEmpty()) {
                    throw new IllegalArgumentException("path '" + raw + "' escapes the workspace with '..'");
                }
                if (isGlob(segments.peekLast())) {
                    throw new IllegalArgumentException(
                            "path '" + raw + "' has '..' after a glob segment, which has no single meaning");
                }
                segments.removeLast();
            } else if (!segment.isEmpty() && !segment.equals(".")) {
                segments.addLast(segment);
            }
        }
        if (segments.isEmpty()) {
            throw new IllegalArgumentException(
                    "path '" + raw + "' names the workspace itself; use '**' to cover all of it");
        }
        String joined = String.join("/", segments);
        return directory ? joined + "/" : joined;
    }

    /**
     * A quick scan for the common case, a path already in normal form, without allocating: no
     * control characters or backslashes, no empty, {@code .} or {@code ..} segment except an empty
     * last one (the directory mark), not absolute.
     */
    private static boolean isNormal(String raw) {
        if (raw == null || raw.isEmpty() || raw.length() > MAX_LENGTH || raw.charAt(0) == '/'
                || hasDriveLetter(raw) || raw.isBlank()) {
            return false;
        }
        int segmentStart = 0;
        for (int i = 0; i <= raw.length(); i++) {
            char c = i < raw.length() ? raw.charAt(i) : '/';
            if (c < 0x20 || c == 0x7f || c == '\\') {
                return false;
            }
            if (c == '/') {
                int length = i - segmentStart;
                if (length == 0 && i != raw.length()
                        || length == 1 && raw.charAt(segmentStart) == '.'
                        || length == 2 && raw.charAt(segmentStart) == '.' && raw.charAt(segmentStart + 1) == '.') {
                    return false;
                }
                segmentStart = i + 1;
            }
        }
        return true;
    }

    private static boolean hasDriveLetter(String raw) {
        return raw.length() >= 2 && raw.charAt(1) == ':'
                && (raw.charAt(0) >= 'A' && raw.charAt(0) <= 'Z' || raw.charAt(0) >= 'a' && raw.charAt(0) <= 'z');
    }

    private static String printable(String raw) {
        StringBuilder out = new StringBuilder();
        raw.codePoints().forEach(c -> {
            if (c < 0x20 || c == 0x7f) {
                out.append(String.format("\\u%04x", c));
            } else {
                out.appendCodePoint(c);
            }
        });
        return out.toString();
    }
}
