//! The compliance gate inside the aggregate: decisions are events, allowed
//! contacts are reservations, and attempts reported after the fact are
//! judged and flagged, never dropped.

mod support;

use arrears_core::command::*;
use arrears_core::event::{ContactDecided, EventBody};
use arrears_core::ids::AttemptId;
use arrears_core::vocabulary::*;
use arrears_core::*;
use arrears_policy::Verdict;
use support::*;

fn decided(events: &[EventBody]) -> &ContactDecided {
    match &events[0] {
        EventBody::ContactDecided(d) => d,
        other => panic!("{other:?}"),
    }
}

fn attempt(id: &str, channel: Channel, at: &str, request: Option<&str>) -> Command {
    Command::RecordContactAttempt(RecordContactAttempt {
        attempt_id: AttemptId::new(id).unwrap(),
        channel,
        direction: Direction::Outbound,
        outcome: ContactOutcome::NoAnswer,
        account_ids: vec![],
        two_way: false,
        occurred_at: support::at(at),
        agent: None,
        address: Some("+573001234567".into()),
        callee_role: CalleeRole::Debtor,
        request_id: request.map(|r| AttemptId::new(r).unwrap()),
    })
}

#[test]
fn an_allowed_contact_is_a_reservation_the_next_request_sees() {
    // Monday 2026-03-02, 10:03 in Bogotá: inside Ley 2300's hours.
    let mut h = colombian();
    let first = h.when(request("r1", Channel::Phone, None)).events();
    let d = decided(&first);
    assert_eq!(d.decision.verdict, Verdict::Allow);
    assert_eq!(d.proposed_at, at("2026-03-02T15:03:00Z"));
    assert_eq!(d.decision.tzdata_version, arrears_policy::tzdata_version());
    assert_eq!(d.decision.packs[0].id, "co");
    assert!(
        !d.decision.rules.is_empty(),
        "the decision names the rules it applied"
    );
    // The second request the same day: one contact a day, so denied, with
    // the next lawful moment: Tuesday 07:00 in Bogotá = 12:00 UTC.
    let second = h.when(request("r2", Channel::Sms, None)).events();
    let d = decided(&second);
    assert_eq!(d.decision.verdict, Verdict::Deny);
    assert_eq!(
        d.decision.denying_rule_ids(),
        vec!["co.one_contact_per_day"]
    );
    assert_eq!(d.decision.next_allowed_at, Some(at("2026-03-03T12:00:00Z")));
    let r2 = &h.state.contact_requests[&AttemptId::new("r2").unwrap()];
    assert!(!r2.allowed);
    assert_eq!(
        r2.denial.as_ref().unwrap().rules[0].rule_id,
        "co.one_contact_per_day"
    );
}

#[test]
fn a_request_outside_hours_is_denied_with_the_next_lawful_moment() {
    let mut h = colombian();
    // Sunday 2026-03-08 10:00 Bogotá: no collection contact on Sundays.
    let events = h
        .when(request("r1", Channel::Phone, Some("2026-03-08T15:00:00Z")))
        .events();
    let d = decided(&events);
    assert_eq!(d.decision.verdict, Verdict::Deny);
    // Monday 07:00 Bogotá.
    assert_eq!(d.decision.next_allowed_at, Some(at("2026-03-09T12:00:00Z")));
}

#[test]
fn an_attempt_carrying_out_a_request_fulfils_it() {
    let mut h = colombian();
    h.when(request("r1", Channel::Phone, None)).events();
    let events = h
        .when(attempt(
            "c1",
            Channel::Phone,
            "2026-03-02T15:10:00Z",
            Some("r1"),
        ))
        .events();
    match &events[0] {
        EventBody::ContactAttempted(a) => {
            assert_eq!(a.request_id, Some(AttemptId::new("r1").unwrap()));
            assert_eq!(a.violation, None);
        }
        other => panic!("{other:?}"),
    }
    assert!(h.state.contact_requests[&AttemptId::new("r1").unwrap()].fulfilled);
    assert_eq!(
        h.when(attempt(
            "c2",
            Channel::Phone,
            "2026-03-02T15:11:00Z",
            Some("r1")
        ))
        .rejected(),
        Rejection::ContactRequestAlreadyFulfilled {
            request_id: AttemptId::new("r1").unwrap()
        }
    );
    assert_eq!(
        h.when(attempt(
            "c3",
            Channel::Phone,
            "2026-03-02T15:11:00Z",
            Some("zz")
        ))
        .rejected(),
        Rejection::UnknownContactRequest {
            request_id: AttemptId::new("zz").unwrap()
        }
    );
    assert_eq!(
        h.when(request("r1", Channel::Phone, None)).rejected(),
        Rejection::ContactRequestAlreadyExists {
            request_id: AttemptId::new("r1").unwrap()
        }
    );
}

#[test]
fn a_contact_made_despite_a_denial_is_flagged_with_the_denial() {
    let mut h = colombian();
    h.when(request("r1", Channel::Phone, Some("2026-03-08T15:00:00Z")))
        .events();
    let events = h
        .when(attempt(
            "c1",
            Channel::Phone,
            "2026-03-08T15:02:00Z",
            Some("r1"),
        ))
        .events();
    match &events[0] {
        EventBody::ContactAttempted(a) => {
            let v = a.violation.as_ref().expect("flagged");
            assert!(
                v.rules
                    .iter()
                    .all(|r| r.outcome == arrears_policy::RuleOutcome::Deny)
            );
            assert!(!v.rules.is_empty());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_attempt_reported_after_the_fact_is_judged_and_never_dropped() {
    let mut h = colombian();
    // A dialer log: a call at 21:30 Bogotá (02:30 UTC next day), after hours.
    let events = h
        .when(attempt("c1", Channel::Phone, "2026-03-03T02:30:00Z", None))
        .events();
    let v = match &events[0] {
        EventBody::ContactAttempted(a) => a.violation.clone().expect("flagged"),
        other => panic!("{other:?}"),
    };
    assert_eq!(v.packs[0].id, "co");
    assert!(
        v.rules.iter().any(|r| r.rule_id.starts_with("co.")),
        "{:?}",
        v.rules
    );
    assert_eq!(h.state.contacts.len(), 1, "recorded, not dropped");
    // An in-hours call the next day is clean.
    let events = h
        .when(attempt("c2", Channel::Phone, "2026-03-03T15:00:00Z", None))
        .events();
    match &events[0] {
        EventBody::ContactAttempted(a) => assert_eq!(a.violation, None),
        other => panic!("{other:?}"),
    }
    // A third one the same day breaks the one-contact-a-day rule.
    let events = h
        .when(attempt("c3", Channel::Phone, "2026-03-03T16:00:00Z", None))
        .events();
    match &events[0] {
        EventBody::ContactAttempted(a) => assert_eq!(
            a.violation.as_ref().unwrap().rules[0].rule_id,
            "co.one_contact_per_day"
        ),
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_sms_stop_denies_that_number_only() {
    let mut h = colombian();
    h.when(Command::RecordOptOut(RecordOptOut {
        channel: Channel::Sms,
        address: Some("+573001234567".into()),
        source: Some("sms_stop".into()),
    }))
    .events();
    let events = h.when(request("r1", Channel::Sms, None)).events();
    let d = decided(&events);
    assert_eq!(d.decision.verdict, Verdict::Deny);
    assert_eq!(d.decision.next_allowed_at, None, "an opt-out is permanent");
    // The phone channel is still allowed.
    let events = h.when(request("r2", Channel::Phone, None)).events();
    assert_eq!(decided(&events).decision.verdict, Verdict::Allow);
}

#[test]
fn the_reply_carries_the_decision() {
    let mut h = colombian();
    let env = h.envelope(request("r1", Channel::Phone, None), None);
    let outcome = handle(&h.state, &env, policy());
    let reply = Reply::new(&env, &outcome);
    match reply.result {
        ReplyResult::Accepted {
            decision: Some(d), ..
        } => assert_eq!(d.verdict, Verdict::Allow),
        other => panic!("{other:?}"),
    }
}

#[test]
fn two_requests_for_the_same_instant_cannot_both_pass() {
    let mut h = colombian();
    let at = Some("2026-03-02T15:30:00Z");
    let first = h.when(request("r1", Channel::Phone, at)).events();
    assert_eq!(decided(&first).decision.verdict, Verdict::Allow);
    let second = h.when(request("r2", Channel::Phone, at)).events();
    assert_eq!(decided(&second).decision.verdict, Verdict::Deny);
    assert_eq!(
        decided(&second).decision.denying_rule_ids(),
        vec!["co.one_contact_per_day"]
    );
}
