//! Rebuilding a projection from offset 0, and deterministic exports to prove
//! that a rebuilt view equals the live one (the check before a blue/green swap).

use std::sync::Arc;

use arrears_log::EventLog;
use sha2::{Digest, Sha256};

use crate::error::ViewError;
use crate::projector::{Progress, Projection, Projector, ProjectorConfig};
use crate::store::ViewStore;

/// Projects `projection` from offset 0 into `fresh` until a round reads
/// nothing, and returns the progress. `fresh` must hold no checkpoint of
/// this projection beyond offset 0 (a half-done rebuild is thrown away, not
/// resumed, so nobody mistakes it for a checked one).
pub async fn rebuild(
    log: Arc<dyn EventLog>,
    fresh: ViewStore,
    projection: Arc<dyn Projection>,
    config: ProjectorConfig,
) -> Result<Progress, ViewError> {
    let existing = fresh
        .checkpoints(projection.name(), projection.version(), &config.topic)
        .await?;
    if existing.values().any(|n| *n > 0) {
        return Err(ViewError::NotFresh {
            projection: projection.name().to_string(),
            version: projection.version(),
        });
    }
    let mut projector = Projector::new(log, fresh, projection, config).await?;
    projector.catch_up().await
}

/// SHA-256 (hex) of the lines, each terminated by `\n`.
pub fn checksum(lines: &[String]) -> String {
    let mut h = Sha256::new();
    for line in lines {
        h.update(line.as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}
