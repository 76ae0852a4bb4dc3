//! Policy pack overrides, end to end through the real `arrears` binary: an
//! operator's directory of packs (`ARREARS_POLICY_DIR`, `--policy-dir`)
//! replaces a shipped pack in the stateless evaluation, the pack listing and
//! the ledger's gate, and a bad file stops the process naming file and line.
//!
//! The override used here is the Colombian pack with `max_per_day = 2`
//! instead of 1 (a version bump with its changelog entry, as the pack format
//! requires): a second contact on the same day is then allowed.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

const SHIPPED_CO: &str = include_str!("../schemas/policy-packs/co.toml");
const KEY: &str = "policy-e2e-admin-key";

/// The shipped Colombian pack, re-versioned, allowing two contacts a day.
fn two_a_day() -> String {
    assert!(SHIPPED_CO.contains("max_per_day = 1\n"));
    assert!(SHIPPED_CO.contains("version = \"2026.12.0\"\njurisdiction"));
    SHIPPED_CO
        .replace("max_per_day = 1\n", "max_per_day = 2\n")
        .replace(
            "version = \"2026.12.0\"\njurisdiction",
            "version = \"2026.12.1-test\"\njurisdiction",
        )
        + "\n[[changelog]]\nversion = \"2026.12.1-test\"\ndate = \"2026-12-04\"\n\
           change = \"Test override: two contacts a day.\"\n"
}

fn policy_dir(co_text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("co.toml"), co_text).unwrap();
    // Files that are not *.toml are ignored.
    std::fs::write(dir.path().join("README.txt"), "not a pack").unwrap();
    dir
}

/// Runs the binary with an optional policy directory; (success, stdout, stderr).
fn arrears(args: &[&str], dir: Option<&Path>, stdin: &str) -> (bool, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_arrears"));
    cmd.args(args)
        .env("ARREARS_LOG", "warn")
        .env_remove("ARREARS_POLICY_DIR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(d) = dir {
        cmd.env("ARREARS_POLICY_DIR", d);
    }
    let mut child = cmd.spawn().unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// A Colombian debtor called (no answer) at 09:00 on Monday 2 March 2026;
/// the proposal is a second call at 11:00 the same day.
fn second_call_today() -> String {
    json!({
        "jurisdictions": ["CO"],
        "time_zones": ["America/Bogota"],
        "facts": {"authorised_channels": ["phone"]},
        "history": [{"at": "2026-03-02T09:00:00-05:00", "channel": "phone",
                     "direction": "outbound", "outcome": "no_answer",
                     "callee_role": "debtor", "debt_ids": ["a1"]}],
        "proposed": {"at": "2026-03-02T11:00:00-05:00", "channel": "phone",
                     "direction": "outbound", "callee_role": "debtor", "debt_ids": ["a1"]}
    })
    .to_string()
}

fn denying(decision: &Value) -> Vec<String> {
    decision["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["outcome"] == "deny")
        .map(|r| r["rule_id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn an_override_replaces_the_shipped_pack_in_the_cli() {
    let dir = policy_dir(&two_a_day());

    let (ok, packs, err) = arrears(&["compliance", "packs"], None, "");
    assert!(ok, "{err}");
    assert!(
        packs.lines().any(|l| l.starts_with("co\t2026.12.0\t")),
        "{packs}"
    );
    let (ok, packs, err) = arrears(&["compliance", "packs"], Some(dir.path()), "");
    assert!(ok, "{err}");
    assert!(
        packs.lines().any(|l| l.starts_with("co\t2026.12.1-test\t")),
        "{packs}"
    );
    assert_eq!(packs.lines().filter(|l| l.starts_with("co\t")).count(), 1);

    let request = second_call_today();
    let (ok, out, err) = arrears(&["compliance", "evaluate"], None, &request);
    assert!(ok, "{err}");
    let shipped: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(shipped["verdict"], "deny");
    assert_eq!(denying(&shipped), vec!["co.one_contact_per_day"]);

    let (ok, out, err) = arrears(&["compliance", "evaluate"], Some(dir.path()), &request);
    assert!(ok, "{err}");
    let overridden: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(overridden["verdict"], "allow", "{out}");
    assert_eq!(
        overridden["packs"],
        json!([{"id": "co", "version": "2026.12.1-test"}])
    );
}

#[test]
fn a_bad_override_stops_the_process_naming_file_and_line() {
    // Line 3 of the file breaks the TOML syntax.
    let dir = policy_dir("id = \"co\"\nversion = \"x\"\nthis is not toml\n");
    let (ok, _, err) = arrears(&["compliance", "packs"], Some(dir.path()), "");
    assert!(!ok);
    let file = dir.path().join("co.toml").display().to_string();
    assert!(err.contains(&file), "{err}");
    assert!(err.contains("line 3"), "{err}");
    // A missing directory is an error too, not the shipped packs.
    let (ok, _, err) = arrears(
        &["compliance", "packs"],
        Some(Path::new("/nonexistent/arrears-policy")),
        "",
    );
    assert!(!ok);
    assert!(err.contains("/nonexistent/arrears-policy"), "{err}");
}

#[tokio::test]
async fn the_ledgers_gate_decides_with_the_override() {
    let data = tempfile::tempdir().unwrap();
    let dir = policy_dir(&two_a_day());
    let mut child = Command::new(env!("CARGO_BIN_EXE_arrears"))
        .args(["dev", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data.path())
        .arg("--policy-dir")
        .arg(dir.path())
        .env("ARREARS_ADMIN_KEY", KEY)
        .env("ARREARS_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("arrears dev listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_string();
    let client = reqwest::Client::new();
    let post = |path: &str, body: Value| {
        client
            .post(format!("{base}/v1{path}"))
            .bearer_auth(KEY)
            .json(&body)
            .send()
    };
    let r = post(
        "/debtors",
        json!({"debtor_id": "co-1", "jurisdiction": "CO", "time_zone": "America/Bogota",
               "locale": "es-CO",
               "contact_points": [{"channel": "phone", "address": "+573001234567", "consented": true}]}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 201);
    let mut verdicts = Vec::new();
    // 10:03 and 11:00 in Bogotá on Monday 2 March 2026, then 12:00.
    for (id, at) in [
        ("r1", "2026-03-02T15:03:00Z"),
        ("r2", "2026-03-02T16:00:00Z"),
        ("r3", "2026-03-02T17:00:00Z"),
    ] {
        let r = post(
            "/debtors/co-1/contact-requests",
            json!({"request_id": id, "channel": "phone", "address": "+573001234567", "at": at}),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 201);
        let body: Value = r.json().await.unwrap();
        verdicts.push(body["decision"]["verdict"].as_str().unwrap().to_string());
        if id == "r3" {
            assert_eq!(denying(&body["decision"]), vec!["co.one_contact_per_day"]);
        }
    }
    // Two a day under the override; the shipped pack would deny r2.
    assert_eq!(verdicts, vec!["allow", "allow", "deny"]);
    let _ = child.kill();
    let _ = child.wait();
}
