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

/// The lines of authority printed above a signer's position (Decree 30/2020/NĐ-CP, Appendix
/// I): "TM. Ủy ban nhân dân" when one signs for a People's Committee (or "TM. Chính phủ" for
/// the Government), collectively led; "KT. Chủ tịch" (ký thay) when a deputy signs for the
/// head — a position "Phó …" deputises for "…", a "Thứ trưởng" for the "Bộ trưởng".
pub fn signing_authority(kind: AgencyKind, position: &str) -> Vec<String> {
    let position = position.trim();
    let mut lines = Vec::new();
    match kind {
        AgencyKind::Province | AgencyKind::City | AgencyKind::Commune => {
            lines.push("TM. Ủy ban nhân dân".to_string());
        }
        AgencyKind::Government => lines.push("TM. Chính phủ".to_string()),
        _ => {}
    }
    let lower = position.to_lowercase();
    let head = if let Some(rest) = lower.strip_prefix("phó ") {
        Some(position[position.len() - rest.len()..].trim().to_string())
    } else if lower.starts_with("thứ trưởng") {
        Some("Bộ trưởng".to_string())
    } else {
        None
    };
    if let Some(head) = head.filter(|h| !h.is_empty()) {
        lines.push(format!("KT. {head}"));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deputy_signs_for_the_head_and_a_committee_signs_collectively() {
        assert_eq!(
            signing_authority(AgencyKind::City, "Chủ tịch"),
            ["TM. Ủy ban nhân dân"]
        );
        assert_eq!(
            signing_authority(AgencyKind::Commune, "Phó Chủ tịch"),
            ["TM. Ủy ban nhân dân", "KT. Chủ tịch"]
        );
        assert_eq!(
            signing_authority(AgencyKind::Ministry, "Thứ trưởng"),
            ["KT. Bộ trưởng"]
        );
        assert_eq!(
            signing_authority(AgencyKind::Department, "Phó Giám đốc"),
            ["KT. Giám đốc"]
        );
        assert!(signing_authority(AgencyKind::Ministry, "Bộ trưởng").is_empty());
        assert!(signing_authority(AgencyKind::Department, "Phó ").is_empty());
    }

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
