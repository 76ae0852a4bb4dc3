//! The projector runtime (DESIGN D6): exactly-once projections by construction.
//!
//! The protocol, for one projection `(name, version)` over one topic:
//!
//! 1. On start, a checkpoint row per partition is created at offset 0 if
//!    missing, and the rows are loaded. A checkpoint beyond the end of its
//!    partition is an error ([`ViewError::CheckpointAhead`]).
//! 2. A batch is read through [`EventLog::read`] from each partition's
//!    checkpoint (at most `max_batch` records across the partitions).
//! 3. Records that do not decode become dead letters; the rest are handed
//!    to [`Projection::apply`]. Dead letters, view rows and the moved
//!    checkpoints are written in ONE transaction. Whatever is killed when,
//!    the view and its checkpoint agree, so no event is lost or applied twice.
//! 4. Checkpoints move by a conditional `UPDATE` (`... AND next_offset = old`):
//!    a second instance of the same projection fails instead of double-applying.
//! 5. When a round reads nothing, the projector waits on
//!    [`EventLog::appended`] (no polling) or the shutdown signal, which is only
//!    looked at between batches.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use arrears_core::Event;
use arrears_core::cloudevents::{self, LogRecord};
use arrears_log::EventLog;
use async_trait::async_trait;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::error::ViewError;
use crate::store::{ViewStore, ViewTx};

/// The topic of the events, as recorded in checkpoints.
pub const EVENTS_TOPIC: &str = "arrears.events";

/// A decoded event and where it was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Positioned {
    pub partition: u32,
    pub offset: u64,
    pub event: Event,
}

/// A read model kept up to date from the events.
///
/// `apply` runs inside the batch transaction: it must write only through
/// `tx` (never commit it, never call the clock) so its rows commit or roll
/// back together with the checkpoint. Returning an error rolls the whole
/// batch back and stops the projector.
#[async_trait]
pub trait Projection: Send + Sync + 'static {
    /// Stable name, the `projection` column of the checkpoints.
    fn name(&self) -> &str;
    /// Bumped when the projection's output changes: a new version is rebuilt
    /// from offset 0 (blue/green) and has checkpoints of its own.
    fn version(&self) -> u32;
    /// Applies the decoded events of one batch, in offset order per partition.
    async fn apply(&self, tx: &mut ViewTx, events: &[Positioned]) -> Result<(), ViewError>;
}

/// A record that could not be decoded, with why and where (DESIGN D10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    pub projection: String,
    pub version: u32,
    pub topic: String,
    pub partition: u32,
    pub offset: u64,
    pub record: LogRecord,
    pub reason: String,
}

/// Where dead letters go besides the `dead_letters` table.
///
/// The table is the exactly-once record: the runtime writes each dead letter
/// into it inside the batch transaction that moves the checkpoint past it.
/// `after_commit` is then called once with the batch's dead letters, e.g. to
/// publish them to `arrears.dead-letter`. It is best effort: a crash between
/// the commit and the hook skips the hook, and an error is logged, not
/// retried. A forwarder that must deliver every letter tails
/// [`ViewStore::dead_letters`] with its own cursor instead.
#[async_trait]
pub trait DeadLetterSink: Send + Sync + 'static {
    async fn after_commit(
        &self,
        letters: &[DeadLetter],
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>>;
}

/// The default sink: the `dead_letters` table only.
#[derive(Debug, Clone, Copy, Default)]
pub struct TableOnly;

#[async_trait]
impl DeadLetterSink for TableOnly {
    async fn after_commit(
        &self,
        _letters: &[DeadLetter],
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        Ok(())
    }
}

/// Tuning of a projector.
#[derive(Debug, Clone)]
pub struct ProjectorConfig {
    /// The topic name recorded in the checkpoints.
    pub topic: String,
    /// Most records per batch (one transaction), shared fairly by the partitions.
    pub max_batch: usize,
    /// The partitions this instance projects; `None` means all of them.
    pub partitions: Option<Vec<u32>>,
    /// A safety net for logs whose `appended()` cannot see every append (for
    /// instance one written by another process): re-read after this long
    /// idle. `None` (the default) waits for `appended()` only.
    pub idle_recheck: Option<Duration>,
}

impl Default for ProjectorConfig {
    fn default() -> Self {
        ProjectorConfig {
            topic: EVENTS_TOPIC.to_string(),
            max_batch: 1_000,
            partitions: None,
            idle_recheck: None,
        }
    }
}

/// What a projector has done so far (for monitoring and tests).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    /// Committed checkpoints: partition → next offset to read.
    pub next_offsets: BTreeMap<u32, u64>,
    /// Committed batches since this projector started.
    pub batches: u64,
    /// Records (events and dead letters) committed since start.
    pub records: u64,
    /// Dead letters committed since start.
    pub dead_letters: u64,
}

/// The result of one [`Projector::step`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StepOutcome {
    /// Records read and committed (events plus dead letters); 0 = caught up.
    pub records: usize,
    pub dead_letters: usize,
}

/// Longest interval between two progress reports while catching up.
pub const PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// How far behind one partition is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionLag {
    pub partition: u32,
    pub next_offset: u64,
    pub end_offset: u64,
    /// `end_offset - next_offset`, 0 when caught up.
    pub lag: u64,
}

/// The lag of each partition in `next_offsets` against the log's end offsets.
///
/// On Kafka, transaction markers take offsets too, so a caught-up
/// transactional partition may show a lag of 1 (as Kafka's own tools do).
pub async fn lag(
    log: &dyn EventLog,
    next_offsets: &BTreeMap<u32, u64>,
) -> Result<Vec<PartitionLag>, ViewError> {
    let mut out = Vec::with_capacity(next_offsets.len());
    for (&partition, &next_offset) in next_offsets {
        let end_offset = log.end_offset(partition).await?;
        out.push(PartitionLag {
            partition,
            next_offset,
            end_offset,
            lag: end_offset.saturating_sub(next_offset),
        });
    }
    Ok(out)
}

/// A clonable shutdown signal. Triggering it stops projectors between batches.
#[derive(Debug, Clone)]
pub struct Shutdown {
    tx: Arc<watch::Sender<bool>>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Shutdown::new()
    }
}

impl Shutdown {
    pub fn new() -> Shutdown {
        Shutdown {
            tx: Arc::new(watch::channel(false).0),
        }
    }
    pub fn trigger(&self) {
        self.tx.send_replace(true);
    }
    pub fn is_triggered(&self) -> bool {
        *self.tx.borrow()
    }
    /// Resolves once the signal is triggered.
    pub async fn triggered(&self) {
        let mut rx = self.tx.subscribe();
        // The sender lives in `self`, so this only ends when triggered.
        let _ = rx.wait_for(|t| *t).await;
    }
}

/// One projection being kept up to date from a log into a view store.
pub struct Projector {
    log: Arc<dyn EventLog>,
    store: ViewStore,
    projection: Arc<dyn Projection>,
    config: ProjectorConfig,
    sink: Arc<dyn DeadLetterSink>,
    partitions: Vec<u32>,
    progress: watch::Sender<Progress>,
}

impl Projector {
    /// Creates missing checkpoint rows, loads the checkpoints and checks them
    /// against the log. Reads nothing yet.
    pub async fn new(
        log: Arc<dyn EventLog>,
        store: ViewStore,
        projection: Arc<dyn Projection>,
        config: ProjectorConfig,
    ) -> Result<Projector, ViewError> {
        if config.max_batch == 0 {
            return Err(ViewError::Config("max_batch must be at least 1".into()));
        }
        let all = log.partitions();
        let partitions = match &config.partitions {
            None => (0..all).collect::<Vec<_>>(),
            Some(list) => {
                let mut list = list.clone();
                list.sort_unstable();
                list.dedup();
                if let Some(bad) = list.iter().find(|p| **p >= all) {
                    return Err(ViewError::Config(format!(
                        "partition {bad} does not exist (the log has {all})"
                    )));
                }
                list
            }
        };
        let (name, version) = (projection.name().to_string(), projection.version());
        let mut tx = store.begin().await?;
        tx.ensure_checkpoints(&name, version, &config.topic, &partitions)
            .await?;
        let stored = tx.load_checkpoints(&name, version, &config.topic).await?;
        tx.commit().await?;
        let mut next_offsets = BTreeMap::new();
        for &p in &partitions {
            let next_offset = stored.get(&p).copied().unwrap_or(0);
            let end_offset = log.end_offset(p).await?;
            if next_offset > end_offset {
                return Err(ViewError::CheckpointAhead {
                    projection: name,
                    version,
                    partition: p,
                    next_offset,
                    end_offset,
                });
            }
            next_offsets.insert(p, next_offset);
        }
        tracing::info!(projection = %name, version, ?next_offsets, "projector loaded its checkpoints");
        let (progress, _) = watch::channel(Progress {
            next_offsets,
            ..Progress::default()
        });
        Ok(Projector {
            log,
            store,
            projection,
            config,
            sink: Arc::new(TableOnly),
            partitions,
            progress,
        })
    }

    /// Sends each committed batch's dead letters to `sink` as well.
    pub fn with_dead_letter_sink(mut self, sink: Arc<dyn DeadLetterSink>) -> Projector {
        self.sink = sink;
        self
    }

    /// Watches the committed progress.
    pub fn progress(&self) -> watch::Receiver<Progress> {
        self.progress.subscribe()
    }

    /// The lag of each projected partition.
    pub async fn lag(&self) -> Result<Vec<PartitionLag>, ViewError> {
        let next = self.progress.borrow().next_offsets.clone();
        lag(self.log.as_ref(), &next).await
    }

    /// Reads, applies and commits one batch. `records == 0` means every
    /// partition was caught up when read.
    pub async fn step(&mut self) -> Result<StepOutcome, ViewError> {
        let current = self.progress.borrow().next_offsets.clone();
        let per_partition = self.config.max_batch.div_ceil(self.partitions.len()).max(1);
        let mut records = Vec::new();
        let mut moved = Vec::new();
        for &p in &self.partitions {
            let from = current[&p];
            let page = self.log.read(p, from, per_partition).await?;
            let mut expect = from;
            for r in &page {
                // Offsets only grow (Kafka may leave holes for transaction
                // markers); anything else is a broken log implementation.
                if r.partition != p || r.offset < expect {
                    return Err(ViewError::Config(format!(
                        "the log returned partition {} offset {} when reading partition {p} from {expect}",
                        r.partition, r.offset
                    )));
                }
                expect = r.offset + 1;
            }
            if expect != from {
                moved.push((p, from, expect));
            }
            records.extend(page);
        }
        if records.is_empty() {
            return Ok(StepOutcome::default());
        }

        let (name, version) = (
            self.projection.name().to_string(),
            self.projection.version(),
        );
        let mut events = Vec::with_capacity(records.len());
        let mut letters = Vec::new();
        let total = records.len();
        for stored in records {
            match cloudevents::decode(&stored.record) {
                Ok(event) => events.push(Positioned {
                    partition: stored.partition,
                    offset: stored.offset,
                    event,
                }),
                Err(e) => {
                    tracing::warn!(
                        projection = %name, partition = stored.partition, offset = stored.offset,
                        reason = %e, "undecodable record dead-lettered"
                    );
                    letters.push(DeadLetter {
                        projection: name.clone(),
                        version,
                        topic: self.config.topic.clone(),
                        partition: stored.partition,
                        offset: stored.offset,
                        record: stored.record,
                        reason: e.to_string(),
                    });
                }
            }
        }

        let mut tx = self.store.begin().await?;
        let written = self
            .write_batch(&mut tx, &name, version, &events, &letters, &moved)
            .await;
        if let Err(e) = written {
            if let Err(rollback) = tx.rollback().await {
                tracing::error!(error = %rollback, "rolling back a failed batch");
            }
            tracing::error!(projection = %name, version, error = %e, "batch failed and was rolled back");
            return Err(e);
        }
        tx.commit().await?;

        self.progress.send_modify(|p| {
            for &(partition, _, to) in &moved {
                p.next_offsets.insert(partition, to);
            }
            p.batches += 1;
            p.records += total as u64;
            p.dead_letters += letters.len() as u64;
        });
        if !letters.is_empty()
            && let Err(e) = self.sink.after_commit(&letters).await
        {
            tracing::error!(
                error = %e, count = letters.len(),
                "dead-letter sink failed; the letters are kept in the dead_letters table"
            );
        }
        Ok(StepOutcome {
            records: total,
            dead_letters: letters.len(),
        })
    }

    async fn write_batch(
        &self,
        tx: &mut ViewTx,
        name: &str,
        version: u32,
        events: &[Positioned],
        letters: &[DeadLetter],
        moved: &[(u32, u64, u64)],
    ) -> Result<(), ViewError> {
        for letter in letters {
            tx.insert_dead_letter(letter).await?;
        }
        if !events.is_empty() {
            self.projection.apply(tx, events).await?;
        }
        for &(partition, from, to) in moved {
            tx.advance_checkpoint(name, version, &self.config.topic, partition, from, to)
                .await?;
        }
        Ok(())
    }

    /// Runs batches until a round reads nothing, and returns the progress.
    pub async fn catch_up(&mut self) -> Result<Progress, ViewError> {
        while self.step().await?.records > 0 {}
        Ok(self.progress.borrow().clone())
    }

    /// Projects until `shutdown` is triggered, then stops between batches
    /// and returns the progress. An error stops it at once (the failed batch
    /// is rolled back; a restart resumes from the last committed checkpoint).
    pub async fn run(mut self, shutdown: Shutdown) -> Result<Progress, ViewError> {
        let mut appended = self.log.appended();
        let mut log_open = true;
        let mut reported: Option<(std::time::Instant, BTreeMap<u32, u64>)> = None;
        while !shutdown.is_triggered() {
            // Mark the current append count seen before reading, so an
            // append that lands after the read still wakes us up.
            appended.borrow_and_update();
            let moved = self.step().await?.records > 0;
            self.report_progress(&mut reported, !moved).await;
            if moved {
                continue;
            }
            let recheck = async {
                match self.config.idle_recheck {
                    Some(d) => tokio::time::sleep(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                changed = appended.changed(), if log_open => {
                    if changed.is_err() {
                        // The log can no longer signal appends; rely on
                        // `idle_recheck` (if any) and the shutdown signal.
                        log_open = false;
                    }
                }
                _ = recheck => {}
                _ = shutdown.triggered() => {}
            }
        }
        // The last batches may have moved since the last report.
        self.report_progress(&mut reported, true).await;
        let progress = self.progress.borrow().clone();
        tracing::info!(projection = %self.projection.name(), ?progress.next_offsets, "projector stopped");
        Ok(progress)
    }

    /// Publishes the committed checkpoints through the log for monitoring
    /// ([`EventLog::report_progress`]: on Kafka, the consumer group's
    /// offsets, so `kafka-consumer-groups --describe` shows the lag): when
    /// caught up, when stopping, and otherwise at most every [`PROGRESS_EVERY`]. Never for
    /// correctness, so a failure is logged and projecting goes on.
    async fn report_progress(
        &self,
        reported: &mut Option<(std::time::Instant, BTreeMap<u32, u64>)>,
        caught_up: bool,
    ) {
        let next = self.progress.borrow().next_offsets.clone();
        let due = match reported {
            None => true,
            Some((at, last)) => *last != next && (caught_up || at.elapsed() >= PROGRESS_EVERY),
        };
        if !due {
            return;
        }
        match self
            .log
            .report_progress(self.projection.name(), &next)
            .await
        {
            Ok(()) => *reported = Some((std::time::Instant::now(), next)),
            Err(e) => tracing::warn!(
                projection = %self.projection.name(),
                error = %e,
                "could not publish the projector's progress (monitoring only)"
            ),
        }
    }

    /// Spawns [`Self::run`] on the runtime.
    pub fn spawn(self) -> ProjectorHandle {
        let shutdown = Shutdown::new();
        self.spawn_with(shutdown)
    }

    /// Spawns [`Self::run`] with a shutdown signal shared with other services.
    pub fn spawn_with(self, shutdown: Shutdown) -> ProjectorHandle {
        let progress = self.progress();
        let log = self.log.clone();
        let task = tokio::spawn(self.run(shutdown.clone()));
        ProjectorHandle {
            shutdown,
            progress,
            log,
            task,
        }
    }
}

/// A running projector.
pub struct ProjectorHandle {
    shutdown: Shutdown,
    progress: watch::Receiver<Progress>,
    log: Arc<dyn EventLog>,
    task: JoinHandle<Result<Progress, ViewError>>,
}

impl ProjectorHandle {
    pub fn progress(&self) -> watch::Receiver<Progress> {
        self.progress.clone()
    }

    pub fn shutdown_signal(&self) -> Shutdown {
        self.shutdown.clone()
    }

    /// The lag of each partition, for monitoring.
    pub async fn lag(&self) -> Result<Vec<PartitionLag>, ViewError> {
        let next = self.progress.borrow().next_offsets.clone();
        lag(self.log.as_ref(), &next).await
    }

    /// Asks the projector to stop after its current batch and waits for it.
    pub async fn stop(self) -> Result<Progress, ViewError> {
        self.shutdown.trigger();
        self.join().await
    }

    /// Waits for the projector to end (after a shutdown or an error).
    pub async fn join(self) -> Result<Progress, ViewError> {
        match self.task.await {
            Ok(result) => result,
            Err(e) => Err(ViewError::Projection {
                projection: "runtime".into(),
                reason: format!("the projector task panicked or was cancelled: {e}"),
            }),
        }
    }
}
