//! Forwarding by competence (Art. 8 part 3): within 7 days of registration, else flagged late.
//! Changes: the receiving body, the reason, every question's result `transferred`, and the
//! active assignments end. The appeal goes with our cover letter, an outgoing letter numbered
//! from its own counter (`organization.forward_number_template`, default
//! `ОГ-пер-{year}-{seq:06}`) or typed, dated the day of forwarding: ССТУ.РФ's `transferNumber`
//! and `transferDate`. Forwarded to another organization of the same instance
//! (`organization_id`), the appeal also arrives there in the same transaction: a new appeal of
//! the receiver, linked both ways ([`plan_within`] plans this side; registration applies it).

use crate::domain::error_code::ErrorCode;
use super::{run, Actor, Invalid, Planned, Step};
use crate::domain::appeal::QuestionResult;
use crate::domain::{deadline, regnum};
use crate::domain::validation::Errors;
use crate::domain::workflow::Action;
use crate::state::AppState;
use crate::domain::forwarding::{self, ReceiverRefusal};
use crate::domain::validation::FieldError;
use crate::store::appeals::{CardData, Change, Decider, OutgoingNumber};
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
    /// Receiving organization of this instance: it gets its own appeal, linked to this one.
    #[serde(default)]
    pub organization_id: Option<String>,
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
        match (&self.organization, &self.body_id, &self.organization_id) {
            (Some(o), None, None) => e.text("organization", o, 500),
            (None, Some(_), None) => {}
            (None, None, Some(o)) => e.text("organization_id", o, 64),
            _ => e.add("organization", "укажите одно из трёх: organization_id (организация в системе), body_id из справочника органов или organization"),
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
    if input.organization_id.is_some() {
        // Registered by the receiver in the same transaction: see `plan_within`.
        return Err(ServiceError::Invalid(vec![FieldError { field: "organization_id".into(), message: "в организацию системы обращение перенаправляют через API".into() }]));
    }
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
    let decide = decide(state, &actor.org, organization, input);
    Ok(Planned { actor: actor.clone(), action: Action::Forward, decide: Box::new(decide) })
}

/// The refusal of a receiver the instance cannot hand the appeal to, naming `organization_id`:
/// 409 for a deactivated one, 422 for an unknown one or the sender itself.
pub fn receiver_refused(refusal: ReceiverRefusal) -> ServiceError {
    let message = refusal.message();
    match refusal {
        ReceiverRefusal::Inactive => ServiceError::conflict(ErrorCode::ReceiverInactive, message, json!({"field": "organization_id", "errors": [{"field": "organization_id", "message": message}]})),
        ReceiverRefusal::Own | ReceiverRefusal::Unknown => ServiceError::Invalid(vec![FieldError { field: "organization_id".into(), message: message.into() }]),
    }
}

/// The sender's side of a forwarding to another organization of the instance, planned; the
/// registration use case applies it and registers the receiver's appeal in the same transaction.
pub struct WithinPlan<'a> {
    /// The receiving organization.
    pub receiver_org: String,
    /// Its name now (the sender's card records it as the receiving body).
    pub receiver_name: String,
    /// Its ССТУ.РФ GUID.
    pub receiver_sstu_id: Option<String>,
    /// The sender's name now (the receiver's card names it as the source).
    pub sender_name: String,
    /// The sender's forwarding, guarded as every action is (visibility, state machine).
    pub step: Decider<'a>,
}

/// Plans the forwarding of an appeal to organization `input.organization_id` of the instance:
/// the input checked, the receiver known, active and not the sender (checked again under its
/// lock when applied), and the sender's change as for any body.
pub fn plan_within<'a>(state: &'a AppState, actor: &Actor, input: ForwardInput) -> Result<WithinPlan<'a>, ServiceError> {
    input.validate().map_err(ServiceError::Invalid)?;
    let receiver_org = input.organization_id.clone().unwrap_or_default();
    let receiver = crate::store::appeals::organization(&state.pool, &receiver_org)?;
    forwarding::check_receiver(&actor.org, &receiver_org, receiver.as_ref().map(|r| r.active)).map_err(receiver_refused)?;
    let (receiver_name, receiver_sstu_id) = receiver.map(|r| (r.name, r.sstu_department_id)).unwrap_or_default();
    let sender_name = state.org(&actor.org).name.clone();
    let planned = Planned { actor: actor.clone(), action: Action::Forward, decide: Box::new(decide(state, &actor.org, receiver_name.clone(), input)) };
    let step = super::deciders(state, vec![planned]).pop().ok_or(ServiceError::NotFound)?;
    Ok(WithinPlan { receiver_org, receiver_name, receiver_sstu_id, sender_name, step })
}

/// The sender's (`org`) change of a forwarding to the body named `organization`.
fn decide<'a>(state: &'a AppState, org: &str, organization: String, input: ForwardInput) -> impl FnMut(&CardData) -> Result<Step, ServiceError> + 'a {
    let today = state.today(org);
    let now = state.now_naive();
    let sender = state.org(org);
    let template = sender.forward_number_template.clone();
    let sender_name = sender.name.clone();
    move |card: &CardData| -> Result<Step, ServiceError> {
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
        let notices = crate::notify::applicant_notices(&state.templates, &sender_name, &row, &card.applicants, "forwarding_notice", "", json!({"organization": row.forwarded_to, "reason": row.forward_reason}), now);
        let outbox = OutboxChange { notices, cancel_reminders: true };
        Ok(Change { appeal: Some(row), replace_assignments: true, question_results: results, details, outbox, forward_number: Some(number), ..Default::default() }.into())
    }
}
