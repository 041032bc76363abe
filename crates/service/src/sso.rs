//! Signing in through an OpenID Connect provider — the authorization code flow with PKCE, as
//! the national public service portal's single sign-on offers it.
//!
//! A sign-in is an [`Attempt`]: a state, a nonce and a PKCE verifier, kept by the person's
//! browser between leaving for the provider and coming back. What comes back is believed only
//! after every check: the state is the attempt's, the code is exchanged (with the verifier and
//! the client's secret) at the token endpoint, and the ID token is signed by a key the
//! provider publishes (never a shared-secret algorithm), by the configured issuer, for this
//! client, not expired or issued in the future by the server's clock, with the attempt's nonce.
//! The subject (the configured claim) then signs in as the baocao account linked to it — by
//! an administrator, or at the first sign-in by a claim equal to the account's username when
//! the provider is configured so — and gets that account's grants only.

use std::time::Duration;

use baocao_domain::audit::{Channel, Provenance};
use baocao_store::{Store, StoreError};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use sha2::Digest;

/// One provider a deployment trusts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    /// A short code, in the sign-in paths (`/auth/oidc/{name}`) and the linked identities.
    pub name: String,
    /// What the login page's button says.
    pub label: String,
    /// The issuer URL; its `/.well-known/openid-configuration` is read at each sign-in.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// Scopes asked for [default: openid profile].
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// The ID token's claim that identifies the person [default: sub].
    #[serde(default = "default_subject_claim")]
    pub subject_claim: String,
    /// A claim whose value, at a subject's first sign-in, links it to the account of that
    /// username (none: only an administrator links).
    #[serde(default)]
    pub link_claim: Option<String>,
}

fn default_scopes() -> Vec<String> {
    vec!["openid".into(), "profile".into()]
}

fn default_subject_claim() -> String {
    "sub".into()
}

/// Why a sign-in was refused.
#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    #[error("no identity provider named {0}")]
    UnknownProvider(String),
    #[error("the identity provider cannot be used: {0}")]
    Provider(String),
    #[error("the sign-in does not belong to this browser (state)")]
    State,
    #[error("the identity provider refused the sign-in: {0}")]
    Refused(String),
    #[error("the ID token is not acceptable: {0}")]
    Token(String),
    #[error("{subject} at {provider} is linked to no baocao account")]
    NoAccount { provider: String, subject: String },
    #[error("user {0} not found")]
    UnknownUser(String),
    #[error("forbidden")]
    Forbidden,
    #[error("the subject must be 1 to 255 characters")]
    InvalidSubject,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the browser keeps between leaving for the provider and coming back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub provider: String,
    pub state: String,
    pub nonce: String,
    pub verifier: String,
}

fn random_text() -> String {
    let bytes: [u8; 32] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

impl Attempt {
    pub fn new(provider: &str) -> Self {
        Self {
            provider: provider.to_string(),
            state: random_text(),
            nonce: random_text(),
            verifier: random_text(),
        }
    }

    /// The PKCE challenge (S256) of the verifier.
    pub fn challenge(&self) -> String {
        URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(self.verifier.as_bytes()))
    }

    /// The attempt as one cookie value.
    pub fn to_cookie(&self) -> String {
        format!(
            "{}.{}.{}.{}",
            self.provider, self.state, self.nonce, self.verifier
        )
    }

    pub fn from_cookie(text: &str) -> Option<Self> {
        let mut parts = text.split('.');
        let attempt = Self {
            provider: parts.next()?.to_string(),
            state: parts.next()?.to_string(),
            nonce: parts.next()?.to_string(),
            verifier: parts.next()?.to_string(),
        };
        parts.next().is_none().then_some(attempt)
    }
}

/// What a provider says of itself (OpenID Connect Discovery).
#[derive(Debug, Clone, Deserialize)]
pub struct Metadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    #[serde(default)]
    pub end_session_endpoint: Option<String>,
}

fn client() -> Result<reqwest::Client, SsoError> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| SsoError::Provider(e.to_string()))
}

async fn get_json<T: serde::de::DeserializeOwned>(url: &str) -> Result<T, SsoError> {
    let answer = client()?
        .get(url)
        .send()
        .await
        .map_err(|e| SsoError::Provider(format!("{url}: {e}")))?;
    if !answer.status().is_success() {
        return Err(SsoError::Provider(format!("{url}: {}", answer.status())));
    }
    let bytes = answer
        .bytes()
        .await
        .map_err(|e| SsoError::Provider(format!("{url}: {e}")))?;
    serde_json::from_slice(&bytes).map_err(|e| SsoError::Provider(format!("{url}: {e}")))
}

/// Reads the provider's metadata; its issuer must be the one configured.
pub async fn metadata(provider: &Provider) -> Result<Metadata, SsoError> {
    let issuer = provider.issuer.trim_end_matches('/');
    let metadata: Metadata =
        get_json(&format!("{issuer}/.well-known/openid-configuration")).await?;
    if metadata.issuer.trim_end_matches('/') != issuer {
        return Err(SsoError::Provider(format!(
            "the provider calls itself {}, not {issuer}",
            metadata.issuer
        )));
    }
    Ok(metadata)
}

/// Where to send the person to sign in.
pub fn authorization_url(
    provider: &Provider,
    metadata: &Metadata,
    redirect_uri: &str,
    attempt: &Attempt,
) -> Result<String, SsoError> {
    let mut url = url::Url::parse(&metadata.authorization_endpoint)
        .map_err(|e| SsoError::Provider(format!("authorization_endpoint: {e}")))?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &provider.client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", &provider.scopes.join(" "))
        .append_pair("state", &attempt.state)
        .append_pair("nonce", &attempt.nonce)
        .append_pair("code_challenge", &attempt.challenge())
        .append_pair("code_challenge_method", "S256");
    Ok(url.into())
}

/// Where to send the person to sign out at the provider too, if it offers that.
pub fn logout_url(provider: &Provider, metadata: &Metadata, back_to: &str) -> Option<String> {
    let mut url = url::Url::parse(metadata.end_session_endpoint.as_deref()?).ok()?;
    url.query_pairs_mut()
        .append_pair("client_id", &provider.client_id)
        .append_pair("post_logout_redirect_uri", back_to);
    Some(url.into())
}

#[derive(Deserialize)]
struct TokenAnswer {
    id_token: String,
}

/// Exchanges the code for the ID token (the client's secret in Basic, the PKCE verifier).
async fn exchange(
    provider: &Provider,
    metadata: &Metadata,
    redirect_uri: &str,
    attempt: &Attempt,
    code: &str,
) -> Result<String, SsoError> {
    let answer = client()?
        .post(&metadata.token_endpoint)
        .basic_auth(
            form_encode(&provider.client_id),
            Some(form_encode(&provider.client_secret)),
        )
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", &attempt.verifier),
        ])
        .send()
        .await
        .map_err(|e| SsoError::Provider(format!("{}: {e}", metadata.token_endpoint)))?;
    let status = answer.status();
    let text = answer
        .text()
        .await
        .map_err(|e| SsoError::Provider(e.to_string()))?;
    if !status.is_success() {
        return Err(SsoError::Refused(format!("{status}: {text}")));
    }
    let tokens: TokenAnswer = serde_json::from_str(&text)
        .map_err(|e| SsoError::Provider(format!("token answer: {e}")))?;
    Ok(tokens.id_token)
}

/// RFC 6749 §2.3.1: the client's id and secret are form-encoded before Basic.
fn form_encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// How long a provider's published keys are used without asking again.
const KEYS_KEPT: Duration = Duration::from_secs(600);
/// A key the kept set lacks makes it read again, at most this often (a token naming made-up
/// keys must not make every sign-in a request to the provider).
const KEYS_REREAD_AFTER: Duration = Duration::from_secs(10);

type KeySets = std::collections::HashMap<String, (std::time::Instant, jsonwebtoken::jwk::JwkSet)>;

/// The providers' published key sets by address, with when each was read.
static KEY_SETS: std::sync::LazyLock<std::sync::Mutex<KeySets>> =
    std::sync::LazyLock::new(Default::default);

fn key_in(keys: &jsonwebtoken::jwk::JwkSet, kid: Option<&str>) -> Option<jsonwebtoken::jwk::Jwk> {
    match kid {
        Some(kid) => keys.find(kid),
        None if keys.keys.len() == 1 => keys.keys.first(),
        None => None,
    }
    .cloned()
}

/// The key `kid` names in the provider's published set (the only one, when the token names
/// none): from the set read within [`KEYS_KEPT`], read again when it is older or lacks the key
/// (the provider rotated its keys) and was not read in the last [`KEYS_REREAD_AFTER`].
async fn published_key(
    jwks_uri: &str,
    kid: Option<&str>,
) -> Result<Option<jsonwebtoken::jwk::Jwk>, SsoError> {
    let kept = |sets: &KeySets| {
        sets.get(jwks_uri)
            .map(|(read, keys)| (read.elapsed(), key_in(keys, kid)))
    };
    let known = kept(&KEY_SETS.lock().unwrap_or_else(|p| p.into_inner()));
    match known {
        Some((age, Some(key))) if age < KEYS_KEPT => return Ok(Some(key)),
        Some((age, None)) if age < KEYS_REREAD_AFTER => return Ok(None),
        _ => {}
    }
    let keys: jsonwebtoken::jwk::JwkSet = get_json(jwks_uri).await?;
    let key = key_in(&keys, kid);
    KEY_SETS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(jwks_uri.to_string(), (std::time::Instant::now(), keys));
    Ok(key)
}

/// How far the provider's clock may be from ours.
const LEEWAY_SECONDS: i64 = 60;

/// The ID token's claims once its signature, issuer, audience, lifetime and nonce hold.
pub async fn verified_claims(
    provider: &Provider,
    metadata: &Metadata,
    id_token: &str,
    nonce: &str,
    now: jiff::Timestamp,
) -> Result<serde_json::Map<String, serde_json::Value>, SsoError> {
    use jsonwebtoken::{Algorithm, DecodingKey, Validation};
    let bad = |why: String| SsoError::Token(why);
    let header = jsonwebtoken::decode_header(id_token).map_err(|e| bad(e.to_string()))?;
    // Only the provider's published keys may sign: never a secret shared with the client.
    if matches!(
        header.alg,
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512
    ) {
        return Err(bad(format!("{:?} is not accepted", header.alg)));
    }
    let jwk = published_key(&metadata.jwks_uri, header.kid.as_deref())
        .await?
        .ok_or_else(|| bad("signed by a key the provider does not publish".into()))?;
    let key = DecodingKey::from_jwk(&jwk).map_err(|e| bad(e.to_string()))?;
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[provider.issuer.trim_end_matches('/')]);
    validation.set_audience(&[&provider.client_id]);
    validation.set_required_spec_claims(&["iss", "aud", "exp", "sub"]);
    // The lifetime is checked below against the server's clock, not the machine's.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    let claims = jsonwebtoken::decode::<serde_json::Map<String, serde_json::Value>>(
        id_token,
        &key,
        &validation,
    )
    .map_err(|e| match e.kind() {
        jsonwebtoken::errors::ErrorKind::InvalidSignature => {
            bad("the signature does not verify with the provider's key".into())
        }
        _ => bad(e.to_string()),
    })?
    .claims;
    let now = now.as_second();
    let seconds = |name: &str| claims.get(name).and_then(serde_json::Value::as_i64);
    match seconds("exp") {
        Some(exp) if exp + LEEWAY_SECONDS > now => {}
        _ => return Err(bad("expired".into())),
    }
    if seconds("iat").is_some_and(|iat| iat > now + LEEWAY_SECONDS) {
        return Err(bad("issued in the future".into()));
    }
    if claims.get("nonce").and_then(|n| n.as_str()) != Some(nonce) {
        return Err(bad("the nonce is not this sign-in's".into()));
    }
    Ok(claims)
}

/// Finishes a sign-in the provider sent back with `code`: every check above, then the
/// account the subject is linked to (linked now by the link claim when configured and none
/// is). Answers the baocao user id.
#[allow(clippy::too_many_arguments)]
pub async fn finish(
    store: &Store,
    provider: &Provider,
    redirect_uri: &str,
    attempt: &Attempt,
    state: &str,
    code: &str,
    now: jiff::Timestamp,
    request: Option<String>,
) -> Result<i32, SsoError> {
    if attempt.provider != provider.name || !same_secret(&attempt.state, state) {
        return Err(SsoError::State);
    }
    let metadata = metadata(provider).await?;
    let id_token = exchange(provider, &metadata, redirect_uri, attempt, code).await?;
    let claims = verified_claims(provider, &metadata, &id_token, &attempt.nonce, now).await?;
    let claim_text = |name: &str| -> Option<String> {
        match claims.get(name)? {
            serde_json::Value::String(text) if !text.is_empty() => Some(text.clone()),
            serde_json::Value::Number(number) => Some(number.to_string()),
            _ => None,
        }
    };
    let subject = claim_text(&provider.subject_claim)
        .ok_or_else(|| SsoError::Token(format!("no {} claim", provider.subject_claim)))?;
    if let Some(user) = store.identity_user(&provider.name, &subject).await? {
        return Ok(user);
    }
    let no_account = || SsoError::NoAccount {
        provider: provider.name.clone(),
        subject: subject.clone(),
    };
    let username = provider
        .link_claim
        .as_deref()
        .and_then(claim_text)
        .ok_or_else(no_account)?;
    let Some(user) = store.user_id(&username).await? else {
        return Err(no_account());
    };
    store
        .link_identity(
            &provider.name,
            &subject,
            &username,
            &Provenance {
                at: baocao_store::timestamp_text(now),
                user: Some(user),
                client: None,
                channel: Channel::Web,
                request,
            },
        )
        .await?;
    store
        .identity_user(&provider.name, &subject)
        .await?
        .ok_or_else(no_account)
}

/// Links `subject` at the provider `provider` to the account `username`: a manager of the
/// account's agency only (a person cannot give their own account to someone else's identity).
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username, username, provider))]
pub async fn link(
    ctx: &crate::Context,
    caller: &crate::Caller,
    providers: &[Provider],
    username: &str,
    provider: &str,
    subject: &str,
) -> Result<(), SsoError> {
    use baocao_domain::permission::Action;
    if !providers.iter().any(|p| p.name == provider) {
        return Err(SsoError::UnknownProvider(provider.to_string()));
    }
    if subject.trim().is_empty() || subject.chars().count() > 255 {
        return Err(SsoError::InvalidSubject);
    }
    let unknown = || SsoError::UnknownUser(username.to_string());
    let user_id = ctx.store.user_id(username).await?.ok_or_else(unknown)?;
    let principal = ctx.store.principal_of(user_id).await?.ok_or_else(unknown)?;
    let lineage = ctx.store.lineage(&principal.agency, ctx.today()).await?;
    if lineage.is_empty() || !caller.may(Action::ManageUsers { agency: &lineage }) {
        return Err(SsoError::Forbidden);
    }
    ctx.store
        .link_identity(
            provider,
            subject,
            username,
            &caller.provenance(&ctx.now_text()),
        )
        .await?;
    Ok(())
}

/// Compares two secrets in time that does not depend on where they differ.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_attempt_survives_its_cookie_and_its_challenge_is_rfc_7636s() {
        let attempt = Attempt::new("vneid");
        assert_eq!(
            Attempt::from_cookie(&attempt.to_cookie()),
            Some(attempt.clone())
        );
        assert_eq!(Attempt::from_cookie("a.b.c"), None);
        assert_eq!(Attempt::from_cookie("a.b.c.d.e"), None);
        // RFC 7636, appendix B.
        let known = Attempt {
            verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into(),
            ..attempt
        };
        assert_eq!(
            known.challenge(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "ab"));
    }
}
