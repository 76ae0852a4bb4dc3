//! `arrears bench`: benchmarks of the Kafka write path, each reported next to
//! a baseline measured in the same run on the same broker, so the figures
//! are ratios that travel between machines rather than absolute numbers that
//! do not (see docs/PERFORMANCE.md).
//!
//! * `ledger-throughput`: how many events/s the exactly-once ledger commits,
//!   against a raw idempotent producer writing the very same event records.
//! * `ledger-latency`: command → reply latency through the real HTTP gateway
//!   under a fixed, open-loop offered load.
//!
//! Every run uses a fresh topic prefix (`bench-<uuid>.`), so runs never see
//! each other's data and nothing outside that prefix is touched.

mod kafka;
mod latency;
mod report;
mod throughput;
mod workload;

use crate::settings::Settings;

/// `arrears bench <benchmark> [options]`
#[derive(clap::Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub which: Benchmark,
}

/// The benchmarks.
#[derive(clap::Subcommand)]
pub enum Benchmark {
    /// Committed events/s of the Kafka ledger vs. a raw idempotent producer
    /// writing the same CloudEvents records (ratio ledger/baseline).
    LedgerThroughput(throughput::ThroughputArgs),
    /// Command → reply latency through the HTTP gateway and the Kafka ledger
    /// under a fixed open-loop request rate.
    LedgerLatency(latency::LatencyArgs),
}

pub async fn run(args: BenchArgs, settings: &Settings) -> anyhow::Result<()> {
    match args.which {
        Benchmark::LedgerThroughput(a) => throughput::run(a, settings).await,
        Benchmark::LedgerLatency(a) => latency::run(a, settings).await,
    }
}
