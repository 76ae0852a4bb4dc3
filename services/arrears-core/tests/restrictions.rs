//! Standing contact restrictions reach the compliance gate: each kind of
//! restriction turns a contact the US packs would otherwise allow into a
//! denial naming the rule, both for a request to the gate and for an attempt
//! reported after the fact. The debtor is `two_accounts()`: US-MA,
//! America/New_York, accounts `a1` and `a2`; 2026-03-02 is a Monday (EST,
//! UTC-5), so 15:30 UTC is 10:30 local.

mod support;

use arrears_core::command::*;
use arrears_core::event::{ContactDecided, EventBody};
use arrears_core::ids::{AccountId, AttemptId};
use arrears_core::vocabulary::*;
use arrears_core::*;
use arrears_policy::{ClockTime, Day, Verdict};
use support::*;

const NUMBER: &str = "+15555550100";

fn restrict(restriction: ContactRestriction) -> Command {
    Command::RecordContactRestriction(RecordContactRestriction {
        restriction,
        source: Some("call".into()),
    })
}

/// A phone call (SMS/e-mail where named) to the debtor's number at `at`
/// about `accounts`.
fn ask(id: &str, channel: Channel, at: &str, accounts: &[&str], workplace: bool) -> Command {
    Command::RequestContact(RequestContact {
        request_id: AttemptId::new(id).unwrap(),
        channel,
        address: Some(NUMBER.into()),
        account_ids: accounts
            .iter()
            .map(|a| AccountId::new(*a).unwrap())
            .collect(),
        callee_role: CalleeRole::Debtor,
        at: Some(support::at(at)),
        at_workplace: workplace,
        agent: Some("agent-7".into()),
    })
}

fn invalid(field: &str, reason: &str) -> Rejection {
    Rejection::InvalidField {
        field: field.into(),
        reason: reason.into(),
    }
}

fn decision(h: &mut Harness, command: Command) -> ContactDecided {
    match h.when(command).events().remove(0) {
        EventBody::ContactDecided(d) => d,
        other => panic!("{other:?}"),
    }
}

const MONDAY_1030: &str = "2026-03-02T15:30:00Z";

#[test]
fn without_restrictions_the_reference_call_is_allowed() {
    let mut h = two_accounts();
    let d = decision(
        &mut h,
        ask("r1", Channel::Phone, MONDAY_1030, &["a1"], true),
    );
    assert_eq!(d.decision.verdict, Verdict::Allow);
    assert_eq!(d.decision.zones_considered, vec!["America/New_York"]);
}

#[test]
fn attorney_representation_denies_contact_about_the_represented_debt_only() {
    let mut h = two_accounts().given(restrict(ContactRestriction::AttorneyRepresentation {
        account_ids: vec![AccountId::new("a1").unwrap()],
    }));
    let d = decision(
        &mut h,
        ask("r1", Channel::Phone, MONDAY_1030, &["a1"], false),
    );
    assert_eq!(d.decision.verdict, Verdict::Deny);
    assert_eq!(
        d.decision.denying_rule_ids(),
        vec!["us.regf.attorney_represented"]
    );
    assert_eq!(d.decision.next_allowed_at, None);
    // A contact that names no debt may concern a1: denied too.
    let d = decision(&mut h, ask("r2", Channel::Phone, MONDAY_1030, &[], false));
    assert_eq!(
        d.decision.denying_rule_ids(),
        vec!["us.regf.attorney_represented"]
    );
    // a2 is not represented.
    let d = decision(
        &mut h,
        ask("r3", Channel::Phone, MONDAY_1030, &["a2"], false),
    );
    assert_eq!(d.decision.verdict, Verdict::Allow);
}

#[test]
fn representation_on_every_debt_covers_an_account_opened_later() {
    let mut h = two_accounts()
        .given(restrict(ContactRestriction::AttorneyRepresentation {
            account_ids: vec![],
        }))
        .given(open("a3", usd(20_000), "2026-02-20"));
    for (id, account) in [("r1", "a1"), ("r2", "a2"), ("r3", "a3")] {
        let d = decision(
            &mut h,
            ask(id, Channel::Phone, MONDAY_1030, &[account], false),
        );
        assert_eq!(
            d.decision.denying_rule_ids(),
            vec!["us.regf.attorney_represented"],
            "{account}"
        );
    }
}

#[test]
fn an_inconvenient_time_denies_until_it_ends() {
    let mut h = two_accounts().given(restrict(ContactRestriction::InconvenientTime {
        days: vec![Day::Mon],
        start: ClockTime::parse("09:00").unwrap(),
        end: ClockTime::parse("11:00").unwrap(),
    }));
    let d = decision(
        &mut h,
        ask("r1", Channel::Phone, MONDAY_1030, &["a1"], false),
    );
    assert_eq!(
        d.decision.denying_rule_ids(),
        vec!["us.regf.consumer_inconvenient_times"]
    );
    // 11:00 EST = 16:00 UTC.
    assert_eq!(d.decision.next_allowed_at, Some(at("2026-03-02T16:00:00Z")));
    // Tuesday at the same hour is fine.
    let d = decision(
        &mut h,
        ask("r2", Channel::Phone, "2026-03-03T15:30:00Z", &["a1"], false),
    );
    assert_eq!(d.decision.verdict, Verdict::Allow);
}

#[test]
fn a_medium_block_denies_that_medium_only() {
    let mut h = two_accounts().given(restrict(ContactRestriction::MediumBlock {
        channel: Channel::Email,
    }));
    let d = decision(
        &mut h,
        ask("r1", Channel::Email, MONDAY_1030, &["a1"], false),
    );
    assert_eq!(d.decision.denying_rule_ids(), vec!["us.regf.medium_block"]);
    assert_eq!(d.decision.next_allowed_at, None);
    let d = decision(
        &mut h,
        ask("r2", Channel::Phone, MONDAY_1030, &["a1"], false),
    );
    assert_eq!(d.decision.verdict, Verdict::Allow);
}

#[test]
fn a_workplace_prohibition_denies_contact_at_work_only() {
    let mut h = two_accounts().given(restrict(ContactRestriction::WorkplaceContactProhibited));
    let d = decision(
        &mut h,
        ask("r1", Channel::Phone, MONDAY_1030, &["a1"], true),
    );
    assert_eq!(d.decision.denying_rule_ids(), vec!["us.regf.workplace"]);
    let d = decision(
        &mut h,
        ask("r2", Channel::Phone, MONDAY_1030, &["a1"], false),
    );
    assert_eq!(d.decision.verdict, Verdict::Allow);
}

#[test]
fn a_tcpa_revocation_denies_that_number() {
    let mut h = two_accounts().given(restrict(ContactRestriction::TcpaConsentRevoked {
        address: NUMBER.into(),
    }));
    let d = decision(&mut h, ask("r1", Channel::Sms, MONDAY_1030, &["a1"], false));
    assert_eq!(
        d.decision.denying_rule_ids(),
        vec!["us.tcpa.consent_revoked"]
    );
}

#[test]
fn an_additional_time_zone_narrows_the_window_to_both_zones() {
    // 08:30 in New York is inside 08:00-21:00, but it is 05:30 in Los Angeles.
    let early = "2026-03-02T13:30:00Z";
    let mut alone = two_accounts();
    let d = decision(&mut alone, ask("r1", Channel::Phone, early, &["a1"], false));
    assert_eq!(d.decision.verdict, Verdict::Allow);

    let mut h = two_accounts().given(restrict(ContactRestriction::AdditionalTimeZone {
        time_zone: "America/Los_Angeles".into(),
    }));
    let d = decision(&mut h, ask("r1", Channel::Phone, early, &["a1"], false));
    assert_eq!(
        d.decision.denying_rule_ids(),
        vec!["us.regf.inconvenient_hours"]
    );
    assert_eq!(
        d.decision.zones_considered,
        vec!["America/New_York", "America/Los_Angeles"]
    );
    // 08:00 in Los Angeles = 16:00 UTC.
    assert_eq!(d.decision.next_allowed_at, Some(at("2026-03-02T16:00:00Z")));
}

#[test]
fn an_attempt_reported_after_the_fact_against_a_restriction_is_flagged() {
    let mut h = two_accounts().given(restrict(ContactRestriction::AttorneyRepresentation {
        account_ids: vec![],
    }));
    let events = h
        .when(Command::RecordContactAttempt(RecordContactAttempt {
            attempt_id: AttemptId::new("c1").unwrap(),
            channel: Channel::Phone,
            direction: Direction::Outbound,
            outcome: ContactOutcome::NoAnswer,
            account_ids: vec![AccountId::new("a1").unwrap()],
            two_way: false,
            occurred_at: at(MONDAY_1030),
            agent: Some("dialer".into()),
            address: Some(NUMBER.into()),
            callee_role: CalleeRole::Debtor,
            request_id: None,
        }))
        .events();
    match &events[0] {
        EventBody::ContactAttempted(a) => {
            let v = a.violation.as_ref().expect("flagged");
            let ids: Vec<&str> = v.rules.iter().map(|r| r.rule_id.as_str()).collect();
            assert_eq!(ids, vec!["us.regf.attorney_represented"]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn restrictions_are_facts_of_the_state_and_replay() {
    let h = two_accounts()
        .given(restrict(ContactRestriction::WorkplaceContactProhibited))
        .given(restrict(ContactRestriction::MediumBlock {
            channel: Channel::Sms,
        }));
    assert_eq!(h.state.restrictions.len(), 2);
    assert_eq!(h.state.version, 5);
    let replayed = h.events.iter().fold(DebtorState::default(), evolve);
    assert_eq!(replayed, h.state);
}

#[test]
fn bad_restrictions_are_rejected_with_the_field() {
    let cases: Vec<(ContactRestriction, Rejection)> = vec![
        (
            ContactRestriction::AttorneyRepresentation {
                account_ids: vec![AccountId::new("nope").unwrap()],
            },
            Rejection::UnknownAccount {
                account_id: AccountId::new("nope").unwrap(),
            },
        ),
        (
            ContactRestriction::InconvenientTime {
                days: vec![],
                start: ClockTime::parse("09:00").unwrap(),
                end: ClockTime::parse("10:00").unwrap(),
            },
            invalid("restriction.days", "must name at least one day"),
        ),
        (
            ContactRestriction::InconvenientTime {
                days: vec![Day::Tue],
                start: ClockTime::parse("09:00").unwrap(),
                end: ClockTime::parse("09:00").unwrap(),
            },
            invalid(
                "restriction.end",
                "must differ from start (an empty span restricts nothing)",
            ),
        ),
        (
            ContactRestriction::TcpaConsentRevoked {
                address: "  ".into(),
            },
            invalid("restriction.address", "must not be empty"),
        ),
        (
            ContactRestriction::AdditionalTimeZone {
                time_zone: "Mars/Olympus".into(),
            },
            invalid(
                "restriction.time_zone",
                "`Mars/Olympus` is not an IANA time zone",
            ),
        ),
    ];
    for (restriction, expected) in cases {
        let mut h = two_accounts();
        let then = h.when(restrict(restriction));
        assert_eq!(then.rejected(), expected);
        assert_eq!(h.state.version, 3, "nothing appended");
    }
}
