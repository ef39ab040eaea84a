//! `POST /api/v1/appeals/bulk`: one control action over many appeals. The handler types the
//! single action's parameters (its field errors named under `params.`), reads the per-appeal
//! versions, calls `control::bulk::run`, and answers every row as the single action would
//! have: its status and, when refused, the problem's `code` and `detail`.

use crate::edge::ApiError;
use crate::edge::{parse_etag, Caller, EntityTag, ValidJson};
use super::{AppState, WriteProblems};
use crate::control::bulk::{self, Batch, BulkAction};
use crate::domain::validation::FieldError;
use crate::store::bulk::Target;
use crate::store::ServiceError;
use actix_web::{post, web, HttpResponse, ResponseError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// `params` left out: the single action's empty body (an explicit `null` is refused).
fn empty_object() -> serde_json::Value {
    serde_json::json!({})
}

/// A bulk action: the action, its appeals, and the single action's body as `params`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkInput {
    /// The action, as the single action's path names it.
    pub action: BulkAction,
    /// The appeals, 1–500, each once.
    #[schema(min_items = 1, max_items = 500)]
    pub ids: Vec<String>,
    /// The single action's body (`assign`: `{"executors": […], "instruction"}`, `forward`:
    /// `{"organization" | "body_id", "reason"}` without `letter_number`, `extend`: `{"days",
    /// "reason"}`, `close`: `{"comment"}`, `leave-without-answer`: `{"reason", "comment"}`,
    /// `consideration`: the flags).
    #[serde(default = "empty_object")]
    #[schema(value_type = Object)]
    pub params: serde_json::Value,
    /// `true`: one transaction that refuses everything if any appeal is refused.
    #[serde(default)]
    pub all_or_nothing: bool,
    /// Expected versions by appeal id, quoted as in `If-Match` (`{"<id>": "\"7\""}`); an
    /// appeal left out is taken at its current version.
    #[serde(default)]
    pub if_match: BTreeMap<String, String>,
}

/// One appeal's outcome, as the single action would have answered.
#[derive(Serialize, ToSchema)]
pub struct BulkRow {
    /// Appeal id.
    pub id: String,
    /// 200 done; 403 the caller's part does not allow it; 404 no such appeal or not visible to
    /// the caller; 409 not allowed now (`code` says why; `batch_refused` when another appeal
    /// sank an all-or-nothing batch); 412 the expected version is stale; 422 the parameters do
    /// not fit this appeal; 500 the database failed for this appeal (nothing of it written).
    pub status: u16,
    /// The refusal's stable code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The refusal in Russian.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The card's new version (done), or its current one (412).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
}

/// What a bulk action did.
#[derive(Serialize, ToSchema)]
pub struct BulkResult {
    /// The id every history entry of this batch carries as `details.bulk_id`.
    pub bulk_id: String,
    /// One row per id, in the request's order.
    pub results: Vec<BulkRow>,
    /// Appeals changed.
    pub done: usize,
    /// Appeals refused.
    pub refused: usize,
}

/// The targets of `ids` with the versions of `if_match`; an entry for an appeal outside the
/// batch, or a value that is not a quoted version, is a 422 naming `if_match.<id>`.
pub fn targets(ids: Vec<String>, if_match: &BTreeMap<String, String>) -> Result<Vec<Target>, ApiError> {
    let mut errors = Vec::new();
    for (id, v) in if_match {
        if !ids.contains(id) {
            errors.push(FieldError { field: format!("if_match.{id}"), message: "этого обращения нет в ids".into() });
        } else if !matches!(parse_etag(v.trim()), Some(EntityTag::Strong(_) | EntityTag::Weak | EntityTag::Any)) {
            errors.push(FieldError { field: format!("if_match.{id}"), message: "ожидается версия карточки в кавычках, например \"7\"".into() });
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    Ok(ids
        .into_iter()
        .map(|id| {
            let if_match = match if_match.get(&id).and_then(|v| parse_etag(v.trim())) {
                Some(EntityTag::Strong(n)) => Some(n),
                // A weak tag never matches a write, as in `If-Match`.
                Some(EntityTag::Weak) => Some(-1),
                _ => None,
            };
            Target { id, if_match }
        })
        .collect())
}

/// A row of the answer from the use case's outcome.
pub fn row(id: String, r: Result<i32, ServiceError>) -> BulkRow {
    match r {
        Ok(version) => BulkRow { id, status: 200, code: None, detail: None, version: Some(version) },
        Err(e) => {
            let e = ApiError::from(e);
            if let ApiError::Internal(cause) = &e {
                tracing::error!(appeal_id = %id, cause = %cause, "bulk action: row failed");
            }
            let body = e.body();
            let version = match &e {
                ApiError::Precondition { current } => Some(*current),
                _ => None,
            };
            BulkRow {
                id,
                status: e.status_code().as_u16(),
                code: body["code"].as_str().map(String::from),
                detail: body["detail"].as_str().map(String::from),
                version,
            }
        }
    }
}

/// Takes one control action over many appeals: each as the single action would (visibility,
/// state machine, precondition, one history entry with the batch's `bulk_id`) in its own
/// transaction, or all of them in one with `all_or_nothing`.
#[utoipa::path(tag = "control", request_body = BulkInput,
    responses((status = 200, description = "every appeal's outcome", body = BulkResult), WriteProblems))]
#[post("/appeals/bulk")]
pub async fn bulk_action(caller: Caller, state: web::Data<AppState>, body: ValidJson<BulkInput>) -> Result<HttpResponse, ApiError> {
    let input = body.0;
    let params = crate::edge::bulk::typed_params(input.action, input.params)?;
    let batch = Batch { params, targets: targets(input.ids, &input.if_match)?, all_or_nothing: input.all_or_nothing };
    let actor = caller.actor();
    let st = state.clone();
    let login = caller.login.clone();
    let outcome = web::block(move || bulk::run(&st, &actor, &login, batch)).await??;
    let done = outcome.done();
    let results: Vec<BulkRow> = outcome.rows.into_iter().map(|(id, r)| row(id, r)).collect();
    let refused = results.len() - done;
    Ok(HttpResponse::Ok().json(BulkResult { bulk_id: outcome.bulk_id, results, done, refused }))
}
