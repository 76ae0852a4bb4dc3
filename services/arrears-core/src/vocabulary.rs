//! The closed vocabularies shared by commands, events, the compliance engine
//! and downstream consumers. The snake_case spellings are part of the public
//! contract (JSON payloads, schemas): add values, never rename them.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A medium through which a debtor is contacted.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Phone,
    Sms,
    Email,
    Whatsapp,
    Letter,
    Visit,
}

/// Who started the contact. Inbound calls do not count toward call caps in
/// several jurisdictions, but a conversation on them still opens windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Outbound,
    Inbound,
}

/// What happened on a contact attempt. The distinctions matter for compliance:
/// `busy` and `not_in_service` are "not connected" under Reg F and excluded
/// from the 7-in-7 count; `right_party_contact` is a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContactOutcome {
    Busy,
    NotInService,
    NoAnswer,
    VoicemailReached,
    MessageLeft,
    AnsweredNoConversation,
    RightPartyContact,
    WrongParty,
    Delivered,
    Read,
    Replied,
    Failed,
}

/// Whom the contact reached or was aimed at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CalleeRole {
    #[default]
    Debtor,
    CoDebtor,
    Guarantor,
    Reference,
    ThirdParty,
    Attorney,
    Creditor,
    CreditReportingAgency,
}

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
