//! JSON Schemas of the request and the decision, generated from the types so
//! they cannot drift; the committed copies under `schemas/compliance/` are
//! checked against these by a test.

use crate::decision::Decision;
use crate::request::EvaluationRequest;

/// Pretty JSON Schema of [`EvaluationRequest`], with a trailing newline.
pub fn request_schema_json() -> String {
    let schema = schemars::schema_for!(EvaluationRequest);
    serde_json::to_string_pretty(&schema).expect("schema serialises") + "\n"
}

/// Pretty JSON Schema of [`Decision`], with a trailing newline.
pub fn decision_schema_json() -> String {
    let schema = schemars::schema_for!(Decision);
    serde_json::to_string_pretty(&schema).expect("schema serialises") + "\n"
}
