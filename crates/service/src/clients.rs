//! The client systems of other agencies: registered by an administrator (the system, its
//! agency, its scopes; its token is shown once), listed with their last use (never tokens),
//! revoked. The client's account gets the grants its scopes need at its agency and below:
//! push → reporter, submit → approver, pull → viewer.

use baocao_domain::permission::Action;
use baocao_domain::user::{Role, RoleGrant, Username};
use baocao_store::StoreError;
use baocao_store::clients::{ClientRecord, NewClient};
use baocao_store::credentials::{hash_password, new_secret};
use baocao_store::users::NewUser;
use serde::Deserialize;

use crate::catalogue::{self, CatalogueError};
use crate::{Caller, Context, national};

/// Calls a minute when the registration does not say.
const DEFAULT_RATE: i32 = 600;

#[derive(Debug, thiserror::Error)]
pub enum ClientsError {
    #[error(transparent)]
    Catalogue(#[from] CatalogueError),
    #[error("forbidden")]
    Forbidden,
    #[error("invalid client name {0:?}")]
    InvalidName(String),
    #[error("a client must be allowed to push or to pull")]
    NoScope,
    #[error("rate_per_minute must be 1 to 100000")]
    InvalidRate,
    /// An account or client of this name exists.
    #[error("{0} exists")]
    Exists(String),
    #[error("unknown client {0}")]
    UnknownClient(i32),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ClientsError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Catalogue(error) => error.code(),
            Self::Forbidden => "forbidden",
            Self::InvalidName(_) | Self::NoScope | Self::InvalidRate => "invalid_client",
            Self::Exists(_) => "client_exists",
            Self::UnknownClient(_) => "not_found",
            Self::Store(_) => "store",
        }
    }
}

/// What an administrator registers.
#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Registration {
    /// The account name: lowercase letters, digits, `.`, `_`, `-`.
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = baocao_domain::agency::AgencyCode))]
    pub agency: String,
    #[serde(default)]
    pub full_name: String,
    /// Regime codes the client may touch (empty: all its grants allow).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<baocao_domain::regime::RegimeCode>))]
    pub regimes: Vec<String>,
    #[serde(default)]
    pub push: bool,
    #[serde(default)]
    pub pull: bool,
    #[serde(default)]
    pub submit: bool,
    #[serde(default)]
    pub rate_per_minute: Option<i32>,
    #[serde(default)]
    pub expires_at: Option<jiff::Timestamp>,
}

/// Registers a client system; answers it with its token (shown this once).
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username, client = %registration.name))]
pub async fn register(
    ctx: &Context,
    caller: &Caller,
    registration: Registration,
) -> Result<(ClientRecord, String), ClientsError> {
    let agency = catalogue::agency_code(&registration.agency)?;
    let lineage = catalogue::lineage_today(ctx, &agency).await?;
    if !caller.may(Action::ManageUsers { agency: &lineage }) {
        return Err(ClientsError::Forbidden);
    }
    let username = Username::new(registration.name.trim())
        .map_err(|_| ClientsError::InvalidName(registration.name.clone()))?;
    if !(registration.push || registration.pull) {
        return Err(ClientsError::NoScope);
    }
    let rate = registration.rate_per_minute.unwrap_or(DEFAULT_RATE);
    if !(1..=100_000).contains(&rate) {
        return Err(ClientsError::InvalidRate);
    }
    for regime in &registration.regimes {
        catalogue::load_regime(&ctx.store, regime).await?;
    }
    let grant = |role| RoleGrant {
        role,
        agency: agency.clone(),
        subtree: true,
    };
    let mut grants = Vec::new();
    if registration.push {
        grants.push(grant(Role::Reporter));
    }
    if registration.submit {
        grants.push(grant(Role::Approver));
    }
    if registration.pull {
        grants.push(grant(Role::Viewer));
    }
    let token = new_secret();
    let password_hash = {
        let token = token.clone();
        tokio::task::spawn_blocking(move || hash_password(&token))
            .await
            .map_err(|error| StoreError::Secrets(format!("hashing the token: {error}")))??
    };
    let user = NewUser {
        username: username.clone(),
        password_hash,
        position: None,
        full_name: if registration.full_name.trim().is_empty() {
            format!("Hệ thống {username}")
        } else {
            registration.full_name.trim().to_string()
        },
        email: None,
        agency: agency.clone(),
        grants,
    };
    let expires_at = registration.expires_at.map(baocao_store::timestamp_text);
    let client = NewClient {
        user: &user,
        token: &token,
        regimes: &registration.regimes,
        can_push: registration.push,
        can_pull: registration.pull,
        can_submit: registration.submit,
        rate_per_minute: rate,
        expires_at: expires_at.as_deref(),
    };
    ctx.store
        .create_client(
            &client,
            ctx.today(),
            caller.principal.username.as_str(),
            &caller.provenance(&ctx.now_text()),
        )
        .await
        .map_err(|error| match error {
            StoreError::Conflict(_) => ClientsError::Exists(username.to_string()),
            other => other.into(),
        })?;
    let record = ctx
        .store
        .clients()
        .await?
        .into_iter()
        .find(|c| c.name == username.as_str())
        .ok_or_else(|| StoreError::NotFound(format!("client {username} just registered")))?;
    Ok((record, token))
}

/// The registered clients (system administrators).
pub async fn list(ctx: &Context, caller: &Caller) -> Result<Vec<ClientRecord>, ClientsError> {
    if !caller.may(Action::ManageUsers {
        agency: &national(),
    }) {
        return Err(ClientsError::Forbidden);
    }
    Ok(ctx.store.clients().await?)
}

/// Revokes a client: its token and account stop working.
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username, client = id))]
pub async fn revoke(ctx: &Context, caller: &Caller, id: i32) -> Result<(), ClientsError> {
    if !caller.may(Action::ManageUsers {
        agency: &national(),
    }) {
        return Err(ClientsError::Forbidden);
    }
    if ctx
        .store
        .revoke_client(id, &caller.provenance(&ctx.now_text()))
        .await?
    {
        Ok(())
    } else {
        Err(ClientsError::UnknownClient(id))
    }
}
