//! Removal from additional control once the promised measures are done.

use super::rework::CommentInput;
use super::{run, Actor};
use crate::domain::workflow::Action;
use crate::state::AppState;
use crate::store::appeals::{CardData, Change};
use crate::store::StoreError;
use serde_json::json;

/// Closes appeal `id`.
pub fn close(state: &AppState, actor: &Actor, id: &str, expected: Option<i32>, input: CommentInput) -> Result<CardData, StoreError> {
    input.validate().map_err(StoreError::Invalid)?;
    let now = state.now_naive();
    let today = state.today();
    run(state, actor, id, expected, Action::Close, &mut |card| {
        let mut row = card.appeal.clone();
        row.closed_at = Some(now);
        row.closed_on = Some(today);
        Ok(Change { appeal: Some(row), details: json!({"comment": input.comment}), ..Default::default() }.into())
    })
}
