//! An oral answer given at personal reception with the citizen's consent (59-FZ Art. 13 part 3):
//! the official who received the citizen answers on the spot. It is the ordinary control path —
//! resolution to the official, their answer with a result per question, its approval with removal
//! from control, the answer handed over — planned here as four actions of the state machine and
//! applied in ONE transaction (with the visit's registration, when given together): each writes
//! its own history entry, and a refusal of any (say a result for a question the appeal lacks)
//! leaves nothing written.

use super::answer::{AnswerInput, ResultInput};
use super::approve::ApproveInput;
use super::assign::{AssignInput, ExecutorInput};
use super::dispatch::{DispatchInput, SentChannel};
use super::{Actor, Planned};
use crate::domain::roles::Role;
use crate::state::AppState;
use crate::store::ServiceError;

/// The instruction of the resolution an oral answer takes.
pub const INSTRUCTION: &str = "Устный ответ на личном приёме";

/// What was answered and the result per question.
pub struct OralAnswer {
    /// The answer's substance, as recorded.
    pub text: String,
    /// A result for every question.
    pub results: Vec<ResultInput>,
}

/// The four actions of an oral answer: `registrar` (who registers the visit, or the official
/// themself) takes the resolution naming `official`; the official answers, approves with removal
/// from control and hands the answer over today. The official must be a supervisor (the head or
/// a deputy approves their own oral answer); the state machine checks every step as it is applied.
pub fn plan<'a>(state: &'a AppState, registrar: &Actor, official: &Actor, answer: OralAnswer) -> Result<Vec<Planned<'a>>, ServiceError> {
    let resolution = AssignInput { executors: vec![ExecutorInput { user_id: official.id.clone(), responsible: true }], instruction: Some(INSTRUCTION.into()) };
    let handed = DispatchInput { sent_on: state.today(&registrar.org), channel: SentChannel::ByHand, outgoing_number: None };
    Ok(vec![
        super::assign::plan(state, registrar, resolution)?,
        super::answer::plan(state, official, AnswerInput { text: answer.text, results: answer.results })?,
        super::approve::plan(state, official, None, ApproveInput { close: true }),
        super::dispatch::plan(state, official, None, handed)?,
    ])
}

/// The official as an actor, when they may give an oral answer: an active supervisor of the
/// organization (None otherwise).
pub fn official(state: &AppState, org: &str, user_id: &str) -> Result<Option<Actor>, ServiceError> {
    if uuid::Uuid::parse_str(user_id).is_err() {
        return Ok(None);
    }
    let users = crate::store::users::users_by_ids(&state.pool, org, &[user_id.to_string()])?;
    Ok(users.into_iter().find(|u| u.active && Role::parse(&u.role) == Some(Role::Supervisor)).map(|u| Actor { id: u.id, org: org.into(), role: Role::Supervisor }))
}
