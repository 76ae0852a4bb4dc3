//! Rejections: why a command was refused. They are values, returned to the
//! caller as replies (DESIGN D10), never panics and never events.

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ids::{AccountId, AttemptId, ChargeId, DisputeId, PaymentId, PromiseId};
use crate::money::Currency;

/// How a rejection maps to a client's next step (and to an HTTP status).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectionKind {
    /// The request itself is wrong; fix it (HTTP 422).
    Validation,
    /// Something named in the request does not exist (HTTP 404).
    NotFound,
    /// The request conflicts with the current state (HTTP 409).
    Conflict,
}

/// Every reason the ledger refuses a command. `code` is the stable,
/// machine-readable name; the message explains it to a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Rejection {
    #[error("the debtor is not registered")]
    UnknownDebtor,
    #[error("the debtor is already registered")]
    DebtorAlreadyRegistered,
    #[error("{field}: {reason}")]
    InvalidField { field: String, reason: String },
    #[error("{field} must be a positive amount of minor units")]
    NonPositiveAmount { field: String },
    #[error("{field} is too large: the balance would overflow")]
    AmountOverflow { field: String },
    #[error("{field} is in {actual} but the account is in {expected}")]
    CurrencyMismatch {
        field: String,
        expected: Currency,
        actual: Currency,
    },
    #[error("the debtor has no account in {currency}")]
    NoAccountInCurrency { currency: Currency },
    #[error("account `{account_id}` does not exist for this debtor")]
    UnknownAccount { account_id: AccountId },
    #[error("account `{account_id}` already exists")]
    AccountAlreadyExists { account_id: AccountId },
    #[error("charge `{charge_id}` was already applied")]
    ChargeAlreadyApplied { charge_id: ChargeId },
    #[error("payment `{payment_id}` was already applied")]
    PaymentAlreadyApplied { payment_id: PaymentId },
    #[error("payment `{payment_id}` does not exist for this debtor")]
    UnknownPayment { payment_id: PaymentId },
    #[error("payment `{payment_id}` was already reversed")]
    PaymentAlreadyReversed { payment_id: PaymentId },
    #[error("contact attempt `{attempt_id}` was already recorded")]
    ContactAttemptAlreadyRecorded { attempt_id: AttemptId },
    #[error("promise `{promise_id}` already exists")]
    PromiseAlreadyExists { promise_id: PromiseId },
    #[error("account `{account_id}` is closed (nothing is owed), so no promise can be made on it")]
    PromiseOnClosedAccount { account_id: AccountId },
    #[error("account `{account_id}` already has open promise `{promise_id}`")]
    PromiseAlreadyOpen {
        account_id: AccountId,
        promise_id: PromiseId,
    },
    #[error(
        "the promised {amount_minor} exceeds the {balance_minor} owed on account `{account_id}`"
    )]
    PromiseExceedsBalance {
        account_id: AccountId,
        balance_minor: i64,
        amount_minor: i64,
    },
    #[error("the promise is due {due_date}, before today ({today}) in the debtor's time zone")]
    PromiseDueInPast {
        due_date: NaiveDate,
        today: NaiveDate,
    },
    #[error("dispute `{dispute_id}` already exists")]
    DisputeAlreadyExists { dispute_id: DisputeId },
    #[error("account `{account_id}` already has open dispute `{dispute_id}`")]
    DisputeAlreadyOpen {
        account_id: AccountId,
        dispute_id: DisputeId,
    },
    #[error("dispute `{dispute_id}` does not exist for this debtor")]
    UnknownDispute { dispute_id: DisputeId },
    #[error("dispute `{dispute_id}` was already resolved")]
    DisputeAlreadyResolved { dispute_id: DisputeId },
    #[error("contact request `{request_id}` does not exist for this debtor")]
    UnknownContactRequest { request_id: AttemptId },
    #[error("contact request `{request_id}` already exists")]
    ContactRequestAlreadyExists { request_id: AttemptId },
    #[error("contact request `{request_id}` was already carried out by another attempt")]
    ContactRequestAlreadyFulfilled { request_id: AttemptId },
    #[error("idempotency key `{key}` was already used for a different request")]
    IdempotencyKeyReused { key: String },
}

/// Every rejection's `code`, in declaration order. The set clients can meet
/// (docs/API.md lists each with its HTTP status) and the set the gateway's
/// HTTP tests must cover; a unit test checks it against the enum itself, so a
/// new variant cannot be left out of it.
pub const ALL_CODES: &[&str] = &[
    "unknown_debtor",
    "debtor_already_registered",
    "invalid_field",
    "non_positive_amount",
    "amount_overflow",
    "currency_mismatch",
    "no_account_in_currency",
    "unknown_account",
    "account_already_exists",
    "charge_already_applied",
    "payment_already_applied",
    "unknown_payment",
    "payment_already_reversed",
    "contact_attempt_already_recorded",
    "promise_already_exists",
    "promise_on_closed_account",
    "promise_already_open",
    "promise_exceeds_balance",
    "promise_due_in_past",
    "dispute_already_exists",
    "dispute_already_open",
    "unknown_dispute",
    "dispute_already_resolved",
    "unknown_contact_request",
    "contact_request_already_exists",
    "contact_request_already_fulfilled",
    "idempotency_key_reused",
];

impl Rejection {
    /// The stable snake_case code, e.g. `currency_mismatch`.
    pub fn code(&self) -> String {
        match serde_json::to_value(self) {
            Ok(v) => v
                .get("code")
                .and_then(|c| c.as_str())
                .unwrap_or("rejected")
                .to_string(),
            Err(_) => "rejected".to_string(),
        }
    }

    pub fn kind(&self) -> RejectionKind {
        use Rejection::*;
        match self {
            UnknownDebtor
            | UnknownAccount { .. }
            | UnknownPayment { .. }
            | UnknownDispute { .. }
            | UnknownContactRequest { .. } => RejectionKind::NotFound,
            InvalidField { .. }
            | NonPositiveAmount { .. }
            | AmountOverflow { .. }
            | CurrencyMismatch { .. }
            | NoAccountInCurrency { .. }
            | PromiseExceedsBalance { .. }
            | PromiseDueInPast { .. } => RejectionKind::Validation,
            DebtorAlreadyRegistered
            | AccountAlreadyExists { .. }
            | ChargeAlreadyApplied { .. }
            | PaymentAlreadyApplied { .. }
            | PaymentAlreadyReversed { .. }
            | ContactAttemptAlreadyRecorded { .. }
            | PromiseAlreadyExists { .. }
            | PromiseOnClosedAccount { .. }
            | PromiseAlreadyOpen { .. }
            | DisputeAlreadyExists { .. }
            | DisputeAlreadyOpen { .. }
            | DisputeAlreadyResolved { .. }
            | ContactRequestAlreadyExists { .. }
            | ContactRequestAlreadyFulfilled { .. }
            | IdempotencyKeyReused { .. } => RejectionKind::Conflict,
        }
    }

    /// The request field the rejection is about, for field-level error detail.
    pub fn field(&self) -> Option<String> {
        use Rejection::*;
        match self {
            InvalidField { field, .. }
            | NonPositiveAmount { field }
            | AmountOverflow { field }
            | CurrencyMismatch { field, .. } => Some(field.clone()),
            NoAccountInCurrency { .. } => Some("amount.currency".into()),
            PromiseExceedsBalance { .. } => Some("amount.amount_minor".into()),
            PromiseDueInPast { .. } => Some("due_date".into()),
            _ => None,
        }
    }

    pub(crate) fn invalid(field: &str, reason: impl Into<String>) -> Rejection {
        Rejection::InvalidField {
            field: field.to_string(),
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_is_the_snake_case_tag() {
        assert_eq!(Rejection::UnknownDebtor.code(), "unknown_debtor");
        let r = Rejection::PaymentAlreadyApplied {
            payment_id: PaymentId::new("p1").unwrap(),
        };
        assert_eq!(r.code(), "payment_already_applied");
        assert_eq!(r.kind(), RejectionKind::Conflict);
        assert_eq!(r.to_string(), "payment `p1` was already applied");
    }

    /// The codes serde writes, read off the JSON schema derived from the enum
    /// (one `oneOf` branch per variant, each with a constant `code`), so this
    /// list comes from the type and not from another hand-written list.
    #[test]
    fn all_codes_is_every_variant_once_in_declaration_order() {
        let schema = schemars::schema_for!(Rejection);
        let variants = schema
            .as_value()
            .get("oneOf")
            .and_then(|v| v.as_array())
            .expect("an internally tagged enum has a oneOf schema");
        let from_type: Vec<&str> = variants
            .iter()
            .map(|v| {
                v.pointer("/properties/code/const")
                    .and_then(|c| c.as_str())
                    .unwrap_or_else(|| panic!("variant without a constant code: {v}"))
            })
            .collect();
        assert_eq!(ALL_CODES, from_type.as_slice());
    }
}
