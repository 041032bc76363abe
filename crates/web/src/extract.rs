//! Reading a request's names at the edge: typed path extractors for a report's address, and
//! the codes, periods, dates and regimes of query strings and forms read by the service's
//! catalogue, their errors answered in the API's JSON (and the pages').

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use baocao_domain::Date;
use baocao_domain::agency::AgencyCode;
use baocao_domain::regime::Regime;
use baocao_service::catalogue as service_catalogue;
use baocao_service::reporting::ReportAddress;

use crate::AppState;
use crate::auth::ApiPath;
use crate::error::ApiError;

/// `…/reports/{regime}/{agency}/{period}`: which report.
pub struct ReportPath(pub ReportAddress);

impl FromRequestParts<AppState> for ReportPath {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let ApiPath((regime, agency, period)) =
            ApiPath::<(String, String, String)>::from_request_parts(parts, state).await?;
        Ok(Self(ReportAddress::parse(&regime, &agency, &period)?))
    }
}

/// `…/reports/{regime}/{agency}/{period}/versions/{number}`: one version of a report.
pub struct VersionPath(pub ReportAddress, pub i32);

impl FromRequestParts<AppState> for VersionPath {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let ApiPath((regime, agency, period, number)) =
            ApiPath::<(String, String, String, i32)>::from_request_parts(parts, state).await?;
        Ok(Self(
            ReportAddress::parse(&regime, &agency, &period)?,
            number,
        ))
    }
}

pub(crate) fn parse_date(text: &str) -> Result<Date, ApiError> {
    Ok(service_catalogue::parse_date(text)?)
}

/// A period id, or the one `invalid_period` error every route gives, with examples.
pub(crate) fn parse_period(text: &str) -> Result<baocao_domain::period::PeriodId, ApiError> {
    Ok(service_catalogue::parse_period(text)?)
}

pub(crate) fn agency_code(text: &str) -> Result<AgencyCode, ApiError> {
    Ok(service_catalogue::agency_code(text)?)
}

/// The version of a regime that governs periods starting on `date`.
pub(crate) async fn load_regime_for(
    state: &AppState,
    code: &str,
    date: baocao_domain::Date,
) -> Result<Regime, ApiError> {
    Ok(service_catalogue::load_regime_for(&state.store, code, date).await?)
}

pub(crate) async fn load_regime(state: &AppState, code: &str) -> Result<Regime, ApiError> {
    Ok(service_catalogue::load_regime(&state.store, code).await?)
}
