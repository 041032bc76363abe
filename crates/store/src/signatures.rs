//! Official documents signed with X.509 certificates: signings waiting for a token's
//! signature, and the signed document and content signature of each version. A version is
//! named by its report's row id (`submission`) and its number.

use baocao_domain::agency::AgencyCode;
use baocao_domain::audit::Provenance;

use crate::secrets::CERTIFICATE_KEY_COLUMN;
use crate::transaction::{Transaction, on_tx};
use crate::{Store, StoreError, on_db};

/// A signing prepared and waiting for the token's signatures.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingSigning {
    pub id: String,
    pub submission_id: i32,
    pub number: i32,
    pub requested_by: String,
    /// The chain the signer presented, PEM.
    pub certificates: String,
    /// Base64 of the PDF with the signature's space reserved.
    pub prepared_pdf: String,
    /// Base64 of the DER the token signs: the document's signed attributes…
    pub document_attributes: String,
    /// …and the content signature's.
    pub content_attributes: String,
    pub signed_at: String,
    pub expires_at: String,
}

/// A version's signature by an X.509 certificate.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DocumentSignature {
    pub submission_id: i32,
    pub number: i32,
    /// `token` (signed by the signer's own token).
    pub kind: String,
    /// Base64 of the signed PDF.
    pub signed_pdf: String,
    /// Base64 of the CMS (DER) over the version's canonical content.
    pub content_cms: String,
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    pub not_before: String,
    pub not_after: String,
    pub revocation_checked: bool,
    pub signed_by: String,
    pub signed_at: String,
}

/// An agency's certificate held by the server; `private_key` is base64 PKCS #8 in clear once
/// read (sealed at rest).
#[derive(Clone, sqlx::FromRow)]
pub struct AgencyCertificate {
    /// PEM: the agency's certificate first, then the chain the file carried.
    pub certificates: String,
    pub private_key: String,
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    pub not_before: String,
    pub not_after: String,
    pub uploaded_by: String,
    pub uploaded_at: String,
}

impl std::fmt::Debug for AgencyCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgencyCertificate")
            .field("subject", &self.subject)
            .field("serial", &self.serial)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Keeps `certificate` as the agency's (replacing the one it had), its key sealed.
    pub async fn keep_agency_certificate(
        &self,
        agency: &AgencyCode,
        certificate: &AgencyCertificate,
        by: &Provenance,
    ) -> Result<(), StoreError> {
        let agency_id = self.agency_id(agency, None).await?;
        let sealed = self
            .keyring()?
            .seal(&certificate.private_key, CERTIFICATE_KEY_COLUMN);
        let mut tx = self.begin(by).await?;
        on_tx!(tx, conn => {
            sqlx::query("DELETE FROM agency_certificates WHERE agency_id = $1")
                .bind(agency_id)
                .execute(&mut *conn)
                .await?;
            sqlx::query(
                "INSERT INTO agency_certificates (agency_id, certificates, private_key, subject, issuer,
                     serial, not_before, not_after, uploaded_by, uploaded_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(agency_id)
            .bind(&certificate.certificates)
            .bind(&sealed)
            .bind(&certificate.subject)
            .bind(&certificate.issuer)
            .bind(&certificate.serial)
            .bind(&certificate.not_before)
            .bind(&certificate.not_after)
            .bind(&certificate.uploaded_by)
            .bind(&certificate.uploaded_at)
            .execute(conn)
            .await?;
        });
        tx.note(
            "agency.certificate",
            format!("agency {agency}"),
            Some(agency_id),
            serde_json::json!({
                "subject": certificate.subject,
                "issuer": certificate.issuer,
                "serial": certificate.serial,
                "not_after": certificate.not_after,
            }),
        );
        tx.commit().await
    }

    /// The certificate the server holds for `agency`, its key opened.
    pub async fn agency_certificate(
        &self,
        agency: &AgencyCode,
    ) -> Result<Option<AgencyCertificate>, StoreError> {
        let Ok(agency_id) = self.agency_id(agency, None).await else {
            return Ok(None);
        };
        let stored: Option<AgencyCertificate> = on_db!(self, pool => sqlx::query_as(
            "SELECT certificates, private_key, subject, issuer, serial, not_before, not_after,
                    uploaded_by, uploaded_at
             FROM agency_certificates WHERE agency_id = $1",
        )
        .bind(agency_id)
        .fetch_optional(pool)
        .await?);
        stored
            .map(|mut certificate| {
                certificate.private_key =
                    self.open_secret(&certificate.private_key, CERTIFICATE_KEY_COLUMN)?;
                Ok(certificate)
            })
            .transpose()
    }

    /// Keeps a prepared signing (and forgets those of any version that have expired).
    pub async fn keep_signing(&self, signing: &PendingSigning) -> Result<(), StoreError> {
        on_db!(self, pool => {
            sqlx::query("DELETE FROM document_signings WHERE expires_at < $1")
                .bind(&signing.signed_at)
                .execute(pool)
                .await?;
            sqlx::query(
                "INSERT INTO document_signings (id, submission_id, number, requested_by, certificates,
                     prepared_pdf, document_attributes, content_attributes, signed_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(&signing.id)
            .bind(signing.submission_id)
            .bind(signing.number)
            .bind(&signing.requested_by)
            .bind(&signing.certificates)
            .bind(&signing.prepared_pdf)
            .bind(&signing.document_attributes)
            .bind(&signing.content_attributes)
            .bind(&signing.signed_at)
            .bind(&signing.expires_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The prepared signing `id`, if it is still kept.
    pub async fn pending_signing(&self, id: &str) -> Result<Option<PendingSigning>, StoreError> {
        Ok(on_db!(self, pool => sqlx::query_as(
            "SELECT id, submission_id, number, requested_by, certificates, prepared_pdf,
                    document_attributes, content_attributes, signed_at, expires_at
             FROM document_signings WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await?))
    }

    /// The numbers of the report's versions signed with a certificate.
    pub async fn certified_versions(&self, submission: i32) -> Result<Vec<i32>, StoreError> {
        Ok(on_db!(self, pool => sqlx::query_scalar(
            "SELECT number FROM document_signatures WHERE submission_id = $1 ORDER BY number",
        )
        .bind(submission)
        .fetch_all(pool)
        .await?))
    }

    /// Version `number` of the report in row `submission` as signed with a certificate.
    pub async fn document_signature(
        &self,
        submission: i32,
        number: i32,
    ) -> Result<Option<DocumentSignature>, StoreError> {
        Ok(on_db!(self, pool => sqlx::query_as(
            "SELECT submission_id, number, kind, signed_pdf, content_cms, subject, issuer, serial,
                    not_before, not_after, revocation_checked, signed_by, signed_at
             FROM document_signatures WHERE submission_id = $1 AND number = $2",
        )
        .bind(submission)
        .bind(number)
        .fetch_optional(pool)
        .await?))
    }
}

impl Transaction {
    /// Keeps a version's signature and forgets the prepared signing it completes (if it was
    /// prepared for a token). A version already signed is a conflict: its document is issued
    /// once.
    pub async fn record_document_signature(
        &mut self,
        signature: &DocumentSignature,
        completes: Option<&str>,
    ) -> Result<(), StoreError> {
        let (inserted, agency): (u64, i32) = on_tx!(self, conn => {
            if let Some(id) = completes {
                sqlx::query("DELETE FROM document_signings WHERE id = $1")
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
            }
            let inserted = sqlx::query(
                "INSERT INTO document_signatures (submission_id, number, kind, signed_pdf, content_cms,
                     subject, issuer, serial, not_before, not_after, revocation_checked, signed_by,
                     signed_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                 ON CONFLICT (submission_id, number) DO NOTHING",
            )
            .bind(signature.submission_id)
            .bind(signature.number)
            .bind(&signature.kind)
            .bind(&signature.signed_pdf)
            .bind(&signature.content_cms)
            .bind(&signature.subject)
            .bind(&signature.issuer)
            .bind(&signature.serial)
            .bind(&signature.not_before)
            .bind(&signature.not_after)
            .bind(signature.revocation_checked)
            .bind(&signature.signed_by)
            .bind(&signature.signed_at)
            .execute(&mut *conn)
            .await?
            .rows_affected();
            let agency = sqlx::query_scalar("SELECT agency_id FROM submissions WHERE id = $1")
                .bind(signature.submission_id)
                .fetch_one(conn)
                .await?;
            (inserted, agency)
        });
        if inserted == 0 {
            return Err(StoreError::Conflict(format!(
                "version {} of report {} is already signed",
                signature.number, signature.submission_id
            )));
        }
        // Not a `report.` event: a signature changes no report's status.
        self.note(
            "document.sign",
            format!(
                "report {} version {}",
                signature.submission_id, signature.number
            ),
            Some(agency),
            serde_json::json!({
                "kind": signature.kind,
                "subject": signature.subject,
                "issuer": signature.issuer,
                "serial": signature.serial,
                "signed_at": signature.signed_at,
            }),
        );
        Ok(())
    }
}
