//! The demo data set parses into checked values, and loads identically on both backends.

use baocao_domain::agency::{AgencyCode, AgencyLevel};
use baocao_domain::regime::RegimeCode;
use baocao_seed::{DemoData, LoadOutcome, load_demo};
use baocao_store::Store;
use baocao_store::agencies::AgencyFilter;
use baocao_test_support::both_backends;
use jiff::civil::date;

const NOW: &str = "2026-11-26T08:00:00Z";

fn code(c: &str) -> AgencyCode {
    AgencyCode::new(c).unwrap()
}

#[test]
fn the_demo_files_parse_into_a_consistent_directory() {
    let demo = DemoData::parse().unwrap();
    let june = demo.directory.hierarchy_as_of(date(2025, 6, 30));
    let july = demo.directory.hierarchy_as_of(date(2025, 7, 1));
    let provinces = |h: &baocao_domain::agency::Hierarchy| {
        h.iter()
            .filter(|(_, s)| s.kind.level() == AgencyLevel::Province)
            .count()
    };
    assert_eq!((provinces(&june), provinces(&july)), (63, 34));
    let communes = july
        .iter()
        .filter(|(_, s)| s.kind.level() == AgencyLevel::Commune)
        .count();
    assert_eq!(communes, 3321);
    assert_eq!(demo.regimes.len(), 6);
    // TP. Hồ Chí Minh from 1 July 2025 was formed from 79, 74 and 77.
    let mut predecessors: Vec<_> = demo
        .successions
        .iter()
        .filter(|s| s.successor == code("79"))
        .map(|s| s.predecessor.to_string())
        .collect();
    predecessors.sort();
    assert_eq!(predecessors, ["74", "77", "79"]);
}

#[test]
fn demo_assignments_follow_agency_lifetimes() {
    let demo = DemoData::parse().unwrap();
    let ktxh = RegimeCode::new("BC-KTXH-T").unwrap();
    let on = |day| {
        demo.assignments
            .iter()
            .filter(|a| a.regime() == &ktxh && a.validity().contains(day))
            .count()
    };
    assert_eq!((on(date(2025, 6, 30)), on(date(2025, 7, 1))), (63, 34));
    // The Government Office receives the quarterly regimes; it does not report to itself.
    let kstthc = RegimeCode::new("BC-KSTTHC-Q").unwrap();
    assert!(
        !demo
            .assignments
            .iter()
            .any(|a| a.regime() == &kstthc && a.reporting_agency() == &code("VPCP"))
    );
}

async fn graph_of(store: &Store) -> baocao_domain::aggregation::AgencyGraph {
    let on = date(2026, 1, 1);
    let (agencies, successions) = store.agency_graph(on).await.unwrap();
    baocao_domain::aggregation::AgencyGraph::new(on, agencies, &successions)
}

async fn loads_once_and_answers_as_of_any_date(store: Store) {
    assert_eq!(
        load_demo(&store, date(2026, 11, 26), NOW).await.unwrap(),
        LoadOutcome::Loaded
    );
    assert_eq!(
        load_demo(&store, date(2026, 11, 26), NOW).await.unwrap(),
        LoadOutcome::AlreadyPresent
    );

    let provinces = AgencyFilter {
        level: Some(AgencyLevel::Province),
        ..Default::default()
    };
    assert_eq!(
        store
            .agencies_as_of(date(2025, 6, 30), &provinces)
            .await
            .unwrap()
            .len(),
        63
    );
    assert_eq!(
        store
            .agencies_as_of(date(2025, 7, 1), &provinces)
            .await
            .unwrap()
            .len(),
        34
    );

    let hue_2024 = store
        .agency_as_of(&code("46"), date(2024, 12, 31))
        .await
        .unwrap()
        .unwrap();
    let hue_2025 = store
        .agency_as_of(&code("46"), date(2025, 1, 1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (hue_2024.name_vi.as_str(), hue_2025.name_vi.as_str()),
        ("Tỉnh Thừa Thiên Huế", "Thành phố Huế")
    );

    let ward = AgencyFilter {
        query: Some("phuong ba dinh".into()),
        ..Default::default()
    };
    let found = store.agencies_as_of(date(2026, 1, 1), &ward).await.unwrap();
    assert_eq!(
        found.iter().map(|a| a.code.as_str()).collect::<Vec<_>>(),
        ["00004"]
    );
    assert_eq!(
        store
            .lineage(&code("00004"), date(2026, 1, 1))
            .await
            .unwrap(),
        [code("00004"), code("01"), code("VN")]
    );

    // The hierarchy kept in memory (what a report is resolved with) gives every agency the
    // lineage the database's recursive query gives, before and after the reorganisation.
    for on in [date(2025, 6, 30), date(2026, 1, 1)] {
        let (agencies, successions) = store.agency_graph(on).await.unwrap();
        let graph = baocao_domain::aggregation::AgencyGraph::new(on, agencies, &successions);
        let valid = store
            .agencies_as_of(on, &AgencyFilter::default())
            .await
            .unwrap();
        assert!(valid.len() > 60, "{} agencies on {on}", valid.len());
        for agency in valid {
            assert_eq!(
                graph.lineage_codes(&agency.code),
                store.lineage(&agency.code, on).await.unwrap(),
                "{} on {on}",
                agency.code
            );
        }
    }
    assert!(
        graph_of(&store)
            .await
            .lineage_codes(&code("99999"))
            .is_empty()
    );

    let regimes = store.regimes(None).await.unwrap();
    assert_eq!(regimes.len(), 6);
    assert!(
        regimes
            .iter()
            .all(|r| r.content().missing_elements().is_empty())
    );
    assert_eq!(store.indicators(None).await.unwrap().len(), 42);

    let hanoi_users = store.users_of(&code("01")).await.unwrap();
    assert_eq!(
        hanoi_users
            .iter()
            .map(|u| u.username.as_str())
            .collect::<Vec<_>>(),
        ["hanoi", "hanoi-lead"]
    );
}

#[test]
fn the_readme_names_every_demo_account() {
    let readme = include_str!("../../../README.md");
    let demo = DemoData::parse().unwrap();
    for (username, agency, _, _) in baocao_seed::demo_usernames(&demo.directory, date(2026, 11, 26))
    {
        let base = username.trim_end_matches("-lead");
        assert!(
            readme.contains(&format!("`{base}`")),
            "README does not name {username} ({agency})"
        );
    }
}

async fn the_history_is_accepted_signed_and_in_the_data(store: Store) {
    load_demo(&store, date(2026, 11, 26), NOW).await.unwrap();
    let scope = baocao_seed::HistoryScope {
        until: date(2024, 3, 31),
        regimes: vec!["BC-KTXH-T".into()],
        now: None,
    };
    let written = baocao_seed::load_demo_history(&store, &scope)
        .await
        .unwrap();
    // 63 provinces × 3 months, less the few that were never sent.
    assert!((170..189).contains(&written), "{written} reports");
    let mut with_data = 0;
    for month in ["202401", "202402", "202403"] {
        let values = store
            .values_of(
                &code("01"),
                baocao_domain::period::PeriodId::parse(month).unwrap(),
            )
            .await
            .unwrap();
        if !values.is_empty() {
            with_data += 1;
            assert_eq!(values.len(), 8);
            assert!(values.iter().all(|v| v.source == "regime:BC-KTXH-T"));
            let retail = values
                .iter()
                .find(|v| v.indicator.as_str() == "KT04")
                .unwrap()
                .value
                .as_number()
                .unwrap();
            assert!(
                (20_000.0..80_000.0).contains(&retail),
                "Hà Nội's monthly retail sales {retail} tỷ đồng"
            );
        }
    }
    assert!(with_data >= 2);
    // A slice loaded twice is refused rather than doubled (the slots exist).
    assert!(
        baocao_seed::load_demo_history(&store, &scope)
            .await
            .is_err()
    );
}

/// The history a server loads never runs into the future: a report whose story would end
/// after `now` is left for its agency to send (issue 21: the demo keeps up with today).
async fn the_history_stops_at_now(store: Store) {
    load_demo(&store, date(2026, 11, 26), NOW).await.unwrap();
    let now: jiff::Timestamp = "2024-03-15T00:00:00Z".parse().unwrap();
    let scope = baocao_seed::HistoryScope {
        until: date(2024, 3, 31),
        regimes: vec!["BC-KTXH-T".into()],
        now: Some(now),
    };
    let written = baocao_seed::load_demo_history(&store, &scope)
        .await
        .unwrap();
    // January and February (due on the 20th of their own month), not March (due 20 March).
    assert!((110..127).contains(&written), "{written} reports");
    let march = baocao_domain::period::PeriodId::parse("202403").unwrap();
    assert!(
        store
            .values_of(&code("01"), march)
            .await
            .unwrap()
            .is_empty()
    );
}

/// A local reader believes the demo (issue 21): provinces weigh as their population does —
/// Thanh Hóa about half of Hà Nội, never a tenth.
async fn provinces_weigh_as_their_population(store: Store) {
    load_demo(&store, date(2026, 11, 26), NOW).await.unwrap();
    let scope = baocao_seed::HistoryScope {
        until: date(2025, 8, 31),
        regimes: vec!["BC-KTXH-T".into()],
        now: None,
    };
    baocao_seed::load_demo_history(&store, &scope)
        .await
        .unwrap();
    let retail = |values: Vec<baocao_domain::value::DataValue>| {
        values
            .iter()
            .find(|v| v.indicator.as_str() == "KT04" && v.options.is_total())
            .and_then(|v| v.value.as_number())
    };
    let mut ratios = Vec::new();
    for month in ["202507", "202508"] {
        let period = baocao_domain::period::PeriodId::parse(month).unwrap();
        let hanoi = retail(store.values_of(&code("01"), period).await.unwrap());
        let thanh_hoa = retail(store.values_of(&code("38"), period).await.unwrap());
        if let (Some(hanoi), Some(thanh_hoa)) = (hanoi, thanh_hoa) {
            ratios.push(thanh_hoa / hanoi);
        }
    }
    assert!(!ratios.is_empty(), "both sent at least one month");
    for ratio in ratios {
        assert!((0.35..0.7).contains(&ratio), "Thanh Hóa / Hà Nội = {ratio}");
    }
}

both_backends!(
    loads_once_and_answers_as_of_any_date,
    the_history_is_accepted_signed_and_in_the_data,
    the_history_stops_at_now,
    provinces_weigh_as_their_population
);
