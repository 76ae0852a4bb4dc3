//! `handle`: idempotency, `decide`, and the envelope of the resulting events.
//!
//! This is the whole of the ledger's domain logic for one command, still pure.
//! Event ids are derived from the command id, so if the ledger crashes after
//! deciding and decides the same command again, the very same events (ids
//! included) come out.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::command::CommandEnvelope;
use crate::decide::{Context, decide};
use crate::event::Event;
use crate::rejection::Rejection;
use crate::state::{DebtorState, EventRef, IdempotencyRecord};

/// The result of handling one command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// New events to append, in order.
    Accepted {
        events: Vec<Event>,
    },
    /// The idempotency key was seen with the same request: nothing to append;
    /// this is the original outcome.
    Duplicate {
        original: IdempotencyRecord,
    },
    Rejected {
        rejection: Rejection,
    },
}

/// Longest accepted `Idempotency-Key`.
pub const MAX_IDEMPOTENCY_KEY: usize = 255;

/// Handles one command against the debtor's current state, with the
/// contact-compliance `policy` in force.
pub fn handle(
    state: &DebtorState,
    envelope: &CommandEnvelope,
    policy: &arrears_policy::PackSet,
) -> Outcome {
    let hash = envelope.command.request_hash(&envelope.debtor_id);
    if let Some(key) = &envelope.idempotency_key {
        if key.is_empty()
            || key.len() > MAX_IDEMPOTENCY_KEY
            || !key.bytes().all(|b| b.is_ascii_graphic())
        {
            return Outcome::Rejected {
                rejection: Rejection::InvalidField {
                    field: "Idempotency-Key".into(),
                    reason: format!("must be 1 to {MAX_IDEMPOTENCY_KEY} visible ASCII characters"),
                },
            };
        }
        if let Some(record) = state.idempotency.get(key) {
            return if record.request_hash == hash {
                Outcome::Duplicate {
                    original: record.clone(),
                }
            } else {
                Outcome::Rejected {
                    rejection: Rejection::IdempotencyKeyReused { key: key.clone() },
                }
            };
        }
    }
    let ctx = Context {
        issued_at: envelope.issued_at,
        policy,
    };
    match decide(state, &envelope.command, &ctx) {
        Err(rejection) => Outcome::Rejected { rejection },
        Ok(bodies) => {
            let events = bodies
                .into_iter()
                .enumerate()
                .map(|(i, body)| Event {
                    id: event_id(envelope, i as u32),
                    tenant: envelope.tenant.clone(),
                    debtor_id: envelope.debtor_id.clone(),
                    sequence: state.version + i as u64 + 1,
                    time: envelope.issued_at,
                    causation_id: envelope.command_id,
                    correlation_id: envelope.correlation_id,
                    idempotency_key: envelope.idempotency_key.clone(),
                    request_hash: hash.clone(),
                    body,
                })
                .collect();
            Outcome::Accepted { events }
        }
    }
}

/// A UUIDv7 whose timestamp is the command's issue time and whose random bits
/// come from a hash of the command id and the event index.
pub fn event_id(envelope: &CommandEnvelope, index: u32) -> Uuid {
    let mut h = Sha256::new();
    h.update(envelope.command_id.as_bytes());
    h.update(index.to_be_bytes());
    let digest = h.finalize();
    let mut rand = [0u8; 10];
    rand.copy_from_slice(&digest[..10]);
    let millis = envelope.issued_at.timestamp_millis().max(0) as u64;
    uuid::Builder::from_unix_timestamp_millis(millis, &rand).into_uuid()
}

impl Outcome {
    /// References to the events of the outcome (new or original).
    pub fn event_refs(&self) -> Vec<EventRef> {
        match self {
            Outcome::Accepted { events } => events
                .iter()
                .map(|e| EventRef {
                    id: e.id,
                    sequence: e.sequence,
                    event_type: e.event_type().to_string(),
                })
                .collect(),
            Outcome::Duplicate { original } => original.events.clone(),
            Outcome::Rejected { .. } => Vec::new(),
        }
    }
}
