//! Approval of the pending answer: its per-question results become the questions' results.
//! The appeal stays on control until the answer has gone out: `close` (the default) says its
//! dispatch removes it from control; `false` keeps it on additional control after the dispatch
//! until promised measures are done (then `close`).

use super::{pending_answer, run, Actor, Planned, Step};
use crate::domain::appeal::QuestionResult;
use crate::domain::workflow::Action;
use crate::state::AppState;
use crate::store::appeals::{CardData, Change};
use crate::store::ServiceError;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

/// Approval.
#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveInput {
    /// Remove from control once this answer is dispatched (default), or keep on additional
    /// control after it.
    #[serde(default = "yes")]
    pub close: bool,
}

fn yes() -> bool {
    true
}

/// Approves answer `answer_id` of appeal `id`.
pub fn approve(state: &AppState, actor: &Actor, id: &str, answer_id: &str, expected: Option<i32>, input: ApproveInput) -> Result<CardData, ServiceError> {
    let mut p = plan(state, actor, Some(answer_id.to_string()), input);
    run(state, actor, id, expected, p.action, &mut *p.decide)
}

/// The approval as a step of a composite use case; `answer_id` `None` approves the answer
/// awaiting review (the one an earlier step of the same transaction submitted).
pub fn plan<'a>(state: &AppState, actor: &Actor, answer_id: Option<String>, input: ApproveInput) -> Planned<'a> {
    let now = state.now_naive();
    let today = state.today(&actor.org);
    let reviewer = actor.id.clone();
    let decide = move |card: &CardData| -> Result<Step, ServiceError> {
        let wanted = match &answer_id {
            Some(a) => a.clone(),
            None => card.answers.iter().rev().find(|a| a.status == "pending").map(|a| a.id.clone()).ok_or(ServiceError::NotFound)?,
        };
        let ans = pending_answer(card, &wanted)?;
        let results: Vec<serde_json::Value> = serde_json::from_str(&ans.results).unwrap_or_default();
        let question_results = card
            .questions
            .iter()
            .map(|q| {
                let r = results.iter().find(|r| r["code"] == q.code).and_then(|r| r["result"].as_str()).map(String::from);
                let taken = r.as_deref() == Some(QuestionResult::SupportedMeasuresTaken.as_str());
                (q.id.clone(), r, taken, Some(today))
            })
            .collect();
        let mut row = card.appeal.clone();
        row.answered_at = Some(now);
        row.answered_on = Some(today);
        let change = Change {
            appeal: Some(row),
            answer_reviews: vec![(ans.id.clone(), "approved".into(), reviewer.clone(), None)],
            close_on_dispatch: Some((ans.id.clone(), input.close)),
            question_results,
            details: json!({"answer_id": ans.id, "close": input.close}),
            ..Default::default()
        };
        Ok(Step { change, then: None })
    };
    Planned { actor: actor.clone(), action: Action::Approve, decide: Box::new(decide) }
}
