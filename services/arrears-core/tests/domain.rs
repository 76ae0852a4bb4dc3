//! Given/when/then tests of every command and every rejection, with exact values.

mod support;

use arrears_core::command::*;
use arrears_core::event::*;
use arrears_core::ids::*;
use arrears_core::state::{AccountStatus, PromiseStatus};
use arrears_core::vocabulary::*;
use arrears_core::*;
use support::*;

fn acc(id: &str) -> AccountId {
    AccountId::new(id).unwrap()
}

// ---- register debtor -----------------------------------------------------

#[test]
fn register_debtor_records_profile() {
    let mut h = Harness::new();
    let then = h.when(register("CO", "America/Bogota"));
    let events = then.events();
    assert_eq!(events.len(), 1);
    match &events[0] {
        EventBody::DebtorRegistered(e) => {
            assert_eq!(e.jurisdiction, "CO");
            assert_eq!(e.time_zone, "America/Bogota");
            assert_eq!(e.contact_points.len(), 1);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(h.state.version, 1);
    assert_eq!(
        h.state.profile.as_ref().unwrap().time_zone,
        "America/Bogota"
    );
}

#[test]
fn register_twice_is_rejected() {
    let mut h = Harness::new().given(register("CO", "America/Bogota"));
    assert_eq!(
        h.when(register("CO", "America/Bogota")).rejected(),
        Rejection::DebtorAlreadyRegistered
    );
}

#[test]
fn register_rejects_bad_time_zone_jurisdiction_and_locale() {
    let mut h = Harness::new();
    let r = h.when(register("CO", "Mars/Olympus")).rejected();
    assert_eq!(r.code(), "invalid_field");
    assert_eq!(r.field().as_deref(), Some("time_zone"));
    let r = h.when(register("colombia", "America/Bogota")).rejected();
    assert_eq!(r.field().as_deref(), Some("jurisdiction"));
    let mut bad_locale = register("US", "America/Chicago");
    if let Command::RegisterDebtor(c) = &mut bad_locale {
        c.locale = "en US".into();
    }
    assert_eq!(
        h.when(bad_locale).rejected().field().as_deref(),
        Some("locale")
    );
    assert_eq!(h.state.version, 0, "nothing was appended");
}

#[test]
fn commands_on_an_unregistered_debtor_are_rejected() {
    let mut h = Harness::new();
    assert_eq!(
        h.when(open("a1", usd(100), "2026-04-01")).rejected(),
        Rejection::UnknownDebtor
    );
    assert_eq!(
        h.when(pay("p1", usd(100), None)).rejected(),
        Rejection::UnknownDebtor
    );
}

// ---- open account --------------------------------------------------------

#[test]
fn open_account_with_single_due_date_is_a_one_line_schedule() {
    let mut h = Harness::new().given(register("US", "America/Chicago"));
    let events = h.when(open("a1", usd(25_000), "2026-04-01")).events();
    match &events[0] {
        EventBody::AccountOpened(e) => {
            assert_eq!(e.schedule.len(), 1);
            assert_eq!(e.schedule[0].amount_minor, 25_000);
            assert_eq!(e.schedule[0].due_date, date("2026-04-01"));
        }
        other => panic!("{other:?}"),
    }
    let a = h.account("a1");
    assert_eq!(a.balance_minor(), 25_000);
    assert_eq!(a.status(), AccountStatus::Open);
    assert_eq!(a.oldest_unpaid_due_date(), Some(date("2026-04-01")));
}

#[test]
fn open_account_with_instalments() {
    let mut h = Harness::new().given(register("US", "America/Chicago"));
    h.when(open_schedule(
        "a1",
        usd(30_000),
        &[
            ("2026-04-01", 10_000),
            ("2026-05-01", 10_000),
            ("2026-06-01", 10_000),
        ],
    ))
    .events();
    assert_eq!(h.account("a1").items.len(), 3);
    assert_eq!(h.account("a1").balance_minor(), 30_000);
}

#[test]
fn open_account_rejections() {
    let mut h = Harness::new()
        .given(register("US", "America/Chicago"))
        .given(open("a1", usd(100), "2026-04-01"));
    assert_eq!(
        h.when(open("a1", usd(100), "2026-04-01")).rejected(),
        Rejection::AccountAlreadyExists {
            account_id: acc("a1")
        }
    );
    assert_eq!(
        h.when(open("a2", usd(0), "2026-04-01")).rejected(),
        Rejection::NonPositiveAmount {
            field: "principal.amount_minor".into()
        }
    );
    assert_eq!(
        h.when(open("a2", usd(-5), "2026-04-01")).rejected().code(),
        "non_positive_amount"
    );
    let r = h
        .when(open_schedule(
            "a2",
            usd(300),
            &[("2026-04-01", 100), ("2026-05-01", 100)],
        ))
        .rejected();
    assert_eq!(
        r,
        Rejection::InvalidField {
            field: "schedule".into(),
            reason: "instalments add up to 200 but the principal is 300".into()
        }
    );
    let r = h
        .when(open_schedule(
            "a2",
            usd(200),
            &[("2026-05-01", 100), ("2026-04-01", 100)],
        ))
        .rejected();
    assert_eq!(r.field().as_deref(), Some("schedule[1].due_date"));
    let r = h
        .when(open_schedule(
            "a2",
            usd(200),
            &[("2026-04-01", 200), ("2026-05-01", 0)],
        ))
        .rejected();
    assert_eq!(
        r,
        Rejection::NonPositiveAmount {
            field: "schedule[1].amount_minor".into()
        }
    );
    let mut neither = open("a2", usd(100), "2026-04-01");
    if let Command::OpenAccount(c) = &mut neither {
        c.due_date = None;
    }
    assert_eq!(
        h.when(neither).rejected().field().as_deref(),
        Some("due_date")
    );
}

// ---- charges -------------------------------------------------------------

#[test]
fn charge_adds_an_item_and_defaults_due_date_to_local_today() {
    let mut h = two_accounts();
    // The harness clock is 2026-03-02 15:xx UTC = 10:xx in New York.
    let events = h.when(charge("a1", "fee1", usd(2_500), None)).events();
    match &events[0] {
        EventBody::ChargeApplied(e) => assert_eq!(e.due_date, date("2026-03-02")),
        other => panic!("{other:?}"),
    }
    let a = h.account("a1");
    assert_eq!(a.charges_minor(), 2_500);
    assert_eq!(a.balance_minor(), 102_500);
}

#[test]
fn charge_rejections() {
    let mut h = two_accounts().given(charge("a1", "fee1", usd(100), None));
    assert_eq!(
        h.when(charge("zz", "fee2", usd(100), None)).rejected(),
        Rejection::UnknownAccount {
            account_id: acc("zz")
        }
    );
    assert_eq!(
        h.when(charge("a1", "fee2", usd(0), None)).rejected(),
        Rejection::NonPositiveAmount {
            field: "amount.amount_minor".into()
        }
    );
    assert_eq!(
        h.when(charge("a1", "fee2", cop(100), None)).rejected(),
        Rejection::CurrencyMismatch {
            field: "amount.currency".into(),
            expected: "USD".parse().unwrap(),
            actual: "COP".parse().unwrap()
        }
    );
    assert_eq!(
        h.when(charge("a2", "fee1", usd(100), None)).rejected(),
        Rejection::ChargeAlreadyApplied {
            charge_id: ChargeId::new("fee1").unwrap()
        }
    );
    assert_eq!(
        h.when(charge("a1", "fee3", usd(i64::MAX), None)).rejected(),
        Rejection::AmountOverflow {
            field: "amount.amount_minor".into()
        }
    );
}

// ---- payments: allocation, partial payments, reversals --------------------

#[test]
fn payment_is_allocated_oldest_due_first_across_accounts() {
    // a1: 1,000.00 due Jan 15; a2: 500.00 due Feb 15; fee on a2 due Jan 31.
    let mut h = two_accounts().given(charge("a2", "fee1", usd(3_000), Some("2026-01-31")));
    let events = h.when(pay("p1", usd(110_000), None)).events();
    match &events[0] {
        EventBody::PaymentReceived(e) => {
            assert_eq!(
                e.allocations,
                vec![
                    // Jan 15: all of a1 (100,000)
                    Allocation {
                        account_id: acc("a1"),
                        item: 0,
                        amount_minor: 100_000
                    },
                    // Jan 31: the fee on a2 (3,000)
                    Allocation {
                        account_id: acc("a2"),
                        item: 1,
                        amount_minor: 3_000
                    },
                    // Feb 15: the rest, 110,000 - 103,000 = 7,000 of a2's principal
                    Allocation {
                        account_id: acc("a2"),
                        item: 0,
                        amount_minor: 7_000
                    },
                ]
            );
            assert_eq!(e.unapplied_minor, 0);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(h.account("a1").balance_minor(), 0);
    assert_eq!(h.account("a1").status(), AccountStatus::Paid);
    // a2: 50,000 + 3,000 - 10,000 = 43,000
    assert_eq!(h.account("a2").balance_minor(), 43_000);
    assert_eq!(
        h.account("a2").oldest_unpaid_due_date(),
        Some(date("2026-02-15"))
    );
}

#[test]
fn partial_payments_and_a_reversal_give_exact_balances() {
    let mut h = two_accounts();
    h.when(pay("p1", usd(30_000), None)).events(); // a1: 100,000 -> 70,000
    h.when(pay("p2", usd(20_000), Some("a2"))).events(); // a2 named: 50,000 -> 30,000
    h.when(pay("p3", usd(5_000), None)).events(); // a1 again (oldest): 70,000 -> 65,000
    assert_eq!(h.account("a1").balance_minor(), 65_000);
    assert_eq!(h.account("a2").balance_minor(), 30_000);

    let events = h.when(reverse("p1")).events();
    match &events[0] {
        EventBody::PaymentReversed(e) => {
            assert_eq!(e.amount, usd(30_000));
            assert_eq!(
                e.allocations,
                vec![Allocation {
                    account_id: acc("a1"),
                    item: 0,
                    amount_minor: 30_000
                }]
            );
        }
        other => panic!("{other:?}"),
    }
    // a1: 65,000 + 30,000 = 95,000; a2 untouched
    assert_eq!(h.account("a1").balance_minor(), 95_000);
    assert_eq!(h.account("a1").paid_minor(), 5_000);
    assert_eq!(h.account("a2").balance_minor(), 30_000);
    assert!(h.state.payments[&PaymentId::new("p1").unwrap()].reversed);
}

#[test]
fn overpayment_is_kept_as_credit_and_reversal_removes_it() {
    let mut h = two_accounts();
    let events = h.when(pay("p1", usd(160_000), None)).events();
    match &events[0] {
        EventBody::PaymentReceived(e) => assert_eq!(e.unapplied_minor, 10_000),
        other => panic!("{other:?}"),
    }
    assert_eq!(h.state.credit[&"USD".parse().unwrap()], 10_000);
    assert_eq!(h.state.outstanding_minor("USD".parse().unwrap()), 0);
    h.when(reverse("p1")).events();
    assert_eq!(h.state.credit[&"USD".parse().unwrap()], 0);
    assert_eq!(h.state.outstanding_minor("USD".parse().unwrap()), 150_000);
}

#[test]
fn payment_rejections() {
    let mut h = two_accounts().given(pay("p1", usd(100), None));
    assert_eq!(
        h.when(pay("p1", usd(100), None)).rejected(),
        Rejection::PaymentAlreadyApplied {
            payment_id: PaymentId::new("p1").unwrap()
        }
    );
    assert_eq!(
        h.when(pay("p2", usd(0), None)).rejected(),
        Rejection::NonPositiveAmount {
            field: "amount.amount_minor".into()
        }
    );
    assert_eq!(
        h.when(pay("p2", usd(-100), None)).rejected().code(),
        "non_positive_amount"
    );
    assert_eq!(
        h.when(pay("p2", cop(100), None)).rejected(),
        Rejection::NoAccountInCurrency {
            currency: "COP".parse().unwrap()
        }
    );
    assert_eq!(
        h.when(pay("p2", cop(100), Some("a1"))).rejected(),
        Rejection::CurrencyMismatch {
            field: "amount.currency".into(),
            expected: "USD".parse().unwrap(),
            actual: "COP".parse().unwrap()
        }
    );
    assert_eq!(
        h.when(pay("p2", usd(100), Some("nope"))).rejected(),
        Rejection::UnknownAccount {
            account_id: acc("nope")
        }
    );
}

#[test]
fn reversal_rejections() {
    let mut h = two_accounts()
        .given(pay("p1", usd(100), None))
        .given(reverse("p1"));
    assert_eq!(
        h.when(reverse("p1")).rejected(),
        Rejection::PaymentAlreadyReversed {
            payment_id: PaymentId::new("p1").unwrap()
        }
    );
    assert_eq!(
        h.when(reverse("p9")).rejected(),
        Rejection::UnknownPayment {
            payment_id: PaymentId::new("p9").unwrap()
        }
    );
    let mut empty_reason = reverse("p1");
    if let Command::ReversePayment(c) = &mut empty_reason {
        c.reason = "  ".into();
        c.payment_id = PaymentId::new("p2").unwrap();
    }
    let mut h = two_accounts().given(pay("p2", usd(100), None));
    assert_eq!(
        h.when(empty_reason).rejected().field().as_deref(),
        Some("reason")
    );
}

// ---- promises ------------------------------------------------------------

#[test]
fn promise_is_made_and_kept_by_the_payment_that_completes_it() {
    let mut h = two_accounts();
    h.when(promise("pr1", "a2", usd(20_000), "2026-03-20"))
        .events();
    assert_eq!(
        h.state.open_promise_on(&acc("a2")).unwrap().amount,
        usd(20_000)
    );
    // 12,000 to a2 counts toward the promise but does not complete it.
    let events = h.when(pay("p1", usd(12_000), Some("a2"))).events();
    assert_eq!(events.len(), 1);
    // A payment allocated to a1 (oldest due) does not count toward a2's promise.
    assert_eq!(h.when(pay("p2", usd(5_000), None)).events().len(), 1);
    let events = h.when(pay("p3", usd(8_000), Some("a2"))).events();
    assert_eq!(events.len(), 2);
    match &events[1] {
        EventBody::PromiseKept(e) => {
            assert_eq!(e.promise_id, PromiseId::new("pr1").unwrap());
            assert_eq!(e.paid_minor, 20_000); // 12,000 + 8,000
            assert_eq!(e.payment_id, PaymentId::new("p3").unwrap());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        h.state.promises[&PromiseId::new("pr1").unwrap()].status,
        PromiseStatus::Kept
    );
    assert!(h.state.open_promise_on(&acc("a2")).is_none());
}

#[test]
fn promise_rejections() {
    let mut h = two_accounts()
        .given(pay("p1", usd(100_000), Some("a1")))
        .given(promise("pr1", "a2", usd(1_000), "2026-03-10"));
    assert_eq!(
        h.when(promise("pr1", "a2", usd(1_000), "2026-03-10"))
            .rejected(),
        Rejection::PromiseAlreadyExists {
            promise_id: PromiseId::new("pr1").unwrap()
        }
    );
    assert_eq!(
        h.when(promise("pr2", "a1", usd(1_000), "2026-03-10"))
            .rejected(),
        Rejection::PromiseOnClosedAccount {
            account_id: acc("a1")
        }
    );
    assert_eq!(
        h.when(promise("pr2", "a2", usd(1_000), "2026-03-10"))
            .rejected(),
        Rejection::PromiseAlreadyOpen {
            account_id: acc("a2"),
            promise_id: PromiseId::new("pr1").unwrap()
        }
    );
    let mut h = two_accounts();
    assert_eq!(
        h.when(promise("pr2", "a2", usd(50_001), "2026-03-10"))
            .rejected(),
        Rejection::PromiseExceedsBalance {
            account_id: acc("a2"),
            balance_minor: 50_000,
            amount_minor: 50_001
        }
    );
    assert_eq!(
        h.when(promise("pr2", "a2", usd(100), "2026-03-01"))
            .rejected(),
        Rejection::PromiseDueInPast {
            due_date: date("2026-03-01"),
            today: date("2026-03-02")
        }
    );
    assert_eq!(
        h.when(promise("pr2", "a2", cop(100), "2026-03-10"))
            .rejected()
            .code(),
        "currency_mismatch"
    );
    assert_eq!(
        h.when(promise("pr2", "a9", usd(100), "2026-03-10"))
            .rejected(),
        Rejection::UnknownAccount {
            account_id: acc("a9")
        }
    );
    assert_eq!(
        h.when(promise("pr2", "a2", usd(0), "2026-03-10"))
            .rejected()
            .code(),
        "non_positive_amount"
    );
    // Due today (in the debtor's zone) is fine.
    h.when(promise("pr2", "a2", usd(100), "2026-03-02"))
        .events();
}

// ---- contacts, disputes, opt-outs, cease ----------------------------------

#[test]
fn contact_attempt_is_recorded_with_its_details() {
    let mut h = two_accounts();
    let events = h
        .when(contact(
            "c1",
            &["a1", "a2"],
            ContactOutcome::RightPartyContact,
        ))
        .events();
    match &events[0] {
        EventBody::ContactAttempted(e) => {
            assert_eq!(e.account_ids, vec![acc("a1"), acc("a2")]);
            assert!(e.two_way);
            assert_eq!(e.outcome, ContactOutcome::RightPartyContact);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(h.state.contacts.len(), 1);
    assert_eq!(
        h.when(contact("c1", &["a1"], ContactOutcome::Busy))
            .rejected(),
        Rejection::ContactAttemptAlreadyRecorded {
            attempt_id: AttemptId::new("c1").unwrap()
        }
    );
    assert_eq!(
        h.when(contact("c2", &["a1", "x"], ContactOutcome::Busy))
            .rejected(),
        Rejection::UnknownAccount {
            account_id: acc("x")
        }
    );
}

#[test]
fn dispute_lifecycle() {
    let mut h = two_accounts();
    h.when(dispute("d1", "a1")).events();
    assert!(h.state.open_dispute_on(&acc("a1")).is_some());
    assert_eq!(
        h.when(dispute("d2", "a1")).rejected(),
        Rejection::DisputeAlreadyOpen {
            account_id: acc("a1"),
            dispute_id: DisputeId::new("d1").unwrap()
        }
    );
    assert_eq!(
        h.when(dispute("d1", "a2")).rejected(),
        Rejection::DisputeAlreadyExists {
            dispute_id: DisputeId::new("d1").unwrap()
        }
    );
    assert_eq!(
        h.when(dispute("d3", "zz")).rejected(),
        Rejection::UnknownAccount {
            account_id: acc("zz")
        }
    );
    let events = h
        .when(resolve("d1", DisputeResolution::RejectedDebtStands))
        .events();
    match &events[0] {
        EventBody::DisputeResolved(e) => assert_eq!(e.account_id, acc("a1")),
        other => panic!("{other:?}"),
    }
    assert!(h.state.open_dispute_on(&acc("a1")).is_none());
    assert_eq!(
        h.when(resolve("d1", DisputeResolution::Withdrawn))
            .rejected(),
        Rejection::DisputeAlreadyResolved {
            dispute_id: DisputeId::new("d1").unwrap()
        }
    );
    assert_eq!(
        h.when(resolve("d9", DisputeResolution::Withdrawn))
            .rejected(),
        Rejection::UnknownDispute {
            dispute_id: DisputeId::new("d9").unwrap()
        }
    );
    // A new dispute may be opened once the first is resolved.
    h.when(dispute("d4", "a1")).events();
}

#[test]
fn opt_out_and_cease_communication_are_recorded() {
    let mut h = two_accounts();
    h.when(Command::RecordOptOut(RecordOptOut {
        channel: Channel::Sms,
        address: Some("+15555550100".into()),
        source: Some("sms_stop".into()),
    }))
    .events();
    h.when(Command::RecordOptOut(RecordOptOut {
        channel: Channel::Email,
        address: None,
        source: None,
    }))
    .events();
    assert_eq!(h.state.opt_outs.len(), 2);
    assert_eq!(h.state.opt_outs[1].address, None);
    let r = h
        .when(Command::RecordOptOut(RecordOptOut {
            channel: Channel::Sms,
            address: Some(" ".into()),
            source: None,
        }))
        .rejected();
    assert_eq!(r.field().as_deref(), Some("address"));

    h.when(Command::RecordCeaseCommunication(
        RecordCeaseCommunication {
            account_ids: vec![acc("a2")],
            received_via: Some("letter".into()),
        },
    ))
    .events();
    assert_eq!(h.state.cease_requests[0].account_ids, vec![acc("a2")]);
    let r = h
        .when(Command::RecordCeaseCommunication(
            RecordCeaseCommunication {
                account_ids: vec![acc("nope")],
                received_via: None,
            },
        ))
        .rejected();
    assert_eq!(
        r,
        Rejection::UnknownAccount {
            account_id: acc("nope")
        }
    );
}

// ---- idempotency ---------------------------------------------------------

#[test]
fn repeated_idempotency_key_returns_the_original_outcome_and_appends_nothing() {
    let mut h = two_accounts();
    let first = h.when_keyed(pay("p1", usd(1_000), None), Some("key-1"));
    let refs = first.outcome.event_refs();
    assert_eq!(refs.len(), 1);
    let version = h.state.version;
    // The retry has a new command id and time (a new HTTP request) but the same body.
    let retry = h.when_keyed(pay("p1", usd(1_000), None), Some("key-1"));
    match &retry.outcome {
        Outcome::Duplicate { original } => {
            assert_eq!(original.events, refs);
            assert_eq!(original.command_id, uuid::Uuid::from_u128(4));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(h.state.version, version);
    assert_eq!(h.account("a1").balance_minor(), 99_000);
}

#[test]
fn idempotency_key_with_a_different_body_is_rejected() {
    let mut h = two_accounts();
    h.when_keyed(pay("p1", usd(1_000), None), Some("key-1"))
        .events();
    assert_eq!(
        h.when_keyed(pay("p1", usd(2_000), None), Some("key-1"))
            .rejected(),
        Rejection::IdempotencyKeyReused {
            key: "key-1".into()
        }
    );
    let r = h
        .when_keyed(pay("p2", usd(2_000), None), Some("bad key"))
        .rejected();
    assert_eq!(r.field().as_deref(), Some("Idempotency-Key"));
}

#[test]
fn event_envelopes_are_deterministic_and_sequenced() {
    let mut a = two_accounts();
    let mut b = two_accounts();
    let ea = a.when(pay("p1", usd(1_000), None));
    let eb = b.when(pay("p1", usd(1_000), None));
    assert_eq!(
        ea.outcome, eb.outcome,
        "same command, same state: same events, same ids"
    );
    match ea.outcome {
        Outcome::Accepted { events } => {
            assert_eq!(events[0].sequence, 4);
            assert_eq!(events[0].id.get_version_num(), 7);
            assert_eq!(events[0].key(), "t1/d1");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn cloudevents_record_round_trips() {
    let h = two_accounts().given(pay("p1", usd(1_000), None));
    for e in &h.events {
        let rec = arrears_core::cloudevents::encode(e);
        assert_eq!(rec.header("ce_type"), Some(e.event_type()));
        assert_eq!(rec.header("ce_subject"), Some("d1"));
        assert_eq!(rec.header("ce_tenantid"), Some("t1"));
        assert_eq!(
            rec.header("ce_sequence"),
            Some(e.sequence.to_string().as_str())
        );
        assert_eq!(&arrears_core::cloudevents::decode(&rec).unwrap(), e);
    }
    let mut bad = arrears_core::cloudevents::encode(&h.events[0]);
    bad.value = b"{not json".to_vec();
    assert!(matches!(
        arrears_core::cloudevents::decode(&bad),
        Err(DecodeError::BadPayload { .. })
    ));
}
