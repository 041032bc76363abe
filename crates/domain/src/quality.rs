//! Data quality beyond rules: outliers — a value far from the agency's own history (a robust
//! z-score on the median absolute deviation), a large change from the same period last year,
//! or a value far from its peers' in the same period — each flag with its reason in numbers;
//! and cross-source discrepancies — one cell reported differently by two sources.
//!
//! The robust z-score is Iglewicz and Hoaglin's modified z: 0.6745 (x − median) / MAD, flagged
//! beyond 3.5 by default. It ignores the few wild values that would inflate a plain standard
//! deviation, and needs no assumption of normality. Where the MAD is 0 (a history of equal
//! values) the mean absolute deviation stands in (× 1.2533), and a history with no spread at
//! all flags nothing: a change from a constant is a judgement for the year-on-year check.

use serde::{Deserialize, Serialize};

/// Thresholds of the outlier checks, configurable per indicator.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutlierSettings {
    /// Modified z-score beyond which a value is far from its history or peers.
    pub z_threshold: f64,
    /// Relative change from the same period last year beyond which a value is flagged
    /// (0.5 = ±50 %).
    pub year_on_year: f64,
    /// Fewest earlier values (or peers) needed before comparing with them.
    pub min_points: usize,
}

impl Default for OutlierSettings {
    fn default() -> Self {
        Self {
            z_threshold: 3.5,
            year_on_year: 0.5,
            min_points: 6,
        }
    }
}

/// Why a value looks wrong, with the numbers that say so.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OutlierReason {
    /// Far from the agency's own earlier values.
    History { z: f64, median: f64, points: usize },
    /// A large change from the same period last year.
    YearOnYear { change: f64, last_year: f64 },
    /// Far from other agencies' values for the same period.
    Peers { z: f64, median: f64, points: usize },
}

impl OutlierReason {
    /// The reason in Vietnamese and English, for reporters and reviewers.
    pub fn describe(&self) -> (String, String) {
        match self {
            OutlierReason::History { z, median, points } => (
                format!(
                    "Khác thường so với {points} kỳ trước của đơn vị (trung vị {median}, điểm z hiệu chỉnh {z:.1})."
                ),
                format!(
                    "Unusual against the agency's {points} earlier periods (median {median}, modified z {z:.1})."
                ),
            ),
            OutlierReason::YearOnYear { change, last_year } => (
                format!(
                    "Thay đổi {:+.0}% so với cùng kỳ năm trước ({last_year}).",
                    change * 100.0
                ),
                format!(
                    "Changed {:+.0}% from the same period last year ({last_year}).",
                    change * 100.0
                ),
            ),
            OutlierReason::Peers { z, median, points } => (
                format!(
                    "Khác thường so với {points} đơn vị cùng cấp trong kỳ (trung vị {median}, điểm z hiệu chỉnh {z:.1})."
                ),
                format!(
                    "Unusual against {points} peer agencies this period (median {median}, modified z {z:.1})."
                ),
            ),
        }
    }
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// The modified z-score of `value` among `points`, with their median; `None` where the points
/// have no spread.
pub fn modified_z(value: f64, points: &[f64]) -> Option<(f64, f64)> {
    let mut sorted: Vec<f64> = points.iter().copied().filter(|p| p.is_finite()).collect();
    if sorted.is_empty() {
        return None;
    }
    sorted.sort_by(f64::total_cmp);
    let center = median(&sorted);
    let mut deviations: Vec<f64> = sorted.iter().map(|p| (p - center).abs()).collect();
    deviations.sort_by(f64::total_cmp);
    let mad = median(&deviations);
    let z = if mad > 0.0 {
        0.6745 * (value - center) / mad
    } else {
        let mean_deviation = deviations.iter().sum::<f64>() / deviations.len() as f64;
        if mean_deviation == 0.0 {
            return None;
        }
        (value - center) / (1.2533 * mean_deviation)
    };
    Some((z, center))
}

/// What is known about one value: the agency's earlier values of the indicator (any order),
/// last year's value for the same period, and the peers' values for this period.
pub struct OutlierInput<'a> {
    pub value: f64,
    pub history: &'a [f64],
    pub last_year: Option<f64>,
    pub peers: &'a [f64],
}

/// Every reason the value looks wrong (none for an ordinary value).
pub fn outlier_reasons(input: &OutlierInput, settings: &OutlierSettings) -> Vec<OutlierReason> {
    let mut reasons = Vec::new();
    if input.history.len() >= settings.min_points
        && let Some((z, median)) = modified_z(input.value, input.history)
        && z.abs() > settings.z_threshold
    {
        reasons.push(OutlierReason::History {
            z,
            median,
            points: input.history.len(),
        });
    }
    if let Some(last_year) = input.last_year
        && last_year.abs() > 0.0
    {
        let change = input.value / last_year - 1.0;
        if change.abs() > settings.year_on_year {
            reasons.push(OutlierReason::YearOnYear { change, last_year });
        }
    }
    if input.peers.len() >= settings.min_points
        && let Some((z, median)) = modified_z(input.value, input.peers)
        && z.abs() > settings.z_threshold
    {
        reasons.push(OutlierReason::Peers {
            z,
            median,
            points: input.peers.len(),
        });
    }
    reasons
}

#[cfg(test)]
mod tests {
    use super::*;

    const HISTORY: [f64; 12] = [
        100.0, 104.0, 98.0, 101.0, 99.0, 103.0, 97.0, 102.0, 100.0, 105.0, 96.0, 101.0,
    ];

    fn reasons(
        value: f64,
        history: &[f64],
        last_year: Option<f64>,
        peers: &[f64],
    ) -> Vec<&'static str> {
        let input = OutlierInput {
            value,
            history,
            last_year,
            peers,
        };
        outlier_reasons(&input, &OutlierSettings::default())
            .into_iter()
            .map(|r| match r {
                OutlierReason::History { .. } => "history",
                OutlierReason::YearOnYear { .. } => "year_on_year",
                OutlierReason::Peers { .. } => "peers",
            })
            .collect()
    }

    #[test]
    fn the_modified_z_score_matches_its_definition() {
        // Median 3, deviations 2,1,0,1,97 → MAD 1; z(100) = 0.6745 × 97.
        let (z, center) = modified_z(100.0, &[1.0, 2.0, 3.0, 4.0, 100.0]).unwrap();
        assert_eq!(center, 3.0);
        assert!((z - 0.6745 * 97.0).abs() < 1e-9);
        assert_eq!(modified_z(5.0, &[2.0, 2.0, 2.0]), None);
    }

    #[test]
    fn ordinary_values_pass_and_wild_ones_are_flagged_with_their_reason() {
        assert!(reasons(103.0, &HISTORY, Some(95.0), &[]).is_empty());
        assert_eq!(
            reasons(1030.0, &HISTORY, Some(95.0), &[]),
            ["history", "year_on_year"]
        );
        assert_eq!(reasons(30.0, &HISTORY, None, &[]), ["history"]);
        // A decimal slip (10×) among peers.
        let peers = [80.0, 120.0, 95.0, 110.0, 105.0, 90.0, 100.0];
        assert_eq!(reasons(1000.0, &[], None, &peers), ["peers"]);
        assert!(reasons(101.0, &[], None, &peers).is_empty());
    }

    #[test]
    fn too_little_history_says_nothing() {
        assert!(reasons(1000.0, &HISTORY[..5], None, &HISTORY[..3]).is_empty());
        let (vi, en) = OutlierReason::YearOnYear {
            change: 0.8,
            last_year: 50.0,
        }
        .describe();
        assert!(vi.contains("+80%") && en.contains("+80%"), "{vi} / {en}");
    }

    #[test]
    fn one_wild_point_in_the_history_does_not_hide_the_next() {
        let mut history = HISTORY.to_vec();
        history.push(10_000.0);
        assert_eq!(reasons(900.0, &history, None, &[]), ["history"]);
    }
}
