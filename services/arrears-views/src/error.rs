//! One error type for the view store, the projector runtime and projections.
//!
//! Every variant says what was being done and where (partition, offset,
//! debtor), because a projector that stops must tell the operator why
//! without a debugger (DESIGN D10).

use arrears_log::LogError;

#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    #[error("view store: {0}")]
    Store(#[from] sqlx::Error),

    #[error("migrating the view store: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),

    #[error("reading the event log: {0}")]
    Log(#[from] LogError),

    #[error("projector configuration: {0}")]
    Config(String),

    /// A checkpoint is beyond the end of its partition: the store belongs to
    /// another log (or the log was reset). Continuing would silently diverge.
    #[error(
        "projection {projection} v{version}: checkpoint of partition {partition} is at offset \
         {next_offset} but the log ends at {end_offset}; this view store was built from another log"
    )]
    CheckpointAhead {
        projection: String,
        version: u32,
        partition: u32,
        next_offset: u64,
        end_offset: u64,
    },

    /// Someone else moved the checkpoint since this projector loaded it:
    /// two instances run the same projection. The batch was rolled back.
    #[error(
        "projection {projection} v{version}: the checkpoint of partition {partition} is no longer \
         at offset {expected}; another instance is projecting the same partition"
    )]
    CheckpointConflict {
        projection: String,
        version: u32,
        partition: u32,
        expected: u64,
    },

    /// A debtor's events jump over a sequence number: an event is missing
    /// (lost, dead-lettered or out of order). Applying on would make a wrong view.
    #[error(
        "partition {partition} offset {offset}: debtor {tenant}/{debtor_id} jumps from version \
         {have} to {got}; the view refuses to skip an event"
    )]
    SequenceGap {
        partition: u32,
        offset: u64,
        tenant: String,
        debtor_id: String,
        have: u64,
        got: u64,
    },

    /// A stored view row cannot be read back (schema drift or manual edits).
    #[error("stored row {what} is unreadable: {reason}")]
    Corrupt { what: String, reason: String },

    /// A rebuild was asked to write into a store that already holds a checkpoint.
    #[error(
        "rebuild of projection {projection} v{version}: the target store already has checkpoints; \
         rebuild into a fresh store"
    )]
    NotFresh { projection: String, version: u32 },

    /// Any other failure of a projection's apply step.
    #[error("projection {projection}: {reason}")]
    Projection { projection: String, reason: String },
}
