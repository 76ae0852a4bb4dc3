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
pub use log::KafkaLog;

/// Errors talking to Kafka.
#[derive(Debug, thiserror::Error)]
pub enum KafkaError {
    #[error("kafka: {0}")]
    Client(#[from] rdkafka::error::KafkaError),
    #[error("kafka administration: {0}")]
    Admin(String),
}
