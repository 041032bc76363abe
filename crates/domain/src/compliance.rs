//! Compliance: who was expected to report, who did, on time or late, and whose report was
//! complete — per agency, regime and period range — and the status of each expected report
//! at a given moment.
//!
//! What is expected comes from history, never from today's state: an agency is expected for a
//! period when an assignment of the regime to it was valid on the period's last day and the
//! agency itself existed then. So a province merged away on 1 July is expected for June and not
//! for August, and a rate can never exceed 100 %: only expected reports are counted as
//! submitted. A report is on time when its first submitted version was (a later resubmission
//! after a return does not make an on-time report late); it is content-complete when every
//! row's total of the first measure column is filled.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;

use crate::agency::AgencyKind;
use crate::calendar::{Due, legal_time_zone};
use crate::period::PeriodId;
use crate::submission::SubmissionStatus;

/// What is known of one expected report.
#[derive(Debug, Clone, PartialEq)]
pub struct Expected {
    pub agency: String,
    pub kind: AgencyKind,
    pub period: PeriodId,
    /// The first day the report may be written (the start of its cut-off window).
    pub opens: Date,
    pub deadline: Due,
    /// The report as it stands, if one was started.
    pub report: Option<ReportState>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReportState {
    pub status: SubmissionStatus,
    /// Whether the first submitted version came after the deadline (`None`: never submitted).
    pub first_late: Option<bool>,
    /// Whether the latest submitted version fills every required cell.
    pub complete: bool,
}

/// Where an expected report stands at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum SlotStatus {
    Upcoming,
    Open,
    DueSoon,
    Overdue,
    SubmittedOnTime,
    SubmittedLate,
    Accepted,
    Returned,
}

/// Days before the deadline when an open report is "due soon".
pub const DUE_SOON_DAYS: i32 = 3;

impl Expected {
    pub fn status(&self, now: Timestamp) -> SlotStatus {
        let today = now.to_zoned(legal_time_zone()).date();
        if let Some(report) = &self.report {
            match (report.status, report.first_late) {
                (SubmissionStatus::Accepted, _) => return SlotStatus::Accepted,
                (SubmissionStatus::Returned, _) => return SlotStatus::Returned,
                (SubmissionStatus::Submitted, Some(true)) => return SlotStatus::SubmittedLate,
                (SubmissionStatus::Submitted, _) => return SlotStatus::SubmittedOnTime,
                _ => {}
            }
        }
        if today < self.opens {
            SlotStatus::Upcoming
        } else if self.deadline.is_late(now) {
            SlotStatus::Overdue
        } else if (self.deadline.day - today).get_days() < DUE_SOON_DAYS {
            SlotStatus::DueSoon
        } else {
            SlotStatus::Open
        }
    }
}

/// Counts of expected reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tally {
    pub expected: usize,
    pub submitted: usize,
    pub on_time: usize,
    pub late: usize,
    pub missing: usize,
    /// Submitted with every required cell filled.
    pub complete: usize,
    /// Not sent yet and not yet due: shown, never counted as missing nor in the rates.
    pub pending: usize,
}

impl Tally {
    fn add(&mut self, expected: &Expected, now: Timestamp) {
        let sent = expected
            .report
            .as_ref()
            .is_some_and(|r| r.first_late.is_some());
        if !sent && !expected.deadline.is_late(now) {
            self.pending += 1;
            return;
        }
        self.expected += 1;
        match expected.report.as_ref().and_then(|r| r.first_late) {
            Some(late) => {
                self.submitted += 1;
                if late {
                    self.late += 1;
                } else {
                    self.on_time += 1;
                }
                if expected.report.as_ref().is_some_and(|r| r.complete) {
                    self.complete += 1;
                }
            }
            None => self.missing += 1,
        }
    }

    fn rate(part: usize, whole: usize) -> Option<f64> {
        (whole > 0).then(|| part as f64 / whole as f64)
    }
    /// Submitted over expected.
    pub fn completeness(&self) -> Option<f64> {
        Self::rate(self.submitted, self.expected)
    }
    /// On time over expected.
    pub fn timeliness(&self) -> Option<f64> {
        Self::rate(self.on_time, self.expected)
    }
    /// Content-complete over expected.
    pub fn content_completeness(&self) -> Option<f64> {
        Self::rate(self.complete, self.expected)
    }
}

/// The tallies of a set of expected reports: per agency, per agency kind, and in all.
#[derive(Debug, Clone, Default)]
pub struct Compliance {
    pub by_agency: BTreeMap<String, Tally>,
    pub by_kind: BTreeMap<AgencyKind, (Tally, KindCount)>,
    pub total: Tally,
}

/// How many agencies of a kind were expected at least once, and how many sent at least one
/// report — the field's "35/63 tỉnh đã hoàn thành ít nhất một kỳ".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct KindCount {
    pub agencies: usize,
    pub with_a_submission: usize,
}

/// The tallies at `now`: a report not sent and not yet due is pending, not missing.
pub fn tally(expected: &[Expected], now: Timestamp) -> Compliance {
    let mut result = Compliance::default();
    let mut kind_of: BTreeMap<&str, AgencyKind> = BTreeMap::new();
    for item in expected {
        result.total.add(item, now);
        result
            .by_agency
            .entry(item.agency.clone())
            .or_default()
            .add(item, now);
        result
            .by_kind
            .entry(item.kind)
            .or_default()
            .0
            .add(item, now);
        kind_of.insert(&item.agency, item.kind);
    }
    for (agency, tally) in &result.by_agency {
        if let Some(kind) = kind_of.get(agency.as_str())
            && let Some((_, count)) = result.by_kind.get_mut(kind)
        {
            count.agencies += 1;
            if tally.submitted > 0 {
                count.with_a_submission += 1;
            }
        }
    }
    result
}

/// The field's one-line summary: "6/24 bộ, 35/63 tỉnh đã hoàn thành ít nhất một kỳ", and in
/// English.
pub fn summary(compliance: &Compliance) -> (String, String) {
    use crate::agency::AgencyLevel;
    let mut levels: BTreeMap<AgencyLevel, KindCount> = BTreeMap::new();
    for (kind, (_, count)) in &compliance.by_kind {
        let entry = levels.entry(kind.level()).or_default();
        entry.agencies += count.agencies;
        entry.with_a_submission += count.with_a_submission;
    }
    let words = |level: AgencyLevel| match level {
        AgencyLevel::National => ("cơ quan trung ương", "national bodies"),
        AgencyLevel::Ministry => ("bộ, cơ quan ngang bộ", "ministries"),
        AgencyLevel::Province => ("tỉnh, thành phố", "provinces"),
        AgencyLevel::Department => ("sở, ngành", "departments"),
        AgencyLevel::Commune => ("xã, phường", "communes"),
    };
    let parts: Vec<(String, String)> = levels
        .iter()
        .map(|(level, count)| {
            let (vi, en) = words(*level);
            (
                format!("{}/{} {vi}", count.with_a_submission, count.agencies),
                format!("{}/{} {en}", count.with_a_submission, count.agencies),
            )
        })
        .collect();
    let vi: Vec<String> = parts.iter().map(|p| p.0.clone()).collect();
    let en: Vec<String> = parts.iter().map(|p| p.1.clone()).collect();
    (
        format!("{} đã gửi báo cáo ít nhất một kỳ.", vi.join(", ")),
        format!("{} sent at least one report.", en.join(", ")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn expected(
        agency: &str,
        kind: AgencyKind,
        period: &str,
        report: Option<(SubmissionStatus, Option<bool>, bool)>,
    ) -> Expected {
        let period = PeriodId::parse(period).unwrap();
        Expected {
            agency: agency.into(),
            kind,
            period,
            opens: period.start(),
            deadline: Due::on(date(period.year(), 11, 20)),
            report: report.map(|(status, first_late, complete)| ReportState {
                status,
                first_late,
                complete,
            }),
        }
    }

    #[test]
    fn the_status_of_a_report_follows_the_clock() {
        let open = expected("01", AgencyKind::City, "202611", None);
        assert_eq!(
            open.status(at("2026-10-31T20:00:00Z")),
            SlotStatus::Open,
            "03:00 on 1 November in Hà Nội"
        );
        assert_eq!(
            open.status(at("2026-10-31T16:59:00Z")),
            SlotStatus::Upcoming,
            "23:59 on 31 October"
        );
        assert_eq!(open.status(at("2026-11-10T00:00:00Z")), SlotStatus::Open);
        assert_eq!(open.status(at("2026-11-18T03:00:00Z")), SlotStatus::DueSoon);
        // The deadline day ends at midnight Vietnam time: one minute later is overdue.
        assert_eq!(open.status(at("2026-11-20T16:59:00Z")), SlotStatus::DueSoon);
        assert_eq!(open.status(at("2026-11-20T17:01:00Z")), SlotStatus::Overdue);
        let late = expected(
            "01",
            AgencyKind::City,
            "202611",
            Some((SubmissionStatus::Submitted, Some(true), true)),
        );
        assert_eq!(
            late.status(at("2026-11-25T00:00:00Z")),
            SlotStatus::SubmittedLate
        );
        let draft = expected(
            "01",
            AgencyKind::City,
            "202611",
            Some((SubmissionStatus::Draft, None, false)),
        );
        assert_eq!(
            draft.status(at("2026-11-25T00:00:00Z")),
            SlotStatus::Overdue
        );
    }

    #[test]
    fn rates_count_expected_reports_only_and_never_exceed_one() {
        use SubmissionStatus::*;
        let items = [
            expected(
                "01",
                AgencyKind::City,
                "202610",
                Some((Accepted, Some(false), true)),
            ),
            expected(
                "01",
                AgencyKind::City,
                "202611",
                Some((Returned, Some(true), false)),
            ),
            expected("02", AgencyKind::Province, "202610", None),
            expected(
                "02",
                AgencyKind::Province,
                "202611",
                Some((Draft, None, false)),
            ),
            expected(
                "BTC",
                AgencyKind::Ministry,
                "202610",
                Some((Submitted, Some(false), false)),
            ),
        ];
        let result = tally(&items, at("2026-12-31T00:00:00Z"));
        assert_eq!(
            result.total,
            Tally {
                expected: 5,
                submitted: 3,
                on_time: 2,
                late: 1,
                missing: 2,
                complete: 1,
                pending: 0
            }
        );
        // Before the deadline (20 November for all here), what 02 has not sent is pending,
        // not missing, and counts in no rate.
        let early = tally(&items, at("2026-11-15T00:00:00Z"));
        assert_eq!((early.total.expected, early.total.pending), (3, 2));
        assert_eq!(early.total.missing, 0);
        assert_eq!(early.by_agency["02"].completeness(), None);
        assert_eq!(early.by_agency["02"].pending, 2);
        assert_eq!(early.total.completeness(), Some(1.0));
        assert_eq!(result.by_agency["01"].completeness(), Some(1.0));
        assert_eq!(result.by_agency["02"].completeness(), Some(0.0));
        assert_eq!(result.total.timeliness(), Some(0.4));
        let (vi, en) = summary(&result);
        assert_eq!(
            vi,
            "1/1 bộ, cơ quan ngang bộ, 1/2 tỉnh, thành phố đã gửi báo cáo ít nhất một kỳ."
        );
        assert_eq!(
            en,
            "1/1 ministries, 1/2 provinces sent at least one report."
        );
    }
}
