//! Connectors and their run log: each connector kept whole as the JSON of its
//! [`ConnectorSpec`], with its schedule (`next_run_at`, the failures in a row behind the
//! back-off); each run with its counts and its first errors. A due connector is claimed by
//! moving its `next_run_at` with a compare-and-set, so two servers never run it together.

use baocao_domain::connector::ConnectorSpec;

use baocao_domain::audit::Provenance;

use crate::transaction::on_tx;
use crate::{Store, StoreError, on_db};

/// A stored connector.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectorRecord {
    pub code: String,
    pub spec: ConnectorSpec,
    pub enabled: bool,
    pub next_run_at: String,
    pub failures: i32,
    pub updated_by: String,
    pub updated_at: String,
}

#[derive(sqlx::FromRow)]
struct ConnectorRow {
    code: String,
    definition: String,
    enabled: bool,
    next_run_at: String,
    failures: i32,
    updated_by: String,
    updated_at: String,
}

impl Store {
    /// A stored connector, its credentials opened.
    fn connector_record(&self, row: ConnectorRow) -> Result<ConnectorRecord, StoreError> {
        let definition = self.open_definition(&row.code, &row.definition)?;
        Ok(ConnectorRecord {
            spec: serde_json::from_value(definition)
                .map_err(|e| StoreError::Corrupt(format!("connector {}: {e}", row.code)))?,
            code: row.code,
            enabled: row.enabled,
            next_run_at: row.next_run_at,
            failures: row.failures,
            updated_by: row.updated_by,
            updated_at: row.updated_at,
        })
    }
}

/// One run as logged.
#[derive(Debug, Clone, PartialEq, serde::Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunRecord {
    pub started_at: String,
    pub finished_at: String,
    pub succeeded: bool,
    /// 1 for a run on schedule; n for the (n−1)-th retry after failures in a row.
    pub attempt: i32,
    /// Records read from the peer.
    pub fetched: i32,
    /// Values stored from them.
    pub stored: i32,
    /// Records refused by the mapping or the catalogue.
    pub rejected: i32,
    pub message: String,
    /// The first refused records with their reasons, as JSON.
    pub errors: String,
}

const SELECT: &str = "SELECT code, definition, enabled, next_run_at, failures, updated_by, updated_at FROM connectors";

impl Store {
    pub async fn connectors(&self) -> Result<Vec<ConnectorRecord>, StoreError> {
        let sql = format!("{SELECT} ORDER BY code");
        let rows: Vec<ConnectorRow> =
            on_db!(self, pool => sqlx::query_as(&sql).fetch_all(pool).await?);
        rows.into_iter()
            .map(|row| self.connector_record(row))
            .collect()
    }

    pub async fn connector(&self, code: &str) -> Result<Option<ConnectorRecord>, StoreError> {
        let sql = format!("{SELECT} WHERE code = $1");
        let row: Option<ConnectorRow> =
            on_db!(self, pool => sqlx::query_as(&sql).bind(code).fetch_optional(pool).await?);
        row.map(|row| self.connector_record(row)).transpose()
    }

    /// The enabled connectors whose next run is due at `now`.
    pub async fn due_connectors(&self, now: &str) -> Result<Vec<ConnectorRecord>, StoreError> {
        let sql = format!("{SELECT} WHERE enabled AND next_run_at <= $1 ORDER BY next_run_at");
        let rows: Vec<ConnectorRow> =
            on_db!(self, pool => sqlx::query_as(&sql).bind(now).fetch_all(pool).await?);
        rows.into_iter()
            .map(|row| self.connector_record(row))
            .collect()
    }

    /// Saves a connector (new, or replacing the one with its code, its failures forgotten);
    /// true when it was new.
    pub async fn save_connector(
        &self,
        code: &str,
        spec: &ConnectorSpec,
        enabled: bool,
        next_run_at: &str,
        by: &str,
        audit: &Provenance,
    ) -> Result<bool, StoreError> {
        let at = audit.at.as_str();
        let plain = serde_json::to_value(spec).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        // The event keeps the definition, its credentials' kind only.
        let mut shown = plain.clone();
        shown["auth"] = serde_json::json!({ "kind": shown["auth"]["kind"].take() });
        let definition = self.seal_definition(plain)?;
        let mut audited = self.begin(audit).await?;
        let created = on_tx!(audited, tx => {
            let known: Option<i32> = sqlx::query_scalar("SELECT 1 FROM connectors WHERE code = $1")
                .bind(code)
                .fetch_optional(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO connectors (code, definition, enabled, next_run_at, failures, updated_by, updated_at)
                 VALUES ($1, $2, $3, $4, 0, $5, $6)
                 ON CONFLICT (code) DO UPDATE SET definition = excluded.definition, enabled = excluded.enabled,
                   next_run_at = excluded.next_run_at, failures = 0,
                   updated_by = excluded.updated_by, updated_at = excluded.updated_at")
                .bind(code)
                .bind(&definition)
                .bind(enabled)
                .bind(next_run_at)
                .bind(by)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            known.is_none()
        });
        audited.note(
            "connector.save",
            format!("connector {code}"),
            None,
            serde_json::json!({ "connector": code, "created": created, "enabled": enabled, "definition": shown }),
        );
        audited.commit().await?;
        Ok(created)
    }

    /// Removes a connector and its run log; false if there was none.
    pub async fn delete_connector(
        &self,
        code: &str,
        audit: &Provenance,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin(audit).await?;
        let deleted = on_tx!(tx, conn => sqlx::query("DELETE FROM connectors WHERE code = $1")
            .bind(code)
            .execute(conn)
            .await?
            .rows_affected());
        if deleted > 0 {
            tx.note(
                "connector.delete",
                format!("connector {code}"),
                None,
                serde_json::json!({ "connector": code }),
            );
        }
        tx.commit().await?;
        Ok(deleted > 0)
    }

    /// Takes a run of the connector for this server: moves its next run from `seen` (as read)
    /// to `lease_until`; false if another server took it first.
    pub async fn claim_connector(
        &self,
        code: &str,
        seen: &str,
        lease_until: &str,
    ) -> Result<bool, StoreError> {
        let claimed = on_db!(self, pool => sqlx::query(
            "UPDATE connectors SET next_run_at = $3 WHERE code = $1 AND next_run_at = $2")
            .bind(code)
            .bind(seen)
            .bind(lease_until)
            .execute(pool)
            .await?
            .rows_affected());
        Ok(claimed == 1)
    }

    /// Logs a run and sets the connector's next run and failures in a row.
    pub async fn record_connector_run(
        &self,
        code: &str,
        run: &RunRecord,
        next_run_at: &str,
        failures: i32,
        audit: &Provenance,
    ) -> Result<(), StoreError> {
        let mut audited = self.begin(audit).await?;
        on_tx!(audited, tx => {
            let id: Option<i32> = sqlx::query_scalar(
                "UPDATE connectors SET next_run_at = $2, failures = $3 WHERE code = $1 RETURNING id")
                .bind(code)
                .bind(next_run_at)
                .bind(failures)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(id) = id else {
                return Err(StoreError::NotFound(format!("connector {code}")));
            };
            sqlx::query(
                "INSERT INTO connector_runs (connector_id, started_at, finished_at, succeeded, attempt, fetched, stored, rejected, message, errors)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
                .bind(id)
                .bind(&run.started_at)
                .bind(&run.finished_at)
                .bind(run.succeeded)
                .bind(run.attempt)
                .bind(run.fetched)
                .bind(run.stored)
                .bind(run.rejected)
                .bind(&run.message)
                .bind(&run.errors)
                .execute(&mut *tx)
                .await?;
        });
        audited.note(
            "connector.run",
            format!("connector {code}"),
            None,
            serde_json::json!({
                "connector": code,
                "started_at": run.started_at,
                "finished_at": run.finished_at,
                "succeeded": run.succeeded,
                "fetched": run.fetched,
                "stored": run.stored,
                "rejected": run.rejected,
            }),
        );
        audited.commit().await
    }

    /// The connector's last `limit` runs, newest first.
    pub async fn connector_runs(
        &self,
        code: &str,
        limit: i64,
    ) -> Result<Vec<RunRecord>, StoreError> {
        Ok(on_db!(self, pool => sqlx::query_as(
            "SELECT r.started_at, r.finished_at, r.succeeded, r.attempt, r.fetched, r.stored, r.rejected, r.message, r.errors
             FROM connector_runs r JOIN connectors c ON c.id = r.connector_id
             WHERE c.code = $1 ORDER BY r.id DESC LIMIT $2")
            .bind(code)
            .bind(limit)
            .fetch_all(pool)
            .await?))
    }
}
