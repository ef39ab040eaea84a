//! Forwarding by competence (Art. 8 part 3): within 7 days of registration, else flagged late.
//! Changes: the receiving body, the reason, every question's result `transferred`, and the
//! active assignments end. The appeal goes with our cover letter, an outgoing letter numbered
//! from its own counter (`organization.forward_number_template`, default
//! `ОГ-пер-{year}-{seq:06}`) or typed, dated the day of forwarding: ССТУ.РФ's `transferNumber`
//! and `transferDate`.

use crate::domain::error_code::ErrorCode;
use super::{run, Actor, Invalid, Planned, Step};
use crate::domain::appeal::QuestionResult;
use crate::domain::{deadline, regnum};
use crate::domain::validation::Errors;
use crate::domain::workflow::Action;
use crate::state::AppState;
use crate::store::appeals::{CardData, Change, OutgoingNumber};
use chrono::Datelike;
use crate::store::outbox::OutboxChange;
use crate::store::ServiceError;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

/// Forwarding by competence.
#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForwardInput {
    /// Receiving body as free text (when it is not in the directory).
    #[serde(default)]
    pub organization: Option<String>,
    /// Receiving body from the directory (`GET /api/v1/bodies`); its name is stored on the card.
    #[serde(default)]
    pub body_id: Option<String>,
    /// Reason.
    #[serde(default)]
    pub reason: Option<String>,
    /// The outgoing number our signed cover letter already bears; omitted = the next from
    /// `organization.forward_number_template`.
    #[serde(default)]
    pub letter_number: Option<String>,
}

impl ForwardInput {
    /// Field checks that need no database.
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut e = Errors::default();
        match (&self.organization, &self.body_id) {
            (Some(o), None) => e.text("organization", o, 500),
            (None, Some(_)) => {}
            _ => e.add("organization", "укажите либо body_id из справочника органов, либо organization"),
        }
        if let Some(r) = &self.reason {
            e.max_len("reason", r, 2000);
        }
        if let Some(n) = &self.letter_number {
            e.text("letter_number", n, 64);
        }
        e.finish()
    }
}

/// Forwards appeal `id` to the body named in `input`.
pub fn forward(state: &AppState, actor: &Actor, id: &str, expected: Option<i32>, input: ForwardInput) -> Result<CardData, ServiceError> {
    let mut p = plan(state, actor, input)?;
    let result = run(state, actor, id, expected, p.action, &mut *p.decide);
    match result {
        Err(e) => Err(number_taken(e)),
        other => other,
    }
}

/// A typed cover-letter number that another letter already bears: a 409 naming the field.
pub fn number_taken(e: ServiceError) -> ServiceError {
    if e.is_unique_violation() {
        ServiceError::conflict(ErrorCode::DuplicateForwardNumber, "такой исходящий номер уже присвоен другому сопроводительному письму", json!({"field": "letter_number"}))
    } else {
        e
    }
}

/// Forwarding as a step that may be applied to many cards (input checked and the directory's
/// body resolved now).
pub fn plan<'a>(state: &'a AppState, actor: &Actor, input: ForwardInput) -> Result<Planned<'a>, ServiceError> {
    input.validate().map_err(ServiceError::Invalid)?;
    // The directory's body is resolved here, so the card keeps its exact name (the export finds
    // the body's ССТУ.РФ GUID by it).
    let organization = match (&input.body_id, &input.organization) {
        (Some(body), _) => {
            let found = if uuid::Uuid::parse_str(body).is_ok() { crate::store::bodies::get(&state.pool, &actor.org, body)? } else { None };
            found.ok_or_else(|| ServiceError::Invalid(vec![crate::domain::validation::FieldError { field: "body_id".into(), message: "нет такого органа в справочнике".into() }]))?.name
        }
        (None, Some(o)) => o.trim().to_string(),
        (None, None) => String::new(),
    };
    let today = state.today();
    let now = state.now_naive();
    let template = state.settings.organization.forward_number_template.clone();
    let decide = move |card: &CardData| -> Result<Step, ServiceError> {
        let mut row = card.appeal.clone();
        let limit = deadline::forwarding_deadline(&state.calendar, &state.settings.deadlines, row.registered_on);
        row.forwarded_to = Some(organization.clone());
        row.forward_reason = input.reason.clone();
        row.forwarded_at = Some(now);
        row.forward_late = today > limit.due;
        row.forward_date = Some(today);
        let number = match &input.letter_number {
            Some(n) => OutgoingNumber::Given(n.trim().into()),
            None => OutgoingNumber::Next { year: today.year(), render: regnum::render, template: template.clone() },
        };
        // Forwarded by competence, the appeal leaves this body's control.
        if row.put_on_control_at.is_some() {
            row.closed_on = Some(today);
        }
        let results = card.questions.iter().map(|q| (q.id.clone(), Some(QuestionResult::Transferred.as_str().to_string()), false, Some(today))).collect();
        let details = json!({"organization": row.forwarded_to, "body_id": input.body_id, "reason": row.forward_reason, "late": row.forward_late, "forward_due": limit.due, "letter_number": input.letter_number, "letter_date": today});
        // Art. 8 part 3: the applicant is told where the appeal went.
        let notices = crate::notify::applicant_notices(&state.templates, &state.settings.organization.name, &row, &card.applicants, "forwarding_notice", "", json!({"organization": row.forwarded_to, "reason": row.forward_reason}), now);
        let outbox = OutboxChange { notices, cancel_reminders: true };
        Ok(Change { appeal: Some(row), replace_assignments: true, question_results: results, details, outbox, forward_number: Some(number), ..Default::default() }.into())
    };
    Ok(Planned { actor: actor.clone(), action: Action::Forward, decide: Box::new(decide) })
}
