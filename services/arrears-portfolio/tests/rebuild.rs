//! Edge cases of the blue/green swap: a live projector that is behind at
//! the swap is fenced (nothing applied twice) and resumes after a restart;
//! an abandoned build is cleaned up by the next rebuild.

mod support;

use arrears_portfolio::{PortfolioError, export, rebuild_and_swap};
use arrears_views::{ProjectorConfig, ViewError, ViewStore, on_pool, sqlx};
use support::hand::*;
use support::*;

async fn scalar(store: &ViewStore, sql: &'static str) -> i64 {
    on_pool!(store, |pool, Db| {
        sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
    })
}

async fn scenario(kind: Kind) {
    let store = TestStore::new(kind).await;
    let mut s = Script::new(2).await;
    build(&mut s).await;
    project(&s.log, &store).await;

    // A live projector loaded at the current end, then more events arrive
    // and a rebuild swaps in ahead of it.
    let mut stale = arrears_portfolio::projector(s.log.clone(), &store, ProjectorConfig::default())
        .await
        .unwrap();
    later(&mut s).await;
    let report = rebuild_and_swap(s.log.clone(), &store, ProjectorConfig::default())
        .await
        .unwrap();
    assert_eq!(report.generation, 2);
    let swapped = export(&store).await.unwrap();
    match stale.step().await {
        Err(ViewError::CheckpointConflict { projection, .. }) => {
            assert_eq!(projection, "portfolio")
        }
        other => panic!("the stale live projector must be fenced, got {other:?}"),
    }
    assert_eq!(
        export(&store).await.unwrap(),
        swapped,
        "nothing applied twice"
    );
    // Restarted, it resumes from the swapped checkpoints: nothing left to do.
    project(&s.log, &store).await;
    assert_eq!(export(&store).await.unwrap(), swapped);

    // An abandoned build (generation 3 with stray rows) is dropped by the next rebuild.
    on_pool!(&store.store, |pool, Db| {
        sqlx::query("INSERT INTO portfolio_generations (generation, status) VALUES (3, 'building')")
            .execute(pool)
            .await
            .unwrap()
            .rows_affected()
    });
    on_pool!(&store.store, |pool, Db| {
        sqlx::query(
            "INSERT INTO portfolio_debtors (generation, tenant, debtor_id, version) VALUES (3, 't1', 'zz', 1)",
        )
        .execute(pool)
        .await
        .unwrap()
        .rows_affected()
    });
    let report = rebuild_and_swap(s.log.clone(), &store, ProjectorConfig::default())
        .await
        .unwrap();
    assert_eq!((report.previous_generation, report.generation), (2, 4));
    assert_eq!(
        scalar(
            &store,
            "SELECT COUNT(*) FROM portfolio_debtors WHERE generation <> 4"
        )
        .await,
        0
    );
    assert_eq!(
        scalar(
            &store,
            "SELECT COUNT(*) FROM portfolio_generations WHERE status = 'abandoned'"
        )
        .await,
        1
    );
    assert_eq!(
        scalar(
            &store,
            "SELECT COUNT(*) FROM projection_checkpoints WHERE projection <> 'portfolio'"
        )
        .await,
        0,
        "only the live checkpoints remain"
    );
    assert_eq!(export(&store).await.unwrap(), swapped);
}

#[tokio::test]
async fn swap_edges_sqlite() {
    scenario(Kind::Sqlite).await;
}

#[tokio::test]
async fn swap_edges_postgres() {
    scenario(Kind::Postgres).await;
}

#[test]
fn rebuild_errors_say_what_to_do() {
    let e = PortfolioError::RebuildBehind {
        generation: 7,
        attempts: 20,
    };
    assert!(e.to_string().contains("nothing was swapped"), "{e}");
}
