//! Pure computations over loaded [`Facts`]: no IO, no clock. Every instant
//! is an argument, and every fact recorded after it is ignored, which is
//! what makes "as of T" reproducible (figures for a past T never change).

use std::collections::BTreeMap;

use chrono::{DateTime, Days, NaiveDate, Utc};

use crate::error::PortfolioError;
use crate::facts::{Facts, PaymentFact};
use crate::model::*;

/// (debtor_id, account_id): facts are loaded for one tenant.
type AccountKey = (String, String);

/// An account as arrears knew it at an instant.
#[derive(Debug, Clone)]
pub(crate) struct AccountAt {
    pub currency: String,
    pub product: Option<String>,
    pub jurisdiction: Option<String>,
    pub balance: i128,
    /// `None`: nothing owed.
    pub bucket: Option<Bucket>,
}

pub(crate) fn to_i64(v: i128, what: &'static str) -> Result<i64, PortfolioError> {
    i64::try_from(v).map_err(|_| PortfolioError::Overflow(what))
}

fn before_or_at(t: Option<DateTime<Utc>>, at: DateTime<Utc>) -> bool {
    t.is_some_and(|t| t <= at)
}

/// Whether a payment's allocations were in force at `t`: recorded at or
/// before `t` and not reversed at or before `t`.
fn in_force(p: &PaymentFact, t: DateTime<Utc>) -> bool {
    p.recorded_at <= t && !before_or_at(p.reversed_at, t)
}

fn payments_by_key(f: &Facts) -> BTreeMap<(&str, &str), &PaymentFact> {
    f.payments
        .iter()
        .map(|p| ((p.debtor_id.as_str(), p.payment_id.as_str()), p))
        .collect()
}

/// Every account opened at or before `t`, with its balance and bucket at `t`.
pub(crate) fn accounts_at(f: &Facts, t: DateTime<Utc>) -> BTreeMap<AccountKey, AccountAt> {
    let date = t.date_naive();
    let jurisdiction: BTreeMap<&str, Option<&String>> = f
        .debtors
        .iter()
        .map(|d| (d.debtor_id.as_str(), d.jurisdiction.as_ref()))
        .collect();
    let payments = payments_by_key(f);
    // Money allocated to each item by payments in force at t.
    let mut paid: BTreeMap<(&str, &str, i64), i128> = BTreeMap::new();
    for a in &f.allocations {
        let Some(p) = payments.get(&(a.debtor_id.as_str(), a.payment_id.as_str())) else {
            continue;
        };
        if in_force(p, t) {
            *paid
                .entry((a.debtor_id.as_str(), a.account_id.as_str(), a.item))
                .or_default() += i128::from(a.amount_minor);
        }
    }
    // Balance and oldest unpaid due date per account, from the items recorded at t.
    let mut owed: BTreeMap<(&str, &str), (i128, Option<NaiveDate>)> = BTreeMap::new();
    for i in f.items.iter().filter(|i| i.recorded_at <= t) {
        let unpaid = i128::from(i.amount_minor)
            - paid
                .get(&(i.debtor_id.as_str(), i.account_id.as_str(), i.item))
                .copied()
                .unwrap_or(0);
        let e = owed
            .entry((i.debtor_id.as_str(), i.account_id.as_str()))
            .or_insert((0, None));
        e.0 += unpaid;
        if unpaid > 0 {
            e.1 = Some(e.1.map_or(i.due_date, |d| d.min(i.due_date)));
        }
    }
    let mut out = BTreeMap::new();
    for a in f.accounts.iter().filter(|a| a.opened_at <= t) {
        let (balance, oldest) = owed
            .get(&(a.debtor_id.as_str(), a.account_id.as_str()))
            .copied()
            .unwrap_or((0, None));
        let bucket = match oldest {
            Some(d) if balance > 0 => Some(Bucket::of_days_past_due((date - d).num_days())),
            _ => None,
        };
        out.insert(
            (a.debtor_id.clone(), a.account_id.clone()),
            AccountAt {
                currency: a.currency.clone(),
                product: a.product.clone(),
                jurisdiction: jurisdiction
                    .get(a.debtor_id.as_str())
                    .copied()
                    .flatten()
                    .cloned(),
                balance,
                bucket,
            },
        );
    }
    out
}

/// Aging of some accounts: (outstanding, the six buckets).
pub(crate) fn aging<'a>(
    accounts: impl Iterator<Item = &'a AccountAt>,
) -> Result<(i64, Vec<BucketAmount>), PortfolioError> {
    let mut sums: BTreeMap<Bucket, (i128, i64)> = BTreeMap::new();
    let mut total: i128 = 0;
    for a in accounts {
        if let Some(b) = a.bucket {
            let e = sums.entry(b).or_default();
            e.0 += a.balance;
            e.1 += 1;
            total += a.balance;
        }
    }
    let buckets = BUCKETS
        .iter()
        .map(|b| {
            let (bal, n) = sums.get(b).copied().unwrap_or_default();
            Ok(BucketAmount {
                bucket: *b,
                balance_minor: to_i64(bal, "aging")?,
                accounts: n,
            })
        })
        .collect::<Result<Vec<_>, PortfolioError>>()?;
    Ok((to_i64(total, "outstanding")?, buckets))
}

/// Aging per segment value (sorted; `None` first).
pub(crate) fn segments<'a>(
    accounts: &[&'a AccountAt],
    key: impl Fn(&'a AccountAt) -> Option<String>,
) -> Result<Vec<SegmentAging>, PortfolioError> {
    let mut groups: BTreeMap<Option<String>, Vec<&AccountAt>> = BTreeMap::new();
    for a in accounts {
        groups.entry(key(a)).or_default().push(a);
    }
    groups
        .into_iter()
        .map(|(segment, list)| {
            let (outstanding_minor, aging) = aging(list.into_iter())?;
            Ok(SegmentAging {
                segment,
                outstanding_minor,
                aging,
            })
        })
        .collect()
}

fn currencies(states: &BTreeMap<AccountKey, AccountAt>) -> Vec<String> {
    let mut c: Vec<String> = states.values().map(|a| a.currency.clone()).collect();
    c.sort();
    c.dedup();
    c
}

pub(crate) fn summary(
    f: &Facts,
    tenant: &str,
    as_of: DateTime<Utc>,
) -> Result<PortfolioSummary, PortfolioError> {
    let states = accounts_at(f, as_of);
    let mut out = Vec::new();
    for currency in currencies(&states) {
        let list: Vec<&AccountAt> = states.values().filter(|a| a.currency == currency).collect();
        let (outstanding_minor, aging_list) = aging(list.iter().copied())?;
        let past_due: i128 = list
            .iter()
            .filter(|a| a.bucket.is_some_and(Bucket::is_delinquent))
            .map(|a| a.balance)
            .sum();
        let credit: i128 = f
            .payments
            .iter()
            .filter(|p| p.currency == currency && in_force(p, as_of))
            .map(|p| i128::from(p.unapplied_minor))
            .sum();
        out.push(CurrencySummary {
            outstanding_minor,
            past_due_minor: to_i64(past_due, "past due")?,
            open_accounts: list.iter().filter(|a| a.bucket.is_some()).count() as i64,
            unapplied_credit_minor: to_i64(credit, "unapplied credit")?,
            aging: aging_list,
            by_product: segments(&list, |a| a.product.clone())?,
            by_jurisdiction: segments(&list, |a| a.jurisdiction.clone())?,
            currency,
        });
    }
    Ok(PortfolioSummary {
        tenant: tenant.to_string(),
        as_of,
        as_of_date: as_of.date_naive(),
        debtors: f
            .debtors
            .iter()
            .filter(|d| before_or_at(d.registered_at, as_of))
            .count() as i64,
        open_disputes: f
            .disputes
            .iter()
            .filter(|d| d.opened_at <= as_of && !before_or_at(d.resolved_at, as_of))
            .count() as i64,
        currencies: out,
    })
}

fn in_period(t: DateTime<Utc>, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
    from < t && t <= to
}

/// The instant a promise stops being keepable: the end (UTC) of the day
/// `due_date + grace_days`.
pub(crate) fn promise_deadline(due_date: NaiveDate, grace_days: u32) -> DateTime<Utc> {
    let day = due_date
        .checked_add_days(Days::new(u64::from(grace_days) + 1))
        .unwrap_or(NaiveDate::MAX);
    day.and_time(chrono::NaiveTime::MIN).and_utc()
}

/// What the per-segment KPIs of a period are computed from.
struct Period<'a> {
    facts: &'a Facts,
    payments: &'a BTreeMap<(&'a str, &'a str), &'a PaymentFact>,
    start: &'a BTreeMap<AccountKey, AccountAt>,
    end: &'a BTreeMap<AccountKey, AccountAt>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
}

/// Collected (allocated), recovery and cure per segment of the `currency`'s
/// accounts, with the currency-level definitions restricted to each
/// segment's accounts (see [`SegmentKpis`]).
fn segment_kpis(
    p: &Period<'_>,
    currency: &str,
    key: impl Fn(&AccountAt) -> Option<String>,
) -> Result<Vec<SegmentKpis>, PortfolioError> {
    #[derive(Default)]
    struct Sums {
        collected: i128,
        base: i128,
        recovered: i128,
        cured: i128,
    }
    let segment_of: BTreeMap<(&str, &str), Option<String>> = p
        .end
        .iter()
        .filter(|(_, a)| a.currency == currency)
        .map(|(k, a)| ((k.0.as_str(), k.1.as_str()), key(a)))
        .collect();
    // Built once: looked up for every allocation fact.
    let past_due_at_start: std::collections::BTreeSet<(&str, &str)> = p
        .start
        .iter()
        .filter(|(_, a)| a.currency == currency && a.bucket.is_some_and(Bucket::is_delinquent))
        .map(|(k, _)| (k.0.as_str(), k.1.as_str()))
        .collect();
    let mut sums: BTreeMap<Option<String>, Sums> = segment_of
        .values()
        .map(|s| (s.clone(), Sums::default()))
        .collect();
    for l in &p.facts.allocations {
        let account = (l.debtor_id.as_str(), l.account_id.as_str());
        let Some(segment) = segment_of.get(&account) else {
            continue;
        };
        let Some(pay) = p
            .payments
            .get(&(l.debtor_id.as_str(), l.payment_id.as_str()))
        else {
            continue;
        };
        let mut delta: i128 = 0;
        if in_period(pay.recorded_at, p.from, p.to) {
            delta += i128::from(l.amount_minor);
        }
        if pay.reversed_at.is_some_and(|r| in_period(r, p.from, p.to)) {
            delta -= i128::from(l.amount_minor);
        }
        let e = sums.entry(segment.clone()).or_default();
        e.collected += delta;
        if past_due_at_start.contains(&account) {
            e.recovered += delta;
        }
    }
    for (k, a) in p.start.iter().filter(|(_, a)| a.currency == currency) {
        if !a.bucket.is_some_and(Bucket::is_delinquent) {
            continue;
        }
        let Some(segment) = segment_of.get(&(k.0.as_str(), k.1.as_str())) else {
            continue;
        };
        let e = sums.entry(segment.clone()).or_default();
        e.base += a.balance;
        // Cured: current or paid (nothing owed) at `to`.
        if p.end
            .get(k)
            .is_none_or(|e| matches!(e.bucket, None | Some(Bucket::Current)))
        {
            e.cured += a.balance;
        }
    }
    sums.into_iter()
        .map(|(segment, s)| {
            let base = to_i64(s.base, "past due")?;
            let recovered = to_i64(s.recovered, "recovered")?;
            let cured = to_i64(s.cured, "cured")?;
            Ok(SegmentKpis {
                segment,
                collected_allocated_net_minor: to_i64(s.collected, "collected")?,
                recovery: Recovery {
                    base_past_due_minor: base,
                    recovered_minor: recovered,
                    rate: Rate::new(recovered, base),
                },
                cure: Cure {
                    base_delinquent_minor: base,
                    cured_minor: cured,
                    rate: Rate::new(cured, base),
                },
            })
        })
        .collect()
}

pub(crate) fn kpis(
    f: &Facts,
    tenant: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    options: &KpiOptions,
) -> Result<Kpis, PortfolioError> {
    let start = accounts_at(f, from);
    let end = accounts_at(f, to);
    let payments = payments_by_key(f);
    let period = Period {
        facts: f,
        payments: &payments,
        start: &start,
        end: &end,
        from,
        to,
    };
    let mut sections = Vec::new();
    for currency in currencies(&end) {
        let cur = currency.as_str();
        let start_list: Vec<(&AccountKey, &AccountAt)> =
            start.iter().filter(|(_, a)| a.currency == cur).collect();
        let end_list: Vec<&AccountAt> = end.values().filter(|a| a.currency == cur).collect();
        let (beginning, _) = aging(start_list.iter().map(|(_, a)| *a))?;
        let (ending, aging_end) = aging(end_list.iter().copied())?;
        let ending_current = aging_end[0].balance_minor;

        // Credit sales: principal of accounts opened + charges applied in the period.
        let principal: i128 = f
            .accounts
            .iter()
            .filter(|a| a.currency == cur && in_period(a.opened_at, from, to))
            .map(|a| i128::from(a.principal_minor))
            .sum();
        let account_currency: BTreeMap<(&str, &str), &str> = f
            .accounts
            .iter()
            .map(|a| {
                (
                    (a.debtor_id.as_str(), a.account_id.as_str()),
                    a.currency.as_str(),
                )
            })
            .collect();
        let charges: i128 = f
            .items
            .iter()
            .filter(|i| i.kind == "charge" && in_period(i.recorded_at, from, to))
            .filter(|i| {
                account_currency.get(&(i.debtor_id.as_str(), i.account_id.as_str())) == Some(&cur)
            })
            .map(|i| i128::from(i.amount_minor))
            .sum();
        let sales = principal + charges;

        // Collected, net of reversals recorded in the period.
        let mut methods: BTreeMap<&str, (i128, i128)> = BTreeMap::new();
        for p in f.payments.iter().filter(|p| p.currency == cur) {
            if in_period(p.recorded_at, from, to) {
                methods.entry(p.method.as_str()).or_default().0 += i128::from(p.amount_minor);
            }
            if p.reversed_at.is_some_and(|r| in_period(r, from, to)) {
                methods.entry(p.method.as_str()).or_default().1 += i128::from(p.amount_minor);
            }
        }
        let gross: i128 = methods.values().map(|v| v.0).sum();
        let reversed: i128 = methods.values().map(|v| v.1).sum();
        let by_method = methods
            .into_iter()
            .map(|(m, (g, r))| {
                Ok(MethodCollected {
                    method: m.to_string(),
                    gross_minor: to_i64(g, "collected")?,
                    reversed_minor: to_i64(r, "reversed")?,
                    net_minor: to_i64(g - r, "collected")?,
                })
            })
            .collect::<Result<Vec<_>, PortfolioError>>()?;

        // Transitions between `from` and `to` of the accounts with a balance at `from`.
        let mut moves: BTreeMap<(Bucket, usize), (i64, i128)> = BTreeMap::new();
        for (key, a) in &start_list {
            let Some(b) = a.bucket else { continue };
            let to_state = end.get(*key).and_then(|e| e.bucket);
            let order = to_state.map_or(BUCKETS.len(), |tb| {
                BUCKETS.iter().position(|x| *x == tb).unwrap_or(0)
            });
            let e = moves.entry((b, order)).or_default();
            e.0 += 1;
            e.1 += a.balance;
        }
        let transitions = moves
            .iter()
            .map(|(&(b, order), &(n, bal))| {
                Ok(Transition {
                    from: b,
                    to: BUCKETS.get(order).map_or("paid", |x| x.as_str()),
                    accounts: n,
                    balance_minor: to_i64(bal, "transitions")?,
                })
            })
            .collect::<Result<Vec<_>, PortfolioError>>()?;
        let from_total = |b: Bucket| -> i128 {
            moves
                .iter()
                .filter(|((fb, _), _)| *fb == b)
                .map(|(_, v)| v.1)
                .sum()
        };
        let mut roll_rates = Vec::new();
        for (k, b) in BUCKETS.iter().enumerate() {
            let Some(next) = b.next() else { continue };
            let rolled = moves.get(&(*b, k + 1)).map_or(0, |v| v.1);
            roll_rates.push(RollRate {
                from: *b,
                to: next,
                rate: Rate::new(
                    to_i64(rolled, "roll rate")?,
                    to_i64(from_total(*b), "roll rate")?,
                ),
            });
        }
        let delinquent: i128 = BUCKETS[1..].iter().map(|b| from_total(*b)).sum();
        let cured: i128 = moves
            .iter()
            .filter(|((fb, order), _)| {
                fb.is_delinquent() && (*order == 0 || *order == BUCKETS.len())
            })
            .map(|(_, v)| v.1)
            .sum();

        // Recovery: money that reached the accounts past due at `from`.
        let past_due_at_start: BTreeMap<(&str, &str), ()> = start_list
            .iter()
            .filter(|(_, a)| a.bucket.is_some_and(Bucket::is_delinquent))
            .map(|(k, _)| ((k.0.as_str(), k.1.as_str()), ()))
            .collect();
        let mut recovered: i128 = 0;
        for l in &f.allocations {
            if !past_due_at_start.contains_key(&(l.debtor_id.as_str(), l.account_id.as_str())) {
                continue;
            }
            let Some(p) = payments.get(&(l.debtor_id.as_str(), l.payment_id.as_str())) else {
                continue;
            };
            if in_period(p.recorded_at, from, to) {
                recovered += i128::from(l.amount_minor);
            }
            if p.reversed_at.is_some_and(|r| in_period(r, from, to)) {
                recovered -= i128::from(l.amount_minor);
            }
        }
        let base_past_due = to_i64(delinquent, "past due")?;
        let recovered = to_i64(recovered, "recovered")?;

        // CEI = (B + S − E) ÷ (B + S − E_current) × 100.
        let b = i128::from(beginning);
        let cei_num = to_i64(b + sales - i128::from(ending), "CEI")?;
        let cei_den = to_i64(b + sales - i128::from(ending_current), "CEI")?;
        let period_us = (to - from)
            .num_microseconds()
            .ok_or(PortfolioError::Overflow("period"))?;
        let dso = div_round(
            i128::from(ending) * i128::from(period_us) * 100,
            sales * 86_400_000_000,
        );
        let end_states: Vec<&AccountAt> = end_list.clone();
        sections.push(CurrencyKpis {
            currency: currency.clone(),
            beginning_receivables_minor: beginning,
            ending_receivables_minor: ending,
            ending_current_minor: ending_current,
            credit_sales: CreditSales {
                principal_opened_minor: to_i64(principal, "credit sales")?,
                charges_applied_minor: to_i64(charges, "credit sales")?,
                total_minor: to_i64(sales, "credit sales")?,
            },
            aging: aging_end,
            by_product: segments(&end_states, |a| a.product.clone())?,
            by_jurisdiction: segments(&end_states, |a| a.jurisdiction.clone())?,
            collected: Collected {
                gross_minor: to_i64(gross, "collected")?,
                reversed_minor: to_i64(reversed, "reversed")?,
                net_minor: to_i64(gross - reversed, "collected")?,
                by_method,
            },
            dso: Dso {
                ending_receivables_minor: ending,
                credit_sales_minor: to_i64(sales, "credit sales")?,
                period_microseconds: period_us,
                centidays: dso,
            },
            cei: Rate::new(cei_num, cei_den),
            recovery: Recovery {
                base_past_due_minor: base_past_due,
                recovered_minor: recovered,
                rate: Rate::new(recovered, base_past_due),
            },
            transitions,
            roll_rates,
            cure: Cure {
                base_delinquent_minor: base_past_due,
                cured_minor: to_i64(cured, "cured")?,
                rate: Rate::new(to_i64(cured, "cured")?, base_past_due),
            },
            kpis_by_product: segment_kpis(&period, cur, |a| a.product.clone())?,
            kpis_by_jurisdiction: segment_kpis(&period, cur, |a| a.jurisdiction.clone())?,
        });
    }

    // Contacts and promises made, by event time in the period.
    let mut agents: BTreeMap<Option<String>, AgentContacts> = BTreeMap::new();
    let agent_entry = |agents: &mut BTreeMap<Option<String>, AgentContacts>, a: &Option<String>| {
        let key = a.clone();
        agents.entry(key.clone()).or_insert(AgentContacts {
            agent: key,
            call_attempts: 0,
            call_right_party_contacts: 0,
            right_party_contacts: 0,
            promises_made: 0,
        });
    };
    for c in f
        .contacts
        .iter()
        .filter(|c| in_period(c.recorded_at, from, to))
    {
        agent_entry(&mut agents, &c.agent);
        let Some(e) = agents.get_mut(&c.agent) else {
            continue;
        };
        let rpc = c.outcome == "right_party_contact";
        if c.channel == "phone" && c.direction == "outbound" {
            e.call_attempts += 1;
            e.call_right_party_contacts += i64::from(rpc);
        }
        e.right_party_contacts += i64::from(rpc);
    }
    for p in f.promises.iter().filter(|p| in_period(p.made_at, from, to)) {
        agent_entry(&mut agents, &p.agent);
        if let Some(e) = agents.get_mut(&p.agent) {
            e.promises_made += 1;
        }
    }
    let total = |g: fn(&AgentContacts) -> i64| agents.values().map(g).sum::<i64>();
    let call_attempts = total(|a| a.call_attempts);
    let call_rpcs = total(|a| a.call_right_party_contacts);
    let rpcs = total(|a| a.right_party_contacts);
    let promises_made = total(|a| a.promises_made);
    let contacts = ContactKpis {
        call_attempts,
        call_right_party_contacts: call_rpcs,
        rpc_rate: Rate::new(call_rpcs, call_attempts),
        right_party_contacts: rpcs,
        promises_made,
        ptp_rate: Rate::new(promises_made, rpcs),
        by_agent: agents.into_values().collect(),
    };

    // Promises whose deadline fell in the period: kept, partially kept or broken.
    let grace = options.promise_grace_days;
    let mut by_agent: BTreeMap<Option<String>, AgentPromises> = BTreeMap::new();
    for p in &f.promises {
        let deadline = promise_deadline(p.due_date, grace);
        if !in_period(deadline, from, to) {
            continue;
        }
        let e = by_agent.entry(p.agent.clone()).or_insert(AgentPromises {
            agent: p.agent.clone(),
            fell_due: 0,
            kept: 0,
            partially_kept: 0,
            broken: 0,
        });
        e.fell_due += 1;
        if p.kept_at.is_some_and(|k| k < deadline) {
            e.kept += 1;
            continue;
        }
        // Money paid to the promise's account after the promise and before
        // the deadline, net of reversals recorded before the deadline.
        let paid: i128 = f
            .allocations
            .iter()
            .filter(|l| l.debtor_id == p.debtor_id && l.account_id == p.account_id)
            .filter_map(|l| {
                let pay = payments.get(&(l.debtor_id.as_str(), l.payment_id.as_str()))?;
                let counts = pay.sequence > p.made_sequence
                    && pay.recorded_at < deadline
                    && pay.reversed_at.is_none_or(|r| r >= deadline);
                counts.then_some(i128::from(l.amount_minor))
            })
            .sum();
        if paid > 0 {
            e.partially_kept += 1;
        } else {
            e.broken += 1;
        }
    }
    let sum = |g: fn(&AgentPromises) -> i64| by_agent.values().map(g).sum::<i64>();
    let (fell_due, kept) = (sum(|a| a.fell_due), sum(|a| a.kept));
    let promises = PromiseKpis {
        fell_due,
        kept,
        partially_kept: sum(|a| a.partially_kept),
        broken: sum(|a| a.broken),
        kept_rate: Rate::new(kept, fell_due),
        by_agent: by_agent.into_values().collect(),
    };

    Ok(Kpis {
        tenant: tenant.to_string(),
        from,
        to,
        promise_grace_days: grace,
        currencies: sections,
        contacts,
        promises,
    })
}
