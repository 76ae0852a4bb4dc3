-- arrears-views on SQLite (DESIGN D6, D7). Tracked in `_arrears_views_migrations`,
-- not `_sqlx_migrations`, so the views can share a file with the embedded log
-- (whose migrator owns `_sqlx_migrations` and rejects versions it does not know).

-- Where each projection (name, version) has got to in each partition of a topic.
-- Written in the same transaction as the view rows it accounts for.
CREATE TABLE projection_checkpoints (
    projection  TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    topic       TEXT    NOT NULL,
    partition   INTEGER NOT NULL CHECK (partition >= 0),
    next_offset INTEGER NOT NULL CHECK (next_offset >= 0),
    PRIMARY KEY (projection, version, topic, partition)
);

-- Records that could not be decoded (DESIGN D10), written in the same
-- transaction as the checkpoint that moves past them: each exactly once.
CREATE TABLE dead_letters (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    projection TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    topic      TEXT    NOT NULL,
    partition  INTEGER NOT NULL,
    "offset"   INTEGER NOT NULL,
    key        TEXT    NOT NULL,
    -- Every header as a JSON array of [name, value] pairs, in order.
    headers    TEXT    NOT NULL,
    value      BLOB    NOT NULL,
    reason     TEXT    NOT NULL,
    UNIQUE (projection, version, topic, partition, "offset")
);

-- The debtor read model (projection `debtors`, version 1): one row per debtor.
CREATE TABLE debtors (
    tenant       TEXT    NOT NULL,
    debtor_id    TEXT    NOT NULL,
    -- Sequence of the last applied event of this debtor.
    version      INTEGER NOT NULL CHECK (version >= 1),
    jurisdiction TEXT,
    time_zone    TEXT,
    -- Time of the last applied event (RFC 3339, microseconds), never the wall clock.
    updated_at   TEXT    NOT NULL,
    -- The full DebtorState as JSON.
    state        TEXT    NOT NULL,
    PRIMARY KEY (tenant, debtor_id)
);
