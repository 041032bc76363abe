//! Cross-source discrepancies: `GET /api/v1/quality/discrepancies` lists every cell that two
//! sources (a province's report and a ministry's feed, say) give differently, with both
//! numbers, their sources and the difference; `POST …/authoritative` marks the source to
//! trust, which every aggregate then takes.

use axum::Json;
use axum::extract::State;
use baocao_domain::agency::AgencyCode;
use baocao_domain::indicator::IndicatorCode;
use baocao_domain::permission::Action;
use baocao_domain::value::OptionCombo;
use baocao_store::analytics::{CellOfSource, SourcedValue};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::doc;
use super::{Listing, Page};
use crate::AppState;
use crate::auth::{ApiJson, ApiQuery, Caller, lineage_today};
use crate::error::ApiError;
use crate::extract::{agency_code, parse_period};

#[derive(Deserialize)]
pub struct DiscrepancyQuery {
    indicator: Option<String>,
    agency: Option<String>,
    period: Option<String>,
    #[serde(flatten)]
    page: Page,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SourceNumber {
    source: String,
    value: f64,
    updated_at: String,
    authoritative: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Discrepancy {
    agency: String,
    period: String,
    indicator: String,
    options: serde_json::Value,
    values: Vec<SourceNumber>,
    /// Largest minus smallest.
    difference: f64,
    /// The difference over the largest magnitude (0 to 2).
    relative: f64,
    /// The source marked to trust, if any.
    authoritative: Option<String>,
}

fn indicator_code(text: &str) -> Result<IndicatorCode, ApiError> {
    IndicatorCode::new(text)
        .map_err(|_| ApiError::not_found(&format!("chỉ tiêu {text}"), &format!("indicator {text}")))
}

/// Whether the caller may read analytics of `agency` (by its lineage today, or any date).
async fn may_read(state: &AppState, caller: &Caller, agency: &AgencyCode) -> bool {
    match lineage_today(state, agency).await {
        Ok(lineage) => caller.may(Action::ReadAnalytics { agency: &lineage }),
        // An agency of the past: readable by whoever reads the whole country.
        Err(_) => caller.may(Action::ReadAnalytics {
            agency: &super::national(),
        }),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/quality/discrepancies",
    tag = "Data quality",
    operation_id = "get_api_v1_quality_discrepancies",
    summary = "Cells that two sources give differently.",
    params(
        ("indicator" = Option<doc::IndicatorCode>, Query),
        ("agency" = Option<doc::AgencyCode>, Query),
        ("period" = Option<doc::PeriodId>, Query),
    ),
    responses(
        (status = 200, description = "OK", body = Listing<Discrepancy>),
    ),
)]
pub async fn discrepancies(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<DiscrepancyQuery>,
) -> Result<Json<Listing<Discrepancy>>, ApiError> {
    let indicator = query.indicator.as_deref().map(indicator_code).transpose()?;
    let agency = query.agency.as_deref().map(agency_code).transpose()?;
    let period = query.period.as_deref().map(parse_period).transpose()?;
    match &agency {
        Some(code) if !may_read(&state, &caller, code).await => return Err(ApiError::forbidden()),
        Some(_) => {}
        None => caller.require(Action::ReadAnalytics {
            agency: &super::national(),
        })?,
    }
    let rows = state
        .store
        .conflicting_values(indicator.as_ref(), agency.as_ref(), period)
        .await?;
    let mut found: Vec<Discrepancy> = Vec::new();
    for row in rows {
        let SourcedValue {
            agency,
            period,
            indicator,
            combo,
            source,
            value,
            updated_at,
            authoritative,
        } = row;
        let same = found.last().is_some_and(|d| {
            d.agency == agency
                && d.period == period
                && d.indicator == indicator
                && d.options == options_json(&combo)
        });
        if !same {
            found.push(Discrepancy {
                options: options_json(&combo),
                agency,
                period,
                indicator,
                values: Vec::new(),
                difference: 0.0,
                relative: 0.0,
                authoritative: None,
            });
        }
        let entry = found.last_mut().expect("pushed above");
        if authoritative {
            entry.authoritative = Some(source.clone());
        }
        entry.values.push(SourceNumber {
            source,
            value,
            updated_at,
            authoritative,
        });
    }
    for entry in &mut found {
        let high = entry
            .values
            .iter()
            .map(|v| v.value)
            .fold(f64::MIN, f64::max);
        let low = entry
            .values
            .iter()
            .map(|v| v.value)
            .fold(f64::MAX, f64::min);
        entry.difference = high - low;
        let scale = high.abs().max(low.abs());
        entry.relative = if scale > 0.0 {
            entry.difference / scale
        } else {
            0.0
        };
    }
    Ok(Json(Listing::page(found, &query.page)))
}

fn options_json(key: &str) -> serde_json::Value {
    OptionCombo::from_key(key).map_or(json!({}), |combo| json!(combo))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct Mark {
    #[schema(value_type = baocao_domain::agency::AgencyCode)]
    agency: String,
    #[schema(value_type = baocao_domain::period::PeriodId)]
    period: String,
    #[schema(value_type = baocao_domain::indicator::IndicatorCode)]
    indicator: String,
    #[serde(default)]
    options: std::collections::BTreeMap<String, String>,
    source: String,
}

/// `POST /api/v1/quality/discrepancies/authoritative`: a reviewer above the agency marks the
/// source to trust for one cell.
#[utoipa::path(
    post,
    path = "/api/v1/quality/discrepancies/authoritative",
    tag = "Data quality",
    operation_id = "post_api_v1_quality_discrepancies_authoritative",
    summary = "Mark the source to trust for a cell.",
    request_body(content = Mark, content_type = "application/json"),
    responses(
        (status = 200, description = "OK", body = MarkedAuthoritative),
    ),
)]
pub async fn mark_authoritative(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(mark): ApiJson<Mark>,
) -> Result<Json<MarkedAuthoritative>, ApiError> {
    let agency = agency_code(&mark.agency)?;
    let period = parse_period(&mark.period)?;
    let indicator = indicator_code(&mark.indicator)?;
    let lineage = state.store.lineage(&agency, period.end()).await?;
    if lineage.is_empty() {
        return Err(ApiError::not_found(
            &format!("cơ quan {agency}"),
            &format!("agency {agency}"),
        ));
    }
    caller.require(Action::Review {
        receiving: &lineage,
    })?;
    let options = OptionCombo::from_stored(mark.options);
    let at = state.now_text();
    state
        .store
        .mark_authoritative(
            &CellOfSource {
                agency: &agency,
                period,
                indicator: &indicator,
                options: &options,
                source: &mark.source,
            },
            caller.principal.username.as_str(),
            &at,
        )
        .await?;
    Ok(Json(MarkedAuthoritative {
        agency,
        period,
        indicator,
        options,
        source: mark.source,
        marked_by: caller.principal.username.clone(),
        marked_at: at,
    }))
}

/// The source now authoritative for a cell.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MarkedAuthoritative {
    agency: baocao_domain::agency::AgencyCode,
    period: baocao_domain::period::PeriodId,
    indicator: baocao_domain::indicator::IndicatorCode,
    options: OptionCombo,
    source: String,
    marked_by: baocao_domain::user::Username,
    marked_at: String,
}

#[derive(Deserialize)]
pub struct DashboardQuery {
    pub(crate) regime: String,
    pub(crate) period: String,
}

/// One reporting agency's report for a regime and period, as data quality sees it. The
/// numbers are of the latest version sent (none before the first submission).
#[derive(Serialize, utoipa::ToSchema)]
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
pub(crate) async fn quality_rows(
    state: &AppState,
    caller: &Caller,
    query: &DashboardQuery,
) -> Result<Vec<QualityRow>, ApiError> {
    use baocao_domain::report::ReportContent;
    use baocao_store::reports::SlotKey;

    let regime = crate::extract::load_regime(state, &query.regime).await?;
    let period = parse_period(&query.period)?;
    let catalogue = baocao_service::catalogue::Catalogue::load(&state.store).await?;
    let outlier_context =
        baocao_service::reporting::validation::OutlierContext::load(state, &regime, period).await?;
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
        let agency = agency_code(&assignment.reporting_agency)?;
        let reporting = state.store.lineage(&agency, period.end()).await?;
        let receiving = state
            .store
            .lineage(&agency_code(&assignment.receiving_agency)?, period.end())
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
        let key = SlotKey {
            regime: regime.code().clone(),
            agency: agency.clone(),
            period,
        };
        let record = state.store.report_slot(&key).await?;
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
                crate::ui::urlencode(regime.code().as_str()),
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
            let violations = baocao_service::reporting::validation::violations(
                state,
                &catalogue,
                &baocao_service::reporting::validation::ReportUnderCheck {
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
            let explained: Vec<serde_json::Value> =
                serde_json::from_str(&version.warnings).unwrap_or_default();
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

/// `GET /api/v1/quality?regime=&period=`: per reporting agency, the completeness of cells,
/// rules broken, warnings explained, outliers, discrepancies and timeliness.
#[utoipa::path(
    get,
    path = "/api/v1/quality",
    tag = "Data quality",
    operation_id = "get_api_v1_quality",
    summary = "Per reporting agency: cells filled, rules, outliers, discrepancies, timeliness.",
    params(
        ("regime" = doc::RegimeCode, Query),
        ("period" = doc::PeriodId, Query),
    ),
    responses(
        (status = 200, description = "OK", body = Listing<QualityRow>),
    ),
)]
pub async fn dashboard(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<DashboardQuery>,
) -> Result<Json<Listing<QualityRow>>, ApiError> {
    let rows = quality_rows(&state, &caller, &query).await?;
    Ok(Json(Listing::page(rows, &Page::default())))
}
