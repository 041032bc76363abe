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
    /// The shared transaction a write was part of did not commit: the write is not kept.
    #[error("the write was not committed: {0}")]
    NotCommitted(String),
    #[error("backup: {0}")]
    Backup(String),
    #[error("{0} already exists; a backup never overwrites a file")]
    BackupExists(String),
    #[error("{0} is not empty; a backup is restored onto an empty database only")]
    NotEmpty(String),
}

/// Stored data that does not read back as what was written (a bad code, a broken JSON).
pub(crate) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

impl StoreError {
    /// Whether the database was too busy to do the work (no connection free in time, a lock
    /// not granted, a deadlock or serialization failure chosen as the victim): the work was
    /// rolled back and the same request may succeed if sent again.
    pub fn is_busy(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::PoolTimedOut) => true,
            StoreError::Database(sqlx::Error::Database(db)) => matches!(
                db.code().as_deref(),
                // SQLite: SQLITE_BUSY, SQLITE_LOCKED; PostgreSQL: serialization failure,
                // deadlock detected, lock not available.
                Some("5" | "6" | "40001" | "40P01" | "55P03")
            ),
            _ => false,
        }
    }

    /// Whether the database server was out of reach: the connection lost, the server shutting
    /// down or starting up (PostgreSQL restarted, failed over). The same request may succeed
    /// once it is back; a write cut off at its commit may or may not have been kept, which the
    /// optimistic lock tells on the resend.
    pub fn is_unreachable(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::PoolClosed | sqlx::Error::Io(_)) => true,
            StoreError::Unreachable { .. } => true,
            StoreError::Database(sqlx::Error::Database(db)) => {
                let code = db.code();
                let code = code.as_deref().unwrap_or("");
                // Administrator or crash shutdown, cannot connect now (starting up), and
                // every connection exception (class 08).
                matches!(code, "57P01" | "57P02" | "57P03") || code.starts_with("08")
            }
            _ => false,
        }
    }

    /// Turns a unique-constraint violation into [`StoreError::Conflict`] with `what`.
    pub(crate) fn on_unique(error: sqlx::Error, what: impl FnOnce() -> String) -> Self {
        match &error {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(what()),
            _ => StoreError::Database(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pool_without_a_free_connection_is_busy_and_a_missing_row_is_not() {
        assert!(StoreError::Database(sqlx::Error::PoolTimedOut).is_busy());
        assert!(!StoreError::Database(sqlx::Error::RowNotFound).is_busy());
        assert!(!StoreError::NotFound("x".into()).is_busy());
        assert!(!StoreError::Conflict("x".into()).is_busy());
    }
}
