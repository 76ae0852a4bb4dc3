//! The in-memory state of every debtor the writer owns, and the batch step
//! shared by every ledger: decide a batch of commands against a working copy,
//! produce the records to append, and commit the copy only after the append.

use std::collections::HashMap;
use std::sync::Arc;

use arrears_policy::PackSet;

use arrears_core::cloudevents::{self, LogRecord};
use arrears_core::{CommandEnvelope, DebtorState, Event, Outcome, Reply, handle};
use arrears_log::{EventLog, ReplyRecord};

/// Why the state could not be rebuilt from the log. Fatal: the ledger must not
/// decide anything against a history it cannot read.
#[derive(Debug, thiserror::Error)]
pub enum RebuildError {
    #[error("reading the log: {0}")]
    Log(#[from] arrears_log::LogError),
    #[error("partition {partition} offset {offset} cannot be decoded: {reason}")]
    Undecodable {
        partition: u32,
        offset: u64,
        reason: String,
    },
    #[error(
        "partition {partition} offset {offset}: debtor {key} jumps from version {have} to {got}; \
         the log has a gap or a duplicate"
    )]
    SequenceGap {
        partition: u32,
        offset: u64,
        key: String,
        have: u64,
        got: u64,
    },
}

/// Debtor states keyed by stream key `{tenant}/{debtor}`, and the policy
/// packs the compliance gate decides with.
pub struct PartitionState {
    pub debtors: HashMap<String, DebtorState>,
    pub policy: Arc<PackSet>,
}

impl Default for PartitionState {
    /// Empty, with the policy packs shipped in the binary.
    fn default() -> Self {
        PartitionState::new(Arc::new(
            PackSet::embedded().expect("the shipped policy packs are valid"),
        ))
    }
}

impl std::fmt::Debug for PartitionState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PartitionState")
            .field("debtors", &self.debtors.len())
            .finish()
    }
}

/// The result of deciding a batch: what to append, and what to commit after.
pub struct DecidedBatch {
    pub records: Vec<LogRecord>,
    pub replies: Vec<(Reply, ReplyRecord)>,
    /// What the batch changed, per debtor stream key.
    pub changed: HashMap<String, DebtorChange>,
}

/// What a batch changed for one debtor: the events it accepted, and a working
/// copy of the state only if a later command of the same debtor in the same
/// batch had to be decided against them.
///
/// Why not always a copy: copying a debtor's state (contact history,
/// decisions, idempotency records) was the largest single cost of deciding a
/// batch (docs/PERFORMANCE.md), and most batches hold one command per debtor.
/// The events are applied to the stored state in place at commit instead,
/// which yields the same state because `apply` is deterministic.
#[derive(Debug, Clone, Default)]
pub struct DebtorChange {
    events: Vec<Event>,
    copy: Option<DebtorState>,
}

impl PartitionState {
    pub fn new(policy: Arc<PackSet>) -> PartitionState {
        PartitionState {
            debtors: HashMap::new(),
            policy,
        }
    }

    /// Replays partitions of `log` from offset 0. Checks that every debtor's
    /// sequence is gap-free, which catches a duplicated or lost event.
    pub async fn rebuild<L: EventLog + ?Sized>(
        log: &L,
        partitions: impl IntoIterator<Item = u32>,
    ) -> Result<PartitionState, RebuildError> {
        Self::rebuild_with(log, partitions, PartitionState::default().policy).await
    }

    /// [`PartitionState::rebuild`], deciding later commands with `policy`
    /// (the operator's packs, e.g. with overrides loaded at start).
    pub async fn rebuild_with<L: EventLog + ?Sized>(
        log: &L,
        partitions: impl IntoIterator<Item = u32>,
        policy: Arc<PackSet>,
    ) -> Result<PartitionState, RebuildError> {
        let mut state = PartitionState::new(policy);
        for p in partitions {
            let mut from = 0;
            loop {
                let page = log.read(p, from, 5_000).await?;
                let Some(last) = page.last() else { break };
                from = last.offset + 1;
                for stored in page {
                    let event = cloudevents::decode(&stored.record).map_err(|e| {
                        RebuildError::Undecodable {
                            partition: p,
                            offset: stored.offset,
                            reason: e.to_string(),
                        }
                    })?;
                    state.apply_checked(&event, p, stored.offset)?;
                }
            }
        }
        Ok(state)
    }

    fn apply_checked(
        &mut self,
        event: &Event,
        partition: u32,
        offset: u64,
    ) -> Result<(), RebuildError> {
        let key = event.key();
        let s = self.debtors.entry(key.clone()).or_default();
        if event.sequence != s.version + 1 {
            return Err(RebuildError::SequenceGap {
                partition,
                offset,
                key,
                have: s.version,
                got: event.sequence,
            });
        }
        s.apply(event);
        Ok(())
    }

    /// Decides `commands` in order. Later commands of the same debtor see the
    /// effects of earlier ones in the batch. The stored states are untouched
    /// until [`PartitionState::commit`].
    pub fn decide_batch(&self, commands: &[CommandEnvelope]) -> DecidedBatch {
        let mut changed: HashMap<String, DebtorChange> = HashMap::new();
        let mut records = Vec::new();
        let mut replies = Vec::with_capacity(commands.len());
        let empty = DebtorState::default();
        for envelope in commands {
            let key = envelope.key();
            // Decide against the stored state, borrowed: a rejection or a
            // duplicate costs no copy, and neither does the first accepted
            // command of a debtor in the batch. Only a second command of a
            // debtor this batch already changed needs a copy with the
            // batch's events applied (made once, then updated in place).
            let outcome = {
                let stored = self.debtors.get(&key);
                let current = match changed.get_mut(&key) {
                    Some(change) => {
                        let copy = change.copy.get_or_insert_with(|| {
                            let mut s = stored.cloned().unwrap_or_default();
                            for e in &change.events {
                                s.apply(e);
                            }
                            s
                        });
                        &*copy
                    }
                    None => stored.unwrap_or(&empty),
                };
                handle(current, envelope, &self.policy)
            };
            let reply = Reply::new(envelope, &outcome);
            let record = ReplyRecord {
                command_id: envelope.command_id,
                key: key.clone(),
                value: serde_json::to_vec(&reply).unwrap_or_default(),
            };
            replies.push((reply, record));
            if let Outcome::Accepted { events } = outcome {
                let change = changed.entry(key).or_default();
                for e in &events {
                    if let Some(copy) = change.copy.as_mut() {
                        copy.apply(e);
                    }
                    records.push(cloudevents::encode(e));
                }
                change.events.extend(events);
            }
        }
        DecidedBatch {
            records,
            replies,
            changed,
        }
    }

    /// Makes a batch's states current, after its append committed.
    ///
    /// This is also where a contact recorded with a policy violation raises
    /// its alert: a WARN line with target `arrears::compliance_alert` per
    /// flagged attempt, logged only once the events are durable (so an
    /// aborted batch that is decided again never alerts twice), for the
    /// operator's log alerting. The flag itself is in the event and in the
    /// audit trail (`audit_trail.violation`).
    pub fn commit(&mut self, changed: HashMap<String, DebtorChange>) {
        for change in changed.values() {
            change.events.iter().for_each(alert_on_violation);
        }
        for (key, change) in changed {
            match change.copy {
                Some(copy) => {
                    self.debtors.insert(key, copy);
                }
                None => {
                    let state = self.debtors.entry(key).or_default();
                    for e in &change.events {
                        state.apply(e);
                    }
                }
            }
        }
    }
}

/// Logs the compliance alert of a flagged contact attempt (see [`PartitionState::commit`]).
fn alert_on_violation(event: &Event) {
    if let arrears_core::EventBody::ContactAttempted(a) = &event.body
        && let Some(v) = &a.violation
    {
        let rules: Vec<&str> = v.rules.iter().map(|r| r.rule_id.as_str()).collect();
        tracing::warn!(
            target: "arrears::compliance_alert",
            tenant = event.tenant.as_str(),
            debtor = event.debtor_id.as_str(),
            attempt = a.attempt_id.as_str(),
            event_id = %event.id,
            channel = a.channel.as_str(),
            occurred_at = %a.occurred_at,
            rules = ?rules,
            "contact attempt recorded with a compliance violation"
        );
    }
}
