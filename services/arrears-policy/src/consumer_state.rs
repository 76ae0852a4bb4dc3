//! Rules driven by the consumer's own state: opt-outs, blocked media, cease
//! communication, attorney representation, workplace, TCPA revocation,
//! authorised channels (Colombia) and who may be contacted at all.
//!
//! None of these lifts with time alone, so a deny here means
//! `next_allowed_at = None` (COMPLIANCE.md §10.7: these must hard-block).

use crate::context::{Ctx, Eval};
use crate::pack::{CalleeRolesParams, CeaseParams};
use crate::request::Purpose;

fn debt_listed(ctx: &Ctx<'_>, listed: &[String]) -> Option<String> {
    let proposed = &ctx.req.proposed.debt_ids;
    if listed.is_empty() {
        return None;
    }
    if proposed.is_empty() {
        // The contact names no debt, so it may concern a listed one.
        return Some(listed.join(", "));
    }
    let hit: Vec<&str> = proposed
        .iter()
        .filter(|d| {
            listed
                .iter()
                .any(|l| l == *d || ctx.particular_debt(l) == ctx.particular_debt(d))
        })
        .map(String::as_str)
        .collect();
    (!hit.is_empty()).then(|| hit.join(", "))
}

/// Reg F § 1006.6(e) / § 1006.14(h): an opt-out is keyed by (medium, address); "STOP"
/// to one number blocks SMS to that number only. An opt-out without an address
/// covers the whole medium. A proposed contact without an address cannot be shown
/// to avoid an opted-out address, so it is denied.
pub(crate) fn opt_out(ctx: &Ctx<'_>) -> Eval {
    let p = &ctx.req.proposed;
    let hit = ctx.req.facts.opt_outs.iter().find(|o| {
        o.channel == p.channel
            && match (&o.address, &p.address) {
                (None, _) | (Some(_), None) => true,
                (Some(a), Some(b)) => a == b,
            }
    });
    match hit {
        Some(o) => Eval::deny(format!(
            "opted out of {} at {}",
            o.channel.as_str(),
            o.address.as_deref().unwrap_or("every address")
        )),
        None => Eval::pass("no opt-out covers this channel and address"),
    }
}

/// § 1006.14(h)(1): the person asked the collector not to use this medium.
pub(crate) fn medium_block(ctx: &Ctx<'_>) -> Eval {
    let channel = ctx.req.proposed.channel;
    if ctx.req.facts.medium_blocks.contains(&channel) {
        Eval::deny(format!(
            "the consumer asked not to be contacted by {}",
            channel.as_str()
        ))
    } else {
        Eval::pass("medium not blocked")
    }
}

/// § 1006.6(c) / 15 U.S.C. 1692c(c): after a written cease request no further
/// communication about the debt, except a letter saying efforts end or a remedy
/// may/will be invoked.
pub(crate) fn cease_communication(p: &CeaseParams, ctx: &Ctx<'_>) -> Eval {
    let cease = &ctx.req.facts.cease_communication;
    let proposed = &ctx.req.proposed;
    let hit = if cease.all {
        Some("every debt".to_string())
    } else {
        debt_listed(ctx, &cease.debt_ids)
    };
    match hit {
        None => Eval::pass("no cease-communication request covers these debts"),
        Some(debts) => {
            if proposed.purpose != Purpose::Collection
                && p.exception_channels.contains(&proposed.channel)
            {
                Eval::pass(format!(
                    "cease request on {debts}, but a {} notice is an excepted communication",
                    proposed.channel.as_str()
                ))
            } else {
                Eval::deny(format!("cease-communication request covers {debts}"))
            }
        }
    }
}

/// § 1006.6(b)(2) / 1692c(a)(2): no contact with a consumer known to be represented
/// on the debt, unless the attorney consents or fails to respond.
pub(crate) fn attorney_representation(ctx: &Ctx<'_>) -> Eval {
    let rep = &ctx.req.facts.attorney_representation;
    match debt_listed(ctx, &rep.debt_ids) {
        None => Eval::pass("consumer not known to be represented on these debts"),
        Some(_) if rep.direct_contact_permitted => Eval::pass(
            "represented, but direct contact is permitted (attorney consent or no response)",
        ),
        Some(debts) => Eval::deny(format!(
            "consumer is represented by an attorney on {debts}; contact the attorney instead"
        )),
    }
}

/// § 1006.6(b)(3) / 1692c(a)(3): no contact at work if the employer prohibits it.
pub(crate) fn workplace(ctx: &Ctx<'_>) -> Eval {
    if !ctx.req.proposed.at_workplace {
        Eval::not_applicable("not a contact at the place of employment")
    } else if ctx.req.facts.workplace_contact_prohibited {
        Eval::deny("the employer prohibits contact at the consumer's workplace")
    } else {
        Eval::pass("workplace contact not known to be prohibited")
    }
}

/// 47 CFR 64.1200(a)(10): revocation honoured immediately (engine policy; the rule
/// allows 10 business days). A contact with no number given is denied when any
/// revocation exists, since it cannot be shown to avoid a revoked number.
pub(crate) fn tcpa_revocation(ctx: &Ctx<'_>) -> Eval {
    let revoked = &ctx.req.facts.tcpa_consent_revoked;
    if revoked.is_empty() {
        return Eval::pass("no TCPA revocation recorded");
    }
    match &ctx.req.proposed.address {
        Some(a) if revoked.contains(a) => Eval::deny(format!("TCPA consent revoked for {a}")),
        Some(_) => Eval::pass("TCPA consent not revoked for this number"),
        None => Eval::deny("TCPA consent revoked for a number and the contact names no number"),
    }
}

/// Colombia Ley 2300/2023 art. 2: only channels the consumer authorised.
pub(crate) fn authorised_channels(ctx: &Ctx<'_>) -> Eval {
    let channel = ctx.req.proposed.channel;
    match &ctx.req.facts.authorised_channels {
        None => Eval::deny("no channel authorisation recorded for the consumer"),
        Some(list) if list.contains(&channel) => {
            Eval::pass(format!("{} is an authorised channel", channel.as_str()))
        }
        Some(_) => Eval::deny(format!(
            "{} is not a channel the consumer authorised",
            channel.as_str()
        )),
    }
}

/// Third-party rules: only these roles may be contacted at all.
pub(crate) fn callee_roles(p: &CalleeRolesParams, ctx: &Ctx<'_>) -> Eval {
    let role = ctx.req.proposed.callee_role;
    if p.allowed.contains(&role) {
        Eval::pass(format!("{} may be contacted", role.as_str()))
    } else {
        Eval::deny(format!("contacting a {} is prohibited", role.as_str()))
    }
}

/// A channel the pack never allows (the rule's `channels` select it).
pub(crate) fn channel_prohibited(ctx: &Ctx<'_>) -> Eval {
    Eval::deny(format!(
        "{} contacts are prohibited",
        ctx.req.proposed.channel.as_str()
    ))
}
