//! Words for structured values on screen: a deadline rule as a sentence, a frequency, a
//! method, a kind — in Vietnamese or English.

use baocao_domain::agency::{AgencyKind, AgencyLevel};
use baocao_domain::indicator::{Aggregation, ValueType};
use baocao_domain::period::Frequency;
use baocao_domain::regime::{
    CutoffRule, DeadlineRule, FormColumn, Method, RegimeKind, RegimeStatus, RowValues,
};

use crate::i18n::Lang;
pub use crate::i18n::{date, due};

fn pick(lang: Lang, vi: &'static str, en: &'static str) -> &'static str {
    if lang == Lang::Vi { vi } else { en }
}

/// A regime's name in the page's language: its English name in English where it has one.
pub fn regime_name(regime: &baocao_domain::regime::Regime, lang: Lang) -> String {
    let content = regime.content();
    match lang {
        Lang::En if !content.name_en.is_empty() => content.name_en.clone(),
        _ => content.name.clone().unwrap_or_default(),
    }
}

pub fn frequency(f: Frequency, lang: Lang) -> &'static str {
    match f {
        Frequency::Daily => pick(lang, "Hằng ngày", "Daily"),
        Frequency::Weekly => pick(lang, "Hằng tuần", "Weekly"),
        Frequency::Monthly => pick(lang, "Hằng tháng", "Monthly"),
        Frequency::Quarterly => pick(lang, "Hằng quý", "Quarterly"),
        Frequency::SixMonthly => pick(lang, "6 tháng", "Six-monthly"),
        Frequency::NineMonthly => pick(lang, "9 tháng", "Nine-monthly"),
        Frequency::Yearly => pick(lang, "Hằng năm", "Yearly"),
        Frequency::Dated => pick(lang, "Theo ngày của từng đợt", "Dates of each round"),
    }
}

pub fn method(m: Method, lang: Lang) -> &'static str {
    match m {
        Method::ReportingSystem => pick(
            lang,
            "Qua Hệ thống thông tin báo cáo",
            "Through the reporting information system",
        ),
        Method::ElectronicDocumentSigned => pick(
            lang,
            "Văn bản điện tử có chữ ký số",
            "Digitally signed electronic document",
        ),
        Method::ElectronicDocument => pick(lang, "Văn bản điện tử", "Electronic document"),
        Method::Paper => pick(lang, "Văn bản giấy", "Paper document"),
        Method::Post => pick(lang, "Qua dịch vụ bưu chính", "By post"),
        Method::Fax => pick(lang, "Qua Fax", "By fax"),
        Method::Email => pick(lang, "Qua thư điện tử", "By e-mail"),
        Method::Other => pick(lang, "Phương thức khác theo quy định", "Other lawful means"),
    }
}

pub fn deadline(rule: &DeadlineRule, lang: Lang) -> String {
    match rule {
        DeadlineRule::DayOfMonth {
            day,
            months_after_period_end: 0,
        } => match lang {
            Lang::Vi => format!("Ngày {day} của tháng cuối kỳ báo cáo"),
            Lang::En => format!("Day {day} of the period's last month"),
        },
        DeadlineRule::DayOfMonth {
            day,
            months_after_period_end,
        } => match lang {
            Lang::Vi => {
                format!("Ngày {day} của tháng thứ {months_after_period_end} sau kỳ báo cáo")
            }
            Lang::En => format!(
                "Day {day} of the month {months_after_period_end} month(s) after the period"
            ),
        },
        DeadlineRule::DaysAfterCutoff { days, working_days } => match (lang, working_days) {
            (Lang::Vi, true) => format!("{days} ngày làm việc sau ngày chốt số liệu"),
            (Lang::Vi, false) => format!("{days} ngày sau ngày chốt số liệu"),
            (Lang::En, true) => format!("{days} working days after the cut-off end"),
            (Lang::En, false) => format!("{days} days after the cut-off end"),
        },
        DeadlineRule::FixedDate {
            month,
            day,
            years_after_period_end,
        } => match (lang, years_after_period_end) {
            (Lang::Vi, 0) => format!("Ngày {day}/{month} của năm báo cáo"),
            (Lang::Vi, 1) => format!("Ngày {day}/{month} năm sau"),
            (Lang::Vi, n) => format!("Ngày {day}/{month}, {n} năm sau năm báo cáo"),
            (Lang::En, 0) => format!("{day}/{month} of the period's year"),
            (Lang::En, 1) => format!("{day}/{month} of the next year"),
            (Lang::En, n) => format!("{day}/{month}, {n} years after the period's year"),
        },
    }
}

pub fn cutoff(rule: &CutoffRule, frequency: Option<Frequency>, lang: Lang) -> String {
    match rule {
        CutoffRule::Calendar => pick(lang, "Theo kỳ dương lịch", "The calendar period").to_string(),
        CutoffRule::Decree09 => {
            let window = match (frequency, lang) {
                (Some(Frequency::Monthly), Lang::Vi) => {
                    "từ ngày 15 tháng trước đến ngày 14 của tháng thuộc kỳ báo cáo"
                }
                (Some(Frequency::Monthly), Lang::En) => {
                    "the 15th of the previous month to the 14th of the period's month"
                }
                (Some(Frequency::Quarterly), Lang::Vi) => {
                    "từ ngày 15 của tháng trước kỳ báo cáo đến ngày 14 của tháng cuối quý"
                }
                (Some(Frequency::Quarterly), Lang::En) => {
                    "the 15th of the month before the quarter to the 14th of its last month"
                }
                (Some(Frequency::SixMonthly), Lang::Vi) => {
                    "từ ngày 15 tháng 12 năm trước đến ngày 14 tháng 6 (6 tháng đầu năm), từ ngày 15 tháng 6 đến ngày 14 tháng 12 (6 tháng cuối năm)"
                }
                (Some(Frequency::SixMonthly), Lang::En) => {
                    "15 December to 14 June (first half), 15 June to 14 December (second half)"
                }
                (Some(Frequency::Yearly), Lang::Vi) => {
                    "từ ngày 15 tháng 12 năm trước đến ngày 14 tháng 12 của năm báo cáo"
                }
                (Some(Frequency::Yearly), Lang::En) => {
                    "15 December of the previous year to 14 December"
                }
                (_, Lang::Vi) => "theo Điều 12",
                (_, Lang::En) => "per Article 12",
            };
            match lang {
                Lang::Vi => format!("Theo Điều 12 Nghị định số 09/2019/NĐ-CP: {window}"),
                Lang::En => format!("Decree 09/2019/NĐ-CP, Article 12: {window}"),
            }
        }
    }
}

pub fn regime_kind(kind: RegimeKind, lang: Lang) -> &'static str {
    match kind {
        RegimeKind::Periodic => pick(lang, "Định kỳ", "Periodic"),
        RegimeKind::Thematic => pick(lang, "Chuyên đề", "Thematic"),
        RegimeKind::AdHoc => pick(lang, "Đột xuất", "Ad hoc"),
    }
}

pub fn regime_status(status: RegimeStatus, lang: Lang) -> &'static str {
    match status {
        RegimeStatus::Draft => pick(lang, "Dự thảo", "Draft"),
        RegimeStatus::Published => pick(lang, "Đã ban hành", "Published"),
        RegimeStatus::Retired => pick(lang, "Hết hiệu lực", "Retired"),
    }
}

pub fn row_values(values: RowValues, lang: Lang) -> &'static str {
    match values {
        RowValues::CompiledTotal => pick(
            lang,
            "Số liệu tổng hợp toàn địa bàn",
            "Compiled totals for the whole territory",
        ),
        RowValues::Own => pick(lang, "Số liệu của chính đơn vị", "The agency's own values"),
    }
}

pub fn column(column: FormColumn, lang: Lang) -> &'static str {
    match column {
        FormColumn::ThisPeriod => pick(lang, "Kỳ báo cáo", "This period"),
        FormColumn::SamePeriodLastYear => pick(lang, "Cùng kỳ năm trước", "Same period last year"),
        FormColumn::YearToDate => pick(lang, "Lũy kế từ đầu năm", "Year to date"),
        FormColumn::PreviousPeriod => pick(lang, "Kỳ trước", "Previous period"),
        FormColumn::Plan => pick(lang, "Kế hoạch", "Plan"),
    }
}

pub fn agency_kind(kind: AgencyKind, lang: Lang) -> &'static str {
    match kind {
        AgencyKind::Government => pick(lang, "Chính phủ", "Government"),
        AgencyKind::Ministry => pick(lang, "Bộ", "Ministry"),
        AgencyKind::MinisterialAgency => pick(lang, "Cơ quan ngang bộ", "Ministerial-level agency"),
        AgencyKind::Province => pick(lang, "Tỉnh", "Province"),
        AgencyKind::City => pick(
            lang,
            "Thành phố trực thuộc trung ương",
            "Centrally-run city",
        ),
        AgencyKind::Department => pick(lang, "Sở, ngành", "Department"),
        AgencyKind::Commune => pick(lang, "Xã, phường, đặc khu", "Commune"),
    }
}

pub fn level_key(level: AgencyLevel) -> &'static str {
    match level {
        AgencyLevel::National => "level_national",
        AgencyLevel::Ministry => "level_ministry",
        AgencyLevel::Province => "level_province",
        AgencyLevel::Department => "level_department",
        AgencyLevel::Commune => "level_commune",
    }
}

pub fn value_type(value_type: ValueType, lang: Lang) -> &'static str {
    match value_type {
        ValueType::Integer => pick(lang, "Số nguyên", "Integer"),
        ValueType::Decimal => pick(lang, "Số thập phân", "Decimal"),
        ValueType::Percent => pick(lang, "Tỷ lệ phần trăm", "Percent"),
        ValueType::Text => pick(lang, "Văn bản", "Text"),
        ValueType::YesNo => pick(lang, "Có/Không", "Yes/No"),
    }
}

pub fn aggregation(aggregation: Aggregation, lang: Lang) -> &'static str {
    match aggregation {
        Aggregation::Sum => pick(lang, "Cộng", "Sum"),
        Aggregation::Average => pick(lang, "Bình quân", "Average"),
        Aggregation::Min => pick(lang, "Nhỏ nhất", "Minimum"),
        Aggregation::Max => pick(lang, "Lớn nhất", "Maximum"),
        Aggregation::Last => pick(lang, "Giá trị cuối kỳ", "Last value in period"),
        Aggregation::None => pick(lang, "Không cộng dồn", "Not aggregated"),
    }
}
