//! Signing a version's document with the signer's X.509 certificate, in two calls so the key
//! stays on its token: `POST …/versions/{n}/document/signing` with the certificate answers
//! what to sign; `POST …/document/signing/{id}` with the token's signatures signs. The
//! version's `document?format=pdf` is then the signed PDF, and its `signature` tells the
//! certificate.

use axum::Json;
use axum::extract::{FromRequestParts, State};
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
use crate::extract::VersionPath;

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
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let certificate = prepared.certificate;
    Ok((
        StatusCode::CREATED,
        Json(SigningTask {
            id: prepared.id,
            expires_at: prepared.expires_at,
            algorithm: "RSA PKCS#1 v1.5 with SHA-256 over signed_attributes",
            certificate: CertificateView {
                subject: certificate.subject,
                issuer: certificate.issuer,
                serial: certificate.serial,
                not_before: stamp(certificate.not_before),
                not_after: stamp(certificate.not_after),
            },
            document: ToSign {
                signed_attributes: BASE64.encode(&prepared.document_attributes),
                sha256: hex(&prepared.document_digest),
            },
            content: ToSign {
                signed_attributes: BASE64.encode(&prepared.content_attributes),
                sha256: hex(&prepared.content_digest),
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
