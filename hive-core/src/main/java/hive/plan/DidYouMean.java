package hive.plan;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Suggests the known field name that an unknown one was probably meant to be: a common synonym
 * ({@code dependencies} for {@code depends_on}), the same name in another case style
 * ({@code dependsOn}), a prefix ({@code desc}), or a name within a small edit distance (optimal
 * string alignment, the restricted Damerau–Levenshtein distance, O(n·m) for names of length n
 * and m). Stateless.
 */
public final class DidYouMean {

    private static final Map<String, String> SYNONYMS = Map.ofEntries(
            Map.entry("dependencies", "depends_on"),
            Map.entry("dependency", "depends_on"),
            Map.entry("deps", "depends_on"),
            Map.entry("needs", "depends_on"),
            Map.entry("after", "depends_on"),
            Map.entry("requires", "depends_on"),
            Map.entry("command", "run"),
            Map.entry("cmd", "run"),
            Map.entry("script", "run"),
            Map.entry("exec", "run"),
            Map.entry("shell", "run"),
            Map.entry("paths", "files"),
            Map.entry("locks", "files"),
            Map.entry("retries", "max_attempts"),
            Map.entry("attempts", "max_attempts"),
            Map.entry("max_retries", "max_attempts"),
            Map.entry("timeout", "timeout_s"),
            Map.entry("backoff", "backoff_s"),
            Map.entry("name", "title"),
            Map.entry("title", "name"),
            Map.entry("summary", "title"),
            Map.entry("desc", "description"),
            Map.entry("roles", "role"),
            Map.entry("assignee", "agent"),
            Map.entry("agent_id", "agent"),
            Map.entry("prio", "priority"),
            Map.entry("steps", "tasks"),
            Map.entry("jobs", "tasks"),
            Map.entry("description", "goal"),
            Map.entry("namespace", "workspace"));

    /** Names longer than this get no suggestion: nobody mistypes a field that badly. */
    private static final int LONGEST_COMPARED = 64;

    private DidYouMean() {}

    /** The known name closest to {@code unknown}, if any is close enough to be a likely mistake. */
    public static Optional<String> suggest(String unknown, List<String> known) {
        if (unknown.length() > LONGEST_COMPARED) {
            return Optional.empty();
        }
        String lower = unknown.toLowerCase(Locale.ROOT);
        String synonym = SYNONYMS.get(lower);
        if (synonym != null && known.contains(synonym)) {
            return Optional.of(synonym);
        }
        String squashed = squash(lower);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String name : known) {
            if (squash(name).equals(squashed)
                    || lower.length() >= 3 && name.startsWith(lower)) {
                return Optional.of(name);
            }
            int distance = distance(lower, name);
            int limit = Math.max(2, name.length() / 3);
            if (distance <= limit && distance < name.length() && distance < lower.length()
                    && distance < bestDistance) {
                best = name;
                bestDistance = distance;
            }
        }
        return Optional.ofNullable(best);
    }

    /** Optimal string alignment distance: insertions, deletions, substitutions, adjacent swaps. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }

    private static String squash(String name) {
        return name.replace("_", "").replace("-", "").toLowerCase(Locale.ROOT);
    }
}
