//! Resolution (резолюция): names the responsible executor and co-executors, with an
//! instruction, and puts the appeal on control. Checks: exactly one responsible, no one twice,
//! every executor an active user who may execute. Changes: the active assignments are
//! replaced; `put_on_control_at` is set the first time.

use super::{run, Actor, Invalid, Planned, Step};
use crate::domain::roles::Role;
use crate::domain::validation::Errors;
use crate::domain::workflow::Action;
use crate::state::AppState;
use crate::store::appeals::{CardData, Change};
use crate::store::models::AssignmentRow;
use crate::store::{new_id, ServiceError};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

/// One executor of a resolution.
#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecutorInput {
    /// User id.
    pub user_id: String,
    /// The responsible executor (exactly one): writes the answer; others are co-executors who
    /// send their input to the responsible one.
    #[serde(default)]
    pub responsible: bool,
}

/// A resolution: executors and instruction.
#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignInput {
    /// Executors; exactly one responsible.
    pub executors: Vec<ExecutorInput>,
    /// Instruction text, e.g. «Для рассмотрения и подготовки ответа заявителю».
    #[serde(default)]
    pub instruction: Option<String>,
}

impl AssignInput {
    /// Field checks that need no database.
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut e = Errors::default();
        if self.executors.is_empty() || self.executors.len() > 50 {
            e.add("executors", "от 1 до 50 исполнителей");
        }
        if !self.executors.is_empty() && self.executors.iter().filter(|x| x.responsible).count() != 1 {
            e.add("executors", "ровно один ответственный исполнитель (responsible: true)");
        }
        let mut seen = std::collections::HashSet::new();
        for (i, x) in self.executors.iter().enumerate() {
            if uuid::Uuid::parse_str(&x.user_id).is_err() {
                e.add(format!("executors[{i}].user_id"), "нет такого пользователя");
            } else if !seen.insert(x.user_id.clone()) {
                e.add(format!("executors[{i}].user_id"), "исполнитель указан дважды");
            }
        }
        if let Some(t) = &self.instruction {
            e.max_len("instruction", t, 4000);
        }
        e.finish()
    }
}

/// Assigns the executors of `input` to appeal `id`.
pub fn assign(state: &AppState, actor: &Actor, id: &str, expected: Option<i32>, input: AssignInput) -> Result<CardData, ServiceError> {
    let mut p = plan(state, actor, input)?;
    run(state, actor, id, expected, p.action, &mut *p.decide)
}

/// The resolution as a step of a composite use case (the executors are checked now).
pub fn plan<'a>(state: &AppState, actor: &Actor, input: AssignInput) -> Result<Planned<'a>, ServiceError> {
    input.validate().map_err(ServiceError::Invalid)?;
    let ids: Vec<String> = input.executors.iter().map(|x| x.user_id.clone()).collect();
    let users = crate::store::users::users_by_ids(&state.pool, &actor.org, &ids)?;
    let mut e = Errors::default();
    for (i, x) in input.executors.iter().enumerate() {
        match users.iter().find(|u| u.id == x.user_id) {
            None => e.add(format!("executors[{i}].user_id"), "нет такого пользователя"),
            Some(u) if !u.active || !matches!(Role::parse(&u.role), Some(Role::Executor | Role::Supervisor)) => {
                e.add(format!("executors[{i}].user_id"), "исполнителем может быть только активный исполнитель или контролёр")
            }
            _ => {}
        }
    }
    e.finish().map_err(ServiceError::Invalid)?;
    let now = state.now_naive();
    let by = actor.id.clone();
    let decide = move |card: &CardData| -> Result<Step, ServiceError> {
        let mut row = card.appeal.clone();
        if row.put_on_control_at.is_none() {
            row.put_on_control_at = Some(now);
        }
        let before: Vec<_> = card.assignments.iter().filter(|a| a.active).map(|a| json!({"user_id": a.user_id, "responsible": a.responsible})).collect();
        let new_assignments: Vec<AssignmentRow> = input
            .executors
            .iter()
            .map(|x| AssignmentRow {
                id: new_id(),
                organization_id: row.organization_id.clone(),
                appeal_id: row.id.clone(),
                user_id: x.user_id.clone(),
                responsible: x.responsible,
                instruction: input.instruction.clone(),
                active: true,
                assigned_by: Some(by.clone()),
                assigned_at: now,
            })
            .collect();
        let after: Vec<_> = new_assignments.iter().map(|a| json!({"user_id": a.user_id, "responsible": a.responsible})).collect();
        Ok(Step::from(Change {
            appeal: Some(row),
            replace_assignments: true,
            new_assignments,
            details: json!({"executors": {"before": before, "after": after}, "instruction": input.instruction}),
            ..Default::default()
        }))
    };
    Ok(Planned { actor: actor.clone(), action: Action::Assign, decide: Box::new(decide) })
}
