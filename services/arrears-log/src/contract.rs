//! The contract every [`EventLog`] implementation must pass. Each check is a
//! plain async function so the embedded log's tests and the Kafka log's tests
//! run the very same assertions (DESIGN D7: one contract, two backends).

use arrears_core::cloudevents::LogRecord;
use uuid::Uuid;

use crate::{AppendBatch, EventLog, ReplyRecord};

/// A `ce_id` unique per (key, n).
pub fn record_id(key: &str, n: u64) -> Uuid {
    Uuid::from_u128(((crate::murmur2(key.as_bytes()) as u32 as u128) << 64) | n as u128)
}

/// A minimal record for `key` with a unique `ce_id`.
pub fn record(key: &str, n: u64) -> LogRecord {
    LogRecord {
        key: key.to_string(),
        headers: vec![
            ("ce_id".into(), record_id(key, n).to_string()),
            ("ce_type".into(), "test.v1".into()),
            ("ce_time".into(), "2026-01-01T00:00:00Z".into()),
            ("ce_sequence".into(), n.to_string()),
        ],
        value: format!("{{\"n\":{n}}}").into_bytes(),
    }
}

/// Records of one key come back in append order, at dense offsets, in the
/// key's partition; `end_offset` is the high-water mark.
pub async fn append_then_read_in_order<L: EventLog + ?Sized>(log: &L, key: &str) {
    let p = log.partition_of(key);
    let start = log.end_offset(p).await.unwrap();
    let batch = AppendBatch {
        events: (0..5)
            .map(|n| record(key, 10_000 + start * 100 + n))
            .collect(),
        replies: vec![],
    };
    let positions = log.append(batch).await.unwrap();
    let expected: Vec<(u32, u64)> = (0..5).map(|i| (p, start + i)).collect();
    assert_eq!(positions, expected);
    assert_eq!(log.end_offset(p).await.unwrap(), start + 5);
    let read = log.read(p, start, 100).await.unwrap();
    assert_eq!(read.len(), 5);
    for (i, r) in read.iter().enumerate() {
        assert_eq!(r.offset, start + i as u64);
        assert_eq!(r.partition, p);
        assert_eq!(r.record.key, key);
        assert_eq!(
            r.record.header("ce_sequence"),
            Some((10_000 + start * 100 + i as u64).to_string().as_str())
        );
    }
    // Reading from the middle and with a limit.
    let tail = log.read(p, start + 3, 1).await.unwrap();
    assert_eq!(tail.len(), 1);
    assert_eq!(tail[0].offset, start + 3);
}

/// A stored reply is found by its command id, together with the events.
pub async fn replies_are_stored_with_events<L: EventLog + ?Sized>(log: &L) {
    let command_id = Uuid::from_u128(0xC0FFEE);
    let before = log.reply(command_id).await.unwrap();
    assert_eq!(before, None);
    log.append(AppendBatch {
        events: vec![record("t/reply-key", 777_777)],
        replies: vec![ReplyRecord {
            command_id,
            key: "t/reply-key".into(),
            value: b"{\"status\":\"accepted\"}".to_vec(),
        }],
    })
    .await
    .unwrap();
    assert_eq!(
        log.reply(command_id).await.unwrap().as_deref(),
        Some(&b"{\"status\":\"accepted\"}"[..])
    );
}
