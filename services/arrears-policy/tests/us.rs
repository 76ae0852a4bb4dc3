//! US federal (Reg F, TCPA) and the Massachusetts overlay. Each case is also a
//! worked example in docs/COMPLIANCE.md (same name).

mod common;

use common::*;
use serde_json::json;

const NY: &[&str] = &["America/New_York"];
const US: &[&str] = &["US"];
const US_MA: &[&str] = &["US", "US-MA"];

/// Seven connected (counted) calls about d1: 2 on Mon 1 Jun, 2 on Tue 2 Jun,
/// one each on 3, 4 and 5 Jun 2026 (New York local).
fn seven_calls() -> Vec<serde_json::Value> {
    vec![
        contact("2026-06-01T09:00:00-04:00", "phone", "no_answer"),
        contact("2026-06-01T12:00:00-04:00", "phone", "voicemail_reached"),
        contact("2026-06-02T09:00:00-04:00", "phone", "message_left"),
        contact(
            "2026-06-02T12:00:00-04:00",
            "phone",
            "answered_no_conversation",
        ),
        contact("2026-06-03T09:00:00-04:00", "phone", "no_answer"),
        contact("2026-06-04T09:00:00-04:00", "phone", "no_answer"),
        contact("2026-06-05T09:00:00-04:00", "phone", "no_answer"),
    ]
}

#[test]
fn us_federal_time_window_and_dst() {
    run(
        &embedded(),
        vec![
            allow(
                "us_weekday_10am",
                request(US, NY, "2026-06-02T10:00:00-04:00"),
            ),
            deny(
                "us_before_8am",
                request(US, NY, "2026-06-02T07:59:00-04:00"),
                &["us.regf.inconvenient_hours"],
                Next::At("2026-06-02T12:00:00Z"),
            ),
            allow(
                "us_exactly_8am_allowed",
                request(US, NY, "2026-06-02T08:00:00-04:00"),
            ),
            deny(
                "us_exactly_9pm_denied",
                request(US, NY, "2026-06-02T21:00:00-04:00"),
                &["us.regf.inconvenient_hours"],
                Next::At("2026-06-03T12:00:00Z"),
            ),
            allow(
                "us_letter_not_time_limited",
                request(US, NY, "2026-06-02T23:30:00-04:00").proposed("channel", json!("letter")),
            ),
            deny(
                "us_sms_time_limited",
                request(US, NY, "2026-06-02T23:30:00-04:00").proposed("channel", json!("sms")),
                &["us.regf.inconvenient_hours"],
                Next::At("2026-06-03T12:00:00Z"),
            ),
            // Spring forward: 2026-03-08 02:00 EST -> 03:00 EDT. 11:30Z is 07:30 EDT
            // (a fixed UTC-5 offset would say 06:30 and answer 13:00Z).
            deny(
                "us_dst_spring_forward_0730_edt",
                request(US, NY, "2026-03-08T11:30:00Z"),
                &["us.regf.inconvenient_hours"],
                Next::At("2026-03-08T12:00:00Z"),
            ),
            allow(
                "us_dst_spring_forward_0830_edt",
                request(US, NY, "2026-03-08T12:30:00Z"),
            ),
            // Fall back: 2026-11-01 02:00 EDT -> 01:00 EST. 12:30Z is 07:30 EST.
            deny(
                "us_dst_fall_back_0730_est",
                request(US, NY, "2026-11-01T12:30:00Z"),
                &["us.regf.inconvenient_hours"],
                Next::At("2026-11-01T13:00:00Z"),
            ),
            deny(
                "us_dst_fall_back_repeated_hour",
                request(US, NY, "2026-11-01T01:30:00-04:00"),
                &["us.regf.inconvenient_hours"],
                Next::At("2026-11-01T13:00:00Z"),
            ),
            // Ambiguous location: ET and PT -> only 11:00-21:00 ET.
            deny(
                "us_ambiguous_ny_la_1030_et",
                request(
                    US,
                    &["America/New_York", "America/Los_Angeles"],
                    "2026-06-02T10:30:00-04:00",
                ),
                &["us.regf.inconvenient_hours"],
                Next::At("2026-06-02T15:00:00Z"),
            ),
            allow(
                "us_ambiguous_ny_la_2030_et",
                request(
                    US,
                    &["America/New_York", "America/Los_Angeles"],
                    "2026-06-02T20:30:00-04:00",
                ),
            ),
            deny(
                "us_ambiguous_ny_la_2100_et",
                request(
                    US,
                    &["America/New_York", "America/Los_Angeles"],
                    "2026-06-02T21:00:00-04:00",
                ),
                &["us.regf.inconvenient_hours"],
                Next::At("2026-06-03T15:00:00Z"),
            ),
            // Unknown location: every 50-state zone; Hawaii (UTC-10) opens last at 18:00Z.
            deny(
                "us_unknown_location_all_zones",
                request(US, &[], "2026-07-15T17:30:00Z"),
                &["us.regf.inconvenient_hours"],
                Next::At("2026-07-15T18:00:00Z"),
            ),
            allow(
                "us_unknown_location_inside_all",
                request(US, &[], "2026-07-15T18:30:00Z"),
            ),
        ],
    );
}

#[test]
fn us_federal_call_frequency() {
    let debt_groups = json!([{"key": "sl-account-1", "debt_ids": ["sl-1", "sl-2"]}]);
    let student_calls: Vec<serde_json::Value> = (1..=7)
        .map(|day| {
            contact(
                &format!("2026-06-0{day}T09:00:00-04:00"),
                "phone",
                "no_answer",
            )
            .set("/debt_ids", json!([if day <= 4 { "sl-1" } else { "sl-2" }]))
        })
        .collect();
    run(
        &embedded(),
        vec![
            deny(
                "us_regf_8th_call_in_7_days",
                request(US, NY, "2026-06-06T10:00:00-04:00").history(seven_calls()),
                &["us.regf.call_frequency_7_in_7"],
                Next::At("2026-06-08T12:00:00Z"),
            ),
            allow(
                "us_regf_busy_and_not_in_service_excluded",
                request(US, NY, "2026-06-06T10:00:00-04:00").history({
                    let mut h = seven_calls();
                    h[0] = contact("2026-06-01T09:00:00-04:00", "phone", "busy");
                    h[1] = contact("2026-06-01T12:00:00-04:00", "phone", "not_in_service");
                    h
                }),
            ),
            allow(
                "us_regf_counted_per_debt_other_debt_allowed",
                request(US, NY, "2026-06-06T10:00:00-04:00")
                    .history(seven_calls())
                    .proposed("debt_ids", json!(["d2"])),
            ),
            deny(
                "us_regf_multi_debt_call_counts_for_each",
                request(US, NY, "2026-06-06T10:00:00-04:00")
                    .history(seven_calls())
                    .proposed("debt_ids", json!(["d2", "d1"])),
                &["us.regf.call_frequency_7_in_7"],
                Next::At("2026-06-08T12:00:00Z"),
            ),
            deny(
                "us_regf_student_loans_grouped",
                request(US, NY, "2026-06-07T10:00:00-04:00")
                    .history(student_calls.clone())
                    .fact("debt_groups", debt_groups)
                    .proposed("debt_ids", json!(["sl-2"])),
                &["us.regf.call_frequency_7_in_7"],
                Next::At("2026-06-08T12:00:00Z"),
            ),
            allow(
                "us_regf_student_loans_ungrouped",
                request(US, NY, "2026-06-07T10:00:00-04:00")
                    .history(student_calls)
                    .proposed("debt_ids", json!(["sl-2"])),
            ),
            allow(
                "us_regf_call_to_attorney_excluded",
                request(US, NY, "2026-06-06T10:00:00-04:00")
                    .history(seven_calls())
                    .proposed("callee_role", json!("attorney")),
            ),
            allow(
                "us_regf_direct_prior_consent_window",
                request(US, NY, "2026-06-06T10:00:00-04:00")
                    .history(seven_calls())
                    .fact(
                        "direct_prior_consent",
                        json!([{"from": "2026-06-06T09:00:00-04:00", "to": "2026-06-06T18:00:00-04:00"}]),
                    ),
            ),
            // Conversation on Mon 1 Jun at 23:30 EDT (03:30Z on 2 Jun): day 1 is the
            // LOCAL date, so calls resume Mon 8 Jun 08:00 EDT, not 9 Jun.
            deny(
                "us_regf_conversation_day_1_is_local_date",
                request(US, NY, "2026-06-07T10:00:00-04:00").history(vec![
                    contact("2026-06-01T23:30:00-04:00", "phone", "right_party_contact")
                        .set("/direction", json!("inbound"))
                        .set("/two_way", json!(true)),
                ]),
                &["us.regf.post_conversation_7_days"],
                Next::At("2026-06-08T12:00:00Z"),
            ),
            allow(
                "us_regf_conversation_window_over_day_8",
                request(US, NY, "2026-06-08T08:30:00-04:00").history(vec![contact(
                    "2026-06-01T15:00:00-04:00",
                    "phone",
                    "right_party_contact",
                )]),
            ),
            allow(
                "us_regf_conversation_does_not_block_email",
                request(US, NY, "2026-06-03T10:00:00-04:00")
                    .history(vec![contact("2026-06-01T15:00:00-04:00", "phone", "right_party_contact")])
                    .proposed("channel", json!("email")),
            ),
        ],
    );
}

#[test]
fn us_federal_consumer_state() {
    let stop = json!([{"channel": "sms", "address": "+16175550001"}]);
    run(
        &embedded(),
        vec![
            deny(
                "us_sms_stop_blocks_that_number",
                request(US, NY, "2026-06-02T10:00:00-04:00")
                    .fact("opt_outs", stop.clone())
                    .proposed("channel", json!("sms"))
                    .proposed("address", json!("+16175550001")),
                &["us.regf.electronic_opt_out"],
                Next::Never,
            ),
            allow(
                "us_sms_stop_other_number_allowed",
                request(US, NY, "2026-06-02T10:00:00-04:00")
                    .fact("opt_outs", stop.clone())
                    .proposed("channel", json!("sms"))
                    .proposed("address", json!("+16175550002")),
            ),
            allow(
                "us_sms_stop_does_not_block_email",
                request(US, NY, "2026-06-02T10:00:00-04:00")
                    .fact("opt_outs", stop)
                    .proposed("channel", json!("email"))
                    .proposed("address", json!("debtor@example.com")),
            ),
            deny(
                "us_medium_block_email",
                request(US, NY, "2026-06-02T10:00:00-04:00")
                    .fact("medium_blocks", json!(["email"]))
                    .proposed("channel", json!("email")),
                &["us.regf.medium_block"],
                Next::Never,
            ),
            deny(
                "us_cease_communication_on_debt",
                request(US, NY, "2026-06-02T10:00:00-04:00").fact("cease_communication", json!({"debt_ids": ["d1"]})),
                &["us.regf.cease_communication"],
                Next::Never,
            ),
            allow(
                "us_cease_communication_other_debt",
                request(US, NY, "2026-06-02T10:00:00-04:00")
                    .fact("cease_communication", json!({"debt_ids": ["d1"]}))
                    .proposed("debt_ids", json!(["d2"])),
            ),
            allow(
                "us_cease_termination_letter_excepted",
                request(US, NY, "2026-06-02T10:00:00-04:00")
                    .fact("cease_communication", json!({"all": true}))
                    .proposed("channel", json!("letter"))
                    .proposed("purpose", json!("cease_termination_notice")),
            ),
            deny(
                "us_attorney_represented",
                request(US, NY, "2026-06-02T10:00:00-04:00")
                    .fact("attorney_representation", json!({"debt_ids": ["d1"]})),
                &["us.regf.attorney_represented"],
                Next::Never,
            ),
            allow(
                "us_attorney_contacted_instead",
                request(US, NY, "2026-06-02T10:00:00-04:00")
                    .fact("attorney_representation", json!({"debt_ids": ["d1"]}))
                    .proposed("callee_role", json!("attorney")),
            ),
            deny(
                "us_workplace_prohibited",
                request(US, NY, "2026-06-02T10:00:00-04:00")
                    .fact("workplace_contact_prohibited", json!(true))
                    .proposed("at_workplace", json!(true)),
                &["us.regf.workplace"],
                Next::Never,
            ),
            deny(
                "us_consumer_designated_inconvenient_time",
                request(US, NY, "2026-06-02T10:00:00-04:00").fact(
                    "inconvenient_times",
                    json!([{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "12:00"}]),
                ),
                &["us.regf.consumer_inconvenient_times"],
                Next::At("2026-06-02T16:00:00Z"),
            ),
            deny(
                "us_reference_is_third_party",
                request(US, NY, "2026-06-02T10:00:00-04:00").proposed("callee_role", json!("reference")),
                &["us.regf.third_parties"],
                Next::Never,
            ),
            deny(
                "us_tcpa_consent_revoked",
                request(US, NY, "2026-06-02T10:00:00-04:00")
                    .fact("tcpa_consent_revoked", json!(["+16175550001"]))
                    .proposed("address", json!("+16175550001")),
                &["us.tcpa.consent_revoked"],
                Next::Never,
            ),
        ],
    );
}

#[test]
fn massachusetts_overlay() {
    let two_texts = vec![
        contact("2026-06-01T10:00:00-04:00", "sms", "delivered"),
        contact("2026-06-02T10:00:00-04:00", "sms", "delivered"),
    ];
    run(
        &embedded(),
        vec![
            allow(
                "ma_third_text_allowed_by_reg_f_alone",
                request(US, NY, "2026-06-03T10:00:00-04:00")
                    .history(two_texts.clone())
                    .proposed("channel", json!("sms")),
            ),
            deny(
                "ma_third_text_in_7_days_denied",
                request(US_MA, NY, "2026-06-03T10:00:00-04:00")
                    .history(two_texts.clone())
                    .proposed("channel", json!("sms")),
                &["us-ma.two_calls_or_texts_per_7_days"],
                Next::At("2026-06-08T12:00:00Z"),
            ),
            deny(
                "ma_texts_count_against_calls",
                request(US_MA, NY, "2026-06-03T10:00:00-04:00").history(two_texts.clone()),
                &["us-ma.two_calls_or_texts_per_7_days"],
                Next::At("2026-06-08T12:00:00Z"),
            ),
            allow(
                "ma_counted_per_debt",
                request(US_MA, NY, "2026-06-03T10:00:00-04:00")
                    .history(two_texts.clone())
                    .proposed("debt_ids", json!(["d2"])),
            ),
            allow(
                "ma_email_not_counted",
                request(US_MA, NY, "2026-06-03T10:00:00-04:00")
                    .history(two_texts)
                    .proposed("channel", json!("email")),
            ),
            deny(
                "ma_busy_attempts_count_by_default",
                request(US_MA, NY, "2026-06-03T10:00:00-04:00").history(vec![
                    contact("2026-06-01T10:00:00-04:00", "phone", "busy"),
                    contact("2026-06-02T10:00:00-04:00", "phone", "busy"),
                ]),
                &["us-ma.two_calls_or_texts_per_7_days"],
                Next::At("2026-06-08T12:00:00Z"),
            ),
            // The worked example in docs/COMPLIANCE.md: ambiguous ET/PT location and a
            // third text. Both the hour rule (07:30 PT) and the MA cap deny; on Mon 8 Jun
            // the 1 Jun text has left the 7-day window and 11:00 ET is 08:00 PT.
            deny(
                "ma_doc_example_ambiguous_third_text",
                request(
                    US_MA,
                    &["America/New_York", "America/Los_Angeles"],
                    "2026-06-03T10:30:00-04:00",
                )
                .history(vec![
                    contact("2026-06-01T10:00:00-04:00", "sms", "delivered"),
                    contact("2026-06-02T10:00:00-04:00", "sms", "delivered"),
                ])
                .proposed("channel", json!("sms"))
                .proposed("address", json!("+16175550001")),
                &[
                    "us.regf.inconvenient_hours",
                    "us-ma.two_calls_or_texts_per_7_days",
                ],
                Next::At("2026-06-08T15:00:00Z"),
            ),
            deny(
                "ma_state_code_implies_federal",
                request(&["US-MA"], NY, "2026-06-02T21:30:00-04:00"),
                &["us.regf.inconvenient_hours"],
                Next::At("2026-06-03T12:00:00Z"),
            ),
        ],
    );
}
