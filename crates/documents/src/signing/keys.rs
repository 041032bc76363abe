//! An agency's certificate and key held by the server, for systems that push and sign
//! without a person at a token. They arrive as PKCS #12 (RFC 7292) the way OpenSSL 3 and the
//! CAs' tools write it: the integrity MAC (HMAC with SHA-2 under the PKCS #12 key derivation)
//! checked first — a wrong password fails here —, then the certificate bags, and the key in a
//! shrouded PKCS #8 bag or inside encrypted content, both PBES2 (PBKDF2 with AES-CBC).
//! Legacy RC2/3DES files are refused, named. The key is kept as PKCS #8 DER, sealed by the
//! store like every secret at rest.

use cms::content_info::ContentInfo;
use cms::encrypted_data::EncryptedData;
use const_oid::db::rfc5911::{ID_DATA, ID_ENCRYPTED_DATA};
use const_oid::db::rfc5912::{ID_SHA_256, ID_SHA_384, ID_SHA_512};
use der::asn1::OctetString;
use der::{AnyRef, Decode, Encode};
use hmac::{Hmac, Mac};
use pkcs8::{DecodePrivateKey, EncodePrivateKey, EncryptedPrivateKeyInfo};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::{RsaPrivateKey, RsaPublicKey};
use x509_cert::Certificate;

use super::certificates::CertificateRefusal;

/// An agency's signing key with its certificate (first) and the rest of the chain the file
/// carried.
#[derive(Clone)]
pub struct AgencyKey {
    key: RsaPrivateKey,
    pub chain: Vec<Certificate>,
}

impl std::fmt::Debug for AgencyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgencyKey")
            .field("chain", &self.chain.len())
            .finish_non_exhaustive()
    }
}

impl AgencyKey {
    /// The key and certificates of a PKCS #12 file opened with `password`.
    pub fn from_pkcs12(bytes: &[u8], password: &str) -> Result<Self, CertificateRefusal> {
        let unreadable = |what: &str| CertificateRefusal::Unreadable(format!("PKCS #12: {what}"));
        let pfx = pkcs12::pfx::Pfx::from_der(bytes).map_err(|e| unreadable(&e.to_string()))?;
        if pfx.auth_safe.content_type != ID_DATA {
            return Err(unreadable("a public-key protected file"));
        }
        let safe = pfx
            .auth_safe
            .content
            .decode_as::<OctetString>()
            .map_err(|e| unreadable(&e.to_string()))?;
        let mac = pfx.mac_data.ok_or_else(|| unreadable("no integrity MAC"))?;
        check_mac(&mac, password, safe.as_bytes())?;

        let contents = Vec::<ContentInfo>::from_der(safe.as_bytes())
            .map_err(|e| unreadable(&e.to_string()))?;
        let mut keys = Vec::new();
        let mut certificates = Vec::new();
        for content in contents {
            let bags = if content.content_type == ID_DATA {
                content
                    .content
                    .decode_as::<OctetString>()
                    .map_err(|e| unreadable(&e.to_string()))?
                    .as_bytes()
                    .to_vec()
            } else if content.content_type == ID_ENCRYPTED_DATA {
                let encrypted = content
                    .content
                    .decode_as::<EncryptedData>()
                    .map_err(|e| unreadable(&e.to_string()))?;
                let info = encrypted.enc_content_info;
                let algorithm = info
                    .content_enc_alg
                    .to_der()
                    .map_err(|e| unreadable(&e.to_string()))?;
                let scheme = pkcs8::pkcs5::EncryptionScheme::try_from(algorithm.as_slice())
                    .map_err(|_| {
                        CertificateRefusal::UnsupportedEncryption(
                            info.content_enc_alg.oid.to_string(),
                        )
                    })?;
                let ciphertext = info
                    .encrypted_content
                    .ok_or_else(|| unreadable("encrypted content without content"))?;
                scheme
                    .decrypt(password, ciphertext.as_bytes())
                    .map_err(|_| CertificateRefusal::WrongPassword)?
            } else {
                continue;
            };
            let bags = pkcs12::safe_bag::SafeContents::from_der(&bags)
                .map_err(|e| unreadable(&e.to_string()))?;
            for bag in bags {
                // The bag's value is its `[0] EXPLICIT` wrapper.
                let value = AnyRef::from_der(&bag.bag_value)
                    .map_err(|e| unreadable(&e.to_string()))?
                    .value()
                    .to_vec();
                if bag.bag_id == pkcs12::PKCS_12_PKCS8_KEY_BAG_OID {
                    let shrouded = EncryptedPrivateKeyInfo::try_from(value.as_slice())
                        .map_err(|e| unreadable(&e.to_string()))?;
                    let document = shrouded.decrypt(password).map_err(|_| {
                        CertificateRefusal::UnsupportedEncryption(
                            shrouded.encryption_algorithm.oid().to_string(),
                        )
                    })?;
                    keys.push(document.as_bytes().to_vec());
                } else if bag.bag_id == pkcs12::PKCS_12_KEY_BAG_OID {
                    keys.push(value);
                } else if bag.bag_id == pkcs12::PKCS_12_CERT_BAG_OID {
                    let bag = pkcs12::cert_type::CertBag::from_der(&value)
                        .map_err(|e| unreadable(&e.to_string()))?;
                    if bag.cert_id == pkcs12::PKCS_12_X509_CERT_OID {
                        let certificate = Certificate::from_der(bag.cert_value.as_bytes())
                            .map_err(|e| unreadable(&e.to_string()))?;
                        certificates.push(certificate);
                    }
                }
            }
        }
        let [key] = keys.as_slice() else {
            return Err(CertificateRefusal::NoSigningKey);
        };
        Self::from_pkcs8_der(key, certificates)
    }

    /// A key kept as PKCS #8 DER, with the certificates to pick its own from.
    pub fn from_pkcs8_der(
        der: &[u8],
        certificates: Vec<Certificate>,
    ) -> Result<Self, CertificateRefusal> {
        let key =
            RsaPrivateKey::from_pkcs8_der(der).map_err(|_| CertificateRefusal::NoSigningKey)?;
        let public = key.to_public_key();
        let (own, rest): (Vec<_>, Vec<_>) = certificates.into_iter().partition(|c| {
            c.tbs_certificate
                .subject_public_key_info
                .to_der()
                .ok()
                .and_then(|der| RsaPublicKey::from_public_key_der(&der).ok())
                .is_some_and(|k| k == public)
        });
        let Some(own) = own.into_iter().next() else {
            return Err(CertificateRefusal::KeyWithoutCertificate);
        };
        let mut chain = vec![own];
        chain.extend(rest);
        Ok(Self { key, chain })
    }

    /// The key as PKCS #8 DER, to seal.
    pub fn pkcs8_der(&self) -> Result<Vec<u8>, CertificateRefusal> {
        self.key
            .to_pkcs8_der()
            .map(|document| document.as_bytes().to_vec())
            .map_err(|e| CertificateRefusal::Unreadable(e.to_string()))
    }

    /// The RSA PKCS #1 v1.5 signature with SHA-256 of `message`.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(self.key.clone())
            .sign(message)
            .to_vec()
    }
}

fn check_mac(
    mac: &pkcs12::mac_data::MacData,
    password: &str,
    content: &[u8],
) -> Result<(), CertificateRefusal> {
    use pkcs12::kdf::{Pkcs12KeyType, derive_key_utf8};
    let salt = mac.mac_salt.as_bytes();
    let rounds = mac.iterations;
    let expected = mac.mac.digest.as_bytes();
    let derive_error = |e: der::Error| CertificateRefusal::Unreadable(e.to_string());
    let verified = match mac.mac.algorithm.oid {
        ID_SHA_256 => {
            let key =
                derive_key_utf8::<sha2::Sha256>(password, salt, Pkcs12KeyType::Mac, rounds, 32)
                    .map_err(derive_error)?;
            verify_hmac::<Hmac<sha2::Sha256>>(&key, content, expected)
        }
        ID_SHA_384 => {
            let key =
                derive_key_utf8::<sha2::Sha384>(password, salt, Pkcs12KeyType::Mac, rounds, 48)
                    .map_err(derive_error)?;
            verify_hmac::<Hmac<sha2::Sha384>>(&key, content, expected)
        }
        ID_SHA_512 => {
            let key =
                derive_key_utf8::<sha2::Sha512>(password, salt, Pkcs12KeyType::Mac, rounds, 64)
                    .map_err(derive_error)?;
            verify_hmac::<Hmac<sha2::Sha512>>(&key, content, expected)
        }
        other => return Err(CertificateRefusal::UnsupportedEncryption(other.to_string())),
    };
    if verified {
        Ok(())
    } else {
        Err(CertificateRefusal::WrongPassword)
    }
}

fn verify_hmac<M: Mac + hmac::digest::KeyInit>(
    key: &[u8],
    content: &[u8],
    expected: &[u8],
) -> bool {
    let Ok(mut mac) = <M as hmac::digest::KeyInit>::new_from_slice(key) else {
        return false;
    };
    mac.update(content);
    mac.verify_slice(expected).is_ok()
}
