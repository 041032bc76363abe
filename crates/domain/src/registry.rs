//! The registry's two audits of reporting regimes: the standardisation check (each regime
//! against the ten elements of Decree 09/2019 and the calendar rules) and duplicate detection
//! (pairs of regimes asking for the same or nearly the same indicators) — the two tools with
//! which Vietnam cut its ministries' regimes from about 2,600 to 1,220.
//!
//! Duplicate detection compares the indicators of the regimes' forms. Two indicators are the
//! same item if they have the same code, or the same unit and the same name after
//! normalisation: case, diacritics, word order and common abbreviations ("SL" for "số
//! lượng") do not count. An inverted index from item keys to regimes keeps the work to the
//! pairs that share something: 3,000 regimes of 50 indicators take under a second
//! (`cargo bench -p baocao-domain --bench duplicates`).

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use crate::calendar::{CalendarError, check_deadline};
use crate::indicator::Indicator;
use crate::period::Frequency;
use crate::regime::{RegimeContent, RegimeKind};
use crate::rules::{RuleContext, compile_condition, compile_formula};
use crate::text::search_key;

/// One finding of the standardisation check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    /// `error` (the regime breaks the decree or cannot work) or `warning` (it works, but a
    /// reader of its forms lacks something).
    pub severity: crate::regime::Severity,
    /// Stable: `missing_element`, `deadline_before_cutoff_end`, `frequency_not_for_kind`,
    /// `unknown_indicator`, `indicator_without_unit`, `indicator_without_definition`,
    /// `rule_invalid`.
    pub code: &'static str,
    pub message: String,
    pub message_en: String,
}

fn problem(code: &'static str, message: String, message_en: String) -> Problem {
    let severity = match code {
        "indicator_without_definition" => crate::regime::Severity::Warning,
        _ => crate::regime::Severity::Error,
    };
    Problem {
        severity,
        code,
        message,
        message_en,
    }
}

/// Every problem of a regime, in a fixed order: elements, calendar, forms, rules.
pub fn standardisation_problems(content: &RegimeContent, context: &RuleContext) -> Vec<Problem> {
    let mut problems: Vec<Problem> = content
        .missing_elements()
        .into_iter()
        .map(|element| {
            let (vi, en) = element.labels();
            problem(
                "missing_element",
                format!("Thiếu thành phần bắt buộc: {vi}."),
                format!("Missing mandatory element: {en}."),
            )
        })
        .collect();
    if let (Some(frequency), Some(rule), Some(cutoff)) =
        (content.frequency, &content.deadline, &content.cutoff)
        && let Err(CalendarError::DeadlineBeforeCutoff {
            period,
            deadline,
            cutoff_end,
        }) = check_deadline(frequency, cutoff, rule, 2026)
    {
        problems.push(problem(
            "deadline_before_cutoff_end",
            format!("Thời hạn gửi báo cáo kỳ {period} ({deadline}) trước ngày chốt số liệu ({cutoff_end})."),
            format!("The deadline of period {period} ({deadline}) is before its cut-off end ({cutoff_end})."),
        ));
    }
    let dated = content.frequency == Some(Frequency::Dated);
    if content.kind != RegimeKind::Periodic && content.frequency.is_some() && !dated {
        problems.push(problem(
            "frequency_not_for_kind",
            "Báo cáo chuyên đề hoặc đột xuất không có tần suất định kỳ.".into(),
            "A thematic or ad hoc report has no regular frequency.".into(),
        ));
    }
    if content.kind == RegimeKind::Periodic && dated {
        problems.push(problem(
            "frequency_not_for_kind",
            "Báo cáo định kỳ phải có tần suất định kỳ, không phải kỳ theo ngày tự chọn.".into(),
            "A periodic report needs a regular frequency, not dates of its own.".into(),
        ));
    }
    let mut seen = BTreeSet::new();
    let mut undefined = Vec::new();
    for form in &content.forms {
        for row in &form.rows {
            if !seen.insert(row.indicator.clone()) {
                continue;
            }
            match context
                .indicators
                .iter()
                .find(|i| i.code() == &row.indicator)
            {
                None => problems.push(problem(
                    "unknown_indicator",
                    format!(
                        "Biểu {}: chỉ tiêu {} không có trong danh mục.",
                        form.code, row.indicator
                    ),
                    format!(
                        "Form {}: indicator {} is not in the catalogue.",
                        form.code, row.indicator
                    ),
                )),
                Some(indicator) => {
                    if indicator.value_type().is_numeric() && indicator.unit_vi.trim().is_empty() {
                        problems.push(problem(
                            "indicator_without_unit",
                            format!(
                                "Biểu {}: chỉ tiêu {} không có đơn vị tính.",
                                form.code, row.indicator
                            ),
                            format!(
                                "Form {}: indicator {} has no unit.",
                                form.code, row.indicator
                            ),
                        ));
                    }
                    if indicator.definition_vi.trim().is_empty() {
                        undefined.push(row.indicator.to_string());
                    }
                }
            }
        }
    }
    if !undefined.is_empty() {
        let list = undefined.join(", ");
        problems.push(problem(
            "indicator_without_definition",
            format!("Chỉ tiêu chưa có khái niệm, phương pháp tính: {list}."),
            format!("Indicators without a definition: {list}."),
        ));
    }
    for (index, rule) in content.rules.iter().enumerate() {
        if let Err(error) = compile_condition(&rule.expression, context) {
            problems.push(problem(
                "rule_invalid",
                format!("Quy tắc R{}: {}", index + 1, error.message()),
                format!("Rule R{}: {}", index + 1, error.message_en()),
            ));
        }
    }
    for derived in &content.derived {
        if let Err(error) = compile_formula(&derived.formula, context) {
            problems.push(problem(
                "rule_invalid",
                format!("Công thức {}: {}", derived.code, error.message()),
                format!("Formula {}: {}", derived.code, error.message_en()),
            ));
        }
    }
    problems
}

/// Common abbreviations of Vietnamese administrative writing, after [`search_key`].
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("sl", "so"),
    ("tthc", "thu tuc hanh chinh"),
    ("ubnd", "uy ban nhan dan"),
    ("hdnd", "hoi dong nhan dan"),
    ("ktxh", "kinh te xa hoi"),
    ("tp", "thanh pho"),
    ("bhxh", "bao hiem xa hoi"),
    ("bhyt", "bao hiem y te"),
    ("dvc", "dich vu cong"),
    ("vb", "van ban"),
    ("csdl", "co so du lieu"),
    ("cntt", "cong nghe thong tin"),
    ("ds", "dan so"),
    ("ld", "lao dong"),
    ("tngt", "tai nan giao thong"),
];

/// A name reduced to what matters for comparison: folded, abbreviations spelled out, words
/// sorted; "số lượng" (quantity of) says no more than "số" (number of).
pub fn name_key(name: &str) -> String {
    let folded = format!(" {} ", search_key(name)).replace(" so luong ", " so ");
    let mut words: Vec<&str> = folded
        .split(' ')
        .flat_map(|word| {
            ABBREVIATIONS
                .iter()
                .find(|(short, _)| *short == word)
                .map_or(word, |(_, long)| *long)
                .split(' ')
        })
        .filter(|w| !w.is_empty())
        .collect();
    words.sort_unstable();
    words.join(" ")
}

/// A regime as duplicate detection sees it: its code and the indicators its forms ask for.
pub struct RegimeItems<'a> {
    pub code: String,
    pub indicators: Vec<&'a Indicator>,
}

impl<'a> RegimeItems<'a> {
    /// The indicators of the regime's forms found in the catalogue, each once.
    pub fn of(content: &RegimeContent, catalogue: &'a [Indicator]) -> Self {
        let codes: BTreeSet<_> = content
            .forms
            .iter()
            .flat_map(|f| f.rows.iter().map(|r| &r.indicator))
            .collect();
        Self {
            code: content.code.to_string(),
            indicators: codes
                .into_iter()
                .filter_map(|code| catalogue.iter().find(|i| i.code() == code))
                .collect(),
        }
    }
}

/// Two regimes that ask for the same things.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DuplicatePair {
    pub a: String,
    pub b: String,
    /// Shared items over all items of the two (Jaccard), 0 to 1, rounded to 3 places.
    pub score: f64,
    /// The shared indicators: `A-code` or `A-code ≈ B-code` where only the names match.
    pub shared: Vec<String>,
}

/// Pairs of regimes sharing at least `min_shared` items, most similar first (then by codes).
pub fn duplicates(regimes: &[RegimeItems], min_shared: usize) -> Vec<DuplicatePair> {
    // Item keys: the code, and (unit, normalised name). Each key lists (regime, indicator).
    let mut index: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
    for (r, regime) in regimes.iter().enumerate() {
        for (i, indicator) in regime.indicators.iter().enumerate() {
            index
                .entry(format!("code:{}", indicator.code()))
                .or_default()
                .push((r, i));
            index
                .entry(format!(
                    "name:{}|{}",
                    search_key(&indicator.unit_vi),
                    name_key(&indicator.name_vi)
                ))
                .or_default()
                .push((r, i));
        }
    }
    // For each pair of regimes, the matched indicator pairs.
    let mut matches: HashMap<(usize, usize), Vec<(usize, usize)>> = HashMap::new();
    for holders in index.values() {
        for (x, &(ra, ia)) in holders.iter().enumerate() {
            for &(rb, ib) in &holders[x + 1..] {
                if ra == rb {
                    continue;
                }
                let (key, item) = if ra < rb {
                    ((ra, rb), (ia, ib))
                } else {
                    ((rb, ra), (ib, ia))
                };
                matches.entry(key).or_default().push(item);
            }
        }
    }
    let mut pairs: Vec<DuplicatePair> = matches
        .into_iter()
        .filter_map(|((ra, rb), mut items)| {
            items.sort_unstable();
            items.dedup();
            // Each indicator counts once on each side.
            let mut left = BTreeSet::new();
            let mut right = BTreeSet::new();
            let mut shared = Vec::new();
            for (ia, ib) in items {
                if left.contains(&ia) || right.contains(&ib) {
                    continue;
                }
                left.insert(ia);
                right.insert(ib);
                let (x, y) = (regimes[ra].indicators[ia], regimes[rb].indicators[ib]);
                shared.push(if x.code() == y.code() {
                    x.code().to_string()
                } else {
                    format!("{} ≈ {}", x.code(), y.code())
                });
            }
            if shared.len() < min_shared.max(1) {
                return None;
            }
            let all = regimes[ra].indicators.len() + regimes[rb].indicators.len() - shared.len();
            let score = (shared.len() as f64 / all.max(1) as f64 * 1000.0).round() / 1000.0;
            Some(DuplicatePair {
                a: regimes[ra].code.clone(),
                b: regimes[rb].code.clone(),
                score,
                shared,
            })
        })
        .collect();
    pairs.sort_by(|x, y| {
        y.score
            .total_cmp(&x.score)
            .then_with(|| y.shared.len().cmp(&x.shared.len()))
            .then_with(|| (&x.a, &x.b).cmp(&(&y.a, &y.b)))
    });
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicator::{Aggregation, IndicatorCode, ValueType};

    fn indicator(code: &str, name: &str, unit: &str) -> Indicator {
        Indicator::new(
            IndicatorCode::new(code).unwrap(),
            name.into(),
            name.into(),
            unit.into(),
            unit.into(),
            ValueType::Integer,
            Aggregation::Sum,
            None,
            vec![],
            String::new(),
            String::new(),
        )
        .unwrap()
    }

    #[test]
    fn names_compare_without_case_diacritics_order_or_abbreviations() {
        assert_eq!(
            name_key("SL hồ sơ TTHC tiếp nhận"),
            name_key("Tiếp nhận số lượng hồ sơ thủ tục hành chính")
        );
        assert_ne!(
            name_key("Số hồ sơ tiếp nhận"),
            name_key("Số hồ sơ giải quyết")
        );
    }

    #[test]
    fn the_closest_pair_comes_first_with_what_it_shares() {
        let catalogue = [
            indicator("A1", "Số hồ sơ tiếp nhận", "hồ sơ"),
            indicator("A2", "Số hồ sơ giải quyết đúng hạn", "hồ sơ"),
            indicator("A3", "Số hồ sơ quá hạn", "hồ sơ"),
            indicator("B1", "SL hồ sơ tiếp nhận", "Hồ sơ"),
            indicator("C1", "Số vụ tai nạn giao thông", "vụ"),
            indicator("C2", "Số hồ sơ tiếp nhận", "vụ"),
        ];
        let items = |code: &str, picks: &[usize]| RegimeItems {
            code: code.into(),
            indicators: picks.iter().map(|i| &catalogue[*i]).collect(),
        };
        let regimes = [
            items("R-ONE", &[0, 1, 2]),
            items("R-TWO", &[3, 1, 2]),
            items("R-THREE", &[0, 4]),
            items("R-FOUR", &[5, 4]),
        ];
        let pairs = duplicates(&regimes, 1);
        assert_eq!(
            (pairs[0].a.as_str(), pairs[0].b.as_str(), pairs[0].score),
            ("R-ONE", "R-TWO", 1.0)
        );
        assert_eq!(pairs[0].shared, ["A1 ≈ B1", "A2", "A3"]);
        // Same name in another unit is not the same item.
        let three_four = pairs
            .iter()
            .find(|p| p.a == "R-THREE" && p.b == "R-FOUR")
            .unwrap();
        assert_eq!(three_four.shared, ["C1"]);
        assert!(pairs.windows(2).all(|w| w[0].score >= w[1].score));
    }

    #[test]
    fn overlapping_regimes_are_all_found() {
        let catalogue: Vec<Indicator> = (0..2000)
            .map(|i| indicator(&format!("I{i}"), &format!("Chỉ tiêu số {i}"), "đơn vị"))
            .collect();
        let regimes: Vec<RegimeItems> = (0..300)
            .map(|r| RegimeItems {
                code: format!("R{r}"),
                indicators: (0..50)
                    .map(|k| &catalogue[(r * 7 + k * 13) % 2000])
                    .collect(),
            })
            .collect();
        let pairs = duplicates(&regimes, 1);
        // Every pair found shares exactly the indicators both ask for; none is listed twice.
        for pair in &pairs {
            let of = |code: &str| regimes.iter().find(|r| r.code == code).unwrap();
            let (a, b) = (of(&pair.a), of(&pair.b));
            let common = a
                .indicators
                .iter()
                .filter(|i| b.indicators.iter().any(|j| j.code() == i.code()))
                .count();
            assert_eq!(pair.shared.len(), common, "{} {}", pair.a, pair.b);
        }
        let mut keys: Vec<_> = pairs.iter().map(|p| (&p.a, &p.b)).collect();
        keys.dedup();
        assert_eq!(keys.len(), pairs.len());
        assert!(!pairs.is_empty());
    }
}
