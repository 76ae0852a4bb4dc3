//! # arrears-portfolio
//!
//! The portfolio read model of arrears: facts (debtors, accounts, items,
//! payments and their allocations and reversals, promises, disputes, contact
//! attempts) stored with their event times, and computed from them for an
//! explicit instant:
//!
//! - [`summary`]: outstanding and aging as of any past instant;
//! - [`kpis`]: collections KPIs for a period (`from`, `to`], per currency;
//! - SQL views `portfolio_*_v1` for analysts (see `docs/ANALYTICS.md`);
//! - [`rebuild_and_swap`] and [`export`]: blue/green rebuild and its proof.
//!
//! "As of T" means "what arrears knew at T": only events whose `time` (when
//! the fact was recorded) is at or before T count, so a figure for a past
//! instant never changes when later events arrive. Nothing here reads a
//! clock (DESIGN D3). See `README.md` for the API and every definition.

mod compute;
pub mod error;
pub mod facts;
pub mod model;
mod projection;
mod query;
mod rebuild;

use std::sync::Arc;

use arrears_log::EventLog;
use arrears_views::sqlx::migrate::Migrator;
use arrears_views::{Projector, ProjectorConfig, ViewStore, sqlx};

pub use error::PortfolioError;
pub use model::*;
pub use projection::PortfolioProjection;
pub use query::{kpis, summary};
pub use rebuild::{RebuildReport, export, rebuild_and_swap};

/// The projection's name in `projection_checkpoints`.
pub const PORTFOLIO: &str = "portfolio";
/// The projection's version: bumped (with new tables or views) when its output changes.
pub const PORTFOLIO_VERSION: u32 = 1;

/// The table that tracks this crate's migrations (version 2001) on both
/// backends. Neither `_sqlx_migrations` (arrears-log) nor
/// `_arrears_views_migrations` (arrears-views): each migrator refuses
/// versions it does not know, so each crate keeps its own table.
pub const MIGRATIONS_TABLE: &str = "_arrears_portfolio_migrations";

fn migrator(store: &ViewStore) -> Migrator {
    let mut m = match store {
        ViewStore::Sqlite(_) => sqlx::migrate!("./migrations/sqlite"),
        ViewStore::Postgres(_) => sqlx::migrate!("./migrations/postgres"),
    };
    m.dangerous_set_table_name(MIGRATIONS_TABLE);
    m
}

/// Creates or upgrades the portfolio tables and views in `store` (a
/// [`ViewStore`] is already migrated for checkpoints). Idempotent.
pub async fn migrate(store: &ViewStore) -> Result<(), PortfolioError> {
    let m = migrator(store);
    match store {
        ViewStore::Sqlite(pool) => m.run(pool).await?,
        ViewStore::Postgres(pool) => m.run(pool).await?,
    }
    Ok(())
}

/// The live projector (`arrears project portfolio`): migrates `store` and
/// returns a [`Projector`] of [`PortfolioProjection::live`]; run it with
/// `spawn`, `run` or `catch_up`.
pub async fn projector(
    log: Arc<dyn EventLog>,
    store: &ViewStore,
    config: ProjectorConfig,
) -> Result<Projector, PortfolioError> {
    migrate(store).await?;
    Ok(Projector::new(
        log,
        store.clone(),
        Arc::new(PortfolioProjection::live()),
        config,
    )
    .await?)
}
