//! A submitted version's document signed by its agency's signer with an X.509 certificate
//! (Decree 130/2018/NĐ-CP; issue 23): the signer's USB token never gives up its key, so the
//! signing takes two calls. [`prepare`] checks the certificate the signer presents against the
//! deployment's trust anchors and revocation lists, lays the version out as its PDF with
//! space reserved for a PAdES signature, and answers what the token must sign — the DER of
//! two sets of signed attributes, one over the PDF's byte ranges, one over the version's
//! canonical content — with their SHA-256 digests. [`complete`] takes the token's signatures,
//! checks them (and the certificate again) and keeps the signed PDF and the content's CMS
//! with the version; from then on the version's PDF is the signed one.
//!
//! Who may sign: those who may submit the agency's reports (its approvers).

use std::path::PathBuf;

use baocao_documents::signing::{
    AgencyKey, CertificateRefusal, CertificateSummary, CertifiedChain, PreparedPdf, SignatureField,
    Trust, cms, read_chain, write_chain,
};
use baocao_store::StoreError;
use baocao_store::signatures::{DocumentSignature, PendingSigning};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};

use super::document::{self, DocumentFormat};
use super::{ReportAddress, ReportingError, versions};
use crate::{Caller, Context};

/// How long a prepared signing waits for the token.
const SIGNING_LIFETIME: jiff::SignedDuration = jiff::SignedDuration::from_mins(15);

/// Where the deployment keeps its trust: a PEM file of the certification authorities whose
/// certificates may sign, and the revocation lists it downloads from them (PEM or DER). Read
/// at each signing, so a refreshed list counts without a restart.
#[derive(Debug, Clone, Default)]
pub struct TrustFiles {
    pub anchors: Option<PathBuf>,
    pub revocation_lists: Vec<PathBuf>,
}

impl TrustFiles {
    /// The trust the files hold (an error names the file that does not read).
    pub fn load(&self) -> Result<Option<Trust>, String> {
        let Some(anchors) = &self.anchors else {
            return Ok(None);
        };
        let read =
            |path: &PathBuf| std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()));
        let lists = self
            .revocation_lists
            .iter()
            .map(read)
            .collect::<Result<Vec<_>, _>>()?;
        let trust = Trust::new(&read(anchors)?, &lists)
            .map_err(|e| format!("{}: {e}", anchors.display()))?;
        if trust.is_empty() {
            return Err(format!("{}: no certificate", anchors.display()));
        }
        Ok(Some(trust))
    }

    fn trust(&self) -> Result<Trust, ReportingError> {
        match self.load() {
            Ok(Some(trust)) => Ok(trust),
            Ok(None) => Err(ReportingError::NoTrustAnchors),
            Err(why) => {
                tracing::error!(%why, "trust anchors");
                Err(ReportingError::NoTrustAnchors)
            }
        }
    }
}

/// What the token is asked to sign.
#[derive(Debug, Clone)]
pub struct PreparedSigning {
    pub id: String,
    pub expires_at: String,
    pub certificate: CertificateSummary,
    /// DER of the PDF signature's signed attributes, and its SHA-256.
    pub document_attributes: Vec<u8>,
    pub document_digest: [u8; 32],
    /// DER of the content signature's signed attributes, and its SHA-256.
    pub content_attributes: Vec<u8>,
    pub content_digest: [u8; 32],
}

/// Prepares the signing of version `number`'s document by the holder of `certificates`
/// (PEM: the signer's certificate, then any intermediates).
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username, report = %address, number))]
pub async fn prepare(
    ctx: &Context,
    caller: &Caller,
    trust: &TrustFiles,
    address: &ReportAddress,
    number: i32,
    certificates: &str,
) -> Result<PreparedSigning, ReportingError> {
    let (report, version, submission) = to_sign(ctx, caller, address, number).await?;
    let trust = trust.trust()?;
    let now = ctx.clock.now();
    let presented =
        read_chain(certificates.as_bytes()).map_err(ReportingError::CertificateRefused)?;
    let chain = trust
        .check(&presented, now.as_second())
        .map_err(ReportingError::CertificateRefused)?;

    let parts = prepare_parts(ctx, caller, &report, &version, &chain).await?;
    let (prepared, document_attributes, content_attributes) = (
        parts.pdf,
        parts.document_attributes,
        parts.content_attributes,
    );

    let id = signing_id();
    let expires_at = baocao_store::timestamp_text(now + SIGNING_LIFETIME);
    ctx.store
        .keep_signing(&PendingSigning {
            id: id.clone(),
            submission_id: submission,
            number,
            requested_by: caller.principal.username.to_string(),
            certificates: write_chain(&presented).map_err(ReportingError::CertificateRefused)?,
            prepared_pdf: BASE64.encode(prepared.bytes()),
            document_attributes: BASE64.encode(&document_attributes),
            content_attributes: BASE64.encode(&content_attributes),
            signed_at: ctx.now_text(),
            expires_at: expires_at.clone(),
        })
        .await?;
    Ok(PreparedSigning {
        id,
        expires_at,
        certificate: chain.summary(),
        document_digest: Sha256::digest(&document_attributes).into(),
        document_attributes,
        content_digest: Sha256::digest(&content_attributes).into(),
        content_attributes,
    })
}

/// A version's signature by a certificate, as kept.
pub type CertificateSignature = DocumentSignature;

/// The token's answer to a prepared signing: base64 RSA PKCS #1 v1.5 signatures with
/// SHA-256 of the document's and the content's signed attributes.
#[derive(Debug, Clone)]
pub struct Completion {
    pub id: String,
    pub document_signature: String,
    pub content_signature: String,
}

/// Completes a prepared signing with the token's signatures.
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username, report = %address, number))]
pub async fn complete(
    ctx: &Context,
    caller: &Caller,
    trust: &TrustFiles,
    address: &ReportAddress,
    number: i32,
    completion: &Completion,
) -> Result<CertificateSignature, ReportingError> {
    let id = completion.id.as_str();
    let unreadable = |_| ReportingError::SignatureRefused(CertificateRefusal::SignatureMismatch);
    let document_signature = &BASE64
        .decode(completion.document_signature.trim())
        .map_err(unreadable)?;
    let content_signature = &BASE64
        .decode(completion.content_signature.trim())
        .map_err(unreadable)?;
    let (report, _) = versions::readable(ctx, caller, address).await?;
    if !report.rights(caller).submit {
        return Err(ReportingError::Forbidden);
    }
    let submission = submission_of(ctx, &report).await?;
    let not_found = || ReportingError::SigningNotFound(id.to_string());
    let pending = ctx.store.pending_signing(id).await?.ok_or_else(not_found)?;
    let now = ctx.clock.now();
    if pending.submission_id != submission
        || pending.number != number
        || pending.requested_by != caller.principal.username.to_string()
        || pending.expires_at < baocao_store::timestamp_text(now)
    {
        return Err(not_found());
    }
    let corrupt = |what: &str| ReportingError::Document(format!("kept signing {id}: {what}"));
    let decode = |what: &str, text: &str| BASE64.decode(text).map_err(|_| corrupt(what));
    let prepared = PreparedPdf::from_bytes(decode("prepared PDF", &pending.prepared_pdf)?)
        .map_err(|e| corrupt(&e.to_string()))?;
    let document_attributes = decode("document attributes", &pending.document_attributes)?;
    let content_attributes = decode("content attributes", &pending.content_attributes)?;

    // Checked again now: a certificate revoked between the two calls does not sign.
    let trust = trust.trust()?;
    let presented =
        read_chain(pending.certificates.as_bytes()).map_err(ReportingError::CertificateRefused)?;
    let chain = trust
        .check(&presented, now.as_second())
        .map_err(ReportingError::CertificateRefused)?;
    chain
        .verify_signature(&document_attributes, document_signature)
        .map_err(ReportingError::SignatureRefused)?;
    chain
        .verify_signature(&content_attributes, content_signature)
        .map_err(ReportingError::SignatureRefused)?;

    let parts = Prepared {
        pdf: prepared,
        document_attributes,
        content_attributes,
        signed_at: pending.signed_at.clone(),
    };
    let signatures = (document_signature.as_slice(), content_signature.as_slice());
    finish(
        ctx,
        caller,
        submission,
        number,
        &chain,
        parts,
        signatures,
        Some(id),
    )
    .await
}

/// Signs version `number`'s document at once with the certificate the server holds for the
/// reporting agency (uploaded as PKCS #12), for its approvers and the systems that submit for
/// it.
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username, report = %address, number))]
pub async fn sign_with_agency_certificate(
    ctx: &Context,
    caller: &Caller,
    trust: &TrustFiles,
    address: &ReportAddress,
    number: i32,
) -> Result<CertificateSignature, ReportingError> {
    let (report, version, submission) = to_sign(ctx, caller, address, number).await?;
    let held = ctx
        .store
        .agency_certificate(&address.agency)
        .await?
        .ok_or_else(|| ReportingError::NoAgencyCertificate(address.agency.to_string()))?;
    let key = held_key(&held)?;
    let trust = trust.trust()?;
    let chain = trust
        .check(&key.chain, ctx.clock.now().as_second())
        .map_err(ReportingError::CertificateRefused)?;
    let parts = prepare_parts(ctx, caller, &report, &version, &chain).await?;
    let document_signature = key.sign(&parts.document_attributes);
    let content_signature = key.sign(&parts.content_attributes);
    let signatures = (document_signature.as_slice(), content_signature.as_slice());
    finish(
        ctx, caller, submission, number, &chain, parts, signatures, None,
    )
    .await
}

/// What an agency's held certificate tells, for its administrators.
pub type HeldCertificate = CertificateSummary;

/// Keeps the certificate and key in a PKCS #12 file (opened with `password`) as the agency's,
/// for its administrators: refused when the password is wrong, the file holds no RSA key with
/// its certificate, or the certificate may not sign here (untrusted, expired, revoked, not for
/// signing).
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username, agency = %agency))]
pub async fn upload_agency_certificate(
    ctx: &Context,
    caller: &Caller,
    trust: &TrustFiles,
    agency: &baocao_domain::agency::AgencyCode,
    pkcs12: &str,
    password: &str,
) -> Result<HeldCertificate, ReportingError> {
    use baocao_domain::permission::Action;
    let lineage = crate::catalogue::lineage_today(ctx, agency).await?;
    if !caller.may(Action::ManageUsers { agency: &lineage }) {
        return Err(ReportingError::Forbidden);
    }
    let bytes = BASE64.decode(pkcs12.trim()).map_err(|_| {
        ReportingError::CertificateRefused(CertificateRefusal::Unreadable(
            "PKCS #12: not base64".into(),
        ))
    })?;
    let key =
        AgencyKey::from_pkcs12(&bytes, password).map_err(ReportingError::CertificateRefused)?;
    let trust = trust.trust()?;
    let chain = trust
        .check(&key.chain, ctx.clock.now().as_second())
        .map_err(ReportingError::CertificateRefused)?;
    let summary = chain.summary();
    let refused = ReportingError::CertificateRefused;
    let held = baocao_store::signatures::AgencyCertificate {
        certificates: write_chain(&key.chain).map_err(refused)?,
        private_key: BASE64.encode(key.pkcs8_der().map_err(refused)?),
        subject: summary.subject.clone(),
        issuer: summary.issuer.clone(),
        serial: summary.serial.clone(),
        not_before: stamp(summary.not_before),
        not_after: stamp(summary.not_after),
        uploaded_by: caller.principal.username.to_string(),
        uploaded_at: ctx.now_text(),
    };
    ctx.store
        .keep_agency_certificate(agency, &held, &caller.provenance(&ctx.now_text()))
        .await?;
    Ok(summary)
}

/// The certificate the server holds for `agency` (none: nothing uploaded), for those who may
/// manage it.
pub async fn agency_certificate(
    ctx: &Context,
    caller: &Caller,
    agency: &baocao_domain::agency::AgencyCode,
) -> Result<Option<HeldCertificate>, ReportingError> {
    use baocao_domain::permission::Action;
    let lineage = crate::catalogue::lineage_today(ctx, agency).await?;
    if !caller.may(Action::ManageUsers { agency: &lineage }) {
        return Err(ReportingError::Forbidden);
    }
    match ctx.store.agency_certificate(agency).await? {
        Some(held) => Ok(Some(CertificateSummary::of(&held_key(&held)?.chain[0]))),
        None => Ok(None),
    }
}

fn held_key(
    held: &baocao_store::signatures::AgencyCertificate,
) -> Result<AgencyKey, ReportingError> {
    let corrupt = |what: String| ReportingError::Document(format!("held certificate: {what}"));
    let der = BASE64
        .decode(&held.private_key)
        .map_err(|e| corrupt(e.to_string()))?;
    let chain = read_chain(held.certificates.as_bytes()).map_err(|e| corrupt(e.to_string()))?;
    AgencyKey::from_pkcs8_der(&der, chain).map_err(|e| corrupt(e.to_string()))
}

/// A version's document ready to sign: the PDF with its signature's space, and the two sets
/// of signed attributes.
struct Prepared {
    pdf: PreparedPdf,
    document_attributes: Vec<u8>,
    content_attributes: Vec<u8>,
    signed_at: String,
}

async fn prepare_parts(
    ctx: &Context,
    caller: &Caller,
    report: &super::Report,
    version: &baocao_store::reports::VersionRecord,
    chain: &CertifiedChain,
) -> Result<Prepared, ReportingError> {
    let now = ctx.clock.now();
    let summary = chain.summary();
    let holder = summary
        .common_name
        .clone()
        .unwrap_or_else(|| caller.principal.full_name.clone());
    let mark = document::CertificateMark {
        holder: holder.clone(),
        serial: summary.serial.clone(),
        issuer: summary
            .issuer_name
            .clone()
            .unwrap_or(summary.issuer.clone()),
        at: now,
    };
    let pdf = document::render(ctx, report, version, DocumentFormat::Pdf, Some(&mark)).await?;
    let field = SignatureField {
        signer: holder,
        reason: "Ký ban hành báo cáo".into(),
        location: pdf.place.clone(),
        signed_at: now.as_second(),
    };
    let unwritable = |e: baocao_documents::DocumentError| ReportingError::Document(e.to_string());
    let prepared = PreparedPdf::prepare(&pdf.bytes, &field).map_err(unwritable)?;
    let document_attributes =
        cms::signed_attributes(&prepared.digest(), chain.signer(), None).map_err(unwritable)?;
    let content_digest: [u8; 32] = hex_digest(&version.content_sha256)?;
    let content_attributes =
        cms::signed_attributes(&content_digest, chain.signer(), Some(now.as_second()))
            .map_err(unwritable)?;
    Ok(Prepared {
        pdf: prepared,
        document_attributes,
        content_attributes,
        signed_at: ctx.now_text(),
    })
}

/// Checks the signatures of `parts` against the chain's signer, writes the CMS into the PDF
/// and keeps both with the version (forgetting the prepared signing `completes`).
#[allow(clippy::too_many_arguments)]
async fn finish(
    ctx: &Context,
    caller: &Caller,
    submission: i32,
    number: i32,
    chain: &CertifiedChain,
    parts: Prepared,
    (document_signature, content_signature): (&[u8], &[u8]),
    completes: Option<&str>,
) -> Result<CertificateSignature, ReportingError> {
    chain
        .verify_signature(&parts.document_attributes, document_signature)
        .map_err(ReportingError::SignatureRefused)?;
    chain
        .verify_signature(&parts.content_attributes, content_signature)
        .map_err(ReportingError::SignatureRefused)?;
    let unwritable = |e: baocao_documents::DocumentError| ReportingError::Document(e.to_string());
    let document_cms =
        cms::signed_data(&chain.chain, &parts.document_attributes, document_signature)
            .map_err(unwritable)?;
    let content_cms = cms::signed_data(&chain.chain, &parts.content_attributes, content_signature)
        .map_err(unwritable)?;
    let signed_pdf = parts.pdf.embed(&document_cms).map_err(unwritable)?;
    let summary = chain.summary();
    let signature = DocumentSignature {
        submission_id: submission,
        number,
        kind: if completes.is_some() {
            "token"
        } else {
            "server"
        }
        .into(),
        signed_pdf: BASE64.encode(&signed_pdf),
        content_cms: BASE64.encode(&content_cms),
        subject: summary.subject,
        issuer: summary.issuer,
        serial: summary.serial,
        not_before: stamp(summary.not_before),
        not_after: stamp(summary.not_after),
        revocation_checked: chain.revocation_checked,
        signed_by: caller.principal.username.to_string(),
        signed_at: parts.signed_at,
    };
    let mut tx = ctx.store.begin(&caller.provenance(&ctx.now_text())).await?;
    tx.record_document_signature(&signature, completes)
        .await
        .map_err(|error| match error {
            StoreError::Conflict(_) => ReportingError::AlreadySigned(number),
            other => other.into(),
        })?;
    tx.commit().await?;
    Ok(signature)
}

fn stamp(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds)
        .map(baocao_store::timestamp_text)
        .unwrap_or_default()
}

/// Version `number`'s signature by a certificate, if it has one, for those who may read it.
pub async fn of_version(
    ctx: &Context,
    report: &super::Report,
    number: i32,
) -> Result<Option<CertificateSignature>, ReportingError> {
    let submission = submission_of(ctx, report).await?;
    Ok(ctx.store.document_signature(submission, number).await?)
}

/// Version `number` of the report at `address`, for one who may sign it (its agency's
/// approvers), while its document is not yet signed: the report, the version and the
/// report's row.
async fn to_sign(
    ctx: &Context,
    caller: &Caller,
    address: &ReportAddress,
    number: i32,
) -> Result<(super::Report, baocao_store::reports::VersionRecord, i32), ReportingError> {
    let (report, versions) = versions::readable(ctx, caller, address).await?;
    if !report.rights(caller).submit {
        return Err(ReportingError::Forbidden);
    }
    let version = versions::numbered(&versions, number)?.clone();
    let submission = submission_of(ctx, &report).await?;
    if ctx
        .store
        .document_signature(submission, number)
        .await?
        .is_some()
    {
        return Err(ReportingError::AlreadySigned(number));
    }
    Ok((report, version, submission))
}

/// Which versions of a report are signed with a certificate, and whether the caller may sign
/// the others (for a page that already shows the report to the caller).
#[derive(Debug, Clone, Default)]
pub struct SigningState {
    pub certified: Vec<i32>,
    pub may_sign: bool,
}

/// The [`SigningState`] of the report at `address` for `caller`.
pub async fn signing_state(
    ctx: &Context,
    caller: &Caller,
    address: &ReportAddress,
) -> Result<SigningState, ReportingError> {
    let report = super::resolve(ctx, address).await?;
    let certified = match ctx.store.report_record(&report.key()).await? {
        Some(record) => ctx.store.certified_versions(record.id).await?,
        None => Vec::new(),
    };
    Ok(SigningState {
        certified,
        may_sign: report.rights(caller).submit,
    })
}

async fn submission_of(ctx: &Context, report: &super::Report) -> Result<i32, ReportingError> {
    ctx.store
        .report_record(&report.key())
        .await?
        .map(|record| record.id)
        .ok_or(ReportingError::VersionNotFound(0))
}

fn hex_digest(text: &str) -> Result<[u8; 32], ReportingError> {
    hex::decode(text)
        .ok()
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .ok_or_else(|| ReportingError::Document(format!("content digest {text:?}")))
}

/// 128 random bits as hex: a signing's id is also what lets its owner complete it.
fn signing_id() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}
