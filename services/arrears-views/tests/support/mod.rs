//! Shared test fixtures: view stores on both backends, event logs on both
//! backends, a real event stream produced by the embedded ledger, and
//! instrumented projections.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use arrears_core::command::*;
use arrears_core::vocabulary::PaymentMethod;
use arrears_core::*;
use arrears_kafka::{KafkaConfig, KafkaLog, topics};
use arrears_ledger::{CommandSubmitter, EmbeddedLedger, LedgerConfig};
use arrears_log::{EventLog, SqliteLog, StoredRecord};
use arrears_views::sqlx::{self, AssertSqlSafe, Connection, PgConnection};
use arrears_views::{
    DebtorsProjection, Positioned, Projection, Shutdown, ViewError, ViewStore, ViewTx, on_backend,
    on_pool,
};
use async_trait::async_trait;
use chrono::{TimeZone, Utc};
use uuid::Uuid;

/// Which backend a scenario's view store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

/// Which backend a scenario's event log runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogKind {
    /// The embedded log, in memory.
    Sqlite,
    /// `KafkaLog` on fresh topics of the broker at `ARREARS_KAFKA_BROKERS`.
    Kafka,
}

/// The (event log, view store) pair a contract scenario runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair {
    pub log: LogKind,
    pub store: Kind,
}

impl LogKind {
    /// Offsets a committed append takes after its last record on every
    /// partition it wrote: 0 on SQLite (dense offsets), 1 on Kafka (the
    /// transaction's commit marker). Scenarios use it to state exact offsets
    /// for both logs instead of assuming `offset == count`.
    pub fn markers_per_append(self) -> u64 {
        match self {
            LogKind::Sqlite => 0,
            LogKind::Kafka => 1,
        }
    }

    /// A fresh, empty log of `partitions` partitions.
    pub async fn fresh(self, partitions: u32) -> TestLog {
        match self {
            LogKind::Sqlite => TestLog {
                log: Arc::new(SqliteLog::in_memory(partitions).await.unwrap()),
                _topics: None,
            },
            LogKind::Kafka => {
                // A unique prefix: every scenario sees only its own records.
                let cfg = KafkaConfig::new(kafka_brokers())
                    .with_prefix(format!("tv{}.", Uuid::now_v7().simple()))
                    .with_partitions(partitions);
                let created = topics::create_topics(&cfg)
                    .await
                    .unwrap_or_else(|e| panic!("cannot create topics on {}: {e}", cfg.brokers));
                assert_eq!(created.partitions, partitions);
                let log: Arc<dyn EventLog> = KafkaLog::connect(cfg.clone()).await.unwrap();
                TestLog {
                    log,
                    _topics: Some(KafkaTopics(cfg)),
                }
            }
        }
    }
}

pub fn kafka_brokers() -> String {
    std::env::var("ARREARS_KAFKA_BROKERS").expect(
        "ARREARS_KAFKA_BROKERS is not set: the Kafka pairs of these tests need the real broker \
         and never skip. Start it with `bash deploy/local/up.sh` and `. deploy/local/env.sh`",
    )
}

/// A fresh event log. On Kafka its four topics are deleted when this value
/// is dropped (even on panic), so repeated runs do not pile partitions up on
/// the shared local broker.
pub struct TestLog {
    pub log: Arc<dyn EventLog>,
    _topics: Option<KafkaTopics>,
}

struct KafkaTopics(KafkaConfig);

impl Drop for KafkaTopics {
    fn drop(&mut self) {
        let cfg = self.0.clone();
        // Best effort.
        on_own_runtime(async move {
            let admin: Result<
                rdkafka::admin::AdminClient<rdkafka::client::DefaultClientContext>,
                _,
            > = cfg.client().create();
            if let Ok(admin) = admin {
                let names = [
                    cfg.commands_topic(),
                    cfg.events_topic(),
                    cfg.replies_topic(),
                    cfg.dead_letter_topic(),
                ];
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                let _ = admin
                    .delete_topics(&names, &rdkafka::admin::AdminOptions::new())
                    .await;
            }
        });
    }
}

/// Runs async clean-up to completion from a `Drop`, which is synchronous and
/// may run inside the test's runtime: on a thread with a runtime of its own.
fn on_own_runtime(cleanup: impl std::future::Future<Output = ()> + Send + 'static) {
    let _ = std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(cleanup)
    })
    .join();
}

/// A fresh, empty, migrated view store. On PostgreSQL it lives in a schema
/// of its own, dropped when this value is dropped (even on panic).
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

pub fn database_url() -> String {
    std::env::var("ARREARS_DATABASE_URL").expect(
        "ARREARS_DATABASE_URL is not set: these tests need the real PostgreSQL and never skip. \
         Start it with `bash deploy/local/postgres.sh start` and `. deploy/local/env.sh`",
    )
}

pub struct PgSchema {
    url: String,
    name: String,
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let (url, name) = (self.url.clone(), self.name.clone());
        on_own_runtime(async move {
            if let Ok(mut c) = PgConnection::connect(&url).await {
                let _ = sqlx::query(AssertSqlSafe(format!(
                    "DROP SCHEMA IF EXISTS {name} CASCADE"
                )))
                .execute(&mut c)
                .await;
            }
        });
    }
}

impl TestStore {
    pub async fn new(kind: Kind) -> TestStore {
        match kind {
            Kind::Sqlite => TestStore {
                store: ViewStore::sqlite_in_memory().await.unwrap(),
                _schema: None,
            },
            Kind::Postgres => {
                let url = database_url();
                let name = format!("test_views_{}", Uuid::now_v7().simple());
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
        }
    }
}

/// Drives the embedded ledger with numbered commands; every command must be accepted.
pub struct Script {
    pub ledger: EmbeddedLedger,
    pub log: Arc<dyn EventLog>,
    /// Which backend `log` is, for offset arithmetic.
    pub kind: LogKind,
    n: u128,
    /// Keeps the Kafka topics alive until the scenario ends.
    _owned: Option<TestLog>,
}

pub fn t(s: &str) -> TenantId {
    TenantId::new(s).unwrap()
}
pub fn d(s: &str) -> DebtorId {
    DebtorId::new(s).unwrap()
}

impl Script {
    /// The embedded ledger over a fresh log of `kind`.
    pub async fn new(kind: LogKind, partitions: u32) -> Script {
        let owned = kind.fresh(partitions).await;
        let mut script = Script::over(owned.log.clone(), kind).await;
        script._owned = Some(owned);
        script
    }

    /// The embedded ledger over an existing log of `kind`.
    pub async fn over(log: Arc<dyn EventLog>, kind: LogKind) -> Script {
        let (ledger, _task) = EmbeddedLedger::start(log.clone(), LedgerConfig::default())
            .await
            .unwrap();
        Script {
            ledger,
            log,
            kind,
            n: 0,
            _owned: None,
        }
    }

    /// On the Kafka log, the committed offsets of the consumer group under
    /// which the projector of `projection` reports its progress (monitoring
    /// only), for `partitions`; `None` on SQLite, which has no groups.
    pub async fn reported_progress(
        &self,
        projection: &str,
        partitions: u32,
    ) -> Option<std::collections::BTreeMap<u32, u64>> {
        use rdkafka::consumer::{BaseConsumer, Consumer};
        let cfg = self._owned.as_ref()?._topics.as_ref()?.0.clone();
        let group = format!("{}projector.{projection}", cfg.topic_prefix);
        let topic = cfg.events_topic();
        let read = tokio::task::spawn_blocking(move || {
            let consumer: BaseConsumer = cfg.client().set("group.id", group).create().unwrap();
            let mut tpl = rdkafka::TopicPartitionList::new();
            for p in 0..partitions {
                tpl.add_partition(&topic, p as i32);
            }
            let committed = consumer
                .committed_offsets(tpl, std::time::Duration::from_secs(10))
                .unwrap();
            committed
                .elements()
                .iter()
                .filter_map(|e| match e.offset() {
                    rdkafka::Offset::Offset(o) => Some((e.partition() as u32, o as u64)),
                    _ => None,
                })
                .collect()
        });
        Some(read.await.unwrap())
    }

    /// Stops this ledger and starts a new one over the same log (which
    /// rebuilds its state, idempotency keys included, from the log).
    pub async fn restart_ledger(&mut self) {
        self.ledger.stop().await;
        let (ledger, _task) = EmbeddedLedger::start(self.log.clone(), LedgerConfig::default())
            .await
            .unwrap();
        self.ledger = ledger;
    }

    /// The time command `n` is issued at: whole seconds plus odd nanoseconds,
    /// so the microsecond truncation of `updated_at` is exercised.
    pub fn time_of(n: u128) -> chrono::DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 15, 0, 0).unwrap()
            + chrono::Duration::nanoseconds(n as i64 * 1_001_234_567)
    }

    pub async fn run(&mut self, tenant: &str, debtor: &str, command: Command) -> u64 {
        let reply = self.submit(tenant, debtor, None, command).await;
        match reply.result {
            ReplyResult::Accepted { version, .. } => version,
            other => panic!("command {} was not accepted: {other:?}", self.n),
        }
    }

    /// Submits the next numbered command, with an optional idempotency key,
    /// and returns the ledger's reply whatever it is.
    pub async fn submit(
        &mut self,
        tenant: &str,
        debtor: &str,
        idempotency_key: Option<&str>,
        command: Command,
    ) -> Reply {
        self.n += 1;
        let envelope = CommandEnvelope {
            command_id: Uuid::from_u128(self.n),
            tenant: t(tenant),
            debtor_id: d(debtor),
            issued_at: Script::time_of(self.n),
            correlation_id: Uuid::from_u128(self.n),
            idempotency_key: idempotency_key.map(str::to_string),
            actor: None,
            command,
        };
        self.ledger.submit(envelope).await.unwrap()
    }

    pub fn commands(&self) -> u128 {
        self.n
    }

    /// The small stream most scenarios use (10 events):
    /// - t1/d1: registered, account a1 of 1,000,000, paid 250,000 and 100,000,
    ///   the 100,000 reversed → version 5, balance 750,000;
    /// - t1/d2: registered, account a1 of 500,000 paid in full → version 3, balance 0;
    /// - t2/d1: another tenant's debtor with the same id: account of 42,000 → version 2.
    pub async fn small_stream(&mut self) {
        self.run("t1", "d1", register("CO", "America/Bogota")).await;
        self.run("t1", "d1", open("a1", 1_000_000)).await;
        self.run("t1", "d2", register("CO", "America/Bogota")).await;
        self.run("t1", "d1", pay("p1", 250_000)).await;
        self.run("t2", "d1", register("MX", "America/Mexico_City"))
            .await;
        self.run("t1", "d2", open("a1", 500_000)).await;
        self.run("t1", "d1", pay("p2", 100_000)).await;
        self.run("t2", "d1", open("a1", 42_000)).await;
        self.run("t1", "d2", pay("p1", 500_000)).await;
        self.run("t1", "d1", reverse("p2")).await;
    }

    /// `debtors` debtors of tenant t1 with 5 or 6 events each.
    pub async fn bigger_stream(&mut self, debtors: usize) {
        for i in 0..debtors {
            let id = format!("b{i:02}");
            self.run("t1", &id, register("CO", "America/Bogota")).await;
            self.run("t1", &id, open("a1", 100_000 + i as i64)).await;
        }
        for i in 0..debtors {
            let id = format!("b{i:02}");
            self.run("t1", &id, pay("p1", 1_000)).await;
            self.run("t1", &id, pay("p2", 2_000)).await;
            self.run("t1", &id, pay("p3", 3_000)).await;
            if i % 3 == 0 {
                self.run("t1", &id, reverse("p2")).await;
            }
        }
    }

    /// Every record of the log, per partition in offset order.
    pub async fn records(&self) -> Vec<StoredRecord> {
        let mut all = Vec::new();
        for p in 0..self.log.partitions() {
            all.extend(self.log.read(p, 0, usize::MAX).await.unwrap());
        }
        all
    }

    pub async fn end_offsets(&self) -> BTreeMap<u32, u64> {
        let mut out = BTreeMap::new();
        for p in 0..self.log.partitions() {
            out.insert(p, self.log.end_offset(p).await.unwrap());
        }
        out
    }

    /// Where a reader that has consumed the first `n` records of each
    /// partition continues: the offset after the n-th record (after the
    /// last one when a partition holds fewer), 0 for an empty partition.
    /// This is what the projector checkpoints. On SQLite it is simply
    /// `min(n, end)`; on Kafka the offsets have holes for commit markers,
    /// so it is computed from the records' real offsets.
    pub async fn next_after(&self, n: usize) -> BTreeMap<u32, u64> {
        let records = self.records().await;
        let mut out: BTreeMap<u32, u64> = (0..self.log.partitions()).map(|p| (p, 0)).collect();
        for p in 0..self.log.partitions() {
            if let Some(r) = records.iter().filter(|r| r.partition == p).take(n).last() {
                out.insert(p, r.offset + 1);
            }
        }
        out
    }

    /// [`Self::next_after`] every record: where a caught-up projector stands.
    pub async fn next_after_all(&self) -> BTreeMap<u32, u64> {
        self.next_after(usize::MAX).await
    }

    /// What `lag` reports for a caught-up projector: 0 per partition on
    /// SQLite; on Kafka 1 per partition that was written to (the last
    /// commit marker stands after the last record) and 0 for an empty one.
    pub async fn caught_up_lag(&self) -> BTreeMap<u32, u64> {
        let ends = self.end_offsets().await;
        let markers = self.kind.markers_per_append();
        let lag: BTreeMap<u32, u64> = ends
            .iter()
            .map(|(p, end)| (*p, if *end == 0 { 0 } else { markers }))
            .collect();
        // Cross-check against the records themselves.
        let next = self.next_after_all().await;
        for (p, end) in &ends {
            assert_eq!(end - next[p], lag[p], "partition {p}");
        }
        lag
    }
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

pub fn open(account: &str, amount: i64) -> Command {
    Command::OpenAccount(OpenAccount {
        account_id: AccountId::new(account).unwrap(),
        principal: Money::new(amount, "COP".parse().unwrap()),
        due_date: Some("2026-02-01".parse().unwrap()),
        schedule: vec![],
        external_ref: None,
        product: None,
    })
}

pub fn pay(id: &str, amount: i64) -> Command {
    Command::RecordPayment(RecordPayment {
        payment_id: arrears_core::ids::PaymentId::new(id).unwrap(),
        amount: Money::new(amount, "COP".parse().unwrap()),
        method: PaymentMethod::Pse,
        received_at: Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap(),
        external_ref: None,
        account_id: None,
    })
}

pub fn reverse(id: &str) -> Command {
    Command::ReversePayment(ReversePayment {
        payment_id: arrears_core::ids::PaymentId::new(id).unwrap(),
        reason: "chargeback".into(),
    })
}

/// The `debtors` projection plus a `tally` table with one row per applied
/// event (no key, so a duplicate application would show), an optional
/// injected failure and an optional shutdown after N batches. It uses the
/// name and version of `debtors`, so its checkpoints are those of `debtors`.
pub struct Instrumented {
    pub fail_at: Option<(u32, u64)>,
    pub stop_after: Option<(u64, Shutdown)>,
    /// After writing the batch holding this record: notify, then hang
    /// forever inside the open transaction (until the task is killed).
    pub stall_at: Option<((u32, u64), Arc<tokio::sync::Notify>)>,
    pub batches: AtomicU64,
}

impl Instrumented {
    pub fn plain() -> Instrumented {
        Instrumented {
            fail_at: None,
            stop_after: None,
            stall_at: None,
            batches: AtomicU64::new(0),
        }
    }
}

pub async fn create_tally(store: &ViewStore) {
    on_pool!(store, |pool, Db| {
        sqlx::query(
            r#"CREATE TABLE tally (partition BIGINT NOT NULL, "offset" BIGINT NOT NULL,
                                  tenant TEXT NOT NULL, debtor TEXT NOT NULL, sequence BIGINT NOT NULL)"#,
        )
        .execute(pool)
        .await
        .unwrap()
        .rows_affected()
    });
}

/// Every tally row as (partition, offset), sorted, duplicates kept.
pub async fn tally(store: &ViewStore) -> Vec<(u32, u64)> {
    let rows: Vec<(i64, i64)> = on_pool!(store, |pool, Db| {
        sqlx::query_as(r#"SELECT partition, "offset" FROM tally ORDER BY partition, "offset""#)
            .fetch_all(pool)
            .await
            .unwrap()
    });
    rows.into_iter()
        .map(|(p, o)| (p as u32, o as u64))
        .collect()
}

#[async_trait]
impl Projection for Instrumented {
    fn name(&self) -> &str {
        DebtorsProjection::NAME
    }
    fn version(&self) -> u32 {
        DebtorsProjection::VERSION
    }
    async fn apply(&self, tx: &mut ViewTx, events: &[Positioned]) -> Result<(), ViewError> {
        DebtorsProjection.apply(tx, events).await?;
        for p in events {
            on_backend!(&mut *tx, |c, Db| {
                sqlx::query(
                    r#"INSERT INTO tally (partition, "offset", tenant, debtor, sequence)
                       VALUES ($1, $2, $3, $4, $5)"#,
                )
                .bind(i64::from(p.partition))
                .bind(p.offset as i64)
                .bind(p.event.tenant.as_str())
                .bind(p.event.debtor_id.as_str())
                .bind(p.event.sequence as i64)
                .execute(&mut *c)
                .await?
                .rows_affected()
            });
        }
        if let Some((partition, offset)) = self.fail_at
            && events
                .iter()
                .any(|e| e.partition == partition && e.offset == offset)
        {
            return Err(ViewError::Projection {
                projection: "debtors".into(),
                reason: format!("injected failure at partition {partition} offset {offset}"),
            });
        }
        if let Some(((partition, offset), reached)) = &self.stall_at
            && events
                .iter()
                .any(|e| e.partition == *partition && e.offset == *offset)
        {
            reached.notify_one();
            std::future::pending::<()>().await;
        }
        let n = self.batches.fetch_add(1, Ordering::SeqCst) + 1;
        if let Some((after, shutdown)) = &self.stop_after
            && n == *after
        {
            shutdown.trigger();
        }
        Ok(())
    }
}

/// Polls `check` every 10 ms until it returns true; panics after `limit`.
pub async fn eventually<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if check().await {
            return;
        }
        if tokio::time::Instant::now() >= deadline {
            panic!("timed out after {limit:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
