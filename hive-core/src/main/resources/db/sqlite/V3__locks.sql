-- File locks (leases) and the store-wide fencing token. Times are epoch milliseconds.
CREATE TABLE locks (
    workspace   TEXT    NOT NULL,
    path        TEXT    NOT NULL,                 -- normalized; 'dir/' for a directory; may be a glob
    agent_id    TEXT    NOT NULL,
    mode        TEXT    NOT NULL,                 -- exclusive | shared
    task_id     TEXT,                             -- 'swarm_id/task_id' when taken for a task
    token       INTEGER NOT NULL,                 -- fencing token of the last grant or renewal
    acquired_at INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    PRIMARY KEY (workspace, path, agent_id)
) WITHOUT ROWID;

CREATE TABLE meta (
    name  TEXT    PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO meta (name, value) VALUES ('fencing_token', 0);
