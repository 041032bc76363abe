//! A user's live bearer tokens and UI sessions: listed and revoked by the user, or by a
//! manager of the user's agency (a stolen laptop's session ended from another desk).

use baocao_domain::permission::Action;
use baocao_store::StoreError;
use baocao_store::users::TokenRecord;

use crate::{Caller, Context};

#[derive(Debug, thiserror::Error)]
pub enum SessionsError {
    #[error("user {0} not found")]
    UnknownUser(String),
    #[error("token {0} not found")]
    UnknownToken(String),
    /// The user's agency has no place in today's hierarchy.
    #[error("agency {0} not found")]
    UnknownAgency(String),
    #[error("forbidden")]
    Forbidden,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SessionsError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnknownUser(_) | Self::UnknownToken(_) | Self::UnknownAgency(_) => "not_found",
            Self::Forbidden => "forbidden",
            Self::Store(_) => "store",
        }
    }
}

/// The id of `username` if the caller may manage their sign-in (sessions, second factor):
/// themselves, or a manager of their agency.
pub async fn owner(ctx: &Context, caller: &Caller, username: &str) -> Result<i32, SessionsError> {
    let unknown = || SessionsError::UnknownUser(username.to_string());
    let user_id = ctx.store.user_id(username).await?.ok_or_else(unknown)?;
    if user_id == caller.principal.id {
        return Ok(user_id);
    }
    let principal = ctx.store.principal_of(user_id).await?.ok_or_else(unknown)?;
    let lineage = ctx.store.lineage(&principal.agency, ctx.today()).await?;
    if lineage.is_empty() {
        return Err(SessionsError::UnknownAgency(principal.agency.to_string()));
    }
    if !caller.may(Action::ManageUsers { agency: &lineage }) {
        return Err(SessionsError::Forbidden);
    }
    Ok(user_id)
}

/// The user's tokens and sessions still alive (never their secrets).
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username, username))]
pub async fn tokens(
    ctx: &Context,
    caller: &Caller,
    username: &str,
) -> Result<Vec<TokenRecord>, SessionsError> {
    let user_id = owner(ctx, caller, username).await?;
    Ok(ctx.store.tokens_of(user_id, &ctx.now_text()).await?)
}

/// Ends the token `id`, or every one of the user's when `id` is `None`; answers how many
/// ended (a named token that is not the user's is not found).
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username, username))]
pub async fn revoke(
    ctx: &Context,
    caller: &Caller,
    username: &str,
    id: Option<&str>,
) -> Result<u64, SessionsError> {
    let user_id = owner(ctx, caller, username).await?;
    let revoked = ctx
        .store
        .revoke_tokens(user_id, id, &caller.provenance(&ctx.now_text()))
        .await?;
    match id {
        Some(id) if revoked == 0 => Err(SessionsError::UnknownToken(id.to_string())),
        _ => Ok(revoked),
    }
}
