//! `evaluate`: every applicable pack, every rule, deny wins.
//!
//! The engine fails closed: an unknown jurisdiction, an unknown time zone or a
//! malformed proposal is a deny with an `engine.*` rule id, never an allow
//! (DESIGN.md §5: a contact the policy forbids must never be allowed).

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use crate::canonical::inputs_hash;
use crate::context::{Ctx, Eval};
use crate::decision::{
    Backing, Decision, Judgement, PackRef, ReasonKind, RuleOutcome, RuleResult, Verdict,
};
use crate::pack::{Pack, PackSet, Rule, RuleKind};
use crate::request::{Direction, EvaluationRequest};
use crate::{consumer_state, frequency, local_time, next_allowed, time_window, window_report};

/// How far ahead `next_allowed_at` is searched.
pub const SEARCH_HORIZON_DAYS: i64 = 60;

/// A pack with the zones it is judged in.
pub(crate) struct Applied<'p> {
    pub pack: &'p Pack,
    pub zones: Vec<Tz>,
}

fn engine_result(rule_id: &str, detail: String) -> RuleResult {
    RuleResult {
        rule_id: rule_id.to_string(),
        pack_id: "engine".into(),
        pack_version: env!("CARGO_PKG_VERSION").into(),
        citation: "arrears-policy fail-closed guard (not law)".into(),
        backing: Backing::InternalPolicy,
        outcome: RuleOutcome::Deny,
        reason_kind: ReasonKind::Policy,
        detail,
    }
}

/// Evaluates one rule at the context's instant.
pub(crate) fn evaluate_rule(rule: &Rule, ctx: &Ctx<'_>) -> Eval {
    let proposed = &ctx.req.proposed;
    if !rule.applies_to(proposed.channel, proposed.callee_role) {
        return Eval::not_applicable(format!(
            "rule does not cover {} contacts to a {}",
            proposed.channel.as_str(),
            proposed.callee_role.as_str()
        ));
    }
    match &rule.kind {
        RuleKind::TimeWindow(p) => time_window::check(p, ctx),
        RuleKind::InconvenientTimes(_) => time_window::check_inconvenient(ctx),
        RuleKind::OptOut(_) => consumer_state::opt_out(ctx),
        RuleKind::MediumBlock(_) => consumer_state::medium_block(ctx),
        RuleKind::CeaseCommunication(p) => consumer_state::cease_communication(p, ctx),
        RuleKind::AttorneyRepresentation(_) => consumer_state::attorney_representation(ctx),
        RuleKind::Workplace(_) => consumer_state::workplace(ctx),
        RuleKind::TcpaRevocation(_) => consumer_state::tcpa_revocation(ctx),
        RuleKind::AuthorisedChannels(_) => consumer_state::authorised_channels(ctx),
        RuleKind::CalleeRoles(p) => consumer_state::callee_roles(p, ctx),
        RuleKind::ChannelProhibited(_) => consumer_state::channel_prohibited(ctx),
        RuleKind::RegfCallFrequency(p) => frequency::regf_call_frequency(p, ctx),
        RuleKind::RegfPostConversation(p) => frequency::regf_post_conversation(p, ctx),
        RuleKind::PerDebtCap(p) => frequency::per_debt_cap(p, ctx),
        RuleKind::DailyContactCap(p) => frequency::daily_contact_cap(p, ctx),
        RuleKind::SingleChannelAfterDirectContact(p) => {
            frequency::single_channel_after_direct_contact(p, ctx)
        }
        RuleKind::WeeklyCap(p) => frequency::weekly_cap(p, ctx),
    }
}

/// Whether every time-dependent rule passes at `at` (the permanent ones are
/// already known to pass when this is asked).
pub(crate) fn allowed_at(
    applied: &[Applied<'_>],
    req: &EvaluationRequest,
    at: DateTime<Utc>,
) -> bool {
    applied.iter().all(|a| {
        let ctx = Ctx {
            req,
            zones: &a.zones,
            at,
        };
        a.pack
            .rules
            .iter()
            .filter(|r| !r.kind.is_permanent())
            .all(|r| evaluate_rule(r, &ctx).outcome != RuleOutcome::Deny)
    })
}

fn parse_zones(names: &[String]) -> Result<Vec<Tz>, Vec<String>> {
    let mut zones = Vec::with_capacity(names.len());
    let mut bad = Vec::new();
    for name in names {
        match name.parse::<Tz>() {
            Ok(z) => {
                if !zones.contains(&z) {
                    zones.push(z);
                }
            }
            Err(_) => bad.push(name.clone()),
        }
    }
    if bad.is_empty() { Ok(zones) } else { Err(bad) }
}

/// Judges the proposed contact against every applicable pack. Pure: same input,
/// same output; time comes only from the request.
pub fn evaluate(packs: &PackSet, request: &EvaluationRequest) -> Decision {
    let Judged {
        judgement,
        applied,
        permanent_deny,
        evaluated_at,
    } = judge_rules(packs, request);
    let next_allowed_at = match judgement.verdict {
        Verdict::Allow => Some(evaluated_at),
        Verdict::Deny if permanent_deny => None,
        Verdict::Deny => next_allowed::search(
            &applied,
            request,
            evaluated_at,
            evaluated_at + Duration::days(SEARCH_HORIZON_DAYS),
        ),
    };

    let mut zones_considered: Vec<Tz> = Vec::new();
    for a in &applied {
        for z in &a.zones {
            if !zones_considered.contains(z) {
                zones_considered.push(*z);
            }
        }
    }
    let window_local = window_report::build(&applied, request, &zones_considered, evaluated_at);

    Decision {
        verdict: judgement.verdict,
        rules: judgement.rules,
        next_allowed_at,
        evaluated_at,
        zones_considered: zones_considered
            .iter()
            .map(|z| z.name().to_string())
            .collect(),
        window_local,
        tzdata_version: judgement.tzdata_version,
        packs: judgement.packs,
        inputs_hash: judgement.inputs_hash,
    }
}

/// Only the verdict and the rules of [`evaluate`], for a contact that has
/// already happened (a dialer's log judged after the fact): it skips the
/// `next_allowed_at` search and the local-window report, which such a
/// judgement does not record and which cost most of a denied evaluation.
/// The verdict and every rule result are those `evaluate` gives.
pub fn judge(packs: &PackSet, request: &EvaluationRequest) -> Judgement {
    judge_rules(packs, request).judgement
}

/// The rules' verdict plus what `evaluate` needs to go on.
struct Judged<'p> {
    judgement: Judgement,
    applied: Vec<Applied<'p>>,
    permanent_deny: bool,
    evaluated_at: DateTime<Utc>,
}

fn judge_rules<'p>(packs: &'p PackSet, request: &EvaluationRequest) -> Judged<'p> {
    let evaluated_at = request.proposed.at.to_utc();
    let mut rules = Vec::new();
    let mut guard_failed = false;

    let resolved = match packs.resolve(&request.jurisdictions) {
        Ok(r) => r,
        Err(unknown) => {
            guard_failed = true;
            rules.push(engine_result(
                "engine.unknown_jurisdiction",
                format!("no policy pack covers {}", unknown.join(", ")),
            ));
            Vec::new()
        }
    };
    if request.proposed.direction != Direction::Outbound {
        guard_failed = true;
        rules.push(engine_result(
            "engine.invalid_request",
            "only outbound contacts are judged (proposed.direction must be outbound)".into(),
        ));
    }
    let requested_zones = match parse_zones(&request.time_zones) {
        Ok(z) => z,
        Err(bad) => {
            guard_failed = true;
            rules.push(engine_result(
                "engine.invalid_time_zone",
                format!("not IANA time zones: {}", bad.join(", ")),
            ));
            Vec::new()
        }
    };

    let mut applied = Vec::new();
    if !guard_failed {
        for pack in resolved {
            let zones = if requested_zones.is_empty() {
                parse_zones(&pack.default_time_zones).unwrap_or_default()
            } else {
                requested_zones.clone()
            };
            if zones.is_empty() {
                guard_failed = true;
                rules.push(engine_result(
                    "engine.no_time_zone",
                    format!(
                        "no time zone given and pack {} has no default zones",
                        pack.id
                    ),
                ));
            }
            applied.push(Applied { pack, zones });
        }
    }

    let mut permanent_deny = guard_failed;
    if !guard_failed {
        for a in &applied {
            let ctx = Ctx {
                req: request,
                zones: &a.zones,
                at: evaluated_at,
            };
            for rule in &a.pack.rules {
                let eval = evaluate_rule(rule, &ctx);
                if eval.outcome == RuleOutcome::Deny && rule.kind.is_permanent() {
                    permanent_deny = true;
                }
                rules.push(RuleResult {
                    rule_id: rule.id.clone(),
                    pack_id: a.pack.id.clone(),
                    pack_version: a.pack.version.clone(),
                    citation: rule.citation.clone(),
                    backing: rule.backing,
                    outcome: eval.outcome,
                    reason_kind: rule.reason_kind,
                    detail: eval.detail,
                });
            }
        }
    }

    let verdict = if rules.iter().any(|r| r.outcome == RuleOutcome::Deny) {
        Verdict::Deny
    } else {
        Verdict::Allow
    };
    let judgement = Judgement {
        verdict,
        rules,
        tzdata_version: local_time::tzdata_version().to_string(),
        packs: applied
            .iter()
            .map(|a| PackRef {
                id: a.pack.id.clone(),
                version: a.pack.version.clone(),
            })
            .collect(),
        inputs_hash: inputs_hash(request),
    };
    Judged {
        judgement,
        applied,
        permanent_deny,
        evaluated_at,
    }
}
