//! `arrears bench ledger-throughput`: committed events/s of the exactly-once
//! Kafka ledger, next to a baseline measured in the same run.
//!
//! The baseline is the cheapest way to put the same bytes on the same broker:
//! a raw idempotent producer sending the very CloudEvents records the ledger
//! writes (key, headers, JSON value), decided beforehand with the same pure
//! `PartitionState::decide_batch` the ledger runs. The ratio ledger/baseline
//! is the figure that matters; absolute rates depend on the machine.
//!
//! Phases, in order:
//! 1. generate the workload (seeded) and decide it once in memory: this gives
//!    the exact events the ledger will write, and times decide + encode;
//! 2. load every command onto the commands topic (timed, reported apart);
//! 3. baseline #1: idempotent produce of all events to a scratch topic;
//! 4. the ledger: started in-process on the loaded topic, timed from start
//!    until `committed_commands` reaches N;
//! 5. baseline #2 (the ratio uses the mean of both baselines, so neither
//!    broker warm-up nor page-cache pressure favours one side);
//! 6. unless `--no-breakdown`: the ledger's steps measured alone, to show
//!    where its time goes (consume, decode, decide, transactional write).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use arrears_core::cloudevents::LogRecord;
use arrears_core::{CommandEnvelope, ReplyResult, TenantId};
use arrears_kafka::KafkaConfig;
use arrears_kafka::ledger::{KafkaLedger, LedgerOptions, LedgerStats};
use arrears_kafka::log::kafka_headers;
use arrears_ledger::PartitionState;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::Producer;
use rdkafka::{Message, Offset, TopicPartitionList};
use serde_json::json;

use super::kafka::{self as bk, Out};
use super::report::{Table, cpus, rate, secs, thousands};
use super::workload;
use crate::settings::Settings;

#[derive(clap::Args)]
pub struct ThroughputArgs {
    /// Commands to push through the ledger.
    #[arg(long, default_value_t = 1_000_000)]
    pub commands: usize,
    /// Debtors the commands are spread over (at least 2 commands each).
    #[arg(long, default_value_t = 100_000)]
    pub debtors: usize,
    /// Partitions of the benchmark's topics.
    #[arg(long, default_value_t = 8)]
    pub partitions: u32,
    /// Seed of the workload (same seed, same commands).
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Most commands per ledger transaction (default: the ledger's default).
    #[arg(long)]
    pub max_batch: Option<usize>,
    /// How long the ledger waits for more commands before committing a
    /// partial batch, in ms (default: the ledger's default).
    #[arg(long)]
    pub linger_ms: Option<u64>,
    /// Skip the breakdown (consume, decode, transactional write alone).
    #[arg(long)]
    pub no_breakdown: bool,
    /// Give up when the ledger has not committed everything after this long.
    #[arg(long, default_value_t = 900)]
    pub timeout_secs: u64,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// The workload, in the order it is produced, plus what deciding it yields.
struct Prepared {
    /// Serialized command envelopes (the values on the commands topic).
    commands: Vec<Vec<u8>>,
    /// Stream key and partition of each command.
    keys: Vec<(String, i32)>,
    /// The events the ledger will write, in order.
    events: Vec<LogRecord>,
    /// Replies (key = command id, value), one per command.
    replies: Vec<(String, Vec<u8>)>,
    /// Events per ledger-sized batch of commands, for the transactional write.
    events_per_batch: Vec<usize>,
    /// The ledger's `max_batch` the batches above were cut with.
    max_batch: usize,
    rejected: usize,
    generate: Duration,
    decide: Duration,
    decode: Duration,
}

impl Prepared {
    fn event_bytes(&self) -> u64 {
        self.events
            .iter()
            .map(|r| {
                (r.key.len()
                    + r.value.len()
                    + r.headers
                        .iter()
                        .map(|(k, v)| k.len() + v.len())
                        .sum::<usize>()) as u64
            })
            .sum()
    }
}

pub async fn run(args: ThroughputArgs, settings: &Settings) -> anyhow::Result<()> {
    let defaults = LedgerOptions::default();
    let options = LedgerOptions {
        instance_id: "bench".into(),
        max_batch: args.max_batch.unwrap_or(defaults.max_batch).max(1),
        linger: args
            .linger_ms
            .map_or(defaults.linger, Duration::from_millis),
        ..LedgerOptions::default()
    };
    let quotas = workload::quotas(args.commands, args.debtors)?;
    anyhow::ensure!(args.partitions > 0, "--partitions must be at least 1");
    let cfg = bk::fresh_config(&settings.kafka()?, args.partitions);
    eprintln!("bench: topics under prefix {}", cfg.topic_prefix);
    bk::create_topics(&cfg).await?;
    let baseline_topic = bk::create_scratch_topic(&cfg, "baseline-events").await?;

    eprintln!(
        "bench: generating {} commands over {} debtors …",
        args.commands, args.debtors
    );
    let prepared = tokio::task::block_in_place(|| prepare(&quotas, &args, &options, &cfg));
    let n = prepared.commands.len() as u64;
    let n_events = prepared.events.len() as u64;
    anyhow::ensure!(
        prepared.rejected == 0,
        "{} generated commands were rejected when decided in order; the workload is wrong",
        prepared.rejected
    );

    eprintln!("bench: loading the commands topic …");
    let load = tokio::task::block_in_place(|| load_commands(&cfg, &prepared))?;

    eprintln!("bench: baseline #1 (idempotent produce of {n_events} events) …");
    let baseline1 = tokio::task::block_in_place(|| baseline(&cfg, &baseline_topic, &prepared))?;

    eprintln!(
        "bench: ledger (max batch {}, linger {} ms) …",
        options.max_batch,
        options.linger.as_millis()
    );
    let ledger = run_ledger(&cfg, options.clone(), n, args.timeout_secs).await?;
    anyhow::ensure!(
        ledger.events == n_events,
        "the ledger committed {} events, the in-memory decision gives {n_events}",
        ledger.events
    );

    eprintln!("bench: baseline #2 …");
    let baseline2 = tokio::task::block_in_place(|| baseline(&cfg, &baseline_topic, &prepared))?;

    let breakdown = if args.no_breakdown {
        None
    } else {
        eprintln!("bench: breakdown: consume alone, transactional write alone …");
        let consume = tokio::task::block_in_place(|| consume_commands(&cfg, n))?;
        bk::create_scratch_topic(&cfg, TXN_EVENTS).await?;
        bk::create_scratch_topic(&cfg, TXN_REPLIES).await?;
        let txn = tokio::task::block_in_place(|| transactional_write(&cfg, &prepared, false))?;
        let tuned = tokio::task::block_in_place(|| transactional_write(&cfg, &prepared, true))?;
        Some((consume, txn, tuned))
    };

    // ---- the report ---------------------------------------------------------
    let base_rate = (rate(n_events, baseline1) + rate(n_events, baseline2)) / 2.0;
    let ledger_rate = rate(ledger.events, ledger.total);
    let steady_events = ledger.events - ledger.first_batch_events;
    let steady_rate = rate(steady_events, ledger.steady);
    let ratio = ledger_rate / base_rate;
    let steady_ratio = steady_rate / base_rate;
    let batches = ledger.batches.max(1);
    let event_mb = prepared.event_bytes() as f64 / 1e6;

    let mut j = json!({
        "benchmark": "ledger-throughput",
        "machine": { "cpus": cpus() },
        "workload": {
            "commands": n, "debtors": args.debtors, "partitions": args.partitions,
            "seed": args.seed, "events": n_events, "event_megabytes": event_mb,
            "topic_prefix": cfg.topic_prefix,
        },
        "settings": {
            "max_batch": options.max_batch,
            "linger_ms": options.linger.as_millis() as u64,
        },
        "generate_seconds": prepared.generate.as_secs_f64(),
        "load_commands": { "seconds": load.as_secs_f64(), "commands_per_second": rate(n, load) },
        "baseline": {
            "runs_seconds": [baseline1.as_secs_f64(), baseline2.as_secs_f64()],
            "events_per_second": [rate(n_events, baseline1), rate(n_events, baseline2)],
            "mean_events_per_second": base_rate,
        },
        "ledger": {
            "seconds": ledger.total.as_secs_f64(),
            "events_per_second": ledger_rate,
            "commands_per_second": rate(n, ledger.total),
            "first_commit_seconds": ledger.first_commit.as_secs_f64(),
            "steady_seconds": ledger.steady.as_secs_f64(),
            "steady_events_per_second": steady_rate,
            "steady_commands_per_second": rate(n - ledger.first_batch_commands, ledger.steady),
            "batches": ledger.batches,
            "commands_per_batch": n as f64 / batches as f64,
            "ms_per_batch": ledger.steady.as_secs_f64() * 1e3 / batches as f64,
            "aborted_batches": ledger.aborted,
            "restarts": ledger.restarts,
            "dead_lettered": ledger.dead_lettered,
        },
        "ratio": ratio,
        "steady_ratio": steady_ratio,
        "aim": 0.25,
        "cpu_alone": {
            "decode_commands_seconds": prepared.decode.as_secs_f64(),
            "decide_and_encode_seconds": prepared.decide.as_secs_f64(),
        },
    });

    let mut t = Table::new(&["phase", "seconds", "events/s", "commands/s"]);
    t.row(vec![
        "generate workload (CPU, not on Kafka)".into(),
        secs(prepared.generate),
        "".into(),
        thousands(rate(n, prepared.generate)),
    ]);
    t.row(vec![
        "load commands topic (idempotent producer)".into(),
        secs(load),
        "".into(),
        thousands(rate(n, load)),
    ]);
    t.row(vec![
        "BASELINE #1: idempotent produce of the events".into(),
        secs(baseline1),
        thousands(rate(n_events, baseline1)),
        "".into(),
    ]);
    t.row(vec![
        "LEDGER: start -> all N committed".into(),
        secs(ledger.total),
        thousands(ledger_rate),
        thousands(rate(n, ledger.total)),
    ]);
    t.row(vec![
        "  of which start -> first commit".into(),
        secs(ledger.first_commit),
        "".into(),
        "".into(),
    ]);
    t.row(vec![
        "  of which first commit -> all committed".into(),
        secs(ledger.steady),
        thousands(steady_rate),
        thousands(rate(n - ledger.first_batch_commands, ledger.steady)),
    ]);
    t.row(vec![
        "BASELINE #2: idempotent produce of the events".into(),
        secs(baseline2),
        thousands(rate(n_events, baseline2)),
        "".into(),
    ]);
    if let Some((consume, txn, tuned)) = &breakdown {
        t.row(vec![
            "alone: consume commands (read_committed poll)".into(),
            secs(*consume),
            "".into(),
            thousands(rate(n, *consume)),
        ]);
        t.row(vec![
            "alone: decode command JSON (1 thread)".into(),
            secs(prepared.decode),
            "".into(),
            thousands(rate(n, prepared.decode)),
        ]);
        t.row(vec![
            "alone: decide + encode events (1 thread)".into(),
            secs(prepared.decide),
            thousands(rate(n_events, prepared.decide)),
            thousands(rate(n, prepared.decide)),
        ]);
        t.row(vec![
            format!("alone: txn write events+replies, {} txns", txn.transactions),
            secs(txn.elapsed),
            thousands(rate(n_events, txn.elapsed)),
            thousands(rate(n, txn.elapsed)),
        ]);
        t.row(vec![
            "alone: same, drained first (as the ledger)".into(),
            secs(tuned.elapsed),
            thousands(rate(n_events, tuned.elapsed)),
            thousands(rate(n, tuned.elapsed)),
        ]);
        j["breakdown"] = json!({
            "tuned": "drain delivery reports before commit_transaction, as the ledger does",
            "tuned_transactional_write_seconds": tuned.elapsed.as_secs_f64(),
            "tuned_transactional_write_events_per_second": rate(n_events, tuned.elapsed),
            "tuned_ms_per_transaction": tuned.elapsed.as_secs_f64() * 1e3 / tuned.transactions.max(1) as f64,
            "tuned_ms_committing_per_transaction": tuned.committing.as_secs_f64() * 1e3 / tuned.transactions.max(1) as f64,
            "consume_seconds": consume.as_secs_f64(),
            "consume_commands_per_second": rate(n, *consume),
            "decode_seconds": prepared.decode.as_secs_f64(),
            "decide_and_encode_seconds": prepared.decide.as_secs_f64(),
            "transactional_write_seconds": txn.elapsed.as_secs_f64(),
            "transactional_write_events_per_second": rate(n_events, txn.elapsed),
            "transactions": txn.transactions,
            "commit_seconds": txn.committing.as_secs_f64(),
            "ms_per_transaction": txn.elapsed.as_secs_f64() * 1e3 / txn.transactions.max(1) as f64,
            "ms_committing_per_transaction": txn.committing.as_secs_f64() * 1e3 / txn.transactions.max(1) as f64,
        });
    }

    if args.json {
        println!("{}", serde_json::to_string_pretty(&j)?);
        return Ok(());
    }
    println!("arrears bench ledger-throughput");
    println!(
        "workload: {n} commands over {} debtors ({} partitions, seed {}) -> {n_events} events, {:.1} MB",
        args.debtors, args.partitions, args.seed, event_mb
    );
    println!(
        "ledger settings: max batch {} commands, linger {} ms; {} CPUs; topics {}*",
        options.max_batch,
        options.linger.as_millis(),
        cpus(),
        cfg.topic_prefix
    );
    println!();
    println!("{}", t.render());
    println!();
    println!(
        "baseline (mean of #1 and #2): {} events/s",
        thousands(base_rate)
    );
    println!(
        "RATIO ledger/baseline: {ratio:.3} (start -> all committed); {steady_ratio:.3} (steady, after the first commit); aim >= 0.25"
    );
    println!(
        "ledger: {} transactions, {:.0} commands and {:.1} ms per transaction on average; {} aborted, {} restarts, {} dead-lettered",
        ledger.batches,
        n as f64 / batches as f64,
        ledger.steady.as_secs_f64() * 1e3 / batches as f64,
        ledger.aborted,
        ledger.restarts,
        ledger.dead_lettered
    );
    if let Some((_, txn, tuned)) = &breakdown {
        for (name, r) in [
            ("commit_transaction flushes", txn),
            ("drained first, as the ledger", tuned),
        ] {
            println!(
                "txn write alone ({name}): {:.1} ms per transaction, of which {:.1} ms in commit_transaction",
                r.elapsed.as_secs_f64() * 1e3 / r.transactions.max(1) as f64,
                r.committing.as_secs_f64() * 1e3 / r.transactions.max(1) as f64
            );
        }
    }
    Ok(())
}

/// Generates, interleaves, serializes and decides the workload in memory.
fn prepare(
    quotas: &[usize],
    args: &ThroughputArgs,
    options: &LedgerOptions,
    cfg: &KafkaConfig,
) -> Prepared {
    let tenant = TenantId::new("bench").expect("valid tenant");
    let started = Instant::now();
    let scripts = workload::generate(&tenant, quotas, crate::demo::anchor(), 400, args.seed);
    let order = workload::interleave(&scripts, args.seed);
    let mut per_debtor: Vec<_> = scripts
        .into_iter()
        .map(|s| s.commands.into_iter())
        .collect();
    let ordered: Vec<CommandEnvelope> = order
        .iter()
        .map(|(d, _)| {
            per_debtor[*d as usize]
                .next()
                .expect("interleaving is complete")
        })
        .collect();
    let commands: Vec<Vec<u8>> = ordered
        .iter()
        .map(|c| serde_json::to_vec(c).expect("a command serializes"))
        .collect();
    let keys: Vec<(String, i32)> = ordered
        .iter()
        .map(|c| {
            let key = c.key();
            let p = arrears_log::partition_for(&key, cfg.partitions) as i32;
            (key, p)
        })
        .collect();
    let generate = started.elapsed();

    // What the ledger does to each command after polling it: decode the
    // JSON (timed alone), then decide and encode (timed alone).
    let started = Instant::now();
    let mut decoded = 0usize;
    for bytes in &commands {
        let e: CommandEnvelope = serde_json::from_slice(bytes).expect("decodes");
        decoded += usize::from(!e.key().is_empty());
    }
    debug_assert_eq!(decoded, commands.len());
    let decode = started.elapsed();

    let started = Instant::now();
    let mut state = PartitionState::default();
    let mut events = Vec::new();
    let mut replies = Vec::with_capacity(ordered.len());
    let mut events_per_batch = Vec::new();
    let mut rejected = 0;
    for chunk in ordered.chunks(options.max_batch) {
        let decided = state.decide_batch(chunk);
        events_per_batch.push(decided.records.len());
        events.extend(decided.records);
        for (reply, record) in decided.replies {
            if matches!(reply.result, ReplyResult::Rejected { .. }) {
                rejected += 1;
            }
            replies.push((record.command_id.to_string(), record.value));
        }
        state.commit(decided.changed);
    }
    let decide = started.elapsed();
    Prepared {
        commands,
        keys,
        events,
        replies,
        events_per_batch,
        max_batch: options.max_batch,
        rejected,
        generate,
        decide,
        decode,
    }
}

/// Produces every command to the commands topic, in the interleaved order,
/// to the partition of its key (as the gateway does).
fn load_commands(cfg: &KafkaConfig, p: &Prepared) -> anyhow::Result<Duration> {
    let producer = bk::idempotent_producer(cfg)?;
    let topic = cfg.commands_topic();
    let started = Instant::now();
    for (i, (value, (key, partition))) in p.commands.iter().zip(&p.keys).enumerate() {
        bk::send(
            &producer,
            Out {
                topic: &topic,
                partition: Some(*partition),
                key,
                value,
                headers: None,
            },
            i as u64,
        )?;
    }
    bk::flush(&producer)?;
    let elapsed = started.elapsed();
    producer.context().check(p.commands.len() as u64)?;
    Ok(elapsed)
}

/// The baseline: the ledger's events, produced raw by an idempotent producer
/// to the scratch topic, partitioned as the ledger partitions them. Building
/// the Kafka headers is inside the timing, as it is inside the ledger's.
fn baseline(cfg: &KafkaConfig, topic: &str, p: &Prepared) -> anyhow::Result<Duration> {
    let producer = bk::idempotent_producer(cfg)?;
    // Connect and learn the metadata before the clock starts, as the
    // ledger's producer has by the time it writes (init_transactions).
    producer
        .client()
        .fetch_metadata(Some(topic), Duration::from_secs(10))?;
    let started = Instant::now();
    for (i, r) in p.events.iter().enumerate() {
        let partition = arrears_log::partition_for(&r.key, cfg.partitions) as i32;
        bk::send(
            &producer,
            Out {
                topic,
                partition: Some(partition),
                key: &r.key,
                value: &r.value,
                headers: Some(kafka_headers(&r.headers)),
            },
            i as u64,
        )?;
    }
    bk::flush(&producer)?;
    let elapsed = started.elapsed();
    producer.context().check(p.events.len() as u64)?;
    Ok(elapsed)
}

/// What the ledger run measured.
struct LedgerRun {
    total: Duration,
    first_commit: Duration,
    steady: Duration,
    first_batch_commands: u64,
    first_batch_events: u64,
    events: u64,
    batches: u64,
    aborted: u64,
    restarts: u64,
    dead_lettered: u64,
}

/// Starts the in-process ledger on the loaded topic and times it from start
/// until every command is committed. The counters are sampled every 2 ms;
/// the first non-zero sample marks the first commit (group join, partition
/// assignment, empty rebuild and one transaction behind it).
async fn run_ledger(
    cfg: &KafkaConfig,
    options: LedgerOptions,
    n: u64,
    timeout_secs: u64,
) -> anyhow::Result<LedgerRun> {
    let started = Instant::now();
    let ledger = KafkaLedger::start(cfg.clone(), options);
    let stats: Arc<LedgerStats> = ledger.stats.clone();
    let deadline = started + Duration::from_secs(timeout_secs);
    let mut first: Option<(Duration, u64, u64)> = None;
    let mut last_print = Instant::now();
    let result = loop {
        let commands = stats.committed_commands.load(Ordering::Relaxed);
        if first.is_none() && commands > 0 {
            first = Some((
                started.elapsed(),
                commands,
                stats.committed_events.load(Ordering::Relaxed),
            ));
        }
        if commands >= n {
            break Ok(started.elapsed());
        }
        if Instant::now() > deadline {
            break Err(anyhow::anyhow!(
                "the ledger committed {commands} of {n} commands in {timeout_secs} s; giving up"
            ));
        }
        if last_print.elapsed() > Duration::from_secs(5) {
            last_print = Instant::now();
            eprintln!(
                "bench: ledger {commands}/{n} commands committed after {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    tokio::task::spawn_blocking(move || ledger.stop())
        .await
        .context("stopping the ledger")?;
    let total = result?;
    let (first_commit, first_batch_commands, first_batch_events) =
        first.unwrap_or((total, n, stats.committed_events.load(Ordering::Relaxed)));
    Ok(LedgerRun {
        total,
        first_commit,
        steady: total.saturating_sub(first_commit),
        first_batch_commands,
        first_batch_events,
        events: stats.committed_events.load(Ordering::Relaxed),
        batches: stats.committed_batches.load(Ordering::Relaxed),
        aborted: stats.aborted_batches.load(Ordering::Relaxed),
        restarts: stats.restarts.load(Ordering::Relaxed),
        dead_lettered: stats.dead_lettered.load(Ordering::Relaxed),
    })
}

/// Breakdown step: reads the whole commands topic with a consumer configured
/// like the ledger's (read_committed, `fetch.wait.max.ms` 5), copying each
/// payload out as the ledger does, one `poll` per message.
fn consume_commands(cfg: &KafkaConfig, n: u64) -> anyhow::Result<Duration> {
    let consumer: BaseConsumer = cfg
        .client()
        .set("group.id", format!("{}bench-consume", cfg.topic_prefix))
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_committed")
        .set("fetch.wait.max.ms", "5")
        .create()?;
    let topic = cfg.commands_topic();
    let mut tpl = TopicPartitionList::new();
    for p in 0..cfg.partitions {
        tpl.add_partition_offset(&topic, p as i32, Offset::Beginning)?;
    }
    consumer.assign(&tpl)?;
    let started = Instant::now();
    let mut seen = 0u64;
    let mut bytes = 0usize;
    while seen < n {
        match consumer.poll(Duration::from_secs(10)) {
            Some(Ok(m)) => {
                let copy = m.payload().unwrap_or_default().to_vec();
                bytes += copy.len();
                seen += 1;
            }
            Some(Err(e)) => anyhow::bail!("consuming the commands topic: {e}"),
            None => anyhow::bail!("consuming the commands topic: stalled at {seen} of {n}"),
        }
    }
    let elapsed = started.elapsed();
    anyhow::ensure!(bytes > 0, "no command bytes read");
    Ok(elapsed)
}

/// What the transactional write measured.
struct TxnRun {
    elapsed: Duration,
    committing: Duration,
    transactions: u64,
}

/// Breakdown step: the ledger's write path without its consumer: one
/// transaction per ledger-sized batch of commands, holding that batch's
/// events and replies, committed (`commit_transaction` flushes and waits).
/// It lacks only `send_offsets_to_transaction`, which needs a group member.
///
/// With `short_flush`, the delivery reports are drained before
/// `commit_transaction` (see [`bk::flush`]), as the ledger does; without,
/// `commit_transaction` flushes itself through rdkafka's `flush`, whose
/// 100 ms poll step is then paid once per transaction.
fn transactional_write(
    cfg: &KafkaConfig,
    p: &Prepared,
    short_flush: bool,
) -> anyhow::Result<TxnRun> {
    let events_topic = format!("{}{TXN_EVENTS}", cfg.topic_prefix);
    let replies_topic = format!("{}{TXN_REPLIES}", cfg.topic_prefix);
    let producer: rdkafka::producer::BaseProducer<bk::Counting> = bk::producer_config(cfg)
        .set(
            "transactional.id",
            format!("{}bench-txn-{short_flush}", cfg.topic_prefix),
        )
        .set("transaction.timeout.ms", "60000")
        .create_with_context(bk::Counting::default())?;
    let timeout = Duration::from_secs(30);
    producer.init_transactions(timeout)?;
    let started = Instant::now();
    let mut committing = Duration::ZERO;
    let (mut e, mut r, mut sent) = (0usize, 0usize, 0u64);
    for &n_events in &p.events_per_batch {
        producer.begin_transaction()?;
        for rec in &p.events[e..e + n_events] {
            let partition = arrears_log::partition_for(&rec.key, cfg.partitions) as i32;
            bk::send(
                &producer,
                Out {
                    topic: &events_topic,
                    partition: Some(partition),
                    key: &rec.key,
                    value: &rec.value,
                    headers: Some(kafka_headers(&rec.headers)),
                },
                sent,
            )?;
            sent += 1;
        }
        e += n_events;
        let replies = p.max_batch.min(p.replies.len() - r);
        for (key, value) in &p.replies[r..r + replies] {
            bk::send(
                &producer,
                Out {
                    topic: &replies_topic,
                    partition: None,
                    key,
                    value,
                    headers: None,
                },
                sent,
            )?;
            sent += 1;
        }
        r += replies;
        let t = Instant::now();
        if short_flush {
            bk::flush(&producer)?;
        }
        producer.commit_transaction(timeout)?;
        committing += t.elapsed();
    }
    let elapsed = started.elapsed();
    producer.context().check(sent)?;
    Ok(TxnRun {
        elapsed,
        committing,
        transactions: p.events_per_batch.len() as u64,
    })
}

/// Scratch topics of the transactional-write breakdown step.
const TXN_EVENTS: &str = "bench-txn-events";
const TXN_REPLIES: &str = "bench-txn-replies";
