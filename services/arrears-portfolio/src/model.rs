//! The JSON shapes of the query API (they are the HTTP responses of
//! `GET /v1/portfolio/summary` and `GET /v1/portfolio/kpis`). Field names
//! and spellings are a contract: add fields, never rename or retype them.
//!
//! Money is always `i64` minor units inside a section that names its
//! currency; amounts in different currencies are never added up. Ratios are
//! [`Rate`]s: the exact integer numerator and denominator plus the value in
//! basis points rounded half away from zero, computed from integers.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

/// Aging bucket of an account with a balance, by the days past due of its
/// oldest unpaid due date on the as-of date (UTC calendar).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Bucket {
    /// Nothing past due (days past due <= 0).
    #[serde(rename = "current")]
    Current,
    #[serde(rename = "1_30")]
    Dpd1To30,
    #[serde(rename = "31_60")]
    Dpd31To60,
    #[serde(rename = "61_90")]
    Dpd61To90,
    #[serde(rename = "91_180")]
    Dpd91To180,
    /// 181 days past due and more.
    #[serde(rename = "180_plus")]
    Dpd180Plus,
}

/// The buckets in order, as every aging list shows them (all six, zeros included).
pub const BUCKETS: [Bucket; 6] = [
    Bucket::Current,
    Bucket::Dpd1To30,
    Bucket::Dpd31To60,
    Bucket::Dpd61To90,
    Bucket::Dpd91To180,
    Bucket::Dpd180Plus,
];

impl Bucket {
    /// The bucket of `days_past_due` (negative or 0: current; 180 is still 91–180).
    pub fn of_days_past_due(days_past_due: i64) -> Bucket {
        match days_past_due {
            i64::MIN..=0 => Bucket::Current,
            1..=30 => Bucket::Dpd1To30,
            31..=60 => Bucket::Dpd31To60,
            61..=90 => Bucket::Dpd61To90,
            91..=180 => Bucket::Dpd91To180,
            _ => Bucket::Dpd180Plus,
        }
    }

    /// The JSON spelling, e.g. `"31_60"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Bucket::Current => "current",
            Bucket::Dpd1To30 => "1_30",
            Bucket::Dpd31To60 => "31_60",
            Bucket::Dpd61To90 => "61_90",
            Bucket::Dpd91To180 => "91_180",
            Bucket::Dpd180Plus => "180_plus",
        }
    }

    /// The next worse bucket (`None` for 180+).
    pub fn next(self) -> Option<Bucket> {
        let i = BUCKETS.iter().position(|b| *b == self)?;
        BUCKETS.get(i + 1).copied()
    }

    pub fn is_delinquent(self) -> bool {
        self != Bucket::Current
    }
}

/// An exact ratio. `basis_points` = numerator × 10 000 ÷ denominator, rounded
/// half away from zero; `null` when the denominator is 0 (undefined, not 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rate {
    pub numerator: i64,
    pub denominator: i64,
    pub basis_points: Option<i64>,
}

impl Rate {
    pub fn new(numerator: i64, denominator: i64) -> Rate {
        Rate {
            numerator,
            denominator,
            basis_points: div_round(i128::from(numerator) * 10_000, i128::from(denominator)),
        }
    }
}

/// `n / d` rounded half away from zero; `None` if `d == 0` or the result
/// does not fit an i64.
pub(crate) fn div_round(n: i128, d: i128) -> Option<i64> {
    if d == 0 {
        return None;
    }
    let q = n / d;
    let r = n % d;
    let q = if 2 * r.abs() >= d.abs() {
        q + if (n < 0) == (d < 0) { 1 } else { -1 }
    } else {
        q
    };
    i64::try_from(q).ok()
}

/// Balance and number of accounts in one bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BucketAmount {
    pub bucket: Bucket,
    pub balance_minor: i64,
    pub accounts: i64,
}

/// Aging of one segment (product or jurisdiction; `null` = not set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SegmentAging {
    pub segment: Option<String>,
    pub outstanding_minor: i64,
    pub aging: Vec<BucketAmount>,
}

/// `GET /v1/portfolio/summary?as_of=…`: the portfolio as arrears knew it at `as_of`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PortfolioSummary {
    pub tenant: String,
    /// The instant asked about (truncated to the microsecond).
    pub as_of: DateTime<Utc>,
    /// The UTC calendar date days past due are counted on.
    pub as_of_date: NaiveDate,
    /// Debtors registered at or before `as_of`.
    pub debtors: i64,
    /// Disputes opened at or before `as_of` and not resolved at `as_of`.
    pub open_disputes: i64,
    /// One section per currency of an account opened at or before `as_of`, by code.
    pub currencies: Vec<CurrencySummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CurrencySummary {
    pub currency: String,
    /// Sum of unpaid item amounts (instalments and charges) of every account.
    pub outstanding_minor: i64,
    /// Outstanding of accounts in buckets 1_30 .. 180_plus.
    pub past_due_minor: i64,
    /// Accounts with a balance > 0.
    pub open_accounts: i64,
    /// Money received that fitted no open item (debtors' credit), not reversed.
    pub unapplied_credit_minor: i64,
    pub aging: Vec<BucketAmount>,
    pub by_product: Vec<SegmentAging>,
    pub by_jurisdiction: Vec<SegmentAging>,
}

/// Options of [`crate::kpis`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct KpiOptions {
    /// Days after a promise's due date during which a payment still keeps it.
    /// Default [`KpiOptions::DEFAULT_PROMISE_GRACE_DAYS`] (3).
    pub promise_grace_days: u32,
}

impl KpiOptions {
    pub const DEFAULT_PROMISE_GRACE_DAYS: u32 = 3;
    /// Upper limit of `promise_grace_days` (a year), to refuse nonsense early.
    pub const MAX_PROMISE_GRACE_DAYS: u32 = 366;
}

impl Default for KpiOptions {
    fn default() -> Self {
        KpiOptions {
            promise_grace_days: KpiOptions::DEFAULT_PROMISE_GRACE_DAYS,
        }
    }
}

/// `GET /v1/portfolio/kpis?from=…&to=…`: KPIs of the period (`from`, `to`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Kpis {
    pub tenant: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub promise_grace_days: u32,
    /// One section per currency of an account opened at or before `to`, by code.
    pub currencies: Vec<CurrencyKpis>,
    pub contacts: ContactKpis,
    pub promises: PromiseKpis,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CurrencyKpis {
    pub currency: String,
    /// Outstanding as of `from`.
    pub beginning_receivables_minor: i64,
    /// Outstanding as of `to`.
    pub ending_receivables_minor: i64,
    /// Outstanding in bucket `current` as of `to`.
    pub ending_current_minor: i64,
    pub credit_sales: CreditSales,
    /// Aging as of `to`.
    pub aging: Vec<BucketAmount>,
    pub by_product: Vec<SegmentAging>,
    pub by_jurisdiction: Vec<SegmentAging>,
    pub collected: Collected,
    pub dso: Dso,
    /// CEI as a rate: basis_points / 100 is the CEI percentage.
    pub cei: Rate,
    pub recovery: Recovery,
    /// Every (bucket at `from`) → (bucket at `to`, or `paid`) move of the
    /// accounts with a balance at `from`, with their balance at `from`.
    pub transitions: Vec<Transition>,
    /// k → k+1 for k = current .. 91_180.
    pub roll_rates: Vec<RollRate>,
    pub cure: Cure,
    /// Collected, recovery and cure per product of the accounts.
    pub kpis_by_product: Vec<SegmentKpis>,
    /// Collected, recovery and cure per jurisdiction of the debtors.
    pub kpis_by_jurisdiction: Vec<SegmentKpis>,
}

/// The account-level KPIs of one segment (product or jurisdiction; `null` =
/// not set), with the same definitions as the currency's, restricted to the
/// segment's accounts. Segments are those of the currency's accounts opened
/// at or before `to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SegmentKpis {
    pub segment: Option<String>,
    /// Money allocated to the segment's accounts by payments recorded in the
    /// period, minus allocations undone by reversals recorded in the period.
    /// Unapplied money (credit) has no account and is in no segment, so the
    /// segments add up to the currency's `collected.net_minor` minus the net
    /// unapplied part.
    pub collected_allocated_net_minor: i64,
    pub recovery: Recovery,
    pub cure: Cure,
}

/// Credit sales of the period: principal of accounts opened plus charges applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreditSales {
    pub principal_opened_minor: i64,
    pub charges_applied_minor: i64,
    pub total_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Collected {
    /// Payments recorded in the period (full amounts, unapplied part included).
    pub gross_minor: i64,
    /// Reversals recorded in the period, whenever the payment was.
    pub reversed_minor: i64,
    /// gross − reversed.
    pub net_minor: i64,
    pub by_method: Vec<MethodCollected>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MethodCollected {
    pub method: String,
    pub gross_minor: i64,
    pub reversed_minor: i64,
    pub net_minor: i64,
}

/// DSO = ending receivables ÷ credit sales × days in period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dso {
    pub ending_receivables_minor: i64,
    pub credit_sales_minor: i64,
    /// `to − from`; days in period = this ÷ 86 400 000 000 (exact, fractional days allowed).
    pub period_microseconds: i64,
    /// DSO in hundredths of a day, rounded half away from zero; `null` without credit sales.
    pub centidays: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recovery {
    /// Outstanding at `from` of the accounts then past due (buckets 1_30 .. 180_plus).
    pub base_past_due_minor: i64,
    /// Money allocated to those accounts by payments recorded in the period,
    /// minus allocations to them undone by reversals recorded in the period.
    pub recovered_minor: i64,
    pub rate: Rate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transition {
    pub from: Bucket,
    /// A bucket spelling or `paid` (nothing owed at `to`).
    pub to: &'static str,
    pub accounts: i64,
    /// Balance at `from`.
    pub balance_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RollRate {
    pub from: Bucket,
    pub to: Bucket,
    pub rate: Rate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cure {
    /// Outstanding at `from` of the accounts then past due.
    pub base_delinquent_minor: i64,
    /// The part of it on accounts that are `current` or `paid` at `to`.
    pub cured_minor: i64,
    pub rate: Rate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContactKpis {
    /// Outbound phone attempts recorded in the period.
    pub call_attempts: i64,
    /// Of those, outcome `right_party_contact`.
    pub call_right_party_contacts: i64,
    /// call_right_party_contacts ÷ call_attempts.
    pub rpc_rate: Rate,
    /// Outcome `right_party_contact` on any channel and direction.
    pub right_party_contacts: i64,
    /// Promises made in the period.
    pub promises_made: i64,
    /// promises_made ÷ right_party_contacts.
    pub ptp_rate: Rate,
    pub by_agent: Vec<AgentContacts>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentContacts {
    pub agent: Option<String>,
    pub call_attempts: i64,
    pub call_right_party_contacts: i64,
    pub right_party_contacts: i64,
    pub promises_made: i64,
}

/// Promises whose deadline (due date + grace days, end of that UTC day) fell in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PromiseKpis {
    pub fell_due: i64,
    /// Kept (paid in full) before the deadline.
    pub kept: i64,
    /// Not kept, but some money reached the account before the deadline.
    pub partially_kept: i64,
    /// Not kept and nothing paid before the deadline.
    pub broken: i64,
    /// kept ÷ fell_due.
    pub kept_rate: Rate,
    pub by_agent: Vec<AgentPromises>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentPromises {
    pub agent: Option<String>,
    pub fell_due: i64,
    pub kept: i64,
    pub partially_kept: i64,
    pub broken: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_follow_the_product_definition() {
        assert_eq!(Bucket::of_days_past_due(-5), Bucket::Current);
        assert_eq!(Bucket::of_days_past_due(0), Bucket::Current);
        assert_eq!(Bucket::of_days_past_due(1), Bucket::Dpd1To30);
        assert_eq!(Bucket::of_days_past_due(30), Bucket::Dpd1To30);
        assert_eq!(Bucket::of_days_past_due(31), Bucket::Dpd31To60);
        assert_eq!(Bucket::of_days_past_due(90), Bucket::Dpd61To90);
        assert_eq!(Bucket::of_days_past_due(180), Bucket::Dpd91To180);
        assert_eq!(Bucket::of_days_past_due(181), Bucket::Dpd180Plus);
        assert_eq!(Bucket::Dpd91To180.next(), Some(Bucket::Dpd180Plus));
        assert_eq!(Bucket::Dpd180Plus.next(), None);
    }

    #[test]
    fn rates_round_half_away_from_zero() {
        assert_eq!(Rate::new(1, 3).basis_points, Some(3_333));
        assert_eq!(Rate::new(2, 3).basis_points, Some(6_667));
        assert_eq!(Rate::new(1, 8).basis_points, Some(1_250));
        assert_eq!(Rate::new(1, 20_000).basis_points, Some(1)); // 0.5 bp -> 1
        assert_eq!(Rate::new(-1, 20_000).basis_points, Some(-1));
        assert_eq!(Rate::new(5, 0).basis_points, None);
        assert_eq!(
            serde_json::to_string(&Rate::new(1, 4)).unwrap(),
            r#"{"numerator":1,"denominator":4,"basis_points":2500}"#
        );
        assert_eq!(
            serde_json::to_string(&Bucket::Dpd180Plus).unwrap(),
            r#""180_plus""#
        );
    }
}
