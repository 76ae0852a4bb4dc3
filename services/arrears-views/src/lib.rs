//! # arrears-views
//!
//! Read models of arrears, kept exactly once by construction (DESIGN D6) on
//! either backend (DESIGN D7):
//!
//! - [`ViewStore`]: SQLite or PostgreSQL, migrated on open; view rows,
//!   `projection_checkpoints` and `dead_letters` live in it.
//! - [`Projector`]: reads the [`arrears_log::EventLog`] (any implementation:
//!   the embedded SQLite log or Kafka) from the stored checkpoints, and
//!   commits each batch of view rows together with the moved checkpoints
//!   and the batch's dead letters in one transaction.
//! - [`DebtorsProjection`] and [`DebtorViewReader`]: the debtor read model.
//! - [`rebuild`], [`export_debtors`], [`checksum`]: rebuild from offset 0 and
//!   prove the rebuilt view equals the live one.
//!
//! See `README.md` in this crate for the tables and the protocol.

pub mod debtors;
pub mod error;
pub mod projector;
pub mod rebuild;
pub mod store;

pub use debtors::{DebtorViewReader, DebtorsProjection, export_debtors};
pub use error::ViewError;
pub use projector::{
    DeadLetter, DeadLetterSink, EVENTS_TOPIC, PartitionLag, Positioned, Progress, Projection,
    Projector, ProjectorConfig, ProjectorHandle, Shutdown, StepOutcome, TableOnly, lag,
};
pub use rebuild::{checksum, rebuild};
pub use store::{Backend, MIGRATIONS_TABLE, StoredDeadLetter, ViewStore, ViewTx};

/// Re-exported for [`on_backend!`] and [`on_pool!`] and for projections
/// written in other crates.
pub use sqlx;
