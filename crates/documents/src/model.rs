//! What an administrative document says, element by element, before any layout.

/// A document as Decree 30/2020/NĐ-CP names its parts.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The agency directly above the issuing one ("UBND TỈNH …"), when there is one.
    pub superior_agency: Option<String>,
    /// The issuing agency (the reporting agency).
    pub issuing_agency: String,
    /// Number and symbol without "Số:" ("12/BC-HN").
    pub number: String,
    /// Place and date as the decree writes them ([`place_and_date`]).
    pub place_and_date: String,
    /// The kind of document ("BÁO CÁO").
    pub kind: String,
    /// The summary of its content (trích yếu).
    pub summary: String,
    pub body: Vec<Block>,
    /// Recipients, each without the leading dash.
    pub recipients: Vec<String>,
    pub signature: SignatureBlock,
    /// Words for the PDF's metadata (regime, period, agency codes).
    pub keywords: Vec<String>,
}

/// A part of the body.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A section's title ("1. Tình hình …").
    Heading(String),
    /// A paragraph of text (a new line starts a new paragraph).
    Paragraph(String),
    /// A data form.
    Table(Table),
}

/// A data form as a table: its title, unit, column headings, rows and notes.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub title: String,
    /// "Đơn vị tính: …", shown above the table on the right.
    pub unit_note: Option<String>,
    pub header: Vec<String>,
    /// Relative widths of the columns (as many as the header).
    pub widths: Vec<f32>,
    /// Columns whose cells are numbers, set flush right.
    pub numeric: Vec<bool>,
    pub rows: Vec<Row>,
    /// Lines under the table (notes on values, missing reporters).
    pub notes: Vec<String>,
}

/// A row of a table; `strong` rows (totals) are set in bold.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub cells: Vec<String>,
    pub strong: bool,
}

/// Who signs, and the mark the signature left.
#[derive(Debug, Clone, PartialEq)]
pub struct SignatureBlock {
    /// "TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH"… one a line, when signing on behalf of someone.
    pub authority: Vec<String>,
    /// The signer's position ("CHỦ TỊCH"), when known.
    pub position: Option<String>,
    /// The signer's full name.
    pub name: String,
    /// The signature mark: lines in the space of the hand signature (who signed digitally,
    /// when, the digest).
    pub mark: Vec<String>,
}

/// "Hà Nội, ngày 05 tháng 02 năm 2026": a day below 10 and the months January and February
/// take a leading zero (Decree 30/2020/NĐ-CP, Appendix I).
pub fn place_and_date(place: &str, date: jiff::civil::Date) -> String {
    let month = match date.month() {
        month @ (1 | 2) => format!("{month:02}"),
        month => month.to_string(),
    };
    format!(
        "{place}, ngày {:02} tháng {month} năm {}",
        date.day(),
        date.year()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_below_ten_and_the_first_two_months_take_a_leading_zero() {
        let date = |y, m, d| jiff::civil::date(y, m, d);
        assert_eq!(
            place_and_date("Hà Nội", date(2026, 2, 5)),
            "Hà Nội, ngày 05 tháng 02 năm 2026"
        );
        assert_eq!(
            place_and_date("Huế", date(2026, 12, 15)),
            "Huế, ngày 15 tháng 12 năm 2026"
        );
        assert_eq!(
            place_and_date("Đắk Lắk", date(2025, 7, 1)),
            "Đắk Lắk, ngày 01 tháng 7 năm 2025"
        );
    }
}
