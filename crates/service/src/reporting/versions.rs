//! The versions of a report as sent: listed for those who may read them (its editors and
//! the agencies it was sent to), the differences between two, and whether a version's
//! signature still holds.

use baocao_domain::permission::Action;
use baocao_domain::report::{ContentDiff, ReportContent};
use baocao_domain::submission::SubmissionStatus;
use baocao_store::reports::VersionRecord;

use super::{Report, ReportAddress, ReportingError, resolve, stored_content};
use crate::{Caller, Context};

/// The submitted versions of a report, for those who may read them.
pub async fn readable(
    ctx: &Context,
    caller: &Caller,
    address: &ReportAddress,
) -> Result<(Report, Vec<VersionRecord>), ReportingError> {
    let report = resolve(ctx, address).await?;
    let allowed = report.rights(caller).edit
        || caller.may(Action::ReadSubmitted {
            reporting: &report.reporting_lineage,
            receiving: &report.receiving_lineage,
        });
    if !allowed {
        return Err(ReportingError::Forbidden);
    }
    let versions = ctx.store.versions(&report.key()).await?;
    Ok((report, versions))
}

pub(super) fn numbered(
    versions: &[VersionRecord],
    number: i32,
) -> Result<&VersionRecord, ReportingError> {
    versions
        .iter()
        .find(|v| v.number == number)
        .ok_or(ReportingError::VersionNotFound(number))
}

/// What changed from one version to another (`from` 0: everything in `to`).
#[derive(Debug, Clone)]
pub struct VersionDiff {
    pub from: i32,
    pub to: i32,
    pub changes: ContentDiff,
}

/// The cells and sections that changed from version `against` (default: the one before) to
/// version `number`.
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username, report = %address, number))]
pub async fn diff(
    ctx: &Context,
    caller: &Caller,
    address: &ReportAddress,
    number: i32,
    against: Option<i32>,
) -> Result<VersionDiff, ReportingError> {
    let (_, versions) = readable(ctx, caller, address).await?;
    let after = stored_content(address, numbered(&versions, number)?)?;
    let against = against.unwrap_or(number - 1);
    let before = if against == 0 {
        ReportContent::default()
    } else {
        stored_content(address, numbered(&versions, against)?)?
    };
    Ok(VersionDiff {
        from: against,
        to: number,
        changes: after.changes_since(&before),
    })
}

/// The four things a valid signature needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignatureChecks {
    /// The signature over the stored digest.
    pub signature: bool,
    /// The digest of the stored content.
    pub content_digest: bool,
    /// The key among the agency's published ones.
    pub key_published: bool,
    /// For the accepted version: the stored data values equal what was signed.
    pub data_values: Option<bool>,
}

impl SignatureChecks {
    /// Every check holds (`data_values` only where it applies).
    pub fn verified(&self) -> bool {
        self.signature
            && self.content_digest
            && self.key_published
            && self.data_values != Some(false)
    }
}

/// A version with its signature checked again.
#[derive(Debug, Clone)]
pub struct SignedVersion {
    pub version: VersionRecord,
    pub content: ReportContent,
    pub checks: SignatureChecks,
    /// Its document's signature by an X.509 certificate, once signed.
    pub certificate: Option<super::signing::CertificateSignature>,
}

/// Checks a version's signature, digest and key again and, for the accepted version, that
/// the data values in the database are what was signed.
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username, report = %address, number))]
pub async fn check_signature(
    ctx: &Context,
    caller: &Caller,
    address: &ReportAddress,
    number: i32,
) -> Result<SignedVersion, ReportingError> {
    let (report, versions) = readable(ctx, caller, address).await?;
    let version = numbered(&versions, number)?;
    let content = stored_content(address, version)?;
    let signature = baocao_domain::signature::verify(
        &version.public_key,
        &version.content_sha256,
        &version.signature,
    );
    let content_digest =
        baocao_domain::signature::digest_hex(&version.content) == version.content_sha256;
    let key_published = ctx
        .store
        .public_keys(&address.agency)
        .await?
        .iter()
        .any(|(key, _)| key == &version.public_key);
    let accepted = ctx
        .store
        .report_record(&report.key())
        .await?
        .is_some_and(|r| r.status == SubmissionStatus::Accepted);
    let data_values = if accepted && versions.last().map(|v| v.number) == Some(number) {
        let indicators = ctx.store.indicators(None).await?;
        let source = format!("regime:{}", address.regime);
        let key = |v: &baocao_domain::value::DataValue| {
            (
                v.indicator.to_string(),
                v.options.key(),
                format!("{:?}", v.value),
            )
        };
        let mut signed: Vec<_> = content
            .data_values(&address.agency, address.period, &indicators, &source)
            .iter()
            .map(key)
            .collect();
        let mut stored: Vec<_> = ctx
            .store
            .values_of(&address.agency, address.period)
            .await?
            .iter()
            .filter(|v| v.source == source)
            .map(key)
            .collect();
        signed.sort();
        stored.sort();
        Some(signed == stored)
    } else {
        None
    };
    let certificate = super::signing::of_version(ctx, &report, number).await?;
    Ok(SignedVersion {
        version: version.clone(),
        content,
        certificate,
        checks: SignatureChecks {
            signature,
            content_digest,
            key_published,
            data_values,
        },
    })
}
