//! Properties over random requests: evaluation is deterministic; an allow's
//! `next_allowed_at` is the proposed instant; a deny's `next_allowed_at` is
//! allowed and is the earliest such instant (one second earlier is denied).

mod common;

use arrears_policy::{EvaluationRequest, PackSet, Verdict, evaluate};
use chrono::{DateTime, Duration, FixedOffset, TimeZone, Utc};
use common::*;
use proptest::prelude::*;
use serde_json::json;
use std::sync::OnceLock;

fn packs() -> &'static PackSet {
    static PACKS: OnceLock<PackSet> = OnceLock::new();
    PACKS.get_or_init(|| PackSet::embedded().unwrap())
}

const SETUPS: &[(&[&str], &[&str])] = &[
    (&["US", "US-MA"], &["America/New_York"]),
    (&["US"], &["America/New_York", "America/Los_Angeles"]),
    (&["US"], &[]),
    (&["CO"], &["America/Bogota"]),
    (&["MX"], &["America/Tijuana"]),
    (&["PE"], &["America/Lima"]),
    (&["CL"], &["America/Santiago"]),
    (&["BR-SP"], &["America/Sao_Paulo"]),
    (&["GB"], &["Europe/London"]),
    (&["EC"], &["America/Guayaquil"]),
];
const DEBTS: &[&str] = &["d1", "d2"];
const CHANNELS: &[&str] = &["phone", "sms", "email", "whatsapp", "letter"];
const OUTCOMES: &[&str] = &[
    "busy",
    "no_answer",
    "voicemail_reached",
    "right_party_contact",
    "delivered",
    "failed",
];

fn instant(minutes: i64) -> DateTime<FixedOffset> {
    let base = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    (base + Duration::minutes(minutes)).fixed_offset()
}

prop_compose! {
    fn arb_request()(
        setup in 0..SETUPS.len(),
        at in 0i64..(365 * 24 * 60),
        channel in 0..CHANNELS.len(),
        history in prop::collection::vec((1i64..(14 * 24 * 60), 0..CHANNELS.len(), 0..OUTCOMES.len(), any::<bool>(), 0usize..2), 0..25),
        two_debts in any::<bool>(),
        inconvenient in any::<bool>(),
    ) -> EvaluationRequest {
        let (jurisdictions, zones) = SETUPS[setup];
        let proposed_at = instant(at);
        let entries: Vec<serde_json::Value> = history
            .into_iter()
            .map(|(ago, ch, out, two_way, debt)| {
                contact(&instant(at - ago).to_rfc3339(), CHANNELS[ch], OUTCOMES[out])
                    .set("/two_way", json!(two_way && OUTCOMES[out] == "right_party_contact"))
                    .set("/debt_ids", json!([DEBTS[debt]]))
            })
            .collect();
        let mut value = request(jurisdictions, zones, &proposed_at.to_rfc3339())
            .history(entries)
            .proposed("channel", json!(CHANNELS[channel]))
            .fact("authorised_channels", json!(["phone", "sms", "email", "letter"]));
        if two_debts {
            value = value.proposed("debt_ids", json!(["d1", "d2"]));
        }
        if inconvenient {
            value = value.fact("inconvenient_times", json!([{"days": ["mon", "wed", "fri"], "start": "12:00", "end": "14:30"}]));
        }
        parse(&value)
    }
}

fn at(request: &EvaluationRequest, when: DateTime<Utc>) -> EvaluationRequest {
    let mut r = request.clone();
    r.proposed.at = when.fixed_offset();
    r
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn evaluation_is_deterministic(request in arb_request()) {
        prop_assert_eq!(evaluate(packs(), &request), evaluate(packs(), &request));
    }

    #[test]
    fn judge_gives_the_verdict_and_rules_of_evaluate(request in arb_request()) {
        assert_judge_agrees(packs(), &request, &evaluate(packs(), &request));
    }

    #[test]
    fn next_allowed_at_is_allowed_and_earliest(request in arb_request()) {
        let decision = evaluate(packs(), &request);
        let proposed = request.proposed.at.to_utc();
        match (decision.verdict, decision.next_allowed_at) {
            (Verdict::Allow, next) => prop_assert_eq!(next, Some(proposed)),
            (Verdict::Deny, Some(next)) => {
                prop_assert!(next > proposed);
                let later = evaluate(packs(), &at(&request, next));
                prop_assert_eq!(later.verdict, Verdict::Allow, "not allowed at next {}: {:?}", next, later.denying_rule_ids());
                let just_before = next - Duration::seconds(1);
                if just_before >= proposed {
                    prop_assert_eq!(evaluate(packs(), &at(&request, just_before)).verdict, Verdict::Deny);
                }
            }
            (Verdict::Deny, None) => {}
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Deny wins: adding the Massachusetts overlay never turns a federal deny into
    /// an allow, and never makes the next allowed instant earlier.
    #[test]
    fn overlay_only_restricts(request in arb_request()) {
        let mut federal = request.clone();
        federal.jurisdictions = vec!["US".into()];
        federal.time_zones = vec!["America/New_York".into()];
        let mut combined = federal.clone();
        combined.jurisdictions = vec!["US".into(), "US-MA".into()];
        let f = evaluate(packs(), &federal);
        let c = evaluate(packs(), &combined);
        if f.verdict == Verdict::Deny {
            prop_assert_eq!(c.verdict, Verdict::Deny);
        }
        match (f.next_allowed_at, c.next_allowed_at) {
            (Some(a), Some(b)) => prop_assert!(b >= a),
            (None, Some(_)) => prop_assert!(false, "overlay made a blocked contact allowed"),
            _ => {}
        }
    }
}
