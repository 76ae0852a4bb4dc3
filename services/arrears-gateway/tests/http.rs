//! The HTTP API against the real embedded ledger on an in-memory SQLite log,
//! driven with `tower::ServiceExt::oneshot`. Every 4xx problem type is here.

use std::sync::Arc;
use std::time::Duration;

use arrears_core::TenantId;
use arrears_gateway::{Clock, Gateway, app};
use arrears_ledger::{CommandSubmitter, EmbeddedLedger, LedgerConfig, SubmitError};
use arrears_log::{EventLog, SqliteLog};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, TimeZone, Utc};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

const KEY: &str = "test-admin-key";
const AUDITOR: &str = "test-auditor-key";

struct FixedClock;
impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 15, 0, 0).unwrap()
    }
}

/// Hands the command to the real ledger but answers at once, as a ledger
/// slower than the gateway's wait would: the gateway must answer 202.
struct ImpatientSubmitter(EmbeddedLedger);

#[async_trait::async_trait]
impl CommandSubmitter for ImpatientSubmitter {
    async fn submit(
        &self,
        envelope: arrears_core::CommandEnvelope,
    ) -> Result<arrears_core::Reply, SubmitError> {
        let id = envelope.command_id;
        let ledger = self.0.clone();
        tokio::spawn(async move { ledger.submit(envelope).await });
        Err(SubmitError::Pending(id))
    }
    async fn reply_for(&self, id: uuid::Uuid) -> Result<Option<arrears_core::Reply>, SubmitError> {
        self.0.reply_for(id).await
    }
}

async fn setup_with(impatient: bool) -> (Router, EmbeddedLedger) {
    let log: Arc<dyn EventLog> = Arc::new(SqliteLog::in_memory(4).await.unwrap());
    let (ledger, _task) = EmbeddedLedger::start(log, LedgerConfig::default())
        .await
        .unwrap();
    let submitter: Arc<dyn CommandSubmitter> = if impatient {
        Arc::new(ImpatientSubmitter(ledger.clone()))
    } else {
        Arc::new(ledger.clone())
    };
    let gw = Gateway {
        submitter,
        reader: Arc::new(ledger.clone()),
        clock: Arc::new(FixedClock),
        admin_key: KEY.into(),
        auditor_key: Some(AUDITOR.into()),
        tenant: TenantId::new("acme").unwrap(),
    };
    (app(gw), ledger)
}

async fn setup() -> Router {
    setup_with(false).await.0
}

struct Resp {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: Value,
}

async fn send(app: &Router, req: Request<Body>) -> Resp {
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
    };
    Resp {
        status,
        headers,
        body,
    }
}

fn post_raw(uri: &str, body: &str, key: Option<&str>) -> Request<Body> {
    let mut b = Request::post(uri).header("content-type", "application/json");
    if let Some(k) = key {
        b = b.header("idempotency-key", k);
    }
    b.header("authorization", format!("Bearer {KEY}"))
        .body(Body::from(body.to_string()))
        .unwrap()
}

async fn post(app: &Router, uri: &str, body: Value) -> Resp {
    send(app, post_raw(uri, &body.to_string(), None)).await
}

async fn get(app: &Router, uri: &str) -> Resp {
    send(
        app,
        Request::get(uri)
            .header("authorization", format!("Bearer {KEY}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

fn assert_problem(r: &Resp, status: StatusCode, code: &str) {
    assert_eq!(r.status, status, "body: {}", r.body);
    assert_eq!(
        r.headers["content-type"], "application/problem+json",
        "body: {}",
        r.body
    );
    assert_eq!(
        r.body["type"],
        format!("urn:arrears:problem:{code}"),
        "body: {}",
        r.body
    );
    assert_eq!(r.body["code"], code);
    assert_eq!(r.body["status"], status.as_u16());
    assert!(r.body["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(r.body["detail"].as_str().is_some_and(|t| !t.is_empty()));
}

async fn registered(app: &Router) {
    let r = post(
        app,
        "/v1/debtors",
        json!({"debtor_id": "d1", "jurisdiction": "US-MA", "time_zone": "America/New_York",
               "locale": "en-US", "display_name": "Ana",
               "contact_points": [{"channel": "sms", "address": "+15555550100", "consented": true}]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = post(
        app,
        "/v1/debtors/d1/accounts",
        json!({"account_id": "a1", "principal": {"amount_minor": 100000, "currency": "USD"},
               "due_date": "2026-01-15"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

fn payment(id: &str, amount: i64, currency: &str) -> Value {
    json!({"payment_id": id, "amount": {"amount_minor": amount, "currency": currency},
           "method": "card", "received_at": "2026-03-02T14:00:00Z"})
}

#[tokio::test]
async fn healthz_needs_no_key() {
    let app = setup().await;
    let r = send(&app, Request::get("/healthz").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, json!({"status": "ok"}));
}

#[tokio::test]
async fn missing_or_wrong_api_key_is_401() {
    let app = setup().await;
    let r = send(
        &app,
        Request::get("/v1/debtors/d1").body(Body::empty()).unwrap(),
    )
    .await;
    assert_problem(&r, StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(r.headers["www-authenticate"], "Bearer realm=\"arrears\"");
    let r = send(
        &app,
        Request::post("/v1/debtors")
            .header("authorization", "Bearer wrong")
            .header("content-type", "application/json")
            .body(Body::from("{}"))
            .unwrap(),
    )
    .await;
    assert_problem(&r, StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn walk_through_register_open_pay_reverse_and_read() {
    let app = setup().await;
    registered(&app).await;
    let r = post(
        &app,
        "/v1/debtors/d1/payments",
        payment("p1", 25_000, "USD"),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.body["status"], "accepted");
    assert_eq!(r.body["version"], 3);
    assert_eq!(r.body["events"][0]["type"], "arrears.payment.received.v1");
    post(
        &app,
        "/v1/debtors/d1/payments",
        payment("p2", 10_000, "USD"),
    )
    .await;
    let r = post(
        &app,
        "/v1/debtors/d1/payments/p1/reversal",
        json!({"reason": "chargeback"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = post(
        &app,
        "/v1/debtors/d1/accounts/a1/charges",
        json!({"charge_id": "fee1", "kind": "late_fee",
               "amount": {"amount_minor": 1500, "currency": "USD"}}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

    let r = get(&app, "/v1/debtors/d1").await;
    assert_eq!(r.status, StatusCode::OK);
    let a = &r.body["accounts"][0];
    // 100,000 principal + 1,500 fee - 10,000 paid (p1 reversed)
    assert_eq!(a["balance_minor"], 91_500);
    assert_eq!(a["paid_minor"], 10_000);
    assert_eq!(a["charges_minor"], 1_500);
    assert_eq!(a["currency"], "USD");
    assert_eq!(a["status"], "open");
    assert_eq!(a["oldest_unpaid_due_date"], "2026-01-15");
    assert_eq!(r.body["version"], 6);
    assert_eq!(r.body["tenant"], "acme");
    // The charge defaulted to today in New York (2026-03-02 10:00 local).
    assert_eq!(a["items"][1]["due_date"], "2026-03-02");
}

#[tokio::test]
async fn promise_contact_dispute_opt_out_and_cease_endpoints() {
    let app = setup().await;
    registered(&app).await;
    let r = post(
        &app,
        "/v1/debtors/d1/promises",
        json!({"promise_id": "pr1", "account_id": "a1",
               "amount": {"amount_minor": 20000, "currency": "USD"}, "due_date": "2026-03-20"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = post(
        &app,
        "/v1/debtors/d1/contact-attempts",
        json!({"attempt_id": "c1", "channel": "phone", "direction": "outbound",
               "outcome": "right_party_contact", "account_ids": ["a1"], "two_way": true,
               "occurred_at": "2026-03-02T14:30:00Z", "agent": "agent-7"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = post(
        &app,
        "/v1/debtors/d1/disputes",
        json!({"dispute_id": "dp1", "account_id": "a1", "reason": "not mine"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = post(
        &app,
        "/v1/debtors/d1/disputes/dp1/resolution",
        json!({"resolution": "rejected_debt_stands"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = post(
        &app,
        "/v1/debtors/d1/opt-outs",
        json!({"channel": "sms", "address": "+15555550100", "source": "sms_stop"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = post(
        &app,
        "/v1/debtors/d1/cease-communication",
        json!({"account_ids": ["a1"]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

    let v = get(&app, "/v1/debtors/d1").await.body;
    assert_eq!(v["open_promises"][0]["promise_id"], "pr1");
    assert_eq!(v["open_promises"][0]["amount"]["amount_minor"], 20000);
    assert_eq!(v["recent_contacts"][0]["outcome"], "right_party_contact");
    assert_eq!(v["open_disputes"], json!([]));
    assert_eq!(v["opt_outs"][0]["address"], "+15555550100");
    assert_eq!(v["cease_requests"][0]["account_ids"], json!(["a1"]));
    assert_eq!(v["version"], 8);
}

#[tokio::test]
async fn malformed_json_is_400() {
    let app = setup().await;
    let r = send(&app, post_raw("/v1/debtors", "{\"debtor_id\": ", None)).await;
    assert_problem(&r, StatusCode::BAD_REQUEST, "malformed_json");
    let r = send(&app, post_raw("/v1/debtors", "{} trailing", None)).await;
    assert_problem(&r, StatusCode::BAD_REQUEST, "malformed_json");
}

#[tokio::test]
async fn unknown_fields_wrong_types_and_unknown_currency_are_422_with_the_field() {
    let app = setup().await;
    registered(&app).await;
    let mut body = payment("p1", 100, "USD");
    body["surprise"] = json!(true);
    let r = post(&app, "/v1/debtors/d1/payments", body).await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    assert!(
        r.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("unknown field `surprise`")
    );

    let r = post(&app, "/v1/debtors/d1/payments", payment("p1", 100, "XYZ")).await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    assert_eq!(r.body["errors"][0]["field"], "amount.currency");

    let mut body = payment("p1", 100, "USD");
    body["amount"]["amount_minor"] = json!(1.5);
    let r = post(&app, "/v1/debtors/d1/payments", body).await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    assert_eq!(r.body["errors"][0]["field"], "amount.amount_minor");

    let r = post(&app, "/v1/debtors/d1/payments", json!({"payment_id": "p1"})).await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("missing field `amount`")
    );
}

#[tokio::test]
async fn domain_rejections_map_to_their_problem_types() {
    let app = setup().await;
    // Unknown debtor.
    let r = post(
        &app,
        "/v1/debtors/nobody/payments",
        payment("p1", 100, "USD"),
    )
    .await;
    assert_problem(&r, StatusCode::NOT_FOUND, "unknown_debtor");
    let r = get(&app, "/v1/debtors/nobody").await;
    assert_problem(&r, StatusCode::NOT_FOUND, "unknown_debtor");

    registered(&app).await;
    // Negative and zero amounts.
    let r = post(&app, "/v1/debtors/d1/payments", payment("p1", -100, "USD")).await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "non_positive_amount");
    assert_eq!(r.body["errors"][0]["field"], "amount.amount_minor");
    let r = post(&app, "/v1/debtors/d1/payments", payment("p1", 0, "USD")).await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "non_positive_amount");
    // A currency the debtor has no account in, and one other than the named account's.
    let r = post(&app, "/v1/debtors/d1/payments", payment("p1", 100, "EUR")).await;
    assert_problem(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "no_account_in_currency",
    );
    let mut body = payment("p1", 100, "EUR");
    body["account_id"] = json!("a1");
    let r = post(&app, "/v1/debtors/d1/payments", body).await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "currency_mismatch");
    assert_eq!(r.body["rejection"]["expected"], "USD");
    assert_eq!(r.body["rejection"]["actual"], "EUR");
    // Unknown account.
    let mut body = payment("p1", 100, "USD");
    body["account_id"] = json!("a9");
    let r = post(&app, "/v1/debtors/d1/payments", body).await;
    assert_problem(&r, StatusCode::NOT_FOUND, "unknown_account");
    // Payment id already applied.
    assert_eq!(
        post(&app, "/v1/debtors/d1/payments", payment("p1", 100, "USD"))
            .await
            .status,
        StatusCode::CREATED
    );
    let r = post(&app, "/v1/debtors/d1/payments", payment("p1", 100, "USD")).await;
    assert_problem(&r, StatusCode::CONFLICT, "payment_already_applied");
    // Registering twice.
    let r = post(
        &app,
        "/v1/debtors",
        json!({"debtor_id": "d1", "jurisdiction": "US", "time_zone": "America/Chicago", "locale": "en"}),
    )
    .await;
    assert_problem(&r, StatusCode::CONFLICT, "debtor_already_registered");
    // Nothing was appended by any rejection: version is still 3.
    assert_eq!(get(&app, "/v1/debtors/d1").await.body["version"], 3);
}

#[tokio::test]
async fn idempotency_key_replays_or_conflicts() {
    let app = setup().await;
    registered(&app).await;
    let body = payment("p1", 500, "USD").to_string();
    let first = send(&app, post_raw("/v1/debtors/d1/payments", &body, Some("k1"))).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let again = send(&app, post_raw("/v1/debtors/d1/payments", &body, Some("k1"))).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(again.body["command_id"], first.body["command_id"]);
    assert_eq!(again.body["events"], first.body["events"]);
    assert_eq!(again.body["version"], 3);
    let other = payment("p1", 600, "USD").to_string();
    let r = send(
        &app,
        post_raw("/v1/debtors/d1/payments", &other, Some("k1")),
    )
    .await;
    assert_problem(&r, StatusCode::CONFLICT, "idempotency_key_reused");
    assert_eq!(
        get(&app, "/v1/debtors/d1").await.body["accounts"][0]["balance_minor"],
        99_500
    );
}

#[tokio::test]
async fn transport_level_problems() {
    let app = setup().await;
    // Oversized body.
    let big = format!("{{\"debtor_id\": \"{}\"}}", "x".repeat(70 * 1024));
    let r = send(&app, post_raw("/v1/debtors", &big, None)).await;
    assert_problem(&r, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    // Wrong content type.
    let r = send(
        &app,
        Request::post("/v1/debtors")
            .header("authorization", format!("Bearer {KEY}"))
            .header("content-type", "text/plain")
            .body(Body::from("{}"))
            .unwrap(),
    )
    .await;
    assert_problem(
        &r,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    );
    // Invalid path id, idempotency key, correlation id.
    let r = post(
        &app,
        "/v1/debtors/bad%20id/payments",
        payment("p1", 1, "USD"),
    )
    .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_parameter");
    assert_eq!(r.body["errors"][0]["field"], "debtor_id");
    let r = send(
        &app,
        post_raw("/v1/debtors/d1/payments", "{}", Some(&"k".repeat(300))),
    )
    .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_parameter");
    assert_eq!(r.body["errors"][0]["field"], "Idempotency-Key");
    // Unknown route and wrong method.
    let r = get(&app, "/v1/nothing-here").await;
    assert_problem(&r, StatusCode::NOT_FOUND, "not_found");
    let r = send(
        &app,
        Request::delete("/v1/debtors/d1")
            .header("authorization", format!("Bearer {KEY}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_problem(&r, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
}

#[tokio::test]
async fn slow_reply_gives_202_and_the_outcome_is_fetched_later() {
    let (app, _ledger) = setup_with(true).await;
    let r = post(
        &app,
        "/v1/debtors",
        json!({"debtor_id": "d1", "jurisdiction": "CO", "time_zone": "America/Bogota", "locale": "es-CO"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    assert_eq!(r.body["status"], "pending");
    let location = r.headers["location"].to_str().unwrap().to_string();
    assert_eq!(
        location,
        format!("/v1/commands/{}", r.body["command_id"].as_str().unwrap())
    );
    let mut outcome = get(&app, &location).await;
    for _ in 0..100 {
        if outcome.status != StatusCode::NOT_FOUND {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        outcome = get(&app, &location).await;
    }
    assert_eq!(outcome.status, StatusCode::CREATED, "{}", outcome.body);
    assert_eq!(outcome.body["status"], "accepted");
    assert_eq!(outcome.body["command"], "register_debtor");
    let r = get(&app, "/v1/commands/0191b7a0-0000-7000-8000-000000000000").await;
    assert_problem(&r, StatusCode::NOT_FOUND, "not_found");
    let r = get(&app, "/v1/commands/not-a-uuid").await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_parameter");
}

#[tokio::test]
async fn the_contact_gate_answers_with_the_decision_and_records_it() {
    let app = setup().await;
    let r = post(
        &app,
        "/v1/debtors",
        json!({"debtor_id": "co-1", "jurisdiction": "CO", "time_zone": "America/Bogota",
               "locale": "es-CO",
               "contact_points": [{"channel": "phone", "address": "+573001234567", "consented": true}]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED);
    // The fixed clock: Monday 2026-03-02 15:00 UTC = 10:00 in Bogotá.
    let r = post(
        &app,
        "/v1/debtors/co-1/contact-requests",
        json!({"request_id": "req-1", "channel": "phone", "address": "+573001234567"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["decision"]["verdict"], "allow");
    assert_eq!(r.body["events"][0]["type"], "arrears.contact.decided.v1");
    let r = post(
        &app,
        "/v1/debtors/co-1/contact-requests",
        json!({"request_id": "req-2", "channel": "phone"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["decision"]["verdict"], "deny");
    assert_eq!(
        r.body["decision"]["next_allowed_at"],
        "2026-03-03T12:00:00Z"
    );
    let denying: Vec<&str> = r.body["decision"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|rule| rule["outcome"] == "deny")
        .map(|rule| rule["rule_id"].as_str().unwrap())
        .collect();
    assert_eq!(denying, vec!["co.one_contact_per_day"]);
    // Reusing a request id is a conflict.
    let r = post(
        &app,
        "/v1/debtors/co-1/contact-requests",
        json!({"request_id": "req-1", "channel": "sms"}),
    )
    .await;
    assert_problem(&r, StatusCode::CONFLICT, "contact_request_already_exists");
}

/// A restriction recorded over HTTP is read back with the debtor and turns
/// the gate's answer into a denial naming the rule; a malformed one is a 422
/// naming the field, and a bad clock time a 422 from the JSON decoder.
#[tokio::test]
async fn contact_restrictions_reach_the_gate() {
    let app = setup().await;
    registered(&app).await;
    // The fixed clock: Monday 2026-03-02 15:00 UTC = 10:00 in New York.
    let r = post(
        &app,
        "/v1/debtors/d1/contact-restrictions",
        json!({"restriction": {"kind": "inconvenient_time", "days": ["mon"],
                               "start": "09:00", "end": "11:00"},
               "source": "call"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(
        r.body["events"][0]["type"],
        "arrears.contact_restriction.recorded.v1"
    );
    let r = get(&app, "/v1/debtors/d1").await;
    assert_eq!(r.body["version"], 3, "{}", r.body);
    let r = post(
        &app,
        "/v1/debtors/d1/contact-requests",
        json!({"request_id": "req-1", "channel": "sms", "address": "+15555550100"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["decision"]["verdict"], "deny");
    assert_eq!(
        r.body["decision"]["next_allowed_at"],
        "2026-03-02T16:00:00Z"
    );
    let r = post(
        &app,
        "/v1/debtors/d1/contact-restrictions",
        json!({"restriction": {"kind": "additional_time_zone", "time_zone": "Mars/Olympus"}}),
    )
    .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_field");
    assert_eq!(r.body["errors"][0]["field"], "restriction.time_zone");
    let r = post(
        &app,
        "/v1/debtors/d1/contact-restrictions",
        json!({"restriction": {"kind": "inconvenient_time", "days": ["mon"],
                               "start": "25:00", "end": "11:00"}}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = get(&app, "/v1/debtors/d1").await;
    assert_eq!(
        r.body["version"], 4,
        "only the decision was added: {}",
        r.body
    );
}

#[tokio::test]
async fn stateless_evaluation_answers_and_validates() {
    let app = setup().await;
    let r = post(
        &app,
        "/v1/compliance/evaluate",
        json!({"jurisdictions": ["US", "US-MA"], "time_zones": ["America/New_York"],
               "proposed": {"at": "2026-06-02T07:30:00-04:00", "channel": "phone",
                            "debt_ids": ["d1"], "callee_role": "debtor", "direction": "outbound"}}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["verdict"], "deny");
    // 07:30 EDT: the next lawful moment is 08:00 EDT = 12:00 UTC.
    assert_eq!(r.body["next_allowed_at"], "2026-06-02T12:00:00Z");
    assert_eq!(r.body["rules"][0]["rule_id"], "us.regf.inconvenient_hours");
    let r = post(
        &app,
        "/v1/compliance/evaluate",
        json!({"jurisdictions": ["US"]}),
    )
    .await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_body");
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("missing field `proposed`")
    );
}

#[tokio::test]
async fn portfolio_and_audit_queries_need_explicit_time_and_a_projection() {
    let app = setup().await;
    // This test deployment runs no portfolio or audit projection: 501.
    let r = get(&app, "/v1/portfolio/summary?as_of=2026-06-30").await;
    assert_problem(&r, StatusCode::NOT_IMPLEMENTED, "not_available");
    let r = get(&app, "/v1/audit/debtors/d1").await;
    assert_problem(&r, StatusCode::NOT_IMPLEMENTED, "not_available");
    // Time is never implied.
    let r = get(&app, "/v1/portfolio/summary").await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_parameter");
    assert_eq!(r.body["errors"][0]["field"], "as_of");
    let r = get(&app, "/v1/portfolio/summary?as_of=yesterday").await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_parameter");
    let r = get(&app, "/v1/portfolio/kpis?from=2026-07-01&to=2026-06-30").await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_parameter");
    assert_eq!(r.body["errors"][0]["field"], "from");
    let r = get(&app, "/v1/portfolio/kpis?from=2026-01-01").await;
    assert_eq!(r.body["errors"][0]["field"], "to");
    let r = get(&app, "/v1/portfolio/summary?as_of=2026-06-30&extra=1").await;
    assert_problem(&r, StatusCode::UNPROCESSABLE_ENTITY, "invalid_parameter");
}

#[test]
fn a_bare_date_means_the_end_of_that_day_in_utc() {
    use arrears_gateway::queries::parse_instant;
    assert_eq!(
        parse_instant("as_of", "2026-06-30").unwrap().to_rfc3339(),
        "2026-06-30T23:59:59.999999+00:00"
    );
    assert_eq!(
        parse_instant("as_of", "2026-06-30T10:00:00-05:00")
            .unwrap()
            .to_rfc3339(),
        "2026-06-30T15:00:00+00:00"
    );
}

#[tokio::test]
async fn the_auditor_key_reads_but_never_writes() {
    let app = setup().await;
    registered(&app).await;
    let as_auditor = |req: axum::http::request::Builder| {
        req.header("authorization", format!("Bearer {AUDITOR}"))
    };
    let r = send(
        &app,
        as_auditor(Request::get("/v1/debtors/d1"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["accounts"][0]["balance_minor"], 100_000);
    let r = send(
        &app,
        as_auditor(Request::post("/v1/debtors/d1/payments"))
            .header("content-type", "application/json")
            .body(Body::from(payment("p1", 100, "USD").to_string()))
            .unwrap(),
    )
    .await;
    assert_problem(&r, StatusCode::FORBIDDEN, "forbidden");
    let r = send(
        &app,
        as_auditor(Request::post("/v1/compliance/evaluate"))
            .header("content-type", "application/json")
            .body(Body::from(
                json!({"jurisdictions": ["CO"], "time_zones": ["America/Bogota"],
                       "proposed": {"at": "2026-06-02T10:00:00-05:00", "channel": "phone",
                                    "callee_role": "debtor", "direction": "outbound"}})
                .to_string(),
            ))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Nothing was written by the auditor.
    assert_eq!(get(&app, "/v1/debtors/d1").await.body["version"], 2);
}
