//! A co-executor's input (соисполнитель, docs/domain.md §5 step 3): text the responsible executor
//! sees on the card while preparing the answer. The status does not change.

use super::{run, Actor, Invalid};
use crate::domain::validation::Errors;
use crate::domain::workflow::Action;
use crate::state::AppState;
use crate::store::appeals::{CardData, Change};
use crate::store::models::ContributionRow;
use crate::store::{new_id, ServiceError};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

/// A co-executor's contribution.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContributionInput {
    /// The input for the responsible executor.
    pub text: String,
}

impl ContributionInput {
    /// Field checks that need no database.
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut e = Errors::default();
        e.text("text", &self.text, 100_000);
        e.finish()
    }
}

/// Adds the co-executor's contribution to appeal `id`.
pub fn contribute(state: &AppState, actor: &Actor, id: &str, expected: Option<i32>, input: ContributionInput) -> Result<CardData, ServiceError> {
    input.validate().map_err(ServiceError::Invalid)?;
    let now = state.now_naive();
    run(state, actor, id, expected, Action::Contribute, &mut |card| {
        let row = ContributionRow {
            id: new_id(),
            organization_id: card.appeal.organization_id.clone(),
            appeal_id: card.appeal.id.clone(),
            author_id: actor.id.clone(),
            text: input.text.trim().into(),
            created_at: now,
        };
        let details = json!({"contribution_id": row.id});
        Ok(Change { new_contribution: Some(row), details, ..Default::default() }.into())
    })
}
