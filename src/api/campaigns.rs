//! Mass campaigns: near-identical letters from different people, grouped as they are
//! registered. Supervisors and clerks list them, open one (its appeals, how many people and
//! addresses signed), rename it, leave an appeal out, and take one control action over all its
//! appeals at once (each appeal through the single action's use case, as a bulk action).

use super::bulk::{row, BulkResult, BulkRow};
use super::{AppState, ReadProblems, ResourceWriteProblems};
use crate::control::bulk::{self, Batch, BulkAction, MAX_IDS};
use crate::domain::roles::Capability;
use crate::domain::validation::{Errors, FieldError};
use crate::edge::ApiError;
use crate::edge::{Caller, Params, ValidJson};
use crate::store::bulk::Target;
use crate::store::campaigns::{CampaignSummary, Member};
use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The organization's campaigns.
#[derive(Serialize, ToSchema)]
pub struct CampaignList {
    /// Newest first.
    pub items: Vec<CampaignSummary>,
}

/// A campaign with its appeals.
#[derive(Serialize, ToSchema)]
pub struct CampaignCard {
    /// The campaign.
    #[serde(flatten)]
    pub campaign: CampaignSummary,
    /// Distinct applicants among its appeals.
    pub applicants: i64,
    /// Distinct addresses among its applicants.
    pub addresses: i64,
    /// Its appeals, oldest first.
    pub items: Vec<Member>,
}

/// A new title.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignPatch {
    /// The campaign's title, 1–500 characters.
    pub title: String,
}

/// One control action over every appeal of a campaign.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignActionInput {
    /// The action, as `POST /appeals/bulk` names it.
    pub action: BulkAction,
    /// The single action's body, as for `POST /appeals/bulk`.
    #[serde(default = "empty_object")]
    #[schema(value_type = Object)]
    pub params: serde_json::Value,
    /// `true`: one transaction that refuses everything if any appeal is refused (campaigns of
    /// at most 500 appeals).
    #[serde(default)]
    pub all_or_nothing: bool,
}

fn empty_object() -> serde_json::Value {
    serde_json::json!({})
}

/// The campaign as the caller may see it, or 404 (also for another organization's, and for an
/// executor with none of its appeals).
async fn find(state: &web::Data<AppState>, caller: &Caller, id: &str) -> Result<CampaignSummary, ApiError> {
    let (pool, org, id, confined) = (state.pool.clone(), caller.org.clone(), id.to_string(), caller.actor().confined_to());
    web::block(move || crate::store::campaigns::get(&pool, &org, &id, confined.as_deref())).await??.ok_or(ApiError::NotFound)
}

/// The organization's campaigns, newest first (`limit` 1–500, default 100).
#[utoipa::path(tag = "campaigns", params(("limit" = Option<i64>, Query, minimum = 1, maximum = 500)),
    responses((status = 200, body = CampaignList), ReadProblems))]
#[get("/campaigns")]
pub async fn list_campaigns(caller: Caller, state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    caller.require(Capability::ReadAll)?;
    let limit = Params::of(&req)?.int("limit", 1, 500)?.unwrap_or(100);
    let (pool, org) = (state.pool.clone(), caller.org.clone());
    let items = web::block(move || crate::store::campaigns::list(&pool, &org, limit)).await??;
    Ok(HttpResponse::Ok().json(CampaignList { items }))
}

/// One campaign: its appeals, and how many people and addresses they come from. An executor
/// sees only the campaign's appeals assigned to them (404 when none is).
#[utoipa::path(tag = "campaigns", params(("id" = String, Path, description = "campaign id")),
    responses((status = 200, body = CampaignCard), ReadProblems))]
#[get("/campaigns/{id}")]
pub async fn get_campaign(caller: Caller, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let campaign = find(&state, &caller, &id).await?;
    let (pool, org, cid, confined) = (state.pool.clone(), caller.org.clone(), campaign.id.clone(), caller.actor().confined_to());
    let (items, (applicants, addresses)) = web::block(move || -> Result<_, crate::store::ServiceError> {
        let confined = confined.as_deref();
        Ok((crate::store::campaigns::members(&pool, &org, &cid, confined)?, crate::store::campaigns::spread(&pool, &org, &cid, confined)?))
    })
    .await??;
    Ok(HttpResponse::Ok().json(CampaignCard { campaign, applicants, addresses, items }))
}

/// Renames a campaign.
#[utoipa::path(tag = "campaigns", params(("id" = String, Path, description = "campaign id")), request_body = CampaignPatch,
    responses((status = 200, body = CampaignSummary), ResourceWriteProblems))]
#[patch("/campaigns/{id}")]
pub async fn rename_campaign(caller: Caller, state: web::Data<AppState>, id: web::Path<String>, body: ValidJson<CampaignPatch>) -> Result<HttpResponse, ApiError> {
    caller.require(Capability::ReadAll)?;
    let title = body.0.title.trim().to_string();
    let mut e = Errors::default();
    e.text("title", &title, 500);
    e.finish().map_err(ApiError::Validation)?;
    let (pool, org, cid, now) = (state.pool.clone(), caller.org.clone(), id.into_inner(), state.now_naive());
    let renamed = web::block(move || -> Result<_, crate::store::ServiceError> {
        Ok(if crate::store::campaigns::rename(&pool, &org, &cid, &title, now)? { crate::store::campaigns::get(&pool, &org, &cid, None)? } else { None })
    })
    .await??;
    Ok(HttpResponse::Ok().json(renamed.ok_or(ApiError::NotFound)?))
}

/// Leaves an appeal out of its campaign for good; a campaign left with one appeal is dissolved.
#[utoipa::path(tag = "campaigns", params(("id" = String, Path, description = "campaign id"), ("appeal_id" = String, Path, description = "appeal id")),
    responses((status = 204, description = "left out"), ResourceWriteProblems))]
#[delete("/campaigns/{id}/appeals/{appeal_id}")]
pub async fn leave_out(caller: Caller, state: web::Data<AppState>, path: web::Path<(String, String)>) -> Result<HttpResponse, ApiError> {
    caller.require(Capability::ReadAll)?;
    let (cid, appeal) = path.into_inner();
    let (pool, org) = (state.pool.clone(), caller.org.clone());
    let done = web::block(move || crate::store::campaigns::leave_out(&pool, &org, &cid, &appeal)).await??;
    if !done {
        return Err(ApiError::NotFound);
    }
    tracing::info!(actor = %caller.login, "appeal left out of its campaign");
    Ok(HttpResponse::NoContent().finish())
}

/// One control action over every appeal of the campaign (assign all to one executor with one
/// resolution; answer all with one text, then approve and dispatch each answer with its own
/// outgoing number; extend, forward, …): each appeal as the single action would take it, on its
/// own deadline, in batches of 500 with one `bulk_id` each; answers as `POST /appeals/bulk`
/// does. An executor acts on the campaign's appeals assigned to them.
#[utoipa::path(tag = "campaigns", params(("id" = String, Path, description = "campaign id")), request_body = CampaignActionInput,
    responses((status = 200, description = "every appeal's outcome", body = BulkResult), ResourceWriteProblems))]
#[post("/campaigns/{id}/actions")]
pub async fn campaign_action(caller: Caller, state: web::Data<AppState>, id: web::Path<String>, body: ValidJson<CampaignActionInput>) -> Result<HttpResponse, ApiError> {
    let input = body.0;
    // An action the role may never take is refused before the campaign is looked up.
    if !input.action.open_to_role(caller.role) {
        return Err(ApiError::Forbidden(format!("роль «{}» не позволяет действие «{}»", caller.role.label(), input.action.label())));
    }
    let campaign = find(&state, &caller, &id).await?;
    let (pool, org, cid, confined) = (state.pool.clone(), caller.org.clone(), campaign.id.clone(), caller.actor().confined_to());
    let members = web::block(move || crate::store::campaigns::members(&pool, &org, &cid, confined.as_deref())).await??;
    if input.all_or_nothing && members.len() > MAX_IDS {
        return Err(ApiError::Validation(vec![FieldError { field: "all_or_nothing".into(), message: format!("всё или ничего — для кампаний не больше {MAX_IDS} обращений") }]));
    }
    let ids: Vec<String> = members.into_iter().map(|m| m.id).collect();
    let mut results: Vec<BulkRow> = Vec::with_capacity(ids.len());
    let mut bulk_id = String::new();
    for chunk in ids.chunks(MAX_IDS) {
        let params = crate::edge::bulk::typed_params(input.action, input.params.clone())?;
        let batch = Batch { params, targets: chunk.iter().map(|id| Target { id: id.clone(), if_match: None }).collect(), all_or_nothing: input.all_or_nothing };
        let (st, actor, login) = (state.clone(), caller.actor(), caller.login.clone());
        let outcome = web::block(move || bulk::run(&st, &actor, &login, batch)).await??;
        if bulk_id.is_empty() {
            bulk_id = outcome.bulk_id.clone();
        }
        results.extend(outcome.rows.into_iter().map(|(id, r)| row(id, r)));
    }
    let done = results.iter().filter(|r| r.status == 200).count();
    let refused = results.len() - done;
    Ok(HttpResponse::Ok().json(BulkResult { bulk_id, results, done, refused }))
}
