//! The exactly-once ledger on Kafka (DESIGN D2).
//!
//! A consumer group on `arrears.commands`; the member that owns command
//! partition p is the only writer of events partition p. For every batch of
//! commands it writes the events, the replies and the consumed offsets in ONE
//! Kafka transaction (`send_offsets_to_transaction` with the group metadata,
//! KIP-447), so a command's effects and its "consumed" mark commit together
//! or not at all, and a zombie from an older group generation is fenced.
//!
//! rdkafka's transaction calls block, so the whole loop runs on its own OS
//! thread. Failures are classified the way Kafka asks: `txn_requires_abort`
//! aborts the transaction, rewinds the consumer to the batch's first offsets
//! and decides the batch again (the state was not touched); anything fatal
//! (fenced, unknown) drops the producer and the consumer and starts over
//! with a rebuild from the events topic.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use arrears_core::CommandEnvelope;
use arrears_core::cloudevents;
use arrears_ledger::PartitionState;
use rdkafka::Message;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError as RdError;
use rdkafka::message::OwnedHeaders;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};

use crate::config::KafkaConfig;
use crate::delivery::{DeliveryLog, send_blocking};
use crate::log::kafka_headers;

/// Tuning and identity of one ledger instance.
#[derive(Debug, Clone)]
pub struct LedgerOptions {
    /// Stable per instance (`transactional.id` = `{prefix}ledger-{instance_id}`):
    /// a restarted instance fences its own previous incarnation.
    pub instance_id: String,
    /// Most commands per transaction.
    pub max_batch: usize,
    /// How long to wait for more commands before committing a partial batch.
    pub linger: Duration,
    /// Fault injection for tests: the transactions with these numbers (1-based,
    /// counted per session) fail just before `commit_transaction` with an
    /// abortable error, exactly as if the broker had required an abort, so
    /// the abort-and-retry path is exercised against a real broker. Empty in
    /// production.
    #[doc(hidden)]
    pub inject_aborts: Vec<u64>,
    /// The policy packs the compliance gate decides with (default: the ones
    /// shipped in the binary).
    pub policy: Arc<arrears_policy::PackSet>,
}

impl Default for LedgerOptions {
    fn default() -> Self {
        LedgerOptions {
            instance_id: "0".into(),
            max_batch: 1_000,
            linger: Duration::from_millis(5),
            inject_aborts: Vec::new(),
            policy: PartitionState::default().policy,
        }
    }
}

/// Counters for logs and tests.
#[derive(Debug, Default)]
pub struct LedgerStats {
    pub committed_batches: AtomicU64,
    pub committed_commands: AtomicU64,
    pub committed_events: AtomicU64,
    pub aborted_batches: AtomicU64,
    pub restarts: AtomicU64,
    pub dead_lettered: AtomicU64,
}

/// A running Kafka ledger.
pub struct KafkaLedger {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    pub stats: Arc<LedgerStats>,
}

impl KafkaLedger {
    /// Starts the ledger loop on its own thread.
    pub fn start(cfg: KafkaConfig, options: LedgerOptions) -> KafkaLedger {
        let stop = Arc::new(AtomicBool::new(false));
        let stats = Arc::new(LedgerStats::default());
        let (s, st) = (stop.clone(), stats.clone());
        let thread = std::thread::Builder::new()
            .name(format!("ledger-{}", options.instance_id))
            .spawn(move || run(cfg, options, s, st))
            .expect("spawning the ledger thread");
        KafkaLedger {
            stop,
            thread: Some(thread),
            stats,
        }
    }

    /// Stops after the current batch commits; returns once the loop exited.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for KafkaLedger {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(cfg: KafkaConfig, options: LedgerOptions, stop: Arc<AtomicBool>, stats: Arc<LedgerStats>) {
    while !stop.load(Ordering::SeqCst) {
        match Session::open(&cfg, &options) {
            Ok(mut session) => match session.serve(&stop, &stats) {
                Ok(()) => break,
                Err(e) => {
                    tracing::error!(error = %e, "ledger session failed; rebuilding producer, consumer and state");
                }
            },
            Err(e) => tracing::error!(error = %e, "ledger could not start a session"),
        }
        stats.restarts.fetch_add(1, Ordering::Relaxed);
        std::thread::sleep(Duration::from_millis(500));
    }
    tracing::info!("kafka ledger stopped");
}

/// One incarnation: a consumer, a transactional producer and the state of the
/// partitions currently owned.
struct Session {
    cfg: KafkaConfig,
    options: LedgerOptions,
    consumer: BaseConsumer,
    producer: BaseProducer<DeliveryLog>,
    state: PartitionState,
    /// Transactions begun in this session (numbers for `inject_aborts`).
    transactions: u64,
    owned: BTreeSet<u32>,
    partitions: u32,
}

const TXN_TIMEOUT: Duration = Duration::from_secs(30);

impl Session {
    fn open(cfg: &KafkaConfig, options: &LedgerOptions) -> Result<Session, String> {
        let partitions =
            crate::topics::partition_count(cfg, &cfg.events_topic()).map_err(|e| e.to_string())?;
        let consumer: BaseConsumer = cfg
            .client()
            .set("group.id", format!("{}ledger", cfg.topic_prefix))
            .set("enable.auto.commit", "false")
            .set("isolation.level", "read_committed")
            .set("auto.offset.reset", "earliest")
            .set("session.timeout.ms", "10000")
            .set("heartbeat.interval.ms", "1000")
            .set("max.poll.interval.ms", "300000")
            .set("fetch.wait.max.ms", "5")
            .create()
            .map_err(|e| e.to_string())?;
        consumer
            .subscribe(&[&cfg.commands_topic()])
            .map_err(|e| e.to_string())?;
        let producer: BaseProducer<DeliveryLog> = cfg
            .producer()
            .set(
                "transactional.id",
                format!("{}ledger-{}", cfg.topic_prefix, options.instance_id),
            )
            .set("enable.idempotence", "true")
            .set("transaction.timeout.ms", "60000")
            .set("linger.ms", "2")
            .set("batch.num.messages", "10000")
            .set("queue.buffering.max.messages", "1000000")
            .create_with_context(DeliveryLog::default())
            .map_err(|e| e.to_string())?;
        producer
            .init_transactions(TXN_TIMEOUT)
            .map_err(|e| format!("init_transactions: {e}"))?;
        Ok(Session {
            cfg: cfg.clone(),
            options: options.clone(),
            consumer,
            producer,
            state: PartitionState::new(options.policy.clone()),
            transactions: 0,
            owned: BTreeSet::new(),
            partitions,
        })
    }

    fn serve(&mut self, stop: &AtomicBool, stats: &LedgerStats) -> Result<(), String> {
        let commands_topic = self.cfg.commands_topic();
        while !stop.load(Ordering::SeqCst) {
            let batch = self.collect()?;
            self.sync_assignment()?;
            // Only commands of partitions we own now (a revocation may have
            // happened while collecting).
            let batch: Vec<Polled> = batch
                .into_iter()
                .filter(|m| self.owned.contains(&m.partition))
                .collect();
            if batch.is_empty() {
                continue;
            }
            match self.commit_batch(&batch, stats) {
                Ok(()) => {}
                Err(BatchError::Abortable(e)) => {
                    tracing::warn!(error = %e, "transaction aborted; deciding the batch again");
                    stats.aborted_batches.fetch_add(1, Ordering::Relaxed);
                    let _ = self.producer.abort_transaction(TXN_TIMEOUT);
                    self.rewind(&commands_topic, &batch)?;
                }
                Err(BatchError::Fatal(e)) => return Err(e),
            }
        }
        // Leave the group cleanly so the partitions move at once.
        self.consumer.unsubscribe();
        Ok(())
    }

    /// Polls up to `max_batch` commands, waiting at most `linger` for more
    /// once the first arrived.
    fn collect(&mut self) -> Result<Vec<Polled>, String> {
        let mut out = Vec::new();
        let mut deadline: Option<Instant> = None;
        while out.len() < self.options.max_batch {
            let timeout = match deadline {
                None => Duration::from_millis(100),
                Some(d) => whole_millis(d.saturating_duration_since(Instant::now())),
            };
            match self.consumer.poll(timeout) {
                Some(Ok(m)) => {
                    out.push(Polled {
                        partition: m.partition() as u32,
                        offset: m.offset(),
                        key: m.key().map(|k| String::from_utf8_lossy(k).into_owned()),
                        value: m.payload().unwrap_or_default().to_vec(),
                    });
                    deadline.get_or_insert_with(|| Instant::now() + self.options.linger);
                }
                Some(Err(e)) => {
                    if e.rdkafka_error_code().is_some_and(is_fatal_consumer) {
                        return Err(format!("consumer: {e}"));
                    }
                    tracing::warn!(error = %e, "consumer poll");
                    break;
                }
                None => break,
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
        }
        Ok(out)
    }

    /// Brings the owned set in line with the consumer's assignment: drops the
    /// debtors of revoked partitions, rebuilds those of new ones.
    fn sync_assignment(&mut self) -> Result<(), String> {
        let assignment = self.consumer.assignment().map_err(|e| e.to_string())?;
        let now: BTreeSet<u32> = assignment
            .elements()
            .iter()
            .map(|e| e.partition() as u32)
            .collect();
        if now == self.owned {
            return Ok(());
        }
        let revoked: Vec<u32> = self.owned.difference(&now).copied().collect();
        let added: Vec<u32> = now.difference(&self.owned).copied().collect();
        let partitions = self.partitions;
        self.state
            .debtors
            .retain(|key, _| !revoked.contains(&arrears_log::partition_for(key, partitions)));
        if !added.is_empty() {
            let started = Instant::now();
            let (debtors, events) = self.rebuild_partitions(&added)?;
            tracing::info!(
                partitions = ?added,
                debtors,
                events,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "partitions assigned; state rebuilt from the events topic"
            );
        }
        self.owned = now;
        Ok(())
    }

    /// Reads the events partitions `ps` from the beginning to their end
    /// (read_committed), with one consumer, and folds them into the state.
    /// Every debtor's sequence must be gap-free: a gap or a duplicate means
    /// the log is not what the ledger wrote, and deciding on it would be wrong.
    fn rebuild_partitions(&mut self, ps: &[u32]) -> Result<(usize, u64), String> {
        let reader: BaseConsumer<crate::QuietEof> = self
            .cfg
            .client()
            .set(
                "group.id",
                format!("{}ledger-rebuild", self.cfg.topic_prefix),
            )
            .set("enable.auto.commit", "false")
            .set("isolation.level", "read_committed")
            .set("enable.partition.eof", "true")
            .set("fetch.max.bytes", "52428800")
            .create_with_context(crate::QuietEof)
            .map_err(|e| e.to_string())?;
        let topic = self.cfg.events_topic();
        let mut tpl = TopicPartitionList::new();
        for p in ps {
            tpl.add_partition_offset(&topic, *p as i32, Offset::Beginning)
                .map_err(|e| e.to_string())?;
        }
        reader.assign(&tpl).map_err(|e| e.to_string())?;
        let mut pending: BTreeSet<i32> = ps.iter().map(|p| *p as i32).collect();
        let mut events = 0u64;
        let before = self.state.debtors.len();
        while !pending.is_empty() {
            match reader.poll(Duration::from_secs(30)) {
                Some(Ok(m)) => {
                    let record = crate::log::log_record(&m);
                    let event = cloudevents::decode(&record).map_err(|e| {
                        format!(
                            "events partition {} offset {} cannot be decoded: {e}",
                            m.partition(),
                            m.offset()
                        )
                    })?;
                    let s = self.state.debtors.entry(event.key()).or_default();
                    if event.sequence != s.version + 1 {
                        return Err(format!(
                            "events partition {} offset {}: debtor {} jumps from version {} to {}",
                            m.partition(),
                            m.offset(),
                            event.key(),
                            s.version,
                            event.sequence
                        ));
                    }
                    s.apply(&event);
                    events += 1;
                }
                Some(Err(RdError::PartitionEOF(p))) => {
                    pending.remove(&p);
                }
                Some(Err(e)) => return Err(format!("rebuilding partitions {ps:?}: {e}")),
                None => {
                    return Err(format!(
                        "rebuilding partitions {ps:?}: no answer from Kafka"
                    ));
                }
            }
        }
        Ok((self.state.debtors.len() - before, events))
    }

    fn commit_batch(&mut self, batch: &[Polled], stats: &LedgerStats) -> Result<(), BatchError> {
        let mut envelopes = Vec::with_capacity(batch.len());
        let mut dead = Vec::new();
        for m in batch {
            match decode_command(m, self.partitions) {
                Ok(env) => envelopes.push(env),
                Err(reason) => dead.push((m, reason)),
            }
        }
        let decided = self.state.decide_batch(&envelopes);
        let events_topic = self.cfg.events_topic();
        let replies_topic = self.cfg.replies_topic();
        let dead_topic = self.cfg.dead_letter_topic();
        let abortable = |e: RdError| classify(e);

        self.producer.context().clear();
        self.producer.begin_transaction().map_err(abortable)?;
        self.transactions += 1;
        for record in &decided.records {
            let p = arrears_log::partition_for(&record.key, self.partitions);
            send_blocking(
                &self.producer,
                BaseRecord::with_opaque_to(&events_topic, usize::MAX)
                    .key(record.key.as_str())
                    .payload(record.value.as_slice())
                    .partition(p as i32)
                    .headers(kafka_headers(&record.headers)),
            )
            .map_err(abortable)?;
        }
        for (_, reply) in &decided.replies {
            let key = reply.command_id.to_string();
            send_blocking(
                &self.producer,
                BaseRecord::with_opaque_to(&replies_topic, usize::MAX)
                    .key(key.as_str())
                    .payload(reply.value.as_slice()),
            )
            .map_err(abortable)?;
        }
        for (m, reason) in &dead {
            let headers = OwnedHeaders::new()
                .insert(rdkafka::message::Header {
                    key: "arrears_dlq_reason",
                    value: Some(reason.as_bytes()),
                })
                .insert(rdkafka::message::Header {
                    key: "arrears_dlq_source",
                    value: Some(
                        format!("{}/{}/{}", self.cfg.commands_topic(), m.partition, m.offset)
                            .as_bytes(),
                    ),
                });
            let key = m.key.clone().unwrap_or_default();
            send_blocking(
                &self.producer,
                BaseRecord::with_opaque_to(&dead_topic, usize::MAX)
                    .key(key.as_str())
                    .payload(m.value.as_slice())
                    .headers(headers),
            )
            .map_err(abortable)?;
        }
        let mut next: BTreeMap<u32, i64> = BTreeMap::new();
        for m in batch {
            let e = next.entry(m.partition).or_insert(m.offset + 1);
            *e = (*e).max(m.offset + 1);
        }
        let mut offsets = TopicPartitionList::new();
        for (p, o) in &next {
            offsets
                .add_partition_offset(&self.cfg.commands_topic(), *p as i32, Offset::Offset(*o))
                .map_err(abortable)?;
        }
        let metadata = self
            .consumer
            .group_metadata()
            .ok_or_else(|| BatchError::Fatal("no consumer group metadata".into()))?;
        self.producer
            .send_offsets_to_transaction(&offsets, &metadata, TXN_TIMEOUT)
            .map_err(abortable)?;
        crate::delivery::drain(&self.producer, TXN_TIMEOUT);
        if self.options.inject_aborts.contains(&self.transactions) {
            return Err(BatchError::Abortable("injected abort (test)".into()));
        }
        self.producer
            .commit_transaction(TXN_TIMEOUT)
            .map_err(abortable)?;

        stats.committed_batches.fetch_add(1, Ordering::Relaxed);
        stats
            .committed_commands
            .fetch_add(envelopes.len() as u64, Ordering::Relaxed);
        stats
            .committed_events
            .fetch_add(decided.records.len() as u64, Ordering::Relaxed);
        stats
            .dead_lettered
            .fetch_add(dead.len() as u64, Ordering::Relaxed);
        for (m, reason) in &dead {
            tracing::warn!(partition = m.partition, offset = m.offset, %reason, "command dead-lettered");
        }
        self.state.commit(decided.changed);
        Ok(())
    }

    /// After an abort, positions the consumer back at the batch's first
    /// command of each partition, so the same commands are decided again.
    fn rewind(&mut self, topic: &str, batch: &[Polled]) -> Result<(), String> {
        let mut first: BTreeMap<u32, i64> = BTreeMap::new();
        for m in batch {
            let e = first.entry(m.partition).or_insert(m.offset);
            *e = (*e).min(m.offset);
        }
        for (p, o) in first {
            self.consumer
                .seek(topic, p as i32, Offset::Offset(o), Duration::from_secs(10))
                .map_err(|e| format!("rewinding partition {p}: {e}"))?;
        }
        Ok(())
    }
}

/// `d` rounded up to whole milliseconds. rdkafka hands librdkafka its poll
/// timeout truncated to milliseconds and keeps polling until the deadline,
/// so a sub-millisecond timeout turns into a busy loop of zero-timeout polls
/// (see `delivery::drain`); rounded up, the poll blocks instead, overshooting
/// the linger by less than a millisecond.
fn whole_millis(d: Duration) -> Duration {
    Duration::from_millis(d.as_micros().div_ceil(1_000) as u64)
}

struct Polled {
    partition: u32,
    offset: i64,
    key: Option<String>,
    value: Vec<u8>,
}

enum BatchError {
    Abortable(String),
    Fatal(String),
}

fn classify(e: RdError) -> BatchError {
    match &e {
        RdError::Transaction(t) if t.txn_requires_abort() => BatchError::Abortable(e.to_string()),
        RdError::Transaction(t) if t.is_retriable() => BatchError::Abortable(e.to_string()),
        RdError::MessageProduction(_) => BatchError::Abortable(e.to_string()),
        _ => BatchError::Fatal(e.to_string()),
    }
}

fn is_fatal_consumer(code: rdkafka::types::RDKafkaErrorCode) -> bool {
    use rdkafka::types::RDKafkaErrorCode::*;
    matches!(code, Fatal | Fenced | UnknownTopicOrPartition)
}

/// Decodes a command and checks it was routed to the partition its key
/// belongs to (otherwise two ledgers could write one debtor).
fn decode_command(m: &Polled, partitions: u32) -> Result<CommandEnvelope, String> {
    let envelope: CommandEnvelope =
        serde_json::from_slice(&m.value).map_err(|e| format!("undecodable command: {e}"))?;
    let key = envelope.key();
    if m.key.as_deref() != Some(key.as_str()) {
        return Err(format!(
            "record key {:?} does not match the command's stream key {key:?}",
            m.key
        ));
    }
    let expected = arrears_log::partition_for(&key, partitions);
    if expected != m.partition {
        return Err(format!(
            "misrouted: key {key:?} belongs to partition {expected}, not {}",
            m.partition
        ));
    }
    Ok(envelope)
}

#[cfg(test)]
mod tests {
    use super::whole_millis;
    use std::time::Duration;

    #[test]
    fn poll_timeouts_are_rounded_up_to_whole_milliseconds() {
        assert_eq!(whole_millis(Duration::ZERO), Duration::ZERO);
        assert_eq!(
            whole_millis(Duration::from_micros(1)),
            Duration::from_millis(1)
        );
        assert_eq!(
            whole_millis(Duration::from_micros(999)),
            Duration::from_millis(1)
        );
        assert_eq!(
            whole_millis(Duration::from_millis(3)),
            Duration::from_millis(3)
        );
        assert_eq!(
            whole_millis(Duration::from_micros(4_001)),
            Duration::from_millis(5)
        );
    }
}
