//! The control state machine (docs/domain.md §5): one table of (status, action, role) → status,
//! consulted by every control handler and by the card's `allowed_actions`.

use super::error_code::ErrorCode;
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
    /// Answer approved: on control until it is dispatched, and after that on additional
    /// control when the approval said so (until promised measures are done).
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
            Status::Answered => "Ответ утверждён, на контроле",
            Status::Closed => "Снято с контроля",
            Status::Forwarded => "Направлено по компетенции",
            Status::LeftWithoutAnswer => "Оставлено без ответа",
        }
    }

    /// The label of a card in this status: an approved answer not yet sent reads as waiting for
    /// its dispatch, one sent as additional control.
    pub fn label_of_card(self, answer_sent: bool) -> &'static str {
        match (self, answer_sent) {
            (Status::Answered, false) => "Ответ утверждён, ожидает отправки",
            (Status::Answered, true) => "Дан ответ, на дополнительном контроле",
            (s, _) => s.label(),
        }
    }

    /// Statuses in which the deadline still runs: they can become overdue.
    pub fn is_open(self) -> bool {
        matches!(self, Status::Registered | Status::InWork | Status::AnswerReview)
    }

    /// The open statuses' codes: the one list every query, rollup and SQL text uses (a test
    /// checks it against [`Status::is_open`] and the store's SQL literals against it).
    pub const OPEN_CODES: [&'static str; 3] = ["registered", "in_work", "answer_review"];
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
    /// The responsible executor submits a draft answer.
    Answer,
    /// A co-executor sends input to the responsible executor.
    Contribute,
    /// Supervisor approves the answer.
    Approve,
    /// Supervisor returns the answer for rework.
    Return,
    /// Register the signed answer's dispatch (outgoing number, date, way).
    Dispatch,
    /// Remove from additional control.
    Close,
    /// Leave without an answer (Art. 11).
    LeaveWithoutAnswer,
    /// Correct the registration card while the appeal is under consideration.
    Correct,
    /// Correct the card of a finished appeal: an administrator, with a reason.
    CorrectFinished,
    /// Record how the appeal is considered: documents requested, on-site check, commission,
    /// with the applicant (the flags reports count).
    Consider,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 13] = [
        Action::Assign,
        Action::Extend,
        Action::Forward,
        Action::Answer,
        Action::Contribute,
        Action::Approve,
        Action::Return,
        Action::Dispatch,
        Action::Close,
        Action::LeaveWithoutAnswer,
        Action::Correct,
        Action::CorrectFinished,
        Action::Consider,
    ];

    /// API code (also the history's action name).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Assign => "assign",
            Action::Extend => "extend",
            Action::Forward => "forward",
            Action::Answer => "answer",
            Action::Contribute => "contribute",
            Action::Approve => "approve",
            Action::Return => "return",
            Action::Dispatch => "dispatch",
            Action::Close => "close",
            Action::LeaveWithoutAnswer => "leave_without_answer",
            Action::Correct => "correct",
            Action::CorrectFinished => "correct_finished",
            Action::Consider => "consider",
        }
    }

    /// What a clerk reads for the action, in refusals and on the pages.
    pub fn label(self) -> &'static str {
        match self {
            Action::Assign => "резолюция (назначение исполнителей)",
            Action::Extend => "продление срока",
            Action::Forward => "перенаправление по компетенции",
            Action::Answer => "ответ",
            Action::Contribute => "материалы соисполнителя",
            Action::Approve => "утверждение ответа",
            Action::Return => "возврат на доработку",
            Action::Dispatch => "регистрация отправки ответа",
            Action::Close => "снятие с контроля",
            Action::LeaveWithoutAnswer => "оставление без ответа",
            Action::Correct => "исправление карточки",
            Action::CorrectFinished => "исправление карточки завершённого обращения",
            Action::Consider => "отметка о ходе рассмотрения",
        }
    }

    /// Roles that may take the action at all (status permitting); `None` when the caller's
    /// part in the resolution decides instead of the role (see [`Action::needs`]).
    pub fn roles(self) -> Option<&'static [Role]> {
        use Role::*;
        match self {
            Action::Assign => Some(&[Supervisor, Clerk, Admin]),
            Action::Forward | Action::Dispatch => Some(&[Clerk, Supervisor, Admin]),
            Action::Extend | Action::Approve | Action::Return | Action::Close | Action::LeaveWithoutAnswer | Action::Consider => Some(&[Supervisor, Admin]),
            Action::Correct => Some(&[Clerk, Admin]),
            Action::CorrectFinished => Some(&[Admin]),
            Action::Answer | Action::Contribute => None,
        }
    }

    /// The part in the resolution the caller must hold, whatever their role: a deputy head
    /// with the supervisor role is often the responsible executor.
    pub fn needs(self) -> Option<Part> {
        match self {
            Action::Answer => Some(Part::Responsible),
            Action::Contribute => Some(Part::CoExecutor),
            _ => None,
        }
    }

    /// True when the action is open to `role` holding `part`.
    pub fn open_to(self, role: Role, part: Part) -> bool {
        // Whoever considers the appeal records how: its executors, or a supervisor.
        if self == Action::Consider && part != Part::None {
            return true;
        }
        match (self.roles(), self.needs()) {
            (Some(roles), _) => roles.contains(&role),
            (None, Some(needed)) => part == needed,
            (None, None) => false,
        }
    }
}

/// The caller's part in an appeal's current resolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// Not among the active executors.
    None,
    /// The responsible executor (ответственный исполнитель): writes the answer.
    Responsible,
    /// A co-executor (соисполнитель): sends input to the responsible one.
    CoExecutor,
}

/// The transition table: the status an action leads to from `from`, or `None` when illegal.
/// It alone decides an action's resulting status; approving with `close` applies `Close`
/// to the approved state in the same step.
pub fn transition(from: Status, action: Action) -> Option<Status> {
    use Action as A;
    use Status as S;
    match (from, action) {
        (S::Registered | S::InWork, A::Assign) => Some(S::InWork),
        (S::Registered | S::InWork | S::AnswerReview, A::Extend) => Some(from),
        (S::Registered | S::InWork, A::Forward) => Some(S::Forwarded),
        (S::InWork, A::Answer) => Some(S::AnswerReview),
        (S::InWork | S::AnswerReview, A::Contribute) => Some(from),
        (S::AnswerReview, A::Approve) => Some(S::Answered),
        (S::AnswerReview, A::Return) => Some(S::InWork),
        (S::Answered | S::Closed, A::Dispatch) => Some(from),
        (S::Answered, A::Close) => Some(S::Closed),
        (S::Registered | S::InWork | S::AnswerReview, A::LeaveWithoutAnswer) => Some(S::LeftWithoutAnswer),
        (S::Registered | S::InWork | S::AnswerReview | S::Answered, A::Correct) => Some(from),
        (S::Closed | S::Forwarded | S::LeftWithoutAnswer, A::CorrectFinished) => Some(from),
        (S::InWork | S::AnswerReview | S::Answered, A::Consider) => Some(from),
        _ => None,
    }
}

/// Why a move is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The role may never take this action.
    Role,
    /// The action needs a part in the resolution the caller does not have.
    NotAssigned,
    /// The status does not allow it; carries the actions that are allowed now.
    Status { current: Status, allowed: Vec<Action> },
}

/// Decides whether `role` holding `part` may take `action` on an appeal in `status`.
pub fn check(status: Status, action: Action, role: Role, part: Part) -> Result<Status, Refusal> {
    if !action.open_to(role, part) {
        return Err(if action.roles().is_some() { Refusal::Role } else { Refusal::NotAssigned });
    }
    transition(status, action).ok_or_else(|| Refusal::Status { current: status, allowed: allowed_actions(status, role, part) })
}

/// The actions the table lets the caller take now, before each action's own preconditions.
pub fn allowed_actions(status: Status, role: Role, part: Part) -> Vec<Action> {
    Action::ALL.into_iter().filter(|a| a.open_to(role, part) && transition(status, *a).is_some()).collect()
}

/// What the card holds that decides whether an action the table allows can be taken now:
/// the same facts the actions themselves check, so the card never offers a dead button.
#[derive(Clone, Copy, Debug, Default)]
pub struct Facts {
    /// The deadline was extended already (Art. 12 allows once).
    pub extended: bool,
    /// The deadline has passed: an extension now would hide a violation.
    pub deadline_passed: bool,
    /// An answer awaits review.
    pub pending_answer: bool,
    /// An approved answer has not been dispatched yet.
    pub undispatched_answer: bool,
}

/// The actions the caller may take now: the table's, less those whose preconditions fail.
pub fn available_actions(status: Status, role: Role, part: Part, facts: Facts) -> Vec<Action> {
    allowed_actions(status, role, part).into_iter().filter(|a| precondition(*a, facts).is_ok()).collect()
}

/// An action's own precondition on the card, beyond the table; `Err` carries the stable code.
pub fn precondition(action: Action, facts: Facts) -> Result<(), ErrorCode> {
    match action {
        Action::Extend if facts.extended => Err(ErrorCode::AlreadyExtended),
        Action::Extend if facts.deadline_passed => Err(ErrorCode::DeadlinePassed),
        Action::Approve | Action::Return if !facts.pending_answer => Err(ErrorCode::NoPendingAnswer),
        Action::Dispatch if !facts.undispatched_answer => Err(ErrorCode::NothingToDispatch),
        // Control ends when the answer has gone out, not when it is approved.
        Action::Close if facts.undispatched_answer => Err(ErrorCode::AnswerNotDispatched),
        _ => Ok(()),
    }
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
    /// Every ground, in the order the forms offer them.
    pub const ALL: [LeaveReason; 6] = [
        LeaveReason::Anonymous,
        LeaveReason::Obscene,
        LeaveReason::Unreadable,
        LeaveReason::NoEssence,
        LeaveReason::CorrespondenceTerminated,
        LeaveReason::CourtDecision,
    ];

    /// The ground as a clerk reads it in a form.
    pub fn label(self) -> &'static str {
        match self {
            LeaveReason::Anonymous => "Не указаны фамилия или почтовый адрес",
            LeaveReason::Obscene => "Нецензурные либо оскорбительные выражения",
            LeaveReason::Unreadable => "Текст не поддаётся прочтению",
            LeaveReason::NoEssence => "Нельзя понять суть обращения",
            LeaveReason::CorrespondenceTerminated => "Переписка прекращена",
            LeaveReason::CourtDecision => "Есть решение суда по тем же вопросам",
        }
    }

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

    /// Checks the ground against the card (Art. 11): `anonymous` only when the surname or the
    /// address for the answer is missing; termination of correspondence only on a repeated
    /// appeal. `Err` is the Russian reason for the clerk.
    pub fn check_ground(self, anonymous: bool, repeated: bool) -> Result<(), &'static str> {
        match self {
            LeaveReason::Anonymous if !anonymous => Err("в обращении есть фамилия и адрес для ответа: оснований считать его анонимным нет (ст. 11 59-ФЗ)"),
            LeaveReason::CorrespondenceTerminated if !repeated => {
                Err("переписку прекращают только по повторному обращению на вопрос, на который уже давались ответы по существу (ст. 11 ч. 5 59-ФЗ)")
            }
            _ => Ok(()),
        }
    }

    /// True when the applicant must be told why there is no answer (every ground but
    /// anonymity, which leaves no one to tell); the notice is due 7 days after registration.
    pub fn needs_notice(self) -> bool {
        self != LeaveReason::Anonymous
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `OPEN_CODES` is what `is_open` says, and every status list written as SQL text in the
    /// store or the migrations that names an open status names exactly these.
    #[test]
    fn one_list_of_open_statuses_everywhere() {
        let open: Vec<&str> = Status::ALL.into_iter().filter(|s| s.is_open()).map(Status::as_str).collect();
        assert_eq!(open, Status::OPEN_CODES);
        let expected: std::collections::BTreeSet<&str> = Status::OPEN_CODES.into_iter().collect();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        let mut dirs = vec![root.join("src/store"), root.join("migrations")];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).expect("readable").flatten() {
                let p = e.path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p.extension().is_some_and(|x| x == "rs" || x == "sql") {
                    files.push(p);
                }
            }
        }
        let mut checked = 0;
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for (at, _) in text.match_indices("status IN (") {
                let list = &text[at + "status IN (".len()..];
                let list = &list[..list.find(')').unwrap_or(list.len())];
                let codes: std::collections::BTreeSet<&str> = list.split(',').map(|c| c.trim().trim_matches('\'')).collect();
                if codes.iter().any(|c| expected.contains(c)) {
                    assert_eq!(codes, expected, "{}: a status list that is not the open statuses", f.display());
                    checked += 1;
                }
            }
        }
        assert!(checked >= 3, "the store's SQL literals were not found ({checked})");
    }

    #[test]
    fn every_action_has_a_russian_label_of_its_own() {
        let labels: std::collections::BTreeSet<&str> = Action::ALL.iter().map(|a| a.label()).collect();
        assert_eq!(labels.len(), Action::ALL.len());
        assert!(labels.iter().all(|l| l.chars().any(|c| ('а'..='я').contains(&c)) && !l.contains('_')));
    }

    #[test]
    fn lifecycle_path_is_legal() {
        let mut s = Status::Registered;
        for (a, role, part) in [
            (Action::Assign, Role::Clerk, Part::None),
            (Action::Contribute, Role::Executor, Part::CoExecutor),
            (Action::Answer, Role::Executor, Part::Responsible),
            (Action::Return, Role::Supervisor, Part::None),
            (Action::Answer, Role::Supervisor, Part::Responsible),
            (Action::Approve, Role::Supervisor, Part::None),
            (Action::Close, Role::Supervisor, Part::None),
            (Action::Dispatch, Role::Clerk, Part::None),
        ] {
            s = check(s, a, role, part).unwrap();
        }
        assert_eq!(s, Status::Closed);
    }

    #[test]
    fn finished_statuses_allow_only_dispatch_and_an_admins_correction() {
        for s in [Status::Closed, Status::Forwarded, Status::LeftWithoutAnswer] {
            for r in Role::ALL {
                for part in [Part::None, Part::Responsible, Part::CoExecutor] {
                    for a in allowed_actions(s, r, part) {
                        assert!(a == Action::Dispatch && s == Status::Closed || a == Action::CorrectFinished && r == Role::Admin, "{s:?} {r:?} {a:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn only_the_responsible_executor_answers_whatever_the_role() {
        for r in Role::ALL {
            assert_eq!(check(Status::InWork, Action::Answer, r, Part::Responsible), Ok(Status::AnswerReview), "{r:?}");
            assert_eq!(check(Status::InWork, Action::Answer, r, Part::CoExecutor), Err(Refusal::NotAssigned));
            assert_eq!(check(Status::InWork, Action::Contribute, r, Part::CoExecutor), Ok(Status::InWork));
            assert_eq!(check(Status::InWork, Action::Contribute, r, Part::Responsible), Err(Refusal::NotAssigned));
        }
        assert_eq!(allowed_actions(Status::InWork, Role::Executor, Part::CoExecutor), vec![Action::Contribute, Action::Consider]);
        assert_eq!(allowed_actions(Status::InWork, Role::Executor, Part::Responsible), vec![Action::Answer, Action::Consider]);
    }

    #[test]
    fn preconditions_remove_dead_buttons() {
        let facts = Facts { extended: true, ..Facts::default() };
        assert!(!available_actions(Status::InWork, Role::Supervisor, Part::None, facts).contains(&Action::Extend));
        let facts = Facts { deadline_passed: true, ..Facts::default() };
        assert_eq!(precondition(Action::Extend, facts), Err(ErrorCode::DeadlinePassed));
        assert_eq!(precondition(Action::Dispatch, Facts::default()), Err(ErrorCode::NothingToDispatch));
        assert!(available_actions(Status::Closed, Role::Clerk, Part::None, Facts { undispatched_answer: true, ..Facts::default() }).contains(&Action::Dispatch));
    }

    #[test]
    fn refusals_explain_themselves() {
        assert_eq!(check(Status::Registered, Action::Answer, Role::Executor, Part::None), Err(Refusal::NotAssigned));
        assert_eq!(check(Status::Registered, Action::Approve, Role::Clerk, Part::None), Err(Refusal::Role));
        match check(Status::Closed, Action::Assign, Role::Clerk, Part::None) {
            Err(Refusal::Status { current, allowed }) => {
                assert_eq!(current, Status::Closed);
                assert_eq!(allowed, vec![Action::Dispatch], "a closed appeal's answer may still go out");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            allowed_actions(Status::Registered, Role::Clerk, Part::None),
            vec![Action::Assign, Action::Forward, Action::Correct]
        );
    }

    #[test]
    fn art11_grounds_are_checked_against_the_card() {
        assert!(LeaveReason::Anonymous.check_ground(false, false).is_err());
        assert!(LeaveReason::Anonymous.check_ground(true, false).is_ok());
        assert!(LeaveReason::CorrespondenceTerminated.check_ground(false, false).is_err());
        assert!(LeaveReason::CorrespondenceTerminated.check_ground(false, true).is_ok());
        assert!(LeaveReason::Unreadable.check_ground(false, false).is_ok());
        assert!(!LeaveReason::Anonymous.needs_notice());
        assert!(LeaveReason::Unreadable.needs_notice());
    }

    #[test]
    fn codes_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
    }
}
