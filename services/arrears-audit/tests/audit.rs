//! The audit trail end to end: real event streams from the embedded ledger,
//! projected by the real projector runtime into SQLite and PostgreSQL.
//! Every scenario runs as `<scenario>::sqlite` and `<scenario>::postgres`
//! with the same body; the PostgreSQL ones panic when `ARREARS_DATABASE_URL`
//! is unset (they never skip).

mod support;

use std::sync::Arc;

use arrears_audit::{
    AuditProjection, AuditRow, GENESIS_HASH, Kind as RowKind, Problem, check_chain, export, replay,
    replay_with, trail, verify,
};
use arrears_policy::Verdict;
use arrears_views::{Projector, ProjectorConfig, rebuild};
use sha2::{Digest, Sha256};
use support::*;

/// The hash of t1/d1's first row (its registration), pinned: it depends only
/// on the event, never on the backend or the time of projection.
const D1_GENESIS_ROW_HASH: &str =
    "2126d324b9ca246537b00b28fd03b1209acfef2a96dfc7f7dfd5fc3c00b373c7";

/// An independent implementation of the README's hash definition.
fn sha256_hex(prev_hash: &str, content: &str) -> String {
    hex::encode(Sha256::digest(format!("{prev_hash}{content}").as_bytes()))
}

async fn projected(kind: Kind) -> (Scenario, TestStore) {
    let s = Scenario::colombian(4).await;
    let store = TestStore::new(kind).await;
    s.project(&store, 1_000).await;
    (s, store)
}

/// (position, kind, sequence, event type, verdict, violation) of a row.
type Summary<'a> = (u64, RowKind, u64, &'a str, Option<Verdict>, bool);

async fn d1_rows(store: &TestStore) -> Vec<AuditRow> {
    trail(store, &t("t1"), &d("d1")).await.unwrap()
}

async fn one_row_per_compliance_fact_chained_per_debtor(kind: Kind) {
    let (s, store) = projected(kind).await;
    let rows = d1_rows(&store).await;

    // Five facts of d1: registration, two decisions, the flagged attempt, the
    // opt-out; the account opening (sequence 2) is not a compliance fact.
    let summary: Vec<Summary<'_>> = rows
        .iter()
        .map(|r| {
            (
                r.position,
                r.kind,
                r.sequence,
                r.event_type.as_str(),
                r.verdict,
                r.violation,
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                1,
                RowKind::Registration,
                1,
                "arrears.debtor.registered.v1",
                None,
                false
            ),
            (
                2,
                RowKind::Decision,
                3,
                "arrears.contact.decided.v1",
                Some(Verdict::Allow),
                false
            ),
            (
                3,
                RowKind::Decision,
                4,
                "arrears.contact.decided.v1",
                Some(Verdict::Deny),
                false
            ),
            (
                4,
                RowKind::Attempt,
                5,
                "arrears.contact.attempted.v1",
                None,
                true
            ),
            (
                5,
                RowKind::OptOut,
                6,
                "arrears.channel.opted_out.v1",
                None,
                false
            ),
        ]
    );
    let times: Vec<String> = rows.iter().map(|r| r.event_time.to_rfc3339()).collect();
    assert_eq!(
        times,
        vec![
            "2026-03-02T14:00:00+00:00",
            "2026-03-02T15:02:00+00:00",
            "2026-03-02T16:00:00+00:00",
            "2026-03-03T13:00:00+00:00",
            "2026-03-04T14:00:00+00:00",
        ]
    );
    // Event ids are the log's.
    for (r, seq) in rows.iter().zip([1, 3, 4, 5, 6]) {
        assert_eq!(r.event_id, s.event("d1", seq).await.id.to_string());
        assert_eq!((r.tenant.as_str(), r.debtor_id.as_str()), ("t1", "d1"));
    }

    // The chain: genesis, then each prev_hash is the previous hash, and each
    // hash is SHA-256(prev_hash ‖ content) by an independent implementation.
    assert_eq!(rows[0].prev_hash, GENESIS_HASH);
    assert_eq!(rows[0].hash, D1_GENESIS_ROW_HASH);
    for i in 1..rows.len() {
        assert_eq!(rows[i].prev_hash, rows[i - 1].hash, "link {}", i + 1);
    }
    for r in &rows {
        assert_eq!(r.hash, sha256_hex(&r.prev_hash, &r.content));
    }

    // The canonical content of the opt-out row, byte for byte.
    assert_eq!(
        rows[4].content,
        format!(
            r#"{{"data":{{"address":"+573001234567","channel":"phone","source":"debtor call"}},"debtor_id":"d1","event_id":"{}","event_time":"2026-03-04T14:00:00Z","event_type":"arrears.channel.opted_out.v1","kind":"opt_out","position":5,"sequence":6,"tenant":"t1"}}"#,
            rows[4].event_id
        )
    );
    // The decision rows carry the whole decision: every rule, packs, tzdata, inputs_hash.
    let denied: serde_json::Value = serde_json::from_str(&rows[2].content).unwrap();
    let decision = &denied["data"]["decision"];
    assert_eq!(decision["verdict"], "deny");
    assert_eq!(decision["rules"].as_array().unwrap().len(), 10);
    assert_eq!(decision["rules"][2]["rule_id"], "co.one_contact_per_day");
    assert_eq!(decision["rules"][2]["outcome"], "deny");
    assert_eq!(
        decision["packs"],
        serde_json::json!([{"id": "co", "version": "2026.12.0"}])
    );
    assert_eq!(decision["tzdata_version"], arrears_policy::tzdata_version());
    assert_eq!(decision["next_allowed_at"], "2026-03-03T12:00:00Z");
    assert_eq!(decision["inputs_hash"].as_str().unwrap().len(), 64);
    // The late after-hours attempt is flagged with the rules it broke.
    let attempt: serde_json::Value = serde_json::from_str(&rows[3].content).unwrap();
    let broken: Vec<&str> = attempt["data"]["violation"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule_id"].as_str().unwrap())
        .collect();
    assert_eq!(broken, vec!["co.hours", "co.one_contact_per_day"]);

    // d2 has its own chain, starting at genesis; other tenants see nothing.
    let d2 = trail(&store, &t("t1"), &d("d2")).await.unwrap();
    let d2_summary: Vec<(u64, RowKind, u64)> = d2
        .iter()
        .map(|r| (r.position, r.kind, r.sequence))
        .collect();
    assert_eq!(
        d2_summary,
        vec![(1, RowKind::Registration, 1), (2, RowKind::Cease, 2)]
    );
    assert_eq!(d2[0].prev_hash, GENESIS_HASH);
    assert_eq!(d2[1].prev_hash, d2[0].hash);
    assert_eq!(
        d2[1].content,
        format!(
            r#"{{"data":{{"account_ids":[],"received_via":"letter"}},"debtor_id":"d2","event_id":"{}","event_time":"2026-03-05T14:00:00Z","event_type":"arrears.communication.ceased.v1","kind":"cease","position":2,"sequence":2,"tenant":"t1"}}"#,
            d2[1].event_id
        )
    );
    assert_eq!(check_chain(&rows), None);
    assert_eq!(check_chain(&d2), None);
    assert!(trail(&store, &t("t2"), &d("d1")).await.unwrap().is_empty());

    let report = verify(s.log.clone(), &store).await.unwrap();
    assert!(report.ok, "{report:?}");
    assert_eq!(report.first_break, None);
    assert_eq!(report.events_read, 8);
    assert_eq!(report.undecodable_skipped, 0);
    assert_eq!(report.debtors, 2);
    assert_eq!(report.rows_verified, 7);
    assert_eq!(report.checkpoints.values().sum::<u64>(), 8);
    assert_eq!(report.checkpoints.len(), 4);
}
on_both_backends!(one_row_per_compliance_fact_chained_per_debtor);

async fn a_changed_content_is_named(kind: Kind) {
    let (s, store) = projected(kind).await;
    let allowed = s.event("d1", 3).await;
    store.allow_tampering().await;
    // Turn the recorded ALLOW of request r1 into a DENY in the content only.
    let n = store
        .exec(
            "UPDATE audit_trail SET content = REPLACE(content, '\"verdict\":\"allow\"', '\"verdict\":\"deny\"')
             WHERE tenant = 't1' AND debtor_id = 'd1' AND position = 2",
        )
        .await;
    assert_eq!(n, 1);
    let report = verify(s.log.clone(), &store).await.unwrap();
    assert!(!report.ok);
    assert_eq!(
        report.rows_verified, 1,
        "only position 1 precedes the break"
    );
    let broken = report.first_break.unwrap();
    assert_eq!(
        (
            broken.tenant.as_str(),
            broken.debtor_id.as_str(),
            broken.position
        ),
        ("t1", "d1", 2)
    );
    assert_eq!(broken.event_id, allowed.id.to_string());
    match &broken.problem {
        Problem::ContentChanged {
            column,
            expected,
            found,
        } => {
            assert_eq!(column, "content");
            assert!(expected.contains(r#""verdict":"allow""#));
            assert!(found.contains(r#""verdict":"deny""#));
            assert!(!found.contains(r#""verdict":"allow""#));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        broken.to_string().starts_with(&format!(
            "t1/d1 position 2 (event {}): column `content` was changed",
            allowed.id
        )),
        "{broken}"
    );
}
on_both_backends!(a_changed_content_is_named);

async fn a_changed_verdict_column_is_named(kind: Kind) {
    let (s, store) = projected(kind).await;
    store.allow_tampering().await;
    let n = store
        .exec(
            "UPDATE audit_trail SET verdict = 'allow'
             WHERE tenant = 't1' AND debtor_id = 'd1' AND position = 3",
        )
        .await;
    assert_eq!(n, 1);
    let report = verify(s.log.clone(), &store).await.unwrap();
    let broken = report.first_break.unwrap();
    assert_eq!((broken.debtor_id.as_str(), broken.position), ("d1", 3));
    assert_eq!(broken.event_id, s.event("d1", 4).await.id.to_string());
    assert_eq!(
        broken.problem,
        Problem::ContentChanged {
            column: "verdict".into(),
            expected: "deny".into(),
            found: "allow".into(),
        }
    );
    assert_eq!(report.rows_verified, 2);
    // The verdict column is not hashed: only the comparison with the log sees it.
    assert_eq!(check_chain(&d1_rows(&store).await), None);
}
on_both_backends!(a_changed_verdict_column_is_named);

async fn a_deleted_row_and_an_inserted_row_are_named(kind: Kind) {
    let (s, store) = projected(kind).await;
    store.allow_tampering().await;
    // Delete the flagged attempt: the most tempting row to make disappear.
    let n = store
        .exec("DELETE FROM audit_trail WHERE tenant = 't1' AND debtor_id = 'd1' AND position = 4")
        .await;
    assert_eq!(n, 1);
    let report = verify(s.log.clone(), &store).await.unwrap();
    let broken = report.first_break.unwrap();
    assert_eq!((broken.debtor_id.as_str(), broken.position), ("d1", 4));
    assert_eq!(broken.event_id, s.event("d1", 5).await.id.to_string());
    assert_eq!(broken.problem, Problem::Missing);
    assert_eq!(report.rows_verified, 3);

    // A row appended to d2's chain (a forged fact) is unexpected, even with
    // a correct link and hash.
    let store2 = TestStore::new(kind).await;
    s.project(&store2, 1_000).await;
    let d2 = trail(&store2, &t("t1"), &d("d2")).await.unwrap();
    let content = r#"{"forged":true}"#;
    let hash = sha256_hex(&d2[1].hash, content);
    store2
        .exec(&format!(
            "INSERT INTO audit_trail (tenant, debtor_id, position, event_id, event_type, kind, sequence, \
             event_time, verdict, violation, content, prev_hash, hash) VALUES ('t1', 'd2', 3, 'forged-1', \
             'arrears.contact.decided.v1', 'decision', 3, '2026-03-02T15:00:00Z', 'allow', false, '{content}', \
             '{}', '{hash}')",
            d2[1].hash
        ))
        .await;
    let report = verify(s.log.clone(), &store2).await.unwrap();
    let broken = report.first_break.unwrap();
    assert_eq!(
        (
            broken.debtor_id.as_str(),
            broken.position,
            broken.event_id.as_str()
        ),
        ("d2", 3, "forged-1")
    );
    assert_eq!(broken.problem, Problem::Unexpected);
    assert_eq!(report.rows_verified, 7);
}
on_both_backends!(a_deleted_row_and_an_inserted_row_are_named);

async fn hash_and_link_tampering_are_named(kind: Kind) {
    let (s, store) = projected(kind).await;
    store.allow_tampering().await;
    let rows = d1_rows(&store).await;
    // A forged hash on position 4.
    let forged = "f".repeat(64);
    store
        .exec(&format!(
            "UPDATE audit_trail SET hash = '{forged}' WHERE debtor_id = 'd1' AND position = 4"
        ))
        .await;
    let broken = verify(s.log.clone(), &store)
        .await
        .unwrap()
        .first_break
        .unwrap();
    assert_eq!(broken.position, 4);
    // The log-free chain check (what an API client can do) sees it too.
    assert_eq!(
        check_chain(&d1_rows(&store).await),
        Some(arrears_audit::BrokenLink {
            tenant: "t1".into(),
            debtor_id: "d1".into(),
            position: 4,
            event_id: rows[3].event_id.clone(),
            problem: Problem::HashMismatch {
                stored: forged.clone(),
                recomputed: rows[3].hash.clone(),
            },
        })
    );
    assert_eq!(
        broken.problem,
        Problem::HashMismatch {
            stored: forged.clone(),
            recomputed: rows[3].hash.clone(),
        }
    );
    // Restore it, then break the link of position 5 instead.
    store
        .exec(&format!(
            "UPDATE audit_trail SET hash = '{}' WHERE debtor_id = 'd1' AND position = 4",
            rows[3].hash
        ))
        .await;
    assert!(verify(s.log.clone(), &store).await.unwrap().ok);
    store
        .exec(&format!(
            "UPDATE audit_trail SET prev_hash = '{GENESIS_HASH}' WHERE debtor_id = 'd1' AND position = 5"
        ))
        .await;
    let broken = verify(s.log.clone(), &store)
        .await
        .unwrap()
        .first_break
        .unwrap();
    assert_eq!(broken.position, 5);
    assert_eq!(
        broken.problem,
        Problem::PrevHashMismatch {
            stored: GENESIS_HASH.into(),
            expected: rows[3].hash.clone(),
        }
    );
    // A consistent rewrite (content AND hash of the last row recomputed) keeps
    // the chain valid; only the comparison with the log catches it.
    let content = rows[4].content.replace("debtor call", "agent note");
    let hash = sha256_hex(&rows[4].prev_hash, &content);
    store
        .exec(&format!(
            "UPDATE audit_trail SET content = '{content}', prev_hash = '{}', hash = '{hash}' \
             WHERE debtor_id = 'd1' AND position = 5",
            rows[4].prev_hash
        ))
        .await;
    let broken = verify(s.log.clone(), &store)
        .await
        .unwrap()
        .first_break
        .unwrap();
    assert_eq!(broken.position, 5);
    assert!(
        matches!(&broken.problem, Problem::ContentChanged { column, found, .. }
            if column == "content" && found == &content),
        "{broken:?}"
    );
}
on_both_backends!(hash_and_link_tampering_are_named);

async fn the_trail_is_append_only(kind: Kind) {
    let (_s, store) = projected(kind).await;
    let update = store
        .try_exec("UPDATE audit_trail SET verdict = 'allow' WHERE position = 3")
        .await
        .unwrap_err();
    assert!(
        update.to_string().contains("audit_trail is append-only"),
        "{update}"
    );
    let delete = store
        .try_exec("DELETE FROM audit_trail WHERE position = 4")
        .await
        .unwrap_err();
    assert!(
        delete.to_string().contains("audit_trail is append-only"),
        "{delete}"
    );
    assert_eq!(export(&store).await.unwrap().len(), 7);
}
on_both_backends!(the_trail_is_append_only);

async fn a_lagging_projector_is_not_a_failure(kind: Kind) {
    // One partition, so the log order is the scenario's order.
    let s = Scenario::colombian(1).await;
    let store = TestStore::new(kind).await;
    let mut projector = Projector::new(
        s.log.clone(),
        store.store.clone(),
        Arc::new(AuditProjection),
        ProjectorConfig {
            max_batch: 4,
            ..ProjectorConfig::default()
        },
    )
    .await
    .unwrap();
    // Records 0..4: d1 registered, d1 account, d2 registered, d1 decision r1.
    assert_eq!(projector.step().await.unwrap().records, 4);
    let report = verify(s.log.clone(), &store).await.unwrap();
    assert!(report.ok, "{report:?}");
    assert_eq!(report.checkpoints, [(0, 4)].into_iter().collect());
    assert_eq!(
        (report.events_read, report.rows_verified, report.debtors),
        (4, 3, 2)
    );
    // Catching up resumes the chains where they stopped.
    projector.catch_up().await.unwrap();
    let report = verify(s.log.clone(), &store).await.unwrap();
    assert!(report.ok, "{report:?}");
    assert_eq!((report.events_read, report.rows_verified), (8, 7));
    assert_eq!(d1_rows(&store).await[0].hash, D1_GENESIS_ROW_HASH);
}
on_both_backends!(a_lagging_projector_is_not_a_failure);

async fn a_rebuild_from_offset_zero_is_byte_identical(kind: Kind) {
    let s = Scenario::colombian(4).await;
    // Live: one event per batch (many transactions).
    let live = TestStore::new(kind).await;
    s.project(&live, 1).await;
    // Rebuilt: everything in one batch, into a fresh store.
    let fresh = TestStore::new(kind).await;
    rebuild(
        s.log.clone(),
        fresh.store.clone(),
        Arc::new(AuditProjection),
        ProjectorConfig::default(),
    )
    .await
    .unwrap();
    let (a, b) = (export(&live).await.unwrap(), export(&fresh).await.unwrap());
    assert_eq!(a.len(), 7);
    assert_eq!(a, b);
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&b).unwrap()
    );
    assert_eq!(a[0].hash, D1_GENESIS_ROW_HASH);
    assert!(verify(s.log.clone(), &fresh).await.unwrap().ok);
}
on_both_backends!(a_rebuild_from_offset_zero_is_byte_identical);

/// Hashes do not depend on the backend: SQLite and PostgreSQL hold the same rows.
#[tokio::test]
async fn sqlite_and_postgres_hold_identical_trails() {
    let s = Scenario::colombian(4).await;
    let lite = TestStore::new(Kind::Sqlite).await;
    let pg = TestStore::new(Kind::Postgres).await;
    s.project(&lite, 3).await;
    s.project(&pg, 1_000).await;
    let (a, b) = (export(&lite).await.unwrap(), export(&pg).await.unwrap());
    assert_eq!(a.len(), 7);
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&b).unwrap()
    );
}

/// Replay reads the log only, so it has no backend variants.
#[tokio::test]
async fn replay_as_of_a_past_instant_shows_what_was_known_then() {
    let s = Scenario::colombian(4).await;
    // The evening of Monday 2 March: two decisions, no attempt, no opt-out yet.
    let r = replay(
        s.log.clone(),
        &t("t1"),
        &d("d1"),
        at("2026-03-02T23:59:59Z"),
    )
    .await
    .unwrap();
    assert_eq!((r.events_considered, r.last_sequence), (4, 4));
    assert_eq!(r.next_event_at, Some(at("2026-03-03T13:00:00Z")));
    let profile = r.profile.as_ref().unwrap();
    assert_eq!(
        (profile.jurisdiction.as_str(), profile.time_zone.as_str()),
        ("CO", "America/Bogota")
    );
    assert!(r.attempts.is_empty());
    assert!(r.opt_outs.is_empty());
    assert!(r.cease_requests.is_empty());
    let verdicts: Vec<(&str, Verdict, Vec<String>)> = r
        .decisions
        .iter()
        .map(|d| (d.request_id.as_str(), d.verdict, d.denying_rules.clone()))
        .collect();
    assert_eq!(
        verdicts,
        vec![
            ("r1", Verdict::Allow, vec![]),
            (
                "r2",
                Verdict::Deny,
                vec!["co.one_contact_per_day".to_string()]
            ),
        ]
    );
    let denied = &r.decisions[1];
    assert_eq!(denied.next_allowed_at, Some(at("2026-03-03T12:00:00Z")));
    assert_eq!(denied.rules.len(), 10);
    assert_eq!(denied.rules[2].rule_id, "co.one_contact_per_day");
    assert!(
        denied.rules[2]
            .citation
            .starts_with("Ley 2300 de 2023 art. 3")
    );
    assert_eq!(denied.packs[0].id, "co");
    assert_eq!(denied.packs[0].version, "2026.12.0");
    assert_eq!(denied.tzdata_version, arrears_policy::tzdata_version());
    // The recorded inputs_hash is the one the event carries...
    let event = s.event("d1", 4).await;
    let arrears_core::EventBody::ContactDecided(recorded) = &event.body else {
        panic!("{event:?}")
    };
    assert_eq!(denied.inputs_hash, recorded.decision.inputs_hash);
    // ...and the request rebuilt from the log hashes to it; today's packs agree.
    assert!(r.reevaluation.performed);
    for d in &r.decisions {
        let re = d.reevaluation.as_ref().unwrap();
        assert!(re.inputs_reproduced, "{d:?}");
        assert_eq!(re.inputs_hash, d.inputs_hash);
        assert!(re.same_verdict);
        assert_eq!(re.denying_rules, d.denying_rules);
    }

    // Just before the first decision, none is known.
    let early = replay(
        s.log.clone(),
        &t("t1"),
        &d("d1"),
        at("2026-03-02T15:01:59Z"),
    )
    .await
    .unwrap();
    assert_eq!(early.events_considered, 2);
    assert!(early.decisions.is_empty());

    // At the end: the flagged attempt and the opt-out are known.
    let all = replay_with(
        s.log.clone(),
        &t("t1"),
        &d("d1"),
        at("2026-03-05T00:00:00Z"),
        None,
    )
    .await
    .unwrap();
    assert_eq!((all.events_considered, all.next_event_at), (6, None));
    assert_eq!(all.attempts.len(), 1);
    let a = &all.attempts[0];
    assert_eq!(a.attempt_id.as_str(), "c1");
    assert_eq!(a.occurred_at, at("2026-03-03T02:30:00Z"));
    assert!(a.violation_flag);
    let broken: Vec<&str> = a
        .violation
        .as_ref()
        .unwrap()
        .rules
        .iter()
        .map(|r| r.rule_id.as_str())
        .collect();
    assert_eq!(broken, vec!["co.hours", "co.one_contact_per_day"]);
    assert_eq!(all.opt_outs.len(), 1);
    assert_eq!(all.opt_outs[0].address.as_deref(), Some(PHONE));
    assert!(!all.reevaluation.performed);
    assert!(all.decisions.iter().all(|d| d.reevaluation.is_none()));

    // The documented JSON shape.
    let json = serde_json::to_value(&r).unwrap();
    let mut keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        vec![
            "as_of",
            "attempts",
            "cease_requests",
            "debtor_id",
            "decisions",
            "events_considered",
            "last_sequence",
            "next_event_at",
            "opt_outs",
            "profile",
            "reevaluation",
            "restrictions",
            "tenant",
        ]
    );
    assert_eq!(json["as_of"], "2026-03-02T23:59:59Z");
    assert_eq!(json["decisions"][1]["verdict"], "deny");
    assert_eq!(json["decisions"][1]["reevaluation"]["same_verdict"], true);
    assert_eq!(json["profile"]["contact_points"][0]["channel"], "phone");

    // An unknown debtor: nothing known.
    let none = replay(
        s.log.clone(),
        &t("t1"),
        &d("nobody"),
        at("2026-03-05T00:00:00Z"),
    )
    .await
    .unwrap();
    assert_eq!((none.events_considered, none.profile.is_none()), (0, true));
}

async fn many_debtors_in_small_batches_verify_and_rebuild_identically(kind: Kind) {
    let mut s = Scenario::new(4).await;
    for i in 0..30 {
        let debtor = format!("m{i:02}");
        s.run(&debtor, "2026-03-02T14:00:00Z", register()).await;
    }
    for i in 0..30 {
        let debtor = format!("m{i:02}");
        s.run(&debtor, "2026-03-02T15:00:00Z", opt_out()).await;
        if i % 3 == 0 {
            s.run(&debtor, "2026-03-02T15:30:00Z", cease()).await;
        }
    }
    let live = TestStore::new(kind).await;
    s.project(&live, 7).await;
    let report = verify(s.log.clone(), &live).await.unwrap();
    assert!(report.ok, "{report:?}");
    assert_eq!(
        (report.events_read, report.debtors, report.rows_verified),
        (70, 30, 70)
    );
    let m03 = trail(&live, &t("t1"), &d("m03")).await.unwrap();
    let kinds: Vec<(u64, RowKind)> = m03.iter().map(|r| (r.position, r.kind)).collect();
    assert_eq!(
        kinds,
        vec![
            (1, RowKind::Registration),
            (2, RowKind::OptOut),
            (3, RowKind::Cease)
        ]
    );
    assert_eq!(check_chain(&m03), None);
    let fresh = TestStore::new(kind).await;
    s.project(&fresh, 1_000).await;
    assert_eq!(export(&live).await.unwrap(), export(&fresh).await.unwrap());
}
on_both_backends!(many_debtors_in_small_batches_verify_and_rebuild_identically);
