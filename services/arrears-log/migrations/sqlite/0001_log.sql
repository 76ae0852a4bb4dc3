-- The embedded event log (DESIGN D7): an append-only table with partitions
-- and offsets, the same shape as a Kafka topic. Rows are never updated or
-- deleted by arrears.
CREATE TABLE log_meta (
    name  TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE events (
    partition INTEGER NOT NULL,
    "offset"  INTEGER NOT NULL,
    key       TEXT    NOT NULL,
    ce_id     TEXT    NOT NULL,
    ce_type   TEXT    NOT NULL,
    ce_time   TEXT    NOT NULL,
    -- Every header as a JSON array of [name, value] pairs, in order.
    headers   TEXT    NOT NULL,
    value     BLOB    NOT NULL,
    PRIMARY KEY (partition, "offset")
);
CREATE UNIQUE INDEX events_ce_id ON events (ce_id);
CREATE INDEX events_key ON events (key, partition, "offset");

-- Command replies (the embedded arrears.replies): one per command, written in
-- the same transaction as the command's events.
CREATE TABLE replies (
    command_id TEXT PRIMARY KEY NOT NULL,
    key        TEXT NOT NULL,
    reply      BLOB NOT NULL
);

-- Forbid rewriting history even by mistake.
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'arrears events are immutable'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'arrears events are immutable'); END;
