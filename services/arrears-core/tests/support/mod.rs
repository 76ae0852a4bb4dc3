//! A given/when/then harness in the style of cqrs-es `TestFramework` and
//! disintegrate `TestHarness`: history as commands that must be accepted,
//! then one command under test and its exact outcome.
#![allow(dead_code)]

use arrears_core::command::*;
use arrears_core::event::EventBody;
use arrears_core::vocabulary::*;
use arrears_core::*;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use uuid::Uuid;

pub fn usd(amount_minor: i64) -> Money {
    Money::new(amount_minor, "USD".parse().unwrap())
}
pub fn cop(amount_minor: i64) -> Money {
    Money::new(amount_minor, "COP".parse().unwrap())
}
pub fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}
pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// The fixed clock of the tests: 2026-03-02 15:00 UTC, one minute per command.
pub fn base_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 15, 0, 0).unwrap()
}

/// The shipped policy packs, loaded once per test binary.
pub fn policy() -> &'static arrears_policy::PackSet {
    static P: std::sync::OnceLock<arrears_policy::PackSet> = std::sync::OnceLock::new();
    P.get_or_init(|| arrears_policy::PackSet::embedded().expect("shipped packs are valid"))
}

pub struct Harness {
    pub state: DebtorState,
    pub events: Vec<Event>,
    pub clock: DateTime<Utc>,
    counter: u128,
}

pub struct Then {
    pub outcome: Outcome,
    pub state_before: DebtorState,
}

impl Harness {
    pub fn new() -> Self {
        Harness {
            state: DebtorState::default(),
            events: Vec::new(),
            clock: base_time(),
            counter: 0,
        }
    }

    pub fn envelope(&mut self, command: Command, key: Option<&str>) -> CommandEnvelope {
        self.counter += 1;
        self.clock += Duration::minutes(1);
        CommandEnvelope {
            command_id: Uuid::from_u128(self.counter),
            tenant: TenantId::new("t1").unwrap(),
            debtor_id: DebtorId::new("d1").unwrap(),
            issued_at: self.clock,
            correlation_id: Uuid::from_u128(1000 + self.counter),
            idempotency_key: key.map(str::to_string),
            actor: None,
            command,
        }
    }

    /// Applies a command that must be accepted (part of the history).
    pub fn given(mut self, command: Command) -> Self {
        let env = self.envelope(command, None);
        self.accept(&env);
        self
    }

    /// [`Harness::given`] for each command, in order.
    pub fn given_all(self, commands: impl IntoIterator<Item = Command>) -> Self {
        commands.into_iter().fold(self, Harness::given)
    }

    pub fn accept(&mut self, env: &CommandEnvelope) {
        match handle(&self.state, env, policy()) {
            Outcome::Accepted { events } => {
                for e in events {
                    self.state = evolve(self.state.clone(), &e);
                    self.events.push(e);
                }
            }
            other => panic!(
                "history command {} not accepted: {other:?}",
                env.command.name()
            ),
        }
    }

    /// Runs the command under test; accepted events are applied to the state.
    pub fn when(&mut self, command: Command) -> Then {
        self.when_keyed(command, None)
    }

    pub fn when_keyed(&mut self, command: Command, key: Option<&str>) -> Then {
        let env = self.envelope(command, key);
        self.when_envelope(&env)
    }

    pub fn when_envelope(&mut self, env: &CommandEnvelope) -> Then {
        let before = self.state.clone();
        let outcome = handle(&self.state, env, policy());
        if let Outcome::Accepted { events } = &outcome {
            for e in events {
                self.state = evolve(self.state.clone(), e);
                self.events.push(e.clone());
            }
        }
        Then {
            outcome,
            state_before: before,
        }
    }

    pub fn account(&self, id: &str) -> &arrears_core::state::Account {
        &self.state.accounts[&AccountId::new(id).unwrap()]
    }
}

impl Then {
    /// The accepted event bodies, in order.
    pub fn events(&self) -> Vec<EventBody> {
        match &self.outcome {
            Outcome::Accepted { events } => events.iter().map(|e| e.body.clone()).collect(),
            other => panic!("expected accepted, got {other:?}"),
        }
    }

    pub fn rejected(&self) -> Rejection {
        match &self.outcome {
            Outcome::Rejected { rejection } => rejection.clone(),
            other => panic!("expected a rejection, got {other:?}"),
        }
    }
}

// ---- command builders ----------------------------------------------------

pub fn register(jurisdiction: &str, tz: &str) -> Command {
    Command::RegisterDebtor(RegisterDebtor {
        jurisdiction: jurisdiction.into(),
        time_zone: tz.into(),
        locale: "en-US".into(),
        display_name: Some("Ana Pérez".into()),
        contact_points: vec![ContactPoint {
            channel: Channel::Sms,
            address: "+15555550100".into(),
            consented: true,
        }],
    })
}

pub fn open(account: &str, principal: Money, due: &str) -> Command {
    Command::OpenAccount(OpenAccount {
        account_id: AccountId::new(account).unwrap(),
        principal,
        due_date: Some(date(due)),
        schedule: vec![],
        external_ref: Some(format!("INV-{account}")),
        product: Some("loan".into()),
    })
}

pub fn open_schedule(account: &str, principal: Money, schedule: &[(&str, i64)]) -> Command {
    Command::OpenAccount(OpenAccount {
        account_id: AccountId::new(account).unwrap(),
        principal,
        due_date: None,
        schedule: schedule
            .iter()
            .map(|(d, a)| Instalment {
                due_date: date(d),
                amount_minor: *a,
            })
            .collect(),
        external_ref: None,
        product: None,
    })
}

pub fn charge(account: &str, id: &str, amount: Money, due: Option<&str>) -> Command {
    Command::ApplyCharge(ApplyCharge {
        account_id: AccountId::new(account).unwrap(),
        charge_id: arrears_core::ids::ChargeId::new(id).unwrap(),
        kind: ChargeKind::LateFee,
        amount,
        due_date: due.map(date),
        description: None,
    })
}

pub fn pay(id: &str, amount: Money, account: Option<&str>) -> Command {
    Command::RecordPayment(RecordPayment {
        payment_id: arrears_core::ids::PaymentId::new(id).unwrap(),
        amount,
        method: PaymentMethod::BankTransfer,
        received_at: at("2026-03-02T12:00:00Z"),
        external_ref: None,
        account_id: account.map(|a| AccountId::new(a).unwrap()),
    })
}

pub fn reverse(id: &str) -> Command {
    Command::ReversePayment(ReversePayment {
        payment_id: arrears_core::ids::PaymentId::new(id).unwrap(),
        reason: "chargeback".into(),
    })
}

pub fn promise(id: &str, account: &str, amount: Money, due: &str) -> Command {
    Command::MakePromise(MakePromise {
        promise_id: arrears_core::ids::PromiseId::new(id).unwrap(),
        account_id: AccountId::new(account).unwrap(),
        amount,
        due_date: date(due),
        agent: Some("agent-7".into()),
    })
}

pub fn contact(id: &str, accounts: &[&str], outcome: ContactOutcome) -> Command {
    Command::RecordContactAttempt(RecordContactAttempt {
        attempt_id: arrears_core::ids::AttemptId::new(id).unwrap(),
        channel: Channel::Phone,
        direction: Direction::Outbound,
        outcome,
        account_ids: accounts
            .iter()
            .map(|a| AccountId::new(*a).unwrap())
            .collect(),
        two_way: outcome == ContactOutcome::RightPartyContact,
        occurred_at: at("2026-03-02T14:30:00Z"),
        agent: Some("agent-7".into()),
        address: Some("+15555550100".into()),
        callee_role: CalleeRole::Debtor,
        request_id: None,
    })
}

pub fn dispute(id: &str, account: &str) -> Command {
    Command::OpenDispute(OpenDispute {
        dispute_id: arrears_core::ids::DisputeId::new(id).unwrap(),
        account_id: AccountId::new(account).unwrap(),
        reason: "amount not recognised".into(),
    })
}

pub fn resolve(id: &str, resolution: DisputeResolution) -> Command {
    Command::ResolveDispute(ResolveDispute {
        dispute_id: arrears_core::ids::DisputeId::new(id).unwrap(),
        resolution,
        note: None,
    })
}

/// A registered US debtor with account `a1` (USD 1,000.00 due 2026-01-15)
/// and `a2` (USD 500.00 due 2026-02-15).
pub fn two_accounts() -> Harness {
    Harness::new()
        .given(register("US-MA", "America/New_York"))
        .given(open("a1", usd(100_000), "2026-01-15"))
        .given(open("a2", usd(50_000), "2026-02-15"))
}

pub fn request(id: &str, channel: Channel, at: Option<&str>) -> Command {
    Command::RequestContact(RequestContact {
        request_id: arrears_core::ids::AttemptId::new(id).unwrap(),
        channel,
        address: Some("+573001234567".into()),
        account_ids: vec![],
        callee_role: CalleeRole::Debtor,
        at: at.map(self::at),
        at_workplace: false,
        agent: Some("agent-7".into()),
    })
}

/// A Colombian debtor (Ley 2300: 1 contact a day, Mon–Fri 07–19) who
/// authorised SMS and phone, with one account.
pub fn colombian() -> Harness {
    Harness::new()
        .given(Command::RegisterDebtor(RegisterDebtor {
            jurisdiction: "CO".into(),
            time_zone: "America/Bogota".into(),
            locale: "es-CO".into(),
            display_name: None,
            contact_points: vec![
                ContactPoint {
                    channel: Channel::Sms,
                    address: "+573001234567".into(),
                    consented: true,
                },
                ContactPoint {
                    channel: Channel::Phone,
                    address: "+573001234567".into(),
                    consented: true,
                },
            ],
        }))
        .given(open("a1", cop(100_000_000), "2026-02-01"))
}
