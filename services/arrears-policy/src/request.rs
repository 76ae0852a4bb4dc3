//! The evaluation request: everything the engine needs, passed in as data.
//!
//! The engine never reads a clock (DESIGN.md D3): the proposed instant, the
//! contact history and the consumer's directives all arrive here. The JSON
//! form is snake_case with `deny_unknown_fields`, so a typo in a caller's
//! field name is a decode error rather than a silently ignored fact.
//! The JSON Schema is `schemas/compliance/evaluate-request.schema.json`.
//!
//! Fields are declared in alphabetical order on purpose: serialising a request
//! then yields JSON with sorted keys, which is the canonical form hashed into
//! `inputs_hash` (a test checks the two agree).

use chrono::{DateTime, FixedOffset, NaiveTime, Weekday};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Contact channel. Shared vocabulary with the rest of arrears.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
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

impl Channel {
    /// The snake_case wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Phone => "phone",
            Channel::Sms => "sms",
            Channel::Email => "email",
            Channel::Whatsapp => "whatsapp",
            Channel::Letter => "letter",
            Channel::Visit => "visit",
        }
    }
}

/// Who initiated a contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Outbound,
    Inbound,
}

/// Result of a past contact attempt. Shared vocabulary with the rest of arrears.
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

impl ContactOutcome {
    /// Reg F § 1006.14(b)(3)(ii): a call "not connected to the dialed number"
    /// (busy signal, number not in service) is excluded from the call count.
    pub fn is_not_connected(self) -> bool {
        matches!(self, ContactOutcome::Busy | ContactOutcome::NotInService)
    }
}

/// The role of the person contacted. Shared vocabulary with the rest of arrears.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Default,
    Serialize,
    Deserialize,
    JsonSchema,
)]
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

impl CalleeRole {
    /// The snake_case wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            CalleeRole::Debtor => "debtor",
            CalleeRole::CoDebtor => "co_debtor",
            CalleeRole::Guarantor => "guarantor",
            CalleeRole::Reference => "reference",
            CalleeRole::ThirdParty => "third_party",
            CalleeRole::Attorney => "attorney",
            CalleeRole::Creditor => "creditor",
            CalleeRole::CreditReportingAgency => "credit_reporting_agency",
        }
    }
}

/// Why a contact is made. Only a few purposes change the verdict; the default
/// is ordinary collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    #[default]
    Collection,
    /// 15 U.S.C. 1692c(c)(1): advise that further efforts are being terminated.
    CeaseTerminationNotice,
    /// 15 U.S.C. 1692c(c)(2)/(3): notify that a remedy may be / will be invoked.
    CeaseRemedyNotice,
}

/// Day of week in a schedule (`mon` … `sun`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Day {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Day {
    pub fn weekday(self) -> Weekday {
        match self {
            Day::Mon => Weekday::Mon,
            Day::Tue => Weekday::Tue,
            Day::Wed => Weekday::Wed,
            Day::Thu => Weekday::Thu,
            Day::Fri => Weekday::Fri,
            Day::Sat => Weekday::Sat,
            Day::Sun => Weekday::Sun,
        }
    }
}

/// A wall-clock time written `HH:MM` (or `24:00` for end of day).
///
/// Stored as minutes after midnight so `24:00` can express "until midnight".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema)]
#[schemars(
    with = "String",
    description = "Local wall-clock time HH:MM (00:00-24:00)"
)]
pub struct ClockTime(u16);

impl ClockTime {
    pub const MIDNIGHT: ClockTime = ClockTime(0);
    pub const END_OF_DAY: ClockTime = ClockTime(24 * 60);

    pub fn from_minutes(minutes: u16) -> Option<ClockTime> {
        (minutes <= 24 * 60).then_some(ClockTime(minutes))
    }
    pub fn minutes(self) -> u16 {
        self.0
    }
    /// Parses `HH:MM`.
    pub fn parse(text: &str) -> Result<ClockTime, String> {
        let bad = || format!("expected HH:MM between 00:00 and 24:00, got {text:?}");
        let (h, m) = text.split_once(':').ok_or_else(bad)?;
        if h.len() != 2 || m.len() != 2 {
            return Err(bad());
        }
        let h: u16 = h.parse().map_err(|_| bad())?;
        let m: u16 = m.parse().map_err(|_| bad())?;
        if m >= 60 || h > 24 || (h == 24 && m != 0) {
            return Err(bad());
        }
        Ok(ClockTime(h * 60 + m))
    }
    /// Minutes since midnight of a naive time (seconds are kept by the caller).
    pub fn of(time: NaiveTime) -> (u16, u32) {
        use chrono::Timelike;
        ((time.hour() * 60 + time.minute()) as u16, time.second())
    }
    /// As a `NaiveTime`; `24:00` has none.
    pub fn naive(self) -> Option<NaiveTime> {
        if self.0 >= 24 * 60 {
            None
        } else {
            NaiveTime::from_hms_opt(u32::from(self.0 / 60), u32::from(self.0 % 60), 0)
        }
    }
}

impl std::fmt::Display for ClockTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl Serialize for ClockTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ClockTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        ClockTime::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// What to evaluate: one proposed contact plus the facts and history it is judged against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluationRequest {
    #[serde(default)]
    pub facts: Facts,
    #[serde(default)]
    pub history: Vec<HistoryEntry>,
    /// Jurisdiction codes (`US`, `US-MA`, `CO`, `MX`, `PE`, `CL`, `BR-SP`, `GB`, `ES`, `EC`)
    /// or explicit pack ids (`us-federal`). A sub-national code also applies its
    /// country's pack (`US-MA` implies `US`).
    pub jurisdictions: Vec<String>,
    pub proposed: ProposedContact,
    /// IANA zone names for the person's plausible locations. More than one means the
    /// location is ambiguous and the allowed window is the intersection over all of them
    /// (Reg F comment 6(b)(1)(i)-2). Empty means "unknown": each pack's default zone set
    /// is used (for the US every US zone, COMPLIANCE.md §1.2 policy).
    #[serde(default)]
    pub time_zones: Vec<String>,
}

/// Consumer-state facts derived from the debtor's events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Facts {
    #[serde(default)]
    pub attorney_representation: AttorneyRepresentation,
    /// Channels the consumer authorised (Colombia Ley 2300 art. 2). `None` = not recorded
    /// (then no channel is authorised where a pack requires authorisation).
    #[serde(default)]
    pub authorised_channels: Option<Vec<Channel>>,
    #[serde(default)]
    pub cease_communication: CeaseCommunication,
    /// Debts that count as one "particular debt" (Reg F § 1006.14(b)(4): student loans
    /// serviced under one account number).
    #[serde(default)]
    pub debt_groups: Vec<DebtGroup>,
    /// Windows of prior consent given directly to the collector (§ 1006.14(b)(3)(i)).
    #[serde(default)]
    pub direct_prior_consent: Vec<ConsentWindow>,
    /// Times the consumer designated as inconvenient, in the consumer's local time.
    #[serde(default)]
    pub inconvenient_times: Vec<InconvenientTime>,
    /// "Do not use this medium" requests (Reg F § 1006.14(h)).
    #[serde(default)]
    pub medium_blocks: Vec<Channel>,
    /// Per-address electronic opt-outs (Reg F § 1006.6(e)); an opt-out without an
    /// address covers every address on that channel.
    #[serde(default)]
    pub opt_outs: Vec<OptOut>,
    /// Numbers for which TCPA consent was revoked (47 CFR 64.1200(a)(10)).
    #[serde(default)]
    pub tcpa_consent_revoked: Vec<String>,
    /// The collector knows the employer prohibits contact at work (§ 1006.6(b)(3)).
    #[serde(default)]
    pub workplace_contact_prohibited: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OptOut {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    pub channel: Channel,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CeaseCommunication {
    /// Cease for every debt.
    #[serde(default)]
    pub all: bool,
    #[serde(default)]
    pub debt_ids: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttorneyRepresentation {
    /// Debts on which the consumer is known to be represented.
    #[serde(default)]
    pub debt_ids: Vec<String>,
    /// § 1006.6(b)(2) exceptions: the attorney consented to direct contact, or failed to
    /// respond within a reasonable time.
    #[serde(default)]
    pub direct_contact_permitted: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InconvenientTime {
    pub days: Vec<Day>,
    /// When `end <= start` the span wraps past midnight.
    pub end: ClockTime,
    pub start: ClockTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentWindow {
    pub from: DateTime<FixedOffset>,
    pub to: DateTime<FixedOffset>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DebtGroup {
    pub debt_ids: Vec<String>,
    pub key: String,
}

/// One past contact (either direction).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HistoryEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// RFC 3339 with offset.
    pub at: DateTime<FixedOffset>,
    pub callee_role: CalleeRole,
    pub channel: Channel,
    /// Debts in scope of the contact. Empty = conservatively every debt.
    #[serde(default)]
    pub debt_ids: Vec<String>,
    pub direction: Direction,
    pub outcome: ContactOutcome,
    /// Identifies the person when several share a role (two references). Compared only
    /// when both sides carry one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_id: Option<String>,
    /// A two-way interaction ("contacto directo", Colombia Ley 2300 art. 3).
    #[serde(default)]
    pub two_way: bool,
}

/// The contact being asked about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposedContact {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// RFC 3339 with offset. This is the only "now" the engine knows.
    pub at: DateTime<FixedOffset>,
    /// The contact reaches the consumer at their place of employment.
    #[serde(default)]
    pub at_workplace: bool,
    pub callee_role: CalleeRole,
    pub channel: Channel,
    /// Debts the contact may discuss; a call counts toward each (§ 1006.14(b)(4)).
    #[serde(default)]
    pub debt_ids: Vec<String>,
    /// Must be `outbound`: the engine judges contacts the collector initiates.
    pub direction: Direction,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_id: Option<String>,
    #[serde(default)]
    pub purpose: Purpose,
}
