//! What can go wrong with a report, each with a stable code; the HTTP edge words and maps
//! them once (`baocao-web`'s `error` module).

use baocao_domain::Date;
use baocao_domain::calendar::Due;
use baocao_domain::period::{Frequency, PeriodId};
use baocao_domain::regime::RegimeCode;
use baocao_domain::report::CellProblem;
use baocao_domain::rules::Violation;
use baocao_domain::submission::{SubmissionStatus, TransitionError};
use baocao_store::StoreError;

use super::ReportAddress;
use crate::catalogue::CatalogueError;

/// When someone else's change got there first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictDuring {
    /// A draft save under a lock that is no longer current (`current`: the lock now).
    Save { current: i32 },
    /// A bulk write (a push) met a draft changed since it was read.
    Import,
    /// An action raced with another on the same report.
    Action,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportingError {
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
    /// The period is not one the regime asks for (`None`: the regime is made for dates of
    /// its own — thematic and ad hoc reports).
    #[error("period {period} is not of the regime's frequency")]
    PeriodNotOfRegime {
        period: PeriodId,
        frequency: Option<Frequency>,
    },
    #[error("report {0} names an agency not assigned the regime")]
    NotAssigned(ReportAddress),
    #[error("regime {0} is not published")]
    NotPublished(RegimeCode),
    #[error("the report for {period} locked after {last_open_day}")]
    Locked {
        period: PeriodId,
        last_open_day: Date,
    },
    #[error("the deadline ({0}) has passed")]
    DeadlinePassed(Due),
    #[error("forbidden")]
    Forbidden,
    /// A save on a report that is not a draft (`report` named in bulk writes).
    #[error("the report is {from}: it cannot be edited")]
    NotEditable {
        from: SubmissionStatus,
        report: Option<ReportAddress>,
    },
    #[error(transparent)]
    InvalidTransition(TransitionError),
    /// In a bulk acceptance: this one does not wait for review, so none is accepted.
    #[error("report {0} is not awaiting review")]
    NotAwaitingReview(ReportAddress),
    #[error("version conflict")]
    VersionConflict(ConflictDuring),
    #[error("{} cells or sections are invalid", .0.len())]
    InvalidValues(Vec<CellProblem>),
    #[error("the report breaks validation rules")]
    ValidationFailed(Vec<Violation>),
    #[error("the report has unexplained warnings")]
    ExplanationRequired(Vec<Violation>),
    #[error("a reason is required")]
    ReasonRequired,
    #[error("no report was selected")]
    NothingSelected,
    /// Approval asked of a report nobody has saved a draft of.
    #[error("no draft has been saved")]
    NoDraft,
    #[error("version {0} not found")]
    VersionNotFound(i32),
    /// A stored version that does not parse: never read as an empty report.
    #[error("stored version {number} of {report} does not parse: {detail}")]
    CorruptVersion {
        report: ReportAddress,
        number: i32,
        detail: String,
    },
    #[error("signing failed")]
    Signing,
    /// A document asked in a format it is not written in.
    #[error("documents are not written as {0}")]
    UnsupportedDocumentFormat(String),
    /// The document could not be laid out or written.
    #[error("the document could not be written: {0}")]
    Document(String),
    /// Signing with a certificate needs trust anchors, and none are configured.
    #[error("no trust anchors are configured")]
    NoTrustAnchors,
    /// The signer's certificate may not sign (expired, revoked, untrusted, not for signing).
    #[error("certificate refused: {0}")]
    CertificateRefused(baocao_documents::signing::CertificateRefusal),
    /// What came back from the token is not a signature of what was prepared.
    #[error("signature refused: {0}")]
    SignatureRefused(baocao_documents::signing::CertificateRefusal),
    /// The version's document is already signed.
    #[error("version {0} is already signed")]
    AlreadySigned(i32),
    /// The server holds no certificate for the agency.
    #[error("no certificate is held for agency {0}")]
    NoAgencyCertificate(String),
    /// No prepared signing by that id (never made, completed, expired, or another's).
    #[error("no prepared signing {0}")]
    SigningNotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ReportingError {
    /// The stable code of the error, as the API answers it.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Catalogue(error) => error.code(),
            Self::PeriodNotOfRegime { .. } => "period_frequency_mismatch",
            Self::NotAssigned(_) | Self::VersionNotFound(_) => "not_found",
            Self::NotPublished(_) => "regime_not_published",
            Self::Locked { .. } => "slot_locked",
            Self::DeadlinePassed(_) => "deadline_passed",
            Self::Forbidden => "forbidden",
            Self::NotEditable { .. } => "not_editable",
            Self::InvalidTransition(_) | Self::NotAwaitingReview(_) => "invalid_transition",
            Self::VersionConflict(_) => "version_conflict",
            Self::InvalidValues(_) => "invalid_values",
            Self::ValidationFailed(_) => "validation_failed",
            Self::ExplanationRequired(_) => "explanation_required",
            Self::ReasonRequired => "reason_required",
            Self::NothingSelected => "nothing_selected",
            Self::NoDraft => "no_draft",
            Self::UnsupportedDocumentFormat(_) => "unsupported_format",
            Self::NoTrustAnchors => "signing_not_configured",
            Self::CertificateRefused(_) => "certificate_refused",
            Self::SignatureRefused(_) => "signature_refused",
            Self::AlreadySigned(_) => "already_signed",
            Self::SigningNotFound(_) => "not_found",
            Self::NoAgencyCertificate(_) => "no_agency_certificate",
            Self::CorruptVersion { .. } | Self::Signing | Self::Document(_) => "internal",
            Self::Store(_) => "store",
        }
    }
}
