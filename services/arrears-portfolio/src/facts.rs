//! The facts the portfolio stores, one struct per table, and the loaders
//! that read them for one generation (optionally one tenant, optionally only
//! what was recorded up to an instant).
//!
//! Every figure of the query API is computed in Rust from these facts, so
//! the same code gives the same numbers on SQLite and PostgreSQL, and the
//! exports (rebuilt == live) are these structs serialised line by line.

use arrears_views::{ViewStore, ViewTx, on_backend, sqlx};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde::Serialize;

use crate::error::PortfolioError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DebtorFact {
    pub tenant: String,
    pub debtor_id: String,
    /// Sequence of the last event of this debtor applied to the projection.
    pub version: i64,
    pub jurisdiction: Option<String>,
    pub time_zone: Option<String>,
    pub registered_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountFact {
    pub tenant: String,
    pub debtor_id: String,
    pub account_id: String,
    pub currency: String,
    pub principal_minor: i64,
    pub product: Option<String>,
    pub external_ref: Option<String>,
    pub opened_at: DateTime<Utc>,
    pub opened_sequence: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemFact {
    pub tenant: String,
    pub debtor_id: String,
    pub account_id: String,
    /// Index in the account's item list (instalments, then charges in order):
    /// what [`arrears_core::event::Allocation::item`] refers to.
    pub item: i64,
    /// `instalment` or `charge`.
    pub kind: String,
    pub charge_id: Option<String>,
    pub charge_kind: Option<String>,
    pub due_date: NaiveDate,
    pub amount_minor: i64,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentFact {
    pub tenant: String,
    pub debtor_id: String,
    pub payment_id: String,
    pub currency: String,
    pub amount_minor: i64,
    pub unapplied_minor: i64,
    pub method: String,
    /// Business time from the payer's channel; stored for analysts, not used by the KPIs.
    pub received_at: DateTime<Utc>,
    /// Event time of `PaymentReceived`.
    pub recorded_at: DateTime<Utc>,
    pub sequence: i64,
    /// Event time of `PaymentReversed`, if any.
    pub reversed_at: Option<DateTime<Utc>>,
    pub reversal_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AllocationFact {
    pub tenant: String,
    pub debtor_id: String,
    pub payment_id: String,
    pub line: i64,
    pub account_id: String,
    pub item: i64,
    pub amount_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PromiseFact {
    pub tenant: String,
    pub debtor_id: String,
    pub promise_id: String,
    pub account_id: String,
    pub currency: String,
    pub amount_minor: i64,
    pub due_date: NaiveDate,
    pub agent: Option<String>,
    pub made_at: DateTime<Utc>,
    pub made_sequence: i64,
    /// Event time of `PromiseKept`, if any.
    pub kept_at: Option<DateTime<Utc>>,
    pub kept_payment_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DisputeFact {
    pub tenant: String,
    pub debtor_id: String,
    pub dispute_id: String,
    pub account_id: String,
    pub opened_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub resolution: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContactFact {
    pub tenant: String,
    pub debtor_id: String,
    pub attempt_id: String,
    pub channel: String,
    pub direction: String,
    pub outcome: String,
    pub callee_role: String,
    pub two_way: bool,
    pub agent: Option<String>,
    /// The account ids the contact was about, comma-separated.
    pub accounts: String,
    /// Business time from the payload.
    pub occurred_at: DateTime<Utc>,
    /// Event time.
    pub recorded_at: DateTime<Utc>,
}

/// Everything stored for one generation (and tenant), up to an instant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    pub debtors: Vec<DebtorFact>,
    pub accounts: Vec<AccountFact>,
    pub items: Vec<ItemFact>,
    pub payments: Vec<PaymentFact>,
    pub allocations: Vec<AllocationFact>,
    pub promises: Vec<PromiseFact>,
    pub disputes: Vec<DisputeFact>,
    pub contacts: Vec<ContactFact>,
}

/// The upper bound used when a loader is asked for "everything".
pub(crate) fn end_of_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59)
        .single()
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Opens a read-only snapshot: every query of one API call sees the same
/// committed state, even while the projector commits batches or a swap
/// changes the active generation. PostgreSQL: REPEATABLE READ; SQLite: a
/// deferred transaction (a WAL read snapshot from its first read).
pub(crate) async fn snapshot(store: &ViewStore) -> Result<ViewTx, PortfolioError> {
    Ok(match store {
        ViewStore::Sqlite(pool) => ViewTx::Sqlite(pool.begin().await?),
        ViewStore::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
            ViewTx::Postgres(tx)
        }
    })
}

/// The generation the live projection writes and the views show.
pub(crate) async fn active_generation(tx: &mut ViewTx) -> Result<i64, PortfolioError> {
    let g: Option<i64> = on_backend!(tx, |c, Db| {
        sqlx::query_scalar("SELECT generation FROM portfolio_active WHERE id = 1")
            .fetch_optional(&mut *c)
            .await?
    });
    g.ok_or_else(|| PortfolioError::Corrupt {
        what: "portfolio_active".into(),
        reason: "the row id = 1 is missing".into(),
    })
}

/// Loads the facts of `generation`, of `tenant` (all tenants if `None`),
/// recorded at or before `upto`. Rows are in primary-key order (byte order on
/// both backends). Later facts written into the same row (`reversed_at`,
/// `kept_at`, `resolved_at`) may lie after `upto`: the computations ignore them.
pub(crate) async fn load(
    tx: &mut ViewTx,
    generation: i64,
    tenant: Option<&str>,
    upto: DateTime<Utc>,
) -> Result<Facts, PortfolioError> {
    let mut f = Facts::default();

    type D = (
        String,
        String,
        i64,
        Option<String>,
        Option<String>,
        Option<DateTime<Utc>>,
    );
    let rows: Vec<D> = on_backend!(&mut *tx, |c, Db| {
        sqlx::query_as(
            "SELECT tenant, debtor_id, version, jurisdiction, time_zone, registered_at
             FROM portfolio_debtors WHERE generation = $1 AND ($2 IS NULL OR tenant = $2)
             ORDER BY tenant, debtor_id",
        )
        .bind(generation)
        .bind(tenant)
        .fetch_all(&mut *c)
        .await?
    });
    f.debtors = rows
        .into_iter()
        .map(|r| DebtorFact {
            tenant: r.0,
            debtor_id: r.1,
            version: r.2,
            jurisdiction: r.3,
            time_zone: r.4,
            registered_at: r.5,
        })
        .collect();

    type A = (
        String,
        String,
        String,
        String,
        i64,
        Option<String>,
        Option<String>,
        DateTime<Utc>,
        i64,
    );
    let rows: Vec<A> = on_backend!(&mut *tx, |c, Db| {
        sqlx::query_as(
            "SELECT tenant, debtor_id, account_id, currency, principal_minor, product, external_ref,
                    opened_at, opened_sequence
             FROM portfolio_accounts
             WHERE generation = $1 AND ($2 IS NULL OR tenant = $2) AND opened_at <= $3
             ORDER BY tenant, debtor_id, account_id",
        )
        .bind(generation)
        .bind(tenant)
        .bind(upto)
        .fetch_all(&mut *c)
        .await?
    });
    f.accounts = rows
        .into_iter()
        .map(|r| AccountFact {
            tenant: r.0,
            debtor_id: r.1,
            account_id: r.2,
            currency: r.3,
            principal_minor: r.4,
            product: r.5,
            external_ref: r.6,
            opened_at: r.7,
            opened_sequence: r.8,
        })
        .collect();

    type I = (
        String,
        String,
        String,
        i64,
        String,
        Option<String>,
        Option<String>,
        NaiveDate,
        i64,
        DateTime<Utc>,
    );
    let rows: Vec<I> = on_backend!(&mut *tx, |c, Db| {
        sqlx::query_as(
            "SELECT tenant, debtor_id, account_id, item, kind, charge_id, charge_kind, due_date,
                    amount_minor, recorded_at
             FROM portfolio_items
             WHERE generation = $1 AND ($2 IS NULL OR tenant = $2) AND recorded_at <= $3
             ORDER BY tenant, debtor_id, account_id, item",
        )
        .bind(generation)
        .bind(tenant)
        .bind(upto)
        .fetch_all(&mut *c)
        .await?
    });
    f.items = rows
        .into_iter()
        .map(|r| ItemFact {
            tenant: r.0,
            debtor_id: r.1,
            account_id: r.2,
            item: r.3,
            kind: r.4,
            charge_id: r.5,
            charge_kind: r.6,
            due_date: r.7,
            amount_minor: r.8,
            recorded_at: r.9,
        })
        .collect();

    type P = (
        String,
        String,
        String,
        String,
        i64,
        i64,
        String,
        DateTime<Utc>,
        DateTime<Utc>,
        i64,
        Option<DateTime<Utc>>,
        Option<String>,
    );
    let rows: Vec<P> = on_backend!(&mut *tx, |c, Db| {
        sqlx::query_as(
            "SELECT tenant, debtor_id, payment_id, currency, amount_minor, unapplied_minor, method,
                    received_at, recorded_at, sequence, reversed_at, reversal_reason
             FROM portfolio_payments
             WHERE generation = $1 AND ($2 IS NULL OR tenant = $2) AND recorded_at <= $3
             ORDER BY tenant, debtor_id, payment_id",
        )
        .bind(generation)
        .bind(tenant)
        .bind(upto)
        .fetch_all(&mut *c)
        .await?
    });
    f.payments = rows
        .into_iter()
        .map(|r| PaymentFact {
            tenant: r.0,
            debtor_id: r.1,
            payment_id: r.2,
            currency: r.3,
            amount_minor: r.4,
            unapplied_minor: r.5,
            method: r.6,
            received_at: r.7,
            recorded_at: r.8,
            sequence: r.9,
            reversed_at: r.10,
            reversal_reason: r.11,
        })
        .collect();

    type L = (String, String, String, i64, String, i64, i64);
    let rows: Vec<L> = on_backend!(&mut *tx, |c, Db| {
        sqlx::query_as(
            "SELECT l.tenant, l.debtor_id, l.payment_id, l.line, l.account_id, l.item, l.amount_minor
             FROM portfolio_allocations l
             JOIN portfolio_payments p
               ON p.generation = l.generation AND p.tenant = l.tenant
              AND p.debtor_id = l.debtor_id AND p.payment_id = l.payment_id
             WHERE l.generation = $1 AND ($2 IS NULL OR l.tenant = $2) AND p.recorded_at <= $3
             ORDER BY l.tenant, l.debtor_id, l.payment_id, l.line",
        )
        .bind(generation)
        .bind(tenant)
        .bind(upto)
        .fetch_all(&mut *c)
        .await?
    });
    f.allocations = rows
        .into_iter()
        .map(|r| AllocationFact {
            tenant: r.0,
            debtor_id: r.1,
            payment_id: r.2,
            line: r.3,
            account_id: r.4,
            item: r.5,
            amount_minor: r.6,
        })
        .collect();

    type R = (
        String,
        String,
        String,
        String,
        String,
        i64,
        NaiveDate,
        Option<String>,
        DateTime<Utc>,
        i64,
        Option<DateTime<Utc>>,
        Option<String>,
    );
    let rows: Vec<R> = on_backend!(&mut *tx, |c, Db| {
        sqlx::query_as(
            "SELECT tenant, debtor_id, promise_id, account_id, currency, amount_minor, due_date,
                    agent, made_at, made_sequence, kept_at, kept_payment_id
             FROM portfolio_promises
             WHERE generation = $1 AND ($2 IS NULL OR tenant = $2) AND made_at <= $3
             ORDER BY tenant, debtor_id, promise_id",
        )
        .bind(generation)
        .bind(tenant)
        .bind(upto)
        .fetch_all(&mut *c)
        .await?
    });
    f.promises = rows
        .into_iter()
        .map(|r| PromiseFact {
            tenant: r.0,
            debtor_id: r.1,
            promise_id: r.2,
            account_id: r.3,
            currency: r.4,
            amount_minor: r.5,
            due_date: r.6,
            agent: r.7,
            made_at: r.8,
            made_sequence: r.9,
            kept_at: r.10,
            kept_payment_id: r.11,
        })
        .collect();

    type S = (
        String,
        String,
        String,
        String,
        DateTime<Utc>,
        Option<DateTime<Utc>>,
        Option<String>,
    );
    let rows: Vec<S> = on_backend!(&mut *tx, |c, Db| {
        sqlx::query_as(
            "SELECT tenant, debtor_id, dispute_id, account_id, opened_at, resolved_at, resolution
             FROM portfolio_disputes
             WHERE generation = $1 AND ($2 IS NULL OR tenant = $2) AND opened_at <= $3
             ORDER BY tenant, debtor_id, dispute_id",
        )
        .bind(generation)
        .bind(tenant)
        .bind(upto)
        .fetch_all(&mut *c)
        .await?
    });
    f.disputes = rows
        .into_iter()
        .map(|r| DisputeFact {
            tenant: r.0,
            debtor_id: r.1,
            dispute_id: r.2,
            account_id: r.3,
            opened_at: r.4,
            resolved_at: r.5,
            resolution: r.6,
        })
        .collect();

    type C = (
        String,
        String,
        String,
        String,
        String,
        String,
        String,
        i64,
        Option<String>,
        String,
        DateTime<Utc>,
        DateTime<Utc>,
    );
    let rows: Vec<C> = on_backend!(&mut *tx, |c, Db| {
        sqlx::query_as(
            "SELECT tenant, debtor_id, attempt_id, channel, direction, outcome, callee_role,
                    two_way, agent, accounts, occurred_at, recorded_at
             FROM portfolio_contacts
             WHERE generation = $1 AND ($2 IS NULL OR tenant = $2) AND recorded_at <= $3
             ORDER BY tenant, debtor_id, attempt_id",
        )
        .bind(generation)
        .bind(tenant)
        .bind(upto)
        .fetch_all(&mut *c)
        .await?
    });
    f.contacts = rows
        .into_iter()
        .map(|r| ContactFact {
            tenant: r.0,
            debtor_id: r.1,
            attempt_id: r.2,
            channel: r.3,
            direction: r.4,
            outcome: r.5,
            callee_role: r.6,
            two_way: r.7 != 0,
            agent: r.8,
            accounts: r.9,
            occurred_at: r.10,
            recorded_at: r.11,
        })
        .collect();
    Ok(f)
}
