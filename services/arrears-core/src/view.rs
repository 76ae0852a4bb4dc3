//! The debtor as an agent or an API client sees it: balances, open promises,
//! open disputes, recent contacts. Derived from [`DebtorState`]; serialised as
//! the body of `GET /v1/debtors/{id}`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::command::ContactPoint;
use crate::event::{
    ChannelOptedOut, CommunicationCeased, ContactAttempted, ContactRestrictionRecorded,
};
use crate::ids::{AccountId, DebtorId, TenantId};
use crate::money::Money;
use crate::state::{AccountStatus, DebtorState, DisputeStatus, Item, Promise, PromiseStatus};

/// How many contact attempts the view shows (newest first).
pub const RECENT_CONTACTS: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub account_id: AccountId,
    pub currency: String,
    pub principal_minor: i64,
    pub charges_minor: i64,
    pub paid_minor: i64,
    pub balance_minor: i64,
    pub status: AccountStatus,
    pub oldest_unpaid_due_date: Option<NaiveDate>,
    pub external_ref: Option<String>,
    pub product: Option<String>,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisputeView {
    pub dispute_id: String,
    pub account_id: AccountId,
    pub reason: String,
    pub opened_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebtorView {
    pub tenant: TenantId,
    pub debtor_id: DebtorId,
    pub version: u64,
    pub jurisdiction: String,
    pub time_zone: String,
    pub locale: String,
    pub display_name: Option<String>,
    pub contact_points: Vec<ContactPoint>,
    pub accounts: Vec<AccountView>,
    /// Unapplied money per currency.
    pub credit: Vec<Money>,
    pub open_promises: Vec<Promise>,
    pub open_disputes: Vec<DisputeView>,
    pub recent_contacts: Vec<ContactAttempted>,
    pub opt_outs: Vec<ChannelOptedOut>,
    pub cease_requests: Vec<CommunicationCeased>,
    /// Standing contact restrictions (attorney, inconvenient times, ...).
    /// Defaulted so views stored before restrictions existed still load.
    #[serde(default)]
    pub restrictions: Vec<ContactRestrictionRecorded>,
}

impl DebtorView {
    /// The view of a registered debtor; `None` when the debtor has no profile.
    pub fn of(tenant: &TenantId, debtor_id: &DebtorId, s: &DebtorState) -> Option<DebtorView> {
        let p = s.profile.as_ref()?;
        Some(DebtorView {
            tenant: tenant.clone(),
            debtor_id: debtor_id.clone(),
            version: s.version,
            jurisdiction: p.jurisdiction.clone(),
            time_zone: p.time_zone.clone(),
            locale: p.locale.clone(),
            display_name: p.display_name.clone(),
            contact_points: p.contact_points.clone(),
            accounts: s
                .accounts
                .values()
                .map(|a| AccountView {
                    account_id: a.account_id.clone(),
                    currency: a.currency.to_string(),
                    principal_minor: a.principal_minor,
                    charges_minor: a.charges_minor(),
                    paid_minor: a.paid_minor(),
                    balance_minor: a.balance_minor(),
                    status: a.status(),
                    oldest_unpaid_due_date: a.oldest_unpaid_due_date(),
                    external_ref: a.external_ref.clone(),
                    product: a.product.clone(),
                    items: a.items.clone(),
                })
                .collect(),
            credit: s
                .credit
                .iter()
                .filter(|(_, v)| **v != 0)
                .map(|(c, v)| Money::new(*v, *c))
                .collect(),
            open_promises: s
                .promises
                .values()
                .filter(|p| p.status == PromiseStatus::Open)
                .cloned()
                .collect(),
            open_disputes: s
                .disputes
                .values()
                .filter(|d| d.status == DisputeStatus::Open)
                .map(|d| DisputeView {
                    dispute_id: d.dispute_id.to_string(),
                    account_id: d.account_id.clone(),
                    reason: d.reason.clone(),
                    opened_at: d.opened_at,
                })
                .collect(),
            recent_contacts: s
                .contacts
                .iter()
                .rev()
                .take(RECENT_CONTACTS)
                .cloned()
                .collect(),
            opt_outs: s.opt_outs.clone(),
            cease_requests: s.cease_requests.clone(),
            restrictions: s.restrictions.clone(),
        })
    }
}
