package hive.locks;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * A workspace-relative path, directory or glob that a lock may cover, in normal form: segments
 * joined by single {@code /}, no {@code .} segments, {@code ..} resolved, and a trailing {@code /}
 * kept as the mark of a directory ({@code src/}). Glob characters ({@code * ** ? [}) are kept as
 * written. The constructor accepts only normal forms; {@link #parse} makes one from user input.
 * Immutable.
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
    }

    /**
     * The normal form of {@code raw}: {@code ./a//b} is {@code a/b}, {@code a/x/../b} is {@code a/b},
     * {@code src/} stays {@code src/}.
     *
     * @throws IllegalArgumentException for an empty, absolute or escaping path, a backslash, or a
     *     control character; the message says which
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
