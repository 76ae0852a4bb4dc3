//! The analysts' example queries of docs/ANALYTICS.md (the files in `sql/`),
//! run on the hand-built portfolio on both backends, with exact results, and
//! cross-checked against the Rust API.

mod support;

use arrears_portfolio::{KpiOptions, kpis, summary};
use arrears_views::{ViewStore, on_pool, sqlx};
use support::hand::*;
use support::*;

type AgingRow = (String, Option<String>, String, i64, i64);
type MoveRow = (String, String, String, i64, i64);
type FunnelRow = (Option<String>, i64, i64, i64);

async fn aging_by_product(store: &ViewStore, when: &str) -> Vec<AgingRow> {
    let t = at(when);
    let mut rows: Vec<AgingRow> = match store {
        ViewStore::Sqlite(pool) => {
            sqlx::query_as(include_str!("../sql/aging_by_product.sqlite.sql"))
                .bind("t1")
                .bind(t)
                .bind(t.date_naive())
                .fetch_all(pool)
                .await
                .unwrap()
        }
        ViewStore::Postgres(pool) => {
            sqlx::query_as(include_str!("../sql/aging_by_product.postgres.sql"))
                .bind("t1")
                .bind(t)
                .bind(t.date_naive())
                .fetch_all(pool)
                .await
                .unwrap()
        }
    };
    rows.sort();
    rows
}

async fn roll_rate_matrix(store: &ViewStore) -> Vec<MoveRow> {
    let (f, t) = (at(FROM), at(TO));
    let mut rows: Vec<MoveRow> = match store {
        ViewStore::Sqlite(pool) => {
            sqlx::query_as(include_str!("../sql/roll_rate_matrix.sqlite.sql"))
                .bind("t1")
                .bind(f)
                .bind(f.date_naive())
                .bind(t)
                .bind(t.date_naive())
                .fetch_all(pool)
                .await
                .unwrap()
        }
        ViewStore::Postgres(pool) => {
            sqlx::query_as(include_str!("../sql/roll_rate_matrix.postgres.sql"))
                .bind("t1")
                .bind(f)
                .bind(f.date_naive())
                .bind(t)
                .bind(t.date_naive())
                .fetch_all(pool)
                .await
                .unwrap()
        }
    };
    rows.sort();
    rows
}

async fn promise_funnel(store: &ViewStore, grace: i32) -> Vec<FunnelRow> {
    let (f, t) = (at(FROM), at(TO));
    let mut rows: Vec<FunnelRow> = match store {
        ViewStore::Sqlite(pool) => sqlx::query_as(include_str!("../sql/promise_funnel.sqlite.sql"))
            .bind("t1")
            .bind(f)
            .bind(t)
            .bind(grace)
            .fetch_all(pool)
            .await
            .unwrap(),
        ViewStore::Postgres(pool) => {
            sqlx::query_as(include_str!("../sql/promise_funnel.postgres.sql"))
                .bind("t1")
                .bind(f)
                .bind(t)
                .bind(grace)
                .fetch_all(pool)
                .await
                .unwrap()
        }
    };
    rows.sort();
    rows
}

fn s(x: &str) -> String {
    x.to_string()
}

async fn scenario(kind: Kind) {
    let store = TestStore::new(kind).await;
    let mut sc = Script::new(2).await;
    build(&mut sc).await;
    project(&sc.log, &store).await;

    // Same figures as the summary as of TO (see tests/hand_built.rs).
    let expected_to: Vec<AgingRow> = vec![
        (s("COP"), Some(s("card")), s("31_60"), 1, 150_000),
        (s("COP"), Some(s("card")), s("61_90"), 1, 750_000),
        (s("COP"), Some(s("microcredit")), s("1_30"), 1, 200_000),
        (s("COP"), Some(s("microcredit")), s("current"), 1, 250_000),
        (s("USD"), Some(s("loan")), s("1_30"), 1, 120_000),
    ];
    assert_eq!(aging_by_product(&store, TO).await, expected_to);
    // As of MID: a1 1,050,000 in 31_60; a2 300,000 in 1_30; a6 250,000 current;
    // a4 50,000 in 31_60; a5 120,000 current; a3 paid (absent).
    let expected_mid: Vec<AgingRow> = vec![
        (s("COP"), Some(s("card")), s("31_60"), 1, 1_050_000),
        (s("COP"), Some(s("microcredit")), s("1_30"), 1, 300_000),
        (s("COP"), Some(s("microcredit")), s("current"), 1, 250_000),
        (s("USD"), Some(s("card")), s("31_60"), 1, 50_000),
        (s("USD"), Some(s("loan")), s("current"), 1, 120_000),
    ];
    assert_eq!(aging_by_product(&store, MID).await, expected_mid);

    // The SQL agrees with the API, bucket by bucket.
    let t1 = arrears_core::TenantId::new("t1").unwrap();
    for when in [FROM, MID, TO] {
        let api = summary(&store, &t1, at(when)).await.unwrap();
        let mut from_api: Vec<AgingRow> = Vec::new();
        for c in &api.currencies {
            for seg in &c.by_product {
                for b in seg.aging.iter().filter(|b| b.accounts > 0) {
                    from_api.push((
                        c.currency.clone(),
                        seg.segment.clone(),
                        b.bucket.as_str().to_string(),
                        b.accounts,
                        b.balance_minor,
                    ));
                }
            }
        }
        from_api.sort();
        assert_eq!(
            aging_by_product(&store, when).await,
            from_api,
            "as of {when}"
        );
    }

    // Roll-rate matrix = the KPI transitions.
    let expected_moves: Vec<MoveRow> = vec![
        (s("COP"), s("1_30"), s("1_30"), 1, 400_000),
        (s("COP"), s("1_30"), s("31_60"), 1, 150_000),
        (s("COP"), s("31_60"), s("61_90"), 1, 1_000_000),
        (s("COP"), s("current"), s("current"), 1, 500_000),
        (s("USD"), s("1_30"), s("paid"), 1, 80_000),
    ];
    assert_eq!(roll_rate_matrix(&store).await, expected_moves);
    let k = kpis(&store, &t1, at(FROM), at(TO), &KpiOptions::default())
        .await
        .unwrap();
    let mut from_api: Vec<MoveRow> = k
        .currencies
        .iter()
        .flat_map(|c| {
            c.transitions.iter().map(|t| {
                (
                    c.currency.clone(),
                    t.from.as_str().to_string(),
                    t.to.to_string(),
                    t.accounts,
                    t.balance_minor,
                )
            })
        })
        .collect();
    from_api.sort();
    assert_eq!(from_api, expected_moves);

    // Promise funnel, grace 3: p1 (ana) kept 03-18 before 03-24; p2 (ben)
    // kept 03-25, after its deadline 03-14; p3 (cy) kept on time; p4 (cy) not kept.
    assert_eq!(
        promise_funnel(&store, 3).await,
        vec![
            (Some(s("ana")), 1, 1, 1),
            (Some(s("ben")), 1, 1, 0),
            (Some(s("cy")), 2, 1, 1),
        ]
    );
    // Grace 15: p2's deadline is 03-26, so it was kept on time.
    assert_eq!(
        promise_funnel(&store, 15).await,
        vec![
            (Some(s("ana")), 1, 1, 1),
            (Some(s("ben")), 1, 1, 1),
            (Some(s("cy")), 2, 1, 1),
        ]
    );

    // The portable quick queries.
    let (f, t) = (at(FROM), at(TO));
    let collected: Vec<(String, String, i64)> = on_pool!(&store.store, |pool, Db| {
        sqlx::query_as(include_str!("../sql/collected_by_method.sql"))
            .bind("t1")
            .bind(f)
            .bind(t)
            .fetch_all(pool)
            .await
            .unwrap()
    });
    let row = |c: &str, m: &str, v: i64| (s(c), s(m), v);
    assert_eq!(
        collected,
        vec![
            row("COP", "bank_transfer", 100_000),
            row("COP", "card", 300_000),
            row("COP", "cash", 0),
            row("COP", "direct_debit", 250_000),
            row("COP", "pse", 100_000),
            row("USD", "card", 30_000),
            row("USD", "wallet", 55_000),
        ]
    );
    let received: Vec<(String, String, i64)> = on_pool!(&store.store, |pool, Db| {
        sqlx::query_as(include_str!("../sql/received_by_method.sql"))
            .bind("t1")
            .bind(f)
            .bind(t)
            .fetch_all(pool)
            .await
            .unwrap()
    });
    assert_eq!(
        received,
        vec![
            row("COP", "bank_transfer", 100_000),
            row("COP", "card", 300_000),
            row("COP", "direct_debit", 250_000),
            row("COP", "pse", 100_000),
            row("USD", "card", 30_000),
            row("USD", "wallet", 55_000),
        ]
    );
    let rpc: Vec<(Option<String>, i64, i64)> = on_pool!(&store.store, |pool, Db| {
        sqlx::query_as(include_str!("../sql/rpc_by_agent.sql"))
            .bind("t1")
            .bind(f)
            .bind(t)
            .fetch_all(pool)
            .await
            .unwrap()
    });
    assert_eq!(
        rpc,
        vec![
            (Some(s("ana")), 2, 1),
            (Some(s("ben")), 1, 1),
            (Some(s("cy")), 2, 1)
        ]
    );

    // The views show the active generation only, without `generation`.
    let payments: i64 = on_pool!(&store.store, |pool, Db| {
        sqlx::query_scalar("SELECT COUNT(*) FROM portfolio_payments_v1 WHERE tenant = 't1'")
            .fetch_one(pool)
            .await
            .unwrap()
    });
    assert_eq!(payments, 7);
    let contacts: i64 = on_pool!(&store.store, |pool, Db| {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM portfolio_contacts_v1 WHERE tenant = 't1' AND outcome = 'right_party_contact'",
        )
        .fetch_one(pool)
        .await
        .unwrap()
    });
    assert_eq!(contacts, 4);
    for view in [
        "portfolio_debtors_v1",
        "portfolio_accounts_v1",
        "portfolio_items_v1",
        "portfolio_allocations_v1",
        "portfolio_promises_v1",
        "portfolio_disputes_v1",
    ] {
        let n: i64 = on_pool!(&store.store, |pool, Db| {
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {view}")))
                .fetch_one(pool)
                .await
                .unwrap()
        });
        assert!(n > 0, "{view} is empty");
    }
}

#[tokio::test]
async fn example_queries_sqlite() {
    scenario(Kind::Sqlite).await;
}

#[tokio::test]
async fn example_queries_postgres() {
    scenario(Kind::Postgres).await;
}

/// docs/ANALYTICS.md shows exactly the SQL these tests run.
#[test]
fn the_documented_queries_are_the_tested_ones() {
    let doc = include_str!("../../../docs/ANALYTICS.md");
    for (name, sql) in [
        (
            "aging_by_product.postgres",
            include_str!("../sql/aging_by_product.postgres.sql"),
        ),
        (
            "roll_rate_matrix.postgres",
            include_str!("../sql/roll_rate_matrix.postgres.sql"),
        ),
        (
            "promise_funnel.postgres",
            include_str!("../sql/promise_funnel.postgres.sql"),
        ),
        (
            "collected_by_method",
            include_str!("../sql/collected_by_method.sql"),
        ),
        (
            "received_by_method",
            include_str!("../sql/received_by_method.sql"),
        ),
        ("rpc_by_agent", include_str!("../sql/rpc_by_agent.sql")),
    ] {
        assert!(
            doc.contains(sql.trim_end()),
            "docs/ANALYTICS.md lacks sql/{name}.sql"
        );
    }
}
