//! `KafkaLog`: the `EventLog` contract on Apache Kafka (`arrears.events`).
//!
//! Appends go through a transactional producer, so a batch with its replies
//! is all-or-nothing, exactly as in the embedded log. Reads use
//! `read_committed` consumers assigned to one partition (no consumer group),
//! so aborted batches are never seen. Kafka's offsets are not dense: every
//! transaction leaves a control marker, so readers continue from
//! `last offset + 1` and never assume `offset == count`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arrears_core::cloudevents::LogRecord;
use arrears_log::{AppendBatch, EventLog, LogError, StoredRecord};
use async_trait::async_trait;
use rdkafka::Message;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError as RdError;
use rdkafka::message::{Header, Headers, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};
use tokio::sync::watch;
use uuid::Uuid;

use crate::config::KafkaConfig;
use crate::delivery::DeliveryLog;
use crate::replies::ReplyIndex;

const TXN_TIMEOUT: Duration = Duration::from_secs(30);

/// The event log on Kafka.
pub struct KafkaLog {
    cfg: KafkaConfig,
    partitions: u32,
    /// Transactional producer for `append`, created on first use.
    producer: tokio::sync::Mutex<Option<Arc<BaseProducer<DeliveryLog>>>>,
    readers: Mutex<HashMap<u32, Arc<Mutex<Reader>>>>,
    watermarks: Arc<BaseConsumer>,
    appended: watch::Sender<u64>,
    replies: tokio::sync::OnceCell<Arc<ReplyIndex>>,
    /// One offset committer per reporting consumer (see `report_progress`).
    progress: Mutex<HashMap<String, Arc<BaseConsumer>>>,
}

struct Reader {
    consumer: BaseConsumer<crate::QuietEof>,
    /// The offset the consumer will return next, when known.
    position: Option<u64>,
}

impl KafkaLog {
    /// Connects to an existing topic set (see [`crate::topics::create_topics`]).
    pub async fn connect(cfg: KafkaConfig) -> Result<Arc<KafkaLog>, LogError> {
        let partitions = crate::topics::verify_topics(&cfg).await.map_err(to_log)?;
        let watermarks: BaseConsumer = cfg
            .client()
            .set("group.id", "arrears-watermarks")
            .create()
            .map_err(|e| LogError::Storage(e.to_string()))?;
        let (appended, _) = watch::channel(0);
        let log = Arc::new(KafkaLog {
            cfg,
            partitions,
            producer: tokio::sync::Mutex::new(None),
            readers: Mutex::new(HashMap::new()),
            watermarks: Arc::new(watermarks),
            appended,
            replies: tokio::sync::OnceCell::new(),
            progress: Mutex::new(HashMap::new()),
        });
        // Tail notifications: a cheap poll of the high watermarks.
        let weak = Arc::downgrade(&log);
        tokio::spawn(async move {
            let mut last = None;
            loop {
                let Some(log) = weak.upgrade() else { break };
                let total = log.total_high_watermark().await;
                if let Ok(total) = total
                    && last != Some(total)
                {
                    last = Some(total);
                    log.appended.send_replace(total);
                }
                drop(log);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
        Ok(log)
    }

    pub fn config(&self) -> &KafkaConfig {
        &self.cfg
    }

    async fn total_high_watermark(&self) -> Result<u64, LogError> {
        let consumer = self.watermarks.clone();
        let topic = self.cfg.events_topic();
        let partitions = self.partitions;
        tokio::task::spawn_blocking(move || {
            let mut total = 0u64;
            for p in 0..partitions {
                let (_, high) = consumer
                    .fetch_watermarks(&topic, p as i32, Duration::from_secs(5))
                    .map_err(|e| LogError::Storage(e.to_string()))?;
                total += high.max(0) as u64;
            }
            Ok(total)
        })
        .await
        .map_err(|e| LogError::Storage(e.to_string()))?
    }

    async fn transactional_producer(&self) -> Result<Arc<BaseProducer<DeliveryLog>>, LogError> {
        let mut slot = self.producer.lock().await;
        if let Some(p) = slot.as_ref() {
            return Ok(p.clone());
        }
        let producer: BaseProducer<DeliveryLog> = self
            .cfg
            .producer()
            .set(
                "transactional.id",
                format!("{}log-{}", self.cfg.topic_prefix, Uuid::now_v7()),
            )
            .set("enable.idempotence", "true")
            .set("transaction.timeout.ms", "60000")
            .set("linger.ms", "1")
            .create_with_context(DeliveryLog::default())
            .map_err(|e| LogError::Storage(e.to_string()))?;
        let producer = Arc::new(producer);
        let p = producer.clone();
        tokio::task::spawn_blocking(move || p.init_transactions(TXN_TIMEOUT))
            .await
            .map_err(|e| LogError::Storage(e.to_string()))?
            .map_err(|e| LogError::Storage(format!("init_transactions: {e}")))?;
        *slot = Some(producer.clone());
        Ok(producer)
    }

    fn reader(&self, partition: u32) -> Result<Arc<Mutex<Reader>>, LogError> {
        let mut readers = self.readers.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(r) = readers.get(&partition) {
            return Ok(r.clone());
        }
        let consumer: BaseConsumer<crate::QuietEof> = self
            .cfg
            .client()
            .set("group.id", format!("{}reader", self.cfg.topic_prefix))
            .set("enable.auto.commit", "false")
            .set("isolation.level", "read_committed")
            .set("enable.partition.eof", "true")
            .set("auto.offset.reset", "earliest")
            .create_with_context(crate::QuietEof)
            .map_err(|e| LogError::Storage(e.to_string()))?;
        let reader = Arc::new(Mutex::new(Reader {
            consumer,
            position: None,
        }));
        readers.insert(partition, reader.clone());
        Ok(reader)
    }

    /// The index of `arrears.replies`, read from the beginning (used by
    /// [`EventLog::reply`]; the gateway has its own, read from "now").
    /// The consumer group name a reporting consumer's progress is committed under.
    pub fn progress_group(&self, consumer: &str) -> String {
        format!("{}projector.{consumer}", self.cfg.topic_prefix)
    }

    fn progress_committer(&self, consumer: &str) -> Result<Arc<BaseConsumer>, LogError> {
        let mut committers = self.progress.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = committers.get(consumer) {
            return Ok(c.clone());
        }
        // Never subscribed or assigned: it only commits offsets for a group
        // that has no members, which Kafka accepts from any client.
        let c: BaseConsumer = self
            .cfg
            .client()
            .set("group.id", self.progress_group(consumer))
            .set("enable.auto.commit", "false")
            .create()
            .map_err(|e| LogError::Storage(e.to_string()))?;
        let c = Arc::new(c);
        committers.insert(consumer.to_string(), c.clone());
        Ok(c)
    }

    async fn reply_index(&self) -> Result<Arc<ReplyIndex>, LogError> {
        self.replies
            .get_or_try_init(|| async { ReplyIndex::start(&self.cfg, true).await.map_err(to_log) })
            .await
            .cloned()
    }
}

fn to_log(e: crate::KafkaError) -> LogError {
    LogError::Storage(e.to_string())
}

/// Kafka headers from a record's `(name, value)` pairs.
pub fn kafka_headers(headers: &[(String, String)]) -> OwnedHeaders {
    headers.iter().fold(OwnedHeaders::new(), |h, (k, v)| {
        h.insert(Header {
            key: k,
            value: Some(v.as_bytes()),
        })
    })
}

/// A `LogRecord` from a consumed Kafka message.
pub fn log_record(m: &impl Message) -> LogRecord {
    let headers = m
        .headers()
        .map(|hs| {
            hs.iter()
                .map(|h| {
                    (
                        h.key.to_string(),
                        String::from_utf8_lossy(h.value.unwrap_or_default()).into_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    LogRecord {
        key: String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned(),
        headers,
        value: m.payload().unwrap_or_default().to_vec(),
    }
}

#[async_trait]
impl EventLog for KafkaLog {
    fn partitions(&self) -> u32 {
        self.partitions
    }

    async fn append(&self, batch: AppendBatch) -> Result<Vec<(u32, u64)>, LogError> {
        let producer = self.transactional_producer().await?;
        let events_topic = self.cfg.events_topic();
        let replies_topic = self.cfg.replies_topic();
        let partitions = self.partitions;
        // Appends are serialised: one transaction at a time on this producer.
        let _guard = self.producer.lock().await;
        let positions =
            tokio::task::spawn_blocking(move || -> Result<Vec<(u32, u64)>, LogError> {
                let err = |e: RdError| LogError::Storage(e.to_string());
                producer.context().clear();
                producer.begin_transaction().map_err(err)?;
                let sent = (|| -> Result<(), LogError> {
                    for (i, r) in batch.events.iter().enumerate() {
                        let p = arrears_log::partition_for(&r.key, partitions);
                        crate::delivery::send_blocking(
                            &producer,
                            BaseRecord::with_opaque_to(&events_topic, i)
                                .key(r.key.as_str())
                                .payload(r.value.as_slice())
                                .partition(p as i32)
                                .headers(kafka_headers(&r.headers)),
                        )
                        .map_err(err)?;
                    }
                    for reply in &batch.replies {
                        let key = reply.command_id.to_string();
                        crate::delivery::send_blocking(
                            &producer,
                            BaseRecord::with_opaque_to(&replies_topic, usize::MAX)
                                .key(key.as_str())
                                .payload(reply.value.as_slice()),
                        )
                        .map_err(err)?;
                    }
                    crate::delivery::drain(&producer, TXN_TIMEOUT);
                    producer.commit_transaction(TXN_TIMEOUT).map_err(err)
                })();
                if let Err(e) = sent {
                    let _ = producer.abort_transaction(TXN_TIMEOUT);
                    return Err(e);
                }
                // commit_transaction flushed: every delivery report has been served.
                producer
                    .context()
                    .positions(batch.events.len())
                    .map_err(LogError::Storage)
            })
            .await
            .map_err(|e| LogError::Storage(e.to_string()))??;
        // `commit_transaction` returns before the brokers have written the
        // commit markers; until then read_committed readers stop short of the
        // batch. Wait for visibility so a caller can read its own append.
        let mut last: HashMap<u32, u64> = HashMap::new();
        for (p, o) in &positions {
            let e = last.entry(*p).or_default();
            *e = (*e).max(*o);
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        for (p, o) in last {
            while self.end_offset(p).await? <= o {
                if std::time::Instant::now() > deadline {
                    return Err(LogError::Storage(format!(
                        "partition {p}: committed records not visible after 30 s"
                    )));
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
        Ok(positions)
    }

    async fn read(
        &self,
        partition: u32,
        from: u64,
        max: usize,
    ) -> Result<Vec<StoredRecord>, LogError> {
        if partition >= self.partitions {
            return Err(LogError::NoSuchPartition {
                partition,
                partitions: self.partitions,
            });
        }
        // Nothing committed at or after `from`: answer at once.
        let end = self.end_offset(partition).await?;
        if from >= end {
            return Ok(Vec::new());
        }
        let reader = self.reader(partition)?;
        let topic = self.cfg.events_topic();
        tokio::task::spawn_blocking(move || {
            let mut guard = reader.lock().unwrap_or_else(|p| p.into_inner());
            let r = &mut *guard;
            if r.position != Some(from) {
                let mut tpl = TopicPartitionList::new();
                tpl.add_partition_offset(&topic, partition as i32, Offset::Offset(from as i64))
                    .map_err(|e| LogError::Storage(e.to_string()))?;
                r.consumer
                    .assign(&tpl)
                    .map_err(|e| LogError::Storage(e.to_string()))?;
                r.position = Some(from);
            }
            let mut out = Vec::new();
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            // Poll until `max` records, the stable end known above, or EOF.
            while out.len() < max && std::time::Instant::now() < deadline {
                match r.consumer.poll(Duration::from_millis(100)) {
                    Some(Ok(m)) => {
                        let offset = m.offset() as u64;
                        out.push(StoredRecord {
                            partition,
                            offset,
                            record: log_record(&m),
                        });
                        drop(m);
                        r.position = Some(offset + 1);
                        if offset + 1 >= end {
                            break;
                        }
                    }
                    Some(Err(RdError::PartitionEOF(_))) => break,
                    Some(Err(e)) => return Err(LogError::Storage(e.to_string())),
                    None => {
                        // EOF is reported once; when the consumer already
                        // stands past everything committed (the last offset
                        // can be a transaction marker), stop here.
                        let past_end = r
                            .consumer
                            .position()
                            .ok()
                            .and_then(|tpl| {
                                tpl.find_partition(&topic, partition as i32)
                                    .and_then(|e| e.offset().to_raw())
                            })
                            .is_some_and(|pos| pos >= end as i64);
                        if !out.is_empty() || past_end {
                            break;
                        }
                    }
                }
            }
            Ok(out)
        })
        .await
        .map_err(|e| LogError::Storage(e.to_string()))?
    }

    async fn end_offset(&self, partition: u32) -> Result<u64, LogError> {
        let consumer = self.watermarks.clone();
        let topic = self.cfg.events_topic();
        tokio::task::spawn_blocking(move || {
            consumer
                .fetch_watermarks(&topic, partition as i32, Duration::from_secs(5))
                .map(|(_, high)| high.max(0) as u64)
                .map_err(|e| LogError::Storage(e.to_string()))
        })
        .await
        .map_err(|e| LogError::Storage(e.to_string()))?
    }

    fn appended(&self) -> watch::Receiver<u64> {
        self.appended.subscribe()
    }

    async fn report_progress(
        &self,
        consumer: &str,
        next_offsets: &std::collections::BTreeMap<u32, u64>,
    ) -> Result<(), LogError> {
        if next_offsets.is_empty() {
            return Ok(());
        }
        let committer = self.progress_committer(consumer)?;
        let topic = self.cfg.events_topic();
        let mut tpl = TopicPartitionList::new();
        for (&partition, &next) in next_offsets {
            tpl.add_partition_offset(&topic, partition as i32, Offset::Offset(next as i64))
                .map_err(|e| LogError::Storage(e.to_string()))?;
        }
        // A synchronous commit (one round trip), off the async runtime.
        tokio::task::spawn_blocking(move || {
            committer.commit(&tpl, rdkafka::consumer::CommitMode::Sync)
        })
        .await
        .map_err(|e| LogError::Storage(e.to_string()))?
        .map_err(|e| LogError::Storage(format!("committing progress offsets: {e}")))
    }

    async fn reply(&self, command_id: Uuid) -> Result<Option<Vec<u8>>, LogError> {
        let index = self.reply_index().await?;
        Ok(index
            .get_after_catching_up(command_id, Duration::from_secs(5))
            .await
            .map(|r| r.into_bytes()))
    }
}
