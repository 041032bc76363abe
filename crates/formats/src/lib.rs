//! The field's file formats, both ways, as pure codecs: bytes or streams in, domain values out
//! (and back). DHIS2 data value sets and IHE ADX ([`datavalues`]), SDMX-JSON data messages
//! ([`sdmx`]), report workbooks
//! ([`workbook`]), table exports as CSV and xlsx ([`table`]), catalogue uploads
//! ([`catalogue`]), peers' records ([`records`]). Each has its own error type naming the line,
//! cell or element at fault.
//!
//! Reading what other people send, within bounds. Every file or stream that comes from outside
//! — an xlsx workbook, an ADX document, a DHIS2 JSON or CSV push — is read here under
//! [`Limits`], so that no input, however crafted, makes the server allocate more than the
//! limits allow or spend more than linear time on it:
//!
//! - [`budget`]: a byte budget on one token of a stream (an XML tag or text, a JSON value, a CSV
//!   record), reset by the parser after each token, so a 100 MB value is refused after its first
//!   limit's worth of bytes instead of being buffered;
//! - [`xlsx`]: a workbook checked entry by entry (entry count, inflated size, compression ratio,
//!   XML depth, attributes and tokens, cells) before calamine reads it cell by cell, never by the
//!   sheet's declared dimensions.
//!
//! Architecture invariant: no HTTP, no database, no clock (depends on the domain only); errors name the setting that refused
//! the input so an edge can tell the sender which limit to respect.

pub mod budget;
pub mod catalogue;
pub mod datavalues;
pub mod formula;
pub mod limits;
pub mod records;
pub mod sdmx;
pub mod table;
pub mod workbook;
pub mod xlsx;
pub mod xml;

pub use limits::{LimitExceeded, Limits};
