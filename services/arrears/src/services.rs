//! The production services on Kafka and PostgreSQL, one subcommand each, so
//! each scales and fails on its own (DESIGN D9): `arrears topics create`,
//! `arrears ledger`, `arrears gateway`, `arrears project <name>`.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use arrears_core::TenantId;
use arrears_gateway::{Gateway, SystemClock, app};
use arrears_kafka::ledger::{KafkaLedger, LedgerOptions};
use arrears_kafka::transport::KafkaSubmitter;
use arrears_kafka::{KafkaConfig, KafkaLog, topics};
use arrears_log::EventLog;
use arrears_views::{
    DeadLetter, DeadLetterSink, DebtorViewReader, DebtorsProjection, Projection, Projector,
    ProjectorConfig, Shutdown, ViewStore,
};
use async_trait::async_trait;
use rdkafka::producer::{FutureProducer, FutureRecord};

use crate::dev::shutdown_signal;
use crate::reads::{DebtorSource, Reads};
use crate::settings::Settings;

#[derive(clap::Args)]
pub struct TopicsArgs {
    #[command(subcommand)]
    action: TopicsAction,
}

#[derive(clap::Subcommand)]
enum TopicsAction {
    /// Create the topics if missing (idempotent) and verify their partition counts.
    Create {
        /// Partitions of every topic (fixed for life: part of the key → partition function).
        #[arg(long)]
        partitions: Option<u32>,
    },
    /// Verify that the topics exist and that commands and events agree.
    Verify,
}

pub async fn topics(args: TopicsArgs, settings: &Settings) -> anyhow::Result<()> {
    let mut cfg = settings.kafka()?;
    match args.action {
        TopicsAction::Create { partitions } => {
            if let Some(p) = partitions {
                cfg = cfg.with_partitions(p);
            }
            let t = topics::create_topics(&cfg).await?;
            println!(
                "topics ready: {} {} {} {} ({} partitions); created now: {}",
                cfg.commands_topic(),
                cfg.events_topic(),
                cfg.replies_topic(),
                cfg.dead_letter_topic(),
                t.partitions,
                if t.created.is_empty() {
                    "none".to_string()
                } else {
                    t.created.join(", ")
                }
            );
        }
        TopicsAction::Verify => {
            let p = topics::verify_topics(&cfg).await?;
            println!("topics verified: {p} partitions");
        }
    }
    Ok(())
}

#[derive(clap::Args)]
pub struct LedgerArgs {
    /// Stable identity of this instance (its transactional.id): a restarted
    /// instance with the same id fences its previous incarnation.
    #[arg(long, env = "ARREARS_LEDGER_ID", default_value = "0")]
    instance_id: String,
    /// Most commands per Kafka transaction.
    #[arg(long, env = "ARREARS_LEDGER_MAX_BATCH", default_value_t = 1_000)]
    max_batch: usize,
    /// How long to wait for more commands before committing a partial batch.
    #[arg(long, env = "ARREARS_LEDGER_LINGER_MS", default_value_t = 5)]
    linger_ms: u64,
}

pub async fn ledger(args: LedgerArgs, settings: &Settings) -> anyhow::Result<()> {
    let cfg = settings.kafka()?;
    topics::verify_topics(&cfg).await?;
    let ledger = KafkaLedger::start(
        cfg,
        LedgerOptions {
            instance_id: args.instance_id.clone(),
            max_batch: args.max_batch.max(1),
            linger: Duration::from_millis(args.linger_ms),
            policy: settings.policy()?,
            ..LedgerOptions::default()
        },
    );
    tracing::info!(instance = %args.instance_id, "ledger running");
    println!("arrears ledger running (instance {})", args.instance_id);
    let stats = ledger.stats.clone();
    let reporter = tokio::spawn(async move {
        use std::sync::atomic::Ordering::Relaxed;
        loop {
            tokio::time::sleep(Duration::from_secs(30)).await;
            tracing::info!(
                batches = stats.committed_batches.load(Relaxed),
                commands = stats.committed_commands.load(Relaxed),
                events = stats.committed_events.load(Relaxed),
                aborted = stats.aborted_batches.load(Relaxed),
                restarts = stats.restarts.load(Relaxed),
                dead_lettered = stats.dead_lettered.load(Relaxed),
                "ledger progress"
            );
        }
    });
    shutdown_signal().await;
    reporter.abort();
    tokio::task::spawn_blocking(move || ledger.stop()).await?;
    tracing::info!("ledger stopped cleanly");
    Ok(())
}

#[derive(clap::Args)]
pub struct GatewayArgs {
    /// Address the HTTP API listens on.
    #[arg(long, env = "ARREARS_LISTEN", default_value = "127.0.0.1:8080")]
    listen: std::net::SocketAddr,
    /// How long a request waits for the ledger's reply before answering 202.
    #[arg(long, env = "ARREARS_REPLY_WAIT_MS", default_value_t = 10_000)]
    reply_wait_ms: u64,
}

pub async fn gateway(args: GatewayArgs, settings: &Settings) -> anyhow::Result<()> {
    let cfg = settings.kafka()?;
    let admin_key = settings.admin_key.clone().context(
        "the gateway needs an API key: set ARREARS_ADMIN_KEY (or admin_key in the config file)",
    )?;
    if admin_key.trim().len() < 8 {
        anyhow::bail!("ARREARS_ADMIN_KEY must be at least 8 characters");
    }
    let tenant = TenantId::new(settings.tenant.clone()).context("tenant")?;
    let store = ViewStore::connect_postgres(&settings.database_url()?)
        .await
        .context("connecting to PostgreSQL")?;
    let submitter = KafkaSubmitter::connect(cfg, Duration::from_millis(args.reply_wait_ms))
        .await
        .context("connecting to Kafka")?;
    let gw = Gateway {
        submitter: Arc::new(submitter),
        reader: Reads::new(
            DebtorSource::Projection(DebtorViewReader::new(store.clone())),
            store,
        ),
        clock: Arc::new(SystemClock),
        admin_key: admin_key.trim().into(),
        auditor_key: crate::dev::auditor_key()?,
        tenant,
        policy: settings.policy()?,
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let bound = listener.local_addr()?;
    tracing::info!(address = %bound, "gateway serving");
    println!("arrears gateway listening on http://{bound}");
    axum::serve(listener, app(gw))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tracing::info!("gateway stopped cleanly");
    Ok(())
}

#[derive(clap::Args)]
pub struct ProjectArgs {
    /// The projection: `debtors` (the read model behind GET /v1/debtors/{id}),
    /// `portfolio` (balances, aging, KPIs as of any instant) or `audit` (the
    /// hash-chained compliance trail).
    name: String,
    /// Most events per SQL transaction.
    #[arg(long, default_value_t = 1_000)]
    max_batch: usize,
}

/// Forwards dead letters to `arrears.dead-letter` after their batch committed
/// (the `dead_letters` table holds them exactly once in any case).
struct KafkaDeadLetters {
    producer: FutureProducer,
    topic: String,
}

#[async_trait]
impl DeadLetterSink for KafkaDeadLetters {
    async fn after_commit(
        &self,
        letters: &[DeadLetter],
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        for l in letters {
            let headers = arrears_kafka::log::kafka_headers(&[
                ("arrears_dlq_reason".to_string(), l.reason.clone()),
                (
                    "arrears_dlq_source".to_string(),
                    format!("{}/{}/{}", l.topic, l.partition, l.offset),
                ),
                (
                    "arrears_dlq_projection".to_string(),
                    format!("{}@v{}", l.projection, l.version),
                ),
            ]);
            self.producer
                .send(
                    FutureRecord::to(&self.topic)
                        .key(&l.record.key)
                        .payload(&l.record.value)
                        .headers(headers),
                    Duration::from_secs(10),
                )
                .await
                .map_err(|(e, _)| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)?;
        }
        Ok(())
    }
}

/// The projection called `name`, after preparing its tables in `store`.
pub async fn projection(name: &str, store: &ViewStore) -> anyhow::Result<Arc<dyn Projection>> {
    match name {
        "debtors" => Ok(Arc::new(DebtorsProjection)),
        "portfolio" => {
            arrears_portfolio::migrate(store).await?;
            Ok(Arc::new(arrears_portfolio::PortfolioProjection::live()))
        }
        "audit" => {
            arrears_audit::migrate(store).await?;
            Ok(Arc::new(arrears_audit::AuditProjection))
        }
        other => anyhow::bail!("unknown projection `{other}` (known: debtors, portfolio, audit)"),
    }
}

pub async fn project(args: ProjectArgs, settings: &Settings) -> anyhow::Result<()> {
    let cfg: KafkaConfig = settings.kafka()?;
    let log: Arc<dyn EventLog> = KafkaLog::connect(cfg.clone()).await?;
    let url = settings.database_url()?;
    let shutdown = Shutdown::new();
    let signal = {
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            shutdown_signal().await;
            shutdown.trigger();
        })
    };
    println!("arrears projector `{}` running", args.name);
    // Each round loads the checkpoints afresh, so after any failure (the
    // database restarting, a network blip, a generation swap) the projector
    // resumes exactly where its last committed batch ended: no gap, no double.
    crate::supervise::supervise(&args.name, shutdown.clone(), || async {
        let store = ViewStore::connect_postgres(&url)
            .await
            .context("connecting to PostgreSQL")?;
        let projection = projection(&args.name, &store).await?;
        let sink = KafkaDeadLetters {
            producer: cfg.producer().set("enable.idempotence", "true").create()?,
            topic: cfg.dead_letter_topic(),
        };
        let projector = Projector::new(
            log.clone(),
            store.clone(),
            projection,
            ProjectorConfig {
                topic: cfg.events_topic(),
                max_batch: args.max_batch.max(1),
                partitions: None,
                idle_recheck: Some(Duration::from_secs(1)),
            },
        )
        .await?
        .with_dead_letter_sink(Arc::new(sink));
        let result = projector.run(shutdown.clone()).await;
        store.close().await;
        anyhow::Ok(result?)
    })
    .await?;
    signal.abort();
    Ok(())
}

#[derive(clap::Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub target: ReplayArgs,
    /// Print every line instead of the checksum.
    #[arg(long)]
    pub lines: bool,
}

#[derive(clap::Args)]
pub struct ReplayArgs {
    /// The projection to rebuild: `portfolio`.
    name: String,
    /// Rebuild an embedded (`arrears dev`) data directory instead of Kafka + PostgreSQL.
    /// Stop `arrears dev` first: SQLite has one writer.
    #[arg(long)]
    data_dir: Option<std::path::PathBuf>,
    /// Partitions of the embedded log (must match the data directory).
    #[arg(long, default_value_t = 8)]
    partitions: u32,
}

/// Opens the log and the view store of an embedded data directory or of the
/// production deployment.
pub(crate) async fn open_views(
    data_dir: Option<&std::path::Path>,
    partitions: u32,
    settings: &Settings,
) -> anyhow::Result<(Arc<dyn EventLog>, ViewStore, ProjectorConfig)> {
    Ok(match data_dir {
        Some(dir) => {
            let log = arrears_log::SqliteLog::open(&dir.join("arrears.db"), partitions)
                .await
                .context("opening the embedded log")?;
            let store = ViewStore::sqlite(log.pool().clone()).await?;
            (Arc::new(log), store, ProjectorConfig::default())
        }
        None => {
            let cfg = settings.kafka()?;
            let log: Arc<dyn EventLog> = KafkaLog::connect(cfg.clone()).await?;
            let store = ViewStore::connect_postgres(&settings.database_url()?).await?;
            let config = ProjectorConfig {
                topic: cfg.events_topic(),
                ..ProjectorConfig::default()
            };
            (log, store, config)
        }
    })
}

/// `arrears export portfolio`: the deterministic export of the active
/// portfolio generation (its SHA-256 and line count, or the lines with
/// `--lines`), to compare a rebuild with the live view.
pub async fn export(args: ReplayArgs, lines: bool, settings: &Settings) -> anyhow::Result<()> {
    if args.name != "portfolio" {
        anyhow::bail!("`arrears export` knows `portfolio`");
    }
    let (_, store, _) = open_views(args.data_dir.as_deref(), args.partitions, settings).await?;
    arrears_portfolio::migrate(&store).await?;
    let rows = arrears_portfolio::export(&store).await?;
    if lines {
        for l in &rows {
            println!("{l}");
        }
    } else {
        println!("{}\t{}", arrears_views::checksum(&rows), rows.len());
    }
    store.close().await;
    Ok(())
}

/// `arrears replay portfolio`: rebuilds the projection from offset 0 into a
/// new generation while the live one keeps serving, then swaps atomically,
/// and prints the report (generation, offsets, record count, checksum).
pub async fn replay(args: ReplayArgs, settings: &Settings) -> anyhow::Result<()> {
    if args.name != "portfolio" {
        anyhow::bail!(
            "`arrears replay` rebuilds `portfolio` (the debtors view is rebuilt by dropping its rows)"
        );
    }
    let (log, store, config) =
        open_views(args.data_dir.as_deref(), args.partitions, settings).await?;
    arrears_portfolio::migrate(&store).await?;
    let report = arrears_portfolio::rebuild_and_swap(log, &store, config).await?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    store.close().await;
    Ok(())
}
