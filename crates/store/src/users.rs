//! Users, their role grants, and the tokens (API bearer tokens and UI sessions) that stand
//! for them. Only hashes of passwords and tokens are stored.

use baocao_domain::Date;
use baocao_domain::agency::AgencyCode;
use baocao_domain::user::{Role, RoleGrant, Username};
use serde::Serialize;

use crate::credentials::sha256_hex;
use baocao_domain::audit::Provenance;

use crate::error::corrupt;
use crate::transaction::on_tx;
use crate::{Store, StoreError, on_db};

/// A user as shown in lists (never the password hash).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserRecord {
    pub username: Username,
    pub full_name: String,
    /// The position (chức vụ) signed documents print above the name, when known.
    pub position: Option<String>,
    /// Where reminders are emailed, if anywhere.
    pub email: Option<String>,
    pub agency: AgencyCode,
    pub active: bool,
    pub grants: Vec<RoleGrant>,
}

/// Who is making a request: the user, their agency and grants.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Principal {
    #[serde(skip)]
    pub id: i32,
    pub username: Username,
    pub full_name: String,
    /// The position (chức vụ) signed documents print above the name, when known.
    pub position: Option<String>,
    pub agency: AgencyCode,
    pub grants: Vec<RoleGrant>,
}

/// A new user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: Username,
    pub password_hash: String,
    pub full_name: String,
    pub position: Option<String>,
    pub email: Option<String>,
    pub agency: AgencyCode,
    pub grants: Vec<RoleGrant>,
}

/// What a token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Api,
    Session,
}

impl TokenKind {
    fn as_str(self) -> &'static str {
        match self {
            TokenKind::Api => "api",
            TokenKind::Session => "session",
        }
    }
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i32,
    username: String,
    full_name: String,
    position: Option<String>,
    email: Option<String>,
    agency: String,
    active: bool,
}

#[derive(sqlx::FromRow)]
struct GrantRow {
    user_id: i32,
    role: String,
    agency: String,
    subtree: bool,
}

const USER_COLUMNS: &str =
    "SELECT u.id, u.username, u.full_name, u.position, u.email, a.code AS agency, u.active";
const SELECT_USERS: &str = "
    SELECT u.id, u.username, u.full_name, u.position, u.email, a.code AS agency, u.active
    FROM users u JOIN agencies a ON a.id = u.agency_id";

/// A token's user with what the token itself carries.
#[derive(sqlx::FromRow)]
struct TokenUserRow {
    #[sqlx(flatten)]
    user: UserRow,
    csrf_token: Option<String>,
    last_used_at: Option<String>,
    /// JSON: `[[role, agency, subtree], …]`.
    grants: String,
}

/// The user of `row` holding `grants`.
fn principal_with(row: UserRow, grants: Vec<RoleGrant>) -> Result<Principal, StoreError> {
    Ok(Principal {
        id: row.id,
        username: Username::new(row.username).map_err(corrupt)?,
        full_name: row.full_name,
        position: row.position,
        agency: AgencyCode::new(row.agency).map_err(corrupt)?,
        grants,
    })
}

/// Grants read as a JSON array of `[role, agency, subtree]` (`subtree` a boolean on
/// PostgreSQL, 0 or 1 on SQLite).
fn grants_from_json(text: &str) -> Result<Vec<RoleGrant>, StoreError> {
    let rows: Vec<(String, String, serde_json::Value)> =
        serde_json::from_str(text).map_err(corrupt)?;
    rows.into_iter()
        .map(|(role, agency, subtree)| {
            let subtree = match subtree {
                serde_json::Value::Bool(flag) => flag,
                serde_json::Value::Number(n) => n.as_i64() != Some(0),
                other => return Err(corrupt(format!("grant subtree {other}"))),
            };
            Ok(RoleGrant {
                role: role.parse::<Role>().map_err(corrupt)?,
                agency: AgencyCode::new(agency).map_err(corrupt)?,
                subtree,
            })
        })
        .collect()
}

impl Store {
    /// Creates users with their grants, all or nothing; agencies are those valid on `today`.
    /// Each user's creation is an audit event naming the user and the grants by ids only.
    pub async fn create_users(
        &self,
        users: &[NewUser],
        today: Date,
        by: &Provenance,
    ) -> Result<(), StoreError> {
        let resolved = self.resolve_users(users, today).await?;
        let mut tx = self.begin(by).await?;
        insert_users(&mut tx, &resolved).await?;
        tx.commit().await
    }

    /// Each user with their agency's row id and their grants' agencies' row ids.
    pub(crate) async fn resolve_users<'u>(
        &self,
        users: &'u [NewUser],
        today: Date,
    ) -> Result<Vec<ResolvedUser<'u>>, StoreError> {
        let mut resolved = Vec::with_capacity(users.len());
        for user in users {
            let agency_id = self.agency_id(&user.agency, Some(today)).await?;
            let mut grants = Vec::with_capacity(user.grants.len());
            for grant in &user.grants {
                grants.push((grant, self.agency_id(&grant.agency, Some(today)).await?));
            }
            resolved.push((user, agency_id, grants));
        }
        Ok(resolved)
    }

    /// The user id and password hash for a login attempt; `None` for an unknown or inactive
    /// user.
    pub async fn login_record(&self, username: &str) -> Result<Option<(i32, String)>, StoreError> {
        Ok(
            on_db!(self, pool => sqlx::query_as("SELECT id, password_hash FROM users WHERE username = $1 AND active")
            .bind(username)
            .fetch_optional(pool)
            .await?),
        )
    }

    /// The users of one agency (any agency with that code), ordered by username.
    pub async fn users_of(&self, agency: &AgencyCode) -> Result<Vec<UserRecord>, StoreError> {
        let sql = format!("{SELECT_USERS} WHERE a.code = $1 ORDER BY u.username");
        let rows: Vec<UserRow> =
            on_db!(self, pool => sqlx::query_as(&sql).bind(agency.as_str()).fetch_all(pool).await?);
        let mut users = Vec::with_capacity(rows.len());
        for row in rows {
            let grants = self.grants(row.id).await?;
            users.push(UserRecord {
                username: Username::new(row.username).map_err(corrupt)?,
                full_name: row.full_name,
                position: row.position,
                email: row.email,
                agency: AgencyCode::new(row.agency).map_err(corrupt)?,
                active: row.active,
                grants,
            });
        }
        Ok(users)
    }

    async fn grants(&self, user_id: i32) -> Result<Vec<RoleGrant>, StoreError> {
        const SQL: &str = "
            SELECT g.user_id, g.role, a.code AS agency, g.subtree
            FROM role_grants g JOIN agencies a ON a.id = g.agency_id
            WHERE g.user_id = $1 ORDER BY g.id";
        let rows: Vec<GrantRow> =
            on_db!(self, pool => sqlx::query_as(SQL).bind(user_id).fetch_all(pool).await?);
        rows.into_iter()
            .map(|row| {
                debug_assert_eq!(row.user_id, user_id);
                Ok(RoleGrant {
                    role: row.role.parse::<Role>().map_err(corrupt)?,
                    agency: AgencyCode::new(row.agency).map_err(corrupt)?,
                    subtree: row.subtree,
                })
            })
            .collect()
    }

    /// The active user `user_id` as a caller.
    pub async fn principal_of(&self, user_id: i32) -> Result<Option<Principal>, StoreError> {
        self.principal(user_id).await
    }

    async fn principal(&self, user_id: i32) -> Result<Option<Principal>, StoreError> {
        let sql = format!("{SELECT_USERS} WHERE u.id = $1 AND u.active");
        let row: Option<UserRow> =
            on_db!(self, pool => sqlx::query_as(&sql).bind(user_id).fetch_optional(pool).await?);
        let Some(row) = row else { return Ok(None) };
        self.principal_from(row).await.map(Some)
    }

    /// The user of `row` with the grants it holds.
    async fn principal_from(&self, row: UserRow) -> Result<Principal, StoreError> {
        let grants = self.grants(row.id).await?;
        principal_with(row, grants)
    }

    /// Stores a token for `user_id` under the hash of `secret`.
    pub async fn create_token(
        &self,
        user_id: i32,
        kind: TokenKind,
        secret: &str,
        csrf_token: Option<&str>,
        audit: &Provenance,
        expires_at: &str,
    ) -> Result<(), StoreError> {
        let hash = sha256_hex(secret);
        let mut tx = self.begin(audit).await?;
        on_tx!(tx, conn => sqlx::query(
            "INSERT INTO auth_tokens (token_hash, user_id, kind, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&hash)
        .bind(user_id)
        .bind(kind.as_str())
        .bind(csrf_token)
        .bind(&audit.at)
        .bind(expires_at)
        .execute(conn)
        .await
        .map(drop)?);
        // Named as the user's token list names it: a prefix of its hash, never the token.
        tx.note(
            "token.create",
            format!("user {user_id}"),
            None,
            serde_json::json!({ "user": user_id, "token": &hash[..16], "kind": kind.as_str(), "expires_at": expires_at }),
        );
        tx.commit().await
    }

    /// The principal a live token stands for, with the token's CSRF secret (sessions), and
    /// records its use. Timestamps are RFC 3339 in UTC, so text order is time order.
    ///
    /// The use is recorded to the minute: a token read with a use recorded in the same
    /// minute is not written again, so an authenticated request is a read, not a write
    /// that queues behind every report being saved (SQLite has one writer).
    pub async fn resolve_token(
        &self,
        kind: TokenKind,
        secret: &str,
        now: &str,
    ) -> Result<Option<(Principal, Option<String>)>, StoreError> {
        let hash = sha256_hex(secret);
        // The token, its (active) user and the user's grants in one statement: every request
        // asks it. The grants come as a JSON array of [role, agency, subtree], in grant order.
        let grants = match &self.db {
            crate::Db::Sqlite(_) => {
                "json_group_array(json_array(g.role, ga.code, g.subtree) ORDER BY g.id)"
            }
            crate::Db::Postgres(_) => {
                "COALESCE(json_agg(json_build_array(g.role, ga.code, g.subtree) ORDER BY g.id), '[]'::json)::text"
            }
        };
        let sql = format!(
            "{USER_COLUMNS}, t.csrf_token, t.last_used_at,
               (SELECT {grants} FROM role_grants g JOIN agencies ga ON ga.id = g.agency_id
                WHERE g.user_id = u.id) AS grants
             FROM auth_tokens t JOIN users u ON u.id = t.user_id JOIN agencies a ON a.id = u.agency_id
             WHERE t.token_hash = $1 AND t.kind = $2 AND t.expires_at > $3 AND u.active"
        );
        let found: Option<TokenUserRow> = on_db!(self, pool => sqlx::query_as(&sql)
            .bind(&hash)
            .bind(kind.as_str())
            .bind(now)
            .fetch_optional(pool)
            .await?);
        let Some(TokenUserRow {
            user,
            csrf_token: csrf,
            last_used_at: last_used,
            grants,
        }) = found
        else {
            return Ok(None);
        };
        if !same_minute(last_used.as_deref(), now) {
            // A transaction joins SQLite's batch of writers rather than waiting for a gap.
            let mut tx = self
                .begin(&Provenance::system(
                    now,
                    baocao_domain::audit::Channel::System,
                ))
                .await?;
            on_tx!(tx, conn => sqlx::query(
                "UPDATE auth_tokens SET last_used_at = $2 WHERE token_hash = $1")
                .bind(&hash)
                .bind(now)
                .execute(conn)
                .await
                .map(drop)?);
            tx.commit().await?;
        }
        let grants = grants_from_json(&grants)?;
        Ok(Some((principal_with(user, grants)?, csrf)))
    }

    /// Ends a token (a logout).
    pub async fn delete_token(&self, secret: &str, audit: &Provenance) -> Result<(), StoreError> {
        let hash = sha256_hex(secret);
        let mut tx = self.begin(audit).await?;
        let user: Option<i32> = on_tx!(tx, conn => sqlx::query_scalar(
            "DELETE FROM auth_tokens WHERE token_hash = $1 RETURNING user_id")
            .bind(&hash)
            .fetch_optional(conn)
            .await?);
        if let Some(user) = user {
            tx.note(
                "token.delete",
                format!("user {user}"),
                None,
                serde_json::json!({ "user": user, "token": &hash[..16] }),
            );
        }
        tx.commit().await
    }

    /// The user's live tokens and sessions, newest first; each named by a prefix of its hash
    /// (which does not give the token away).
    pub async fn tokens_of(&self, user_id: i32, now: &str) -> Result<Vec<TokenRecord>, StoreError> {
        Ok(on_db!(self, pool => sqlx::query_as(
            "SELECT substr(token_hash, 1, 16) AS id, kind, created_at, last_used_at, expires_at
             FROM auth_tokens WHERE user_id = $1 AND expires_at > $2
             ORDER BY created_at DESC, token_hash",
        )
        .bind(user_id)
        .bind(now)
        .fetch_all(pool)
        .await?))
    }

    /// Revokes the user's token named `id` (see [`Store::tokens_of`]), or every token of the
    /// user when `id` is `None`; answers how many were revoked.
    pub async fn revoke_tokens(
        &self,
        user_id: i32,
        id: Option<&str>,
        audit: &Provenance,
    ) -> Result<u64, StoreError> {
        if let Some(id) = id
            && (id.len() != 16 || !id.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return Ok(0);
        }
        let mut tx = self.begin(audit).await?;
        let done = match id {
            Some(id) => on_tx!(tx, conn => sqlx::query(
                "DELETE FROM auth_tokens WHERE user_id = $1 AND substr(token_hash, 1, 16) = $2",
            )
            .bind(user_id)
            .bind(id.to_ascii_lowercase())
            .execute(conn)
            .await?
            .rows_affected()),
            None => on_tx!(tx, conn => sqlx::query("DELETE FROM auth_tokens WHERE user_id = $1")
                .bind(user_id)
                .execute(conn)
                .await?
                .rows_affected()),
        };
        if done > 0 {
            tx.note(
                "token.revoke",
                format!("user {user_id}"),
                None,
                serde_json::json!({ "user": user_id, "token": id, "revoked": done }),
            );
        }
        tx.commit().await?;
        Ok(done)
    }

    /// The id of an active user by username.
    pub async fn user_id(&self, username: &str) -> Result<Option<i32>, StoreError> {
        Ok(
            on_db!(self, pool => sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
            .bind(username)
            .fetch_optional(pool)
            .await?),
        )
    }
}

/// A user's second factor as stored (the secret opened).
#[derive(Debug, Clone, PartialEq)]
pub struct SecondFactor {
    pub secret: Vec<u8>,
    pub enabled: bool,
    pub last_step: Option<i64>,
}

impl Store {
    /// The user's TOTP secret and state, if one was ever set.
    pub async fn second_factor(&self, user_id: i32) -> Result<Option<SecondFactor>, StoreError> {
        let row: Option<(Option<String>, bool, Option<i64>)> = on_db!(self, pool => sqlx::query_as(
            "SELECT totp_secret, totp_enabled, totp_last_step FROM users WHERE id = $1",
        )
        .bind(user_id)
        .fetch_optional(pool)
        .await?);
        let Some((Some(sealed), enabled, last_step)) = row else {
            return Ok(None);
        };
        let secret =
            hex::decode(self.open_secret(&sealed, crate::secrets::TOTP_COLUMN)?).map_err(|_| {
                StoreError::Corrupt(format!("user {user_id}: a TOTP secret is not hex"))
            })?;
        Ok(Some(SecondFactor {
            secret,
            enabled,
            last_step,
        }))
    }

    /// Sets or clears the user's position (chức vụ).
    pub async fn set_position(
        &self,
        user_id: i32,
        position: Option<&str>,
        audit: &Provenance,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin(audit).await?;
        on_tx!(tx, conn => sqlx::query("UPDATE users SET position = $2 WHERE id = $1")
            .bind(user_id)
            .bind(position)
            .execute(conn)
            .await
            .map(drop)?);
        tx.note(
            "user.position",
            format!("user {user_id}"),
            None,
            serde_json::json!({ "user": user_id, "position": position }),
        );
        tx.commit().await
    }

    /// Sets (sealed) or clears the user's TOTP secret; `enabled` puts it in force.
    pub async fn set_second_factor(
        &self,
        user_id: i32,
        secret: Option<&[u8]>,
        enabled: bool,
        audit: &Provenance,
    ) -> Result<(), StoreError> {
        let sealed = match secret {
            Some(secret) => Some(
                self.keyring()?
                    .seal(&hex::encode(secret), crate::secrets::TOTP_COLUMN),
            ),
            None => None,
        };
        let mut tx = self.begin(audit).await?;
        on_tx!(tx, conn => sqlx::query(
            "UPDATE users SET totp_secret = $2, totp_enabled = $3, totp_last_step = NULL WHERE id = $1",
        )
        .bind(user_id)
        .bind(sealed)
        .bind(enabled && secret.is_some())
        .execute(conn)
        .await
        .map(drop)?);
        // The fact, never the secret.
        tx.note(
            "second_factor.set",
            format!("user {user_id}"),
            None,
            serde_json::json!({ "user": user_id, "secret_set": secret.is_some(), "enabled": enabled && secret.is_some() }),
        );
        tx.commit().await
    }

    /// Puts the secret set by [`Store::set_second_factor`] in force.
    pub async fn enable_second_factor(
        &self,
        user_id: i32,
        step: i64,
        audit: &Provenance,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin(audit).await?;
        on_tx!(tx, conn => sqlx::query(
            "UPDATE users SET totp_enabled = TRUE, totp_last_step = $2 WHERE id = $1 AND totp_secret IS NOT NULL",
        )
        .bind(user_id)
        .bind(step)
        .execute(conn)
        .await
        .map(drop)?);
        tx.note(
            "second_factor.enable",
            format!("user {user_id}"),
            None,
            serde_json::json!({ "user": user_id }),
        );
        tx.commit().await
    }

    /// Records that the code of `step` was used; false when that step (or a later one) was
    /// used already — the code is then refused, even if two servers see it at once.
    pub async fn use_second_factor_step(
        &self,
        user_id: i32,
        step: i64,
    ) -> Result<bool, StoreError> {
        let done = on_db!(self, pool => sqlx::query(
            "UPDATE users SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)",
        )
        .bind(user_id)
        .bind(step)
        .execute(pool)
        .await?
        .rows_affected());
        Ok(done == 1)
    }
}

/// A live token or session, as an administrator sees it (never the secret).
#[derive(Debug, Clone, PartialEq, serde::Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenRecord {
    /// The first 16 hex digits of the token's hash: enough to name it, not to use it.
    pub id: String,
    /// `api` (a bearer token) or `session` (the UI).
    pub kind: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub expires_at: String,
}

/// Whether an RFC 3339 timestamp `recorded` falls in the same minute as `now`.
pub(crate) fn same_minute(recorded: Option<&str>, now: &str) -> bool {
    const MINUTE: usize = "YYYY-MM-DDTHH:MM".len();
    match (recorded.and_then(|r| r.get(..MINUTE)), now.get(..MINUTE)) {
        (Some(recorded), Some(now)) => recorded == now,
        _ => false,
    }
}

/// A user to create: the user, their agency's row id, each grant with its agency's row id.
pub(crate) type ResolvedUser<'u> = (&'u NewUser, i32, Vec<(&'u RoleGrant, i32)>);

/// Inserts `users` with their grants inside `tx`, each with its `user.create` event.
pub(crate) async fn insert_users(
    tx: &mut crate::transaction::Transaction,
    users: &[ResolvedUser<'_>],
) -> Result<(), StoreError> {
    let at = tx.by().at.clone();
    for (user, agency_id, grants) in users {
        let id: i32 = on_tx!(tx, conn => {
            let id: i32 = sqlx::query_scalar(
                "INSERT INTO users (username, password_hash, full_name, agency_id, active, created_at, email, position)
                 VALUES ($1, $2, $3, $4, TRUE, $5, $6, $7) RETURNING id",
            )
            .bind(user.username.as_str())
            .bind(&user.password_hash)
            .bind(&user.full_name)
            .bind(agency_id)
            .bind(&at)
            .bind(&user.email)
            .bind(&user.position)
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| StoreError::on_unique(e, || format!("user {}", user.username)))?;
            for (grant, grant_agency_id) in grants {
                sqlx::query("INSERT INTO role_grants (user_id, role, agency_id, subtree) VALUES ($1, $2, $3, $4)")
                    .bind(id)
                    .bind(grant.role.as_str())
                    .bind(grant_agency_id)
                    .bind(grant.subtree)
                    .execute(&mut *conn)
                    .await?;
            }
            id
        });
        let granted: Vec<serde_json::Value> = grants
            .iter()
            .map(|(grant, agency)| serde_json::json!([grant.role.as_str(), agency, grant.subtree]))
            .collect();
        tx.note(
            "user.create",
            format!("user {id}"),
            Some(*agency_id),
            serde_json::json!({ "user": id, "agency": agency_id, "grants": granted }),
        );
    }
    Ok(())
}

#[cfg(test)]
mod minute_tests {
    use super::same_minute;

    #[test]
    fn a_use_is_recorded_again_only_in_another_minute() {
        let now = "2026-12-06T09:15:42Z";
        assert!(same_minute(Some("2026-12-06T09:15:01Z"), now));
        assert!(!same_minute(Some("2026-12-06T09:14:59Z"), now));
        assert!(!same_minute(Some("2025-12-06T09:15:42Z"), now));
        assert!(!same_minute(None, now));
        assert!(!same_minute(Some("short"), now));
    }
}
