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

-- A task's dependencies are the ids in its depends_on (JSON); they are not stored again as rows.
-- Two things about a task are derived when it is read, not stored, so that a completion writes
-- only the completed task: its count of dependencies not yet completed (depends_on looked up in
-- the swarm), and the state 'ready', stored as 'pending' (a pending task with no open dependency
-- and no retry backoff is ready by definition).
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
    state          TEXT    NOT NULL,              -- never 'ready': see above
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

-- The tasks table has no index beyond its keys: the writer keeps the ready queue, the retry and
-- deadline timelines and the tasks per agent in memory (rebuilt from this file when the store
-- opens), and every index here would be rewritten on each state change.

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
