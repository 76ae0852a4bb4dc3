//! What every rule evaluator sees: the request, the plausible zones and the
//! instant being judged (the proposed one, or a later one while searching for
//! `next_allowed_at`).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::decision::RuleOutcome;
use crate::request::{EvaluationRequest, HistoryEntry};

pub(crate) struct Ctx<'a> {
    pub req: &'a EvaluationRequest,
    pub zones: &'a [Tz],
    pub at: DateTime<Utc>,
}

/// One rule's outcome with its human explanation.
pub(crate) struct Eval {
    pub outcome: RuleOutcome,
    pub detail: String,
}

impl Eval {
    pub fn pass(detail: impl Into<String>) -> Eval {
        Eval {
            outcome: RuleOutcome::Pass,
            detail: detail.into(),
        }
    }
    pub fn deny(detail: impl Into<String>) -> Eval {
        Eval {
            outcome: RuleOutcome::Deny,
            detail: detail.into(),
        }
    }
    pub fn not_applicable(detail: impl Into<String>) -> Eval {
        Eval {
            outcome: RuleOutcome::NotApplicable,
            detail: detail.into(),
        }
    }
}

impl Ctx<'_> {
    /// History entries that had happened by the instant judged, to the same person
    /// as the proposed contact. Without person ids, the callee role identifies the
    /// person (the request is about one debtor).
    pub fn prior_to_same_person(&self) -> impl Iterator<Item = &HistoryEntry> {
        let p = &self.req.proposed;
        self.req.history.iter().filter(move |h| {
            h.at.to_utc() <= self.at
                && h.callee_role == p.callee_role
                && match (&h.person_id, &p.person_id) {
                    (Some(a), Some(b)) => a == b,
                    _ => true,
                }
        })
    }

    /// The "particular debt" key of a debt id (Reg F § 1006.14(b)(4)): grouped
    /// debts (student loans under one account number) share their group key.
    pub fn particular_debt<'s>(&'s self, debt_id: &'s str) -> &'s str {
        self.req
            .facts
            .debt_groups
            .iter()
            .find(|g| g.debt_ids.iter().any(|d| d == debt_id))
            .map_or(debt_id, |g| g.key.as_str())
    }

    /// The particular debts the proposed contact may discuss. An empty list means
    /// "unknown", treated as one debt that every history entry counts toward.
    pub fn proposed_particular_debts(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .req
            .proposed
            .debt_ids
            .iter()
            .map(|d| self.particular_debt(d))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Whether a history entry counts toward particular debt `key` (`None` = any).
    /// Entries with no debt ids count toward every debt (conservative).
    pub fn entry_concerns(&self, h: &HistoryEntry, key: Option<&str>) -> bool {
        match key {
            None => true,
            Some(key) => {
                h.debt_ids.is_empty() || h.debt_ids.iter().any(|d| self.particular_debt(d) == key)
            }
        }
    }
}
