//! Kafka plumbing shared by the benchmarks: a fresh topic set per run, a
//! scratch topic for the baseline, and producers that count their delivery
//! reports (a benchmark that loses messages must say so, not look fast).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use arrears_kafka::KafkaConfig;
use rdkafka::ClientContext;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::OwnedHeaders;
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};

/// A config whose topics nobody else uses: `bench-<uuid>.commands`, …
pub fn fresh_config(base: &KafkaConfig, partitions: u32) -> KafkaConfig {
    let prefix = format!("bench-{}.", uuid::Uuid::now_v7().simple());
    base.clone().with_prefix(prefix).with_partitions(partitions)
}

/// Creates the four arrears topics under the config's prefix.
pub async fn create_topics(cfg: &KafkaConfig) -> anyhow::Result<()> {
    arrears_kafka::topics::create_topics(cfg)
        .await
        .context("creating the benchmark's topics")?;
    Ok(())
}

/// Creates a scratch topic `{prefix}{name}` with the config's partition count
/// (the baseline writes there, never to a topic the ledger reads).
pub async fn create_scratch_topic(cfg: &KafkaConfig, name: &str) -> anyhow::Result<String> {
    let topic = format!("{}{name}", cfg.topic_prefix);
    let admin: AdminClient<DefaultClientContext> = cfg.client().create()?;
    let spec = NewTopic::new(
        &topic,
        cfg.partitions as i32,
        TopicReplication::Fixed(cfg.replication),
    );
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    for r in admin.create_topics([&spec], &options).await? {
        if let Err((name, code)) = r
            && code != RDKafkaErrorCode::TopicAlreadyExists
        {
            anyhow::bail!("creating topic {name}: {code}");
        }
    }
    // Wait until the metadata shows it, as the ledger's topics are waited for.
    let cfg2 = cfg.clone();
    let t = topic.clone();
    tokio::task::spawn_blocking(move || arrears_kafka::topics::partition_count(&cfg2, &t))
        .await??;
    Ok(topic)
}

/// A producer context that counts delivery reports and keeps the first error.
#[derive(Default)]
pub struct Counting {
    pub delivered: AtomicU64,
    pub failed: AtomicU64,
    pub first_error: Mutex<Option<String>>,
}

impl ClientContext for Counting {}

impl ProducerContext for Counting {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        match result {
            Ok(_) => {
                self.delivered.fetch_add(1, Ordering::Relaxed);
            }
            Err((e, _)) => {
                self.failed.fetch_add(1, Ordering::Relaxed);
                let mut first = self.first_error.lock().unwrap_or_else(|p| p.into_inner());
                first.get_or_insert_with(|| e.to_string());
            }
        }
    }
}

impl Counting {
    /// Fails when any message was not delivered.
    pub fn check(&self, expected: u64) -> anyhow::Result<()> {
        let failed = self.failed.load(Ordering::Relaxed);
        let delivered = self.delivered.load(Ordering::Relaxed);
        if failed > 0 || delivered != expected {
            let first = self
                .first_error
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone();
            anyhow::bail!(
                "{delivered} of {expected} messages delivered, {failed} failed (first error: {first:?})"
            );
        }
        Ok(())
    }
}

/// Producer settings shared by the baselines and the command loader. They
/// are the ledger's own producer settings (arrears-kafka `ledger.rs`) minus
/// the transactional id, so the baseline differs from the ledger only in
/// what the ledger must do on top: consume, decide, and commit transactions.
pub fn producer_config(cfg: &KafkaConfig) -> rdkafka::ClientConfig {
    let mut c = cfg.client();
    // murmur2 is what the JVM clients and arrears' own producers use (DESIGN D1).
    c.set("partitioner", "murmur2_random")
        .set("enable.idempotence", "true")
        .set("linger.ms", "2")
        .set("batch.num.messages", "10000")
        .set("queue.buffering.max.messages", "1000000");
    c
}

/// An idempotent (not transactional) producer with counted deliveries.
pub fn idempotent_producer(cfg: &KafkaConfig) -> anyhow::Result<BaseProducer<Counting>> {
    Ok(producer_config(cfg).create_with_context(Counting::default())?)
}

/// One record to produce: everything borrowed, so that building it costs
/// nothing but the header list, as in the ledger.
pub struct Out<'a> {
    pub topic: &'a str,
    /// `None` lets the partitioner choose (by key), as the ledger does for replies.
    pub partition: Option<i32>,
    pub key: &'a str,
    pub value: &'a [u8],
    pub headers: Option<OwnedHeaders>,
}

/// Enqueues a record, serving delivery reports while librdkafka's queue is
/// full, and serving them every so often anyway so the callbacks keep up.
pub fn send<C: ProducerContext<DeliveryOpaque = ()>>(
    producer: &BaseProducer<C>,
    out: Out<'_>,
    sent: u64,
) -> Result<(), KafkaError> {
    let mut record = BaseRecord::to(out.topic).key(out.key).payload(out.value);
    if let Some(p) = out.partition {
        record = record.partition(p);
    }
    if let Some(h) = out.headers {
        record = record.headers(h);
    }
    if sent.is_multiple_of(4096) {
        producer.poll(Duration::ZERO);
    }
    loop {
        match producer.send(record) {
            Ok(()) => return Ok(()),
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                record = r;
                producer.poll(Duration::from_millis(5));
            }
            Err((e, _)) => return Err(e),
        }
    }
}

/// Waits for every outstanding message (and its delivery report), the way
/// the ledger does before `commit_transaction` ([`arrears_kafka::delivery::drain`]):
/// not `Producer::flush`, whose 100 ms poll steps cost ~100 ms per call, and
/// not a `poll(1 ms)` loop, which spins (see `drain`).
pub fn flush<C: ProducerContext>(producer: &BaseProducer<C>) -> anyhow::Result<()> {
    arrears_kafka::delivery::drain(producer, Duration::from_secs(120));
    anyhow::ensure!(
        producer.in_flight_count() == 0,
        "{} messages still in flight after 120 s",
        producer.in_flight_count()
    );
    Ok(())
}
