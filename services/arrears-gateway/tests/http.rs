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
        policy: Arc::new(arrears_policy::PackSet::embedded().unwrap()),
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
    assert_eq!(
        r.body["restrictions"],
        json!([{"restriction": {"kind": "inconvenient_time", "days": ["mon"],
                                "start": "09:00", "end": "11:00"},
                "source": "call"}])
    );
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

// ---- every 4xx problem type, one real request each -----------------------

/// The gateway's own 4xx problem types (transport, auth, routing, shape).
/// Together with every rejection code (`arrears_core::rejection::ALL_CODES`)
/// they are the 4xx types the table below must cover. The two 5xx types are
/// not client errors: 501 `not_available` is asserted by the portfolio/audit
/// test above; 503 `unavailable` has no HTTP test yet.
const GATEWAY_4XX: &[&str] = &[
    "malformed_json",
    "unauthorized",
    "forbidden",
    "not_found",
    "method_not_allowed",
    "payload_too_large",
    "unsupported_media_type",
    "invalid_body",
    "invalid_parameter",
];

/// One problem type and one real request that provokes it, against the
/// debtor `d1` that [`debtor_with_history`] builds.
struct ProblemCase {
    code: &'static str,
    status: StatusCode,
    request: Request<Body>,
    /// `errors[0].field`, for the problems that name a field; `None` means
    /// the problem has no `errors` member at all.
    field: Option<&'static str>,
    /// The exact `detail`: it names the cause (the id, field or value).
    detail: &'static str,
}

fn case(
    code: &'static str,
    status: StatusCode,
    request: Request<Body>,
    field: Option<&'static str>,
    detail: &'static str,
) -> ProblemCase {
    ProblemCase {
        code,
        status,
        request,
        field,
        detail,
    }
}

fn admin(uri: &str, body: Value) -> Request<Body> {
    post_raw(uri, &body.to_string(), None)
}

fn promise(id: &str, account: &str, amount: i64, due: &str) -> Value {
    json!({"promise_id": id, "account_id": account,
           "amount": {"amount_minor": amount, "currency": "USD"}, "due_date": due})
}

fn attempt(id: &str, request_id: &str) -> Value {
    json!({"attempt_id": id, "channel": "sms", "direction": "outbound", "outcome": "delivered",
           "account_ids": [], "two_way": false, "occurred_at": "2026-03-02T14:30:00Z",
           "address": "+15555550100", "request_id": request_id})
}

/// `d1` with something of every kind the rejections need to collide with:
/// a reversed payment `p1` (sent with `Idempotency-Key: k1`), a live payment
/// `p2`, charge `fee1`, open account `a1` with open promise `pr1` and open
/// dispute `dp1`, paid-off account `a2` with resolved dispute `dp2`, open
/// account `a3` (USD 50.00 owed, no promise), and contact request `req-1`
/// carried out by attempt `c1`.
async fn debtor_with_history(app: &Router) {
    registered(app).await;
    let r = send(
        app,
        post_raw(
            "/v1/debtors/d1/payments",
            &payment("p1", 25_000, "USD").to_string(),
            Some("k1"),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let mut paid_a2 = payment("p3", 1_000, "USD");
    paid_a2["account_id"] = json!("a2");
    let steps = [
        (
            "/v1/debtors/d1/payments/p1/reversal",
            json!({"reason": "chargeback"}),
        ),
        ("/v1/debtors/d1/payments", payment("p2", 10_000, "USD")),
        (
            "/v1/debtors/d1/accounts/a1/charges",
            json!({"charge_id": "fee1", "kind": "late_fee",
                   "amount": {"amount_minor": 1500, "currency": "USD"}}),
        ),
        (
            "/v1/debtors/d1/accounts",
            json!({"account_id": "a2", "principal": {"amount_minor": 1000, "currency": "USD"},
                   "due_date": "2026-02-01"}),
        ),
        ("/v1/debtors/d1/payments", paid_a2),
        (
            "/v1/debtors/d1/accounts",
            json!({"account_id": "a3", "principal": {"amount_minor": 5000, "currency": "USD"},
                   "due_date": "2026-02-15"}),
        ),
        (
            "/v1/debtors/d1/promises",
            promise("pr1", "a1", 20_000, "2026-03-20"),
        ),
        (
            "/v1/debtors/d1/disputes",
            json!({"dispute_id": "dp1", "account_id": "a1", "reason": "not mine"}),
        ),
        (
            "/v1/debtors/d1/disputes",
            json!({"dispute_id": "dp2", "account_id": "a2", "reason": "paid already"}),
        ),
        (
            "/v1/debtors/d1/disputes/dp2/resolution",
            json!({"resolution": "withdrawn"}),
        ),
        (
            "/v1/debtors/d1/contact-requests",
            json!({"request_id": "req-1", "channel": "sms", "address": "+15555550100"}),
        ),
        ("/v1/debtors/d1/contact-attempts", attempt("c1", "req-1")),
    ];
    for (uri, body) in steps {
        let r = post(app, uri, body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{uri}: {}", r.body);
    }
    let v = get(app, "/v1/debtors/d1").await.body;
    let status: Vec<(&str, &str)> = v["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["account_id"].as_str().unwrap(),
                a["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(status, vec![("a1", "open"), ("a2", "paid"), ("a3", "open")]);
    assert_eq!(v["version"], 15);
}

fn problem_cases() -> Vec<ProblemCase> {
    use StatusCode as S;
    let d1 = "/v1/debtors/d1";
    let p = |path: &str| format!("{d1}{path}");
    let mut unknown_field = payment("p9", 100, "USD");
    unknown_field["surprise"] = json!(true);
    let mut wrong_account_currency = payment("p9", 100, "EUR");
    wrong_account_currency["account_id"] = json!("a1");
    vec![
        // The gateway's own problems: nothing reaches the ledger.
        case(
            "malformed_json",
            S::BAD_REQUEST,
            post_raw(&p("/payments"), "{\"payment_id\": ", None),
            None,
            "EOF while parsing a value (line 1, column 15)",
        ),
        case(
            "unauthorized",
            S::UNAUTHORIZED,
            Request::post(p("/payments"))
                .header("content-type", "application/json")
                .body(Body::from(payment("p9", 100, "USD").to_string()))
                .unwrap(),
            None,
            "send `Authorization: Bearer <key>` with a valid API key",
        ),
        case(
            "forbidden",
            S::FORBIDDEN,
            Request::post(p("/payments"))
                .header("authorization", format!("Bearer {AUDITOR}"))
                .header("content-type", "application/json")
                .body(Body::from(payment("p9", 100, "USD").to_string()))
                .unwrap(),
            None,
            "the auditor key is read-only",
        ),
        case(
            "not_found",
            S::NOT_FOUND,
            admin(&p("/refunds"), payment("p9", 100, "USD")),
            None,
            "no such resource",
        ),
        case(
            "method_not_allowed",
            S::METHOD_NOT_ALLOWED,
            Request::delete(d1)
                .header("authorization", format!("Bearer {KEY}"))
                .body(Body::empty())
                .unwrap(),
            None,
            "this resource does not support that HTTP method",
        ),
        case(
            "payload_too_large",
            S::PAYLOAD_TOO_LARGE,
            post_raw(
                &p("/payments"),
                &format!("{{\"payment_id\": \"{}\"}}", "x".repeat(70 * 1024)),
                None,
            ),
            None,
            "the body must be at most 65536 bytes",
        ),
        case(
            "unsupported_media_type",
            S::UNSUPPORTED_MEDIA_TYPE,
            Request::post(p("/payments"))
                .header("authorization", format!("Bearer {KEY}"))
                .header("content-type", "text/plain")
                .body(Body::from(payment("p9", 100, "USD").to_string()))
                .unwrap(),
            None,
            "send the body as `Content-Type: application/json`",
        ),
        case(
            "invalid_body",
            S::UNPROCESSABLE_ENTITY,
            admin(&p("/payments"), unknown_field),
            Some("surprise"),
            "surprise: unknown field `surprise`, expected one of `payment_id`, `amount`, \
             `method`, `received_at`, `external_ref`, `account_id`",
        ),
        case(
            "invalid_parameter",
            S::UNPROCESSABLE_ENTITY,
            Request::post(p("/payments"))
                .header("authorization", format!("Bearer {KEY}"))
                .header("content-type", "application/json")
                .header("x-correlation-id", "not-a-uuid")
                .body(Body::from(payment("p9", 100, "USD").to_string()))
                .unwrap(),
            Some("X-Correlation-Id"),
            "X-Correlation-Id: must be a UUID",
        ),
        // Domain rejections: decided by the ledger against d1's state.
        case(
            "unknown_debtor",
            S::NOT_FOUND,
            admin("/v1/debtors/nobody/payments", payment("p9", 100, "USD")),
            None,
            "the debtor is not registered",
        ),
        case(
            "debtor_already_registered",
            S::CONFLICT,
            admin(
                "/v1/debtors",
                json!({"debtor_id": "d1", "jurisdiction": "CO", "time_zone": "America/Bogota",
                       "locale": "es-CO"}),
            ),
            None,
            "the debtor is already registered",
        ),
        case(
            "invalid_field",
            S::UNPROCESSABLE_ENTITY,
            admin(&p("/payments/p2/reversal"), json!({"reason": "  "})),
            Some("reason"),
            "reason: must not be empty",
        ),
        case(
            "non_positive_amount",
            S::UNPROCESSABLE_ENTITY,
            admin(&p("/payments"), payment("p9", 0, "USD")),
            Some("amount.amount_minor"),
            "amount.amount_minor must be a positive amount of minor units",
        ),
        case(
            "amount_overflow",
            S::UNPROCESSABLE_ENTITY,
            admin(
                &p("/accounts/a1/charges"),
                json!({"charge_id": "fee9", "kind": "fee",
                       "amount": {"amount_minor": i64::MAX, "currency": "USD"}}),
            ),
            Some("amount.amount_minor"),
            "amount.amount_minor is too large: the balance would overflow",
        ),
        case(
            "currency_mismatch",
            S::UNPROCESSABLE_ENTITY,
            admin(&p("/payments"), wrong_account_currency),
            Some("amount.currency"),
            "amount.currency is in EUR but the account is in USD",
        ),
        case(
            "no_account_in_currency",
            S::UNPROCESSABLE_ENTITY,
            admin(&p("/payments"), payment("p9", 100, "EUR")),
            Some("amount.currency"),
            "the debtor has no account in EUR",
        ),
        case(
            "unknown_account",
            S::NOT_FOUND,
            admin(
                &p("/accounts/a9/charges"),
                json!({"charge_id": "fee9", "kind": "fee",
                       "amount": {"amount_minor": 100, "currency": "USD"}}),
            ),
            None,
            "account `a9` does not exist for this debtor",
        ),
        case(
            "account_already_exists",
            S::CONFLICT,
            admin(
                &p("/accounts"),
                json!({"account_id": "a1", "principal": {"amount_minor": 100, "currency": "USD"},
                       "due_date": "2026-04-01"}),
            ),
            None,
            "account `a1` already exists",
        ),
        case(
            "charge_already_applied",
            S::CONFLICT,
            admin(
                &p("/accounts/a1/charges"),
                json!({"charge_id": "fee1", "kind": "fee",
                       "amount": {"amount_minor": 100, "currency": "USD"}}),
            ),
            None,
            "charge `fee1` was already applied",
        ),
        case(
            "payment_already_applied",
            S::CONFLICT,
            admin(&p("/payments"), payment("p2", 100, "USD")),
            None,
            "payment `p2` was already applied",
        ),
        case(
            "unknown_payment",
            S::NOT_FOUND,
            admin(&p("/payments/p9/reversal"), json!({"reason": "chargeback"})),
            None,
            "payment `p9` does not exist for this debtor",
        ),
        case(
            "payment_already_reversed",
            S::CONFLICT,
            admin(&p("/payments/p1/reversal"), json!({"reason": "chargeback"})),
            None,
            "payment `p1` was already reversed",
        ),
        case(
            "contact_attempt_already_recorded",
            S::CONFLICT,
            admin(&p("/contact-attempts"), attempt("c1", "req-9")),
            None,
            "contact attempt `c1` was already recorded",
        ),
        case(
            "promise_already_exists",
            S::CONFLICT,
            admin(&p("/promises"), promise("pr1", "a3", 100, "2026-03-20")),
            None,
            "promise `pr1` already exists",
        ),
        case(
            "promise_on_closed_account",
            S::CONFLICT,
            admin(&p("/promises"), promise("pr9", "a2", 100, "2026-03-20")),
            None,
            "account `a2` is closed (nothing is owed), so no promise can be made on it",
        ),
        case(
            "promise_already_open",
            S::CONFLICT,
            admin(&p("/promises"), promise("pr9", "a1", 100, "2026-03-20")),
            None,
            "account `a1` already has open promise `pr1`",
        ),
        case(
            "promise_exceeds_balance",
            S::UNPROCESSABLE_ENTITY,
            admin(&p("/promises"), promise("pr9", "a3", 5_001, "2026-03-20")),
            Some("amount.amount_minor"),
            "the promised 5001 exceeds the 5000 owed on account `a3`",
        ),
        case(
            "promise_due_in_past",
            S::UNPROCESSABLE_ENTITY,
            admin(&p("/promises"), promise("pr9", "a3", 100, "2026-03-01")),
            Some("due_date"),
            "the promise is due 2026-03-01, before today (2026-03-02) in the debtor's time zone",
        ),
        case(
            "dispute_already_exists",
            S::CONFLICT,
            admin(
                &p("/disputes"),
                json!({"dispute_id": "dp1", "account_id": "a3", "reason": "not mine"}),
            ),
            None,
            "dispute `dp1` already exists",
        ),
        case(
            "dispute_already_open",
            S::CONFLICT,
            admin(
                &p("/disputes"),
                json!({"dispute_id": "dp9", "account_id": "a1", "reason": "not mine"}),
            ),
            None,
            "account `a1` already has open dispute `dp1`",
        ),
        case(
            "unknown_dispute",
            S::NOT_FOUND,
            admin(
                &p("/disputes/dp9/resolution"),
                json!({"resolution": "withdrawn"}),
            ),
            None,
            "dispute `dp9` does not exist for this debtor",
        ),
        case(
            "dispute_already_resolved",
            S::CONFLICT,
            admin(
                &p("/disputes/dp2/resolution"),
                json!({"resolution": "upheld_for_debtor"}),
            ),
            None,
            "dispute `dp2` was already resolved",
        ),
        case(
            "unknown_contact_request",
            S::NOT_FOUND,
            admin(&p("/contact-attempts"), attempt("c9", "req-9")),
            None,
            "contact request `req-9` does not exist for this debtor",
        ),
        case(
            "contact_request_already_exists",
            S::CONFLICT,
            admin(
                &p("/contact-requests"),
                json!({"request_id": "req-1", "channel": "phone"}),
            ),
            None,
            "contact request `req-1` already exists",
        ),
        case(
            "contact_request_already_fulfilled",
            S::CONFLICT,
            admin(&p("/contact-attempts"), attempt("c9", "req-1")),
            None,
            "contact request `req-1` was already carried out by another attempt",
        ),
        case(
            "idempotency_key_reused",
            S::CONFLICT,
            post_raw(
                &p("/payments"),
                &payment("p9", 100, "USD").to_string(),
                Some("k1"),
            ),
            None,
            "idempotency key `k1` was already used for a different request",
        ),
    ]
}

/// What a failed request must leave untouched: `d1` as a whole (its version
/// is the sequence of its last event, so any append shows) and the absence
/// of the debtor `nobody`.
async fn observable_state(app: &Router) -> (Value, StatusCode) {
    let d1 = get(app, "/v1/debtors/d1").await;
    assert_eq!(d1.status, StatusCode::OK, "{}", d1.body);
    (d1.body, get(app, "/v1/debtors/nobody").await.status)
}

#[tokio::test]
async fn every_4xx_problem_type_answers_exactly_and_writes_nothing() {
    let app = setup().await;
    debtor_with_history(&app).await;
    let before = observable_state(&app).await;
    assert_eq!(before.1, StatusCode::NOT_FOUND);
    for c in problem_cases() {
        let r = send(&app, c.request).await;
        assert_problem(&r, c.status, c.code);
        assert_eq!(r.body["detail"], c.detail, "{}: {}", c.code, r.body);
        match c.field {
            Some(field) => {
                let errors = r.body["errors"].as_array().expect("errors");
                assert_eq!(errors.len(), 1, "{}: {}", c.code, r.body);
                assert_eq!(errors[0]["field"], field, "{}: {}", c.code, r.body);
            }
            None => assert_eq!(r.body.get("errors"), None, "{}: {}", c.code, r.body),
        }
        // A domain rejection names the command and carries its data; a
        // gateway problem never reached the ledger, so it has neither.
        if arrears_core::rejection::ALL_CODES.contains(&c.code) {
            assert_eq!(r.body["rejection"]["code"], c.code, "{}", r.body);
            let id = r.body["command_id"].as_str().expect("command_id");
            assert!(id.parse::<uuid::Uuid>().is_ok(), "{}", r.body);
        } else {
            assert_eq!(r.body.get("rejection"), None, "{}: {}", c.code, r.body);
            assert_eq!(r.body.get("command_id"), None, "{}: {}", c.code, r.body);
        }
        assert_eq!(
            observable_state(&app).await,
            before,
            "{} changed the state",
            c.code
        );
    }
}

/// A new rejection (or gateway problem) without a row above fails here, not
/// silently in production.
#[test]
fn the_problem_table_covers_every_rejection_and_gateway_4xx_once() {
    use std::collections::BTreeSet;
    let codes: Vec<&str> = problem_cases().iter().map(|c| c.code).collect();
    let covered: BTreeSet<&str> = codes.iter().copied().collect();
    assert_eq!(covered.len(), codes.len(), "a code has two rows: {codes:?}");
    let expected: BTreeSet<&str> = arrears_core::rejection::ALL_CODES
        .iter()
        .chain(GATEWAY_4XX)
        .copied()
        .collect();
    assert_eq!(covered, expected);
}

/// docs/API.md's problem table lists exactly the types the table above
/// provokes, each with the status it answers, plus the two 5xx types.
#[test]
fn api_docs_list_every_problem_type_with_its_status() {
    use std::collections::BTreeSet;
    let docs = include_str!("../../../docs/API.md");
    let section = docs
        .split("## Problems (RFC 9457)")
        .nth(1)
        .expect("docs/API.md has a Problems section");
    let mut documented: BTreeSet<(u16, String)> = BTreeSet::new();
    for line in section.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // `| status | codes | when |` → ["", status, codes, when, ""]
        let Some(status) = cells.get(1).and_then(|s| s.parse::<u16>().ok()) else {
            continue;
        };
        for code in cells[2].split(',') {
            let code = code.trim().trim_matches('`');
            assert!(
                documented.insert((status, code.to_string())),
                "{code} twice"
            );
        }
    }
    let mut expected: BTreeSet<(u16, String)> = problem_cases()
        .iter()
        .map(|c| (c.status.as_u16(), c.code.to_string()))
        .collect();
    expected.insert((501, "not_available".into()));
    expected.insert((503, "unavailable".into()));
    assert_eq!(documented, expected);
}
