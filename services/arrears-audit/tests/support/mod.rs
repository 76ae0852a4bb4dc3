//! Shared fixtures: view stores (with the audit tables) on both backends,
//! and a real Colombian contact scenario produced by the embedded ledger.

#![allow(dead_code)]

use std::str::FromStr;
use std::sync::Arc;

use arrears_audit::AuditProjection;
use arrears_core::command::*;
use arrears_core::ids::AttemptId;
use arrears_core::vocabulary::{CalleeRole, Channel, ContactOutcome, Direction};
use arrears_core::*;
use arrears_ledger::{CommandSubmitter, EmbeddedLedger, LedgerConfig};
use arrears_log::{EventLog, SqliteLog};
use arrears_views::sqlx::{self, AssertSqlSafe, Connection, PgConnection};
use arrears_views::{Projector, ProjectorConfig, ViewStore, on_pool};
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

/// Runs a scenario `fn(Kind)` as `<name>::sqlite` and `<name>::postgres`.
#[macro_export]
macro_rules! on_both_backends {
    ($name:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name(super::support::Kind::Sqlite).await
            }
            #[tokio::test]
            async fn postgres() {
                super::$name(super::support::Kind::Postgres).await
            }
        }
    };
}

pub fn database_url() -> String {
    std::env::var("ARREARS_DATABASE_URL").expect(
        "ARREARS_DATABASE_URL is not set: these tests need the real PostgreSQL and never skip. \
         Start it with `bash deploy/local/postgres.sh start` and `. deploy/local/env.sh`",
    )
}

/// A PostgreSQL schema dropped when this value is dropped (even on panic).
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

/// A fresh view store with the views AND audit migrations applied.
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
        let (store, schema) = match kind {
            Kind::Sqlite => (ViewStore::sqlite_in_memory().await.unwrap(), None),
            Kind::Postgres => {
                let url = database_url();
                let name = format!("test_audit_{}", Uuid::now_v7().simple());
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
                (ViewStore::postgres(pool).await.unwrap(), Some(schema))
            }
        };
        arrears_audit::migrate(&store).await.unwrap();
        TestStore {
            store,
            _schema: schema,
        }
    }

    /// Lifts the append-only guard, as someone who owns the database could:
    /// the tamper tests then edit rows behind the projector's back.
    pub async fn allow_tampering(&self) {
        match self.store.backend() {
            arrears_views::Backend::Sqlite => {
                self.exec("DROP TRIGGER audit_trail_no_update").await;
                self.exec("DROP TRIGGER audit_trail_no_delete").await;
            }
            arrears_views::Backend::Postgres => {
                self.exec("ALTER TABLE audit_trail DISABLE TRIGGER audit_trail_no_update_delete")
                    .await;
            }
        }
    }

    /// Runs one statement; returns the rows affected.
    pub async fn exec(&self, sql: &str) -> u64 {
        self.try_exec(sql).await.unwrap()
    }

    pub async fn try_exec(&self, sql: &str) -> Result<u64, sqlx::Error> {
        let sql = sql.to_string();
        Ok(on_pool!(&self.store, |pool, Db| {
            sqlx::query(AssertSqlSafe(sql))
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }
}

pub fn t(s: &str) -> TenantId {
    TenantId::new(s).unwrap()
}
pub fn d(s: &str) -> DebtorId {
    DebtorId::new(s).unwrap()
}
pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

pub const PHONE: &str = "+573001234567";

/// The log plus the ledger that wrote it.
pub struct Scenario {
    pub ledger: EmbeddedLedger,
    pub log: Arc<dyn EventLog>,
    n: u128,
}

impl Scenario {
    pub async fn new(partitions: u32) -> Scenario {
        let log: Arc<dyn EventLog> = Arc::new(SqliteLog::in_memory(partitions).await.unwrap());
        let (ledger, _task) = EmbeddedLedger::start(log.clone(), LedgerConfig::default())
            .await
            .unwrap();
        Scenario { ledger, log, n: 0 }
    }

    /// Submits `command` stamped at `issued_at`; it must be accepted.
    pub async fn run(&mut self, debtor: &str, issued_at: &str, command: Command) -> u64 {
        self.n += 1;
        let envelope = CommandEnvelope {
            command_id: Uuid::from_u128(self.n),
            tenant: t("t1"),
            debtor_id: d(debtor),
            issued_at: at(issued_at),
            correlation_id: Uuid::from_u128(self.n),
            idempotency_key: None,
            actor: None,
            command,
        };
        match self.ledger.submit(envelope).await.unwrap().result {
            ReplyResult::Accepted { version, .. } => version,
            other => panic!("command {} was not accepted: {other:?}", self.n),
        }
    }

    /// The scenario of every test (tenant t1):
    ///
    /// | # | ce_time (UTC)        | debtor | event (sequence)                                   | audited |
    /// |---|----------------------|--------|----------------------------------------------------|---------|
    /// | 1 | 2026-03-02T14:00:00Z | d1     | registered CO, America/Bogota, phone consented (1) | pos 1   |
    /// | 2 | 2026-03-02T14:01:00Z | d1     | account a1 opened (2)                              | no      |
    /// | 3 | 2026-03-02T14:30:00Z | d2     | registered CO (1)                                  | d2 pos 1|
    /// | 4 | 2026-03-02T15:02:00Z | d1     | contact r1 decided: ALLOW (3), Mon 10:02 Bogotá    | pos 2   |
    /// | 5 | 2026-03-02T16:00:00Z | d1     | contact r2 decided: DENY one a day (4)             | pos 3   |
    /// | 6 | 2026-03-03T13:00:00Z | d1     | attempt c1 at 21:30 Bogotá reported late (5)       | pos 4   |
    /// | 7 | 2026-03-04T14:00:00Z | d1     | phone opted out (6)                                | pos 5   |
    /// | 8 | 2026-03-05T14:00:00Z | d2     | communication ceased, all debts (2)                | d2 pos 2|
    pub async fn colombian(partitions: u32) -> Scenario {
        let mut s = Scenario::new(partitions).await;
        s.run("d1", "2026-03-02T14:00:00Z", register()).await;
        s.run("d1", "2026-03-02T14:01:00Z", open("a1")).await;
        s.run("d2", "2026-03-02T14:30:00Z", register()).await;
        s.run("d1", "2026-03-02T15:02:00Z", request("r1")).await;
        s.run("d1", "2026-03-02T16:00:00Z", request("r2")).await;
        s.run(
            "d1",
            "2026-03-03T13:00:00Z",
            attempt("c1", "2026-03-03T02:30:00Z"),
        )
        .await;
        s.run("d1", "2026-03-04T14:00:00Z", opt_out()).await;
        s.run("d2", "2026-03-05T14:00:00Z", cease()).await;
        s
    }

    /// Every decodable event of the log, per partition in offset order.
    pub async fn events(&self) -> Vec<Event> {
        let mut all = Vec::new();
        for p in 0..self.log.partitions() {
            for r in self.log.read(p, 0, usize::MAX).await.unwrap() {
                all.push(arrears_core::cloudevents::decode(&r.record).unwrap());
            }
        }
        all
    }

    /// The event of `debtor` (tenant t1) with `sequence`.
    pub async fn event(&self, debtor: &str, sequence: u64) -> Event {
        self.events()
            .await
            .into_iter()
            .find(|e| e.debtor_id.as_str() == debtor && e.sequence == sequence)
            .unwrap()
    }

    /// Runs the audit projector until it has caught up.
    pub async fn project(&self, store: &ViewStore, max_batch: usize) {
        let mut projector = Projector::new(
            self.log.clone(),
            store.clone(),
            Arc::new(AuditProjection),
            ProjectorConfig {
                max_batch,
                ..ProjectorConfig::default()
            },
        )
        .await
        .unwrap();
        projector.catch_up().await.unwrap();
    }
}

pub fn register() -> Command {
    Command::RegisterDebtor(RegisterDebtor {
        jurisdiction: "CO".into(),
        time_zone: "America/Bogota".into(),
        locale: "es-CO".into(),
        display_name: None,
        contact_points: vec![ContactPoint {
            channel: Channel::Phone,
            address: PHONE.into(),
            consented: true,
        }],
    })
}

pub fn open(account: &str) -> Command {
    Command::OpenAccount(OpenAccount {
        account_id: AccountId::new(account).unwrap(),
        principal: Money::new(100_000_000, "COP".parse().unwrap()),
        due_date: Some("2026-02-01".parse().unwrap()),
        schedule: vec![],
        external_ref: None,
        product: None,
    })
}

/// A gate request for a phone call now (the command's time).
pub fn request(id: &str) -> Command {
    Command::RequestContact(RequestContact {
        request_id: AttemptId::new(id).unwrap(),
        channel: Channel::Phone,
        address: Some(PHONE.into()),
        account_ids: vec![],
        callee_role: CalleeRole::Debtor,
        at: None,
        at_workplace: false,
        agent: Some("agent-7".into()),
    })
}

/// An outbound call reported after the fact (a dialer's log), without a gate request.
pub fn attempt(id: &str, occurred_at: &str) -> Command {
    Command::RecordContactAttempt(RecordContactAttempt {
        attempt_id: AttemptId::new(id).unwrap(),
        channel: Channel::Phone,
        direction: Direction::Outbound,
        outcome: ContactOutcome::NoAnswer,
        account_ids: vec![],
        two_way: false,
        occurred_at: at(occurred_at),
        agent: Some("dialer".into()),
        address: Some(PHONE.into()),
        callee_role: CalleeRole::Debtor,
        request_id: None,
    })
}

pub fn opt_out() -> Command {
    Command::RecordOptOut(RecordOptOut {
        channel: Channel::Phone,
        address: Some(PHONE.into()),
        source: Some("debtor call".into()),
    })
}

/// A cease-communication request covering every debt.
pub fn cease() -> Command {
    Command::RecordCeaseCommunication(RecordCeaseCommunication {
        account_ids: vec![],
        received_via: Some("letter".into()),
    })
}
