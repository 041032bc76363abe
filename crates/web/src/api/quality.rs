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
use baocao_service::quality::{self, QualityRow};
use baocao_store::analytics::{CellOfSource, SourcedValue};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::doc;
use super::{Listing, Page};
use crate::AppState;
use crate::auth::{ApiJson, ApiQuery, Caller};
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
    match baocao_service::catalogue::lineage_today(state, agency).await {
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
    let rows = quality::quality_rows(&state, &caller, &query.regime, &query.period).await?;
    Ok(Json(Listing::page(rows, &Page::default())))
}
