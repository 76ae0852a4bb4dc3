//! `arrears audit verify` and `arrears audit replay`: the auditor's tools.

use anyhow::Context as _;
use arrears_core::{DebtorId, TenantId};

use crate::settings::Settings;

#[derive(clap::Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    action: Action,
    /// An embedded (`arrears dev`) data directory instead of Kafka + PostgreSQL.
    #[arg(long, global = true)]
    data_dir: Option<std::path::PathBuf>,
    /// Partitions of the embedded log (must match the data directory).
    #[arg(long, global = true, default_value_t = 8)]
    partitions: u32,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Recompute the trail from the event log and check every stored row and
    /// hash link; exits 1 and names the first broken link if any.
    Verify,
    /// What was known about a debtor, and what was decided, as of an instant.
    Replay {
        #[arg(long)]
        debtor: String,
        /// RFC 3339 instant, or a date meaning the end of that day (UTC).
        #[arg(long)]
        as_of: String,
        /// The tenant (default: the configured tenant).
        #[arg(long)]
        tenant: Option<String>,
    },
}

pub async fn run(args: AuditArgs, settings: &Settings) -> anyhow::Result<()> {
    let (log, store, _) =
        crate::services::open_views(args.data_dir.as_deref(), args.partitions, settings).await?;
    arrears_audit::migrate(&store).await?;
    match args.action {
        Action::Verify => {
            let report = arrears_audit::verify(log, &store).await?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            store.close().await;
            if !report.ok {
                anyhow::bail!("the audit trail is broken; see first_break above");
            }
        }
        Action::Replay {
            debtor,
            as_of,
            tenant,
        } => {
            let tenant = TenantId::new(tenant.unwrap_or_else(|| settings.tenant.clone()))
                .context("--tenant")?;
            let debtor = DebtorId::new(debtor).context("--debtor")?;
            let as_of = arrears_gateway::queries::parse_instant("as_of", &as_of)
                .map_err(|p| anyhow::anyhow!("--as-of: {}", p.detail))?;
            // Re-evaluate with the packs this deployment decides with.
            let packs = settings.policy()?;
            let report =
                arrears_audit::replay_with(log, &tenant, &debtor, as_of, Some(&packs)).await?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            store.close().await;
        }
    }
    Ok(())
}
