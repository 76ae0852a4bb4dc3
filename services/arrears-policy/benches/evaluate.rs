//! Evaluations per second on one core with a 30-day history per debtor
//! (45 prior contacts) for US + US-MA and for Colombia.
//!
//! Run: `cargo bench -p arrears-policy -- --quick`. Criterion reports
//! throughput in elements (= evaluations) per second.

use std::hint::black_box;

use arrears_policy::{EvaluationRequest, PackSet, evaluate};
use chrono::{Duration, FixedOffset, TimeZone};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::json;

/// 45 contacts over the 30 days before `end` (local offset `offset_hours`), mixing
/// channels and outcomes, spread over two debts.
fn history(end: chrono::DateTime<FixedOffset>) -> Vec<serde_json::Value> {
    let channels = ["phone", "sms", "email", "phone", "whatsapp"];
    let outcomes = ["no_answer", "delivered", "delivered", "busy", "read"];
    (0..45)
        .map(|i| {
            let at =
                end - Duration::minutes(30 * 24 * 60 * (i + 1) / 46) - Duration::minutes(17 * i);
            let k = (i % 5) as usize;
            json!({
                "at": at.to_rfc3339(),
                "channel": channels[k],
                "direction": "outbound",
                "outcome": outcomes[k],
                "debt_ids": [if i % 2 == 0 { "d1" } else { "d2" }],
                "two_way": false,
                "callee_role": "debtor"
            })
        })
        .collect()
}

fn request(
    jurisdictions: &[&str],
    zone: &str,
    at: chrono::DateTime<FixedOffset>,
    channel: &str,
) -> EvaluationRequest {
    serde_json::from_value(json!({
        "jurisdictions": jurisdictions,
        "time_zones": [zone],
        "facts": {"authorised_channels": ["phone", "sms", "email", "whatsapp"]},
        "history": history(at),
        "proposed": {
            "at": at.to_rfc3339(),
            "channel": channel,
            "debt_ids": ["d1"],
            "callee_role": "debtor",
            "direction": "outbound"
        }
    }))
    .expect("bench request is valid")
}

fn bench(c: &mut Criterion) {
    let packs = PackSet::embedded().expect("embedded packs");
    let et = FixedOffset::west_opt(4 * 3600).unwrap();
    let cot = FixedOffset::west_opt(5 * 3600).unwrap();
    let cases = [
        // Allowed now (one pass over every rule).
        (
            "us_ma_email_allowed",
            request(
                &["US", "US-MA"],
                "America/New_York",
                et.with_ymd_and_hms(2026, 6, 2, 10, 0, 0).unwrap(),
                "email",
            ),
        ),
        // Denied at night: next_allowed_at searched (next morning).
        (
            "us_ma_phone_night_denied",
            request(
                &["US", "US-MA"],
                "America/New_York",
                et.with_ymd_and_hms(2026, 6, 2, 22, 0, 0).unwrap(),
                "phone",
            ),
        ),
        (
            "co_sms_allowed_or_capped",
            request(
                &["CO"],
                "America/Bogota",
                cot.with_ymd_and_hms(2026, 6, 2, 10, 0, 0).unwrap(),
                "sms",
            ),
        ),
        (
            "co_phone_sunday_denied",
            request(
                &["CO"],
                "America/Bogota",
                cot.with_ymd_and_hms(2026, 6, 7, 10, 0, 0).unwrap(),
                "phone",
            ),
        ),
    ];
    let mut group = c.benchmark_group("evaluate_30_day_history");
    group.throughput(Throughput::Elements(1));
    for (name, req) in &cases {
        let d = evaluate(&packs, req);
        eprintln!(
            "{name}: verdict {:?}, next {:?}, history {}",
            d.verdict,
            d.next_allowed_at,
            req.history.len()
        );
        group.bench_function(*name, |b| {
            b.iter(|| evaluate(black_box(&packs), black_box(req)))
        });
    }
    group.finish();
    // Share of the cost spent hashing the inputs (canonical JSON + SHA-256).
    let (_, req) = &cases[0];
    c.bench_function("inputs_hash_30_day_history", |b| {
        b.iter(|| arrears_policy::inputs_hash(black_box(req)))
    });
    c.bench_function("to_string_30_day_history", |b| {
        b.iter(|| serde_json::to_string(black_box(req)).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
