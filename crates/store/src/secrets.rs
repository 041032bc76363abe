//! Secrets at rest. What the server must be able to use again — agencies' signing keys, the
//! credentials it sends to peers, users' TOTP secrets — cannot be hashed, so it is sealed: XChaCha20-Poly1305 under
//! a key-encryption key the deployment supplies (a [`Keyring`], read from a file or the
//! environment by the binary), with a fresh random nonce per value and the column's name as
//! associated data, so a sealed value cannot be moved to another column. A stolen database file
//! or backup without the key file yields no usable secret.
//!
//! A sealed value reads `sealed:v1:{key id}:{base64 of nonce ‖ ciphertext}`. The keyring holds
//! the current key (which seals) and older ones (which still open), so keys can be rotated:
//! add a new current key, [`Store::reseal_secrets`] everything under it, then drop the old.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use rand::RngCore;

use crate::{Store, StoreError, on_db};

const PREFIX: &str = "sealed:v1:";

/// The key-encryption keys of a deployment: the first seals, all open.
#[derive(Clone)]
pub struct Keyring {
    keys: Vec<(String, [u8; 32])>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|(id, _)| id.as_str()).collect();
        write!(f, "Keyring {{ keys: {ids:?} }}")
    }
}

fn bad(reason: impl Into<String>) -> StoreError {
    StoreError::Secrets(reason.into())
}

impl Keyring {
    /// Reads a key file: one key a line, `ID:BASE64` (32 bytes), the current key first; blank
    /// lines and `#` comments are skipped.
    pub fn parse(text: &str) -> Result<Self, StoreError> {
        let mut keys = Vec::new();
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (id, encoded) = line
                .split_once(':')
                .ok_or_else(|| bad("a key line is not ID:BASE64"))?;
            let bytes = BASE64
                .decode(encoded.trim())
                .map_err(|_| bad(format!("key {id} is not base64")))?;
            let key: [u8; 32] = bytes
                .try_into()
                .map_err(|_| bad(format!("key {id} is not 32 bytes")))?;
            if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                return Err(bad(format!("key id {id:?} is not letters, digits and -")));
            }
            if keys.iter().any(|(known, _)| known == id) {
                return Err(bad(format!("key id {id} appears twice")));
            }
            keys.push((id.to_string(), key));
        }
        if keys.is_empty() {
            return Err(bad("the key file holds no key"));
        }
        Ok(Self { keys })
    }

    /// A new random key line `ID:BASE64`, its id made from `stamp` (e.g. a date).
    pub fn new_key_line(stamp: &str) -> String {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        let mut tag = [0u8; 3];
        rand::rngs::OsRng.fill_bytes(&mut tag);
        let id: String = stamp
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>();
        format!("k{id}-{}:{}", hex::encode(tag), BASE64.encode(key))
    }

    /// A keyring of one random key (tests, a first start).
    pub fn random() -> Self {
        Self::parse(&Self::new_key_line("")).expect("a generated key parses")
    }

    /// The id of the key that seals.
    pub fn current(&self) -> &str {
        &self.keys[0].0
    }

    /// Seals `secret` for `column` under the current key.
    pub fn seal(&self, secret: &str, column: &str) -> String {
        let (id, key) = &self.keys[0];
        let mut nonce = [0u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let cipher = XChaCha20Poly1305::new(Key::from_slice(key));
        let sealed = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: secret.as_bytes(),
                    aad: column.as_bytes(),
                },
            )
            .expect("sealing in memory does not fail");
        let mut bytes = nonce.to_vec();
        bytes.extend(sealed);
        format!("{PREFIX}{id}:{}", BASE64.encode(bytes))
    }

    /// Opens a value sealed for `column` by any key of the ring.
    pub fn open(&self, sealed: &str, column: &str) -> Result<String, StoreError> {
        let rest = sealed
            .strip_prefix(PREFIX)
            .ok_or_else(|| bad(format!("{column}: a value is not sealed")))?;
        let (id, encoded) = rest
            .split_once(':')
            .ok_or_else(|| bad(format!("{column}: a sealed value has no key id")))?;
        let key = self
            .keys
            .iter()
            .find(|(known, _)| known == id)
            .map(|(_, key)| key)
            .ok_or_else(|| {
                bad(format!(
                    "{column}: sealed by key {id}, which the key file does not hold"
                ))
            })?;
        let bytes = BASE64
            .decode(encoded)
            .map_err(|_| bad(format!("{column}: a sealed value is not base64")))?;
        if bytes.len() < 24 {
            return Err(bad(format!("{column}: a sealed value is too short")));
        }
        let (nonce, sealed_bytes) = bytes.split_at(24);
        let plain = XChaCha20Poly1305::new(Key::from_slice(key))
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed_bytes,
                    aad: column.as_bytes(),
                },
            )
            .map_err(|_| {
                bad(format!(
                    "{column}: a sealed value does not open (wrong key or altered)"
                ))
            })?;
        String::from_utf8(plain).map_err(|_| bad(format!("{column}: a sealed value is not text")))
    }

    /// The id of the key `value` is sealed with, or `None` for a value in clear.
    pub fn sealed_with(value: &str) -> Option<&str> {
        value
            .strip_prefix(PREFIX)?
            .split_once(':')
            .map(|(id, _)| id)
    }
}

/// The column an agency's secret signing key is sealed for.
pub(crate) const SIGNING_KEY_COLUMN: &str = "agency_keys.secret_key";
/// Agencies' certificate keys held by the server (PKCS #8, base64).
pub(crate) const CERTIFICATE_KEY_COLUMN: &str = "agency_certificates.private_key";
/// The column the server's audit signing key is sealed for.
pub(crate) const AUDIT_KEY_COLUMN: &str = "audit_keys.secret_key";
/// The column a user's TOTP secret is sealed for.
pub(crate) const TOTP_COLUMN: &str = "users.totp_secret";
/// The column a connector's credentials are sealed for.
pub(crate) const CONNECTOR_AUTH_COLUMN: &str = "connectors.definition.auth";

impl Store {
    /// This store with the deployment's keyring, needed to write or read any secret.
    pub fn with_keyring(mut self, keyring: Keyring) -> Self {
        self.keyring = Some(std::sync::Arc::new(keyring));
        self
    }

    pub(crate) fn keyring(&self) -> Result<&Keyring, StoreError> {
        self.keyring
            .as_deref()
            .ok_or_else(|| bad("no key file: secrets can be neither sealed nor opened"))
    }

    /// Reads a stored secret: opened when sealed; a value in clear (written before secrets were
    /// sealed) as it is, until [`Store::reseal_secrets`] seals it.
    pub(crate) fn open_secret(&self, stored: &str, column: &str) -> Result<String, StoreError> {
        if Keyring::sealed_with(stored).is_some() {
            self.keyring()?.open(stored, column)
        } else {
            Ok(stored.to_string())
        }
    }

    /// Seals every secret in clear and every secret sealed by a key other than the current one
    /// under the current key; answers how many were (re)sealed. Run at every start (sealing
    /// what an older baocao wrote in clear) and by `baocao keys rotate`.
    pub async fn reseal_secrets(&self) -> Result<usize, StoreError> {
        let keyring = self.keyring()?.clone();
        let current = keyring.current().to_string();
        let stale = |value: &str| Keyring::sealed_with(value) != Some(current.as_str());
        let mut resealed = 0;
        for column in [
            SIGNING_KEY_COLUMN,
            TOTP_COLUMN,
            AUDIT_KEY_COLUMN,
            CERTIFICATE_KEY_COLUMN,
        ] {
            resealed += self.reseal_column(column, &keyring).await?;
        }
        let connectors: Vec<(String, String)> = on_db!(self, pool => sqlx::query_as("SELECT code, definition FROM connectors")
            .fetch_all(pool)
            .await?);
        for (code, stored) in connectors {
            let definition: serde_json::Value = serde_json::from_str(&stored)
                .map_err(|e| StoreError::Corrupt(format!("connector {code}: {e}")))?;
            let auth = &definition["auth"];
            let needs = match auth["sealed"].as_str() {
                Some(sealed) => stale(sealed),
                None => auth.get("kind").and_then(|k| k.as_str()).unwrap_or("none") != "none",
            };
            if !needs {
                continue;
            }
            let resealed_definition =
                self.seal_definition(self.open_definition(&code, &stored)?)?;
            on_db!(self, pool => sqlx::query("UPDATE connectors SET definition = $2 WHERE code = $1 AND definition = $3")
                .bind(&code)
                .bind(resealed_definition)
                .bind(&stored)
                .execute(pool)
                .await
                .map(|_| ())?);
            resealed += 1;
        }
        Ok(resealed)
    }

    /// Reseals one column of secrets (`table.column`, keyed by `id`) under the current key;
    /// answers how many values changed. The update compares the old value, so a value written
    /// meanwhile is left to the next run.
    async fn reseal_column(&self, column: &str, keyring: &Keyring) -> Result<usize, StoreError> {
        let (table, name) = column.split_once('.').expect("a column is table.column");
        let select = format!("SELECT id, {name} FROM {table} WHERE {name} IS NOT NULL");
        let update = format!("UPDATE {table} SET {name} = $2 WHERE id = $1 AND {name} = $3");
        let rows: Vec<(i32, String)> =
            on_db!(self, pool => sqlx::query_as(&select).fetch_all(pool).await?);
        let mut resealed = 0;
        for (id, stored) in rows {
            if Keyring::sealed_with(&stored) == Some(keyring.current()) {
                continue;
            }
            let sealed = keyring.seal(&self.open_secret(&stored, column)?, column);
            on_db!(self, pool => sqlx::query(&update)
                .bind(id)
                .bind(sealed)
                .bind(&stored)
                .execute(pool)
                .await
                .map(|_| ())?);
            resealed += 1;
        }
        Ok(resealed)
    }

    /// A connector's definition as stored: its credentials sealed (their kind left readable).
    pub(crate) fn seal_definition(
        &self,
        mut definition: serde_json::Value,
    ) -> Result<String, StoreError> {
        let auth = definition["auth"].take();
        let kind = auth.get("kind").cloned().unwrap_or(serde_json::Value::Null);
        definition["auth"] = if kind.as_str().unwrap_or("none") == "none" {
            auth
        } else {
            serde_json::json!({
                "kind": kind,
                "sealed": self.keyring()?.seal(&auth.to_string(), CONNECTOR_AUTH_COLUMN),
            })
        };
        Ok(definition.to_string())
    }

    /// A stored definition with its credentials opened.
    pub(crate) fn open_definition(
        &self,
        code: &str,
        stored: &str,
    ) -> Result<serde_json::Value, StoreError> {
        let mut definition: serde_json::Value = serde_json::from_str(stored)
            .map_err(|e| StoreError::Corrupt(format!("connector {code}: {e}")))?;
        if let Some(sealed) = definition["auth"]["sealed"].as_str() {
            let opened = self.keyring()?.open(sealed, CONNECTOR_AUTH_COLUMN)?;
            definition["auth"] = serde_json::from_str(&opened)
                .map_err(|e| StoreError::Corrupt(format!("connector {code}: {e}")))?;
        }
        Ok(definition)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_with_its_key_and_column_only() {
        let ring = Keyring::random();
        let sealed = ring.seal("deadbeef", "a");
        assert!(sealed.starts_with("sealed:v1:"));
        assert!(!sealed.contains("deadbeef"));
        assert_ne!(
            sealed,
            ring.seal("deadbeef", "a"),
            "a fresh nonce each time"
        );
        assert_eq!(ring.open(&sealed, "a").unwrap(), "deadbeef");
        assert!(ring.open(&sealed, "b").is_err(), "moved to another column");
        assert!(
            Keyring::random().open(&sealed, "a").is_err(),
            "another deployment's key"
        );
        let mut altered = sealed.clone();
        altered.pop();
        altered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(ring.open(&altered, "a").is_err());
    }

    #[test]
    fn a_rotated_ring_seals_with_the_new_key_and_opens_the_old() {
        let old = Keyring::new_key_line("2026");
        let new = Keyring::new_key_line("2027");
        let before = Keyring::parse(&old).unwrap();
        let sealed = before.seal("secret", "c");
        let after = Keyring::parse(&format!("# rotated\n{new}\n{old}\n")).unwrap();
        assert_eq!(after.open(&sealed, "c").unwrap(), "secret");
        assert_eq!(
            Keyring::sealed_with(&after.seal("x", "c")),
            Some(after.current())
        );
        assert_ne!(after.current(), before.current());
    }

    #[test]
    fn key_files_that_are_not_keys_are_refused() {
        for text in [
            "",
            "# nothing\n",
            "k1",
            "k1:not-base64!",
            "k1:AAAA",
            "k 1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        ] {
            assert!(Keyring::parse(text).is_err(), "{text:?}");
        }
        let line = Keyring::new_key_line("x");
        assert!(
            Keyring::parse(&format!("{line}\n{line}")).is_err(),
            "an id twice"
        );
    }
}
