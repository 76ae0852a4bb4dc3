//! # arrears-log
//!
//! The event log contract ([`EventLog`]) that the ledger writes and the
//! projectors read, and its embedded implementation on SQLite
//! ([`SqliteLog`]). The Kafka implementation honours the same contract:
//! records keyed `{tenant}/{debtor}`, a fixed number of partitions chosen by
//! Kafka's murmur2 partitioner, offsets strictly increasing per partition
//! (dense in SQLite; Kafka leaves gaps for transaction markers), and
//! all-or-nothing appends of a batch together with the replies to the
//! commands that produced it.

pub mod contract;
mod partition;
mod sqlite;

pub use partition::{murmur2, partition_for};
pub use sqlite::SqliteLog;

use arrears_core::cloudevents::LogRecord;
use async_trait::async_trait;
use uuid::Uuid;

/// A record as read back from the log, with its position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    pub partition: u32,
    pub offset: u64,
    pub record: LogRecord,
}

/// The reply to one command, stored in the same atomic append as its events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyRecord {
    pub command_id: Uuid,
    pub key: String,
    /// JSON of [`arrears_core::Reply`].
    pub value: Vec<u8>,
}

/// What one atomic append writes: events (in order) and replies.
#[derive(Debug, Clone, Default)]
pub struct AppendBatch {
    pub events: Vec<LogRecord>,
    pub replies: Vec<ReplyRecord>,
}

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("event log storage error: {0}")]
    Storage(String),
    #[error("event log configuration error: {0}")]
    Config(String),
    #[error("partition {partition} does not exist (the log has {partitions})")]
    NoSuchPartition { partition: u32, partitions: u32 },
}

impl From<sqlx::Error> for LogError {
    fn from(e: sqlx::Error) -> Self {
        LogError::Storage(e.to_string())
    }
}

/// The system of record: an append-only, partitioned log of events.
#[async_trait]
pub trait EventLog: Send + Sync + 'static {
    /// The fixed partition count (part of the key → partition function).
    fn partitions(&self) -> u32;

    /// The partition a key belongs to.
    fn partition_of(&self, key: &str) -> u32 {
        partition_for(key, self.partitions())
    }

    /// Appends every event and reply, or nothing. Events keep their order
    /// within each partition. Returns `(partition, offset)` of each event.
    async fn append(&self, batch: AppendBatch) -> Result<Vec<(u32, u64)>, LogError>;

    /// Up to `max` records of `partition` from offset `from`, in offset order.
    async fn read(
        &self,
        partition: u32,
        from: u64,
        max: usize,
    ) -> Result<Vec<StoredRecord>, LogError>;

    /// The end of what a reader can see of `partition`: the next offset (its
    /// high-water mark); on Kafka the last stable offset, so records of a
    /// transaction not yet committed are not counted.
    async fn end_offset(&self, partition: u32) -> Result<u64, LogError>;

    /// A counter that changes after every append: consumers that caught up
    /// wait on it instead of polling.
    fn appended(&self) -> tokio::sync::watch::Receiver<u64>;

    /// The stored reply to a command, if the ledger has decided it.
    async fn reply(&self, command_id: Uuid) -> Result<Option<Vec<u8>>, LogError>;

    /// Publishes how far a consumer (e.g. the projector of a projection) has
    /// read, `partition -> next offset`, for monitoring only: it is never
    /// read back for correctness (projectors keep their checkpoints in the
    /// same transaction as their views, DESIGN D6). On Kafka these are the
    /// consumer group `{topic prefix}projector.{consumer}`'s committed
    /// offsets, so Kafka's own tools show the lag; elsewhere nothing.
    async fn report_progress(
        &self,
        consumer: &str,
        next_offsets: &std::collections::BTreeMap<u32, u64>,
    ) -> Result<(), LogError> {
        let _ = (consumer, next_offsets);
        Ok(())
    }
}
