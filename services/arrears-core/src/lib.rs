//! # arrears-core
//!
//! The pure domain core of arrears (DESIGN D3): the debtor aggregate,
//! `decide` and `evolve`, the event catalogue and its CloudEvents encoding.
//! No IO, no async, no clock: time arrives in the command envelope, so
//! replaying the same events always yields the same state.
//!
//! The flow for one command is [`handle`]: check the idempotency key, run
//! [`decide`] against the [`DebtorState`], and wrap the resulting bodies in
//! [`Event`] envelopes with deterministic ids. The ledger appends them and
//! folds them back into the state with [`evolve`].

pub mod allocation;
pub mod cloudevents;
pub mod command;
pub mod decide;
pub mod event;
pub mod gate;
pub mod handle;
pub mod ids;
pub mod money;
pub mod rejection;
pub mod reply;
pub mod state;
pub mod view;
pub mod vocabulary;

pub use command::{Command, CommandEnvelope};
pub use decide::{Context, decide};
pub use event::{Event, EventBody};
pub use handle::{Outcome, handle};
pub use ids::{AccountId, DebtorId, TenantId};
pub use money::{Currency, Money};
pub use rejection::{Rejection, RejectionKind};
pub use reply::{Reply, ReplyResult};
pub use state::{DebtorState, evolve};
