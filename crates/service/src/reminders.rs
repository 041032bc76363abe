//! The reminder job: for every published periodic regime, the reports expected for the
//! current and the previous period that are due soon or overdue become notifications for the
//! reporting agency's reporters and approvers — once per user, report and kind, however often
//! the job runs (the store's unique key decides), so a restart sends nothing twice. The
//! binary runs it every few minutes; tests call it with a fixed clock.

use baocao_domain::compliance::SlotStatus;
use baocao_domain::period::PeriodId;
use baocao_domain::regime::RegimeStatus;
use baocao_domain::user::Role;
use baocao_store::notifications::NewNotification;

use baocao_store::StoreError;

use crate::Context;
use crate::compliance::expected_reports;

/// Runs the job once; answers how many notifications were new.
pub async fn run_reminders(state: &Context) -> Result<usize, StoreError> {
    let now = state.clock.now();
    let stamp = state.now_text();
    let today = state.today();
    let mut created = 0;
    // Users by agency, read once a run: most expected reports share a few agencies' staff.
    let mut staff: std::collections::HashMap<String, Vec<baocao_store::users::UserRecord>> =
        std::collections::HashMap::new();
    for regime in state.store.regimes(None).await? {
        let Some(frequency) = regime.content().frequency else {
            continue;
        };
        if regime.status() != RegimeStatus::Published {
            continue;
        }
        let current = PeriodId::containing(frequency, today);
        let (expected, _) =
            expected_reports(state, &regime, &[current.previous(), current], None).await?;
        for report in expected {
            let kind = match report.status(now) {
                SlotStatus::DueSoon => "due_soon",
                SlotStatus::Overdue => "overdue",
                _ => continue,
            };
            let Ok(agency) = baocao_domain::agency::AgencyCode::new(report.agency.as_str()) else {
                continue;
            };
            if !staff.contains_key(agency.as_str()) {
                let users = state.store.users_of(&agency).await?;
                staff.insert(agency.to_string(), users);
            }
            for user in &staff[agency.as_str()] {
                let concerned = user.active
                    && user
                        .grants
                        .iter()
                        .any(|g| matches!(g.role, Role::Reporter | Role::Approver));
                if !concerned {
                    continue;
                }
                let new = NewNotification {
                    username: user.username.as_str(),
                    regime: regime.code().as_str(),
                    agency: agency.as_str(),
                    period: &report.period.to_string(),
                    kind,
                    deadline: &report.deadline.to_string(),
                };
                if state.store.notify(&new, &stamp).await? {
                    created += 1;
                }
            }
        }
    }
    Ok(created)
}
