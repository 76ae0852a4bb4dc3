//! One error type for the audit crate. Verification *findings* (a broken
//! link) are not errors: they are the answer, in [`crate::VerifyReport`].
//! An `AuditError` means the question could not be answered.

use arrears_log::LogError;
use arrears_views::ViewError;

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("audit store: {0}")]
    Store(#[from] sqlx::Error),

    #[error("migrating the audit tables: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),

    #[error("view store: {0}")]
    View(#[from] ViewError),

    #[error("reading the event log: {0}")]
    Log(#[from] LogError),

    /// A record of the debtor being replayed cannot be decoded. Replay
    /// refuses to skip it: "what was known then" must not silently omit a fact.
    #[error("partition {partition} offset {offset} (key {key}) cannot be decoded: {reason}")]
    Undecodable {
        partition: u32,
        offset: u64,
        key: String,
        reason: String,
    },

    /// A stored audit row cannot even be read (a column of the wrong shape).
    #[error("stored audit row {what} is unreadable: {reason}")]
    Corrupt { what: String, reason: String },

    /// The policy packs needed to re-evaluate decisions do not load.
    #[error("loading the policy packs: {0}")]
    Policy(#[from] arrears_policy::PackError),
}
