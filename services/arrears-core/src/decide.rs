//! `decide`: a command against the current state yields events or a rejection.
//!
//! Pure: no IO, no clock. The only time is `Context::issued_at`, stamped once
//! at the gateway and carried in the command envelope.

use chrono::{DateTime, NaiveDate, Utc};

use crate::allocation::allocate_oldest_due_first;
use crate::command::*;
use crate::event::*;
use crate::gate;
use crate::ids::AccountId;
use crate::money::Money;
use crate::rejection::Rejection;
use crate::state::{AccountStatus, DebtorState, DisputeStatus};
use crate::vocabulary::Direction;

/// What a decision may depend on besides the state and the command.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// When the gateway accepted the request.
    pub issued_at: DateTime<Utc>,
    /// The contact-compliance policy packs in force (data, loaded at start).
    pub policy: &'a arrears_policy::PackSet,
}

const MAX_TEXT: usize = 500;
const MAX_ADDRESS: usize = 320;

/// Decides a command against the debtor's state.
pub fn decide(
    state: &DebtorState,
    command: &Command,
    ctx: &Context,
) -> Result<Vec<EventBody>, Rejection> {
    if let Command::RegisterDebtor(c) = command {
        return register_debtor(state, c);
    }
    if state.profile.is_none() {
        return Err(Rejection::UnknownDebtor);
    }
    match command {
        Command::RegisterDebtor(_) => unreachable!("handled above"),
        Command::OpenAccount(c) => open_account(state, c),
        Command::ApplyCharge(c) => apply_charge(state, c, ctx),
        Command::RecordPayment(c) => record_payment(state, c, ctx),
        Command::ReversePayment(c) => reverse_payment(state, c),
        Command::RecordContactAttempt(c) => record_contact_attempt(state, c, ctx),
        Command::RequestContact(c) => request_contact(state, c, ctx),
        Command::MakePromise(c) => make_promise(state, c, ctx),
        Command::OpenDispute(c) => open_dispute(state, c),
        Command::ResolveDispute(c) => resolve_dispute(state, c),
        Command::RecordOptOut(c) => record_opt_out(c),
        Command::RecordCeaseCommunication(c) => record_cease(state, c),
        Command::RecordContactRestriction(c) => record_restriction(state, c),
    }
}

fn register_debtor(state: &DebtorState, c: &RegisterDebtor) -> Result<Vec<EventBody>, Rejection> {
    if state.profile.is_some() {
        return Err(Rejection::DebtorAlreadyRegistered);
    }
    if !valid_jurisdiction(&c.jurisdiction) {
        return Err(Rejection::invalid(
            "jurisdiction",
            "expected an ISO 3166-1 alpha-2 country, optionally with a subdivision (e.g. `CO`, `US-MA`)",
        ));
    }
    if c.time_zone.parse::<chrono_tz::Tz>().is_err() {
        return Err(Rejection::invalid(
            "time_zone",
            format!(
                "`{}` is not an IANA time zone (e.g. `America/Bogota`)",
                c.time_zone
            ),
        ));
    }
    let locale_ok = !c.locale.is_empty()
        && c.locale.len() <= 35
        && c.locale
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !locale_ok {
        return Err(Rejection::invalid(
            "locale",
            "expected a BCP 47 tag such as `es-CO`",
        ));
    }
    text_limit("display_name", c.display_name.as_deref(), MAX_TEXT)?;
    for (i, cp) in c.contact_points.iter().enumerate() {
        address_ok(&format!("contact_points[{i}].address"), Some(&cp.address))?;
    }
    Ok(vec![EventBody::DebtorRegistered(DebtorRegistered {
        jurisdiction: c.jurisdiction.clone(),
        time_zone: c.time_zone.clone(),
        locale: c.locale.clone(),
        display_name: c.display_name.clone(),
        contact_points: c.contact_points.clone(),
    })])
}

fn open_account(state: &DebtorState, c: &OpenAccount) -> Result<Vec<EventBody>, Rejection> {
    if state.accounts.contains_key(&c.account_id) {
        return Err(Rejection::AccountAlreadyExists {
            account_id: c.account_id.clone(),
        });
    }
    positive("principal.amount_minor", c.principal)?;
    text_limit("external_ref", c.external_ref.as_deref(), MAX_TEXT)?;
    text_limit("product", c.product.as_deref(), 100)?;
    let schedule = match (c.due_date, c.schedule.is_empty()) {
        (Some(d), true) => vec![Instalment {
            due_date: d,
            amount_minor: c.principal.amount_minor,
        }],
        (None, false) => {
            let mut total: i64 = 0;
            let mut previous: Option<NaiveDate> = None;
            for (i, inst) in c.schedule.iter().enumerate() {
                if inst.amount_minor <= 0 {
                    return Err(Rejection::NonPositiveAmount {
                        field: format!("schedule[{i}].amount_minor"),
                    });
                }
                if previous.is_some_and(|p| inst.due_date < p) {
                    return Err(Rejection::invalid(
                        &format!("schedule[{i}].due_date"),
                        "instalments must be in ascending due-date order",
                    ));
                }
                previous = Some(inst.due_date);
                total = total.checked_add(inst.amount_minor).ok_or_else(|| {
                    Rejection::AmountOverflow {
                        field: "schedule".into(),
                    }
                })?;
            }
            if total != c.principal.amount_minor {
                return Err(Rejection::invalid(
                    "schedule",
                    format!(
                        "instalments add up to {total} but the principal is {}",
                        c.principal.amount_minor
                    ),
                ));
            }
            c.schedule.clone()
        }
        (Some(_), false) => {
            return Err(Rejection::invalid(
                "schedule",
                "give either `due_date` or `schedule`, not both",
            ));
        }
        (None, true) => {
            return Err(Rejection::invalid(
                "due_date",
                "give a `due_date` or an instalment `schedule`",
            ));
        }
    };
    Ok(vec![EventBody::AccountOpened(AccountOpened {
        account_id: c.account_id.clone(),
        principal: c.principal,
        schedule,
        external_ref: c.external_ref.clone(),
        product: c.product.clone(),
    })])
}

fn apply_charge(
    state: &DebtorState,
    c: &ApplyCharge,
    ctx: &Context,
) -> Result<Vec<EventBody>, Rejection> {
    let account = known_account(state, &c.account_id)?;
    positive("amount.amount_minor", c.amount)?;
    same_currency("amount.currency", account.currency, c.amount)?;
    if state.charges.contains_key(&c.charge_id) {
        return Err(Rejection::ChargeAlreadyApplied {
            charge_id: c.charge_id.clone(),
        });
    }
    text_limit("description", c.description.as_deref(), MAX_TEXT)?;
    account
        .balance_minor()
        .checked_add(c.amount.amount_minor)
        .ok_or_else(|| Rejection::AmountOverflow {
            field: "amount.amount_minor".into(),
        })?;
    Ok(vec![EventBody::ChargeApplied(ChargeApplied {
        account_id: c.account_id.clone(),
        charge_id: c.charge_id.clone(),
        kind: c.kind,
        amount: c.amount,
        due_date: c.due_date.unwrap_or_else(|| local_today(state, ctx)),
        description: c.description.clone(),
    })])
}

fn record_payment(
    state: &DebtorState,
    c: &RecordPayment,
    ctx: &Context,
) -> Result<Vec<EventBody>, Rejection> {
    if state.payments.contains_key(&c.payment_id) {
        return Err(Rejection::PaymentAlreadyApplied {
            payment_id: c.payment_id.clone(),
        });
    }
    positive("amount.amount_minor", c.amount)?;
    text_limit("external_ref", c.external_ref.as_deref(), MAX_TEXT)?;
    if let Some(id) = &c.account_id {
        let account = known_account(state, id)?;
        same_currency("amount.currency", account.currency, c.amount)?;
    } else if !state
        .accounts
        .values()
        .any(|a| a.currency == c.amount.currency)
    {
        return Err(Rejection::NoAccountInCurrency {
            currency: c.amount.currency,
        });
    }
    let (allocations, unapplied_minor) =
        allocate_oldest_due_first(state, c.amount, c.account_id.as_ref());
    let mut events = vec![EventBody::PaymentReceived(PaymentReceived {
        payment_id: c.payment_id.clone(),
        amount: c.amount,
        method: c.method,
        received_at: c.received_at,
        external_ref: c.external_ref.clone(),
        allocations: allocations.clone(),
        unapplied_minor,
    })];
    // A promise is kept by the payment that brings the money paid to its
    // account since it was made up to the promised amount.
    for p in state.promises.values() {
        if p.status != crate::state::PromiseStatus::Open {
            continue;
        }
        let to_account: i64 = allocations
            .iter()
            .filter(|a| a.account_id == p.account_id)
            .map(|a| a.amount_minor)
            .sum();
        if to_account > 0 && p.paid_minor + to_account >= p.amount.amount_minor {
            events.push(EventBody::PromiseKept(PromiseKept {
                promise_id: p.promise_id.clone(),
                account_id: p.account_id.clone(),
                paid_minor: p.paid_minor + to_account,
                payment_id: c.payment_id.clone(),
                kept_at: ctx.issued_at,
            }));
        }
    }
    Ok(events)
}

fn reverse_payment(state: &DebtorState, c: &ReversePayment) -> Result<Vec<EventBody>, Rejection> {
    let payment = state
        .payments
        .get(&c.payment_id)
        .ok_or_else(|| Rejection::UnknownPayment {
            payment_id: c.payment_id.clone(),
        })?;
    if payment.reversed {
        return Err(Rejection::PaymentAlreadyReversed {
            payment_id: c.payment_id.clone(),
        });
    }
    required_text("reason", &c.reason)?;
    Ok(vec![EventBody::PaymentReversed(PaymentReversed {
        payment_id: c.payment_id.clone(),
        amount: payment.amount,
        reason: c.reason.clone(),
        allocations: payment.allocations.clone(),
        unapplied_minor: payment.unapplied_minor,
    })])
}

fn record_contact_attempt(
    state: &DebtorState,
    c: &RecordContactAttempt,
    ctx: &Context,
) -> Result<Vec<EventBody>, Rejection> {
    if state.contacts.iter().any(|a| a.attempt_id == c.attempt_id) {
        return Err(Rejection::ContactAttemptAlreadyRecorded {
            attempt_id: c.attempt_id.clone(),
        });
    }
    for id in &c.account_ids {
        known_account(state, id)?;
    }
    text_limit("agent", c.agent.as_deref(), 100)?;
    address_ok("address", c.address.as_deref())?;
    // Was the contact allowed? Through the gate: what the gate said. Reported
    // after the fact: what the gate would have said at `occurred_at`, against
    // the history before it. Inbound contacts are the debtor's own.
    let violation =
        match (&c.request_id, c.direction) {
            (Some(id), _) => {
                let request = state.contact_requests.get(id).ok_or_else(|| {
                    Rejection::UnknownContactRequest {
                        request_id: id.clone(),
                    }
                })?;
                if request.fulfilled {
                    return Err(Rejection::ContactRequestAlreadyFulfilled {
                        request_id: id.clone(),
                    });
                }
                request.denial.clone()
            }
            (None, Direction::Inbound) => None,
            (None, Direction::Outbound) => gate::violation(
                state,
                ctx.policy,
                &gate::Proposal {
                    channel: c.channel,
                    address: c.address.as_deref(),
                    account_ids: &c.account_ids,
                    callee_role: c.callee_role,
                    at: c.occurred_at,
                    at_workplace: false,
                },
            ),
        };
    Ok(vec![EventBody::ContactAttempted(ContactAttempted {
        attempt_id: c.attempt_id.clone(),
        channel: c.channel,
        direction: c.direction,
        outcome: c.outcome,
        account_ids: c.account_ids.clone(),
        two_way: c.two_way,
        occurred_at: c.occurred_at,
        agent: c.agent.clone(),
        address: c.address.clone(),
        callee_role: c.callee_role,
        request_id: c.request_id.clone(),
        violation,
    })])
}

fn request_contact(
    state: &DebtorState,
    c: &RequestContact,
    ctx: &Context,
) -> Result<Vec<EventBody>, Rejection> {
    if state.contact_requests.contains_key(&c.request_id) {
        return Err(Rejection::ContactRequestAlreadyExists {
            request_id: c.request_id.clone(),
        });
    }
    for id in &c.account_ids {
        known_account(state, id)?;
    }
    text_limit("agent", c.agent.as_deref(), 100)?;
    address_ok("address", c.address.as_deref())?;
    let at = c.at.unwrap_or(ctx.issued_at);
    let decision = gate::evaluate(
        state,
        ctx.policy,
        &gate::Proposal {
            channel: c.channel,
            address: c.address.as_deref(),
            account_ids: &c.account_ids,
            callee_role: c.callee_role,
            at,
            at_workplace: c.at_workplace,
        },
    );
    Ok(vec![EventBody::ContactDecided(ContactDecided {
        request_id: c.request_id.clone(),
        channel: c.channel,
        address: c.address.clone(),
        account_ids: c.account_ids.clone(),
        callee_role: c.callee_role,
        proposed_at: at,
        agent: c.agent.clone(),
        decision,
    })])
}

fn make_promise(
    state: &DebtorState,
    c: &MakePromise,
    ctx: &Context,
) -> Result<Vec<EventBody>, Rejection> {
    if state.promises.contains_key(&c.promise_id) {
        return Err(Rejection::PromiseAlreadyExists {
            promise_id: c.promise_id.clone(),
        });
    }
    let account = known_account(state, &c.account_id)?;
    positive("amount.amount_minor", c.amount)?;
    same_currency("amount.currency", account.currency, c.amount)?;
    if account.status() == AccountStatus::Paid {
        return Err(Rejection::PromiseOnClosedAccount {
            account_id: c.account_id.clone(),
        });
    }
    if let Some(open) = state.open_promise_on(&c.account_id) {
        return Err(Rejection::PromiseAlreadyOpen {
            account_id: c.account_id.clone(),
            promise_id: open.promise_id.clone(),
        });
    }
    let balance = account.balance_minor();
    if c.amount.amount_minor > balance {
        return Err(Rejection::PromiseExceedsBalance {
            account_id: c.account_id.clone(),
            balance_minor: balance,
            amount_minor: c.amount.amount_minor,
        });
    }
    let today = local_today(state, ctx);
    if c.due_date < today {
        return Err(Rejection::PromiseDueInPast {
            due_date: c.due_date,
            today,
        });
    }
    text_limit("agent", c.agent.as_deref(), 100)?;
    Ok(vec![EventBody::PromiseMade(PromiseMade {
        promise_id: c.promise_id.clone(),
        account_id: c.account_id.clone(),
        amount: c.amount,
        due_date: c.due_date,
        agent: c.agent.clone(),
    })])
}

fn open_dispute(state: &DebtorState, c: &OpenDispute) -> Result<Vec<EventBody>, Rejection> {
    if state.disputes.contains_key(&c.dispute_id) {
        return Err(Rejection::DisputeAlreadyExists {
            dispute_id: c.dispute_id.clone(),
        });
    }
    known_account(state, &c.account_id)?;
    if let Some(open) = state.open_dispute_on(&c.account_id) {
        return Err(Rejection::DisputeAlreadyOpen {
            account_id: c.account_id.clone(),
            dispute_id: open.dispute_id.clone(),
        });
    }
    required_text("reason", &c.reason)?;
    Ok(vec![EventBody::DisputeOpened(DisputeOpened {
        dispute_id: c.dispute_id.clone(),
        account_id: c.account_id.clone(),
        reason: c.reason.clone(),
    })])
}

fn resolve_dispute(state: &DebtorState, c: &ResolveDispute) -> Result<Vec<EventBody>, Rejection> {
    let dispute = state
        .disputes
        .get(&c.dispute_id)
        .ok_or_else(|| Rejection::UnknownDispute {
            dispute_id: c.dispute_id.clone(),
        })?;
    if dispute.status != DisputeStatus::Open {
        return Err(Rejection::DisputeAlreadyResolved {
            dispute_id: c.dispute_id.clone(),
        });
    }
    text_limit("note", c.note.as_deref(), MAX_TEXT)?;
    Ok(vec![EventBody::DisputeResolved(DisputeResolved {
        dispute_id: c.dispute_id.clone(),
        account_id: dispute.account_id.clone(),
        resolution: c.resolution,
        note: c.note.clone(),
    })])
}

fn record_opt_out(c: &RecordOptOut) -> Result<Vec<EventBody>, Rejection> {
    // A repeated opt-out is still recorded: the debtor asking again is evidence.
    address_ok("address", c.address.as_deref())?;
    text_limit("source", c.source.as_deref(), 100)?;
    Ok(vec![EventBody::ChannelOptedOut(ChannelOptedOut {
        channel: c.channel,
        address: c.address.clone(),
        source: c.source.clone(),
    })])
}

fn record_cease(
    state: &DebtorState,
    c: &RecordCeaseCommunication,
) -> Result<Vec<EventBody>, Rejection> {
    for id in &c.account_ids {
        known_account(state, id)?;
    }
    text_limit("received_via", c.received_via.as_deref(), 100)?;
    Ok(vec![EventBody::CommunicationCeased(CommunicationCeased {
        account_ids: c.account_ids.clone(),
        received_via: c.received_via.clone(),
    })])
}

fn record_restriction(
    state: &DebtorState,
    c: &RecordContactRestriction,
) -> Result<Vec<EventBody>, Rejection> {
    match &c.restriction {
        ContactRestriction::AttorneyRepresentation { account_ids } => {
            for id in account_ids {
                known_account(state, id)?;
            }
        }
        ContactRestriction::InconvenientTime { days, start, end } => {
            if days.is_empty() {
                return Err(Rejection::invalid(
                    "restriction.days",
                    "must name at least one day",
                ));
            }
            if start == end {
                return Err(Rejection::invalid(
                    "restriction.end",
                    "must differ from start (an empty span restricts nothing)",
                ));
            }
        }
        ContactRestriction::MediumBlock { .. } | ContactRestriction::WorkplaceContactProhibited => {
        }
        ContactRestriction::TcpaConsentRevoked { address } => {
            address_ok("restriction.address", Some(address))?;
        }
        ContactRestriction::AdditionalTimeZone { time_zone } => {
            if time_zone.parse::<chrono_tz::Tz>().is_err() {
                return Err(Rejection::invalid(
                    "restriction.time_zone",
                    format!("`{time_zone}` is not an IANA time zone"),
                ));
            }
        }
    }
    text_limit("source", c.source.as_deref(), 100)?;
    Ok(vec![EventBody::ContactRestrictionRecorded(
        ContactRestrictionRecorded {
            restriction: c.restriction.clone(),
            source: c.source.clone(),
        },
    )])
}

// ---- shared checks -------------------------------------------------------

fn known_account<'a>(
    state: &'a DebtorState,
    id: &AccountId,
) -> Result<&'a crate::state::Account, Rejection> {
    state
        .accounts
        .get(id)
        .ok_or_else(|| Rejection::UnknownAccount {
            account_id: id.clone(),
        })
}

fn positive(field: &str, m: Money) -> Result<(), Rejection> {
    if m.amount_minor > 0 {
        Ok(())
    } else {
        Err(Rejection::NonPositiveAmount {
            field: field.to_string(),
        })
    }
}

fn same_currency(field: &str, expected: crate::money::Currency, m: Money) -> Result<(), Rejection> {
    if m.currency == expected {
        Ok(())
    } else {
        Err(Rejection::CurrencyMismatch {
            field: field.to_string(),
            expected,
            actual: m.currency,
        })
    }
}

fn text_limit(field: &str, value: Option<&str>, max: usize) -> Result<(), Rejection> {
    match value {
        Some(v) if v.chars().count() > max => Err(Rejection::invalid(
            field,
            format!("must be at most {max} characters"),
        )),
        _ => Ok(()),
    }
}

fn required_text(field: &str, value: &str) -> Result<(), Rejection> {
    if value.trim().is_empty() {
        return Err(Rejection::invalid(field, "must not be empty"));
    }
    text_limit(field, Some(value), MAX_TEXT)
}

fn address_ok(field: &str, value: Option<&str>) -> Result<(), Rejection> {
    if let Some(v) = value {
        if v.trim().is_empty() {
            return Err(Rejection::invalid(field, "must not be empty"));
        }
        text_limit(field, Some(v), MAX_ADDRESS)?;
    }
    Ok(())
}

fn valid_jurisdiction(j: &str) -> bool {
    let mut parts = j.splitn(2, '-');
    let country = parts.next().unwrap_or("");
    let country_ok = country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase());
    let sub_ok = match parts.next() {
        None => true,
        Some(s) => {
            (1..=3).contains(&s.len())
                && s.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        }
    };
    country_ok && sub_ok
}

/// Today's date in the debtor's time zone at the moment the command was issued.
fn local_today(state: &DebtorState, ctx: &Context) -> NaiveDate {
    state
        .profile
        .as_ref()
        .and_then(|p| p.time_zone.parse::<chrono_tz::Tz>().ok())
        .map(|tz| ctx.issued_at.with_timezone(&tz).date_naive())
        .unwrap_or_else(|| ctx.issued_at.date_naive())
}
