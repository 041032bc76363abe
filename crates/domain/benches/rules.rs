//! Benchmark: every validation rule of a 500-cell form, evaluated the way a draft save does
//! it, against a hand-written Rust baseline doing the same arithmetic over the same numbers.
//! Target (issue "Data quality"): under a millisecond per rule. Run with
//! `cargo bench -p baocao-domain --bench rules`.

use std::hint::black_box;
use std::time::Instant;

use baocao_domain::indicator::{Aggregation, Indicator, IndicatorCode, ValueType};
use baocao_domain::regime::{RegimeContent, Severity, ValidationRule};
use baocao_domain::report::{Cell, ReportContent};
use baocao_domain::rules::{RuleContext, RuleInputs, RuleSet};

const ROWS: usize = 250; // × 2 columns = 500 cells

fn code(i: usize) -> String {
    format!("R{i:03}")
}

fn regime(rules: Vec<ValidationRule>) -> RegimeContent {
    let mut content: RegimeContent = serde_json::from_value(serde_json::json!({
        "code": "BC-BENCH", "name": "Đo tốc độ", "kind": "periodic",
        "forms": [{"code": "Biểu 01", "title_vi": "Biểu lớn", "values": "own",
                   "columns": ["this_period", "year_to_date"],
                   "rows": (0..ROWS).map(|i| serde_json::json!({"indicator": code(i)})).collect::<Vec<_>>()}]
    }))
    .unwrap();
    content.rules = rules;
    content
}

fn rule(expression: String) -> ValidationRule {
    ValidationRule {
        expression,
        severity: Severity::Warning,
        message_vi: "Đo".into(),
        message_en: String::new(),
    }
}

fn main() {
    let indicators: Vec<Indicator> = (0..ROWS)
        .map(|i| {
            Indicator::new(
                IndicatorCode::new(code(i)).unwrap(),
                code(i),
                code(i),
                "đv".into(),
                "u".into(),
                ValueType::Decimal,
                Aggregation::Sum,
                None,
                vec![],
                String::new(),
                String::new(),
            )
            .unwrap()
        })
        .collect();
    // 50 rules: totals of ten parts, comparisons, year-to-date, history, functions.
    let mut rules = Vec::new();
    for t in 0..20 {
        let parts: Vec<String> = (1..=10)
            .map(|k| format!("[{}]", code(t * 11 + k)))
            .collect();
        rules.push(rule(format!("[{}] = {}", code(t * 11), parts.join(" + "))));
    }
    for k in 0..10 {
        rules.push(rule(format!("[{}] <= [{}] * 2", code(k), code(k + 100))));
        rules.push(rule(format!(
            "[{c}:year_to_date] >= [{c}]",
            c = code(k + 30)
        )));
    }
    for k in 0..5 {
        rules.push(rule(format!(
            "[{c}] >= 0.5 * prev([{c}])",
            c = code(k + 60)
        )));
        rules.push(rule(format!(
            "if(is_blank([{a}]), true, abs([{a}] - [{b}]) <= max([{a}], [{b}], 1))",
            a = code(k + 70),
            b = code(k + 80)
        )));
    }
    let content = regime(rules);
    let context = RuleContext {
        regime: &content,
        indicators: &indicators,
        categories: &[],
    };
    let set = RuleSet::compile(&context);
    assert!(set.broken.is_empty(), "{:?}", set.broken);
    let rule_count = set.rules.len();

    let mut report = ReportContent::default();
    for i in 0..ROWS {
        for (column, value) in [
            ("this_period", i as f64 + 1.0),
            ("year_to_date", 10.0 * (i as f64 + 1.0)),
        ] {
            let cell: Cell = serde_json::from_value(serde_json::json!({
                "form": "Biểu 01", "row": code(i), "column": column, "options": {}, "value": value.to_string()
            })).unwrap();
            report.values.push(cell);
        }
    }
    let mut inputs = RuleInputs::from_report(&report);
    for lookup in set.lookups() {
        if !lookup.is_in_report() {
            inputs.insert(lookup, 50.0);
        }
    }
    // The numbers the baseline reads, by (row, column) as the form is laid out.
    let numbers: Vec<[f64; 2]> = (0..ROWS)
        .map(|i| [i as f64 + 1.0, 10.0 * (i as f64 + 1.0)])
        .collect();

    let rounds = 2_000;
    let start = Instant::now();
    let mut broken = 0;
    for _ in 0..rounds {
        broken += black_box(set.check(black_box(&inputs))).len();
    }
    let engine = start.elapsed();

    let start = Instant::now();
    let mut baseline_broken = 0;
    for _ in 0..rounds {
        let n = black_box(&numbers);
        let mut count = 0;
        for t in 0..20 {
            let parts: f64 = (1..=10).map(|k| n[t * 11 + k][0]).sum();
            count += usize::from((n[t * 11][0] - parts).abs() > 1e-9);
        }
        for k in 0..10 {
            count += usize::from(n[k][0] > n[k + 100][0] * 2.0);
            count += usize::from(n[k + 30][1] < n[k + 30][0]);
        }
        for k in 0..5 {
            count += usize::from(n[k + 60][0] < 0.5 * 50.0);
            let (a, b) = (n[k + 70][0], n[k + 80][0]);
            count += usize::from((a - b).abs() > a.max(b).max(1.0));
        }
        baseline_broken += black_box(count);
    }
    let baseline = start.elapsed();
    assert_eq!(
        broken, baseline_broken,
        "the engine and the baseline must agree"
    );

    let per_rule = engine.as_secs_f64() / (rounds * rule_count) as f64;
    let per_rule_baseline = baseline.as_secs_f64() / (rounds * rule_count) as f64;
    println!(
        "rules benchmark: {rule_count} rules over a {}-cell form, {rounds} rounds",
        ROWS * 2
    );
    println!(
        "  engine:    {:>10.3} µs per rule ({:.3} ms per form)",
        per_rule * 1e6,
        per_rule * rule_count as f64 * 1e3
    );
    println!(
        "  baseline:  {:>10.3} µs per rule (hand-written Rust, same arithmetic)",
        per_rule_baseline * 1e6
    );
    println!(
        "  ratio engine/baseline: {:.1}×; target < 1000 µs per rule: {}",
        per_rule / per_rule_baseline.max(1e-12),
        if per_rule < 1e-3 { "met" } else { "NOT MET" }
    );
    println!("  violations per round: {}", broken / rounds);
}
