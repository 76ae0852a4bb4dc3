//! Colombia, Mexico, Peru, Chile and Brazil/São Paulo. Each case is also a
//! worked example in docs/COMPLIANCE.md (same name).

mod common;

use arrears_policy::PackSet;
use common::*;
use serde_json::{Value, json};

const BOGOTA: &[&str] = &["America/Bogota"];
const CO: &[&str] = &["CO"];

/// Colombian request with phone, SMS and WhatsApp authorised.
fn co(at: &str) -> Value {
    request(CO, BOGOTA, at).fact("authorised_channels", json!(["phone", "sms", "whatsapp"]))
}

fn direct_contact(at: &str, channel: &str) -> Value {
    contact(at, channel, "right_party_contact").set("/two_way", json!(true))
}

#[test]
fn colombia_hours_and_festivos() {
    run(
        &embedded(),
        vec![
            allow("co_weekday_10am", co("2026-01-13T10:00:00-05:00")),
            // 6 Jan 2026 is an ordinary Tuesday: Reyes Magos moved to Mon 12 Jan.
            allow(
                "co_original_reyes_date_is_ordinary",
                co("2026-01-06T10:00:00-05:00"),
            ),
            deny(
                "co_monday_moved_reyes_blocked",
                co("2026-01-12T10:00:00-05:00"),
                &["co.hours"],
                Next::At("2026-01-13T12:00:00Z"),
            ),
            allow(
                "co_original_san_jose_is_ordinary",
                co("2026-03-19T10:00:00-05:00"),
            ),
            deny(
                "co_monday_moved_san_jose_blocked",
                co("2026-03-23T10:00:00-05:00"),
                &["co.hours"],
                Next::At("2026-03-24T12:00:00Z"),
            ),
            deny(
                "co_good_friday_blocked",
                co("2026-04-03T10:00:00-05:00"),
                &["co.hours"],
                Next::At("2026-04-04T13:00:00Z"),
            ),
            allow("co_saturday_1459", co("2026-01-17T14:59:00-05:00")),
            deny(
                "co_saturday_1500_next_is_monday",
                co("2026-01-17T15:00:00-05:00"),
                &["co.hours"],
                Next::At("2026-01-19T12:00:00Z"),
            ),
            deny(
                "co_weekday_1900",
                co("2026-01-13T19:00:00-05:00"),
                &["co.hours"],
                Next::At("2026-01-14T12:00:00Z"),
            ),
            deny(
                "co_holiday_saturday_2027_05_01",
                co("2027-05-01T09:00:00-05:00"),
                &["co.hours"],
                Next::At("2027-05-03T12:00:00Z"),
            ),
        ],
    );
}

#[test]
fn colombia_channels_and_frequency() {
    run(
        &embedded(),
        vec![
            deny(
                "co_unauthorised_channel",
                co("2026-02-03T10:00:00-05:00").proposed("channel", json!("email")),
                &["co.authorised_channels"],
                Next::Never,
            ),
            deny(
                "co_no_authorisation_recorded",
                request(CO, BOGOTA, "2026-02-03T10:00:00-05:00"),
                &["co.authorised_channels"],
                Next::Never,
            ),
            deny(
                "co_references_never",
                co("2026-02-03T10:00:00-05:00").proposed("callee_role", json!("reference")),
                &["co.no_references"],
                Next::Never,
            ),
            allow(
                "co_guarantor_same_rules_as_debtor",
                co("2026-02-03T10:00:00-05:00").proposed("callee_role", json!("guarantor")),
            ),
            deny(
                "co_visits_prohibited",
                co("2026-02-03T10:00:00-05:00")
                    .fact("authorised_channels", json!(["visit"]))
                    .proposed("channel", json!("visit")),
                &["co.no_collection_visits"],
                Next::Never,
            ),
            deny(
                "co_one_contact_per_day",
                co("2026-02-03T15:00:00-05:00")
                    .history(vec![contact(
                        "2026-02-03T09:00:00-05:00",
                        "phone",
                        "no_answer",
                    )])
                    .proposed("channel", json!("sms")),
                &["co.one_contact_per_day"],
                Next::At("2026-02-04T12:00:00Z"),
            ),
            deny(
                "co_one_channel_per_week_after_direct_contact",
                co("2026-02-04T10:00:00-05:00")
                    .history(vec![direct_contact("2026-02-02T10:00:00-05:00", "phone")])
                    .proposed("channel", json!("whatsapp")),
                &["co.one_channel_per_week_after_direct_contact"],
                Next::At("2026-02-09T12:00:00Z"),
            ),
            allow(
                "co_same_channel_allowed_after_direct_contact",
                co("2026-02-04T10:00:00-05:00")
                    .history(vec![direct_contact("2026-02-02T10:00:00-05:00", "phone")]),
            ),
            deny(
                "co_rolling_week_after_thursday_contact",
                co("2026-02-09T10:00:00-05:00")
                    .history(vec![direct_contact("2026-02-05T10:00:00-05:00", "phone")])
                    .proposed("channel", json!("whatsapp")),
                &["co.one_channel_per_week_after_direct_contact"],
                Next::At("2026-02-12T12:00:00Z"),
            ),
        ],
    );
}

/// The embedded CO pack with one parameter line replaced (interpretation overrides).
fn co_override(from: &str, to: &str) -> PackSet {
    let text = arrears_policy::EMBEDDED_PACKS
        .iter()
        .find(|(name, _)| *name == "co.toml")
        .expect("co pack")
        .1;
    assert!(text.contains(from), "co.toml has {from}");
    let patched = text.replace(from, to);
    PackSet::embedded_with_overrides(&[("override/co.toml", &patched)]).expect("override loads")
}

#[test]
fn colombia_interpretation_parameters() {
    let calendar = co_override(
        "week_mode = \"rolling_7_days\"",
        "week_mode = \"calendar_week\"",
    );
    run(
        &calendar,
        vec![
            allow(
                "co_calendar_week_monday_is_new_week",
                co("2026-02-09T10:00:00-05:00")
                    .history(vec![direct_contact("2026-02-05T10:00:00-05:00", "phone")])
                    .proposed("channel", json!("whatsapp")),
            ),
            deny(
                "co_calendar_week_saturday_same_week",
                co("2026-02-07T09:00:00-05:00")
                    .history(vec![direct_contact("2026-02-05T10:00:00-05:00", "phone")])
                    .proposed("channel", json!("whatsapp")),
                &["co.one_channel_per_week_after_direct_contact"],
                Next::At("2026-02-09T12:00:00Z"),
            ),
        ],
    );
    let literal = co_override("mode = \"always\"", "mode = \"after_direct_contact\"");
    run(
        &literal,
        vec![allow(
            "co_literal_daily_cap_before_direct_contact",
            co("2026-02-03T15:00:00-05:00")
                .history(vec![contact(
                    "2026-02-03T09:00:00-05:00",
                    "phone",
                    "no_answer",
                )])
                .proposed("channel", json!("sms")),
        )],
    );
}

#[test]
fn mexico() {
    const MX: &[&str] = &["MX"];
    const CDMX: &[&str] = &["America/Mexico_City"];
    run(
        &embedded(),
        vec![
            allow(
                "mx_weekday_2130",
                request(MX, CDMX, "2026-06-02T21:30:00-06:00"),
            ),
            deny(
                "mx_weekday_2200",
                request(MX, CDMX, "2026-06-02T22:00:00-06:00"),
                &["mx.hours"],
                Next::At("2026-06-03T13:00:00Z"),
            ),
            // No DST in mainland Mexico since 2022: 12:30Z in April is 06:30 CST
            // (the abolished CDT would have made it 07:30).
            deny(
                "mx_no_dst_since_2022",
                request(MX, CDMX, "2026-04-07T12:30:00Z"),
                &["mx.hours"],
                Next::At("2026-04-07T13:00:00Z"),
            ),
            // Tijuana keeps US DST (PDT from 2026-03-08): 14:30Z is 07:30 PDT.
            allow(
                "mx_tijuana_dst_0730_pdt",
                request(MX, &["America/Tijuana"], "2026-03-09T14:30:00Z"),
            ),
            deny(
                "mx_tijuana_dst_0630_pdt",
                request(MX, &["America/Tijuana"], "2026-03-09T13:30:00Z"),
                &["mx.hours"],
                Next::At("2026-03-09T14:00:00Z"),
            ),
            deny(
                "mx_saturday_blocked_by_default",
                request(MX, CDMX, "2026-06-06T10:00:00-06:00"),
                &["mx.hours"],
                Next::At("2026-06-08T13:00:00Z"),
            ),
            deny(
                "mx_reference_prohibited",
                request(MX, CDMX, "2026-06-02T10:00:00-06:00")
                    .proposed("callee_role", json!("reference")),
                &["mx.third_parties"],
                Next::Never,
            ),
            allow(
                "mx_aval_allowed",
                request(MX, CDMX, "2026-06-02T10:00:00-06:00")
                    .proposed("callee_role", json!("guarantor")),
            ),
        ],
    );
    let text = arrears_policy::EMBEDDED_PACKS
        .iter()
        .find(|(n, _)| *n == "mx.toml")
        .unwrap()
        .1;
    let all_week = PackSet::embedded_with_overrides(&[(
        "override/mx.toml",
        &text.replace("weekdays_only = true", "weekdays_only = false"),
    )])
    .unwrap();
    run(
        &all_week,
        vec![allow(
            "mx_saturday_allowed_when_weekdays_only_off",
            request(MX, CDMX, "2026-06-06T10:00:00-06:00"),
        )],
    );
}

#[test]
fn peru() {
    const PE: &[&str] = &["PE"];
    const LIMA: &[&str] = &["America/Lima"];
    run(
        &embedded(),
        vec![
            allow(
                "pe_weekday_1959",
                request(PE, LIMA, "2026-06-02T19:59:00-05:00"),
            ),
            deny(
                "pe_weekday_2000",
                request(PE, LIMA, "2026-06-02T20:00:00-05:00"),
                &["pe.hours"],
                Next::At("2026-06-03T12:00:00Z"),
            ),
            deny(
                "pe_saturday_blocked",
                request(PE, LIMA, "2026-06-06T10:00:00-05:00"),
                &["pe.hours"],
                Next::At("2026-06-08T12:00:00Z"),
            ),
            deny(
                "pe_fiestas_patrias",
                request(PE, LIMA, "2026-07-28T10:00:00-05:00"),
                &["pe.hours"],
                Next::At("2026-07-30T12:00:00Z"),
            ),
            deny(
                "pe_unrelated_third_party",
                request(PE, LIMA, "2026-06-02T10:00:00-05:00")
                    .proposed("callee_role", json!("third_party")),
                &["pe.third_parties"],
                Next::Never,
            ),
            allow(
                "pe_letter_on_saturday",
                request(PE, LIMA, "2026-06-06T10:00:00-05:00").proposed("channel", json!("letter")),
            ),
        ],
    );
}

#[test]
fn chile() {
    const CL: &[&str] = &["CL"];
    const SCL: &[&str] = &["America/Santiago"];
    run(
        &embedded(),
        vec![
            // DST ended 2026-04-05 03:00Z (-03 -> -04): 11:30Z on Mon 6 Apr is 07:30.
            deny(
                "cl_after_april_dst_change",
                request(CL, SCL, "2026-04-06T11:30:00Z"),
                &["cl.hours"],
                Next::At("2026-04-06T12:00:00Z"),
            ),
            // DST started 2026-09-06 04:00Z (-04 -> -03): 11:30Z on Mon 7 Sep is 08:30.
            allow(
                "cl_after_september_dst_change",
                request(CL, SCL, "2026-09-07T11:30:00Z"),
            ),
            deny(
                "cl_fiestas_patrias",
                request(CL, SCL, "2026-09-18T10:00:00-03:00"),
                &["cl.hours"],
                Next::At("2026-09-21T11:00:00Z"),
            ),
            deny(
                "cl_sunday_blocked",
                request(CL, SCL, "2026-06-07T10:00:00-04:00"),
                &["cl.hours"],
                Next::At("2026-06-08T12:00:00Z"),
            ),
            deny(
                "cl_one_phone_contact_per_week",
                request(CL, SCL, "2026-06-03T10:00:00-04:00").history(vec![contact(
                    "2026-06-01T10:00:00-04:00",
                    "phone",
                    "no_answer",
                )]),
                &["cl.one_phone_contact_or_visit_per_week"],
                Next::At("2026-06-08T12:00:00Z"),
            ),
            deny(
                "cl_other_media_two_days_apart",
                request(CL, SCL, "2026-06-02T10:00:00-04:00")
                    .history(vec![contact(
                        "2026-06-01T10:00:00-04:00",
                        "sms",
                        "delivered",
                    )])
                    .proposed("channel", json!("email")),
                &["cl.other_media_two_per_week_two_days_apart"],
                Next::At("2026-06-03T12:00:00Z"),
            ),
            allow(
                "cl_other_media_after_two_days",
                request(CL, SCL, "2026-06-03T10:00:00-04:00")
                    .history(vec![contact(
                        "2026-06-01T10:00:00-04:00",
                        "sms",
                        "delivered",
                    )])
                    .proposed("channel", json!("email")),
            ),
            // Letters have no hour rule, so the letter may go at local midnight.
            deny(
                "cl_other_media_two_per_week",
                request(CL, SCL, "2026-06-05T10:00:00-04:00")
                    .history(vec![
                        contact("2026-06-01T10:00:00-04:00", "sms", "delivered"),
                        contact("2026-06-03T10:00:00-04:00", "email", "delivered"),
                    ])
                    .proposed("channel", json!("letter")),
                &["cl.other_media_two_per_week_two_days_apart"],
                Next::At("2026-06-08T04:00:00Z"),
            ),
            allow(
                "cl_phone_and_other_media_counted_separately",
                request(CL, SCL, "2026-06-02T10:00:00-04:00")
                    .history(vec![contact(
                        "2026-06-01T10:00:00-04:00",
                        "phone",
                        "right_party_contact",
                    )])
                    .proposed("channel", json!("sms")),
            ),
            deny(
                "cl_third_party",
                request(CL, SCL, "2026-06-02T10:00:00-04:00")
                    .proposed("callee_role", json!("third_party")),
                &["cl.third_parties"],
                Next::Never,
            ),
        ],
    );
}

#[test]
fn brazil_sao_paulo() {
    const BR: &[&str] = &["BR-SP"];
    const SP: &[&str] = &["America/Sao_Paulo"];
    run(
        &embedded(),
        vec![
            allow(
                "br_sp_friday_1959",
                request(BR, SP, "2026-06-05T19:59:00-03:00"),
            ),
            deny(
                "br_sp_friday_2000",
                request(BR, SP, "2026-06-05T20:00:00-03:00"),
                &["br-sp.hours"],
                Next::At("2026-06-06T11:00:00Z"),
            ),
            allow(
                "br_sp_saturday_1359",
                request(BR, SP, "2026-06-06T13:59:00-03:00"),
            ),
            deny(
                "br_sp_saturday_1400_next_monday",
                request(BR, SP, "2026-06-06T14:00:00-03:00"),
                &["br-sp.hours"],
                Next::At("2026-06-08T11:00:00Z"),
            ),
            deny(
                "br_sp_corpus_christi",
                request(BR, SP, "2026-06-04T10:00:00-03:00"),
                &["br-sp.hours"],
                Next::At("2026-06-05T11:00:00Z"),
            ),
            deny(
                "br_sp_consciencia_negra",
                request(BR, SP, "2026-11-20T10:00:00-03:00"),
                &["br-sp.hours"],
                Next::At("2026-11-21T11:00:00Z"),
            ),
            deny(
                "br_sp_state_holiday_9_july",
                request(BR, SP, "2026-07-09T10:00:00-03:00"),
                &["br-sp.hours"],
                Next::At("2026-07-10T11:00:00Z"),
            ),
            deny(
                "br_sp_reference",
                request(BR, SP, "2026-06-05T10:00:00-03:00")
                    .proposed("callee_role", json!("reference")),
                &["br-sp.no_third_party_exposure"],
                Next::Never,
            ),
        ],
    );
}
