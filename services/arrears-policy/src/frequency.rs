//! Contact-frequency rules. Each jurisdiction counts something different
//! (COMPLIANCE.md §10.1), so each kind states what it counts:
//!
//! * Reg F 7-in-7 counts **placed calls** per person per particular debt;
//! * Reg F's conversation prong blocks calls for 7 days from a **conversation**;
//! * Massachusetts counts **telephone and text communications** per debt;
//! * Colombia caps contacts per **day** and locks the **channel** for the week
//!   after a direct (two-way) contact;
//! * Chile caps **phone contacts/visits** and **other media** per week, with spacing.
//!
//! Every window is a run of local calendar days in the consumer's zone (Reg F:
//! "the date of the telephone conversation is the first day"); which calendar
//! applies is not stated by Reg F, so the consumer's local one is used
//! (COMPLIANCE.md §1.1 design choice, UNVERIFIED). With several plausible zones
//! a rule denies if it denies in any of them.

use chrono::{DateTime, Datelike, Days, FixedOffset, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::context::{Ctx, Eval};
use crate::local_time::local_date;
use crate::pack::{
    DailyCapMode, DailyContactCapParams, PerDebtCapParams, RegfCallFrequencyParams,
    RegfPostConversationParams, SingleChannelParams, WeekMode, WeeklyCapParams,
};
use crate::request::{Channel, ContactOutcome, Direction, HistoryEntry};

fn local_of(at: DateTime<FixedOffset>, tz: Tz) -> NaiveDate {
    local_date(at.to_utc(), tz)
}

/// `date` is within the `n` consecutive days starting `first` (first = day 1).
fn within_days(first: NaiveDate, n: u32, date: NaiveDate) -> bool {
    date >= first && first + Days::new(u64::from(n - 1)) >= date
}

fn week_start(date: NaiveDate) -> NaiveDate {
    date - Days::new(u64::from(date.weekday().num_days_from_monday()))
}

/// `event` and `date` fall in the same "week" under `mode` (`event` ≤ `date`).
fn same_week(mode: WeekMode, event: NaiveDate, date: NaiveDate) -> bool {
    let rolling = within_days(event, 7, date);
    let calendar = event <= date && week_start(event) == week_start(date);
    match mode {
        WeekMode::Rolling7Days => rolling,
        WeekMode::CalendarWeek => calendar,
        WeekMode::Strictest => rolling || calendar,
    }
}

/// Reg F § 1006.14(b)(3)(i): a call placed within the direct-prior-consent period
/// (no longer than 7 consecutive days, consent day = day 1) is excluded. When the
/// zones disagree on the local days, the period is the shortest of them.
fn in_consent_window(ctx: &Ctx<'_>, at: DateTime<Utc>) -> bool {
    ctx.req.facts.direct_prior_consent.iter().any(|c| {
        let from = c.from.to_utc();
        let to = c.to.to_utc();
        at >= from
            && at <= to
            && ctx
                .zones
                .iter()
                .all(|&tz| within_days(local_date(from, tz), 7, local_date(at, tz)))
    })
}

/// Placed calls that count toward Reg F 7-in-7 for particular debt `key`.
fn counted_regf_call(
    ctx: &Ctx<'_>,
    p: &RegfCallFrequencyParams,
    h: &HistoryEntry,
    key: Option<&str>,
) -> bool {
    h.direction == Direction::Outbound
        && p.counted_channels.contains(&h.channel)
        && !p.excluded_outcomes.contains(&h.outcome)
        && !p.excluded_roles.contains(&h.callee_role)
        && !in_consent_window(ctx, h.at.to_utc())
        && ctx.entry_concerns(h, key)
}

fn debt_keys<'a>(ctx: &'a Ctx<'a>) -> Vec<Option<&'a str>> {
    let keys = ctx.proposed_particular_debts();
    if keys.is_empty() {
        vec![None]
    } else {
        keys.into_iter().map(Some).collect()
    }
}

fn debt_label(key: Option<&str>) -> String {
    key.map_or_else(|| "any debt (none named)".into(), |k| format!("debt {k}"))
}

/// Reg F § 1006.14(b)(2)(i)(A): more than 7 placed calls within 7 consecutive days
/// to a particular person about a particular debt is a presumed violation; the 8th
/// call is denied.
pub(crate) fn regf_call_frequency(p: &RegfCallFrequencyParams, ctx: &Ctx<'_>) -> Eval {
    let proposed = &ctx.req.proposed;
    if p.excluded_roles.contains(&proposed.callee_role) {
        return Eval::not_applicable(format!(
            "calls to the {} are excluded (§ 1006.14(b)(3)(iii))",
            proposed.callee_role.as_str()
        ));
    }
    if in_consent_window(ctx, ctx.at) {
        return Eval::not_applicable(
            "placed within a direct-prior-consent period (§ 1006.14(b)(3)(i))",
        );
    }
    let keys = debt_keys(ctx);
    let mut worst = 0usize;
    for &tz in ctx.zones {
        let today = local_date(ctx.at, tz);
        let first = today - Days::new(u64::from(p.window_days - 1));
        for &key in &keys {
            let count = ctx
                .prior_to_same_person()
                .filter(|h| counted_regf_call(ctx, p, h, key))
                .filter(|h| within_days(first, p.window_days, local_of(h.at, tz)))
                .count();
            worst = worst.max(count);
            if count >= p.max_calls as usize {
                return Eval::deny(format!(
                    "{count} counted calls already placed about {} in the {} consecutive local days {first}..{today} ({}); another would exceed {}",
                    debt_label(key),
                    p.window_days,
                    tz.name(),
                    p.max_calls
                ));
            }
        }
    }
    Eval::pass(format!(
        "at most {worst} counted calls per particular debt in the last {} local days (limit {})",
        p.window_days, p.max_calls
    ))
}

/// Reg F § 1006.14(b)(2)(i)(B): no call within 7 consecutive days after a telephone
/// conversation about the debt, the conversation date being day 1. A conversation
/// about several debts starts the window for each (comment 14(b)(4)-1.ii), whoever
/// initiated it.
pub(crate) fn regf_post_conversation(p: &RegfPostConversationParams, ctx: &Ctx<'_>) -> Eval {
    let proposed = &ctx.req.proposed;
    if p.excluded_roles.contains(&proposed.callee_role) {
        return Eval::not_applicable(format!(
            "calls to the {} are excluded (§ 1006.14(b)(3)(iii))",
            proposed.callee_role.as_str()
        ));
    }
    if in_consent_window(ctx, ctx.at) {
        return Eval::not_applicable(
            "placed within a direct-prior-consent period (§ 1006.14(b)(3)(i))",
        );
    }
    let keys = debt_keys(ctx);
    for &tz in ctx.zones {
        let today = local_date(ctx.at, tz);
        for &key in &keys {
            let conversation = ctx.prior_to_same_person().find(|h| {
                p.conversation_channels.contains(&h.channel)
                    && p.conversation_outcomes.contains(&h.outcome)
                    && ctx.entry_concerns(h, key)
                    && within_days(local_of(h.at, tz), p.window_days, today)
            });
            if let Some(h) = conversation {
                let day1 = local_of(h.at, tz);
                return Eval::deny(format!(
                    "telephone conversation about {} on {day1} ({}); no call until {}",
                    debt_label(key),
                    tz.name(),
                    day1 + Days::new(u64::from(p.window_days))
                ));
            }
        }
    }
    Eval::pass(format!(
        "no telephone conversation in the last {} local days",
        p.window_days
    ))
}

/// 209 CMR 18.16(1)(d) / 940 CMR 7.04(1)(f): at most 2 collector-initiated telephone
/// or text communications per 7-day period per debt. Texts count.
pub(crate) fn per_debt_cap(p: &PerDebtCapParams, ctx: &Ctx<'_>) -> Eval {
    let keys = debt_keys(ctx);
    for &tz in ctx.zones {
        let today = local_date(ctx.at, tz);
        let first = today - Days::new(u64::from(p.window_days - 1));
        for &key in &keys {
            let count = ctx
                .prior_to_same_person()
                .filter(|h| {
                    h.direction == Direction::Outbound
                        && p.counted_channels.contains(&h.channel)
                        && (p.count_unconnected_attempts || !h.outcome.is_not_connected())
                        && ctx.entry_concerns(h, key)
                        && within_days(first, p.window_days, local_of(h.at, tz))
                })
                .count();
            if count >= p.max as usize {
                return Eval::deny(format!(
                    "{count} telephone/text communications about {} in the local days {first}..{today} ({}); limit {}",
                    debt_label(key),
                    tz.name(),
                    p.max
                ));
            }
        }
    }
    Eval::pass(format!(
        "fewer than {} counted communications per debt in the last {} local days",
        p.max, p.window_days
    ))
}

/// Outbound attempts, and inbound two-way contacts, count as "contacts" for the
/// daily and weekly caps (an inbound conversation is the day's direct contact).
fn is_contact(h: &HistoryEntry, channels: &[Channel]) -> bool {
    channels.contains(&h.channel) && (h.direction == Direction::Outbound || h.two_way)
}

/// Colombia Ley 2300/2023 art. 3: "ni en más de una ocasión durante el mismo día".
pub(crate) fn daily_contact_cap(p: &DailyContactCapParams, ctx: &Ctx<'_>) -> Eval {
    for &tz in ctx.zones {
        let today = local_date(ctx.at, tz);
        let todays: Vec<&HistoryEntry> = ctx
            .prior_to_same_person()
            .filter(|h| local_of(h.at, tz) == today && is_contact(h, &p.counted_channels))
            .collect();
        if p.mode == DailyCapMode::AfterDirectContact && !todays.iter().any(|h| h.two_way) {
            continue;
        }
        if todays.len() >= p.max_per_day as usize {
            return Eval::deny(format!(
                "{} contact(s) already on {today} ({}); at most {} per day",
                todays.len(),
                tz.name(),
                p.max_per_day
            ));
        }
    }
    Eval::pass(format!("under {} contact(s) today", p.max_per_day))
}

/// Colombia Ley 2300/2023 art. 3: once a direct (two-way) contact happened, no
/// contact "mediante varios canales dentro de una misma semana".
pub(crate) fn single_channel_after_direct_contact(p: &SingleChannelParams, ctx: &Ctx<'_>) -> Eval {
    let channel = ctx.req.proposed.channel;
    for &tz in ctx.zones {
        let today = local_date(ctx.at, tz);
        let other = ctx.prior_to_same_person().find(|h| {
            h.two_way && h.channel != channel && same_week(p.week_mode, local_of(h.at, tz), today)
        });
        if let Some(h) = other {
            return Eval::deny(format!(
                "direct contact by {} on {} ({}); only {} may be used for the rest of that week",
                h.channel.as_str(),
                local_of(h.at, tz),
                tz.name(),
                h.channel.as_str()
            ));
        }
    }
    Eval::pass("no direct contact on another channel this week")
}

/// Chile Ley 19.496 art. 37 (Ley 21.320): at most one phone contact or visit per
/// week; other media at most two per week and at least two days apart.
pub(crate) fn weekly_cap(p: &WeeklyCapParams, ctx: &Ctx<'_>) -> Eval {
    let counted = |h: &&HistoryEntry| {
        h.direction == Direction::Outbound
            && p.counted_channels.contains(&h.channel)
            && (p.count_unanswered_calls
                || h.channel != Channel::Phone
                || h.outcome == ContactOutcome::RightPartyContact)
    };
    for &tz in ctx.zones {
        let today = local_date(ctx.at, tz);
        let in_week: Vec<NaiveDate> = ctx
            .prior_to_same_person()
            .filter(counted)
            .map(|h| local_of(h.at, tz))
            .filter(|d| same_week(p.week_mode, *d, today))
            .collect();
        if in_week.len() >= p.max_per_week as usize {
            return Eval::deny(format!(
                "{} counted action(s) already in the week of {today} ({}); at most {}",
                in_week.len(),
                tz.name(),
                p.max_per_week
            ));
        }
        if p.min_gap_days > 0 {
            let too_close = ctx
                .prior_to_same_person()
                .filter(counted)
                .map(|h| local_of(h.at, tz))
                .find(|d| *d <= today && (today - *d).num_days() < i64::from(p.min_gap_days));
            if let Some(d) = too_close {
                return Eval::deny(format!(
                    "previous action on {d} ({}); actions must be at least {} days apart",
                    tz.name(),
                    p.min_gap_days
                ));
            }
        }
    }
    Eval::pass(format!(
        "under {} counted action(s) this week{}",
        p.max_per_week,
        if p.min_gap_days > 0 {
            format!(" and at least {} days since the last", p.min_gap_days)
        } else {
            String::new()
        }
    ))
}
