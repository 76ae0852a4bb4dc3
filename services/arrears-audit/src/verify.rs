//! `verify`: recompute from the log the trail the projection should hold,
//! and check the stored trail link by link.
//!
//! Two independent checks, because they catch different attacks:
//! - the CHAIN (each row's `hash` recomputes from its own `prev_hash` and
//!   `content`, and `prev_hash` is the previous row's `hash`) proves the
//!   rows were not edited, removed or reordered without rewriting the chain;
//! - the LOG (each row equals what the projection computes from the events)
//!   catches a chain that was rewritten consistently, and rows missing or
//!   added at the end, where no later link would notice.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use arrears_core::cloudevents;
use arrears_log::EventLog;
use arrears_views::{Backend, EVENTS_TOPIC, ViewStore, on_pool};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::AuditError;
use crate::projection::AuditProjection;
use crate::row::{AuditRow, GENESIS_HASH, chain_hash, row_of, verdict_text};
use crate::store::decode_row;

/// Records read from the log per call.
const PAGE: usize = 1_000;

/// The outcome of [`verify`]. `ok` is false exactly when `first_break` is set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    pub ok: bool,
    /// The `audit` projection's checkpoints (partition → next offset): only
    /// events before them are expected in the trail, so a lagging projector
    /// is not a failure.
    pub checkpoints: BTreeMap<u32, u64>,
    /// Log records read (up to the checkpoints).
    pub events_read: u64,
    /// Records that do not decode (the projector dead-lettered them).
    pub undecodable_skipped: u64,
    /// Debtors with at least one expected or stored row.
    pub debtors: u64,
    /// Rows checked and found intact before the first break (all of them when ok).
    pub rows_verified: u64,
    /// The first broken link in (tenant, debtor_id, position) byte order.
    pub first_break: Option<BrokenLink>,
}

/// Exactly where the trail stops being trustworthy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrokenLink {
    pub tenant: String,
    pub debtor_id: String,
    pub position: u64,
    /// The event id the log says belongs at this position (the stored one
    /// for an unexpected row).
    pub event_id: String,
    pub problem: Problem,
}

/// What is wrong with a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    /// A stored column differs from what the log says (`column` is
    /// `content`, `verdict`, `violation`, `event_id`, ...).
    ContentChanged {
        column: String,
        expected: String,
        found: String,
    },
    /// `hash` is not SHA-256(prev_hash ‖ content) of the stored row.
    HashMismatch { stored: String, recomputed: String },
    /// `prev_hash` is not the previous row's `hash` (or the genesis value).
    PrevHashMismatch { stored: String, expected: String },
    /// The log has an audited event (before the checkpoint) with no row.
    Missing,
    /// A row the log does not account for.
    Unexpected,
}

impl fmt::Display for BrokenLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{} position {} (event {}): ",
            self.tenant, self.debtor_id, self.position, self.event_id
        )?;
        match &self.problem {
            Problem::ContentChanged {
                column,
                expected,
                found,
            } => write!(
                f,
                "column `{column}` was changed: the log says {expected}, the row holds {found}"
            ),
            Problem::HashMismatch { stored, recomputed } => {
                write!(f, "hash mismatch: stored {stored}, recomputed {recomputed}")
            }
            Problem::PrevHashMismatch { stored, expected } => write!(
                f,
                "prev_hash mismatch: stored {stored}, the previous link is {expected}"
            ),
            Problem::Missing => write!(f, "row missing"),
            Problem::Unexpected => write!(f, "unexpected row (not in the log)"),
        }
    }
}

/// Checks the stored trail against the log. See the module docs and README.
///
/// The checkpoints and the rows are read in one read-only snapshot (REPEATABLE
/// READ on PostgreSQL, one read transaction on SQLite), so a projector
/// committing meanwhile cannot make the two disagree. The log is then read up
/// to those checkpoints.
///
/// Returns `Ok` with `ok == false` and the first broken link when the trail
/// is not intact; `Err` only when the check itself could not run.
pub async fn verify(log: Arc<dyn EventLog>, store: &ViewStore) -> Result<VerifyReport, AuditError> {
    let (checkpoints, stored) = snapshot(store).await?;

    // What the trail should hold, computed from the log alone.
    let mut expected: BTreeMap<(String, String), Vec<AuditRow>> = BTreeMap::new();
    let mut events_read = 0u64;
    let mut undecodable_skipped = 0u64;
    for (&partition, &until) in &checkpoints {
        let mut from = 0u64;
        while from < until {
            let page = log.read(partition, from, PAGE).await?;
            if page.is_empty() {
                break;
            }
            for r in &page {
                from = r.offset + 1;
                if r.offset >= until {
                    break;
                }
                events_read += 1;
                let Ok(event) = cloudevents::decode(&r.record) else {
                    undecodable_skipped += 1;
                    continue;
                };
                let key = (
                    event.tenant.as_str().to_string(),
                    event.debtor_id.as_str().to_string(),
                );
                let chain = expected.entry(key).or_default();
                // Same rule as the projection: an event at or below the last
                // audited sequence would never be appended.
                if chain.last().is_some_and(|l| event.sequence <= l.sequence) {
                    continue;
                }
                let (position, prev) = match chain.last() {
                    Some(l) => (l.position + 1, l.hash.clone()),
                    None => (1, GENESIS_HASH.to_string()),
                };
                if let Some(row) = row_of(&event, position, &prev) {
                    chain.push(row);
                }
            }
        }
    }
    expected.retain(|_, rows| !rows.is_empty());

    let mut by_debtor: BTreeMap<(String, String), BTreeMap<u64, AuditRow>> = BTreeMap::new();
    for row in stored {
        by_debtor
            .entry((row.tenant.clone(), row.debtor_id.clone()))
            .or_default()
            .insert(row.position, row);
    }

    let keys: BTreeSet<&(String, String)> = expected.keys().chain(by_debtor.keys()).collect();
    let mut rows_verified = 0u64;
    let mut first_break = None;
    let none_expected = Vec::new();
    let none_stored = BTreeMap::new();
    'debtors: for key in &keys {
        let want = expected.get(*key).unwrap_or(&none_expected);
        let have = by_debtor.get(*key).unwrap_or(&none_stored);
        let positions: BTreeSet<u64> = (1..=want.len() as u64)
            .chain(have.keys().copied())
            .collect();
        let mut prev_hash = GENESIS_HASH.to_string();
        for position in positions {
            let w = position.checked_sub(1).and_then(|i| want.get(i as usize));
            let h = have.get(&position);
            let problem = match (w, h) {
                (None, None) => None,
                (Some(w), None) => Some((w.event_id.clone(), Problem::Missing)),
                (None, Some(h)) => Some((h.event_id.clone(), Problem::Unexpected)),
                (Some(w), Some(h)) => check_row(w, h, &prev_hash).map(|p| (w.event_id.clone(), p)),
            };
            if let Some((event_id, problem)) = problem {
                first_break = Some(BrokenLink {
                    tenant: key.0.clone(),
                    debtor_id: key.1.clone(),
                    position,
                    event_id,
                    problem,
                });
                break 'debtors;
            }
            let h = h.expect("a row is present when no problem was found");
            prev_hash = h.hash.clone();
            rows_verified += 1;
        }
    }

    Ok(VerifyReport {
        ok: first_break.is_none(),
        checkpoints,
        events_read,
        undecodable_skipped,
        debtors: keys.len() as u64,
        rows_verified,
        first_break,
    })
}

/// Checks the links of one debtor's rows (as returned by [`crate::trail`])
/// without the log: positions 1, 2, 3, … with no gap, each `prev_hash` the
/// previous `hash` (genesis first) and each `hash` recomputing from the row.
/// Returns the first broken link, `None` when the chain holds.
///
/// This is what a client of `GET /v1/audit/debtors/{id}` can check by
/// itself. It cannot see an edited plain column (only `content` is hashed),
/// a consistent rewrite of the chain, or rows missing at the end: [`verify`]
/// compares with the log for that.
pub fn check_chain(rows: &[AuditRow]) -> Option<BrokenLink> {
    let mut prev_hash = GENESIS_HASH;
    for (i, row) in rows.iter().enumerate() {
        let expected_position = i as u64 + 1;
        let problem = if row.position != expected_position {
            // A gap: the row that should be here is missing.
            Some((expected_position, String::new(), Problem::Missing))
        } else if row.prev_hash != prev_hash {
            Some((
                row.position,
                row.event_id.clone(),
                Problem::PrevHashMismatch {
                    stored: row.prev_hash.clone(),
                    expected: prev_hash.to_string(),
                },
            ))
        } else {
            let recomputed = chain_hash(&row.prev_hash, &row.content);
            (row.hash != recomputed).then(|| {
                (
                    row.position,
                    row.event_id.clone(),
                    Problem::HashMismatch {
                        stored: row.hash.clone(),
                        recomputed,
                    },
                )
            })
        };
        if let Some((position, event_id, problem)) = problem {
            return Some(BrokenLink {
                tenant: row.tenant.clone(),
                debtor_id: row.debtor_id.clone(),
                position,
                event_id,
                problem,
            });
        }
        prev_hash = &row.hash;
    }
    None
}

/// The first problem of stored row `h` against expected row `w`. The log
/// comparison comes first: "this column was changed" is the most useful
/// finding, and a consistent rewrite of the chain passes the hash checks.
fn check_row(w: &AuditRow, h: &AuditRow, prev_hash: &str) -> Option<Problem> {
    let changed = |column: &str, expected: String, found: String| {
        (expected != found).then(|| Problem::ContentChanged {
            column: column.to_string(),
            expected,
            found,
        })
    };
    let time = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let verdict = |r: &AuditRow| verdict_text(r.verdict).unwrap_or("null").to_string();
    changed("content", w.content.clone(), h.content.clone())
        .or_else(|| changed("event_id", w.event_id.clone(), h.event_id.clone()))
        .or_else(|| changed("event_type", w.event_type.clone(), h.event_type.clone()))
        .or_else(|| changed("kind", w.kind.as_str().into(), h.kind.as_str().into()))
        .or_else(|| changed("sequence", w.sequence.to_string(), h.sequence.to_string()))
        .or_else(|| changed("event_time", time(w.event_time), time(h.event_time)))
        .or_else(|| changed("verdict", verdict(w), verdict(h)))
        .or_else(|| {
            changed(
                "violation",
                w.violation.to_string(),
                h.violation.to_string(),
            )
        })
        .or_else(|| {
            (h.prev_hash != prev_hash).then(|| Problem::PrevHashMismatch {
                stored: h.prev_hash.clone(),
                expected: prev_hash.to_string(),
            })
        })
        .or_else(|| {
            let recomputed = chain_hash(&h.prev_hash, &h.content);
            (h.hash != recomputed).then(|| Problem::HashMismatch {
                stored: h.hash.clone(),
                recomputed,
            })
        })
}

use crate::store::Raw as RawRow;

/// The audit checkpoints and every stored row, from one consistent snapshot.
async fn snapshot(store: &ViewStore) -> Result<(BTreeMap<u32, u64>, Vec<AuditRow>), AuditError> {
    let begin = match store.backend() {
        Backend::Sqlite => "BEGIN",
        Backend::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
    };
    let (checkpoints, rows): (Vec<(i64, i64)>, Vec<RawRow>) = on_pool!(store, |pool, Db| {
        let mut tx = pool.begin_with(begin).await?;
        let checkpoints = sqlx::query_as(
            "SELECT partition, next_offset FROM projection_checkpoints
             WHERE projection = $1 AND version = $2 AND topic = $3 ORDER BY partition",
        )
        .bind(AuditProjection::NAME)
        .bind(i64::from(AuditProjection::VERSION))
        .bind(EVENTS_TOPIC)
        .fetch_all(&mut *tx)
        .await?;
        let rows = sqlx::query_as(
            "SELECT tenant, debtor_id, position, event_id, event_type, kind, sequence, \
             event_time, verdict, violation, content, prev_hash, hash FROM audit_trail \
             ORDER BY tenant, debtor_id, position",
        )
        .fetch_all(&mut *tx)
        .await?;
        tx.rollback().await?;
        (checkpoints, rows)
    });
    let checkpoints = checkpoints
        .into_iter()
        .map(|(p, n)| (p as u32, n as u64))
        .collect();
    let rows = rows.into_iter().map(decode_row).collect::<Result<_, _>>()?;
    Ok((checkpoints, rows))
}
