//! End to end: the real `arrears` binary in embedded mode, driven over HTTP
//! as the README's walk-through does, then stopped with SIGTERM and with
//! kill -9, and started again on the same data directory.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

const KEY: &str = "e2e-admin-key-123";

struct Server {
    child: Child,
    base: String,
}

fn start(data_dir: &Path, extra: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_arrears"))
        .args(["dev", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .args(extra)
        .env("ARREARS_ADMIN_KEY", KEY)
        .env("ARREARS_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("arrears binary starts");
    let stdout = child.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let base = line
        .trim()
        .strip_prefix("arrears dev listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_string();
    Server { child, base }
}

impl Server {
    fn signal(&mut self, sig: &str) -> std::process::ExitStatus {
        let ok = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
        self.child.wait().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn call(method: reqwest::Method, url: String, body: Option<Value>) -> (u16, Value) {
    let client = reqwest::Client::new();
    let mut req = client
        .request(method, url)
        .bearer_auth(KEY)
        .timeout(Duration::from_secs(10));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.expect("request");
    let status = res.status().as_u16();
    let body = res.json().await.unwrap_or(Value::Null);
    (status, body)
}

async fn post(s: &Server, path: &str, body: Value) -> (u16, Value) {
    call(
        reqwest::Method::POST,
        format!("{}{path}", s.base),
        Some(body),
    )
    .await
}

async fn get(s: &Server, path: &str) -> (u16, Value) {
    call(reqwest::Method::GET, format!("{}{path}", s.base), None).await
}

#[tokio::test]
async fn walk_through_survives_sigterm_and_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = start(dir.path(), &["--demo", "--demo-debtors", "40"]);

    // The README walk-through.
    let (st, _) = post(
        &s,
        "/v1/debtors",
        json!({"debtor_id": "ana-001", "jurisdiction": "CO", "time_zone": "America/Bogota",
               "locale": "es-CO", "display_name": "Ana Gómez",
               "contact_points": [{"channel": "sms", "address": "+573001234567", "consented": true}]}),
    )
    .await;
    assert_eq!(st, 201);
    let (st, _) = post(
        &s,
        "/v1/debtors/ana-001/accounts",
        json!({"account_id": "loan-42", "principal": {"amount_minor": 150000000, "currency": "COP"},
               "due_date": "2026-10-31", "external_ref": "CR-2026-0042"}),
    )
    .await;
    assert_eq!(st, 201);
    let (st, body) = post(
        &s,
        "/v1/debtors/ana-001/payments",
        json!({"payment_id": "pse-9001", "amount": {"amount_minor": 50000000, "currency": "COP"},
               "method": "pse", "received_at": "2026-11-20T15:04:05Z"}),
    )
    .await;
    assert_eq!(st, 201, "{body}");
    let (st, view) = get(&s, "/v1/debtors/ana-001").await;
    assert_eq!(st, 200);
    assert_eq!(view["accounts"][0]["balance_minor"], 100_000_000);
    assert_eq!(view["version"], 3);
    // The demo portfolio is there: 40 debtors, D000000..D000039.
    assert_eq!(get(&s, "/v1/debtors/D000039").await.0, 200);
    assert_eq!(get(&s, "/v1/debtors/D000040").await.0, 404);
    let (_, demo_debtor) = get(&s, "/v1/debtors/D000007").await;

    // Graceful stop.
    let status = s.signal("-TERM");
    assert!(status.success(), "SIGTERM exits cleanly: {status:?}");

    // Restart (no --demo needed; it would not seed twice anyway).
    let mut s = start(dir.path(), &["--demo", "--demo-debtors", "40"]);
    assert_eq!(get(&s, "/v1/debtors/ana-001").await.1, view);
    assert_eq!(get(&s, "/v1/debtors/D000007").await.1, demo_debtor);
    assert_eq!(
        get(&s, "/v1/debtors/D000040").await.0,
        404,
        "demo not seeded twice"
    );

    // Acknowledged writes survive kill -9.
    let (st, _) = post(
        &s,
        "/v1/debtors/ana-001/payments",
        json!({"payment_id": "pse-9002", "amount": {"amount_minor": 25000000, "currency": "COP"},
               "method": "pse", "received_at": "2026-11-25T15:04:05Z"}),
    )
    .await;
    assert_eq!(st, 201);
    s.signal("-KILL");
    let s = start(dir.path(), &[]);
    let (_, after) = get(&s, "/v1/debtors/ana-001").await;
    assert_eq!(after["accounts"][0]["balance_minor"], 75_000_000);
    assert_eq!(after["version"], 4);
    // The replayed payment is still recognised after the crash.
    let (st, body) = post(
        &s,
        "/v1/debtors/ana-001/payments",
        json!({"payment_id": "pse-9002", "amount": {"amount_minor": 25000000, "currency": "COP"},
               "method": "pse", "received_at": "2026-11-25T15:04:05Z"}),
    )
    .await;
    assert_eq!(st, 409);
    assert_eq!(body["code"], "payment_already_applied");
}

#[tokio::test]
async fn the_demo_is_reproducible_across_data_directories() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let sa = start(
        a.path(),
        &["--demo", "--demo-debtors", "25", "--demo-seed", "9"],
    );
    let sb = start(
        b.path(),
        &["--demo", "--demo-debtors", "25", "--demo-seed", "9"],
    );
    for i in [0, 12, 24] {
        let path = format!("/v1/debtors/D{i:06}");
        let (_, va) = get(&sa, &path).await;
        let (_, vb) = get(&sb, &path).await;
        assert_eq!(va, vb, "{path}");
        assert!(va["accounts"].as_array().is_some_and(|a| !a.is_empty()));
    }
}

fn cli(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_arrears"))
        .args(args)
        .env("ARREARS_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Per currency: outstanding and net collected as the ledger sees them,
/// summed over every debtor's view.
async fn ledger_totals(
    s: &Server,
    debtors: usize,
) -> std::collections::BTreeMap<String, (i64, i64)> {
    let mut totals = std::collections::BTreeMap::new();
    for i in 0..debtors {
        let (_, v) = get(s, &format!("/v1/debtors/D{i:06}")).await;
        for a in v["accounts"].as_array().unwrap() {
            let e = totals
                .entry(a["currency"].as_str().unwrap().to_string())
                .or_insert((0, 0));
            e.0 += a["balance_minor"].as_i64().unwrap();
            e.1 += a["paid_minor"].as_i64().unwrap();
        }
        for c in v["credit"].as_array().unwrap() {
            let e = totals
                .entry(c["currency"].as_str().unwrap().to_string())
                .or_insert((0, 0));
            e.1 += c["amount_minor"].as_i64().unwrap();
        }
    }
    totals
}

/// Waits until the portfolio projection has caught up with the ledger and
/// checks it is internally consistent: per currency, the aging buckets add
/// up to the outstanding, which equals the debtors' balances, and net
/// collected equals the money the ledger received. Returns those totals.
async fn portfolio_agrees_with_the_ledger(
    s: &Server,
    debtors: usize,
) -> std::collections::BTreeMap<String, (i64, i64)> {
    let expected = ledger_totals(s, debtors).await;
    // The portfolio projector follows the log; wait until it has caught up.
    let mut portfolio = std::collections::BTreeMap::new();
    for _ in 0..200 {
        let (st, summary) = get(s, "/v1/portfolio/summary?as_of=2100-01-01").await;
        assert_eq!(st, 200, "{summary}");
        let (st, kpis) = get(s, "/v1/portfolio/kpis?from=2000-01-01&to=2100-01-01").await;
        assert_eq!(st, 200, "{kpis}");
        portfolio.clear();
        for c in summary["currencies"].as_array().unwrap() {
            let buckets: i64 = c["aging"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| b["balance_minor"].as_i64().unwrap())
                .sum();
            assert_eq!(
                buckets,
                c["outstanding_minor"].as_i64().unwrap(),
                "buckets add up"
            );
            portfolio.insert(c["currency"].as_str().unwrap().to_string(), (buckets, 0));
        }
        for c in kpis["currencies"].as_array().unwrap() {
            let net = c["collected"]["net_minor"].as_i64().unwrap();
            if let Some(e) = portfolio.get_mut(c["currency"].as_str().unwrap()) {
                e.1 = net;
            }
        }
        if portfolio == expected {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        portfolio, expected,
        "outstanding and net collected agree with the ledger"
    );
    expected
}

/// `arrears replay portfolio` beside a running `arrears dev` on the same
/// data directory: the rebuild equals the live view byte for byte, the API
/// keeps serving, and the live projector carries on in the new generation
/// (a payment made after the swap reaches the portfolio).
#[tokio::test]
async fn a_rebuild_beside_a_running_dev_swaps_in_and_the_live_view_follows() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = start(dir.path(), &["--demo", "--demo-debtors", "40"]);
    let before = portfolio_agrees_with_the_ledger(&s, 40).await;
    let data = dir.path().to_str().unwrap();
    let live = cli(&["export", "portfolio", "--data-dir", data]);
    let report: Value =
        serde_json::from_str(&cli(&["replay", "portfolio", "--data-dir", data])).unwrap();
    let (checksum, _) = live.trim().split_once('\t').unwrap();
    assert_eq!(report["checksum"], checksum);
    assert_eq!(report["generation"], 2);
    let (st, _) = get(&s, "/v1/portfolio/summary?as_of=2100-01-01").await;
    assert_eq!(st, 200);

    // A payment after the swap: one minor unit on the first debtor's first
    // open account.
    let (_, debtor) = get(&s, "/v1/debtors/D000000").await;
    let account = debtor["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["balance_minor"].as_i64().unwrap() > 0)
        .expect("an open account")
        .clone();
    let currency = account["currency"].as_str().unwrap().to_string();
    let (st, body) = post(
        &s,
        "/v1/debtors/D000000/payments",
        json!({"payment_id": "after-swap-1",
               "amount": {"amount_minor": 1, "currency": currency},
               "method": "card", "received_at": "2026-12-01T10:00:00Z",
               "account_id": account["account_id"]}),
    )
    .await;
    assert_eq!(st, 201, "{body}");
    let after = portfolio_agrees_with_the_ledger(&s, 40).await;
    let (outstanding, collected) = before[&currency];
    assert_eq!(after[&currency], (outstanding - 1, collected + 1));
    assert!(s.signal("-TERM").success());
}

#[tokio::test]
async fn the_demo_portfolio_is_consistent_and_a_rebuild_is_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = start(dir.path(), &["--demo", "--demo-debtors", "40"]);
    let expected = portfolio_agrees_with_the_ledger(&s, 40).await;
    assert!(expected.len() >= 3, "several currencies: {expected:?}");
    let status = s.signal("-TERM");
    assert!(status.success());

    // Blue/green rebuild from offset 0: byte-identical to the live view.
    let data = dir.path().to_str().unwrap();
    let live = cli(&["export", "portfolio", "--data-dir", data]);
    let report: Value =
        serde_json::from_str(&cli(&["replay", "portfolio", "--data-dir", data])).unwrap();
    let after = cli(&["export", "portfolio", "--data-dir", data]);
    let (checksum, lines) = live.trim().split_once('\t').unwrap();
    assert!(lines.parse::<usize>().unwrap() > 40);
    assert_eq!(report["checksum"], checksum);
    assert_eq!(report["generation"], 2);
    assert_eq!(after, live);
}

fn cli_status(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_arrears"))
        .args(args)
        .env("ARREARS_LOG", "warn")
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8(out.stdout).unwrap())
}

#[tokio::test]
async fn the_audit_trail_is_served_verified_replayed_and_catches_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = start(dir.path(), &[]);
    let (st, _) = post(
        &s,
        "/v1/debtors",
        json!({"debtor_id": "co-1", "jurisdiction": "CO", "time_zone": "America/Bogota",
               "locale": "es-CO",
               "contact_points": [{"channel": "phone", "address": "+573001234567", "consented": true}]}),
    )
    .await;
    assert_eq!(st, 201);
    // The gate at a fixed instant (Monday 2026-03-02 10:30 Bogotá): allowed, then denied.
    for (id, verdict) in [("req-1", "allow"), ("req-2", "deny")] {
        let (st, body) = post(
            &s,
            "/v1/debtors/co-1/contact-requests",
            json!({"request_id": id, "channel": "phone", "at": "2026-03-02T15:30:00Z"}),
        )
        .await;
        assert_eq!(st, 201, "{body}");
        assert_eq!(body["decision"]["verdict"], verdict);
    }
    // A dialer reports a call at 21:30 Bogotá that nobody asked the gate about.
    let (st, _) = post(
        &s,
        "/v1/debtors/co-1/contact-attempts",
        json!({"attempt_id": "dial-1", "channel": "phone", "direction": "outbound",
               "outcome": "no_answer", "account_ids": [], "two_way": false,
               "occurred_at": "2026-03-03T02:30:00Z"}),
    )
    .await;
    assert_eq!(st, 201);

    // The trail through the API: registration, two decisions, the flagged attempt.
    let mut trail = Value::Null;
    for _ in 0..100 {
        let (st, body) = get(&s, "/v1/audit/debtors/co-1").await;
        if st == 200 && body.as_array().is_some_and(|a| a.len() == 4) {
            trail = body;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let rows = trail.as_array().expect("the audit projector caught up");
    let kinds: Vec<&str> = rows.iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        vec!["registration", "decision", "decision", "attempt"]
    );
    assert_eq!(rows[1]["verdict"], "allow");
    assert_eq!(rows[2]["verdict"], "deny");
    assert_eq!(rows[3]["violation"], true);
    assert_eq!(rows[0]["prev_hash"], "0".repeat(64));
    for pair in rows.windows(2) {
        assert_eq!(pair[1]["prev_hash"], pair[0]["hash"], "hash-chained");
    }
    assert_eq!(get(&s, "/v1/audit/debtors/nobody").await.0, 404);
    assert!(s.signal("-TERM").success());

    let data = dir.path().to_str().unwrap();
    let (ok, report) = cli_status(&["audit", "verify", "--data-dir", data]);
    assert!(ok, "{report}");
    let report: Value = serde_json::from_str(&report).unwrap();
    assert_eq!(report["ok"], true);
    assert_eq!(report["rows_verified"], 4);

    // Replay as of the moment between the decisions and the dialer's call.
    let (ok, replay) = cli_status(&[
        "audit",
        "replay",
        "--data-dir",
        data,
        "--debtor",
        "co-1",
        "--as-of",
        rows[2]["event_time"].as_str().unwrap(),
    ]);
    assert!(ok, "{replay}");
    let replay: Value = serde_json::from_str(&replay).unwrap();
    assert_eq!(replay["decisions"].as_array().unwrap().len(), 2);
    assert_eq!(replay["attempts"].as_array().unwrap().len(), 0);

    // Tamper with one row: the denial rewritten as an allowance.
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{data}/arrears.db"))
        .await
        .unwrap();
    sqlx::query("DROP TRIGGER audit_trail_no_update")
        .execute(&pool)
        .await
        .unwrap();
    let changed = sqlx::query(
        "UPDATE audit_trail SET verdict = 'allow' WHERE debtor_id = 'co-1' AND position = 3",
    )
    .execute(&pool)
    .await
    .unwrap();
    assert_eq!(changed.rows_affected(), 1);
    pool.close().await;
    let (ok, report) = cli_status(&["audit", "verify", "--data-dir", data]);
    assert!(!ok, "a tampered trail must fail verification");
    let report: Value = serde_json::from_str(&report).unwrap();
    assert_eq!(report["ok"], false);
    assert_eq!(report["first_break"]["debtor_id"], "co-1");
    assert_eq!(report["first_break"]["position"], 3);
}
