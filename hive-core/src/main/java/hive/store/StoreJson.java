package hive.store;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import hive.plan.PlanDefaults;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON encodings of the columns that hold lists and small documents (dependency ids, files,
 * blocked_by, event data, plan defaults). Shared by every SQL store so that their columns agree.
 */
public final class StoreJson {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final TypeReference<LinkedHashMap<String, Object>> OBJECT = new TypeReference<>() { };

    private StoreJson() {
    }

    public static String strings(List<String> values) {
        if (values.isEmpty()) {
            return "[]";
        }
        // Task ids and normalized paths rarely need escaping: write those directly (this runs for
        // every task stored), and leave the rest to Jackson.
        StringBuilder json = new StringBuilder(values.size() * 12).append('[');
        for (String value : values) {
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c < 0x20 || c == '"' || c == '\\' || c > 0x7e) {
                    return write(values);
                }
            }
            if (json.length() > 1) {
                json.append(',');
            }
            json.append('"').append(value).append('"');
        }
        return json.append(']').toString();
    }

    /** Reads a JSON array of strings with the streaming parser: this runs for every task row read. */
    public static List<String> strings(String json) {
        if (json == null || json.equals("[]")) {
            return List.of();
        }
        try (JsonParser parser = MAPPER.getFactory().createParser(json)) {
            if (parser.nextToken() != JsonToken.START_ARRAY) {
                throw new IllegalStateException("corrupt JSON column, not an array: " + json);
            }
            List<String> values = new ArrayList<>();
            while (parser.nextToken() == JsonToken.VALUE_STRING) {
                values.add(parser.getText());
            }
            if (parser.currentToken() != JsonToken.END_ARRAY) {
                throw new IllegalStateException("corrupt JSON column, not an array of strings: " + json);
            }
            return List.copyOf(values);
        } catch (IOException e) {
            throw new IllegalStateException("corrupt JSON column: " + json, e);
        }
    }

    public static String object(Map<String, Object> values) {
        return values.isEmpty() ? null : write(values);
    }

    public static Map<String, Object> object(String json) {
        return json == null ? Map.of() : read(json, OBJECT);
    }

    public static String defaults(PlanDefaults defaults) {
        return write(Map.of(
                "max_attempts", defaults.maxAttempts(),
                "timeout_s", defaults.timeoutS(),
                "backoff_s", defaults.backoffS(),
                "role", defaults.role() == null ? "" : defaults.role()));
    }

    public static PlanDefaults defaults(String json) {
        Map<String, Object> map = object(json);
        String role = (String) map.get("role");
        return new PlanDefaults(((Number) map.get("max_attempts")).intValue(),
                ((Number) map.get("timeout_s")).doubleValue(), ((Number) map.get("backoff_s")).doubleValue(),
                role == null || role.isEmpty() ? null : role);
    }

    private static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode " + value, e);
        }
    }

    private static <T> T read(String json, TypeReference<T> type) {
        try {
            return MAPPER.readValue(json, type);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("corrupt JSON column: " + json, e);
        }
    }
}
