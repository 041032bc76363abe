//! Reads for compliance: a regime's assignments with their agencies' lifetimes and kinds over
//! time, and its reports in a date range with the lateness of their first version and the
//! content of their latest — three queries whatever the number of agencies and periods. The
//! domain ([`baocao_domain::compliance`]) decides what was expected and how it stands.

use baocao_domain::period::PeriodId;
use baocao_domain::regime::RegimeCode;
use baocao_domain::submission::SubmissionStatus;
use jiff::civil::Date;

use crate::{Store, StoreError, on_db};

/// An assignment with its reporting agency's lifetime (dates as ISO text, `None` unbounded).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AssignmentSpan {
    pub agency_id: i32,
    pub agency: String,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
    pub agency_from: Option<String>,
    pub agency_to: Option<String>,
}

/// One state of an agency: its kind over an interval.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KindSpan {
    pub agency_id: i32,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
    pub kind: String,
    pub name_vi: String,
}

#[derive(sqlx::FromRow)]
struct ReportRow {
    agency_id: i32,
    period: String,
    status: String,
    first_late: Option<bool>,
    latest_content: Option<String>,
}

/// A report of the range: whose, which period, its status, whether its first version was late
/// (`None` if never submitted) and its latest submitted content.
#[derive(Debug, Clone)]
pub struct ReportFact {
    pub agency_id: i32,
    pub period: PeriodId,
    pub status: SubmissionStatus,
    pub first_late: Option<bool>,
    pub latest_content: Option<String>,
}

/// Whether `date` (ISO) lies within `from..=to` (ISO, unbounded where `None`).
pub fn within(date: &str, from: &Option<String>, to: &Option<String>) -> bool {
    from.as_deref().is_none_or(|f| f <= date) && to.as_deref().is_none_or(|t| date <= t)
}

impl Store {
    pub async fn assignment_spans(
        &self,
        regime: &RegimeCode,
    ) -> Result<Vec<AssignmentSpan>, StoreError> {
        const SQL: &str = "
            SELECT a.id AS agency_id, a.code AS agency, x.valid_from, x.valid_to,
                   a.valid_from AS agency_from, a.valid_to AS agency_to
            FROM assignments x
            JOIN regimes r ON r.id = x.regime_id
            JOIN agencies a ON a.id = x.reporting_agency_id
            WHERE r.code = $1
            ORDER BY a.code, a.id";
        Ok(on_db!(self, pool => sqlx::query_as(SQL).bind(regime.as_str()).fetch_all(pool).await?))
    }

    /// The kinds over time of the agencies assigned `regime`.
    pub async fn assigned_kinds(&self, regime: &RegimeCode) -> Result<Vec<KindSpan>, StoreError> {
        const SQL: &str = "
            SELECT s.agency_id, s.valid_from, s.valid_to, s.kind, s.name_vi
            FROM agency_states s
            WHERE s.agency_id IN (SELECT x.reporting_agency_id FROM assignments x
                                  JOIN regimes r ON r.id = x.regime_id WHERE r.code = $1)";
        Ok(on_db!(self, pool => sqlx::query_as(SQL).bind(regime.as_str()).fetch_all(pool).await?))
    }

    /// The regime's reports for periods wholly within `start..=end`, of one agency or all.
    pub async fn report_facts(
        &self,
        regime: &RegimeCode,
        start: Date,
        end: Date,
        agency: Option<&str>,
    ) -> Result<Vec<ReportFact>, StoreError> {
        const SQL: &str = "
            SELECT s.agency_id, p.code AS period, s.status,
                   (SELECT v.late FROM submission_versions v WHERE v.submission_id = s.id
                     ORDER BY v.number LIMIT 1) AS first_late,
                   (SELECT v.content FROM submission_versions v WHERE v.submission_id = s.id
                     ORDER BY v.number DESC LIMIT 1) AS latest_content
            FROM submissions s
            JOIN regimes r ON r.id = s.regime_id
            JOIN periods p ON p.id = s.period_id
            WHERE r.code = $1 AND p.start_date >= $2 AND p.end_date <= $3
              AND ($4 IS NULL OR s.agency_id IN (SELECT id FROM agencies WHERE code = $4))";
        let rows: Vec<ReportRow> = on_db!(self, pool => sqlx::query_as(SQL)
            .bind(regime.as_str())
            .bind(start.to_string())
            .bind(end.to_string())
            .bind(agency)
            .fetch_all(pool)
            .await?);
        rows.into_iter()
            .map(|row| {
                Ok(ReportFact {
                    agency_id: row.agency_id,
                    period: PeriodId::parse(&row.period)
                        .map_err(|e| StoreError::Corrupt(e.reason.to_string()))?,
                    status: row
                        .status
                        .parse()
                        .map_err(|s: String| StoreError::Corrupt(format!("status {s}")))?,
                    first_late: row.first_late,
                    latest_content: row.latest_content,
                })
            })
            .collect()
    }
}
