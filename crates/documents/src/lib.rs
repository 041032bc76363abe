//! Reports as administrative documents, laid out as Decree 30/2020/NĐ-CP (Appendix I)
//! prescribes: the national title and motto, the issuing agency under its superior, number and
//! symbol, place and date, the document's kind and summary, the body — the outline's sections
//! and the data forms as tables — the recipients ("Nơi nhận") and the signer's authority,
//! position, signature mark and name; A4 with the decree's margins (top and bottom 20 mm, left
//! 30 mm, right 15 mm) and sizes, page numbers at the top from the second page.
//!
//! Set in Liberation Serif 2.1 (metrically compatible with Times New Roman, SIL OFL, from
//! Debian's `fonts-liberation2`), compiled into the binary and embedded, subset, in every PDF:
//! a document reads the same on a machine without the font. krilla shapes the text it draws
//! (rustybuzz), so stacked Vietnamese diacritics ("ường", "Thừa Thiên Huế") are composed by the
//! font's own marks, and writes the PDF (never hand-written PDF syntax); lines are measured by
//! the font's advance widths (`fonts`).
//!
//! The same document as DOCX ([`render_docx`]) for agencies that edit before issuing.
//!
//! Signed as PAdES with the signer's X.509 certificate ([`signing`]).
//!
//! Pure: a [`Document`] in, bytes out — no database, no clock, no request.

mod docx;
mod fonts;
mod layout;
mod model;
mod pdf;
pub mod signing;

pub use docx::render_docx;
pub use model::{Block, Document, Row, SignatureBlock, Table, place_and_date};
pub use pdf::render_pdf;

/// Why a document could not be written.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("the embedded font {0} does not load")]
    Font(&'static str),
    #[error("the document could not be written: {0}")]
    Write(String),
}
