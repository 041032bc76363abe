//! Client systems (other agencies' software) that push to and pull from the API: each has a
//! user account of its own, whose grants say where it reports and reads, a token stored as a
//! SHA-256 hash (shown once, at registration), its scopes — regimes, push, pull, submit — an
//! expiry, a rate limit, the time it was last used, and a revocation.

use serde::Serialize;

use crate::credentials::sha256_hex;
use crate::transaction::on_tx;
use crate::users::{NewUser, Principal};
use crate::{Store, StoreError, on_db};

/// A client to register, with the account it acts through.
pub struct NewClient<'a> {
    pub user: &'a NewUser,
    pub token: &'a str,
    /// Regime codes it may touch; empty for all.
    pub regimes: &'a [String],
    pub can_push: bool,
    pub can_pull: bool,
    pub can_submit: bool,
    pub rate_per_minute: i32,
    pub expires_at: Option<&'a str>,
}

/// A registered client (never its token).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientRecord {
    pub id: i32,
    pub name: String,
    pub agency: String,
    pub regimes: Vec<String>,
    pub can_push: bool,
    pub can_pull: bool,
    pub can_submit: bool,
    pub rate_per_minute: i32,
    pub created_by: String,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

#[derive(sqlx::FromRow)]
struct ClientRow {
    id: i32,
    name: String,
    agency: String,
    regimes: String,
    can_push: bool,
    can_pull: bool,
    can_submit: bool,
    rate_per_minute: i32,
    created_by: String,
    created_at: String,
    expires_at: Option<String>,
    last_used_at: Option<String>,
    revoked_at: Option<String>,
    user_id: i32,
}

impl ClientRow {
    fn record(self) -> Result<(ClientRecord, i32), StoreError> {
        let regimes = serde_json::from_str(&self.regimes)
            .map_err(|e| StoreError::Corrupt(format!("client regimes: {e}")))?;
        Ok((
            ClientRecord {
                id: self.id,
                name: self.name,
                agency: self.agency,
                regimes,
                can_push: self.can_push,
                can_pull: self.can_pull,
                can_submit: self.can_submit,
                rate_per_minute: self.rate_per_minute,
                created_by: self.created_by,
                created_at: self.created_at,
                expires_at: self.expires_at,
                last_used_at: self.last_used_at,
                revoked_at: self.revoked_at,
            },
            self.user_id,
        ))
    }
}

const SELECT_CLIENTS: &str = "
    SELECT c.id, c.name, a.code AS agency, c.regimes, c.can_push, c.can_pull, c.can_submit,
           c.rate_per_minute, c.created_by, c.created_at, c.expires_at, c.last_used_at,
           c.revoked_at, c.user_id
    FROM api_clients c JOIN users u ON u.id = c.user_id JOIN agencies a ON a.id = u.agency_id";

impl Store {
    /// Registers a client and its account, all or nothing.
    pub async fn create_client(
        &self,
        client: &NewClient<'_>,
        today: jiff::civil::Date,
        by: &str,
        audit: &baocao_domain::audit::Provenance,
    ) -> Result<i32, StoreError> {
        let now = audit.at.as_str();
        let users = self
            .resolve_users(std::slice::from_ref(client.user), today)
            .await?;
        let regimes = serde_json::to_string(client.regimes)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        // The account, the client and their events in one transaction: a refused client
        // leaves no account behind.
        let mut tx = self.begin(audit).await?;
        crate::users::insert_users(&mut tx, &users).await?;
        let id = on_tx!(tx, conn => sqlx::query_scalar::<_, i32>(
            "INSERT INTO api_clients (name, user_id, token_hash, regimes, can_push, can_pull, can_submit,
                                      rate_per_minute, created_by, created_at, expires_at)
             SELECT $1, id, $2, $3, $4, $5, $6, $7, $8, $9, $10 FROM users WHERE username = $1
             RETURNING id",
        )
        .bind(client.user.username.as_str())
        .bind(sha256_hex(client.token))
        .bind(&regimes)
        .bind(client.can_push)
        .bind(client.can_pull)
        .bind(client.can_submit)
        .bind(client.rate_per_minute)
        .bind(by)
        .bind(now)
        .bind(client.expires_at)
        .fetch_one(&mut *conn)
        .await
        .map_err(|error| StoreError::on_unique(error, || format!("client {}", client.user.username)))?);
        tx.note(
            "client.create",
            format!("client {id}"),
            None,
            serde_json::json!({
                "client": id,
                "regimes": client.regimes,
                "push": client.can_push,
                "pull": client.can_pull,
                "submit": client.can_submit,
                "rate_per_minute": client.rate_per_minute,
                "expires_at": client.expires_at,
            }),
        );
        tx.commit().await?;
        Ok(id)
    }

    pub async fn clients(&self) -> Result<Vec<ClientRecord>, StoreError> {
        let sql = format!("{SELECT_CLIENTS} ORDER BY c.name");
        let rows: Vec<ClientRow> =
            on_db!(self, pool => sqlx::query_as(&sql).fetch_all(pool).await?);
        rows.into_iter()
            .map(|r| r.record().map(|(c, _)| c))
            .collect()
    }

    /// The live client holding `token` (not revoked, not expired at `now`), with the principal
    /// it acts as, and records its use.
    pub async fn client_by_token(
        &self,
        token: &str,
        now: &str,
    ) -> Result<Option<(ClientRecord, Principal)>, StoreError> {
        let sql = format!(
            "{SELECT_CLIENTS} WHERE c.token_hash = $1 AND c.revoked_at IS NULL
               AND (c.expires_at IS NULL OR c.expires_at > $2) AND u.active"
        );
        let row: Option<ClientRow> = on_db!(self, pool => sqlx::query_as(&sql)
            .bind(sha256_hex(token))
            .bind(now)
            .fetch_optional(pool)
            .await?);
        let Some(row) = row else { return Ok(None) };
        let (client, user_id) = row.record()?;
        // Recorded to the minute, like a user's token: most requests are reads only.
        if !crate::users::same_minute(client.last_used_at.as_deref(), now) {
            on_db!(self, pool => sqlx::query("UPDATE api_clients SET last_used_at = $2 WHERE id = $1")
                .bind(client.id)
                .bind(now)
                .execute(pool)
                .await
                .map(|_| ())?);
        }
        Ok(self.principal_of(user_id).await?.map(|p| (client, p)))
    }

    /// The client whose account is `user_id`, if it is one.
    pub async fn client_of_user(&self, user_id: i32) -> Result<Option<ClientRecord>, StoreError> {
        let sql = format!("{SELECT_CLIENTS} WHERE c.user_id = $1");
        let row: Option<ClientRow> =
            on_db!(self, pool => sqlx::query_as(&sql).bind(user_id).fetch_optional(pool).await?);
        row.map(|r| r.record().map(|(c, _)| c)).transpose()
    }

    /// Revokes a client and closes its account; answers whether it existed and was live.
    pub async fn revoke_client(
        &self,
        id: i32,
        audit: &baocao_domain::audit::Provenance,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin(audit).await?;
        let done = crate::transaction::on_tx!(tx, conn => {
            let done = sqlx::query(
                "UPDATE api_clients SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
            )
            .bind(id)
            .bind(&audit.at)
            .execute(&mut *conn)
            .await?
            .rows_affected();
            sqlx::query(
                "UPDATE users SET active = FALSE WHERE id = (SELECT user_id FROM api_clients WHERE id = $1)",
            )
            .bind(id)
            .execute(&mut *conn)
            .await?;
            done
        });
        if done == 1 {
            tx.note(
                "client.revoke",
                format!("client {id}"),
                None,
                serde_json::json!({ "client": id }),
            );
        }
        tx.commit().await?;
        Ok(done == 1)
    }
}
