//! Topic administration: create the four topics idempotently and verify the
//! invariants the ledger relies on.

use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::types::RDKafkaErrorCode;

use crate::KafkaError;
use crate::config::KafkaConfig;

/// What `create_topics` found or made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topics {
    pub partitions: u32,
    pub created: Vec<String>,
}

/// Creates `commands`, `events` (kept forever, never compacted), `replies`
/// (kept 7 days) and `dead-letter` (kept forever); leaves existing topics as
/// they are. Then checks that commands and events have the same partition
/// count, and refuses to go on otherwise: the ledger writes the events of
/// command partition p to events partition p.
pub async fn create_topics(cfg: &KafkaConfig) -> Result<Topics, KafkaError> {
    let admin: AdminClient<DefaultClientContext> = cfg.client().create()?;
    let forever = [("retention.ms", "-1"), ("cleanup.policy", "delete")];
    let week = [("retention.ms", "604800000"), ("cleanup.policy", "delete")];
    let specs: Vec<(String, &[(&str, &str)])> = vec![
        (cfg.commands_topic(), &week),
        (cfg.events_topic(), &forever),
        (cfg.replies_topic(), &week),
        (cfg.dead_letter_topic(), &forever),
    ];
    let topics: Vec<NewTopic> = specs
        .iter()
        .map(|(name, settings)| {
            settings.iter().fold(
                NewTopic::new(
                    name,
                    cfg.partitions as i32,
                    TopicReplication::Fixed(cfg.replication),
                ),
                |t, (k, v)| t.set(k, v),
            )
        })
        .collect();
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(30)));
    let results = admin.create_topics(&topics, &options).await?;
    let mut created = Vec::new();
    for r in results {
        match r {
            Ok(name) => created.push(name),
            Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((name, code)) => {
                return Err(KafkaError::Admin(format!("creating topic {name}: {code}")));
            }
        }
    }
    let partitions = verify_topics(cfg).await?;
    Ok(Topics {
        partitions,
        created,
    })
}

/// The partition count of `topic`, waiting briefly for fresh metadata.
pub fn partition_count(cfg: &KafkaConfig, topic: &str) -> Result<u32, KafkaError> {
    let consumer: BaseConsumer = cfg.client().create()?;
    for _ in 0..50 {
        let md = consumer.fetch_metadata(Some(topic), Duration::from_secs(10))?;
        if let Some(t) = md.topics().iter().find(|t| t.name() == topic)
            && t.error().is_none()
            && !t.partitions().is_empty()
        {
            return Ok(t.partitions().len() as u32);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(KafkaError::Admin(format!(
        "topic {topic} does not exist; run `arrears topics create`"
    )))
}

/// Checks commands and events have the same partition count; returns it.
pub async fn verify_topics(cfg: &KafkaConfig) -> Result<u32, KafkaError> {
    let cfg = cfg.clone();
    tokio::task::spawn_blocking(move || {
        let commands = partition_count(&cfg, &cfg.commands_topic())?;
        let events = partition_count(&cfg, &cfg.events_topic())?;
        partition_count(&cfg, &cfg.replies_topic())?;
        partition_count(&cfg, &cfg.dead_letter_topic())?;
        if commands != events {
            return Err(KafkaError::Admin(format!(
                "{} has {commands} partitions but {} has {events}; they must be equal \
                 (the ledger writes the events of command partition p to events partition p)",
                cfg.commands_topic(),
                cfg.events_topic()
            )));
        }
        Ok(events)
    })
    .await
    .map_err(|e| KafkaError::Admin(e.to_string()))?
}
