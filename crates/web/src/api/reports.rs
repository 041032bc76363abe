//! Reports over the API (`/api/v1/reports/{regime}/{agency}/{period}`): the JSON shapes and
//! the routes of reading a report, saving its draft, the workflow actions, bulk acceptance,
//! pre-fill, versions and signatures. Each route extracts a typed [`ReportPath`], calls one
//! use case of [`baocao_service::reporting`] and answers its view; every refusal is the
//! service's typed error, mapped once in [`crate::error`].

use axum::Json;
use axum::extract::{Path, State};
use baocao_domain::Date;
use baocao_domain::permission::Action;
use baocao_domain::report::{Cell, CellInput, ReportContent, Section, SectionInput};
use baocao_domain::rules::{Explanation, Violation};
use baocao_domain::submission::{AllowedActions, SubmissionAction};
use baocao_service::reporting::validation::OutlierFlag;
use baocao_service::reporting::{self, ReportAddress, ReportView};
use serde::{Deserialize, Serialize};

use super::doc;
use crate::AppState;
use crate::auth::{ApiJson, Caller};
use crate::error::ApiError;
use crate::extract::agency_code;
use crate::extract::{ReportPath, VersionPath};

/// A report as the API shows it. `version` is the optimistic lock (0 before the first save).
#[derive(Serialize, utoipa::ToSchema)]
pub struct SlotView {
    regime: String,
    agency: String,
    period: String,
    receiving_agency: String,
    #[schema(value_type = doc::ReportStatus)]
    status: &'static str,
    version: i32,
    /// The version of the regime that governs this period (an amendment governs only the
    /// periods from its effective date).
    regime_version: u32,
    cutoff_start: Option<Date>,
    cutoff_end: Option<Date>,
    deadline: Option<Date>,
    /// The deadline's time of day (Vietnam time), when the regime sets one.
    #[serde(skip_serializing_if = "Option::is_none")]
    deadline_time: Option<String>,
    values: Vec<Cell>,
    sections: Vec<Section>,
    versions: Vec<serde_json::Value>,
    /// Why the report was last returned or reopened.
    return_reason: Option<String>,
    updated_at: Option<String>,
    /// The regime's rules that the content shown breaks.
    violations: Vec<Violation>,
    /// Numbers that look wrong against history, last year or peers (a prompt to check, not a
    /// block).
    outliers: Vec<OutlierFlag>,
    /// What the caller may do with the slot now.
    allowed: AllowedActions,
}

impl From<ReportView> for SlotView {
    fn from(view: ReportView) -> Self {
        let status = view.status_name();
        Self {
            regime: view.address.regime.to_string(),
            agency: view.address.agency.to_string(),
            period: view.address.period.to_string(),
            receiving_agency: view.receiving_agency.to_string(),
            status,
            version: view.lock_version,
            regime_version: view.regime_version,
            cutoff_start: view.cutoff.map(|w| w.start),
            cutoff_end: view.cutoff.map(|w| w.end),
            deadline: view.due.map(|due| due.day),
            deadline_time: view
                .due
                .and_then(|due| due.time)
                .map(|time| time.strftime("%H:%M").to_string()),
            values: view.content.values,
            sections: view.content.sections,
            versions: view
                .versions
                .iter()
                .map(|v| serde_json::to_value(v).unwrap_or_default())
                .collect(),
            return_reason: view.return_reason,
            updated_at: view.updated_at,
            violations: view.violations,
            outliers: view.outliers,
            allowed: view.allowed,
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/reports/{regime}/{agency}/{period}",
    tag = "Reporting",
    operation_id = "get_api_v1_reports_regime_agency_period",
    summary = "A report slot: status, version lock, deadline, content, violations, outliers, allowed actions.",
    params(
        doc::ReportPath,
    ),
    responses(
        (status = 200, description = "OK", body = SlotView),
    ),
)]
pub async fn slot(
    State(state): State<AppState>,
    caller: Caller,
    ReportPath(address): ReportPath,
) -> Result<Json<SlotView>, ApiError> {
    Ok(Json(
        reporting::read(&state, &caller, &address).await?.into(),
    ))
}

/// An edit of a draft as the API document describes it.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct DraftEdit {
    /// The lock read with the slot (0 before the first save).
    pub(crate) version: i32,
    #[serde(default)]
    pub(crate) values: Vec<CellInput>,
    #[serde(default)]
    pub(crate) sections: Vec<SectionInput>,
}

impl From<DraftEdit> for reporting::DraftEdit {
    fn from(edit: DraftEdit) -> Self {
        Self {
            version: edit.version,
            values: edit.values,
            sections: edit.sections,
        }
    }
}

#[utoipa::path(
    put,
    path = "/api/v1/reports/{regime}/{agency}/{period}/draft",
    tag = "Reporting",
    operation_id = "put_api_v1_reports_regime_agency_period_draft",
    summary = "Merge cells and sections into the draft (optimistic lock on version).",
    params(
        doc::ReportPath,
    ),
    request_body(content = DraftEdit, content_type = "application/json"),
    responses(
        (status = 200, description = "OK", body = SlotView),
    ),
)]
pub async fn save_draft(
    State(state): State<AppState>,
    caller: Caller,
    ReportPath(address): ReportPath,
    ApiJson(edit): ApiJson<DraftEdit>,
) -> Result<Json<SlotView>, ApiError> {
    Ok(Json(
        reporting::save_draft(&state, &caller, &address, edit.into())
            .await?
            .into(),
    ))
}

/// The body of an action: a reason where one is needed (return, reopen), explanations of
/// the warnings a report carries (submit).
#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct ActionBody {
    #[serde(default)]
    pub(crate) reason: Option<String>,
    #[serde(default)]
    pub(crate) explanations: Vec<Explanation>,
}

impl From<ActionBody> for reporting::ActionInput {
    fn from(body: ActionBody) -> Self {
        Self {
            reason: body.reason,
            explanations: body.explanations,
        }
    }
}

/// Every action route: one workflow action on the report.
async fn action_route(
    state: AppState,
    caller: Caller,
    address: ReportAddress,
    action: SubmissionAction,
    body: ActionBody,
) -> Result<Json<SlotView>, ApiError> {
    Ok(Json(
        reporting::act(&state, &caller, &address, action, body.into())
            .await?
            .into(),
    ))
}

#[utoipa::path(
    post,
    path = "/api/v1/reports/{regime}/{agency}/{period}/submit",
    tag = "Reporting",
    operation_id = "post_api_v1_reports_regime_agency_period_submit",
    summary = "Sign and submit the draft (approver); 422 validation_failed or explanation_required.",
    params(
        doc::ReportPath,
    ),
    request_body(content = ActionBody, content_type = "application/json"),
    responses(
        (status = 200, description = "OK", body = SlotView),
    ),
)]
pub async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    ReportPath(address): ReportPath,
    ApiJson(body): ApiJson<ActionBody>,
) -> Result<Json<SlotView>, ApiError> {
    action_route(state, caller, address, SubmissionAction::Submit, body).await
}

#[utoipa::path(
    post,
    path = "/api/v1/reports/{regime}/{agency}/{period}/accept",
    tag = "Reporting",
    operation_id = "post_api_v1_reports_regime_agency_period_accept",
    summary = "Accept a submitted report (receiving reviewer).",
    params(
        doc::ReportPath,
    ),
    request_body(content = ActionBody, content_type = "application/json"),
    responses(
        (status = 200, description = "OK", body = SlotView),
    ),
)]
pub async fn accept(
    State(state): State<AppState>,
    caller: Caller,
    ReportPath(address): ReportPath,
    ApiJson(body): ApiJson<ActionBody>,
) -> Result<Json<SlotView>, ApiError> {
    action_route(state, caller, address, SubmissionAction::Accept, body).await
}

#[utoipa::path(
    post,
    path = "/api/v1/reports/{regime}/{agency}/{period}/return",
    tag = "Reporting",
    operation_id = "post_api_v1_reports_regime_agency_period_return",
    summary = "Return a submitted report with {reason}.",
    params(
        doc::ReportPath,
    ),
    request_body(content = ActionBody, content_type = "application/json"),
    responses(
        (status = 200, description = "OK", body = SlotView),
    ),
)]
pub async fn return_report(
    State(state): State<AppState>,
    caller: Caller,
    ReportPath(address): ReportPath,
    ApiJson(body): ApiJson<ActionBody>,
) -> Result<Json<SlotView>, ApiError> {
    action_route(state, caller, address, SubmissionAction::Return, body).await
}

#[utoipa::path(
    post,
    path = "/api/v1/reports/{regime}/{agency}/{period}/reopen",
    tag = "Reporting",
    operation_id = "post_api_v1_reports_regime_agency_period_reopen",
    summary = "Reopen an accepted report with {reason}.",
    params(
        doc::ReportPath,
    ),
    request_body(content = ActionBody, content_type = "application/json"),
    responses(
        (status = 200, description = "OK", body = SlotView),
    ),
)]
pub async fn reopen(
    State(state): State<AppState>,
    caller: Caller,
    ReportPath(address): ReportPath,
    ApiJson(body): ApiJson<ActionBody>,
) -> Result<Json<SlotView>, ApiError> {
    action_route(state, caller, address, SubmissionAction::Reopen, body).await
}

/// Who was told that a draft is ready for approval.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ApprovalAsked {
    /// How many of the agency's approvers were told (0 when each already was, for this draft).
    told: u64,
}

#[utoipa::path(
    post,
    path = "/api/v1/reports/{regime}/{agency}/{period}/ready",
    tag = "Reporting",
    operation_id = "post_api_v1_reports_regime_agency_period_ready",
    summary = "Tell the agency's approvers that the saved draft is ready for their signature (the report's editors); 409 no_draft when nothing is saved.",
    params(
        doc::ReportPath,
    ),
    responses(
        (status = 200, description = "OK", body = ApprovalAsked),
    ),
)]
pub async fn ready(
    State(state): State<AppState>,
    caller: Caller,
    ReportPath(address): ReportPath,
) -> Result<Json<ApprovalAsked>, ApiError> {
    let told = reporting::ask_for_approval(&state, &caller, &address).await?;
    Ok(Json(ApprovalAsked { told }))
}

/// `GET …/prefill`: values suggested from the subordinates' accepted reports and, for stock
/// indicators, the previous period (for the slot's editors; nothing is saved).
#[utoipa::path(
    get,
    path = "/api/v1/reports/{regime}/{agency}/{period}/prefill",
    tag = "Reporting",
    operation_id = "get_api_v1_reports_regime_agency_period_prefill",
    summary = "Values suggested from subordinates and the previous period.",
    params(
        doc::ReportPath,
    ),
    responses(
        (status = 200, description = "OK", body = reporting::prefill::Prefill),
    ),
)]
pub async fn prefill(
    State(state): State<AppState>,
    caller: Caller,
    ReportPath(address): ReportPath,
) -> Result<Json<reporting::prefill::Prefill>, ApiError> {
    Ok(Json(reporting::suggest(&state, &caller, &address).await?))
}

/// What compiling a report asks.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompileBody {
    /// The lock read with the report (0 before the first save).
    version: i32,
    /// Replace outline sections that already hold text (default: only empty ones are filled).
    #[serde(default)]
    replace_sections: bool,
}

/// The compiled draft, and whom it was compiled from.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CompiledReport {
    report: SlotView,
    /// Subordinates whose accepted reports were compiled.
    included: Vec<String>,
    /// Subordinates assigned the regime with no accepted report for the period yet.
    missing: Vec<String>,
}

/// `POST …/compile`: the report compiled from the accepted reports below it and saved as its
/// draft.
#[utoipa::path(
    post,
    path = "/api/v1/reports/{regime}/{agency}/{period}/compile",
    tag = "Reporting",
    operation_id = "post_api_v1_reports_regime_agency_period_compile",
    summary = "Compile the report from the accepted reports of the agencies below (the report's editors): every form added up by each indicator's rule, each outline section collected per agency under its name, saved as the draft to edit, sign and submit; answers who is still missing. 409 version_conflict on a stale version.",
    params(
        doc::ReportPath,
    ),
    request_body(content = CompileBody, content_type = "application/json"),
    responses(
        (status = 200, description = "OK", body = CompiledReport),
    ),
)]
pub async fn compile(
    State(state): State<AppState>,
    caller: Caller,
    ReportPath(address): ReportPath,
    ApiJson(body): ApiJson<CompileBody>,
) -> Result<Json<CompiledReport>, ApiError> {
    use reporting::compile::{CompileRequest, compile};
    let compiled = compile(
        &state,
        &caller,
        &address,
        CompileRequest {
            version: body.version,
            replace_sections: body.replace_sections,
        },
    )
    .await?;
    Ok(Json(CompiledReport {
        report: compiled.report.into(),
        included: compiled.included,
        missing: compiled.missing,
    }))
}

/// A report slot named in a body.
#[derive(Deserialize, Serialize, Clone, utoipa::ToSchema)]
pub struct SlotRef {
    #[schema(value_type = baocao_domain::regime::RegimeCode)]
    pub regime: String,
    #[schema(value_type = baocao_domain::agency::AgencyCode)]
    pub agency: String,
    #[schema(value_type = baocao_domain::period::PeriodId)]
    pub period: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct BulkAccept {
    reports: Vec<SlotRef>,
}

impl SlotRef {
    pub(crate) fn address(&self) -> Result<ReportAddress, ApiError> {
        Ok(ReportAddress::parse(
            &self.regime,
            &self.agency,
            &self.period,
        )?)
    }
}

/// `POST /api/v1/reports/accept` with `{"reports": [{"regime", "agency", "period"}]}`: a
/// reviewer accepts many submissions at once. Every one is checked first (the caller reviews
/// it, it waits for review); if any is refused, none is accepted.
#[utoipa::path(
    post,
    path = "/api/v1/reports/accept",
    tag = "Reporting",
    operation_id = "post_api_v1_reports_accept",
    summary = "Accept many submitted reports at once (all or none).",
    request_body(content = BulkAccept, content_type = "application/json"),
    responses(
        (status = 200, description = "OK", body = AcceptedReports),
    ),
)]
pub async fn accept_many(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<BulkAccept>,
) -> Result<Json<AcceptedReports>, ApiError> {
    let addresses = body
        .reports
        .iter()
        .map(SlotRef::address)
        .collect::<Result<Vec<_>, _>>()?;
    let reports: Vec<SlotView> = reporting::accept_many(&state, &caller, &addresses)
        .await?
        .into_iter()
        .map(SlotView::from)
        .collect();
    Ok(Json(AcceptedReports {
        accepted: reports.len(),
        reports,
    }))
}

/// Reports accepted together.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AcceptedReports {
    accepted: usize,
    reports: Vec<SlotView>,
}

#[derive(Deserialize)]
pub struct DiffQuery {
    /// The earlier version (default: the one before; 0 is the empty report).
    against: Option<i32>,
}

/// `GET …/versions/{n}/diff?against=m`: the cells and sections that changed from version m
/// to version n.
#[utoipa::path(
    get,
    path = "/api/v1/reports/{regime}/{agency}/{period}/versions/{number}/diff",
    tag = "Reporting",
    operation_id = "get_api_v1_reports_regime_agency_period_versions_number_diff",
    summary = "Cells and sections changed from version `against` (default n-1).",
    params(
        doc::ReportPath,
        ("number" = u32, Path, minimum = 1, maximum = 1000000),
        ("against" = Option<u32>, Query, minimum = 1, maximum = 1000000),
    ),
    responses(
        (status = 200, description = "OK", body = VersionDiff),
    ),
)]
pub async fn version_diff(
    State(state): State<AppState>,
    caller: Caller,
    VersionPath(address, number): VersionPath,
    crate::auth::ApiQuery(query): crate::auth::ApiQuery<DiffQuery>,
) -> Result<Json<VersionDiff>, ApiError> {
    let diff = reporting::versions::diff(&state, &caller, &address, number, query.against).await?;
    Ok(Json(VersionDiff {
        from: diff.from,
        to: diff.to,
        changes: diff.changes,
    }))
}

/// What changed between two submitted versions (`from` 0: everything in `to`).
#[derive(Serialize, utoipa::ToSchema)]
pub struct VersionDiff {
    pub from: i32,
    pub to: i32,
    #[serde(flatten)]
    pub changes: baocao_domain::report::ContentDiff,
}

#[utoipa::path(
    get,
    path = "/api/v1/reports/{regime}/{agency}/{period}/versions/{number}/signature",
    tag = "Reporting",
    operation_id = "get_api_v1_reports_regime_agency_period_versions_number_signature",
    summary = "A version's signature, digest, key and verification.",
    params(
        doc::ReportPath,
        ("number" = u32, Path, minimum = 1, maximum = 1000000),
    ),
    responses(
        (status = 200, description = "OK", body = SignatureCheck),
    ),
)]
pub async fn signature(
    State(state): State<AppState>,
    caller: Caller,
    VersionPath(address, number): VersionPath,
) -> Result<Json<SignatureCheck>, ApiError> {
    let signed = reporting::versions::check_signature(&state, &caller, &address, number).await?;
    let version = signed.version;
    // The stored text as signed (it parsed as a report in the check).
    let content = version.content_json()?;
    Ok(Json(SignatureCheck {
        number: version.number,
        algorithm: "Ed25519 over the raw 32-byte SHA-256 digest of the canonical content",
        sha256: version.content_sha256,
        signature: version.signature,
        public_key: version.public_key,
        signer: version.signed_by.clone(),
        signed_by: version.signed_by,
        signed_at: version.submitted_at,
        late: version.late,
        verified: signed.checks.verified(),
        checks: SignatureChecks {
            signature: signed.checks.signature,
            content_digest: signed.checks.content_digest,
            key_published: signed.checks.key_published,
            data_values: signed.checks.data_values,
        },
        content,
        canonical_content: version.content,
        certificate_signature: signed.certificate.map(Into::into),
    }))
}

#[derive(Deserialize)]
pub struct DocumentQuery {
    /// `pdf` (the default) or `docx`.
    format: Option<String>,
}

/// `GET …/versions/{n}/document?format=pdf|docx`: the version as an administrative document.
#[utoipa::path(
    get,
    path = "/api/v1/reports/{regime}/{agency}/{period}/versions/{number}/document",
    tag = "Reporting",
    operation_id = "get_api_v1_reports_regime_agency_period_versions_number_document",
    summary = "A submitted version as an administrative document laid out as Decree 30/2020/NĐ-CP prescribes (national title and motto, issuing agency, number from the agency's yearly register, place and date, summary, the outline's sections and the forms as tables, recipients, signer and signature mark), A4 PDF with its font embedded, or DOCX for agencies that edit before issuing.",
    params(
        doc::ReportPath,
        ("number" = u32, Path, minimum = 1, maximum = 1000000),
        ("format" = Option<String>, Query, description = "pdf (the default) or docx"),
    ),
    responses(
        (status = 200, description = "The document", content(
            (doc::Binary = "application/pdf"),
            (doc::Binary = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        )),
    ),
)]
pub async fn document(
    State(state): State<AppState>,
    caller: Caller,
    VersionPath(address, number): VersionPath,
    crate::auth::ApiQuery(query): crate::auth::ApiQuery<DocumentQuery>,
) -> Result<axum::response::Response, ApiError> {
    use axum::http::header;
    use axum::response::IntoResponse;
    use reporting::document::{DocumentFormat, of_version};
    let format = DocumentFormat::parse(query.format.as_deref())?;
    let file = of_version(&state, &caller, &address, number, format).await?;
    Ok((
        [
            (header::CONTENT_TYPE, file.media_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{}\"", file.file_name),
            ),
        ],
        file.bytes,
    )
        .into_response())
}

/// A submitted version's signature and whether it holds, so anyone can check it again.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SignatureCheck {
    number: i32,
    algorithm: &'static str,
    /// Hex SHA-256 of `canonical_content`.
    sha256: String,
    /// Base64 Ed25519 signature.
    signature: String,
    public_key: String,
    signer: String,
    signed_by: String,
    signed_at: String,
    late: bool,
    /// Every check below holds (`data_values` only where it applies).
    verified: bool,
    checks: SignatureChecks,
    /// The signed content as stored.
    #[schema(value_type = ReportContent)]
    content: serde_json::Value,
    /// The exact text that was digested and signed.
    canonical_content: String,
    /// The document's signature by the signer's X.509 certificate (PAdES in the PDF, CMS over
    /// `canonical_content`), once signed; the Ed25519 signature above stays as made at
    /// submission.
    certificate_signature: Option<super::signing::CertificateSignatureView>,
}

/// The four things a valid signature needs.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SignatureChecks {
    signature: bool,
    content_digest: bool,
    key_published: bool,
    /// For the accepted version: the stored data values equal what was signed.
    data_values: Option<bool>,
}

/// An agency's published signing keys.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AgencyKeys {
    agency: baocao_domain::agency::AgencyCode,
    algorithm: &'static str,
    keys: Vec<PublishedKey>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PublishedKey {
    public_key: String,
    created_at: String,
}

/// `GET /api/v1/agencies/{code}/keys`: the agency's published signing keys.
#[utoipa::path(
    get,
    path = "/api/v1/agencies/{code}/keys",
    tag = "Reporting",
    operation_id = "get_api_v1_agencies_code_keys",
    summary = "The agency's published Ed25519 signing keys.",
    params(
        ("code" = doc::AgencyCode, Path),
    ),
    responses(
        (status = 200, description = "OK", body = AgencyKeys),
    ),
)]
pub async fn agency_keys(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Json<AgencyKeys>, ApiError> {
    caller.require(Action::ReadCatalogue)?;
    let code = agency_code(&code)?;
    let keys = state.store.public_keys(&code).await?;
    Ok(Json(AgencyKeys {
        agency: code,
        algorithm: "Ed25519",
        keys: keys
            .into_iter()
            .map(|(public_key, created_at)| PublishedKey {
                public_key,
                created_at,
            })
            .collect(),
    }))
}
