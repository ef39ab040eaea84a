//! Every control action on one appeal as one typed value, executed by one function: the API's
//! endpoints and the card's forms build a [`Command`] and hand it to [`execute`], so the table
//! of which action runs which use case exists once.

use super::answer::AnswerInput;
use super::approve::ApproveInput;
use super::assign::AssignInput;
use super::consider::ConsiderationInput;
use super::contribute::ContributionInput;
use super::correct::CorrectionInput;
use super::dispatch::DispatchInput;
use super::extend::ExtendInput;
use super::forward::ForwardInput;
use super::leave::LeaveInput;
use super::rework::CommentInput;
use super::Actor;
use crate::state::AppState;
use crate::store::appeals::CardData;
use crate::store::ServiceError;

/// One control action with its input; those on an answer name it.
pub enum Command {
    /// Resolution: executors named, the appeal put on control.
    Assign(AssignInput),
    /// The deadline extended once (Art. 12).
    Extend(ExtendInput),
    /// Forwarded by competence (Art. 8).
    Forward(ForwardInput),
    /// The responsible executor's answer.
    Answer(AnswerInput),
    /// A co-executor's input.
    Contribute(ContributionInput),
    /// The pending answer approved.
    Approve { answer_id: String, input: ApproveInput },
    /// The pending answer returned for rework.
    Return { answer_id: String, input: CommentInput },
    /// The approved answer's dispatch registered.
    Dispatch { answer_id: String, input: DispatchInput },
    /// Removed from additional control.
    Close(CommentInput),
    /// Left without an answer on an Art. 11 ground.
    LeaveWithoutAnswer(LeaveInput),
    /// The registration card corrected.
    Correct(CorrectionInput),
    /// How the appeal is considered recorded.
    Consider(ConsiderationInput),
}

impl Command {
    /// The action's name, as logs and the pages' addresses spell it.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Assign(_) => "assign",
            Command::Extend(_) => "extend",
            Command::Forward(_) => "forward",
            Command::Answer(_) => "answer",
            Command::Contribute(_) => "contribute",
            Command::Approve { .. } => "approve",
            Command::Return { .. } => "return",
            Command::Dispatch { .. } => "dispatch",
            Command::Close(_) => "close",
            Command::LeaveWithoutAnswer(_) => "leave_without_answer",
            Command::Correct(_) => "correct",
            Command::Consider(_) => "consider",
        }
    }
}

/// Runs `command` on appeal `id` as `actor` (`login` is recorded where the law wants a name,
/// as on an extension), against the card version `expected` when one is named.
pub fn execute(state: &AppState, actor: &Actor, login: &str, id: &str, expected: Option<i32>, command: Command) -> Result<CardData, ServiceError> {
    match command {
        Command::Assign(i) => super::assign::assign(state, actor, id, expected, i),
        Command::Extend(i) => super::extend::extend(state, actor, login, id, expected, i),
        Command::Forward(i) => super::forward::forward(state, actor, id, expected, i),
        Command::Answer(i) => super::answer::answer(state, actor, id, expected, i),
        Command::Contribute(i) => super::contribute::contribute(state, actor, id, expected, i),
        Command::Approve { answer_id, input } => super::approve::approve(state, actor, id, &answer_id, expected, input),
        Command::Return { answer_id, input } => super::rework::return_for_rework(state, actor, id, &answer_id, expected, input),
        Command::Dispatch { answer_id, input } => super::dispatch::dispatch(state, actor, id, &answer_id, expected, input),
        Command::Close(i) => super::close::close(state, actor, id, expected, i),
        Command::LeaveWithoutAnswer(i) => super::leave::leave_without_answer(state, actor, id, expected, i),
        Command::Correct(i) => super::correct::correct(state, actor, id, expected, i),
        Command::Consider(i) => super::consider::consider(state, actor, id, expected, i),
    }
}
