//! A signature inside a finished PDF, as PAdES (ETSI EN 319 142) places it: an incremental
//! update (the signed document's bytes stay as they were) adds a signature field on the first
//! page and a signature dictionary (`/SubFilter /ETSI.CAdES.detached`) whose `/Contents` is
//! reserved space for the CMS and whose `/ByteRange` names every byte but that space. The
//! digest of those bytes is what the CMS signs; the CMS is then written into the space,
//! which changes none of the digested bytes.
//!
//! lopdf writes the update's objects, cross-reference section and trailer.

use lopdf::{Dictionary, IncrementalDocument, Object, StringFormat};
use sha2::{Digest, Sha256};

use crate::DocumentError;

/// Bytes kept for the CMS: a chain of three 4096-bit RSA certificates with its signature is
/// about 6 KiB.
const RESERVED: usize = 16 * 1024;
/// What `/ByteRange` holds until the offsets are known; as wide as any offset written over it.
const PLACEHOLDER_OFFSET: i64 = 9_999_999_999;

/// Who signs, why and where, as the signature dictionary tells a reader.
#[derive(Debug, Clone)]
pub struct SignatureField {
    pub signer: String,
    pub reason: String,
    pub location: String,
    /// Unix seconds.
    pub signed_at: i64,
}

/// A PDF with its signature's space reserved: the digest to sign and, once signed, the
/// signed PDF.
#[derive(Debug, Clone)]
pub struct PreparedPdf {
    bytes: Vec<u8>,
    /// Where the reserved `<…>` starts and ends (the `<` and one past the `>`).
    contents: (usize, usize),
}

impl PreparedPdf {
    /// `pdf` with a signature field and reserved space for its CMS.
    pub fn prepare(pdf: &[u8], field: &SignatureField) -> Result<Self, DocumentError> {
        let write = |e: lopdf::Error| DocumentError::Write(format!("signature field: {e}"));
        let mut document: IncrementalDocument = pdf.try_into().map_err(write)?;
        let first_page = *document
            .get_prev_documents()
            .get_pages()
            .values()
            .next()
            .ok_or_else(|| DocumentError::Write("the document has no page".into()))?;
        let catalog_id = document
            .get_prev_documents()
            .trailer
            .get(b"Root")
            .and_then(Object::as_reference)
            .map_err(write)?;

        let update = &mut document.new_document;
        let signature_id = update.add_object(Dictionary::from_iter([
            ("Type", Object::Name(b"Sig".to_vec())),
            ("Filter", Object::Name(b"Adobe.PPKLite".to_vec())),
            ("SubFilter", Object::Name(b"ETSI.CAdES.detached".to_vec())),
            (
                "ByteRange",
                Object::Array(vec![
                    Object::Integer(0),
                    Object::Integer(PLACEHOLDER_OFFSET),
                    Object::Integer(PLACEHOLDER_OFFSET),
                    Object::Integer(PLACEHOLDER_OFFSET),
                ]),
            ),
            (
                "Contents",
                Object::String(vec![0; RESERVED], StringFormat::Hexadecimal),
            ),
            ("Name", text(&field.signer)),
            ("Reason", text(&field.reason)),
            ("Location", text(&field.location)),
            ("M", Object::string_literal(pdf_date(field.signed_at))),
        ]));
        let widget_id = update.add_object(Dictionary::from_iter([
            ("Type", Object::Name(b"Annot".to_vec())),
            ("Subtype", Object::Name(b"Widget".to_vec())),
            ("FT", Object::Name(b"Sig".to_vec())),
            ("T", text("Chữ ký số")),
            ("V", Object::Reference(signature_id)),
            // Invisible (no rectangle), printed and locked: the mark is drawn by the layout.
            (
                "Rect",
                Object::Array(vec![0.into(), 0.into(), 0.into(), 0.into()]),
            ),
            ("F", Object::Integer(132)),
            ("P", Object::Reference(first_page)),
        ]));

        document
            .opt_clone_object_to_new_document(first_page)
            .map_err(write)?;
        let page = document
            .new_document
            .get_dictionary_mut(first_page)
            .map_err(write)?;
        match page.get_mut(b"Annots") {
            Ok(Object::Array(annotations)) => annotations.push(Object::Reference(widget_id)),
            _ => page.set("Annots", vec![Object::Reference(widget_id)]),
        }
        document
            .opt_clone_object_to_new_document(catalog_id)
            .map_err(write)?;
        let catalog = document
            .new_document
            .get_dictionary_mut(catalog_id)
            .map_err(write)?;
        catalog.set(
            "AcroForm",
            Dictionary::from_iter([
                ("Fields", Object::Array(vec![Object::Reference(widget_id)])),
                // Signatures exist; the file is only to be appended to.
                ("SigFlags", Object::Integer(3)),
            ]),
        );

        let mut bytes = Vec::with_capacity(pdf.len() + 2 * RESERVED + 4096);
        document
            .save_to(&mut bytes)
            .map_err(|e| DocumentError::Write(format!("signature field: {e}")))?;
        Self::fill_byte_range(bytes, pdf.len())
    }

    /// Finds the reserved space in the update (after `from`) and writes the byte range
    /// around it.
    fn fill_byte_range(mut bytes: Vec<u8>, from: usize) -> Result<Self, DocumentError> {
        let missing = || DocumentError::Write("the reserved signature space is missing".into());
        let reserved = format!("<{}>", "0".repeat(2 * RESERVED));
        let start = from + find(&bytes[from..], reserved.as_bytes()).ok_or_else(missing)?;
        let end = start + reserved.len();
        let placeholder =
            format!("[0 {PLACEHOLDER_OFFSET} {PLACEHOLDER_OFFSET} {PLACEHOLDER_OFFSET}]");
        let at = from + find(&bytes[from..], placeholder.as_bytes()).ok_or_else(missing)?;
        let range = format!("[0 {start} {end} {}]", bytes.len() - end);
        let padded = format!("{range:<width$}", width = placeholder.len());
        bytes[at..at + placeholder.len()].copy_from_slice(padded.as_bytes());
        Ok(Self {
            bytes,
            contents: (start, end),
        })
    }

    /// The SHA-256 of every byte but the reserved space: the CMS's message digest.
    pub fn digest(&self) -> [u8; 32] {
        let (start, end) = self.contents;
        let mut hasher = Sha256::new();
        hasher.update(&self.bytes[..start]);
        hasher.update(&self.bytes[end..]);
        hasher.finalize().into()
    }

    /// The prepared bytes, to keep between the two halves of a signing.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// A prepared PDF kept earlier.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, DocumentError> {
        let missing =
            || DocumentError::Write("the prepared document has no signature space".into());
        let key = b"/ByteRange";
        let at = rfind(&bytes, key).ok_or_else(missing)?;
        let open = at + find(&bytes[at..], b"[").ok_or_else(missing)?;
        let close = open + find(&bytes[open..], b"]").ok_or_else(missing)?;
        let numbers: Vec<usize> = std::str::from_utf8(&bytes[open + 1..close])
            .map_err(|_| missing())?
            .split_whitespace()
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map_err(|_| missing())?;
        let [0, start, end, rest] = numbers[..] else {
            return Err(missing());
        };
        if end > bytes.len() || start >= end || end + rest != bytes.len() {
            return Err(missing());
        }
        Ok(Self {
            bytes,
            contents: (start, end),
        })
    }

    /// The signed PDF: `cms` (DER) written into the reserved space.
    pub fn embed(&self, cms: &[u8]) -> Result<Vec<u8>, DocumentError> {
        if cms.len() > RESERVED {
            return Err(DocumentError::Write(format!(
                "the signature takes {} bytes, more than the {RESERVED} reserved",
                cms.len()
            )));
        }
        let (start, end) = self.contents;
        let mut signed = self.bytes.clone();
        let hex: String = cms.iter().map(|b| format!("{b:02X}")).collect();
        signed[start + 1..start + 1 + hex.len()].copy_from_slice(hex.as_bytes());
        debug_assert_eq!(signed[end - 1], b'>');
        Ok(signed)
    }
}

/// A text string as PDF keeps one: UTF-16BE with its byte-order mark, so Vietnamese reads.
fn text(value: &str) -> Object {
    let mut bytes = vec![0xFE, 0xFF];
    bytes.extend(value.encode_utf16().flat_map(u16::to_be_bytes));
    Object::String(bytes, StringFormat::Hexadecimal)
}

/// A PDF date (`D:YYYYMMDDHHmmSS+07'00'`), in Vietnam's time.
fn pdf_date(seconds: i64) -> String {
    let zone = jiff::tz::TimeZone::fixed(jiff::tz::offset(7));
    jiff::Timestamp::from_second(seconds)
        .map(|t| {
            t.to_zoned(zone)
                .strftime("D:%Y%m%d%H%M%S+07'00'")
                .to_string()
        })
        .unwrap_or_default()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}
