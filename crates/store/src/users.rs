//! Users, their role grants, and the tokens (API bearer tokens and UI sessions) that stand
//! for them. Only hashes of passwords and tokens are stored.

use baocao_domain::Date;
use baocao_domain::agency::AgencyCode;
use baocao_domain::user::{Role, RoleGrant, Username};
use serde::Serialize;

use crate::credentials::sha256_hex;
use crate::{Store, StoreError, on_db};

/// A user as shown in lists (never the password hash).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserRecord {
    pub username: Username,
    pub full_name: String,
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
    pub agency: AgencyCode,
    pub grants: Vec<RoleGrant>,
}

/// A new user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: Username,
    pub password_hash: String,
    pub full_name: String,
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

const SELECT_USERS: &str = "
    SELECT u.id, u.username, u.full_name, u.email, a.code AS agency, u.active
    FROM users u JOIN agencies a ON a.id = u.agency_id";

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

impl Store {
    /// Creates users with their grants, all or nothing; agencies are those valid on `today`.
    pub async fn create_users(
        &self,
        users: &[NewUser],
        today: Date,
        now: &str,
    ) -> Result<(), StoreError> {
        let mut resolved = Vec::with_capacity(users.len());
        for user in users {
            let agency_id = self.agency_id(&user.agency, Some(today)).await?;
            let mut grants = Vec::with_capacity(user.grants.len());
            for grant in &user.grants {
                grants.push((grant, self.agency_id(&grant.agency, Some(today)).await?));
            }
            resolved.push((user, agency_id, grants));
        }
        on_db!(self, pool => {
            let mut tx = pool.begin().await?;
            for (user, agency_id, grants) in &resolved {
                let id: i32 = sqlx::query_scalar(
                    "INSERT INTO users (username, password_hash, full_name, agency_id, active, created_at, email)
                     VALUES ($1, $2, $3, $4, TRUE, $5, $6) RETURNING id",
                )
                .bind(user.username.as_str())
                .bind(&user.password_hash)
                .bind(&user.full_name)
                .bind(agency_id)
                .bind(now)
                .bind(&user.email)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| StoreError::on_unique(e, || format!("user {}", user.username)))?;
                for (grant, grant_agency_id) in grants {
                    sqlx::query("INSERT INTO role_grants (user_id, role, agency_id, subtree) VALUES ($1, $2, $3, $4)")
                        .bind(id)
                        .bind(grant.role.as_str())
                        .bind(grant_agency_id)
                        .bind(grant.subtree)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            tx.commit().await?;
            Ok(())
        })
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
        Ok(Some(Principal {
            id: row.id,
            username: Username::new(row.username).map_err(corrupt)?,
            full_name: row.full_name,
            agency: AgencyCode::new(row.agency).map_err(corrupt)?,
            grants: self.grants(row.id).await?,
        }))
    }

    /// Stores a token for `user_id` under the hash of `secret`.
    pub async fn create_token(
        &self,
        user_id: i32,
        kind: TokenKind,
        secret: &str,
        csrf_token: Option<&str>,
        now: &str,
        expires_at: &str,
    ) -> Result<(), StoreError> {
        on_db!(self, pool => sqlx::query(
            "INSERT INTO auth_tokens (token_hash, user_id, kind, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(sha256_hex(secret))
        .bind(user_id)
        .bind(kind.as_str())
        .bind(csrf_token)
        .bind(now)
        .bind(expires_at)
        .execute(pool)
        .await
        .map(|_| ())?);
        Ok(())
    }

    /// The principal a live token stands for, with the token's CSRF secret (sessions), and
    /// records its use. Timestamps are RFC 3339 in UTC, so text order is time order.
    pub async fn resolve_token(
        &self,
        kind: TokenKind,
        secret: &str,
        now: &str,
    ) -> Result<Option<(Principal, Option<String>)>, StoreError> {
        let hash = sha256_hex(secret);
        let found: Option<(i32, Option<String>)> = on_db!(self, pool => sqlx::query_as(
            "UPDATE auth_tokens SET last_used_at = $3 WHERE token_hash = $1 AND kind = $2 AND expires_at > $3
             RETURNING user_id, csrf_token",
        )
        .bind(&hash)
        .bind(kind.as_str())
        .bind(now)
        .fetch_optional(pool)
        .await?);
        let Some((user_id, csrf)) = found else {
            return Ok(None);
        };
        Ok(self.principal(user_id).await?.map(|p| (p, csrf)))
    }

    pub async fn delete_token(&self, secret: &str) -> Result<(), StoreError> {
        on_db!(self, pool => sqlx::query("DELETE FROM auth_tokens WHERE token_hash = $1")
            .bind(sha256_hex(secret))
            .execute(pool)
            .await
            .map(|_| ())?);
        Ok(())
    }
}
