//! # arrears-gateway
//!
//! The HTTP edge of arrears (axum). It authenticates, validates and stamps
//! requests (command id, correlation id, the one clock reading the domain
//! ever sees), submits them to the ledger through [`CommandSubmitter`], and
//! answers with JSON or RFC 9457 problem+json. It holds no state of its own.

// Errors here are HTTP responses on their way out, never propagated through
// hot loops, so the size of `Problem` in `Result` does not matter.
#![allow(clippy::result_large_err)]

pub mod auth;
pub mod extract;
pub mod problem;
pub mod queries;
pub mod routes;

use std::sync::Arc;

use arrears_core::view::DebtorView;
use arrears_core::{DebtorId, TenantId};
use arrears_ledger::{CommandSubmitter, EmbeddedLedger};
use async_trait::async_trait;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use chrono::{DateTime, DurationRound, Utc};

use crate::problem::Problem;

/// Why a read query has no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryError {
    /// This deployment does not run the projection behind the query.
    Unavailable,
    /// The subject does not exist (for this tenant).
    NotFound(String),
    /// The query failed (the database is down, …): retry later.
    Failed(String),
}

/// The read side the gateway serves: the debtor view (every deployment has
/// it) and, where the deployment runs their projections, the portfolio and
/// the audit trail (by default: not available, 501).
#[async_trait]
pub trait DebtorReader: Send + Sync + 'static {
    /// `GET /v1/debtors/{id}`.
    async fn debtor(&self, tenant: &TenantId, id: &DebtorId) -> Result<Option<DebtorView>, String>;

    /// `GET /v1/portfolio/summary?as_of=…`: the portfolio as known at `as_of`.
    async fn portfolio_summary(
        &self,
        _tenant: &TenantId,
        _as_of: DateTime<Utc>,
    ) -> Result<serde_json::Value, QueryError> {
        Err(QueryError::Unavailable)
    }

    /// `GET /v1/portfolio/kpis?from=…&to=…`: KPIs of the period.
    async fn portfolio_kpis(
        &self,
        _tenant: &TenantId,
        _from: DateTime<Utc>,
        _to: DateTime<Utc>,
    ) -> Result<serde_json::Value, QueryError> {
        Err(QueryError::Unavailable)
    }

    /// `GET /v1/audit/debtors/{id}`: the hash-chained compliance trail.
    async fn audit_trail(
        &self,
        _tenant: &TenantId,
        _id: &DebtorId,
    ) -> Result<serde_json::Value, QueryError> {
        Err(QueryError::Unavailable)
    }
}

#[async_trait]
impl DebtorReader for EmbeddedLedger {
    async fn debtor(&self, tenant: &TenantId, id: &DebtorId) -> Result<Option<DebtorView>, String> {
        Ok(self.debtor_view(tenant, id))
    }
}

/// The gateway's clock: the only place arrears reads the time of day. It
/// stamps each command once; everything downstream uses that stamp.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// Wall-clock time, truncated to microseconds (what PostgreSQL stores).
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        let now = Utc::now();
        now.duration_trunc(chrono::TimeDelta::microseconds(1))
            .unwrap_or(now)
    }
}

/// Shared state of the gateway's handlers.
#[derive(Clone)]
pub struct Gateway {
    pub submitter: Arc<dyn CommandSubmitter>,
    pub reader: Arc<dyn DebtorReader>,
    pub clock: Arc<dyn Clock>,
    pub admin_key: Arc<str>,
    /// A read-only key for auditors (`ARREARS_AUDITOR_KEY`), if configured.
    pub auditor_key: Option<Arc<str>>,
    pub tenant: TenantId,
    /// The policy packs `POST /v1/compliance/evaluate` answers with.
    pub policy: Arc<arrears_policy::PackSet>,
}

/// The whole HTTP API.
pub fn app(gw: Gateway) -> Router {
    use routes::*;
    let v1 = Router::new()
        .route("/debtors", post(register_debtor))
        .route("/debtors/{debtor_id}", get(get_debtor))
        .route("/debtors/{debtor_id}/accounts", post(open_account))
        .route(
            "/debtors/{debtor_id}/accounts/{account_id}/charges",
            post(apply_charge),
        )
        .route("/debtors/{debtor_id}/payments", post(record_payment))
        .route(
            "/debtors/{debtor_id}/payments/{payment_id}/reversal",
            post(reverse_payment),
        )
        .route(
            "/debtors/{debtor_id}/contact-attempts",
            post(record_contact_attempt),
        )
        .route("/debtors/{debtor_id}/promises", post(make_promise))
        .route(
            "/debtors/{debtor_id}/contact-requests",
            post(request_contact),
        )
        .route("/compliance/evaluate", post(evaluate_compliance))
        .route("/debtors/{debtor_id}/disputes", post(open_dispute))
        .route(
            "/debtors/{debtor_id}/disputes/{dispute_id}/resolution",
            post(resolve_dispute),
        )
        .route("/debtors/{debtor_id}/opt-outs", post(record_opt_out))
        .route(
            "/debtors/{debtor_id}/cease-communication",
            post(record_cease_communication),
        )
        .route(
            "/debtors/{debtor_id}/contact-restrictions",
            post(record_contact_restriction),
        )
        .route("/commands/{command_id}", get(get_command))
        .route("/portfolio/summary", get(queries::portfolio_summary))
        .route("/portfolio/kpis", get(queries::portfolio_kpis))
        .route("/audit/debtors/{debtor_id}", get(queries::audit_trail))
        .method_not_allowed_fallback(|| async { Problem::method_not_allowed() })
        .route_layer(axum::middleware::from_fn_with_state(
            gw.clone(),
            auth::require_api_key,
        ));
    Router::new()
        .route(
            "/healthz",
            get(|| async { axum::Json(serde_json::json!({"status": "ok"})) }),
        )
        .nest("/v1", v1)
        .fallback(|| async { Problem::not_found("no such resource") })
        .method_not_allowed_fallback(|| async { Problem::method_not_allowed() })
        .layer(DefaultBodyLimit::max(extract::BODY_LIMIT))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(gw)
}
