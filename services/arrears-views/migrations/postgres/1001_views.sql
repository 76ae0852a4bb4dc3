-- arrears-views on PostgreSQL (DESIGN D6, D7). Tracked in `_arrears_views_migrations`.
-- Text keys use the "C" collation so ORDER BY is byte order, as on SQLite:
-- exports (and their checksums) are identical on both backends.

-- Where each projection (name, version) has got to in each partition of a topic.
-- Written in the same transaction as the view rows it accounts for.
CREATE TABLE projection_checkpoints (
    projection  TEXT   COLLATE "C" NOT NULL,
    version     BIGINT NOT NULL,
    topic       TEXT   COLLATE "C" NOT NULL,
    partition   BIGINT NOT NULL CHECK (partition >= 0),
    next_offset BIGINT NOT NULL CHECK (next_offset >= 0),
    PRIMARY KEY (projection, version, topic, partition)
);

-- Records that could not be decoded (DESIGN D10), written in the same
-- transaction as the checkpoint that moves past them: each exactly once.
CREATE TABLE dead_letters (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    projection TEXT   COLLATE "C" NOT NULL,
    version    BIGINT NOT NULL,
    topic      TEXT   COLLATE "C" NOT NULL,
    partition  BIGINT NOT NULL,
    "offset"   BIGINT NOT NULL,
    key        TEXT   NOT NULL,
    -- Every header as a JSON array of [name, value] pairs, in order.
    headers    JSONB  NOT NULL,
    value      BYTEA  NOT NULL,
    reason     TEXT   NOT NULL,
    UNIQUE (projection, version, topic, partition, "offset")
);

-- The debtor read model (projection `debtors`, version 1): one row per debtor.
CREATE TABLE debtors (
    tenant       TEXT COLLATE "C" NOT NULL,
    debtor_id    TEXT COLLATE "C" NOT NULL,
    -- Sequence of the last applied event of this debtor.
    version      BIGINT NOT NULL CHECK (version >= 1),
    jurisdiction TEXT,
    time_zone    TEXT,
    -- Time of the last applied event, never the wall clock.
    updated_at   TIMESTAMPTZ NOT NULL,
    -- The full DebtorState.
    state        JSONB NOT NULL,
    PRIMARY KEY (tenant, debtor_id)
);
