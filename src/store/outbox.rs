//! The notification outbox: rows written in the transaction of the action that causes them,
//! rows planned by the scheduler (deduplicated per organization), claims with a lease for the
//! dispatcher (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the write lock on SQLite), delivery
//! marks with backoff, and the admin's list and retry.

use super::history;
use super::models::{NotificationRow, OrganizationRow, UserRow};
use super::schema::{answers, appeals, assignments, notifications, organizations, users};
use super::{DbPool, StoreError, WriteTx};
use crate::{backend_fns, dispatch};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

/// Staff reminder kinds: the ones an extension, closing or forwarding cancels.
pub const REMINDER_KINDS: [&str; 3] = ["reminder", "overdue", "escalation"];

/// What an action writes to the outbox in its own transaction.
#[derive(Clone, Debug, Default)]
pub struct OutboxChange {
    /// Notices to write (rendered; `⟦slot⟧`s are filled by the store).
    pub notices: Vec<NotificationRow>,
    /// Cancel the appeal's pending staff reminders (an extension re-plans; closing and
    /// forwarding end them).
    pub cancel_reminders: bool,
}

/// Filters of the admin's list.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    /// Status.
    pub status: Option<String>,
    /// Kind.
    pub kind: Option<String>,
    /// Appeal.
    pub appeal_id: Option<String>,
    /// Recipient address.
    pub recipient: Option<String>,
    /// Page size.
    pub limit: i64,
}

/// An open appeal as the planner sees it.
#[derive(Clone, Debug, Queryable)]
pub struct OpenAppeal {
    /// Id.
    pub id: String,
    /// Number.
    pub reg_number: String,
    /// Status.
    pub status: String,
    /// Legal deadline.
    pub due_date: NaiveDate,
    /// Internal control date, if any.
    pub control_date: Option<NaiveDate>,
    /// Times returned for rework.
    pub returned_count: i32,
}

/// Statuses under control: reminders concern only these.
pub const OPEN_STATUSES: [&str; 3] = ["registered", "in_work", "answer_review"];

/// Writes an action's outbox change inside the caller's transaction.
pub trait OutboxWrite {
    /// Cancels the appeal's pending reminders when asked, then inserts the notices.
    fn write_outbox(&mut self, appeal_id: &str, change: &OutboxChange, slots: &[(&str, &str)], now: NaiveDateTime) -> Result<(), StoreError>;
}

#[cfg(feature = "sqlite")]
impl OutboxWrite for diesel::SqliteConnection {
    fn write_outbox(&mut self, appeal_id: &str, change: &OutboxChange, slots: &[(&str, &str)], now: NaiveDateTime) -> Result<(), StoreError> {
        sqlite::write(self, appeal_id, change, slots, now)
    }
}

#[cfg(feature = "postgres")]
impl OutboxWrite for diesel::PgConnection {
    fn write_outbox(&mut self, appeal_id: &str, change: &OutboxChange, slots: &[(&str, &str)], now: NaiveDateTime) -> Result<(), StoreError> {
        pg::write(self, appeal_id, change, slots, now)
    }
}

backend_fns! {
    pub fn write(c: &mut Conn, appeal_id: &str, change: &OutboxChange, slots: &[(&str, &str)], now: NaiveDateTime) -> Result<(), StoreError> {
        if change.cancel_reminders {
            diesel::update(notifications::table.filter(notifications::appeal_id.eq(appeal_id)).filter(notifications::status.eq("pending")).filter(notifications::kind.eq_any(REMINDER_KINDS)))
                .set((notifications::status.eq("cancelled"), notifications::last_error.eq(Some("отменено: срок изменён или обращение снято с контроля")), notifications::claimed_until.eq(None::<NaiveDateTime>)))
                .execute(c)?;
        }
        for n in &change.notices {
            let mut n = n.clone();
            crate::notify::fill_slots(&mut n, slots);
            n.created_at = now;
            diesel::insert_into(notifications::table).values(&n).on_conflict_do_nothing().execute(c)?;
        }
        Ok(())
    }

    pub fn insert_planned(c: &mut Conn, rows: &[NotificationRow]) -> Result<usize, StoreError> {
        c.write_tx(|c| {
            let mut n = 0;
            for r in rows {
                n += diesel::insert_into(notifications::table).values(r).on_conflict_do_nothing().execute(c)?;
            }
            Ok(n)
        })
    }

    pub fn mark_sent(c: &mut Conn, id: &str, worker: &str, message_id: &str, now: NaiveDateTime) -> Result<bool, StoreError> {
        let n = diesel::update(notifications::table.filter(notifications::id.eq(id)).filter(notifications::status.eq("pending")).filter(notifications::claimed_by.eq(worker)))
            .set((notifications::status.eq("sent"), notifications::sent_at.eq(Some(now)), notifications::message_id.eq(Some(message_id)), notifications::claimed_until.eq(None::<NaiveDateTime>), notifications::last_error.eq(None::<String>)))
            .execute(c)?;
        Ok(n == 1)
    }

    pub fn mark_failed(c: &mut Conn, id: &str, worker: &str, error: &str, retry_at: Option<NaiveDateTime>) -> Result<bool, StoreError> {
        let q = notifications::table.filter(notifications::id.eq(id)).filter(notifications::status.eq("pending")).filter(notifications::claimed_by.eq(worker));
        let n = match retry_at {
            Some(at) => diesel::update(q).set((notifications::scheduled_for.eq(at), notifications::last_error.eq(Some(error)), notifications::claimed_until.eq(None::<NaiveDateTime>))).execute(c)?,
            None => diesel::update(q).set((notifications::status.eq("failed"), notifications::last_error.eq(Some(error)), notifications::claimed_until.eq(None::<NaiveDateTime>))).execute(c)?,
        };
        Ok(n == 1)
    }

    pub fn list(c: &mut Conn, org: &str, f: &ListFilter) -> Result<Vec<NotificationRow>, StoreError> {
        let mut q = notifications::table.filter(notifications::organization_id.eq(org)).into_boxed();
        if let Some(s) = &f.status { q = q.filter(notifications::status.eq(s.clone())); }
        if let Some(k) = &f.kind { q = q.filter(notifications::kind.eq(k.clone())); }
        if let Some(a) = &f.appeal_id { q = q.filter(notifications::appeal_id.eq(a.clone())); }
        if let Some(r) = &f.recipient { q = q.filter(notifications::recipient.eq(r.clone())); }
        Ok(q.order((notifications::created_at.desc(), notifications::id.desc())).limit(f.limit).select(NotificationRow::as_select()).load(c)?)
    }

    pub fn get(c: &mut Conn, org: &str, id: &str) -> Result<NotificationRow, StoreError> {
        notifications::table.filter(notifications::organization_id.eq(org)).filter(notifications::id.eq(id)).select(NotificationRow::as_select()).first(c).optional()?.ok_or(StoreError::NotFound)
    }

    pub fn retry(c: &mut Conn, org: &str, id: &str, actor: &str, now: NaiveDateTime) -> Result<NotificationRow, StoreError> {
        c.write_tx(|c| {
            let n = get(c, org, id)?;
            if !matches!(n.status.as_str(), "failed" | "cancelled") {
                let message = match n.status.as_str() {
                    "skipped" => "уведомление не отправляется: адрес вне национальной доменной зоны".to_string(),
                    "sent" => "уведомление уже отправлено".to_string(),
                    _ => "уведомление ещё ожидает отправки".to_string(),
                };
                return Err(StoreError::conflict("notification_not_retryable", message, serde_json::json!({"notification_status": n.status})));
            }
            diesel::update(notifications::table.filter(notifications::id.eq(id)))
                .set((notifications::status.eq("pending"), notifications::attempts.eq(0), notifications::scheduled_for.eq(now), notifications::claimed_until.eq(None::<NaiveDateTime>), notifications::claimed_by.eq(None::<String>)))
                .execute(c)?;
            if let Some(appeal) = &n.appeal_id {
                let details = serde_json::json!({"notification_id": n.id, "kind": n.kind, "status": {"before": n.status, "after": "pending"}});
                history_db::append(c, &history::entry(org, appeal, now, Some(actor), "notification_retried", details))?;
            }
            get(c, org, id)
        })
    }

    pub fn organizations(c: &mut Conn) -> Result<Vec<OrganizationRow>, StoreError> {
        Ok(organizations::table.select(OrganizationRow::as_select()).load(c)?)
    }

    pub fn min_open_due(c: &mut Conn, org: &str) -> Result<Option<NaiveDate>, StoreError> {
        let mut min: Option<NaiveDate> = None;
        // One index probe per status: the first entry of (organization_id, status, due_date).
        for s in OPEN_STATUSES {
            let d: Option<NaiveDate> = appeals::table.filter(appeals::organization_id.eq(org)).filter(appeals::status.eq(s)).order(appeals::due_date.asc()).select(appeals::due_date).first(c).optional()?;
            min = match (min, d) { (Some(a), Some(b)) => Some(a.min(b)), (a, b) => a.or(b) };
        }
        Ok(min)
    }

    pub fn open_due_on(c: &mut Conn, org: &str, day: NaiveDate) -> Result<Vec<OpenAppeal>, StoreError> {
        Ok(appeals::table
            .filter(appeals::organization_id.eq(org))
            .filter(appeals::status.eq_any(OPEN_STATUSES))
            .filter(appeals::due_date.eq(day))
            .select((appeals::id, appeals::reg_number, appeals::status, appeals::due_date, appeals::control_date, appeals::returned_count))
            .load(c)?)
    }

    pub fn responsible_of(c: &mut Conn, ids: &[String]) -> Result<Vec<(String, String)>, StoreError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(1000) {
            out.extend(assignments::table.filter(assignments::appeal_id.eq_any(chunk)).filter(assignments::active.eq(true)).filter(assignments::responsible.eq(true)).select((assignments::appeal_id, assignments::user_id)).load::<(String, String)>(c)?);
        }
        Ok(out)
    }

    pub fn staff(c: &mut Conn, org: &str) -> Result<Vec<UserRow>, StoreError> {
        Ok(users::table.filter(users::organization_id.eq(org)).filter(users::active.eq(true)).select(UserRow::as_select()).load(c)?)
    }

    pub fn returned_since(c: &mut Conn, ids: &[String], since: NaiveDateTime) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(1000) {
            out.extend(answers::table.filter(answers::appeal_id.eq_any(chunk)).filter(answers::status.eq("returned")).filter(answers::reviewed_at.ge(since)).select(answers::appeal_id).distinct().load::<String>(c)?);
        }
        Ok(out)
    }
}

/// Claims up to `limit` due rows for `worker` until `until`, counting the attempt now: a
/// dispatcher that dies after sending leaves the row to another one once the lease ends.
pub fn claim(pool: &DbPool, worker: &str, now: NaiveDateTime, until: NaiveDateTime, limit: i64) -> Result<Vec<NotificationRow>, StoreError> {
    match pool {
        #[cfg(feature = "sqlite")]
        DbPool::Sqlite(p) => {
            let mut c = p.get()?;
            c.write_tx(|c| {
                let due = notifications::table
                    .filter(notifications::status.eq("pending"))
                    .filter(notifications::scheduled_for.le(now))
                    .filter(notifications::claimed_until.is_null().or(notifications::claimed_until.le(now)));
                let ids: Vec<String> = due.order(notifications::scheduled_for.asc()).limit(limit).select(notifications::id).load(c)?;
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                diesel::update(notifications::table.filter(notifications::id.eq_any(&ids)))
                    .set((notifications::claimed_until.eq(Some(until)), notifications::claimed_by.eq(Some(worker)), notifications::attempts.eq(notifications::attempts + 1)))
                    .execute(c)?;
                Ok(notifications::table.filter(notifications::id.eq_any(&ids)).order(notifications::scheduled_for.asc()).select(NotificationRow::as_select()).load(c)?)
            })
        }
        #[cfg(feature = "postgres")]
        DbPool::Pg(p) => {
            use diesel::sql_types::{BigInt, Text, Timestamp};
            let mut c = p.get()?;
            // Rows another dispatcher is claiming right now are skipped, not waited for.
            Ok(diesel::sql_query(
                "UPDATE notifications SET claimed_until = $1, claimed_by = $2, attempts = attempts + 1 \
                 WHERE id IN (SELECT id FROM notifications WHERE status = 'pending' AND scheduled_for <= $3 \
                 AND (claimed_until IS NULL OR claimed_until <= $3) ORDER BY scheduled_for LIMIT $4 FOR UPDATE SKIP LOCKED) \
                 RETURNING *",
            )
            .bind::<Timestamp, _>(until)
            .bind::<Text, _>(worker)
            .bind::<Timestamp, _>(now)
            .bind::<BigInt, _>(limit)
            .load::<NotificationRow>(&mut c)?)
        }
    }
}

/// Plans rows, each once: an existing deduplication key leaves the row out. Returns how many were new.
pub fn insert_planned(pool: &DbPool, rows: &[NotificationRow]) -> Result<usize, StoreError> {
    match pool {
        #[cfg(feature = "sqlite")]
        DbPool::Sqlite(_) => dispatch!(pool, insert_planned(rows)),
        #[cfg(feature = "postgres")]
        DbPool::Pg(p) => {
            // Multi-row VALUES, 1,000 rows (19,000 parameters) a statement.
            let mut c = p.get()?;
            c.write_tx(|c| {
                let mut n = 0;
                for chunk in rows.chunks(1000) {
                    n += diesel::insert_into(notifications::table).values(chunk).on_conflict_do_nothing().execute(c)?;
                }
                Ok(n)
            })
        }
    }
}

/// Marks a claimed row sent; false when the claim was lost (another dispatcher took it over).
pub fn mark_sent(pool: &DbPool, id: &str, worker: &str, message_id: &str, now: NaiveDateTime) -> Result<bool, StoreError> {
    dispatch!(pool, mark_sent(id, worker, message_id, now))
}

/// Records a failed attempt: retried at `retry_at`, or `failed` when there is none.
pub fn mark_failed(pool: &DbPool, id: &str, worker: &str, error: &str, retry_at: Option<NaiveDateTime>) -> Result<bool, StoreError> {
    dispatch!(pool, mark_failed(id, worker, error, retry_at))
}

/// The admin's list, newest first.
pub fn list(pool: &DbPool, org: &str, f: &ListFilter) -> Result<Vec<NotificationRow>, StoreError> {
    dispatch!(pool, list(org, f))
}

/// Puts a failed or cancelled row back in the queue (with a history entry on its appeal).
pub fn retry(pool: &DbPool, org: &str, id: &str, actor: &str, now: NaiveDateTime) -> Result<NotificationRow, StoreError> {
    dispatch!(pool, retry(org, id, actor, now))
}

/// Every organization of the instance.
pub fn organizations(pool: &DbPool) -> Result<Vec<OrganizationRow>, StoreError> {
    dispatch!(pool, organizations())
}

/// The oldest deadline among open appeals.
pub fn min_open_due(pool: &DbPool, org: &str) -> Result<Option<NaiveDate>, StoreError> {
    dispatch!(pool, min_open_due(org))
}

/// Open appeals whose deadline is `day`.
pub fn open_due_on(pool: &DbPool, org: &str, day: NaiveDate) -> Result<Vec<OpenAppeal>, StoreError> {
    dispatch!(pool, open_due_on(org, day))
}

/// (appeal, responsible executor) of these appeals.
pub fn responsible_of(pool: &DbPool, ids: &[String]) -> Result<Vec<(String, String)>, StoreError> {
    dispatch!(pool, responsible_of(ids))
}

/// Active users of the organization.
pub fn staff(pool: &DbPool, org: &str) -> Result<Vec<UserRow>, StoreError> {
    dispatch!(pool, staff(org))
}

/// Which of these appeals had an answer returned for rework since `since`.
pub fn returned_since(pool: &DbPool, ids: &[String], since: NaiveDateTime) -> Result<Vec<String>, StoreError> {
    dispatch!(pool, returned_since(ids, since))
}
