//! The window part of the decision: per zone, the allowed local spans on the
//! proposed contact's local date, and their intersection in UTC ("convenient
//! in all locations", COMPLIANCE.md §10.4: store the zone set and the window).

use chrono::{DateTime, Days, Duration, Utc};
use chrono_tz::Tz;

use crate::decision::{UtcInterval, WindowReport, ZoneWindow};
use crate::engine::Applied;
use crate::local_time::{local_date, local_to_utc};
use crate::pack::RuleKind;
use crate::request::{ClockTime, EvaluationRequest};
use crate::time_window::{Span, allowed_spans, fmt_min, holiday, intersect};

/// Allowed spans on `date` in the intersection of every time-window rule that
/// judges the proposed contact (no such rule = the whole day).
fn spans_for(
    applied: &[Applied<'_>],
    req: &EvaluationRequest,
    tz: Tz,
    date: chrono::NaiveDate,
) -> (Vec<Span>, Option<&'static str>) {
    let mut spans: Vec<Span> = vec![(0, 24 * 60)];
    let mut holiday_name = None;
    let p = &req.proposed;
    for a in applied.iter().filter(|a| a.zones.contains(&tz)) {
        for rule in &a.pack.rules {
            if let RuleKind::TimeWindow(params) = &rule.kind
                && rule.applies_to(p.channel, p.callee_role)
            {
                holiday_name = holiday_name.or_else(|| holiday(params, date));
                spans = intersect(&spans, &allowed_spans(params, date));
            }
        }
    }
    (spans, holiday_name)
}

fn to_utc(tz: Tz, date: chrono::NaiveDate, span: Span) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = local_to_utc(
        date,
        ClockTime::from_minutes(span.0).unwrap_or(ClockTime::MIDNIGHT),
        0,
        tz,
    );
    let end = if span.1 >= 24 * 60 {
        local_to_utc(date + Days::new(1), ClockTime::MIDNIGHT, 0, tz)
    } else {
        local_to_utc(
            date,
            ClockTime::from_minutes(span.1).unwrap_or(ClockTime::END_OF_DAY),
            0,
            tz,
        )
    };
    (start, end)
}

fn intersect_utc(
    a: &[(DateTime<Utc>, DateTime<Utc>)],
    b: &[(DateTime<Utc>, DateTime<Utc>)],
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
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

pub(crate) fn build(
    applied: &[Applied<'_>],
    req: &EvaluationRequest,
    zones: &[Tz],
    at: DateTime<Utc>,
) -> WindowReport {
    let lo = at - Duration::hours(24);
    let hi = at + Duration::hours(24);
    let mut report = WindowReport {
        zones: Vec::new(),
        utc_intersection: Vec::new(),
    };
    let mut acc: Option<Vec<(DateTime<Utc>, DateTime<Utc>)>> = None;
    for &tz in zones {
        let date = local_date(at, tz);
        let (spans, holiday_name) = spans_for(applied, req, tz, date);
        report.zones.push(ZoneWindow {
            time_zone: tz.name().to_string(),
            local_time: at.with_timezone(&tz).to_rfc3339(),
            local_date: date.to_string(),
            holiday: holiday_name.map(str::to_string),
            allowed: spans
                .iter()
                .map(|(s, e)| format!("{}-{}", fmt_min(*s), fmt_min(*e)))
                .collect(),
        });
        let mut utc: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
        for d in [date - Days::new(1), date, date + Days::new(1)] {
            let (day_spans, _) = spans_for(applied, req, tz, d);
            utc.extend(day_spans.iter().map(|s| to_utc(tz, d, *s)));
        }
        utc.sort_unstable();
        // Merge touching spans (e.g. 00:00-24:00 on consecutive days).
        let mut merged: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
        for (s, e) in utc {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        acc = Some(match acc {
            None => merged,
            Some(prev) => intersect_utc(&prev, &merged),
        });
    }
    report.utc_intersection = acc
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(s, e)| {
            let (s, e) = (s.max(lo), e.min(hi));
            (s < e).then_some(UtcInterval { start: s, end: e })
        })
        .collect();
    report
}
