//! A PostgreSQL hot standby to read analytics and exports from: how far it is behind its
//! primary. Connect to one with [`Store::connect`] (a standby is read-only: it is never
//! migrated, it replays the primary's migrations).

use std::time::Duration;

use crate::{Db, Store, StoreError};

impl Store {
    /// How far this database, a standby, is behind `primary`: zero when it has replayed all
    /// the primary has written, else the age of the last transaction it replayed. `None` when
    /// it is not a standby (or not PostgreSQL).
    pub async fn replication_lag(&self, primary: &Store) -> Result<Option<Duration>, StoreError> {
        let (Db::Postgres(standby), Db::Postgres(primary)) = (&self.db, &primary.db) else {
            return Ok(None);
        };
        let (recovering, replayed, age): (bool, Option<String>, Option<f64>) = sqlx::query_as(
            "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text,
                    EXTRACT(EPOCH FROM (clock_timestamp() - pg_last_xact_replay_timestamp()))::float8",
        )
        .fetch_one(standby)
        .await?;
        let Some(replayed) = replayed.filter(|_| recovering) else {
            return Ok(None);
        };
        let behind: f64 = sqlx::query_scalar(
            "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1::pg_lsn)::float8",
        )
        .bind(replayed)
        .fetch_one(primary)
        .await?;
        if behind <= 0.0 {
            return Ok(Some(Duration::ZERO));
        }
        // Behind the primary's insert position (so a commit not yet flushed counts): as old
        // as the last transaction replayed; with none replayed since the standby started, as
        // stale as can be.
        let age = age.unwrap_or(f64::MAX).max(0.0);
        Ok(Some(
            Duration::try_from_secs_f64(age).unwrap_or(Duration::MAX),
        ))
    }
}
