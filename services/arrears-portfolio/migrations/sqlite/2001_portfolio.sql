-- arrears-portfolio on SQLite. Tracked in `_arrears_portfolio_migrations` (version 2001).
-- Every fact table carries `generation`: the live projection writes into the generation named
-- by `portfolio_active`, a rebuild writes a new generation beside it, and the swap is one
-- UPDATE of `portfolio_active` (see README.md). Times are RFC 3339 text (as sqlx writes them; they sort in time order), dates
-- are YYYY-MM-DD text. Times are event times (`recorded_at` = the event's `time`) or
-- business times taken from payloads, never the wall clock.

CREATE TABLE portfolio_generations (
    generation INTEGER PRIMARY KEY CHECK (generation >= 1),
    -- 'building' | 'active' | 'retired'
    status     TEXT NOT NULL
);
INSERT INTO portfolio_generations (generation, status) VALUES (1, 'active');

CREATE TABLE portfolio_active (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
);
INSERT INTO portfolio_active (id, generation) VALUES (1, 1);

CREATE TABLE portfolio_debtors (
    generation    INTEGER NOT NULL,
    tenant        TEXT NOT NULL,
    debtor_id     TEXT NOT NULL,
    version       INTEGER NOT NULL,
    jurisdiction  TEXT,
    time_zone     TEXT,
    registered_at TEXT,
    PRIMARY KEY (generation, tenant, debtor_id)
);

CREATE TABLE portfolio_accounts (
    generation      INTEGER NOT NULL,
    tenant          TEXT NOT NULL,
    debtor_id       TEXT NOT NULL,
    account_id      TEXT NOT NULL,
    currency        TEXT NOT NULL,
    principal_minor INTEGER NOT NULL,
    product         TEXT,
    external_ref    TEXT,
    opened_at       TEXT NOT NULL,
    opened_sequence INTEGER NOT NULL,
    PRIMARY KEY (generation, tenant, debtor_id, account_id)
);

-- Instalments and charges; `item` is the index the payment allocations refer to.
CREATE TABLE portfolio_items (
    generation   INTEGER NOT NULL,
    tenant       TEXT NOT NULL,
    debtor_id    TEXT NOT NULL,
    account_id   TEXT NOT NULL,
    item         INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    charge_id    TEXT,
    charge_kind  TEXT,
    due_date     TEXT NOT NULL,
    amount_minor INTEGER NOT NULL,
    recorded_at  TEXT NOT NULL,
    PRIMARY KEY (generation, tenant, debtor_id, account_id, item)
);

CREATE TABLE portfolio_payments (
    generation        INTEGER NOT NULL,
    tenant            TEXT NOT NULL,
    debtor_id         TEXT NOT NULL,
    payment_id        TEXT NOT NULL,
    currency          TEXT NOT NULL,
    amount_minor      INTEGER NOT NULL,
    unapplied_minor   INTEGER NOT NULL,
    method            TEXT NOT NULL,
    received_at       TEXT NOT NULL,
    recorded_at       TEXT NOT NULL,
    sequence          INTEGER NOT NULL,
    reversed_at       TEXT,
    reversal_reason   TEXT,
    PRIMARY KEY (generation, tenant, debtor_id, payment_id)
);

CREATE TABLE portfolio_allocations (
    generation   INTEGER NOT NULL,
    tenant       TEXT NOT NULL,
    debtor_id    TEXT NOT NULL,
    payment_id   TEXT NOT NULL,
    line         INTEGER NOT NULL,
    account_id   TEXT NOT NULL,
    item         INTEGER NOT NULL,
    amount_minor INTEGER NOT NULL,
    PRIMARY KEY (generation, tenant, debtor_id, payment_id, line)
);

CREATE TABLE portfolio_promises (
    generation      INTEGER NOT NULL,
    tenant          TEXT NOT NULL,
    debtor_id       TEXT NOT NULL,
    promise_id      TEXT NOT NULL,
    account_id      TEXT NOT NULL,
    currency        TEXT NOT NULL,
    amount_minor    INTEGER NOT NULL,
    due_date        TEXT NOT NULL,
    agent           TEXT,
    made_at         TEXT NOT NULL,
    made_sequence   INTEGER NOT NULL,
    kept_at         TEXT,
    kept_payment_id TEXT,
    PRIMARY KEY (generation, tenant, debtor_id, promise_id)
);

CREATE TABLE portfolio_disputes (
    generation  INTEGER NOT NULL,
    tenant      TEXT NOT NULL,
    debtor_id   TEXT NOT NULL,
    dispute_id  TEXT NOT NULL,
    account_id  TEXT NOT NULL,
    opened_at   TEXT NOT NULL,
    resolved_at TEXT,
    resolution  TEXT,
    PRIMARY KEY (generation, tenant, debtor_id, dispute_id)
);

CREATE TABLE portfolio_contacts (
    generation  INTEGER NOT NULL,
    tenant      TEXT NOT NULL,
    debtor_id   TEXT NOT NULL,
    attempt_id  TEXT NOT NULL,
    channel     TEXT NOT NULL,
    direction   TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    callee_role TEXT NOT NULL,
    two_way     INTEGER NOT NULL,
    agent       TEXT,
    accounts    TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (generation, tenant, debtor_id, attempt_id)
);

CREATE INDEX portfolio_payments_recorded ON portfolio_payments (generation, tenant, recorded_at);
CREATE INDEX portfolio_contacts_recorded ON portfolio_contacts (generation, tenant, recorded_at);

-- Analysts' views, version 1: the active generation only, without the `generation` column.
-- Their columns are a contract: a breaking change is a new `_v2` view beside this one.
CREATE VIEW portfolio_debtors_v1 AS
SELECT tenant, debtor_id, jurisdiction, time_zone, registered_at
FROM portfolio_debtors WHERE generation = (SELECT generation FROM portfolio_active);

CREATE VIEW portfolio_accounts_v1 AS
SELECT a.tenant, a.debtor_id, a.account_id, a.currency, a.principal_minor, a.product,
       d.jurisdiction, a.opened_at
FROM portfolio_accounts a
LEFT JOIN portfolio_debtors d
  ON d.generation = a.generation AND d.tenant = a.tenant AND d.debtor_id = a.debtor_id
WHERE a.generation = (SELECT generation FROM portfolio_active);

CREATE VIEW portfolio_items_v1 AS
SELECT i.tenant, i.debtor_id, i.account_id, i.item, i.kind, i.charge_kind, i.due_date,
       i.amount_minor, a.currency, i.recorded_at
FROM portfolio_items i
JOIN portfolio_accounts a
  ON a.generation = i.generation AND a.tenant = i.tenant AND a.debtor_id = i.debtor_id
 AND a.account_id = i.account_id
WHERE i.generation = (SELECT generation FROM portfolio_active);

CREATE VIEW portfolio_payments_v1 AS
SELECT tenant, debtor_id, payment_id, currency, amount_minor, unapplied_minor, method,
       received_at, recorded_at, reversed_at, reversal_reason
FROM portfolio_payments WHERE generation = (SELECT generation FROM portfolio_active);

CREATE VIEW portfolio_allocations_v1 AS
SELECT l.tenant, l.debtor_id, l.payment_id, l.account_id, l.item, l.amount_minor, p.currency,
       p.method, p.recorded_at, p.reversed_at
FROM portfolio_allocations l
JOIN portfolio_payments p
  ON p.generation = l.generation AND p.tenant = l.tenant AND p.debtor_id = l.debtor_id
 AND p.payment_id = l.payment_id
WHERE l.generation = (SELECT generation FROM portfolio_active);

CREATE VIEW portfolio_promises_v1 AS
SELECT tenant, debtor_id, promise_id, account_id, currency, amount_minor, due_date, agent,
       made_at, kept_at
FROM portfolio_promises WHERE generation = (SELECT generation FROM portfolio_active);

CREATE VIEW portfolio_disputes_v1 AS
SELECT tenant, debtor_id, dispute_id, account_id, opened_at, resolved_at, resolution
FROM portfolio_disputes WHERE generation = (SELECT generation FROM portfolio_active);

CREATE VIEW portfolio_contacts_v1 AS
SELECT tenant, debtor_id, attempt_id, channel, direction, outcome, callee_role, agent,
       occurred_at, recorded_at
FROM portfolio_contacts WHERE generation = (SELECT generation FROM portfolio_active);
