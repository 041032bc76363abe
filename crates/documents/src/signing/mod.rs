//! Signatures as the state makes them: the signer's X.509 certificate checked against the
//! deployment's trust anchors and revocation lists ([`certificates`]), a CMS signature
//! ([`cms`]) over SHA-256, and inside the PDF as PAdES ([`pdf`]).
//!
//! Signing happens in two halves so a key that never leaves its USB token can sign: the
//! server prepares the document and answers the signed attributes to sign; the token signs
//! them; the server checks the signature against the certificate and writes it in.

pub mod certificates;
pub mod cms;
pub mod keys;
pub mod pdf;

pub use certificates::{
    CertificateRefusal, CertificateSummary, CertifiedChain, Trust, read_chain, write_chain,
};
pub use keys::AgencyKey;
pub use pdf::{PreparedPdf, SignatureField};
