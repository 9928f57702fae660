package hive.plan;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Reads the fields of one JSON object of a plan (the plan, its defaults, or one task), checking
 * each field's type and bounds and adding a {@link PlanProblem} for everything wrong instead of
 * stopping. A missing or {@code null} optional field reads as {@code null}, for the caller to
 * default. Every field the object has that is not in {@code known} is reported on construction,
 * with a suggestion when one is close. Not thread-safe; one per object read.
 */
final class FieldReader {

    private final JsonNode object;
    private final String subject;
    private final String prefix;
    private final String path;
    private final String label;
    private final List<PlanProblem> problems;

    /**
     * @param subject  the task problems concern, or null for the plan
     * @param prefix   put before every problem text ("tasks[3]: " for a task without a usable id)
     * @param path     put before field names in {@link PlanProblem#field()} ("tasks[3].")
     * @param label    put before field names in problem texts ("defaults.")
     */
    FieldReader(JsonNode object, List<String> known, String subject, String prefix, String path, String label,
            List<PlanProblem> problems) {
        this.object = object;
        this.subject = subject;
        this.prefix = prefix;
        this.path = path;
        this.label = label;
        this.problems = problems;
        for (Iterator<String> names = object.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!known.contains(name)) {
                String hint = DidYouMean.suggest(name, known).map(s -> " (did you mean '" + s + "'?)").orElse("");
                problem(name, "unknown field " + quote(label + name) + hint);
            }
        }
    }

    void problem(String field, String text) {
        problems.add(new PlanProblem(subject, field == null ? null : path + field, prefix + text, List.of()));
    }

    /** The field's node, or null when it is absent or JSON {@code null}. */
    JsonNode node(String name) {
        JsonNode value = object.get(name);
        return value == null || value.isNull() ? null : value;
    }

    String string(String name) {
        JsonNode value = node(name);
        if (value == null) {
            return null;
        }
        if (!value.isTextual()) {
            problem(name, quote(label + name) + " must be a string, got " + typeOf(value));
            return null;
        }
        return value.textValue();
    }

    String requiredString(String name) {
        if (node(name) == null) {
            problem(name, "missing required field " + quote(label + name));
            return null;
        }
        return string(name);
    }

    /** An integer in {@code [min, max]}; integral decimals such as {@code 2.0} count as integers. */
    Integer integer(String name, int min, int max) {
        JsonNode value = node(name);
        if (value == null) {
            return null;
        }
        if (!value.isNumber()) {
            problem(name, quote(label + name) + " must be an integer, got " + typeOf(value));
            return null;
        }
        if ((value.isDouble() || value.isFloat()) && !Double.isFinite(value.doubleValue())) {
            problem(name, quote(label + name) + " must be an integer, got " + value.asText());
            return null;
        }
        BigDecimal decimal = value.decimalValue();
        if (decimal.signum() != 0 && decimal.stripTrailingZeros().scale() > 0) {
            problem(name, quote(label + name) + " must be an integer, got " + shorten(value.toString()));
            return null;
        }
        if (decimal.compareTo(BigDecimal.valueOf(min)) < 0 || decimal.compareTo(BigDecimal.valueOf(max)) > 0) {
            problem(name, quote(label + name) + " must be between " + min + " and " + max
                    + ", got " + shorten(value.toString()));
            return null;
        }
        return decimal.intValueExact();
    }

    /**
     * A finite number above {@code min} (or equal to it when {@code minInclusive}) and at most
     * {@code max}.
     */
    Double number(String name, double min, boolean minInclusive, double max) {
        JsonNode value = node(name);
        if (value == null) {
            return null;
        }
        if (!value.isNumber()) {
            problem(name, quote(label + name) + " must be a number, got " + typeOf(value));
            return null;
        }
        double number = value.doubleValue();
        boolean aboveMin = minInclusive ? number >= min : number > min;
        if (!Double.isFinite(number) || !aboveMin || number > max) {
            String lower = minInclusive ? "between " + format(min) + " and " : "greater than " + format(min) + " and at most ";
            problem(name, quote(label + name) + " must be " + lower + format(max) + ", got " + shown(value));
            return null;
        }
        return number;
    }

    /** The elements of an array of strings; elements that are not strings are reported and skipped. */
    List<String> strings(String name) {
        JsonNode value = node(name);
        if (value == null) {
            return List.of();
        }
        if (!value.isArray()) {
            problem(name, quote(label + name) + " must be an array of strings, got " + typeOf(value));
            return List.of();
        }
        List<String> strings = new ArrayList<>(value.size());
        for (int i = 0; i < value.size(); i++) {
            JsonNode element = value.get(i);
            if (element.isTextual()) {
                strings.add(element.textValue());
            } else {
                problem(name, quote(label + name + "[" + i + "]") + " must be a string, got " + typeOf(element));
            }
        }
        return strings;
    }

    /** The field as an object, or null when absent or not an object (which is reported). */
    JsonNode object(String name) {
        JsonNode value = node(name);
        if (value == null) {
            return null;
        }
        if (!value.isObject()) {
            problem(name, quote(label + name) + " must be an object, got " + typeOf(value));
            return null;
        }
        return value;
    }

    /** The field as an array, or null when absent or not an array (which is reported). */
    JsonNode array(String name) {
        JsonNode value = node(name);
        if (value == null) {
            return null;
        }
        if (!value.isArray()) {
            problem(name, quote(label + name) + " must be an array, got " + typeOf(value));
            return null;
        }
        return value;
    }

    String label(String name) {
        return label + name;
    }

    static String typeOf(JsonNode value) {
        return switch (value.getNodeType()) {
            case STRING -> "string";
            case NUMBER -> value.isIntegralNumber() ? "integer" : "number";
            case BOOLEAN -> "boolean";
            case ARRAY -> "array";
            case OBJECT, POJO -> "object";
            case NULL, MISSING -> "null";
            case BINARY -> "binary data";
        };
    }

    /** A user-given value in quotes for a message, cut short when long. */
    static String quote(String value) {
        return "'" + shorten(value) + "'";
    }

    private static String shorten(String value) {
        return value.length() <= 100 ? value : value.substring(0, 97) + "...";
    }

    private static String shown(JsonNode number) {
        double value = number.doubleValue();
        return number.isFloatingPointNumber() && Double.isFinite(value) ? shorten(format(value)) : shorten(number.toString());
    }

    private static String format(double number) {
        return BigDecimal.valueOf(number).stripTrailingZeros().toPlainString();
    }
}
