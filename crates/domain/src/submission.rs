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

/// What the caller's grants allow on one report (asked of the permission policy on the
/// reporting and receiving agencies' lineages).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rights {
    /// May edit the draft (a reporter of the agency or above it).
    pub edit: bool,
    /// May sign and submit (the agency's approver).
    pub submit: bool,
    /// May accept, return and reopen (a reviewer of the receiving agency).
    pub review: bool,
}

/// What the regime's version and the moment say about a report, whoever asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Circumstances {
    /// The regime is published: a draft regime is still being written, a retired one no
    /// longer asks for reports (its old reports can still be reviewed).
    pub published: bool,
    /// The last day the regime keeps the report open after its deadline has passed: nothing
    /// more is written or sent (the receiver may still review).
    pub locked: bool,
    /// The deadline has passed and the regime takes no late reports.
    pub late_refused: bool,
}

/// Why an action on a report is refused, in the order the checks are made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the regime is not published")]
    NotPublished,
    #[error("the report is locked")]
    Locked,
    #[error("the deadline has passed and late reports are not taken")]
    DeadlinePassed,
    #[error("not allowed")]
    Forbidden,
    #[error(transparent)]
    Transition(TransitionError),
}

/// A change of a report that [`decide`] allowed: the action, the status it was taken in and the
/// status it leaves. Only this module makes one, so a store that writes only transitions writes
/// only what the decision allowed (and checks, as it writes, that the report is still in
/// [`Transition::from`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    from: Option<SubmissionStatus>,
    to: SubmissionStatus,
    action: SubmissionAction,
}

impl Transition {
    /// The status the report was in (`None`: nothing saved yet).
    pub fn from(&self) -> Option<SubmissionStatus> {
        self.from
    }

    /// The status it leaves.
    pub fn to(&self) -> SubmissionStatus {
        self.to
    }

    pub fn action(&self) -> SubmissionAction {
        self.action
    }
}

/// Whether `action` may be taken on a report in `status` (`None`: nothing saved yet) by a
/// caller with `rights`, and the transition it makes. The one decision: what a page offers
/// ([`allowed_actions`]) and what a use case checks before acting are both this function.
pub fn decide(
    status: Option<SubmissionStatus>,
    action: SubmissionAction,
    rights: Rights,
    circumstances: Circumstances,
) -> Result<Transition, Refusal> {
    use SubmissionAction as A;
    let writes = matches!(action, A::Save | A::Submit);
    if writes && !circumstances.published {
        return Err(Refusal::NotPublished);
    }
    if writes && circumstances.locked {
        return Err(Refusal::Locked);
    }
    if action == A::Submit && circumstances.late_refused {
        return Err(Refusal::DeadlinePassed);
    }
    let right = match action {
        A::Save => rights.edit,
        A::Submit => rights.submit,
        A::Accept | A::Return | A::Reopen => rights.review,
    };
    if !right {
        return Err(Refusal::Forbidden);
    }
    // Only a saved report can be sent: there is nothing to sign before.
    if action == A::Submit && status.is_none() {
        return Err(Refusal::Transition(TransitionError {
            from: SubmissionStatus::Draft,
            action,
        }));
    }
    let to = SubmissionStatus::apply(status, action).map_err(Refusal::Transition)?;
    Ok(Transition {
        from: status,
        to,
        action,
    })
}

/// What a caller may do with a report now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AllowedActions {
    pub edit: bool,
    pub submit: bool,
    pub accept: bool,
    #[serde(rename = "return")]
    pub return_: bool,
    pub reopen: bool,
}

/// Every action [`decide`] would let through.
pub fn allowed_actions(
    status: Option<SubmissionStatus>,
    rights: Rights,
    circumstances: Circumstances,
) -> AllowedActions {
    let may = |action| decide(status, action, rights, circumstances).is_ok();
    AllowedActions {
        edit: may(SubmissionAction::Save),
        submit: may(SubmissionAction::Submit),
        accept: may(SubmissionAction::Accept),
        return_: may(SubmissionAction::Return),
        reopen: may(SubmissionAction::Reopen),
    }
}

#[cfg(test)]
mod decision {
    use super::*;

    const EVERYONE: Rights = Rights {
        edit: true,
        submit: true,
        review: true,
    };
    const OPEN: Circumstances = Circumstances {
        published: true,
        locked: false,
        late_refused: false,
    };
    const ACTIONS: [SubmissionAction; 5] = [
        SubmissionAction::Save,
        SubmissionAction::Submit,
        SubmissionAction::Accept,
        SubmissionAction::Return,
        SubmissionAction::Reopen,
    ];

    fn statuses() -> [Option<SubmissionStatus>; 5] {
        [
            None,
            Some(SubmissionStatus::Draft),
            Some(SubmissionStatus::Submitted),
            Some(SubmissionStatus::Accepted),
            Some(SubmissionStatus::Returned),
        ]
    }

    #[test]
    fn what_is_offered_is_exactly_what_is_let_through() {
        let triples: Vec<(bool, bool, bool)> = (0..8)
            .map(|n| (n & 1 == 1, n & 2 == 2, n & 4 == 4))
            .collect();
        for status in statuses() {
            for &(edit, submit, review) in &triples {
                for &(published, locked, late_refused) in &triples {
                    let rights = Rights {
                        edit,
                        submit,
                        review,
                    };
                    let now = Circumstances {
                        published,
                        locked,
                        late_refused,
                    };
                    let offered = allowed_actions(status, rights, now);
                    let shown = [
                        offered.edit,
                        offered.submit,
                        offered.accept,
                        offered.return_,
                        offered.reopen,
                    ];
                    for (action, shown) in ACTIONS.iter().zip(shown) {
                        assert_eq!(decide(status, *action, rights, now).is_ok(), shown);
                    }
                }
            }
        }
    }

    #[test]
    fn a_locked_report_offers_no_edit_nor_submit_but_can_still_be_reviewed() {
        let locked = Circumstances {
            locked: true,
            ..OPEN
        };
        let draft = allowed_actions(Some(SubmissionStatus::Draft), EVERYONE, locked);
        assert!(!draft.edit && !draft.submit);
        assert_eq!(
            decide(
                Some(SubmissionStatus::Draft),
                SubmissionAction::Save,
                EVERYONE,
                locked
            ),
            Err(Refusal::Locked)
        );
        let sent = allowed_actions(Some(SubmissionStatus::Submitted), EVERYONE, locked);
        assert!(sent.accept && sent.return_);
    }

    #[test]
    fn a_late_report_under_a_strict_regime_is_not_offered_for_submission() {
        let late = Circumstances {
            late_refused: true,
            ..OPEN
        };
        let draft = allowed_actions(Some(SubmissionStatus::Draft), EVERYONE, late);
        assert!(draft.edit, "it can still be corrected");
        assert!(!draft.submit);
        assert_eq!(
            decide(
                Some(SubmissionStatus::Draft),
                SubmissionAction::Submit,
                EVERYONE,
                late
            ),
            Err(Refusal::DeadlinePassed)
        );
    }

    #[test]
    fn nothing_saved_cannot_be_submitted_and_rights_come_before_status() {
        assert_eq!(
            decide(None, SubmissionAction::Submit, EVERYONE, OPEN),
            Err(Refusal::Transition(TransitionError {
                from: SubmissionStatus::Draft,
                action: SubmissionAction::Submit
            }))
        );
        let reader = Rights::default();
        assert_eq!(
            decide(
                Some(SubmissionStatus::Accepted),
                SubmissionAction::Save,
                reader,
                OPEN
            ),
            Err(Refusal::Forbidden)
        );
        let unpublished = Circumstances {
            published: false,
            ..OPEN
        };
        assert_eq!(
            decide(
                Some(SubmissionStatus::Submitted),
                SubmissionAction::Accept,
                EVERYONE,
                unpublished
            ),
            Ok(Transition {
                from: Some(SubmissionStatus::Submitted),
                to: SubmissionStatus::Accepted,
                action: SubmissionAction::Accept
            }),
            "a retired regime's reports can still be reviewed"
        );
    }
}
