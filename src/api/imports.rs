//! Bulk import of a legacy registry or a platform dump: validate every row, then all or nothing.

use super::error::ApiError;
use super::extract::{Caller, ValidJson};
use super::{AppState, WriteProblems};
use crate::domain::appeal::AppealDraft;
use crate::domain::roles::Capability;
use crate::domain::validation::FieldError;
use actix_web::{post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use utoipa::ToSchema;

/// Appeals to import: registration bodies plus `registered_at` and optionally `reg_number`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportRequest {
    /// Rows.
    pub items: Vec<AppealDraft>,
}

/// What was imported.
#[derive(Serialize, ToSchema)]
pub struct ImportResult {
    /// Count.
    pub imported: usize,
    /// Ids, in input order.
    pub ids: Vec<String>,
}

/// Imports appeals in one transaction; any invalid row refuses the whole batch with its path.
#[utoipa::path(tag = "appeals", request_body = ImportRequest,
    responses((status = 201, body = ImportResult), WriteProblems))]
#[post("/imports/appeals")]
pub async fn import_appeals(caller: Caller, state: web::Data<AppState>, body: ValidJson<ImportRequest, true>) -> Result<HttpResponse, ApiError> {
    caller.require(Capability::Import)?;
    let items = body.0.items;
    let max = state.settings.limits.import_items;
    if items.is_empty() || items.len() > max {
        return Err(ApiError::Validation(vec![FieldError { field: "items".into(), message: format!("от 1 до {max} обращений") }]));
    }
    let st = state.clone();
    let c = caller.clone();
    let ids = web::block(move || -> Result<Vec<String>, ApiError> {
        let started = std::time::Instant::now();
        let mut errors = Vec::new();
        let mut prepared = Vec::with_capacity(items.len());
        let mut numbers = HashSet::new();
        let mut externals = HashSet::new();
        let now = st.now();
        for (i, d) in items.iter().enumerate() {
            match crate::registry::validate(&st, d, true) {
                Err(errs) => errors.extend(errs.into_iter().map(|e| FieldError { field: format!("items[{i}].{}", e.field), message: e.message })),
                Ok(derived) => {
                    if let Some(n) = &d.reg_number {
                        if !numbers.insert(n.clone()) {
                            errors.push(FieldError { field: format!("items[{i}].reg_number"), message: format!("номер {n} повторяется в импорте") });
                        }
                    }
                    if let Some(x) = &d.external_id {
                        if !externals.insert((d.channel.clone(), x.clone())) {
                            errors.push(FieldError { field: format!("items[{i}].external_id"), message: "external_id повторяется в импорте".into() });
                        }
                    }
                    let at = d.registered_at.unwrap_or(now);
                    prepared.push(crate::registry::prepare(&st, &c.org, Some(&c.id), d, &derived, at, "imported"));
                }
            }
            if errors.len() >= 1000 {
                break;
            }
        }
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        let validated = started.elapsed();
        let ids = crate::registry::import(&st, &prepared)?;
        tracing::info!(count = ids.len(), validate_ms = validated.as_millis() as u64, store_ms = (started.elapsed() - validated).as_millis() as u64, "import stored");
        Ok(ids)
    })
    .await??;
    tracing::info!(count = ids.len(), actor = %caller.login, "appeals imported");
    Ok(HttpResponse::Created().json(ImportResult { imported: ids.len(), ids }))
}
