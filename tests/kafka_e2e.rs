//! Fault tests of the production backend: the real `arrears` binaries on the
//! real Kafka broker and PostgreSQL started by deploy/local. Processes are
//! killed with SIGKILL mid-stream and PostgreSQL is restarted under a running
//! projector; afterwards every command must have exactly one outcome, every
//! accepted command's events must be in the log exactly once, and the views
//! must equal a from-scratch rebuild.
//!
//! These tests need ARREARS_KAFKA_BROKERS and ARREARS_DATABASE_URL and fail,
//! never skip, without them. They run one at a time (one restarts PostgreSQL).

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use arrears_core::Command as DomainCommand;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrears_core::command::*;
use arrears_core::vocabulary::PaymentMethod;
use arrears_core::{CommandEnvelope, DebtorId, Money, ReplyResult, TenantId};
use arrears_kafka::{KafkaConfig, KafkaLog};
use arrears_ledger::PartitionState;
use arrears_log::{AppendBatch, EventLog};
use chrono::{TimeZone, Utc};
use rdkafka::Message;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Headers as _;
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::{Offset, TopicPartitionList};
use uuid::Uuid;

static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const PARTITIONS: u32 = 4;
const DEBTORS: usize = 2_000;
const PAYMENTS: usize = 8;
const PRINCIPAL: i64 = 1_000_000;
const PAYMENT: i64 = 10_000;

fn brokers() -> String {
    std::env::var("ARREARS_KAFKA_BROKERS")
        .expect("ARREARS_KAFKA_BROKERS is not set: run the suite with deploy/local/test.sh")
}

fn database_url() -> String {
    std::env::var("ARREARS_DATABASE_URL")
        .expect("ARREARS_DATABASE_URL is not set: run the suite with deploy/local/test.sh")
}

fn repo() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A child `arrears` process, killed on drop.
struct Proc {
    child: Child,
    name: String,
}

impl Proc {
    fn start(name: &str, args: &[&str], env: &[(&str, String)]) -> Proc {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_arrears"));
        cmd.args(args)
            .env("ARREARS_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("arrears binary starts");
        // Wait for the "running"/"listening" line.
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        assert!(!line.is_empty(), "{name} exited before it was ready");
        Proc {
            child,
            name: name.to_string(),
        }
    }

    fn kill_9(&mut self) {
        let status = Command::new("kill")
            .args(["-KILL", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let _ = self.child.wait();
    }

    fn terminate(&mut self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = self.child.wait().unwrap();
        assert!(
            exit.success(),
            "{} did not stop cleanly: {exit:?}",
            self.name
        );
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn env_for(prefix: &str) -> Vec<(&'static str, String)> {
    vec![
        ("ARREARS_KAFKA_BROKERS", brokers()),
        ("ARREARS_TOPIC_PREFIX", prefix.to_string()),
        ("ARREARS_PARTITIONS", PARTITIONS.to_string()),
    ]
}

/// Creates the topics with the CLI, as an operator would.
fn create_topics(prefix: &str) -> KafkaConfig {
    let out = Command::new(env!("CARGO_BIN_EXE_arrears"))
        .args(["topics", "create"])
        .envs(env_for(prefix))
        .env("ARREARS_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!("({PARTITIONS} partitions)")),
        "{text}"
    );
    KafkaConfig::new(brokers())
        .with_prefix(prefix)
        .with_partitions(PARTITIONS)
}

fn fresh_prefix() -> String {
    format!("e2e{}.", Uuid::now_v7().simple())
}

/// The workload: per debtor, register, open an account of 1,000,000 and make
/// eight payments of 10,000: ten commands, all of which the domain accepts.
fn workload() -> Vec<CommandEnvelope> {
    let tenant = TenantId::new("acme").unwrap();
    let at = Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap();
    let mut out = Vec::with_capacity(DEBTORS * (2 + PAYMENTS));
    for round in 0..(2 + PAYMENTS) {
        for d in 0..DEBTORS {
            let command = match round {
                0 => DomainCommand::RegisterDebtor(RegisterDebtor {
                    jurisdiction: "CO".into(),
                    time_zone: "America/Bogota".into(),
                    locale: "es-CO".into(),
                    display_name: None,
                    contact_points: vec![],
                }),
                1 => DomainCommand::OpenAccount(OpenAccount {
                    account_id: arrears_core::AccountId::new("a1").unwrap(),
                    principal: Money::new(PRINCIPAL, "COP".parse().unwrap()),
                    due_date: Some("2026-05-01".parse().unwrap()),
                    schedule: vec![],
                    external_ref: None,
                    product: None,
                }),
                n => DomainCommand::RecordPayment(RecordPayment {
                    payment_id: arrears_core::ids::PaymentId::new(format!("p{n}")).unwrap(),
                    amount: Money::new(PAYMENT, "COP".parse().unwrap()),
                    method: PaymentMethod::Pse,
                    received_at: at,
                    external_ref: None,
                    account_id: None,
                }),
            };
            out.push(CommandEnvelope {
                command_id: Uuid::now_v7(),
                tenant: tenant.clone(),
                debtor_id: DebtorId::new(format!("d{d:05}")).unwrap(),
                issued_at: at + chrono::Duration::seconds(round as i64),
                correlation_id: Uuid::now_v7(),
                idempotency_key: None,
                actor: None,
                command,
            });
        }
    }
    out
}

async fn produce_commands(cfg: &KafkaConfig, commands: &[CommandEnvelope]) {
    let producer: FutureProducer = cfg
        .client()
        .set("enable.idempotence", "true")
        .set("linger.ms", "5")
        .create()
        .unwrap();
    let topic = cfg.commands_topic();
    let sends = commands.iter().map(|c| {
        let key = c.key();
        let value = serde_json::to_vec(c).unwrap();
        let partition = arrears_log::partition_for(&key, PARTITIONS) as i32;
        let producer = producer.clone();
        let topic = topic.clone();
        async move {
            producer
                .send(
                    FutureRecord::to(&topic)
                        .key(&key)
                        .payload(&value)
                        .partition(partition),
                    Duration::from_secs(30),
                )
                .await
                .map_err(|(e, _)| e)
                .unwrap();
        }
    });
    futures::future::join_all(sends).await;
}

/// Reads a whole topic, committed records only (what any consumer sees).
/// Every committed record of `topic`: (partition, offset, key, value).
fn read_topic(cfg: &KafkaConfig, topic: &str) -> Vec<(u32, i64, String, Vec<u8>)> {
    read_topic_with_headers(cfg, topic)
        .into_iter()
        .map(|(p, o, k, v, _)| (p, o, k, v))
        .collect()
}

type HeaderList = Vec<(String, String)>;

/// [`read_topic`] with each record's headers.
fn read_topic_with_headers(
    cfg: &KafkaConfig,
    topic: &str,
) -> Vec<(u32, i64, String, Vec<u8>, HeaderList)> {
    let consumer: BaseConsumer = cfg
        .client()
        .set("group.id", format!("{}check", cfg.topic_prefix))
        .set("isolation.level", "read_committed")
        .set("enable.partition.eof", "true")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    for p in 0..PARTITIONS {
        tpl.add_partition_offset(topic, p as i32, Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&tpl).unwrap();
    let mut eof = HashSet::new();
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    while eof.len() < PARTITIONS as usize && Instant::now() < deadline {
        match consumer.poll(Duration::from_millis(500)) {
            Some(Ok(m)) => out.push((
                m.partition() as u32,
                m.offset(),
                String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned(),
                m.payload().unwrap_or_default().to_vec(),
                m.headers()
                    .map(|h| {
                        h.iter()
                            .map(|h| {
                                let value = String::from_utf8_lossy(h.value.unwrap_or_default());
                                (h.key.to_string(), value.into_owned())
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            )),
            Some(Err(rdkafka::error::KafkaError::PartitionEOF(p))) => {
                eof.insert(p);
            }
            Some(Err(e)) => panic!("reading {topic}: {e}"),
            None => {}
        }
    }
    assert_eq!(eof.len(), PARTITIONS as usize, "reading {topic} timed out");
    out
}

/// Counts committed replies (read_committed) until `n` distinct command ids
/// were seen or the deadline passes.
fn wait_for_replies(cfg: &KafkaConfig, n: usize, deadline: Duration) -> usize {
    let consumer: BaseConsumer = cfg
        .client()
        .set("group.id", format!("{}watch", cfg.topic_prefix))
        .set("isolation.level", "read_committed")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    let replies = cfg.replies_topic();
    for p in 0..PARTITIONS {
        tpl.add_partition_offset(&replies, p as i32, Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&tpl).unwrap();
    let mut seen = HashSet::new();
    let until = Instant::now() + deadline;
    while seen.len() < n && Instant::now() < until {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) {
            seen.insert(m.key().unwrap_or_default().to_vec());
        }
    }
    seen.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_killed_mid_stream_every_command_has_exactly_one_outcome() {
    let _one = ONE_AT_A_TIME.lock().await;
    let prefix = fresh_prefix();
    let cfg = create_topics(&prefix);
    let commands = workload();
    assert_eq!(commands.len(), 20_000);
    produce_commands(&cfg, &commands).await;

    let env = env_for(&prefix);
    let mut first = Proc::start("ledger", &["ledger", "--instance-id", "a"], &env);
    // Let it commit some batches, then kill it without warning.
    let seen = tokio::task::spawn_blocking({
        let cfg = cfg.clone();
        move || wait_for_replies(&cfg, 3_000, Duration::from_secs(120))
    })
    .await
    .unwrap();
    assert!(
        seen >= 3_000,
        "the first ledger made progress ({seen} replies)"
    );
    first.kill_9();

    // A new incarnation with the same transactional id fences the old one.
    let mut second = Proc::start("ledger", &["ledger", "--instance-id", "a"], &env);
    let seen = tokio::task::spawn_blocking({
        let cfg = cfg.clone();
        let n = commands.len();
        move || wait_for_replies(&cfg, n, Duration::from_secs(240))
    })
    .await
    .unwrap();
    assert_eq!(seen, commands.len(), "every command got a reply");
    second.terminate();

    // Exactly one committed outcome per command, and all accepted.
    let replies = tokio::task::spawn_blocking({
        let cfg = cfg.clone();
        move || read_topic(&cfg, &cfg.replies_topic())
    })
    .await
    .unwrap();
    let mut per_command: HashMap<String, usize> = HashMap::new();
    for (_, _, key, value) in &replies {
        *per_command.entry(key.clone()).or_default() += 1;
        let reply: arrears_core::Reply = serde_json::from_slice(value).unwrap();
        assert!(
            matches!(reply.result, ReplyResult::Accepted { .. }),
            "{reply:?}"
        );
    }
    assert_eq!(per_command.len(), commands.len());
    assert!(
        per_command.values().all(|n| *n == 1),
        "a command has two outcomes"
    );
    for c in &commands {
        assert!(per_command.contains_key(&c.command_id.to_string()));
    }

    // Each accepted command's events exactly once: gap-free sequences (the
    // rebuild checks), unique ids, exact balances.
    let log = KafkaLog::connect(cfg.clone()).await.unwrap();
    let state = PartitionState::rebuild(log.as_ref(), 0..PARTITIONS)
        .await
        .expect("the events topic is gap-free and duplicate-free");
    assert_eq!(state.debtors.len(), DEBTORS);
    for (key, s) in &state.debtors {
        assert_eq!(s.version, 2 + PAYMENTS as u64, "{key}");
        let balance = s.accounts.values().map(|a| a.balance_minor()).sum::<i64>();
        assert_eq!(balance, PRINCIPAL - PAYMENTS as i64 * PAYMENT, "{key}");
    }
    let events = tokio::task::spawn_blocking({
        let cfg = cfg.clone();
        move || read_topic(&cfg, &cfg.events_topic())
    })
    .await
    .unwrap();
    assert_eq!(
        events.len(),
        commands.len(),
        "one event per command, no duplicates"
    );
}

/// Decides the workload with the pure core and appends it through the log
/// (the projector test needs events, not a running ledger).
async fn append_events(log: &KafkaLog, commands: &[CommandEnvelope], state: &mut PartitionState) {
    for chunk in commands.chunks(1_000) {
        let decided = state.decide_batch(chunk);
        log.append(AppendBatch {
            events: decided.records,
            replies: vec![],
        })
        .await
        .unwrap();
        state.commit(decided.changed);
    }
}

async fn fresh_database() -> (String, String) {
    let admin = sqlx::PgPool::connect(&database_url()).await.unwrap();
    let name = format!("e2e_{}", Uuid::now_v7().simple());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let base = database_url();
    let (root, _) = base.rsplit_once('/').unwrap();
    (format!("{root}/{name}"), name)
}

async fn view_totals(url: &str) -> (i64, i64) {
    match sqlx::PgPool::connect(url).await {
        Ok(pool) => {
            let row: Result<(i64, Option<i64>), _> =
                sqlx::query_as("SELECT count(*), sum(version)::BIGINT FROM debtors")
                    .fetch_one(&pool)
                    .await;
            pool.close().await;
            row.map(|(c, s)| (c, s.unwrap_or(0))).unwrap_or((-1, -1))
        }
        Err(_) => (-1, -1),
    }
}

async fn wait_for_view(url: &str, expected: (i64, i64), limit: Duration) -> (i64, i64) {
    let until = Instant::now() + limit;
    let mut last = (0, 0);
    while Instant::now() < until {
        last = view_totals(url).await;
        if last == expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    last
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn projector_survives_kill_9_a_postgres_restart_and_poison() {
    let _one = ONE_AT_A_TIME.lock().await;
    let prefix = fresh_prefix();
    let cfg = create_topics(&prefix);
    let log = KafkaLog::connect(cfg.clone()).await.unwrap();
    let commands = workload();
    let (first_half, second_half) = commands.split_at(commands.len() / 2);
    let mut state = PartitionState::default();
    append_events(&log, first_half, &mut state).await;
    // A poison record on the events topic: not a CloudEvent.
    let producer: FutureProducer = cfg.client().create().unwrap();
    producer
        .send(
            FutureRecord::to(&cfg.events_topic())
                .key("acme/poison")
                .payload("{oops")
                .partition(0),
            Duration::from_secs(10),
        )
        .await
        .map_err(|(e, _)| e)
        .unwrap();

    let (url, _db) = fresh_database().await;
    let mut env = env_for(&prefix);
    env.push(("ARREARS_DATABASE_URL", url.clone()));
    let mut projector = Proc::start(
        "projector",
        &["project", "debtors", "--max-batch", "200"],
        &env,
    );
    // Kill it while it is projecting.
    let until = Instant::now() + Duration::from_secs(60);
    while view_totals(&url).await.0 < 200 && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    projector.kill_9();
    let after_kill = view_totals(&url).await;
    assert!(after_kill.0 >= 200, "it had made progress: {after_kill:?}");

    let mut projector = Proc::start(
        "projector",
        &["project", "debtors", "--max-batch", "200"],
        &env,
    );
    // Restart PostgreSQL while it works on the second half.
    let appender = {
        let log = log.clone();
        let second = second_half.to_vec();
        tokio::spawn(async move {
            let mut state = state;
            append_events(&log, &second, &mut state).await;
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let restart = Command::new("bash")
        .arg(repo().join("deploy/local/postgres.sh"))
        .arg("restart")
        .output()
        .unwrap();
    assert!(
        restart.status.success(),
        "{}",
        String::from_utf8_lossy(&restart.stderr)
    );
    appender.await.unwrap();

    // Everything lands exactly once: 2,000 debtors at version 10.
    let expected = (DEBTORS as i64, (DEBTORS * (2 + PAYMENTS)) as i64);
    let totals = wait_for_view(&url, expected, Duration::from_secs(180)).await;
    assert_eq!(totals, expected);
    projector.terminate();

    // The live view equals a from-scratch rebuild, byte for byte.
    let live = arrears_views::ViewStore::connect_postgres(&url)
        .await
        .unwrap();
    let live_lines = arrears_views::export_debtors(&live).await.unwrap();
    let (rebuild_url, _) = fresh_database().await;
    let fresh = arrears_views::ViewStore::connect_postgres(&rebuild_url)
        .await
        .unwrap();
    let log_dyn: Arc<dyn EventLog> = log.clone();
    arrears_views::rebuild(
        log_dyn,
        fresh.clone(),
        Arc::new(arrears_views::DebtorsProjection),
        arrears_views::ProjectorConfig {
            topic: cfg.events_topic(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let rebuilt_lines = arrears_views::export_debtors(&fresh).await.unwrap();
    assert_eq!(live_lines.len(), DEBTORS);
    assert_eq!(
        arrears_views::checksum(&live_lines),
        arrears_views::checksum(&rebuilt_lines)
    );

    // The poison record was dead-lettered once, in the table and on the topic.
    let letters = live.dead_letters(0, 100).await.unwrap();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0].partition, 0);
    assert_eq!(letters[0].record.key, "acme/poison");
    let reason = letters[0].reason.clone();
    assert!(!reason.is_empty());
    let dead = tokio::task::spawn_blocking({
        let cfg = cfg.clone();
        move || read_topic_with_headers(&cfg, &cfg.dead_letter_topic())
    })
    .await
    .unwrap();
    assert!(!dead.is_empty(), "forwarded to the dead-letter topic");
    // The same poison record, with the reason, its source and the
    // projection, as the table has it (at least once: the forward happens
    // after the batch commits, so a crash in between forwards it again).
    let source = format!("{}/0/{}", cfg.events_topic(), letters[0].offset);
    for (_, _, k, v, headers) in &dead {
        assert_eq!(
            (k.as_str(), v.as_slice()),
            ("acme/poison", b"{oops".as_slice())
        );
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(header("arrears_dlq_reason"), Some(reason.as_str()));
        assert_eq!(header("arrears_dlq_source"), Some(source.as_str()));
        assert_eq!(header("arrears_dlq_projection"), Some("debtors@v1"));
    }
}

/// Starts a process whose first stdout line ends with its URL.
fn start_gateway(env: &[(&str, String)]) -> (Proc, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_arrears"));
    cmd.args(["gateway", "--listen", "127.0.0.1:0"])
        .env("ARREARS_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("arrears gateway listening on ")
        .unwrap_or_else(|| panic!("unexpected line {line:?}"))
        .to_string();
    (
        Proc {
            child,
            name: "gateway".into(),
        },
        url,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_production_services_serve_the_api_over_kafka_and_postgres() {
    let _one = ONE_AT_A_TIME.lock().await;
    let prefix = fresh_prefix();
    create_topics(&prefix);
    let (url, _) = fresh_database().await;
    let mut env = env_for(&prefix);
    env.push(("ARREARS_DATABASE_URL", url));
    env.push(("ARREARS_ADMIN_KEY", "prod-key-123456".into()));
    env.push(("ARREARS_TENANT", "acme".into()));
    let mut ledger = Proc::start("ledger", &["ledger"], &env);
    let mut projector = Proc::start("projector", &["project", "debtors"], &env);
    let mut portfolio = Proc::start("portfolio", &["project", "portfolio"], &env);
    let (mut gateway, base) = start_gateway(&env);

    let client = reqwest::Client::new();
    let post = |path: &str, body: serde_json::Value| {
        client
            .post(format!("{base}/v1{path}"))
            .bearer_auth("prod-key-123456")
            .json(&body)
            .send()
    };
    let r = post(
        "/debtors",
        serde_json::json!({"debtor_id": "ana-001", "jurisdiction": "CO",
            "time_zone": "America/Bogota", "locale": "es-CO"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 201);
    let r = post(
        "/debtors/ana-001/accounts",
        serde_json::json!({"account_id": "loan-42",
            "principal": {"amount_minor": 150000000, "currency": "COP"}, "due_date": "2026-10-31"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 201);
    let r = post(
        "/debtors/ana-001/payments",
        serde_json::json!({"payment_id": "pse-9001",
            "amount": {"amount_minor": 50000000, "currency": "COP"},
            "method": "pse", "received_at": "2026-11-20T15:04:05Z"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 201);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["version"], 3);
    let command_id = body["command_id"].as_str().unwrap().to_string();
    // A replayed webhook: rejected with a problem, nothing appended.
    let r = post(
        "/debtors/ana-001/payments",
        serde_json::json!({"payment_id": "pse-9001",
            "amount": {"amount_minor": 50000000, "currency": "COP"},
            "method": "pse", "received_at": "2026-11-20T15:04:05Z"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 409);
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    // The outcome is fetchable by command id.
    let r = client
        .get(format!("{base}/v1/commands/{command_id}"))
        .bearer_auth("prod-key-123456")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);

    // The read model (PostgreSQL projection) catches up.
    let until = Instant::now() + Duration::from_secs(60);
    let mut view = serde_json::Value::Null;
    while Instant::now() < until {
        let r = client
            .get(format!("{base}/v1/debtors/ana-001"))
            .bearer_auth("prod-key-123456")
            .send()
            .await
            .unwrap();
        if r.status() == 200 {
            view = r.json().await.unwrap();
            if view["version"] == 3 {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(view["version"], 3, "{view}");
    assert_eq!(view["accounts"][0]["balance_minor"], 100_000_000);
    assert_eq!(view["tenant"], "acme");

    // The portfolio projection (Kafka → PostgreSQL) answers through the gateway.
    let mut outstanding = serde_json::Value::Null;
    let until = Instant::now() + Duration::from_secs(60);
    while Instant::now() < until {
        let r = client
            .get(format!("{base}/v1/portfolio/summary?as_of=2100-01-01"))
            .bearer_auth("prod-key-123456")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let summary: serde_json::Value = r.json().await.unwrap();
        outstanding = summary["currencies"][0]["outstanding_minor"].clone();
        if outstanding == 100_000_000 {
            assert_eq!(summary["currencies"][0]["currency"], "COP");
            assert_eq!(summary["debtors"], 1);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(outstanding, 100_000_000);

    gateway.terminate();
    portfolio.terminate();
    projector.terminate();
    ledger.terminate();
}
