//! Read queries over the projections: the portfolio as of an instant, the
//! KPIs of a period, a debtor's audit trail. Time is always explicit: a
//! query without `as_of` (or `from`/`to`) is a client error, never "now".

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

use arrears_core::DebtorId;

use crate::auth::Tenant;
use crate::problem::Problem;
use crate::{Gateway, QueryError};

/// Parses an instant: RFC 3339, or a bare date meaning the END of that day
/// in UTC (`2026-06-30` = everything recorded up to 2026-06-30T23:59:59.999999Z),
/// which is what "the portfolio as of June 30" means to a supervisor.
pub fn parse_instant(field: &str, text: &str) -> Result<DateTime<Utc>, Problem> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(d) = text.parse::<NaiveDate>()
        && let Some(end) = d.and_hms_micro_opt(23, 59, 59, 999_999)
    {
        return Ok(end.and_utc());
    }
    Err(Problem::invalid_parameter(
        field,
        format!("`{text}` is neither an RFC 3339 instant nor a YYYY-MM-DD date"),
    ))
}

fn required(field: &str, v: Option<String>) -> Result<DateTime<Utc>, Problem> {
    match v {
        Some(text) => parse_instant(field, &text),
        None => Err(Problem::invalid_parameter(
            field,
            "is required (arrears never assumes the current time: give the instant you mean)",
        )),
    }
}

fn answer(result: Result<serde_json::Value, QueryError>) -> Response {
    match result {
        Ok(v) => Json(v).into_response(),
        Err(QueryError::Unavailable) => Problem::new(
            StatusCode::NOT_IMPLEMENTED,
            "not_available",
            "Not available in this deployment",
            "this deployment does not run the projection behind this query",
        )
        .into_response(),
        Err(QueryError::NotFound(detail)) => Problem::not_found(detail).into_response(),
        Err(QueryError::Failed(detail)) => Problem::unavailable(detail).into_response(),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AsOf {
    pub as_of: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    pub from: Option<String>,
    pub to: Option<String>,
}

/// `GET /v1/portfolio/summary?as_of=2026-06-30`
pub async fn portfolio_summary(
    State(gw): State<Gateway>,
    tenant: Tenant,
    query: Result<Query<AsOf>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(q)) = query else {
        return Problem::invalid_parameter("query", "only `as_of` is accepted").into_response();
    };
    match required("as_of", q.as_of) {
        Ok(as_of) => answer(gw.reader.portfolio_summary(&tenant.0, as_of).await),
        Err(p) => p.into_response(),
    }
}

/// `GET /v1/portfolio/kpis?from=2026-01-01&to=2026-06-30`
pub async fn portfolio_kpis(
    State(gw): State<Gateway>,
    tenant: Tenant,
    query: Result<Query<Period>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(q)) = query else {
        return Problem::invalid_parameter("query", "only `from` and `to` are accepted")
            .into_response();
    };
    let period = required("from", q.from).and_then(|f| Ok((f, required("to", q.to)?)));
    match period {
        Ok((from, to)) if from >= to => {
            Problem::invalid_parameter("from", "must be before `to`").into_response()
        }
        Ok((from, to)) => answer(gw.reader.portfolio_kpis(&tenant.0, from, to).await),
        Err(p) => p.into_response(),
    }
}

/// `GET /v1/audit/debtors/{id}`
pub async fn audit_trail(
    State(gw): State<Gateway>,
    tenant: Tenant,
    Path(debtor): Path<String>,
) -> Response {
    match DebtorId::new(debtor) {
        Ok(id) => answer(gw.reader.audit_trail(&tenant.0, &id).await),
        Err(e) => Problem::invalid_parameter("debtor_id", e.to_string()).into_response(),
    }
}
