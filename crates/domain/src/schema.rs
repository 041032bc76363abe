//! How the domain's checked values look on the wire, for the API document (feature
//! `openapi`). Each pattern says in JSON Schema what the value's parse function accepts, so a
//! client (or a fuzzer) can build valid input; the parse function stays the authority.

use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

use crate::agency::AgencyCode;
use crate::indicator::IndicatorCode;
use crate::period::PeriodId;
use crate::pivot::Dimension;
use crate::regime::RegimeCode;
use crate::user::Username;

/// What `text::check_code` accepts without a slash: 1–64 characters, each a Latin letter (with
/// Vietnamese diacritics), a digit or one of `-_.()+` (the check also refuses the few
/// non-letters inside the Latin ranges, such as `×`).
pub const CODE_PATTERN: &str = r"^[0-9A-Za-z\u00C0-\u024F\u1E00-\u1EFF_.()+-]{1,64}$";

/// A period identifier of any frequency (`PeriodId::parse`), written in DHIS2's way. The
/// pattern keeps days to the 28th so every text it matches is a real date.
pub const PERIOD_PATTERN: &str = r"^(19[0-9]{2}|20[0-9]{2})(W([1-9]|[1-4][0-9]|5[0-2])|Q[1-4]|S[12]|N9|0[1-9]|1[0-2]|(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8]))?$";

fn text(pattern: &str, description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .description(Some(description))
        .into()
}

/// A code of an agency, indicator, regime, form, table or connector.
pub fn code() -> RefOr<Schema> {
    text(CODE_PATTERN, "A code: 1–64 letters, digits or `-_.()+`.")
}

macro_rules! described {
    ($($type:ty => $schema:expr),+ $(,)?) => {$(
        impl PartialSchema for $type {
            fn schema() -> RefOr<Schema> {
                $schema
            }
        }
        impl ToSchema for $type {}
    )+};
}

described! {
    AgencyCode => text(CODE_PATTERN, "An agency's code: the GSO code of a province or commune (`01`, `00004`), a ministry's mnemonic (`BTC`), `VN` for the Government."),
    IndicatorCode => text(CODE_PATTERN, "An indicator's code."),
    RegimeCode => text(CODE_PATTERN, "A regime's code."),
    Username => ObjectBuilder::new().schema_type(Type::String).description(Some("A user's login name.")).into(),
    Dimension => text(r"^[A-Za-z0-9_-]+$", "What rows or columns are split by: `indicator`, `agency`, `period` or a disaggregation category's code (`sex`)."),
    PeriodId => text(PERIOD_PATTERN, "A period: 2026, 2026S2, 2026N9, 2026Q4, 202611, 2026W48, 20261126 (a dated round 20261101_20261115 is also accepted)."),
}
