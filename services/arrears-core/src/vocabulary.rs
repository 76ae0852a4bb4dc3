//! The closed vocabularies shared by commands, events, the compliance engine
//! and downstream consumers. The snake_case spellings are part of the public
//! contract (JSON payloads, schemas): add values, never rename them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

// The contact vocabulary (channel, direction, outcome, callee role) is the
// compliance engine's own: the gate judges exactly the values the events
// carry, with no translation in between.
pub use arrears_policy::{CalleeRole, Channel, ContactOutcome, Direction};

/// How money arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    Card,
    BankTransfer,
    Pse,
    Cash,
    DirectDebit,
    Wallet,
    Cheque,
    Other,
}

/// What a charge is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChargeKind {
    Interest,
    LateFee,
    Fee,
    Other,
}

/// How a dispute ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DisputeResolution {
    /// The debtor was right; the creditor adjusts (a later charge or write-off command).
    UpheldForDebtor,
    /// The debt stands; collection resumes.
    RejectedDebtStands,
    /// The debtor withdrew the dispute.
    Withdrawn,
}
