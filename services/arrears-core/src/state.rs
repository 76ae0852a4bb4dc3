//! The debtor aggregate's state and `evolve`, the only way it changes.
//!
//! `evolve` is total and deterministic: it trusts events (they were decided
//! already) and never fails, so replaying the same events always yields the
//! same state (DESIGN D3).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::command::ContactPoint;
use crate::event::{
    Allocation, ChannelOptedOut, CommunicationCeased, ContactAttempted, ContactRestrictionRecorded,
    Event, EventBody, Violation,
};
use crate::ids::{AccountId, AttemptId, ChargeId, DisputeId, PaymentId, PromiseId};
use crate::money::{Currency, Money};
use crate::vocabulary::{CalleeRole, Channel, ChargeKind, DisputeResolution, PaymentMethod};

/// Who the debtor is, as far as the rules need to know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub jurisdiction: String,
    pub time_zone: String,
    pub locale: String,
    pub display_name: Option<String>,
    pub contact_points: Vec<ContactPoint>,
}

/// What an account item is: a scheduled instalment or a charge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum ItemSource {
    Instalment {
        number: u32,
    },
    Charge {
        charge_id: ChargeId,
        kind: ChargeKind,
    },
}

/// One amount that falls due on a date. Payments are allocated to items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    #[serde(flatten)]
    pub source: ItemSource,
    pub due_date: NaiveDate,
    pub amount_minor: i64,
    pub paid_minor: i64,
}

impl Item {
    pub fn unpaid_minor(&self) -> i64 {
        self.amount_minor - self.paid_minor
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub account_id: AccountId,
    pub currency: Currency,
    pub principal_minor: i64,
    pub external_ref: Option<String>,
    pub product: Option<String>,
    /// The debtor version at which the account was opened: the tie-breaker of
    /// the oldest-due-first allocation.
    pub opened_sequence: u64,
    pub items: Vec<Item>,
}

/// Derived status of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    /// Something is still owed.
    Open,
    /// Nothing is owed: closed for promises and collection.
    Paid,
}

impl Account {
    pub fn balance_minor(&self) -> i64 {
        self.items.iter().map(Item::unpaid_minor).sum()
    }
    pub fn charges_minor(&self) -> i64 {
        self.items
            .iter()
            .filter(|i| matches!(i.source, ItemSource::Charge { .. }))
            .map(|i| i.amount_minor)
            .sum()
    }
    pub fn paid_minor(&self) -> i64 {
        self.items.iter().map(|i| i.paid_minor).sum()
    }
    pub fn status(&self) -> AccountStatus {
        if self.balance_minor() > 0 {
            AccountStatus::Open
        } else {
            AccountStatus::Paid
        }
    }
    /// The due date of the oldest item not fully paid: the anchor of days past due and aging.
    pub fn oldest_unpaid_due_date(&self) -> Option<NaiveDate> {
        self.items
            .iter()
            .filter(|i| i.unpaid_minor() > 0)
            .map(|i| i.due_date)
            .min()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentRecord {
    pub payment_id: PaymentId,
    pub amount: Money,
    pub method: PaymentMethod,
    pub received_at: DateTime<Utc>,
    pub external_ref: Option<String>,
    pub allocations: Vec<Allocation>,
    pub unapplied_minor: i64,
    /// The debtor version of the payment event: promises made before it count it.
    pub sequence: u64,
    pub reversed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromiseStatus {
    Open,
    Kept,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Promise {
    pub promise_id: PromiseId,
    pub account_id: AccountId,
    pub amount: Money,
    pub due_date: NaiveDate,
    pub agent: Option<String>,
    pub made_at: DateTime<Utc>,
    pub made_sequence: u64,
    /// Money allocated to the account by payments recorded after the promise, net of reversals.
    pub paid_minor: i64,
    pub status: PromiseStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "resolution")]
pub enum DisputeStatus {
    Open,
    Resolved(DisputeResolution),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dispute {
    pub dispute_id: DisputeId,
    pub account_id: AccountId,
    pub reason: String,
    pub opened_at: DateTime<Utc>,
    pub status: DisputeStatus,
}

/// A contact the gate judged. An allowed one is a reservation until an
/// attempt carrying its `request_id` is recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactRequest {
    pub request_id: AttemptId,
    pub channel: Channel,
    pub address: Option<String>,
    pub account_ids: Vec<AccountId>,
    pub callee_role: CalleeRole,
    pub at: DateTime<Utc>,
    pub allowed: bool,
    pub next_allowed_at: Option<DateTime<Utc>>,
    /// For a denied request: the denying rules, in case it is carried out anyway.
    pub denial: Option<Violation>,
    pub fulfilled: bool,
}

/// Reference to one event of a command's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EventRef {
    pub id: Uuid,
    pub sequence: u64,
    #[serde(rename = "type")]
    pub event_type: String,
}

/// What the ledger remembers of an accepted command with an idempotency key,
/// so a retry gets the original outcome and appends nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    pub command_id: Uuid,
    pub request_hash: String,
    pub events: Vec<EventRef>,
}

/// The state of one debtor, rebuilt from the debtor's events.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebtorState {
    /// Sequence of the last applied event; 0 for a debtor with no events.
    pub version: u64,
    pub profile: Option<Profile>,
    pub accounts: BTreeMap<AccountId, Account>,
    pub charges: BTreeMap<ChargeId, AccountId>,
    pub payments: BTreeMap<PaymentId, PaymentRecord>,
    pub promises: BTreeMap<PromiseId, Promise>,
    pub disputes: BTreeMap<DisputeId, Dispute>,
    /// Every contact attempt, oldest first (the compliance gate needs the history).
    pub contacts: Vec<ContactAttempted>,
    pub opt_outs: Vec<ChannelOptedOut>,
    pub cease_requests: Vec<CommunicationCeased>,
    /// Standing contact restrictions, in the order they became known.
    #[serde(default)]
    pub restrictions: Vec<ContactRestrictionRecorded>,
    /// Every gate decision, by request id.
    pub contact_requests: BTreeMap<AttemptId, ContactRequest>,
    /// Money received that fitted no open item, per currency.
    pub credit: BTreeMap<Currency, i64>,
    pub idempotency: BTreeMap<String, IdempotencyRecord>,
}

impl DebtorState {
    /// Applies one event. The event must be the next one of this debtor.
    pub fn apply(&mut self, event: &Event) {
        let seq = event.sequence;
        match &event.body {
            EventBody::DebtorRegistered(e) => {
                self.profile = Some(Profile {
                    jurisdiction: e.jurisdiction.clone(),
                    time_zone: e.time_zone.clone(),
                    locale: e.locale.clone(),
                    display_name: e.display_name.clone(),
                    contact_points: e.contact_points.clone(),
                });
            }
            EventBody::AccountOpened(e) => {
                let items = e
                    .schedule
                    .iter()
                    .enumerate()
                    .map(|(n, i)| Item {
                        source: ItemSource::Instalment {
                            number: n as u32 + 1,
                        },
                        due_date: i.due_date,
                        amount_minor: i.amount_minor,
                        paid_minor: 0,
                    })
                    .collect();
                self.accounts.insert(
                    e.account_id.clone(),
                    Account {
                        account_id: e.account_id.clone(),
                        currency: e.principal.currency,
                        principal_minor: e.principal.amount_minor,
                        external_ref: e.external_ref.clone(),
                        product: e.product.clone(),
                        opened_sequence: seq,
                        items,
                    },
                );
            }
            EventBody::ChargeApplied(e) => {
                if let Some(acc) = self.accounts.get_mut(&e.account_id) {
                    acc.items.push(Item {
                        source: ItemSource::Charge {
                            charge_id: e.charge_id.clone(),
                            kind: e.kind,
                        },
                        due_date: e.due_date,
                        amount_minor: e.amount.amount_minor,
                        paid_minor: 0,
                    });
                }
                self.charges
                    .insert(e.charge_id.clone(), e.account_id.clone());
            }
            EventBody::PaymentReceived(e) => {
                self.allocate(&e.allocations, 1);
                *self.credit.entry(e.amount.currency).or_insert(0) += e.unapplied_minor;
                self.credit_promises(&e.allocations, seq, 1);
                self.payments.insert(
                    e.payment_id.clone(),
                    PaymentRecord {
                        payment_id: e.payment_id.clone(),
                        amount: e.amount,
                        method: e.method,
                        received_at: e.received_at,
                        external_ref: e.external_ref.clone(),
                        allocations: e.allocations.clone(),
                        unapplied_minor: e.unapplied_minor,
                        sequence: seq,
                        reversed: false,
                    },
                );
            }
            EventBody::PaymentReversed(e) => {
                self.allocate(&e.allocations, -1);
                *self.credit.entry(e.amount.currency).or_insert(0) -= e.unapplied_minor;
                let paid_seq = self.payments.get(&e.payment_id).map(|p| p.sequence);
                if let Some(paid_seq) = paid_seq {
                    self.credit_promises(&e.allocations, paid_seq, -1);
                }
                if let Some(p) = self.payments.get_mut(&e.payment_id) {
                    p.reversed = true;
                }
            }
            EventBody::ContactAttempted(e) => {
                if let Some(r) = e
                    .request_id
                    .as_ref()
                    .and_then(|id| self.contact_requests.get_mut(id))
                {
                    r.fulfilled = true;
                }
                self.contacts.push(e.clone());
            }
            EventBody::ContactDecided(e) => {
                self.contact_requests.insert(
                    e.request_id.clone(),
                    ContactRequest {
                        request_id: e.request_id.clone(),
                        channel: e.channel,
                        address: e.address.clone(),
                        account_ids: e.account_ids.clone(),
                        callee_role: e.callee_role,
                        at: e.proposed_at,
                        allowed: e.decision.verdict == arrears_policy::Verdict::Allow,
                        next_allowed_at: e.decision.next_allowed_at,
                        denial: crate::gate::violation_of(&e.decision),
                        fulfilled: false,
                    },
                );
            }
            EventBody::PromiseMade(e) => {
                self.promises.insert(
                    e.promise_id.clone(),
                    Promise {
                        promise_id: e.promise_id.clone(),
                        account_id: e.account_id.clone(),
                        amount: e.amount,
                        due_date: e.due_date,
                        agent: e.agent.clone(),
                        made_at: event.time,
                        made_sequence: seq,
                        paid_minor: 0,
                        status: PromiseStatus::Open,
                    },
                );
            }
            EventBody::PromiseKept(e) => {
                if let Some(p) = self.promises.get_mut(&e.promise_id) {
                    p.status = PromiseStatus::Kept;
                }
            }
            EventBody::DisputeOpened(e) => {
                self.disputes.insert(
                    e.dispute_id.clone(),
                    Dispute {
                        dispute_id: e.dispute_id.clone(),
                        account_id: e.account_id.clone(),
                        reason: e.reason.clone(),
                        opened_at: event.time,
                        status: DisputeStatus::Open,
                    },
                );
            }
            EventBody::DisputeResolved(e) => {
                if let Some(d) = self.disputes.get_mut(&e.dispute_id) {
                    d.status = DisputeStatus::Resolved(e.resolution);
                }
            }
            EventBody::ChannelOptedOut(e) => self.opt_outs.push(e.clone()),
            EventBody::CommunicationCeased(e) => self.cease_requests.push(e.clone()),
            EventBody::ContactRestrictionRecorded(e) => self.restrictions.push(e.clone()),
        }
        if let Some(key) = &event.idempotency_key {
            let rec = self
                .idempotency
                .entry(key.clone())
                .or_insert_with(|| IdempotencyRecord {
                    command_id: event.causation_id,
                    request_hash: event.request_hash.clone(),
                    events: Vec::new(),
                });
            if rec.command_id == event.causation_id {
                rec.events.push(EventRef {
                    id: event.id,
                    sequence: seq,
                    event_type: event.event_type().to_string(),
                });
            }
        }
        self.version = seq;
    }

    /// Adds (`sign = 1`) or removes (`sign = -1`) allocated money on items.
    fn allocate(&mut self, allocations: &[Allocation], sign: i64) {
        for a in allocations {
            if let Some(item) = self
                .accounts
                .get_mut(&a.account_id)
                .and_then(|acc| acc.items.get_mut(a.item as usize))
            {
                item.paid_minor += sign * a.amount_minor;
            }
        }
    }

    /// Counts a payment's allocations toward the promises made before it.
    fn credit_promises(&mut self, allocations: &[Allocation], payment_seq: u64, sign: i64) {
        for p in self.promises.values_mut() {
            if p.made_sequence >= payment_seq {
                continue;
            }
            let to_account: i64 = allocations
                .iter()
                .filter(|a| a.account_id == p.account_id)
                .map(|a| a.amount_minor)
                .sum();
            p.paid_minor += sign * to_account;
        }
    }

    /// The open promise on an account, if any.
    pub fn open_promise_on(&self, account: &AccountId) -> Option<&Promise> {
        self.promises
            .values()
            .find(|p| &p.account_id == account && p.status == PromiseStatus::Open)
    }

    /// The open dispute on an account, if any.
    pub fn open_dispute_on(&self, account: &AccountId) -> Option<&Dispute> {
        self.disputes
            .values()
            .find(|d| &d.account_id == account && d.status == DisputeStatus::Open)
    }

    /// Total owed in one currency across accounts.
    pub fn outstanding_minor(&self, currency: Currency) -> i64 {
        self.accounts
            .values()
            .filter(|a| a.currency == currency)
            .map(Account::balance_minor)
            .sum()
    }
}

/// `evolve(state, event) -> state`, the fold step of DESIGN D3.
pub fn evolve(mut state: DebtorState, event: &Event) -> DebtorState {
    state.apply(event);
    state
}
