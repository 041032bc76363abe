//! Signing a version's document with the signer's X.509 certificate, in two calls so the key
//! stays on its token: `POST …/versions/{n}/document/signing` with the certificate answers
//! what to sign; `POST …/document/signing/{id}` with the token's signatures signs. The
//! version's `document?format=pdf` is then the signed PDF, and its `signature` tells the
//! certificate. An agency whose systems sign without a person uploads its certificate as
//! PKCS #12 (`PUT /api/v1/agencies/{code}/certificate`) and signs a version in one call
//! (`POST …/versions/{n}/document/signature`).

use axum::Json;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use baocao_service::reporting::ReportAddress;
use baocao_service::reporting::signing::{self, CertificateSignature, Completion, PreparedSigning};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};

use super::doc;
use crate::AppState;
use crate::auth::{ApiJson, ApiPath, Caller};
use crate::error::ApiError;
use crate::extract::{VersionPath, agency_code};

/// The certificate a signer signs with.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SigningRequest {
    /// PEM: the signer's certificate first, then any intermediate CA certificates.
    certificates: String,
}

/// What the signer's token must sign, and the certificate it will be checked against.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SigningTask {
    /// Names this signing in the second call; valid until `expires_at`.
    id: String,
    expires_at: String,
    /// How to sign each item: RSA PKCS #1 v1.5 with SHA-256 over `signed_attributes` (that
    /// is, of `sha256`, e.g. `openssl pkeyutl -sign -pkeyopt digest:sha256`).
    algorithm: &'static str,
    certificate: CertificateView,
    /// The PAdES signature inside the PDF.
    document: ToSign,
    /// The CMS signature over the version's canonical content.
    content: ToSign,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ToSign {
    /// Base64 of the DER of the CMS signed attributes.
    signed_attributes: String,
    /// Hex SHA-256 of those bytes.
    sha256: String,
}

/// A certificate as a reader is told of it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CertificateView {
    subject: String,
    issuer: String,
    /// Upper-case hex.
    serial: String,
    not_before: String,
    not_after: String,
}

/// The token's signatures of the two items.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SigningCompletion {
    /// Base64 signature of `document.signed_attributes`.
    document_signature: String,
    /// Base64 signature of `content.signed_attributes`.
    content_signature: String,
}

/// A version's signature by a certificate.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CertificateSignatureView {
    /// `x509`: a certificate from a trusted certification authority.
    kind: &'static str,
    /// `token`: made by the signer's own token.
    made_by: String,
    certificate: CertificateView,
    /// Whether every certificate on the chain was looked up on its CA's revocation list.
    revocation_checked: bool,
    signed_by: String,
    signed_at: String,
    /// Base64 of the CMS (DER, detached) over the version's canonical content.
    content_cms: String,
}

impl From<CertificateSignature> for CertificateSignatureView {
    fn from(signature: CertificateSignature) -> Self {
        Self {
            kind: "x509",
            made_by: signature.kind,
            certificate: CertificateView {
                subject: signature.subject,
                issuer: signature.issuer,
                serial: signature.serial,
                not_before: signature.not_before,
                not_after: signature.not_after,
            },
            revocation_checked: signature.revocation_checked,
            signed_by: signature.signed_by,
            signed_at: signature.signed_at,
            content_cms: signature.content_cms,
        }
    }
}

/// A version's signing: the report, the version's number and the signing's id.
pub struct SigningPath(ReportAddress, i32, String);

impl FromRequestParts<AppState> for SigningPath {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let ApiPath((regime, agency, period, number, id)) =
            ApiPath::<(String, String, String, i32, String)>::from_request_parts(parts, state)
                .await?;
        Ok(Self(
            ReportAddress::parse(&regime, &agency, &period)?,
            number,
            id,
        ))
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/reports/{regime}/{agency}/{period}/versions/{number}/document/signing",
    tag = "Reporting",
    operation_id = "post_api_v1_reports_regime_agency_period_versions_number_document_signing",
    summary = "Prepare signing the version's document with the signer's X.509 certificate (the agency's approvers): the certificate is checked against the deployment's trust anchors and revocation lists; answers the signed attributes the token signs. 422 certificate_refused (expired, revoked, untrusted, not for signing), 409 already_signed or signing_not_configured.",
    params(
        doc::ReportPath,
        ("number" = u32, Path, minimum = 1, maximum = 1000000),
    ),
    request_body(content = SigningRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Prepared", body = SigningTask),
    ),
)]
pub async fn prepare(
    State(state): State<AppState>,
    caller: Caller,
    VersionPath(address, number): VersionPath,
    ApiJson(body): ApiJson<SigningRequest>,
) -> Result<(StatusCode, Json<SigningTask>), ApiError> {
    let prepared: PreparedSigning = signing::prepare(
        &state,
        &caller,
        &state.config.trust,
        &address,
        number,
        &body.certificates,
    )
    .await?;
    let certificate = prepared.certificate;
    Ok((
        StatusCode::CREATED,
        Json(SigningTask {
            id: prepared.id,
            expires_at: prepared.expires_at,
            algorithm: "RSA PKCS#1 v1.5 with SHA-256 over signed_attributes",
            certificate: certificate.into(),
            document: ToSign {
                signed_attributes: BASE64.encode(&prepared.document_attributes),
                sha256: hex::encode(prepared.document_digest),
            },
            content: ToSign {
                signed_attributes: BASE64.encode(&prepared.content_attributes),
                sha256: hex::encode(prepared.content_digest),
            },
        }),
    ))
}

#[utoipa::path(
    post,
    path = "/api/v1/reports/{regime}/{agency}/{period}/versions/{number}/document/signing/{id}",
    tag = "Reporting",
    operation_id = "post_api_v1_reports_regime_agency_period_versions_number_document_signing_id",
    summary = "Complete a prepared signing with the token's signatures: checked against the certificate (and the certificate again); the signed PDF (PAdES) and the content's CMS are kept with the version. 422 signature_refused or certificate_refused; 404 when the signing expired or is another's.",
    params(
        doc::ReportPath,
        ("number" = u32, Path, minimum = 1, maximum = 1000000),
        ("id" = String, Path, description = "The prepared signing's id"),
    ),
    request_body(content = SigningCompletion, content_type = "application/json"),
    responses(
        (status = 200, description = "Signed", body = CertificateSignatureView),
    ),
)]
pub async fn complete(
    State(state): State<AppState>,
    caller: Caller,
    SigningPath(address, number, id): SigningPath,
    ApiJson(body): ApiJson<SigningCompletion>,
) -> Result<Json<CertificateSignatureView>, ApiError> {
    let completion = Completion {
        id,
        document_signature: body.document_signature,
        content_signature: body.content_signature,
    };
    let signed = signing::complete(
        &state,
        &caller,
        &state.config.trust,
        &address,
        number,
        &completion,
    )
    .await?;
    Ok(Json(signed.into()))
}

/// A Unix time as the store writes instants.
fn stamp(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds)
        .map(crate::stamp)
        .unwrap_or_default()
}

impl From<signing::HeldCertificate> for CertificateView {
    fn from(certificate: signing::HeldCertificate) -> Self {
        Self {
            subject: certificate.subject,
            issuer: certificate.issuer,
            serial: certificate.serial,
            not_before: stamp(certificate.not_before),
            not_after: stamp(certificate.not_after),
        }
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/reports/{regime}/{agency}/{period}/versions/{number}/document/signature",
    tag = "Reporting",
    operation_id = "post_api_v1_reports_regime_agency_period_versions_number_document_signature",
    summary = "Sign the version's document at once with the certificate the server holds for the reporting agency (its approvers and the client systems that submit for it): PAdES in the PDF and a CMS over the canonical content. 409 no_agency_certificate, already_signed or signing_not_configured; 422 certificate_refused when the held certificate has expired or was revoked.",
    params(
        doc::ReportPath,
        ("number" = u32, Path, minimum = 1, maximum = 1000000),
    ),
    responses(
        (status = 201, description = "Signed", body = CertificateSignatureView),
    ),
)]
pub async fn sign_with_agency_certificate(
    State(state): State<AppState>,
    caller: Caller,
    VersionPath(address, number): VersionPath,
) -> Result<(StatusCode, Json<CertificateSignatureView>), ApiError> {
    let signed = signing::sign_with_agency_certificate(
        &state,
        &caller,
        &state.config.trust,
        &address,
        number,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(signed.into())))
}

/// An agency's certificate and key, as a PKCS #12 file.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CertificateUpload {
    /// Base64 of the PKCS #12 file (PBES2/AES, as `openssl pkcs12 -export` writes it).
    pkcs12: String,
    password: String,
}

/// The certificate the server holds for an agency (`null`: none).
#[derive(Serialize, utoipa::ToSchema)]
pub struct HeldCertificateView {
    agency: String,
    certificate: Option<CertificateView>,
}

#[utoipa::path(
    put,
    path = "/api/v1/agencies/{code}/certificate",
    tag = "Reporting",
    operation_id = "put_api_v1_agencies_code_certificate",
    summary = "Upload the agency's certificate and key as PKCS #12 (the agency's administrators); the key is sealed at rest. 422 certificate_refused: wrong password, no RSA key with its certificate, or a certificate that may not sign (untrusted, expired, revoked, not for signing).",
    params(
        ("code" = doc::AgencyCode, Path),
    ),
    request_body(content = CertificateUpload, content_type = "application/json"),
    responses(
        (status = 200, description = "Kept", body = HeldCertificateView),
    ),
)]
pub async fn upload_agency_certificate(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<CertificateUpload>,
) -> Result<Json<HeldCertificateView>, ApiError> {
    let agency = agency_code(&code)?;
    let held = signing::upload_agency_certificate(
        &state,
        &caller,
        &state.config.trust,
        &agency,
        &body.pkcs12,
        &body.password,
    )
    .await?;
    Ok(Json(HeldCertificateView {
        agency: agency.to_string(),
        certificate: Some(held.into()),
    }))
}

#[utoipa::path(
    get,
    path = "/api/v1/agencies/{code}/certificate",
    tag = "Reporting",
    operation_id = "get_api_v1_agencies_code_certificate",
    summary = "The certificate the server holds for the agency (subject, issuer, serial, validity; never the key), for its administrators.",
    params(
        ("code" = doc::AgencyCode, Path),
    ),
    responses(
        (status = 200, description = "OK", body = HeldCertificateView),
    ),
)]
pub async fn agency_certificate(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Json<HeldCertificateView>, ApiError> {
    let agency = agency_code(&code)?;
    let held = signing::agency_certificate(&state, &caller, &agency).await?;
    Ok(Json(HeldCertificateView {
        agency: agency.to_string(),
        certificate: held.map(Into::into),
    }))
}
