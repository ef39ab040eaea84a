//! Registering, reading and listing appeals; the history; an executor's queue.

use crate::edge::views::{Card, ListItem, ListPage};
use crate::edge::ApiError;
use crate::edge::list::{decode_due_cursor, encode_cursor, encode_due_cursor, filter_from};
use crate::edge::{Caller, Params, ValidJson};
use super::{AppState, ReadProblems, WriteProblems};
use crate::domain::appeal::AppealDraft;
use crate::domain::roles::Capability;
use crate::domain::workflow::Status;
use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// A history entry.
#[derive(Serialize, ToSchema)]
pub struct HistoryItem {
    /// When.
    pub at: DateTime<Utc>,
    /// Who: user id, or null for the system.
    pub actor: Option<String>,
    /// What.
    pub action: String,
    /// Details: before/after of changed fields.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// A page of an appeal's history.
#[derive(Serialize, ToSchema)]
pub struct HistoryList {
    /// Entries, oldest first.
    pub items: Vec<HistoryItem>,
    /// Cursor of the next page, if any; null on the last page.
    pub next_cursor: Option<String>,
}

/// A card response with its version as the ETag.
pub fn card_response(mut builder: actix_web::HttpResponseBuilder, card: Card) -> HttpResponse {
    builder.insert_header((header::ETAG, format!("\"{}\"", card.version))).json(card)
}

/// Registers an appeal: validation, number, deadline, repeat links and history in one transaction.
#[utoipa::path(tag = "appeals", request_body = AppealDraft,
    responses((status = 201, body = Card, description = "registered; Location names the card"), WriteProblems))]
#[post("/appeals")]
pub async fn register_appeal(caller: Caller, state: web::Data<AppState>, body: ValidJson<AppealDraft>) -> Result<HttpResponse, ApiError> {
    caller.require(Capability::Register)?;
    let draft = body.0;
    let derived = crate::intake::validate(&state, &caller.org, &draft, false).map_err(ApiError::Validation)?;
    let (st, c) = (state.clone(), caller.clone());
    let card = web::block(move || crate::registry::register(&st, &c.org, &c.id, &draft, &derived)).await??;
    tracing::info!(appeal_id = %card.appeal.id, reg_number = %card.appeal.reg_number, channel = %card.appeal.channel, actor = %caller.login, "appeal registered");
    let location = format!("/api/v1/appeals/{}", card.appeal.id);
    let campaign = campaign_of(&state, &caller, &card.appeal.id).await?;
    let mut card = Card::from_data(card, &caller.id, caller.role, state.today(&caller.org));
    card.campaign = campaign;
    let mut b = HttpResponse::Created();
    b.insert_header((header::LOCATION, location));
    Ok(card_response(b, card))
}

/// The campaign an appeal belongs to; an executor sees it counting only the appeals assigned
/// to them (they learn nothing of other people's letters).
async fn campaign_of(state: &web::Data<AppState>, caller: &Caller, appeal_id: &str) -> Result<Option<crate::store::campaigns::CampaignSummary>, ApiError> {
    let (pool, org, id, confined) = (state.pool.clone(), caller.org.clone(), appeal_id.to_string(), caller.actor().confined_to());
    Ok(web::block(move || crate::store::campaigns::of_appeal(&pool, &org, &id, confined.as_deref())).await??)
}

/// One card; the read itself is recorded in the history (152-FZ).
#[utoipa::path(tag = "appeals", params(("id" = String, Path, description = "appeal id")),
    responses((status = 200, body = Card, headers(("ETag" = String, description = "the card's version, quoted"))), ReadProblems))]
#[get("/appeals/{id}")]
pub async fn get_appeal(caller: Caller, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let (st, actor) = (state.clone(), caller.actor());
    let id = id.into_inner();
    let card = web::block(move || crate::queries::card::show(&st, &actor, &id, serde_json::json!({}))).await??;
    let campaign = campaign_of(&state, &caller, &card.appeal.id).await?;
    let mut card = Card::from_data(card, &caller.id, caller.role, state.today(&caller.org));
    card.campaign = campaign;
    Ok(card_response(HttpResponse::Ok(), card))
}

/// The appeal's history, oldest first, a page at a time (`limit` 1–500, default 100).
#[utoipa::path(tag = "appeals", params(("id" = String, Path, description = "appeal id"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 500), ("cursor" = Option<String>, Query, pattern = "^[0-9]{1,19}$", description = "next_cursor of the previous page")),
    responses((status = 200, body = HistoryList), ReadProblems))]
#[get("/appeals/{id}/history")]
pub async fn appeal_history(caller: Caller, state: web::Data<AppState>, id: web::Path<String>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let p = Params::of(&req)?;
    let limit = p.int("limit", 1, 500)?.unwrap_or(100);
    let after = p.int("cursor", 0, i64::MAX)?;
    let (st, actor, id) = (state.clone(), caller.actor(), id.into_inner());
    let card = web::block(move || crate::queries::card::visible_card(&st, &actor, &id)).await??;
    let pool = state.pool.clone();
    let org = caller.org.clone();
    let mut rows = web::block(move || crate::store::history::page(&pool, &org, &card.appeal.id, after, limit + 1)).await??;
    let next_cursor = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|h| h.id.to_string())
    } else {
        None
    };
    let mut items: Vec<HistoryItem> = rows
        .into_iter()
        .map(|h| HistoryItem {
            at: DateTime::from_naive_utc_and_offset(h.at, Utc),
            actor: h.actor_id,
            action: h.action,
            details: serde_json::from_str(&h.details).unwrap_or(serde_json::Value::Null),
        })
        .collect();
    // Related appeals named in the details: an executor sees only those they may open.
    let named: Vec<String> = items.iter().filter_map(|i| i.details.get("related_appeal_ids")?.as_array().cloned()).flatten().filter_map(|v| v.as_str().map(String::from)).collect();
    if !named.is_empty() {
        let (st, actor) = (state.clone(), caller.actor());
        if let Some(allowed) = web::block(move || crate::queries::card::openable(&st, &actor, named)).await?? {
            for i in &mut items {
                if let Some(list) = i.details.get_mut("related_appeal_ids").and_then(|v| v.as_array_mut()) {
                    list.retain(|v| v.as_str().is_some_and(|id| allowed.contains(id)));
                }
            }
        }
    }
    Ok(HttpResponse::Ok().json(HistoryList { items, next_cursor }))
}

/// The registry: filtered, newest registration first, keyset-paginated (stable under inserts).
#[utoipa::path(tag = "appeals",
    params(("registered_from" = Option<chrono::NaiveDate>, Query, description = "YYYY-MM-DD"), ("registered_to" = Option<chrono::NaiveDate>, Query, description = "YYYY-MM-DD, inclusive"),
           ("status" = Option<Status>, Query), ("channel" = Option<String>, Query, description = "channel code from /api/v1/channels"),
           ("section" = Option<String>, Query, pattern = "^[0-9]{4}$", description = "classifier section, e.g. 0005"),
           ("campaign_id" = Option<uuid::Uuid>, Query, description = "appeals of this mass campaign"),
           ("executor_id" = Option<uuid::Uuid>, Query), ("overdue" = Option<bool>, Query), ("due_within_days" = Option<i64>, Query, minimum = 0, maximum = 366),
           ("q" = Option<String>, Query, description = "registration number, applicant name or summary contains this; case-insensitive, ё = е; at least 3 letters or digits in a row (422 naming q otherwise)"),
           ("limit" = Option<i64>, Query, minimum = 1, maximum = 100), ("cursor" = Option<String>, Query, pattern = "^[0-9a-f]{2,400}$", description = "next_cursor of the previous page")),
    responses((status = 200, body = ListPage, description = "list items: cards without the applicants' contacts"), ReadProblems))]
#[get("/appeals")]
pub async fn list_appeals(caller: Caller, state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let p = Params::of(&req)?;
    let f = filter_from(&state, &caller, &p)?;
    let (st, actor) = (state.clone(), caller.actor());
    // The registry and its search read the replica when there is one.
    let page = web::block(move || st.on_reads(crate::store::ServiceError::is_unavailable, |st| crate::queries::lists::registry(st, &actor, f.clone()))).await??;
    let next_cursor = if page.more { page.cards.last().map(encode_cursor) } else { None };
    let today = state.today(&caller.org);
    let items = list_items(page, &caller, today);
    Ok(HttpResponse::Ok().json(ListPage { items, next_cursor }))
}

/// A page's cards as list items, each with its mass campaign.
fn list_items(page: crate::queries::lists::Page, caller: &Caller, today: chrono::NaiveDate) -> Vec<ListItem> {
    let mut campaigns = page.campaigns;
    page.cards
        .into_iter()
        .map(|c| {
            let campaign = campaigns.remove(&c.appeal.id);
            let mut card = Card::from_data(c, &caller.id, caller.role, today);
            card.campaign = campaign;
            ListItem(card)
        })
        .collect()
}

/// The caller's open assignments, nearest deadline first, paged like the registry
/// (`limit` 1–100, default 50; `next_cursor` until the last page).
#[utoipa::path(tag = "appeals", params(("due_within_days" = Option<i64>, Query, minimum = 0, maximum = 366),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 100), ("cursor" = Option<String>, Query, pattern = "^[0-9a-f]{2,400}$", description = "next_cursor of the previous page")),
    responses((status = 200, body = ListPage, description = "list items: cards without the applicants' contacts"), ReadProblems))]
#[get("/me/assignments")]
pub async fn my_assignments(caller: Caller, state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let p = Params::of(&req)?;
    let within = p.int("due_within_days", 0, 366)?;
    let limit = p.int("limit", 1, 100)?.unwrap_or(50);
    let after_due = p.opaque("cursor", 400)?.map(|c| decode_due_cursor(&c)).transpose()?;
    let (st, actor) = (state.clone(), caller.actor());
    let page = web::block(move || crate::queries::lists::queue(&st, &actor, within, after_due, limit)).await??;
    let next_cursor = if page.more { page.cards.last().map(encode_due_cursor) } else { None };
    let today = state.today(&caller.org);
    let items = list_items(page, &caller, today);
    Ok(HttpResponse::Ok().json(ListPage { items, next_cursor }))
}
