//! Local-time helpers over IANA zones (chrono-tz), never fixed offsets
//! (COMPLIANCE.md §1.2: "Always use IANA zones"; Vinson v. Credit Control).

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

use crate::request::ClockTime;

/// The IANA tz database release chrono-tz was built with (e.g. `2025b`).
pub fn tzdata_version() -> &'static str {
    chrono_tz::IANA_TZDB_VERSION
}

/// The local calendar date of `at` in `tz`.
pub fn local_date(at: DateTime<Utc>, tz: Tz) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

/// The first instant whose local wall-clock reading in `tz` is at or after
/// `date` + `time`. In a fall-back overlap that is the earlier instant; in a
/// spring-forward gap it is the end of the gap (02:30 that never happens → 03:00).
pub fn local_to_utc(date: NaiveDate, time: ClockTime, extra_seconds: i64, tz: Tz) -> DateTime<Utc> {
    let base = NaiveDateTime::from(date)
        + Duration::minutes(i64::from(time.minutes()))
        + Duration::seconds(extra_seconds);
    let mut naive = base;
    // Gaps are at most a few hours (Lord Howe 30 min, most 60, a few 120).
    for _ in 0..=(4 * 60) {
        match tz.from_local_datetime(&naive) {
            LocalResult::Single(t) => return t.with_timezone(&Utc),
            LocalResult::Ambiguous(a, b) => return a.min(b).with_timezone(&Utc),
            LocalResult::None => {
                // Snap to the minute so a gap ending at hh:00 gives hh:00.
                naive += Duration::minutes(1);
                naive = naive.with_second(0).unwrap_or(naive);
            }
        }
    }
    // Unreachable for real zones. Only used to propose search candidates, each of
    // which is re-evaluated, so a wrong value can never make a contact allowed.
    Utc.from_utc_datetime(&base)
}

/// Minute of the day and second within it of `at` in `tz`.
pub fn local_minute_second(at: DateTime<Utc>, tz: Tz) -> (u16, u32) {
    ClockTime::of(at.with_timezone(&tz).time())
}
