package hive.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The JSON of the API as the client reads and writes it: {@code snake_case} names, RFC 3339
 * times, states by wire name, unknown response fields ignored (the server may add fields; API.md
 * allows it). Request bodies are built field by field, leaving out what is not set, because the
 * server refuses unknown fields. Thread-safe.
 */
final class Wire {

    static final ObjectMapper MAPPER = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    static final TypeReference<LinkedHashMap<String, Object>> MAP = new TypeReference<>() { };

    private static final Set<String> EVENT_FIELDS = Set.of("seq", "type", "swarm_id", "task_id", "agent_id", "at");

    private Wire() {}

    /** A list from the wire, never null, immutable. */
    static <T> List<T> list(List<T> list) {
        return list == null ? List.of() : List.copyOf(list);
    }

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    /** Puts {@code value} unless it is null. */
    static ObjectNode put(ObjectNode body, String name, Object value) {
        if (value != null) {
            body.set(name, MAPPER.valueToTree(value));
        }
        return body;
    }

    /** Seconds, as the API counts them ({@code wait_s}, {@code ttl_s}), to the millisecond. */
    static Double seconds(Duration duration) {
        return duration == null ? null : duration.toMillis() / 1000.0;
    }

    static String text(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a request body", e);
        }
    }

    /** One path segment, percent-encoded (ids are plain, but a bad one must not change the route). */
    static String segment(String value) {
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException("an id must not be null or empty");
        }
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static String query(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /** An event from the {@code data} of an SSE event: its known fields, the rest in {@code data}. */
    static Event event(String json) throws JsonProcessingException {
        JsonNode node = MAPPER.readTree(json);
        if (node == null || !node.isObject() || !node.path("seq").canConvertToLong()) {
            throw new IllegalArgumentException("not an event: " + abbreviate(json));
        }
        Map<String, Object> data = new LinkedHashMap<>();
        node.properties().forEach(field -> {
            if (!EVENT_FIELDS.contains(field.getKey())) {
                data.put(field.getKey(), MAPPER.convertValue(field.getValue(), Object.class));
            }
        });
        JsonNode at = node.get("at");
        return new Event(node.get("seq").asLong(), textOrNull(node.get("type")), textOrNull(node.get("swarm_id")),
                textOrNull(node.get("task_id")), textOrNull(node.get("agent_id")),
                at == null || at.isNull() ? null : Instant.parse(at.asText()), data);
    }

    private static String textOrNull(JsonNode node) {
        return node == null || node.isNull() ? null : node.asText();
    }

    static String abbreviate(String text) {
        if (text == null) {
            return "";
        }
        String flat = text.strip().replaceAll("\\s+", " ");
        return flat.length() <= 300 ? flat : flat.substring(0, 300) + "...";
    }
}
