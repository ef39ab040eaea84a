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
#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultInput {
    /// Question's classifier code.
    pub code: String,
    /// Result.
    pub result: QuestionResult,
}

/// A draft answer.
#[derive(Clone, Deserialize, ToSchema)]
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

/// One answer text for many appeals (a campaign's, a morning's stack): each appeal's
/// questions take the result given for their code, the rest `result`. Each appeal still gets
/// an answer record of its own, reviewed and dispatched on its own deadline.
#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommonAnswerInput {
    /// Answer text.
    pub text: String,
    /// The result of every question not named in `results`.
    #[serde(default)]
    pub result: Option<QuestionResult>,
    /// Results by classifier code, for questions whose result differs.
    #[serde(default)]
    pub results: Vec<ResultInput>,
}

impl CommonAnswerInput {
    /// Field checks that need no database: a text, and a result for some question.
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut e = Errors::default();
        e.text("text", &self.text, 100_000);
        if self.result.is_none() && self.results.is_empty() {
            e.add("result", "укажите результат рассмотрения вопросов");
        }
        for (i, r) in self.results.iter().enumerate() {
            if self.results.iter().filter(|x| x.code == r.code).count() > 1 {
                e.add(format!("results[{i}].code"), "результат по вопросу указан дважды");
            }
        }
        e.finish()
    }

    /// The answer as one card takes it: a result for each of its questions.
    pub fn for_card(&self, card: &CardData) -> AnswerInput {
        let results = card
            .questions
            .iter()
            .filter_map(|q| {
                let named = self.results.iter().find(|r| r.code == q.code).map(|r| r.result);
                named.or(self.result).map(|result| ResultInput { code: q.code.clone(), result })
            })
            .collect();
        AnswerInput { text: self.text.clone(), results }
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
    let (now, author) = (state.now_naive(), actor.id.clone());
    let decide = move |card: &CardData| draft(card, &input, &author, now);
    Ok(Planned { actor: actor.clone(), action: Action::Answer, decide: Box::new(decide) })
}

/// One text for many appeals as a step (see [`CommonAnswerInput`]): each card's draft is
/// checked as a single answer would be, so an appeal with a question left without a result
/// is refused on its own.
pub fn plan_common<'a>(state: &AppState, actor: &Actor, input: CommonAnswerInput) -> Result<Planned<'a>, ServiceError> {
    input.validate().map_err(ServiceError::Invalid)?;
    let (now, author) = (state.now_naive(), actor.id.clone());
    let decide = move |card: &CardData| draft(card, &input.for_card(card), &author, now);
    Ok(Planned { actor: actor.clone(), action: Action::Answer, decide: Box::new(decide) })
}

/// The draft answer's rows for one card.
fn draft(card: &CardData, input: &AnswerInput, author: &str, now: chrono::NaiveDateTime) -> Result<Step, ServiceError> {
    input.check_results(card).map_err(ServiceError::Invalid)?;
    let results = json!(input.results.iter().map(|r| json!({"code": r.code, "result": r.result.as_str()})).collect::<Vec<_>>());
    let ans = AnswerRow {
        id: new_id(),
        organization_id: card.appeal.organization_id.clone(),
        appeal_id: card.appeal.id.clone(),
        author_id: author.to_string(),
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
}
