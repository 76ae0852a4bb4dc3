//! The embedded log on SQLite: one file, WAL mode, `synchronous=FULL` so an
//! acknowledged append survives a crash or a power cut.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use arrears_core::cloudevents::LogRecord;
use async_trait::async_trait;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use tokio::sync::{Mutex, watch};
use uuid::Uuid;

use crate::{AppendBatch, EventLog, LogError, StoredRecord};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// The embedded event log. Only one process may write a given file; offsets
/// are assigned under an in-process lock and protected by the primary key.
pub struct SqliteLog {
    pool: SqlitePool,
    partitions: u32,
    /// Next offset per partition; the lock also serialises appends.
    next: Mutex<Vec<u64>>,
    appended: watch::Sender<u64>,
}

impl SqliteLog {
    /// Opens (creating if needed) the log at `path`. The partition count is
    /// fixed at creation; opening with another count is an error, because it
    /// would move debtors to other partitions.
    pub async fn open(path: &Path, partitions: u32) -> Result<SqliteLog, LogError> {
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        Self::connect(options, partitions).await
    }

    /// A private in-memory log (tests, benchmarks).
    pub async fn in_memory(partitions: u32) -> Result<SqliteLog, LogError> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?;
        Self::connect(options, partitions).await
    }

    async fn connect(
        options: SqliteConnectOptions,
        partitions: u32,
    ) -> Result<SqliteLog, LogError> {
        if partitions == 0 {
            return Err(LogError::Config(
                "the partition count must be at least 1".into(),
            ));
        }
        // In-memory databases are per connection: keep exactly one.
        let max = if options.get_filename() == Path::new(":memory:") {
            1
        } else {
            4
        };
        let pool = SqlitePoolOptions::new()
            .max_connections(max)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| LogError::Storage(format!("migrating the event log: {e}")))?;

        let stored: Option<String> =
            sqlx::query_scalar("SELECT value FROM log_meta WHERE name = 'partitions'")
                .fetch_optional(&pool)
                .await?;
        match stored {
            Some(v) if v != partitions.to_string() => {
                return Err(LogError::Config(format!(
                    "this log was created with {v} partitions, not {partitions}; \
                     the partition count is fixed at creation"
                )));
            }
            Some(_) => {}
            None => {
                sqlx::query("INSERT INTO log_meta (name, value) VALUES ('partitions', ?)")
                    .bind(partitions.to_string())
                    .execute(&pool)
                    .await?;
            }
        }
        let mut next = vec![0u64; partitions as usize];
        let rows = sqlx::query(
            r#"SELECT partition, MAX("offset") + 1 AS next FROM events GROUP BY partition"#,
        )
        .fetch_all(&pool)
        .await?;
        for row in rows {
            let p: i64 = row.get("partition");
            let n: i64 = row.get("next");
            if let Some(slot) = next.get_mut(p as usize) {
                *slot = n as u64;
            }
        }
        let total: u64 = next.iter().sum();
        let (appended, _) = watch::channel(total);
        Ok(SqliteLog {
            pool,
            partitions,
            next: Mutex::new(next),
            appended,
        })
    }

    /// The underlying pool (the embedded views live in the same file).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    fn check_partition(&self, partition: u32) -> Result<(), LogError> {
        if partition < self.partitions {
            Ok(())
        } else {
            Err(LogError::NoSuchPartition {
                partition,
                partitions: self.partitions,
            })
        }
    }
}

#[async_trait]
impl EventLog for SqliteLog {
    fn partitions(&self) -> u32 {
        self.partitions
    }

    async fn append(&self, batch: AppendBatch) -> Result<Vec<(u32, u64)>, LogError> {
        let mut next = self.next.lock().await;
        let mut planned = next.clone();
        let mut positions = Vec::with_capacity(batch.events.len());
        let mut tx = self.pool.begin().await?;
        for record in &batch.events {
            let partition = self.partition_of(&record.key);
            let offset = planned[partition as usize];
            planned[partition as usize] += 1;
            let headers = serde_json::to_string(&record.headers)
                .map_err(|e| LogError::Storage(e.to_string()))?;
            sqlx::query(
                r#"INSERT INTO events (partition, "offset", key, ce_id, ce_type, ce_time, headers, value)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?)"#,
            )
            .bind(partition as i64)
            .bind(offset as i64)
            .bind(&record.key)
            .bind(record.header("ce_id").unwrap_or_default())
            .bind(record.header("ce_type").unwrap_or_default())
            .bind(record.header("ce_time").unwrap_or_default())
            .bind(headers)
            .bind(&record.value)
            .execute(&mut *tx)
            .await?;
            positions.push((partition, offset));
        }
        for reply in &batch.replies {
            sqlx::query("INSERT OR REPLACE INTO replies (command_id, key, reply) VALUES (?, ?, ?)")
                .bind(reply.command_id.to_string())
                .bind(&reply.key)
                .bind(&reply.value)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        // Only a committed append moves the offsets; a failed one leaves no trace.
        *next = planned;
        if !positions.is_empty() {
            self.appended.send_modify(|n| *n += positions.len() as u64);
        }
        Ok(positions)
    }

    async fn read(
        &self,
        partition: u32,
        from: u64,
        max: usize,
    ) -> Result<Vec<StoredRecord>, LogError> {
        self.check_partition(partition)?;
        let rows = sqlx::query(
            r#"SELECT "offset", key, headers, value FROM events
               WHERE partition = ? AND "offset" >= ? ORDER BY "offset" LIMIT ?"#,
        )
        .bind(partition as i64)
        .bind(from as i64)
        .bind(max.min(i64::MAX as usize) as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|row| {
                let headers: String = row.get("headers");
                let headers: Vec<(String, String)> = serde_json::from_str(&headers)
                    .map_err(|e| LogError::Storage(format!("stored headers: {e}")))?;
                let offset: i64 = row.get("offset");
                Ok(StoredRecord {
                    partition,
                    offset: offset as u64,
                    record: LogRecord {
                        key: row.get("key"),
                        headers,
                        value: row.get("value"),
                    },
                })
            })
            .collect()
    }

    async fn end_offset(&self, partition: u32) -> Result<u64, LogError> {
        self.check_partition(partition)?;
        Ok(self.next.lock().await[partition as usize])
    }

    fn appended(&self) -> watch::Receiver<u64> {
        self.appended.subscribe()
    }

    async fn reply(&self, command_id: Uuid) -> Result<Option<Vec<u8>>, LogError> {
        Ok(
            sqlx::query_scalar("SELECT reply FROM replies WHERE command_id = ?")
                .bind(command_id.to_string())
                .fetch_optional(&self.pool)
                .await?,
        )
    }
}
