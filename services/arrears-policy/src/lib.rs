//! # arrears-policy: the contact-compliance policy engine
//!
//! A pure library (DESIGN.md D3: no IO, no async, no clock). It judges one
//! proposed collection contact against versioned policy packs (TOML data under
//! `schemas/policy-packs/`, embedded in the binary) and returns a [`Decision`]
//! that explains every rule it applied, with citations and how well each rule
//! is backed.
//!
//! ```
//! use arrears_policy::{evaluate, EvaluationRequest, PackSet, Verdict};
//! let packs = PackSet::embedded().expect("shipped packs are valid");
//! let request: EvaluationRequest = serde_json::from_str(r#"{
//!   "jurisdictions": ["US", "US-MA"],
//!   "time_zones": ["America/New_York"],
//!   "proposed": {"at": "2026-06-02T10:00:00-04:00", "channel": "phone",
//!                "debt_ids": ["d1"], "callee_role": "debtor", "direction": "outbound"}
//! }"#).unwrap();
//! let decision = evaluate(&packs, &request);
//! assert_eq!(decision.verdict, Verdict::Allow);
//! ```
//!
//! This is not legal advice: every pack must be signed off by counsel in its
//! jurisdiction (see `docs/COMPLIANCE.md`).

pub mod calendar;
pub mod canonical;
mod consumer_state;
mod context;
pub mod decision;
mod engine;
mod frequency;
pub mod local_time;
mod next_allowed;
pub mod pack;
pub mod request;
pub mod schema;
mod time_window;
mod window_report;

pub use canonical::{canonical_json, inputs_hash};
pub use decision::{
    Backing, Decision, Judgement, PackRef, ReasonKind, RuleOutcome, RuleResult, UtcInterval,
    Verdict, WindowReport, ZoneWindow,
};
pub use engine::{SEARCH_HORIZON_DAYS, evaluate, judge};
pub use local_time::tzdata_version;
pub use pack::{EMBEDDED_PACKS, Pack, PackError, PackSet, Rule, RuleKind, load_pack};
pub use request::{
    CalleeRole, Channel, ClockTime, ContactOutcome, Day, Direction, EvaluationRequest, Facts,
    HistoryEntry, ProposedContact, Purpose,
};
