-- HiveMind engine schema for SQLite. Times are epoch milliseconds (UTC).

CREATE TABLE swarms (
    id               TEXT    PRIMARY KEY,
    name             TEXT    NOT NULL,
    goal             TEXT,
    workspace        TEXT    NOT NULL,
    defaults         TEXT    NOT NULL,            -- JSON: the plan's task defaults
    created_at       INTEGER NOT NULL,
    paused           INTEGER NOT NULL DEFAULT 0,
    cancelled        INTEGER NOT NULL DEFAULT 0,
    n_pending        INTEGER NOT NULL DEFAULT 0,  -- counters, kept with every transition
    n_ready          INTEGER NOT NULL DEFAULT 0,
    n_in_progress    INTEGER NOT NULL DEFAULT 0,
    n_completed      INTEGER NOT NULL DEFAULT 0,
    n_failed         INTEGER NOT NULL DEFAULT 0,
    n_blocked        INTEGER NOT NULL DEFAULT 0,
    n_cancelled      INTEGER NOT NULL DEFAULT 0,
    weight_total     REAL    NOT NULL DEFAULT 0,
    weight_completed REAL    NOT NULL DEFAULT 0,
    event_seq        INTEGER NOT NULL DEFAULT 0   -- number of the swarm's latest event
);

-- A task's count of dependencies not yet completed is not stored: it is derived (task_deps joined
-- with the dependencies' states) when tasks are read, so that a completion writes only the tasks
-- whose state changes.
CREATE TABLE tasks (
    pk             INTEGER PRIMARY KEY,           -- age order: older tasks have smaller keys
    swarm_id       TEXT    NOT NULL,
    id             TEXT    NOT NULL,
    title          TEXT,
    description    TEXT,
    role           TEXT,
    agent          TEXT,
    priority       INTEGER NOT NULL,
    weight         REAL    NOT NULL,
    depends_on     TEXT    NOT NULL,              -- JSON array of task ids
    files          TEXT    NOT NULL,              -- JSON array of normalized paths
    run            TEXT,
    max_attempts   INTEGER NOT NULL,
    timeout_ms     INTEGER NOT NULL,
    backoff_ms     INTEGER NOT NULL,
    state          TEXT    NOT NULL,
    attempt        INTEGER NOT NULL DEFAULT 0,
    assigned_agent TEXT,
    result         TEXT,
    error          TEXT,
    blocked_by     TEXT,                          -- JSON array of failed root task ids
    not_before     INTEGER,
    deadline       INTEGER,
    created_at     INTEGER NOT NULL,
    started_at     INTEGER,
    finished_at    INTEGER,
    UNIQUE (swarm_id, id)
);

-- Indexes serve the read side only (listings, GET ready, readiness): the writer keeps its ready
-- queues, retry and deadline timelines in memory, rebuilt from this table when the store opens.
-- Every index here is rewritten on each state change, so there are as few as the reads need.
CREATE INDEX tasks_ready ON tasks (swarm_id, priority DESC, pk) WHERE state = 'ready';
CREATE INDEX tasks_running_by_agent ON tasks (assigned_agent) WHERE state = 'in_progress';

CREATE TABLE task_deps (
    dep_pk  INTEGER NOT NULL,                     -- the dependency
    task_pk INTEGER NOT NULL,                     -- the task that waits for it
    PRIMARY KEY (dep_pk, task_pk)
) WITHOUT ROWID;
CREATE INDEX task_deps_by_task ON task_deps (task_pk, dep_pk);

CREATE TABLE events (
    swarm_id TEXT    NOT NULL,
    seq      INTEGER NOT NULL,                    -- 1, 2, 3, ... per swarm, no gaps
    type     TEXT    NOT NULL,
    task_id  TEXT,
    agent_id TEXT,
    at       INTEGER NOT NULL,
    data     TEXT,                                -- JSON object of the event's own fields
    PRIMARY KEY (swarm_id, seq)
) WITHOUT ROWID;
