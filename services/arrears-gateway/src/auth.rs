//! Authentication of `/v1`: a bearer API key. Until per-tenant keys arrive
//! (security issue), one bootstrap admin key maps to one configured tenant.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use arrears_core::TenantId;

use crate::Gateway;
use crate::problem::Problem;

/// The tenant the caller acts for, put in the request by [`require_api_key`].
#[derive(Debug, Clone)]
pub struct Tenant(pub TenantId);

/// What the presented key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The bootstrap admin key: everything.
    Admin,
    /// The auditor key: read-only (every GET, and the stateless
    /// `POST /v1/compliance/evaluate`, which records nothing).
    Auditor,
}

impl<S: Send + Sync> FromRequestParts<S> for Tenant {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Tenant>()
            .cloned()
            .ok_or_else(Problem::unauthorized)
    }
}

/// Rejects requests without a valid `Authorization: Bearer <key>` with 401,
/// and writes by the read-only auditor key with 403.
pub async fn require_api_key(State(gw): State<Gateway>, mut req: Request, next: Next) -> Response {
    let presented = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let role = match presented {
        Some(key) if constant_time_eq(key.as_bytes(), gw.admin_key.as_bytes()) => Role::Admin,
        Some(key)
            if gw
                .auditor_key
                .as_ref()
                .is_some_and(|a| constant_time_eq(key.as_bytes(), a.as_bytes())) =>
        {
            Role::Auditor
        }
        _ => return Problem::unauthorized().into_response(),
    };
    if role == Role::Auditor {
        // Inside the nested `/v1` router the URI has lost its prefix.
        let path = req
            .extensions()
            .get::<axum::extract::OriginalUri>()
            .map(|u| u.path().to_string())
            .unwrap_or_else(|| req.uri().path().to_string());
        let read_only = req.method() == axum::http::Method::GET
            || (req.method() == axum::http::Method::POST && path == "/v1/compliance/evaluate");
        if !read_only {
            return Problem::new(
                axum::http::StatusCode::FORBIDDEN,
                "forbidden",
                "Forbidden",
                "the auditor key is read-only",
            )
            .into_response();
        }
    }
    req.extensions_mut().insert(Tenant(gw.tenant.clone()));
    req.extensions_mut().insert(role);
    next.run(req).await
}

/// Compares secrets without leaking where they differ through timing.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn constant_time_eq_compares_exactly() {
        assert!(super::constant_time_eq(b"abc", b"abc"));
        assert!(!super::constant_time_eq(b"abc", b"abd"));
        assert!(!super::constant_time_eq(b"abc", b"abcd"));
    }
}
