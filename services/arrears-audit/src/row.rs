//! The audit row: which events are audited, their canonical JSON content and
//! the hash chain. Pure functions shared by the projection (which writes rows)
//! and `verify` (which recomputes them from the log), so both agree by
//! construction and an external auditor has one definition to re-implement
//! (see README.md, "Canonical row format and hash").

use arrears_core::{Event, EventBody};
use arrears_policy::Verdict;
use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// `prev_hash` of the first row of every debtor's chain: 64 ASCII zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What kind of compliance fact a row records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// `arrears.debtor.registered.v1`: jurisdiction, time zone and the
    /// authorised contact points, which decide which rules apply.
    Registration,
    /// `arrears.contact.decided.v1`: a gate decision with every rule.
    Decision,
    /// `arrears.contact.attempted.v1`: a contact made, flagged if it broke the policy.
    Attempt,
    /// `arrears.channel.opted_out.v1`.
    OptOut,
    /// `arrears.communication.ceased.v1`.
    Cease,
    /// `arrears.contact_restriction.recorded.v1`: attorney representation,
    /// inconvenient times, medium blocks and the like.
    Restriction,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Registration => "registration",
            Kind::Decision => "decision",
            Kind::Attempt => "attempt",
            Kind::OptOut => "opt_out",
            Kind::Cease => "cease",
            Kind::Restriction => "restriction",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "registration" => Kind::Registration,
            "decision" => Kind::Decision,
            "attempt" => Kind::Attempt,
            "opt_out" => Kind::OptOut,
            "cease" => Kind::Cease,
            "restriction" => Kind::Restriction,
            _ => return None,
        })
    }

    /// The kind of an event, `None` when the event is not audited (money
    /// movements, promises, disputes: they do not change what contact is allowed).
    pub fn of(body: &EventBody) -> Option<Kind> {
        match body {
            EventBody::DebtorRegistered(_) => Some(Kind::Registration),
            EventBody::ContactDecided(_) => Some(Kind::Decision),
            EventBody::ContactAttempted(_) => Some(Kind::Attempt),
            EventBody::ChannelOptedOut(_) => Some(Kind::OptOut),
            EventBody::CommunicationCeased(_) => Some(Kind::Cease),
            EventBody::ContactRestrictionRecorded(_) => Some(Kind::Restriction),
            _ => None,
        }
    }
}

/// One row of `audit_trail`, as stored and as served by
/// `GET /v1/audit/debtors/{id}` (ordered by `position`).
///
/// `content` is the canonical JSON text the hash covers, kept as a string on
/// purpose: its exact bytes matter, and a client can re-verify the chain with
/// `hash == sha256_hex(prev_hash + content)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub tenant: String,
    pub debtor_id: String,
    /// Chain position in the debtor's trail, from 1.
    pub position: u64,
    /// The event's `ce_id`.
    pub event_id: String,
    pub event_type: String,
    pub kind: Kind,
    /// The debtor's event sequence (`ce_sequence`).
    pub sequence: u64,
    /// `ce_time` truncated to microseconds (the exact instant is in `content`).
    pub event_time: DateTime<Utc>,
    /// The gate's verdict, for decisions only.
    pub verdict: Option<Verdict>,
    /// True for a contact attempt recorded with a policy violation.
    pub violation: bool,
    /// Canonical JSON of the row (see [`content_of`]).
    pub content: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Canonical JSON text: object keys sorted by their UTF-8 bytes, recursively,
/// no insignificant whitespace, serde_json's escaping (only `"`, `\` and
/// control characters are escaped; other characters are raw UTF-8).
pub fn canonical(value: Value) -> String {
    // `canonicalise` rebuilds every object in sorted key order, and the
    // workspace's serde_json keeps insertion order, so this prints sorted.
    serde_json::to_string(&arrears_policy::canonical::canonicalise(value))
        .expect("a JSON value always serialises")
}

/// The canonical content of the row for `event` at chain `position`, or
/// `None` when the event is not audited.
///
/// The content is the event's identity and envelope facts plus its payload
/// exactly as the log holds it (`data`). Nothing here depends on the
/// backend, the log's partition or offset, or the time of projection, so a
/// rebuild from offset 0, on SQLite or PostgreSQL, yields the same bytes.
/// When PII fields are encrypted (DESIGN D8) `data` holds their ciphertext,
/// so the chain covers ciphertext and still verifies after a key is destroyed.
pub fn content_of(event: &Event, position: u64) -> Option<(Kind, String)> {
    let kind = Kind::of(&event.body)?;
    let content = canonical(json!({
        "data": event.body.data(),
        "debtor_id": event.debtor_id.as_str(),
        "event_id": event.id.to_string(),
        "event_time": event_time_text(event.time),
        "event_type": event.event_type(),
        "kind": kind.as_str(),
        "position": position,
        "sequence": event.sequence,
        "tenant": event.tenant.as_str(),
    }));
    Some((kind, content))
}

/// `ce_time` as the log spells it (RFC 3339, UTC `Z`, fractional seconds
/// only when present).
pub fn event_time_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// `hash = lower-hex SHA-256(prev_hash ‖ content)`, both as UTF-8 bytes.
pub fn chain_hash(prev_hash: &str, content: &str) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(content.as_bytes());
    hex::encode(h.finalize())
}

/// The full row for `event`, chained after `prev_hash` at `position`.
pub fn row_of(event: &Event, position: u64, prev_hash: &str) -> Option<AuditRow> {
    let (kind, content) = content_of(event, position)?;
    let (verdict, violation) = match &event.body {
        EventBody::ContactDecided(d) => (Some(d.decision.verdict), false),
        EventBody::ContactAttempted(a) => (None, a.violation.is_some()),
        _ => (None, false),
    };
    Some(AuditRow {
        tenant: event.tenant.as_str().to_string(),
        debtor_id: event.debtor_id.as_str().to_string(),
        position,
        event_id: event.id.to_string(),
        event_type: event.event_type().to_string(),
        kind,
        sequence: event.sequence,
        // Microseconds: what PostgreSQL keeps, so both backends agree.
        event_time: event.time.trunc_subsecs(6),
        verdict,
        violation,
        hash: chain_hash(prev_hash, &content),
        prev_hash: prev_hash.to_string(),
        content,
    })
}

pub(crate) fn verdict_text(v: Option<Verdict>) -> Option<&'static str> {
    v.map(|v| match v {
        Verdict::Allow => "allow",
        Verdict::Deny => "deny",
    })
}

pub(crate) fn parse_verdict(s: Option<&str>) -> Result<Option<Verdict>, String> {
    match s {
        None => Ok(None),
        Some("allow") => Ok(Some(Verdict::Allow)),
        Some("deny") => Ok(Some(Verdict::Deny)),
        Some(other) => Err(format!("unknown verdict `{other}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_sorts_keys_recursively_without_whitespace() {
        let v = json!({"b": 1, "a": {"z": [ {"y": 1, "x": 2} ], "c": null}, "é": "ü"});
        assert_eq!(
            canonical(v),
            r#"{"a":{"c":null,"z":[{"x":2,"y":1}]},"b":1,"é":"ü"}"#
        );
    }

    #[test]
    fn chain_hash_is_sha256_of_prev_then_content() {
        // sha256("") and sha256("abc") test vectors, split across the two parts.
        assert_eq!(
            chain_hash("", ""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            chain_hash("a", "bc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(GENESIS_HASH.len(), 64);
        assert!(GENESIS_HASH.bytes().all(|b| b == b'0'));
    }
}
