//! Test fixtures: view stores on both backends (PostgreSQL in a schema of
//! its own, dropped at the end), and a script that drives the real embedded
//! ledger with commands stamped at chosen instants (the event times).

#![allow(dead_code)]

pub mod hand;

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;

use arrears_core::command::*;
use arrears_core::ids::*;
use arrears_core::vocabulary::*;
use arrears_core::*;
use arrears_ledger::{CommandSubmitter, EmbeddedLedger, LedgerConfig};
use arrears_log::{EventLog, SqliteLog};
use arrears_views::sqlx::{self, AssertSqlSafe, Connection, PgConnection};
use arrears_views::{ProjectorConfig, ViewStore};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

pub fn database_url() -> String {
    std::env::var("ARREARS_DATABASE_URL").expect(
        "ARREARS_DATABASE_URL is not set: the PostgreSQL tests need the real PostgreSQL and never \
         skip. Start it with `bash deploy/local/postgres.sh start` and `. deploy/local/env.sh`",
    )
}

pub struct PgSchema {
    url: String,
    name: String,
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let (url, name) = (self.url.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(mut c) = PgConnection::connect(&url).await {
                    let _ = sqlx::query(AssertSqlSafe(format!(
                        "DROP SCHEMA IF EXISTS {name} CASCADE"
                    )))
                    .execute(&mut c)
                    .await;
                }
            });
        })
        .join();
    }
}

/// A fresh view store with the portfolio migrated.
pub struct TestStore {
    pub store: ViewStore,
    _schema: Option<PgSchema>,
}

impl std::ops::Deref for TestStore {
    type Target = ViewStore;
    fn deref(&self) -> &ViewStore {
        &self.store
    }
}

impl TestStore {
    pub async fn new(kind: Kind) -> TestStore {
        let t = match kind {
            Kind::Sqlite => TestStore {
                store: ViewStore::sqlite_in_memory().await.unwrap(),
                _schema: None,
            },
            Kind::Postgres => {
                let url = database_url();
                let name = format!("test_portfolio_{}", Uuid::now_v7().simple());
                let mut admin = PgConnection::connect(&url).await.unwrap_or_else(|e| {
                    panic!("cannot connect to ARREARS_DATABASE_URL {url}: {e}")
                });
                sqlx::query(AssertSqlSafe(format!("CREATE SCHEMA {name}")))
                    .execute(&mut admin)
                    .await
                    .unwrap();
                admin.close().await.unwrap();
                let schema = PgSchema {
                    url: url.clone(),
                    name: name.clone(),
                };
                let options = sqlx::postgres::PgConnectOptions::from_str(&url)
                    .unwrap()
                    .options([("search_path", name.as_str())]);
                let pool = sqlx::postgres::PgPoolOptions::new()
                    .max_connections(4)
                    .connect_with(options)
                    .await
                    .unwrap();
                TestStore {
                    store: ViewStore::postgres(pool).await.unwrap(),
                    _schema: Some(schema),
                }
            }
        };
        arrears_portfolio::migrate(&t.store).await.unwrap();
        t
    }
}

pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

pub fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

pub fn cur(c: &str) -> Currency {
    c.parse().unwrap()
}

/// Drives the embedded ledger; each command is stamped with the given instant.
pub struct Script {
    pub ledger: EmbeddedLedger,
    pub log: Arc<dyn EventLog>,
    n: u128,
}

impl Script {
    pub async fn new(partitions: u32) -> Script {
        let log: Arc<dyn EventLog> = Arc::new(SqliteLog::in_memory(partitions).await.unwrap());
        let (ledger, _task) = EmbeddedLedger::start(log.clone(), LedgerConfig::default())
            .await
            .unwrap();
        Script { ledger, log, n: 0 }
    }

    /// Submits; returns whether the ledger accepted it.
    pub async fn try_run(
        &mut self,
        tenant: &str,
        debtor: &str,
        time: DateTime<Utc>,
        command: Command,
    ) -> bool {
        self.n += 1;
        let envelope = CommandEnvelope {
            command_id: Uuid::from_u128(self.n),
            tenant: TenantId::new(tenant).unwrap(),
            debtor_id: DebtorId::new(debtor).unwrap(),
            issued_at: time,
            correlation_id: Uuid::from_u128(self.n),
            idempotency_key: None,
            actor: None,
            command,
        };
        let reply = self.ledger.submit(envelope).await.unwrap();
        matches!(reply.result, ReplyResult::Accepted { .. })
    }

    /// Submits; panics if the ledger rejects it.
    pub async fn run(&mut self, tenant: &str, debtor: &str, time: &str, command: Command) {
        let name = command.name();
        let n = self.n + 1;
        assert!(
            self.try_run(tenant, debtor, at(time), command).await,
            "command {n} ({name}) for {tenant}/{debtor} at {time} was rejected"
        );
    }

    /// Every event of the log, decoded, per partition in offset order.
    pub async fn events(&self) -> Vec<Event> {
        let mut all = Vec::new();
        for p in 0..self.log.partitions() {
            for r in self.log.read(p, 0, usize::MAX).await.unwrap() {
                all.push(arrears_core::cloudevents::decode(&r.record).unwrap());
            }
        }
        all
    }

    /// Every debtor's state folded from the log with the domain's own `evolve`.
    pub async fn states(&self) -> BTreeMap<String, DebtorState> {
        let mut out: BTreeMap<String, DebtorState> = BTreeMap::new();
        for e in self.events().await {
            let s = out.remove(&e.key()).unwrap_or_default();
            out.insert(e.key(), evolve(s, &e));
        }
        out
    }
}

/// Runs the live portfolio projector until it has read everything.
pub async fn project(log: &Arc<dyn EventLog>, store: &ViewStore) {
    let mut p = arrears_portfolio::projector(log.clone(), store, ProjectorConfig::default())
        .await
        .unwrap();
    p.catch_up().await.unwrap();
}

pub fn register(jurisdiction: &str, tz: &str) -> Command {
    Command::RegisterDebtor(RegisterDebtor {
        jurisdiction: jurisdiction.into(),
        time_zone: tz.into(),
        locale: "es-CO".into(),
        display_name: None,
        contact_points: vec![],
    })
}

pub fn open(account: &str, currency: &str, amount: i64, due: &str, product: &str) -> Command {
    Command::OpenAccount(OpenAccount {
        account_id: AccountId::new(account).unwrap(),
        principal: Money::new(amount, cur(currency)),
        due_date: Some(day(due)),
        schedule: vec![],
        external_ref: None,
        product: Some(product.into()),
    })
}

pub fn open_schedule(
    account: &str,
    currency: &str,
    schedule: &[(&str, i64)],
    product: &str,
) -> Command {
    Command::OpenAccount(OpenAccount {
        account_id: AccountId::new(account).unwrap(),
        principal: Money::new(schedule.iter().map(|s| s.1).sum(), cur(currency)),
        due_date: None,
        schedule: schedule
            .iter()
            .map(|(d, a)| Instalment {
                due_date: day(d),
                amount_minor: *a,
            })
            .collect(),
        external_ref: None,
        product: Some(product.into()),
    })
}

pub fn charge(account: &str, id: &str, currency: &str, amount: i64, due: &str) -> Command {
    Command::ApplyCharge(ApplyCharge {
        account_id: AccountId::new(account).unwrap(),
        charge_id: ChargeId::new(id).unwrap(),
        kind: ChargeKind::LateFee,
        amount: Money::new(amount, cur(currency)),
        due_date: Some(day(due)),
        description: None,
    })
}

pub fn pay(
    id: &str,
    currency: &str,
    amount: i64,
    method: PaymentMethod,
    received: &str,
) -> Command {
    Command::RecordPayment(RecordPayment {
        payment_id: PaymentId::new(id).unwrap(),
        amount: Money::new(amount, cur(currency)),
        method,
        received_at: at(received),
        external_ref: None,
        account_id: None,
    })
}

pub fn reverse(id: &str) -> Command {
    Command::ReversePayment(ReversePayment {
        payment_id: PaymentId::new(id).unwrap(),
        reason: "chargeback".into(),
    })
}

pub fn contact(
    id: &str,
    account: &str,
    channel: Channel,
    direction: Direction,
    outcome: ContactOutcome,
    occurred: &str,
    agent: Option<&str>,
) -> Command {
    Command::RecordContactAttempt(RecordContactAttempt {
        attempt_id: AttemptId::new(id).unwrap(),
        channel,
        direction,
        outcome,
        account_ids: vec![AccountId::new(account).unwrap()],
        two_way: outcome == ContactOutcome::RightPartyContact,
        occurred_at: at(occurred),
        agent: agent.map(String::from),
        address: None,
        callee_role: CalleeRole::Debtor,
        request_id: None,
    })
}

pub fn promise(
    id: &str,
    account: &str,
    currency: &str,
    amount: i64,
    due: &str,
    agent: &str,
) -> Command {
    Command::MakePromise(MakePromise {
        promise_id: PromiseId::new(id).unwrap(),
        account_id: AccountId::new(account).unwrap(),
        amount: Money::new(amount, cur(currency)),
        due_date: day(due),
        agent: Some(agent.into()),
    })
}

pub fn dispute(id: &str, account: &str) -> Command {
    Command::OpenDispute(OpenDispute {
        dispute_id: DisputeId::new(id).unwrap(),
        account_id: AccountId::new(account).unwrap(),
        reason: "not mine".into(),
    })
}

pub fn resolve(id: &str) -> Command {
    Command::ResolveDispute(ResolveDispute {
        dispute_id: DisputeId::new(id).unwrap(),
        resolution: DisputeResolution::RejectedDebtStands,
        note: None,
    })
}
