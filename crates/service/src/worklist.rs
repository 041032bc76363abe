//! A person's to-do list: the reports their agency is expected to send — every period of every
//! published regime assigned to it, back to the first assignment, so a report overdue for
//! months is never forgotten — and the reports sent to it awaiting review. Older periods are
//! listed only while something remains to be done (not sent, or returned); the previous and
//! the current period always, whatever their state. Oldest first.

use baocao_domain::calendar::Due;
use baocao_domain::compliance::SlotStatus;
use baocao_domain::period::PeriodId;
use baocao_domain::regime::RegimeStatus;
use baocao_store::StoreError;
use baocao_store::compliance::within;

use crate::compliance::expected_reports;
use crate::{Caller, Context};

/// How many periods back a regime's expected reports are looked for (five years of months).
pub const LOOKBACK_PERIODS: usize = 60;

/// One report the caller's agency is expected to send.
#[derive(Debug, Clone)]
pub struct ExpectedReport {
    pub regime: String,
    pub regime_name: Option<String>,
    pub regime_name_en: String,
    pub agency: String,
    pub period: PeriodId,
    pub deadline: Due,
    pub status: SlotStatus,
}

/// A report sent to the caller's agency, awaiting its review.
#[derive(Debug, Clone)]
pub struct AwaitingReview {
    pub regime: String,
    pub agency: String,
    pub period: String,
    pub submitted_at: String,
}

/// The caller's to-do list.
#[derive(Debug, Clone, Default)]
pub struct ToDo {
    pub mine: Vec<ExpectedReport>,
    pub to_review: Vec<AwaitingReview>,
}

impl ToDo {
    /// How many of the agency's reports stand at `status`.
    pub fn count(&self, status: SlotStatus) -> usize {
        self.mine.iter().filter(|r| r.status == status).count()
    }
}

/// Whether a report of a period before the previous one still needs its agency.
fn still_to_do(status: SlotStatus) -> bool {
    matches!(
        status,
        SlotStatus::Overdue | SlotStatus::Returned | SlotStatus::DueSoon | SlotStatus::Open
    )
}

/// The to-do list of the caller's agency, as of the server's clock.
#[tracing::instrument(skip_all, fields(caller = %caller.principal.username))]
pub async fn to_do(ctx: &Context, caller: &Caller) -> Result<ToDo, StoreError> {
    let agency = caller.principal.agency.as_str();
    let today = ctx.today();
    let now = ctx.clock.now();
    let mut mine = Vec::new();
    for regime in ctx.store.regimes(None).await? {
        let Some(frequency) = regime.content().frequency else {
            continue;
        };
        if regime.status() != RegimeStatus::Published {
            continue;
        }
        // Back to the agency's first assignment of the regime (or the lookback's end).
        let spans = ctx.store.assignment_spans(regime.code()).await?;
        let ours: Vec<_> = spans.iter().filter(|s| s.agency == agency).collect();
        if ours.is_empty() {
            continue;
        }
        let current = PeriodId::containing(frequency, today);
        let recent = [current.previous(), current];
        let mut periods = vec![current];
        while periods.len() < LOOKBACK_PERIODS {
            let earlier = periods.last().expect("one at least").previous();
            let on = earlier.end().to_string();
            if !ours.iter().any(|s| within(&on, &s.valid_from, &s.valid_to)) {
                break;
            }
            periods.push(earlier);
        }
        periods.reverse();
        let (expected, _) = expected_reports(ctx, &regime, &periods, Some(agency)).await?;
        for report in expected {
            let status = report.status(now);
            if !recent.contains(&report.period) && !still_to_do(status) {
                continue;
            }
            mine.push(ExpectedReport {
                regime: regime.code().to_string(),
                regime_name: regime.content().name.clone(),
                regime_name_en: regime.content().name_en.clone(),
                agency: report.agency,
                period: report.period,
                deadline: report.deadline,
                status,
            });
        }
    }
    mine.sort_by(|a, b| {
        (a.period.start(), &a.regime, a.period).cmp(&(b.period.start(), &b.regime, b.period))
    });
    let to_review = ctx
        .store
        .awaiting_review(&caller.principal.agency)
        .await?
        .into_iter()
        .map(|(regime, agency, period, submitted_at)| AwaitingReview {
            regime,
            agency,
            period,
            submitted_at,
        })
        .collect();
    Ok(ToDo { mine, to_review })
}
