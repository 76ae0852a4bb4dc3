//! # arrears-kafka
//!
//! The production backend on Apache Kafka (DESIGN D1, D2): topic
//! administration, [`KafkaLog`] (the `EventLog` contract on `arrears.events`),
//! the exactly-once ledger ([`ledger`]) and the gateway's command transport
//! ([`transport::KafkaSubmitter`]).

pub mod config;
pub mod delivery;
pub mod ledger;
pub mod log;
pub mod replies;
pub mod topics;
pub mod transport;

pub use config::KafkaConfig;

/// A consumer context that treats "end of partition" as the ordinary event it
/// is for readers that ask for it (`enable.partition.eof`), instead of
/// logging it as a global error, and logs everything else.
#[derive(Debug, Clone, Copy, Default)]
pub struct QuietEof;

impl rdkafka::ClientContext for QuietEof {
    fn error(&self, error: rdkafka::error::KafkaError, reason: &str) {
        use rdkafka::error::KafkaError;
        use rdkafka::types::RDKafkaErrorCode;
        let eof = matches!(
            error,
            KafkaError::PartitionEOF(_) | KafkaError::Global(RDKafkaErrorCode::PartitionEOF)
        );
        if !eof {
            tracing::error!(%error, reason, "kafka client error");
        }
    }
}

impl rdkafka::consumer::ConsumerContext for QuietEof {}
pub use log::KafkaLog;

/// Errors talking to Kafka.
#[derive(Debug, thiserror::Error)]
pub enum KafkaError {
    #[error("kafka: {0}")]
    Client(#[from] rdkafka::error::KafkaError),
    #[error("kafka administration: {0}")]
    Admin(String),
}
