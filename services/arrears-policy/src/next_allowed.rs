//! `next_allowed_at`: the earliest instant at or after the proposed one at which
//! the same contact would be allowed with the same facts and history.
//!
//! Rather than stepping minute by minute, the search visits only the instants at
//! which a time-dependent rule can change from deny to allow: local midnights
//! (day-based frequency windows roll, holidays end), the start of every
//! time-window span, the end of every consumer-designated inconvenient span
//! (in every plausible zone, DST-correct), and the start of each direct-prior-
//! consent period. Between two such instants no verdict can turn to allow, so
//! the first candidate that passes is the exact answer.

use chrono::{DateTime, Days, Utc};
use chrono_tz::Tz;

use crate::engine::{Applied, allowed_at};
use crate::local_time::{local_date, local_to_utc};
use crate::pack::{Boundary, RuleKind};
use crate::request::{ClockTime, EvaluationRequest};

/// Local clock instants (time, extra seconds) at which some rule may start allowing.
fn boundary_times(applied: &[Applied<'_>], req: &EvaluationRequest) -> Vec<(ClockTime, i64)> {
    let mut times = vec![(ClockTime::MIDNIGHT, 0)];
    for a in applied {
        for rule in &a.pack.rules {
            if let RuleKind::TimeWindow(p) = &rule.kind {
                // An open start admits the first instant after it: one second later.
                let extra = i64::from(p.boundary == Boundary::OpenOpen);
                times.extend(p.windows.iter().map(|w| (w.start, extra)));
            }
        }
    }
    times.extend(req.facts.inconvenient_times.iter().map(|s| (s.end, 0)));
    times.retain(|(t, _)| t.minutes() < 24 * 60);
    times.sort_unstable();
    times.dedup();
    times
}

pub(crate) fn search(
    applied: &[Applied<'_>],
    req: &EvaluationRequest,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let mut zones: Vec<Tz> = Vec::new();
    for a in applied {
        for z in &a.zones {
            if !zones.contains(z) {
                zones.push(*z);
            }
        }
    }
    let times = boundary_times(applied, req);
    let mut candidates: Vec<DateTime<Utc>> = Vec::new();
    for &tz in &zones {
        let first = local_date(from, tz);
        let last = local_date(until, tz);
        let mut date = first;
        while date <= last {
            for &(time, extra) in &times {
                candidates.push(local_to_utc(date, time, extra, tz));
            }
            date = match date.checked_add_days(Days::new(1)) {
                Some(d) => d,
                None => break,
            };
        }
    }
    candidates.extend(
        req.facts
            .direct_prior_consent
            .iter()
            .map(|c| c.from.to_utc()),
    );
    candidates.retain(|c| *c > from && *c <= until);
    candidates.sort_unstable();
    candidates.dedup();
    candidates
        .into_iter()
        .find(|&c| allowed_at(applied, req, c))
}
