//! The ledger's answer to one command: what travels on `arrears.replies`
//! (Kafka) or the `replies` table (embedded), and what the gateway turns into
//! an HTTP response.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::command::CommandEnvelope;
use crate::handle::Outcome;
use crate::ids::{DebtorId, TenantId};
use crate::rejection::Rejection;
use crate::state::EventRef;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ReplyResult {
    /// The command was accepted; these events were appended.
    Accepted {
        version: u64,
        events: Vec<EventRef>,
        /// For a contact request: the gate's decision (allowed or denied).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        decision: Option<arrears_policy::Decision>,
    },
    /// A retry of an accepted command (same idempotency key, same request):
    /// nothing was appended; these are the original command's events.
    Duplicate {
        original_command_id: Uuid,
        version: u64,
        events: Vec<EventRef>,
    },
    /// The command was refused; nothing was appended.
    Rejected {
        rejection: Rejection,
        message: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Reply {
    pub command_id: Uuid,
    pub tenant: TenantId,
    pub debtor_id: DebtorId,
    /// The command kind, e.g. `record_payment`.
    pub command: String,
    #[serde(flatten)]
    pub result: ReplyResult,
}

impl Reply {
    /// The reply to `envelope` given the outcome of [`crate::handle`].
    pub fn new(envelope: &CommandEnvelope, outcome: &Outcome) -> Reply {
        let result = match outcome {
            Outcome::Accepted { events } => ReplyResult::Accepted {
                version: events.last().map(|e| e.sequence).unwrap_or(0),
                events: outcome.event_refs(),
                decision: events.iter().find_map(|e| match &e.body {
                    crate::event::EventBody::ContactDecided(d) => Some(d.decision.clone()),
                    _ => None,
                }),
            },
            Outcome::Duplicate { original } => ReplyResult::Duplicate {
                original_command_id: original.command_id,
                version: original.events.last().map(|e| e.sequence).unwrap_or(0),
                events: original.events.clone(),
            },
            Outcome::Rejected { rejection } => ReplyResult::Rejected {
                rejection: rejection.clone(),
                message: rejection.to_string(),
            },
        };
        Reply {
            command_id: envelope.command_id,
            tenant: envelope.tenant.clone(),
            debtor_id: envelope.debtor_id.clone(),
            command: envelope.command.name().to_string(),
            result,
        }
    }
}
