//! Property: replaying the events of any command sequence reproduces the
//! state the ledger had, and the money invariants hold at every step.

mod support;

use arrears_core::cloudevents;
use arrears_core::command::*;
use arrears_core::event::EventBody;
use arrears_core::vocabulary::*;
use arrears_core::*;
use proptest::prelude::*;
use support::*;

fn arb_command() -> impl Strategy<Value = Command> {
    let account = prop::sample::select(vec!["a1", "a2", "a3"]);
    let id = prop::sample::select(vec!["x1", "x2", "x3", "x4"]);
    let amount = prop_oneof![Just(-100i64), Just(0i64), 1i64..60_000];
    let money = (amount, prop::bool::weighted(0.9))
        .prop_map(|(a, is_usd)| if is_usd { usd(a) } else { cop(a) });
    let due = prop::sample::select(vec!["2026-01-10", "2026-02-10", "2026-03-10", "2026-04-10"]);
    prop_oneof![
        1 => Just(register("US", "America/New_York")),
        3 => (account.clone(), money.clone(), due.clone()).prop_map(|(a, m, d)| open(a, m, d)),
        2 => (account.clone(), id.clone(), money.clone()).prop_map(|(a, i, m)| charge(a, i, m, None)),
        5 => (id.clone(), money.clone(), prop::option::of(account.clone()))
            .prop_map(|(i, m, a)| pay(i, m, a)),
        2 => id.clone().prop_map(reverse),
        2 => (id.clone(), account.clone(), money.clone(), due.clone())
            .prop_map(|(i, a, m, _)| promise(i, a, m, "2026-05-01")),
        1 => (id.clone(), account.clone()).prop_map(|(i, a)| contact(i, &[a], ContactOutcome::NoAnswer)),
        1 => (id.clone(), account.clone()).prop_map(|(i, a)| dispute(i, a)),
        1 => id.clone().prop_map(|i| resolve(i, DisputeResolution::Withdrawn)),
        // The compliance side of the stream: gate requests (allowed ones are
        // reservations in the state), after-the-fact attempts carrying them
        // out, opt-outs, cease requests and contact restrictions.
        2 => (id.clone(), prop::sample::select(vec![Channel::Phone, Channel::Sms, Channel::Email]),
              prop::sample::select(vec![None, Some("2026-03-02T14:00:00Z"), Some("2026-03-03T02:00:00Z")]))
            .prop_map(|(i, ch, at)| request(i, ch, at)),
        1 => (id.clone(), id.clone()).prop_map(|(i, r)| carry_out(i, r)),
        1 => prop::sample::select(vec![Channel::Sms, Channel::Email])
            .prop_map(|channel| Command::RecordOptOut(RecordOptOut {
                channel,
                address: Some("+15555550100".into()),
                source: None,
            })),
        1 => prop::option::of(account.clone()).prop_map(|a| {
            Command::RecordCeaseCommunication(RecordCeaseCommunication {
                account_ids: a.into_iter().map(|a| AccountId::new(a).unwrap()).collect(),
                received_via: None,
            })
        }),
        1 => arb_restriction().prop_map(|restriction| {
            Command::RecordContactRestriction(RecordContactRestriction { restriction, source: None })
        }),
    ]
}

/// An outbound call reported after the fact that carries out request `r`
/// (which may not exist, be denied, or be fulfilled already).
fn carry_out(id: &str, r: &str) -> Command {
    Command::RecordContactAttempt(RecordContactAttempt {
        attempt_id: ids::AttemptId::new(format!("att-{id}")).unwrap(),
        channel: Channel::Phone,
        direction: Direction::Outbound,
        outcome: ContactOutcome::RightPartyContact,
        account_ids: vec![],
        two_way: true,
        occurred_at: at("2026-03-02T15:30:00Z"),
        agent: Some("agent-7".into()),
        address: Some("+573001234567".into()),
        callee_role: CalleeRole::Debtor,
        request_id: Some(ids::AttemptId::new(r).unwrap()),
    })
}

fn arb_restriction() -> impl Strategy<Value = ContactRestriction> {
    use arrears_policy::{ClockTime, Day};
    prop_oneof![
        prop::option::of(prop::sample::select(vec!["a1", "a2", "nope"])).prop_map(|a| {
            ContactRestriction::AttorneyRepresentation {
                account_ids: a.into_iter().map(|a| AccountId::new(a).unwrap()).collect(),
            }
        }),
        (8u16..20, 1u16..4).prop_map(|(h, len)| ContactRestriction::InconvenientTime {
            days: vec![Day::Mon, Day::Tue],
            start: ClockTime::from_minutes(h * 60).unwrap(),
            end: ClockTime::from_minutes((h + len) * 60).unwrap(),
        }),
        Just(ContactRestriction::MediumBlock {
            channel: Channel::Email
        }),
        Just(ContactRestriction::WorkplaceContactProhibited),
        Just(ContactRestriction::AdditionalTimeZone {
            time_zone: "America/Los_Angeles".into(),
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn replay_reproduces_state(commands in prop::collection::vec(arb_command(), 1..60)) {
        let mut h = Harness::new().given(register("US", "America/New_York"));
        for c in commands {
            let _ = h.when(c);
            // Money invariants after every step.
            for a in h.state.accounts.values() {
                for item in &a.items {
                    prop_assert!(item.paid_minor >= 0 && item.paid_minor <= item.amount_minor);
                }
                prop_assert_eq!(
                    a.balance_minor(),
                    a.principal_minor + a.charges_minor() - a.paid_minor()
                );
            }
            for c in h.state.credit.values() {
                prop_assert!(*c >= 0);
            }
        }
        for e in &h.events {
            if let EventBody::PaymentReceived(p) = &e.body {
                let allocated: i64 = p.allocations.iter().map(|a| a.amount_minor).sum();
                prop_assert_eq!(allocated + p.unapplied_minor, p.amount.amount_minor);
            }
        }
        // Replay through the wire format, as a rebuilt ledger would.
        let replayed = h.events.iter().fold(DebtorState::default(), |s, e| {
            let decoded = cloudevents::decode(&cloudevents::encode(e)).unwrap();
            evolve(s, &decoded)
        });
        prop_assert_eq!(&replayed, &h.state);
        prop_assert_eq!(replayed.version, h.events.len() as u64);
    }
}
