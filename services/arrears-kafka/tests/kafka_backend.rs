//! The Kafka backend against the real broker started by deploy/local
//! (ARREARS_KAFKA_BROKERS). Each test uses its own topic prefix. These tests
//! fail, never skip, when Kafka is absent.

use std::sync::Arc;
use std::time::Duration;

use arrears_core::command::*;
use arrears_core::vocabulary::PaymentMethod;
use arrears_core::*;
use arrears_kafka::ledger::{KafkaLedger, LedgerOptions};
use arrears_kafka::transport::KafkaSubmitter;
use arrears_kafka::{KafkaConfig, KafkaLog, topics};
use arrears_ledger::{CommandSubmitter, PartitionState};
use arrears_log::contract;
use chrono::{TimeZone, Utc};
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{FutureProducer, FutureRecord};
use uuid::Uuid;

fn brokers() -> String {
    std::env::var("ARREARS_KAFKA_BROKERS").expect(
        "ARREARS_KAFKA_BROKERS is not set: start Kafka with deploy/local/up.sh \
         (or run the suite with deploy/local/test.sh)",
    )
}

async fn fresh(partitions: u32) -> KafkaConfig {
    let cfg = KafkaConfig::new(brokers())
        .with_prefix(format!("t{}.", Uuid::now_v7().simple()))
        .with_partitions(partitions);
    let t = topics::create_topics(&cfg).await.expect("topics created");
    assert_eq!(t.partitions, partitions);
    assert_eq!(t.created.len(), 4);
    cfg
}

fn envelope(n: u128, debtor: &str, key: Option<&str>, command: Command) -> CommandEnvelope {
    CommandEnvelope {
        command_id: Uuid::from_u128(n),
        tenant: TenantId::new("t1").unwrap(),
        debtor_id: DebtorId::new(debtor).unwrap(),
        issued_at: Utc.with_ymd_and_hms(2026, 3, 2, 15, 0, 0).unwrap()
            + chrono::Duration::seconds(n as i64),
        correlation_id: Uuid::from_u128(n),
        idempotency_key: key.map(str::to_string),
        actor: None,
        command,
    }
}

fn register() -> Command {
    Command::RegisterDebtor(RegisterDebtor {
        jurisdiction: "CO".into(),
        time_zone: "America/Bogota".into(),
        locale: "es-CO".into(),
        display_name: None,
        contact_points: vec![],
    })
}

fn open(account: &str, amount: i64) -> Command {
    Command::OpenAccount(OpenAccount {
        account_id: AccountId::new(account).unwrap(),
        principal: Money::new(amount, "COP".parse().unwrap()),
        due_date: Some("2026-02-01".parse().unwrap()),
        schedule: vec![],
        external_ref: None,
        product: None,
    })
}

fn pay(id: &str, amount: i64) -> Command {
    Command::RecordPayment(RecordPayment {
        payment_id: arrears_core::ids::PaymentId::new(id).unwrap(),
        amount: Money::new(amount, "COP".parse().unwrap()),
        method: PaymentMethod::Pse,
        received_at: Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap(),
        external_ref: None,
        account_id: None,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kafka_log_passes_the_event_log_contract() {
    let cfg = fresh(3).await;
    let log = KafkaLog::connect(cfg).await.unwrap();
    contract::append_then_read_in_order(log.as_ref(), "t/debtor-1").await;
    contract::append_then_read_in_order(log.as_ref(), "t/debtor-2").await;
    contract::append_then_read_in_order(log.as_ref(), "t/debtor-1").await;
    contract::interleaved_keys_keep_their_order(log.as_ref()).await;
    contract::replies_are_stored_with_events(log.as_ref()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topics_refuse_a_partition_mismatch() {
    let cfg = fresh(3).await;
    // Creating again is harmless and creates nothing.
    let again = topics::create_topics(&cfg).await.unwrap();
    assert_eq!(again.created, Vec::<String>::new());
    // The settings the broker holds: events and dead letters kept forever,
    // commands and replies a week; nothing compacted.
    let admin: rdkafka::admin::AdminClient<rdkafka::client::DefaultClientContext> =
        cfg.client().create().unwrap();
    let names = [
        cfg.commands_topic(),
        cfg.events_topic(),
        cfg.replies_topic(),
        cfg.dead_letter_topic(),
    ];
    let resources: Vec<rdkafka::admin::ResourceSpecifier> = names
        .iter()
        .map(|n| rdkafka::admin::ResourceSpecifier::Topic(n))
        .collect();
    let described = admin
        .describe_configs(&resources, &rdkafka::admin::AdminOptions::new())
        .await
        .unwrap();
    let settings: Vec<(String, String)> = described
        .into_iter()
        .map(|r| {
            let r = r.unwrap();
            let value = |k: &str| r.get(k).and_then(|e| e.value.clone()).unwrap();
            (value("retention.ms"), value("cleanup.policy"))
        })
        .collect();
    let week = ("604800000".to_string(), "delete".to_string());
    let forever = ("-1".to_string(), "delete".to_string());
    assert_eq!(settings, vec![week.clone(), forever.clone(), week, forever]);
    // Events with another partition count than commands: refused.
    let other = KafkaConfig::new(brokers())
        .with_prefix(format!("t{}.", Uuid::now_v7().simple()))
        .with_partitions(2);
    topics::create_topics(&other).await.unwrap();
    let admin: rdkafka::admin::AdminClient<rdkafka::client::DefaultClientContext> =
        other.client().create().unwrap();
    let opts = rdkafka::admin::AdminOptions::new();
    admin
        .create_partitions(
            &[rdkafka::admin::NewPartitions::new(&other.events_topic(), 4)],
            &opts,
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let err = topics::verify_topics(&other).await.unwrap_err().to_string();
    assert!(
        err.contains("has 2 partitions but") && err.contains("has 4"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ledger_decides_over_kafka_exactly_once_and_survives_a_restart() {
    let cfg = fresh(3).await;
    let ledger = KafkaLedger::start(cfg.clone(), LedgerOptions::default());
    let gw = KafkaSubmitter::connect(cfg.clone(), Duration::from_secs(30))
        .await
        .unwrap();

    let r = gw
        .submit(envelope(1, "d1", None, register()))
        .await
        .unwrap();
    assert!(
        matches!(r.result, ReplyResult::Accepted { version: 1, .. }),
        "{r:?}"
    );
    gw.submit(envelope(2, "d1", None, open("a1", 1_000_000)))
        .await
        .unwrap();
    let r = gw
        .submit(envelope(3, "d1", Some("k1"), pay("p1", 250_000)))
        .await
        .unwrap();
    assert!(
        matches!(r.result, ReplyResult::Accepted { version: 3, .. }),
        "{r:?}"
    );
    let r = gw
        .submit(envelope(4, "d1", None, pay("p1", 250_000)))
        .await
        .unwrap();
    match &r.result {
        ReplyResult::Rejected { rejection, .. } => {
            assert_eq!(rejection.code(), "payment_already_applied")
        }
        other => panic!("{other:?}"),
    }
    // Concurrent commands for several debtors.
    let gw = Arc::new(gw);
    let mut handles = Vec::new();
    for d in 0..5u128 {
        let gw = gw.clone();
        handles.push(tokio::spawn(async move {
            let debtor = format!("c{d}");
            gw.submit(envelope(100 + d * 10, &debtor, None, register()))
                .await
                .unwrap();
            gw.submit(envelope(101 + d * 10, &debtor, None, open("a1", 50_000)))
                .await
                .unwrap();
            for i in 0..5u128 {
                let r = gw
                    .submit(envelope(
                        102 + d * 10 + i,
                        &debtor,
                        None,
                        pay(&format!("p{i}"), 1_000),
                    ))
                    .await
                    .unwrap();
                assert!(matches!(r.result, ReplyResult::Accepted { .. }), "{r:?}");
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    assert_eq!(
        gw.reply_for(Uuid::from_u128(3))
            .await
            .unwrap()
            .unwrap()
            .command_id,
        Uuid::from_u128(3)
    );
    ledger.stop();

    // A new ledger instance rebuilds from arrears.events: the idempotency key
    // and the balances survive.
    let ledger = KafkaLedger::start(cfg.clone(), LedgerOptions::default());
    let r = gw
        .submit(envelope(5, "d1", Some("k1"), pay("p1", 250_000)))
        .await
        .unwrap();
    match &r.result {
        ReplyResult::Duplicate {
            original_command_id,
            version,
            ..
        } => {
            assert_eq!(*original_command_id, Uuid::from_u128(3));
            assert_eq!(*version, 3);
        }
        other => panic!("{other:?}"),
    }
    let r = gw
        .submit(envelope(6, "c3", None, pay("p9", 1_000)))
        .await
        .unwrap();
    assert!(
        matches!(r.result, ReplyResult::Accepted { version: 8, .. }),
        "{r:?}"
    );
    ledger.stop();

    // The events topic holds exactly the accepted events, once each, gap-free.
    let log = KafkaLog::connect(cfg.clone()).await.unwrap();
    let state = PartitionState::rebuild(log.as_ref(), 0..3)
        .await
        .expect("gap-free");
    let d1 = &state.debtors["t1/d1"];
    assert_eq!(d1.version, 3);
    assert_eq!(
        d1.accounts[&AccountId::new("a1").unwrap()].balance_minor(),
        750_000
    );
    let c3 = &state.debtors["t1/c3"];
    assert_eq!(c3.version, 8);
    // 50,000 - 6 x 1,000
    assert_eq!(
        c3.accounts[&AccountId::new("a1").unwrap()].balance_minor(),
        44_000
    );
    let total: u64 = state.debtors.values().map(|s| s.version).sum();
    assert_eq!(total, 3 + 5 * 7 + 1);
}

/// Transactions that abort after their events, replies and offsets were
/// written (injected: numbers 1, 2, 4 and 7, as if the broker required an
/// abort): the ledger aborts, rewinds the consumer to the batch and decides
/// it again on the untouched state, so every command is accepted exactly once
/// (a command decided twice would be rejected as a re-registration or a
/// payment already applied) and the events topic holds each debtor's events
/// once, gap-free (read_committed hides the aborted ones).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aborted_transactions_are_decided_again_exactly_once() {
    let cfg = fresh(3).await;
    let ledger = KafkaLedger::start(
        cfg.clone(),
        LedgerOptions {
            inject_aborts: vec![1, 2, 4, 7],
            ..LedgerOptions::default()
        },
    );
    let gw = Arc::new(
        KafkaSubmitter::connect(cfg.clone(), Duration::from_secs(60))
            .await
            .unwrap(),
    );
    let mut handles = Vec::new();
    for d in 0..6u128 {
        let gw = gw.clone();
        handles.push(tokio::spawn(async move {
            let debtor = format!("x{d}");
            let base = 1_000 + d * 100;
            let mut versions = Vec::new();
            let mut commands = vec![register(), open("a1", 100_000)];
            commands.extend((0..6).map(|i| pay(&format!("p{i}"), 1_000)));
            for (i, command) in commands.into_iter().enumerate() {
                let r = gw
                    .submit(envelope(base + i as u128, &debtor, None, command))
                    .await
                    .unwrap();
                match r.result {
                    ReplyResult::Accepted { version, .. } => versions.push(version),
                    other => panic!("{debtor} command {i}: {other:?}"),
                }
            }
            versions
        }));
    }
    for h in handles {
        assert_eq!(h.await.unwrap(), (1..=8).collect::<Vec<u64>>());
    }
    // Stopping waits for the last commit, whose reply may be visible before
    // the ledger counted it.
    let stats = ledger.stats.clone();
    ledger.stop();
    let count = |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(count(&stats.aborted_batches), 4);
    assert_eq!(count(&stats.committed_commands), 48);

    let log = KafkaLog::connect(cfg.clone()).await.unwrap();
    let state = PartitionState::rebuild(log.as_ref(), 0..3)
        .await
        .expect("gap-free, no duplicates");
    assert_eq!(state.debtors.len(), 6);
    for d in 0..6 {
        let s = &state.debtors[&format!("t1/x{d}")];
        assert_eq!(s.version, 8);
        // 100,000 - 6 x 1,000
        assert_eq!(
            s.accounts[&AccountId::new("a1").unwrap()].balance_minor(),
            94_000
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_carry_cloudevents_headers_and_poison_commands_are_dead_lettered() {
    let cfg = fresh(2).await;
    let ledger = KafkaLedger::start(cfg.clone(), LedgerOptions::default());
    let gw = KafkaSubmitter::connect(cfg.clone(), Duration::from_secs(30))
        .await
        .unwrap();
    // A poison command (not JSON), then a real one on the same partition.
    let key = "t1/d1";
    let p = arrears_log::partition_for(key, 2);
    let producer: FutureProducer = cfg.client().create().unwrap();
    producer
        .send(
            FutureRecord::to(&cfg.commands_topic())
                .key(key)
                .payload("{not json")
                .partition(p as i32),
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    let r = gw
        .submit(envelope(1, "d1", None, register()))
        .await
        .unwrap();
    assert!(matches!(r.result, ReplyResult::Accepted { version: 1, .. }));
    ledger.stop();

    let read = |topic: String| {
        let cfg = cfg.clone();
        move || {
            let c: BaseConsumer = cfg
                .client()
                .set("group.id", "t-read")
                .set("isolation.level", "read_committed")
                .set("enable.partition.eof", "false")
                .set("auto.offset.reset", "earliest")
                .create()
                .unwrap();
            c.subscribe(&[&topic]).unwrap();
            let mut out = Vec::new();
            let deadline = std::time::Instant::now() + Duration::from_secs(20);
            while out.is_empty() && std::time::Instant::now() < deadline {
                if let Some(Ok(m)) = c.poll(Duration::from_millis(200)) {
                    out.push(arrears_kafka::log::log_record(&m));
                }
            }
            out
        }
    };
    let events = tokio::task::spawn_blocking(read(cfg.events_topic()))
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e.key, "t1/d1");
    assert_eq!(e.header("ce_specversion"), Some("1.0"));
    assert_eq!(e.header("ce_type"), Some("arrears.debtor.registered.v1"));
    assert_eq!(e.header("ce_subject"), Some("d1"));
    assert_eq!(e.header("ce_tenantid"), Some("t1"));
    assert_eq!(e.header("ce_sequence"), Some("1"));
    assert_eq!(
        e.header("ce_causationid"),
        Some(Uuid::from_u128(1).to_string().as_str())
    );
    assert_eq!(e.header("content-type"), Some("application/json"));
    let decoded = arrears_core::cloudevents::decode(e).unwrap();
    assert_eq!(decoded.event_type(), "arrears.debtor.registered.v1");

    let dead = tokio::task::spawn_blocking(read(cfg.dead_letter_topic()))
        .await
        .unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].value, b"{not json");
    assert!(
        dead[0]
            .header("arrears_dlq_reason")
            .unwrap()
            .starts_with("undecodable command")
    );
    assert_eq!(
        dead[0].header("arrears_dlq_source"),
        Some(format!("{}/{p}/0", cfg.commands_topic()).as_str())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_broker_is_really_there() {
    // Guard against silently running without a broker: the address must answer.
    let cfg = KafkaConfig::new(brokers());
    let consumer: BaseConsumer = cfg.client().create().unwrap();
    let md = tokio::task::spawn_blocking(move || {
        consumer
            .fetch_metadata(None, Duration::from_secs(10))
            .map(|m| m.brokers().len())
    })
    .await
    .unwrap()
    .expect("the broker answers metadata requests");
    assert_eq!(md, 1, "single-node KRaft broker");
}

/// Colombia allows one contact a day: of two gateways racing for the last
/// contact, exactly one is allowed, because one ledger owns the debtor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_racing_contact_requests_at_a_limit_of_one_only_one_is_allowed() {
    let cfg = fresh(2).await;
    let ledger = KafkaLedger::start(cfg.clone(), LedgerOptions::default());
    let a = KafkaSubmitter::connect(cfg.clone(), Duration::from_secs(30))
        .await
        .unwrap();
    let b = KafkaSubmitter::connect(cfg.clone(), Duration::from_secs(30))
        .await
        .unwrap();
    let register = Command::RegisterDebtor(RegisterDebtor {
        jurisdiction: "CO".into(),
        time_zone: "America/Bogota".into(),
        locale: "es-CO".into(),
        display_name: None,
        contact_points: vec![ContactPoint {
            channel: arrears_core::vocabulary::Channel::Phone,
            address: "+573001234567".into(),
            consented: true,
        }],
    });
    a.submit(envelope(1, "d1", None, register)).await.unwrap();
    a.submit(envelope(2, "d1", None, open("a1", 1_000_000)))
        .await
        .unwrap();
    let request = |id: &str| {
        Command::RequestContact(RequestContact {
            request_id: arrears_core::ids::AttemptId::new(id).unwrap(),
            channel: arrears_core::vocabulary::Channel::Phone,
            address: Some("+573001234567".into()),
            account_ids: vec![],
            callee_role: Default::default(),
            at: Some(Utc.with_ymd_and_hms(2026, 3, 2, 15, 30, 0).unwrap()),
            at_workplace: false,
            agent: None,
        })
    };
    let (ra, rb) = tokio::join!(
        a.submit(envelope(3, "d1", None, request("agent-a"))),
        b.submit(envelope(4, "d1", None, request("agent-b")))
    );
    let verdicts: Vec<arrears_policy::Verdict> = [ra.unwrap(), rb.unwrap()]
        .into_iter()
        .map(|r| match r.result {
            ReplyResult::Accepted {
                decision: Some(d), ..
            } => d.verdict,
            other => panic!("{other:?}"),
        })
        .collect();
    let allowed = verdicts
        .iter()
        .filter(|v| **v == arrears_policy::Verdict::Allow)
        .count();
    assert_eq!(allowed, 1, "{verdicts:?}");
    ledger.stop();
}
