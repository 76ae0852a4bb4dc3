//! The gateway's side of the Kafka backend: produce a command to
//! `arrears.commands` (keyed and partitioned like its debtor's events) and
//! await the ledger's reply on `arrears.replies`, bounded; past the wait the
//! gateway answers 202 and the outcome is fetched by command id.

use std::sync::Arc;
use std::time::Duration;

use arrears_core::{CommandEnvelope, Reply};
use arrears_ledger::{CommandSubmitter, SubmitError};
use async_trait::async_trait;
use rdkafka::producer::{FutureProducer, FutureRecord};
use uuid::Uuid;

use crate::KafkaError;
use crate::config::KafkaConfig;
use crate::replies::ReplyIndex;

/// Produces commands and awaits their replies.
pub struct KafkaSubmitter {
    cfg: KafkaConfig,
    producer: FutureProducer,
    replies: Arc<ReplyIndex>,
    partitions: u32,
    wait: Duration,
}

impl KafkaSubmitter {
    /// `wait`: how long `submit` waits for a reply before answering `Pending`.
    pub async fn connect(cfg: KafkaConfig, wait: Duration) -> Result<KafkaSubmitter, KafkaError> {
        let partitions = crate::topics::verify_topics(&cfg).await?;
        let producer: FutureProducer = cfg
            .producer()
            .set("enable.idempotence", "true")
            .set("linger.ms", "1")
            .set("message.timeout.ms", "30000")
            .create()?;
        let replies = ReplyIndex::start(&cfg, false).await?;
        Ok(KafkaSubmitter {
            cfg,
            producer,
            replies,
            partitions,
            wait,
        })
    }
}

#[async_trait]
impl CommandSubmitter for KafkaSubmitter {
    async fn submit(&self, envelope: CommandEnvelope) -> Result<Reply, SubmitError> {
        let id = envelope.command_id;
        let key = envelope.key();
        let partition = arrears_log::partition_for(&key, self.partitions);
        let value = serde_json::to_vec(&envelope)
            .map_err(|e| SubmitError::Unavailable(format!("encoding the command: {e}")))?;
        // Wait registered first: the reply cannot arrive unseen.
        let reply = self.replies.wait_for(id);
        let topic = self.cfg.commands_topic();
        let record = FutureRecord::to(&topic)
            .key(&key)
            .payload(&value)
            .partition(partition as i32);
        if let Err((e, _)) = self.producer.send(record, Duration::from_secs(10)).await {
            self.replies.abandon(id);
            return Err(SubmitError::Unavailable(format!(
                "could not hand the command to Kafka: {e}"
            )));
        }
        match tokio::time::timeout(self.wait, reply).await {
            Ok(Ok(text)) => serde_json::from_str(&text)
                .map_err(|e| SubmitError::Unavailable(format!("unreadable reply: {e}"))),
            _ => {
                self.replies.abandon(id);
                Err(SubmitError::Pending(id))
            }
        }
    }

    async fn reply_for(&self, command_id: Uuid) -> Result<Option<Reply>, SubmitError> {
        self.replies
            .get(command_id)
            .map(|text| {
                serde_json::from_str(&text)
                    .map_err(|e| SubmitError::Unavailable(format!("unreadable reply: {e}")))
            })
            .transpose()
    }
}
