//! Whether a signer's certificate may sign for the state: a chain from the certificate up to
//! one of the deployment's trust anchors (each link's signature verified by the key above it),
//! every certificate valid at the moment of signing, the signer's own certificate marked for
//! digital signatures, and none of them on a certificate revocation list the deployment
//! keeps (Law 20/2023/QH15 on e-transactions; the CA's CRL, RFC 5280 §5).
//!
//! RSA keys with SHA-2 (what the national root and the licensed CAs issue on USB tokens);
//! anything else is refused with the algorithm named.

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5912::{
    RSA_ENCRYPTION, SHA_256_WITH_RSA_ENCRYPTION, SHA_384_WITH_RSA_ENCRYPTION,
    SHA_512_WITH_RSA_ENCRYPTION,
};
use der::{Decode, Encode};
use rsa::RsaPublicKey;
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier;
use x509_cert::Certificate;
use x509_cert::crl::CertificateList;
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages};
use x509_cert::spki::SubjectPublicKeyInfoOwned;

/// Links in a chain at most (leaf, intermediates, anchor).
const LONGEST_CHAIN: usize = 8;

/// Why a certificate, or a signature made with it, is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateRefusal {
    #[error("the certificate cannot be read: {0}")]
    Unreadable(String),
    #[error("the certificate of {subject} expired on {date}")]
    Expired { subject: String, date: String },
    #[error("the certificate of {subject} is not valid before {date}")]
    NotYetValid { subject: String, date: String },
    #[error(
        "the certificate of {subject} is not issued by a certification authority this deployment trusts"
    )]
    Untrusted { subject: String },
    #[error("the certificate of {subject} was revoked on {date}")]
    Revoked { subject: String, date: String },
    #[error(
        "the revocation list of {issuer} is out of date (next update was due {date}); revocation cannot be checked"
    )]
    OutdatedRevocationList { issuer: String, date: String },
    #[error("the certificate of {subject} is not for digital signatures (key usage)")]
    NotForSigning { subject: String },
    #[error("the signature algorithm {0} is not supported (RSA with SHA-2 is)")]
    UnsupportedAlgorithm(String),
    #[error("the signature does not match the certificate's key and the prepared document")]
    SignatureMismatch,
    #[error("the PKCS #12 password is wrong")]
    WrongPassword,
    #[error(
        "the PKCS #12 file is encrypted with {0}, which is not supported (PBES2 with AES is; `openssl pkcs12 -export` of OpenSSL 3 writes it)"
    )]
    UnsupportedEncryption(String),
    #[error("the PKCS #12 file holds no RSA signing key (or more than one)")]
    NoSigningKey,
    #[error("the PKCS #12 file holds no certificate of its key")]
    KeyWithoutCertificate,
}

impl CertificateRefusal {
    /// The refusal in Vietnamese, for the person signing.
    pub fn vietnamese(&self) -> String {
        match self {
            Self::Unreadable(why) => format!("Không đọc được chứng thư số: {why}"),
            Self::Expired { subject, date } => {
                format!("Chứng thư số của {subject} đã hết hạn ngày {date}")
            }
            Self::NotYetValid { subject, date } => {
                format!("Chứng thư số của {subject} chưa có hiệu lực trước ngày {date}")
            }
            Self::Untrusted { subject } => format!(
                "Chứng thư số của {subject} không do tổ chức cung cấp dịch vụ chứng thực được tin cậy cấp"
            ),
            Self::Revoked { subject, date } => {
                format!("Chứng thư số của {subject} đã bị thu hồi ngày {date}")
            }
            Self::OutdatedRevocationList { issuer, date } => format!(
                "Danh sách chứng thư số bị thu hồi của {issuer} đã quá hạn cập nhật ({date}); không kiểm tra được tình trạng thu hồi"
            ),
            Self::NotForSigning { subject } => format!(
                "Chứng thư số của {subject} không có mục đích sử dụng ký số (digitalSignature)"
            ),
            Self::UnsupportedAlgorithm(name) => {
                format!("Thuật toán ký {name} không được hỗ trợ (hỗ trợ RSA với SHA-2)")
            }
            Self::SignatureMismatch => {
                "Chữ ký không khớp với khóa của chứng thư số và văn bản đã chuẩn bị".into()
            }
            Self::WrongPassword => "Mật khẩu của tệp PKCS #12 không đúng".into(),
            Self::UnsupportedEncryption(name) => format!(
                "Tệp PKCS #12 được mã hóa bằng {name}, không được hỗ trợ (hỗ trợ PBES2 với AES)"
            ),
            Self::NoSigningKey => "Tệp PKCS #12 không chứa (đúng một) khóa ký RSA".into(),
            Self::KeyWithoutCertificate => "Tệp PKCS #12 không chứa chứng thư số của khóa".into(),
        }
    }
}

/// The deployment's trust anchors (root or subordinate CA certificates) and the revocation
/// lists it keeps of them.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    anchors: Vec<Certificate>,
    revocation_lists: Vec<CertificateList>,
}

impl Trust {
    /// Anchors from PEM (one file may hold many); revocation lists each in PEM or DER.
    pub fn new(anchors_pem: &[u8], revocation_lists: &[Vec<u8>]) -> Result<Self, String> {
        let anchors =
            Certificate::load_pem_chain(anchors_pem).map_err(|e| format!("trust anchors: {e}"))?;
        let revocation_lists = revocation_lists
            .iter()
            .map(|bytes| read_revocation_list(bytes))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            anchors,
            revocation_lists,
        })
    }

    /// Whether any anchor is configured (without one nothing can be trusted).
    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }

    /// The chain from `presented` (the signer's certificate first, then any intermediates it
    /// brings) up to a trust anchor, checked at `at` (Unix seconds).
    pub fn check(
        &self,
        presented: &[Certificate],
        at: i64,
    ) -> Result<CertifiedChain, CertificateRefusal> {
        let leaf = presented
            .first()
            .ok_or_else(|| CertificateRefusal::Unreadable("no certificate".into()))?;
        let mut chain = vec![leaf.clone()];
        loop {
            let current = chain.last().expect("the chain starts with the leaf");
            valid_at(current, at)?;
            let issuer = &current.tbs_certificate.issuer;
            if let Some(anchor) = self
                .anchors
                .iter()
                .find(|a| &a.tbs_certificate.subject == issuer && signed_by(current, a).is_ok())
            {
                self.not_revoked(current, anchor, at)?;
                valid_at(anchor, at)?;
                chain.push(anchor.clone());
                break;
            }
            let intermediate = presented[1..].iter().find(|c| {
                &c.tbs_certificate.subject == issuer
                    && is_authority(c)
                    && signed_by(current, c).is_ok()
            });
            match intermediate {
                Some(next) if chain.len() < LONGEST_CHAIN && !chain.contains(next) => {
                    let next = next.clone();
                    // An intermediate's own revocation is checked when it is the current link.
                    self.not_revoked(current, &next, at)?;
                    chain.push(next);
                }
                _ => {
                    if let Some(refusal) = unsupported(current) {
                        return Err(refusal);
                    }
                    return Err(CertificateRefusal::Untrusted {
                        subject: leaf.tbs_certificate.subject.to_string(),
                    });
                }
            }
        }
        if !for_signing(leaf) {
            return Err(CertificateRefusal::NotForSigning {
                subject: leaf.tbs_certificate.subject.to_string(),
            });
        }
        let revocation_checked = chain
            .windows(2)
            .all(|link| self.revocation_list_of(&link[1]).is_some());
        Ok(CertifiedChain {
            chain,
            revocation_checked,
        })
    }

    /// The revocation list `issuer` signed, if the deployment keeps one.
    fn revocation_list_of(&self, issuer: &Certificate) -> Option<&CertificateList> {
        self.revocation_lists.iter().find(|list| {
            list.tbs_cert_list.issuer == issuer.tbs_certificate.subject
                && list.tbs_cert_list.to_der().ok().is_some_and(|signed| {
                    verify(
                        &issuer.tbs_certificate.subject_public_key_info,
                        &list.signature_algorithm.oid,
                        &signed,
                        list.signature.raw_bytes(),
                    )
                    .is_ok()
                })
        })
    }

    fn not_revoked(
        &self,
        certificate: &Certificate,
        issuer: &Certificate,
        at: i64,
    ) -> Result<(), CertificateRefusal> {
        let Some(list) = self.revocation_list_of(issuer) else {
            return Ok(());
        };
        if let Some(next) = list.tbs_cert_list.next_update
            && unix(next) < at
        {
            return Err(CertificateRefusal::OutdatedRevocationList {
                issuer: issuer.tbs_certificate.subject.to_string(),
                date: day(unix(next)),
            });
        }
        // Listed is revoked, whatever the date: a signature is made now, after the list.
        let serial = &certificate.tbs_certificate.serial_number;
        let revoked = list
            .tbs_cert_list
            .revoked_certificates
            .iter()
            .flatten()
            .find(|r| &r.serial_number == serial);
        match revoked {
            Some(entry) => Err(CertificateRefusal::Revoked {
                subject: certificate.tbs_certificate.subject.to_string(),
                date: day(unix(entry.revocation_date)),
            }),
            None => Ok(()),
        }
    }
}

/// A signer's certificate with its path to a trust anchor (leaf first, anchor last).
#[derive(Debug, Clone)]
pub struct CertifiedChain {
    pub chain: Vec<Certificate>,
    /// Whether every link was looked up on a revocation list (false: some issuer has none
    /// configured, so its revocations are unknown).
    pub revocation_checked: bool,
}

impl CertifiedChain {
    /// The signer's own certificate.
    pub fn signer(&self) -> &Certificate {
        &self.chain[0]
    }

    /// What a reader is told about the signer's certificate.
    pub fn summary(&self) -> CertificateSummary {
        CertificateSummary::of(self.signer())
    }

    /// Checks that `signature` is the signer's key's RSA PKCS #1 v1.5 signature with SHA-256
    /// of `message`.
    pub fn verify_signature(
        &self,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CertificateRefusal> {
        let key = &self.signer().tbs_certificate.subject_public_key_info;
        if key.algorithm.oid != RSA_ENCRYPTION {
            return Err(CertificateRefusal::UnsupportedAlgorithm(
                key.algorithm.oid.to_string(),
            ));
        }
        verify(key, &SHA_256_WITH_RSA_ENCRYPTION, message, signature)
    }
}

/// Who a certificate names, who issued it, its serial and validity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateSummary {
    pub subject: String,
    /// The subject's common name (the signer's name on a personal certificate).
    pub common_name: Option<String>,
    pub issuer: String,
    /// The issuer's common name (the certification authority's name).
    pub issuer_name: Option<String>,
    /// Upper-case hex, as certificate viewers show it.
    pub serial: String,
    /// Unix seconds.
    pub not_before: i64,
    pub not_after: i64,
}

impl CertificateSummary {
    pub fn of(certificate: &Certificate) -> Self {
        let tbs = &certificate.tbs_certificate;
        Self {
            subject: tbs.subject.to_string(),
            common_name: common_name(&tbs.subject),
            issuer: tbs.issuer.to_string(),
            issuer_name: common_name(&tbs.issuer),
            serial: hex_upper(tbs.serial_number.as_bytes()),
            not_before: unix(tbs.validity.not_before),
            not_after: unix(tbs.validity.not_after),
        }
    }
}

/// Certificates from PEM text (the signer's first, then any intermediates).
pub fn read_chain(pem: &[u8]) -> Result<Vec<Certificate>, CertificateRefusal> {
    let chain = Certificate::load_pem_chain(pem)
        .map_err(|e| CertificateRefusal::Unreadable(e.to_string()))?;
    if chain.is_empty() {
        return Err(CertificateRefusal::Unreadable("no certificate".into()));
    }
    Ok(chain)
}

/// A chain as PEM text, as kept with a pending signature.
pub fn write_chain(chain: &[Certificate]) -> Result<String, CertificateRefusal> {
    use der::EncodePem;
    chain
        .iter()
        .map(|c| {
            c.to_pem(der::pem::LineEnding::LF)
                .map_err(|e| CertificateRefusal::Unreadable(e.to_string()))
        })
        .collect()
}

fn read_revocation_list(bytes: &[u8]) -> Result<CertificateList, String> {
    let refused = |e: der::Error| format!("certificate revocation list: {e}");
    if bytes.starts_with(b"-----BEGIN") {
        let (_label, der) = der::pem::decode_vec(bytes).map_err(|e| refused(e.into()))?;
        CertificateList::from_der(&der).map_err(refused)
    } else {
        CertificateList::from_der(bytes).map_err(refused)
    }
}

fn valid_at(certificate: &Certificate, at: i64) -> Result<(), CertificateRefusal> {
    let validity = &certificate.tbs_certificate.validity;
    let subject = || certificate.tbs_certificate.subject.to_string();
    if at < unix(validity.not_before) {
        return Err(CertificateRefusal::NotYetValid {
            subject: subject(),
            date: day(unix(validity.not_before)),
        });
    }
    if at > unix(validity.not_after) {
        return Err(CertificateRefusal::Expired {
            subject: subject(),
            date: day(unix(validity.not_after)),
        });
    }
    Ok(())
}

/// Whether `certificate`'s signature is `issuer`'s.
fn signed_by(certificate: &Certificate, issuer: &Certificate) -> Result<(), CertificateRefusal> {
    let signed = certificate
        .tbs_certificate
        .to_der()
        .map_err(|e| CertificateRefusal::Unreadable(e.to_string()))?;
    verify(
        &issuer.tbs_certificate.subject_public_key_info,
        &certificate.signature_algorithm.oid,
        &signed,
        certificate.signature.raw_bytes(),
    )
}

/// The refusal for a link whose algorithms this module does not verify.
fn unsupported(certificate: &Certificate) -> Option<CertificateRefusal> {
    let algorithm = certificate.signature_algorithm.oid;
    let supported = [
        SHA_256_WITH_RSA_ENCRYPTION,
        SHA_384_WITH_RSA_ENCRYPTION,
        SHA_512_WITH_RSA_ENCRYPTION,
    ];
    (!supported.contains(&algorithm))
        .then(|| CertificateRefusal::UnsupportedAlgorithm(algorithm.to_string()))
}

fn verify(
    key: &SubjectPublicKeyInfoOwned,
    algorithm: &ObjectIdentifier,
    message: &[u8],
    signature: &[u8],
) -> Result<(), CertificateRefusal> {
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    let key = key
        .to_der()
        .ok()
        .and_then(|der| RsaPublicKey::from_public_key_der(&der).ok())
        .ok_or_else(|| CertificateRefusal::UnsupportedAlgorithm(key.algorithm.oid.to_string()))?;
    let signature =
        Signature::try_from(signature).map_err(|_| CertificateRefusal::SignatureMismatch)?;
    let verified = match *algorithm {
        SHA_256_WITH_RSA_ENCRYPTION => {
            VerifyingKey::<sha2::Sha256>::new(key).verify(message, &signature)
        }
        SHA_384_WITH_RSA_ENCRYPTION => {
            VerifyingKey::<sha2::Sha384>::new(key).verify(message, &signature)
        }
        SHA_512_WITH_RSA_ENCRYPTION => {
            VerifyingKey::<sha2::Sha512>::new(key).verify(message, &signature)
        }
        other => return Err(CertificateRefusal::UnsupportedAlgorithm(other.to_string())),
    };
    verified.map_err(|_| CertificateRefusal::SignatureMismatch)
}

fn is_authority(certificate: &Certificate) -> bool {
    matches!(
        certificate.tbs_certificate.get::<BasicConstraints>(),
        Ok(Some((_, constraints))) if constraints.ca
    )
}

fn for_signing(certificate: &Certificate) -> bool {
    matches!(
        certificate.tbs_certificate.get::<KeyUsage>(),
        Ok(Some((_, usage))) if usage.0.contains(KeyUsages::DigitalSignature)
    )
}

fn unix(time: x509_cert::time::Time) -> i64 {
    time.to_unix_duration().as_secs() as i64
}

/// A Unix time as its day in UTC, YYYY-MM-DD.
fn day(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds)
        .map(|t| t.strftime("%Y-%m-%d").to_string())
        .unwrap_or_else(|_| seconds.to_string())
}

fn common_name(name: &x509_cert::name::Name) -> Option<String> {
    use der::asn1::{PrintableStringRef, Utf8StringRef};
    let value = name
        .0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .find(|atv| atv.oid == const_oid::db::rfc4519::CN)?
        .value
        .clone();
    Utf8StringRef::try_from(&value)
        .map(|s| s.as_str().to_string())
        .or_else(|_| PrintableStringRef::try_from(&value).map(|s| s.as_str().to_string()))
        .ok()
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}
