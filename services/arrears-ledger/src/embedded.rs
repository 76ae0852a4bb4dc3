//! The embedded ledger: one task that owns every partition of a local log.
//!
//! Commands arrive on a bounded queue (backpressure: a full queue makes
//! submitters wait). The task takes up to `max_batch` waiting commands,
//! decides them, appends all their events and replies in one transaction,
//! then answers. A command is acknowledged only after its append committed,
//! so a crash can lose only unacknowledged commands, which clients retry
//! with their idempotency key.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use arrears_core::view::DebtorView;
use arrears_core::{CommandEnvelope, DebtorId, Reply, TenantId};
use arrears_log::{AppendBatch, EventLog};
use arrears_policy::PackSet;
use async_trait::async_trait;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::partition_state::{PartitionState, RebuildError};
use crate::submit::{CommandSubmitter, SubmitError};

/// Tuning of the embedded ledger.
#[derive(Debug, Clone)]
pub struct LedgerConfig {
    /// Most commands decided and appended in one transaction.
    pub max_batch: usize,
    /// Commands waiting for the writer before submitters are made to wait.
    pub queue_depth: usize,
    /// How long a submitter waits for its reply before getting `Pending`.
    pub reply_timeout: Duration,
    /// The policy packs the compliance gate decides with (default: the ones
    /// shipped in the binary).
    pub policy: Arc<PackSet>,
}

impl Default for LedgerConfig {
    fn default() -> Self {
        LedgerConfig {
            max_batch: 512,
            queue_depth: 4_096,
            reply_timeout: Duration::from_secs(10),
            policy: PartitionState::default().policy,
        }
    }
}

enum Job {
    Decide {
        envelope: Box<CommandEnvelope>,
        respond: oneshot::Sender<Result<Reply, SubmitError>>,
    },
    Stop,
}

/// A handle to the running embedded ledger. Cheap to clone.
#[derive(Clone)]
pub struct EmbeddedLedger {
    tx: mpsc::Sender<Job>,
    log: Arc<dyn EventLog>,
    states: Arc<RwLock<PartitionState>>,
    reply_timeout: Duration,
}

impl EmbeddedLedger {
    /// Rebuilds every debtor from the log and starts the writer task.
    pub async fn start(
        log: Arc<dyn EventLog>,
        config: LedgerConfig,
    ) -> Result<(EmbeddedLedger, JoinHandle<()>), RebuildError> {
        let started = std::time::Instant::now();
        let state =
            PartitionState::rebuild_with(log.as_ref(), 0..log.partitions(), config.policy.clone())
                .await?;
        tracing::info!(
            debtors = state.debtors.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "ledger state rebuilt from the log"
        );
        let states = Arc::new(RwLock::new(state));
        let (tx, rx) = mpsc::channel(config.queue_depth.max(1));
        let task = tokio::spawn(run(
            rx,
            log.clone(),
            states.clone(),
            config.max_batch.max(1),
        ));
        Ok((
            EmbeddedLedger {
                tx,
                log,
                states,
                reply_timeout: config.reply_timeout,
            },
            task,
        ))
    }

    /// Asks the writer to stop after every command queued before this call.
    pub async fn stop(&self) {
        let _ = self.tx.send(Job::Stop).await;
    }

    /// The current view of a debtor (read-your-writes: the state the last
    /// acknowledged command produced).
    pub fn debtor_view(&self, tenant: &TenantId, debtor: &DebtorId) -> Option<DebtorView> {
        let key = arrears_core::ids::stream_key(tenant, debtor);
        let states = self.states.read().unwrap_or_else(|p| p.into_inner());
        states
            .debtors
            .get(&key)
            .and_then(|s| DebtorView::of(tenant, debtor, s))
    }

    /// How many debtors the ledger holds.
    pub fn debtor_count(&self) -> usize {
        self.states
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .debtors
            .len()
    }

    pub fn log(&self) -> &Arc<dyn EventLog> {
        &self.log
    }
}

#[async_trait]
impl CommandSubmitter for EmbeddedLedger {
    async fn submit(&self, envelope: CommandEnvelope) -> Result<Reply, SubmitError> {
        let command_id = envelope.command_id;
        let (respond, reply) = oneshot::channel();
        self.tx
            .send(Job::Decide {
                envelope: Box::new(envelope),
                respond,
            })
            .await
            .map_err(|_| SubmitError::Unavailable("the ledger has stopped".into()))?;
        match tokio::time::timeout(self.reply_timeout, reply).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(SubmitError::Unavailable(
                "the ledger stopped before answering".into(),
            )),
            Err(_) => Err(SubmitError::Pending(command_id)),
        }
    }

    async fn reply_for(&self, command_id: Uuid) -> Result<Option<Reply>, SubmitError> {
        let bytes = self
            .log
            .reply(command_id)
            .await
            .map_err(|e| SubmitError::Unavailable(e.to_string()))?;
        bytes
            .map(|b| {
                serde_json::from_slice(&b).map_err(|e| {
                    SubmitError::Unavailable(format!("stored reply is unreadable: {e}"))
                })
            })
            .transpose()
    }
}

async fn run(
    mut rx: mpsc::Receiver<Job>,
    log: Arc<dyn EventLog>,
    states: Arc<RwLock<PartitionState>>,
    max_batch: usize,
) {
    let mut stopping = false;
    while !stopping {
        let Some(first) = rx.recv().await else { break };
        let mut jobs = vec![first];
        while jobs.len() < max_batch {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let mut envelopes = Vec::with_capacity(jobs.len());
        let mut waiters = Vec::with_capacity(jobs.len());
        for job in jobs {
            match job {
                Job::Decide { envelope, respond } => {
                    envelopes.push(*envelope);
                    waiters.push(respond);
                }
                Job::Stop => stopping = true,
            }
        }
        if envelopes.is_empty() {
            continue;
        }
        let decided = states
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .decide_batch(&envelopes);
        let (replies, records): (Vec<_>, Vec<_>) = decided.replies.into_iter().unzip();
        let batch = AppendBatch {
            events: decided.records,
            replies: records,
        };
        match log.append(batch).await {
            Ok(_) => {
                states
                    .write()
                    .unwrap_or_else(|p| p.into_inner())
                    .commit(decided.changed);
                for (reply, waiter) in replies.into_iter().zip(waiters) {
                    let _ = waiter.send(Ok(reply));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, commands = waiters.len(), "append failed; batch not applied");
                for waiter in waiters {
                    let _ = waiter.send(Err(SubmitError::Unavailable(format!(
                        "the event log refused the write: {e}"
                    ))));
                }
            }
        }
    }
    // Anything still queued after a stop is answered, not dropped silently.
    rx.close();
    while let Ok(job) = rx.try_recv() {
        if let Job::Decide { respond, .. } = job {
            let _ = respond.send(Err(SubmitError::Unavailable(
                "the ledger is shutting down".into(),
            )));
        }
    }
    tracing::info!("ledger stopped");
}
