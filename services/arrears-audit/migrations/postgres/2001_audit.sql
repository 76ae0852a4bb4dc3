-- arrears-audit on PostgreSQL. Tracked in `_arrears_audit_migrations` (version 2001),
-- not `_sqlx_migrations` (the log's) nor `_arrears_views_migrations` (the views').
-- Text keys use the "C" collation so ORDER BY is byte order, as on SQLite.
--
-- audit_trail: the tamper-evident compliance trail (projection `audit`, version 1).
-- APPEND-ONLY: one row per compliance-relevant event, hash-chained per debtor:
--   hash = lower-hex SHA-256( prev_hash (64 ASCII hex chars) || content (UTF-8) )
-- with prev_hash = 64 zeros at position 1. `content` is TEXT, not JSONB: the
-- hash covers its exact bytes, and JSONB would re-format them.
CREATE TABLE audit_trail (
    tenant     TEXT        COLLATE "C" NOT NULL,
    debtor_id  TEXT        COLLATE "C" NOT NULL,
    position   BIGINT      NOT NULL CHECK (position >= 1),
    event_id   TEXT        COLLATE "C" NOT NULL UNIQUE,
    event_type TEXT        COLLATE "C" NOT NULL,
    kind       TEXT        COLLATE "C" NOT NULL,
    sequence   BIGINT      NOT NULL CHECK (sequence >= 1),
    event_time TIMESTAMPTZ NOT NULL,
    verdict    TEXT        COLLATE "C" CHECK (verdict IN ('allow', 'deny')),
    violation  BOOLEAN     NOT NULL,
    content    TEXT        NOT NULL,
    prev_hash  TEXT        COLLATE "C" NOT NULL,
    hash       TEXT        COLLATE "C" NOT NULL,
    PRIMARY KEY (tenant, debtor_id, position),
    UNIQUE (tenant, debtor_id, sequence)
);

CREATE INDEX audit_trail_flags ON audit_trail (tenant, violation, verdict);

-- Append-only: a guard against mistakes, not against someone who owns the
-- database (they can disable the trigger). That is what the hash chain and
-- `verify` are for.
CREATE FUNCTION audit_trail_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_trail is append-only';
END;
$$;

CREATE TRIGGER audit_trail_no_update_delete BEFORE UPDATE OR DELETE ON audit_trail
    FOR EACH ROW EXECUTE FUNCTION audit_trail_append_only();
