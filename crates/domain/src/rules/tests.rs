//! A known rule set on a known data set, and the parser under random input.

use super::*;
use crate::indicator::{
    Aggregation, Category, CategoryOption, Indicator, IndicatorCode, ValueType,
};
use crate::regime::{RegimeContent, Severity, ValidationRule};

fn regime(rules: &[(&str, Severity)]) -> RegimeContent {
    let mut content: RegimeContent = serde_json::from_value(serde_json::json!({
        "code": "BC-TEST-Q", "name": "Báo cáo thử", "kind": "periodic",
        "forms": [{"code": "Biểu 01", "title_vi": "Biểu thử", "values": "compiled_total",
                   "columns": ["this_period", "year_to_date"],
                   "rows": [{"indicator": "HC02"}, {"indicator": "HC03"}, {"indicator": "HC04"}, {"indicator": "CT01"}]}]
    }))
    .unwrap();
    content.rules = rules
        .iter()
        .map(|(expression, severity)| ValidationRule {
            expression: expression.to_string(),
            severity: *severity,
            message_vi: format!("Vi phạm: {expression}"),
            message_en: String::new(),
        })
        .collect();
    content
}

fn catalogue() -> (Vec<Indicator>, Vec<Category>) {
    let indicator = |code: &str, disaggregation: Vec<String>| {
        Indicator::new(
            IndicatorCode::new(code).unwrap(),
            code.into(),
            code.into(),
            "hồ sơ".into(),
            "files".into(),
            ValueType::Integer,
            Aggregation::Sum,
            None,
            disaggregation,
            String::new(),
            String::new(),
        )
        .unwrap()
    };
    let sex = Category::new(
        "sex".into(),
        "Giới tính".into(),
        "Sex".into(),
        ["male", "female"]
            .map(|c| CategoryOption {
                code: c.into(),
                name_vi: c.into(),
                name_en: c.into(),
            })
            .to_vec(),
    )
    .unwrap();
    (
        vec![
            indicator("HC02", vec![]),
            indicator("HC03", vec![]),
            indicator("HC04", vec![]),
            indicator("CT01", vec!["sex".into()]),
        ],
        vec![sex],
    )
}

fn cell(row: &str, column: &str, options: &[(&str, &str)], value: &str) -> crate::report::Cell {
    serde_json::from_value(serde_json::json!({
        "form": "Biểu 01", "row": row, "column": column,
        "options": options.iter().map(|(c, o)| (c.to_string(), o.to_string())).collect::<std::collections::BTreeMap<_, _>>(),
        "value": value,
    }))
    .unwrap()
}

fn check(
    rules: &[(&str, Severity)],
    content: &ReportContent,
    history: &[(Lookup, f64)],
) -> Vec<String> {
    let regime = regime(rules);
    let (indicators, categories) = catalogue();
    let context = RuleContext {
        regime: &regime,
        indicators: &indicators,
        categories: &categories,
    };
    let set = RuleSet::compile(&context);
    assert!(set.broken.is_empty(), "{:?}", set.broken);
    let mut inputs = RuleInputs::from_report(content);
    for (lookup, number) in history {
        inputs.insert(lookup.clone(), *number);
    }
    set.check(&inputs).into_iter().map(|v| v.rule).collect()
}

fn lookup(row: &str, periods_back: u16, years_back: u16, scope: Scope) -> Lookup {
    Lookup {
        cell: cell(row, "this_period", &[], "0").address,
        periods_back,
        years_back,
        scope,
    }
}

#[test]
fn a_known_rule_set_gives_exactly_the_expected_violations() {
    use Severity::{Error, Warning};
    let rules = [
        ("[HC03] + [HC04] <= [HC02]", Error), // R1: 8 + 5 > 10 → broken
        ("[HC03] <= [HC02]", Error),          // R2: holds
        ("[CT01.total] = [CT01.male] + [CT01.female]", Error), // R3: 30 ≠ 12 + 17 → broken
        ("[HC02:year_to_date] >= [HC02]", Warning), // R4: 40 >= 10 holds
        ("[HC02] >= 0.9 * prev([HC02], 1)", Warning), // R5: 10 < 0.9 × 20 → broken
        ("[HC02] <= 2 * same_period_last_year([HC02])", Warning), // R6: 10 <= 2 × 6 holds
        ("[HC02] = children_sum([HC02])", Warning), // R7: 10 ≠ 9 → broken
        ("if(is_blank([HC04]), true, [HC04] < 5)", Error), // R8: 5 < 5 fails → broken
        ("abs([HC03] - [HC04]) <= max([HC03], [HC04], 1)", Error), // R9: 3 <= 8 holds
        ("[HC02] / 0 > 1", Error),            // R10: blank → does not apply
        ("not ([HC02] > 100) and sum([HC03], [HC04]) = 13", Error), // R11: holds
    ];
    let content = ReportContent {
        values: vec![
            cell("HC02", "this_period", &[], "10"),
            cell("HC02", "year_to_date", &[], "40"),
            cell("HC03", "this_period", &[], "8"),
            cell("HC04", "this_period", &[], "5"),
            cell("CT01", "this_period", &[], "30"),
            cell("CT01", "this_period", &[("sex", "male")], "12"),
            cell("CT01", "this_period", &[("sex", "female")], "17"),
        ],
        sections: vec![],
    };
    let history = [
        (lookup("HC02", 1, 0, Scope::Own), 20.0),
        (lookup("HC02", 0, 1, Scope::Own), 6.0),
        (lookup("HC02", 0, 0, Scope::Children), 9.0),
    ];
    assert_eq!(
        check(&rules, &content, &history),
        ["R1", "R3", "R5", "R7", "R8"]
    );
}

#[test]
fn blanks_do_not_fire_rules_on_an_empty_report_but_an_empty_total_counts() {
    let rules = [("[HC03] + [HC04] <= [HC02]", Severity::Error)];
    assert!(check(&rules, &ReportContent::default(), &[]).is_empty());
    let parts_only = ReportContent {
        values: vec![cell("HC03", "this_period", &[], "3")],
        sections: vec![],
    };
    assert_eq!(check(&rules, &parts_only, &[]), ["R1"]);
    // No history: a comparison with last year's blank figure does not apply.
    let growth = [
        ("[HC02] >= 0.9 * prev([HC02])", Severity::Warning),
        (
            "[HC02] <= 3 * same_period_last_year([HC02])",
            Severity::Warning,
        ),
        ("[HC02] = children_sum([HC02])", Severity::Warning),
    ];
    let filled = ReportContent {
        values: vec![cell("HC02", "this_period", &[], "1")],
        sections: vec![],
    };
    assert!(check(&growth, &filled, &[]).is_empty());
}

#[test]
fn equality_allows_for_rounding() {
    let rules = [("[HC02] = [HC03] + [HC04]", Severity::Error)];
    let content = ReportContent {
        values: vec![
            cell("HC02", "this_period", &[], "0.3"),
            cell("HC03", "this_period", &[], "0.1"),
            cell("HC04", "this_period", &[], "0.2"),
        ],
        sections: vec![],
    };
    assert!(check(&rules, &content, &[]).is_empty());
}

#[test]
fn meaningless_rules_are_refused_with_the_position_of_the_fault() {
    let regime = regime(&[]);
    let (indicators, categories) = catalogue();
    let context = RuleContext {
        regime: &regime,
        indicators: &indicators,
        categories: &categories,
    };
    let fault = |text: &str| match compile_condition(text, &context) {
        Err(RuleError::Invalid { position, .. }) => position,
        other => panic!("{text:?}: {other:?}"),
    };
    assert_eq!(fault("[HC02] <= [XX99]"), 10);
    assert_eq!(fault("[HC02] <= [CT01.urban]"), 10);
    assert_eq!(fault("[HC02] <= [HC02:plan]"), 10);
    assert_eq!(fault("[HC02] <= median([HC03])"), 10);
    assert_eq!(fault("[HC02] <= prev([HC02:year_to_date])"), 15);
    assert_eq!(fault("[HC02] <= prev([HC02], 0.5)"), 23);
    assert_eq!(fault("[HC02] and true"), 0);
    assert_eq!(fault("[HC02] + [HC03]"), 0);
    assert_eq!(fault("abs([HC02], [HC03]) > 0"), 0);
    assert!(compile_formula("100 * [HC03] / [HC02]", &context).is_ok());
}

#[test]
fn errors_block_and_warnings_need_explanations() {
    let violation = |rule: &str, severity| Violation {
        rule: rule.into(),
        severity,
        expression: String::new(),
        message: String::new(),
        message_en: String::new(),
        cells: vec![],
    };
    let explain = |rule: &str, text: &str| Explanation {
        rule: rule.into(),
        text: text.into(),
    };
    let warnings = [
        violation("R1", Severity::Warning),
        violation("R2", Severity::Warning),
    ];
    assert_eq!(
        blocker(&warnings, &[explain("R1", "Mùa lễ hội")]),
        Some(Blocker::UnexplainedWarnings)
    );
    assert_eq!(
        blocker(&warnings, &[explain("R1", "Lễ hội"), explain("R2", "  ")]),
        Some(Blocker::UnexplainedWarnings)
    );
    assert_eq!(
        blocker(&warnings, &[explain("R1", "Lễ hội"), explain("R2", "Bão")]),
        None
    );
    let mixed = [
        violation("R1", Severity::Error),
        violation("R2", Severity::Warning),
    ];
    assert_eq!(
        blocker(&mixed, &[explain("R1", "x"), explain("R2", "y")]),
        Some(Blocker::Errors)
    );
    assert_eq!(blocker(&[], &[]), None);
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    /// Pieces of the language, so that random input gets deep into the grammar rather than
    /// failing on its first character.
    fn token() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("[HC02]".to_string()),
            Just("[CT01.male]".to_string()),
            Just("[HC02:year_to_date]".to_string()),
            Just("[".to_string()),
            Just("]".to_string()),
            Just("(".to_string()),
            Just(")".to_string()),
            Just(",".to_string()),
            Just("+".to_string()),
            Just("-".to_string()),
            Just("*".to_string()),
            Just("/".to_string()),
            Just("<=".to_string()),
            Just("=".to_string()),
            Just("!".to_string()),
            Just(" and ".to_string()),
            Just(" or ".to_string()),
            Just("not ".to_string()),
            Just("sum(".to_string()),
            Just("prev(".to_string()),
            Just("if(".to_string()),
            Just("children_sum(".to_string()),
            Just("is_blank(".to_string()),
            Just("0.9".to_string()),
            Just("12".to_string()),
            Just("true".to_string()),
            Just(" ".to_string()),
            "\\PC{0,3}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 20_000, ..ProptestConfig::default() })]

        #[test]
        fn no_input_panics_and_errors_point_inside_the_text(tokens in proptest::collection::vec(token(), 0..24)) {
            let text: String = tokens.concat();
            let regime = regime(&[]);
            let (indicators, categories) = catalogue();
            let context = RuleContext { regime: &regime, indicators: &indicators, categories: &categories };
            match compile_condition(&text, &context) {
                Ok(expr) => { evaluate(&expr, &RuleInputs::default()); }
                Err(error) => prop_assert!(error.position() <= text.chars().count()),
            }
        }

        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,80}") {
            if let Err(error) = parse(&text) {
                prop_assert!(error.position() <= text.chars().count());
            }
        }
    }
}

#[test]
fn required_rows_must_be_filled() {
    let mut content = regime(&[]);
    content.forms[0].rows[0].cells.required = true;
    let empty = ReportContent::default();
    let missing = missing_required(&content, &empty);
    assert_eq!(
        missing.iter().map(|v| v.rule.as_str()).collect::<Vec<_>>(),
        ["REQ:HC02"]
    );
    assert_eq!(missing[0].severity, Severity::Error);
    let filled = ReportContent {
        values: vec![cell("HC02", "this_period", &[], "4")],
        sections: vec![],
    };
    assert!(missing_required(&content, &filled).is_empty());
    // Another column does not count.
    let other = ReportContent {
        values: vec![cell("HC02", "year_to_date", &[], "4")],
        sections: vec![],
    };
    assert_eq!(missing_required(&content, &other).len(), 1);
}

/// A regime split by funding mechanism checks each rule within each mechanism the report
/// has: a violation in one names that mechanism's cells, and a mechanism that holds is silent.
#[test]
fn rules_hold_within_each_attribute_combination() {
    let mut regime = regime(&[
        ("[HC03] <= [HC02]", Severity::Error),
        (
            "[CT01.total] = [CT01.male] + [CT01.female]",
            Severity::Error,
        ),
    ]);
    regime.attribute_categories = vec!["mechanism".into()];
    regime.forms[0].rows[0].cells.required = true;
    let (indicators, categories) = catalogue();
    let set = RuleSet::compile(&RuleContext {
        regime: &regime,
        indicators: &indicators,
        categories: &categories,
    });
    assert!(set.broken.is_empty(), "{:?}", set.broken);
    let content = ReportContent {
        values: vec![
            cell("HC02", "this_period", &[("mechanism", "a")], "10"),
            cell("HC03", "this_period", &[("mechanism", "a")], "8"),
            cell("HC03", "this_period", &[("mechanism", "b")], "4"),
            cell("CT01", "this_period", &[("mechanism", "b")], "5"),
            cell(
                "CT01",
                "this_period",
                &[("mechanism", "b"), ("sex", "male")],
                "2",
            ),
            cell(
                "CT01",
                "this_period",
                &[("mechanism", "b"), ("sex", "female")],
                "3",
            ),
        ],
        sections: vec![],
    };
    let combinations = content.attribute_combinations(&regime);
    assert_eq!(
        combinations
            .iter()
            .map(OptionCombo::key)
            .collect::<Vec<_>>(),
        ["mechanism=a", "mechanism=b"]
    );
    // Within `a`, 8 <= 10 holds; within `b` the blank HC02 counts as 0 beside its HC03.
    let found = set.check_within(&combinations, &RuleInputs::from_report(&content));
    let named: Vec<(String, Vec<String>)> = found
        .iter()
        .map(|v| {
            let cells = v
                .cells
                .iter()
                .map(|c| format!("{}[{}]", c.row, c.options.key()));
            (v.rule.clone(), cells.collect())
        })
        .collect();
    assert_eq!(
        named,
        [(
            "R1".to_string(),
            vec![
                "HC02[mechanism=b]".to_string(),
                "HC03[mechanism=b]".to_string()
            ]
        )]
    );
    // HC02 is required: filled within `a`, empty within `b`.
    let missing = missing_required(&regime, &content);
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0].cells[0].options.key(), "mechanism=b");
}
