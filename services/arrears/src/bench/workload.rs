//! The benchmarks' workload: a seeded, exactly-sized mix of commands the
//! domain accepts.
//!
//! Unlike the demo portfolio (whose length depends on simulated time), a
//! benchmark needs an exact command count spread evenly over an exact debtor
//! count. Each debtor is registered first and gets an account; the rest of
//! its quota is a mix of contact attempts, payments, promises and charges.
//! Every candidate is decided against a shadow [`DebtorState`] with the real
//! core ([`handle`]) and replaced by a contact attempt (always acceptable)
//! if the domain would reject it, so the ledger does real work (events, not
//! rejections) for every command. The same seed yields the same commands,
//! byte for byte.

use arrears_core::command::*;
use arrears_core::ids::*;
use arrears_core::vocabulary::*;
use arrears_core::{CommandEnvelope, Currency, DebtorState, Money, Outcome, TenantId, handle};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

/// A market: where a debtor lives and what currency its debt is in.
struct Market {
    jurisdiction: &'static str,
    zone: &'static str,
    locale: &'static str,
    currency: &'static str,
    /// Principal range in minor units.
    principal: (i64, i64),
}

const MARKETS: &[Market] = &[
    Market {
        jurisdiction: "US",
        zone: "America/New_York",
        locale: "en-US",
        currency: "USD",
        principal: (20_000, 1_500_000),
    },
    Market {
        jurisdiction: "CO",
        zone: "America/Bogota",
        locale: "es-CO",
        currency: "COP",
        principal: (20_000_000, 2_000_000_000),
    },
    Market {
        jurisdiction: "MX",
        zone: "America/Mexico_City",
        locale: "es-MX",
        currency: "MXN",
        principal: (100_000, 10_000_000),
    },
    Market {
        jurisdiction: "BR-SP",
        zone: "America/Sao_Paulo",
        locale: "pt-BR",
        currency: "BRL",
        principal: (20_000, 2_000_000),
    },
    Market {
        jurisdiction: "ES",
        zone: "Europe/Madrid",
        locale: "es-ES",
        currency: "EUR",
        principal: (10_000, 1_000_000),
    },
];

/// One debtor's commands, in the order they must be decided.
pub struct Script {
    pub commands: Vec<CommandEnvelope>,
}

/// How many commands each debtor gets: `total / debtors`, the remainder
/// spread one each over the first debtors. Fails when a debtor would get
/// fewer than the two set-up commands (register, open account).
pub fn quotas(total: usize, debtors: usize) -> anyhow::Result<Vec<usize>> {
    anyhow::ensure!(debtors > 0, "--debtors must be at least 1");
    anyhow::ensure!(
        total >= 2 * debtors,
        "{total} commands over {debtors} debtors leaves fewer than 2 per debtor \
         (each debtor is registered and gets an account first)"
    );
    let (base, extra) = (total / debtors, total % debtors);
    Ok((0..debtors)
        .map(|i| base + usize::from(i < extra))
        .collect())
}

/// Generates one script per debtor; debtor `i` gets `quotas[i]` commands.
/// Simulated time for each debtor starts somewhere in the `spread_days`
/// days before `start` and advances between commands (it is data, as in the
/// demo). Commands that go through the HTTP gateway are stamped with the
/// wall clock instead, so they need `start` = now and no spread: a promise
/// must not fall due before the gateway's today.
pub fn generate(
    tenant: &TenantId,
    quotas: &[usize],
    start: DateTime<Utc>,
    spread_days: i64,
    seed: u64,
) -> Vec<Script> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    quotas
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let back = if spread_days > 0 {
                rng.random_range(0..spread_days)
            } else {
                0
            };
            Generator::new(tenant, i, start - Duration::days(back), &mut rng).run(n, &mut rng)
        })
        .collect()
}

/// A uniformly random interleaving of the scripts that keeps each debtor's
/// order: `(debtor index, command index)` pairs. This is what many clients
/// working on many debtors at once look like to the ledger.
pub fn interleave(scripts: &[Script], seed: u64) -> Vec<(u32, u32)> {
    let mut slots: Vec<u32> = scripts
        .iter()
        .enumerate()
        .flat_map(|(i, s)| std::iter::repeat_n(i as u32, s.commands.len()))
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_1e4e);
    slots.shuffle(&mut rng);
    let mut next = vec![0u32; scripts.len()];
    slots
        .into_iter()
        .map(|d| {
            let k = next[d as usize];
            next[d as usize] += 1;
            (d, k)
        })
        .collect()
}

/// Builds one debtor's commands against a shadow state.
struct Generator {
    tenant: TenantId,
    debtor: DebtorId,
    market: &'static Market,
    state: DebtorState,
    clock: DateTime<Utc>,
    commands: Vec<CommandEnvelope>,
    counter: u32,
}

impl Generator {
    fn new(tenant: &TenantId, i: usize, start: DateTime<Utc>, rng: &mut ChaCha8Rng) -> Generator {
        Generator {
            tenant: tenant.clone(),
            debtor: DebtorId::new(format!("B{i:07}")).expect("valid id"),
            market: &MARKETS[rng.random_range(0..MARKETS.len())],
            state: DebtorState::default(),
            clock: start,
            commands: Vec::new(),
            counter: 0,
        }
    }

    fn currency(&self) -> Currency {
        self.market.currency.parse().expect("known currency")
    }

    fn account(&self) -> AccountId {
        AccountId::new(format!("{}-A1", self.debtor)).expect("valid id")
    }

    fn next_id(&self, prefix: &str) -> String {
        format!("{}-{prefix}{}", self.debtor, self.counter + 1)
    }

    /// The debtor's local calendar day at the simulated clock (promise due
    /// dates are checked against it).
    fn local_date(&self) -> NaiveDate {
        let tz: chrono_tz::Tz = self.market.zone.parse().expect("valid zone");
        self.clock.with_timezone(&tz).date_naive()
    }

    /// Keeps `command` if the domain accepts it against the shadow state.
    fn try_command(&mut self, rng: &mut ChaCha8Rng, command: Command) -> bool {
        let mut bytes = [0u8; 16];
        rng.fill(&mut bytes);
        let envelope = CommandEnvelope {
            command_id: uuid::Builder::from_random_bytes(bytes).into_uuid(),
            tenant: self.tenant.clone(),
            debtor_id: self.debtor.clone(),
            issued_at: self.clock,
            correlation_id: Uuid::from_u128(u128::from_be_bytes(bytes) ^ 1),
            idempotency_key: Some(format!("bench:{}:{}", self.debtor, self.counter + 1)),
            actor: Some("bench".into()),
            command,
        };
        match handle(&self.state, &envelope, crate::bench::workload::policy()) {
            Outcome::Accepted { events } => {
                for e in &events {
                    self.state.apply(e);
                }
                self.commands.push(envelope);
                self.counter += 1;
                true
            }
            _ => false,
        }
    }

    fn run(mut self, n: usize, rng: &mut ChaCha8Rng) -> Script {
        let register = Command::RegisterDebtor(RegisterDebtor {
            jurisdiction: self.market.jurisdiction.into(),
            time_zone: self.market.zone.into(),
            locale: self.market.locale.into(),
            display_name: Some(format!("Bench Debtor {}", self.debtor)),
            contact_points: vec![
                ContactPoint {
                    channel: Channel::Phone,
                    address: format!("+1555{:07}", rng.random_range(0..10_000_000)),
                    consented: true,
                },
                ContactPoint {
                    channel: Channel::Email,
                    address: format!("{}@example.com", self.debtor.as_str().to_lowercase()),
                    consented: true,
                },
            ],
        });
        assert!(self.try_command(rng, register), "registration is accepted");
        let (lo, hi) = self.market.principal;
        let principal = rng.random_range(lo..hi);
        self.clock += Duration::minutes(rng.random_range(1..90));
        let open = Command::OpenAccount(OpenAccount {
            account_id: self.account(),
            principal: Money::new(principal, self.currency()),
            due_date: Some(self.local_date() + Duration::days(rng.random_range(10..45))),
            schedule: vec![],
            external_ref: Some(format!("INV-{}", self.debtor)),
            product: Some("personal_loan".into()),
        });
        assert!(self.try_command(rng, open), "the account opens");
        while self.commands.len() < n {
            self.clock += Duration::minutes(rng.random_range(60..72 * 60));
            let candidate = match rng.random_range(0..100u32) {
                0..=39 => None,
                40..=64 => Some(self.payment(rng)),
                65..=79 => self.promise(rng),
                _ => Some(self.charge()),
            };
            let accepted = candidate.is_some_and(|c| self.try_command(rng, c));
            if !accepted {
                let contact = self.contact(rng);
                assert!(self.try_command(rng, contact), "a contact is accepted");
            }
        }
        Script {
            commands: self.commands,
        }
    }

    fn contact(&self, rng: &mut ChaCha8Rng) -> Command {
        let phone = rng.random_bool(0.6);
        let (channel, outcome) = if phone {
            (
                Channel::Phone,
                [
                    ContactOutcome::NoAnswer,
                    ContactOutcome::VoicemailReached,
                    ContactOutcome::RightPartyContact,
                    ContactOutcome::Busy,
                ][rng.random_range(0..4)],
            )
        } else {
            (
                Channel::Email,
                [ContactOutcome::Delivered, ContactOutcome::Read][rng.random_range(0..2)],
            )
        };
        Command::RecordContactAttempt(RecordContactAttempt {
            attempt_id: AttemptId::new(self.next_id("C")).expect("valid id"),
            channel,
            direction: Direction::Outbound,
            outcome,
            account_ids: vec![self.account()],
            two_way: outcome == ContactOutcome::RightPartyContact,
            occurred_at: self.clock,
            agent: phone.then(|| format!("agent-{:02}", rng.random_range(1..=12))),
            address: None,
            callee_role: CalleeRole::Debtor,
            request_id: None,
        })
    }

    /// A part payment (5–30 % of what is outstanding; a token amount once
    /// the debt is paid, which the core records as unapplied credit).
    fn payment(&self, rng: &mut ChaCha8Rng) -> Command {
        let outstanding = self.state.outstanding_minor(self.currency());
        let amount = (outstanding * rng.random_range(5..=30) / 100).max(100);
        Command::RecordPayment(RecordPayment {
            payment_id: PaymentId::new(self.next_id("P")).expect("valid id"),
            amount: Money::new(amount, self.currency()),
            method: [
                PaymentMethod::Card,
                PaymentMethod::BankTransfer,
                PaymentMethod::Cash,
            ][rng.random_range(0..3)],
            received_at: self.clock - Duration::minutes(rng.random_range(0..600)),
            external_ref: Some(format!("TX{:010}", rng.random_range(0..10_000_000_000i64))),
            account_id: None,
        })
    }

    /// A promise for part of the balance; `None` when the account has none.
    fn promise(&self, rng: &mut ChaCha8Rng) -> Option<Command> {
        let balance = self.state.accounts.get(&self.account())?.balance_minor();
        (balance > 0).then(|| {
            Command::MakePromise(MakePromise {
                promise_id: PromiseId::new(self.next_id("PR")).expect("valid id"),
                account_id: self.account(),
                amount: Money::new(
                    (balance * rng.random_range(20..=100) / 100).max(1),
                    self.currency(),
                ),
                due_date: self.local_date() + Duration::days(rng.random_range(3..21)),
                agent: Some(format!("agent-{:02}", rng.random_range(1..=12))),
            })
        })
    }

    fn charge(&self) -> Command {
        let principal = self
            .state
            .accounts
            .get(&self.account())
            .map_or(100, |a| a.principal_minor);
        Command::ApplyCharge(ApplyCharge {
            account_id: self.account(),
            charge_id: ChargeId::new(self.next_id("F")).expect("valid id"),
            kind: ChargeKind::LateFee,
            amount: Money::new((principal / 50).max(1), self.currency()),
            due_date: None,
            description: Some("late fee".into()),
        })
    }
}

/// The shipped policy packs (the compliance gate decides contacts with them).
pub fn policy() -> &'static arrears_policy::PackSet {
    static P: std::sync::OnceLock<arrears_policy::PackSet> = std::sync::OnceLock::new();
    P.get_or_init(|| arrears_policy::PackSet::embedded().expect("shipped packs are valid"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant() -> TenantId {
        TenantId::new("bench").unwrap()
    }

    #[test]
    fn exact_counts_and_every_command_accepted_in_order() {
        let q = quotas(1_003, 100).unwrap();
        assert_eq!(q.iter().sum::<usize>(), 1_003);
        let start = crate::demo::anchor();
        let scripts = generate(&tenant(), &q, start, 400, 42);
        let mut kinds = std::collections::BTreeSet::new();
        for (s, n) in scripts.iter().zip(&q) {
            assert_eq!(s.commands.len(), *n);
            let mut state = DebtorState::default();
            for c in &s.commands {
                kinds.insert(c.command.name());
                match handle(&state, c, policy()) {
                    Outcome::Accepted { events } => events.iter().for_each(|e| state.apply(e)),
                    other => panic!("{} rejected: {other:?}", c.command.name()),
                }
            }
        }
        assert_eq!(kinds.len(), 6, "{kinds:?}");
    }

    #[test]
    fn the_same_seed_gives_the_same_commands_and_interleaving_keeps_order() {
        let q = quotas(500, 50).unwrap();
        let start = crate::demo::anchor();
        let a = generate(&tenant(), &q, start, 400, 7);
        let b = generate(&tenant(), &q, start, 400, 7);
        assert!(a.iter().zip(&b).all(|(x, y)| x.commands == y.commands));
        let order = interleave(&a, 7);
        assert_eq!(order.len(), 500);
        let mut seen = vec![0u32; a.len()];
        for (d, k) in order {
            assert_eq!(seen[d as usize], k, "per-debtor order kept");
            seen[d as usize] += 1;
        }
    }

    #[test]
    fn too_few_commands_per_debtor_is_refused() {
        assert!(quotas(10, 6).is_err());
        assert!(quotas(10, 0).is_err());
    }
}
