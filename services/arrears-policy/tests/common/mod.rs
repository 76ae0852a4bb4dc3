//! Table-driven test support: build requests as JSON (the wire form), evaluate
//! them against the embedded packs and compare verdict, denying rule ids and
//! `next_allowed_at` exactly.
#![allow(dead_code)]

use arrears_policy::{Decision, EvaluationRequest, PackSet, Verdict, evaluate};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// A proposed phone call to the debtor about debt `d1`.
pub fn request(jurisdictions: &[&str], zones: &[&str], at: &str) -> Value {
    json!({
        "jurisdictions": jurisdictions,
        "time_zones": zones,
        "proposed": {
            "at": at,
            "channel": "phone",
            "debt_ids": ["d1"],
            "callee_role": "debtor",
            "direction": "outbound"
        }
    })
}

/// An outbound history entry to the debtor about `d1`.
pub fn contact(at: &str, channel: &str, outcome: &str) -> Value {
    json!({
        "at": at,
        "channel": channel,
        "direction": "outbound",
        "outcome": outcome,
        "debt_ids": ["d1"],
        "callee_role": "debtor"
    })
}

pub trait JsonExt {
    /// Sets the value at a JSON pointer (parents must exist or be creatable objects).
    fn set(self, pointer: &str, value: Value) -> Value;
    fn history(self, entries: Vec<Value>) -> Value;
    fn fact(self, key: &str, value: Value) -> Value;
    fn proposed(self, key: &str, value: Value) -> Value;
}

impl JsonExt for Value {
    fn set(mut self, pointer: &str, value: Value) -> Value {
        let mut target = &mut self;
        for part in pointer.trim_start_matches('/').split('/') {
            if target.get(part).is_none() {
                target[part] = json!({});
            }
            target = &mut target[part];
        }
        *target = value;
        self
    }
    fn history(self, entries: Vec<Value>) -> Value {
        self.set("/history", Value::Array(entries))
    }
    fn fact(self, key: &str, value: Value) -> Value {
        self.set(&format!("/facts/{key}"), value)
    }
    fn proposed(self, key: &str, value: Value) -> Value {
        self.set(&format!("/proposed/{key}"), value)
    }
}

/// Expected `next_allowed_at`.
#[derive(Debug, Clone, Copy)]
pub enum Next {
    /// Same as the proposed instant (allowed now).
    Now,
    /// A UTC instant, RFC 3339.
    At(&'static str),
    /// Permanent block or nothing within the horizon.
    Never,
}

pub struct Case {
    pub name: &'static str,
    pub request: Value,
    pub verdict: Verdict,
    pub denied_by: &'static [&'static str],
    pub next: Next,
}

pub fn allow(name: &'static str, request: Value) -> Case {
    Case {
        name,
        request,
        verdict: Verdict::Allow,
        denied_by: &[],
        next: Next::Now,
    }
}

pub fn deny(
    name: &'static str,
    request: Value,
    denied_by: &'static [&'static str],
    next: Next,
) -> Case {
    Case {
        name,
        request,
        verdict: Verdict::Deny,
        denied_by,
        next,
    }
}

pub fn parse(request: &Value) -> EvaluationRequest {
    serde_json::from_value(request.clone())
        .unwrap_or_else(|e| panic!("bad test request: {e}\n{request:#}"))
}

pub fn decide(packs: &PackSet, request: &Value) -> Decision {
    let request = parse(request);
    let decision = evaluate(packs, &request);
    assert_judge_agrees(packs, &request, &decision);
    decision
}

/// The verdict-only `judge` (used for contacts judged after the fact) must
/// give exactly the verdict, rules, packs and inputs hash of `evaluate`.
pub fn assert_judge_agrees(packs: &PackSet, request: &EvaluationRequest, decision: &Decision) {
    let j = arrears_policy::judge(packs, request);
    assert_eq!(j.verdict, decision.verdict);
    assert_eq!(j.rules, decision.rules);
    assert_eq!(j.packs, decision.packs);
    assert_eq!(j.tzdata_version, decision.tzdata_version);
    assert_eq!(j.inputs_hash, decision.inputs_hash);
}

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("bad instant {text}: {e}"))
        .to_utc()
}

/// Runs every case and reports all mismatches at once.
pub fn run(packs: &PackSet, cases: Vec<Case>) {
    let mut failures = Vec::new();
    let total = cases.len();
    for case in cases {
        let request = parse(&case.request);
        let decision = evaluate(packs, &request);
        assert_judge_agrees(packs, &request, &decision);
        let expected_next = match case.next {
            Next::Now => Some(request.proposed.at.to_utc()),
            Next::At(t) => Some(utc(t)),
            Next::Never => None,
        };
        let denied = decision.denying_rule_ids();
        if decision.verdict != case.verdict
            || denied != case.denied_by
            || decision.next_allowed_at != expected_next
        {
            failures.push(format!(
                "case {}:\n  expected {:?} denied_by {:?} next {:?}\n  got      {:?} denied_by {:?} next {:?}\n  details: {:#?}",
                case.name,
                case.verdict,
                case.denied_by,
                expected_next,
                decision.verdict,
                denied,
                decision.next_allowed_at,
                decision
                    .rules
                    .iter()
                    .filter(|r| r.outcome == arrears_policy::RuleOutcome::Deny)
                    .map(|r| format!("{}: {}", r.rule_id, r.detail))
                    .collect::<Vec<_>>()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

pub fn embedded() -> PackSet {
    PackSet::embedded().expect("embedded packs load")
}
