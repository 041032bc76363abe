//! Roll-ups against the engine over every value: on random histories — a province merger,
//! a province with a district level, compiled totals, two sources of one cell, a source
//! marked authoritative, monthly and quarterly reports, totals beside their parts — the
//! answers computed from the collectors' sums (and the values they cannot stand for) are the
//! answers computed from every value, for every rule, period, disaggregation and edition.

use std::collections::BTreeMap;

use baocao_domain::agency::{AgencyCode, AgencyKind};
use baocao_domain::aggregation::{
    AgencyGraph, AgencyKey, Gathered, GraphAgency, Observation, Question, aggregate_every_node,
    aggregate_nodes_above,
};
use baocao_domain::indicator::Aggregation;
use baocao_domain::period::PeriodId;
use baocao_domain::rollup::{CellSum, RollupCell, answered, roll_up, roll_up_sums, stand_ins};
use baocao_domain::value::OptionCombo;
use jiff::civil::{Date, date};
use proptest::prelude::*;

const MERGER: Date = date(2025, 7, 1);
const VN: AgencyKey = 1;
// Provinces A and B merge into C on 1 July 2025; D stays; E has a district E1 beside a
// commune E2 of its own. Communes a1, a2 → c1; b1 → c2.
const A: AgencyKey = 2;
const B: AgencyKey = 3;
const C: AgencyKey = 4;
const D: AgencyKey = 5;
const E: AgencyKey = 6;
const E1: AgencyKey = 7;
const A1: AgencyKey = 10;
const A2: AgencyKey = 11;
const B1: AgencyKey = 12;
const C1: AgencyKey = 13;
const C2: AgencyKey = 14;
const D1: AgencyKey = 15;
const D2: AgencyKey = 16;
const E1A: AgencyKey = 17;
const E1B: AgencyKey = 18;
const E2: AgencyKey = 19;
const ALL: [AgencyKey; 17] = [
    VN, A, B, C, D, E, E1, A1, A2, B1, C1, C2, D1, D2, E1A, E1B, E2,
];

fn valid(key: AgencyKey, on: Date) -> bool {
    if [A, B, A1, A2, B1].contains(&key) {
        on < MERGER
    } else if [C, C1, C2].contains(&key) {
        on >= MERGER
    } else {
        true
    }
}

fn parent(key: AgencyKey) -> Option<AgencyKey> {
    match key {
        A | B | C | D | E => Some(VN),
        A1 | A2 => Some(A),
        B1 => Some(B),
        C1 | C2 => Some(C),
        D1 | D2 => Some(D),
        E1 | E2 => Some(E),
        E1A | E1B => Some(E1),
        _ => None,
    }
}

fn graph(on: Date) -> AgencyGraph {
    let agencies = ALL
        .into_iter()
        .map(|key| GraphAgency {
            key,
            code: AgencyCode::new(format!("X{key}")).unwrap(),
            as_of: valid(key, on).then(|| {
                let kind = match key {
                    VN => AgencyKind::Government,
                    A | B | C | D | E => AgencyKind::Province,
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

fn combo(pairs: &[(&str, &str)]) -> OptionCombo {
    OptionCombo::from_stored(
        pairs
            .iter()
            .map(|(c, o)| (c.to_string(), o.to_string()))
            .collect(),
    )
}

fn combos() -> Vec<OptionCombo> {
    vec![
        combo(&[("sex", "male")]),
        combo(&[("sex", "female")]),
        combo(&[("sex", "male"), ("area", "urban")]),
        combo(&[("sex", "female"), ("area", "rural")]),
        OptionCombo::TOTAL,
    ]
}

fn periods_reported() -> Vec<PeriodId> {
    let mut all = Vec::new();
    let mut month = PeriodId::parse("202401").unwrap();
    while month.year() < 2026 {
        all.push(month);
        month = month.next();
    }
    for quarter in ["2024Q2", "2025Q2", "2025Q3"] {
        all.push(PeriodId::parse(quarter).unwrap());
    }
    all
}

/// Random values, mostly of communes, mostly one source, mostly monthly and split by sex —
/// so that roll-ups stand in often — with every irregularity now and then.
fn observations() -> impl Strategy<Value = Vec<Observation>> {
    let communes = [A1, A2, B1, C1, C2, D1, D2, E1A, E1B, E2];
    let others = [A, B, C, D, E, E1, VN];
    proptest::collection::vec(
        (
            0..100u8,
            0..communes.len(),
            0..others.len(),
            0..27usize,
            0..100u8,
            0u32..1000,
            0..10u8,
        ),
        0..90,
    )
    .prop_map(move |rows| {
        let periods = periods_reported();
        let options = combos();
        let mut seen = std::collections::HashSet::new();
        rows.into_iter()
            .filter_map(|(who, commune, other, period, split, value, source)| {
                let agency = if who < 90 {
                    communes[commune]
                } else {
                    others[other]
                };
                // Quarters now and then; otherwise one month.
                let period = if period >= 24 && who % 3 != 0 {
                    periods[period % 24]
                } else {
                    periods[period]
                };
                let options = match split {
                    0..45 => options[0].clone(),
                    45..90 => options[1].clone(),
                    90..94 => options[2].clone(),
                    94..97 => options[3].clone(),
                    _ => options[4].clone(),
                };
                let source = if source < 9 {
                    "regime:BC-X"
                } else {
                    "import:y"
                };
                if !valid(agency, period.end())
                    || !seen.insert((agency, period, options.clone(), source))
                {
                    return None;
                }
                Some(Observation {
                    agency,
                    period,
                    options,
                    source: source.into(),
                    value: f64::from(value),
                    authoritative: value % 17 == 0,
                })
            })
            .collect()
    })
}

fn rules() -> impl Strategy<Value = Aggregation> {
    prop_oneof![
        6 => Just(Aggregation::Sum),
        1 => Just(Aggregation::Average),
        1 => Just(Aggregation::Max),
        1 => Just(Aggregation::Last),
        1 => Just(Aggregation::None),
    ]
}

fn periods_asked() -> impl Strategy<Value = PeriodId> {
    prop_oneof![
        Just("2024"),
        Just("2025"),
        Just("2024Q2"),
        Just("2025Q2"),
        Just("2025Q3"),
        Just("2025S2"),
        Just("202507"),
        Just("202406"),
        Just("2025N9"),
    ]
    .prop_map(|text| PeriodId::parse(text).unwrap())
}

/// The roll-ups as the store keeps them: one period's values at a time, each cell's sources
/// added up first (the database's `GROUP BY`).
fn rolled_up_by_period(graph: &AgencyGraph, data: &[Observation]) -> Vec<RollupCell> {
    type Cells = BTreeMap<(AgencyKey, OptionCombo), (f64, u32)>;
    let mut by_period: BTreeMap<PeriodId, Cells> = BTreeMap::new();
    for o in data {
        let cell = by_period
            .entry(o.period)
            .or_default()
            .entry((o.agency, o.options.clone()))
            .or_default();
        cell.0 += o.value;
        cell.1 += 1;
    }
    by_period
        .into_iter()
        .flat_map(|(period, cells)| {
            roll_up_sums(
                graph,
                cells
                    .into_iter()
                    .map(|((agency, options), (total, values))| CellSum {
                        agency,
                        period,
                        options,
                        total,
                        values,
                    }),
            )
        })
        .collect()
}

fn same(a: &BTreeMap<OptionCombo, f64>, b: &BTreeMap<OptionCombo, f64>) -> bool {
    a.len() == b.len()
        && a.iter().all(|(options, x)| {
            b.get(options)
                .is_some_and(|y| (x - y).abs() <= 1e-9 * x.abs().max(1.0))
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn roll_ups_answer_what_every_value_answers(
        data in observations(), rule in rules(), period in periods_asked(),
        today in any::<bool>(), by_sex in any::<bool>(),
    ) {
        let on = if today { date(2026, 11, 26) } else { date(2024, 12, 31) };
        let graph = graph(on);
        let categories = if by_sex { vec!["sex".to_string()] } else { Vec::new() };
        let question = Question { aggregation: rule, period, disaggregate: &categories };
        let every = aggregate_every_node(&graph, &Gathered::new(&graph, &data), &question);

        let cells = rolled_up_by_period(&graph, &data);
        let plan = stand_ins(&graph, &cells, rule, period);
        let mut input = plan.observations.clone();
        input.extend(data.iter().filter(|o| plan.read.contains(&o.agency)).cloned());
        let from_roll_ups =
            aggregate_nodes_above(&graph, &Gathered::new(&graph, &input), &question, &plan.collectors);

        let none = BTreeMap::new();
        for node in ALL {
            if !valid(node, on) || !answered(&graph, &plan.collectors, node) {
                continue;
            }
            let want = every.get(&node).unwrap_or(&none);
            let got = from_roll_ups.get(&node).unwrap_or(&none);
            prop_assert!(
                same(got, want),
                "{rule} {period} by sex {by_sex} node {node} as of {on}: got {got:?}, want {want:?} (stand-ins {:?})",
                plan.collectors
            );
        }
    }
}

#[test]
fn collectors_stand_in_where_their_communes_report_plainly() {
    let on = date(2026, 11, 26);
    let graph = graph(on);
    let value = |agency, month: &str, sex: &str, source: &str, value| Observation {
        agency,
        period: PeriodId::parse(month).unwrap(),
        options: combo(&[("sex", sex)]),
        source: source.into(),
        value,
        authoritative: false,
    };
    let data = vec![
        value(D1, "202508", "male", "regime:BC-X", 1.0),
        value(D2, "202508", "female", "regime:BC-X", 2.0),
        value(D2, "202509", "female", "regime:BC-X", 4.0),
        // C's communes: one cell from two sources — C cannot stand in.
        value(C1, "202508", "male", "regime:BC-X", 8.0),
        value(C1, "202508", "male", "import:y", 16.0),
        // E reports a compiled total; its district E1 still stands for its communes.
        value(E, "202508", "male", "regime:BC-X", 32.0),
        value(E1A, "202508", "male", "regime:BC-X", 64.0),
    ];
    let cells = roll_up(&graph, &data);
    let order = |cells: Vec<RollupCell>| {
        let mut cells: Vec<String> = cells.iter().map(|c| format!("{c:?}")).collect();
        cells.sort();
        cells
    };
    assert_eq!(
        order(cells.clone()),
        order(rolled_up_by_period(&graph, &data)),
        "summed per cell first or not, the roll-up is the same"
    );
    let quarter = PeriodId::parse("2025Q3").unwrap();
    let plan = stand_ins(&graph, &cells, Aggregation::Sum, quarter);
    assert_eq!(
        plan.collectors,
        [D, E1].into_iter().collect(),
        "D and E1 stand in"
    );
    assert_eq!(plan.observations.len(), 4, "D's three cells and E1's one");
    assert!(plan.read.contains(&C1) && plan.read.contains(&E));
    assert!(!plan.read.contains(&D1) && !plan.read.contains(&E1A));
    assert!(!answered(&graph, &plan.collectors, D1));
    assert!(answered(&graph, &plan.collectors, D));

    let question = Question {
        aggregation: Aggregation::Sum,
        period: quarter,
        disaggregate: &[],
    };
    let mut input = plan.observations.clone();
    input.extend(
        data.iter()
            .filter(|o| plan.read.contains(&o.agency))
            .cloned(),
    );
    let answers = aggregate_every_node(&graph, &Gathered::new(&graph, &input), &question);
    let total = |node| answers[&node][&OptionCombo::TOTAL];
    assert_eq!(total(D), 7.0);
    assert_eq!(total(C), 8.0, "the report wins over the import");
    assert_eq!(total(E), 32.0, "the compiled total stands");
    assert_eq!(total(E1), 64.0);
    assert_eq!(total(VN), 47.0);

    // An average is not a function of sums: nobody stands in.
    let plan = stand_ins(&graph, &cells, Aggregation::Average, quarter);
    assert!(plan.collectors.is_empty() && plan.observations.is_empty());
}
