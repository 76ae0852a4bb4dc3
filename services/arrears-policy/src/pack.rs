//! Policy packs: versioned TOML data, one per jurisdiction (or overlay).
//!
//! A pack is data so counsel can review it without reading Rust, and so a
//! change of interpretation is a reviewed diff with a changelog entry
//! (COMPLIANCE.md preamble). The shipped packs are embedded with
//! `include_str!`, so the binary needs no files; an operator may override
//! any of them with texts given as `(name, text)` pairs.
//!
//! Loading is two-staged: TOML syntax and pack-level keys first (toml's span
//! gives the line), then each rule, whose errors name the rule id, the key and
//! the line where the rule starts.

use std::collections::BTreeSet;

use serde::Deserialize;

use crate::calendar::HolidayCalendar;
use crate::decision::{Backing, ReasonKind};
use crate::request::{CalleeRole, Channel, ClockTime, ContactOutcome, Day};

/// The packs shipped with the engine: `(file name, text)`.
pub const EMBEDDED_PACKS: &[(&str, &str)] = &[
    (
        "us-federal.toml",
        include_str!("../../../schemas/policy-packs/us-federal.toml"),
    ),
    (
        "us-ma.toml",
        include_str!("../../../schemas/policy-packs/us-ma.toml"),
    ),
    (
        "co.toml",
        include_str!("../../../schemas/policy-packs/co.toml"),
    ),
    (
        "mx.toml",
        include_str!("../../../schemas/policy-packs/mx.toml"),
    ),
    (
        "pe.toml",
        include_str!("../../../schemas/policy-packs/pe.toml"),
    ),
    (
        "cl.toml",
        include_str!("../../../schemas/policy-packs/cl.toml"),
    ),
    (
        "br-sp.toml",
        include_str!("../../../schemas/policy-packs/br-sp.toml"),
    ),
    (
        "internal-gb-es.toml",
        include_str!("../../../schemas/policy-packs/internal-gb-es.toml"),
    ),
    (
        "ec.toml",
        include_str!("../../../schemas/policy-packs/ec.toml"),
    ),
];

/// A pack that failed to load. `Display` names the file, the line and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackError {
    #[error("policy pack {file}: line {line}, column {column}: {message}")]
    Syntax {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("policy pack {file}: line {line}: rule `{rule_id}`: key `{key}`: {message}")]
    Rule {
        file: String,
        line: usize,
        rule_id: String,
        key: String,
        message: String,
    },
    #[error("policy pack {file}: key `{key}`: {message}")]
    Pack {
        file: String,
        key: String,
        message: String,
    },
}

/// One changelog entry. Interpretations change only with an entry here.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangelogEntry {
    pub version: String,
    pub date: String,
    pub change: String,
}

/// A validated policy pack.
#[derive(Debug, Clone, PartialEq)]
pub struct Pack {
    pub id: String,
    pub version: String,
    pub jurisdiction: String,
    /// Jurisdiction codes this pack applies to (defaults to `[jurisdiction]`).
    pub covers: Vec<String>,
    pub title: String,
    /// Zones used when the request names none (unknown location).
    pub default_time_zones: Vec<String>,
    pub changelog: Vec<ChangelogEntry>,
    pub rules: Vec<Rule>,
}

/// A rule: common metadata plus its kind-specific parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub id: String,
    pub citation: String,
    pub backing: Backing,
    pub reason_kind: ReasonKind,
    /// Proposed channels this rule judges (`None` = all channels).
    pub channels: Option<Vec<Channel>>,
    /// Callee roles this rule judges (`None` = all roles).
    pub callee_roles: Option<Vec<CalleeRole>>,
    pub note: Option<String>,
    pub kind: RuleKind,
}

impl Rule {
    pub fn applies_to(&self, channel: Channel, role: CalleeRole) -> bool {
        self.channels.as_ref().is_none_or(|c| c.contains(&channel))
            && self.callee_roles.as_ref().is_none_or(|r| r.contains(&role))
    }
}

/// How the ends of a local window are treated. Reg F/FDCPA word the 08:00 and
/// 21:00 boundaries differently (COMPLIANCE.md §1.2, UNVERIFIED), so it is a
/// parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Boundary {
    /// `[start, end)`.
    #[default]
    ClosedOpen,
    /// `[start, end]`.
    ClosedClosed,
    /// `(start, end)`.
    OpenOpen,
}

/// A "week" in Colombia (Ley 2300 art. 3) and Chile (Ley 19.496 art. 37) is
/// undefined (COMPLIANCE.md §2, §6, UNVERIFIED).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeekMode {
    /// The 7 local calendar days ending with the day being judged.
    #[default]
    #[serde(rename = "rolling_7_days")]
    Rolling7Days,
    /// Monday to Sunday, local calendar.
    CalendarWeek,
    /// Deny when either reading denies.
    Strictest,
}

/// Whether Colombia's "no more than once a day" applies before any direct
/// contact (COMPLIANCE.md §2 ambiguity (a), UNVERIFIED).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DailyCapMode {
    /// Every day, whether or not a direct contact happened (conservative).
    #[default]
    Always,
    /// Only once a direct two-way contact happened that day (literal reading).
    AfterDirectContact,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowDef {
    pub days: Vec<Day>,
    pub start: ClockTime,
    pub end: ClockTime,
}

/// Kind-specific parameters. The TOML key `kind` selects the variant.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RuleKind {
    /// Allowed local hours per weekday; days not listed, and days on the holiday
    /// calendar, are blocked. Evaluated in every plausible zone (intersection).
    TimeWindow(TimeWindowParams),
    /// Per-(channel, address) electronic opt-outs; address-less opt-outs cover the channel.
    OptOut(EmptyParams),
    /// Medium-level "do not use" requests.
    MediumBlock(EmptyParams),
    /// Cease communication per debt; `exception_channels` with a cease-notice purpose pass.
    CeaseCommunication(CeaseParams),
    /// Consumer represented by an attorney on the debt.
    AttorneyRepresentation(EmptyParams),
    /// Employer prohibits contact at work.
    Workplace(EmptyParams),
    /// Consumer-designated inconvenient times.
    InconvenientTimes(EmptyParams),
    /// TCPA consent revoked for a number.
    TcpaRevocation(EmptyParams),
    /// Only channels the consumer authorised.
    AuthorisedChannels(EmptyParams),
    /// Only these callee roles may be contacted.
    CalleeRoles(CalleeRolesParams),
    /// The rule's `channels` may never be used.
    ChannelProhibited(EmptyParams),
    /// Reg F § 1006.14(b)(2)(i)(A): placed calls per particular debt in N consecutive days.
    RegfCallFrequency(RegfCallFrequencyParams),
    /// Reg F § 1006.14(b)(2)(i)(B): no call within N days of a telephone conversation.
    RegfPostConversation(RegfPostConversationParams),
    /// Communications per particular debt in N consecutive days (Massachusetts).
    PerDebtCap(PerDebtCapParams),
    /// Contacts per person per local day.
    DailyContactCap(DailyContactCapParams),
    /// After a direct contact on channel C, only C for the rest of the week.
    SingleChannelAfterDirectContact(SingleChannelParams),
    /// Contacts per person per week, optionally spaced (Chile).
    WeeklyCap(WeeklyCapParams),
}

impl RuleKind {
    pub fn name(&self) -> &'static str {
        match self {
            RuleKind::TimeWindow(_) => "time_window",
            RuleKind::OptOut(_) => "opt_out",
            RuleKind::MediumBlock(_) => "medium_block",
            RuleKind::CeaseCommunication(_) => "cease_communication",
            RuleKind::AttorneyRepresentation(_) => "attorney_representation",
            RuleKind::Workplace(_) => "workplace",
            RuleKind::InconvenientTimes(_) => "inconvenient_times",
            RuleKind::TcpaRevocation(_) => "tcpa_revocation",
            RuleKind::AuthorisedChannels(_) => "authorised_channels",
            RuleKind::CalleeRoles(_) => "callee_roles",
            RuleKind::ChannelProhibited(_) => "channel_prohibited",
            RuleKind::RegfCallFrequency(_) => "regf_call_frequency",
            RuleKind::RegfPostConversation(_) => "regf_post_conversation",
            RuleKind::PerDebtCap(_) => "per_debt_cap",
            RuleKind::DailyContactCap(_) => "daily_contact_cap",
            RuleKind::SingleChannelAfterDirectContact(_) => "single_channel_after_direct_contact",
            RuleKind::WeeklyCap(_) => "weekly_cap",
        }
    }

    /// A deny from this kind does not lift with time alone (no `next_allowed_at`).
    pub fn is_permanent(&self) -> bool {
        !matches!(
            self,
            RuleKind::TimeWindow(_)
                | RuleKind::InconvenientTimes(_)
                | RuleKind::RegfCallFrequency(_)
                | RuleKind::RegfPostConversation(_)
                | RuleKind::PerDebtCap(_)
                | RuleKind::DailyContactCap(_)
                | RuleKind::SingleChannelAfterDirectContact(_)
                | RuleKind::WeeklyCap(_)
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmptyParams {}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeWindowParams {
    pub windows: Vec<WindowDef>,
    #[serde(default)]
    pub boundary: Boundary,
    /// Calendar id whose holidays block the whole day.
    #[serde(default)]
    pub holiday_calendar: Option<String>,
    /// Drop Saturday and Sunday windows (Mexico, UNVERIFIED conflicting sources).
    #[serde(default)]
    pub weekdays_only: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CeaseParams {
    #[serde(default = "default_cease_exception_channels")]
    pub exception_channels: Vec<Channel>,
}

fn default_cease_exception_channels() -> Vec<Channel> {
    vec![Channel::Letter]
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalleeRolesParams {
    pub allowed: Vec<CalleeRole>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegfCallFrequencyParams {
    pub max_calls: u32,
    pub window_days: u32,
    pub counted_channels: Vec<Channel>,
    pub excluded_outcomes: Vec<ContactOutcome>,
    pub excluded_roles: Vec<CalleeRole>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegfPostConversationParams {
    pub window_days: u32,
    pub conversation_channels: Vec<Channel>,
    pub conversation_outcomes: Vec<ContactOutcome>,
    pub excluded_roles: Vec<CalleeRole>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerDebtCapParams {
    pub max: u32,
    pub window_days: u32,
    pub counted_channels: Vec<Channel>,
    /// Count busy / not-in-service attempts too (conservative).
    pub count_unconnected_attempts: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DailyContactCapParams {
    pub max_per_day: u32,
    pub counted_channels: Vec<Channel>,
    #[serde(default)]
    pub mode: DailyCapMode,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SingleChannelParams {
    #[serde(default)]
    pub week_mode: WeekMode,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeeklyCapParams {
    pub max_per_week: u32,
    pub counted_channels: Vec<Channel>,
    #[serde(default)]
    pub week_mode: WeekMode,
    /// Minimum calendar-day distance between two counted actions (0 = none).
    #[serde(default)]
    pub min_gap_days: u32,
    /// Whether phone attempts nobody answered count as a "contacto telefónico".
    pub count_unanswered_calls: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPack {
    id: String,
    version: String,
    jurisdiction: String,
    #[serde(default)]
    covers: Option<Vec<String>>,
    title: String,
    #[serde(default)]
    default_time_zones: Vec<String>,
    changelog: Vec<ChangelogEntry>,
    rules: Vec<toml::Spanned<toml::Table>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRuleCommon {
    id: String,
    citation: String,
    backing: Backing,
    reason_kind: ReasonKind,
    #[serde(default)]
    channels: Option<Vec<Channel>>,
    #[serde(default)]
    callee_roles: Option<Vec<CalleeRole>>,
    #[serde(default)]
    note: Option<String>,
}

const COMMON_KEYS: &[&str] = &[
    "id",
    "citation",
    "backing",
    "reason_kind",
    "channels",
    "callee_roles",
    "note",
];

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, column)
}

/// Finds the key a serde message complains about: the field named in
/// "unknown/missing field `x`", or the key whose value holds the bad token
/// (quoted with backticks or double quotes in the message).
fn key_in_message(message: &str, table: &toml::Table, fallback: &str) -> String {
    let backticked = message.split('`').nth(1);
    if message.contains("field")
        && let Some(t) = backticked
    {
        return t.to_string();
    }
    let quoted = message.split('"').nth(1);
    for token in [backticked, quoted].into_iter().flatten() {
        for (k, v) in table {
            if k != "kind" && v.to_string().contains(token) {
                return k.clone();
            }
        }
    }
    fallback.to_string()
}

/// Parses and validates one pack. `name` is only used in error messages.
pub fn load_pack(name: &str, text: &str) -> Result<Pack, PackError> {
    let raw: RawPack = toml::from_str(text).map_err(|e| {
        let (line, column) = e.span().map_or((1, 1), |span| line_col(text, span.start));
        PackError::Syntax {
            file: name.to_string(),
            line,
            column,
            message: e.message().to_string(),
        }
    })?;
    let pack_err = |key: &str, message: String| PackError::Pack {
        file: name.to_string(),
        key: key.to_string(),
        message,
    };
    if raw.id.trim().is_empty() {
        return Err(pack_err("id", "must not be empty".into()));
    }
    if raw.version.trim().is_empty() {
        return Err(pack_err("version", "must not be empty".into()));
    }
    if raw.changelog.is_empty() {
        return Err(pack_err("changelog", "needs at least one entry".into()));
    }
    if !raw.changelog.iter().any(|c| c.version == raw.version) {
        return Err(pack_err(
            "changelog",
            format!("has no entry for version {}", raw.version),
        ));
    }
    for zone in &raw.default_time_zones {
        if zone.parse::<chrono_tz::Tz>().is_err() {
            return Err(pack_err(
                "default_time_zones",
                format!("{zone:?} is not an IANA time zone"),
            ));
        }
    }
    let mut rules = Vec::with_capacity(raw.rules.len());
    let mut seen = BTreeSet::new();
    for spanned in raw.rules {
        let (line, _) = line_col(text, spanned.span().start);
        let table = spanned.into_inner();
        let rule_id = table
            .get("id")
            .and_then(|v| v.as_str())
            .unwrap_or("<missing id>")
            .to_string();
        let rule_err = |key: &str, message: String| PackError::Rule {
            file: name.to_string(),
            line,
            rule_id: rule_id.clone(),
            key: key.to_string(),
            message,
        };
        let mut common_table = toml::Table::new();
        let mut kind_table = toml::Table::new();
        for (k, v) in table {
            if COMMON_KEYS.contains(&k.as_str()) {
                common_table.insert(k, v);
            } else {
                kind_table.insert(k, v);
            }
        }
        let common =
            RawRuleCommon::deserialize(toml::Value::Table(common_table.clone())).map_err(|e| {
                let message = e.message().to_string();
                rule_err(&key_in_message(&message, &common_table, "id"), message)
            })?;
        if !kind_table.contains_key("kind") {
            return Err(rule_err("kind", "missing rule kind".into()));
        }
        let kind = RuleKind::deserialize(toml::Value::Table(kind_table.clone())).map_err(|e| {
            let message = e.message().to_string();
            rule_err(&key_in_message(&message, &kind_table, "kind"), message)
        })?;
        if !seen.insert(common.id.clone()) {
            return Err(rule_err("id", "duplicate rule id in pack".into()));
        }
        validate_kind(&kind).map_err(|(key, message)| rule_err(key, message))?;
        rules.push(Rule {
            id: common.id,
            citation: common.citation,
            backing: common.backing,
            reason_kind: common.reason_kind,
            channels: common.channels,
            callee_roles: common.callee_roles,
            note: common.note,
            kind,
        });
    }
    Ok(Pack {
        covers: raw.covers.unwrap_or_else(|| vec![raw.jurisdiction.clone()]),
        id: raw.id,
        version: raw.version,
        jurisdiction: raw.jurisdiction,
        title: raw.title,
        default_time_zones: raw.default_time_zones,
        changelog: raw.changelog,
        rules,
    })
}

fn validate_kind(kind: &RuleKind) -> Result<(), (&'static str, String)> {
    match kind {
        RuleKind::TimeWindow(p) => {
            if p.windows.is_empty() {
                return Err(("windows", "needs at least one window".into()));
            }
            for w in &p.windows {
                if w.start >= w.end {
                    return Err((
                        "windows",
                        format!("start {} must be before end {}", w.start, w.end),
                    ));
                }
                if w.days.is_empty() {
                    return Err(("windows", "a window needs at least one day".into()));
                }
            }
            if let Some(id) = &p.holiday_calendar
                && HolidayCalendar::by_id(id).is_none()
            {
                return Err((
                    "holiday_calendar",
                    format!(
                        "unknown calendar {id:?} (known: {})",
                        HolidayCalendar::ids().join(", ")
                    ),
                ));
            }
        }
        RuleKind::RegfCallFrequency(p) => {
            positive("max_calls", p.max_calls)?;
            positive("window_days", p.window_days)?;
        }
        RuleKind::RegfPostConversation(p) => positive("window_days", p.window_days)?,
        RuleKind::PerDebtCap(p) => {
            positive("max", p.max)?;
            positive("window_days", p.window_days)?;
        }
        RuleKind::DailyContactCap(p) => positive("max_per_day", p.max_per_day)?,
        RuleKind::WeeklyCap(p) => {
            positive("max_per_week", p.max_per_week)?;
            if p.min_gap_days > 7 {
                return Err(("min_gap_days", "must be at most 7".into()));
            }
        }
        RuleKind::CalleeRoles(p) if p.allowed.is_empty() => {
            return Err(("allowed", "needs at least one role".into()));
        }
        _ => {}
    }
    Ok(())
}

fn positive(key: &'static str, value: u32) -> Result<(), (&'static str, String)> {
    if value == 0 {
        Err((key, "must be at least 1".into()))
    } else {
        Ok(())
    }
}

/// The packs the engine knows, in a fixed order (evaluation order).
#[derive(Debug, Clone, PartialEq)]
pub struct PackSet {
    packs: Vec<Pack>,
}

impl PackSet {
    /// Loads packs from `(name, text)` pairs. Pack ids must be unique.
    pub fn load(sources: &[(&str, &str)]) -> Result<PackSet, PackError> {
        let mut packs: Vec<Pack> = Vec::with_capacity(sources.len());
        for (name, text) in sources {
            let pack = load_pack(name, text)?;
            if packs.iter().any(|p| p.id == pack.id) {
                return Err(PackError::Pack {
                    file: (*name).to_string(),
                    key: "id".into(),
                    message: format!("pack id {:?} is loaded twice", pack.id),
                });
            }
            packs.push(pack);
        }
        Ok(PackSet { packs })
    }

    /// The packs shipped in the binary.
    pub fn embedded() -> Result<PackSet, PackError> {
        PackSet::load(EMBEDDED_PACKS)
    }

    /// The embedded packs, with each override replacing the pack of the same id
    /// (or adding a new pack). Overrides are `(file name, text)` pairs, e.g. read
    /// from a directory by the caller.
    pub fn embedded_with_overrides(overrides: &[(&str, &str)]) -> Result<PackSet, PackError> {
        let mut set = PackSet::embedded()?;
        for (name, text) in overrides {
            let pack = load_pack(name, text)?;
            match set.packs.iter_mut().find(|p| p.id == pack.id) {
                Some(slot) => *slot = pack,
                None => set.packs.push(pack),
            }
        }
        Ok(set)
    }

    pub fn packs(&self) -> &[Pack] {
        &self.packs
    }

    pub fn get(&self, id: &str) -> Option<&Pack> {
        self.packs.iter().find(|p| p.id == id)
    }

    /// Packs that apply to the given jurisdiction codes or pack ids, in set order.
    /// A sub-national code (`US-MA`) also applies its country (`US`). Returns the
    /// codes nothing matched as the error: the engine then fails closed.
    pub fn resolve(&self, jurisdictions: &[String]) -> Result<Vec<&Pack>, Vec<String>> {
        let mut wanted: BTreeSet<&str> = BTreeSet::new();
        let mut unknown = Vec::new();
        for code in jurisdictions {
            let direct: Vec<&Pack> = self
                .packs
                .iter()
                .filter(|p| p.id == *code || p.covers.iter().any(|c| c == code))
                .collect();
            if direct.is_empty() {
                unknown.push(code.clone());
                continue;
            }
            wanted.extend(direct.iter().map(|p| p.id.as_str()));
            if let Some((country, _)) = code.split_once('-') {
                wanted.extend(
                    self.packs
                        .iter()
                        .filter(|p| p.covers.iter().any(|c| c == country))
                        .map(|p| p.id.as_str()),
                );
            }
        }
        if !unknown.is_empty() || jurisdictions.is_empty() {
            if jurisdictions.is_empty() {
                unknown.push("<none given>".into());
            }
            return Err(unknown);
        }
        Ok(self
            .packs
            .iter()
            .filter(|p| wanted.contains(p.id.as_str()))
            .collect())
    }
}
