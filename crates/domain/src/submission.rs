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
    fn only_an_accepted_report_reopens() {
        for from in [S::Draft, S::Submitted, S::Returned] {
            assert!(S::apply(Some(from), A::Reopen).is_err());
        }
    }
}
