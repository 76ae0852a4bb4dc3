//! Commands: what a client asks the ledger to do for one debtor.
//!
//! A command is a request that may be rejected; an event is a fact that was
//! accepted. Commands carry business data only. The envelope
//! ([`CommandEnvelope`]) carries who, when (stamped once at the gateway, so
//! replays are deterministic) and the idempotency key.

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::ids::{
    AccountId, AttemptId, ChargeId, DebtorId, DisputeId, PaymentId, PromiseId, TenantId,
};
use crate::money::Money;
use crate::vocabulary::{
    CalleeRole, Channel, ChargeKind, ContactOutcome, Direction, DisputeResolution, PaymentMethod,
};

/// A way to reach the debtor. `address` is personal data (phone number, e-mail
/// address, postal address) and is treated as such.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactPoint {
    pub channel: Channel,
    pub address: String,
    /// Whether the debtor consented to be contacted at this point (needed for
    /// Colombia's authorised channels and US TCPA autodialled calls).
    #[serde(default)]
    pub consented: bool,
}

/// One scheduled amount of an account. The schedule's amounts add up to the principal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Instalment {
    pub due_date: NaiveDate,
    pub amount_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterDebtor {
    /// ISO 3166-1 alpha-2 country, optionally with an ISO 3166-2 subdivision: `US`, `US-MA`, `CO`, `BR-SP`.
    pub jurisdiction: String,
    /// IANA time zone of the debtor, e.g. `America/Bogota`. Contact windows are computed in it.
    pub time_zone: String,
    /// BCP 47 language tag for templates, e.g. `es-CO`.
    pub locale: String,
    /// Personal data: shown to agents, never needed by the rules.
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub contact_points: Vec<ContactPoint>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenAccount {
    pub account_id: AccountId,
    pub principal: Money,
    /// A single due date for the whole principal. Give either this or `schedule`.
    #[serde(default)]
    pub due_date: Option<NaiveDate>,
    /// Instalments (ascending due dates) whose amounts add up to the principal.
    #[serde(default)]
    pub schedule: Vec<Instalment>,
    /// The creditor's own reference (invoice or loan number), used for reconciliation.
    #[serde(default)]
    pub external_ref: Option<String>,
    /// Product or portfolio segment, e.g. `credit_card`, `microcredit`.
    #[serde(default)]
    pub product: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyCharge {
    pub account_id: AccountId,
    pub charge_id: ChargeId,
    pub kind: ChargeKind,
    pub amount: Money,
    /// When the charge falls due; defaults to the day the command was issued (UTC).
    #[serde(default)]
    pub due_date: Option<NaiveDate>,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordPayment {
    /// The payer channel's transaction id. Applying the same id twice is rejected,
    /// which makes gateway webhooks safe to replay.
    pub payment_id: PaymentId,
    pub amount: Money,
    pub method: PaymentMethod,
    /// When the money was received (business time, from the payer's channel).
    pub received_at: DateTime<Utc>,
    #[serde(default)]
    pub external_ref: Option<String>,
    /// Allocate only to this account. Without it, the payment goes to the
    /// oldest due items first across the debtor's accounts in its currency.
    #[serde(default)]
    pub account_id: Option<AccountId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReversePayment {
    pub payment_id: PaymentId,
    /// Why the money went back (chargeback, returned direct debit, bounced cheque).
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordContactAttempt {
    pub attempt_id: AttemptId,
    pub channel: Channel,
    pub direction: Direction,
    pub outcome: ContactOutcome,
    /// The debts the contact was about. A call about several debts counts toward each.
    pub account_ids: Vec<AccountId>,
    /// Whether the exchange was two-way (a conversation, a reply).
    pub two_way: bool,
    pub occurred_at: DateTime<Utc>,
    #[serde(default)]
    pub agent: Option<String>,
    /// The number or address used (personal data).
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub callee_role: CalleeRole,
    /// The gate request this attempt carries out, if it went through the gate.
    #[serde(default)]
    pub request_id: Option<AttemptId>,
}

/// Asks the compliance gate whether a contact may be made now (or at `at`).
/// The answer is recorded as an event either way, and an allowed contact
/// counts toward the limits until its attempt is recorded with this
/// `request_id`, so two agents racing cannot both pass a limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestContact {
    pub request_id: AttemptId,
    pub channel: Channel,
    /// The number or address to be used (personal data).
    #[serde(default)]
    pub address: Option<String>,
    /// The debts the contact may discuss; empty means every debt of the debtor.
    #[serde(default)]
    pub account_ids: Vec<AccountId>,
    #[serde(default)]
    pub callee_role: CalleeRole,
    /// When the contact would be made; defaults to when the command is issued.
    #[serde(default)]
    pub at: Option<DateTime<Utc>>,
    /// The contact reaches the debtor at their place of work.
    #[serde(default)]
    pub at_workplace: bool,
    #[serde(default)]
    pub agent: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MakePromise {
    pub promise_id: PromiseId,
    pub account_id: AccountId,
    pub amount: Money,
    /// The day the debtor promised to pay by (in the debtor's calendar).
    pub due_date: NaiveDate,
    #[serde(default)]
    pub agent: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenDispute {
    pub dispute_id: DisputeId,
    pub account_id: AccountId,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveDispute {
    pub dispute_id: DisputeId,
    pub resolution: DisputeResolution,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordOptOut {
    pub channel: Channel,
    /// One address (e.g. the number that texted STOP). Without it the whole medium is opted out.
    #[serde(default)]
    pub address: Option<String>,
    /// How the request arrived (e.g. `sms_stop`, `call`, `letter`).
    #[serde(default)]
    pub source: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordCeaseCommunication {
    /// The debts the request covers; empty means every debt of the debtor.
    #[serde(default)]
    pub account_ids: Vec<AccountId>,
    /// How the request arrived (e.g. `letter`, `email`).
    #[serde(default)]
    pub received_via: Option<String>,
}

/// A standing fact that narrows when, where or how the debtor may be
/// contacted, beyond opt-outs and cease-communication requests. Each one is a
/// fact the compliance gate must see (DESIGN §5: a contact the debtor's policy
/// forbids must never be allowed), so each maps onto a field of the policy
/// engine's `Facts` or onto an extra time zone of the debtor.
///
/// Restrictions only ever narrow what is allowed; lifting one (an attorney's
/// consent to direct contact, a withdrawn time preference) is not modelled
/// yet, which errs on the side of not contacting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ContactRestriction {
    /// The debtor is represented by an attorney on these debts (Reg F
    /// § 1006.6(b)(2)); empty means every debt of the debtor, including
    /// accounts opened later.
    AttorneyRepresentation {
        #[serde(default)]
        account_ids: Vec<AccountId>,
    },
    /// A time the debtor said is inconvenient, in the debtor's local time
    /// (§ 1006.6(b)(1)); `end <= start` wraps past midnight.
    InconvenientTime {
        days: Vec<arrears_policy::Day>,
        start: arrears_policy::ClockTime,
        end: arrears_policy::ClockTime,
    },
    /// "Do not contact me by this medium" (§ 1006.14(h)): every address of the channel.
    MediumBlock { channel: Channel },
    /// The employer prohibits contact at work (§ 1006.6(b)(3)).
    WorkplaceContactProhibited,
    /// Consent to autodialled or prerecorded calls and texts to this number was
    /// revoked (TCPA, 47 CFR 64.1200(a)(10)).
    TcpaConsentRevoked { address: String },
    /// Another IANA time zone in which the debtor may be (e.g. a phone area
    /// code in one zone and an address in another): the gate then allows only
    /// what is allowed in every plausible zone.
    AdditionalTimeZone { time_zone: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RecordContactRestriction {
    pub restriction: ContactRestriction,
    /// How the fact became known (e.g. `call`, `letter`, `attorney_letter`).
    #[serde(default)]
    pub source: Option<String>,
}

/// Everything a client can ask of a debtor's ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "command", content = "data", rename_all = "snake_case")]
pub enum Command {
    RegisterDebtor(RegisterDebtor),
    OpenAccount(OpenAccount),
    ApplyCharge(ApplyCharge),
    RecordPayment(RecordPayment),
    ReversePayment(ReversePayment),
    RecordContactAttempt(RecordContactAttempt),
    RequestContact(RequestContact),
    MakePromise(MakePromise),
    OpenDispute(OpenDispute),
    ResolveDispute(ResolveDispute),
    RecordOptOut(RecordOptOut),
    RecordCeaseCommunication(RecordCeaseCommunication),
    RecordContactRestriction(RecordContactRestriction),
}

impl Command {
    /// Stable name of the command kind, e.g. `record_payment`.
    pub fn name(&self) -> &'static str {
        match self {
            Command::RegisterDebtor(_) => "register_debtor",
            Command::OpenAccount(_) => "open_account",
            Command::ApplyCharge(_) => "apply_charge",
            Command::RecordPayment(_) => "record_payment",
            Command::ReversePayment(_) => "reverse_payment",
            Command::RecordContactAttempt(_) => "record_contact_attempt",
            Command::RequestContact(_) => "request_contact",
            Command::MakePromise(_) => "make_promise",
            Command::OpenDispute(_) => "open_dispute",
            Command::ResolveDispute(_) => "resolve_dispute",
            Command::RecordOptOut(_) => "record_opt_out",
            Command::RecordCeaseCommunication(_) => "record_cease_communication",
            Command::RecordContactRestriction(_) => "record_contact_restriction",
        }
    }

    /// SHA-256 over the canonical JSON of the command (kind and data).
    ///
    /// Two requests that mean the same thing hash the same, whatever the
    /// field order of the HTTP body, because the hash is taken after parsing.
    /// A reused idempotency key with a different hash is a client error.
    pub fn request_hash(&self, debtor: &DebtorId) -> String {
        let mut h = Sha256::new();
        h.update(debtor.as_str().as_bytes());
        h.update([0u8]);
        h.update(serde_json::to_vec(self).unwrap_or_default());
        hex::encode(h.finalize())
    }
}

/// A command plus its metadata, as it travels to the ledger (and, in the Kafka
/// backend, on `arrears.commands`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CommandEnvelope {
    /// UUIDv7 assigned by the gateway; the causation id of the events it produces.
    pub command_id: Uuid,
    pub tenant: TenantId,
    pub debtor_id: DebtorId,
    /// Stamped once at the gateway; the only clock the domain ever sees.
    pub issued_at: DateTime<Utc>,
    /// Ties together the commands and events of one business flow.
    pub correlation_id: Uuid,
    /// Client-chosen key (HTTP `Idempotency-Key`), scoped to the debtor.
    #[serde(default)]
    pub idempotency_key: Option<String>,
    /// Who issued it (API key id, agent, automation).
    #[serde(default)]
    pub actor: Option<String>,
    pub command: Command,
}

impl CommandEnvelope {
    /// The stream key `{tenant}/{debtor}` that routes the command.
    pub fn key(&self) -> String {
        crate::ids::stream_key(&self.tenant, &self.debtor_id)
    }
}

/// The JSON Schema of a command envelope (the value on `arrears.commands`).
pub fn command_envelope_schema() -> serde_json::Value {
    let mut s = serde_json::to_value(schemars::schema_for!(CommandEnvelope)).unwrap_or_default();
    if let Some(o) = s.as_object_mut() {
        o.insert(
            "$id".into(),
            "urn:arrears:schema:commands:envelope.v1".into(),
        );
        o.insert("title".into(), "arrears command envelope v1".into());
    }
    s
}
