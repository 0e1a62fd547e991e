//! How a case moves: the one table of status transitions, and what each staff action
//! may do. The store checks every change against it inside the transaction that makes
//! the change, so no door (GraphQL, email, CLI) can move a case another way.

use std::fmt;

use crate::case::CaseStatus;

/// A status change that the workflow does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a case cannot go from {} to {}", .from.graphql_name(), .to.graphql_name())]
pub struct TransitionError {
    pub from: CaseStatus,
    pub to: CaseStatus,
}

impl CaseStatus {
    /// The statuses a case may go to from this one.
    ///
    /// NEW is left only by the pipeline. A case in triage is given a unit (ROUTED) or
    /// handled where it is. A handler may send a case back to triage until it is
    /// resolved. Resolved and closed cases are reopened to IN_PROGRESS, never straight
    /// to waiting, so that reopening is always one recognisable step.
    pub fn next_statuses(self) -> &'static [CaseStatus] {
        use CaseStatus::*;
        match self {
            New => &[Routed, NeedsTriage],
            Routed => &[
                InProgress,
                WaitingForResident,
                Resolved,
                Closed,
                NeedsTriage,
                Routed,
            ],
            NeedsTriage => &[Routed, InProgress, WaitingForResident, Resolved, Closed],
            InProgress => &[WaitingForResident, Resolved, Closed, NeedsTriage, Routed],
            WaitingForResident => &[InProgress, Resolved, Closed, NeedsTriage, Routed],
            Resolved => &[Closed, InProgress],
            Closed => &[InProgress],
        }
    }

    /// `Ok` when a case may go from `self` to `to`.
    pub fn check_move(self, to: CaseStatus) -> Result<(), TransitionError> {
        if self.next_statuses().contains(&to) {
            Ok(())
        } else {
            Err(TransitionError { from: self, to })
        }
    }

    /// Whether the case is finished from the resident's point of view.
    pub fn is_finished(self) -> bool {
        matches!(self, CaseStatus::Resolved | CaseStatus::Closed)
    }

    /// The name in the GraphQL schema, for error messages staff read.
    pub fn graphql_name(self) -> &'static str {
        match self {
            CaseStatus::New => "NEW",
            CaseStatus::Routed => "ROUTED",
            CaseStatus::NeedsTriage => "NEEDS_TRIAGE",
            CaseStatus::InProgress => "IN_PROGRESS",
            CaseStatus::WaitingForResident => "WAITING_FOR_RESIDENT",
            CaseStatus::Resolved => "RESOLVED",
            CaseStatus::Closed => "CLOSED",
        }
    }
}

/// Why an action is not allowed on a case as it stands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// The pipeline has not routed the case yet: staff act on it once it has a unit and
    /// its resident has been acknowledged.
    #[error("the case is still being routed; try again in a moment")]
    StillNew,
    #[error("a {} case cannot be {action}; reopen it first", .status.graphql_name())]
    Finished {
        status: CaseStatus,
        action: StaffAction,
    },
    #[error("{0}")]
    Other(String),
}

/// What staff do to a case, for the rules that are not status moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffAction {
    SetStatus,
    Assign,
    Tag,
    Note,
    Reply,
    ReturnToTriage,
    Reassign,
    Forward,
}

impl fmt::Display for StaffAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StaffAction::SetStatus => "given a new status",
            StaffAction::Assign => "assigned",
            StaffAction::Tag => "tagged",
            StaffAction::Note => "given a note",
            StaffAction::Reply => "replied to",
            StaffAction::ReturnToTriage => "returned to triage",
            StaffAction::Reassign => "reassigned",
            StaffAction::Forward => "forwarded",
        })
    }
}

impl StaffAction {
    /// Whether this action may be taken on a case in `status`. Notes are always
    /// allowed once routed (a closed case may still need a remark); replies and
    /// assignment wait for a reopen once the case is finished.
    pub fn check(self, status: CaseStatus) -> Result<(), ActionError> {
        if status == CaseStatus::New {
            return Err(ActionError::StillNew);
        }
        let allowed_when_finished = matches!(
            self,
            StaffAction::Note | StaffAction::SetStatus | StaffAction::Tag
        );
        if status.is_finished() && !allowed_when_finished {
            return Err(ActionError::Finished {
                status,
                action: self,
            });
        }
        Ok(())
    }
}

/// The statuses `setCaseStatus` may set: routing and triage moves have their own
/// actions, which also change the unit.
pub fn settable_by_staff(status: CaseStatus) -> bool {
    matches!(
        status,
        CaseStatus::InProgress
            | CaseStatus::WaitingForResident
            | CaseStatus::Resolved
            | CaseStatus::Closed
    )
}

/// A tag staff put on cases: lower-cased, 1 to 40 letters, digits, `-` or `_`, so
/// that "Talvi" and "talvi " are one tag and a tag reads well in a filter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(String);

pub const MAX_TAG_CHARS: usize = 40;

impl Tag {
    pub fn parse(input: &str) -> Result<Self, String> {
        let tag = crate::text::normalize(input).to_lowercase();
        let length = tag.chars().count();
        if length == 0 || length > MAX_TAG_CHARS {
            return Err(format!(
                "a tag has 1 to {MAX_TAG_CHARS} characters; {input:?} has {length}"
            ));
        }
        if let Some(bad) = tag
            .chars()
            .find(|c| !(c.is_alphanumeric() || *c == '-' || *c == '_'))
        {
            return Err(format!(
                "a tag has letters, digits, - and _ only; {input:?} has {bad:?}"
            ));
        }
        Ok(Self(tag))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_can_reach_closed_and_closed_only_reopens() {
        for status in CaseStatus::ALL {
            let mut seen = vec![*status];
            let mut frontier = vec![*status];
            while let Some(next) = frontier.pop() {
                for then in next.next_statuses() {
                    if !seen.contains(then) {
                        seen.push(*then);
                        frontier.push(*then);
                    }
                }
            }
            assert!(seen.contains(&CaseStatus::Closed), "{status:?}");
        }
        assert_eq!(
            CaseStatus::Closed.next_statuses(),
            &[CaseStatus::InProgress]
        );
    }

    #[test]
    fn nothing_goes_back_to_new() {
        for status in CaseStatus::ALL {
            assert!(status.check_move(CaseStatus::New).is_err(), "{status:?}");
        }
    }

    #[test]
    fn a_refused_move_names_both_statuses() {
        let error = CaseStatus::Closed
            .check_move(CaseStatus::WaitingForResident)
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "a case cannot go from CLOSED to WAITING_FOR_RESIDENT"
        );
    }

    #[test]
    fn finished_cases_take_notes_but_not_replies() {
        assert!(StaffAction::Note.check(CaseStatus::Closed).is_ok());
        assert!(matches!(
            StaffAction::Reply.check(CaseStatus::Resolved),
            Err(ActionError::Finished { .. })
        ));
        assert_eq!(
            StaffAction::Assign.check(CaseStatus::New),
            Err(ActionError::StillNew)
        );
    }

    #[test]
    fn tags_are_folded_and_plain() {
        assert_eq!(
            Tag::parse(" Talvi-Kunnossapito ").unwrap().as_str(),
            "talvi-kunnossapito"
        );
        assert_eq!(Tag::parse("öljy_vuoto").unwrap().as_str(), "öljy_vuoto");
        assert!(Tag::parse("").is_err());
        assert!(Tag::parse("two words").is_err());
        assert!(Tag::parse(&"x".repeat(41)).is_err());
    }

    #[test]
    fn staff_set_only_working_statuses() {
        assert!(settable_by_staff(CaseStatus::Resolved));
        assert!(!settable_by_staff(CaseStatus::Routed));
        assert!(!settable_by_staff(CaseStatus::New));
    }
}
