//! Extension of the consideration deadline (Art. 12 part 2): once, by 1–30 days, with a
//! reason, and never after the deadline has passed (that would hide a violation). Changes:
//! the due date and control date, recomputed by the deadline engine, and the extension record.

use crate::domain::error_code::ErrorCode;
use super::{run, Actor, Invalid, Planned, Step};
use crate::domain::appeal::LegalRegime;
use crate::domain::deadline::{self, Extension};
use crate::domain::validation::Errors;
use crate::domain::workflow::Action;
use crate::state::AppState;
use crate::store::appeals::{CardData, Change};
use crate::store::outbox::OutboxChange;
use crate::store::ServiceError;
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

/// A deadline extension (Art. 12: once, at most 30 days).
#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtendInput {
    /// Days to add, 1–30.
    pub days: i64,
    /// Reason, e.g. a documents request to another body.
    pub reason: String,
}

impl ExtendInput {
    /// Field checks that need no database.
    pub fn validate(&self, max_days: u32) -> Result<(), Invalid> {
        let mut e = Errors::default();
        if self.days < 1 || self.days > max_days as i64 {
            e.add("days", format!("продление от 1 до {max_days} дней"));
        }
        e.text("reason", &self.reason, 2000);
        e.finish()
    }
}

/// Extends appeal `id`'s deadline.
pub fn extend(state: &AppState, actor: &Actor, actor_login: &str, id: &str, expected: Option<i32>, input: ExtendInput) -> Result<CardData, ServiceError> {
    let mut p = plan(state, actor, actor_login, input)?;
    run(state, actor, id, expected, p.action, &mut *p.decide)
}

/// The extension as a step that may be applied to many cards (input checked now).
pub fn plan<'a>(state: &'a AppState, actor: &Actor, actor_login: &str, input: ExtendInput) -> Result<Planned<'a>, ServiceError> {
    let rules = state.settings.deadlines.clone();
    input.validate(rules.max_extension_days).map_err(ServiceError::Invalid)?;
    let today = state.today(&actor.org);
    let actor_login = actor_login.to_string();
    let decide = move |card: &CardData| -> Result<Step, ServiceError> {
        let days = input.days as u32;
        deadline::check_extension(&rules, card.appeal.extension_days.is_some(), days)
            .map_err(|err| ServiceError::conflict(ErrorCode::AlreadyExtended, err.to_string(), json!({"field": "days"})))?;
        let mut row = card.appeal.clone();
        let ext = Extension { days, reason: input.reason.trim().into(), decided_by: actor_login.clone(), decided_on: today };
        let regime = LegalRegime::parse(&row.legal_regime).unwrap_or(LegalRegime::Fz59);
        let due = state.deadline_for(regime, row.registered_on, row.migration_case, Some(&ext));
        let details = json!({"due_date": {"before": row.due_date, "after": due.due}, "days": days, "reason": ext.reason});
        row.due_date = due.due;
        row.control_date = due.control_date;
        row.due_explanation = serde_json::to_string(&due).unwrap_or_default();
        row.extension_days = Some(days as i32);
        row.extension_reason = Some(ext.reason.clone());
        row.extended_by = Some(actor_login.clone());
        row.extended_on = Some(today);
        // Art. 12 part 2: the applicant is told the new date and the reason; reminders for the
        // old deadline are cancelled and the planner plans the new ones.
        let extra = json!({"days": days, "reason": ext.reason});
        let notices = crate::notify::applicant_notices(&state.templates, &state.org(&row.organization_id).name, &row, &card.applicants, "extension_notice", &row.due_date.to_string(), extra, state.now_naive());
        let outbox = OutboxChange { notices, cancel_reminders: true };
        Ok(Change { appeal: Some(row), details, outbox, ..Default::default() }.into())
    };
    Ok(Planned { actor: actor.clone(), action: Action::Extend, decide: Box::new(decide) })
}
