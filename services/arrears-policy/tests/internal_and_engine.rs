//! GB/ES internal policy, Ecuador, and the engine's fail-closed guards.

mod common;

use arrears_policy::{Backing, RuleOutcome};
use common::*;
use serde_json::json;

#[test]
fn gb_es_internal_policy() {
    const GB: &[&str] = &["GB"];
    const LONDON: &[&str] = &["Europe/London"];
    run(
        &embedded(),
        vec![
            allow("gb_monday_1930_bst", request(GB, LONDON, "2026-06-01T19:30:00+01:00")),
            deny(
                "gb_monday_2000_bst",
                request(GB, LONDON, "2026-06-01T20:00:00+01:00"),
                &["internal-gb-es.hours"],
                Next::At("2026-06-02T07:00:00Z"),
            ),
            deny(
                "gb_sunday",
                request(GB, LONDON, "2026-06-07T10:00:00+01:00"),
                &["internal-gb-es.hours"],
                Next::At("2026-06-08T07:00:00Z"),
            ),
            // BST ended 2026-10-25: 07:30Z on Mon 26 Oct is 07:30 GMT.
            deny(
                "gb_after_bst_ends",
                request(GB, LONDON, "2026-10-26T07:30:00Z"),
                &["internal-gb-es.hours"],
                Next::At("2026-10-26T08:00:00Z"),
            ),
            deny(
                "es_madrid_2030_cest",
                request(&["ES"], &["Europe/Madrid"], "2026-06-02T18:30:00Z"),
                &["internal-gb-es.hours"],
                Next::At("2026-06-03T06:00:00Z"),
            ),
            deny(
                "gb_one_contact_per_day",
                request(GB, LONDON, "2026-06-02T15:00:00+01:00")
                    .history(vec![contact("2026-06-02T09:00:00+01:00", "email", "delivered")]),
                &["internal-gb-es.one_contact_per_day"],
                Next::At("2026-06-03T07:00:00Z"),
            ),
            deny(
                "gb_customer_request_shift_worker",
                request(GB, LONDON, "2026-06-02T10:00:00+01:00").fact(
                    "inconvenient_times",
                    json!([{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "22:00", "end": "14:00"}]),
                ),
                &["internal-gb-es.customer_requests"],
                Next::At("2026-06-02T13:00:00Z"),
            ),
        ],
    );
    let d = decide(
        &embedded(),
        &request(GB, LONDON, "2026-06-01T20:00:00+01:00"),
    );
    let hours = d
        .rules
        .iter()
        .find(|r| r.rule_id == "internal-gb-es.hours")
        .unwrap();
    assert_eq!(hours.backing, Backing::InternalPolicy);
}

#[test]
fn ecuador() {
    const EC: &[&str] = &["EC"];
    const GYE: &[&str] = &["America/Guayaquil"];
    run(
        &embedded(),
        vec![
            allow(
                "ec_weekday_1959",
                request(EC, GYE, "2026-06-02T19:59:00-05:00"),
            ),
            deny(
                "ec_saturday",
                request(EC, GYE, "2026-06-06T10:00:00-05:00"),
                &["ec.hours"],
                Next::At("2026-06-08T12:00:00Z"),
            ),
            deny(
                "ec_one_per_day",
                request(EC, GYE, "2026-06-02T15:00:00-05:00").history(vec![contact(
                    "2026-06-02T09:00:00-05:00",
                    "sms",
                    "delivered",
                )]),
                &["ec.one_contact_per_day"],
                Next::At("2026-06-03T12:00:00Z"),
            ),
        ],
    );
}

#[test]
fn engine_fails_closed() {
    run(
        &embedded(),
        vec![
            deny(
                "engine_unknown_jurisdiction",
                request(
                    &["US", "US-TX"],
                    &["America/Chicago"],
                    "2026-06-02T10:00:00-05:00",
                ),
                &["engine.unknown_jurisdiction"],
                Next::Never,
            ),
            deny(
                "engine_invalid_time_zone",
                request(
                    &["US"],
                    &["America/Springfield"],
                    "2026-06-02T10:00:00-05:00",
                ),
                &["engine.invalid_time_zone"],
                Next::Never,
            ),
            deny(
                "engine_inbound_not_judged",
                request(&["US"], &["America/Chicago"], "2026-06-02T10:00:00-05:00")
                    .proposed("direction", json!("inbound")),
                &["engine.invalid_request"],
                Next::Never,
            ),
            allow(
                "engine_explicit_pack_id",
                request(
                    &["us-federal"],
                    &["America/Chicago"],
                    "2026-06-02T10:00:00-05:00",
                ),
            ),
        ],
    );
}

#[test]
fn decision_records_audit_fields() {
    let packs = embedded();
    let req = request(
        &["US", "US-MA"],
        &["America/New_York", "America/Los_Angeles"],
        "2026-06-02T10:30:00-04:00",
    );
    let d = decide(&packs, &req);
    assert_eq!(
        d.zones_considered,
        vec!["America/New_York", "America/Los_Angeles"]
    );
    assert_eq!(d.tzdata_version, chrono_tz::IANA_TZDB_VERSION);
    assert_eq!(d.evaluated_at.to_rfc3339(), "2026-06-02T14:30:00+00:00");
    assert_eq!(
        d.window_local.zones[1].local_time,
        "2026-06-02T07:30:00-07:00"
    );
    assert_eq!(d.window_local.zones[0].allowed, vec!["08:00-21:00"]);
    // Convenient in both zones: 11:00-21:00 ET = 15:00Z-01:00Z, within 24 h either side.
    let spans: Vec<(String, String)> = d
        .window_local
        .utc_intersection
        .iter()
        .map(|i| (i.start.to_rfc3339(), i.end.to_rfc3339()))
        .collect();
    assert_eq!(
        spans,
        vec![
            (
                "2026-06-01T15:00:00+00:00".to_string(),
                "2026-06-02T01:00:00+00:00".to_string()
            ),
            (
                "2026-06-02T15:00:00+00:00".to_string(),
                "2026-06-03T01:00:00+00:00".to_string()
            ),
        ]
    );
    assert_eq!(
        d.packs.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        vec!["us-federal", "us-ma"]
    );
    // Every rule of both packs is reported, with its citation.
    assert_eq!(d.rules.len(), 12);
    assert!(d.rules.iter().all(|r| !r.citation.is_empty()));
    assert_eq!(
        d.rules
            .iter()
            .filter(|r| r.outcome == RuleOutcome::Deny)
            .count(),
        1
    );
    assert_eq!(d.inputs_hash.len(), 64);
}

#[test]
fn inputs_hash_is_canonical() {
    let a: arrears_policy::EvaluationRequest = serde_json::from_str(
        r#"{"jurisdictions":["CO"],"time_zones":["America/Bogota"],
            "proposed":{"at":"2026-02-03T10:00:00-05:00","channel":"sms","debt_ids":["d1"],"callee_role":"debtor","direction":"outbound"}}"#,
    )
    .unwrap();
    let b: arrears_policy::EvaluationRequest = serde_json::from_str(
        r#"{"proposed":{"direction":"outbound","callee_role":"debtor","debt_ids":["d1"],"channel":"sms","at":"2026-02-03T10:00:00-05:00"},
            "time_zones":["America/Bogota"],"jurisdictions":["CO"]}"#,
    )
    .unwrap();
    assert_eq!(
        arrears_policy::inputs_hash(&a),
        arrears_policy::inputs_hash(&b)
    );
    assert!(
        arrears_policy::canonical_json(&a).starts_with(r#"{"facts":{"attorney_representation""#)
    );
    // The streamed hash is the documented one: SHA-256 of the canonical text.
    use sha2::Digest;
    assert_eq!(
        arrears_policy::inputs_hash(&a),
        hex::encode(sha2::Sha256::digest(
            arrears_policy::canonical_json(&a).as_bytes()
        ))
    );
    let mut c = a.clone();
    c.proposed.debt_ids = vec!["d2".into()];
    assert_ne!(
        arrears_policy::inputs_hash(&a),
        arrears_policy::inputs_hash(&c)
    );
}

#[test]
fn request_rejects_unknown_fields() {
    let err = serde_json::from_str::<arrears_policy::EvaluationRequest>(
        r#"{"jurisdictions":["US"],"proposed":{"at":"2026-02-03T10:00:00-05:00","channel":"sms","callee_role":"debtor","direction":"outbound","colour":"red"}}"#,
    )
    .unwrap_err();
    assert!(err.to_string().contains("unknown field `colour`"), "{err}");
}

#[test]
fn canonical_json_has_sorted_keys() {
    // Every field populated, so every struct's key order is exercised.
    let full = request(&["US"], &["America/New_York"], "2026-06-02T10:00:00-04:00")
        .proposed("address", json!("+16175550001"))
        .proposed("person_id", json!("p1"))
        .proposed("at_workplace", json!(true))
        .proposed("purpose", json!("cease_remedy_notice"))
        .fact("opt_outs", json!([{"channel": "sms", "address": "+1"}]))
        .fact("medium_blocks", json!(["email"]))
        .fact(
            "cease_communication",
            json!({"all": false, "debt_ids": ["d9"]}),
        )
        .fact(
            "attorney_representation",
            json!({"debt_ids": ["d8"], "direct_contact_permitted": true}),
        )
        .fact("workplace_contact_prohibited", json!(true))
        .fact(
            "inconvenient_times",
            json!([{"days": ["mon"], "start": "09:00", "end": "10:00"}]),
        )
        .fact(
            "direct_prior_consent",
            json!([{"from": "2026-06-01T09:00:00-04:00", "to": "2026-06-01T10:00:00-04:00"}]),
        )
        .fact("authorised_channels", json!(["phone"]))
        .fact("tcpa_consent_revoked", json!(["+2"]))
        .fact("debt_groups", json!([{"key": "g", "debt_ids": ["a", "b"]}]))
        .history(vec![
            contact("2026-06-01T09:00:00-04:00", "phone", "no_answer")
                .set("/person_id", json!("p1"))
                .set("/address", json!("+16175550001"))
                .set("/two_way", json!(false)),
        ]);
    let req = parse(&full);
    let reference =
        arrears_policy::canonical::canonicalise(serde_json::to_value(&req).unwrap()).to_string();
    assert_eq!(arrears_policy::canonical_json(&req), reference);
}
