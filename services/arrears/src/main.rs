//! The `arrears` binary: every service as a subcommand (DESIGN D9).

mod audit;
mod bench;
mod compliance;
mod demo;
mod dev;
mod policy;
mod reads;
mod services;
mod settings;
mod supervise;

use clap::{Parser, Subcommand};

/// mimalloc instead of glibc's malloc: the ledger's batch step allocates and
/// frees many small strings and maps per command, and under glibc `malloc`,
/// `free` and `malloc_consolidate` were the top self-time symbols of a
/// profile of `arrears bench ledger-throughput` (docs/PERFORMANCE.md, round 1).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "arrears",
    version,
    about = "An event-sourced debt-collections engine"
)]
struct Cli {
    /// Log format: `text` for people, `json` for log shippers.
    #[arg(
        long,
        global = true,
        env = "ARREARS_LOG_FORMAT",
        default_value = "text"
    )]
    log_format: String,
    /// A TOML configuration file; environment variables override it (see docs/OPERATIONS.md).
    #[arg(long, global = true, env = "ARREARS_CONFIG")]
    config: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the ledger, the gateway and the projectors in one process on the embedded (SQLite) backend.
    Dev(dev::DevArgs),
    /// Administer the Kafka topics (`arrears topics create`).
    Topics(services::TopicsArgs),
    /// Run the exactly-once ledger on Kafka (one instance per machine; scale with partitions).
    Ledger(services::LedgerArgs),
    /// Run the HTTP gateway on Kafka and PostgreSQL.
    Gateway(services::GatewayArgs),
    /// Run a projector (Kafka → PostgreSQL), e.g. `arrears project debtors`.
    Project(services::ProjectArgs),
    /// Evaluate a proposed contact against the policy packs (stateless), or list the packs.
    Compliance(compliance::ComplianceArgs),
    /// Verify the hash-chained audit trail, or replay a debtor as of an instant.
    Audit(audit::AuditArgs),
    /// Rebuild a projection from offset 0 and swap it in atomically (blue/green).
    Replay(services::ReplayArgs),
    /// Print the checksum (or the lines) of a projection's deterministic export.
    Export(services::ExportArgs),
    /// Run a benchmark and print its report (see docs/PERFORMANCE.md).
    Bench(bench::BenchArgs),
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    init_tracing(&cli.log_format);
    match run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // One readable line (with its causes) for operators and scripts.
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = settings::Settings::load(cli.config.as_deref())?;
    match cli.command {
        Command::Dev(args) => dev::run(args).await,
        Command::Topics(args) => services::topics(args, &settings).await,
        Command::Ledger(args) => services::ledger(args, &settings).await,
        Command::Gateway(args) => services::gateway(args, &settings).await,
        Command::Project(args) => services::project(args, &settings).await,
        Command::Compliance(args) => compliance::run(args, &settings),
        Command::Audit(args) => audit::run(args, &settings).await,
        Command::Replay(args) => services::replay(args, &settings).await,
        Command::Export(args) => services::export(args.target, args.lines, &settings).await,
        Command::Bench(args) => bench::run(args, &settings).await,
    }
}

fn init_tracing(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ARREARS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}
