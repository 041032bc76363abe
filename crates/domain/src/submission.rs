//! The state machine of a submission (báo cáo): one agency's report for one assignment and
//! period. All transitions live in [`SubmissionStatus::apply`]; nothing else changes a status.
//!
//! ```text
//!   (none) --save--> draft --submit--> submitted --accept--> accepted
//!                      ^                   |                    |
//!                      |                 return               reopen
//!                      |                   v                    |
//!                      +---- submit --- returned <--------------+
//! ```
//! Editing is allowed in `draft` and `returned`; a resubmission is a new version.

use serde::{Deserialize, Serialize};

use crate::agency::AgencyCode;
use crate::period::PeriodId;
use crate::regime::RegimeCode;

string_enum!(
    /// Where a submission stands.
    SubmissionStatus, {
    Draft => "draft",
    Submitted => "submitted",
    Accepted => "accepted",
    Returned => "returned",
});

string_enum!(
    /// What can happen to a submission.
    SubmissionAction, {
    Save => "save",
    Submit => "submit",
    Accept => "accept",
    Return => "return",
    Reopen => "reopen",
});

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[error("cannot {action} a submission that is {from}")]
pub struct TransitionError {
    pub from: SubmissionStatus,
    pub action: SubmissionAction,
}

impl SubmissionStatus {
    /// The status after `action`, or why it is not allowed. `None` is a slot with nothing
    /// saved yet.
    pub fn apply(from: Option<Self>, action: SubmissionAction) -> Result<Self, TransitionError> {
        use SubmissionAction as A;
        use SubmissionStatus as S;
        match (from, action) {
            (None | Some(S::Draft), A::Save) => Ok(S::Draft),
            (Some(S::Returned), A::Save) => Ok(S::Returned),
            (Some(S::Draft | S::Returned), A::Submit) => Ok(S::Submitted),
            (Some(S::Submitted), A::Accept) => Ok(S::Accepted),
            (Some(S::Submitted), A::Return) => Ok(S::Returned),
            (Some(S::Accepted), A::Reopen) => Ok(S::Returned),
            (from, action) => Err(TransitionError {
                from: from.unwrap_or(S::Draft),
                action,
            }),
        }
    }

    pub fn is_editable(self) -> bool {
        matches!(self, SubmissionStatus::Draft | SubmissionStatus::Returned)
    }
}

/// A version of a report as sent: its number from 1, when, by whom, and the SHA-256 of its
/// canonical content (the signing work adds the signature).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubmittedVersion {
    pub number: u32,
    pub submitted_at: jiff::Timestamp,
    pub submitted_by: String,
    pub content_sha256: String,
    /// Submitted after the deadline (still accepted, and marked).
    pub late: bool,
}

/// One agency's report for one regime and period, with every version it has sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Submission {
    regime: RegimeCode,
    agency: AgencyCode,
    period: PeriodId,
    status: Option<SubmissionStatus>,
    versions: Vec<SubmittedVersion>,
}

impl Submission {
    /// A slot with nothing saved yet.
    pub fn new(regime: RegimeCode, agency: AgencyCode, period: PeriodId) -> Self {
        Self {
            regime,
            agency,
            period,
            status: None,
            versions: Vec::new(),
        }
    }

    /// Applies an action that does not send a version (save, accept, return, reopen).
    pub fn apply(&mut self, action: SubmissionAction) -> Result<SubmissionStatus, TransitionError> {
        if action == SubmissionAction::Submit {
            return Err(TransitionError {
                from: self.status.unwrap_or(SubmissionStatus::Draft),
                action,
            });
        }
        let next = SubmissionStatus::apply(self.status, action)?;
        self.status = Some(next);
        Ok(next)
    }

    /// Submits the current draft as a new version; numbers run from 1 and are never reused.
    pub fn submit(
        &mut self,
        submitted_at: jiff::Timestamp,
        submitted_by: String,
        content_sha256: String,
        late: bool,
    ) -> Result<&SubmittedVersion, TransitionError> {
        let next = SubmissionStatus::apply(self.status, SubmissionAction::Submit)?;
        self.status = Some(next);
        let number = self.versions.len() as u32 + 1;
        self.versions.push(SubmittedVersion {
            number,
            submitted_at,
            submitted_by,
            content_sha256,
            late,
        });
        Ok(&self.versions[self.versions.len() - 1])
    }

    pub fn regime(&self) -> &RegimeCode {
        &self.regime
    }
    pub fn agency(&self) -> &AgencyCode {
        &self.agency
    }
    pub fn period(&self) -> PeriodId {
        self.period
    }
    pub fn status(&self) -> Option<SubmissionStatus> {
        self.status
    }
    pub fn versions(&self) -> &[SubmittedVersion] {
        &self.versions
    }
}

#[cfg(test)]
mod tests {
    use super::SubmissionAction as A;
    use super::SubmissionStatus as S;

    #[test]
    fn first_save_makes_a_draft() {
        assert_eq!(S::apply(None, A::Save), Ok(S::Draft));
    }
    #[test]
    fn nothing_saved_cannot_be_submitted() {
        assert!(S::apply(None, A::Submit).is_err());
    }
    #[test]
    fn a_draft_is_submitted() {
        assert_eq!(S::apply(Some(S::Draft), A::Submit), Ok(S::Submitted));
    }
    #[test]
    fn a_submission_is_accepted_or_returned() {
        assert_eq!(S::apply(Some(S::Submitted), A::Accept), Ok(S::Accepted));
        assert_eq!(S::apply(Some(S::Submitted), A::Return), Ok(S::Returned));
    }
    #[test]
    fn a_submitted_report_cannot_be_edited_or_submitted_again() {
        assert!(S::apply(Some(S::Submitted), A::Save).is_err());
        assert!(S::apply(Some(S::Submitted), A::Submit).is_err());
        assert!(!S::Submitted.is_editable());
    }
    #[test]
    fn a_returned_report_is_edited_and_resubmitted() {
        assert_eq!(S::apply(Some(S::Returned), A::Save), Ok(S::Returned));
        assert_eq!(S::apply(Some(S::Returned), A::Submit), Ok(S::Submitted));
    }
    #[test]
    fn an_accepted_report_changes_only_through_reopen() {
        for action in [A::Save, A::Submit, A::Accept, A::Return] {
            assert!(S::apply(Some(S::Accepted), action).is_err(), "{action}");
        }
        assert_eq!(S::apply(Some(S::Accepted), A::Reopen), Ok(S::Returned));
    }
    #[test]
    fn every_submission_is_a_new_version_and_returns_keep_the_old_ones() {
        let mut report = super::Submission::new(
            crate::regime::RegimeCode::new("BC-KTXH-T").unwrap(),
            crate::agency::AgencyCode::new("01").unwrap(),
            crate::period::PeriodId::parse("202611").unwrap(),
        );
        let at: jiff::Timestamp = "2026-11-18T03:00:00Z".parse().unwrap();
        assert!(
            report
                .submit(at, "hanoi-lead".into(), "aa".into(), false)
                .is_err(),
            "nothing saved yet"
        );
        assert!(
            report.apply(A::Submit).is_err(),
            "a submission needs its version"
        );
        report.apply(A::Save).unwrap();
        assert_eq!(
            report
                .submit(at, "hanoi-lead".into(), "aa".into(), false)
                .unwrap()
                .number,
            1
        );
        report.apply(A::Return).unwrap();
        report.apply(A::Save).unwrap();
        let second = report
            .submit(at, "hanoi-lead".into(), "bb".into(), true)
            .unwrap();
        assert_eq!((second.number, second.late), (2, true));
        report.apply(A::Accept).unwrap();
        assert_eq!(report.status(), Some(S::Accepted));
        assert_eq!(
            report
                .versions()
                .iter()
                .map(|v| v.content_sha256.as_str())
                .collect::<Vec<_>>(),
            ["aa", "bb"]
        );
    }

    #[test]
    fn only_an_accepted_report_reopens() {
        for from in [S::Draft, S::Submitted, S::Returned] {
            assert!(S::apply(Some(from), A::Reopen).is_err());
        }
    }
}
