//! A larger generated portfolio (seeded, reproducible): internal consistency
//! of every figure against the events and the ledger's own state, and the
//! blue/green rebuild (rebuilt export == live export), on both backends.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use arrears_core::vocabulary::{Channel, ContactOutcome, Direction, PaymentMethod};
use arrears_core::{EventBody, TenantId};
use arrears_portfolio::{KpiOptions, PortfolioSummary, export, kpis, rebuild_and_swap, summary};
use arrears_views::{ProjectorConfig, ViewStore, checksum, on_pool, sqlx};
use chrono::{DateTime, Duration as Span, Utc};
use support::*;

/// xorshift64*: enough randomness for a reproducible test portfolio.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const METHODS: [PaymentMethod; 5] = [
    PaymentMethod::Card,
    PaymentMethod::BankTransfer,
    PaymentMethod::Pse,
    PaymentMethod::Cash,
    PaymentMethod::Wallet,
];
const OUTCOMES: [ContactOutcome; 4] = [
    ContactOutcome::NoAnswer,
    ContactOutcome::RightPartyContact,
    ContactOutcome::MessageLeft,
    ContactOutcome::WrongParty,
];

/// `debtors` debtors of tenant `g`, each with a history of about 20 commands
/// between 2026-01-01 and 2026-07-01; rejected commands are simply dropped.
async fn generate(s: &mut Script, debtors: usize, seed: u64, tag: &str) -> usize {
    let mut rng = Rng(seed);
    let mut accepted = 0;
    let start = at("2026-01-01T08:00:00Z");
    for d in 0..debtors {
        let debtor = format!("{tag}{d:03}");
        let (juris, tz, ccy) = if d % 3 == 0 {
            ("US", "America/New_York", "USD")
        } else {
            ("CO", "America/Bogota", "COP")
        };
        let mut t: DateTime<Utc> = start + Span::hours(rng.below(24 * 30) as i64);
        let step = |t: &mut DateTime<Utc>, rng: &mut Rng| {
            *t += Span::minutes(60 + rng.below(60 * 24 * 8) as i64);
            *t
        };
        accepted += s.try_run("g", &debtor, t, register(juris, tz)).await as usize;
        let accounts = 1 + rng.below(2) as usize;
        let products = ["card", "loan", "microcredit"];
        for a in 0..accounts {
            let when = step(&mut t, &mut rng);
            let due = (when + Span::days(5 + rng.below(40) as i64)).date_naive();
            let amount = 10_000 + rng.below(500_000) as i64;
            let cmd = if rng.below(2) == 0 {
                open(
                    &format!("a{a}"),
                    ccy,
                    amount,
                    &due.to_string(),
                    products[a % 3],
                )
            } else {
                let due2 = due + Span::days(30);
                open_schedule(
                    &format!("a{a}"),
                    ccy,
                    &[
                        (&due.to_string(), amount / 2),
                        (&due2.to_string(), amount - amount / 2),
                    ],
                    products[(a + d) % 3],
                )
            };
            accepted += s.try_run("g", &debtor, when, cmd).await as usize;
        }
        let mut payments = 0;
        for k in 0..18 {
            let when = step(&mut t, &mut rng);
            let account = format!("a{}", rng.below(accounts as u64));
            let cmd = match rng.below(10) {
                0..=2 => {
                    payments += 1;
                    pay(
                        &format!("p{payments}"),
                        ccy,
                        1_000 + rng.below(150_000) as i64,
                        METHODS[rng.below(5) as usize],
                        &(when - Span::hours(2)).to_rfc3339(),
                    )
                }
                3 if payments > 0 => reverse(&format!("p{}", 1 + rng.below(payments))),
                4 => charge(
                    &account,
                    &format!("f{k}"),
                    ccy,
                    500 + rng.below(20_000) as i64,
                    &(when + Span::days(10)).date_naive().to_string(),
                ),
                5 | 6 => contact(
                    &format!("c{k}"),
                    &account,
                    if rng.below(4) == 0 {
                        Channel::Sms
                    } else {
                        Channel::Phone
                    },
                    if rng.below(5) == 0 {
                        Direction::Inbound
                    } else {
                        Direction::Outbound
                    },
                    OUTCOMES[rng.below(4) as usize],
                    &when.to_rfc3339(),
                    Some(["ana", "ben", "cy"][rng.below(3) as usize]),
                ),
                7 | 8 => promise(
                    &format!("r{k}"),
                    &account,
                    ccy,
                    1_000 + rng.below(50_000) as i64,
                    &(when + Span::days(3 + rng.below(10) as i64))
                        .date_naive()
                        .to_string(),
                    ["ana", "ben", "cy"][rng.below(3) as usize],
                ),
                _ => dispute(&format!("s{k}"), &account),
            };
            accepted += s.try_run("g", &debtor, when, cmd).await as usize;
        }
    }
    accepted
}

fn check_summary(s: &PortfolioSummary) {
    for c in &s.currencies {
        let buckets: i64 = c.aging.iter().map(|b| b.balance_minor).sum();
        assert_eq!(buckets, c.outstanding_minor, "{} buckets", c.currency);
        let past_due: i64 = c.aging[1..].iter().map(|b| b.balance_minor).sum();
        assert_eq!(past_due, c.past_due_minor);
        let open: i64 = c.aging.iter().map(|b| b.accounts).sum();
        assert_eq!(open, c.open_accounts);
        for segs in [&c.by_product, &c.by_jurisdiction] {
            let total: i64 = segs.iter().map(|x| x.outstanding_minor).sum();
            assert_eq!(total, c.outstanding_minor, "{} segments", c.currency);
            for seg in segs.iter() {
                let b: i64 = seg.aging.iter().map(|b| b.balance_minor).sum();
                assert_eq!(b, seg.outstanding_minor);
            }
        }
    }
}

/// Consistency of the summaries and KPIs with the raw events and with the
/// ledger's own folded state.
async fn check_consistency(s: &Script, store: &ViewStore) {
    let g = TenantId::new("g").unwrap();
    let events = s.events().await;
    let instants = [
        "2026-02-01T00:00:00Z",
        "2026-03-15T12:00:00Z",
        "2026-05-01T00:00:00Z",
        "2027-01-01T00:00:00Z",
    ];
    for i in instants {
        check_summary(&summary(store, &g, at(i)).await.unwrap());
    }

    // After everything: the portfolio equals the ledger's state, per currency.
    let end = summary(store, &g, at("2027-01-01T00:00:00Z"))
        .await
        .unwrap();
    let states = s.states().await;
    let mut owed: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for st in states.values() {
        for a in st.accounts.values() {
            owed.entry(a.currency.code().to_string()).or_default().0 += a.balance_minor();
        }
        for (c, credit) in &st.credit {
            owed.entry(c.code().to_string()).or_default().1 += credit;
        }
    }
    let got: BTreeMap<String, (i64, i64)> = end
        .currencies
        .iter()
        .map(|c| {
            (
                c.currency.clone(),
                (c.outstanding_minor, c.unapplied_credit_minor),
            )
        })
        .collect();
    assert_eq!(got, owed, "portfolio vs ledger state");
    assert_eq!(end.debtors as usize, states.len());

    // Flows of each period against the events themselves.
    for (from, to) in [
        ("2026-01-15T00:00:00Z", "2026-03-01T00:00:00Z"),
        ("2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z"),
        ("2026-04-01T00:00:00Z", "2026-08-01T00:00:00Z"),
    ] {
        let (f, t) = (at(from), at(to));
        let k = kpis(store, &g, f, t, &KpiOptions::default()).await.unwrap();
        // collected = payments recorded in the period − reversals recorded in it;
        // applied = the allocated parts of the same.
        let mut collected: BTreeMap<String, i64> = BTreeMap::new();
        let mut applied: BTreeMap<String, i64> = BTreeMap::new();
        let mut sales: BTreeMap<String, i64> = BTreeMap::new();
        for e in events.iter().filter(|e| f < e.time && e.time <= t) {
            match &e.body {
                EventBody::PaymentReceived(p) => {
                    let c = p.amount.currency.code().to_string();
                    *collected.entry(c.clone()).or_default() += p.amount.amount_minor;
                    *applied.entry(c).or_default() += p.amount.amount_minor - p.unapplied_minor;
                }
                EventBody::PaymentReversed(p) => {
                    let c = p.amount.currency.code().to_string();
                    *collected.entry(c.clone()).or_default() -= p.amount.amount_minor;
                    *applied.entry(c).or_default() -= p.amount.amount_minor - p.unapplied_minor;
                }
                EventBody::AccountOpened(a) => {
                    *sales
                        .entry(a.principal.currency.code().to_string())
                        .or_default() += a.principal.amount_minor;
                }
                EventBody::ChargeApplied(c) => {
                    *sales
                        .entry(c.amount.currency.code().to_string())
                        .or_default() += c.amount.amount_minor;
                }
                _ => {}
            }
        }
        for c in &k.currencies {
            let cur = &c.currency;
            assert_eq!(
                c.collected.net_minor,
                collected.get(cur).copied().unwrap_or(0),
                "{cur} {from}"
            );
            assert_eq!(
                c.collected.gross_minor - c.collected.reversed_minor,
                c.collected.net_minor
            );
            let by_method: i64 = c.collected.by_method.iter().map(|m| m.net_minor).sum();
            assert_eq!(by_method, c.collected.net_minor);
            assert_eq!(
                c.credit_sales.total_minor,
                sales.get(cur).copied().unwrap_or(0)
            );
            // Conservation: beginning + sales − ending = money applied in the period.
            assert_eq!(
                c.beginning_receivables_minor + c.credit_sales.total_minor
                    - c.ending_receivables_minor,
                applied.get(cur).copied().unwrap_or(0),
                "{cur} ({from}, {to}] conservation"
            );
            // Transitions cover exactly the balance at `from`.
            let moved: i64 = c.transitions.iter().map(|t| t.balance_minor).sum();
            assert_eq!(moved, c.beginning_receivables_minor);
            assert!(c.recovery.recovered_minor <= c.recovery.base_past_due_minor);
        }
        let p = &k.promises;
        assert_eq!(p.kept + p.partially_kept + p.broken, p.fell_due);
        assert!(k.contacts.call_right_party_contacts <= k.contacts.call_attempts);
        assert!(k.contacts.call_right_party_contacts <= k.contacts.right_party_contacts);
    }
}

async fn active(store: &ViewStore) -> i64 {
    on_pool!(store, |pool, Db| {
        sqlx::query_scalar("SELECT generation FROM portfolio_active")
            .fetch_one(pool)
            .await
            .unwrap()
    })
}

async fn rows_of(store: &ViewStore, generation: i64) -> i64 {
    on_pool!(store, |pool, Db| {
        sqlx::query_scalar("SELECT COUNT(*) FROM portfolio_items WHERE generation = $1")
            .bind(generation)
            .fetch_one(pool)
            .await
            .unwrap()
    })
}

async fn scenario(kind: Kind) {
    let store = TestStore::new(kind).await;
    let mut s = Script::new(4).await;
    let accepted = generate(&mut s, 40, 0x5eed, "d").await;
    assert!(
        accepted > 500,
        "the generator should produce a real portfolio ({accepted})"
    );
    project(&s.log, &store).await;
    check_consistency(&s, &store).await;

    // Blue/green: a live projector keeps running while the rebuild happens.
    let live = arrears_portfolio::projector(s.log.clone(), &store, ProjectorConfig::default())
        .await
        .unwrap()
        .spawn();
    let before = export(&store).await.unwrap();
    let g = TenantId::new("g").unwrap();
    let summary_before = summary(&store, &g, at("2026-04-01T00:00:00Z"))
        .await
        .unwrap();
    assert_eq!(active(&store).await, 1);
    let report = rebuild_and_swap(s.log.clone(), &store, ProjectorConfig::default())
        .await
        .unwrap();
    assert_eq!((report.previous_generation, report.generation), (1, 2));
    assert_eq!(active(&store).await, 2);
    let after = export(&store).await.unwrap();
    assert_eq!(after.len(), before.len());
    assert_eq!(after, before, "rebuilt export == live export");
    assert_eq!(report.checksum, checksum(&before));
    assert_eq!(rows_of(&store, 1).await, 0, "the old generation is deleted");
    assert!(rows_of(&store, 2).await > 0);
    assert_eq!(
        summary(&store, &g, at("2026-04-01T00:00:00Z"))
            .await
            .unwrap(),
        summary_before
    );

    // The running live projector carries on into the new generation.
    generate(&mut s, 10, 0xbeef, "late").await;
    let end: BTreeMap<u32, u64> = {
        let mut m = BTreeMap::new();
        for p in 0..s.log.partitions() {
            m.insert(p, s.log.end_offset(p).await.unwrap());
        }
        m
    };
    let mut progress = live.progress();
    tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            if progress.borrow_and_update().next_offsets == end {
                break;
            }
            progress.changed().await.unwrap();
        }
    })
    .await
    .expect("the live projector caught up after the swap");
    live.stop()
        .await
        .expect("the live projector ran without a conflict");
    check_consistency(&s, &store).await;

    // A second rebuild of the longer log agrees with what the live one built.
    let live_export = export(&store).await.unwrap();
    let report = rebuild_and_swap(s.log.clone(), &store, ProjectorConfig::default())
        .await
        .unwrap();
    assert_eq!(report.generation, 3);
    assert_eq!(export(&store).await.unwrap(), live_export);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_portfolio_sqlite() {
    scenario(Kind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_portfolio_postgres() {
    scenario(Kind::Postgres).await;
}

/// The same log projected into SQLite and PostgreSQL gives identical exports.
#[tokio::test]
async fn exports_agree_across_backends() {
    let mut s = Script::new(2).await;
    generate(&mut s, 15, 42, "x").await;
    let lite = TestStore::new(Kind::Sqlite).await;
    let pg = TestStore::new(Kind::Postgres).await;
    project(&s.log, &lite).await;
    project(&s.log, &pg).await;
    let a = export(&lite).await.unwrap();
    assert!(a.len() > 100);
    assert_eq!(a, export(&pg).await.unwrap());
}
