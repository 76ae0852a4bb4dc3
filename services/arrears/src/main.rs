//! The `arrears` binary: every service as a subcommand (DESIGN D9).

mod demo;
mod dev;

use clap::{Parser, Subcommand};

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
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the ledger and the gateway in one process on the embedded (SQLite) backend.
    Dev(dev::DevArgs),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_tracing(&cli.log_format);
    match cli.command {
        Command::Dev(args) => dev::run(args).await,
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
