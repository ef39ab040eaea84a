//! The audit history of appeals: who, when, what; written inside each change's transaction.

use super::models::{HistoryRow, NewHistory};
use super::schema::history;
use super::{DbPool, ServiceError};
use crate::{backend_fns, dispatch};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Builds a history entry.
pub fn entry(org: &str, appeal: &str, at: NaiveDateTime, actor: Option<&str>, action: &str, details: serde_json::Value) -> NewHistory {
    NewHistory {
        organization_id: org.into(),
        appeal_id: appeal.into(),
        at,
        actor_id: actor.map(Into::into),
        action: action.into(),
        details: details.to_string(),
    }
}

backend_fns! {
    pub fn append(conn: &mut Conn, e: &NewHistory) -> Result<(), ServiceError> {
        diesel::insert_into(history::table).values(e).execute(conn)?;
        Ok(())
    }

    pub fn page(conn: &mut Conn, org: &str, appeal: &str, after: Option<i64>, limit: i64) -> Result<Vec<HistoryRow>, ServiceError> {
        let mut q = history::table.filter(history::appeal_id.eq(appeal)).filter(history::organization_id.eq(org)).into_boxed();
        if let Some(id) = after {
            q = q.filter(history::id.gt(id));
        }
        Ok(q.order(history::id.asc()).limit(limit).select(HistoryRow::as_select()).load(conn)?)
    }

    pub fn list(conn: &mut Conn, org: &str, appeal: &str) -> Result<Vec<HistoryRow>, ServiceError> {
        Ok(history::table
            .filter(history::organization_id.eq(org))
            .filter(history::appeal_id.eq(appeal))
            .order(history::id.asc())
            .select(HistoryRow::as_select())
            .load(conn)?)
    }
}

/// Appends one entry outside a larger transaction (e.g. recording that a card was read).
pub fn append(pool: &DbPool, e: &NewHistory) -> Result<(), ServiceError> {
    dispatch!(pool, append(e))
}

/// Up to `limit` entries of an appeal's history after entry `after`, oldest first
/// (keyset over the `history_appeal (appeal_id, id)` index).
pub fn page(pool: &DbPool, org: &str, appeal: &str, after: Option<i64>, limit: i64) -> Result<Vec<HistoryRow>, ServiceError> {
    dispatch!(pool, page(org, appeal, after, limit))
}

/// An appeal's history, oldest first.
pub fn list(pool: &DbPool, org: &str, appeal: &str) -> Result<Vec<HistoryRow>, ServiceError> {
    dispatch!(pool, list(org, appeal))
}
