//! Payment allocation: oldest due first.
//!
//! Money goes to the unpaid item (instalment or charge) with the earliest due
//! date across the debtor's accounts in the payment's currency; ties go to
//! the account opened first, then to the item listed first. This is the usual
//! rule of collections law and practice (it cures the oldest delinquency
//! first, which is what aging measures). A payment that names an account is
//! allocated within that account only. What is left over is unapplied credit.

use crate::event::Allocation;
use crate::ids::AccountId;
use crate::money::Money;
use crate::state::DebtorState;

/// Splits `amount` over the open items; returns the allocations and the unapplied rest.
pub fn allocate_oldest_due_first(
    state: &DebtorState,
    amount: Money,
    only_account: Option<&AccountId>,
) -> (Vec<Allocation>, i64) {
    let mut open: Vec<_> = state
        .accounts
        .values()
        .filter(|a| a.currency == amount.currency)
        .filter(|a| only_account.is_none_or(|id| &a.account_id == id))
        .flat_map(|a| {
            a.items.iter().enumerate().filter_map(move |(i, item)| {
                let unpaid = item.unpaid_minor();
                (unpaid > 0).then_some((
                    item.due_date,
                    a.opened_sequence,
                    i as u32,
                    &a.account_id,
                    unpaid,
                ))
            })
        })
        .collect();
    open.sort_by_key(|x| (x.0, x.1, x.2));

    let mut left = amount.amount_minor;
    let mut allocations = Vec::new();
    for (_, _, item, account_id, unpaid) in open {
        if left == 0 {
            break;
        }
        let take = unpaid.min(left);
        allocations.push(Allocation {
            account_id: account_id.clone(),
            item,
            amount_minor: take,
        });
        left -= take;
    }
    (allocations, left)
}
