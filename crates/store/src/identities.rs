//! Accounts at identity providers (OpenID Connect) linked to baocao accounts: a provider's
//! subject signs in as exactly one account and gets only that account's grants.

use baocao_domain::audit::Provenance;

use crate::transaction::on_tx;
use crate::{Store, StoreError, on_db};

impl Store {
    /// The active account `subject` at `provider` is linked to.
    pub async fn identity_user(
        &self,
        provider: &str,
        subject: &str,
    ) -> Result<Option<i32>, StoreError> {
        const SQL: &str = "
            SELECT u.id FROM user_identities i JOIN users u ON u.id = i.user_id
            WHERE i.provider = $1 AND i.subject = $2 AND u.active";
        Ok(on_db!(self, pool => sqlx::query_scalar(SQL)
            .bind(provider)
            .bind(subject)
            .fetch_optional(pool)
            .await?))
    }

    /// Links `subject` at `provider` to the account `username`, in the audit trail. A subject
    /// already linked to an account stays with it (`Conflict`); `NotFound` for no such user.
    pub async fn link_identity(
        &self,
        provider: &str,
        subject: &str,
        username: &str,
        audit: &Provenance,
    ) -> Result<(), StoreError> {
        const SQL: &str = "
            INSERT INTO user_identities (provider, subject, user_id, linked_at)
            SELECT $1, $2, id, $4 FROM users WHERE username = $3";
        let mut tx = self.begin(audit).await?;
        let linked = on_tx!(tx, conn => sqlx::query(SQL)
            .bind(provider)
            .bind(subject)
            .bind(username)
            .bind(&audit.at)
            .execute(conn)
            .await
            .map_err(|e| StoreError::on_unique(e, || format!("{subject} at {provider} is already linked")))?
            .rows_affected());
        if linked == 0 {
            return Err(StoreError::NotFound(format!("user {username}")));
        }
        tx.note(
            "user.identity_linked",
            format!("user {username}"),
            None,
            serde_json::json!({ "user": username, "provider": provider, "subject": subject }),
        );
        tx.commit().await?;
        Ok(())
    }
}
