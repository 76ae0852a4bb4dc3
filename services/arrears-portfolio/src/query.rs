//! The async query API over either backend. Each call reads one consistent
//! snapshot of the active generation (see [`crate::facts::snapshot`]) and
//! computes in Rust (see [`crate::compute`]).

use arrears_core::TenantId;
use arrears_views::ViewStore;
use chrono::{DateTime, SubsecRound, Utc};

use crate::compute;
use crate::error::PortfolioError;
use crate::facts::{self, active_generation};
use crate::model::{KpiOptions, Kpis, PortfolioSummary};

/// The portfolio of `tenant` as arrears knew it at `as_of`: only facts whose
/// event time is at or before `as_of` count (truncated to the microsecond,
/// the stored precision). Days past due are counted on `as_of`'s UTC date.
pub async fn summary(
    store: &ViewStore,
    tenant: &TenantId,
    as_of: DateTime<Utc>,
) -> Result<PortfolioSummary, PortfolioError> {
    let as_of = as_of.trunc_subsecs(6);
    let mut tx = facts::snapshot(store).await?;
    let generation = active_generation(&mut tx).await?;
    let f = facts::load(&mut tx, generation, Some(tenant.as_str()), as_of).await?;
    tx.rollback().await?;
    compute::summary(&f, tenant.as_str(), as_of)
}

/// KPIs of `tenant` for the period (`from`, `to`]: balances "at `from`" and
/// "at `to`" are as-of figures; flows (sales, collections, contacts,
/// promises) are the facts whose event time is in the period. Only facts
/// recorded at or before `to` are read, so a closed period never changes.
pub async fn kpis(
    store: &ViewStore,
    tenant: &TenantId,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    options: &KpiOptions,
) -> Result<Kpis, PortfolioError> {
    let (from, to) = (from.trunc_subsecs(6), to.trunc_subsecs(6));
    if from >= to {
        return Err(PortfolioError::InvalidPeriod { from, to });
    }
    if options.promise_grace_days > KpiOptions::MAX_PROMISE_GRACE_DAYS {
        return Err(PortfolioError::InvalidOption {
            option: "promise_grace_days",
            reason: format!(
                "{} is more than the maximum of {}",
                options.promise_grace_days,
                KpiOptions::MAX_PROMISE_GRACE_DAYS
            ),
        });
    }
    let mut tx = facts::snapshot(store).await?;
    let generation = active_generation(&mut tx).await?;
    let f = facts::load(&mut tx, generation, Some(tenant.as_str()), to).await?;
    tx.rollback().await?;
    compute::kpis(&f, tenant.as_str(), from, to, options)
}
