//! The control state machine (DOMAIN.md §5): one table of (status, action, role) → status,
//! consulted by every control handler and by the card's `allowed_actions`.

use super::roles::Role;
use serde::{Deserialize, Serialize};

/// Where an appeal stands in the control workflow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Registered, no resolution yet.
    Registered,
    /// Executors named, on control.
    InWork,
    /// An answer awaits the supervisor's review.
    AnswerReview,
    /// Answer approved, kept on additional control until promised measures are done.
    Answered,
    /// Removed from control.
    Closed,
    /// Forwarded to another body by competence.
    Forwarded,
    /// Left without an answer on the grounds of Art. 11.
    LeftWithoutAnswer,
}

impl Status {
    /// Every status.
    pub const ALL: [Status; 7] = [
        Status::Registered,
        Status::InWork,
        Status::AnswerReview,
        Status::Answered,
        Status::Closed,
        Status::Forwarded,
        Status::LeftWithoutAnswer,
    ];

    /// The stored and API code.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Registered => "registered",
            Status::InWork => "in_work",
            Status::AnswerReview => "answer_review",
            Status::Answered => "answered",
            Status::Closed => "closed",
            Status::Forwarded => "forwarded",
            Status::LeftWithoutAnswer => "left_without_answer",
        }
    }

    /// Parses a stored code.
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Russian label shown to clerks.
    pub fn label(self) -> &'static str {
        match self {
            Status::Registered => "Зарегистрировано",
            Status::InWork => "На исполнении (на контроле)",
            Status::AnswerReview => "Ответ на проверке",
            Status::Answered => "Дан ответ, на дополнительном контроле",
            Status::Closed => "Снято с контроля",
            Status::Forwarded => "Направлено по компетенции",
            Status::LeftWithoutAnswer => "Оставлено без ответа",
        }
    }

    /// Statuses in which the deadline still runs: they can become overdue.
    pub fn is_open(self) -> bool {
        matches!(self, Status::Registered | Status::InWork | Status::AnswerReview)
    }

    /// Open statuses as codes, for queries.
    pub fn open_codes() -> Vec<&'static str> {
        Status::ALL.into_iter().filter(|s| s.is_open()).map(Status::as_str).collect()
    }
}

/// A control action of the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Resolution: name executors and put on control.
    Assign,
    /// Extend the deadline once (Art. 12).
    Extend,
    /// Forward by competence (Art. 8).
    Forward,
    /// An executor submits a draft answer.
    Answer,
    /// Supervisor approves the answer.
    Approve,
    /// Supervisor returns the answer for rework.
    Return,
    /// Remove from additional control.
    Close,
    /// Leave without an answer (Art. 11).
    LeaveWithoutAnswer,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 8] = [
        Action::Assign,
        Action::Extend,
        Action::Forward,
        Action::Answer,
        Action::Approve,
        Action::Return,
        Action::Close,
        Action::LeaveWithoutAnswer,
    ];

    /// API code (also the history's action name).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Assign => "assign",
            Action::Extend => "extend",
            Action::Forward => "forward",
            Action::Answer => "answer",
            Action::Approve => "approve",
            Action::Return => "return",
            Action::Close => "close",
            Action::LeaveWithoutAnswer => "leave_without_answer",
        }
    }

    /// Roles that may take the action at all (status permitting).
    pub fn roles(self) -> &'static [Role] {
        use Role::*;
        match self {
            Action::Assign => &[Supervisor, Clerk, Admin],
            Action::Forward => &[Clerk, Supervisor, Admin],
            Action::Extend | Action::Approve | Action::Return | Action::Close | Action::LeaveWithoutAnswer => &[Supervisor, Admin],
            Action::Answer => &[Executor],
        }
    }

    /// True when the action additionally requires the caller to be assigned to the appeal.
    pub fn needs_assignment(self) -> bool {
        self == Action::Answer
    }
}

/// The transition table: the status an action leads to from `from`, or `None` when illegal.
/// `Approve` leads to `Answered`; approving with `close` goes on to `Closed` in the same step.
pub fn transition(from: Status, action: Action) -> Option<Status> {
    use Action as A;
    use Status as S;
    match (from, action) {
        (S::Registered | S::InWork, A::Assign) => Some(S::InWork),
        (S::Registered | S::InWork | S::AnswerReview, A::Extend) => Some(from),
        (S::Registered | S::InWork, A::Forward) => Some(S::Forwarded),
        (S::InWork, A::Answer) => Some(S::AnswerReview),
        (S::AnswerReview, A::Approve) => Some(S::Answered),
        (S::AnswerReview, A::Return) => Some(S::InWork),
        (S::Answered, A::Close) => Some(S::Closed),
        (S::Registered | S::InWork | S::AnswerReview, A::LeaveWithoutAnswer) => Some(S::LeftWithoutAnswer),
        _ => None,
    }
}

/// Why a move is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The role may never take this action.
    Role,
    /// The action needs an assignment the caller does not have.
    NotAssigned,
    /// The status does not allow it; carries the actions that are allowed now.
    Status { current: Status, allowed: Vec<Action> },
}

/// Decides whether `role` (assigned or not) may take `action` on an appeal in `status`.
pub fn check(status: Status, action: Action, role: Role, assigned: bool) -> Result<Status, Refusal> {
    if !action.roles().contains(&role) {
        return Err(Refusal::Role);
    }
    if action.needs_assignment() && !assigned {
        return Err(Refusal::NotAssigned);
    }
    transition(status, action).ok_or_else(|| Refusal::Status { current: status, allowed: allowed_actions(status, role, assigned) })
}

/// The actions the caller may take now; shown on the card.
pub fn allowed_actions(status: Status, role: Role, assigned: bool) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|a| a.roles().contains(&role) && (!a.needs_assignment() || assigned) && transition(status, *a).is_some())
        .collect()
}

/// Art. 11 grounds for leaving an appeal without an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LeaveReason {
    /// No surname or no postal address.
    Anonymous,
    /// Obscene or threatening language.
    Obscene,
    /// Text cannot be read.
    Unreadable,
    /// The essence cannot be determined.
    NoEssence,
    /// Correspondence terminated on a repeated question.
    CorrespondenceTerminated,
    /// Challenges a court decision.
    CourtDecision,
}

impl LeaveReason {
    /// Stored code.
    pub fn as_str(self) -> &'static str {
        match self {
            LeaveReason::Anonymous => "anonymous",
            LeaveReason::Obscene => "obscene",
            LeaveReason::Unreadable => "unreadable",
            LeaveReason::NoEssence => "no_essence",
            LeaveReason::CorrespondenceTerminated => "correspondence_terminated",
            LeaveReason::CourtDecision => "court_decision",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_path_is_legal() {
        let mut s = Status::Registered;
        for (a, role, assigned) in [
            (Action::Assign, Role::Clerk, false),
            (Action::Answer, Role::Executor, true),
            (Action::Return, Role::Supervisor, false),
            (Action::Answer, Role::Executor, true),
            (Action::Approve, Role::Supervisor, false),
            (Action::Close, Role::Supervisor, false),
        ] {
            s = check(s, a, role, assigned).unwrap();
        }
        assert_eq!(s, Status::Closed);
    }

    #[test]
    fn terminal_statuses_allow_nothing() {
        for s in [Status::Closed, Status::Forwarded, Status::LeftWithoutAnswer] {
            for r in Role::ALL {
                assert!(allowed_actions(s, r, true).is_empty(), "{s:?} {r:?}");
            }
        }
    }

    #[test]
    fn refusals_explain_themselves() {
        assert_eq!(check(Status::Registered, Action::Answer, Role::Executor, false), Err(Refusal::NotAssigned));
        assert_eq!(check(Status::Registered, Action::Approve, Role::Clerk, false), Err(Refusal::Role));
        match check(Status::Closed, Action::Assign, Role::Clerk, false) {
            Err(Refusal::Status { current, allowed }) => {
                assert_eq!(current, Status::Closed);
                assert!(allowed.is_empty());
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            allowed_actions(Status::Registered, Role::Clerk, false),
            vec![Action::Assign, Action::Forward]
        );
    }

    #[test]
    fn codes_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
    }
}
