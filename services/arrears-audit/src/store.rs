//! The audit tables on either backend: migrations, the append, and the readers.
//!
//! The audit migrations are tracked in their own table
//! ([`MIGRATIONS_TABLE`]): the embedded log's migrator owns
//! `_sqlx_migrations` and the views' owns `_arrears_views_migrations`, and
//! each refuses versions it does not know, so they cannot share one.

use std::path::Path;

use arrears_core::{DebtorId, TenantId};
use arrears_views::{ViewStore, ViewTx, on_backend, on_pool};
use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;
use sqlx::migrate::Migrator;

use crate::error::AuditError;
use crate::row::{AuditRow, Kind, parse_verdict, verdict_text};

/// The table that tracks the audit migrations (version 2001) on both backends.
pub const MIGRATIONS_TABLE: &str = "_arrears_audit_migrations";

/// The audit trail table.
pub const TRAIL_TABLE: &str = "audit_trail";

/// Rows per INSERT statement: 12 binds each stays far below both backends'
/// parameter limits.
const CHUNK: usize = 500;

fn sqlite_migrator() -> Migrator {
    let mut m = sqlx::migrate!("./migrations/sqlite");
    m.dangerous_set_table_name(MIGRATIONS_TABLE);
    m
}

fn postgres_migrator() -> Migrator {
    let mut m = sqlx::migrate!("./migrations/postgres");
    m.dangerous_set_table_name(MIGRATIONS_TABLE);
    m
}

/// Applies the audit migrations to a view store. The store's own
/// constructors (`ViewStore::sqlite`, `connect_postgres`, ...) have already
/// run the views migrations, which the projector runtime needs first (its
/// checkpoint table). Idempotent.
pub async fn migrate(store: &ViewStore) -> Result<(), AuditError> {
    match store {
        ViewStore::Sqlite(pool) => sqlite_migrator().run(pool).await?,
        ViewStore::Postgres(pool) => postgres_migrator().run(pool).await?,
    }
    Ok(())
}

/// Opens a SQLite view store file and applies both migrations (views, then audit).
pub async fn open_sqlite(path: &Path) -> Result<ViewStore, AuditError> {
    let store = ViewStore::open_sqlite(path).await?;
    migrate(&store).await?;
    Ok(store)
}

/// Connects to PostgreSQL and applies both migrations (views, then audit).
pub async fn connect_postgres(url: &str) -> Result<ViewStore, AuditError> {
    let store = ViewStore::connect_postgres(url).await?;
    migrate(&store).await?;
    Ok(store)
}

/// The tail of a debtor's chain: what the next row links to.
#[derive(Debug, Clone)]
pub(crate) struct Head {
    pub position: u64,
    pub hash: String,
    pub sequence: u64,
}

/// Debtors per head lookup: 2 binds each.
const HEAD_CHUNK: usize = 500;

/// The chain heads of `keys` (tenant, debtor), in one query per chunk:
/// a batch touching many debtors costs a few round trips, not one per debtor.
/// Debtors without rows are absent from the result.
pub(crate) async fn load_heads(
    tx: &mut ViewTx,
    keys: &[(String, String)],
) -> Result<Vec<((String, String), Head)>, AuditError> {
    let mut out = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(HEAD_CHUNK) {
        let rows: Vec<(String, String, i64, String, i64)> = on_backend!(&mut *tx, |c, Db| {
            let mut qb = QueryBuilder::<Db>::new(
                "SELECT a.tenant, a.debtor_id, a.position, a.hash, a.sequence FROM audit_trail a \
                 WHERE a.position = (SELECT MAX(b.position) FROM audit_trail b \
                 WHERE b.tenant = a.tenant AND b.debtor_id = a.debtor_id) \
                 AND (a.tenant, a.debtor_id) IN (",
            );
            for (i, (tenant, debtor)) in chunk.iter().enumerate() {
                if i > 0 {
                    qb.push(", ");
                }
                qb.push("(");
                qb.push_bind(tenant.as_str());
                qb.push(", ");
                qb.push_bind(debtor.as_str());
                qb.push(")");
            }
            qb.push(")");
            qb.build_query_as().fetch_all(&mut *c).await?
        });
        out.extend(
            rows.into_iter()
                .map(|(tenant, debtor, position, hash, sequence)| {
                    (
                        (tenant, debtor),
                        Head {
                            position: position as u64,
                            hash,
                            sequence: sequence as u64,
                        },
                    )
                }),
        );
    }
    Ok(out)
}

pub(crate) async fn insert_rows(tx: &mut ViewTx, rows: &[AuditRow]) -> Result<(), AuditError> {
    for chunk in rows.chunks(CHUNK) {
        on_backend!(&mut *tx, |c, Db| {
            let mut qb = QueryBuilder::<Db>::new(
                "INSERT INTO audit_trail (tenant, debtor_id, position, event_id, event_type, kind, \
                 sequence, event_time, verdict, violation, content, prev_hash, hash) ",
            );
            qb.push_values(chunk, |mut b, r| {
                b.push_bind(r.tenant.as_str())
                    .push_bind(r.debtor_id.as_str())
                    .push_bind(r.position as i64)
                    .push_bind(r.event_id.as_str())
                    .push_bind(r.event_type.as_str())
                    .push_bind(r.kind.as_str())
                    .push_bind(r.sequence as i64)
                    .push_bind(r.event_time)
                    .push_bind(verdict_text(r.verdict))
                    .push_bind(r.violation)
                    .push_bind(r.content.as_str())
                    .push_bind(r.prev_hash.as_str())
                    .push_bind(r.hash.as_str());
            });
            qb.build().execute(&mut *c).await?.rows_affected()
        });
    }
    Ok(())
}

pub(crate) type Raw = (
    String,
    String,
    i64,
    String,
    String,
    String,
    i64,
    DateTime<Utc>,
    Option<String>,
    bool,
    String,
    String,
    String,
);

pub(crate) fn decode_row(raw: Raw) -> Result<AuditRow, AuditError> {
    let (
        tenant,
        debtor_id,
        position,
        event_id,
        event_type,
        kind,
        sequence,
        event_time,
        verdict,
        violation,
        content,
        prev_hash,
        hash,
    ) = raw;
    let corrupt = |reason: String| AuditError::Corrupt {
        what: format!("{tenant}/{debtor_id} position {position}"),
        reason,
    };
    let kind = Kind::parse(&kind).ok_or_else(|| corrupt(format!("unknown kind `{kind}`")))?;
    let verdict = parse_verdict(verdict.as_deref()).map_err(corrupt)?;
    Ok(AuditRow {
        position: position as u64,
        sequence: sequence as u64,
        tenant,
        debtor_id,
        event_id,
        event_type,
        kind,
        event_time,
        verdict,
        violation,
        content,
        prev_hash,
        hash,
    })
}

/// The audit trail of one debtor, ordered by chain position: the body of
/// `GET /v1/audit/debtors/{id}`. Always filtered by tenant AND debtor, so a
/// tenant never sees another tenant's trail. Empty when nothing is known.
///
/// The rows are returned as stored; to know whether they are intact, run
/// [`crate::verify()`] (or [`crate::check_chain`] without the log).
pub async fn trail(
    store: &ViewStore,
    tenant: &TenantId,
    debtor: &DebtorId,
) -> Result<Vec<AuditRow>, AuditError> {
    let rows: Vec<Raw> = on_pool!(store, |pool, Db| {
        sqlx::query_as(
            "SELECT tenant, debtor_id, position, event_id, event_type, kind, sequence, \
             event_time, verdict, violation, content, prev_hash, hash FROM audit_trail \
             WHERE tenant = $1 AND debtor_id = $2 ORDER BY position",
        )
        .bind(tenant.as_str())
        .bind(debtor.as_str())
        .fetch_all(pool)
        .await?
    });
    rows.into_iter().map(decode_row).collect()
}

/// Every row of the trail, ordered by tenant, debtor and position (byte
/// order on both backends), e.g. to compare a rebuilt trail with the live
/// one or SQLite with PostgreSQL.
pub async fn export(store: &ViewStore) -> Result<Vec<AuditRow>, AuditError> {
    let rows: Vec<Raw> = on_pool!(store, |pool, Db| {
        sqlx::query_as(
            "SELECT tenant, debtor_id, position, event_id, event_type, kind, sequence, \
             event_time, verdict, violation, content, prev_hash, hash FROM audit_trail \
             ORDER BY tenant, debtor_id, position",
        )
        .fetch_all(pool)
        .await?
    });
    rows.into_iter().map(decode_row).collect()
}
