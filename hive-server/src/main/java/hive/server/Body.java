package hive.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import hive.plan.DidYouMean;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A JSON request body read strictly (API.md "Conventions"): malformed JSON (content after the
 * value included), a body that is not an object, a field given twice, an unknown field (with the
 * closest known one suggested), a wrong type or a missing required field is an {@link ApiProblem}
 * 400 whose detail names the field. Optional fields that are absent or {@code null} read as
 * {@code null}. Not thread-safe; one per request.
 */
final class Body {

    /** Jackson's message for a field given twice (FAIL_ON_READING_DUP_TREE_KEY). */
    private static final Pattern DUPLICATE_FIELD = Pattern.compile("Duplicate field '([^']*)'");

    private final JsonNode object;

    private Body(JsonNode object) {
        this.object = object;
    }

    /**
     * Parses {@code text}; an empty body is an empty object when {@code emptyAllowed} (every field
     * optional), a 400 otherwise. Every field must be one of {@code known}.
     */
    static Body parse(ObjectMapper mapper, String text, boolean emptyAllowed, List<String> known) {
        if (text == null || text.isBlank()) {
            if (emptyAllowed) {
                return new Body(mapper.createObjectNode());
            }
            throw ApiProblem.badRequest("the request needs a JSON body with " + String.join(", ", known));
        }
        JsonNode node;
        try {
            node = mapper.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS,
                    DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY).readTree(text);
        } catch (JsonProcessingException e) {
            String message = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
            Matcher duplicate = DUPLICATE_FIELD.matcher(message);
            if (duplicate.lookingAt()) {
                throw ApiProblem.badField(duplicate.group(1), "field '" + duplicate.group(1) + "' is given twice");
            }
            throw ApiProblem.badRequest("malformed JSON: "
                    + (message.startsWith("Trailing token") ? "more content after the JSON value" : message)
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ")"));
        }
        if (node == null || !node.isObject()) {
            throw ApiProblem.badRequest("the request body must be a JSON object, got "
                    + (node == null ? "nothing" : kind(node)));
        }
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!known.contains(name)) {
                String hint = DidYouMean.suggest(name, known).map(s -> " (did you mean '" + s + "'?)")
                        .orElse(" (known fields: " + String.join(", ", known) + ")");
                throw ApiProblem.badField(name, "unknown field '" + name + "'" + hint);
            }
        }
        return new Body(node);
    }

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
            throw wrongType(name, "a string", value);
        }
        return value.asText();
    }

    String requiredString(String name) {
        String value = string(name);
        if (value == null) {
            throw missing(name);
        }
        return value;
    }

    Boolean bool(String name) {
        JsonNode value = node(name);
        if (value == null) {
            return null;
        }
        if (!value.isBoolean()) {
            throw wrongType(name, "true or false", value);
        }
        return value.asBoolean();
    }

    /** A whole number; a number with a fraction or out of range is refused. */
    Integer integer(String name, int min, int max) {
        JsonNode value = node(name);
        if (value == null) {
            return null;
        }
        if (!value.isIntegralNumber() && !(value.isNumber() && value.asDouble() == Math.rint(value.asDouble()))) {
            throw wrongType(name, "a whole number", value);
        }
        double n = value.asDouble();
        if (n < min || n > max) {
            throw ApiProblem.badField(name, "field '" + name + "' must be between " + min + " and " + max + ", got "
                    + value);
        }
        return (int) n;
    }

    /** A number (seconds, weights); {@code min} inclusive unless {@code minExclusive}. */
    Double number(String name, double min, boolean minExclusive, double max) {
        JsonNode value = node(name);
        if (value == null) {
            return null;
        }
        if (!value.isNumber()) {
            throw wrongType(name, "a number", value);
        }
        double n = value.asDouble();
        if (Double.isNaN(n) || (minExclusive ? n <= min : n < min) || n > max) {
            throw ApiProblem.badField(name, "field '" + name + "' must be " + (minExclusive ? "more than " : "at least ")
                    + plain(min) + " and at most " + plain(max) + ", got " + value);
        }
        return n;
    }

    /** An array of strings; null when absent. */
    List<String> strings(String name) {
        JsonNode value = node(name);
        if (value == null) {
            return null;
        }
        if (!value.isArray()) {
            throw wrongType(name, "an array of strings", value);
        }
        List<String> items = new ArrayList<>();
        for (int i = 0; i < value.size(); i++) {
            JsonNode item = value.get(i);
            if (!item.isTextual()) {
                throw ApiProblem.badField(name, "field '" + name + "[" + i + "]' must be a string, got " + kind(item));
            }
            items.add(item.asText());
        }
        return items;
    }

    static ApiProblem missing(String name) {
        return ApiProblem.badField(name, "field '" + name + "' is required");
    }

    private static ApiProblem wrongType(String name, String expected, JsonNode value) {
        return ApiProblem.badField(name, "field '" + name + "' must be " + expected + ", got " + kind(value));
    }

    static String kind(JsonNode node) {
        return switch (node.getNodeType()) {
            case STRING -> "string";
            case NUMBER -> "number";
            case BOOLEAN -> "boolean";
            case ARRAY -> "array";
            case OBJECT -> "object";
            case NULL -> "null";
            default -> node.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    private static String plain(double n) {
        return n == Math.rint(n) ? Long.toString((long) n) : Double.toString(n);
    }
}
