//! The aggregation engine against a brute-force recomputation on random data, for every
//! aggregation rule, across a province merger, with the hierarchy of today and of 2024.

use std::collections::BTreeMap;

use baocao_domain::agency::{AgencyCode, AgencyKind};
use baocao_domain::aggregation::{
    AgencyGraph, AgencyKey, Gathered, GraphAgency, Observation, Question, aggregate,
    aggregate_every_node, total_differences,
};
use baocao_domain::indicator::Aggregation;
use baocao_domain::period::PeriodId;
use baocao_domain::value::OptionCombo;
use jiff::civil::{Date, date};
use proptest::prelude::*;

const MERGER: Date = date(2025, 7, 1);
const VN: AgencyKey = 1;
// Provinces A and B merge into C on 1 July 2025; D stays. Communes a1, a2 → c1; b1 → c2.
const A: AgencyKey = 2;
const B: AgencyKey = 3;
const C: AgencyKey = 4;
const D: AgencyKey = 5;
const A1: AgencyKey = 10;
const A2: AgencyKey = 11;
const B1: AgencyKey = 12;
const C1: AgencyKey = 13;
const C2: AgencyKey = 14;
const D1: AgencyKey = 15;
const D2: AgencyKey = 16;

fn before(key: AgencyKey) -> bool {
    [A, B, A1, A2, B1].contains(&key)
}
fn after(key: AgencyKey) -> bool {
    [C, C1, C2].contains(&key)
}
fn valid(key: AgencyKey, on: Date) -> bool {
    if before(key) {
        on < MERGER
    } else if after(key) {
        on >= MERGER
    } else {
        true
    }
}

fn parent(key: AgencyKey) -> Option<AgencyKey> {
    match key {
        A | B | C | D => Some(VN),
        A1 | A2 => Some(A),
        B1 => Some(B),
        C1 | C2 => Some(C),
        D1 | D2 => Some(D),
        _ => None,
    }
}

fn graph(on: Date) -> AgencyGraph {
    let agencies = [VN, A, B, C, D, A1, A2, B1, C1, C2, D1, D2]
        .into_iter()
        .map(|key| GraphAgency {
            key,
            code: AgencyCode::new(format!("X{key}")).unwrap(),
            as_of: valid(key, on).then(|| {
                let kind = match key {
                    VN => AgencyKind::Government,
                    A | B | C | D => AgencyKind::Province,
                    _ => AgencyKind::Commune,
                };
                (kind, parent(key))
            }),
        })
        .collect();
    AgencyGraph::new(
        on,
        agencies,
        &[(A, C), (B, C), (A1, C1), (A2, C1), (B1, C2)],
    )
}

/// Who answers for whose data, written out by hand for each hierarchy.
fn members(node: AgencyKey, on: Date) -> Vec<AgencyKey> {
    if on >= MERGER {
        match node {
            C => vec![A, B, C],
            C1 => vec![A1, A2, C1],
            C2 => vec![B1, C2],
            other => vec![other],
        }
    } else {
        vec![node]
    }
}
fn nodes_below(node: AgencyKey, on: Date) -> Vec<AgencyKey> {
    [A, B, C, D, A1, A2, B1, C1, C2, D1, D2]
        .into_iter()
        .filter(|k| valid(*k, on) && parent(*k) == Some(node))
        .collect()
}

fn inside(o: &Observation, period: PeriodId) -> bool {
    o.period.start() >= period.start() && o.period.end() <= period.end()
}

/// The values a node's answer is made of: its own if it has any in the period, else its
/// children's; each list is one node's values with their periods.
fn leaves(
    node: AgencyKey,
    on: Date,
    period: PeriodId,
    data: &[Observation],
) -> Vec<Vec<(PeriodId, f64)>> {
    let own: Vec<(PeriodId, f64)> = data
        .iter()
        .filter(|o| members(node, on).contains(&o.agency) && inside(o, period))
        .map(|o| (o.period, o.value))
        .collect();
    if !own.is_empty() {
        return vec![own];
    }
    nodes_below(node, on)
        .into_iter()
        .flat_map(|child| leaves(child, on, period, data))
        .collect()
}

fn brute(
    rule: Aggregation,
    node: AgencyKey,
    on: Date,
    period: PeriodId,
    data: &[Observation],
) -> Option<f64> {
    let groups = leaves(node, on, period, data);
    let all: Vec<f64> = groups.iter().flatten().map(|(_, v)| *v).collect();
    if all.is_empty() && rule != Aggregation::None {
        return None;
    }
    match rule {
        Aggregation::Sum => Some(all.iter().sum()),
        Aggregation::Average => Some(all.iter().sum::<f64>() / all.len() as f64),
        Aggregation::Min => all.iter().copied().reduce(f64::min),
        Aggregation::Max => all.iter().copied().reduce(f64::max),
        Aggregation::Last => Some(
            groups
                .iter()
                .map(|g| {
                    let latest = g.iter().map(|(p, _)| p.end()).max().unwrap();
                    g.iter()
                        .filter(|(p, _)| p.end() == latest)
                        .map(|(_, v)| v)
                        .sum::<f64>()
                })
                .sum(),
        ),
        Aggregation::None => {
            let own: Vec<f64> = data
                .iter()
                .filter(|o| o.agency == node && o.period == period)
                .map(|o| o.value)
                .collect();
            (!own.is_empty()).then(|| own.iter().sum())
        }
    }
}

fn months() -> Vec<PeriodId> {
    let mut period = PeriodId::parse("202401").unwrap();
    let mut all = Vec::new();
    while period.year() < 2026 {
        all.push(period);
        period = period.next();
    }
    all
}

/// Random monthly data: communes (and now and then a province's compiled total) report in
/// the months they exist.
fn observations() -> impl Strategy<Value = Vec<Observation>> {
    let reporters = [A, B, C, D, A1, A2, B1, C1, C2, D1, D2];
    proptest::collection::vec((0..reporters.len(), 0..24usize, 0u32..1000, 0..10u8), 0..80)
        .prop_map(move |rows| {
            let months = months();
            let mut seen = std::collections::HashSet::new();
            rows.into_iter()
                .filter_map(|(who, month, value, source)| {
                    let agency = reporters[who];
                    let period = months[month];
                    // Provinces report only rarely (compiled totals); nobody reports twice.
                    let province = [A, B, C, D].contains(&agency);
                    if !valid(agency, period.end())
                        || (province && value % 4 != 0)
                        || !seen.insert((agency, period))
                    {
                        return None;
                    }
                    Some(Observation {
                        agency,
                        period,
                        options: OptionCombo::TOTAL,
                        source: if source < 8 {
                            "regime:BC-X".into()
                        } else {
                            "import:y".into()
                        },
                        value: f64::from(value),
                        authoritative: false,
                    })
                })
                .collect()
        })
}

fn rules() -> impl Strategy<Value = Aggregation> {
    prop_oneof![
        Just(Aggregation::Sum),
        Just(Aggregation::Average),
        Just(Aggregation::Min),
        Just(Aggregation::Max),
        Just(Aggregation::Last),
        Just(Aggregation::None),
    ]
}

fn periods() -> impl Strategy<Value = PeriodId> {
    prop_oneof![
        Just("2024"),
        Just("2025"),
        Just("2024Q2"),
        Just("2025Q2"),
        Just("2025Q3"),
        Just("2025S1"),
        Just("2025S2"),
        Just("202507"),
        Just("202406"),
        Just("2025N9"),
    ]
    .prop_map(|text| PeriodId::parse(text).unwrap())
}

fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * a.abs().max(1.0),
        (None, None) => true,
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn aggregates_equal_a_brute_force_recomputation(
        data in observations(), rule in rules(), period in periods(), today in any::<bool>(),
    ) {
        let on = if today { date(2026, 11, 26) } else { date(2024, 12, 31) };
        let graph = graph(on);
        let gathered = Gathered::new(&graph, &data);
        let question = Question { aggregation: rule, period, disaggregate: &[] };
        // The cached form: every node at once.
        let every = aggregate_every_node(&graph, &gathered, &question);
        for node in [VN, A, B, C, D, A1, C1, C2, D1] {
            if !valid(node, on) {
                continue;
            }
            let got = aggregate(&graph, &gathered, node, &question).remove(&OptionCombo::TOTAL);
            let want = brute(rule, node, on, period, &data);
            prop_assert!(close(got, want), "{rule} {period} node {node} as of {on}: got {got:?}, want {want:?}");
            let at_once = every.get(&node).and_then(|v| v.get(&OptionCombo::TOTAL)).copied();
            prop_assert!(close(at_once, want), "every node at once: {rule} {period} node {node} as of {on}: got {at_once:?}, want {want:?}");
        }
    }
}

fn value(
    agency: AgencyKey,
    period: &str,
    options: &[(&str, &str)],
    source: &str,
    value: f64,
) -> Observation {
    Observation {
        agency,
        period: PeriodId::parse(period).unwrap(),
        options: OptionCombo::from_stored(
            options
                .iter()
                .map(|(c, o)| (c.to_string(), o.to_string()))
                .collect(),
        ),
        source: source.into(),
        value,
        authoritative: false,
    }
}

#[test]
fn totals_and_parts_are_never_added_together() {
    let graph = graph(date(2026, 11, 26));
    let data = [
        value(D1, "202601", &[], "regime:R", 10.0),
        value(D1, "202601", &[("sex", "male")], "regime:R", 4.0),
        value(D1, "202601", &[("sex", "female")], "regime:R", 6.0),
        value(D2, "202601", &[("sex", "male")], "regime:R", 1.0),
        value(D2, "202601", &[("sex", "female")], "regime:R", 2.0),
    ];
    let gathered = Gathered::new(&graph, &data);
    let total = Question {
        aggregation: Aggregation::Sum,
        period: PeriodId::parse("2026Q1").unwrap(),
        disaggregate: &[],
    };
    assert_eq!(
        aggregate(&graph, &gathered, D, &total).get(&OptionCombo::TOTAL),
        Some(&13.0)
    );
    let sex = ["sex".to_string()];
    let by_sex = Question {
        disaggregate: &sex,
        ..total
    };
    let split: BTreeMap<String, f64> = aggregate(&graph, &gathered, D, &by_sex)
        .into_iter()
        .map(|(k, v)| (k.key(), v))
        .collect();
    assert_eq!(
        split,
        BTreeMap::from([
            ("sex=female".to_string(), 8.0),
            ("sex=male".to_string(), 5.0)
        ])
    );
}

/// One funding mechanism reported whole, another only by channel, a third whole and by
/// channel: each counts once, and a part is never added to a total that covers it.
#[test]
fn parts_split_differently_each_count_once() {
    let graph = graph(date(2026, 11, 26));
    let data = [
        value(D1, "2026Q3", &[("mechanism", "pepfar")], "regime:R", 10.0),
        value(
            D1,
            "2026Q3",
            &[("mechanism", "mcd"), ("channel", "online")],
            "regime:R",
            20.0,
        ),
        value(
            D1,
            "2026Q3",
            &[("mechanism", "mcd"), ("channel", "direct")],
            "regime:R",
            30.0,
        ),
        value(D1, "2026Q3", &[("mechanism", "gov")], "regime:R", 7.0),
        value(
            D1,
            "2026Q3",
            &[("mechanism", "gov"), ("channel", "online")],
            "regime:R",
            3.0,
        ),
    ];
    let gathered = Gathered::new(&graph, &data);
    let total = Question {
        aggregation: Aggregation::Sum,
        period: PeriodId::parse("2026Q3").unwrap(),
        disaggregate: &[],
    };
    assert_eq!(
        aggregate(&graph, &gathered, D1, &total).get(&OptionCombo::TOTAL),
        Some(&67.0)
    );
    let channel = ["channel".to_string()];
    let by_channel = Question {
        disaggregate: &channel,
        ..total.clone()
    };
    let split: BTreeMap<String, f64> = aggregate(&graph, &gathered, D1, &by_channel)
        .into_iter()
        .map(|(k, v)| (k.key(), v))
        .collect();
    assert_eq!(
        split,
        BTreeMap::from([
            ("channel=direct".to_string(), 30.0),
            ("channel=online".to_string(), 23.0)
        ])
    );
    let mechanism = ["mechanism".to_string()];
    let by_mechanism = Question {
        disaggregate: &mechanism,
        ..total
    };
    let split: BTreeMap<String, f64> = aggregate(&graph, &gathered, D1, &by_mechanism)
        .into_iter()
        .map(|(k, v)| (k.key(), v))
        .collect();
    assert_eq!(
        split,
        BTreeMap::from([
            ("mechanism=gov".to_string(), 7.0),
            ("mechanism=mcd".to_string(), 50.0),
            ("mechanism=pepfar".to_string(), 10.0)
        ])
    );
}

#[test]
fn a_report_wins_over_another_source_and_frequencies_do_not_add_up() {
    let graph = graph(date(2026, 11, 26));
    let data = [
        value(D1, "202601", &[], "import:feed", 99.0),
        value(D1, "202601", &[], "regime:R", 10.0),
        value(D1, "202602", &[], "regime:R", 20.0),
        value(D2, "202601", &[], "regime:R", 1.0),
        value(D2, "2026Q1", &[], "regime:Q", 5.0),
    ];
    let gathered = Gathered::new(&graph, &data);
    let question = Question {
        aggregation: Aggregation::Sum,
        period: PeriodId::parse("2026Q1").unwrap(),
        disaggregate: &[],
    };
    assert_eq!(
        aggregate(&graph, &gathered, D1, &question).get(&OptionCombo::TOTAL),
        Some(&30.0)
    );
    assert_eq!(
        aggregate(&graph, &gathered, D2, &question).get(&OptionCombo::TOTAL),
        Some(&5.0)
    );
    assert_eq!(
        aggregate(&graph, &gathered, D, &question).get(&OptionCombo::TOTAL),
        Some(&35.0)
    );
}

#[test]
fn a_source_marked_authoritative_wins() {
    let graph = graph(date(2026, 11, 26));
    let mut feed = value(D1, "202601", &[], "import:feed", 99.0);
    feed.authoritative = true;
    let data = [value(D1, "202601", &[], "regime:R", 10.0), feed];
    let gathered = Gathered::new(&graph, &data);
    let question = Question {
        aggregation: Aggregation::Sum,
        period: PeriodId::parse("202601").unwrap(),
        disaggregate: &[],
    };
    assert_eq!(
        aggregate(&graph, &gathered, D, &question).get(&OptionCombo::TOTAL),
        Some(&99.0)
    );
}

#[test]
fn a_compiled_total_that_differs_from_its_subordinates_is_a_discrepancy() {
    let graph = graph(date(2026, 11, 26));
    let data = vec![
        value(VN, "202605", &[], "regime:A", 1000.0),
        // C's compiled total agrees with its communes; D's does not.
        value(C, "202605", &[], "regime:A", 100.0),
        value(C1, "202605", &[], "regime:A", 60.0),
        value(C2, "202605", &[], "regime:A", 40.0),
        value(D, "202605", &[], "regime:A", 20.0),
        value(D1, "202605", &[], "regime:A", 10.0),
        value(D2, "202605", &[], "regime:A", 5.0),
    ];
    let gathered = Gathered::new(&graph, &data);
    let question = Question {
        aggregation: Aggregation::Sum,
        period: PeriodId::parse("202605").unwrap(),
        disaggregate: &[],
    };
    let found: Vec<(AgencyKey, f64, f64)> = total_differences(&graph, &gathered, &question)
        .into_iter()
        .map(|d| (d.agency, d.reported, d.subordinates))
        .collect();
    assert_eq!(found, [(D, 20.0, 15.0), (VN, 1000.0, 120.0)]);
    // The compiled totals are what the aggregates answer.
    let national = aggregate(&graph, &gathered, VN, &question);
    assert_eq!(national.get(&OptionCombo::TOTAL), Some(&1000.0));
    let never = Question {
        aggregation: Aggregation::None,
        ..question
    };
    assert!(total_differences(&graph, &gathered, &never).is_empty());
}

#[test]
fn a_split_agency_has_no_single_heir() {
    let on = date(2026, 11, 26);
    let agencies = [
        (1, None, true),
        (2, Some(1), false),
        (3, Some(1), true),
        (4, Some(1), true),
    ]
    .into_iter()
    .map(|(key, parent, valid)| GraphAgency {
        key,
        code: AgencyCode::new(format!("S{key}")).unwrap(),
        as_of: valid.then_some((AgencyKind::Province, parent)),
    })
    .collect();
    let graph = AgencyGraph::new(on, agencies, &[(2, 3), (2, 4)]);
    assert_eq!(graph.representative(2), None);
    assert_eq!(graph.representative(3), Some(3));
}

#[test]
fn a_lineage_follows_the_hierarchy_of_the_graphs_date() {
    let before_merger = graph(date(2025, 1, 1));
    assert_eq!(before_merger.lineage(A1), vec![A1, A, VN]);
    assert_eq!(before_merger.lineage(C1), Vec::<AgencyKey>::new());
    let after_merger = graph(date(2025, 12, 1));
    assert_eq!(after_merger.lineage(C2), vec![C2, C, VN]);
    assert_eq!(after_merger.lineage(A1), Vec::<AgencyKey>::new());
    assert_eq!(after_merger.lineage(VN), vec![VN]);
}

/// An agency carries its predecessors' data after a merger, and only its own before.
#[test]
fn an_agency_represents_itself_and_its_predecessors() {
    for on in [
        MERGER.checked_sub(jiff::Span::new().days(1)).unwrap(),
        MERGER,
    ] {
        let graph = graph(on);
        for node in [A, C, C1, C2, D1] {
            if !valid(node, on) {
                continue;
            }
            let mut expected = members(node, on);
            expected.sort_unstable();
            assert_eq!(graph.represented_by(node), expected, "{node} on {on}");
        }
    }
}
