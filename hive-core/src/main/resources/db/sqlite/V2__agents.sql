-- Agents and their sessions. Times are epoch milliseconds.
CREATE TABLE agents (
    id             TEXT    PRIMARY KEY,
    name           TEXT,
    roles          TEXT    NOT NULL,              -- JSON array
    max_tasks      INTEGER NOT NULL,
    allowed_paths  TEXT    NOT NULL,              -- JSON array of globs; empty: any path
    status         TEXT    NOT NULL,              -- active | lost | gone
    registered_at  INTEGER NOT NULL,
    last_heartbeat INTEGER NOT NULL,
    expires_at     INTEGER                        -- end of the session unless heard from; null unless active
);
