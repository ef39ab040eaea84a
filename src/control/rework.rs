//! Return of the pending answer for rework (возврат на доработку): counted in reports; the
//! appeal goes back to its executors.

use super::{pending_answer, run, Actor, Invalid};
use crate::domain::validation::Errors;
use crate::domain::workflow::Action;
use crate::state::AppState;
use crate::store::appeals::{CardData, Change};
use crate::store::ServiceError;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

/// A comment (return for rework, close).
#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentInput {
    /// Comment.
    #[serde(default)]
    pub comment: Option<String>,
}

impl CommentInput {
    /// Field checks that need no database.
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut e = Errors::default();
        if let Some(c) = &self.comment {
            e.max_len("comment", c, 4000);
        }
        e.finish()
    }
}

/// Returns answer `answer_id` of appeal `id` for rework.
pub fn return_for_rework(state: &AppState, actor: &Actor, id: &str, answer_id: &str, expected: Option<i32>, input: CommentInput) -> Result<CardData, ServiceError> {
    input.validate().map_err(ServiceError::Invalid)?;
    run(state, actor, id, expected, Action::Return, &mut |card| {
        let ans = pending_answer(card, answer_id)?;
        let mut row = card.appeal.clone();
        row.returned_count += 1;
        let details = json!({"answer_id": ans.id, "comment": input.comment, "returned_count": row.returned_count});
        Ok(Change { appeal: Some(row), answer_reviews: vec![(ans.id.clone(), "returned".into(), actor.id.clone(), input.comment.clone())], details, ..Default::default() }.into())
    })
}
