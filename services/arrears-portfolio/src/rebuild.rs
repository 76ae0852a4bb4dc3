//! Blue/green rebuild of the portfolio inside one view store.
//!
//! Every portfolio table has a `generation` column; `portfolio_active` names
//! the generation the live projection writes and the `_v1` views show. A
//! rebuild projects the whole log from offset 0 into a NEW generation with
//! checkpoints of its own (`portfolio.g{N}`), while the live generation keeps
//! serving. When the new one has caught up, ONE transaction moves its
//! checkpoints to `(portfolio, 1)` and points `portfolio_active` at it; the
//! old generation's rows are deleted afterwards (readers that started before
//! the swap keep their snapshot).

use std::collections::BTreeMap;
use std::sync::Arc;

use arrears_log::EventLog;
use arrears_views::{Projector, ProjectorConfig, ViewStore, ViewTx, checksum, on_backend, sqlx};
use serde::Serialize;

use crate::error::PortfolioError;
use crate::facts::{self, end_of_time};
use crate::projection::{PortfolioProjection, rebuild_checkpoint_name};
use crate::{PORTFOLIO, PORTFOLIO_VERSION};

/// Every table holding generation rows (the tables behind the `_v1` views).
const TABLES: [&str; 8] = [
    "portfolio_debtors",
    "portfolio_accounts",
    "portfolio_items",
    "portfolio_payments",
    "portfolio_allocations",
    "portfolio_promises",
    "portfolio_disputes",
    "portfolio_contacts",
];

/// What [`rebuild_and_swap`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RebuildReport {
    /// The generation now active.
    pub generation: i64,
    /// The generation that was active before (its rows are deleted).
    pub previous_generation: i64,
    /// The checkpoints `(portfolio, 1)` now hold: partition → next offset.
    pub next_offsets: BTreeMap<u32, u64>,
    /// Events applied by the rebuild.
    pub records: u64,
    /// SHA-256 of [`export`] of the new generation right after the swap.
    pub checksum: String,
}

/// How many times the swap waits for the rebuild to reach a live projector
/// that is ahead of it before giving up.
const SWAP_ATTEMPTS: u32 = 20;

/// Rebuilds the portfolio from offset 0 into a new generation and swaps it in.
///
/// Reads keep being served by the old generation until the swap. The swap
/// happens once the rebuild's checkpoints are at or beyond the live ones on
/// every partition (it catches up again while a running live projector is
/// ahead). A live projector that was exactly at the same offsets continues
/// seamlessly into the new generation; one that was behind fails its next
/// batch with `CheckpointConflict` (nothing is applied twice or lost) and
/// resumes from the swapped checkpoints when restarted.
///
/// `config.topic` must be the live projection's topic.
pub async fn rebuild_and_swap(
    log: Arc<dyn EventLog>,
    store: &ViewStore,
    config: ProjectorConfig,
) -> Result<RebuildReport, PortfolioError> {
    crate::migrate(store).await?;
    let topic = config.topic.clone();
    let generation = start_generation(store, &topic).await?;
    tracing::info!(generation, "portfolio rebuild started");
    let projection = Arc::new(PortfolioProjection::rebuilding(generation));
    let mut projector = Projector::new(log, store.clone(), projection, config).await?;
    for attempt in 1..=SWAP_ATTEMPTS {
        let records = projector.catch_up().await?.records;
        if let Some((previous, next_offsets)) = try_swap(store, generation, &topic).await? {
            delete_generation(store, previous).await?;
            let lines = export(store).await?;
            tracing::info!(generation, previous, "portfolio generation swapped in");
            return Ok(RebuildReport {
                generation,
                previous_generation: previous,
                next_offsets,
                records,
                checksum: checksum(&lines),
            });
        }
        tracing::info!(
            generation,
            attempt,
            "live portfolio is ahead of the rebuild; catching up"
        );
    }
    Err(PortfolioError::RebuildBehind {
        generation,
        attempts: SWAP_ATTEMPTS,
    })
}

/// Drops abandoned builds and registers a new generation as `building`.
async fn start_generation(store: &ViewStore, topic: &str) -> Result<i64, PortfolioError> {
    let abandoned: Vec<i64> = arrears_views::on_pool!(store, |pool, Db| {
        sqlx::query_scalar(
            "SELECT generation FROM portfolio_generations WHERE status = 'building' ORDER BY generation",
        )
        .fetch_all(pool)
        .await?
    });
    for g in abandoned {
        tracing::warn!(generation = g, "dropping an abandoned portfolio rebuild");
        delete_generation(store, g).await?;
        let mut tx = store.begin().await?;
        delete_checkpoints(&mut tx, &rebuild_checkpoint_name(g), topic).await?;
        on_backend!(&mut tx, |c, Db| {
            sqlx::query(
                "UPDATE portfolio_generations SET status = 'abandoned' WHERE generation = $1",
            )
            .bind(g)
            .execute(&mut *c)
            .await?
            .rows_affected()
        });
        tx.commit().await?;
    }
    let mut tx = store.begin().await?;
    let g: i64 = on_backend!(&mut tx, |c, Db| {
        sqlx::query_scalar("SELECT COALESCE(MAX(generation), 0) + 1 FROM portfolio_generations")
            .fetch_one(&mut *c)
            .await?
    });
    on_backend!(&mut tx, |c, Db| {
        sqlx::query(
            "INSERT INTO portfolio_generations (generation, status) VALUES ($1, 'building')",
        )
        .bind(g)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    tx.commit().await?;
    Ok(g)
}

async fn delete_checkpoints(
    tx: &mut ViewTx,
    projection: &str,
    topic: &str,
) -> Result<(), PortfolioError> {
    on_backend!(tx, |c, Db| {
        sqlx::query(
            "DELETE FROM projection_checkpoints WHERE projection = $1 AND version = $2 AND topic = $3",
        )
        .bind(projection)
        .bind(i64::from(PORTFOLIO_VERSION))
        .bind(topic)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    Ok(())
}

/// One transaction: if the rebuild is at or beyond the live checkpoints,
/// move its checkpoints to `(portfolio, 1)` and make it active. Returns the
/// previous generation and the new checkpoints, or `None` (rolled back) if
/// the live projection is ahead somewhere.
async fn try_swap(
    store: &ViewStore,
    generation: i64,
    topic: &str,
) -> Result<Option<(i64, BTreeMap<u32, u64>)>, PortfolioError> {
    let mut tx = store.begin().await?;
    // PostgreSQL: the live batches hold FOR SHARE on this row; taking it FOR
    // UPDATE orders the swap strictly before or after each of them.
    let previous: i64 = match &mut tx {
        ViewTx::Sqlite(t) => {
            sqlx::query_scalar("SELECT generation FROM portfolio_active WHERE id = 1")
                .fetch_one(&mut **t)
                .await?
        }
        ViewTx::Postgres(t) => {
            sqlx::query_scalar("SELECT generation FROM portfolio_active WHERE id = 1 FOR UPDATE")
                .fetch_one(&mut **t)
                .await?
        }
    };
    let rebuilt = read_checkpoints(&mut tx, &rebuild_checkpoint_name(generation), topic).await?;
    let live = read_checkpoints(&mut tx, PORTFOLIO, topic).await?;
    let behind = live
        .iter()
        .any(|(p, l)| rebuilt.get(p).copied().unwrap_or(0) < *l);
    if behind {
        tx.rollback().await?;
        return Ok(None);
    }
    delete_checkpoints(&mut tx, PORTFOLIO, topic).await?;
    on_backend!(&mut tx, |c, Db| {
        sqlx::query(
            "UPDATE projection_checkpoints SET projection = $1
             WHERE projection = $2 AND version = $3 AND topic = $4",
        )
        .bind(PORTFOLIO)
        .bind(rebuild_checkpoint_name(generation))
        .bind(i64::from(PORTFOLIO_VERSION))
        .bind(topic)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    on_backend!(&mut tx, |c, Db| {
        sqlx::query("UPDATE portfolio_active SET generation = $1 WHERE id = 1")
            .bind(generation)
            .execute(&mut *c)
            .await?
            .rows_affected()
    });
    on_backend!(&mut tx, |c, Db| {
        sqlx::query(
            "UPDATE portfolio_generations SET status = CASE WHEN generation = $1 THEN 'active'
             ELSE 'retired' END WHERE generation = $1 OR generation = $2",
        )
        .bind(generation)
        .bind(previous)
        .execute(&mut *c)
        .await?
        .rows_affected()
    });
    tx.commit().await?;
    Ok(Some((previous, rebuilt)))
}

async fn read_checkpoints(
    tx: &mut ViewTx,
    projection: &str,
    topic: &str,
) -> Result<BTreeMap<u32, u64>, PortfolioError> {
    let rows: Vec<(i64, i64)> = on_backend!(tx, |c, Db| {
        sqlx::query_as(
            "SELECT partition, next_offset FROM projection_checkpoints
             WHERE projection = $1 AND version = $2 AND topic = $3",
        )
        .bind(projection)
        .bind(i64::from(PORTFOLIO_VERSION))
        .bind(topic)
        .fetch_all(&mut *c)
        .await?
    });
    Ok(rows
        .into_iter()
        .map(|(p, n)| (p as u32, n as u64))
        .collect())
}

/// Deletes every row of `generation` (one transaction).
async fn delete_generation(store: &ViewStore, generation: i64) -> Result<(), PortfolioError> {
    let mut tx = store.begin().await?;
    for table in TABLES {
        // The table names are the constants above, never input.
        let sql = format!("DELETE FROM {table} WHERE generation = $1");
        on_backend!(&mut tx, |c, Db| {
            sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(generation)
                .execute(&mut *c)
                .await?
                .rows_affected()
        });
    }
    tx.commit().await?;
    Ok(())
}

/// Every fact of the active generation, all tenants, one line per row:
/// `table \t json`, tables in a fixed order and rows in primary-key order
/// (byte order on both backends). Times are RFC 3339 UTC with microseconds.
/// Identical on SQLite and PostgreSQL, and between a live and a rebuilt
/// generation of the same log: compare them, or their [`checksum`].
pub async fn export(store: &ViewStore) -> Result<Vec<String>, PortfolioError> {
    let mut tx = facts::snapshot(store).await?;
    let generation = facts::active_generation(&mut tx).await?;
    let f = facts::load(&mut tx, generation, None, end_of_time()).await?;
    tx.rollback().await?;
    let mut out = Vec::new();
    fn push<T: Serialize>(
        out: &mut Vec<String>,
        table: &str,
        rows: &[T],
    ) -> Result<(), PortfolioError> {
        for r in rows {
            let json = serde_json::to_string(r).map_err(|e| PortfolioError::Corrupt {
                what: table.to_string(),
                reason: e.to_string(),
            })?;
            out.push(format!("{table}\t{json}"));
        }
        Ok(())
    }
    push(&mut out, "debtors", &f.debtors)?;
    push(&mut out, "accounts", &f.accounts)?;
    push(&mut out, "items", &f.items)?;
    push(&mut out, "payments", &f.payments)?;
    push(&mut out, "allocations", &f.allocations)?;
    push(&mut out, "promises", &f.promises)?;
    push(&mut out, "disputes", &f.disputes)?;
    push(&mut out, "contacts", &f.contacts)?;
    Ok(out)
}
