//! The one access policy. Every route asks [`allows`] before it reads or writes — or, for
//! analytics, [`AnalyticsScope`], which builds on it with the reports an agency receives;
//! nothing else decides who may do what.
//!
//! Agencies are given by their lineage (the agency, then its ancestors up to the root), which
//! the caller looks up as of today. Rules, from SPEC.md: a role is granted on an agency and,
//! where it says so, on its subtree; nobody reads a draft of another agency, or a report not
//! addressed to (or below) their own agency.

use crate::agency::AgencyCode;
use crate::user::{Role, RoleGrant};

/// What a user wants to do, with the agencies it concerns.
#[derive(Debug, Clone, Copy)]
pub enum Action<'a> {
    /// The public catalogue: agencies, indicators, regimes, forms, outlines.
    ReadCatalogue,
    /// Create and edit regimes, forms, indicators.
    AuthorRegimes,
    /// List the users of an agency.
    ReadUsers { agency: &'a [AgencyCode] },
    /// Create users and grants at an agency.
    ManageUsers { agency: &'a [AgencyCode] },
    /// Read or edit an agency's report that is not yet submitted.
    EditDraft { reporting: &'a [AgencyCode] },
    /// Sign and submit an agency's report.
    Submit { reporting: &'a [AgencyCode] },
    /// Read a submitted report.
    ReadSubmitted {
        reporting: &'a [AgencyCode],
        receiving: &'a [AgencyCode],
    },
    /// Accept, return or reopen a report addressed to an agency.
    Review { receiving: &'a [AgencyCode] },
    /// Dashboards and analytics over an agency's (accepted) data.
    ReadAnalytics { agency: &'a [AgencyCode] },
    /// The audit trail of an agency's subtree: who changed what, when.
    ReadAudit { agency: &'a [AgencyCode] },
}

/// Whether a user holding `grants` may perform `action`.
pub fn allows(grants: &[RoleGrant], action: Action<'_>) -> bool {
    use Role::*;
    let any = |roles: &[Role], lineage: &[AgencyCode]| {
        grants.iter().any(|g| {
            (g.role == SystemAdministrator || roles.contains(&g.role)) && g.covers(lineage)
        })
    };
    match action {
        Action::ReadCatalogue => true,
        Action::AuthorRegimes => grants
            .iter()
            .any(|g| matches!(g.role, SystemAdministrator | RegimeManager)),
        Action::ReadUsers { agency } => any(
            &[Reporter, Approver, Reviewer, Viewer, RegimeManager],
            agency,
        ),
        Action::ManageUsers { agency } => any(&[], agency),
        Action::EditDraft { reporting } => any(&[Reporter, Approver], reporting),
        Action::Submit { reporting } => any(&[Approver], reporting),
        Action::ReadSubmitted {
            reporting,
            receiving,
        } => {
            any(&[Reporter, Approver], reporting)
                || any(&[Reviewer, Viewer], receiving)
                || any(&[Viewer], reporting)
        }
        Action::Review { receiving } => any(&[Reviewer], receiving),
        Action::ReadAnalytics { agency } => any(&[Viewer, Reviewer, Approver, Reporter], agency),
        Action::ReadAudit { agency } => any(&[Auditor], agency),
    }
}

/// Where a person may read analytics — dashboards, indicator tables, pivots, compliance: the
/// agencies of their grants (with the subtree where a grant says so) and, for whoever reviews
/// or views at an agency that receives reports, the agencies that report to it; receiving from
/// every agency under the root (the Government Office and the provinces' monthly report) is
/// reading the whole country. One rule for the menu (a page is listed only to someone it can
/// answer) and for the answers.
#[derive(Debug, Clone, Default)]
pub struct AnalyticsScope {
    grants: Vec<RoleGrant>,
    /// The agencies reporting to one where the person reviews or views.
    received: std::collections::BTreeSet<AgencyCode>,
    /// The root, when everything directly under it reports to the person's agency.
    whole: Option<AgencyCode>,
}

impl AnalyticsScope {
    /// The agencies where a person's reviewing or viewing grant reaches the reports sent to
    /// them: what reports there widens the scope.
    pub fn receiving_agencies(grants: &[RoleGrant]) -> Vec<AgencyCode> {
        let mut agencies: Vec<AgencyCode> = grants
            .iter()
            .filter(|g| matches!(g.role, Role::Reviewer | Role::Viewer))
            .map(|g| g.agency.clone())
            .collect();
        agencies.sort();
        agencies.dedup();
        agencies
    }

    /// The scope of `grants`, widened by the agencies that report to the person (`received`);
    /// `root` and the agencies directly under it decide whether that is the whole country.
    pub fn new(
        grants: &[RoleGrant],
        received: impl IntoIterator<Item = AgencyCode>,
        root: &AgencyCode,
        under_root: &[AgencyCode],
    ) -> Self {
        let received: std::collections::BTreeSet<AgencyCode> = received.into_iter().collect();
        // The person's own agency does not report to itself.
        let own = Self::receiving_agencies(grants);
        let mut others = under_root.iter().filter(|a| !own.contains(a)).peekable();
        let whole =
            (others.peek().is_some() && others.all(|a| received.contains(a))).then(|| root.clone());
        Self {
            grants: grants.to_vec(),
            received,
            whole,
        }
    }

    /// The scope of the grants alone.
    pub fn of_grants(grants: &[RoleGrant]) -> Self {
        Self {
            grants: grants.to_vec(),
            ..Self::default()
        }
    }

    /// Whether the person reads any analytics at all (the menu lists the pages only then).
    pub fn reads_any(&self) -> bool {
        !self.received.is_empty() || self.grants.iter().any(|g| reads_analytics(g.role))
    }

    /// Whether the agency with this lineage (itself first, then its ancestors) is in scope.
    pub fn covers(&self, lineage: &[AgencyCode]) -> bool {
        allows(&self.grants, Action::ReadAnalytics { agency: lineage })
            || lineage.first().is_some_and(|agency| {
                self.received.contains(agency) || self.whole.as_ref() == Some(agency)
            })
            || (self.whole.is_some() && lineage.last() == self.whole.as_ref())
    }

    /// The agency pages open on: the whole country where it is in scope, else the first
    /// agency of a grant that reads analytics, else the first agency reporting to the person.
    pub fn home(&self, root: &AgencyCode) -> Option<AgencyCode> {
        if self.covers(std::slice::from_ref(root)) {
            return Some(root.clone());
        }
        self.grants
            .iter()
            .find(|g| reads_analytics(g.role))
            .map(|g| g.agency.clone())
            .or_else(|| self.received.iter().next().cloned())
    }
}

fn reads_analytics(role: Role) -> bool {
    matches!(
        role,
        Role::SystemAdministrator | Role::Viewer | Role::Reviewer | Role::Approver | Role::Reporter
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(c: &str) -> AgencyCode {
        AgencyCode::new(c).unwrap()
    }
    fn grant(role: Role, agency: &str, subtree: bool) -> RoleGrant {
        RoleGrant {
            role,
            agency: code(agency),
            subtree,
        }
    }

    /// Lineages as of today: Hà Nội and TP. HCM under VN; VPCP under VN.
    fn lineage(agency: &str) -> Vec<AgencyCode> {
        match agency {
            "VN" => vec![code("VN")],
            other => vec![code(other), code("VN")],
        }
    }

    #[test]
    fn the_permission_table_holds() {
        let hanoi = lineage("01");
        let hcm = lineage("79");
        let vpcp = lineage("VPCP");
        let reporter_hanoi = [grant(Role::Reporter, "01", false)];
        let approver_hanoi = [grant(Role::Approver, "01", false)];
        let reviewer_vpcp = [grant(Role::Reviewer, "VPCP", false)];
        let viewer_vn = [grant(Role::Viewer, "VN", true)];
        let admin = [grant(Role::SystemAdministrator, "VN", true)];
        let nobody: [RoleGrant; 0] = [];

        let draft_hanoi = Action::EditDraft { reporting: &hanoi };
        let submit_hanoi = Action::Submit { reporting: &hanoi };
        let read_hanoi = Action::ReadSubmitted {
            reporting: &hanoi,
            receiving: &vpcp,
        };
        let review_vpcp = Action::Review { receiving: &vpcp };
        let users_hanoi = Action::ReadUsers { agency: &hanoi };
        let users_hcm = Action::ReadUsers { agency: &hcm };

        let auditor_hanoi = [grant(Role::Auditor, "01", true)];
        let audit_hanoi = Action::ReadAudit { agency: &hanoi };
        let audit_hcm = Action::ReadAudit { agency: &hcm };

        let table: &[(&str, &[RoleGrant], Action, bool)] = &[
            ("auditor reads own audit", &auditor_hanoi, audit_hanoi, true),
            (
                "auditor cannot read elsewhere",
                &auditor_hanoi,
                audit_hcm,
                false,
            ),
            ("auditor cannot edit", &auditor_hanoi, draft_hanoi, false),
            ("admin reads any audit", &admin, audit_hcm, true),
            (
                "viewer cannot read the audit",
                &viewer_vn,
                audit_hanoi,
                false,
            ),
            (
                "reporter edits own draft",
                &reporter_hanoi,
                draft_hanoi,
                true,
            ),
            (
                "reporter cannot submit",
                &reporter_hanoi,
                submit_hanoi,
                false,
            ),
            ("approver submits", &approver_hanoi, submit_hanoi, true),
            (
                "reporter reads own users",
                &reporter_hanoi,
                users_hanoi,
                true,
            ),
            (
                "reporter cannot read another province's users",
                &reporter_hanoi,
                users_hcm,
                false,
            ),
            (
                "reporter cannot read another province's draft",
                &reporter_hanoi,
                Action::EditDraft { reporting: &hcm },
                false,
            ),
            (
                "reviewer cannot read a draft",
                &reviewer_vpcp,
                draft_hanoi,
                false,
            ),
            (
                "reviewer reads what is addressed to them",
                &reviewer_vpcp,
                read_hanoi,
                true,
            ),
            ("reviewer reviews", &reviewer_vpcp, review_vpcp, true),
            (
                "reporter cannot review",
                &reporter_hanoi,
                review_vpcp,
                false,
            ),
            (
                "national viewer reads every submitted report",
                &viewer_vn,
                read_hanoi,
                true,
            ),
            (
                "national viewer cannot edit drafts",
                &viewer_vn,
                draft_hanoi,
                false,
            ),
            ("admin does everything", &admin, submit_hanoi, true),
            ("admin authors regimes", &admin, Action::AuthorRegimes, true),
            (
                "reporter cannot author regimes",
                &reporter_hanoi,
                Action::AuthorRegimes,
                false,
            ),
            (
                "no grant: catalogue only",
                &nobody,
                Action::ReadCatalogue,
                true,
            ),
            ("no grant: nothing else", &nobody, read_hanoi, false),
            (
                "only admins manage users",
                &approver_hanoi,
                Action::ManageUsers { agency: &hanoi },
                false,
            ),
        ];
        for (name, grants, action, expected) in table {
            assert_eq!(allows(grants, *action), *expected, "{name}");
        }
    }

    #[test]
    fn analytics_reach_the_grants_what_reports_to_a_reviewer_and_the_whole_when_all_report() {
        let provinces = [code("01"), code("79"), code("VPCP")];
        let reporter = AnalyticsScope::of_grants(&[grant(Role::Reporter, "01", false)]);
        assert!(reporter.reads_any());
        assert!(reporter.covers(&lineage("01")));
        assert!(!reporter.covers(&lineage("VN")));
        assert_eq!(reporter.home(&code("VN")), Some(code("01")));

        let office = [grant(Role::Reviewer, "VPCP", false)];
        assert_eq!(AnalyticsScope::receiving_agencies(&office), [code("VPCP")]);
        let one = AnalyticsScope::new(&office, [code("01")], &code("VN"), &provinces);
        assert!(one.covers(&lineage("01")));
        assert!(!one.covers(&lineage("79")), "79 does not report to VPCP");
        assert!(!one.covers(&lineage("VN")));
        let all = AnalyticsScope::new(&office, [code("01"), code("79")], &code("VN"), &provinces);
        assert!(all.covers(&lineage("VN")), "every province reports to VPCP");
        assert!(all.covers(&lineage("00004")), "and so below them");
        assert_eq!(all.home(&code("VN")), Some(code("VN")));

        let auditor = AnalyticsScope::of_grants(&[grant(Role::Auditor, "VN", true)]);
        assert!(!auditor.reads_any());
        assert_eq!(auditor.home(&code("VN")), None);
    }
}
