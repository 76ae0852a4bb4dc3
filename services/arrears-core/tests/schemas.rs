//! Schema and code cannot drift: the committed files in `schemas/` equal what
//! the code generates, and every event the core emits validates against the
//! schema of its type. Regenerate with `ARREARS_UPDATE_SCHEMAS=1 cargo test -p arrears-core --test schemas`.

mod support;

use std::path::PathBuf;

use arrears_core::command::*;
use arrears_core::event::{EVENT_TYPES, event_schemas};
use arrears_core::ids::*;
use arrears_core::vocabulary::*;
use support::*;

fn schemas_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schemas")
}

fn check_or_write(path: PathBuf, value: &serde_json::Value) {
    let text = serde_json::to_string_pretty(value).unwrap() + "\n";
    if std::env::var_os("ARREARS_UPDATE_SCHEMAS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "{} is missing: run with ARREARS_UPDATE_SCHEMAS=1",
            path.display()
        )
    });
    assert_eq!(
        committed,
        text,
        "{} differs from the code: a payload changed shape. Add a new event version, \
         or regenerate with ARREARS_UPDATE_SCHEMAS=1 if this is a new, unreleased type",
        path.display()
    );
}

#[test]
fn committed_schemas_match_the_code() {
    let schemas = event_schemas();
    assert_eq!(schemas.len(), EVENT_TYPES.len());
    for (t, s) in &schemas {
        check_or_write(
            schemas_dir()
                .join("events")
                .join(format!("{t}.schema.json")),
            s,
        );
    }
    check_or_write(
        schemas_dir().join("commands/envelope.v1.schema.json"),
        &command_envelope_schema(),
    );
}

/// A history that emits every event type at least once.
fn every_event_type() -> Harness {
    two_accounts()
        .given(charge("a1", "fee1", usd(1_500), None))
        .given(promise("pr1", "a2", usd(10_000), "2026-03-30"))
        .given(pay("p1", usd(200_000), None))
        .given(reverse("p1"))
        .given(contact("c1", &["a1"], ContactOutcome::RightPartyContact))
        .given(request("r1", Channel::Phone, None))
        .given(dispute("d1", "a1"))
        .given(resolve("d1", DisputeResolution::Withdrawn))
        .given(Command::RecordOptOut(RecordOptOut {
            channel: Channel::Sms,
            address: Some("+15555550100".into()),
            source: Some("sms_stop".into()),
        }))
        .given(Command::RecordCeaseCommunication(
            RecordCeaseCommunication {
                account_ids: vec![AccountId::new("a1").unwrap()],
                received_via: Some("letter".into()),
            },
        ))
        .given_all(every_restriction().into_iter().map(|restriction| {
            Command::RecordContactRestriction(RecordContactRestriction {
                restriction,
                source: Some("call".into()),
            })
        }))
}

/// One contact restriction of every kind, so each validates against the schema.
fn every_restriction() -> Vec<ContactRestriction> {
    use arrears_policy::{ClockTime, Day};
    vec![
        ContactRestriction::AttorneyRepresentation {
            account_ids: vec![AccountId::new("a2").unwrap()],
        },
        ContactRestriction::InconvenientTime {
            days: vec![Day::Mon, Day::Fri],
            start: ClockTime::parse("12:00").unwrap(),
            end: ClockTime::parse("13:30").unwrap(),
        },
        ContactRestriction::MediumBlock {
            channel: Channel::Email,
        },
        ContactRestriction::WorkplaceContactProhibited,
        ContactRestriction::TcpaConsentRevoked {
            address: "+15555550100".into(),
        },
        ContactRestriction::AdditionalTimeZone {
            time_zone: "America/Los_Angeles".into(),
        },
    ]
}

#[test]
fn every_emitted_event_validates_against_its_schema() {
    let h = every_event_type();
    let schemas: std::collections::HashMap<_, _> = event_schemas().into_iter().collect();
    let mut seen = std::collections::BTreeSet::new();
    for e in &h.events {
        let schema = &schemas[e.event_type()];
        let validator = jsonschema::validator_for(schema).expect("schema compiles");
        let data = e.body.data();
        let errors: Vec<String> = validator
            .iter_errors(&data)
            .map(|er| er.to_string())
            .collect();
        assert!(
            errors.is_empty(),
            "{} invalid: {errors:?}\n{data}",
            e.event_type()
        );
        seen.insert(e.event_type());
    }
    assert_eq!(
        seen.len(),
        EVENT_TYPES.len(),
        "the scenario covers every type: {seen:?}"
    );
}

/// The direct codec (payload struct <-> bytes, no `Value`) must agree with
/// serde's own tagging of `EventBody`: the same type name, the same bytes,
/// and a lossless round trip, for every event type.
#[test]
fn the_direct_payload_codec_agrees_with_serde_for_every_type() {
    let h = every_event_type();
    let mut seen = std::collections::BTreeSet::new();
    for e in &h.events {
        let tagged = serde_json::to_value(&e.body).unwrap();
        assert_eq!(tagged["type"], e.event_type());
        let bytes = e.body.data_json();
        assert_eq!(bytes, serde_json::to_vec(&tagged["data"]).unwrap());
        assert_eq!(bytes, serde_json::to_vec(&e.body.data()).unwrap());
        let back = arrears_core::EventBody::from_type_and_data(e.event_type(), &bytes).unwrap();
        assert_eq!(back, e.body);
        seen.insert(e.event_type());
    }
    assert_eq!(seen.len(), EVENT_TYPES.len());
}

#[test]
fn schemas_reject_what_the_code_rejects() {
    let schemas: std::collections::HashMap<_, _> = event_schemas().into_iter().collect();
    let v = jsonschema::validator_for(&schemas["arrears.payment.received.v1"]).unwrap();
    let good = serde_json::json!({
        "payment_id": "p1", "amount": {"amount_minor": 100, "currency": "USD"},
        "method": "card", "received_at": "2026-03-02T12:00:00Z", "external_ref": null,
        "allocations": [{"account_id": "a1", "item": 0, "amount_minor": 100}], "unapplied_minor": 0
    });
    assert!(v.is_valid(&good));
    let mut float_money = good.clone();
    float_money["amount"]["amount_minor"] = serde_json::json!(1.5);
    assert!(!v.is_valid(&float_money), "money is never a float");
    let mut bad_currency = good.clone();
    bad_currency["amount"]["currency"] = serde_json::json!("XYZ");
    assert!(!v.is_valid(&bad_currency));
    let mut extra = good.clone();
    extra["surprise"] = serde_json::json!(1);
    assert!(!v.is_valid(&extra));
}

/// The AsyncAPI document lists every event type and points at schema files
/// that exist, so the integration contract cannot forget a type.
#[test]
fn asyncapi_lists_every_event_type_with_its_schema() {
    let doc = std::fs::read_to_string(schemas_dir().join("asyncapi.yaml")).unwrap();
    assert!(doc.starts_with("# AsyncAPI 3") && doc.contains("asyncapi: 3.0.0"));
    let parsed: serde_yaml::Value =
        serde_yaml::from_str(&doc).expect("asyncapi.yaml is valid YAML");
    assert_eq!(parsed["asyncapi"].as_str(), Some("3.0.0"));
    assert_eq!(
        parsed["channels"]["events"]["messages"]
            .as_mapping()
            .map(|m| m.len()),
        Some(EVENT_TYPES.len())
    );
    for t in EVENT_TYPES {
        assert!(
            doc.contains(&format!("name: {t}")),
            "{t} is missing from asyncapi.yaml"
        );
        let reference = format!("./events/{t}.schema.json");
        assert!(doc.contains(&reference), "{t}: no payload reference");
        assert!(
            schemas_dir()
                .join("events")
                .join(format!("{t}.schema.json"))
                .exists()
        );
    }
    for topic in [
        "arrears.events",
        "arrears.commands",
        "arrears.replies",
        "arrears.dead-letter",
    ] {
        assert!(doc.contains(&format!("address: {topic}")), "{topic}");
    }
}
