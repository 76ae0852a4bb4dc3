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

/// Rejects requests without `Authorization: Bearer <admin key>` with 401.
pub async fn require_api_key(State(gw): State<Gateway>, mut req: Request, next: Next) -> Response {
    let presented = req
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match presented {
        Some(key) if constant_time_eq(key.as_bytes(), gw.admin_key.as_bytes()) => {
            req.extensions_mut().insert(Tenant(gw.tenant.clone()));
            next.run(req).await
        }
        _ => Problem::unauthorized().into_response(),
    }
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
