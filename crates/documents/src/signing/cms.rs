//! CMS signatures (RFC 5652) as PAdES and CAdES baseline B-B ask for them: detached
//! `SignedData` over SHA-256, one signer identified by issuer and serial, signed attributes
//! content-type, message-digest and signing-certificate-v2 (RFC 5035; binds the signer's
//! certificate to the signature), the certificate chain carried along.
//!
//! The signature itself is made elsewhere — by the signer's token, or by a key the server
//! holds — over the DER of the signed attributes ([`signed_attributes`]); [`signed_data`]
//! puts it together.

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use const_oid::db::rfc5911::{
    ID_CONTENT_TYPE, ID_DATA, ID_MESSAGE_DIGEST, ID_SIGNED_DATA, ID_SIGNING_TIME,
};
use const_oid::db::rfc5912::{ID_SHA_256, RSA_ENCRYPTION};
use der::asn1::{OctetString, SetOfVec};
use der::{Any, Decode, Encode, Sequence};
use sha2::{Digest, Sha256};
use x509_cert::Certificate;
use x509_cert::attr::{Attribute, AttributeValue, Attributes};
use x509_cert::spki::AlgorithmIdentifierOwned;

use crate::DocumentError;

/// id-aa-signingCertificateV2 (RFC 5035).
const ID_AA_SIGNING_CERTIFICATE_V2: der::oid::ObjectIdentifier =
    der::oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");

/// `ESSCertIDv2` with the default hash (SHA-256) and no issuer-serial.
#[derive(Sequence)]
struct EssCertIdV2 {
    cert_hash: OctetString,
}

/// `SigningCertificateV2` naming the signer's certificate alone.
#[derive(Sequence)]
struct SigningCertificateV2 {
    certs: Vec<EssCertIdV2>,
}

/// The DER of the signed attributes of a signature over content whose SHA-256 is
/// `message_digest`, by `signer`; with `signing_time` (Unix seconds) for a CMS outside a PDF
/// (a PDF carries its time in the signature dictionary, as PAdES asks).
pub fn signed_attributes(
    message_digest: &[u8; 32],
    signer: &Certificate,
    signing_time: Option<i64>,
) -> Result<Vec<u8>, DocumentError> {
    attributes_der(message_digest, signer, signing_time).map_err(unwritable)
}

fn attributes_der(
    message_digest: &[u8; 32],
    signer: &Certificate,
    signing_time: Option<i64>,
) -> der::Result<Vec<u8>> {
    let certificate_hash = Sha256::digest(signer.to_der()?);
    let signing_certificate = SigningCertificateV2 {
        certs: vec![EssCertIdV2 {
            cert_hash: OctetString::new(certificate_hash.to_vec())?,
        }],
    };
    let mut attributes = vec![
        attribute(ID_CONTENT_TYPE, Any::encode_from(&ID_DATA)?)?,
        attribute(
            ID_MESSAGE_DIGEST,
            Any::encode_from(&OctetString::new(message_digest.to_vec())?)?,
        )?,
        attribute(
            ID_AA_SIGNING_CERTIFICATE_V2,
            Any::encode_from(&signing_certificate)?,
        )?,
    ];
    if let Some(seconds) = signing_time {
        let time = x509_cert::time::Time::UtcTime(der::asn1::UtcTime::from_unix_duration(
            std::time::Duration::from_secs(seconds.max(0) as u64),
        )?);
        attributes.push(attribute(ID_SIGNING_TIME, Any::encode_from(&time)?)?);
    }
    Attributes::try_from(attributes)?.to_der()
}

/// The message digest the signed attributes `attributes` (DER) carry.
pub fn message_digest_of(attributes: &[u8]) -> Option<Vec<u8>> {
    let attributes = Attributes::from_der(attributes).ok()?;
    let value = attributes
        .iter()
        .find(|a| a.oid == ID_MESSAGE_DIGEST)?
        .values
        .iter()
        .next()?;
    Some(value.decode_as::<OctetString>().ok()?.as_bytes().to_vec())
}

/// A `ContentInfo` of detached `SignedData`: `signature` is the signer's (`chain[0]`) RSA
/// signature with SHA-256 over `attributes` (DER, from [`signed_attributes`]).
pub fn signed_data(
    chain: &[Certificate],
    attributes: &[u8],
    signature: &[u8],
) -> Result<Vec<u8>, DocumentError> {
    signed_data_der(chain, attributes, signature).map_err(unwritable)
}

fn signed_data_der(
    chain: &[Certificate],
    attributes: &[u8],
    signature: &[u8],
) -> der::Result<Vec<u8>> {
    let signer = &chain[0].tbs_certificate;
    let sha256 = AlgorithmIdentifierOwned {
        oid: ID_SHA_256,
        parameters: None,
    };
    let signer_info = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: signer.issuer.clone(),
            serial_number: signer.serial_number.clone(),
        }),
        digest_alg: sha256.clone(),
        signed_attrs: Some(Attributes::from_der(attributes)?),
        signature_algorithm: AlgorithmIdentifierOwned {
            oid: RSA_ENCRYPTION,
            parameters: Some(Any::from(der::asn1::Null)),
        },
        signature: OctetString::new(signature.to_vec())?,
        unsigned_attrs: None,
    };
    let certificates = chain
        .iter()
        .cloned()
        .map(CertificateChoices::Certificate)
        .collect::<Vec<_>>();
    let signed = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::try_from(vec![sha256])?,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: ID_DATA,
            econtent: None,
        },
        certificates: Some(CertificateSet(SetOfVec::try_from(certificates)?)),
        crls: None,
        signer_infos: SignerInfos(SetOfVec::try_from(vec![signer_info])?),
    };
    ContentInfo {
        content_type: ID_SIGNED_DATA,
        content: Any::encode_from(&signed)?,
    }
    .to_der()
}

fn unwritable(error: der::Error) -> DocumentError {
    DocumentError::Write(format!("CMS: {error}"))
}

fn attribute(oid: der::oid::ObjectIdentifier, value: AttributeValue) -> der::Result<Attribute> {
    Ok(Attribute {
        oid,
        values: SetOfVec::try_from(vec![value])?,
    })
}
