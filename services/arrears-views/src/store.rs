//! The view store: where projections keep their tables, checkpoints and dead
//! letters, on SQLite (embedded) or PostgreSQL (production) (DESIGN D7).
//!
//! It is an enum over the two sqlx pools rather than a trait generic over
//! `sqlx::Database`: both backends accept the same SQL text (`$1`
//! placeholders, `ON CONFLICT ... DO UPDATE`, `excluded.`), so projection
//! code is written once and expanded per backend by [`on_backend!`] and
//! [`on_pool!`], and every query is checked by the compiler for both.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use arrears_core::cloudevents::LogRecord;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::types::Json;
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};

use crate::error::ViewError;

/// The table that tracks this crate's migrations on both backends. Not
/// `_sqlx_migrations`: the embedded log's migrator owns that one in the same
/// SQLite file and fails on versions it does not know.
pub const MIGRATIONS_TABLE: &str = "_arrears_views_migrations";

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

/// Which database a [`ViewStore`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A migrated view store. Cheap to clone (it is a pool).
#[derive(Debug, Clone)]
pub enum ViewStore {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// One write transaction on the view store: a batch of view rows, dead
/// letters and checkpoints commit together or not at all.
#[derive(Debug)]
pub enum ViewTx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// Runs `$body` once per backend with `$c` bound to the transaction's
/// connection (`&mut SqliteConnection` or `&mut PgConnection`) and `$db` to
/// the sqlx database type. Both expansions must have the same result type.
///
/// ```no_run
/// # async fn demo(tx: &mut arrears_views::ViewTx) -> Result<(), arrears_views::ViewError> {
/// use arrears_views::{on_backend, sqlx};
/// let deleted: u64 = on_backend!(tx, |c, Db| {
///     sqlx::query("DELETE FROM debtors WHERE tenant = $1")
///         .bind("t1")
///         .execute(&mut *c)
///         .await?
///         .rows_affected()
/// });
/// # Ok(()) }
/// ```
#[macro_export]
macro_rules! on_backend {
    ($tx:expr, |$c:ident, $db:ident| $body:expr) => {
        match $tx {
            $crate::ViewTx::Sqlite(tx) => {
                #[allow(dead_code)]
                type $db = $crate::sqlx::Sqlite;
                let $c: &mut $crate::sqlx::SqliteConnection = &mut *tx;
                $body
            }
            $crate::ViewTx::Postgres(tx) => {
                #[allow(dead_code)]
                type $db = $crate::sqlx::Postgres;
                let $c: &mut $crate::sqlx::PgConnection = &mut *tx;
                $body
            }
        }
    };
}

/// Like [`on_backend!`] for reads outside a transaction: `$p` is the pool.
#[macro_export]
macro_rules! on_pool {
    ($store:expr, |$p:ident, $db:ident| $body:expr) => {
        match $store {
            $crate::ViewStore::Sqlite(pool) => {
                #[allow(dead_code)]
                type $db = $crate::sqlx::Sqlite;
                let $p: &$crate::sqlx::SqlitePool = pool;
                $body
            }
            $crate::ViewStore::Postgres(pool) => {
                #[allow(dead_code)]
                type $db = $crate::sqlx::Postgres;
                let $p: &$crate::sqlx::PgPool = pool;
                $body
            }
        }
    };
}

/// A dead letter as stored in the `dead_letters` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDeadLetter {
    /// Increasing id: a forwarder can tail the table with `id > cursor`.
    pub id: i64,
    pub projection: String,
    pub version: u32,
    pub topic: String,
    pub partition: u32,
    pub offset: u64,
    pub record: LogRecord,
    pub reason: String,
}

impl ViewStore {
    /// Uses `pool` (for instance [`arrears_log::SqliteLog::pool`], so the
    /// views share the log's file) and applies the view migrations.
    pub async fn sqlite(pool: SqlitePool) -> Result<ViewStore, ViewError> {
        sqlite_migrator().run(&pool).await?;
        Ok(ViewStore::Sqlite(pool))
    }

    /// Opens (creating if needed) a SQLite file of its own for the views.
    /// WAL and `synchronous=FULL`, like the log: a committed checkpoint must
    /// survive a power cut together with the rows it accounts for.
    pub async fn open_sqlite(path: &Path) -> Result<ViewStore, ViewError> {
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        ViewStore::sqlite(pool).await
    }

    /// A private in-memory SQLite store (tests, rebuild checks).
    pub async fn sqlite_in_memory() -> Result<ViewStore, ViewError> {
        // An in-memory database lives and dies with its connection: keep one.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(SqliteConnectOptions::from_str("sqlite::memory:")?)
            .await?;
        ViewStore::sqlite(pool).await
    }

    /// Uses `pool` and applies the view migrations (in the first schema of
    /// the connection's `search_path`).
    pub async fn postgres(pool: PgPool) -> Result<ViewStore, ViewError> {
        postgres_migrator().run(&pool).await?;
        Ok(ViewStore::Postgres(pool))
    }

    /// Connects to `url` (e.g. `ARREARS_DATABASE_URL`) and migrates.
    pub async fn connect_postgres(url: &str) -> Result<ViewStore, ViewError> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        ViewStore::postgres(pool).await
    }

    pub fn backend(&self) -> Backend {
        match self {
            ViewStore::Sqlite(_) => Backend::Sqlite,
            ViewStore::Postgres(_) => Backend::Postgres,
        }
    }

    /// Starts a write transaction. On SQLite it is `BEGIN IMMEDIATE`: the
    /// projector reads before it writes, and a deferred transaction whose
    /// snapshot went stale (the ledger appended to the same file meanwhile)
    /// could not be upgraded to a writer and would fail with `SQLITE_BUSY`.
    pub async fn begin(&self) -> Result<ViewTx, ViewError> {
        Ok(match self {
            ViewStore::Sqlite(pool) => ViewTx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            ViewStore::Postgres(pool) => ViewTx::Postgres(pool.begin().await?),
        })
    }

    /// The committed checkpoints of a projection: partition → next offset.
    pub async fn checkpoints(
        &self,
        projection: &str,
        version: u32,
        topic: &str,
    ) -> Result<BTreeMap<u32, u64>, ViewError> {
        let rows: Vec<(i64, i64)> = on_pool!(self, |pool, Db| {
            sqlx::query_as(
                "SELECT partition, next_offset FROM projection_checkpoints
                 WHERE projection = $1 AND version = $2 AND topic = $3 ORDER BY partition",
            )
            .bind(projection)
            .bind(i64::from(version))
            .bind(topic)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(p, n)| (p as u32, n as u64))
            .collect())
    }

    /// Dead letters with `id > after_id`, oldest first, at most `limit`.
    /// A forwarder that must not miss any (at-least-once) keeps its own
    /// cursor and tails this table.
    pub async fn dead_letters(
        &self,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<StoredDeadLetter>, ViewError> {
        type Raw = (
            i64,
            String,
            i64,
            String,
            i64,
            i64,
            String,
            Json<Vec<(String, String)>>,
            Vec<u8>,
            String,
        );
        let rows: Vec<Raw> = on_pool!(self, |pool, Db| {
            sqlx::query_as(
                r#"SELECT id, projection, version, topic, partition, "offset", key, headers, value, reason
                   FROM dead_letters WHERE id > $1 ORDER BY id LIMIT $2"#,
            )
            .bind(after_id)
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(
                    id,
                    projection,
                    version,
                    topic,
                    partition,
                    offset,
                    key,
                    headers,
                    value,
                    reason,
                )| {
                    StoredDeadLetter {
                        id,
                        projection,
                        version: version as u32,
                        topic,
                        partition: partition as u32,
                        offset: offset as u64,
                        record: LogRecord {
                            key,
                            headers: headers.0,
                            value,
                        },
                        reason,
                    }
                },
            )
            .collect())
    }

    /// Closes the pool (waits for connections to be returned).
    pub async fn close(&self) {
        match self {
            ViewStore::Sqlite(pool) => pool.close().await,
            ViewStore::Postgres(pool) => pool.close().await,
        }
    }
}

impl ViewTx {
    pub fn backend(&self) -> Backend {
        match self {
            ViewTx::Sqlite(_) => Backend::Sqlite,
            ViewTx::Postgres(_) => Backend::Postgres,
        }
    }

    pub async fn commit(self) -> Result<(), ViewError> {
        match self {
            ViewTx::Sqlite(tx) => tx.commit().await?,
            ViewTx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }

    pub async fn rollback(self) -> Result<(), ViewError> {
        match self {
            ViewTx::Sqlite(tx) => tx.rollback().await?,
            ViewTx::Postgres(tx) => tx.rollback().await?,
        }
        Ok(())
    }

    /// Creates the checkpoint rows of `partitions` at offset 0 where missing,
    /// so every later move is a conditional `UPDATE` (see [`Self::advance_checkpoint`]).
    pub(crate) async fn ensure_checkpoints(
        &mut self,
        projection: &str,
        version: u32,
        topic: &str,
        partitions: &[u32],
    ) -> Result<(), ViewError> {
        for &p in partitions {
            on_backend!(self, |c, Db| {
                sqlx::query(
                    "INSERT INTO projection_checkpoints (projection, version, topic, partition, next_offset)
                     VALUES ($1, $2, $3, $4, 0) ON CONFLICT DO NOTHING",
                )
                .bind(projection)
                .bind(i64::from(version))
                .bind(topic)
                .bind(i64::from(p))
                .execute(&mut *c)
                .await?
                .rows_affected()
            });
        }
        Ok(())
    }

    /// Moves a checkpoint from `from` to `to`, only if it is still at `from`.
    /// The condition is the fence against a second instance of the same
    /// projection: on PostgreSQL its `UPDATE` waits for ours and then finds
    /// the row moved, so it rolls back instead of applying the batch twice.
    pub(crate) async fn advance_checkpoint(
        &mut self,
        projection: &str,
        version: u32,
        topic: &str,
        partition: u32,
        from: u64,
        to: u64,
    ) -> Result<(), ViewError> {
        let done = on_backend!(self, |c, Db| {
            sqlx::query(
                "UPDATE projection_checkpoints SET next_offset = $5
                 WHERE projection = $1 AND version = $2 AND topic = $3 AND partition = $4
                   AND next_offset = $6",
            )
            .bind(projection)
            .bind(i64::from(version))
            .bind(topic)
            .bind(i64::from(partition))
            .bind(to as i64)
            .bind(from as i64)
            .execute(&mut *c)
            .await?
            .rows_affected()
        });
        if done == 1 {
            Ok(())
        } else {
            Err(ViewError::CheckpointConflict {
                projection: projection.to_string(),
                version,
                partition,
                expected: from,
            })
        }
    }

    pub(crate) async fn load_checkpoints(
        &mut self,
        projection: &str,
        version: u32,
        topic: &str,
    ) -> Result<BTreeMap<u32, u64>, ViewError> {
        let rows: Vec<(i64, i64)> = on_backend!(self, |c, Db| {
            sqlx::query_as(
                "SELECT partition, next_offset FROM projection_checkpoints
                 WHERE projection = $1 AND version = $2 AND topic = $3",
            )
            .bind(projection)
            .bind(i64::from(version))
            .bind(topic)
            .fetch_all(&mut *c)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(p, n)| (p as u32, n as u64))
            .collect())
    }

    pub(crate) async fn insert_dead_letter(
        &mut self,
        letter: &crate::projector::DeadLetter,
    ) -> Result<(), ViewError> {
        on_backend!(self, |c, Db| {
            sqlx::query(
                r#"INSERT INTO dead_letters
                   (projection, version, topic, partition, "offset", key, headers, value, reason)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"#,
            )
            .bind(&letter.projection)
            .bind(i64::from(letter.version))
            .bind(&letter.topic)
            .bind(i64::from(letter.partition))
            .bind(letter.offset as i64)
            .bind(&letter.record.key)
            .bind(Json(&letter.record.headers))
            .bind(&letter.record.value)
            .bind(&letter.reason)
            .execute(&mut *c)
            .await?
            .rows_affected()
        });
        Ok(())
    }
}
