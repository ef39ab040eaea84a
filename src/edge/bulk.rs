//! The parameters of one bulk action, typed for that action from the API's JSON or the bulk
//! form's fields, with field errors named under `params.` as the single action would name them.

use super::body::typed_element;
use super::error::ApiError;
use crate::control::bulk::{BulkAction, Params};
use crate::domain::validation::FieldError;

/// The single action's parameters typed for `action`; field errors named `params.<field>`.
pub fn typed_params(action: BulkAction, params: serde_json::Value) -> Result<Params, ApiError> {
    let prefix = |errs: Vec<FieldError>| {
        ApiError::Validation(errs.into_iter().map(|e| FieldError { field: if e.field == "body" { "params".into() } else { format!("params.{}", e.field) }, message: e.message }).collect())
    };
    if !params.is_object() {
        return Err(prefix(vec![FieldError { field: "body".into(), message: "ожидается объект JSON {…}".into() }]));
    }
    Ok(match action {
        BulkAction::Assign => Params::Assign(typed_element(params).map_err(prefix)?),
        BulkAction::Forward => Params::Forward(typed_element(params).map_err(prefix)?),
        BulkAction::Extend => Params::Extend(typed_element(params).map_err(prefix)?),
        BulkAction::Close => Params::Close(typed_element(params).map_err(prefix)?),
        BulkAction::LeaveWithoutAnswer => Params::LeaveWithoutAnswer(typed_element(params).map_err(prefix)?),
        BulkAction::Consideration => Params::Consideration(typed_element(params).map_err(prefix)?),
        BulkAction::Answer => Params::Answer(typed_element(params).map_err(prefix)?),
        BulkAction::Approve => Params::Approve(typed_element(params).map_err(prefix)?),
        BulkAction::Dispatch => Params::Dispatch(typed_element(params).map_err(prefix)?),
    })
}
