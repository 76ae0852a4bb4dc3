//! The `portfolio` projection (version 1): facts with their event times.
//!
//! It stores what happened and when arrears learnt it, never a derived
//! "current" figure: balances, days past due and aging depend on the instant
//! asked about and are computed at query time for an explicit `as_of`
//! (DESIGN D3: no hidden clock). Payment reversals, kept promises and
//! resolved disputes are written onto the original row together with the
//! event time of the later fact, so "as of T" simply ignores the ones after T.
//!
//! Every row carries a `generation`: the live projection writes into the
//! generation named by `portfolio_active` (read under a share lock inside
//! the batch transaction, so a blue/green swap cannot slip between reading
//! the pointer and writing the rows), a rebuild writes into its own one.

use std::collections::BTreeMap;

use arrears_core::event::{Allocation, Event};
use arrears_core::{EventBody, event};
use arrears_views::{Positioned, Projection, ViewError, ViewTx, on_backend, sqlx};
use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};
use serde::Serialize;

use crate::error::PortfolioError;
use crate::{PORTFOLIO, PORTFOLIO_VERSION};

/// Where a [`PortfolioProjection`] writes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    /// The generation in `portfolio_active` at each batch.
    Active,
    /// A fixed generation being rebuilt.
    Generation(i64),
}

/// The portfolio projection. [`PortfolioProjection::live`] is the one to run
/// (`arrears project portfolio`): name `portfolio`, version 1.
#[derive(Debug, Clone)]
pub struct PortfolioProjection {
    target: Target,
    name: String,
}

impl PortfolioProjection {
    /// The live projection: checkpoints `(portfolio, 1)`, rows into the active generation.
    pub fn live() -> PortfolioProjection {
        PortfolioProjection {
            target: Target::Active,
            name: PORTFOLIO.to_string(),
        }
    }

    /// A rebuild into `generation`, with checkpoints of its own
    /// (`portfolio.g{generation}`, version 1) until the swap renames them.
    pub(crate) fn rebuilding(generation: i64) -> PortfolioProjection {
        PortfolioProjection {
            target: Target::Generation(generation),
            name: rebuild_checkpoint_name(generation),
        }
    }
}

pub(crate) fn rebuild_checkpoint_name(generation: i64) -> String {
    format!("{PORTFOLIO}.g{generation}")
}

#[async_trait]
impl Projection for PortfolioProjection {
    fn name(&self) -> &str {
        &self.name
    }

    fn version(&self) -> u32 {
        PORTFOLIO_VERSION
    }

    async fn apply(&self, tx: &mut ViewTx, events: &[Positioned]) -> Result<(), ViewError> {
        let generation = match self.target {
            Target::Active => lock_active_generation(tx).await?,
            Target::Generation(g) => g,
        };
        apply_batch(tx, generation, events).await?;
        Ok(())
    }
}

/// Reads the active generation and, on PostgreSQL, holds a share lock on it
/// until the batch commits: the swap's `FOR UPDATE` waits for this batch (or
/// this batch waits for the swap and then sees the new generation). SQLite
/// batches are `BEGIN IMMEDIATE`, already serialised with the swap.
async fn lock_active_generation(tx: &mut ViewTx) -> Result<i64, PortfolioError> {
    let g: Option<i64> = match tx {
        ViewTx::Sqlite(t) => {
            sqlx::query_scalar("SELECT generation FROM portfolio_active WHERE id = 1")
                .fetch_optional(&mut **t)
                .await?
        }
        ViewTx::Postgres(t) => {
            sqlx::query_scalar("SELECT generation FROM portfolio_active WHERE id = 1 FOR SHARE")
                .fetch_optional(&mut **t)
                .await?
        }
    };
    g.ok_or_else(|| PortfolioError::Corrupt {
        what: "portfolio_active".into(),
        reason: "the row id = 1 is missing".into(),
    })
}

/// The snake_case spelling of a vocabulary value (as in the event payloads).
pub(crate) fn snake<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::from("unknown"),
    }
}

/// Microseconds: what PostgreSQL keeps, so both backends store the same instant.
fn micros(t: DateTime<Utc>) -> DateTime<Utc> {
    t.trunc_subsecs(6)
}

type Key = (String, String);

async fn apply_batch(
    tx: &mut ViewTx,
    generation: i64,
    events: &[Positioned],
) -> Result<(), PortfolioError> {
    // Debtor versions seen in this batch: loaded once per debtor, written once at the end.
    let mut versions: BTreeMap<Key, i64> = BTreeMap::new();
    for p in events {
        let e = &p.event;
        let key = (
            e.tenant.as_str().to_string(),
            e.debtor_id.as_str().to_string(),
        );
        let have = match versions.get(&key) {
            Some(v) => *v,
            None => {
                let v: Option<i64> = on_backend!(&mut *tx, |c, Db| {
                    sqlx::query_scalar(
                        "SELECT version FROM portfolio_debtors
                         WHERE generation = $1 AND tenant = $2 AND debtor_id = $3",
                    )
                    .bind(generation)
                    .bind(&key.0)
                    .bind(&key.1)
                    .fetch_optional(&mut *c)
                    .await?
                });
                v.unwrap_or(0)
            }
        };
        let seq = e.sequence as i64;
        if seq <= have {
            // Cannot happen through the checkpoint protocol; kept so a
            // replayed record never applies twice.
            tracing::warn!(partition = p.partition, offset = p.offset, key = %e.key(),
                sequence = seq, version = have, "portfolio: event already applied; skipped");
            versions.insert(key, have);
            continue;
        }
        if seq != have + 1 {
            return Err(PortfolioError::View(ViewError::SequenceGap {
                partition: p.partition,
                offset: p.offset,
                tenant: key.0,
                debtor_id: key.1,
                have: have as u64,
                got: seq as u64,
            }));
        }
        apply_event(tx, generation, e).await?;
        versions.insert(key, seq);
    }
    for ((tenant, debtor), version) in versions {
        on_backend!(&mut *tx, |c, Db| {
            sqlx::query(
                "INSERT INTO portfolio_debtors (generation, tenant, debtor_id, version)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (generation, tenant, debtor_id) DO UPDATE SET version = excluded.version",
            )
            .bind(generation)
            .bind(&tenant)
            .bind(&debtor)
            .bind(version)
            .execute(&mut *c)
            .await?
            .rows_affected()
        });
    }
    Ok(())
}

async fn apply_event(tx: &mut ViewTx, g: i64, e: &Event) -> Result<(), PortfolioError> {
    let tenant = e.tenant.as_str();
    let debtor = e.debtor_id.as_str();
    let at = micros(e.time);
    let seq = e.sequence as i64;
    match &e.body {
        EventBody::DebtorRegistered(r) => {
            on_backend!(&mut *tx, |c, Db| {
                sqlx::query(
                    "INSERT INTO portfolio_debtors
                       (generation, tenant, debtor_id, version, jurisdiction, time_zone, registered_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)
                     ON CONFLICT (generation, tenant, debtor_id) DO UPDATE SET
                       jurisdiction = excluded.jurisdiction, time_zone = excluded.time_zone,
                       registered_at = excluded.registered_at",
                )
                .bind(g)
                .bind(tenant)
                .bind(debtor)
                .bind(seq)
                .bind(&r.jurisdiction)
                .bind(&r.time_zone)
                .bind(at)
                .execute(&mut *c)
                .await?
                .rows_affected()
            });
        }
        EventBody::AccountOpened(a) => {
            on_backend!(&mut *tx, |c, Db| {
                sqlx::query(
                    "INSERT INTO portfolio_accounts
                       (generation, tenant, debtor_id, account_id, currency, principal_minor,
                        product, external_ref, opened_at, opened_sequence)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(g)
                .bind(tenant)
                .bind(debtor)
                .bind(a.account_id.as_str())
                .bind(a.principal.currency.code())
                .bind(a.principal.amount_minor)
                .bind(a.product.as_deref())
                .bind(a.external_ref.as_deref())
                .bind(at)
                .bind(seq)
                .execute(&mut *c)
                .await?
                .rows_affected()
            });
            for (n, inst) in a.schedule.iter().enumerate() {
                insert_item(
                    tx,
                    g,
                    e,
                    a.account_id.as_str(),
                    n as i64,
                    None,
                    inst.due_date,
                    inst.amount_minor,
                )
                .await?;
            }
        }
        EventBody::ChargeApplied(ch) => {
            let next: i64 = on_backend!(&mut *tx, |c, Db| {
                sqlx::query_scalar(
                    "SELECT COUNT(*) FROM portfolio_items
                     WHERE generation = $1 AND tenant = $2 AND debtor_id = $3 AND account_id = $4",
                )
                .bind(g)
                .bind(tenant)
                .bind(debtor)
                .bind(ch.account_id.as_str())
                .fetch_one(&mut *c)
                .await?
            });
            insert_item(
                tx,
                g,
                e,
                ch.account_id.as_str(),
                next,
                Some(ch),
                ch.due_date,
                ch.amount.amount_minor,
            )
            .await?;
        }
        EventBody::PaymentReceived(p) => {
            on_backend!(&mut *tx, |c, Db| {
                sqlx::query(
                    "INSERT INTO portfolio_payments
                       (generation, tenant, debtor_id, payment_id, currency, amount_minor,
                        unapplied_minor, method, received_at, recorded_at, sequence)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(g)
                .bind(tenant)
                .bind(debtor)
                .bind(p.payment_id.as_str())
                .bind(p.amount.currency.code())
                .bind(p.amount.amount_minor)
                .bind(p.unapplied_minor)
                .bind(snake(&p.method))
                .bind(micros(p.received_at))
                .bind(at)
                .bind(seq)
                .execute(&mut *c)
                .await?
                .rows_affected()
            });
            insert_allocations(tx, g, e, p.payment_id.as_str(), &p.allocations).await?;
        }
        EventBody::PaymentReversed(r) => {
            on_backend!(&mut *tx, |c, Db| {
                sqlx::query(
                    "UPDATE portfolio_payments SET reversed_at = $5, reversal_reason = $6
                     WHERE generation = $1 AND tenant = $2 AND debtor_id = $3 AND payment_id = $4",
                )
                .bind(g)
                .bind(tenant)
                .bind(debtor)
                .bind(r.payment_id.as_str())
                .bind(at)
                .bind(&r.reason)
                .execute(&mut *c)
                .await?
                .rows_affected()
            });
        }
        EventBody::ContactAttempted(a) => {
            let accounts = a
                .account_ids
                .iter()
                .map(|x| x.as_str())
                .collect::<Vec<_>>()
                .join(",");
            on_backend!(&mut *tx, |c, Db| {
                sqlx::query(
                    "INSERT INTO portfolio_contacts
                       (generation, tenant, debtor_id, attempt_id, channel, direction, outcome,
                        callee_role, two_way, agent, accounts, occurred_at, recorded_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                )
                .bind(g)
                .bind(tenant)
                .bind(debtor)
                .bind(a.attempt_id.as_str())
                .bind(snake(&a.channel))
                .bind(snake(&a.direction))
                .bind(snake(&a.outcome))
                .bind(snake(&a.callee_role))
                .bind(i64::from(a.two_way))
                .bind(a.agent.as_deref())
                .bind(&accounts)
                .bind(micros(a.occurred_at))
                .bind(at)
                .execute(&mut *c)
                .await?
                .rows_affected()
            });
        }
        EventBody::PromiseMade(p) => {
            on_backend!(&mut *tx, |c, Db| {
                sqlx::query(
                    "INSERT INTO portfolio_promises
                       (generation, tenant, debtor_id, promise_id, account_id, currency,
                        amount_minor, due_date, agent, made_at, made_sequence)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(g)
                .bind(tenant)
                .bind(debtor)
                .bind(p.promise_id.as_str())
                .bind(p.account_id.as_str())
                .bind(p.amount.currency.code())
                .bind(p.amount.amount_minor)
                .bind(p.due_date)
                .bind(p.agent.as_deref())
                .bind(at)
                .bind(seq)
                .execute(&mut *c)
                .await?
                .rows_affected()
            });
        }
        EventBody::PromiseKept(k) => {
            on_backend!(&mut *tx, |c, Db| {
                sqlx::query(
                    "UPDATE portfolio_promises SET kept_at = $5, kept_payment_id = $6
                     WHERE generation = $1 AND tenant = $2 AND debtor_id = $3 AND promise_id = $4",
                )
                .bind(g)
                .bind(tenant)
                .bind(debtor)
                .bind(k.promise_id.as_str())
                .bind(at)
                .bind(k.payment_id.as_str())
                .execute(&mut *c)
                .await?
                .rows_affected()
            });
        }
        EventBody::DisputeOpened(d) => {
            on_backend!(&mut *tx, |c, Db| {
                sqlx::query(
                    "INSERT INTO portfolio_disputes
                       (generation, tenant, debtor_id, dispute_id, account_id, opened_at)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(g)
                .bind(tenant)
                .bind(debtor)
                .bind(d.dispute_id.as_str())
                .bind(d.account_id.as_str())
                .bind(at)
                .execute(&mut *c)
                .await?
                .rows_affected()
            });
        }
        EventBody::DisputeResolved(d) => {
            on_backend!(&mut *tx, |c, Db| {
                sqlx::query(
                    "UPDATE portfolio_disputes SET resolved_at = $5, resolution = $6
                     WHERE generation = $1 AND tenant = $2 AND debtor_id = $3 AND dispute_id = $4",
                )
                .bind(g)
                .bind(tenant)
                .bind(debtor)
                .bind(d.dispute_id.as_str())
                .bind(at)
                .bind(snake(&d.resolution))
                .execute(&mut *c)
                .await?
                .rows_affected()
            });
        }
        // Not portfolio facts (opt-outs, cease requests, compliance
        // decisions, and types added later): they change what contact is
        // allowed, which is the compliance and worklist projections'
        // business. They still advance the debtor's version.
        _ => {}
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn insert_item(
    tx: &mut ViewTx,
    g: i64,
    e: &Event,
    account: &str,
    item: i64,
    charge: Option<&event::ChargeApplied>,
    due_date: chrono::NaiveDate,
    amount_minor: i64,
) -> Result<(), PortfolioError> {
    let kind = if charge.is_some() {
        "charge"
    } else {
        "instalment"
    };
    let charge_id = charge.map(|c| c.charge_id.as_str().to_string());
    let charge_kind = charge.map(|c| snake(&c.kind));
    on_backend!(&mut *tx, |c, Db| {
        sqlx::query(
            "INSERT INTO portfolio_items
               (generation, tenant, debtor_id, account_id, item, kind, charge_id, charge_kind,
                due_date, amount_minor, recorded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(g)
        .bind(e.tenant.as_str())
        .bind(e.debtor_id.as_str())
        .bind(account)
        .bind(item)
        .bind(kind)
        .bind(charge_id.as_deref())
        .bind(charge_kind.as_deref())
        .bind(due_date)
        .bind(amount_minor)
        .bind(micros(e.time))
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    Ok(())
}

async fn insert_allocations(
    tx: &mut ViewTx,
    g: i64,
    e: &Event,
    payment: &str,
    allocations: &[Allocation],
) -> Result<(), PortfolioError> {
    for (line, a) in allocations.iter().enumerate() {
        on_backend!(&mut *tx, |c, Db| {
            sqlx::query(
                "INSERT INTO portfolio_allocations
                   (generation, tenant, debtor_id, payment_id, line, account_id, item, amount_minor)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(g)
            .bind(e.tenant.as_str())
            .bind(e.debtor_id.as_str())
            .bind(payment)
            .bind(line as i64)
            .bind(a.account_id.as_str())
            .bind(i64::from(a.item))
            .bind(a.amount_minor)
            .execute(&mut *c)
            .await?
            .rows_affected()
        });
    }
    Ok(())
}
