//! baocao's domain: what a reporting information system knows, with no I/O, no async and no
//! clock. Every value here is constructed through a function that checks it, so code that
//! holds one may rely on it ("parse, don't validate").
//!
//! Layout:
//! - [`audit`]: the audit trail's events, hash chain, checkpoints and re-derived state;
//! - [`agency`]: agencies, their validity intervals and the hierarchy as of a date;
//! - [`aggregation`]: roll-ups of accepted values along hierarchy, time and disaggregations;
//! - [`holidays`]: working days and Vietnam's public holidays, lunar ones included;
//! - [`indicator`]: indicators and disaggregation categories;
//! - [`language`]: Vietnamese and English, and how each writes numbers and periods;
//! - [`period`]: frequencies and period identifiers (`202611`, `2026Q4`, …);
//! - [`calendar`]: cut-off windows and deadlines of a period under a regime's rules;
//! - [`compliance`]: expected reports from history, their status at a moment, rates;
//! - [`document`]: a report as an administrative document — its issuer and number;
//! - [`connector`]: other systems pulled on a schedule and the mapping of their records;
//! - [`regime`]: regimes with their ten elements, forms and outlines, and publication;
//! - [`registry`]: the standardisation check and duplicate detection over regimes;
//! - [`assignment`]: who reports which regime to whom, from when;
//! - [`submission`]: the state machine of a report; [`report`]: its cells and sections;
//! - [`pivot`]: facts laid out on rows and columns, with totals by each indicator's rule;
//! - [`table`]: saved indicator tables and their relative periods;
//! - [`quality`]: outliers against history, last year and peers;
//! - [`rules`]: validation rules and formulas — their language, checks and evaluation;
//! - [`value`]: data values and disaggregation option combinations;
//! - [`schema`]: how checked values look on the wire, for the API document (feature `openapi`);
//! - [`user`]: users' roles and grants; [`permission`]: the one policy deciding access.
//!
//! Architecture invariant: this crate knows nothing of HTTP, SQL, files or the current time;
//! callers pass `today` in.

/// A closed set of snake_case words (kinds, levels, statuses) with `as_str`, `FromStr`
/// (the unknown word as the error), `Display`, serde, and `ALL`.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident, { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }
        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(text: &str) -> Result<Self, String> {
                match text { $($text => Ok($name::$variant),)+ other => Err(other.to_string()) }
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub mod agency;
pub mod aggregation;
pub mod assignment;
pub mod audit;
pub mod calendar;
pub mod compliance;
pub mod connector;
pub mod document;
pub mod exchange_period;
pub mod holidays;
pub mod indicator;
pub mod language;
pub mod period;
pub mod permission;
pub mod pivot;
pub mod quality;
pub mod regime;
pub mod regime_record;
pub mod registry;
pub mod reorganisation;
pub mod report;
pub mod rollup;
pub mod rules;
#[cfg(feature = "openapi")]
pub mod schema;
pub mod signature;
pub mod submission;
pub mod table;
pub mod text;
pub mod totp;
pub mod user;
pub mod value;

pub use jiff::civil::Date;
