//! `replay`: what was known about a debtor at an instant, and every
//! compliance decision made up to it, from the log alone (not the views, so
//! a tampered view store cannot change the answer).
//!
//! "Known at T" means recorded by T: the debtor's events are folded in
//! sequence order while their `ce_time` (when the ledger accepted the
//! command) is at or before `as_of`; the first later event ends the replay.
//! An attempt that happened before T but was reported after T was not known
//! at T, and is not shown.

use std::sync::Arc;

use arrears_core::cloudevents;
use arrears_core::command::ContactPoint;
use arrears_core::event::Violation;
use arrears_core::gate::{self, Proposal};
use arrears_core::ids::{AccountId, AttemptId};
use arrears_core::vocabulary::{CalleeRole, Channel, ContactOutcome, Direction};
use arrears_core::{DebtorId, DebtorState, Event, EventBody, TenantId};
use arrears_log::EventLog;
use arrears_policy::{PackRef, PackSet, RuleOutcome, RuleResult, Verdict};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::AuditError;

/// Records read from the log per call.
const PAGE: usize = 1_000;

/// What was known about one debtor at `as_of`. The JSON shape is documented
/// in README.md ("Replay report") and only grows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplayReport {
    pub tenant: String,
    pub debtor_id: String,
    pub as_of: DateTime<Utc>,
    /// Events of the debtor folded (all types), and the last one's sequence.
    pub events_considered: u64,
    pub last_sequence: u64,
    /// `ce_time` of the debtor's first event after `as_of`, if any.
    pub next_event_at: Option<DateTime<Utc>>,
    /// `None`: not registered by `as_of`.
    pub profile: Option<ProfileAsOf>,
    pub opt_outs: Vec<OptOutAsOf>,
    pub cease_requests: Vec<CeaseAsOf>,
    /// Standing contact restrictions known by `as_of`, in sequence order.
    pub restrictions: Vec<RestrictionAsOf>,
    /// Every gate decision recorded by `as_of`, in sequence order.
    pub decisions: Vec<DecisionAsOf>,
    /// Every contact attempt recorded by `as_of` (the contact history), in sequence order.
    pub attempts: Vec<AttemptAsOf>,
    /// Whether each decision was re-evaluated with the current packs.
    pub reevaluation: ReevaluationInfo,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProfileAsOf {
    pub jurisdiction: String,
    pub time_zone: String,
    pub locale: String,
    pub contact_points: Vec<ContactPoint>,
    pub registered_sequence: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OptOutAsOf {
    pub sequence: u64,
    pub event_id: String,
    pub recorded_at: DateTime<Utc>,
    pub channel: Channel,
    /// `None`: the whole medium.
    pub address: Option<String>,
    pub source: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CeaseAsOf {
    pub sequence: u64,
    pub event_id: String,
    pub recorded_at: DateTime<Utc>,
    /// Empty: every debt of the debtor.
    pub account_ids: Vec<AccountId>,
    pub received_via: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RestrictionAsOf {
    pub sequence: u64,
    pub event_id: String,
    pub recorded_at: DateTime<Utc>,
    pub restriction: arrears_core::command::ContactRestriction,
    pub source: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DecisionAsOf {
    pub sequence: u64,
    pub event_id: String,
    pub recorded_at: DateTime<Utc>,
    pub request_id: AttemptId,
    pub channel: Channel,
    pub address: Option<String>,
    pub account_ids: Vec<AccountId>,
    pub callee_role: CalleeRole,
    pub proposed_at: DateTime<Utc>,
    pub agent: Option<String>,
    pub verdict: Verdict,
    /// Ids of the rules that denied, in evaluation order (empty when allowed).
    pub denying_rules: Vec<String>,
    /// Every rule applied: id, pack and version, citation, backing, outcome, detail.
    pub rules: Vec<RuleResult>,
    pub packs: Vec<PackRef>,
    pub tzdata_version: String,
    pub next_allowed_at: Option<DateTime<Utc>>,
    pub evaluated_at: DateTime<Utc>,
    pub inputs_hash: String,
    /// `None` when re-evaluation was not asked for.
    pub reevaluation: Option<Reevaluation>,
}

/// The decision re-run today: the policy request is rebuilt from the
/// debtor's state just before the decision (with `arrears_core::gate::request`,
/// the gate's own code) and evaluated with the current packs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reevaluation {
    /// The rebuilt request hashes to the recorded `inputs_hash`: the log
    /// holds exactly the inputs the decision was made on.
    pub inputs_reproduced: bool,
    pub inputs_hash: String,
    pub verdict: Verdict,
    pub same_verdict: bool,
    pub denying_rules: Vec<String>,
    pub packs: Vec<PackRef>,
    pub tzdata_version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttemptAsOf {
    pub sequence: u64,
    pub event_id: String,
    pub recorded_at: DateTime<Utc>,
    pub attempt_id: AttemptId,
    pub channel: Channel,
    pub direction: Direction,
    pub outcome: ContactOutcome,
    pub two_way: bool,
    pub occurred_at: DateTime<Utc>,
    pub address: Option<String>,
    pub callee_role: CalleeRole,
    pub request_id: Option<AttemptId>,
    /// True when the attempt was recorded with a policy violation.
    pub violation_flag: bool,
    pub violation: Option<Violation>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReevaluationInfo {
    pub performed: bool,
    /// The packs used (empty when not performed).
    pub packs: Vec<PackRef>,
    pub tzdata_version: Option<String>,
}

/// [`replay_with`] re-evaluating every decision with the packs shipped in
/// this binary (`PackSet::embedded()`).
pub async fn replay(
    log: Arc<dyn EventLog>,
    tenant: &TenantId,
    debtor: &DebtorId,
    as_of: DateTime<Utc>,
) -> Result<ReplayReport, AuditError> {
    let packs = PackSet::embedded()?;
    replay_with(log, tenant, debtor, as_of, Some(&packs)).await
}

/// Replays the debtor's events recorded at or before `as_of`. With `packs`,
/// each decision is also re-evaluated (see [`Reevaluation`]); with `None`
/// it is not, and the report says so.
pub async fn replay_with(
    log: Arc<dyn EventLog>,
    tenant: &TenantId,
    debtor: &DebtorId,
    as_of: DateTime<Utc>,
    packs: Option<&PackSet>,
) -> Result<ReplayReport, AuditError> {
    let events = debtor_events(log.as_ref(), tenant, debtor).await?;
    let mut report = ReplayReport {
        tenant: tenant.as_str().to_string(),
        debtor_id: debtor.as_str().to_string(),
        as_of,
        events_considered: 0,
        last_sequence: 0,
        next_event_at: None,
        profile: None,
        opt_outs: Vec::new(),
        cease_requests: Vec::new(),
        restrictions: Vec::new(),
        decisions: Vec::new(),
        attempts: Vec::new(),
        reevaluation: ReevaluationInfo {
            performed: packs.is_some(),
            packs: packs.map(pack_refs).unwrap_or_default(),
            tzdata_version: packs.map(|_| arrears_policy::tzdata_version().to_string()),
        },
    };
    let mut state = DebtorState::default();
    for e in &events {
        if e.time > as_of {
            report.next_event_at = Some(e.time);
            break;
        }
        record(&mut report, &state, e, packs);
        state.apply(e);
        report.events_considered += 1;
        report.last_sequence = e.sequence;
    }
    report.profile = state.profile.as_ref().map(|p| ProfileAsOf {
        jurisdiction: p.jurisdiction.clone(),
        time_zone: p.time_zone.clone(),
        locale: p.locale.clone(),
        contact_points: p.contact_points.clone(),
        registered_sequence: report
            .profile
            .as_ref()
            .map(|r| r.registered_sequence)
            .unwrap_or(0),
    });
    Ok(report)
}

/// Adds what event `e` tells an auditor; `before` is the state just before it.
fn record(report: &mut ReplayReport, before: &DebtorState, e: &Event, packs: Option<&PackSet>) {
    let (sequence, event_id, recorded_at) = (e.sequence, e.id.to_string(), e.time);
    match &e.body {
        EventBody::DebtorRegistered(r) => {
            report.profile = Some(ProfileAsOf {
                jurisdiction: r.jurisdiction.clone(),
                time_zone: r.time_zone.clone(),
                locale: r.locale.clone(),
                contact_points: r.contact_points.clone(),
                registered_sequence: sequence,
            });
        }
        EventBody::ChannelOptedOut(o) => report.opt_outs.push(OptOutAsOf {
            sequence,
            event_id,
            recorded_at,
            channel: o.channel,
            address: o.address.clone(),
            source: o.source.clone(),
        }),
        EventBody::CommunicationCeased(c) => report.cease_requests.push(CeaseAsOf {
            sequence,
            event_id,
            recorded_at,
            account_ids: c.account_ids.clone(),
            received_via: c.received_via.clone(),
        }),
        EventBody::ContactRestrictionRecorded(r) => report.restrictions.push(RestrictionAsOf {
            sequence,
            event_id,
            recorded_at,
            restriction: r.restriction.clone(),
            source: r.source.clone(),
        }),
        EventBody::ContactAttempted(a) => report.attempts.push(AttemptAsOf {
            sequence,
            event_id,
            recorded_at,
            attempt_id: a.attempt_id.clone(),
            channel: a.channel,
            direction: a.direction,
            outcome: a.outcome,
            two_way: a.two_way,
            occurred_at: a.occurred_at,
            address: a.address.clone(),
            callee_role: a.callee_role,
            request_id: a.request_id.clone(),
            violation_flag: a.violation.is_some(),
            violation: a.violation.clone(),
        }),
        EventBody::ContactDecided(d) => {
            let reevaluation = packs.map(|packs| {
                let proposal = |at_workplace| Proposal {
                    channel: d.channel,
                    address: d.address.as_deref(),
                    account_ids: &d.account_ids,
                    callee_role: d.callee_role,
                    at: d.proposed_at,
                    at_workplace,
                };
                // `at_workplace` is an input of the gate that the event does
                // not repeat; the recorded inputs_hash tells which it was.
                let plain = gate::request(before, &proposal(false));
                let request = if arrears_policy::inputs_hash(&plain) == d.decision.inputs_hash {
                    plain
                } else {
                    let workplace = gate::request(before, &proposal(true));
                    if arrears_policy::inputs_hash(&workplace) == d.decision.inputs_hash {
                        workplace
                    } else {
                        plain
                    }
                };
                let inputs_hash = arrears_policy::inputs_hash(&request);
                let now = arrears_policy::evaluate(packs, &request);
                Reevaluation {
                    inputs_reproduced: inputs_hash == d.decision.inputs_hash,
                    inputs_hash,
                    verdict: now.verdict,
                    same_verdict: now.verdict == d.decision.verdict,
                    denying_rules: denying(&now.rules),
                    packs: now.packs,
                    tzdata_version: now.tzdata_version,
                }
            });
            report.decisions.push(DecisionAsOf {
                sequence,
                event_id,
                recorded_at,
                request_id: d.request_id.clone(),
                channel: d.channel,
                address: d.address.clone(),
                account_ids: d.account_ids.clone(),
                callee_role: d.callee_role,
                proposed_at: d.proposed_at,
                agent: d.agent.clone(),
                verdict: d.decision.verdict,
                denying_rules: denying(&d.decision.rules),
                rules: d.decision.rules.clone(),
                packs: d.decision.packs.clone(),
                tzdata_version: d.decision.tzdata_version.clone(),
                next_allowed_at: d.decision.next_allowed_at,
                evaluated_at: d.decision.evaluated_at,
                inputs_hash: d.decision.inputs_hash.clone(),
                reevaluation,
            });
        }
        _ => {}
    }
}

fn denying(rules: &[RuleResult]) -> Vec<String> {
    rules
        .iter()
        .filter(|r| r.outcome == RuleOutcome::Deny)
        .map(|r| r.rule_id.clone())
        .collect()
}

fn pack_refs(packs: &PackSet) -> Vec<PackRef> {
    packs
        .packs()
        .iter()
        .map(|p| PackRef {
            id: p.id.clone(),
            version: p.version.clone(),
        })
        .collect()
}

/// Every event of one debtor, in sequence order, read from its partition.
/// A record of this debtor that does not decode is an error: a replay that
/// silently skipped a fact would misstate what was known.
async fn debtor_events(
    log: &dyn EventLog,
    tenant: &TenantId,
    debtor: &DebtorId,
) -> Result<Vec<Event>, AuditError> {
    let key = arrears_core::ids::stream_key(tenant, debtor);
    let partition = log.partition_of(&key);
    let end = log.end_offset(partition).await?;
    let mut from = 0u64;
    let mut out: Vec<Event> = Vec::new();
    while from < end {
        let page = log.read(partition, from, PAGE).await?;
        if page.is_empty() {
            break;
        }
        for r in page {
            from = r.offset + 1;
            if r.record.key != key {
                continue;
            }
            let event = cloudevents::decode(&r.record).map_err(|e| AuditError::Undecodable {
                partition,
                offset: r.offset,
                key: key.clone(),
                reason: e.to_string(),
            })?;
            out.push(event);
        }
    }
    out.sort_by_key(|e| e.sequence);
    Ok(out)
}
