package hive.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import hive.Hive;
import hive.agents.Agent;
import hive.agents.AgentProfile;
import hive.agents.AgentStatus;
import hive.agents.Registration;
import hive.locks.AcquireResult;
import hive.locks.Lock;
import hive.locks.LockMode;
import hive.locks.LockPath;
import hive.locks.LockRequest;
import hive.locks.LockTable;
import hive.plan.PlanFormat;
import hive.plan.Plans;
import hive.schedule.Progress;
import hive.schedule.Readiness;
import hive.schedule.Swarm;
import hive.schedule.Task;
import hive.schedule.TaskState;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The routes of API.md "Endpoints", each a thin translation between HTTP and one {@link Hive}
 * call: the body read strictly ({@link Body}), the caller checked ({@link Auth}), the engine's
 * answer written as JSON. Engine exceptions become problems in {@link HiveServer}.
 */
final class ApiRoutes {

    /** Task and agent ids (API.md "Conventions"). */
    static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final Pattern SWARM_ID = Pattern.compile("sw_[A-Za-z0-9]{1,64}");
    private static final double MAX_TTL_S = 7 * 24 * 3600;
    private static final com.fasterxml.jackson.core.type.TypeReference<LinkedHashMap<String, Object>> MAP =
            new com.fasterxml.jackson.core.type.TypeReference<>() { };

    private final Hive hive;
    private final ObjectMapper mapper;
    private final Auth auth;
    private final EventStream events;
    private final DisconnectWatch disconnects;

    ApiRoutes(Hive hive, ObjectMapper mapper, Auth auth, EventStream events, DisconnectWatch disconnects) {
        this.hive = hive;
        this.mapper = mapper;
        this.auth = auth;
        this.events = events;
        this.disconnects = disconnects;
    }

    void register(RouteTable r) {
        // swarms
        r.post("/api/swarms", "Create a swarm from a plan (JSON, or YAML with Content-Type application/yaml)",
                this::createSwarm, 201, "the swarm, with its tasks", 400, "invalid plan: errors (and cycle)");
        r.get("/api/swarms", "List swarms", ctx -> ctx.json(hive.swarms()), 200, "swarms");
        r.get("/api/swarms/{id}", "A swarm with its tasks", ctx -> ctx.json(swarmWithTasks(swarmId(ctx))),
                200, "the swarm", 404, "unknown swarm");
        r.post("/api/swarms/{id}/cancel", "Cancel a swarm", ctx -> ctx.json(admin(ctx, "cancelling a swarm",
                () -> hive.cancel(swarmId(ctx)))), 200, "the swarm", 404, "unknown swarm", 409, "not allowed now");
        r.post("/api/swarms/{id}/pause", "Pause a swarm: nothing new is handed out", ctx -> ctx.json(admin(ctx,
                "pausing a swarm", () -> hive.pause(swarmId(ctx)))), 200, "the swarm", 404, "unknown swarm",
                409, "not allowed now");
        r.post("/api/swarms/{id}/resume", "Resume a paused swarm", ctx -> ctx.json(admin(ctx, "resuming a swarm",
                () -> hive.resume(swarmId(ctx)))), 200, "the swarm", 404, "unknown swarm", 409, "not allowed now");
        r.post("/api/swarms/{id}/tasks", "Add tasks to a live swarm", this::addTasks, 201, "the tasks added",
                400, "invalid tasks: errors (and cycle)", 404, "unknown swarm", 409, "the swarm is finished");
        r.get("/api/swarms/{id}/tasks", "A swarm's tasks, optionally of one status", this::tasks, 200, "tasks",
                400, "unknown status", 404, "unknown swarm");
        r.get("/api/swarms/{id}/tasks/{task_id}", "One task", ctx -> ctx.json(hive.task(swarmId(ctx),
                taskId(ctx))), 200, "the task", 404, "unknown swarm or task");
        r.get("/api/swarms/{id}/ready", "Ready tasks, highest priority first, then oldest", this::ready,
                200, "tasks", 404, "unknown swarm");
        r.get("/api/planner/{id}/progress", "How far a swarm is (the seed's shape)",
                ctx -> ctx.json(progress(hive.progress(swarmId(ctx)))), 200, "progress", 404, "unknown swarm");
        events.register(r);

        // agents
        r.post("/api/agents", "Register an agent (idempotent); answers its token", this::registerAgent,
                201, "the agent and its token", 400, "invalid registration");
        r.get("/api/agents", "List agents", ctx -> ctx.json(hive.agents()), 200, "agents");
        r.get("/api/agents/{id}", "One agent", ctx -> ctx.json(hive.agent(agentId(ctx))), 200, "the agent",
                404, "unknown agent");
        r.post("/api/agents/{id}/heartbeat", "Renew the agent's session, its tasks' leases and its locks",
                ctx -> ctx.json(hive.heartbeat(actingAgent(ctx))), 200, "the agent", 404, "unknown agent",
                409, "the agent is lost or gone");
        r.delete("/api/agents/{id}", "The agent leaves: its tasks and locks are taken back",
                ctx -> ctx.json(hive.leave(actingAgent(ctx))), 200, "the agent, gone", 404, "unknown agent");

        // work
        r.post("/api/agents/{id}/claim", "Claim the next task this agent may take, waiting up to wait_s",
                this::claim, 200, "the task, now in progress", 204, "nothing fitted before wait_s",
                404, "unknown agent or swarm", 409, "the agent is lost or gone");
        r.get("/api/swarms/{id}/tasks/{task_id}/readiness", "Whether the task may start now, and why not",
                this::readiness, 200, "{ready, reason}", 404, "unknown swarm, task or agent");
        r.post("/api/swarms/{id}/tasks/{task_id}/start", "Take this task", this::start, 200, "the task",
                404, "unknown swarm, task or agent", 409, "not ready: reason");
        r.post("/api/swarms/{id}/tasks/{task_id}/complete", "Complete the task held by agent_id", this::complete,
                200, "the task", 403, "held by another agent", 404, "unknown swarm or task", 409, "not in progress");
        r.post("/api/swarms/{id}/tasks/{task_id}/fail", "Fail the current attempt", this::fail, 200, "the task",
                403, "held by another agent", 404, "unknown swarm or task", 409, "not in progress");
        r.post("/api/swarms/{id}/tasks/{task_id}/retry", "A failed or blocked task back to pending", ctx ->
                ctx.json(admin(ctx, "retrying a task", () -> hive.retry(swarmId(ctx), taskId(ctx)))),
                200, "the task", 404, "unknown swarm or task", 409, "not failed or blocked");

        // locks
        r.post("/api/locks/acquire", "Lock paths for an agent, all or nothing, waiting up to wait_s",
                this::acquire, 200, "{granted: true, token, locks}", 400, "bad path or field",
                403, "outside the agent's allowed paths", 409, "{granted: false, conflicts} or {deadlock}");
        r.post("/api/locks/release", "Release the agent's locks on paths (all without paths)", this::release,
                200, "{released}", 403, "held by another agent");
        r.post("/api/locks/renew", "Renew the agent's locks on paths (all without paths)", this::renew,
                200, "{renewed}");
        r.get("/api/locks", "Locks held, in one workspace or all", this::locks, 200, "locks");
        r.get("/api/stats", "Counts of tasks by state, locks, agents, conflicts, expiries, deadlocks, waits",
                ctx -> ctx.json(stats()), 200, "statistics");

        // planner
        r.post("/orchestrator/process", "Make a swarm from a message with the configured planner",
                this::orchestrate, 201, "{swarm_id, swarm}", 400, "invalid request",
                503, "no planner configured");
    }

    // --- swarms ---

    private void createSwarm(Context ctx) {
        auth.requireAdmin(ctx, "creating a swarm");
        String type = ctx.contentType() == null ? "" : ctx.contentType().toLowerCase(Locale.ROOT);
        PlanFormat format = type.contains("yaml") ? PlanFormat.YAML : PlanFormat.JSON;
        String text = ctx.body();
        if (text.isBlank()) {
            throw ApiProblem.badRequest("the request needs a plan as its body (JSON, or YAML with Content-Type"
                    + " application/yaml)");
        }
        Swarm swarm = hive.createSwarm(Plans.parse(text, format));
        ctx.status(HttpStatus.CREATED).json(swarmWithTasks(swarm.id()));
    }

    private Map<String, Object> swarmWithTasks(String swarmId) {
        Swarm swarm = hive.swarm(swarmId);
        Map<String, Object> view = mapper.convertValue(swarm, MAP);
        view.put("tasks", hive.tasks(swarmId));
        return view;
    }

    private void addTasks(Context ctx) {
        auth.requireAdmin(ctx, "adding tasks");
        Body body = Body.parse(mapper, ctx.body(), false, List.of("tasks"));
        JsonNode tasks = body.node("tasks");
        if (tasks == null) {
            throw Body.missing("tasks");
        }
        if (!tasks.isArray()) {
            throw ApiProblem.badField("tasks", "field 'tasks' must be an array of tasks, got " + Body.kind(tasks));
        }
        String swarmId = swarmId(ctx);
        List<Task> added = hive.addTasks(swarmId, tasks);
        ctx.status(HttpStatus.CREATED).json(Map.of("swarm_id", swarmId, "tasks", added));
    }

    private void tasks(Context ctx) {
        String status = ctx.queryParam("status");
        Optional<TaskState> state = Optional.empty();
        if (status != null && !status.isBlank()) {
            state = Optional.of(taskState(status));
        }
        ctx.json(hive.tasks(swarmId(ctx), state));
    }

    private static TaskState taskState(String wire) {
        for (TaskState s : TaskState.values()) {
            if (s.wire().equals(wire)) {
                return s;
            }
        }
        throw ApiProblem.badField("status", "unknown status '" + wire + "': one of "
                + java.util.Arrays.stream(TaskState.values()).map(TaskState::wire).toList());
    }

    private void ready(Context ctx) {
        int limit = queryInt(ctx, "limit", 100, 1, 10_000);
        ctx.json(hive.ready(swarmId(ctx), limit));
    }

    /** The seed's progress shape, exactly (more fields may follow). */
    private static Map<String, Object> progress(Progress p) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("swarm_id", p.swarmId());
        view.put("progress", p.progress());
        view.put("completed", p.completed());
        view.put("in_progress", p.inProgress());
        view.put("pending", p.pending());
        view.put("failed", p.failed());
        view.put("blocked", p.blocked());
        view.put("total", p.total());
        view.put("ready_tasks", p.readyTasks());
        view.put("has_cycle", p.hasCycle());
        Map<String, Object> conflicts = new LinkedHashMap<>();
        conflicts.put("active_locks", p.conflictStats().activeLocks());
        conflicts.put("locked_files", p.conflictStats().lockedFiles());
        conflicts.put("failed_tasks", p.conflictStats().failedTasks());
        view.put("conflict_stats", conflicts);
        view.put("status", p.status().wire());
        view.put("cancelled", p.cancelled());
        return view;
    }

    // --- agents ---

    private void registerAgent(Context ctx) {
        Body body = Body.parse(mapper, ctx.body(), true, List.of("id", "name", "roles", "max_tasks",
                "allowed_paths"));
        String id = body.string("id");
        if (id != null) {
            checkId("id", id);
            auth.actAs(ctx, id);
        } else {
            auth.requireAdmin(ctx, "registering an agent without an id");
        }
        List<String> roles = body.strings("roles");
        Integer maxTasks = body.integer("max_tasks", 1, 1000);
        List<String> allowed = body.strings("allowed_paths");
        if (allowed != null) {
            for (int i = 0; i < allowed.size(); i++) {
                try {
                    LockPath.parse(allowed.get(i));
                } catch (IllegalArgumentException e) {
                    throw ApiProblem.badField("allowed_paths", "field 'allowed_paths[" + i + "]': " + e.getMessage());
                }
            }
        }
        Agent agent = hive.register(new Registration(id, body.string("name"),
                roles == null ? java.util.Set.of() : new LinkedHashSet<>(roles), maxTasks == null ? 1 : maxTasks,
                allowed == null ? List.of() : allowed));
        Map<String, Object> view = mapper.convertValue(agent, MAP);
        view.put("token", auth.agentToken(agent.id()));
        ctx.status(HttpStatus.CREATED).json(view);
    }

    // --- work ---

    private void claim(Context ctx) {
        String agentId = actingAgent(ctx);
        Body body = Body.parse(mapper, ctx.body(), true, List.of("swarm_id", "wait_s"));
        String swarmId = body.string("swarm_id");
        if (swarmId != null) {
            checkSwarmId("swarm_id", swarmId);
        }
        Duration wait = seconds(body.number("wait_s", 0, false, Hive.MAX_WAIT.toSeconds()));
        Optional<Task> task;
        try {
            // A claim that succeeds just before its client goes away keeps its task, and the answer is
            // lost: the task goes back to the queue when the agent's session expires.
            task = waiting(ctx, agentId, wait, () -> hive.claim(agentId, swarmId, wait));
        } catch (hive.WaitEnded e) {
            task = Optional.empty(); // shutting down: the wait ends with nothing
        }
        if (task.isPresent()) {
            ctx.json(task.get());
        } else {
            ctx.status(HttpStatus.NO_CONTENT);
        }
    }

    private void readiness(Context ctx) {
        String agentId = ctx.queryParam("agent_id");
        AgentProfile agent = null;
        if (agentId != null && !agentId.isBlank()) {
            checkId("agent_id", agentId);
            agent = profile(agentId);
        }
        Readiness readiness = hive.readiness(swarmId(ctx), taskId(ctx), agent);
        ctx.json(Map.of("ready", readiness.ready(), "reason", readiness.reason() == null ? "" : readiness.reason()));
    }

    private void start(Context ctx) {
        Body body = Body.parse(mapper, ctx.body(), false, List.of("agent_id"));
        String agentId = bodyAgent(ctx, body);
        try {
            ctx.json(hive.start(swarmId(ctx), taskId(ctx), profile(agentId)));
        } catch (hive.Conflict e) {
            throw ApiProblem.conflict(e.getMessage()).with("reason", e.getMessage());
        }
    }

    private void complete(Context ctx) {
        Body body = Body.parse(mapper, ctx.body(), false, List.of("agent_id", "result"));
        String agentId = bodyAgent(ctx, body);
        ctx.json(hive.complete(swarmId(ctx), taskId(ctx), agentId, body.string("result")));
    }

    private void fail(Context ctx) {
        Body body = Body.parse(mapper, ctx.body(), false, List.of("agent_id", "error", "retryable"));
        String agentId = bodyAgent(ctx, body);
        String error = body.requiredString("error");
        Boolean retryable = body.bool("retryable");
        ctx.json(hive.fail(swarmId(ctx), taskId(ctx), agentId, error, retryable == null || retryable));
    }

    private AgentProfile profile(String agentId) {
        Agent agent = hive.agent(agentId);
        return new AgentProfile(agent.id(), agent.roles(), agent.maxTasks());
    }

    // --- locks ---

    private void acquire(Context ctx) {
        Body body = Body.parse(mapper, ctx.body(), false, List.of("agent_id", "paths", "mode", "ttl_s", "wait_s",
                "task_id", "workspace"));
        String agentId = bodyAgent(ctx, body);
        List<LockPath> paths = paths(body, true);
        LockMode mode = mode(body.string("mode"));
        Double ttl = body.number("ttl_s", 0, true, MAX_TTL_S);
        Duration wait = seconds(body.number("wait_s", 0, false, Hive.MAX_WAIT.toSeconds()));
        String taskId = body.string("task_id");
        LockRequest request = new LockRequest(agentId, workspace(body), paths, mode,
                ttl == null ? LockRequest.DEFAULT_TTL : seconds(ttl), taskId);
        AcquireResult result;
        try {
            // A wait granted just before its client goes away keeps its locks, and the answer is lost:
            // they are freed when their lease ends or the agent's session expires.
            result = waiting(ctx, agentId, wait, () -> hive.acquire(request, wait));
        } catch (hive.WaitEnded e) {
            throw ApiProblem.conflict("the server is shutting down: the lock wait ended").with("granted", false)
                    .with("conflicts", List.of());
        }
        switch (result) {
            case AcquireResult.Granted granted -> {
                Map<String, Object> view = new LinkedHashMap<>();
                view.put("granted", true);
                view.put("token", granted.token());
                view.put("locks", granted.locks());
                ctx.json(view);
            }
            case AcquireResult.Conflicted conflicted -> throw ApiProblem.conflict("the paths are held: "
                    + conflicted.conflicts().stream().map(c -> "'" + c.path() + "' by " + c.heldBy()).distinct()
                    .toList()).with("granted", false).with("conflicts", conflicted.conflicts().stream()
                    .map(ApiRoutes::conflict).toList());
            case AcquireResult.Deadlocked deadlocked -> throw ApiProblem.conflict("waiting would close a cycle of"
                    + " agents waiting for each other: " + String.join(" → ", deadlocked.cycle()) + " → "
                    + deadlocked.cycle().getFirst()).with("granted", false).with("deadlock", deadlocked.cycle());
        }
    }

    private static Map<String, Object> conflict(AcquireResult.Conflict c) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("path", c.path());
        view.put("held_by", c.heldBy());
        view.put("expires_at", c.expiresAt());
        view.put("held_path", c.heldPath());
        view.put("mode", c.heldMode().wire());
        view.put("queued", c.queued());
        return view;
    }

    private void release(Context ctx) {
        Body body = Body.parse(mapper, ctx.body(), false, List.of("agent_id", "paths", "workspace"));
        String agentId = bodyAgent(ctx, body);
        List<Lock> released = hive.release(agentId, workspace(body), paths(body, false));
        ctx.json(Map.of("released", released));
    }

    private void renew(Context ctx) {
        Body body = Body.parse(mapper, ctx.body(), false, List.of("agent_id", "paths", "ttl_s", "workspace"));
        String agentId = bodyAgent(ctx, body);
        Double ttl = body.number("ttl_s", 0, true, MAX_TTL_S);
        List<Lock> renewed = hive.renew(agentId, workspace(body), paths(body, false),
                ttl == null ? LockRequest.DEFAULT_TTL : seconds(ttl));
        ctx.json(Map.of("renewed", renewed));
    }

    private void locks(Context ctx) {
        String workspace = ctx.queryParam("workspace");
        ctx.json(hive.locks(workspace == null || workspace.isBlank() ? null : workspace));
    }

    private static String workspace(Body body) {
        String workspace = body.string("workspace");
        if (workspace == null) {
            return LockRequest.DEFAULT_WORKSPACE;
        }
        if (!ID.matcher(workspace).matches()) {
            throw ApiProblem.badField("workspace", "field 'workspace' must match " + ID.pattern() + ", got '"
                    + workspace + "'");
        }
        return workspace;
    }

    private static List<LockPath> paths(Body body, boolean required) {
        List<String> raw = body.strings("paths");
        if (raw == null) {
            if (required) {
                throw Body.missing("paths");
            }
            return null;
        }
        if (raw.isEmpty()) {
            throw ApiProblem.badField("paths", "field 'paths' must name at least one path");
        }
        List<LockPath> paths = new java.util.ArrayList<>();
        for (int i = 0; i < raw.size(); i++) {
            try {
                paths.add(LockPath.parse(raw.get(i)));
            } catch (IllegalArgumentException e) {
                throw ApiProblem.badField("paths", "field 'paths[" + i + "]': " + e.getMessage());
            }
        }
        return paths;
    }

    private static LockMode mode(String wire) {
        if (wire == null) {
            return LockMode.EXCLUSIVE;
        }
        for (LockMode m : LockMode.values()) {
            if (m.wire().equals(wire)) {
                return m;
            }
        }
        throw ApiProblem.badField("mode", "field 'mode' must be 'exclusive' or 'shared', got '" + wire + "'");
    }

    private Map<String, Object> stats() {
        Map<String, Long> tasks = new LinkedHashMap<>();
        hive.taskCounts().forEach((state, n) -> tasks.put(state.wire(), n));
        Map<String, Integer> agents = new LinkedHashMap<>();
        for (AgentStatus s : AgentStatus.values()) {
            agents.put(s.wire(), 0);
        }
        hive.agents().forEach(a -> agents.merge(a.status().wire(), 1, Integer::sum));
        Hive.LockCounts counts = hive.lockCounts();
        LockTable.Stats lockStats = hive.lockStats();
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("swarms", hive.swarms().size());
        view.put("tasks", tasks);
        view.put("agents", agents);
        Map<String, Object> locks = new LinkedHashMap<>();
        locks.put("active", counts.activeLocks());
        locks.put("locked_files", counts.lockedFiles());
        locks.put("waiting", lockStats.waiting());
        view.put("locks", locks);
        view.put("conflicts_refused", lockStats.conflictsRefused());
        view.put("locks_expired", lockStats.locksExpired());
        view.put("deadlocks_refused", lockStats.deadlocksRefused());
        view.put("lock_grants", lockStats.grants());
        view.put("waits_granted", lockStats.waitsGranted());
        view.put("waits_timed_out", lockStats.waitsTimedOut());
        view.put("mean_wait_ms", lockStats.meanWaitMillis());
        view.put("longest_wait_ms", lockStats.longestWaitMillis());
        return view;
    }

    // --- planner ---

    private void orchestrate(Context ctx) {
        Body body = Body.parse(mapper, ctx.body(), false, List.of("message", "user_id"));
        body.requiredString("message");
        throw ApiProblem.unavailable("no planner is configured on this server. Start it with a planner (a later"
                + " version of HiveMind), or write the plan yourself and POST it to /api/swarms (JSON or YAML;"
                + " see API.md \"Plans\")");
    }

    // --- helpers ---

    /**
     * Runs a long-poll's wait, ended early (as when its time is up) if the client goes away
     * meanwhile ({@link DisconnectWatch}); a request that does not wait is not watched.
     */
    private <T> T waiting(Context ctx, String agentId, Duration wait, java.util.function.Supplier<T> call) {
        return wait.isZero() ? call.get() : disconnects.during(ctx, agentId, call);
    }

    private <T> T admin(Context ctx, String what, java.util.function.Supplier<T> action) {
        auth.requireAdmin(ctx, what);
        return action.get();
    }

    private static String swarmId(Context ctx) {
        String id = ctx.pathParam("id");
        if (!SWARM_ID.matcher(id).matches()) {
            throw new ApiProblem(404, "not-found", "Not found", "no swarm '" + id + "' (swarm ids look like"
                    + " sw_...)");
        }
        return id;
    }

    private static void checkSwarmId(String field, String id) {
        if (!SWARM_ID.matcher(id).matches()) {
            throw ApiProblem.badField(field, "field '" + field + "' must be a swarm id (sw_...), got '" + id + "'");
        }
    }

    private static String taskId(Context ctx) {
        String id = ctx.pathParam("task_id");
        if (!ID.matcher(id).matches()) {
            throw ApiProblem.notFound("no task '" + id + "' (task ids match " + ID.pattern() + ")");
        }
        return id;
    }

    private static String agentId(Context ctx) {
        String id = ctx.pathParam("id");
        if (!ID.matcher(id).matches()) {
            throw ApiProblem.notFound("no agent '" + id + "' (agent ids match " + ID.pattern() + ")");
        }
        return id;
    }

    /** The agent of the path, which the caller must be allowed to act as. */
    private String actingAgent(Context ctx) {
        String id = agentId(ctx);
        auth.actAs(ctx, id);
        return id;
    }

    /** The body's {@code agent_id}, required, which the caller must be allowed to act as. */
    private String bodyAgent(Context ctx, Body body) {
        String id = body.requiredString("agent_id");
        checkId("agent_id", id);
        auth.actAs(ctx, id);
        return id;
    }

    private static void checkId(String field, String id) {
        if (!ID.matcher(id).matches()) {
            throw ApiProblem.badField(field, "field '" + field + "' must match " + ID.pattern() + ", got '" + id
                    + "'");
        }
    }

    private static Duration seconds(Double s) {
        return s == null ? Duration.ZERO : Duration.ofMillis(Math.round(s * 1000));
    }

    private static int queryInt(Context ctx, String name, int fallback, int min, int max) {
        String raw = ctx.queryParam(name);
        if (raw == null || raw.isBlank()) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(raw.trim());
            if (n < min || n > max) {
                throw ApiProblem.badField(name, "'" + name + "' must be between " + min + " and " + max + ", got " + n);
            }
            return n;
        } catch (NumberFormatException e) {
            throw ApiProblem.badField(name, "'" + name + "' must be a whole number, got '" + raw + "'");
        }
    }
}
