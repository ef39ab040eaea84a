//! The draft answer: only the responsible executor submits it, whatever their role, with a
//! result for every question; it then awaits the supervisor's review.

use super::{run, Actor, Invalid, Planned, Step};
use crate::domain::appeal::QuestionResult;
use crate::domain::validation::Errors;
use crate::domain::workflow::Action;
use crate::state::AppState;
use crate::store::appeals::{CardData, Change};
use crate::store::models::AnswerRow;
use crate::store::{new_id, ServiceError};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

/// A result for one question.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultInput {
    /// Question's classifier code.
    pub code: String,
    /// Result.
    pub result: QuestionResult,
}

/// A draft answer.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerInput {
    /// Answer text.
    pub text: String,
    /// A result for every question.
    pub results: Vec<ResultInput>,
}

impl AnswerInput {
    /// Field checks that need no database.
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut e = Errors::default();
        e.text("text", &self.text, 100_000);
        e.finish()
    }

    /// Checks the results against the card's questions: one for each, no other.
    fn check_results(&self, card: &CardData) -> Result<(), Invalid> {
        let mut e = Errors::default();
        for (i, r) in self.results.iter().enumerate() {
            if !card.questions.iter().any(|q| q.code == r.code) {
                e.add(format!("results[{i}].code"), format!("в обращении нет вопроса {}", r.code));
            } else if self.results.iter().filter(|x| x.code == r.code).count() > 1 {
                e.add(format!("results[{i}].code"), "результат по вопросу указан дважды");
            }
        }
        for q in &card.questions {
            if !self.results.iter().any(|r| r.code == q.code) {
                e.add("results", format!("нет результата по вопросу {}", q.code));
            }
        }
        e.finish()
    }
}

/// Submits the responsible executor's draft answer to appeal `id`.
pub fn answer(state: &AppState, actor: &Actor, id: &str, expected: Option<i32>, input: AnswerInput) -> Result<CardData, ServiceError> {
    let mut p = plan(state, actor, input)?;
    run(state, actor, id, expected, p.action, &mut *p.decide)
}

/// The draft answer as a step of a composite use case (see [`super::Planned`]).
pub fn plan<'a>(state: &AppState, actor: &Actor, input: AnswerInput) -> Result<Planned<'a>, ServiceError> {
    input.validate().map_err(ServiceError::Invalid)?;
    let now = state.now_naive();
    let author = actor.id.clone();
    let decide = move |card: &CardData| -> Result<Step, ServiceError> {
        input.check_results(card).map_err(ServiceError::Invalid)?;
        let results = json!(input.results.iter().map(|r| json!({"code": r.code, "result": r.result.as_str()})).collect::<Vec<_>>());
        let ans = AnswerRow {
            id: new_id(),
            organization_id: card.appeal.organization_id.clone(),
            appeal_id: card.appeal.id.clone(),
            author_id: author.clone(),
            text: input.text.trim().into(),
            results: results.to_string(),
            status: "pending".into(),
            created_at: now,
            reviewed_by: None,
            reviewed_at: None,
            review_comment: None,
            outgoing_number: None,
            close_on_dispatch: true,
            sent_on: None,
            sent_channel: None,
            dispatched_by: None,
        };
        let details = json!({"answer_id": ans.id, "results": results});
        Ok(Change { new_answer: Some(ans), details, ..Default::default() }.into())
    };
    Ok(Planned { actor: actor.clone(), action: Action::Answer, decide: Box::new(decide) })
}
