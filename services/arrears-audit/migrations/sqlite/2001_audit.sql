-- arrears-audit on SQLite. Tracked in `_arrears_audit_migrations` (version 2001),
-- not `_sqlx_migrations` (the log's) nor `_arrears_views_migrations` (the views').
--
-- audit_trail: the tamper-evident compliance trail (projection `audit`, version 1).
-- APPEND-ONLY: one row per compliance-relevant event, hash-chained per debtor:
--   hash = lower-hex SHA-256( prev_hash (64 ASCII hex chars) || content (UTF-8) )
-- with prev_hash = 64 zeros at position 1. `content` is the canonical JSON of the
-- row (sorted keys, no whitespace); the other columns repeat parts of it for queries
-- and are checked against it by `arrears audit verify`.
CREATE TABLE audit_trail (
    tenant     TEXT    NOT NULL,
    debtor_id  TEXT    NOT NULL,
    -- Chain position within the debtor's trail: 1, 2, 3, ...
    position   INTEGER NOT NULL CHECK (position >= 1),
    event_id   TEXT    NOT NULL UNIQUE,
    event_type TEXT    NOT NULL,
    -- registration | decision | attempt | opt_out | cease
    kind       TEXT    NOT NULL,
    -- The debtor's event sequence (ce_sequence).
    sequence   INTEGER NOT NULL CHECK (sequence >= 1),
    -- ce_time truncated to microseconds (the exact value is in `content`). Never the wall clock.
    event_time TEXT    NOT NULL,
    -- 'allow' | 'deny' for gate decisions, NULL otherwise.
    verdict    TEXT    CHECK (verdict IN ('allow', 'deny')),
    -- 1 for a contact attempt that carries a policy violation.
    violation  INTEGER NOT NULL CHECK (violation IN (0, 1)),
    content    TEXT    NOT NULL,
    prev_hash  TEXT    NOT NULL,
    hash       TEXT    NOT NULL,
    PRIMARY KEY (tenant, debtor_id, position),
    UNIQUE (tenant, debtor_id, sequence)
);

CREATE INDEX audit_trail_flags ON audit_trail (tenant, violation, verdict);

-- Append-only: a guard against mistakes, not against someone who owns the
-- database (they can drop the trigger). That is what the hash chain and
-- `verify` are for.
CREATE TRIGGER audit_trail_no_update BEFORE UPDATE ON audit_trail
BEGIN
    SELECT RAISE(ABORT, 'audit_trail is append-only');
END;

CREATE TRIGGER audit_trail_no_delete BEFORE DELETE ON audit_trail
BEGIN
    SELECT RAISE(ABORT, 'audit_trail is append-only');
END;
