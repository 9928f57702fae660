package hive.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import hive.Conflict;
import hive.Forbidden;
import hive.Hive;
import hive.NotFound;
import hive.plan.PlanProblem;
import hive.plan.PlanRejected;
import hive.store.StoreFailure;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import io.javalin.json.JavalinJackson;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HiveMind HTTP server: the API of API.md over one {@link Hive}, on Javalin (Jetty) with
 * virtual threads, so that long-polls (claims and lock waits) block a cheap thread on the engine's
 * wake-ups. Errors are {@code application/problem+json}. Routes: {@link ApiRoutes}; events:
 * {@link EventStream}; operations: {@link OpsRoutes}.
 *
 * <p>{@link #close()} shuts down gracefully: waits in progress are ended first (a waiting claim
 * answers 204, a lock wait 409), then Jetty stops accepting and lets requests under way finish,
 * then the engine closes. Thread-safe.
 */
public final class HiveServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HiveServer.class);

    private final Hive hive;
    private final ServerConfig config;
    private final Javalin app;
    private final ServerMetrics metrics;
    private final EventStream events;
    /** Ends the waits of clients that go away while they wait. */
    private final DisconnectWatch disconnects = DisconnectWatch.start();
    /** Counts the requests under way, so that {@link #close()} can let them finish. */
    private final GracefulHandler requests = new GracefulHandler();
    /** Keeps the log to a few lines while the database cannot be reached. */
    private final StoreOutage outage = new StoreOutage(System::nanoTime);
    private volatile boolean closed;

    private HiveServer(Hive hive, ServerConfig config) {
        this.hive = hive;
        this.config = config;
        ObjectMapper mapper = Json.mapper();
        Auth auth = new Auth(config.token());
        this.metrics = new ServerMetrics(hive);
        this.events = new EventStream(hive, mapper);
        ApiRoutes api = new ApiRoutes(hive, mapper, auth, events, disconnects);
        this.app = Javalin.create(javalin -> {
            javalin.startup.showJavalinBanner = false;
            javalin.startup.showOldJavalinVersionWarning = false;
            javalin.concurrency.useVirtualThreads = true;
            javalin.http.maxRequestSize = config.maxBodyBytes();
            javalin.http.prefer405over404 = true;
            javalin.jsonMapper(new JavalinJackson(mapper, true));
            javalin.jetty.host = config.host();
            javalin.jetty.port = config.port();
            javalin.jetty.modifyServer(jetty -> jetty.insertHandler(requests));
            RouteTable table = new RouteTable(javalin.routes);
            javalin.routes.before(ctx -> {
                ctx.attribute(ServerMetrics.STARTED, System.nanoTime());
                auth.authenticate(ctx);
                if (ctx.contentLength() > config.maxBodyBytes()) {
                    // Also for routes that do not read their body; the rest is Javalin's check.
                    throw tooLarge(config.maxBodyBytes());
                }
            });
            javalin.routes.after(ctx -> {
                metrics.record(ctx);
                if (ctx.statusCode() < 300 && ctx.path().startsWith("/api/")) {
                    outage.served();
                }
            });
            api.register(table);
            new OpsRoutes(hive, mapper, metrics, table, outage).register(table);
            javalin.routes.exception(ApiProblem.class, (e, ctx) -> problem(ctx, e));
            javalin.routes.exception(NotFound.class, (e, ctx) -> problem(ctx, ApiProblem.notFound(e.getMessage())));
            javalin.routes.exception(Conflict.class, (e, ctx) -> problem(ctx, ApiProblem.conflict(e.getMessage())));
            javalin.routes.exception(Forbidden.class, (e, ctx) -> problem(ctx, ApiProblem.forbidden(e.getMessage())));
            javalin.routes.exception(PlanRejected.class, (e, ctx) -> problem(ctx, rejected(e)));
            javalin.routes.exception(IllegalArgumentException.class,
                    (e, ctx) -> problem(ctx, ApiProblem.badRequest(e.getMessage())));
            javalin.routes.exception(StoreFailure.class, (e, ctx) -> {
                if (StoreOutage.unavailable(e)) {
                    outage.failed(ctx.method() + " " + ctx.path(), e);
                } else {
                    log.error("store failure on {} {}", ctx.method(), ctx.path(), e);
                }
                problem(ctx, ApiProblem.unavailable("the store could not complete the request: " + e.getMessage()));
            });
            javalin.routes.exception(IllegalStateException.class, (e, ctx) -> {
                if (closed) {
                    problem(ctx, ApiProblem.unavailable("the server is shutting down"));
                } else {
                    log.error("request failed: {} {}", ctx.method(), ctx.path(), e);
                    problem(ctx, new ApiProblem(500, "internal", "Internal error", "the request failed: "
                            + e.getMessage()));
                }
            });
            javalin.routes.exception(Exception.class, (e, ctx) -> {
                log.error("request failed: {} {}", ctx.method(), ctx.path(), e);
                problem(ctx, new ApiProblem(500, "internal", "Internal error",
                        "the request failed unexpectedly; the server log has the details"));
            });
            javalin.routes.error(404, ctx -> {
                if (ctx.attribute(PROBLEM_WRITTEN) == null) {
                    problem(ctx, ApiProblem.notFound("no route " + ctx.method() + " " + ctx.path()));
                }
            });
            javalin.routes.error(405, ctx -> problem(ctx, new ApiProblem(405, "method-not-allowed",
                    "Method not allowed", ctx.method() + " is not allowed on " + ctx.path())));
            javalin.routes.error(413, ctx -> problem(ctx, tooLarge(config.maxBodyBytes())));
        });
    }

    private static final String PROBLEM_WRITTEN = "hive.problem";
    /** How long {@link #close()} lets requests under way finish. */
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    /** Starts a server for {@code hive}; {@link #port()} tells the port when {@code config.port()} is 0. */
    public static HiveServer start(Hive hive, ServerConfig config) {
        HiveServer server = new HiveServer(hive, config);
        try {
            server.app.start();
        } catch (RuntimeException e) {
            server.disconnects.close();
            throw e;
        }
        log.info("HiveMind listening on http://{}:{} (auth {})", config.host(), server.port(),
                config.authOn() ? "on" : "off: loopback only");
        return server;
    }

    public int port() {
        return app.port();
    }

    /**
     * The routes Javalin actually serves, as {@code "METHOD /path"} ({@code "GET /api/swarms/{id}"}):
     * what {@code GET /openapi.json} must describe.
     */
    List<String> endpoints() {
        return app.unsafe.internalRouter.allHttpHandlers().stream().map(parsed -> parsed.endpoint)
                .filter(e -> e.method.isHttpMethod()).map(e -> e.method.name() + " " + e.path).toList();
    }

    /** The base address clients use: {@code http://host:port}. */
    public String url() {
        String host = config.host().contains(":") ? "[" + config.host() + "]" : config.host();
        return "http://" + host + ":" + port();
    }

    static void problem(Context ctx, ApiProblem problem) {
        ctx.attribute(PROBLEM_WRITTEN, true);
        ctx.status(HttpStatus.forStatus(problem.status()));
        if (problem.status() == 401) {
            ctx.header("WWW-Authenticate", "Bearer realm=\"hivemind\"");
        }
        try {
            ctx.result(PROBLEM_JSON.writeValueAsString(problem.document()));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot write a problem document", e);
        }
        ctx.contentType("application/problem+json");
    }

    private static final ObjectMapper PROBLEM_JSON = Json.mapper();

    private static ApiProblem tooLarge(long limit) {
        return new ApiProblem(413, "too-large", "Content too large",
                "the request body is larger than this server's limit of " + limit + " bytes");
    }

    private static ApiProblem rejected(PlanRejected e) {
        List<Map<String, Object>> errors = e.problems().stream().map(HiveServer::problemEntry).toList();
        ApiProblem problem = ApiProblem.badRequest(e.getMessage()).with("errors", errors);
        e.cycle().ifPresent(cycle -> problem.with("cycle", cycle));
        return problem;
    }

    private static Map<String, Object> problemEntry(PlanProblem p) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("task", p.task());
        entry.put("field", p.field());
        entry.put("problem", p.problem());
        if (!p.cycle().isEmpty()) {
            entry.put("cycle", p.cycle());
        }
        return entry;
    }

    /**
     * Refuses new requests (503) and waits, at most {@link #STOP_TIMEOUT}, until those under way
     * have sent their answers: stopping Jetty at once would cut them off mid-answer.
     */
    private void finishRequests() {
        try {
            requests.shutdown().get(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            log.warn("requests still under way after {} s; stopping anyway", STOP_TIMEOUT.toSeconds());
        } catch (ExecutionException e) {
            log.warn("waiting for the requests under way failed; stopping anyway", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Ends waits in progress, stops accepting and lets requests under way finish, then closes the
     * engine. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        log.info("HiveMind shutting down: ending waits, finishing requests under way");
        events.close();
        hive.endWaits();
        finishRequests();
        disconnects.close();
        app.stop();
        hive.close();
        log.info("HiveMind stopped");
    }
}
