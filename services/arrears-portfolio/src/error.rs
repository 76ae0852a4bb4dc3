//! One error type for the portfolio crate. Each variant says what was being
//! done, so an HTTP handler can map it to a problem+json without guessing.

use arrears_views::ViewError;
use chrono::{DateTime, Utc};

#[derive(Debug, thiserror::Error)]
pub enum PortfolioError {
    /// The view store or the projector runtime failed.
    #[error(transparent)]
    View(#[from] ViewError),

    #[error("portfolio store: {0}")]
    Store(#[from] arrears_views::sqlx::Error),

    #[error("migrating the portfolio tables: {0}")]
    Migrate(#[from] arrears_views::sqlx::migrate::MigrateError),

    /// A KPI period must not be empty or reversed: `from < to`.
    #[error("invalid period: `from` ({from}) must be before `to` ({to})")]
    InvalidPeriod {
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    },

    /// An option is out of its documented range.
    #[error("invalid option `{option}`: {reason}")]
    InvalidOption {
        option: &'static str,
        reason: String,
    },

    /// A stored row cannot be interpreted (manual edits or schema drift).
    #[error("stored portfolio row {what} is unreadable: {reason}")]
    Corrupt { what: String, reason: String },

    /// The rebuild kept finding the live projection ahead of it (a very busy
    /// log): nothing was swapped; the live generation still serves.
    #[error(
        "portfolio rebuild into generation {generation} did not reach the live projection after \
         {attempts} catch-ups; nothing was swapped, retry when the log is quieter"
    )]
    RebuildBehind { generation: i64, attempts: u32 },

    /// An amount overflowed i64 while being added up.
    #[error("amount overflow while computing {0}")]
    Overflow(&'static str),
}

impl From<PortfolioError> for ViewError {
    /// The projector runtime only knows [`ViewError`]: a failure inside the
    /// projection is reported as [`ViewError::Projection`] with the reason.
    fn from(e: PortfolioError) -> ViewError {
        match e {
            PortfolioError::View(v) => v,
            PortfolioError::Store(s) => ViewError::Store(s),
            other => ViewError::Projection {
                projection: crate::PORTFOLIO.to_string(),
                reason: other.to_string(),
            },
        }
    }
}
