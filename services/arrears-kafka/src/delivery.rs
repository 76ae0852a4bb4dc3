//! Delivery reports of a `BaseProducer`, collected by an opaque index, so a
//! transactional batch learns the (partition, offset) of each record once
//! `commit_transaction` (which flushes and serves the reports) returns.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use rdkafka::ClientContext;
use rdkafka::Message;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};

/// Where a record went (partition, offset), or why it did not.
type Delivery = Result<(u32, u64), String>;

/// A producer context that records where each message went.
#[derive(Default)]
pub struct DeliveryLog {
    delivered: Mutex<HashMap<usize, Delivery>>,
}

impl DeliveryLog {
    pub fn clear(&self) {
        self.delivered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// The positions of messages `0..n`, or the first delivery error.
    pub fn positions(&self, n: usize) -> Result<Vec<(u32, u64)>, String> {
        let d = self.delivered.lock().unwrap_or_else(|p| p.into_inner());
        (0..n)
            .map(|i| match d.get(&i) {
                Some(Ok(pos)) => Ok(*pos),
                Some(Err(e)) => Err(format!("delivery of record {i} failed: {e}")),
                None => Err(format!("no delivery report for record {i}")),
            })
            .collect()
    }
}

impl ClientContext for DeliveryLog {}

impl ProducerContext for DeliveryLog {
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, opaque: usize) {
        if opaque == usize::MAX {
            return;
        }
        let v = match result {
            Ok(m) => Ok((m.partition() as u32, m.offset() as u64)),
            Err((e, _)) => Err(e.to_string()),
        };
        self.delivered
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(opaque, v);
    }
}

/// Enqueues a record, serving delivery reports while the local queue is full.
pub fn send_blocking<C: ProducerContext>(
    producer: &BaseProducer<C>,
    mut record: BaseRecord<'_, str, [u8], C::DeliveryOpaque>,
) -> Result<(), KafkaError> {
    loop {
        match producer.send(record) {
            Ok(()) => return Ok(()),
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                record = r;
                producer.poll(Duration::from_millis(10));
            }
            Err((e, _)) => return Err(e),
        }
    }
}

/// Waits until every enqueued message is delivered, serving delivery reports
/// with 1 ms polls. Call it before `commit_transaction`: rdkafka's commit
/// flushes with 100 ms polls that always run to their end, which cost about
/// 100 ms per transaction (measured in docs/PERFORMANCE.md).
pub fn drain<C: ProducerContext>(producer: &BaseProducer<C>, timeout: Duration) {
    let deadline = std::time::Instant::now() + timeout;
    while producer.in_flight_count() > 0 && std::time::Instant::now() < deadline {
        producer.poll(Duration::from_millis(1));
    }
}

/// Flushes outstanding messages (used by non-transactional producers).
pub fn flush<C: ProducerContext>(producer: &BaseProducer<C>) -> Result<(), KafkaError> {
    producer.flush(Duration::from_secs(30))
}
