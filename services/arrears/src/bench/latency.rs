//! `arrears bench ledger-latency`: command → reply latency through the real
//! HTTP gateway, the Kafka command transport and the exactly-once ledger,
//! all in this process, on loopback.
//!
//! The load is open-loop: request i is due at `start + i / rate` whatever
//! happened to the earlier ones, and its latency is measured from that due
//! time, not from when it was actually sent. A closed loop (send, wait,
//! send) slows down exactly when the system does and hides the queueing it
//! causes ("coordinated omission"); measuring from the schedule keeps it.
//!
//! Each debtor's measured commands are spaced `debtors / rate` seconds apart
//! (round-robin over the debtors), so they reach the ledger in the order
//! they were generated and the domain accepts every one: a status other than
//! 201 is a real failure, not a workload artefact.
//!
//! Before the measured run, the same open-loop driver hits `GET /healthz`
//! for a few seconds: the latency of HTTP on this machine alone, as a
//! baseline for the command latency.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use arrears_core::{Command, CommandEnvelope, DebtorId, TenantId};
use arrears_gateway::{DebtorReader, Gateway, SystemClock};
use arrears_kafka::ledger::{KafkaLedger, LedgerOptions};
use arrears_kafka::transport::KafkaSubmitter;
use async_trait::async_trait;
use futures::StreamExt;
use rand::Rng;
use serde_json::json;

use super::kafka as bk;
use super::report::{Table, cpus, ms, percentile, rate, thousands};
use super::workload;
use crate::settings::Settings;

#[derive(clap::Args)]
pub struct LatencyArgs {
    /// Offered load: HTTP commands per second (open loop).
    #[arg(long, default_value_t = 2_000)]
    pub rate: u32,
    /// How long the measured load runs.
    #[arg(long, default_value_t = 20)]
    pub seconds: u64,
    /// Debtors registered (with one account each) before the measured run.
    #[arg(long, default_value_t = 10_000)]
    pub debtors: usize,
    /// Partitions of the benchmark's topics.
    #[arg(long, default_value_t = 8)]
    pub partitions: u32,
    /// Seed of the workload.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Most commands per ledger transaction (default: the ledger's default).
    #[arg(long)]
    pub max_batch: Option<usize>,
    /// The ledger's linger in ms (default: the ledger's default).
    #[arg(long)]
    pub linger_ms: Option<u64>,
    /// Concurrent debtors while registering (not measured).
    #[arg(long, default_value_t = 256)]
    pub setup_concurrency: usize,
    /// Seconds of the `GET /healthz` baseline at the same rate (0: skip).
    #[arg(long, default_value_t = 5)]
    pub http_baseline_seconds: u64,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// The benchmark writes only; the gateway's read endpoint is not exercised.
struct NoReader;

#[async_trait]
impl DebtorReader for NoReader {
    async fn debtor(
        &self,
        _: &TenantId,
        _: &DebtorId,
    ) -> Result<Option<arrears_core::view::DebtorView>, String> {
        Err("not used by the benchmark".into())
    }
}

/// One prepared HTTP request (serialized before the clock starts, so the
/// client spends the measured run sending, not encoding).
#[derive(Clone)]
struct Req {
    method: reqwest::Method,
    path: String,
    body: Option<Vec<u8>>,
    idempotency_key: Option<String>,
}

/// The outcome of one request of the open-loop run.
struct Sample {
    /// From the scheduled send time to the complete response.
    latency: Duration,
    /// How late the request actually left, compared with its schedule.
    send_lag: Duration,
    /// `None`: no HTTP response (connection error, client timeout).
    status: Option<u16>,
}

pub async fn run(args: LatencyArgs, settings: &Settings) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.rate > 0 && args.seconds > 0,
        "--rate and --seconds must be positive"
    );
    let total = args.rate as usize * args.seconds as usize;
    let defaults = LedgerOptions::default();
    let options = LedgerOptions {
        instance_id: "bench".into(),
        max_batch: args.max_batch.unwrap_or(defaults.max_batch).max(1),
        linger: args
            .linger_ms
            .map_or(defaults.linger, Duration::from_millis),
        ..LedgerOptions::default()
    };

    // The workload first: bad arguments fail before anything starts.
    let tenant = TenantId::new("bench").expect("valid tenant");
    let quotas = workload::quotas(total + 2 * args.debtors, args.debtors)?;
    let scripts = workload::generate(&tenant, &quotas, chrono::Utc::now(), 0, args.seed);
    let setup: Vec<[Req; 2]> = scripts
        .iter()
        .map(|s| Ok([request(&s.commands[0])?, request(&s.commands[1])?]))
        .collect::<anyhow::Result<_>>()?;
    let measured = round_robin(&scripts)?;
    debug_assert_eq!(measured.len(), total);

    let cfg = bk::fresh_config(&settings.kafka()?, args.partitions);
    eprintln!("bench: topics under prefix {}", cfg.topic_prefix);
    bk::create_topics(&cfg).await?;
    let ledger = KafkaLedger::start(cfg.clone(), options.clone());
    let submitter = KafkaSubmitter::connect(cfg.clone(), Duration::from_secs(10))
        .await
        .context("connecting the gateway's command transport")?;
    let mut key = [0u8; 24];
    rand::rng().fill(&mut key);
    let admin_key = format!("arr_{}", hex::encode(key));
    let app = arrears_gateway::app(Gateway {
        submitter: Arc::new(submitter),
        reader: Arc::new(NoReader),
        clock: Arc::new(SystemClock),
        admin_key: admin_key.clone().into(),
        auditor_key: None,
        tenant,
        policy: options.policy.clone(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop_server, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(4096)
        .timeout(Duration::from_secs(30))
        .build()?;
    let http = Http {
        client,
        base,
        auth: format!("Bearer {admin_key}"),
    };

    let outcome = measure(&args, &http, setup, measured, &ledger).await;

    let _ = stop_server.send(());
    let _ = server.await;
    tokio::task::spawn_blocking(move || ledger.stop()).await?;
    let (setup_time, healthz, samples, window, ledger_batches) = outcome?;

    // ---- the report ---------------------------------------------------------
    let summary = |samples: &[Sample]| {
        let mut ok: Vec<Duration> = samples.iter().map(|s| s.latency).collect();
        ok.sort();
        let mean = ok.iter().sum::<Duration>() / ok.len().max(1) as u32;
        (
            percentile(&ok, 50.0),
            percentile(&ok, 90.0),
            percentile(&ok, 99.0),
            percentile(&ok, 99.9),
            ok.last().copied().unwrap_or_default(),
            mean,
        )
    };
    let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
    for s in &samples {
        let k = s
            .status
            .map_or("no response".to_string(), |c| c.to_string());
        *statuses.entry(k).or_default() += 1;
    }
    let created = samples.iter().filter(|s| s.status == Some(201)).count();
    let max_lag = samples.iter().map(|s| s.send_lag).max().unwrap_or_default();
    let (p50, p90, p99, p999, max, mean) = summary(&samples);
    let achieved = rate(samples.len() as u64, window);
    let commands_per_txn = total as f64 / ledger_batches.max(1) as f64;

    let mut j = json!({
        "benchmark": "ledger-latency",
        "machine": { "cpus": cpus() },
        "workload": {
            "rate": args.rate, "seconds": args.seconds, "debtors": args.debtors,
            "partitions": args.partitions, "seed": args.seed, "commands": total,
            "topic_prefix": cfg.topic_prefix,
        },
        "settings": {
            "max_batch": options.max_batch,
            "linger_ms": options.linger.as_millis() as u64,
        },
        "setup_seconds": setup_time.as_secs_f64(),
        "commands": {
            "p50_ms": ms(p50), "p90_ms": ms(p90), "p99_ms": ms(p99), "p999_ms": ms(p999),
            "max_ms": ms(max), "mean_ms": ms(mean),
            "statuses": statuses,
            "created_201": created,
            "achieved_per_second": achieved,
            "max_send_lag_ms": ms(max_lag),
            "ledger_transactions": ledger_batches,
            "commands_per_transaction": commands_per_txn,
        },
        "aim_p99_ms": 50,
    });

    let mut t = Table::new(&[
        "run", "requests", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms",
    ]);
    let row =
        |name: &str, n: usize, s: (Duration, Duration, Duration, Duration, Duration, Duration)| {
            vec![
                name.to_string(),
                n.to_string(),
                format!("{:.1}", ms(s.0)),
                format!("{:.1}", ms(s.1)),
                format!("{:.1}", ms(s.2)),
                format!("{:.1}", ms(s.3)),
                format!("{:.1}", ms(s.4)),
            ]
        };
    if let Some(h) = &healthz {
        let hs = summary(h);
        t.row(row("baseline: GET /healthz (HTTP alone)", h.len(), hs));
        j["http_baseline"] = json!({
            "requests": h.len(),
            "p50_ms": ms(hs.0), "p90_ms": ms(hs.1), "p99_ms": ms(hs.2), "p999_ms": ms(hs.3),
            "max_ms": ms(hs.4),
            "non_200": h.iter().filter(|s| s.status != Some(200)).count(),
        });
    }
    t.row(row(
        "commands: HTTP -> Kafka -> ledger -> reply",
        samples.len(),
        summary(&samples),
    ));

    if args.json {
        println!("{}", serde_json::to_string_pretty(&j)?);
        return Ok(());
    }
    println!("arrears bench ledger-latency");
    println!(
        "offered {} commands/s open-loop for {} s over {} debtors ({} partitions); ledger max batch {}, linger {} ms; {} CPUs",
        args.rate,
        args.seconds,
        args.debtors,
        args.partitions,
        options.max_batch,
        options.linger.as_millis(),
        cpus()
    );
    println!(
        "setup (not measured): {} debtors registered with an account in {:.1} s",
        args.debtors,
        setup_time.as_secs_f64()
    );
    println!();
    println!("{}", t.render());
    println!();
    println!(
        "statuses: {}",
        statuses
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "achieved: {} responses/s ({} offered); latest send {:.1} ms behind schedule; mean latency {:.1} ms",
        thousands(achieved),
        args.rate,
        ms(max_lag),
        ms(mean)
    );
    println!(
        "ledger: {ledger_batches} transactions during the run, {commands_per_txn:.1} commands per transaction"
    );
    println!("p99 {:.1} ms; aim < 50 ms", ms(p99));
    Ok(())
}

type Outcome = (Duration, Option<Vec<Sample>>, Vec<Sample>, Duration, u64);

/// Registers the debtors, runs the HTTP baseline, then the measured load.
async fn measure(
    args: &LatencyArgs,
    http: &Http,
    setup: Vec<[Req; 2]>,
    measured: Vec<Req>,
    ledger: &KafkaLedger,
) -> anyhow::Result<Outcome> {
    eprintln!("bench: registering {} debtors …", setup.len());
    let started = Instant::now();
    let failures: Vec<String> = futures::stream::iter(setup)
        .map(|[register, open]| async move {
            for r in [register, open] {
                match http.send(&r).await {
                    Ok(201) => {}
                    Ok(s) => return Some(format!("{} {}: HTTP {s}", r.method, r.path)),
                    Err(e) => return Some(format!("{} {}: {e}", r.method, r.path)),
                }
            }
            None
        })
        .buffer_unordered(args.setup_concurrency.max(1))
        .filter_map(|f| async move { f })
        .collect()
        .await;
    let setup_time = started.elapsed();
    if let Some(first) = failures.first() {
        anyhow::bail!(
            "{} debtors could not be set up; first: {first}",
            failures.len()
        );
    }

    let healthz = if args.http_baseline_seconds > 0 {
        eprintln!(
            "bench: HTTP baseline, GET /healthz at {}/s for {} s …",
            args.rate, args.http_baseline_seconds
        );
        let n = args.rate as usize * args.http_baseline_seconds as usize;
        let probe = Req {
            method: reqwest::Method::GET,
            path: "/healthz".into(),
            body: None,
            idempotency_key: None,
        };
        let (samples, _) = open_loop(http, vec![probe; n], args.rate).await;
        Some(samples)
    } else {
        None
    };

    eprintln!(
        "bench: measured run, {} commands at {}/s …",
        measured.len(),
        args.rate
    );
    let batches_before = ledger.stats.committed_batches.load(Ordering::Relaxed);
    let (samples, window) = open_loop(http, measured, args.rate).await;
    let batches = ledger.stats.committed_batches.load(Ordering::Relaxed) - batches_before;
    Ok((setup_time, healthz, samples, window, batches))
}

/// The HTTP client side.
struct Http {
    client: reqwest::Client,
    base: String,
    auth: String,
}

impl Http {
    /// Sends one request and reads the whole response; returns its status.
    async fn send(&self, r: &Req) -> Result<u16, reqwest::Error> {
        let mut b = self
            .client
            .request(r.method.clone(), format!("{}{}", self.base, r.path))
            .header(reqwest::header::AUTHORIZATION, &self.auth);
        if let Some(body) = &r.body {
            b = b
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        if let Some(k) = &r.idempotency_key {
            b = b.header("Idempotency-Key", k);
        }
        let response = b.send().await?;
        let status = response.status().as_u16();
        response.bytes().await?;
        Ok(status)
    }
}

/// Sends `requests` at a fixed `rate` per second without waiting for
/// replies; returns one sample per request and the wall time from the
/// first scheduled send to the last response.
async fn open_loop(http: &Http, requests: Vec<Req>, rate: u32) -> (Vec<Sample>, Duration) {
    let interval = 1.0 / rate as f64;
    let start = Instant::now() + Duration::from_millis(50);
    let mut tasks = tokio::task::JoinSet::new();
    let shared = Arc::new(Http {
        client: http.client.clone(),
        base: http.base.clone(),
        auth: http.auth.clone(),
    });
    for (i, r) in requests.into_iter().enumerate() {
        let due = start + Duration::from_secs_f64(interval * i as f64);
        // Sleep only when ahead of schedule: a timer that is already due
        // still costs a timer tick (1 ms), which would cap the rate.
        let now = Instant::now();
        if due > now {
            tokio::time::sleep(due - now).await;
        }
        let http = shared.clone();
        tasks.spawn(async move {
            let send_lag = Instant::now().saturating_duration_since(due);
            let status = http.send(&r).await.ok();
            Sample {
                latency: Instant::now().saturating_duration_since(due),
                send_lag,
                status,
            }
        });
    }
    let mut samples = Vec::with_capacity(tasks.len());
    while let Some(s) = tasks.join_next().await {
        if let Ok(s) = s {
            samples.push(s);
        }
    }
    (samples, start.elapsed())
}

/// The measured commands: after each debtor's two set-up commands, round
/// by round over the debtors, so one debtor's commands are far apart.
fn round_robin(scripts: &[workload::Script]) -> anyhow::Result<Vec<Req>> {
    let longest = scripts.iter().map(|s| s.commands.len()).max().unwrap_or(0);
    let mut out = Vec::new();
    for k in 2..longest {
        for s in scripts {
            if let Some(c) = s.commands.get(k) {
                out.push(request(c)?);
            }
        }
    }
    Ok(out)
}

/// The HTTP request a client would send for a generated command.
fn request(c: &CommandEnvelope) -> anyhow::Result<Req> {
    let d = c.debtor_id.as_str();
    let (path, body) = match &c.command {
        Command::RegisterDebtor(r) => {
            let mut body = serde_json::to_value(r)?;
            body["debtor_id"] = json!(d);
            ("/v1/debtors".to_string(), body)
        }
        Command::OpenAccount(x) => (
            format!("/v1/debtors/{d}/accounts"),
            serde_json::to_value(x)?,
        ),
        Command::RecordPayment(x) => (
            format!("/v1/debtors/{d}/payments"),
            serde_json::to_value(x)?,
        ),
        Command::RecordContactAttempt(x) => (
            format!("/v1/debtors/{d}/contact-attempts"),
            serde_json::to_value(x)?,
        ),
        Command::MakePromise(x) => (
            format!("/v1/debtors/{d}/promises"),
            serde_json::to_value(x)?,
        ),
        Command::ApplyCharge(x) => {
            let mut body = serde_json::to_value(x)?;
            if let Some(o) = body.as_object_mut() {
                o.remove("account_id");
            }
            (
                format!("/v1/debtors/{d}/accounts/{}/charges", x.account_id.as_str()),
                body,
            )
        }
        other => anyhow::bail!("the benchmark does not generate {}", other.name()),
    };
    Ok(Req {
        method: reqwest::Method::POST,
        path,
        body: Some(serde_json::to_vec(&body)?),
        idempotency_key: c.idempotency_key.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrears_gateway::routes::{ChargeRequest, RegisterRequest};

    #[test]
    fn every_generated_command_maps_to_a_route_the_gateway_parses() {
        let tenant = TenantId::new("bench").unwrap();
        let q = workload::quotas(200, 20).unwrap();
        let scripts = workload::generate(&tenant, &q, chrono::Utc::now(), 0, 3);
        for s in &scripts {
            let register = request(&s.commands[0]).unwrap();
            assert_eq!(register.path, "/v1/debtors");
            let body: RegisterRequest =
                serde_json::from_slice(register.body.as_deref().unwrap()).unwrap();
            assert_eq!(body.debtor_id, s.commands[0].debtor_id);
        }
        let measured = round_robin(&scripts).unwrap();
        assert_eq!(measured.len(), 160);
        // Round-robin: the first round holds one command of each debtor.
        let first: std::collections::BTreeSet<&str> = measured[..20]
            .iter()
            .map(|r| r.path.split('/').nth(3).unwrap())
            .collect();
        assert_eq!(first.len(), 20);
        let mut charges = 0;
        for r in &measured {
            assert!(r.path.starts_with("/v1/debtors/B"), "{}", r.path);
            if r.path.ends_with("/charges") {
                charges += 1;
                let _: ChargeRequest = serde_json::from_slice(r.body.as_deref().unwrap()).unwrap();
            }
        }
        assert!(charges > 0);
    }
}
