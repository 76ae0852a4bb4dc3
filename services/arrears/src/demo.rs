//! A reproducible synthetic portfolio for `arrears dev --demo`.
//!
//! Debtors in nine jurisdictions and eight currencies, with accounts (some in
//! instalments), late fees, contact attempts, promises, payments, reversals,
//! disputes, opt-outs and cease requests, spread over the year before the
//! demo's anchor date. A seeded ChaCha RNG makes the same seed produce the
//! same portfolio, byte for byte. Each candidate command is first decided
//! against a shadow state with the real domain core, so the generator only
//! emits commands the ledger will accept, and the history is coherent (no
//! payment before its account, no promise on a paid account).
//!
//! Time is data here too: each command carries a simulated `issued_at`, the
//! way a gateway would have stamped it on that day.

use std::time::Instant;

use arrears_core::command::*;
use arrears_core::ids::*;
use arrears_core::vocabulary::*;
use arrears_core::{CommandEnvelope, DebtorState, Money, Outcome, ReplyResult, TenantId, handle};
use arrears_ledger::{CommandSubmitter, EmbeddedLedger};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use futures::StreamExt;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

/// The shipped policy packs (the demo decides with the real gate).
fn policy() -> &'static arrears_policy::PackSet {
    static P: std::sync::OnceLock<arrears_policy::PackSet> = std::sync::OnceLock::new();
    P.get_or_init(|| arrears_policy::PackSet::embedded().expect("shipped packs are valid"))
}

/// The demo's "today": histories end before it.
pub fn anchor() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap()
}

struct Market {
    jurisdiction: &'static str,
    zones: &'static [&'static str],
    locale: &'static str,
    currency: &'static str,
    /// Principal range in minor units.
    principal: (i64, i64),
    weight: u32,
}

const MARKETS: &[Market] = &[
    Market {
        jurisdiction: "US",
        zones: &[
            "America/New_York",
            "America/Chicago",
            "America/Denver",
            "America/Los_Angeles",
        ],
        locale: "en-US",
        currency: "USD",
        principal: (20_000, 1_500_000),
        weight: 22,
    },
    Market {
        jurisdiction: "US-MA",
        zones: &["America/New_York"],
        locale: "en-US",
        currency: "USD",
        principal: (20_000, 1_000_000),
        weight: 6,
    },
    Market {
        jurisdiction: "CO",
        zones: &["America/Bogota"],
        locale: "es-CO",
        currency: "COP",
        principal: (20_000_000, 2_000_000_000),
        weight: 20,
    },
    Market {
        jurisdiction: "MX",
        zones: &["America/Mexico_City", "America/Tijuana"],
        locale: "es-MX",
        currency: "MXN",
        principal: (100_000, 10_000_000),
        weight: 14,
    },
    Market {
        jurisdiction: "PE",
        zones: &["America/Lima"],
        locale: "es-PE",
        currency: "PEN",
        principal: (20_000, 2_000_000),
        weight: 8,
    },
    Market {
        jurisdiction: "CL",
        zones: &["America/Santiago"],
        locale: "es-CL",
        currency: "CLP",
        principal: (50_000, 5_000_000),
        weight: 8,
    },
    Market {
        jurisdiction: "BR-SP",
        zones: &["America/Sao_Paulo"],
        locale: "pt-BR",
        currency: "BRL",
        principal: (20_000, 2_000_000),
        weight: 10,
    },
    Market {
        jurisdiction: "ES",
        zones: &["Europe/Madrid"],
        locale: "es-ES",
        currency: "EUR",
        principal: (10_000, 1_000_000),
        weight: 7,
    },
    Market {
        jurisdiction: "GB",
        zones: &["Europe/London"],
        locale: "en-GB",
        currency: "GBP",
        principal: (10_000, 1_000_000),
        weight: 5,
    },
];

const FIRST_NAMES: &[&str] = &[
    "Ana",
    "Luis",
    "María",
    "John",
    "Grace",
    "Camila",
    "Mateo",
    "Sofía",
    "Oliver",
    "Valentina",
    "Diego",
    "Emma",
    "João",
    "Lucía",
    "Noah",
];
const LAST_NAMES: &[&str] = &[
    "García",
    "Smith",
    "Rodríguez",
    "Silva",
    "López",
    "Johnson",
    "Martínez",
    "Pérez",
    "Brown",
    "Gómez",
    "Santos",
    "Díaz",
];

pub struct SeedSummary {
    pub debtors: usize,
    pub commands: usize,
    pub rejected: usize,
    pub elapsed_ms: u64,
}

/// Generates the whole portfolio: one ordered command list per debtor.
pub fn generate(tenant: &TenantId, debtors: usize, seed: u64) -> Vec<Vec<CommandEnvelope>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..debtors)
        .map(|i| DebtorScript::new(tenant.clone(), i, &mut rng).run(&mut rng))
        .collect()
}

/// Generates the portfolio and submits it to the ledger, debtors in parallel
/// and each debtor's commands in order.
pub async fn seed(
    ledger: &EmbeddedLedger,
    tenant: &TenantId,
    debtors: usize,
    seed: u64,
) -> anyhow::Result<SeedSummary> {
    let started = Instant::now();
    let scripts = generate(tenant, debtors, seed);
    let commands: usize = scripts.iter().map(Vec::len).sum();
    tracing::info!(debtors, commands, "seeding the demo portfolio");
    let results: Vec<anyhow::Result<usize>> = futures::stream::iter(scripts)
        .map(|script| async move {
            let mut rejected = 0;
            for envelope in script {
                let reply = ledger.submit(envelope).await?;
                if let ReplyResult::Rejected { message, .. } = &reply.result {
                    tracing::warn!(debtor = %reply.debtor_id, command = %reply.command, %message, "demo command rejected");
                    rejected += 1;
                }
            }
            Ok(rejected)
        })
        .buffer_unordered(256)
        .collect()
        .await;
    let mut rejected = 0;
    for r in results {
        rejected += r?;
    }
    Ok(SeedSummary {
        debtors,
        commands,
        rejected,
        elapsed_ms: started.elapsed().as_millis() as u64,
    })
}

/// Builds one debtor's history against a shadow state.
struct DebtorScript {
    tenant: TenantId,
    debtor: DebtorId,
    state: DebtorState,
    clock: DateTime<Utc>,
    commands: Vec<CommandEnvelope>,
    market: &'static Market,
    zone: &'static str,
    counter: u32,
}

impl DebtorScript {
    fn new(tenant: TenantId, i: usize, rng: &mut ChaCha8Rng) -> DebtorScript {
        let total: u32 = MARKETS.iter().map(|m| m.weight).sum();
        let mut pick = rng.random_range(0..total);
        let market = MARKETS
            .iter()
            .find(|m| {
                if pick < m.weight {
                    true
                } else {
                    pick -= m.weight;
                    false
                }
            })
            .unwrap_or(&MARKETS[0]);
        let zone = market.zones[rng.random_range(0..market.zones.len())];
        let start = anchor() - Duration::days(rng.random_range(20..420))
            + Duration::minutes(rng.random_range(0..600));
        DebtorScript {
            tenant,
            debtor: DebtorId::new(format!("D{i:06}")).expect("valid id"),
            state: DebtorState::default(),
            clock: start,
            commands: Vec::new(),
            market,
            zone,
            counter: 0,
        }
    }

    fn currency(&self) -> arrears_core::Currency {
        self.market.currency.parse().expect("known currency")
    }

    /// Decides `command` on the shadow state; keeps it only if accepted.
    fn try_command(&mut self, rng: &mut ChaCha8Rng, command: Command) -> bool {
        self.counter += 1;
        let mut bytes = [0u8; 16];
        rng.fill(&mut bytes);
        let envelope = CommandEnvelope {
            command_id: uuid::Builder::from_random_bytes(bytes).into_uuid(),
            tenant: self.tenant.clone(),
            debtor_id: self.debtor.clone(),
            issued_at: self.clock,
            correlation_id: Uuid::from_u128(u128::from_be_bytes(bytes) ^ 1),
            idempotency_key: Some(format!("demo:{}:{}", self.debtor, self.counter)),
            actor: Some("demo".into()),
            command,
        };
        match handle(&self.state, &envelope, policy()) {
            Outcome::Accepted { events } => {
                for e in &events {
                    self.state.apply(e);
                }
                self.commands.push(envelope);
                true
            }
            _ => false,
        }
    }

    fn local_date(&self) -> NaiveDate {
        let tz: chrono_tz::Tz = self.zone.parse().expect("valid zone");
        self.clock.with_timezone(&tz).date_naive()
    }

    fn run(mut self, rng: &mut ChaCha8Rng) -> Vec<CommandEnvelope> {
        let name = format!(
            "{} {}",
            FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())],
            LAST_NAMES[rng.random_range(0..LAST_NAMES.len())]
        );
        let phone = format!("+1555{:07}", rng.random_range(0..10_000_000));
        let register = Command::RegisterDebtor(RegisterDebtor {
            jurisdiction: self.market.jurisdiction.into(),
            time_zone: self.zone.into(),
            locale: self.market.locale.into(),
            display_name: Some(name),
            contact_points: vec![
                ContactPoint {
                    channel: Channel::Phone,
                    address: phone.clone(),
                    consented: true,
                },
                ContactPoint {
                    channel: Channel::Sms,
                    address: phone,
                    consented: rng.random_bool(0.8),
                },
                ContactPoint {
                    channel: Channel::Email,
                    address: format!("{}@example.com", self.debtor.as_str().to_lowercase()),
                    consented: true,
                },
            ],
        });
        self.try_command(rng, register);

        let accounts = rng.random_range(1..=3);
        for n in 1..=accounts {
            self.clock += Duration::minutes(rng.random_range(1..90));
            let (lo, hi) = self.market.principal;
            let principal = rng.random_range(lo..hi);
            let first_due = self.local_date() + Duration::days(rng.random_range(10..45));
            let instalments = if rng.random_bool(0.3) {
                rng.random_range(3..=6)
            } else {
                1
            };
            let (due_date, schedule) = if instalments == 1 {
                (Some(first_due), vec![])
            } else {
                let part = principal / instalments;
                let schedule = (0..instalments)
                    .map(|k| Instalment {
                        due_date: first_due + Duration::days(30 * k),
                        amount_minor: if k == instalments - 1 {
                            principal - part * (instalments - 1)
                        } else {
                            part
                        },
                    })
                    .collect();
                (None, schedule)
            };
            let product = [
                "credit_card",
                "personal_loan",
                "microcredit",
                "utility_bill",
            ][rng.random_range(0..4)];
            self.try_command(
                rng,
                Command::OpenAccount(OpenAccount {
                    account_id: AccountId::new(format!("{}-A{n}", self.debtor)).expect("valid id"),
                    principal: Money::new(principal, self.currency()),
                    due_date,
                    schedule,
                    external_ref: Some(format!("INV-{}-{n}", &self.debtor.as_str()[1..])),
                    product: Some(product.into()),
                }),
            );
        }

        let mut step = 0;
        loop {
            self.clock += Duration::hours(rng.random_range(24..24 * 21));
            if self.clock >= anchor() {
                break;
            }
            step += 1;
            let roll: u32 = rng.random_range(0..100);
            let command = match roll {
                0..=39 => {
                    self.contact_flow(rng);
                    None
                }
                40..=61 => self.payment(rng),
                62..=71 => self.promise(rng),
                72..=79 => self.late_fee(rng, step),
                80..=82 => self.reversal(rng),
                83..=85 => self.dispute(rng),
                86..=88 => self.resolve(rng),
                89..=90 => self.opt_out(rng),
                91 => self.cease(rng),
                _ => None,
            };
            if let Some(c) = command {
                self.try_command(rng, c);
            }
        }
        self.commands
    }

    fn open_accounts(&self) -> Vec<&arrears_core::state::Account> {
        self.state
            .accounts
            .values()
            .filter(|a| a.balance_minor() > 0)
            .collect()
    }

    fn some_account(&self, rng: &mut ChaCha8Rng) -> Option<AccountId> {
        let open = self.open_accounts();
        (!open.is_empty()).then(|| open[rng.random_range(0..open.len())].account_id.clone())
    }

    fn next_id(&self, prefix: &str) -> String {
        format!("{}-{prefix}{}", self.debtor, self.counter + 1)
    }

    fn contact(&self, rng: &mut ChaCha8Rng) -> Option<Command> {
        let account = self.some_account(rng)?;
        let channel = [
            Channel::Phone,
            Channel::Phone,
            Channel::Sms,
            Channel::Email,
            Channel::Whatsapp,
        ][rng.random_range(0..5)];
        let outcome = match channel {
            Channel::Phone => [
                ContactOutcome::NoAnswer,
                ContactOutcome::NoAnswer,
                ContactOutcome::VoicemailReached,
                ContactOutcome::Busy,
                ContactOutcome::RightPartyContact,
                ContactOutcome::RightPartyContact,
                ContactOutcome::WrongParty,
                ContactOutcome::MessageLeft,
                ContactOutcome::NotInService,
            ][rng.random_range(0..9)],
            _ => [
                ContactOutcome::Delivered,
                ContactOutcome::Delivered,
                ContactOutcome::Read,
                ContactOutcome::Replied,
                ContactOutcome::Failed,
            ][rng.random_range(0..5)],
        };
        let address = self
            .state
            .profile
            .as_ref()
            .and_then(|p| {
                p.contact_points.iter().find(|c| {
                    c.channel == channel
                        || (channel == Channel::Whatsapp && c.channel == Channel::Sms)
                })
            })
            .map(|c| c.address.clone());
        Some(Command::RecordContactAttempt(RecordContactAttempt {
            attempt_id: AttemptId::new(self.next_id("C")).ok()?,
            channel,
            direction: if rng.random_bool(0.9) {
                Direction::Outbound
            } else {
                Direction::Inbound
            },
            outcome,
            account_ids: vec![account],
            two_way: matches!(
                outcome,
                ContactOutcome::RightPartyContact | ContactOutcome::Replied
            ),
            occurred_at: self.clock,
            agent: (channel == Channel::Phone)
                .then(|| format!("agent-{:02}", rng.random_range(1..=12))),
            address,
            callee_role: if outcome == ContactOutcome::WrongParty {
                CalleeRole::ThirdParty
            } else {
                CalleeRole::Debtor
            },
            request_id: None,
        }))
    }

    fn payment(&self, rng: &mut ChaCha8Rng) -> Option<Command> {
        let outstanding = self.state.outstanding_minor(self.currency());
        if outstanding <= 0 {
            return None;
        }
        let share = [10, 20, 25, 50, 100][rng.random_range(0..5)];
        let amount = (outstanding * share / 100).max(1);
        let method = [
            PaymentMethod::Card,
            PaymentMethod::BankTransfer,
            PaymentMethod::Pse,
            PaymentMethod::Cash,
            PaymentMethod::DirectDebit,
            PaymentMethod::Wallet,
        ][rng.random_range(0..6)];
        Some(Command::RecordPayment(RecordPayment {
            payment_id: PaymentId::new(self.next_id("P")).ok()?,
            amount: Money::new(amount, self.currency()),
            method,
            received_at: self.clock - Duration::hours(rng.random_range(0..12)),
            external_ref: Some(format!("TX{:010}", rng.random_range(0..10_000_000_000i64))),
            account_id: None,
        }))
    }

    /// A contact as collection teams make them: most outbound calls ask the
    /// compliance gate first and are made only when allowed (now and then an
    /// agent calls anyway, and the attempt is flagged); the rest are dialer
    /// logs reported after the fact, which the ledger judges on arrival. A
    /// right-party contact often ends with a promise-to-pay.
    fn contact_flow(&mut self, rng: &mut ChaCha8Rng) {
        let Some(Command::RecordContactAttempt(mut attempt)) = self.contact(rng) else {
            return;
        };
        if attempt.channel == Channel::Phone
            && attempt.direction == Direction::Outbound
            && rng.random_bool(0.8)
        {
            let request_id = AttemptId::new(self.next_id("R")).expect("valid id");
            let asked = self.try_command(
                rng,
                Command::RequestContact(RequestContact {
                    request_id: request_id.clone(),
                    channel: Channel::Phone,
                    address: attempt.address.clone(),
                    account_ids: attempt.account_ids.clone(),
                    callee_role: attempt.callee_role,
                    at: Some(self.clock),
                    at_workplace: false,
                    agent: attempt.agent.clone(),
                }),
            );
            let allowed = self
                .state
                .contact_requests
                .get(&request_id)
                .is_some_and(|r| r.allowed);
            if !asked || (!allowed && rng.random_bool(0.85)) {
                return; // the agent obeys the gate
            }
            attempt.request_id = Some(request_id);
            attempt.attempt_id = AttemptId::new(self.next_id("C")).expect("valid id");
            self.clock += Duration::minutes(2);
            attempt.occurred_at = self.clock;
        }
        let rpc = attempt.outcome == ContactOutcome::RightPartyContact;
        if self.try_command(rng, Command::RecordContactAttempt(attempt))
            && rpc
            && rng.random_bool(0.5)
        {
            self.clock += Duration::minutes(5);
            if let Some(promise) = self.promise(rng) {
                self.try_command(rng, promise);
            }
        }
    }

    fn promise(&self, rng: &mut ChaCha8Rng) -> Option<Command> {
        // Promises come out of conversations with the debtor.
        let last = self.state.contacts.last()?;
        if last.outcome != ContactOutcome::RightPartyContact {
            return None;
        }
        let open = self.open_accounts();
        let account = open.get(rng.random_range(0..open.len().max(1)))?;
        let amount = (account.balance_minor() * rng.random_range(20..=100) / 100).max(1);
        Some(Command::MakePromise(MakePromise {
            promise_id: PromiseId::new(self.next_id("PR")).ok()?,
            account_id: account.account_id.clone(),
            amount: Money::new(amount, account.currency),
            due_date: self.local_date() + Duration::days(rng.random_range(3..21)),
            agent: Some(format!("agent-{:02}", rng.random_range(1..=12))),
        }))
    }

    fn late_fee(&self, rng: &mut ChaCha8Rng, step: u32) -> Option<Command> {
        let today = self.local_date();
        let overdue: Vec<_> = self
            .open_accounts()
            .into_iter()
            .filter(|a| a.oldest_unpaid_due_date().is_some_and(|d| d < today))
            .collect();
        let account = overdue.get(rng.random_range(0..overdue.len().max(1)))?;
        let fee = (account.principal_minor / 50).max(1);
        Some(Command::ApplyCharge(ApplyCharge {
            account_id: account.account_id.clone(),
            charge_id: ChargeId::new(format!("{}-F{step}", self.debtor)).ok()?,
            kind: ChargeKind::LateFee,
            amount: Money::new(fee, account.currency),
            due_date: None,
            description: Some("late fee".into()),
        }))
    }

    fn reversal(&self, rng: &mut ChaCha8Rng) -> Option<Command> {
        let live: Vec<_> = self
            .state
            .payments
            .values()
            .filter(|p| !p.reversed)
            .collect();
        let p = live.get(rng.random_range(0..live.len().max(1)))?;
        Some(Command::ReversePayment(ReversePayment {
            payment_id: p.payment_id.clone(),
            reason: ["chargeback", "returned direct debit", "bounced cheque"]
                [rng.random_range(0..3)]
            .into(),
        }))
    }

    fn dispute(&self, rng: &mut ChaCha8Rng) -> Option<Command> {
        let account = self.some_account(rng)?;
        Some(Command::OpenDispute(OpenDispute {
            dispute_id: DisputeId::new(self.next_id("DS")).ok()?,
            account_id: account,
            reason: ["amount not recognised", "already paid", "identity theft"]
                [rng.random_range(0..3)]
            .into(),
        }))
    }

    fn resolve(&self, rng: &mut ChaCha8Rng) -> Option<Command> {
        let open = self
            .state
            .disputes
            .values()
            .find(|d| d.status == arrears_core::state::DisputeStatus::Open)?;
        Some(Command::ResolveDispute(ResolveDispute {
            dispute_id: open.dispute_id.clone(),
            resolution: [
                DisputeResolution::RejectedDebtStands,
                DisputeResolution::UpheldForDebtor,
                DisputeResolution::Withdrawn,
            ][rng.random_range(0..3)],
            note: None,
        }))
    }

    fn opt_out(&self, rng: &mut ChaCha8Rng) -> Option<Command> {
        let channel = [Channel::Sms, Channel::Email, Channel::Whatsapp][rng.random_range(0..3)];
        Some(Command::RecordOptOut(RecordOptOut {
            channel,
            address: None,
            source: Some("debtor request".into()),
        }))
    }

    fn cease(&self, rng: &mut ChaCha8Rng) -> Option<Command> {
        let account = self.some_account(rng)?;
        Some(Command::RecordCeaseCommunication(
            RecordCeaseCommunication {
                account_ids: vec![account],
                received_via: Some("letter".into()),
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_portfolio() {
        let t = TenantId::new("default").unwrap();
        let a = generate(&t, 50, 7);
        let b = generate(&t, 50, 7);
        assert_eq!(a, b);
        let c = generate(&t, 50, 8);
        assert_ne!(a, c);
    }

    #[test]
    fn the_portfolio_is_varied_and_in_time_order() {
        let t = TenantId::new("default").unwrap();
        let scripts = generate(&t, 300, 42);
        let mut kinds = std::collections::BTreeSet::new();
        let mut jurisdictions = std::collections::BTreeSet::new();
        for script in &scripts {
            assert!(
                script.len() >= 2,
                "every debtor is registered and has an account"
            );
            for pair in script.windows(2) {
                assert!(pair[0].issued_at < pair[1].issued_at);
            }
            assert!(script.last().unwrap().issued_at < anchor());
            for c in script {
                kinds.insert(c.command.name());
                if let Command::RegisterDebtor(r) = &c.command {
                    jurisdictions.insert(r.jurisdiction.clone());
                }
            }
        }
        assert_eq!(kinds.len(), 12, "every command kind appears: {kinds:?}");
        assert_eq!(jurisdictions.len(), 9, "{jurisdictions:?}");
    }
}
