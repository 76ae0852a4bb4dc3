//! The projector contract: the projector and the debtor read model against
//! real events from the embedded ledger. Every scenario runs with the same
//! body on three (event log, view store) pairs, so what the embedded mode
//! proves is also proven for production:
//!
//! - `<scenario>::sqlite`: SQLite log, SQLite views (the embedded mode);
//! - `<scenario>::postgres`: SQLite log, PostgreSQL views;
//! - `<scenario>::kafka_postgres`: `KafkaLog` on fresh topics, PostgreSQL
//!   views (the production pair).
//!
//! The PostgreSQL and Kafka pairs fail, never skip, when
//! `ARREARS_DATABASE_URL` or `ARREARS_KAFKA_BROKERS` is unset.
//!
//! Kafka's offsets are not dense (every committed append leaves a commit
//! marker after its records), so no scenario counts offsets: expected
//! checkpoints come from the offsets the log itself returned
//! ([`Script::next_after`]), and where a scenario states offsets outright it
//! does so through [`LogKind::markers_per_append`], exact on both logs.

mod support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arrears_core::ReplyResult;
use arrears_core::cloudevents::{self, LogRecord};
use arrears_core::state::AccountStatus;
use arrears_ledger::CommandSubmitter;
use arrears_log::{AppendBatch, EventLog, SqliteLog};
use arrears_views::*;
use async_trait::async_trait;
use support::*;
use uuid::Uuid;

/// Generates `mod $name { sqlite, postgres, kafka_postgres }` calling the
/// scenario with each (log, store) pair of [`PAIRS`].
macro_rules! on_every_pair {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(super::PAIRS[0]).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(super::PAIRS[1]).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn kafka_postgres() {
                super::$name(super::PAIRS[2]).await
            }
        }
    )*};
}

/// The pairs every scenario runs on, in the order of the test names above.
const PAIRS: [Pair; 3] = [
    Pair {
        log: LogKind::Sqlite,
        store: Kind::Sqlite,
    },
    Pair {
        log: LogKind::Sqlite,
        store: Kind::Postgres,
    },
    Pair {
        log: LogKind::Kafka,
        store: Kind::Postgres,
    },
];

on_every_pair!(
    real_stream_reads_back_exactly,
    stop_after_three_batches_then_resume_is_exactly_once,
    failure_inside_a_batch_rolls_back_everything,
    killed_inside_a_batch_loses_and_repeats_nothing,
    sequence_gap_stops_the_projector_loudly,
    poison_record_is_dead_lettered_exactly_once,
    rebuild_from_zero_equals_the_live_view,
    projector_wakes_up_on_new_appends,
    second_instance_is_fenced_by_the_checkpoint,
    checkpoint_beyond_the_log_is_refused,
    idempotent_retry_appends_nothing_and_replies_with_the_original,
);

fn debtors() -> Arc<dyn Projection> {
    Arc::new(DebtorsProjection)
}

fn config(max_batch: usize) -> ProjectorConfig {
    ProjectorConfig {
        max_batch,
        ..ProjectorConfig::default()
    }
}

async fn projector(
    script: &Script,
    store: &ViewStore,
    p: Arc<dyn Projection>,
    max: usize,
) -> Projector {
    Projector::new(script.log.clone(), store.clone(), p, config(max))
        .await
        .unwrap()
}

/// The lag of each partition, as a map.
fn lags(lag: &[PartitionLag]) -> BTreeMap<u32, u64> {
    lag.iter().map(|l| (l.partition, l.lag)).collect()
}

async fn rebuilt_export(kind: Kind, script: &Script) -> Vec<String> {
    let fresh = TestStore::new(kind).await;
    rebuild(
        script.log.clone(),
        fresh.store.clone(),
        debtors(),
        config(1_000),
    )
    .await
    .unwrap();
    let lines = export_debtors(&fresh).await.unwrap();
    fresh.close().await;
    lines
}

async fn real_stream_reads_back_exactly(pair: Pair) {
    let mut script = Script::new(pair.log, 4).await;
    script.small_stream().await;
    assert_eq!(script.records().await.len(), 10);
    let store = TestStore::new(pair.store).await;
    let mut projector = projector(&script, &store, debtors(), 1_000).await;
    // Nothing projected yet: the lag is the whole log. 10 appends of one
    // event each, plus (on Kafka) one commit marker per append.
    let ends = script.end_offsets().await;
    assert_eq!(
        ends.values().sum::<u64>(),
        10 * (1 + pair.log.markers_per_append())
    );
    assert_eq!(lags(&projector.lag().await.unwrap()), ends);

    let progress = projector.catch_up().await.unwrap();
    assert_eq!(progress.records, 10);
    assert_eq!(progress.dead_letters, 0);
    assert_eq!(progress.next_offsets, script.next_after_all().await);
    assert_eq!(
        lags(&projector.lag().await.unwrap()),
        script.caught_up_lag().await
    );

    let reader = DebtorViewReader::new(store.store.clone());
    let d1 = reader.debtor(&t("t1"), &d("d1")).await.unwrap().unwrap();
    assert_eq!(d1.version, 5);
    assert_eq!(d1.jurisdiction, "CO");
    assert_eq!(d1.accounts.len(), 1);
    assert_eq!(d1.accounts[0].principal_minor, 1_000_000);
    assert_eq!(d1.accounts[0].paid_minor, 250_000);
    assert_eq!(d1.accounts[0].balance_minor, 750_000);
    assert_eq!(d1.accounts[0].status, AccountStatus::Open);

    let d2 = reader.debtor(&t("t1"), &d("d2")).await.unwrap().unwrap();
    assert_eq!(d2.version, 3);
    assert_eq!(d2.accounts[0].balance_minor, 0);
    assert_eq!(d2.accounts[0].paid_minor, 500_000);
    assert_eq!(d2.accounts[0].status, AccountStatus::Paid);

    // Same debtor id, other tenant: a different row.
    let other = reader.debtor(&t("t2"), &d("d1")).await.unwrap().unwrap();
    assert_eq!(other.version, 2);
    assert_eq!(other.jurisdiction, "MX");
    assert_eq!(other.accounts[0].balance_minor, 42_000);
    assert_eq!(reader.debtor(&t("t2"), &d("d2")).await.unwrap(), None);
    assert_eq!(reader.debtor(&t("t1"), &d("nobody")).await.unwrap(), None);

    // Exactly what the ledger computes.
    for (tenant, debtor) in [("t1", "d1"), ("t1", "d2"), ("t2", "d1")] {
        assert_eq!(
            reader.debtor(&t(tenant), &d(debtor)).await.unwrap(),
            script.ledger.debtor_view(&t(tenant), &d(debtor)),
            "{tenant}/{debtor}"
        );
    }

    // The analyst columns; updated_at is the time of the debtor's last
    // event (command 10 for t1/d1), truncated to microseconds.
    let lines = export_debtors(&store).await.unwrap();
    assert_eq!(lines.len(), 3);
    let t1d1_time = Script::time_of(10).to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    assert_eq!(t1d1_time, "2026-03-02T15:00:10.012345Z");
    assert!(
        lines[0].starts_with(&format!("t1\td1\t5\tCO\tAmerica/Bogota\t{t1d1_time}\t{{")),
        "{}",
        lines[0]
    );
    assert!(lines[1].starts_with("t1\td2\t3\tCO\tAmerica/Bogota\t2026-03-02T15:00:09.011111Z\t"));
    assert!(
        lines[2].starts_with("t2\td1\t2\tMX\tAmerica/Mexico_City\t2026-03-02T15:00:08.009876Z\t")
    );
    store.close().await;
}

async fn stop_after_three_batches_then_resume_is_exactly_once(pair: Pair) {
    let mut script = Script::new(pair.log, 4).await;
    script.bigger_stream(12).await;
    let records = script.records().await;
    // 12 x (register, open, 3 payments) + 4 reversals.
    assert_eq!(records.len(), 64);
    let ends = script.next_after_all().await;
    let store = TestStore::new(pair.store).await;
    create_tally(&store).await;

    // max_batch 8 over 4 partitions = 2 records per partition per batch.
    let shutdown = Shutdown::new();
    let first = Arc::new(Instrumented {
        stop_after: Some((3, shutdown.clone())),
        ..Instrumented::plain()
    });
    let progress = projector(&script, &store, first.clone(), 8)
        .await
        .run(shutdown)
        .await
        .unwrap();
    assert_eq!(
        progress.batches, 3,
        "stopped between batches, after the third"
    );
    // Three batches of 2 records per partition: past the 6th record of each.
    let expected = script.next_after(6).await;
    assert_eq!(progress.next_offsets, expected);
    assert_eq!(
        store.checkpoints("debtors", 1, EVENTS_TOPIC).await.unwrap(),
        expected
    );
    let applied: Vec<(u32, u64)> = records
        .iter()
        .filter(|r| r.offset < expected[&r.partition])
        .map(|r| (r.partition, r.offset))
        .collect();
    assert_eq!(tally(&store).await, applied);
    assert!(applied.len() < 64, "the stop must be mid-stream");

    // Restart: resumes at the checkpoints, applies every remaining event once.
    let second = Arc::new(Instrumented::plain());
    let progress = projector(&script, &store, second, 8)
        .await
        .catch_up()
        .await
        .unwrap();
    assert_eq!(progress.records as usize, 64 - applied.len());
    assert_eq!(progress.next_offsets, ends);
    let all: Vec<(u32, u64)> = records.iter().map(|r| (r.partition, r.offset)).collect();
    assert_eq!(tally(&store).await, all, "every event applied exactly once");

    let reader = DebtorViewReader::new(store.store.clone());
    for i in 0..12 {
        let id = format!("b{i:02}");
        let view = reader.debtor(&t("t1"), &d(&id)).await.unwrap().unwrap();
        let want_version = if i % 3 == 0 { 6 } else { 5 };
        assert_eq!(view.version, want_version, "{id}");
        let paid = if i % 3 == 0 { 4_000 } else { 6_000 };
        assert_eq!(
            view.accounts[0].balance_minor,
            100_000 + i as i64 - paid,
            "{id}"
        );
        assert_eq!(Some(view), script.ledger.debtor_view(&t("t1"), &d(&id)));
    }
    let live = export_debtors(&store).await.unwrap();
    assert_eq!(live.len(), 12);
    assert_eq!(live, rebuilt_export(pair.store, &script).await);
    store.close().await;
}

/// The offsets of the small stream on one partition: 10 appends of one event
/// each, so every record but on Kafka also its commit marker takes an offset.
async fn small_stream_on_one_partition(pair: Pair) -> (Script, Vec<u64>) {
    let mut script = Script::new(pair.log, 1).await;
    script.small_stream().await;
    let offsets: Vec<u64> = script.records().await.iter().map(|r| r.offset).collect();
    let step = 1 + pair.log.markers_per_append();
    assert_eq!(offsets, (0..10).map(|i| i * step).collect::<Vec<_>>());
    (script, offsets)
}

/// Tally rows (partition 0) of the records at `offsets`.
fn on_partition_0(offsets: &[u64]) -> Vec<(u32, u64)> {
    offsets.iter().map(|o| (0, *o)).collect()
}

async fn failure_inside_a_batch_rolls_back_everything(pair: Pair) {
    let (script, offsets) = small_stream_on_one_partition(pair).await;
    let store = TestStore::new(pair.store).await;
    create_tally(&store).await;

    // Batches of 4: records 0..4 commit, 4..8 fail at the 6th record after writing rows.
    let failing = Arc::new(Instrumented {
        fail_at: Some((0, offsets[5])),
        ..Instrumented::plain()
    });
    let mut p = projector(&script, &store, failing, 4).await;
    let err = p.catch_up().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "projection debtors: injected failure at partition 0 offset {}",
            offsets[5]
        )
    );
    let after_first = BTreeMap::from([(0, offsets[3] + 1)]);
    assert_eq!(p.progress().borrow().next_offsets, after_first);
    assert_eq!(
        store.checkpoints("debtors", 1, EVENTS_TOPIC).await.unwrap(),
        after_first
    );
    assert_eq!(tally(&store).await, on_partition_0(&offsets[..4]));
    // Records 0..4 are t1/d1 v1, v2, t1/d2 v1, t1/d1 v3: nothing of 4..8 is visible.
    let reader = DebtorViewReader::new(store.store.clone());
    let version = |s: Option<arrears_core::DebtorState>| s.map(|s| s.version);
    assert_eq!(
        version(reader.state(&t("t1"), &d("d1")).await.unwrap()),
        Some(3)
    );
    assert_eq!(
        version(reader.state(&t("t1"), &d("d2")).await.unwrap()),
        Some(1)
    );
    assert_eq!(
        version(reader.state(&t("t2"), &d("d1")).await.unwrap()),
        None
    );
    assert_eq!(export_debtors(&store).await.unwrap().len(), 2);

    // Fixed and restarted: resumes at 4 and ends equal to a rebuild.
    let progress = projector(&script, &store, Arc::new(Instrumented::plain()), 4)
        .await
        .catch_up()
        .await
        .unwrap();
    assert_eq!(progress.records, 6);
    assert_eq!(tally(&store).await, on_partition_0(&offsets));
    assert_eq!(
        export_debtors(&store).await.unwrap(),
        rebuilt_export(pair.store, &script).await
    );
    store.close().await;
}

async fn killed_inside_a_batch_loses_and_repeats_nothing(pair: Pair) {
    let (script, offsets) = small_stream_on_one_partition(pair).await;
    let store = TestStore::new(pair.store).await;
    create_tally(&store).await;

    // Batches of 4: records 0..4 commit; 4..8 write their rows, then the
    // task is killed with its transaction open.
    let reached = Arc::new(tokio::sync::Notify::new());
    let stalling = Arc::new(Instrumented {
        stall_at: Some(((0, offsets[6]), reached.clone())),
        ..Instrumented::plain()
    });
    let p = projector(&script, &store, stalling, 4).await;
    let task = tokio::spawn(p.run(Shutdown::new()));
    tokio::time::timeout(Duration::from_secs(30), reached.notified())
        .await
        .expect("the projector never reached the 7th record");
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());

    assert_eq!(
        store.checkpoints("debtors", 1, EVENTS_TOPIC).await.unwrap(),
        BTreeMap::from([(0, offsets[3] + 1)])
    );
    assert_eq!(tally(&store).await, on_partition_0(&offsets[..4]));
    assert_eq!(export_debtors(&store).await.unwrap().len(), 2);

    let progress = projector(&script, &store, Arc::new(Instrumented::plain()), 4)
        .await
        .catch_up()
        .await
        .unwrap();
    assert_eq!(progress.records, 6);
    assert_eq!(tally(&store).await, on_partition_0(&offsets));
    assert_eq!(
        export_debtors(&store).await.unwrap(),
        rebuilt_export(pair.store, &script).await
    );
    store.close().await;
}

async fn sequence_gap_stops_the_projector_loudly(pair: Pair) {
    let mut source = Script::new(pair.log, 1).await;
    source.small_stream().await;
    // Copy the stream to another log of the same kind without t1/d1's third
    // event (a payment), in ONE append: dense offsets 0..9 on both logs.
    let gappy = pair.log.fresh(1).await;
    let kept: Vec<LogRecord> = source
        .records()
        .await
        .into_iter()
        .map(|r| r.record)
        .filter(|r| !(r.key == "t1/d1" && r.header("ce_sequence") == Some("3")))
        .collect();
    assert_eq!(kept.len(), 9);
    gappy
        .log
        .append(AppendBatch {
            events: kept,
            replies: vec![],
        })
        .await
        .unwrap();
    let store = TestStore::new(pair.store).await;
    let mut p = Projector::new(
        gappy.log.clone(),
        store.store.clone(),
        debtors(),
        config(1_000),
    )
    .await
    .unwrap();
    match p.catch_up().await.unwrap_err() {
        ViewError::SequenceGap {
            partition,
            offset,
            tenant,
            debtor_id,
            have,
            got,
        } => {
            // Original offsets 0,1,2,[3 dropped],4,5,6 → t1/d1 v4 is now at offset 5.
            assert_eq!((partition, offset), (0, 5));
            assert_eq!((tenant.as_str(), debtor_id.as_str()), ("t1", "d1"));
            assert_eq!((have, got), (2, 4));
        }
        other => panic!("expected a sequence gap, got {other}"),
    }
    // The whole batch rolled back.
    assert_eq!(
        store.checkpoints("debtors", 1, EVENTS_TOPIC).await.unwrap(),
        BTreeMap::from([(0, 0)])
    );
    assert_eq!(export_debtors(&store).await.unwrap(), Vec::<String>::new());
    store.close().await;
}

/// Records what `after_commit` was given.
#[derive(Default)]
struct RecordingSink(Mutex<Vec<DeadLetter>>);

#[async_trait]
impl DeadLetterSink for RecordingSink {
    async fn after_commit(
        &self,
        letters: &[DeadLetter],
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        self.0.lock().unwrap().extend_from_slice(letters);
        Ok(())
    }
}

fn garbage(key: &str, note: &str) -> LogRecord {
    LogRecord {
        key: key.to_string(),
        headers: vec![
            ("ce_specversion".into(), "1.0".into()),
            // The embedded log keeps ce_id unique, even for garbage.
            ("ce_id".into(), format!("garbage-{note}")),
            ("ce_type".into(), "arrears.payment.received.v1".into()),
            ("x-note".into(), note.into()),
        ],
        value: b"\xff\x00 not json".to_vec(),
    }
}

async fn poison_record_is_dead_lettered_exactly_once(pair: Pair) {
    let mut script = Script::new(pair.log, 2).await;
    script
        .run("t1", "d1", register("CO", "America/Bogota"))
        .await;
    script.run("t1", "d1", open("a1", 1_000_000)).await;
    let at = script
        .log
        .append(AppendBatch {
            events: vec![garbage("t1/d1", "first")],
            replies: vec![],
        })
        .await
        .unwrap();
    let (poison_partition, poison_offset) = at[0];
    assert_eq!(poison_partition, script.log.partition_of("t1/d1"));
    // After two appends of one event each (and, on Kafka, their markers).
    assert_eq!(poison_offset, 2 * (1 + pair.log.markers_per_append()));
    script.run("t1", "d1", pay("p1", 300_000)).await;

    let store = TestStore::new(pair.store).await;
    let sink = Arc::new(RecordingSink::default());
    let mut p = projector(&script, &store, debtors(), 1_000)
        .await
        .with_dead_letter_sink(sink.clone());
    let progress = p.catch_up().await.unwrap();
    assert_eq!((progress.records, progress.dead_letters), (4, 1));

    let expected = DeadLetter {
        projection: "debtors".into(),
        version: 1,
        topic: "arrears.events".into(),
        partition: poison_partition,
        offset: poison_offset,
        record: garbage("t1/d1", "first"),
        reason: "missing or invalid attribute `ce_time`".into(),
    };
    assert_eq!(*sink.0.lock().unwrap(), vec![expected.clone()]);
    let stored = store.dead_letters(0, 100).await.unwrap();
    assert_eq!(stored.len(), 1);
    let first = &stored[0];
    assert_eq!(
        (
            first.projection.as_str(),
            first.version,
            first.topic.as_str()
        ),
        ("debtors", 1, "arrears.events")
    );
    assert_eq!(
        (first.partition, first.offset),
        (poison_partition, poison_offset)
    );
    assert_eq!(first.record, expected.record);
    assert_eq!(first.reason, expected.reason);

    // The projector carried on past it: the payment after the poison is applied.
    let reader = DebtorViewReader::new(store.store.clone());
    let view = reader.debtor(&t("t1"), &d("d1")).await.unwrap().unwrap();
    assert_eq!((view.version, view.accounts[0].balance_minor), (3, 700_000));

    // A restart does not dead-letter it again...
    let again = Arc::new(RecordingSink::default());
    let mut p = projector(&script, &store, debtors(), 1_000)
        .await
        .with_dead_letter_sink(again.clone());
    assert_eq!(p.catch_up().await.unwrap().records, 0);
    assert_eq!(store.dead_letters(0, 100).await.unwrap().len(), 1);
    assert!(again.0.lock().unwrap().is_empty());

    // ...and a new poison record is the next id, which a forwarder can tail.
    script
        .log
        .append(AppendBatch {
            events: vec![garbage("t9/x", "second")],
            replies: vec![],
        })
        .await
        .unwrap();
    let progress = p.catch_up().await.unwrap();
    assert_eq!((progress.records, progress.dead_letters), (1, 1));
    let tail = store.dead_letters(first.id, 100).await.unwrap();
    assert_eq!(tail.len(), 1);
    assert!(tail[0].id > first.id);
    assert_eq!(tail[0].record, garbage("t9/x", "second"));
    assert_eq!(tail[0].partition, script.log.partition_of("t9/x"));
    assert_eq!(again.0.lock().unwrap().len(), 1);
    store.close().await;
}

async fn rebuild_from_zero_equals_the_live_view(pair: Pair) {
    let mut script = Script::new(pair.log, 4).await;
    script.small_stream().await;
    let store = TestStore::new(pair.store).await;
    // Live: running while more commands arrive, in small batches.
    let handle = projector(&script, &store, debtors(), 3).await.spawn();
    script.bigger_stream(6).await;
    let ends = script.next_after_all().await;
    let mut progress = handle.progress();
    tokio::time::timeout(
        Duration::from_secs(60),
        progress.wait_for(|p| p.next_offsets == ends),
    )
    .await
    .expect("the live projector did not catch up within 60 s")
    .unwrap();
    assert_eq!(
        lags(&handle.lag().await.unwrap()),
        script.caught_up_lag().await
    );
    let stopped = handle.stop().await.unwrap();
    // 10 + 6 x 5 + 2 reversals.
    assert_eq!(stopped.records, 42);

    let live = export_debtors(&store).await.unwrap();
    assert_eq!(live.len(), 9);
    let rebuilt = rebuilt_export(pair.store, &script).await;
    assert_eq!(checksum(&live), checksum(&rebuilt));
    assert_eq!(live, rebuilt);

    // A rebuild refuses a store that already has progress.
    match rebuild(
        script.log.clone(),
        store.store.clone(),
        debtors(),
        config(10),
    )
    .await
    {
        Err(ViewError::NotFresh {
            projection,
            version,
        }) => {
            assert_eq!((projection.as_str(), version), ("debtors", 1))
        }
        other => panic!("expected NotFresh, got {other:?}"),
    }
    store.close().await;
}

async fn projector_wakes_up_on_new_appends(pair: Pair) {
    let mut script = Script::new(pair.log, 4).await;
    script.small_stream().await;
    let store = TestStore::new(pair.store).await;
    let handle = projector(&script, &store, debtors(), 1_000).await.spawn();
    let reader = DebtorViewReader::new(store.store.clone());
    let version = |r: DebtorViewReader| async move {
        r.debtor(&t("t1"), &d("d1"))
            .await
            .unwrap()
            .map(|v| (v.version, v.accounts[0].balance_minor))
    };
    eventually("the initial catch-up", Duration::from_secs(10), || async {
        version(reader.clone()).await == Some((5, 750_000))
    })
    .await;
    // Caught up and idle; a new append must wake it.
    script.run("t1", "d1", pay("p3", 50_000)).await;
    eventually(
        "the new payment in the view",
        Duration::from_secs(10),
        || async { version(reader.clone()).await == Some((6, 700_000)) },
    )
    .await;
    let progress = handle.stop().await.unwrap();
    assert_eq!(progress.records, 11);
    // On Kafka the running projector also published its checkpoints as the
    // consumer group's offsets (monitoring only), exactly the final ones
    // (it reports once more when it stops).
    if let Some(reported) = script.reported_progress("debtors", 4).await {
        let moved: std::collections::BTreeMap<u32, u64> = progress
            .next_offsets
            .iter()
            .filter(|(_, o)| **o > 0)
            .map(|(p, o)| (*p, *o))
            .collect();
        assert!(!moved.is_empty());
        for (p, o) in &moved {
            assert_eq!(reported.get(p), Some(o), "partition {p}: {reported:?}");
        }
    }
    store.close().await;
}

async fn second_instance_is_fenced_by_the_checkpoint(pair: Pair) {
    let (script, offsets) = small_stream_on_one_partition(pair).await;
    let store = TestStore::new(pair.store).await;
    let mut a = projector(&script, &store, debtors(), 1_000).await;
    let mut b = projector(&script, &store, debtors(), 1_000).await;
    a.catch_up().await.unwrap();
    let before = export_debtors(&store).await.unwrap();
    match b.step().await.unwrap_err() {
        ViewError::CheckpointConflict {
            projection,
            version,
            partition,
            expected,
        } => assert_eq!(
            (projection.as_str(), version, partition, expected),
            ("debtors", 1, 0, 0)
        ),
        other => panic!("expected a checkpoint conflict, got {other}"),
    }
    assert_eq!(export_debtors(&store).await.unwrap(), before);
    assert_eq!(
        store.checkpoints("debtors", 1, EVENTS_TOPIC).await.unwrap(),
        BTreeMap::from([(0, offsets[9] + 1)])
    );
    store.close().await;
}

async fn checkpoint_beyond_the_log_is_refused(pair: Pair) {
    let (script, offsets) = small_stream_on_one_partition(pair).await;
    let store = TestStore::new(pair.store).await;
    projector(&script, &store, debtors(), 1_000)
        .await
        .catch_up()
        .await
        .unwrap();
    // An empty log of the same kind: the view store is ahead of it.
    let empty = pair.log.fresh(1).await;
    match Projector::new(
        empty.log.clone(),
        store.store.clone(),
        debtors(),
        config(10),
    )
    .await
    {
        Err(e @ ViewError::CheckpointAhead { .. }) => assert_eq!(
            e.to_string(),
            format!(
                "projection debtors v1: checkpoint of partition 0 is at offset {} but the log \
                 ends at 0; this view store was built from another log",
                offsets[9] + 1
            )
        ),
        Err(other) => panic!("expected CheckpointAhead, got {other}"),
        Ok(_) => panic!("expected CheckpointAhead, got a projector"),
    }
    store.close().await;
}

/// The same request under the same idempotency key, submitted again, gets
/// the original's events back and appends nothing, on either log. (The
/// ledger here is the embedded one over the pair's log; `KafkaLedger`'s own
/// idempotency is tested in `arrears-kafka/tests/kafka_backend.rs`.)
async fn idempotent_retry_appends_nothing_and_replies_with_the_original(pair: Pair) {
    let mut script = Script::new(pair.log, 2).await;
    script
        .run("t1", "d1", register("CO", "America/Bogota"))
        .await;
    script.run("t1", "d1", open("a1", 1_000_000)).await;
    let first = script
        .submit("t1", "d1", Some("k-pay"), pay("p1", 250_000))
        .await;
    assert_eq!(first.command_id, Uuid::from_u128(3));
    let events = match &first.result {
        ReplyResult::Accepted {
            version: 3,
            events,
            decision: None,
        } if events.len() == 1 => events.clone(),
        other => panic!("expected the payment accepted at version 3, got {other:?}"),
    };
    let records = script.records().await;
    assert_eq!(records.len(), 3);
    let ends = script.end_offsets().await;

    // The client retries the same request under a new command id, and again
    // after a ledger restart (which rebuilds the keys from the log).
    let duplicate = ReplyResult::Duplicate {
        original_command_id: Uuid::from_u128(3),
        version: 3,
        events,
    };
    let retry = script
        .submit("t1", "d1", Some("k-pay"), pay("p1", 250_000))
        .await;
    assert_eq!(
        (retry.command_id, &retry.result),
        (Uuid::from_u128(4), &duplicate)
    );
    script.restart_ledger().await;
    let again = script
        .submit("t1", "d1", Some("k-pay"), pay("p1", 250_000))
        .await;
    assert_eq!(
        (again.command_id, &again.result),
        (Uuid::from_u128(5), &duplicate)
    );

    // One set of events: the retries appended no event and no marker.
    assert_eq!(script.records().await, records);
    assert_eq!(script.end_offsets().await, ends);
    // The original's stored reply is the one it got.
    assert_eq!(
        script.ledger.reply_for(Uuid::from_u128(3)).await.unwrap(),
        Some(first)
    );
    // And the view holds the payment once.
    let store = TestStore::new(pair.store).await;
    let progress = projector(&script, &store, debtors(), 1_000)
        .await
        .catch_up()
        .await
        .unwrap();
    assert_eq!(progress.records, 3);
    let reader = DebtorViewReader::new(store.store.clone());
    let view = reader.debtor(&t("t1"), &d("d1")).await.unwrap().unwrap();
    assert_eq!((view.version, view.accounts[0].balance_minor), (3, 750_000));
    store.close().await;
}

/// The same commands give byte-identical exports on every pair.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_pair_exports_the_same_lines() {
    let mut sums = Vec::new();
    for pair in PAIRS {
        let mut script = Script::new(pair.log, 4).await;
        script.small_stream().await;
        script.bigger_stream(5).await;
        let store = TestStore::new(pair.store).await;
        projector(&script, &store, debtors(), 7)
            .await
            .catch_up()
            .await
            .unwrap();
        let lines = export_debtors(&store).await.unwrap();
        assert_eq!(lines.len(), 8);
        sums.push(checksum(&lines));
        store.close().await;
    }
    assert_eq!(sums, vec![sums[0].clone(); 3], "{PAIRS:?}");
}

#[tokio::test]
async fn views_can_share_the_log_file_and_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("arrears.db");
    {
        let log = Arc::new(SqliteLog::open(&path, 2).await.unwrap());
        let store = ViewStore::sqlite(log.pool().clone()).await.unwrap();
        let mut script = Script::over(log.clone(), LogKind::Sqlite).await;
        script.small_stream().await;
        projector(&script, &store, debtors(), 4)
            .await
            .catch_up()
            .await
            .unwrap();
        script.ledger.stop().await;
    }
    // The log's migrator and ours keep separate tables: reopening works.
    let log = Arc::new(SqliteLog::open(&path, 2).await.unwrap());
    let store = ViewStore::sqlite(log.pool().clone()).await.unwrap();
    let pool = log.pool();
    let log_versions: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations")
        .fetch_all(pool)
        .await
        .unwrap();
    let view_versions: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _arrears_views_migrations")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!((log_versions, view_versions), (vec![1], vec![1001]));
    let ends: BTreeMap<u32, u64> = BTreeMap::from([
        (0, log.end_offset(0).await.unwrap()),
        (1, log.end_offset(1).await.unwrap()),
    ]);
    assert_eq!(ends.values().sum::<u64>(), 10);
    assert_eq!(
        store.checkpoints("debtors", 1, EVENTS_TOPIC).await.unwrap(),
        ends
    );
    let reader = DebtorViewReader::new(store.clone());
    let d1 = reader.debtor(&t("t1"), &d("d1")).await.unwrap().unwrap();
    assert_eq!((d1.version, d1.accounts[0].balance_minor), (5, 750_000));
    // Decodes with the same core the ledger used.
    let first = log.read(0, 0, 1).await.unwrap();
    assert!(cloudevents::decode(&first[0].record).is_ok());
}
