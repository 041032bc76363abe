//! Benchmark: duplicate detection over a registry the size of Vietnam's before its review —
//! 3,000 regimes of 50 indicators each, drawn from a catalogue of 20,000 indicators whose
//! names repeat under other codes (the same thing asked by two ministries), against a
//! baseline that only builds the regimes' item lists. Target (issue "Registry and
//! reorganisations"): seconds. Run with `cargo bench -p baocao-domain --bench duplicates`.

use std::time::Instant;

use baocao_domain::indicator::{Aggregation, Indicator, IndicatorCode, ValueType};
use baocao_domain::registry::{RegimeItems, duplicates};

const REGIMES: usize = 3_000;
const PER_REGIME: usize = 50;
const CATALOGUE: usize = 20_000;

/// A small deterministic generator (no dependency needed for a benchmark).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % below
    }
}

fn main() {
    let subjects = [
        "hộ nghèo",
        "doanh thu bán lẻ",
        "học sinh",
        "giường bệnh",
        "vụ tai nạn",
        "hồ sơ thủ tục",
    ];
    let places = ["thành thị", "nông thôn", "miền núi", "ven biển", "cả nước"];
    let catalogue: Vec<Indicator> = (0..CATALOGUE)
        .map(|n| {
            // Every fourth indicator repeats the name of another under its own code.
            let named = if n % 4 == 3 { n - 3 } else { n };
            Indicator::new(
                IndicatorCode::new(format!("CT{n:05}")).unwrap(),
                format!(
                    "Số {} {} nhóm {}",
                    subjects[named % 6],
                    places[named % 5],
                    named / 30
                ),
                String::new(),
                "đơn vị".into(),
                "units".into(),
                ValueType::Integer,
                Aggregation::Sum,
                None,
                Vec::new(),
                String::new(),
                String::new(),
            )
            .unwrap()
        })
        .collect();
    let mut random = Lcg(2026);
    let picks: Vec<Vec<usize>> = (0..REGIMES)
        .map(|r| {
            // Regimes come in families that share a block of the catalogue.
            let base = (r / 3) * 40 % CATALOGUE;
            (0..PER_REGIME)
                .map(|i| {
                    if i < 40 {
                        (base + i) % CATALOGUE
                    } else {
                        random.next(CATALOGUE)
                    }
                })
                .collect()
        })
        .collect();
    let items = || -> Vec<RegimeItems> {
        picks
            .iter()
            .enumerate()
            .map(|(r, picked)| RegimeItems {
                code: format!("BC-{r:04}"),
                indicators: picked.iter().map(|&i| &catalogue[i]).collect(),
            })
            .collect()
    };
    let start = Instant::now();
    let baseline = items();
    let build = start.elapsed();
    let start = Instant::now();
    let pairs = duplicates(&baseline, 1);
    let detect = start.elapsed();
    let strong = pairs.iter().filter(|p| p.score >= 0.5).count();
    println!(
        "duplicate detection: {REGIMES} regimes × {PER_REGIME} indicators (catalogue {CATALOGUE})"
    );
    println!(
        "  item lists (baseline):  {:>8.1} ms",
        build.as_secs_f64() * 1e3
    );
    println!(
        "  duplicate pairs:        {:>8.1} ms  ({} pairs, {strong} with score ≥ 0.5)",
        detect.as_secs_f64() * 1e3,
        pairs.len()
    );
    println!(
        "  ratio detect/baseline:  {:>8.1}×",
        detect.as_secs_f64() / build.as_secs_f64().max(1e-9)
    );
}
