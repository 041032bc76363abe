//! `GET /api/v1/compliance?regime=&from=&to=`: who was expected to report each period of a
//! range, who did, on time or late, complete or not — per agency, per kind, in all — and the
//! status of every expected report now. What was expected comes from the history of
//! assignments and agencies (the domain's [`baocao_domain::compliance`]).

use std::collections::{BTreeMap, HashMap};

use axum::Json;
use axum::extract::State;
use baocao_domain::agency::AgencyKind;
use baocao_domain::calendar::{Due, cutoff_window, deadline};
use baocao_domain::compliance::{Expected, ReportState, SlotStatus, Tally, summary, tally};
use baocao_domain::period::PeriodId;
use baocao_domain::permission::Action;
use baocao_domain::report::ReportContent;
use baocao_store::compliance::within;
use serde::{Deserialize, Serialize};

use super::catalogue::load_regime;
use super::catalogue::parse_period;
use super::doc;
use crate::AppState;
use crate::auth::{ApiQuery, Caller};
use crate::error::ApiError;

/// The most periods one question may span.
const MAX_PERIODS: usize = 400;

#[derive(Deserialize)]
pub struct ComplianceQuery {
    pub(crate) regime: String,
    pub(crate) from: String,
    pub(crate) to: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AgencyCompliance {
    pub agency: String,
    pub name: String,
    pub kind: AgencyKind,
    #[serde(flatten)]
    pub tally: Tally,
    pub completeness: Option<f64>,
    pub timeliness: Option<f64>,
    pub content_completeness: Option<f64>,
    /// Period id → status now, for the periods the agency was expected.
    pub periods: BTreeMap<String, SlotStatus>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct KindCompliance {
    pub kind: AgencyKind,
    pub agencies: usize,
    pub with_a_submission: usize,
    #[serde(flatten)]
    pub tally: Tally,
    pub completeness: Option<f64>,
    pub timeliness: Option<f64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ComplianceAnswer {
    pub regime: String,
    pub from: String,
    pub to: String,
    pub periods: Vec<String>,
    pub items: Vec<AgencyCompliance>,
    pub by_kind: Vec<KindCompliance>,
    pub total: Tally,
    pub completeness: Option<f64>,
    pub timeliness: Option<f64>,
    pub content_completeness: Option<f64>,
    pub summary: String,
    pub summary_en: String,
}

#[utoipa::path(
    get,
    path = "/api/v1/compliance",
    tag = "Compliance",
    operation_id = "get_api_v1_compliance",
    summary = "Expected, submitted, on time, late, missing, complete per agency over a range of periods.",
    params(
        ("regime" = doc::RegimeCode, Query),
        ("from" = doc::PeriodId, Query),
        ("to" = Option<doc::PeriodId>, Query),
    ),
    responses(
        (status = 200, description = "OK", body = ComplianceAnswer),
    ),
)]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(query): ApiQuery<ComplianceQuery>,
) -> Result<Json<ComplianceAnswer>, ApiError> {
    Ok(Json(compliance(&state, &caller, &query).await?))
}

pub(crate) async fn compliance(
    state: &AppState,
    caller: &Caller,
    query: &ComplianceQuery,
) -> Result<ComplianceAnswer, ApiError> {
    // Compliance across agencies is the whole country's business: the reading of analytics at VN.
    caller.require(Action::ReadAnalytics {
        agency: &super::national(),
    })?;
    let regime = load_regime(state, &query.regime).await?;
    let content = regime.content();
    let (Some(frequency), Some(_), Some(_)) =
        (content.frequency, &content.deadline, &content.cutoff)
    else {
        return Err(ApiError::bad_request(
            "not_periodic",
            "Chế độ báo cáo này không có tần suất, thời hạn và thời gian chốt số liệu: không tính được.",
            "This regime lacks a frequency, deadline or cut-off: compliance cannot be computed.",
        ));
    };
    let first = parse_period(&query.from)?;
    let last = parse_period(query.to.as_deref().unwrap_or(&query.from))?;
    if first.frequency() != frequency || last.frequency() != frequency {
        return Err(ApiError::bad_request(
            "period_frequency_mismatch",
            format!("Kỳ phải theo tần suất {frequency} của chế độ báo cáo."),
            format!("Periods must be of the regime's frequency ({frequency})."),
        ));
    }
    let mut periods = vec![first];
    while *periods.last().expect("one at least") < last {
        if periods.len() >= MAX_PERIODS {
            return Err(ApiError::bad_request(
                "range_too_long",
                format!("Khoảng kỳ quá dài (tối đa {MAX_PERIODS} kỳ)."),
                format!("The range is too long (at most {MAX_PERIODS} periods)."),
            ));
        }
        let next = periods.last().expect("one at least").next();
        periods.push(next);
    }

    let (expected, names) = expected_reports(state, &regime, &periods, None).await?;
    let result = tally(&expected);
    let now = state.clock.now();
    let mut statuses: BTreeMap<&str, BTreeMap<String, SlotStatus>> = BTreeMap::new();
    let mut kind_of: BTreeMap<&str, AgencyKind> = BTreeMap::new();
    for item in &expected {
        statuses
            .entry(&item.agency)
            .or_default()
            .insert(item.period.to_string(), item.status(now));
        kind_of.insert(&item.agency, item.kind);
    }
    let items = result
        .by_agency
        .iter()
        .map(|(agency, tally)| AgencyCompliance {
            agency: agency.clone(),
            name: names.get(agency).cloned().unwrap_or_default(),
            kind: kind_of[agency.as_str()],
            tally: *tally,
            completeness: tally.completeness(),
            timeliness: tally.timeliness(),
            content_completeness: tally.content_completeness(),
            periods: statuses.remove(agency.as_str()).unwrap_or_default(),
        })
        .collect();
    let by_kind = result
        .by_kind
        .iter()
        .map(|(kind, (tally, count))| KindCompliance {
            kind: *kind,
            agencies: count.agencies,
            with_a_submission: count.with_a_submission,
            tally: *tally,
            completeness: tally.completeness(),
            timeliness: tally.timeliness(),
        })
        .collect();
    let (summary_vi, summary_en) = summary(&result);
    Ok(ComplianceAnswer {
        regime: regime.code().to_string(),
        from: first.to_string(),
        to: last.to_string(),
        periods: periods.iter().map(ToString::to_string).collect(),
        items,
        by_kind,
        total: result.total,
        completeness: result.total.completeness(),
        timeliness: result.total.timeliness(),
        content_completeness: result.total.content_completeness(),
        summary: summary_vi,
        summary_en,
    })
}

/// The reports expected of a regime's periods (of every agency, or of `only`), from the
/// history of its assignments and of the agencies' lifetimes, each with how it stands; and the
/// agencies' names then.
pub(crate) async fn expected_reports(
    state: &AppState,
    regime: &baocao_domain::regime::Regime,
    periods: &[PeriodId],
    only: Option<&str>,
) -> Result<(Vec<Expected>, HashMap<String, String>), ApiError> {
    let content = regime.content();
    let (Some(rule), Some(cutoff), Some(first), Some(last)) = (
        &content.deadline,
        &content.cutoff,
        periods.first(),
        periods.last(),
    ) else {
        return Ok((Vec::new(), HashMap::new()));
    };
    let holidays = state.store.holiday_calendar().await?;
    let spans = state.store.assignment_spans(regime.code()).await?;
    let kinds = state.store.assigned_kinds(regime.code()).await?;
    let facts = state
        .store
        .report_facts(regime.code(), first.start(), last.end(), only)
        .await?;
    let reports: HashMap<(i32, PeriodId), &baocao_store::compliance::ReportFact> =
        facts.iter().map(|f| ((f.agency_id, f.period), f)).collect();
    let mut names: HashMap<String, String> = HashMap::new();
    let mut expected = Vec::new();
    for p in periods {
        let on = p.end().to_string();
        let mut seen = std::collections::HashSet::new();
        for span in spans.iter().filter(|s| {
            only.is_none_or(|code| s.agency == code)
                && within(&on, &s.valid_from, &s.valid_to)
                && within(&on, &s.agency_from, &s.agency_to)
        }) {
            if !seen.insert(span.agency_id) {
                continue;
            }
            let Some(state_then) = kinds
                .iter()
                .find(|k| k.agency_id == span.agency_id && within(&on, &k.valid_from, &k.valid_to))
            else {
                continue;
            };
            let Ok(kind) = AgencyKind::parse(&state_then.kind) else {
                continue;
            };
            names.insert(span.agency.clone(), state_then.name_vi.clone());
            let report = reports.get(&(span.agency_id, *p)).map(|fact| ReportState {
                status: fact.status,
                first_late: fact.first_late,
                complete: fact
                    .latest_content
                    .as_deref()
                    .and_then(|c| serde_json::from_str::<ReportContent>(c).ok())
                    .is_some_and(|c| c.fills_every_row(content)),
            });
            expected.push(Expected {
                agency: span.agency.clone(),
                kind,
                period: *p,
                opens: cutoff_window(cutoff, *p).start,
                deadline: Due {
                    day: deadline(rule, Some(cutoff), *p, &holidays),
                    time: content.deadline_time,
                },
                report,
            });
        }
    }
    Ok((expected, names))
}
