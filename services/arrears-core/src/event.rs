//! Events: immutable facts about one debtor, the system of record.
//!
//! Each variant is one CloudEvents `type` with a version suffix. A payload's
//! meaning never changes under the same type: a new meaning is a new version,
//! and old versions are upcast on read (DESIGN D5). Decisions that depend on
//! state (how a payment was allocated) are written into the event, so
//! consumers never have to re-derive them.

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::command::{ContactPoint, Instalment};
use crate::ids::{
    AccountId, AttemptId, ChargeId, DebtorId, DisputeId, PaymentId, PromiseId, TenantId,
};
use crate::money::{Currency, Money};
use crate::vocabulary::{
    CalleeRole, Channel, ChargeKind, ContactOutcome, Direction, DisputeResolution, PaymentMethod,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DebtorRegistered {
    pub jurisdiction: String,
    pub time_zone: String,
    pub locale: String,
    pub display_name: Option<String>,
    pub contact_points: Vec<ContactPoint>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountOpened {
    pub account_id: AccountId,
    pub principal: Money,
    /// The full schedule; a single due date is a one-line schedule.
    pub schedule: Vec<Instalment>,
    pub external_ref: Option<String>,
    pub product: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChargeApplied {
    pub account_id: AccountId,
    pub charge_id: ChargeId,
    pub kind: ChargeKind,
    pub amount: Money,
    pub due_date: NaiveDate,
    pub description: Option<String>,
}

/// Where part of a payment went: one item (instalment or charge) of one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Allocation {
    pub account_id: AccountId,
    /// Index of the item in the account's item list (instalments first, then
    /// charges in the order applied).
    pub item: u32,
    pub amount_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentReceived {
    pub payment_id: PaymentId,
    pub amount: Money,
    pub method: PaymentMethod,
    pub received_at: DateTime<Utc>,
    pub external_ref: Option<String>,
    /// Oldest due item first, unless the payment named an account.
    pub allocations: Vec<Allocation>,
    /// What did not fit any open item: kept as the debtor's credit in this currency.
    pub unapplied_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentReversed {
    pub payment_id: PaymentId,
    pub amount: Money,
    pub reason: String,
    /// The allocations undone: exactly those of the original payment.
    pub allocations: Vec<Allocation>,
    pub unapplied_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactAttempted {
    pub attempt_id: AttemptId,
    pub channel: Channel,
    pub direction: Direction,
    pub outcome: ContactOutcome,
    pub account_ids: Vec<AccountId>,
    pub two_way: bool,
    pub occurred_at: DateTime<Utc>,
    pub agent: Option<String>,
    pub address: Option<String>,
    pub callee_role: CalleeRole,
    /// The gate request this attempt carried out, if any.
    pub request_id: Option<AttemptId>,
    /// Set when the attempt was reported after the fact and the policy would
    /// have denied it: the attempt is recorded (never dropped) and flagged.
    pub violation: Option<Violation>,
}

/// Why a recorded contact broke the policy: the denying rules and the exact
/// policy inputs, so an auditor can reproduce the judgement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Violation {
    pub rules: Vec<arrears_policy::RuleResult>,
    pub packs: Vec<arrears_policy::PackRef>,
    pub tzdata_version: String,
    pub inputs_hash: String,
}

/// The compliance gate's answer to a contact request (allowed or denied),
/// with every rule it applied, the pack versions and the tz database version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactDecided {
    pub request_id: AttemptId,
    pub channel: Channel,
    pub address: Option<String>,
    pub account_ids: Vec<AccountId>,
    pub callee_role: CalleeRole,
    pub proposed_at: DateTime<Utc>,
    pub agent: Option<String>,
    pub decision: arrears_policy::Decision,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PromiseMade {
    pub promise_id: PromiseId,
    pub account_id: AccountId,
    pub amount: Money,
    pub due_date: NaiveDate,
    pub agent: Option<String>,
}

/// Emitted with the payment that brings the money paid to the account since
/// the promise was made up to the promised amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PromiseKept {
    pub promise_id: PromiseId,
    pub account_id: AccountId,
    pub paid_minor: i64,
    /// The payment that completed the promise.
    pub payment_id: PaymentId,
    pub kept_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DisputeOpened {
    pub dispute_id: DisputeId,
    pub account_id: AccountId,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DisputeResolved {
    pub dispute_id: DisputeId,
    pub account_id: AccountId,
    pub resolution: DisputeResolution,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelOptedOut {
    pub channel: Channel,
    /// `None`: the whole medium.
    pub address: Option<String>,
    pub source: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommunicationCeased {
    /// Empty: every debt of the debtor.
    pub account_ids: Vec<AccountId>,
    pub received_via: Option<String>,
}

/// A standing contact restriction became known (see
/// [`crate::command::ContactRestriction`]); the gate applies it from then on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactRestrictionRecorded {
    pub restriction: crate::command::ContactRestriction,
    pub source: Option<String>,
}

/// Every fact type, tagged with its CloudEvents `type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", content = "data")]
pub enum EventBody {
    #[serde(rename = "arrears.debtor.registered.v1")]
    DebtorRegistered(DebtorRegistered),
    #[serde(rename = "arrears.account.opened.v1")]
    AccountOpened(AccountOpened),
    #[serde(rename = "arrears.charge.applied.v1")]
    ChargeApplied(ChargeApplied),
    #[serde(rename = "arrears.payment.received.v1")]
    PaymentReceived(PaymentReceived),
    #[serde(rename = "arrears.payment.reversed.v1")]
    PaymentReversed(PaymentReversed),
    #[serde(rename = "arrears.contact.attempted.v1")]
    ContactAttempted(ContactAttempted),
    #[serde(rename = "arrears.promise.made.v1")]
    PromiseMade(PromiseMade),
    #[serde(rename = "arrears.promise.kept.v1")]
    PromiseKept(PromiseKept),
    #[serde(rename = "arrears.dispute.opened.v1")]
    DisputeOpened(DisputeOpened),
    #[serde(rename = "arrears.dispute.resolved.v1")]
    DisputeResolved(DisputeResolved),
    #[serde(rename = "arrears.channel.opted_out.v1")]
    ChannelOptedOut(ChannelOptedOut),
    #[serde(rename = "arrears.communication.ceased.v1")]
    CommunicationCeased(CommunicationCeased),
    #[serde(rename = "arrears.contact.decided.v1")]
    ContactDecided(ContactDecided),
    #[serde(rename = "arrears.contact_restriction.recorded.v1")]
    ContactRestrictionRecorded(ContactRestrictionRecorded),
}

/// Every event type this build can emit, in a stable order (schemas, docs, tests).
pub const EVENT_TYPES: &[&str] = &[
    "arrears.debtor.registered.v1",
    "arrears.account.opened.v1",
    "arrears.charge.applied.v1",
    "arrears.payment.received.v1",
    "arrears.payment.reversed.v1",
    "arrears.contact.attempted.v1",
    "arrears.promise.made.v1",
    "arrears.promise.kept.v1",
    "arrears.dispute.opened.v1",
    "arrears.dispute.resolved.v1",
    "arrears.channel.opted_out.v1",
    "arrears.communication.ceased.v1",
    "arrears.contact.decided.v1",
    "arrears.contact_restriction.recorded.v1",
];

/// Why a stored payload could not be turned back into an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("unknown event type `{0}`")]
    UnknownType(String),
    #[error("payload of `{event_type}` does not match its schema: {reason}")]
    BadPayload { event_type: String, reason: String },
    #[error("missing or invalid attribute `{0}`")]
    BadAttribute(&'static str),
}

/// Generates the per-variant code of [`EventBody`] from one list of
/// (variant, index into [`EVENT_TYPES`]), so the type names, the encoder and
/// the decoder cannot disagree about which event types exist.
macro_rules! event_body_codec {
    ($($variant:ident => $index:literal),* $(,)?) => {
        impl EventBody {
            /// The CloudEvents `type`, e.g. `arrears.payment.received.v1`.
            pub fn event_type(&self) -> &'static str {
                match self {
                    $(EventBody::$variant(_) => EVENT_TYPES[$index],)*
                }
            }

            /// The JSON payload (CloudEvents `data`) without the type tag.
            pub fn data(&self) -> serde_json::Value {
                match self {
                    $(EventBody::$variant(d) => serde_json::to_value(d),)*
                }
                .unwrap_or(serde_json::Value::Null)
            }

            /// The JSON payload as bytes, serialised straight from the payload
            /// struct: the same bytes as `to_vec(&self.data())` (fields in
            /// declaration order) without the intermediate `Value`. This runs
            /// for every event the ledger writes, and the detour through
            /// `Value` was about half the cost of encoding an event.
            pub fn data_json(&self) -> Vec<u8> {
                match self {
                    $(EventBody::$variant(d) => serde_json::to_vec(d),)*
                }
                .unwrap_or_default()
            }

            /// Rebuilds an event from its type and payload, parsing the
            /// payload straight into the type's struct. This is where
            /// upcasters of old versions will go, keyed by (type, version).
            pub fn from_type_and_data(
                event_type: &str,
                data: &[u8],
            ) -> Result<EventBody, DecodeError> {
                let bad = |e: serde_json::Error| DecodeError::BadPayload {
                    event_type: event_type.to_string(),
                    reason: e.to_string(),
                };
                $(
                    if event_type == EVENT_TYPES[$index] {
                        return serde_json::from_slice(data).map(EventBody::$variant).map_err(bad);
                    }
                )*
                Err(DecodeError::UnknownType(event_type.to_string()))
            }
        }
    };
}

event_body_codec! {
    DebtorRegistered => 0,
    AccountOpened => 1,
    ChargeApplied => 2,
    PaymentReceived => 3,
    PaymentReversed => 4,
    ContactAttempted => 5,
    PromiseMade => 6,
    PromiseKept => 7,
    DisputeOpened => 8,
    DisputeResolved => 9,
    ChannelOptedOut => 10,
    CommunicationCeased => 11,
    ContactDecided => 12,
    ContactRestrictionRecorded => 13,
}

/// An event with its envelope: the CloudEvents attributes of DESIGN D5.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// `ce_id`: a UUIDv7 derived deterministically from the command id and the
    /// event's index, so a retried batch produces the very same ids.
    pub id: Uuid,
    pub tenant: TenantId,
    /// `ce_subject`.
    pub debtor_id: DebtorId,
    /// `ce_sequence`: the debtor's version after this event (1 for the first).
    pub sequence: u64,
    /// `ce_time`: when the command was accepted (stamped at the gateway).
    pub time: DateTime<Utc>,
    /// `ce_causationid`: the command that produced the event.
    pub causation_id: Uuid,
    /// `ce_correlationid`.
    pub correlation_id: Uuid,
    /// `ce_idempotencykey`: lets a rebuilt ledger recognise retried commands.
    pub idempotency_key: Option<String>,
    /// `ce_requesthash`: hash of the command, to spot a key reused for another request.
    pub request_hash: String,
    pub body: EventBody,
}

impl Event {
    pub fn event_type(&self) -> &'static str {
        self.body.event_type()
    }

    /// The stream key `{tenant}/{debtor}`.
    pub fn key(&self) -> String {
        crate::ids::stream_key(&self.tenant, &self.debtor_id)
    }

    /// A currency the event is about, when it has one (projections use it to
    /// keep currencies apart).
    pub fn currency(&self) -> Option<Currency> {
        match &self.body {
            EventBody::AccountOpened(e) => Some(e.principal.currency),
            EventBody::ChargeApplied(e) => Some(e.amount.currency),
            EventBody::PaymentReceived(e) => Some(e.amount.currency),
            EventBody::PaymentReversed(e) => Some(e.amount.currency),
            EventBody::PromiseMade(e) => Some(e.amount.currency),
            _ => None,
        }
    }
}

/// The JSON Schema of each event type's payload, keyed by CloudEvents `type`.
/// `schemas/events/` holds these, committed; a test keeps the files and the
/// code in step, so a payload cannot change shape unnoticed.
pub fn event_schemas() -> Vec<(&'static str, serde_json::Value)> {
    fn one<T: JsonSchema>(event_type: &str) -> serde_json::Value {
        let mut s = serde_json::to_value(schemars::schema_for!(T)).unwrap_or_default();
        if let Some(o) = s.as_object_mut() {
            o.insert(
                "$id".into(),
                crate::cloudevents::data_schema(event_type).into(),
            );
            o.insert("title".into(), event_type.into());
        }
        s
    }
    vec![
        (EVENT_TYPES[0], one::<DebtorRegistered>(EVENT_TYPES[0])),
        (EVENT_TYPES[1], one::<AccountOpened>(EVENT_TYPES[1])),
        (EVENT_TYPES[2], one::<ChargeApplied>(EVENT_TYPES[2])),
        (EVENT_TYPES[3], one::<PaymentReceived>(EVENT_TYPES[3])),
        (EVENT_TYPES[4], one::<PaymentReversed>(EVENT_TYPES[4])),
        (EVENT_TYPES[5], one::<ContactAttempted>(EVENT_TYPES[5])),
        (EVENT_TYPES[6], one::<PromiseMade>(EVENT_TYPES[6])),
        (EVENT_TYPES[7], one::<PromiseKept>(EVENT_TYPES[7])),
        (EVENT_TYPES[8], one::<DisputeOpened>(EVENT_TYPES[8])),
        (EVENT_TYPES[9], one::<DisputeResolved>(EVENT_TYPES[9])),
        (EVENT_TYPES[10], one::<ChannelOptedOut>(EVENT_TYPES[10])),
        (EVENT_TYPES[11], one::<CommunicationCeased>(EVENT_TYPES[11])),
        (EVENT_TYPES[12], one::<ContactDecided>(EVENT_TYPES[12])),
        (
            EVENT_TYPES[13],
            one::<ContactRestrictionRecorded>(EVENT_TYPES[13]),
        ),
    ]
}
