//! The embedded ledger end to end over a real SQLite log file.

use std::sync::Arc;

use arrears_core::command::*;
use arrears_core::vocabulary::PaymentMethod;
use arrears_core::*;
use arrears_ledger::{CommandSubmitter, EmbeddedLedger, LedgerConfig, RebuildError};
use arrears_log::{AppendBatch, EventLog, SqliteLog};
use chrono::{TimeZone, Utc};
use uuid::Uuid;

fn envelope(n: u128, debtor: &str, key: Option<&str>, command: Command) -> CommandEnvelope {
    CommandEnvelope {
        command_id: Uuid::from_u128(n),
        tenant: TenantId::new("t1").unwrap(),
        debtor_id: DebtorId::new(debtor).unwrap(),
        issued_at: Utc.with_ymd_and_hms(2026, 3, 2, 15, 0, 0).unwrap()
            + chrono::Duration::seconds(n as i64),
        correlation_id: Uuid::from_u128(n),
        idempotency_key: key.map(str::to_string),
        actor: None,
        command,
    }
}

fn register() -> Command {
    Command::RegisterDebtor(RegisterDebtor {
        jurisdiction: "CO".into(),
        time_zone: "America/Bogota".into(),
        locale: "es-CO".into(),
        display_name: None,
        contact_points: vec![],
    })
}

fn open(account: &str, amount: i64) -> Command {
    Command::OpenAccount(OpenAccount {
        account_id: AccountId::new(account).unwrap(),
        principal: Money::new(amount, "COP".parse().unwrap()),
        due_date: Some("2026-02-01".parse().unwrap()),
        schedule: vec![],
        external_ref: None,
        product: None,
    })
}

fn pay(id: &str, amount: i64) -> Command {
    Command::RecordPayment(RecordPayment {
        payment_id: arrears_core::ids::PaymentId::new(id).unwrap(),
        amount: Money::new(amount, "COP".parse().unwrap()),
        method: PaymentMethod::Pse,
        received_at: Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap(),
        external_ref: None,
        account_id: None,
    })
}

async fn start(path: &std::path::Path) -> (EmbeddedLedger, tokio::task::JoinHandle<()>) {
    let log: Arc<dyn EventLog> = Arc::new(SqliteLog::open(path, 4).await.unwrap());
    EmbeddedLedger::start(log, LedgerConfig::default())
        .await
        .unwrap()
}

#[tokio::test]
async fn commands_are_decided_appended_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("arrears.db");
    {
        let (ledger, task) = start(&path).await;
        let r = ledger
            .submit(envelope(1, "d1", None, register()))
            .await
            .unwrap();
        assert!(matches!(r.result, ReplyResult::Accepted { version: 1, .. }));
        ledger
            .submit(envelope(2, "d1", None, open("a1", 1_000_000)))
            .await
            .unwrap();
        let r = ledger
            .submit(envelope(3, "d1", Some("k-pay"), pay("p1", 250_000)))
            .await
            .unwrap();
        assert!(matches!(r.result, ReplyResult::Accepted { version: 3, .. }));
        let r = ledger
            .submit(envelope(4, "d1", None, pay("p2", -5)))
            .await
            .unwrap();
        // The rejection's reply is stored too, and fetchable by command id.
        let stored = ledger.reply_for(Uuid::from_u128(4)).await.unwrap().unwrap();
        assert_eq!(stored, r);
        match r.result {
            ReplyResult::Rejected { rejection, .. } => {
                assert_eq!(rejection.code(), "non_positive_amount")
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(ledger.reply_for(Uuid::from_u128(999)).await.unwrap(), None);
        ledger.stop().await;
        task.await.unwrap();
    }
    let (ledger, task) = start(&path).await;
    let view = ledger
        .debtor_view(&TenantId::new("t1").unwrap(), &DebtorId::new("d1").unwrap())
        .unwrap();
    assert_eq!(view.version, 3);
    assert_eq!(view.accounts[0].balance_minor, 750_000);
    // The idempotency key survives the restart: the retry appends nothing.
    let r = ledger
        .submit(envelope(5, "d1", Some("k-pay"), pay("p1", 250_000)))
        .await
        .unwrap();
    match r.result {
        ReplyResult::Duplicate {
            original_command_id,
            version,
            events,
        } => {
            assert_eq!(original_command_id, Uuid::from_u128(3));
            assert_eq!(version, 3);
            assert_eq!(events.len(), 1);
        }
        other => panic!("{other:?}"),
    }
    let p = ledger.log().partition_of("t1/d1");
    assert_eq!(ledger.log().end_offset(p).await.unwrap(), 3);
    ledger.stop().await;
    task.await.unwrap();
}

#[tokio::test]
async fn concurrent_commands_for_one_debtor_get_a_gap_free_sequence() {
    let dir = tempfile::tempdir().unwrap();
    let (ledger, task) = start(&dir.path().join("a.db")).await;
    ledger
        .submit(envelope(1, "d1", None, register()))
        .await
        .unwrap();
    ledger
        .submit(envelope(2, "d1", None, open("a1", 10_000_000)))
        .await
        .unwrap();
    let mut handles = Vec::new();
    for i in 0..100u128 {
        let l = ledger.clone();
        handles.push(tokio::spawn(async move {
            l.submit(envelope(100 + i, "d1", None, pay(&format!("p{i}"), 1_000)))
                .await
                .unwrap()
        }));
    }
    // The same idempotency key raced from 10 clients: one accepted, nine duplicates.
    for i in 0..10u128 {
        let l = ledger.clone();
        handles.push(tokio::spawn(async move {
            l.submit(envelope(500 + i, "d1", Some("same"), pay("px", 7)))
                .await
                .unwrap()
        }));
    }
    let mut accepted = 0;
    let mut duplicates = 0;
    for h in handles {
        match h.await.unwrap().result {
            ReplyResult::Accepted { .. } => accepted += 1,
            ReplyResult::Duplicate { .. } => duplicates += 1,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!((accepted, duplicates), (101, 9));
    let view = ledger
        .debtor_view(&TenantId::new("t1").unwrap(), &DebtorId::new("d1").unwrap())
        .unwrap();
    assert_eq!(view.version, 103);
    // 10,000,000 - 100 x 1,000 - 7
    assert_eq!(view.accounts[0].balance_minor, 9_899_993);
    ledger.stop().await;
    task.await.unwrap();
    // A fresh rebuild checks the sequence is gap-free and equals the live state.
    let (again, task) = start(&dir.path().join("a.db")).await;
    assert_eq!(
        again.debtor_view(&TenantId::new("t1").unwrap(), &DebtorId::new("d1").unwrap()),
        Some(view)
    );
    again.stop().await;
    task.await.unwrap();
}

#[tokio::test]
async fn rebuild_refuses_a_log_with_a_gap_or_an_undecodable_event() {
    let log = SqliteLog::in_memory(1).await.unwrap();
    // Build two real events, then append only the second: a gap.
    let mut h = arrears_ledger::PartitionState::default();
    let decided = h.decide_batch(&[
        envelope(1, "d1", None, register()),
        envelope(2, "d1", None, open("a1", 5)),
    ]);
    h.commit(decided.changed.clone());
    log.append(AppendBatch {
        events: vec![decided.records[1].clone()],
        replies: vec![],
    })
    .await
    .unwrap();
    match arrears_ledger::PartitionState::rebuild(&log, 0..1).await {
        Err(RebuildError::SequenceGap {
            have: 0, got: 2, ..
        }) => {}
        other => panic!("expected a gap, got {:?}", other.map(|s| s.debtors.len())),
    }
    let log = SqliteLog::in_memory(1).await.unwrap();
    let mut poison = decided.records[0].clone();
    poison.value = b"not json".to_vec();
    log.append(AppendBatch {
        events: vec![poison],
        replies: vec![],
    })
    .await
    .unwrap();
    let err = arrears_ledger::PartitionState::rebuild(&log, 0..1)
        .await
        .err()
        .unwrap();
    assert!(
        err.to_string()
            .starts_with("partition 0 offset 0 cannot be decoded"),
        "{err}"
    );
}

#[tokio::test]
async fn after_stop_submissions_are_refused_not_lost() {
    let (ledger, task) = EmbeddedLedger::start(
        Arc::new(SqliteLog::in_memory(2).await.unwrap()),
        LedgerConfig::default(),
    )
    .await
    .unwrap();
    ledger.stop().await;
    task.await.unwrap();
    let err = ledger
        .submit(envelope(1, "d1", None, register()))
        .await
        .unwrap_err();
    assert!(
        matches!(err, arrears_ledger::SubmitError::Unavailable(_)),
        "{err}"
    );
}

fn register_with_phone() -> Command {
    Command::RegisterDebtor(RegisterDebtor {
        jurisdiction: "CO".into(),
        time_zone: "America/Bogota".into(),
        locale: "es-CO".into(),
        display_name: None,
        contact_points: vec![ContactPoint {
            channel: arrears_core::vocabulary::Channel::Phone,
            address: "+573001234567".into(),
            consented: true,
        }],
    })
}

fn request(id: &str) -> Command {
    Command::RequestContact(RequestContact {
        request_id: arrears_core::ids::AttemptId::new(id).unwrap(),
        channel: arrears_core::vocabulary::Channel::Phone,
        address: Some("+573001234567".into()),
        account_ids: vec![],
        callee_role: Default::default(),
        at: Some(Utc.with_ymd_and_hms(2026, 3, 2, 15, 30, 0).unwrap()),
        at_workplace: false,
        agent: None,
    })
}

/// Colombia allows one contact a day: of two agents racing, exactly one passes.
#[tokio::test]
async fn two_racing_contact_requests_at_a_limit_of_one_only_one_is_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let (ledger, task) = start(&dir.path().join("race.db")).await;
    ledger
        .submit(envelope(1, "d1", None, register_with_phone()))
        .await
        .unwrap();
    ledger
        .submit(envelope(2, "d1", None, open("a1", 1_000_000)))
        .await
        .unwrap();
    let (a, b) = tokio::join!(
        ledger.submit(envelope(3, "d1", None, request("agent-a"))),
        ledger.submit(envelope(4, "d1", None, request("agent-b")))
    );
    let verdicts: Vec<arrears_policy::Verdict> = [a.unwrap(), b.unwrap()]
        .into_iter()
        .map(|r| match r.result {
            ReplyResult::Accepted {
                decision: Some(d), ..
            } => d.verdict,
            other => panic!("{other:?}"),
        })
        .collect();
    let allowed = verdicts
        .iter()
        .filter(|v| **v == arrears_policy::Verdict::Allow)
        .count();
    assert_eq!(allowed, 1, "{verdicts:?}");
    ledger.stop().await;
    task.await.unwrap();
}

/// One batch that interleaves two debtors, with repeats, rejections and an
/// idempotent retry, must decide, write and commit exactly what deciding the
/// same commands one batch at a time does: the same replies, the same event
/// records and the same states (the batch step copies a debtor's state only
/// for a second command of that debtor, and applies events in place at commit).
#[test]
fn one_batch_equals_the_same_commands_decided_one_at_a_time() {
    let commands = vec![
        envelope(1, "d1", None, register()),
        envelope(2, "d2", None, register()),
        envelope(3, "d1", None, open("a1", 1_000)),
        envelope(4, "d1", None, pay("p1", 300)),
        envelope(5, "d2", None, pay("p1", 50)), // rejected: d2 has no account
        envelope(6, "d2", None, open("a1", 700)),
        envelope(7, "d1", None, pay("p1", 300)), // rejected: p1 already applied
        envelope(8, "d1", Some("k"), pay("p2", 200)),
        envelope(9, "d1", Some("k"), pay("p2", 200)), // retry: same outcome, no events
        envelope(10, "d2", None, pay("p1", 100)),
    ];
    let mut batched = arrears_ledger::PartitionState::default();
    let decided = batched.decide_batch(&commands);
    let batch_records = decided.records.clone();
    let batch_replies: Vec<Reply> = decided.replies.iter().map(|(r, _)| r.clone()).collect();
    batched.commit(decided.changed);

    let mut single = arrears_ledger::PartitionState::default();
    let mut records = Vec::new();
    let mut replies = Vec::new();
    for c in &commands {
        let d = single.decide_batch(std::slice::from_ref(c));
        records.extend(d.records);
        replies.extend(d.replies.into_iter().map(|(r, _)| r));
        single.commit(d.changed);
    }

    assert_eq!(batch_replies, replies);
    assert_eq!(batch_records, records);
    assert_eq!(batched.debtors, single.debtors);
    // Exact outcomes: d1 has 4 events (registered, opened, p1, p2) and owes
    // 1,000 - 300 - 200 = 500; d2 has 3 (registered, opened, p1) and owes 600.
    let d1 = &batched.debtors["t1/d1"];
    let d2 = &batched.debtors["t1/d2"];
    assert_eq!((d1.version, d2.version), (4, 3));
    assert_eq!(records.len(), 7);
    let balance = |s: &DebtorState| {
        let a = &s.accounts[&AccountId::new("a1").unwrap()];
        a.items
            .iter()
            .map(|i| i.amount_minor - i.paid_minor)
            .sum::<i64>()
    };
    assert_eq!((balance(d1), balance(d2)), (500, 600));
    let rejected: Vec<u128> = batch_replies
        .iter()
        .filter(|r| matches!(r.result, ReplyResult::Rejected { .. }))
        .map(|r| r.command_id.as_u128())
        .collect();
    assert_eq!(rejected, vec![5, 7]);
}

/// A flagged contact attempt raises exactly one alert (a WARN line with target
/// `arrears::compliance_alert` naming the debtor, the attempt and the rules),
/// and only when its batch commits: deciding alone alerts nothing.
#[test]
fn a_flagged_attempt_alerts_once_when_its_batch_commits() {
    #[derive(Clone, Default)]
    struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::WARN)
        .finish();
    // A Colombian debtor who authorised no channel: any outbound call is a violation.
    let attempt = Command::RecordContactAttempt(RecordContactAttempt {
        attempt_id: arrears_core::ids::AttemptId::new("dialer-1").unwrap(),
        channel: arrears_core::vocabulary::Channel::Phone,
        direction: arrears_core::vocabulary::Direction::Outbound,
        outcome: arrears_core::vocabulary::ContactOutcome::NoAnswer,
        account_ids: vec![],
        two_way: false,
        occurred_at: Utc.with_ymd_and_hms(2026, 3, 2, 15, 0, 0).unwrap(),
        agent: None,
        address: Some("+573001234567".into()),
        callee_role: arrears_core::vocabulary::CalleeRole::Debtor,
        request_id: None,
    });
    let commands = vec![
        envelope(1, "d1", None, register()),
        envelope(2, "d1", None, attempt),
    ];
    tracing::subscriber::with_default(subscriber, || {
        let mut state = arrears_ledger::PartitionState::default();
        let decided = state.decide_batch(&commands);
        assert_eq!(decided.records.len(), 2);
        assert!(
            captured.0.lock().unwrap().is_empty(),
            "no alert before commit"
        );
        state.commit(decided.changed);
    });
    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.contains("WARN arrears::compliance_alert"), "{text}");
    assert!(text.contains("debtor=\"d1\""), "{text}");
    assert!(text.contains("attempt=\"dialer-1\""), "{text}");
    assert!(text.contains("co.authorised_channels"), "{text}");
}
