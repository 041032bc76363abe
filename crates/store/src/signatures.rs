//! Official documents signed with X.509 certificates: signings waiting for a token's
//! signature, and the signed document and content signature of each version. A version is
//! named by its report's row id (`submission`) and its number.

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

impl Store {
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
    /// Keeps a version's signature and forgets the signing it completes. A version already
    /// signed is a conflict: its document is issued once.
    pub async fn record_document_signature(
        &mut self,
        signature: &DocumentSignature,
        completes: &str,
    ) -> Result<(), StoreError> {
        let (inserted, agency): (u64, i32) = on_tx!(self, conn => {
            sqlx::query("DELETE FROM document_signings WHERE id = $1")
                .bind(completes)
                .execute(&mut *conn)
                .await?;
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
