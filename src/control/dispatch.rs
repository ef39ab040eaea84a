//! The answer leaves the building: the signed, approved answer gets its outgoing number (typed,
//! or the next from its own template, default `ОГ-исх-{year}-{seq:06}`), the date it was sent
//! and how. Statistics and the ССТУ.РФ export take `sent_on` as the answer's date. The
//! dispatch is what removes the appeal from control (on `sent_on`), unless the approval kept
//! it on additional control.

use crate::domain::error_code::ErrorCode;
use super::{answer_of, run, Actor, Invalid, Planned, Step};
use crate::domain::workflow::Status;
use crate::domain::regnum;
use crate::domain::validation::{is_russian_zone_email, Errors, FieldError};
use crate::domain::workflow::Action;
use crate::state::AppState;
use crate::store::appeals::{CardData, Change, Dispatch, OutgoingNumber};
use crate::store::outbox::OutboxChange;
use crate::store::ServiceError;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

/// How the answer was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SentChannel {
    /// By post.
    Post,
    /// By e-mail (to an address in the .ru/.рф zone since 547-FZ).
    Email,
    /// To the applicant's ЕПГУ (Госуслуги) personal account.
    Epgu,
    /// Handed over in person.
    ByHand,
}

impl SentChannel {
    /// Stored code.
    pub fn as_str(self) -> &'static str {
        match self {
            SentChannel::Post => "post",
            SentChannel::Email => "email",
            SentChannel::Epgu => "epgu",
            SentChannel::ByHand => "by_hand",
        }
    }
}

/// The dispatch of a signed answer.
#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DispatchInput {
    /// Date the answer was sent.
    pub sent_on: NaiveDate,
    /// How it was sent.
    pub channel: SentChannel,
    /// The outgoing number the signed answer bears; omitted = the next from the template.
    #[serde(default)]
    pub outgoing_number: Option<String>,
}

impl DispatchInput {
    /// Field checks that need no database.
    pub fn validate(&self, today: NaiveDate) -> Result<(), Invalid> {
        let mut e = Errors::default();
        if self.sent_on > today {
            e.add("sent_on", "дата отправки не может быть в будущем");
        }
        if let Some(n) = &self.outgoing_number {
            e.text("outgoing_number", n, 64);
        }
        e.finish()
    }
}

/// Registers the dispatch of answer `answer_id` of appeal `id`.
pub fn dispatch(state: &AppState, actor: &Actor, id: &str, answer_id: &str, expected: Option<i32>, input: DispatchInput) -> Result<CardData, ServiceError> {
    let mut p = plan(state, actor, Some(answer_id.to_string()), input)?;
    duplicate_number(run(state, actor, id, expected, p.action, &mut *p.decide))
}

/// A taken outgoing number as the 409 naming the field.
pub fn duplicate_number(result: Result<CardData, ServiceError>) -> Result<CardData, ServiceError> {
    match result {
        Err(e) if e.is_unique_violation() => Err(ServiceError::conflict(ErrorCode::DuplicateOutgoingNumber, "такой исходящий номер уже присвоен другому ответу", json!({"field": "outgoing_number"}))),
        other => other,
    }
}

/// The dispatch as a step of a composite use case; `answer_id` `None` dispatches the approved
/// answer not yet sent (the one an earlier step of the same transaction approved).
pub fn plan<'a>(state: &'a AppState, actor: &Actor, answer_id: Option<String>, input: DispatchInput) -> Result<Planned<'a>, ServiceError> {
    input.validate(state.today(&actor.org)).map_err(ServiceError::Invalid)?;
    let template = state.org(&actor.org).outgoing_number_template.clone();
    let by = actor.id.clone();
    let decide = move |card: &CardData| -> Result<Step, ServiceError> {
        let wanted = match &answer_id {
            Some(a) => a.clone(),
            None => card.answers.iter().rev().find(|a| a.status == "approved" && a.outgoing_number.is_none()).map(|a| a.id.clone()).ok_or(ServiceError::NotFound)?,
        };
        let ans = answer_of(card, &wanted)?;
        if ans.status != "approved" {
            return Err(ServiceError::conflict(ErrorCode::AnswerNotApproved, format!("отправить можно только утверждённый ответ (статус ответа: {})", ans.status), json!({"answer_status": ans.status})));
        }
        if let Some(n) = &ans.outgoing_number {
            return Err(ServiceError::conflict(ErrorCode::AlreadyDispatched, format!("ответ уже отправлен за исходящим номером {n}"), json!({"outgoing_number": n})));
        }
        let approved_on = ans.reviewed_at.map(|t| state.local_date(&card.appeal.organization_id, DateTime::<Utc>::from_naive_utc_and_offset(t, Utc)));
        if approved_on.is_some_and(|d| input.sent_on < d) {
            return Err(invalid("sent_on", "ответ не может быть отправлен раньше, чем утверждён"));
        }
        if input.channel == SentChannel::Email && input.sent_on > state.settings.email_rule.fz59_until {
            let emails: Vec<&str> = card.applicants.iter().filter_map(|a| a.email.as_deref()).collect();
            if !emails.iter().any(|m| is_russian_zone_email(m)) {
                return Err(invalid("channel", "по электронной почте ответ направляется только на адрес заявителя в зоне .ru или .рф (547-ФЗ)"));
            }
        }
        let number = match &input.outgoing_number {
            Some(n) => OutgoingNumber::Given(n.trim().into()),
            None => OutgoingNumber::Next { year: input.sent_on.year(), render: regnum::render, template: template.clone() },
        };
        let dispatch = Dispatch { answer_id: ans.id.clone(), number, sent_on: input.sent_on, channel: input.channel.as_str().into(), by: by.clone() };
        let details = json!({"answer_id": ans.id, "sent_on": input.sent_on, "channel": input.channel.as_str(), "outgoing_number": input.outgoing_number});
        let mut row = card.appeal.clone();
        // The answer's date for statistics and exports: the first answer sent.
        row.answer_sent_on = row.answer_sent_on.or(Some(input.sent_on));
        // The answer has gone out: control ends now, unless the approval kept it on.
        let removes = ans.close_on_dispatch && card.appeal.status == Status::Answered.as_str();
        if removes {
            row.closed_at = Some(state.now_naive());
            row.closed_on = Some(input.sent_on);
        }
        // Sent by e-mail: the answer itself goes out through the outbox, in this transaction
        // (the outgoing number, when the store assigns it, fills its slot).
        let notices = if input.channel == SentChannel::Email {
            let number = input.outgoing_number.as_ref().map(|n| n.trim().to_string()).unwrap_or_else(|| crate::domain::slots::slot("outgoing_number"));
            let extra = json!({"answer_text": ans.text, "outgoing_number": number, "sent_on": crate::domain::ru::short_date(input.sent_on)});
            crate::notify::applicant_notices(&state.templates, &state.org(&card.appeal.organization_id).name, &card.appeal, &card.applicants, "answer", &ans.id, extra, state.now_naive())
        } else {
            Vec::new()
        };
        let outbox = OutboxChange { notices, cancel_reminders: false };
        let change = Change { appeal: Some(row), dispatch: Some(dispatch), details, outbox, ..Default::default() };
        Ok(Step { change, then: removes.then_some(Action::Close) })
    };
    Ok(Planned { actor: actor.clone(), action: Action::Dispatch, decide: Box::new(decide) })
}

fn invalid(field: &str, message: &str) -> ServiceError {
    ServiceError::Invalid(vec![FieldError { field: field.into(), message: message.into() }])
}
