//! How the appeal is considered (docs/domain.md §5 step 5): documents requested from another body,
//! a check on site (с выездом на место), by a commission, with the applicant present. Set by
//! its executors or a supervisor; the reports count them. The status does not change.

use super::{run, Actor, Invalid, Planned, Step};
use crate::domain::validation::Errors;
use crate::domain::workflow::Action;
use crate::state::AppState;
use crate::store::appeals::{CardData, Change};
use crate::store::ServiceError;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

/// The consideration flags to set or clear; absent ones stay.
#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsiderationInput {
    /// Documents were requested from another body (a usual reason to extend).
    #[serde(default)]
    pub documents_requested: Option<bool>,
    /// Checked on site (с выездом на место).
    #[serde(default)]
    pub on_site_check: Option<bool>,
    /// Considered by a commission.
    #[serde(default)]
    pub by_commission: Option<bool>,
    /// Considered with the applicant present.
    #[serde(default)]
    pub with_applicant: Option<bool>,
}

impl ConsiderationInput {
    /// Field checks that need no database.
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut e = Errors::default();
        if self.documents_requested.is_none() && self.on_site_check.is_none() && self.by_commission.is_none() && self.with_applicant.is_none() {
            e.add("body", "укажите documents_requested, on_site_check, by_commission или with_applicant");
        }
        e.finish()
    }
}

/// Records the consideration flags of appeal `id`.
pub fn consider(state: &AppState, actor: &Actor, id: &str, expected: Option<i32>, input: ConsiderationInput) -> Result<CardData, ServiceError> {
    let mut p = plan(actor, input)?;
    run(state, actor, id, expected, p.action, &mut *p.decide)
}

/// The flags as a step that may be applied to many cards (input checked now).
pub fn plan<'a>(actor: &Actor, input: ConsiderationInput) -> Result<Planned<'a>, ServiceError> {
    input.validate().map_err(ServiceError::Invalid)?;
    let decide = move |card: &CardData| -> Result<Step, ServiceError> {
        let mut row = card.appeal.clone();
        let mut details = Map::new();
        let mut set = |name: &str, field: &mut bool, value: Option<bool>| {
            if let Some(v) = value.filter(|v| v != field) {
                details.insert(name.into(), json!({"before": *field, "after": v}));
                *field = v;
            }
        };
        set("documents_requested", &mut row.documents_requested, input.documents_requested);
        set("on_site_check", &mut row.on_site_check, input.on_site_check);
        set("by_commission", &mut row.by_commission, input.by_commission);
        set("with_applicant", &mut row.with_applicant, input.with_applicant);
        Ok(Change { appeal: Some(row), details: Value::Object(details), ..Default::default() }.into())
    };
    Ok(Planned { actor: actor.clone(), action: Action::Consider, decide: Box::new(decide) })
}
