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

/// Records of one key come back in append order, at strictly increasing
/// offsets of the key's partition; `end_offset` is past the last one.
/// Offsets need not be dense: Kafka puts a transaction marker after each
/// committed batch. Readers continue from `last offset + 1`.
pub async fn append_then_read_in_order<L: EventLog + ?Sized>(log: &L, key: &str) {
    let p = log.partition_of(key);
    let start = log.end_offset(p).await.unwrap();
    let base = 10_000 + start * 100;
    let batch = AppendBatch {
        events: (0..5).map(|n| record(key, base + n)).collect(),
        replies: vec![],
    };
    let positions = log.append(batch).await.unwrap();
    assert_eq!(positions.len(), 5);
    assert!(
        positions.iter().all(|(pp, o)| *pp == p && *o >= start),
        "{positions:?}"
    );
    assert!(
        positions.windows(2).all(|w| w[0].1 < w[1].1),
        "{positions:?}"
    );
    let last = positions[4].1;
    let end = log.end_offset(p).await.unwrap();
    assert!(
        end > last,
        "end offset {end} must be past the last record {last}: {positions:?}"
    );
    let read = log.read(p, start, 100).await.unwrap();
    assert_eq!(read.len(), 5);
    for (i, r) in read.iter().enumerate() {
        assert_eq!(r.offset, positions[i].1);
        assert_eq!(r.partition, p);
        assert_eq!(r.record.key, key);
        assert_eq!(
            r.record.header("ce_sequence"),
            Some((base + i as u64).to_string().as_str())
        );
        assert_eq!(
            r.record.value,
            format!("{{\"n\":{}}}", base + i as u64).into_bytes()
        );
    }
    // Reading from the middle and with a limit.
    let tail = log.read(p, positions[3].1, 1).await.unwrap();
    assert_eq!(tail.len(), 1);
    assert_eq!(tail[0].offset, positions[3].1);
    // Reading past the end is empty, not an error.
    assert!(log.read(p, last + 1, 10).await.unwrap().is_empty());
}

/// Appends of different keys interleave per partition but each key keeps its
/// order; a partition's reader sees every record once.
pub async fn interleaved_keys_keep_their_order<L: EventLog + ?Sized>(log: &L) {
    let keys: Vec<String> = (0..6).map(|i| format!("t/inter-{i}")).collect();
    let starts: Vec<u64> = {
        let mut v = Vec::new();
        for p in 0..log.partitions() {
            v.push(log.end_offset(p).await.unwrap());
        }
        v
    };
    for round in 0..3u64 {
        let batch = AppendBatch {
            events: keys
                .iter()
                .enumerate()
                .map(|(i, k)| record(k, 500_000 + round * 10 + i as u64))
                .collect(),
            replies: vec![],
        };
        log.append(batch).await.unwrap();
    }
    for k in &keys {
        let p = log.partition_of(k);
        let mut seen = Vec::new();
        let mut from = starts[p as usize];
        loop {
            let page = log.read(p, from, 7).await.unwrap();
            let Some(last) = page.last() else { break };
            from = last.offset + 1;
            seen.extend(page.into_iter().filter(|r| &r.record.key == k));
        }
        let sequences: Vec<String> = seen
            .iter()
            .map(|r| r.record.header("ce_sequence").unwrap().to_string())
            .collect();
        let i = keys.iter().position(|x| x == k).unwrap() as u64;
        let expected: Vec<String> = (0..3)
            .map(|round| (500_000 + round * 10 + i).to_string())
            .collect();
        assert_eq!(sequences, expected, "key {k}");
    }
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
