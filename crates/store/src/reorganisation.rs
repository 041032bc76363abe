//! Applying a reorganisation [`Plan`] in one transaction, and the record of events: agencies
//! end and begin, states change from the event's date, successions link predecessors to
//! successors, and the work of an ended agency passes on — its assignments end the day before
//! and continue under the successor, assignments addressed to it are readdressed, its users
//! and their grants move, its open drafts of periods not yet over move unless the successor
//! already has that report, and reports sent to it and not yet accepted go to the successor.
//! What moved and what could not is returned and kept with the event.

use std::collections::HashMap;

use baocao_domain::Date;
use baocao_domain::agency::{AgencyCode, AgencyKind};
use baocao_domain::reorganisation::{AgencyEvent, Plan, Standing};
use baocao_domain::text::search_key;
use serde::Serialize;

use baocao_domain::audit::Provenance;

use crate::error::corrupt;
use crate::transaction::on_tx;
use crate::{Store, StoreError, on_db};

/// What applying an event changed beyond the hierarchy.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Outcome {
    pub agencies_ended: usize,
    pub agencies_created: usize,
    pub agencies_restated: usize,
    /// Assignments of (or to) ended agencies closed the day before the event.
    pub assignments_ended: usize,
    /// Assignments opened for successors from the event's date.
    pub assignments_created: usize,
    pub users_moved: usize,
    pub drafts_moved: usize,
    /// Drafts left with the ended agency because its successor already had that report
    /// ("regime/period").
    pub drafts_kept: Vec<String>,
    /// Reports sent to an ended agency, not yet accepted, readdressed to its successor.
    pub reports_readdressed: usize,
}

/// A recorded event.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct EventRecord {
    pub id: i32,
    pub date: String,
    pub kind: String,
    pub event: String,
    pub outcome: String,
    pub recorded_by: String,
    pub recorded_at: String,
}

#[derive(sqlx::FromRow)]
struct StandingRow {
    code: String,
    name_vi: String,
    name_en: String,
    kind: String,
    parent: Option<String>,
    agency_to: Option<String>,
    later_states: i64,
}

#[derive(sqlx::FromRow)]
struct AssignmentRow {
    id: i32,
    regime_id: i32,
    reporting_agency_id: i32,
    receiving_agency_id: i32,
    valid_from: Option<String>,
    valid_to: Option<String>,
}

const ID_ON: &str = "SELECT id FROM agencies WHERE code = $1
    AND (valid_from IS NULL OR valid_from <= $2) AND (valid_to IS NULL OR valid_to >= $2)";

impl Store {
    /// Every agency valid the day before `date`, as it stood then, and whether it already
    /// changes on or after `date`.
    pub async fn standings_before(&self, date: Date) -> Result<Vec<Standing>, StoreError> {
        let before = date.yesterday().map_err(corrupt)?.to_string();
        const SQL: &str = "
            SELECT a.code, s.name_vi, s.name_en, s.kind, p.code AS parent, a.valid_to AS agency_to,
                   (SELECT COUNT(*) FROM agency_states l
                     WHERE l.agency_id = a.id AND l.valid_from > $1) AS later_states
            FROM agencies a
            JOIN agency_states s ON s.agency_id = a.id
            LEFT JOIN agencies p ON p.id = s.parent_id
            WHERE (a.valid_from IS NULL OR a.valid_from <= $1) AND (a.valid_to IS NULL OR a.valid_to >= $1)
              AND (s.valid_from IS NULL OR s.valid_from <= $1) AND (s.valid_to IS NULL OR s.valid_to >= $1)";
        let rows: Vec<StandingRow> =
            on_db!(self, pool => sqlx::query_as(SQL).bind(&before).fetch_all(pool).await?);
        rows.into_iter()
            .map(|row| {
                Ok(Standing {
                    code: AgencyCode::new(row.code).map_err(corrupt)?,
                    name_vi: row.name_vi,
                    name_en: row.name_en,
                    kind: AgencyKind::parse(&row.kind).map_err(corrupt)?,
                    parent: row
                        .parent
                        .map(AgencyCode::new)
                        .transpose()
                        .map_err(corrupt)?,
                    changes_later: row.agency_to.is_some() || row.later_states > 0,
                })
            })
            .collect()
    }

    /// Applies `plan` (made from `event`) and records the event, all or nothing.
    pub async fn apply_reorganisation(
        &self,
        event: &AgencyEvent,
        plan: &Plan,
        by: &str,
        audit: &Provenance,
    ) -> Result<(i32, Outcome), StoreError> {
        let day = plan.date.to_string();
        let before = plan.date.yesterday().map_err(corrupt)?.to_string();
        let mut outcome = Outcome::default();
        let event_json = serde_json::to_string(event).map_err(corrupt)?;
        let applied = self
            .apply_in_transaction(
                event,
                plan,
                by,
                audit,
                &day,
                &before,
                &mut outcome,
                &event_json,
            )
            .await?;
        self.raise_hierarchy_generation().await?;
        Ok((applied, outcome))
    }

    #[allow(clippy::too_many_arguments)]
    async fn apply_in_transaction(
        &self,
        event: &AgencyEvent,
        plan: &Plan,
        by: &str,
        audit: &Provenance,
        day: &str,
        before: &str,
        outcome: &mut Outcome,
        event_json: &str,
    ) -> Result<i32, StoreError> {
        let now = audit.at.as_str();
        let mut audited = self.begin(audit).await?;
        // Reports moved to a successor: (regime, agency before, period, agency after).
        let mut reports_moved: Vec<(i32, i32, i32, i32)> = Vec::new();
        let mut grants_moved: Vec<(i32, i32)> = Vec::new();
        let id: i32 = on_tx!(audited, tx => {
            // The ended agencies and the sources of moves, as they were the day before.
            let mut id_before: HashMap<&AgencyCode, i32> = HashMap::new();
            for code in plan.ended.iter().chain(plan.moves.iter().map(|(from, _)| from)) {
                if id_before.contains_key(code) {
                    continue;
                }
                let id: Option<i32> = sqlx::query_scalar(ID_ON)
                    .bind(code.as_str())
                    .bind(before)
                    .fetch_optional(&mut *tx)
                    .await?;
                id_before.insert(code, id.ok_or_else(|| StoreError::NotFound(format!("agency {code} on {before}")))?);
            }
            for code in &plan.ended {
                let id = id_before[code];
                sqlx::query("UPDATE agencies SET valid_to = $2 WHERE id = $1")
                    .bind(id).bind(before).execute(&mut *tx).await?;
                sqlx::query("UPDATE agency_states SET valid_to = $2 WHERE agency_id = $1 AND (valid_to IS NULL OR valid_to > $2)")
                    .bind(id).bind(before).execute(&mut *tx).await?;
                outcome.agencies_ended += 1;
            }
            for new in &plan.created {
                sqlx::query("INSERT INTO agencies (code, valid_from, valid_to) VALUES ($1, $2, NULL)")
                    .bind(new.code.as_str()).bind(day).execute(&mut *tx).await?;
            }
            for new in &plan.created {
                let id: i32 = sqlx::query_scalar(ID_ON).bind(new.code.as_str()).bind(day).fetch_one(&mut *tx).await?;
                let parent_id: Option<i32> = match &new.parent {
                    Some(parent) => Some(sqlx::query_scalar(ID_ON).bind(parent.as_str()).bind(day).fetch_optional(&mut *tx).await?
                        .ok_or_else(|| StoreError::NotFound(format!("agency {parent} on {day}")))?),
                    None => None,
                };
                sqlx::query(
                    "INSERT INTO agency_states (agency_id, valid_from, valid_to, name_vi, name_en, search_key, kind, parent_id)
                     VALUES ($1, $2, NULL, $3, $4, $5, $6, $7)",
                )
                .bind(id).bind(day).bind(&new.name_vi).bind(&new.name_en)
                .bind(search_key(&format!("{} {} {}", new.code, new.name_vi, new.name_en)))
                .bind(new.kind.as_str()).bind(parent_id)
                .execute(&mut *tx).await?;
                outcome.agencies_created += 1;
            }
            for restated in &plan.restated {
                let id: i32 = sqlx::query_scalar(ID_ON).bind(restated.code.as_str()).bind(day).fetch_optional(&mut *tx).await?
                    .ok_or_else(|| StoreError::NotFound(format!("agency {} on {day}", restated.code)))?;
                let parent_id: Option<i32> = match &restated.parent {
                    Some(parent) => Some(sqlx::query_scalar(ID_ON).bind(parent.as_str()).bind(day).fetch_optional(&mut *tx).await?
                        .ok_or_else(|| StoreError::NotFound(format!("agency {parent} on {day}")))?),
                    None => None,
                };
                let current: (i32, Option<String>) = sqlx::query_as(
                    "SELECT id, valid_from FROM agency_states WHERE agency_id = $1
                       AND (valid_from IS NULL OR valid_from <= $2) AND (valid_to IS NULL OR valid_to >= $2)",
                )
                .bind(id).bind(day).fetch_one(&mut *tx).await?;
                let key = search_key(&format!("{} {} {}", restated.code, restated.name_vi, restated.name_en));
                if current.1.as_deref() == Some(day) {
                    // A second event of the same day changes the state that day began.
                    sqlx::query("UPDATE agency_states SET name_vi = $2, name_en = $3, search_key = $4, kind = $5, parent_id = $6 WHERE id = $1")
                        .bind(current.0).bind(&restated.name_vi).bind(&restated.name_en).bind(&key)
                        .bind(restated.kind.as_str()).bind(parent_id)
                        .execute(&mut *tx).await?;
                } else {
                    sqlx::query("UPDATE agency_states SET valid_to = $2 WHERE id = $1")
                        .bind(current.0).bind(before).execute(&mut *tx).await?;
                    sqlx::query(
                        "INSERT INTO agency_states (agency_id, valid_from, valid_to, name_vi, name_en, search_key, kind, parent_id)
                         VALUES ($1, $2, NULL, $3, $4, $5, $6, $7)",
                    )
                    .bind(id).bind(day).bind(&restated.name_vi).bind(&restated.name_en).bind(&key)
                    .bind(restated.kind.as_str()).bind(parent_id)
                    .execute(&mut *tx).await?;
                }
                outcome.agencies_restated += 1;
            }
            for succession in &plan.successions {
                let successor: i32 = sqlx::query_scalar(ID_ON).bind(succession.successor.as_str()).bind(day).fetch_one(&mut *tx).await?;
                sqlx::query("INSERT INTO agency_successions (date, predecessor_id, successor_id, kind) VALUES ($1, $2, $3, $4)")
                    .bind(day).bind(id_before[&succession.predecessor]).bind(successor).bind(succession.kind.as_str())
                    .execute(&mut *tx).await?;
            }
            // Where the work of each ended agency goes.
            let mut moves: Vec<(i32, i32)> = Vec::new();
            for (from, to) in &plan.moves {
                let to_id: i32 = sqlx::query_scalar(ID_ON).bind(to.as_str()).bind(day).fetch_one(&mut *tx).await?;
                moves.push((id_before[from], to_id));
            }
            let successor_of = |id: i32| moves.iter().find(|(from, _)| *from == id).map(|(_, to)| *to);
            for (from, _) in &moves {
                let rows: Vec<AssignmentRow> = sqlx::query_as(
                    "SELECT id, regime_id, reporting_agency_id, receiving_agency_id, valid_from, valid_to FROM assignments
                     WHERE (reporting_agency_id = $1 OR receiving_agency_id = $1) AND (valid_to IS NULL OR valid_to >= $2)",
                )
                .bind(*from).bind(day).fetch_all(&mut *tx).await?;
                for row in rows {
                    let reporting = successor_of(row.reporting_agency_id).unwrap_or(row.reporting_agency_id);
                    let receiving = successor_of(row.receiving_agency_id).unwrap_or(row.receiving_agency_id);
                    if row.valid_from.as_deref().is_some_and(|f| f >= day) {
                        sqlx::query("UPDATE assignments SET reporting_agency_id = $2, receiving_agency_id = $3 WHERE id = $1")
                            .bind(row.id).bind(reporting).bind(receiving).execute(&mut *tx).await?;
                        continue;
                    }
                    sqlx::query("UPDATE assignments SET valid_to = $2 WHERE id = $1")
                        .bind(row.id).bind(before).execute(&mut *tx).await?;
                    outcome.assignments_ended += 1;
                    let already: Option<i32> = sqlx::query_scalar(
                        "SELECT id FROM assignments WHERE regime_id = $1 AND reporting_agency_id = $2
                           AND (valid_from IS NULL OR valid_from <= $3) AND (valid_to IS NULL OR valid_to >= $3)",
                    )
                    .bind(row.regime_id).bind(reporting).bind(day).fetch_optional(&mut *tx).await?;
                    if already.is_none() && reporting != receiving {
                        sqlx::query(
                            "INSERT INTO assignments (regime_id, reporting_agency_id, receiving_agency_id, valid_from, valid_to)
                             VALUES ($1, $2, $3, $4, $5)",
                        )
                        .bind(row.regime_id).bind(reporting).bind(receiving).bind(day).bind(&row.valid_to)
                        .execute(&mut *tx).await?;
                        outcome.assignments_created += 1;
                    }
                }
            }
            for (from, to) in &moves {
                outcome.users_moved += sqlx::query("UPDATE users SET agency_id = $2 WHERE agency_id = $1")
                    .bind(*from).bind(*to).execute(&mut *tx).await?.rows_affected() as usize;
                let grants = sqlx::query("UPDATE role_grants SET agency_id = $2 WHERE agency_id = $1")
                    .bind(*from).bind(*to).execute(&mut *tx).await?.rows_affected();
                if grants > 0 {
                    grants_moved.push((*from, *to));
                }
                let drafts: Vec<(i32, i32, i32, String, String)> = sqlx::query_as(
                    "SELECT s.id, s.regime_id, s.period_id, r.code, p.code FROM submissions s
                     JOIN periods p ON p.id = s.period_id JOIN regimes r ON r.id = s.regime_id
                     WHERE s.agency_id = $1 AND s.status = 'draft' AND p.end_date >= $2",
                )
                .bind(*from).bind(day).fetch_all(&mut *tx).await?;
                for (id, regime_id, period_id, regime, period) in drafts {
                    let taken: Option<i32> = sqlx::query_scalar(
                        "SELECT id FROM submissions WHERE regime_id = $1 AND agency_id = $2 AND period_id = $3",
                    )
                    .bind(regime_id).bind(*to).bind(period_id).fetch_optional(&mut *tx).await?;
                    if taken.is_some() {
                        outcome.drafts_kept.push(format!("{regime}/{period}"));
                        continue;
                    }
                    sqlx::query("UPDATE submissions SET agency_id = $2, updated_at = $3 WHERE id = $1")
                        .bind(id).bind(*to).bind(now).execute(&mut *tx).await?;
                    reports_moved.push((regime_id, *from, period_id, *to));
                    outcome.drafts_moved += 1;
                }
                outcome.reports_readdressed += sqlx::query(
                    "UPDATE submissions SET receiving_agency_id = $2 WHERE receiving_agency_id = $1 AND status <> 'accepted'",
                )
                .bind(*from).bind(*to).execute(&mut *tx).await?.rows_affected() as usize;
            }
            let outcome_json = serde_json::to_string(&outcome).map_err(corrupt)?;
            let id: i32 = sqlx::query_scalar(
                "INSERT INTO agency_events (date, kind, event, outcome, recorded_by, recorded_at)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(day).bind(event.kind()).bind(event_json).bind(&outcome_json).bind(by).bind(now)
            .fetch_one(&mut *tx).await?;
            id
        });
        audited.note(
            "agency.reorganise",
            format!("agency event {id}"),
            None,
            serde_json::json!({ "event": id, "date": day, "kind": event.kind(), "outcome": outcome }),
        );
        for (from, to) in grants_moved {
            audited.note(
                "grants.move",
                format!("agency {from}"),
                Some(to),
                serde_json::json!({ "from": from, "to": to }),
            );
        }
        for (regime, from, period, to) in reports_moved {
            audited.note(
                "report.move",
                format!("report {regime}/{from}/{period}"),
                Some(to),
                serde_json::json!({ "report": [regime, from, period], "agency": to }),
            );
        }
        audited.commit().await?;
        Ok(id)
    }

    /// The recorded events, newest first.
    pub async fn agency_events(&self) -> Result<Vec<EventRecord>, StoreError> {
        const SQL: &str = "SELECT id, date, kind, event, outcome, recorded_by, recorded_at
                           FROM agency_events ORDER BY date DESC, id DESC";
        Ok(on_db!(self, pool => sqlx::query_as(SQL).fetch_all(pool).await?))
    }
}
