package hive.server;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import hive.agents.AgentStatus;
import hive.events.Event;
import hive.locks.LockMode;
import hive.schedule.SwarmStatus;
import hive.schedule.TaskState;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The JSON of the API (API.md "Conventions"): {@code snake_case} field names from the engine's
 * records, times as RFC 3339 strings in UTC ({@code 2026-11-25T20:24:45.123Z}), states by their
 * wire names ({@code in_progress}), {@code null} fields written out (a client sees every field of
 * a resource, set or not).
 */
public final class Json {

    private Json() {}

    /** A mapper configured as above; thread-safe once built. */
    public static ObjectMapper mapper() {
        SimpleModule wire = new SimpleModule("hive-wire-names");
        wire(wire, TaskState.class, TaskState::wire);
        wire(wire, SwarmStatus.class, SwarmStatus::wire);
        wire(wire, AgentStatus.class, AgentStatus::wire);
        wire(wire, LockMode.class, LockMode::wire);
        return new ObjectMapper()
                .registerModule(new JavaTimeModule())
                .registerModule(wire)
                .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    }

    /**
     * An event as the API shows it: {@code {seq, type, swarm_id, task_id?, agent_id?, at, ...data}},
     * its own fields in name order (so two runs write the same event the same way).
     */
    public static Map<String, Object> event(Event e) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("seq", e.seq());
        view.put("type", e.type());
        view.put("swarm_id", e.swarmId());
        if (e.taskId() != null) {
            view.put("task_id", e.taskId());
        }
        if (e.agentId() != null) {
            view.put("agent_id", e.agentId());
        }
        view.put("at", e.at());
        new TreeMap<>(e.data()).forEach(view::putIfAbsent);
        return view;
    }

    private static <E> void wire(SimpleModule module, Class<E> type, Function<E, String> name) {
        module.addSerializer(type, new JsonSerializer<E>() {
            @Override
            public void serialize(E value, JsonGenerator gen, SerializerProvider provider) throws IOException {
                gen.writeString(name.apply(value));
            }
        });
    }
}
