//! Request extraction that fails with problem+json, never with a plain-text
//! 400 or a panic: the content type is checked, the body size is bounded, a
//! syntax error is told apart from a well-formed body of the wrong shape, and
//! the offending field is named by its path (e.g. `amount.currency`).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::problem::Problem;

/// Largest accepted request body.
pub const BODY_LIMIT: usize = 64 * 1024;

/// A JSON body of type `T`, parsed strictly (unknown fields are errors).
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                let mime = v
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                mime == "application/json" || mime.ends_with("+json")
            })
            .unwrap_or(false);
        if !json {
            return Err(Problem::unsupported_media_type());
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                Problem::payload_too_large(BODY_LIMIT)
            } else {
                Problem::malformed_json(rejection.body_text())
            }
        })?;
        parse(&bytes).map(JsonBody)
    }
}

/// Parses JSON strictly, mapping errors to problems with the field path.
///
/// Syntax is checked on the whole body first, so `{} trailing` is reported
/// as malformed JSON (400) rather than as a missing field (422).
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| classify(".", &e))?;
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        classify(&path, &inner)
    })
}

fn classify(path: &str, e: &serde_json::Error) -> Problem {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => Problem::malformed_json(format!(
            "{} (line {}, column {})",
            strip_position(&e.to_string()),
            e.line(),
            e.column()
        )),
        Category::Data => {
            let field = if path == "." { "body" } else { path };
            Problem::invalid_body(field, &strip_position(&e.to_string()))
        }
    }
}

/// serde_json appends " at line X column Y"; the problem carries that separately.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// The optional `Idempotency-Key` header.
pub struct IdempotencyKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.headers.get("idempotency-key") {
            None => Ok(IdempotencyKey(None)),
            Some(v) => {
                let s = v.to_str().map_err(|_| {
                    Problem::invalid_parameter(
                        "Idempotency-Key",
                        "must be visible ASCII characters",
                    )
                })?;
                let s = s.trim();
                if s.is_empty()
                    || s.len() > arrears_core::handle::MAX_IDEMPOTENCY_KEY
                    || !s.bytes().all(|b| b.is_ascii_graphic())
                {
                    return Err(Problem::invalid_parameter(
                        "Idempotency-Key",
                        format!(
                            "must be 1 to {} visible ASCII characters",
                            arrears_core::handle::MAX_IDEMPOTENCY_KEY
                        ),
                    ));
                }
                Ok(IdempotencyKey(Some(s.to_string())))
            }
        }
    }
}

/// The optional `X-Correlation-Id` header (a UUID), else a new one.
pub struct CorrelationId(pub uuid::Uuid);

impl<S: Send + Sync> FromRequestParts<S> for CorrelationId {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.headers.get("x-correlation-id") {
            None => Ok(CorrelationId(uuid::Uuid::now_v7())),
            Some(v) => v
                .to_str()
                .ok()
                .and_then(|s| s.parse().ok())
                .map(CorrelationId)
                .ok_or_else(|| Problem::invalid_parameter("X-Correlation-Id", "must be a UUID")),
        }
    }
}
