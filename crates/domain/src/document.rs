//! A report as an administrative document (Decree 30/2020/NĐ-CP): who issues it for an agency,
//! the symbol of its number, and how the number is written.

use crate::agency::{AgencyCode, AgencyKind};

/// The organ that issues an agency's documents: a province's, city's or commune's People's
/// Committee ("Ủy ban nhân dân Thành phố Hà Nội"); any other agency in its own name.
pub fn issuing_organ(kind: AgencyKind, name_vi: &str) -> String {
    match kind {
        AgencyKind::Province | AgencyKind::City | AgencyKind::Commune => {
            format!("Ủy ban nhân dân {name_vi}")
        }
        _ => name_vi.to_string(),
    }
}

/// The part of a report's number after the slash: "BC-" and the issuer's abbreviation — UBND
/// for a People's Committee, the agency's own code (BTC, VPCP, …) for any other.
pub fn report_symbol(kind: AgencyKind, code: &AgencyCode) -> String {
    match kind {
        AgencyKind::Province | AgencyKind::City | AgencyKind::Commune => "BC-UBND".into(),
        _ => format!("BC-{}", code.as_str().to_uppercase()),
    }
}

/// "05/BC-UBND": the number in the issuer's yearly register, below 10 with a leading zero; a
/// version sent before the register existed shows the blank a clerk fills by hand.
pub fn document_number(number: Option<i32>, kind: AgencyKind, code: &AgencyCode) -> String {
    let symbol = report_symbol(kind, code);
    match number {
        Some(number) => format!("{number:02}/{symbol}"),
        None => format!("     /{symbol}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_s_committees_issue_for_provinces_and_communes_ministries_in_their_name() {
        assert_eq!(
            issuing_organ(AgencyKind::City, "Thành phố Hà Nội"),
            "Ủy ban nhân dân Thành phố Hà Nội"
        );
        assert_eq!(
            issuing_organ(AgencyKind::Ministry, "Bộ Tài chính"),
            "Bộ Tài chính"
        );
        let code = |c: &str| AgencyCode::new(c).unwrap();
        assert_eq!(
            document_number(Some(5), AgencyKind::Commune, &code("00004")),
            "05/BC-UBND"
        );
        assert_eq!(
            document_number(Some(123), AgencyKind::Ministry, &code("btc")),
            "123/BC-BTC"
        );
        assert_eq!(
            document_number(None, AgencyKind::Province, &code("01")),
            "     /BC-UBND"
        );
    }
}
