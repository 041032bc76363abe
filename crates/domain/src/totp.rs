//! Time-based one-time passwords (RFC 6238, as authenticator apps make them): six digits from
//! HMAC-SHA1 of a shared secret and the 30-second step the time falls in. A code is taken one
//! step either side of now (clocks drift), and never twice: the caller keeps the last step
//! used and passes it back, so a code seen over a shoulder cannot be replayed.

use hmac::{Hmac, Mac};

/// Seconds a code lives.
pub const STEP_SECONDS: i64 = 30;

/// A shared secret's length in bytes (160 bits, as RFC 4226 recommends).
pub const SECRET_BYTES: usize = 20;

/// The code of `secret` for the step `counter` (RFC 4226's HOTP, `digits` long).
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> u32 {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[19] & 0x0f);
    let binary = u32::from_be_bytes([
        hash[offset],
        hash[offset + 1],
        hash[offset + 2],
        hash[offset + 3],
    ]) & 0x7fff_ffff;
    binary % 10u32.pow(digits)
}

/// The step of a Unix time.
pub fn step_of(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

/// The step at which `code` is right for `secret` at `unix_seconds` (one step of drift either
/// way), provided it is later than `last_used`.
pub fn verify(secret: &[u8], code: &str, unix_seconds: i64, last_used: Option<i64>) -> Option<i64> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let given: u32 = code.parse().ok()?;
    let now = step_of(unix_seconds);
    (now - 1..=now + 1)
        .filter(|step| *step >= 0 && last_used.is_none_or(|last| *step > last))
        .find(|step| hotp(secret, *step as u64, 6) == given)
}

/// The secret as authenticator apps take it: base32 without padding.
pub fn base32(secret: &[u8]) -> String {
    data_encoding::BASE32_NOPAD.encode(secret)
}

/// A base32 secret read back (as [`base32`] writes it).
pub fn from_base32(text: &str) -> Option<Vec<u8>> {
    data_encoding::BASE32_NOPAD
        .decode(text.trim().as_bytes())
        .ok()
}

/// The `otpauth://` address a QR code carries, for `account` at `issuer`.
pub fn provisioning_uri(secret: &[u8], issuer: &str, account: &str) -> String {
    let escape = |text: &str| {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits=6&period={STEP_SECONDS}",
        escape(issuer),
        escape(account),
        base32(secret),
        escape(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn codes_match_the_rfc_6238_test_vectors() {
        // RFC 6238, Appendix B (SHA-1, 8 digits).
        for (time, code) in [
            (59, 94287082),
            (1111111109, 7081804),
            (1111111111, 14050471),
            (1234567890, 89005924),
            (2000000000, 69279037),
            (20000000000, 65353130),
        ] {
            assert_eq!(hotp(RFC_SECRET, step_of(time) as u64, 8), code, "{time}");
        }
    }

    #[test]
    fn a_code_is_taken_within_a_step_of_now_and_only_once() {
        let now = 1_234_567_890;
        let code = format!("{:06}", hotp(RFC_SECRET, step_of(now) as u64, 6));
        let step = verify(RFC_SECRET, &code, now, None).expect("the current code");
        assert_eq!(
            verify(RFC_SECRET, &code, now + STEP_SECONDS, None),
            Some(step),
            "a step late"
        );
        assert_eq!(
            verify(RFC_SECRET, &code, now + 3 * STEP_SECONDS, None),
            None,
            "too late"
        );
        assert_eq!(verify(RFC_SECRET, &code, now, Some(step)), None, "replayed");
        assert_eq!(verify(RFC_SECRET, "12345", now, None), None);
        assert_eq!(verify(RFC_SECRET, "abcdef", now, None), None);
    }

    #[test]
    fn the_secret_is_written_as_authenticator_apps_read_it() {
        assert_eq!(base32(RFC_SECRET), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(
            from_base32(&base32(RFC_SECRET)).as_deref(),
            Some(RFC_SECRET)
        );
        let uri = provisioning_uri(RFC_SECRET, "baocao", "hà nội");
        assert!(uri.starts_with("otpauth://totp/baocao:h%C3%A0%20n%E1%BB%99i?secret=GEZDGNBV"));
    }
}
