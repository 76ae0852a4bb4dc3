//! The embedded log: the shared contract plus what is specific to SQLite
//! (atomic batches, persistence across reopen, fixed partition count,
//! immutability).

use arrears_log::contract::{self, record};
use arrears_log::{AppendBatch, EventLog, SqliteLog};

#[tokio::test]
async fn contract_append_then_read_in_order() {
    let log = SqliteLog::in_memory(4).await.unwrap();
    contract::append_then_read_in_order(&log, "t/debtor-1").await;
    contract::append_then_read_in_order(&log, "t/debtor-2").await;
    contract::append_then_read_in_order(&log, "t/debtor-1").await;
}

#[tokio::test]
async fn contract_interleaved_keys() {
    let log = SqliteLog::in_memory(3).await.unwrap();
    contract::interleaved_keys_keep_their_order(&log).await;
}

#[tokio::test]
async fn contract_replies() {
    let log = SqliteLog::in_memory(4).await.unwrap();
    contract::replies_are_stored_with_events(&log).await;
}

#[tokio::test]
async fn a_failing_batch_writes_nothing_and_moves_no_offset() {
    let log = SqliteLog::in_memory(1).await.unwrap();
    log.append(AppendBatch {
        events: vec![record("t/a", 1)],
        replies: vec![],
    })
    .await
    .unwrap();
    let mut watcher = log.appended();
    let seen = *watcher.borrow_and_update();
    // The second record reuses ce_id 1: the unique index fails the batch midway.
    let err = log
        .append(AppendBatch {
            events: vec![record("t/a", 2), record("t/a", 1)],
            replies: vec![],
        })
        .await;
    assert!(err.is_err());
    assert_eq!(log.end_offset(0).await.unwrap(), 1);
    assert_eq!(log.read(0, 0, 10).await.unwrap().len(), 1);
    assert!(
        !watcher.has_changed().unwrap(),
        "a failed append notifies nobody"
    );
    assert_eq!(*watcher.borrow(), seen);
    // And the log keeps working at the right offset.
    let pos = log
        .append(AppendBatch {
            events: vec![record("t/a", 3)],
            replies: vec![],
        })
        .await
        .unwrap();
    assert_eq!(pos, vec![(0, 1)]);
    assert!(watcher.has_changed().unwrap());
}

#[tokio::test]
async fn reopening_keeps_events_and_offsets_and_refuses_another_partition_count() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log.db");
    {
        let log = SqliteLog::open(&path, 3).await.unwrap();
        for n in 0..10 {
            log.append(AppendBatch {
                events: vec![record(&format!("t/{n}"), n)],
                replies: vec![],
            })
            .await
            .unwrap();
        }
        log.pool().close().await;
    }
    let log = SqliteLog::open(&path, 3).await.unwrap();
    let mut total = 0;
    for p in 0..3 {
        let end = log.end_offset(p).await.unwrap();
        assert_eq!(log.read(p, 0, 100).await.unwrap().len() as u64, end);
        total += end;
    }
    assert_eq!(total, 10);
    log.pool().close().await;
    let err = SqliteLog::open(&path, 4).await.err().expect("must refuse");
    assert!(
        err.to_string().contains("created with 3 partitions, not 4"),
        "{err}"
    );
}

#[tokio::test]
async fn events_cannot_be_updated_or_deleted() {
    let log = SqliteLog::in_memory(1).await.unwrap();
    log.append(AppendBatch {
        events: vec![record("t/a", 1)],
        replies: vec![],
    })
    .await
    .unwrap();
    let upd = sqlx::query("UPDATE events SET value = x'00'")
        .execute(log.pool())
        .await;
    assert!(upd.unwrap_err().to_string().contains("immutable"));
    let del = sqlx::query("DELETE FROM events").execute(log.pool()).await;
    assert!(del.unwrap_err().to_string().contains("immutable"));
}

#[tokio::test]
async fn reading_a_missing_partition_is_an_error() {
    let log = SqliteLog::in_memory(2).await.unwrap();
    assert_eq!(
        log.read(2, 0, 1).await.unwrap_err().to_string(),
        "partition 2 does not exist (the log has 2)"
    );
}
