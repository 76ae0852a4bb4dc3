//! # arrears-audit
//!
//! The tamper-evident compliance audit trail of arrears (DESIGN D6, D8;
//! COMPLIANCE.md §10): every gate decision, every contact attempt (with its
//! violation flag) and every fact that changes what contact is allowed
//! (registration, opt-outs, cease requests), one append-only row per event,
//! hash-chained per debtor so that an edited, removed or inserted row is
//! detectable.
//!
//! - [`AuditProjection`] (`audit`, version 1): writes `audit_trail` through
//!   the `arrears-views` projector runtime (exactly once, DESIGN D6).
//! - [`migrate`] / [`open_sqlite`] / [`connect_postgres`]: the audit tables
//!   (migration 2001, tracked in [`MIGRATIONS_TABLE`]) on a view store.
//! - [`verify()`]: recomputes the trail from the log and checks every link.
//! - [`replay()`]: what was known about a debtor at an instant, from the log.
//! - [`trail`]: a debtor's rows, for `GET /v1/audit/debtors/{id}`;
//!   [`check_chain`]: their links checked without the log.
//!
//! Nothing here reads the clock: times come from events or from `as_of`.
//! See `README.md` for the tables, the canonical row format and the hash
//! definition an external auditor can re-implement.

pub mod error;
pub mod projection;
pub mod replay;
pub mod row;
pub mod store;
pub mod verify;

pub use error::AuditError;
pub use projection::AuditProjection;
pub use replay::{
    AttemptAsOf, CeaseAsOf, DecisionAsOf, OptOutAsOf, ProfileAsOf, Reevaluation, ReevaluationInfo,
    ReplayReport, replay, replay_with,
};
pub use row::{AuditRow, GENESIS_HASH, Kind, chain_hash, content_of, row_of};
pub use store::{
    MIGRATIONS_TABLE, TRAIL_TABLE, connect_postgres, export, migrate, open_sqlite, trail,
};
pub use verify::{BrokenLink, Problem, VerifyReport, check_chain, verify};
