//! The compliance gate inside the aggregate: a proposed contact is judged by
//! the pure policy engine (`arrears-policy`) against the debtor's OWN history
//! as the single writer holds it, so two agents racing for the last allowed
//! contact cannot both pass: the first allowed decision is a reservation that
//! the second one sees.
//!
//! The same judgement flags contact attempts reported after the fact (a
//! dialer's log): a contact the policy would have denied is recorded with the
//! violation, never dropped.

use arrears_policy::{Decision, EvaluationRequest, Facts, HistoryEntry, PackSet, ProposedContact};
use chrono::{DateTime, Utc};

use crate::command::ContactRestriction;
use crate::event::Violation;
use crate::ids::AccountId;
use crate::state::DebtorState;
use crate::vocabulary::{CalleeRole, Channel, ContactOutcome, Direction};

/// A contact to judge.
#[derive(Debug, Clone)]
pub struct Proposal<'a> {
    pub channel: Channel,
    pub address: Option<&'a str>,
    pub account_ids: &'a [AccountId],
    pub callee_role: CalleeRole,
    pub at: DateTime<Utc>,
    pub at_workplace: bool,
}

/// Judges `proposal` against the debtor's profile, standing facts and every
/// contact made or reserved at or before `proposal.at` (a reservation for
/// the very same instant is a competing contact and must count).
pub fn evaluate(state: &DebtorState, policy: &PackSet, proposal: &Proposal<'_>) -> Decision {
    arrears_policy::evaluate(policy, &request(state, proposal))
}

/// Judges a contact that already happened (reported after the fact, e.g. a
/// dialer's log) the way [`evaluate`] would have at `proposal.at`, and returns
/// its violation, if any. Uses the policy's verdict-only judgement: a flag
/// records the denying rules, not when the contact would have been allowed.
pub fn violation(
    state: &DebtorState,
    policy: &PackSet,
    proposal: &Proposal<'_>,
) -> Option<Violation> {
    let j = arrears_policy::judge(policy, &request(state, proposal));
    violation_from(
        j.verdict,
        &j.rules,
        &j.packs,
        &j.tzdata_version,
        &j.inputs_hash,
    )
}

/// The denying rules of a decision, as recorded on a flagged attempt.
pub fn violation_of(decision: &Decision) -> Option<Violation> {
    violation_from(
        decision.verdict,
        &decision.rules,
        &decision.packs,
        &decision.tzdata_version,
        &decision.inputs_hash,
    )
}

fn violation_from(
    verdict: arrears_policy::Verdict,
    rules: &[arrears_policy::RuleResult],
    packs: &[arrears_policy::PackRef],
    tzdata_version: &str,
    inputs_hash: &str,
) -> Option<Violation> {
    if verdict == arrears_policy::Verdict::Allow {
        return None;
    }
    Some(Violation {
        rules: rules
            .iter()
            .filter(|r| r.outcome == arrears_policy::RuleOutcome::Deny)
            .cloned()
            .collect(),
        packs: packs.to_vec(),
        tzdata_version: tzdata_version.to_string(),
        inputs_hash: inputs_hash.to_string(),
    })
}

/// Folds the debtor's standing contact restrictions into the policy facts and
/// the plausible time zones. Attorney representation "on every debt" lists
/// every account the debtor has at the time of the judgement, so an account
/// opened after the representation became known is covered too.
fn apply_restrictions(state: &DebtorState, facts: &mut Facts, time_zones: &mut Vec<String>) {
    for r in &state.restrictions {
        match &r.restriction {
            ContactRestriction::AttorneyRepresentation { account_ids } => {
                let ids: Vec<String> = if account_ids.is_empty() {
                    state.accounts.keys().map(|a| a.to_string()).collect()
                } else {
                    account_ids.iter().map(|a| a.to_string()).collect()
                };
                for id in ids {
                    if !facts.attorney_representation.debt_ids.contains(&id) {
                        facts.attorney_representation.debt_ids.push(id);
                    }
                }
            }
            ContactRestriction::InconvenientTime { days, start, end } => {
                facts
                    .inconvenient_times
                    .push(arrears_policy::request::InconvenientTime {
                        days: days.clone(),
                        start: *start,
                        end: *end,
                    });
            }
            ContactRestriction::MediumBlock { channel } => {
                if !facts.medium_blocks.contains(channel) {
                    facts.medium_blocks.push(*channel);
                }
            }
            ContactRestriction::WorkplaceContactProhibited => {
                facts.workplace_contact_prohibited = true;
            }
            ContactRestriction::TcpaConsentRevoked { address } => {
                facts.tcpa_consent_revoked.push(address.clone());
            }
            ContactRestriction::AdditionalTimeZone { time_zone } => {
                if !time_zones.contains(time_zone) {
                    time_zones.push(time_zone.clone());
                }
            }
        }
    }
}

/// The evaluation request for a proposal (public so auditors can see the
/// exact inputs, and so `inputs_hash` can be recomputed).
pub fn request(state: &DebtorState, proposal: &Proposal<'_>) -> EvaluationRequest {
    let (jurisdictions, time_zones, authorised) = match &state.profile {
        Some(p) => (
            vec![p.jurisdiction.clone()],
            vec![p.time_zone.clone()],
            p.contact_points
                .iter()
                .filter(|c| c.consented)
                .map(|c| c.channel)
                .collect::<Vec<_>>(),
        ),
        None => (Vec::new(), Vec::new(), Vec::new()),
    };
    let mut facts = Facts {
        authorised_channels: Some(authorised),
        ..Facts::default()
    };
    facts.opt_outs = state
        .opt_outs
        .iter()
        .map(|o| arrears_policy::request::OptOut {
            address: o.address.clone(),
            channel: o.channel,
        })
        .collect();
    for c in &state.cease_requests {
        if c.account_ids.is_empty() {
            facts.cease_communication.all = true;
        } else {
            facts
                .cease_communication
                .debt_ids
                .extend(c.account_ids.iter().map(|a| a.to_string()));
        }
    }
    let mut time_zones = time_zones;
    apply_restrictions(state, &mut facts, &mut time_zones);
    let debt_ids = |ids: &[AccountId]| ids.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    let mut history: Vec<HistoryEntry> = state
        .contacts
        .iter()
        .filter(|c| c.occurred_at <= proposal.at)
        .map(|c| HistoryEntry {
            address: c.address.clone(),
            at: c.occurred_at.fixed_offset(),
            callee_role: c.callee_role,
            channel: c.channel,
            debt_ids: debt_ids(&c.account_ids),
            direction: c.direction,
            outcome: c.outcome,
            person_id: None,
            two_way: c.two_way,
        })
        .collect();
    // Allowed requests not yet carried out count as contacts at their time:
    // conservative (a reservation never loosens a limit) and race-free.
    history.extend(
        state
            .contact_requests
            .values()
            .filter(|r| r.allowed && !r.fulfilled && r.at <= proposal.at)
            .map(|r| HistoryEntry {
                address: r.address.clone(),
                at: r.at.fixed_offset(),
                callee_role: r.callee_role,
                channel: r.channel,
                debt_ids: debt_ids(&r.account_ids),
                direction: Direction::Outbound,
                outcome: reserved_outcome(r.channel),
                person_id: None,
                two_way: false,
            }),
    );
    history.sort_by_key(|h| h.at);
    EvaluationRequest {
        facts,
        history,
        jurisdictions,
        proposed: ProposedContact {
            address: proposal.address.map(str::to_string),
            at: proposal.at.fixed_offset(),
            at_workplace: proposal.at_workplace,
            callee_role: proposal.callee_role,
            channel: proposal.channel,
            debt_ids: debt_ids(proposal.account_ids),
            direction: Direction::Outbound,
            person_id: None,
            purpose: Default::default(),
        },
        time_zones,
    }
}

/// How a reserved (allowed, not yet reported) contact is counted: as a
/// placed call that reached nobody, or a delivered message. Both count toward
/// every cap; neither opens a conversation window.
fn reserved_outcome(channel: Channel) -> ContactOutcome {
    match channel {
        Channel::Phone | Channel::Visit => ContactOutcome::NoAnswer,
        _ => ContactOutcome::Delivered,
    }
}
