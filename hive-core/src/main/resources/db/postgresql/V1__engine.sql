-- HiveMind schema for PostgreSQL, shared by every server node. Times are epoch milliseconds (UTC),
-- JSON is kept as text: the same row shapes as the SQLite schema (db/sqlite), so one set of row
-- mappers reads both. Unlike SQLite, where the writer keeps the scheduler's indexes in memory,
-- every node asks PostgreSQL: the state 'ready' and the count of open dependencies are stored, and
-- the ready queue, the timelines and the per-agent tasks are partial indexes. Names sort by their
-- bytes (COLLATE "C"), as in SQLite, whatever the database's locale.

CREATE TABLE swarms (
    id               TEXT    COLLATE "C" PRIMARY KEY,
    name             TEXT    NOT NULL,
    goal             TEXT,
    workspace        TEXT    COLLATE "C" NOT NULL,
    defaults         TEXT    NOT NULL,
    created_at       BIGINT  NOT NULL,
    paused           INTEGER NOT NULL DEFAULT 0,
    cancelled        INTEGER NOT NULL DEFAULT 0,
    n_pending        INTEGER NOT NULL DEFAULT 0,
    n_ready          INTEGER NOT NULL DEFAULT 0,
    n_in_progress    INTEGER NOT NULL DEFAULT 0,
    n_completed      INTEGER NOT NULL DEFAULT 0,
    n_failed         INTEGER NOT NULL DEFAULT 0,
    n_blocked        INTEGER NOT NULL DEFAULT 0,
    n_cancelled      INTEGER NOT NULL DEFAULT 0,
    weight_total     DOUBLE PRECISION NOT NULL DEFAULT 0,
    weight_completed DOUBLE PRECISION NOT NULL DEFAULT 0,
    -- number of the swarm's latest event; advanced with an UPDATE, so the row stays locked until
    -- commit and the numbers of one swarm are given out in commit order, without gaps
    event_seq        BIGINT  NOT NULL DEFAULT 0
);

CREATE TABLE tasks (
    pk             BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- age order
    swarm_id       TEXT    COLLATE "C" NOT NULL REFERENCES swarms (id),
    id             TEXT    COLLATE "C" NOT NULL,
    title          TEXT,
    description    TEXT,
    role           TEXT,
    agent          TEXT,
    priority       INTEGER NOT NULL,
    weight         DOUBLE PRECISION NOT NULL,
    depends_on     TEXT    NOT NULL,                 -- JSON array of task ids
    files          TEXT    NOT NULL,                 -- JSON array of normalized paths
    run            TEXT,
    max_attempts   INTEGER NOT NULL,
    timeout_ms     BIGINT  NOT NULL,
    backoff_ms     BIGINT  NOT NULL,
    state          TEXT    NOT NULL,                 -- 'ready' is stored here
    remaining_deps INTEGER NOT NULL,                 -- dependencies not yet completed
    attempt        INTEGER NOT NULL DEFAULT 0,
    assigned_agent TEXT,
    result         TEXT,
    error          TEXT,
    blocked_by     TEXT,
    not_before     BIGINT,
    deadline       BIGINT,
    created_at     BIGINT  NOT NULL,
    started_at     BIGINT,
    finished_at    BIGINT,
    UNIQUE (swarm_id, id)
);

-- the ready queue: highest priority first, then oldest; of all swarms and of one
CREATE INDEX tasks_ready ON tasks (priority DESC, pk) WHERE state = 'ready';
CREATE INDEX tasks_ready_swarm ON tasks (swarm_id, priority DESC, pk) WHERE state = 'ready';
-- the timelines: retry backoffs and attempt deadlines
CREATE INDEX tasks_retry ON tasks (not_before, pk) WHERE state = 'pending' AND not_before IS NOT NULL;
CREATE INDEX tasks_deadline ON tasks (deadline, pk) WHERE state = 'in_progress' AND deadline IS NOT NULL;
CREATE INDEX tasks_running ON tasks (assigned_agent, pk) WHERE state = 'in_progress';

CREATE TABLE task_deps (
    task_pk BIGINT NOT NULL,
    dep_pk  BIGINT NOT NULL,
    PRIMARY KEY (dep_pk, task_pk)
);
CREATE INDEX task_deps_task ON task_deps (task_pk, dep_pk);

CREATE TABLE events (
    swarm_id TEXT   COLLATE "C" NOT NULL,
    seq      BIGINT NOT NULL,
    type     TEXT   NOT NULL,
    task_id  TEXT,
    agent_id TEXT,
    at       BIGINT NOT NULL,
    data     TEXT,
    PRIMARY KEY (swarm_id, seq)
);

CREATE TABLE agents (
    id             TEXT    COLLATE "C" PRIMARY KEY,
    name           TEXT,
    roles          TEXT    NOT NULL,
    max_tasks      INTEGER NOT NULL,
    allowed_paths  TEXT    NOT NULL,
    status         TEXT    NOT NULL,
    registered_at  BIGINT  NOT NULL,
    last_heartbeat BIGINT  NOT NULL,
    expires_at     BIGINT
);
CREATE INDEX agents_sessions ON agents (expires_at) WHERE status = 'active';

CREATE TABLE locks (
    workspace   TEXT    COLLATE "C" NOT NULL,
    path        TEXT    COLLATE "C" NOT NULL,
    agent_id    TEXT    COLLATE "C" NOT NULL,
    mode        TEXT    NOT NULL,
    task_id     TEXT,
    token       BIGINT  NOT NULL,
    acquired_at BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL,
    PRIMARY KEY (workspace, path, agent_id)
);
CREATE INDEX locks_agent ON locks (agent_id);
CREATE INDEX locks_expiry ON locks (expires_at);

-- Lock requests waiting their turn. They belong to callers waiting now on some node; a node that
-- dies leaves its waiters behind, and any node's sweep removes those whose node has no connection
-- left (each node's connections carry application_name 'hive node <node>').
CREATE TABLE lock_waiters (
    id        BIGINT  PRIMARY KEY,                   -- arrival order (from waiter_id)
    workspace TEXT    COLLATE "C" NOT NULL,
    agent_id  TEXT    COLLATE "C" NOT NULL,
    paths     TEXT    NOT NULL,                      -- JSON array of normalized paths
    mode      TEXT    NOT NULL,
    ttl_ms    BIGINT  NOT NULL,
    task_id   TEXT,
    since     BIGINT  NOT NULL,
    deadline  BIGINT  NOT NULL,
    node      TEXT    NOT NULL                       -- the node whose caller waits
);
CREATE INDEX lock_waiters_workspace ON lock_waiters (workspace, id);
CREATE INDEX lock_waiters_agent ON lock_waiters (agent_id, id);

-- Fencing tokens: larger than every token given out before, by any node. A token is taken while
-- its workspace is locked, so the tokens of one workspace also rise in commit order.
CREATE SEQUENCE fencing_token;
CREATE SEQUENCE waiter_id;
