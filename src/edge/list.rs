//! The registry list's and the queue's query strings: filters, visibility and keyset cursors,
//! read the same for the API and the pages.

use super::caller::Caller;
use super::error::ApiError;
use super::params::Params;
use crate::domain::search::SearchQuery;
use crate::domain::workflow::Status;
use crate::state::AppState;
use crate::store::appeals::{CardData, ListFilter, ListOrder};
use crate::store::search::TextSearch;
use chrono::Duration;

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
    let due = parts.next().and_then(super::params::strict_date).ok_or_else(bad_cursor)?;
    let at = parts.next().and_then(|a| chrono::NaiveDateTime::parse_from_str(a, "%Y-%m-%dT%H:%M:%S%.f").ok()).ok_or_else(bad_cursor)?;
    let id = parts.next().filter(|i| uuid::Uuid::parse_str(i).is_ok()).ok_or_else(bad_cursor)?;
    Ok((due, at, id.to_string()))
}

/// Builds the registry list's store filter from the query string.
pub fn filter_from(state: &AppState, caller: &Caller, p: &Params) -> Result<ListFilter, ApiError> {
    let today = state.today(&caller.org);
    let statuses: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
    let channels: Vec<&str> = state.channels.all().iter().map(|c| c.code.as_str()).collect();
    let mut f = ListFilter {
        org: caller.org.clone(),
        registered_from: p.date("registered_from")?.map(|d| state.start_of(&caller.org, d)),
        registered_before: p.date("registered_to")?.and_then(|d| d.succ_opt()).map(|d| state.start_of(&caller.org, d)),
        statuses: p.one_of("status", &statuses)?.into_iter().collect(),
        channel: p.one_of("channel", &channels)?,
        section: p.section("section")?,
        executor_id: p.uuid("executor_id")?,
        campaign_id: p.uuid("campaign_id")?,
        visible_to: caller.actor().confined_to(),
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
    let open: Vec<String> = Status::OPEN_CODES.iter().map(|s| s.to_string()).collect();
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
