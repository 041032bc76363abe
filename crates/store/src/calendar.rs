//! The deployment's holiday calendar: its changes to the default (days made holidays or
//! working days), applied by the domain's [`HolidayCalendar::with_overrides`].

use baocao_domain::Date;
use baocao_domain::holidays::{CalendarOverride, DayKind, DayName, HolidayCalendar};

use baocao_domain::audit::Provenance;

use crate::analytics::CALENDAR_GENERATION;
use crate::transaction::on_tx;
use crate::{Store, StoreError, on_db};

#[derive(sqlx::FromRow)]
struct DayRow {
    day: String,
    kind: String,
    name_vi: String,
    name_en: String,
}

impl DayRow {
    fn into_override(self) -> Result<CalendarOverride, StoreError> {
        let day: Date = self
            .day
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("calendar day {}: {e}", self.day)))?;
        let kind = match self.kind.as_str() {
            "holiday" => DayKind::Holiday,
            "working_day" => DayKind::WorkingDay,
            other => return Err(StoreError::Corrupt(format!("calendar day kind {other}"))),
        };
        Ok(CalendarOverride {
            day,
            kind,
            name: DayName {
                vi: self.name_vi,
                en: self.name_en,
            },
        })
    }
}

fn kind_text(kind: DayKind) -> &'static str {
    match kind {
        DayKind::Holiday => "holiday",
        DayKind::WorkingDay => "working_day",
    }
}

impl Store {
    /// Every configured change, by day.
    pub async fn calendar_overrides(&self) -> Result<Vec<CalendarOverride>, StoreError> {
        const SQL: &str = "SELECT day, kind, name_vi, name_en FROM calendar_days ORDER BY day";
        let rows: Vec<DayRow> = on_db!(self, pool => sqlx::query_as(SQL).fetch_all(pool).await?);
        rows.into_iter().map(DayRow::into_override).collect()
    }

    /// Vietnam's default calendar with the deployment's changes.
    pub async fn holiday_calendar(&self) -> Result<HolidayCalendar, StoreError> {
        let overrides = self.calendar_overrides().await?;
        Ok(HolidayCalendar::vietnam().with_overrides(&overrides))
    }

    /// Sets (or replaces) the change on one day.
    pub async fn set_calendar_day(
        &self,
        change: &CalendarOverride,
        by: &str,
        audit: &Provenance,
    ) -> Result<(), StoreError> {
        const SQL: &str = "
            INSERT INTO calendar_days (day, kind, name_vi, name_en, changed_by, changed_at)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (day) DO UPDATE SET kind = excluded.kind, name_vi = excluded.name_vi,
                name_en = excluded.name_en, changed_by = excluded.changed_by,
                changed_at = excluded.changed_at";
        let mut tx = self.begin(audit).await?;
        on_tx!(tx, conn => sqlx::query(SQL)
            .bind(change.day.to_string())
            .bind(kind_text(change.kind))
            .bind(&change.name.vi)
            .bind(&change.name.en)
            .bind(by)
            .bind(&audit.at)
            .execute(conn)
            .await
            .map(drop)?);
        tx.note(
            "calendar.set",
            format!("day {}", change.day),
            None,
            serde_json::json!({
                "day": change.day.to_string(),
                "kind": kind_text(change.kind),
                "name_vi": change.name.vi,
                "name_en": change.name.en,
            }),
        );
        tx.raise_counter(CALENDAR_GENERATION).await?;
        tx.commit().await
    }

    /// Removes the change on one day (the default applies again); answers whether there was one.
    pub async fn clear_calendar_day(
        &self,
        day: Date,
        audit: &Provenance,
    ) -> Result<bool, StoreError> {
        const SQL: &str = "DELETE FROM calendar_days WHERE day = $1";
        let mut tx = self.begin(audit).await?;
        let done = on_tx!(tx, conn => sqlx::query(SQL)
            .bind(day.to_string())
            .execute(conn)
            .await?
            .rows_affected());
        if done == 1 {
            tx.note(
                "calendar.clear",
                format!("day {day}"),
                None,
                serde_json::json!({ "day": day.to_string() }),
            );
            tx.raise_counter(CALENDAR_GENERATION).await?;
        }
        tx.commit().await?;
        Ok(done == 1)
    }
}
