//! How a client (the gateway, the demo seeder, the automation) hands a
//! command to the ledger and gets its reply back, whatever the backend.

use arrears_core::{CommandEnvelope, Reply};
use async_trait::async_trait;
use uuid::Uuid;

#[derive(Debug, Clone, thiserror::Error)]
pub enum SubmitError {
    /// The ledger is shutting down or failed to write; nothing was appended
    /// for this command. Safe to retry with the same idempotency key.
    #[error("the ledger is unavailable: {0}")]
    Unavailable(String),
    /// No reply within the wait; the command may still be decided. Its
    /// outcome can be fetched later by command id.
    #[error("no reply within the wait; fetch the outcome of command {0} later")]
    Pending(Uuid),
}

#[async_trait]
pub trait CommandSubmitter: Send + Sync + 'static {
    /// Submits one command and waits (bounded) for its reply.
    async fn submit(&self, envelope: CommandEnvelope) -> Result<Reply, SubmitError>;

    /// The reply to an earlier command, if it was decided.
    async fn reply_for(&self, command_id: Uuid) -> Result<Option<Reply>, SubmitError>;
}
