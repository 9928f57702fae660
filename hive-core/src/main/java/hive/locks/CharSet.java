package hive.locks;

import java.util.Arrays;

/**
 * A set of Unicode code points, kept as sorted, disjoint, non-adjacent closed ranges
 * {@code [lo0, hi0, lo1, hi1, ...]}: the label of one transition of a {@link PathPattern}. Finite
 * ranges make intersection and complement exact, so two transitions can be taken together exactly
 * when their sets share a code point. Immutable.
 */
final class CharSet {

    static final CharSet EMPTY = new CharSet(new int[0]);

    /** The folder separator, the only set that holds {@code '/'}. */
    static final CharSet SEPARATOR = single('/');

    /**
     * Every code point a segment of a normalized path can hold: no control character, {@code '/'}
     * or {@code '\'} ({@link LockPath#parse} refuses those) and no lone surrogate. {@code ?},
     * {@code *} and negated classes range over this set.
     */
    static final CharSet SEGMENT = new CharSet(new int[] {
        0x20, '/' - 1, '/' + 1, '\\' - 1, '\\' + 1, 0x7e, 0x80, Character.MIN_SURROGATE - 1,
        Character.MAX_SURROGATE + 1, Character.MAX_CODE_POINT});

    private final int[] ranges;

    private CharSet(int[] ranges) {
        this.ranges = ranges;
    }

    static CharSet single(int codePoint) {
        return new CharSet(new int[] {codePoint, codePoint});
    }

    /**
     * The segment characters in the given closed ranges ({@code [lo0, hi0, lo1, hi1, ...]}, any
     * order, overlaps allowed; each {@code lo <= hi}).
     */
    static CharSet segmentCharacters(int[] pairs) {
        int count = pairs.length / 2;
        long[] sorted = new long[count];
        for (int i = 0; i < count; i++) {
            sorted[i] = (long) pairs[2 * i] << 32 | pairs[2 * i + 1];
        }
        Arrays.sort(sorted);
        int[] merged = new int[pairs.length];
        int size = 0;
        for (long range : sorted) {
            int lo = (int) (range >>> 32);
            int hi = (int) range;
            if (size > 0 && lo <= merged[size - 1] + 1) {
                merged[size - 1] = Math.max(merged[size - 1], hi);
            } else {
                merged[size++] = lo;
                merged[size++] = hi;
            }
        }
        return new CharSet(Arrays.copyOf(merged, size)).intersect(SEGMENT);
    }

    /** The segment characters not in this set. */
    CharSet segmentComplement() {
        int[] complement = new int[ranges.length + 2];
        int size = 0;
        int next = 0;
        for (int i = 0; i < ranges.length; i += 2) {
            if (ranges[i] > next) {
                complement[size++] = next;
                complement[size++] = ranges[i] - 1;
            }
            next = ranges[i + 1] + 1;
        }
        if (next <= Character.MAX_CODE_POINT) {
            complement[size++] = next;
            complement[size++] = Character.MAX_CODE_POINT;
        }
        return new CharSet(Arrays.copyOf(complement, size)).intersect(SEGMENT);
    }

    /** The code points in both sets: a merge of the two range lists, O(ranges). */
    CharSet intersect(CharSet other) {
        int[] a = ranges;
        int[] b = other.ranges;
        int[] out = new int[a.length + b.length];
        int size = 0;
        int i = 0;
        int j = 0;
        while (i < a.length && j < b.length) {
            int lo = Math.max(a[i], b[j]);
            int hi = Math.min(a[i + 1], b[j + 1]);
            if (lo <= hi) {
                out[size++] = lo;
                out[size++] = hi;
            }
            if (a[i + 1] < b[j + 1]) {
                i += 2;
            } else {
                j += 2;
            }
        }
        return size == 0 ? EMPTY : new CharSet(size == out.length ? out : Arrays.copyOf(out, size));
    }

    boolean isEmpty() {
        return ranges.length == 0;
    }

    boolean contains(int codePoint) {
        for (int i = 0; i < ranges.length && ranges[i] <= codePoint; i += 2) {
            if (codePoint <= ranges[i + 1]) {
                return true;
            }
        }
        return false;
    }

    /**
     * A member other than {@code excluded} (pass -1 to exclude nothing), or -1 when there is none.
     * Prefers {@code 'a'}, then the smallest member that is not white space, so that example paths
     * read well.
     */
    int pick(int excluded) {
        if (excluded != 'a' && contains('a')) {
            return 'a';
        }
        int fallback = -1;
        for (int i = 0; i < ranges.length; i += 2) {
            for (int c = ranges[i]; c <= ranges[i + 1]; c++) {
                if (c == excluded) {
                    continue;
                }
                if (!Character.isWhitespace(c)) {
                    return c;
                }
                if (fallback < 0) {
                    fallback = c;
                }
            }
        }
        return fallback;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof CharSet set && Arrays.equals(ranges, set.ranges);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(ranges);
    }

    @Override
    public String toString() {
        StringBuilder out = new StringBuilder("[");
        for (int i = 0; i < ranges.length; i += 2) {
            out.append(String.format(ranges[i] == ranges[i + 1] ? "%x" : "%x-%x", ranges[i], ranges[i + 1]));
            out.append(i + 2 < ranges.length ? " " : "");
        }
        return out.append(']').toString();
    }
}
