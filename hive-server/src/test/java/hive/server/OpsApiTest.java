package hive.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import hive.server.TestServer.Reply;
import org.junit.jupiter.api.Test;

/** API.md "Operations": health, Prometheus metrics, the index. */
class OpsApiTest extends ApiTest {

    @Test
    void healthSaysTheServerAndItsStoreWork() {
        JsonNode health = api.get("/health").expect(200).json();

        assertThat(health.get("status").asText()).isEqualTo("ok");
    }

    @Test
    void metricsArePrometheusTextWithTheHiveSeries() {
        String swarmId = createSwarm("{'name': 's', 'tasks': [{'id': 'a'}, {'id': 'b', 'depends_on': ['a']}]}");
        register("w1");
        claim("w1", swarmId);
        api.post("/api/locks/acquire", json("{'agent_id': 'x1', 'paths': ['f']}")).expect(200);
        api.post("/api/locks/acquire", json("{'agent_id': 'x2', 'paths': ['f']}")).expect(409);

        Reply metrics = api.get("/metrics").expect(200);

        assertThat(metrics.contentType()).startsWith("text/plain");
        assertThat(metrics.body()).contains("hive_tasks", "hive_locks_held", "hive_lock_waiters", "hive_lock_conflicts",
                "hive_lock_expiries", "hive_lock_deadlocks", "hive_http_requests");
        assertThat(metrics.body()).contains("hive_tasks{state=\"in_progress\"} 1.0")
                .contains("hive_tasks{state=\"pending\"} 1.0")
                .contains("hive_lock_conflicts_total 1.0")
                .contains("hive_locks_held 1.0");
        assertThat(metrics.body()).as("requests by route, not by raw path")
                .contains("route=\"/api/agents/{id}/claim\"").doesNotContain("route=\"/api/agents/w1/claim\"");
    }

    @Test
    void theIndexPointsAtTheApi() {
        JsonNode index = api.get("/").expect(200).json();

        assertThat(index.get("openapi").asText()).isEqualTo("/openapi.json");
        assertThat(index.get("health").asText()).isEqualTo("/health");
    }
}
