//! The catalogue of saved indicator tables: each kept whole as the JSON of its
//! [`TableDefinition`], keyed by code and listed by theme. Plus the one read a relative
//! period selection needs: the last day the table's indicators have data for.

use baocao_domain::indicator::IndicatorCode;
use baocao_domain::table::TableDefinition;
use jiff::civil::Date;

use baocao_domain::audit::Provenance;

use crate::transaction::on_tx;
use crate::{Store, StoreError, on_db};

fn parse(definition: &str) -> Result<TableDefinition, StoreError> {
    serde_json::from_str(definition)
        .map_err(|e| StoreError::Corrupt(format!("indicator table: {e}")))
}

impl Store {
    /// Every saved table, by theme then code.
    pub async fn indicator_tables(&self) -> Result<Vec<TableDefinition>, StoreError> {
        let rows: Vec<(String,)> = on_db!(self, pool => sqlx::query_as(
            "SELECT definition FROM indicator_tables ORDER BY theme, code")
            .fetch_all(pool)
            .await?);
        rows.iter().map(|(text,)| parse(text)).collect()
    }

    pub async fn indicator_table(&self, code: &str) -> Result<Option<TableDefinition>, StoreError> {
        let row: Option<(String,)> = on_db!(self, pool => sqlx::query_as(
            "SELECT definition FROM indicator_tables WHERE code = $1")
            .bind(code)
            .fetch_optional(pool)
            .await?);
        row.map(|(text,)| parse(&text)).transpose()
    }

    /// Saves a table (a new one, or replacing the one with its code); true when it was new.
    pub async fn save_indicator_table(
        &self,
        table: &TableDefinition,
        by: &str,
        audit: &Provenance,
    ) -> Result<bool, StoreError> {
        let at = audit.at.as_str();
        let definition =
            serde_json::to_string(table).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut audited = self.begin(audit).await?;
        let created = on_tx!(audited, tx => {
            let known: Option<i32> = sqlx::query_scalar("SELECT 1 FROM indicator_tables WHERE code = $1")
                .bind(&table.code)
                .fetch_optional(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO indicator_tables (code, theme, definition, updated_by, updated_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (code) DO UPDATE SET theme = excluded.theme, definition = excluded.definition,
                   updated_by = excluded.updated_by, updated_at = excluded.updated_at")
                .bind(&table.code)
                .bind(&table.theme_vi)
                .bind(&definition)
                .bind(by)
                .bind(at)
                .execute(&mut *tx)
                .await?;
            known.is_none()
        });
        audited.note(
            "table.save",
            format!("table {}", table.code),
            None,
            serde_json::json!({
                "table": table.code,
                "created": created,
                "definition_sha256": baocao_domain::signature::digest_hex(&definition),
            }),
        );
        audited.commit().await?;
        Ok(created)
    }

    /// Deletes a table; false when there was none.
    pub async fn delete_indicator_table(
        &self,
        code: &str,
        audit: &Provenance,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin(audit).await?;
        let deleted = on_tx!(tx, conn => sqlx::query("DELETE FROM indicator_tables WHERE code = $1")
            .bind(code)
            .execute(conn)
            .await?
            .rows_affected());
        if deleted > 0 {
            tx.note(
                "table.delete",
                format!("table {code}"),
                None,
                serde_json::json!({ "table": code }),
            );
        }
        tx.commit().await?;
        Ok(deleted > 0)
    }

    /// The end of the latest period, ending on or before `by`, for which any of `indicators`
    /// has a number.
    pub async fn latest_data_end(
        &self,
        indicators: &[IndicatorCode],
        by: Date,
    ) -> Result<Option<Date>, StoreError> {
        let mut latest: Option<Date> = None;
        // One indexed probe per indicator: the (indicator, period) index answers each.
        for indicator in indicators {
            let row: Option<(Option<String>,)> = on_db!(self, pool => sqlx::query_as(
                "SELECT MAX(p.end_date) FROM periods p
                 WHERE p.end_date <= $2 AND EXISTS (
                   SELECT 1 FROM data_values v
                   WHERE v.period_id = p.id AND v.value_num IS NOT NULL
                     AND v.indicator_id = (SELECT id FROM indicators WHERE code = $1))")
                .bind(indicator.as_str())
                .bind(by.to_string())
                .fetch_optional(pool)
                .await?);
            if let Some((Some(text),)) = row {
                let day: Date = text
                    .parse()
                    .map_err(|e| StoreError::Corrupt(format!("period end {text}: {e}")))?;
                latest = latest.max(Some(day));
            }
        }
        Ok(latest)
    }
}
