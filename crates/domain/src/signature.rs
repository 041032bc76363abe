//! Signing a submitted report (SPEC "Signatures"): the canonical content is hashed with
//! SHA-256 and the raw 32-byte digest is signed with the agency's Ed25519 key. Keys and
//! signatures travel as hex of their raw bytes. Randomness comes from the caller, so this
//! stays pure.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

/// The SHA-256 of `content`.
pub fn digest(content: &str) -> [u8; 32] {
    Sha256::digest(content.as_bytes()).into()
}

/// The SHA-256 of `content` as hex, as stored beside a signed version.
pub fn digest_hex(content: &str) -> String {
    hex::encode(digest(content))
}

/// An agency's signing key pair, as hex of the raw 32-byte secret and public keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPair {
    pub secret_hex: String,
    pub public_hex: String,
}

impl KeyPair {
    /// The key pair whose secret is `secret` (32 random bytes from the caller).
    pub fn from_secret(secret: [u8; 32]) -> Self {
        let signing = SigningKey::from_bytes(&secret);
        Self {
            secret_hex: hex::encode(secret),
            public_hex: hex::encode(signing.verifying_key().to_bytes()),
        }
    }

    /// Signs the digest of `content`; answers (digest hex, signature hex).
    pub fn sign(&self, content: &str) -> Option<(String, String)> {
        let secret: [u8; 32] = hex::decode(&self.secret_hex).ok()?.try_into().ok()?;
        let digest = digest(content);
        let signature = SigningKey::from_bytes(&secret).sign(&digest);
        Some((hex::encode(digest), hex::encode(signature.to_bytes())))
    }
}

/// Whether `signature_hex` is `public_hex`'s signature of the digest `digest_hex`.
pub fn verify(public_hex: &str, digest_hex: &str, signature_hex: &str) -> bool {
    let decode = |text: &str| hex::decode(text).ok();
    let (Some(public), Some(digest), Some(signature)) = (
        decode(public_hex),
        decode(digest_hex),
        decode(signature_hex),
    ) else {
        return false;
    };
    let (Ok(public), Ok(signature)) = (
        <[u8; 32]>::try_from(public),
        <[u8; 64]>::try_from(signature),
    ) else {
        return false;
    };
    VerifyingKey::from_bytes(&public)
        .map(|key| {
            key.verify(&digest, &Signature::from_bytes(&signature))
                .is_ok()
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_with_its_key_and_not_with_another_or_other_content() {
        let keys = KeyPair::from_secret([7; 32]);
        let (digest, signature) = keys.sign("{\"values\":[]}").unwrap();
        assert_eq!(digest.len(), 64);
        assert!(verify(&keys.public_hex, &digest, &signature));
        let other = KeyPair::from_secret([8; 32]);
        assert!(!verify(&other.public_hex, &digest, &signature));
        let (other_digest, _) = keys.sign("{\"values\":[1]}").unwrap();
        assert!(!verify(&keys.public_hex, &other_digest, &signature));
        assert!(!verify("zz", &digest, &signature));
    }
}
