//! The store's errors: what a caller must tell apart (not found, conflict, a newer schema,
//! an unreachable server) and the rest.

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("invalid database URL {url}: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("cannot reach the database at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error(
        "the database was migrated by a newer baocao (migration {version} is unknown to this one)"
    )]
    NewerSchema { version: i64 },
    #[error("migration failed: {0}")]
    Migration(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error("secrets: {0}")]
    Secrets(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl StoreError {
    /// Turns a unique-constraint violation into [`StoreError::Conflict`] with `what`.
    pub(crate) fn on_unique(error: sqlx::Error, what: impl FnOnce() -> String) -> Self {
        match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(what()),
            _ => StoreError::Database(error),
        }
    }
}
