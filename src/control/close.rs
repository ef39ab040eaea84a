//! Removal from additional control once the promised measures are done.

use super::rework::CommentInput;
use super::{run, Actor, Planned, Step};
use crate::domain::workflow::Action;
use crate::state::AppState;
use crate::store::appeals::{CardData, Change};
use crate::store::ServiceError;
use serde_json::json;

/// Closes appeal `id`.
pub fn close(state: &AppState, actor: &Actor, id: &str, expected: Option<i32>, input: CommentInput) -> Result<CardData, ServiceError> {
    let mut p = plan(state, actor, input)?;
    run(state, actor, id, expected, p.action, &mut *p.decide)
}

/// The removal from control as a step that may be applied to many cards (input checked now).
pub fn plan<'a>(state: &AppState, actor: &Actor, input: CommentInput) -> Result<Planned<'a>, ServiceError> {
    input.validate().map_err(ServiceError::Invalid)?;
    let now = state.now_naive();
    let today = state.today(&actor.org);
    let decide = move |card: &CardData| -> Result<Step, ServiceError> {
        let mut row = card.appeal.clone();
        row.closed_at = Some(now);
        row.closed_on = Some(today);
        Ok(Change { appeal: Some(row), details: json!({"comment": input.comment}), ..Default::default() }.into())
    };
    Ok(Planned { actor: actor.clone(), action: Action::Close, decide: Box::new(decide) })
}
