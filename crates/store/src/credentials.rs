//! Secrets: argon2id password hashes, random tokens, and the SHA-256 under which a token is
//! stored (a stolen database yields no usable token).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::StoreError;

/// An argon2id hash in PHC string form.
pub fn hash_password(password: &str) -> Result<String, StoreError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| StoreError::Corrupt(format!("password hashing: {e}")))
}

/// Whether `password` matches `hash`; a malformed hash matches nothing.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// The working memory of one argon2 check, kept and reused by a worker thread: a check needs
/// ~19 MiB, and a fresh allocation per check — freed into whichever allocator arena the
/// thread happened to use — left a server that had answered a login flood holding hundreds
/// of megabytes for good.
#[derive(Default)]
pub struct HashMemory(Vec<argon2::Block>);

/// Whether `password` matches `hash`, computed in `memory` (grown once to the hash's cost and
/// kept); a malformed hash matches nothing. The same answer as [`verify_password`].
pub fn verify_password_in(memory: &mut HashMemory, password: &str, hash: &str) -> bool {
    use argon2::{Algorithm, Params, Version};
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let (Ok(params), Ok(algorithm)) = (
        Params::try_from(&parsed),
        Algorithm::try_from(parsed.algorithm),
    ) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(version) => version.unwrap_or_default(),
        Err(_) => return false,
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    // A hash asking for more than 256 MiB of memory is no hash of ours.
    let blocks = params.block_count();
    if blocks > 256 * 1024 {
        return false;
    }
    if memory.0.len() < blocks {
        memory.0.resize(blocks, argon2::Block::default());
    }
    let mut output = vec![0u8; expected.len()];
    let computed = Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(
            password.as_bytes(),
            salt,
            &mut output,
            &mut memory.0[..blocks],
        )
        .is_ok();
    // Output compares in constant time.
    computed && argon2::password_hash::Output::new(&output).is_ok_and(|output| output == expected)
}

/// 32 random bytes, hex.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_own_hash_only() {
        let hash = hash_password("demo").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("demo", &hash));
        assert!(!verify_password("Demo", &hash));
        assert!(!verify_password("demo", "not a hash"));
    }

    #[test]
    fn a_check_in_kept_memory_answers_as_the_plain_one() {
        let hash = hash_password("demo").unwrap();
        let mut memory = HashMemory::default();
        for (password, expected) in [("demo", true), ("Demo", false), ("demo", true)] {
            assert_eq!(verify_password_in(&mut memory, password, &hash), expected);
            assert_eq!(verify_password(password, &hash), expected);
        }
        assert!(!verify_password_in(&mut memory, "demo", "not a hash"));
    }

    #[test]
    fn secrets_are_random_and_long() {
        assert_ne!(new_secret(), new_secret());
        assert_eq!(new_secret().len(), 64);
    }
}
