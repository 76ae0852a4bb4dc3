//! The committed JSON Schemas equal the ones generated from the types.
//! Regenerate with `ARREARS_BLESS=1 cargo test -p arrears-policy --test schemas`.

use arrears_policy::schema::{decision_schema_json, request_schema_json};

fn check(relative: &str, generated: String) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../schemas/compliance")
        .join(relative);
    if std::env::var_os("ARREARS_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "{} is stale: regenerate with ARREARS_BLESS=1",
        path.display()
    );
}

#[test]
fn request_schema_is_current() {
    check("evaluate-request.schema.json", request_schema_json());
}

#[test]
fn decision_schema_is_current() {
    check("decision.schema.json", decision_schema_json());
}

#[test]
fn request_schema_forbids_unknown_fields() {
    let schema: serde_json::Value = serde_json::from_str(&request_schema_json()).unwrap();
    assert_eq!(schema["additionalProperties"], serde_json::json!(false));
    assert_eq!(
        schema["$defs"]["Channel"]["enum"],
        serde_json::json!(["phone", "sms", "email", "whatsapp", "letter", "visit"])
    );
}
