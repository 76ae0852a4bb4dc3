//! RFC 9457 problem details: every error the gateway returns.
//!
//! `type` is a stable URN (`urn:arrears:problem:<code>`) that clients can
//! match on; `title` is its fixed summary; `detail` explains this occurrence.
//! Field-level validation errors are listed in `errors`. docs/API.md lists
//! every type.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

pub const CONTENT_TYPE: &str = "application/problem+json";

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// The stable short code (the last segment of `type`).
    pub code: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Extra members specific to the problem (e.g. the rejection's data).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub extensions: Option<serde_json::Map<String, serde_json::Value>>,
    #[serde(skip)]
    pub headers: Vec<(header::HeaderName, HeaderValue)>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, title: &str, detail: impl Into<String>) -> Problem {
        Problem {
            type_uri: format!("urn:arrears:problem:{code}"),
            title: title.to_string(),
            status: status.as_u16(),
            detail: detail.into(),
            instance: None,
            code: code.to_string(),
            errors: Vec::new(),
            extensions: None,
            headers: Vec::new(),
        }
    }

    pub fn with_field(mut self, field: impl Into<String>, message: impl Into<String>) -> Problem {
        self.errors.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
        self
    }

    pub fn with_header(mut self, name: header::HeaderName, value: &'static str) -> Problem {
        self.headers.push((name, HeaderValue::from_static(value)));
        self
    }

    pub fn with_extension(mut self, key: &str, value: serde_json::Value) -> Problem {
        self.extensions
            .get_or_insert_with(serde_json::Map::new)
            .insert(key.to_string(), value);
        self
    }

    // ---- the catalogue of non-domain problems ----------------------------

    pub fn unauthorized() -> Problem {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Missing or invalid API key",
            "send `Authorization: Bearer <key>` with a valid API key",
        )
        .with_header(header::WWW_AUTHENTICATE, "Bearer realm=\"arrears\"")
    }

    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "not_found", "Not found", detail)
    }

    pub fn method_not_allowed() -> Problem {
        Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "Method not allowed",
            "this resource does not support that HTTP method",
        )
    }

    pub fn malformed_json(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            "The request body is not valid JSON",
            detail,
        )
    }

    pub fn invalid_body(field: &str, message: &str) -> Problem {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            "The request body does not match the expected shape",
            format!("{field}: {message}"),
        )
        .with_field(field, message)
    }

    pub fn invalid_parameter(field: &str, message: impl Into<String>) -> Problem {
        let message = message.into();
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_parameter",
            "A path parameter or header is invalid",
            format!("{field}: {message}"),
        )
        .with_field(field, message)
    }

    pub fn unsupported_media_type() -> Problem {
        Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Unsupported media type",
            "send the body as `Content-Type: application/json`",
        )
    }

    pub fn payload_too_large(limit: usize) -> Problem {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "Request body too large",
            format!("the body must be at most {limit} bytes"),
        )
    }

    pub fn unavailable(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "The ledger is unavailable",
            detail,
        )
        .with_header(header::RETRY_AFTER, "1")
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
        for (name, value) in self.headers {
            response.headers_mut().insert(name, value);
        }
        response
    }
}
