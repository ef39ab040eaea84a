//! Registering, reading and listing appeals; the history; an executor's queue.

use super::dto::{Card, ListItem, ListPage};
use super::error::ApiError;
use super::extract::{Caller, Params, ValidJson};
use super::{AppState, ReadProblems, WriteProblems};
use crate::domain::appeal::AppealDraft;
use crate::domain::search::SearchQuery;
use crate::store::search::TextSearch;
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

/// A page of an appeal's history.
#[derive(Serialize, ToSchema)]
pub struct HistoryList {
    /// Entries, oldest first.
    pub items: Vec<HistoryItem>,
    /// Cursor of the next page, if any; null on the last page.
    pub next_cursor: Option<String>,
}

/// For an executor, keeps only the ids they may open (appeals actively assigned to them);
/// others may open every appeal of the organization. Returns `None` when nothing is filtered.
pub async fn openable(state: &web::Data<AppState>, caller: &Caller, ids: Vec<String>) -> Result<Option<std::collections::HashSet<String>>, ApiError> {
    if caller.role != Role::Executor {
        return Ok(None);
    }
    let pool = state.pool.clone();
    let (org, user) = (caller.org.clone(), caller.id.clone());
    let found = web::block(move || crate::store::visibility::assigned_among(&pool, &org, &user, &ids)).await??;
    Ok(Some(found.into_iter().collect()))
}

/// Drops from the cards' `related` the appeals the caller may not open (an executor learns
/// nothing about appeals of others). Call before building any card an executor receives.
pub async fn redact_related(state: &web::Data<AppState>, caller: &Caller, cards: &mut [CardData]) -> Result<(), ApiError> {
    let ids: Vec<String> = cards.iter().flat_map(|c| c.related.iter().cloned()).collect();
    if ids.is_empty() {
        return Ok(());
    }
    if let Some(allowed) = openable(state, caller, ids).await? {
        for c in cards.iter_mut() {
            c.related.retain(|id| allowed.contains(id));
        }
    }
    Ok(())
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
    let mut card = visible_card(&state, &caller, id.into_inner()).await?;
    redact_related(&state, &caller, std::slice::from_mut(&mut card)).await?;
    let entry = crate::store::history::entry(&card.appeal.organization_id, &card.appeal.id, state.now_naive(), Some(&caller.id), "viewed", serde_json::json!({}));
    let pool = state.pool.clone();
    web::block(move || crate::store::history::append(&pool, &entry)).await??;
    Ok(card_response(HttpResponse::Ok(), Card::from_data(card, &caller.id, caller.role, state.today())))
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
    let card = visible_card(&state, &caller, id.into_inner()).await?;
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
        if let Some(allowed) = openable(&state, &caller, named).await? {
            for i in &mut items {
                if let Some(list) = i.details.get_mut("related_appeal_ids").and_then(|v| v.as_array_mut()) {
                    list.retain(|v| v.as_str().is_some_and(|id| allowed.contains(id)));
                }
            }
        }
    }
    Ok(HttpResponse::Ok().json(HistoryList { items, next_cursor }))
}

/// The registry's cursor: the last item's (registered_at, id).
pub fn encode_cursor(c: &CardData) -> String {
    hex::encode(format!("{}|{}", c.appeal.registered_at.format("%Y-%m-%dT%H:%M:%S%.6f"), c.appeal.id))
}

fn bad_cursor() -> ApiError {
    ApiError::Validation(vec![crate::domain::validation::FieldError { field: "cursor".into(), message: "курсор повреждён; начните с первой страницы".into() }])
}

/// Reads a registry cursor back; a damaged one is a field error.
pub fn decode_cursor(s: &str) -> Result<(chrono::NaiveDateTime, String), ApiError> {
    let raw = String::from_utf8(hex::decode(s).map_err(|_| bad_cursor())?).map_err(|_| bad_cursor())?;
    let (at, id) = raw.split_once('|').ok_or_else(bad_cursor)?;
    let at = chrono::NaiveDateTime::parse_from_str(at, "%Y-%m-%dT%H:%M:%S%.f").map_err(|_| bad_cursor())?;
    Ok((at, id.to_string()))
}

/// The queue's cursor: the last item's (due_date, registered_at, id).
pub fn encode_due_cursor(c: &CardData) -> String {
    hex::encode(format!("{}|{}|{}", c.appeal.due_date, c.appeal.registered_at.format("%Y-%m-%dT%H:%M:%S%.6f"), c.appeal.id))
}

/// Reads a queue cursor back; a damaged one is a field error.
pub fn decode_due_cursor(s: &str) -> Result<(chrono::NaiveDate, chrono::NaiveDateTime, String), ApiError> {
    let raw = String::from_utf8(hex::decode(s).map_err(|_| bad_cursor())?).map_err(|_| bad_cursor())?;
    let mut parts = raw.splitn(3, '|');
    let due = parts.next().and_then(super::extract::strict_date).ok_or_else(bad_cursor)?;
    let at = parts.next().and_then(|a| chrono::NaiveDateTime::parse_from_str(a, "%Y-%m-%dT%H:%M:%S%.f").ok()).ok_or_else(bad_cursor)?;
    let id = parts.next().filter(|i| uuid::Uuid::parse_str(i).is_ok()).ok_or_else(bad_cursor)?;
    Ok((due, at, id.to_string()))
}

/// Builds the registry list's store filter from the query string.
pub fn filter_from(state: &AppState, caller: &Caller, p: &Params) -> Result<ListFilter, ApiError> {
    let today = state.today();
    let statuses: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
    let channels: Vec<&str> = state.channels.all().iter().map(|c| c.code.as_str()).collect();
    let mut f = ListFilter {
        org: caller.org.clone(),
        registered_from: p.date("registered_from")?.map(|d| state.start_of(d)),
        registered_before: p.date("registered_to")?.and_then(|d| d.succ_opt()).map(|d| state.start_of(d)),
        statuses: p.one_of("status", &statuses)?.into_iter().collect(),
        channel: p.one_of("channel", &channels)?,
        section: p.section("section")?,
        executor_id: p.uuid("executor_id")?,
        visible_to: (caller.role == Role::Executor).then(|| caller.id.clone()),
        due_on_or_before: None,
        due_before: None,
        due_on_or_after: None,
        search: p
            .text("q", 200)?
            .map(|q| SearchQuery::parse(&q).map_err(|m| Params::bad("q", m)))
            .transpose()?
            .map(|query| TextSearch { query, window: state.settings.limits.search_window }),
        after: p.opaque("cursor", 400)?.map(|c| decode_cursor(&c)).transpose()?,
        after_due: None,
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
           ("executor_id" = Option<uuid::Uuid>, Query), ("overdue" = Option<bool>, Query), ("due_within_days" = Option<i64>, Query, minimum = 0, maximum = 366),
           ("q" = Option<String>, Query, description = "registration number, applicant name or summary contains this; case-insensitive, ё = е; at least 3 letters or digits in a row (422 naming q otherwise)"),
           ("limit" = Option<i64>, Query, minimum = 1, maximum = 100), ("cursor" = Option<String>, Query, pattern = "^[0-9a-f]{2,400}$", description = "next_cursor of the previous page")),
    responses((status = 200, body = ListPage, description = "list items: cards without the applicants' contacts"), ReadProblems))]
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
    redact_related(&state, &caller, &mut rows).await?;
    let today = state.today();
    let items = rows.into_iter().map(|c| ListItem(Card::from_data(c, &caller.id, caller.role, today))).collect();
    Ok(HttpResponse::Ok().json(ListPage { items, next_cursor }))
}

/// The caller's open assignments, nearest deadline first, paged like the registry
/// (`limit` 1–100, default 50; `next_cursor` until the last page).
#[utoipa::path(tag = "appeals", params(("due_within_days" = Option<i64>, Query, minimum = 0, maximum = 366),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 100), ("cursor" = Option<String>, Query, pattern = "^[0-9a-f]{2,400}$", description = "next_cursor of the previous page")),
    responses((status = 200, body = ListPage, description = "list items: cards without the applicants' contacts"), ReadProblems))]
#[get("/me/assignments")]
pub async fn my_assignments(caller: Caller, state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let p = Params::of(&req)?;
    let today = state.today();
    let within = p.int("due_within_days", 0, 366)?;
    let limit = p.int("limit", 1, 100)?.unwrap_or(50);
    let after_due = p.opaque("cursor", 400)?.map(|c| decode_due_cursor(&c)).transpose()?;
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
        after_due,
        limit: limit + 1,
        order: ListOrder::DueFirst,
    };
    let pool = state.pool.clone();
    let mut rows = web::block(move || crate::store::appeals::list(&pool, &f)).await??;
    let next_cursor = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(encode_due_cursor)
    } else {
        None
    };
    redact_related(&state, &caller, &mut rows).await?;
    let items = rows.into_iter().map(|c| ListItem(Card::from_data(c, &caller.id, caller.role, today))).collect();
    Ok(HttpResponse::Ok().json(ListPage { items, next_cursor }))
}
