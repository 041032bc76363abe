//! Data quality of a regime's reports for a period: per reporting agency that the caller may
//! read, the completeness of cells, rules broken, warnings explained, outliers, discrepancies
//! between sources and timeliness — of the latest version sent.

use serde::Serialize;

use baocao_domain::permission::Action;

use crate::catalogue::{self, Catalogue, CatalogueError};
use crate::reporting::validation::{OutlierContext, ReportUnderCheck, violations};
use crate::{Caller, Context};

/// One reporting agency's report for a regime and period, as data quality sees it. The
/// numbers are of the latest version sent (none before the first submission).
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QualityRow {
    pub agency: String,
    pub agency_name: String,
    pub status: &'static str,
    pub submitted_at: Option<String>,
    pub late: Option<bool>,
    /// Total cells of the "this period" column (the first column where there is none).
    pub cells_total: usize,
    pub cells_filled: usize,
    /// Filled over total, 0 to 1.
    pub completeness: Option<f64>,
    pub rules_total: usize,
    pub errors: usize,
    pub warnings: usize,
    pub warnings_explained: usize,
    pub outliers: usize,
    pub discrepancies: usize,
    pub href: String,
}

/// The quality of every report of a regime for a period that the caller may read.
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username, regime, period))]
pub async fn quality_rows(
    state: &Context,
    caller: &Caller,
    regime: &str,
    period: &str,
) -> Result<Vec<QualityRow>, CatalogueError> {
    use baocao_domain::report::ReportContent;
    use baocao_store::reports::ReportKey;

    let regime = catalogue::load_regime(&state.store, regime).await?;
    let period = catalogue::parse_period(period)?;
    let catalogue = Catalogue::current(state).await?;
    let outlier_context = OutlierContext::load(state, &regime, period).await?;
    let rules_total = regime.content().rules.len();
    let required: usize = regime.content().forms.iter().map(|f| f.rows.len()).sum();
    let mut conflicts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for value in state
        .store
        .conflicting_values(None, None, Some(period))
        .await?
    {
        if regime.content().forms.iter().any(|f| {
            f.rows
                .iter()
                .any(|r| r.indicator.as_str() == value.indicator)
        }) {
            *conflicts.entry(value.agency).or_default() += 1;
        }
    }
    let mut rows = Vec::new();
    for assignment in state
        .store
        .assignments(regime.code(), Some(period.end()))
        .await?
    {
        let agency = catalogue::agency_code(&assignment.reporting_agency)?;
        let reporting = state.store.lineage(&agency, period.end()).await?;
        let receiving = state
            .store
            .lineage(
                &catalogue::agency_code(&assignment.receiving_agency)?,
                period.end(),
            )
            .await?;
        let readable = caller.may(Action::EditDraft {
            reporting: &reporting,
        }) || caller.may(Action::ReadSubmitted {
            reporting: &reporting,
            receiving: &receiving,
        });
        if !readable {
            continue;
        }
        let key = ReportKey {
            regime: regime.code().clone(),
            agency: agency.clone(),
            period,
        };
        let record = state.store.report_record(&key).await?;
        let versions = state.store.versions(&key).await?;
        let latest = versions.last();
        let content: Option<ReportContent> =
            latest.and_then(|v| serde_json::from_str(&v.content).ok());
        let name = state
            .store
            .agency_as_of(&agency, period.end())
            .await?
            .map(|a| a.name_vi)
            .unwrap_or_default();
        let mut row = QualityRow {
            href: format!(
                "/reports/{}/{}/{}",
                crate::path_segment(regime.code().as_str()),
                agency,
                period
            ),
            agency: agency.to_string(),
            agency_name: name,
            status: record.as_ref().map_or("not_started", |r| r.status.as_str()),
            submitted_at: latest.map(|v| v.submitted_at.clone()),
            late: latest.map(|v| v.late),
            cells_total: required,
            cells_filled: 0,
            completeness: None,
            rules_total,
            errors: 0,
            warnings: 0,
            warnings_explained: 0,
            outliers: 0,
            discrepancies: conflicts.get(agency.as_str()).copied().unwrap_or(0),
        };
        if let (Some(content), Some(version)) = (content, latest) {
            row.cells_filled = content.filled_rows(regime.content());
            row.completeness = (required > 0).then(|| row.cells_filled as f64 / required as f64);
            let violations = violations(
                state,
                &catalogue,
                &ReportUnderCheck {
                    regime: &regime,
                    agency: &agency,
                    period,
                    content: &content,
                },
            )
            .await?;
            row.errors = violations
                .iter()
                .filter(|v| v.severity == baocao_domain::regime::Severity::Error)
                .count();
            row.warnings = violations.len() - row.errors;
            let explained = version.warnings()?;
            row.warnings_explained = explained
                .iter()
                .filter(|w| {
                    w["explanation"]
                        .as_str()
                        .is_some_and(|t| !t.trim().is_empty())
                })
                .count();
            row.outliers = outlier_context.outliers(&agency, &content).len();
        }
        rows.push(row);
    }
    Ok(rows)
}
