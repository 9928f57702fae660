package hive.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import hive.Hive;
import hive.store.StoreFailure;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Operations (API.md "Operations"): {@code /health} (checks the store), {@code /metrics}
 * (Prometheus text), {@code /openapi.json} (every route of the {@link RouteTable}) and {@code /}.
 */
final class OpsRoutes {

    private static final Logger log = LoggerFactory.getLogger(OpsRoutes.class);
    private static final Pattern PARAM = Pattern.compile("\\{([a-z_]+)}");

    private final Hive hive;
    private final ObjectMapper mapper;
    private final ServerMetrics metrics;
    private final RouteTable table;
    private final StoreOutage outage;

    OpsRoutes(Hive hive, ObjectMapper mapper, ServerMetrics metrics, RouteTable table, StoreOutage outage) {
        this.hive = hive;
        this.mapper = mapper;
        this.metrics = metrics;
        this.table = table;
        this.outage = outage;
    }

    void register(RouteTable r) {
        r.get("/health", "Whether the server and its store work", this::health, 200, "{status: ok}",
                503, "the store does not answer");
        r.get("/metrics", "Prometheus metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8")
                .result(metrics.scrape()), 200, "Prometheus text");
        r.get("/openapi.json", "This API, as OpenAPI 3.1", ctx -> ctx.json(openApi()), 200, "the OpenAPI document");
        r.get("/", "Where to look: the API, its description, health and metrics", this::index, 200, "links");
    }

    private void health(Context ctx) {
        try {
            hive.store().read(tx -> tx.swarm("sw_health"));
            ctx.json(Map.of("status", "ok", "store", "ok"));
            outage.served();
        } catch (RuntimeException e) {
            if (e instanceof StoreFailure failure && StoreOutage.unavailable(failure)) {
                outage.failed("GET /health", failure); // a load balancer asks every few seconds: a line, not a trace
            } else {
                log.warn("health check: the store does not answer", e);
            }
            ctx.status(HttpStatus.SERVICE_UNAVAILABLE).json(Map.of("status", "unavailable", "store",
                    String.valueOf(e.getMessage())));
        }
    }

    private void index(Context ctx) {
        Map<String, Object> links = new LinkedHashMap<>();
        links.put("name", "HiveMind");
        links.put("api", "/api/swarms");
        links.put("openapi", "/openapi.json");
        links.put("health", "/health");
        links.put("metrics", "/metrics");
        ctx.json(links);
    }

    /** OpenAPI 3.1 from the route table: every route, its path parameters and its answers. */
    ObjectNode openApi() {
        ObjectNode doc = mapper.createObjectNode();
        doc.put("openapi", "3.1.0");
        ObjectNode info = doc.putObject("info");
        info.put("title", "HiveMind");
        info.put("version", "1");
        info.put("description", "Coordination server for swarms of agents: task graphs, file locks, progress."
                + " Errors are application/problem+json (RFC 9457).");
        ObjectNode security = doc.putObject("components").putObject("securitySchemes");
        security.putObject("bearer").put("type", "http").put("scheme", "bearer");
        doc.putArray("security").addObject().putArray("bearer");
        ObjectNode paths = doc.putObject("paths");
        for (RouteTable.Route route : table.routes()) {
            ObjectNode path = paths.has(route.path()) ? (ObjectNode) paths.get(route.path())
                    : paths.putObject(route.path());
            ObjectNode op = path.putObject(route.method());
            op.put("summary", route.summary());
            op.put("operationId", route.method() + route.path().replaceAll("[^A-Za-z0-9]+", "_"));
            Matcher m = PARAM.matcher(route.path());
            ArrayNode params = null;
            while (m.find()) {
                if (params == null) {
                    params = op.putArray("parameters");
                }
                params.addObject().put("name", m.group(1)).put("in", "path").put("required", true)
                        .putObject("schema").put("type", "string");
            }
            ObjectNode responses = op.putObject("responses");
            route.responses().forEach((status, what) -> responses.putObject(Integer.toString(status))
                    .put("description", what));
            if (!route.responses().containsKey(400) && route.method().equals("post")) {
                responses.putObject("400").put("description", "invalid request: the detail names the field");
            }
            if (route.method().equals("post")) {
                responses.putObject("413").put("description", "the body is larger than the server's limit");
            }
            responses.putObject("401").put("description", "missing or bad token (auth on)");
        }
        return doc;
    }
}
