package hive.bench;

import hive.store.Durability;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The options of a load generator's command line: {@code --name value} or {@code --name=value}
 * for the options that take a value, {@code --name} alone for the flags; an unknown option or a
 * missing value is an {@link IllegalArgumentException} naming it, as is a value out of its bounds.
 * The last of a repeated option wins. Immutable.
 */
final class BenchArgs {

    private final Map<String, String> values;

    private BenchArgs(Map<String, String> values) {
        this.values = values;
    }

    /** Reads {@code args}; {@code valued} are the options that take a value, {@code flags} those that do not. */
    static BenchArgs parse(String[] args, List<String> valued, List<String> flags) {
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String name = arg;
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                name = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            }
            if (flags.contains(name) && value == null) {
                values.put(name, "");
                continue;
            }
            if (!valued.contains(name)) {
                throw new IllegalArgumentException("unknown option " + arg);
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(name + " needs a value");
                }
                value = args[++i];
            }
            values.put(name, value);
        }
        return new BenchArgs(values);
    }

    boolean flag(String name) {
        return values.containsKey(name);
    }

    String string(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    Path path(String name) {
        String value = values.get(name);
        return value == null ? null : Path.of(value);
    }

    /** A whole number ({@code 100_000} allowed). */
    long whole(String name, long fallback) {
        String value = values.get(name);
        return value == null ? fallback : whole(name, value);
    }

    /** A whole number in {@code [min, max]}. */
    int count(String name, int fallback, int min, int max) {
        String value = values.get(name);
        return value == null ? fallback : count(name, value, min, max);
    }

    /** A comma-separated list of whole numbers, each in {@code [min, max]}. */
    List<Integer> counts(String name, List<Integer> fallback, int min, int max) {
        String value = values.get(name);
        return value == null ? fallback
                : Stream.of(value.split(",")).map(String::trim).map(s -> count(name, s, min, max)).toList();
    }

    /** A number of seconds, more than 0 (or at least 0 when {@code zeroAllowed}) and at most an hour. */
    double seconds(String name, double fallback, boolean zeroAllowed) {
        String value = values.get(name);
        if (value == null) {
            return fallback;
        }
        try {
            double s = Double.parseDouble(value);
            if (s < 0 || (s == 0 && !zeroAllowed) || s > 3600) {
                throw new IllegalArgumentException(name + " must be a number of seconds in "
                        + (zeroAllowed ? "[0" : "(0") + ", 3600], got " + value);
            }
            return s;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " needs a number of seconds, got '" + value + "'");
        }
    }

    /** {@code --durability normal|strict}. */
    Durability durability(Durability fallback) {
        String value = values.get("--durability");
        if (value == null) {
            return fallback;
        }
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "normal" -> Durability.NORMAL;
            case "strict" -> Durability.STRICT;
            default -> throw new IllegalArgumentException("--durability is normal or strict, got '" + value + "'");
        };
    }

    private static long whole(String name, String value) {
        try {
            return Long.parseLong(value.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " needs a whole number, got '" + value + "'");
        }
    }

    private static int count(String name, String value, int min, int max) {
        long n = whole(name, value);
        if (n < min || n > max) {
            throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", got " + value);
        }
        return (int) n;
    }
}
