//! Local wall-clock → instant conversion across DST gaps and overlaps.

use arrears_policy::local_time::{local_to_utc, tzdata_version};
use arrears_policy::request::ClockTime;
use chrono::NaiveDate;
use chrono_tz::Tz;

fn at(date: &str, time: &str, zone: &str) -> String {
    let date: NaiveDate = date.parse().unwrap();
    let tz: Tz = zone.parse().unwrap();
    local_to_utc(date, ClockTime::parse(time).unwrap(), 0, tz).to_rfc3339()
}

#[test]
fn spring_forward_gap_maps_to_end_of_gap() {
    // New York: 02:30 does not exist on 2026-03-08; the first later wall time is 03:00 EDT.
    assert_eq!(
        at("2026-03-08", "02:30", "America/New_York"),
        "2026-03-08T07:00:00+00:00"
    );
    // Santiago springs forward at local midnight on 2026-09-06: 00:00 -> 01:00 (-03).
    assert_eq!(
        at("2026-09-06", "00:00", "America/Santiago"),
        "2026-09-06T04:00:00+00:00"
    );
}

#[test]
fn fall_back_overlap_takes_the_earlier_instant() {
    // New York 01:30 happens twice on 2026-11-01; the first is EDT (05:30Z).
    assert_eq!(
        at("2026-11-01", "01:30", "America/New_York"),
        "2026-11-01T05:30:00+00:00"
    );
    // Santiago falls back at 2026-04-05 03:00Z (00:00 -03 -> 23:00 -04 on the 4th).
    assert_eq!(
        at("2026-04-04", "23:30", "America/Santiago"),
        "2026-04-05T02:30:00+00:00"
    );
}

#[test]
fn ordinary_times_and_tzdata_version() {
    assert_eq!(
        at("2026-06-02", "08:00", "America/Bogota"),
        "2026-06-02T13:00:00+00:00"
    );
    assert_eq!(tzdata_version(), chrono_tz::IANA_TZDB_VERSION);
    assert_eq!(tzdata_version().len(), 5);
}
