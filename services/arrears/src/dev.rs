//! `arrears dev`: ledger and gateway in one process on SQLite. The embedded
//! mode is a product mode (a laptop, a small creditor, a demo), not a toy:
//! every acknowledged command is durable, and a restart resumes from the log.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use arrears_core::TenantId;
use arrears_gateway::{Gateway, SystemClock, app};
use arrears_ledger::{EmbeddedLedger, LedgerConfig};
use arrears_log::{EventLog, SqliteLog};
use arrears_views::{Projector, ProjectorConfig, Shutdown, ViewStore};

use crate::reads::{DebtorSource, Reads};
use rand::RngCore;

#[derive(clap::Args)]
pub struct DevArgs {
    /// Where the embedded log and views live.
    #[arg(long, env = "ARREARS_DATA_DIR", default_value = "./arrears-data")]
    data_dir: PathBuf,
    /// Address the HTTP API listens on.
    #[arg(long, env = "ARREARS_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Seed a reproducible synthetic portfolio when the log is empty.
    #[arg(long)]
    demo: bool,
    /// How many debtors the demo portfolio has.
    #[arg(long, default_value_t = 2_000)]
    demo_debtors: usize,
    /// Seed of the demo's random generator (same seed, same portfolio).
    #[arg(long, default_value_t = 42)]
    demo_seed: u64,
    /// Partitions of the log; fixed when the data directory is created.
    #[arg(long, env = "ARREARS_PARTITIONS", default_value_t = 8)]
    partitions: u32,
    /// The tenant the bootstrap admin key acts for.
    #[arg(long, env = "ARREARS_TENANT", default_value = "default")]
    tenant: String,
    /// Directory of policy pack overrides (`*.toml`, each a whole pack; the
    /// same id replaces a shipped pack). Default: the shipped packs only.
    #[arg(long, env = "ARREARS_POLICY_DIR")]
    policy_dir: Option<PathBuf>,
}

pub async fn run(args: DevArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("creating data directory {}", args.data_dir.display()))?;
    let tenant = TenantId::new(args.tenant.clone()).context("--tenant")?;
    let policy = crate::policy::load(args.policy_dir.as_deref())?;
    let admin_key = admin_key(&args.data_dir)?;

    let sqlite = SqliteLog::open(&args.data_dir.join("arrears.db"), args.partitions)
        .await
        .context("opening the embedded event log")?;
    // The views live in the same SQLite file as the log (one file to back up).
    let views = ViewStore::sqlite(sqlite.pool().clone())
        .await
        .context("preparing the embedded views")?;
    let log: Arc<dyn EventLog> = Arc::new(sqlite);
    let config = LedgerConfig {
        policy: policy.clone(),
        ..LedgerConfig::default()
    };
    let (ledger, ledger_task) = EmbeddedLedger::start(log.clone(), config)
        .await
        .context("rebuilding the ledger from the log")?;

    if args.demo {
        if ledger.debtor_count() == 0 {
            let summary =
                crate::demo::seed(&ledger, &tenant, args.demo_debtors, args.demo_seed).await?;
            tracing::info!(
                debtors = summary.debtors,
                commands = summary.commands,
                rejected = summary.rejected,
                elapsed_ms = summary.elapsed_ms,
                "demo portfolio seeded"
            );
        } else {
            tracing::info!("the log already has data; demo not seeded again");
        }
    }

    // The projections run in this process too, each from its own checkpoints.
    // Supervised like `arrears project`: a failure or a generation swap by
    // `arrears replay portfolio --data-dir` (run beside this process) starts
    // a new round from the checkpoints instead of stopping the view.
    let shutdown = Shutdown::new();
    arrears_portfolio::migrate(&views)
        .await
        .context("preparing the portfolio views")?;
    arrears_audit::migrate(&views)
        .await
        .context("preparing the audit trail")?;
    let portfolio = {
        let (log, views, shutdown) = (log.clone(), views.clone(), shutdown.clone());
        tokio::spawn(async move {
            crate::supervise::supervise("portfolio", shutdown.clone(), || async {
                let projector =
                    arrears_portfolio::projector(log.clone(), &views, ProjectorConfig::default())
                        .await?;
                Ok(projector.run(shutdown.clone()).await?)
            })
            .await
        })
    };
    let audit = {
        let (log, views, shutdown) = (log.clone(), views.clone(), shutdown.clone());
        tokio::spawn(async move {
            crate::supervise::supervise("audit", shutdown.clone(), || async {
                let projector = Projector::new(
                    log.clone(),
                    views.clone(),
                    Arc::new(arrears_audit::AuditProjection),
                    ProjectorConfig::default(),
                )
                .await?;
                Ok(projector.run(shutdown.clone()).await?)
            })
            .await
        })
    };

    let gateway = Gateway {
        submitter: Arc::new(ledger.clone()),
        reader: Reads::new(DebtorSource::Ledger(ledger.clone()), views.clone()),
        clock: Arc::new(SystemClock),
        admin_key: admin_key.into(),
        auditor_key: auditor_key()?,
        tenant,
        policy,
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let bound = listener.local_addr()?;
    tracing::info!(
        address = %bound,
        debtors = ledger.debtor_count(),
        data_dir = %args.data_dir.display(),
        "arrears dev is serving http://{bound}"
    );
    // A plain line on stdout for scripts and tests that start on port 0.
    println!("arrears dev listening on http://{bound}");
    axum::serve(listener, app(gateway))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving HTTP")?;

    // In-flight requests are done; let the ledger finish what is queued,
    // then the projectors finish their current batch.
    ledger.stop().await;
    ledger_task.await.context("waiting for the ledger")?;
    shutdown.trigger();
    portfolio.await?.context("the portfolio projector")?;
    audit.await?.context("the audit projector")?;
    views.close().await;
    tracing::info!("arrears dev stopped cleanly");
    Ok(())
}

/// The read-only auditor key (`ARREARS_AUDITOR_KEY`), if set.
pub fn auditor_key() -> anyhow::Result<Option<std::sync::Arc<str>>> {
    match std::env::var("ARREARS_AUDITOR_KEY") {
        Ok(k) if k.trim().len() >= 8 => Ok(Some(k.trim().into())),
        Ok(k) if !k.trim().is_empty() => {
            anyhow::bail!("ARREARS_AUDITOR_KEY must be at least 8 characters")
        }
        _ => Ok(None),
    }
}

/// The bootstrap admin key: `ARREARS_ADMIN_KEY`, else the one stored in the
/// data directory, else a new random one that is stored (mode 0600) and printed.
fn admin_key(data_dir: &Path) -> anyhow::Result<String> {
    if let Ok(k) = std::env::var("ARREARS_ADMIN_KEY") {
        if k.trim().len() < 8 {
            anyhow::bail!("ARREARS_ADMIN_KEY must be at least 8 characters");
        }
        return Ok(k.trim().to_string());
    }
    let path = data_dir.join("admin.key");
    if let Ok(k) = std::fs::read_to_string(&path) {
        let k = k.trim().to_string();
        eprintln!("Admin API key (from {}): {k}", path.display());
        return Ok(k);
    }
    let mut bytes = [0u8; 24];
    rand::rng().fill_bytes(&mut bytes);
    let key = format!("arr_{}", hex::encode(bytes));
    std::fs::write(&path, &key).with_context(|| format!("writing {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    }
    eprintln!(
        "Admin API key (generated, stored in {}): {key}",
        path.display()
    );
    Ok(key)
}

pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}
