//! The decision: a verdict plus one explained result per rule evaluated.
//!
//! Every denial carries the rule id, the pack version, the citation and how
//! well the rule is backed (COMPLIANCE.md tags), so an audit record can show
//! why a contact was refused (DESIGN.md §5: "a denial has no recorded reason"
//! must never happen). JSON Schema: `schemas/compliance/decision.schema.json`.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Allow,
    Deny,
}

/// How well the rule is backed (COMPLIANCE.md tag table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Backing {
    /// The rule's own wording was read.
    VPrimary,
    /// Two or more independent secondary sources agree.
    VSecondary,
    /// Memory, inference, a single weak source, or conflicting sources.
    Unverified,
    /// Not law: a house rule of the operator.
    InternalPolicy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleOutcome {
    Pass,
    Deny,
    NotApplicable,
}

/// Why a deny is a deny: a hard legal rule, a presumption of violation that the
/// pack treats as a deny (Reg F § 1006.14(b)(2)(ii)), or a policy choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReasonKind {
    Hard,
    Presumption,
    Policy,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RuleResult {
    pub rule_id: String,
    pub pack_id: String,
    pub pack_version: String,
    pub citation: String,
    pub backing: Backing,
    pub outcome: RuleOutcome,
    pub reason_kind: ReasonKind,
    pub detail: String,
}

/// The allowed local window in one zone on the proposed contact's local date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ZoneWindow {
    pub time_zone: String,
    /// The proposed instant in this zone, RFC 3339.
    pub local_time: String,
    pub local_date: String,
    /// Holiday name when the local date is on a pack's holiday calendar.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holiday: Option<String>,
    /// Allowed spans `HH:MM-HH:MM` for the proposed channel after intersecting every
    /// applicable time-window rule (empty = the whole day is blocked).
    pub allowed: Vec<String>,
}

/// An interval of UTC instants, `[start, end)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct UtcInterval {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct WindowReport {
    pub zones: Vec<ZoneWindow>,
    /// Intersection over every zone of the allowed windows, for the 24 hours either
    /// side of the proposed instant (the "convenient in all locations" window).
    pub utc_intersection: Vec<UtcInterval>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Decision {
    pub verdict: Verdict,
    pub rules: Vec<RuleResult>,
    /// Earliest instant at or after the proposed one at which the same contact, with
    /// the same facts and history, would be allowed. `None` for permanent blocks or
    /// when nothing is allowed within the search horizon.
    pub next_allowed_at: Option<DateTime<Utc>>,
    /// The proposed instant in UTC: the engine has no clock, so this is the instant the
    /// rules were applied to.
    pub evaluated_at: DateTime<Utc>,
    pub zones_considered: Vec<String>,
    pub window_local: WindowReport,
    /// IANA tz database release compiled into the engine (record it in the audit trail).
    pub tzdata_version: String,
    /// `(pack id, version)` of every pack evaluated.
    pub packs: Vec<PackRef>,
    /// SHA-256 (hex) of the canonical JSON of the request (sorted keys, no whitespace).
    pub inputs_hash: String,
}

/// The verdict and the rule results of a decision, without `next_allowed_at`
/// and the local-window report (see [`crate::judge`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    pub verdict: Verdict,
    pub rules: Vec<RuleResult>,
    pub tzdata_version: String,
    pub packs: Vec<PackRef>,
    pub inputs_hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PackRef {
    pub id: String,
    pub version: String,
}

impl Decision {
    /// Rule ids that denied, in evaluation order.
    pub fn denying_rule_ids(&self) -> Vec<&str> {
        self.rules
            .iter()
            .filter(|r| r.outcome == RuleOutcome::Deny)
            .map(|r| r.rule_id.as_str())
            .collect()
    }
}
