//! # arrears-ledger
//!
//! The single writer (DESIGN D2). It holds every debtor's state in memory,
//! rebuilt from the log on start, runs the pure [`arrears_core::handle`] for
//! each command, and appends the resulting events together with the replies
//! in one atomic batch. Commands are taken in batches (group commit): that
//! is how throughput is reached without giving up ordering per debtor.
//!
//! This crate holds the embedded ledger (an in-process task over any
//! [`arrears_log::EventLog`]); the Kafka ledger reuses [`partition_state`].

pub mod embedded;
pub mod partition_state;
pub mod submit;

pub use embedded::{EmbeddedLedger, LedgerConfig};
pub use partition_state::{DebtorChange, PartitionState, RebuildError};
pub use submit::{CommandSubmitter, SubmitError};
