//! Local-time windows: allowed hours per weekday, holiday and Sunday
//! blackouts, and consumer-designated inconvenient times.
//!
//! With several plausible zones the contact must be convenient in all of
//! them (Reg F comment 6(b)(1)(i), COMPLIANCE.md §1.2): a rule passes only if
//! the instant is inside the window in every zone, which is the intersection.

use chrono::{Datelike, NaiveDate, Weekday};
use chrono_tz::Tz;

use crate::calendar::HolidayCalendar;
use crate::context::{Ctx, Eval};
use crate::local_time::{local_date, local_minute_second};
use crate::pack::{Boundary, TimeWindowParams};
use crate::request::{ClockTime, InconvenientTime};

/// A span of minutes of one local day, `[start, end)` in minutes (end ≤ 1440).
pub(crate) type Span = (u16, u16);

/// The allowed spans of `date` under one time-window rule (empty on holidays and
/// on days with no window).
pub(crate) fn allowed_spans(p: &TimeWindowParams, date: NaiveDate) -> Vec<Span> {
    if holiday(p, date).is_some() {
        return Vec::new();
    }
    let weekday = date.weekday();
    if p.weekdays_only && matches!(weekday, Weekday::Sat | Weekday::Sun) {
        return Vec::new();
    }
    let mut spans: Vec<Span> = p
        .windows
        .iter()
        .filter(|w| w.days.iter().any(|d| d.weekday() == weekday))
        .map(|w| (w.start.minutes(), w.end.minutes()))
        .collect();
    spans.sort_unstable();
    spans
}

/// The holiday name if the rule's calendar blocks `date`.
pub(crate) fn holiday(p: &TimeWindowParams, date: NaiveDate) -> Option<&'static str> {
    p.holiday_calendar
        .as_deref()
        .and_then(HolidayCalendar::by_id)
        .and_then(|c| c.holiday(date))
}

fn inside(span: Span, minute: u16, second: u32, boundary: Boundary) -> bool {
    let t = u32::from(minute) * 60 + second;
    let (s, e) = (u32::from(span.0) * 60, u32::from(span.1) * 60);
    match boundary {
        Boundary::ClosedOpen => s <= t && t < e,
        Boundary::ClosedClosed => s <= t && t <= e,
        Boundary::OpenOpen => s < t && t < e,
    }
}

fn describe(spans: &[Span]) -> String {
    if spans.is_empty() {
        return "no contact allowed that day".into();
    }
    spans
        .iter()
        .map(|(s, e)| format!("{}-{}", fmt_min(*s), fmt_min(*e)))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn fmt_min(m: u16) -> String {
    ClockTime::from_minutes(m).map_or_else(|| "?".into(), |c| c.to_string())
}

/// Judges the instant against one time-window rule in every plausible zone.
pub(crate) fn check(p: &TimeWindowParams, ctx: &Ctx<'_>) -> Eval {
    for &tz in ctx.zones {
        if let Some(reason) = outside_reason(p, ctx, tz) {
            return Eval::deny(reason);
        }
    }
    Eval::pass(format!(
        "inside the allowed local window in {}",
        zone_names(ctx.zones)
    ))
}

fn outside_reason(p: &TimeWindowParams, ctx: &Ctx<'_>, tz: Tz) -> Option<String> {
    let date = local_date(ctx.at, tz);
    let local = ctx.at.with_timezone(&tz).format("%a %Y-%m-%d %H:%M:%S %Z");
    if let Some(name) = holiday(p, date) {
        return Some(format!("{local} ({}) is a holiday: {name}", tz.name()));
    }
    let spans = allowed_spans(p, date);
    let (minute, second) = local_minute_second(ctx.at, tz);
    if spans.iter().any(|s| inside(*s, minute, second, p.boundary)) {
        None
    } else {
        Some(format!(
            "{local} ({}) is outside the allowed window ({})",
            tz.name(),
            describe(&spans)
        ))
    }
}

pub(crate) fn zone_names(zones: &[Tz]) -> String {
    zones
        .iter()
        .map(|z| z.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether `at` falls in a consumer-designated inconvenient span in `tz`.
/// A span whose end is not after its start wraps past midnight into the next day.
fn in_inconvenient(span: &InconvenientTime, ctx: &Ctx<'_>, tz: Tz) -> bool {
    let date = local_date(ctx.at, tz);
    let (minute, _) = local_minute_second(ctx.at, tz);
    let listed = |d: NaiveDate| span.days.iter().any(|x| x.weekday() == d.weekday());
    let (s, e) = (span.start.minutes(), span.end.minutes());
    if s < e {
        listed(date) && s <= minute && minute < e
    } else {
        let yesterday = date.pred_opt().unwrap_or(date);
        (listed(date) && minute >= s) || (listed(yesterday) && minute < e)
    }
}

/// Consumer-designated inconvenient times are hard blocks (Reg F § 1006.6(b)(1)(i):
/// "a time that the debt collector knows … is inconvenient"; CONC 7.9.4R).
pub(crate) fn check_inconvenient(ctx: &Ctx<'_>) -> Eval {
    let spans = &ctx.req.facts.inconvenient_times;
    if spans.is_empty() {
        return Eval::not_applicable("no inconvenient times designated");
    }
    for &tz in ctx.zones {
        if let Some(span) = spans.iter().find(|s| in_inconvenient(s, ctx, tz)) {
            return Eval::deny(format!(
                "the consumer designated {}-{} as inconvenient ({} local time)",
                span.start,
                span.end,
                tz.name()
            ));
        }
    }
    Eval::pass("outside every consumer-designated inconvenient time")
}

/// Intersects two sorted span lists.
pub(crate) fn intersect(a: &[Span], b: &[Span]) -> Vec<Span> {
    let mut out = Vec::new();
    for &(s1, e1) in a {
        for &(s2, e2) in b {
            let (s, e) = (s1.max(s2), e1.min(e2));
            if s < e {
                out.push((s, e));
            }
        }
    }
    out.sort_unstable();
    out
}
