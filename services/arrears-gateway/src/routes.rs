//! The `/v1` resources. Each write endpoint turns a request into one command
//! for one debtor, submits it to the ledger and maps the reply to HTTP.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;

use arrears_core::command::*;
use arrears_core::ids::{AccountId, ChargeId, DebtorId, DisputeId, PaymentId};
use arrears_core::vocabulary::{ChargeKind, DisputeResolution};
use arrears_core::{CommandEnvelope, Money, RejectionKind, Reply, ReplyResult};
use arrears_ledger::SubmitError;

use crate::Gateway;
use crate::auth::Tenant;
use crate::extract::{CorrelationId, IdempotencyKey, JsonBody};
use crate::problem::Problem;

/// `POST /v1/debtors`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    pub debtor_id: DebtorId,
    pub jurisdiction: String,
    pub time_zone: String,
    pub locale: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub contact_points: Vec<ContactPoint>,
}

/// `POST /v1/debtors/{id}/accounts/{account_id}/charges`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChargeRequest {
    pub charge_id: ChargeId,
    pub kind: ChargeKind,
    pub amount: Money,
    #[serde(default)]
    pub due_date: Option<NaiveDate>,
    #[serde(default)]
    pub description: Option<String>,
}

/// `POST /v1/debtors/{id}/payments/{payment_id}/reversal`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReversalRequest {
    pub reason: String,
}

/// `POST /v1/debtors/{id}/disputes/{dispute_id}/resolution`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResolutionRequest {
    pub resolution: DisputeResolution,
    #[serde(default)]
    pub note: Option<String>,
}

/// Everything a write handler needs besides its command.
pub struct Write {
    pub tenant: Tenant,
    pub key: IdempotencyKey,
    pub correlation: CorrelationId,
}

fn path_id<T>(
    field: &str,
    raw: String,
    make: fn(String) -> Result<T, arrears_core::ids::InvalidId>,
) -> Result<T, Problem> {
    make(raw).map_err(|e| Problem::invalid_parameter(field, e.to_string()))
}

pub async fn register_debtor(
    State(gw): State<Gateway>,
    tenant: Tenant,
    key: IdempotencyKey,
    correlation: CorrelationId,
    JsonBody(body): JsonBody<RegisterRequest>,
) -> Response {
    let command = Command::RegisterDebtor(RegisterDebtor {
        jurisdiction: body.jurisdiction,
        time_zone: body.time_zone,
        locale: body.locale,
        display_name: body.display_name,
        contact_points: body.contact_points,
    });
    submit(
        &gw,
        Write {
            tenant,
            key,
            correlation,
        },
        body.debtor_id,
        command,
    )
    .await
}

macro_rules! simple_write {
    ($(#[$doc:meta])* $name:ident, $body:ty, $variant:ident) => {
        $(#[$doc])*
        pub async fn $name(
            State(gw): State<Gateway>,
            tenant: Tenant,
            key: IdempotencyKey,
            correlation: CorrelationId,
            Path(debtor): Path<String>,
            JsonBody(body): JsonBody<$body>,
        ) -> Response {
            let debtor = match path_id("debtor_id", debtor, DebtorId::new) {
                Ok(d) => d,
                Err(p) => return p.into_response(),
            };
            submit(&gw, Write { tenant, key, correlation }, debtor, Command::$variant(body)).await
        }
    };
}

simple_write!(
    /// `POST /v1/debtors/{id}/accounts`
    open_account, OpenAccount, OpenAccount
);
simple_write!(
    /// `POST /v1/debtors/{id}/payments`
    record_payment, RecordPayment, RecordPayment
);
simple_write!(
    /// `POST /v1/debtors/{id}/contact-attempts`
    record_contact_attempt, RecordContactAttempt, RecordContactAttempt
);
simple_write!(
    /// `POST /v1/debtors/{id}/contact-requests`: the compliance gate.
    request_contact, RequestContact, RequestContact
);
simple_write!(
    /// `POST /v1/debtors/{id}/promises`
    make_promise, MakePromise, MakePromise
);
simple_write!(
    /// `POST /v1/debtors/{id}/disputes`
    open_dispute, OpenDispute, OpenDispute
);
simple_write!(
    /// `POST /v1/debtors/{id}/opt-outs`
    record_opt_out, RecordOptOut, RecordOptOut
);
simple_write!(
    /// `POST /v1/debtors/{id}/cease-communication`
    record_cease_communication, RecordCeaseCommunication, RecordCeaseCommunication
);
simple_write!(
    /// `POST /v1/debtors/{id}/contact-restrictions`: attorney representation,
    /// inconvenient times, medium blocks, workplace, TCPA revocation, extra zones.
    record_contact_restriction, RecordContactRestriction, RecordContactRestriction
);

pub async fn apply_charge(
    State(gw): State<Gateway>,
    tenant: Tenant,
    key: IdempotencyKey,
    correlation: CorrelationId,
    Path((debtor, account)): Path<(String, String)>,
    JsonBody(body): JsonBody<ChargeRequest>,
) -> Response {
    let ids = path_id("debtor_id", debtor, DebtorId::new)
        .and_then(|d| Ok((d, path_id("account_id", account, AccountId::new)?)));
    let (debtor, account_id) = match ids {
        Ok(v) => v,
        Err(p) => return p.into_response(),
    };
    let command = Command::ApplyCharge(ApplyCharge {
        account_id,
        charge_id: body.charge_id,
        kind: body.kind,
        amount: body.amount,
        due_date: body.due_date,
        description: body.description,
    });
    submit(
        &gw,
        Write {
            tenant,
            key,
            correlation,
        },
        debtor,
        command,
    )
    .await
}

pub async fn reverse_payment(
    State(gw): State<Gateway>,
    tenant: Tenant,
    key: IdempotencyKey,
    correlation: CorrelationId,
    Path((debtor, payment)): Path<(String, String)>,
    JsonBody(body): JsonBody<ReversalRequest>,
) -> Response {
    let ids = path_id("debtor_id", debtor, DebtorId::new)
        .and_then(|d| Ok((d, path_id("payment_id", payment, PaymentId::new)?)));
    let (debtor, payment_id) = match ids {
        Ok(v) => v,
        Err(p) => return p.into_response(),
    };
    let command = Command::ReversePayment(ReversePayment {
        payment_id,
        reason: body.reason,
    });
    submit(
        &gw,
        Write {
            tenant,
            key,
            correlation,
        },
        debtor,
        command,
    )
    .await
}

pub async fn resolve_dispute(
    State(gw): State<Gateway>,
    tenant: Tenant,
    key: IdempotencyKey,
    correlation: CorrelationId,
    Path((debtor, dispute)): Path<(String, String)>,
    JsonBody(body): JsonBody<ResolutionRequest>,
) -> Response {
    let ids = path_id("debtor_id", debtor, DebtorId::new)
        .and_then(|d| Ok((d, path_id("dispute_id", dispute, DisputeId::new)?)));
    let (debtor, dispute_id) = match ids {
        Ok(v) => v,
        Err(p) => return p.into_response(),
    };
    let command = Command::ResolveDispute(ResolveDispute {
        dispute_id,
        resolution: body.resolution,
        note: body.note,
    });
    submit(
        &gw,
        Write {
            tenant,
            key,
            correlation,
        },
        debtor,
        command,
    )
    .await
}

/// `GET /v1/debtors/{id}`
pub async fn get_debtor(
    State(gw): State<Gateway>,
    tenant: Tenant,
    Path(debtor): Path<String>,
) -> Response {
    let debtor = match path_id("debtor_id", debtor, DebtorId::new) {
        Ok(d) => d,
        Err(p) => return p.into_response(),
    };
    match gw.reader.debtor(&tenant.0, &debtor).await {
        Ok(Some(view)) => Json(view).into_response(),
        Ok(None) => Problem::new(
            StatusCode::NOT_FOUND,
            "unknown_debtor",
            "Unknown debtor",
            format!("debtor `{debtor}` is not registered"),
        )
        .into_response(),
        Err(e) => Problem::unavailable(e).into_response(),
    }
}

/// `GET /v1/commands/{command_id}`: the outcome of a command accepted with 202.
pub async fn get_command(
    State(gw): State<Gateway>,
    tenant: Tenant,
    Path(command_id): Path<String>,
) -> Response {
    let Ok(command_id) = command_id.parse::<uuid::Uuid>() else {
        return Problem::invalid_parameter("command_id", "must be a UUID").into_response();
    };
    match gw.submitter.reply_for(command_id).await {
        // Another tenant's command is indistinguishable from a missing one.
        Ok(Some(reply)) if reply.tenant == tenant.0 => reply_response(reply),
        Ok(_) => Problem::not_found(format!(
            "no outcome for command {command_id} (unknown, or not decided yet)"
        ))
        .into_response(),
        Err(e) => Problem::unavailable(e.to_string()).into_response(),
    }
}

/// Stamps the command (time, ids) and submits it to the ledger.
pub async fn submit(gw: &Gateway, w: Write, debtor_id: DebtorId, command: Command) -> Response {
    let envelope = CommandEnvelope {
        command_id: uuid::Uuid::now_v7(),
        tenant: w.tenant.0,
        debtor_id,
        issued_at: gw.clock.now(),
        correlation_id: w.correlation.0,
        idempotency_key: w.key.0,
        actor: Some("admin".into()),
        command,
    };
    match gw.submitter.submit(envelope).await {
        Ok(reply) => reply_response(reply),
        Err(SubmitError::Pending(id)) => {
            let location = format!("/v1/commands/{id}");
            let mut response = (
                StatusCode::ACCEPTED,
                Json(json!({ "command_id": id, "status": "pending", "location": location })),
            )
                .into_response();
            if let Ok(v) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, v);
            }
            response
        }
        Err(SubmitError::Unavailable(detail)) => Problem::unavailable(detail).into_response(),
    }
}

/// Maps a ledger reply to the HTTP response.
pub fn reply_response(reply: Reply) -> Response {
    match reply.result {
        ReplyResult::Accepted {
            version,
            events,
            decision,
        } => {
            let mut body = json!({
                "command_id": reply.command_id,
                "command": reply.command,
                "debtor_id": reply.debtor_id,
                "status": "accepted",
                "version": version,
                "events": events,
            });
            if let Some(d) = decision {
                body["decision"] = serde_json::to_value(d).unwrap_or_default();
            }
            (StatusCode::CREATED, Json(body)).into_response()
        }
        ReplyResult::Duplicate {
            original_command_id,
            version,
            events,
        } => {
            let mut response = (
                StatusCode::OK,
                Json(json!({
                    "command_id": original_command_id,
                    "command": reply.command,
                    "debtor_id": reply.debtor_id,
                    "status": "accepted",
                    "replayed": true,
                    "version": version,
                    "events": events,
                })),
            )
                .into_response();
            response
                .headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            response
        }
        ReplyResult::Rejected { rejection, message } => {
            let status = match rejection.kind() {
                RejectionKind::Validation => StatusCode::UNPROCESSABLE_ENTITY,
                RejectionKind::NotFound => StatusCode::NOT_FOUND,
                RejectionKind::Conflict => StatusCode::CONFLICT,
            };
            let code = rejection.code();
            let mut problem = Problem::new(status, &code, &title_of(&code), message.clone())
                .with_extension("command_id", json!(reply.command_id))
                .with_extension(
                    "rejection",
                    serde_json::to_value(&rejection).unwrap_or_default(),
                );
            if let Some(field) = rejection.field() {
                problem = problem.with_field(field, message);
            }
            problem.into_response()
        }
    }
}

/// `payment_already_applied` → `Payment already applied`.
fn title_of(code: &str) -> String {
    let text = code.replace('_', " ");
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
        None => text,
    }
}

/// `POST /v1/compliance/evaluate`: judges a proposed contact against facts
/// and a history the caller supplies. Stateless: nothing is recorded. For
/// integrators (check before dialling) and auditors (re-run a decision from
/// its inputs: the `inputs_hash` must match).
///
/// It answers with the gateway's packs, which the operator configures to be
/// the ones the ledger's gate uses (`ARREARS_POLICY_DIR` for both).
pub async fn evaluate_compliance(
    State(gw): State<Gateway>,
    _tenant: Tenant,
    JsonBody(request): JsonBody<arrears_policy::EvaluationRequest>,
) -> Response {
    Json(arrears_policy::evaluate(&gw.policy, &request)).into_response()
}
