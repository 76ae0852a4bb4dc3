//! The `audit` projection (version 1): appends one hash-chained row per
//! compliance-relevant event to `audit_trail`, inside the projector's batch
//! transaction (DESIGN D6), so a row and the checkpoint that accounts for it
//! commit together: no fact is missing from the trail or in it twice.

use std::collections::{BTreeMap, BTreeSet};

use arrears_views::{Positioned, Projection, ViewError, ViewTx};
use async_trait::async_trait;

use crate::row::{AuditRow, GENESIS_HASH, Kind, row_of};
use crate::store::{Head, insert_rows, load_heads};

/// The audit trail projection. Run it with `arrears_views::Projector` (or
/// `arrears_views::rebuild`) on a store prepared by [`crate::migrate`].
#[derive(Debug, Clone, Copy, Default)]
pub struct AuditProjection;

impl AuditProjection {
    pub const NAME: &'static str = "audit";
    pub const VERSION: u32 = 1;
}

fn failed(e: impl std::fmt::Display) -> ViewError {
    ViewError::Projection {
        projection: AuditProjection::NAME.into(),
        reason: e.to_string(),
    }
}

#[async_trait]
impl Projection for AuditProjection {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn version(&self) -> u32 {
        Self::VERSION
    }

    async fn apply(&self, tx: &mut ViewTx, events: &[Positioned]) -> Result<(), ViewError> {
        let key_of = |p: &Positioned| {
            (
                p.event.tenant.as_str().to_string(),
                p.event.debtor_id.as_str().to_string(),
            )
        };
        let audited: Vec<&Positioned> = events
            .iter()
            .filter(|p| Kind::of(&p.event.body).is_some())
            .collect();
        let keys: BTreeSet<(String, String)> = audited.iter().map(|p| key_of(p)).collect();
        let keys: Vec<(String, String)> = keys.into_iter().collect();
        let mut heads: BTreeMap<(String, String), Option<Head>> =
            keys.iter().map(|k| (k.clone(), None)).collect();
        for (key, head) in load_heads(tx, &keys).await.map_err(failed)? {
            heads.insert(key, Some(head));
        }
        let mut rows: Vec<AuditRow> = Vec::with_capacity(audited.len());
        for p in audited {
            let e = &p.event;
            let key = key_of(p);
            let head = heads.get_mut(&key).expect("every audited key has an entry");
            if let Some(h) = head
                && e.sequence <= h.sequence
            {
                // Already in the trail. The checkpoint protocol never replays
                // an event; this keeps a replayed record from forking the chain.
                tracing::warn!(
                    partition = p.partition, offset = p.offset, key = %e.key(),
                    sequence = e.sequence, have = h.sequence, "audited event already in the trail; skipped"
                );
                continue;
            }
            let (position, prev) = match head {
                Some(h) => (h.position + 1, h.hash.as_str()),
                None => (1, GENESIS_HASH),
            };
            let row = row_of(e, position, prev).expect("audited kind checked above");
            *head = Some(Head {
                position,
                hash: row.hash.clone(),
                sequence: e.sequence,
            });
            rows.push(row);
        }
        insert_rows(tx, &rows).await.map_err(failed)
    }
}
