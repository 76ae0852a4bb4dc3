//! The `debtors` projection: the debtor read model behind `GET /v1/debtors/{id}`.
//!
//! One row per `{tenant, debtor_id}` holding the full [`DebtorState`] as JSON
//! (so the view is exactly what the ledger would compute, via the same
//! `apply`) plus a few plain columns for analysts. A batch loads the current
//! states of its debtors in one query, folds the events in and upserts the
//! changed rows in one statement per chunk.

use std::collections::{BTreeMap, BTreeSet};

use arrears_core::view::DebtorView;
use arrears_core::{DebtorId, DebtorState, TenantId};
use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};
use sqlx::types::Json;
use sqlx::{QueryBuilder, Row};

use crate::error::ViewError;
use crate::projector::{Positioned, Projection};
use crate::store::{ViewStore, ViewTx};
use crate::{on_backend, on_pool};

/// Debtors per load or upsert statement: 7 binds each stays far below both
/// SQLite's (32,766) and PostgreSQL's (65,535) parameter limits.
const CHUNK: usize = 500;

/// The `debtors` projection, version 1.
#[derive(Debug, Clone, Copy, Default)]
pub struct DebtorsProjection;

impl DebtorsProjection {
    pub const NAME: &'static str = "debtors";
    pub const VERSION: u32 = 1;
}

type Key = (String, String);

struct Current {
    state: DebtorState,
    updated_at: Option<DateTime<Utc>>,
}

#[async_trait]
impl Projection for DebtorsProjection {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn version(&self) -> u32 {
        Self::VERSION
    }

    async fn apply(&self, tx: &mut ViewTx, events: &[Positioned]) -> Result<(), ViewError> {
        let keys: BTreeSet<Key> = events
            .iter()
            .map(|p| {
                (
                    p.event.tenant.as_str().to_string(),
                    p.event.debtor_id.as_str().to_string(),
                )
            })
            .collect();
        let keys: Vec<Key> = keys.into_iter().collect();
        let mut current: BTreeMap<Key, Current> = BTreeMap::new();
        for chunk in keys.chunks(CHUNK) {
            for (key, state) in load_states(tx, chunk).await? {
                current.insert(
                    key,
                    Current {
                        state,
                        updated_at: None,
                    },
                );
            }
        }

        let mut changed = BTreeSet::new();
        for p in events {
            let e = &p.event;
            let key = (
                e.tenant.as_str().to_string(),
                e.debtor_id.as_str().to_string(),
            );
            let entry = current.entry(key.clone()).or_insert_with(|| Current {
                state: DebtorState::default(),
                updated_at: None,
            });
            let have = entry.state.version;
            if e.sequence <= have {
                // Already in the view. Cannot happen through the checkpoint
                // protocol; kept so a replayed record can never apply twice.
                tracing::warn!(
                    partition = p.partition, offset = p.offset, key = %e.key(),
                    sequence = e.sequence, version = have, "event already applied; skipped"
                );
                continue;
            }
            if e.sequence != have + 1 {
                return Err(ViewError::SequenceGap {
                    partition: p.partition,
                    offset: p.offset,
                    tenant: key.0,
                    debtor_id: key.1,
                    have,
                    got: e.sequence,
                });
            }
            entry.state.apply(e);
            // Microseconds: what PostgreSQL keeps, so both backends agree.
            entry.updated_at = Some(e.time.trunc_subsecs(6));
            changed.insert(key);
        }

        let rows: Vec<(&Key, &DebtorState, DateTime<Utc>)> = changed
            .iter()
            .filter_map(|k| {
                let c = current.get(k)?;
                Some((k, &c.state, c.updated_at?))
            })
            .collect();
        for chunk in rows.chunks(CHUNK) {
            upsert(tx, chunk).await?;
        }
        Ok(())
    }
}

async fn load_states(tx: &mut ViewTx, keys: &[Key]) -> Result<Vec<(Key, DebtorState)>, ViewError> {
    let rows: Vec<(String, String, Json<DebtorState>)> = on_backend!(tx, |c, Db| {
        let mut qb = QueryBuilder::<Db>::new(
            "SELECT tenant, debtor_id, state FROM debtors WHERE (tenant, debtor_id) IN (",
        );
        for (i, (tenant, debtor)) in keys.iter().enumerate() {
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
        let rows = qb.build().fetch_all(&mut *c).await?;
        rows.iter()
            .map(|r| Ok::<_, sqlx::Error>((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect::<Result<Vec<_>, _>>()?
    });
    Ok(rows
        .into_iter()
        .map(|(t, d, Json(state))| ((t, d), state))
        .collect())
}

async fn upsert(
    tx: &mut ViewTx,
    rows: &[(&Key, &DebtorState, DateTime<Utc>)],
) -> Result<(), ViewError> {
    on_backend!(tx, |c, Db| {
        let mut qb = QueryBuilder::<Db>::new(
            "INSERT INTO debtors (tenant, debtor_id, version, jurisdiction, time_zone, updated_at, state) ",
        );
        qb.push_values(rows, |mut b, (key, state, updated_at)| {
            let profile = state.profile.as_ref();
            b.push_bind(key.0.as_str())
                .push_bind(key.1.as_str())
                .push_bind(state.version as i64)
                .push_bind(profile.map(|p| p.jurisdiction.as_str()))
                .push_bind(profile.map(|p| p.time_zone.as_str()))
                .push_bind(*updated_at)
                .push_bind(Json(*state));
        });
        qb.push(
            " ON CONFLICT (tenant, debtor_id) DO UPDATE SET version = excluded.version, \
             jurisdiction = excluded.jurisdiction, time_zone = excluded.time_zone, \
             updated_at = excluded.updated_at, state = excluded.state",
        );
        qb.build().execute(&mut *c).await?.rows_affected()
    });
    Ok(())
}

/// Reads the debtor read model. Every lookup is by tenant AND debtor: one
/// tenant can never read another's debtor, even with a guessed id.
#[derive(Debug, Clone)]
pub struct DebtorViewReader {
    store: ViewStore,
}

impl DebtorViewReader {
    pub fn new(store: ViewStore) -> DebtorViewReader {
        DebtorViewReader { store }
    }

    /// The stored state of a debtor, `None` if the view has no event of it.
    pub async fn state(
        &self,
        tenant: &TenantId,
        id: &DebtorId,
    ) -> Result<Option<DebtorState>, ViewError> {
        let row: Option<Json<DebtorState>> = on_pool!(&self.store, |pool, Db| {
            sqlx::query_scalar("SELECT state FROM debtors WHERE tenant = $1 AND debtor_id = $2")
                .bind(tenant.as_str())
                .bind(id.as_str())
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(|Json(s)| s))
    }

    /// The debtor as `GET /v1/debtors/{id}` shows it; `None` when unknown
    /// (or known only by events before registration).
    pub async fn debtor(
        &self,
        tenant: &TenantId,
        id: &DebtorId,
    ) -> Result<Option<DebtorView>, ViewError> {
        Ok(self
            .state(tenant, id)
            .await?
            .and_then(|s| DebtorView::of(tenant, id, &s)))
    }
}

/// Every row of `debtors` as one line, ordered by tenant then debtor (byte
/// order on both backends):
/// `tenant \t debtor_id \t version \t jurisdiction \t time_zone \t updated_at \t state`.
/// The state is re-serialised from [`DebtorState`] (not PostgreSQL's jsonb
/// text), so the lines are identical on SQLite and PostgreSQL.
pub async fn export_debtors(store: &ViewStore) -> Result<Vec<String>, ViewError> {
    type Raw = (
        String,
        String,
        i64,
        Option<String>,
        Option<String>,
        DateTime<Utc>,
        Json<DebtorState>,
    );
    let rows: Vec<Raw> = on_pool!(store, |pool, Db| {
        sqlx::query_as(
            "SELECT tenant, debtor_id, version, jurisdiction, time_zone, updated_at, state
             FROM debtors ORDER BY tenant, debtor_id",
        )
        .fetch_all(pool)
        .await?
    });
    rows.into_iter()
        .map(
            |(tenant, debtor, version, jurisdiction, tz, updated_at, Json(state))| {
                let state = serde_json::to_string(&state).map_err(|e| ViewError::Corrupt {
                    what: format!("debtors {tenant}/{debtor}"),
                    reason: e.to_string(),
                })?;
                Ok(format!(
                    "{tenant}\t{debtor}\t{version}\t{}\t{}\t{}\t{state}",
                    jurisdiction.unwrap_or_default(),
                    tz.unwrap_or_default(),
                    updated_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                ))
            },
        )
        .collect()
}
