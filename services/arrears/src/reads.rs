//! The read side the gateway serves, per deployment: the debtor view from
//! the ledger's memory (embedded) or the PostgreSQL projection (production),
//! and the portfolio queries over whichever view store the projections write.

use std::sync::Arc;

use arrears_core::view::DebtorView;
use arrears_core::{DebtorId, TenantId};
use arrears_gateway::{DebtorReader, QueryError};
use arrears_ledger::EmbeddedLedger;
use arrears_portfolio::{KpiOptions, PortfolioError};
use arrears_views::{DebtorViewReader, ViewStore};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Where `GET /v1/debtors/{id}` comes from.
pub enum DebtorSource {
    /// The embedded ledger's in-memory state (read-your-writes).
    Ledger(EmbeddedLedger),
    /// The `debtors` projection (eventually consistent).
    Projection(DebtorViewReader),
}

/// Every read the gateway can answer in this deployment.
pub struct Reads {
    pub debtors: DebtorSource,
    /// The store the portfolio and audit projections write.
    pub views: ViewStore,
}

impl Reads {
    pub fn new(debtors: DebtorSource, views: ViewStore) -> Arc<Reads> {
        Arc::new(Reads { debtors, views })
    }
}

fn failed(e: PortfolioError) -> QueryError {
    QueryError::Failed(e.to_string())
}

fn json<T: serde::Serialize>(v: T) -> Result<serde_json::Value, QueryError> {
    serde_json::to_value(v).map_err(|e| QueryError::Failed(e.to_string()))
}

#[async_trait]
impl DebtorReader for Reads {
    async fn debtor(&self, tenant: &TenantId, id: &DebtorId) -> Result<Option<DebtorView>, String> {
        match &self.debtors {
            DebtorSource::Ledger(l) => Ok(l.debtor_view(tenant, id)),
            DebtorSource::Projection(r) => r.debtor(tenant, id).await.map_err(|e| e.to_string()),
        }
    }

    async fn portfolio_summary(
        &self,
        tenant: &TenantId,
        as_of: DateTime<Utc>,
    ) -> Result<serde_json::Value, QueryError> {
        json(
            arrears_portfolio::summary(&self.views, tenant, as_of)
                .await
                .map_err(failed)?,
        )
    }

    async fn portfolio_kpis(
        &self,
        tenant: &TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<serde_json::Value, QueryError> {
        json(
            arrears_portfolio::kpis(&self.views, tenant, from, to, &KpiOptions::default())
                .await
                .map_err(failed)?,
        )
    }

    async fn audit_trail(
        &self,
        tenant: &TenantId,
        id: &DebtorId,
    ) -> Result<serde_json::Value, QueryError> {
        let rows = arrears_audit::trail(&self.views, tenant, id)
            .await
            .map_err(|e| QueryError::Failed(e.to_string()))?;
        if rows.is_empty() {
            return Err(QueryError::NotFound(format!(
                "no audit trail for debtor `{id}` (unknown, or not projected yet)"
            )));
        }
        json(rows)
    }
}
