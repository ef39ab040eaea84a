//! The control use case (docs/domain.md §5), beside registration: one small file per action saying
//! what it checks and what it changes. Every action runs through [`run`]: the card is read in
//! the write transaction, the caller must be able to see it, the state machine alone decides
//! the resulting status, the action's own precondition is checked, and one history entry is
//! written with the change. Handlers only parse, authorize and call these functions.

pub mod answer;
pub mod approve;
pub mod assign;
pub mod bulk;
pub mod close;
pub mod command;
pub mod consider;
pub mod contribute;
pub mod correct;
pub mod dispatch;
pub mod extend;
pub mod forward;
pub mod leave;
pub mod oral;
pub mod rework;

use crate::domain::error_code::ErrorCode;
use crate::domain::roles::Role;
use crate::domain::validation::FieldError;
use crate::domain::workflow::{self, Action, Facts, Part, Status};
use crate::state::AppState;
use crate::store::appeals::{CardData, Change, Decider};
use crate::store::models::AnswerRow;
use crate::store::ServiceError;
use chrono::NaiveDate;
use serde_json::json;

use crate::domain::roles::Actor;

/// What an action decides from the current card: the change, and the action that follows in
/// the same step (approval with `close` goes on to `Close`).
pub struct Step {
    /// Rows to write and the history details.
    pub change: Change,
    /// A second transition applied after the first (through the same table).
    pub then: Option<Action>,
}

impl From<Change> for Step {
    fn from(change: Change) -> Self {
        Step { change, then: None }
    }
}


/// The actor's part in the card's current resolution.
pub fn part_of(card: &CardData, actor_id: &str) -> Part {
    match card.assignments.iter().find(|a| a.active && a.user_id == actor_id) {
        Some(a) if a.responsible => Part::Responsible,
        Some(_) => Part::CoExecutor,
        None => Part::None,
    }
}

/// The facts of the card that actions' preconditions read.
pub fn facts_of(card: &CardData, today: NaiveDate) -> Facts {
    Facts {
        extended: card.appeal.extension_days.is_some(),
        deadline_passed: today > card.appeal.due_date,
        pending_answer: card.answers.iter().any(|a| a.status == "pending"),
        undispatched_answer: card.answers.iter().any(|a| a.status == "approved" && a.outgoing_number.is_none()),
    }
}

/// The actions the actor may take on the card now: what the card's buttons show.
pub fn available_actions(card: &CardData, actor_id: &str, role: Role, today: NaiveDate) -> Vec<Action> {
    let status = Status::parse(&card.appeal.status).unwrap_or(Status::Registered);
    workflow::available_actions(status, role, part_of(card, actor_id), facts_of(card, today))
}

/// The 409 of a failed precondition, with its stable code and a Russian explanation.
fn precondition_conflict(code: ErrorCode, card: &CardData) -> ServiceError {
    let message = match code {
        ErrorCode::AlreadyExtended => "срок уже продлевался: по ст. 12 59-ФЗ продлить можно один раз".to_string(),
        ErrorCode::DeadlinePassed => format!(
            "срок рассмотрения истёк {}: продление после срока скрыло бы нарушение",
            card.appeal.due_date.format("%d.%m.%Y")
        ),
        ErrorCode::NoPendingAnswer => "нет ответа на проверке".to_string(),
        ErrorCode::NothingToDispatch => "нет утверждённого и ещё не отправленного ответа".to_string(),
        ErrorCode::AnswerNotDispatched => "ответ ещё не отправлен заявителю: с контроля снимают после отправки ответа".to_string(),
        other => format!("действие сейчас недоступно ({other})"),
    };
    ServiceError::conflict(code, message, json!({"due_date": card.appeal.due_date}))
}

/// Runs `action` on appeal `id` in one transaction (see the module's doc).
pub fn run(
    state: &AppState,
    actor: &Actor,
    id: &str,
    expected_version: Option<i32>,
    action: Action,
    decide: &mut dyn FnMut(&CardData) -> Result<Step, ServiceError>,
) -> Result<CardData, ServiceError> {
    run_picking(state, actor, id, expected_version, &|_| action, decide)
}

/// [`run`] where the action depends on the card's status (a correction of a finished card
/// is an administrator's separate action).
pub fn run_picking(
    state: &AppState,
    actor: &Actor,
    id: &str,
    expected_version: Option<i32>,
    pick: &dyn Fn(Status) -> Action,
    decide: &mut dyn FnMut(&CardData) -> Result<Step, ServiceError>,
) -> Result<CardData, ServiceError> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(ServiceError::NotFound);
    }
    let today = state.today(&actor.org);
    let now = state.now_naive();
    let local_day = |t: chrono::NaiveDateTime| state.local_date(&actor.org, t.and_utc());
    let mut taken = String::new();
    let card = crate::store::appeals::mutate(&state.pool, &actor.org, id, expected_version, &actor.id, now, &local_day, &mut |card: &CardData| {
        let change = guarded(actor, today, pick, decide, card)?;
        taken.clone_from(&change.action);
        Ok(change)
    })?;
    crate::telemetry::get().action(&taken);
    Ok(card)
}

/// A control action prepared for a card not yet read: who takes it, which action, and what it
/// changes (input checks that need no card are already done). Actions are planned so that a
/// composite use case can chain several of them in one transaction ([`run_chain`]).
pub struct Planned<'a> {
    /// Who takes it.
    pub actor: Actor,
    /// The action, checked against the state machine when applied.
    pub action: Action,
    /// The change, decided from the card as the previous steps left it.
    pub decide: Box<dyn FnMut(&CardData) -> Result<Step, ServiceError> + 'a>,
}

/// The store's steps for `plans`, each guarded as [`run`] guards one action (visibility, state
/// machine, precondition), to be applied in one transaction.
pub fn deciders<'a>(state: &AppState, plans: Vec<Planned<'a>>) -> Vec<Decider<'a>> {
    plans
        .into_iter()
        .map(|p| {
            let Planned { actor, action, mut decide } = p;
            let today = state.today(&actor.org);
            Decider { actor: actor.id.clone(), decide: Box::new(move |card: &CardData| guarded(&actor, today, &move |_| action, &mut *decide, card)) }
        })
        .collect()
}

/// Applies `plans` to appeal `id` in ONE transaction, in order: each action goes through the
/// state machine and writes its own history entry, and a refusal of any undoes them all.
pub fn run_chain(state: &AppState, org: &str, id: &str, expected_version: Option<i32>, plans: Vec<Planned<'_>>) -> Result<CardData, ServiceError> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(ServiceError::NotFound);
    }
    let actions: Vec<Action> = plans.iter().map(|p| p.action).collect();
    let mut steps = deciders(state, plans);
    let local_day = |t: chrono::NaiveDateTime| state.local_date(org, t.and_utc());
    let card = crate::store::appeals::mutate_chain(&state.pool, org, id, expected_version, state.now_naive(), &local_day, &mut steps)?;
    for a in actions {
        crate::telemetry::get().action(a.as_str());
    }
    Ok(card)
}

/// One action applied to the card read in the write transaction (see the module's doc).
fn guarded(actor: &Actor, today: NaiveDate, pick: &dyn Fn(Status) -> Action, decide: &mut dyn FnMut(&CardData) -> Result<Step, ServiceError>, card: &CardData) -> Result<Change, ServiceError> {
    if !crate::store::visibility::visible(actor, card) {
        return Err(ServiceError::NotFound);
    }
    let status = Status::parse(&card.appeal.status).unwrap_or(Status::Registered);
    let action = pick(status);
    let (part, facts) = (part_of(card, &actor.id), facts_of(card, today));
    let mut next = workflow::check(status, action, actor.role, part).map_err(|refusal| {
        // The refusal lists what the caller can really do now, preconditions included.
        let refusal = match refusal {
            workflow::Refusal::Status { current, .. } => workflow::Refusal::Status { current, allowed: workflow::available_actions(status, actor.role, part, facts) },
            other => other,
        };
        ServiceError::Refused { refusal, action }
    })?;
    workflow::precondition(action, facts).map_err(|code| precondition_conflict(code, card))?;
    let Step { mut change, then } = decide(card)?;
    if let Some(follow) = then {
        next = workflow::transition(next, follow).ok_or(ServiceError::Refused { refusal: workflow::Refusal::Status { current: next, allowed: Vec::new() }, action: follow })?;
    }
    // Leaving control ends the staff reminders, in the same transaction.
    if !next.is_open() {
        change.outbox.cancel_reminders = true;
    }
    let row = change.appeal.get_or_insert_with(|| card.appeal.clone());
    row.status = next.as_str().into();
    change.action = action.as_str().into();
    if next != status {
        if let Some(obj) = change.details.as_object_mut() {
            obj.insert("status".into(), json!({"before": status.as_str(), "after": next.as_str()}));
        }
    }
    Ok(change)
}

/// The card's answer with this id, or 404.
pub fn answer_of<'a>(card: &'a CardData, answer_id: &str) -> Result<&'a AnswerRow, ServiceError> {
    card.answers.iter().find(|a| a.id == answer_id).ok_or(ServiceError::NotFound)
}

/// The card's answer with this id if it still awaits review; 409 `answer_already_reviewed` otherwise.
pub fn pending_answer<'a>(card: &'a CardData, answer_id: &str) -> Result<&'a AnswerRow, ServiceError> {
    let a = answer_of(card, answer_id)?;
    if a.status != "pending" {
        return Err(ServiceError::conflict(ErrorCode::AnswerAlreadyReviewed, format!("ответ уже рассмотрен (статус {})", a.status), json!({"answer_status": a.status})));
    }
    Ok(a)
}

/// Field errors of a command, checked before any database work.
pub type Invalid = Vec<FieldError>;
