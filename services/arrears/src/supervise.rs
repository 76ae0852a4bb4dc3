//! Keeps a projector running: every round builds it afresh (so it reloads
//! its checkpoints) and runs it until shutdown; a failure starts another
//! round. Shared by `arrears project` and the projectors inside `arrears dev`.

use std::future::Future;
use std::time::Duration;

use arrears_views::{Progress, Shutdown, ViewError};

/// How long a projector waits before reloading checkpoints that moved under it.
const CONFLICT_RETRY: Duration = Duration::from_secs(2);

/// Runs `round` until it ends cleanly (shutdown) or fails permanently.
///
/// - Transient failures (the database restarting, a network blip): another
///   round after a back-off of 250 ms per consecutive failure, at most 5 s.
/// - Checkpoints moved by someone else (`CheckpointConflict`: a blue/green
///   swap by `arrears replay portfolio`, or another instance of the same
///   projection): another round after [`CONFLICT_RETRY`]. Both are safe to
///   resume from, because checkpoints only move with a conditional update;
///   a standby instance thus keeps retrying and takes over when the active
///   one stops.
/// - A broken history, a checkpoint beyond the log, a corrupt view or a bad
///   configuration: returned, since a retry cannot fix them.
pub async fn supervise<F, Fut>(name: &str, shutdown: Shutdown, mut round: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<Progress>>,
{
    let mut failures = 0u32;
    while !shutdown.is_triggered() {
        let wait = match round().await {
            Ok(progress) => {
                tracing::info!(projection = name, ?progress, "projector stopped cleanly");
                return Ok(());
            }
            Err(e) if is_permanent(&e) => {
                tracing::error!(projection = name, error = %format!("{e:#}"), "projector stopped: this needs a person (see docs/OPERATIONS.md, Recovery)");
                return Err(e);
            }
            Err(e) if is_checkpoint_conflict(&e) => {
                tracing::warn!(projection = name, error = %format!("{e:#}"), retry_in_ms = CONFLICT_RETRY.as_millis() as u64, "checkpoints moved (generation swap or another instance); resuming from them");
                CONFLICT_RETRY
            }
            Err(e) => {
                failures += 1;
                let wait = Duration::from_millis(250 * u64::from(failures.min(20)));
                tracing::warn!(projection = name, error = %format!("{e:#}"), retry_in_ms = wait.as_millis() as u64, "projector failed; resuming from the last checkpoint");
                wait
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.triggered() => {}
        }
    }
    Ok(())
}

/// Failures a retry cannot fix: a broken history, a checkpoint beyond the
/// log, a corrupt view, a bad configuration.
fn is_permanent(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        matches!(
            c.downcast_ref::<ViewError>(),
            Some(
                ViewError::SequenceGap { .. }
                    | ViewError::CheckpointAhead { .. }
                    | ViewError::Corrupt { .. }
                    | ViewError::Config(_)
            )
        )
    })
}

/// The checkpoints were moved by someone else (a generation swap or another
/// instance of the projection).
fn is_checkpoint_conflict(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        matches!(
            c.downcast_ref::<ViewError>(),
            Some(ViewError::CheckpointConflict { .. })
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_moved_checkpoint_is_resumed_from_and_a_bad_configuration_is_not() {
        let conflict = anyhow::Error::new(ViewError::CheckpointConflict {
            projection: "portfolio".into(),
            version: 1,
            partition: 3,
            expected: 42,
        })
        .context("projecting");
        assert!(!is_permanent(&conflict));
        assert!(is_checkpoint_conflict(&conflict));
        let config = anyhow::Error::new(ViewError::Config("bad".into())).context("projecting");
        assert!(is_permanent(&config));
        assert!(!is_checkpoint_conflict(&config));
        let blip = anyhow::anyhow!("connection reset");
        assert!(!is_permanent(&blip));
        assert!(!is_checkpoint_conflict(&blip));
    }

    /// A conflict and a transient failure start new rounds; a permanent one
    /// ends supervision with its error.
    #[tokio::test]
    async fn rounds_are_retried_until_a_permanent_failure() {
        let mut outcomes = vec![
            Err(anyhow::anyhow!("connection reset")),
            Err(anyhow::Error::new(ViewError::CheckpointConflict {
                projection: "portfolio".into(),
                version: 1,
                partition: 0,
                expected: 7,
            })),
            Err(anyhow::Error::new(ViewError::Config("broken".into()))),
        ]
        .into_iter();
        let mut rounds = 0;
        let result = supervise("portfolio", Shutdown::new(), || {
            rounds += 1;
            let next = outcomes.next().expect("no more rounds than outcomes");
            async move { next }
        })
        .await;
        assert_eq!(rounds, 3);
        assert!(result.unwrap_err().to_string().contains("broken"));
    }
}
