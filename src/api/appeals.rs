//! Registering, reading and listing appeals; the history; an executor's queue.

use super::dto::{Card, CardPage};
use super::error::ApiError;
use super::extract::{Caller, Params, ValidJson};
use super::{AppState, ReadProblems, WriteProblems};
use crate::domain::appeal::AppealDraft;
use crate::domain::keys::{like_contains, search_fold};
use crate::domain::roles::{Capability, Role};
use crate::domain::workflow::Status;
use crate::store::appeals::{CardData, ListFilter, ListOrder};
use actix_web::http::header;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Duration, Utc};
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

/// An appeal's history.
#[derive(Serialize, ToSchema)]
pub struct HistoryList {
    /// Entries, oldest first.
    pub items: Vec<HistoryItem>,
}

/// True when the caller may see the card: everyone but executors, and executors assigned to it.
pub fn visible(caller: &Caller, card: &CardData) -> bool {
    caller.role != Role::Executor || card.assignments.iter().any(|a| a.active && a.user_id == caller.id)
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
    let derived = crate::registry::validate(&state, &draft, false).map_err(ApiError::Validation)?;
    let (st, c) = (state.clone(), caller.clone());
    let card = web::block(move || crate::registry::register(&st, &c.org, &c.id, &draft, &derived)).await??;
    tracing::info!(appeal_id = %card.appeal.id, reg_number = %card.appeal.reg_number, channel = %card.appeal.channel, actor = %caller.login, "appeal registered");
    let location = format!("/api/v1/appeals/{}", card.appeal.id);
    let card = Card::from_data(card, &caller.id, caller.role, state.today());
    let mut b = HttpResponse::Created();
    b.insert_header((header::LOCATION, location));
    Ok(card_response(b, card))
}

/// Loads a card the caller may see, or 404 (an executor never learns an unassigned appeal exists).
async fn visible_card(state: &web::Data<AppState>, caller: &Caller, id: String) -> Result<CardData, ApiError> {
    if uuid::Uuid::parse_str(&id).is_err() {
        return Err(ApiError::NotFound);
    }
    let pool = state.pool.clone();
    let org = caller.org.clone();
    let card = web::block(move || crate::store::appeals::get_card(&pool, &org, &id)).await??;
    if !visible(caller, &card) {
        return Err(ApiError::NotFound);
    }
    Ok(card)
}

/// One card; the read itself is recorded in the history (152-FZ).
#[utoipa::path(tag = "appeals", params(("id" = String, Path, description = "appeal id")),
    responses((status = 200, body = Card, headers(("ETag" = String, description = "the card's version, quoted"))), ReadProblems))]
#[get("/appeals/{id}")]
pub async fn get_appeal(caller: Caller, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let card = visible_card(&state, &caller, id.into_inner()).await?;
    let entry = crate::store::history::entry(&card.appeal.organization_id, &card.appeal.id, state.now_naive(), Some(&caller.id), "viewed", serde_json::json!({}));
    let pool = state.pool.clone();
    web::block(move || crate::store::history::append(&pool, &entry)).await??;
    Ok(card_response(HttpResponse::Ok(), Card::from_data(card, &caller.id, caller.role, state.today())))
}

/// The appeal's history, oldest first.
#[utoipa::path(tag = "appeals", params(("id" = String, Path, description = "appeal id")),
    responses((status = 200, body = HistoryList), ReadProblems))]
#[get("/appeals/{id}/history")]
pub async fn appeal_history(caller: Caller, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let card = visible_card(&state, &caller, id.into_inner()).await?;
    let pool = state.pool.clone();
    let org = caller.org.clone();
    let rows = web::block(move || crate::store::history::list(&pool, &org, &card.appeal.id)).await??;
    let items = rows
        .into_iter()
        .map(|h| HistoryItem {
            at: DateTime::from_naive_utc_and_offset(h.at, Utc),
            actor: h.actor_id,
            action: h.action,
            details: serde_json::from_str(&h.details).unwrap_or(serde_json::Value::Null),
        })
        .collect();
    Ok(HttpResponse::Ok().json(HistoryList { items }))
}

fn encode_cursor(c: &CardData) -> String {
    hex::encode(format!("{}|{}", c.appeal.registered_at.format("%Y-%m-%dT%H:%M:%S%.6f"), c.appeal.id))
}

fn decode_cursor(s: &str) -> Result<(chrono::NaiveDateTime, String), ApiError> {
    let bad = || ApiError::Validation(vec![crate::domain::validation::FieldError { field: "cursor".into(), message: "курсор повреждён; начните с первой страницы".into() }]);
    let raw = String::from_utf8(hex::decode(s).map_err(|_| bad())?).map_err(|_| bad())?;
    let (at, id) = raw.split_once('|').ok_or_else(bad)?;
    let at = chrono::NaiveDateTime::parse_from_str(at, "%Y-%m-%dT%H:%M:%S%.f").map_err(|_| bad())?;
    Ok((at, id.to_string()))
}

/// Builds the registry list's store filter from the query string.
fn filter_from(state: &AppState, caller: &Caller, p: &Params) -> Result<ListFilter, ApiError> {
    let today = state.today();
    let statuses: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
    let mut f = ListFilter {
        org: caller.org.clone(),
        registered_from: p.date("registered_from")?.map(|d| state.start_of(d)),
        registered_before: p.date("registered_to")?.and_then(|d| d.succ_opt()).map(|d| state.start_of(d)),
        statuses: p.one_of("status", &statuses)?.into_iter().collect(),
        channel: p.text("channel", 100)?,
        section: p.section("section")?,
        executor_id: p.text("executor_id", 64)?,
        visible_to: (caller.role == Role::Executor).then(|| caller.id.clone()),
        due_on_or_before: None,
        due_before: None,
        due_on_or_after: None,
        search: p.text("q", 200)?.map(|q| like_contains(&search_fold(&q))),
        after: p.opaque("cursor", 400)?.map(|c| decode_cursor(&c)).transpose()?,
        limit: p.int("limit", 1, 100)?.unwrap_or(50),
        order: ListOrder::NewestFirst,
    };
    let open: Vec<String> = Status::open_codes().into_iter().map(String::from).collect();
    if p.flag("overdue")? == Some(true) {
        f.due_before = Some(today);
        if f.statuses.is_empty() {
            f.statuses = open.clone();
        } else {
            f.statuses.retain(|s| open.contains(s));
            if f.statuses.is_empty() {
                f.statuses = vec!["none".into()];
            }
        }
    }
    if let Some(n) = p.int("due_within_days", 0, 366)? {
        f.due_on_or_after = Some(today);
        f.due_on_or_before = Some(today + Duration::days(n));
        if f.statuses.is_empty() {
            f.statuses = open;
        }
    }
    Ok(f)
}

/// The registry: filtered, newest registration first, keyset-paginated (stable under inserts).
#[utoipa::path(tag = "appeals",
    params(("registered_from" = Option<chrono::NaiveDate>, Query, description = "YYYY-MM-DD"), ("registered_to" = Option<chrono::NaiveDate>, Query, description = "YYYY-MM-DD, inclusive"),
           ("status" = Option<Status>, Query), ("channel" = Option<String>, Query, description = "channel code from /api/v1/channels"),
           ("section" = Option<String>, Query, pattern = "^[0-9]{4}$", description = "classifier section, e.g. 0005"),
           ("executor_id" = Option<String>, Query), ("overdue" = Option<bool>, Query), ("due_within_days" = Option<i64>, Query, minimum = 0, maximum = 366),
           ("q" = Option<String>, Query, description = "registration number, applicant name or summary; case-insensitive"),
           ("limit" = Option<i64>, Query, minimum = 1, maximum = 100), ("cursor" = Option<String>, Query, pattern = "^[0-9a-f]{2,400}$", description = "next_cursor of the previous page")),
    responses((status = 200, body = CardPage), ReadProblems))]
#[get("/appeals")]
pub async fn list_appeals(caller: Caller, state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let p = Params::of(&req)?;
    let mut f = filter_from(&state, &caller, &p)?;
    let limit = f.limit;
    f.limit = limit + 1;
    let pool = state.pool.clone();
    let mut rows = web::block(move || crate::store::appeals::list(&pool, &f)).await??;
    let next_cursor = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(encode_cursor)
    } else {
        None
    };
    let today = state.today();
    let items = rows.into_iter().map(|c| Card::from_data(c, &caller.id, caller.role, today)).collect();
    Ok(HttpResponse::Ok().json(CardPage { items, next_cursor }))
}

/// The caller's open assignments, nearest deadline first.
#[utoipa::path(tag = "appeals", params(("due_within_days" = Option<i64>, Query, minimum = 0, maximum = 366)),
    responses((status = 200, body = CardPage), ReadProblems))]
#[get("/me/assignments")]
pub async fn my_assignments(caller: Caller, state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let p = Params::of(&req)?;
    let today = state.today();
    let within = p.int("due_within_days", 0, 366)?;
    let f = ListFilter {
        org: caller.org.clone(),
        registered_from: None,
        registered_before: None,
        statuses: Status::ALL.iter().filter(|s| s.is_open() || **s == Status::Answered).map(|s| s.as_str().to_string()).collect(),
        channel: None,
        section: None,
        executor_id: None,
        visible_to: Some(caller.id.clone()),
        due_on_or_before: within.map(|n| today + Duration::days(n)),
        due_before: None,
        due_on_or_after: None,
        search: None,
        after: None,
        limit: 500,
        order: ListOrder::DueFirst,
    };
    let pool = state.pool.clone();
    let rows = web::block(move || crate::store::appeals::list(&pool, &f)).await??;
    let items = rows.into_iter().map(|c| Card::from_data(c, &caller.id, caller.role, today)).collect();
    Ok(HttpResponse::Ok().json(CardPage { items, next_cursor: None }))
}
