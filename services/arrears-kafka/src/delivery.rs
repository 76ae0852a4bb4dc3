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
/// as they arrive. Call it before `commit_transaction`: rdkafka's commit
/// flushes with 100 ms polls that always run to their end, which cost about
/// 100 ms per transaction (measured in docs/PERFORMANCE.md).
///
/// Why not `poll(1 ms)` in a loop: rdkafka 0.39's `poll` keeps polling until
/// its deadline and passes the remaining time to librdkafka truncated to whole
/// milliseconds, so once less than 1 ms remains it polls with a zero timeout
/// in a tight loop. A `poll(1 ms)` loop therefore burned a whole core for the
/// length of every drain, on a machine where the broker needs that core
/// (a profile showed ~9% of all samples in `clock_gettime` from that loop).
/// Here a zero-timeout poll serves what is queued, and when it served nothing
/// the thread sleeps briefly instead of spinning.
pub fn drain<C: ProducerContext>(producer: &BaseProducer<C>, timeout: Duration) {
    let deadline = std::time::Instant::now() + timeout;
    let mut in_flight = producer.in_flight_count();
    while in_flight > 0 && std::time::Instant::now() < deadline {
        producer.poll(Duration::ZERO);
        let now_in_flight = producer.in_flight_count();
        if now_in_flight == in_flight {
            std::thread::sleep(DRAIN_NAP);
        }
        in_flight = now_in_flight;
    }
}

/// How long [`drain`] sleeps when no delivery report was waiting: short
/// against a transaction (~10-20 ms here), long against a spin.
const DRAIN_NAP: Duration = Duration::from_micros(200);

/// Flushes outstanding messages (used by non-transactional producers).
pub fn flush<C: ProducerContext>(producer: &BaseProducer<C>) -> Result<(), KafkaError> {
    producer.flush(Duration::from_secs(30))
}
