package hive.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The Java client of the HiveMind HTTP API (API.md): one method per endpoint, typed records in
 * and out, on {@link java.net.http.HttpClient} (HTTP/1.1, connections kept alive) and Jackson.
 * <pre>{@code
 * try (HiveClient hive = HiveClient.connect(URI.create("http://127.0.0.1:8000"))) {
 *     Swarm swarm = hive.createSwarm(Path.of("plan.yaml"));
 *     hive.register(AgentSpec.withId("worker-1"));
 *     Optional<Task> task = hive.claim("worker-1", swarm.id(), Duration.ofSeconds(30));
 *     task.ifPresent(t -> hive.complete("worker-1", t.swarmId(), t.id(), "done"));
 * }
 * }</pre>
 *
 * <p><b>Errors.</b> An error answer is a {@link HiveApiException} carrying the problem document
 * (status, type, title, detail and its other fields); no answer at all (refused connection,
 * broken connection, timeout, interrupt, closed client) is a {@link HiveConnectionException}.
 * Both are unchecked. The one exception to the rule is {@link #acquire}: its two {@code 409}
 * refusals are results ({@link LockResult.Conflicted}, {@link LockResult.Deadlocked}).
 *
 * <p><b>Waiting.</b> {@link #claim} and {@link #acquire} with a wait block the calling thread on
 * the server's long-poll, which answers the moment the task or the paths are free; the request's
 * timeout is the wait plus the client's request timeout. Nothing polls.
 *
 * <p><b>Acting as an agent.</b> Methods that act for an agent take its id first
 * ({@code complete(agentId, swarmId, taskId, result)}). With auth on, the client's token decides
 * what it may do: the admin token anything, an agent's token (from {@link #register}) only that
 * agent's actions; see {@link #withToken}.
 *
 * <p>Thread-safe: one client may serve many threads. {@link #close()} aborts calls under way and
 * closes the event streams it opened.
 */
public final class HiveClient implements AutoCloseable {

    private static final TypeReference<List<Swarm>> SWARMS = new TypeReference<>() { };
    private static final TypeReference<List<Task>> TASKS = new TypeReference<>() { };
    private static final TypeReference<List<Agent>> AGENTS = new TypeReference<>() { };
    private static final TypeReference<List<Lock>> LOCKS = new TypeReference<>() { };
    private static final TypeReference<List<LockConflict>> CONFLICTS = new TypeReference<>() { };
    private static final TypeReference<List<String>> STRINGS = new TypeReference<>() { };

    private final Builder settings;
    private final Http http;
    private final Set<EventStream> streams = ConcurrentHashMap.newKeySet();

    private HiveClient(Builder settings) {
        this.settings = settings;
        this.http = new Http(settings.baseUri, settings.token, settings.connectTimeout, settings.requestTimeout);
    }

    /** A client of the server at {@code baseUri} ({@code http://127.0.0.1:8000}), without a token. */
    public static HiveClient connect(URI baseUri) {
        return builder(baseUri).build();
    }

    /** As {@link #connect(URI)}, from a string. */
    public static HiveClient connect(String baseUri) {
        return connect(URI.create(baseUri));
    }

    /** A builder of a client of the server at {@code baseUri}, to set a token or timeouts. */
    public static Builder builder(URI baseUri) {
        return new Builder(baseUri);
    }

    /**
     * A new client of the same server, with the same settings, that sends {@code token} (null:
     * none): the admin token, or the token an agent got from {@link #register}. It has its own
     * connections; close it too.
     */
    public HiveClient withToken(String token) {
        return settings.copy().token(token).build();
    }

    /** The server's base address. */
    public URI baseUri() {
        return settings.baseUri;
    }

    // --- swarms ---

    /** Creates a swarm from a plan in JSON (API.md "Plans"); the answer carries its tasks. */
    public Swarm createSwarm(String planJson) {
        return createSwarm(planJson, PlanFormat.JSON);
    }

    /**
     * Creates a swarm from a plan's text in {@code format}. A plan the server rejects is a
     * {@link HiveApiException} 400 listing every problem ({@link HiveApiException#errors()}, and
     * {@link HiveApiException#cycle()} for a dependency cycle); a rejected plan creates nothing.
     */
    public Swarm createSwarm(String planText, PlanFormat format) {
        Objects.requireNonNull(planText, "planText");
        return read(http.send("POST", "/api/swarms", format.contentType(), planText, Duration.ZERO), Swarm.class);
    }

    /**
     * Creates a swarm from a plan file: YAML when its name ends in {@code .yaml} or {@code .yml},
     * JSON when in {@code .json}, otherwise JSON if its text starts with <code>{</code>, else YAML.
     * {@link UncheckedIOException} when the file cannot be read.
     */
    public Swarm createSwarm(Path planFile) {
        String text;
        try {
            text = Files.readString(planFile, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the plan " + planFile, e);
        }
        return createSwarm(text, formatOf(planFile, text));
    }

    private static PlanFormat formatOf(Path file, String text) {
        String name = file.getFileName() == null ? "" : file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".yaml") || name.endsWith(".yml")) {
            return PlanFormat.YAML;
        }
        if (name.endsWith(".json") || text.stripLeading().startsWith("{")) {
            return PlanFormat.JSON;
        }
        return PlanFormat.YAML;
    }

    /** Every swarm, without their tasks. */
    public List<Swarm> swarms() {
        return read(http.get("/api/swarms"), SWARMS);
    }

    /** A swarm with its tasks; {@link HiveApiException} 404 when unknown. */
    public Swarm swarm(String swarmId) {
        return read(http.get(swarm(swarmId, "")), Swarm.class);
    }

    /** Cancels a swarm: its unfinished tasks become {@code cancelled}. Needs the admin token. */
    public Swarm cancel(String swarmId) {
        return read(http.post(swarm(swarmId, "/cancel"), null), Swarm.class);
    }

    /** Pauses a swarm: nothing new is handed out until {@link #resume}. Needs the admin token. */
    public Swarm pause(String swarmId) {
        return read(http.post(swarm(swarmId, "/pause"), null), Swarm.class);
    }

    /** Resumes a paused swarm; waiting claims may then get its tasks. Needs the admin token. */
    public Swarm resume(String swarmId) {
        return read(http.post(swarm(swarmId, "/resume"), null), Swarm.class);
    }

    /**
     * Adds tasks to a live swarm. {@code tasksJson} is a JSON array of tasks as in a plan
     * (<code>[{"id": "docs", "depends_on": ["build"]}]</code>); they are validated with the
     * swarm's tasks, all or nothing (a {@link HiveApiException} 400 with {@code errors} otherwise).
     * Returns the tasks added.
     */
    public List<Task> addTasks(String swarmId, String tasksJson) {
        JsonNode tasks;
        try {
            tasks = Wire.MAPPER.readTree(tasksJson);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("tasksJson is not JSON: " + e.getOriginalMessage(), e);
        }
        if (tasks == null || !tasks.isArray()) {
            throw new IllegalArgumentException("tasksJson must be a JSON array of tasks");
        }
        ObjectNode body = Wire.object();
        body.set("tasks", tasks);
        JsonNode answer = tree(http.post(swarm(swarmId, "/tasks"), body));
        return convert(answer.path("tasks"), TASKS);
    }

    /** The swarm's tasks, oldest first. */
    public List<Task> tasks(String swarmId) {
        return read(http.get(swarm(swarmId, "/tasks")), TASKS);
    }

    /** The swarm's tasks in {@code state}, oldest first. */
    public List<Task> tasks(String swarmId, TaskState state) {
        return read(http.get(swarm(swarmId, "/tasks?status=" + Wire.query(state.wire()))), TASKS);
    }

    /** One task; {@link HiveApiException} 404 when the swarm or the task is unknown. */
    public Task task(String swarmId, String taskId) {
        return read(http.get(task(swarmId, taskId, "")), Task.class);
    }

    /** The swarm's ready tasks, highest priority first, then oldest (the server's first 100). */
    public List<Task> ready(String swarmId) {
        return read(http.get(swarm(swarmId, "/ready")), TASKS);
    }

    /** The first {@code limit} (1 to 10,000) of the swarm's ready tasks, in the order of {@link #ready(String)}. */
    public List<Task> ready(String swarmId, int limit) {
        return read(http.get(swarm(swarmId, "/ready?limit=" + limit)), TASKS);
    }

    /** How far the swarm is, in the seed's shape ({@code GET /api/planner/{id}/progress}). */
    public Progress progress(String swarmId) {
        return read(http.get("/api/planner/" + Wire.segment(swarmId) + "/progress"), Progress.class);
    }

    // --- agents ---

    /**
     * Registers an agent, or returns it as registered when its id exists (idempotent), renewing
     * its session. The answer carries the token the agent acts with when auth is on.
     */
    public Registered register(AgentSpec spec) {
        ObjectNode body = Wire.object();
        Wire.put(body, "id", spec.id());
        Wire.put(body, "name", spec.name());
        Wire.put(body, "roles", spec.roles());
        Wire.put(body, "max_tasks", spec.maxTasks());
        Wire.put(body, "allowed_paths", spec.allowedPaths());
        JsonNode answer = tree(http.post("/api/agents", body));
        return new Registered(convert(answer, Agent.class), answer.path("token").asText(null));
    }

    /**
     * Renews the agent's session, its tasks' leases and its locks. {@link HiveApiException} 409
     * when the agent is already lost or gone (register it again).
     */
    public Agent heartbeat(String agentId) {
        return read(http.post(agent(agentId, "/heartbeat"), null), Agent.class);
    }

    /** The agent leaves: its locks are released, its tasks go back to the queue; status {@code gone}. */
    public Agent leave(String agentId) {
        return read(http.send("DELETE", agent(agentId, ""), null, null, Duration.ZERO), Agent.class);
    }

    /** Every registered agent, by id. */
    public List<Agent> agents() {
        return read(http.get("/api/agents"), AGENTS);
    }

    /** One agent; {@link HiveApiException} 404 when unknown. */
    public Agent agent(String agentId) {
        return read(http.get(agent(agentId, "")), Agent.class);
    }

    // --- work ---

    /**
     * Claims the highest-priority ready task the agent may take (by role, pinned agent and its
     * {@code max_tasks}) whose files are free, in the swarm {@code swarmId} (null: any running
     * swarm). When nothing fits, <b>blocks</b> up to {@code wait} (at most 60 s) on the server,
     * which answers the moment a task fits (a dependency completed, a file released, a swarm
     * resumed...). The task returned is {@code in_progress} for the agent, its files locked for
     * it; empty when nothing fitted in time. The wait renews the agent's session.
     *
     * <p>A claim abandoned by the caller (interrupted, or its client closed) ends here at once,
     * but the server does not notice the closed connection and keeps waiting: a task that fits
     * before {@code wait} ends is still taken for the agent, unseen, and comes back only by its
     * timeout or the agent's leaving. Call {@link #agent(String)} to see its {@code current_tasks}.
     */
    public Optional<Task> claim(String agentId, String swarmId, Duration wait) {
        Objects.requireNonNull(wait, "wait");
        ObjectNode body = Wire.object();
        Wire.put(body, "swarm_id", swarmId);
        Wire.put(body, "wait_s", Wire.seconds(wait));
        Http.Answer answer = http.post(agent(agentId, "/claim"), body, wait);
        if (answer.status() == 204) {
            return Optional.empty();
        }
        return Optional.of(read(answer, Task.class));
    }

    /** As {@link #claim(String, String, Duration)}, in any running swarm. */
    public Optional<Task> claim(String agentId, Duration wait) {
        return claim(agentId, null, wait);
    }

    /** Whether any agent may start the task now, and why not. */
    public Readiness readiness(String swarmId, String taskId) {
        return read(http.get(task(swarmId, taskId, "/readiness")), Readiness.class);
    }

    /** Whether {@code agentId} may start the task now (its role, its task limit...), and why not. */
    public Readiness readiness(String swarmId, String taskId, String agentId) {
        return read(http.get(task(swarmId, taskId, "/readiness?agent_id=" + Wire.query(agentId))), Readiness.class);
    }

    /**
     * The agent takes this task: {@code in_progress} for it on return, its files locked.
     * {@link HiveApiException} 409 with {@link HiveApiException#reason()} when it may not.
     */
    public Task start(String agentId, String swarmId, String taskId) {
        return read(http.post(task(swarmId, taskId, "/start"), agentBody(agentId)), Task.class);
    }

    /**
     * The agent completes the task it holds, with an optional {@code result}; its locks are
     * released and its dependents may become ready. {@link HiveApiException} 403 when another
     * agent holds it, 409 when it is not in progress.
     */
    public Task complete(String agentId, String swarmId, String taskId, String result) {
        ObjectNode body = agentBody(agentId);
        Wire.put(body, "result", result);
        return read(http.post(task(swarmId, taskId, "/complete"), body), Task.class);
    }

    /** As {@link #complete(String, String, String, String)}, without a result. */
    public Task complete(String agentId, String swarmId, String taskId) {
        return complete(agentId, swarmId, taskId, null);
    }

    /**
     * The agent fails the current attempt of the task it holds; its locks are released. With
     * attempts left and {@code retryable}, the task comes back ({@code pending} until its backoff
     * passes); otherwise it is {@code failed} and blocks its dependents.
     */
    public Task fail(String agentId, String swarmId, String taskId, String error, boolean retryable) {
        ObjectNode body = agentBody(agentId);
        body.put("error", Objects.requireNonNull(error, "error"));
        body.put("retryable", retryable);
        return read(http.post(task(swarmId, taskId, "/fail"), body), Task.class);
    }

    /** As {@link #fail(String, String, String, String, boolean)}, retryable. */
    public Task fail(String agentId, String swarmId, String taskId, String error) {
        return fail(agentId, swarmId, taskId, error, true);
    }

    /**
     * A failed or blocked task (for a blocked one, its failed roots) back to {@code pending} with
     * its attempts reset; its blocked dependents come back too. Needs the admin token.
     */
    public Task retry(String swarmId, String taskId) {
        return read(http.post(task(swarmId, taskId, "/retry"), null), Task.class);
    }

    // --- locks ---

    /**
     * Locks the request's paths for its agent, all or nothing. When they are held and the
     * request has a wait, <b>blocks</b> up to it on the server, in turn with the other waiters,
     * and is granted the moment they are released. Returns {@link LockResult.Granted} with the
     * fencing token; {@link LockResult.Conflicted} with what is still in the way (nothing taken);
     * or, at once, {@link LockResult.Deadlocked} when waiting would close a cycle of agents
     * waiting for each other. Re-acquiring what the agent holds is granted and renews it.
     * {@link HiveApiException} for a bad path (400) or a path outside the agent's allowed paths (403).
     */
    public LockResult acquire(LockRequest request) {
        ObjectNode body = Wire.object();
        body.put("agent_id", request.agentId());
        Wire.put(body, "paths", request.paths());
        body.put("mode", request.mode().wire());
        Wire.put(body, "ttl_s", Wire.seconds(request.ttl()));
        Wire.put(body, "wait_s", Wire.seconds(request.maxWait()));
        Wire.put(body, "task_id", request.taskId());
        Wire.put(body, "workspace", request.workspace());
        Http.Answer answer = http.post("/api/locks/acquire", body, request.maxWait());
        if (answer.status() == 409) {
            JsonNode doc = parse(answer);
            if (doc.path("deadlock").isArray()) {
                return new LockResult.Deadlocked(convert(doc.get("deadlock"), STRINGS));
            }
            if (doc.path("conflicts").isArray()) {
                return new LockResult.Conflicted(convert(doc.get("conflicts"), CONFLICTS));
            }
        }
        JsonNode granted = tree(answer);
        return new LockResult.Granted(granted.path("token").asLong(), convert(granted.path("locks"), LOCKS));
    }

    /**
     * Releases the agent's locks on {@code paths} in the default workspace; waiters may go.
     * Returns the locks released (a path the agent does not hold is skipped); {@link HiveApiException}
     * 403 for a path another agent holds.
     */
    public List<Lock> release(String agentId, List<String> paths) {
        return release(agentId, null, paths);
    }

    /** As {@link #release(String, List)}, in {@code workspace} (null: the default one). */
    public List<Lock> release(String agentId, String workspace, List<String> paths) {
        ObjectNode body = agentBody(agentId);
        Wire.put(body, "paths", Objects.requireNonNull(paths, "paths"));
        Wire.put(body, "workspace", workspace);
        return convert(tree(http.post("/api/locks/release", body)).path("released"), LOCKS);
    }

    /** Releases every lock the agent holds, in every workspace; returns them. */
    public List<Lock> releaseAll(String agentId) {
        return convert(tree(http.post("/api/locks/release", agentBody(agentId))).path("released"), LOCKS);
    }

    /**
     * Renews the agent's locks on {@code paths} in the default workspace for {@code ttl} (null:
     * the server's default) from now; they keep their fencing tokens. Returns the locks renewed.
     */
    public List<Lock> renew(String agentId, List<String> paths, Duration ttl) {
        return renew(agentId, null, paths, ttl);
    }

    /** As {@link #renew(String, List, Duration)}, in {@code workspace} (null: the default one). */
    public List<Lock> renew(String agentId, String workspace, List<String> paths, Duration ttl) {
        ObjectNode body = agentBody(agentId);
        Wire.put(body, "paths", Objects.requireNonNull(paths, "paths"));
        Wire.put(body, "ttl_s", Wire.seconds(ttl));
        Wire.put(body, "workspace", workspace);
        return convert(tree(http.post("/api/locks/renew", body)).path("renewed"), LOCKS);
    }

    /** Renews every lock the agent holds, in every workspace, for {@code ttl} (null: the default). */
    public List<Lock> renewAll(String agentId, Duration ttl) {
        ObjectNode body = agentBody(agentId);
        Wire.put(body, "ttl_s", Wire.seconds(ttl));
        return convert(tree(http.post("/api/locks/renew", body)).path("renewed"), LOCKS);
    }

    /** The locks held, in every workspace. */
    public List<Lock> locks() {
        return read(http.get("/api/locks"), LOCKS);
    }

    /** The locks held in {@code workspace}. */
    public List<Lock> locks(String workspace) {
        return read(http.get("/api/locks?workspace=" + Wire.query(workspace)), LOCKS);
    }

    /** Server-wide counts of tasks, agents and locks, and lock figures. */
    public Stats stats() {
        return read(http.get("/api/stats"), Stats.class);
    }

    // --- events ---

    /** The swarm's events from the first, then live: {@link #events(String, long)} after 0. */
    public EventStream events(String swarmId) {
        return events(swarmId, 0);
    }

    /**
     * The swarm's events after the event {@code afterSeq} (0: from the first), then live, as a
     * blocking iterator that reconnects by itself without loss or repeats. The connection is
     * opened before this returns: {@link HiveApiException} 404 for an unknown swarm. Close it
     * (or this client) when done.
     */
    public EventStream events(String swarmId, long afterSeq) {
        EventStream stream = new EventStream(http, swarmId, afterSeq, streams::remove);
        streams.add(stream);
        if (http.isClosed()) {
            stream.close();
        }
        return stream;
    }

    /**
     * Hands the swarm's events after {@code afterSeq} to {@code onEvent}, in order, one at a time,
     * on a thread of the subscription's own, until it is closed: {@link #events(String, long)}
     * read for you.
     */
    public EventSubscription subscribe(String swarmId, long afterSeq, Consumer<? super Event> onEvent) {
        Objects.requireNonNull(onEvent, "onEvent");
        return new EventSubscription(events(swarmId, afterSeq), onEvent);
    }

    // --- planner and operations ---

    /**
     * Asks the server's planner to make a swarm from {@code message} ({@code POST
     * /orchestrator/process}); the answer's swarm. {@link HiveApiException} 503 when the server
     * has no planner: write the plan and {@link #createSwarm(String)} it instead.
     */
    public Swarm orchestrate(String message, String userId) {
        ObjectNode body = Wire.object();
        body.put("message", Objects.requireNonNull(message, "message"));
        Wire.put(body, "user_id", userId);
        JsonNode answer = tree(http.post("/orchestrator/process", body));
        return convert(answer.path("swarm"), Swarm.class);
    }

    /** Whether the server and its store work; a store that does not answer is {@code unavailable}, not thrown. */
    public Health health() {
        Http.Answer answer = http.get("/health");
        if (answer.status() == 503) {
            JsonNode doc = parse(answer);
            if (doc.has("status")) {
                return convert(doc, Health.class);
            }
        }
        return read(answer, Health.class);
    }

    /** The server's metrics, as Prometheus text. */
    public String metrics() {
        return text(http.send("GET", "/metrics", null, null, Duration.ZERO));
    }

    /** The server's description of its API, as the JSON text of an OpenAPI 3.1 document. */
    public String openApi() {
        return text(http.get("/openapi.json"));
    }

    /** Closes the event streams this client opened and aborts its calls under way. Idempotent. */
    @Override
    public void close() {
        http.close();
        for (EventStream stream : List.copyOf(streams)) {
            stream.close();
        }
    }

    @Override
    public String toString() {
        return "HiveClient[" + settings.baseUri + (settings.token == null ? "" : ", with a token") + "]";
    }

    // --- plumbing ---

    private static String swarm(String swarmId, String rest) {
        return "/api/swarms/" + Wire.segment(swarmId) + rest;
    }

    private static String task(String swarmId, String taskId, String rest) {
        return swarm(swarmId, "/tasks/" + Wire.segment(taskId) + rest);
    }

    private static String agent(String agentId, String rest) {
        return "/api/agents/" + Wire.segment(agentId) + rest;
    }

    private static ObjectNode agentBody(String agentId) {
        ObjectNode body = Wire.object();
        body.put("agent_id", Objects.requireNonNull(agentId, "agentId"));
        return body;
    }

    private static String text(Http.Answer answer) {
        if (!answer.ok()) {
            throw Http.problem(answer);
        }
        return answer.body();
    }

    /** The body of a successful answer as a tree; the error as an exception. */
    private static JsonNode tree(Http.Answer answer) {
        if (!answer.ok()) {
            throw Http.problem(answer);
        }
        return parse(answer);
    }

    private static JsonNode parse(Http.Answer answer) {
        try {
            JsonNode node = Wire.MAPPER.readTree(answer.body());
            if (node == null || node.isMissingNode()) {
                throw unreadable(answer, null);
            }
            return node;
        } catch (JsonProcessingException e) {
            if (!answer.ok()) {
                throw Http.problem(answer);
            }
            throw unreadable(answer, e);
        }
    }

    private static <T> T read(Http.Answer answer, Class<T> type) {
        return convert(tree(answer), type, answer);
    }

    private static <T> T read(Http.Answer answer, TypeReference<T> type) {
        JsonNode node = tree(answer);
        try {
            return Wire.MAPPER.convertValue(node, type);
        } catch (IllegalArgumentException e) {
            throw unreadable(answer, e);
        }
    }

    private static <T> T convert(JsonNode node, Class<T> type) {
        return convert(node, type, null);
    }

    private static <T> T convert(JsonNode node, Class<T> type, Http.Answer answer) {
        try {
            return Wire.MAPPER.treeToValue(node, type);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new HiveClientException((answer == null ? "" : answer.method() + " " + answer.path() + ": ")
                    + "the answer is not a " + type.getSimpleName() + " this client can read: "
                    + Wire.abbreviate(node.toString()), e);
        }
    }

    private static <T> T convert(JsonNode node, TypeReference<T> type) {
        if (node == null || node.isMissingNode() || node.isNull()) {
            node = Wire.MAPPER.createArrayNode();
        }
        try {
            return Wire.MAPPER.convertValue(node, type);
        } catch (IllegalArgumentException e) {
            throw new HiveClientException("the answer is not what this client can read: "
                    + Wire.abbreviate(node.toString()), e);
        }
    }

    private static HiveClientException unreadable(Http.Answer answer, Exception cause) {
        return new HiveClientException(answer.method() + " " + answer.path() + ": " + answer.status()
                + " with a body this client cannot read: " + Wire.abbreviate(answer.body()), cause);
    }

    /**
     * How to make a {@link HiveClient}: the server's address (required), a bearer token and the
     * timeouts. Not thread-safe; {@link #build()} may be called more than once.
     */
    public static final class Builder {

        private final URI baseUri;
        private String token;
        private Duration connectTimeout = Duration.ofSeconds(10);
        private Duration requestTimeout = Duration.ofSeconds(30);

        private Builder(URI baseUri) {
            Objects.requireNonNull(baseUri, "baseUri");
            String scheme = baseUri.getScheme();
            if (!"http".equalsIgnoreCase(scheme) && !"https".equalsIgnoreCase(scheme)) {
                throw new IllegalArgumentException("the server's address must be http:// or https://, got " + baseUri);
            }
            this.baseUri = baseUri;
        }

        /** The bearer token sent with every request (null: none), the admin's or an agent's. */
        public Builder token(String token) {
            if (token != null && token.isBlank()) {
                throw new IllegalArgumentException("the token must not be blank");
            }
            this.token = token;
            return this;
        }

        /** How long to wait for a connection (default 10 s). */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = positive(timeout, "connectTimeout");
            return this;
        }

        /**
         * How long to wait for an answer (default 30 s); a claim or lock wait gets its wait on top,
         * an event stream only until the stream starts.
         */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = positive(timeout, "requestTimeout");
            return this;
        }

        public HiveClient build() {
            return new HiveClient(copy());
        }

        private Builder copy() {
            Builder copy = new Builder(baseUri);
            copy.token = token;
            copy.connectTimeout = connectTimeout;
            copy.requestTimeout = requestTimeout;
            return copy;
        }

        private static Duration positive(Duration d, String name) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive, got " + d);
            }
            return d;
        }
    }
}
