//! Leaving without an answer on an Art. 11 ground. Checks: the ground fits the card
//! (`anonymous` only without a surname or an address for the answer). Changes: the reason,
//! every question's result, the Art. 11 notice deadline (7 days from registration) where the
//! applicant must be told, and a draft under review is withdrawn.

use super::{run, Actor, Invalid, Planned, Step};
use crate::domain::appeal::QuestionResult;
use crate::domain::deadline;
use crate::domain::validation::{Errors, FieldError};
use crate::domain::workflow::{Action, LeaveReason};
use crate::state::AppState;
use crate::store::appeals::{CardData, Change};
use crate::store::outbox::OutboxChange;
use crate::store::ServiceError;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

/// Art. 11 ground.
#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeaveInput {
    /// Reason.
    pub reason: LeaveReason,
    /// Comment.
    #[serde(default)]
    pub comment: Option<String>,
}

impl LeaveInput {
    /// Field checks that need no database.
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut e = Errors::default();
        if let Some(c) = &self.comment {
            e.max_len("comment", c, 4000);
        }
        e.finish()
    }
}

/// Leaves appeal `id` without an answer.
pub fn leave_without_answer(state: &AppState, actor: &Actor, id: &str, expected: Option<i32>, input: LeaveInput) -> Result<CardData, ServiceError> {
    let mut p = plan(state, actor, input)?;
    run(state, actor, id, expected, p.action, &mut *p.decide)
}

/// Leaving without an answer as a step that may be applied to many cards (input checked now;
/// whether the ground fits is checked on each card).
pub fn plan<'a>(state: &'a AppState, actor: &Actor, input: LeaveInput) -> Result<Planned<'a>, ServiceError> {
    input.validate().map_err(ServiceError::Invalid)?;
    let now = state.now_naive();
    let today = state.today(&actor.org);
    let actor_id = actor.id.clone();
    let decide = move |card: &CardData| -> Result<Step, ServiceError> {
        input
            .reason
            .check_ground(card.appeal.anonymous, card.appeal.repeated)
            .map_err(|why| ServiceError::Invalid(vec![FieldError { field: "reason".into(), message: why.into() }]))?;
        let mut row = card.appeal.clone();
        row.left_reason = Some(input.reason.as_str().into());
        row.closed_at = Some(now);
        row.closed_on = Some(today);
        row.art11_notice_due = input.reason.needs_notice().then(|| deadline::art11_notice_deadline(&state.calendar, &state.settings.deadlines, row.registered_on).due);
        let results = card.questions.iter().map(|q| (q.id.clone(), Some(QuestionResult::LeftWithoutAnswer.as_str().to_string()), false, Some(today))).collect();
        let withdrawn: Vec<_> = card.answers.iter().filter(|a| a.status == "pending").map(|a| (a.id.clone(), "withdrawn".to_string(), actor_id.clone(), Some("оставлено без ответа (ст. 11 59-ФЗ)".to_string()))).collect();
        let details = json!({"reason": input.reason.as_str(), "comment": input.comment, "notice_due": row.art11_notice_due, "withdrawn_answers": withdrawn.iter().map(|w| &w.0).collect::<Vec<_>>()});
        // Art. 11: the applicant is told why there is no answer, when there is someone to tell.
        let notices = if input.reason.needs_notice() {
            let extra = json!({"reason_text": reason_text(input.reason)});
            crate::notify::applicant_notices(&state.templates, &state.org(&row.organization_id).name, &row, &card.applicants, "art11_notice", "", extra, now)
        } else {
            Vec::new()
        };
        let outbox = OutboxChange { notices, cancel_reminders: true };
        Ok(Change { appeal: Some(row), question_results: results, answer_reviews: withdrawn, details, outbox, ..Default::default() }.into())
    };
    Ok(Planned { actor: actor.clone(), action: Action::LeaveWithoutAnswer, decide: Box::new(decide) })
}

/// The ground as the applicant's notice states it.
fn reason_text(r: LeaveReason) -> &'static str {
    match r {
        LeaveReason::Anonymous => "не указаны фамилия или адрес для ответа",
        LeaveReason::Obscene => "обращение содержит нецензурные либо оскорбительные выражения, угрозы жизни, здоровью и имуществу должностного лица",
        LeaveReason::Unreadable => "текст обращения не поддаётся прочтению",
        LeaveReason::NoEssence => "текст обращения не позволяет определить суть предложения, заявления или жалобы",
        LeaveReason::CorrespondenceTerminated => "переписка по данному вопросу прекращена",
        LeaveReason::CourtDecision => "в обращении обжалуется судебное решение",
    }
}
