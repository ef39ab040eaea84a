//! The notification outbox: rows written in the transaction of the action that causes them,
//! rows planned by the scheduler (deduplicated per organization), claims with a lease for the
//! dispatcher (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the write lock on SQLite), delivery
//! marks with backoff, and the admin's list and retry.

use crate::domain::error_code::ErrorCode;
use super::history;
use super::models::{NotificationRow, OrganizationRow, UserRow};
use super::schema::{appeals, assignments, notifications, organizations, plan_queue, users};
use super::{DbPool, ServiceError, WriteTx};
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

/// An open appeal as a reminder's text shows it (read at send time).
#[derive(Clone, Debug, Queryable)]
pub struct ReminderAppeal {
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
}

/// The weekly summary's figures for an organization, as of a day.
#[derive(Clone, Debug, Default)]
pub struct SummaryFigures {
    /// Open appeals past their legal deadline.
    pub overdue_count: i64,
    /// Open appeals due from the day to the end of its week.
    pub due_count: i64,
    /// Open appeals returned for rework at least once.
    pub returned_count: i64,
    /// The first overdue ones, oldest deadline first: (number, due date).
    pub overdue: Vec<(String, NaiveDate)>,
}


/// Writes an action's outbox change inside the caller's transaction.
pub trait OutboxWrite {
    /// Cancels the appeal's pending reminders when asked, then inserts the notices.
    fn write_outbox(&mut self, appeal_id: &str, change: &OutboxChange, slots: &[(&str, &str)], now: NaiveDateTime) -> Result<(), ServiceError>;
}

#[cfg(feature = "sqlite")]
impl OutboxWrite for diesel::SqliteConnection {
    fn write_outbox(&mut self, appeal_id: &str, change: &OutboxChange, slots: &[(&str, &str)], now: NaiveDateTime) -> Result<(), ServiceError> {
        sqlite::write(self, appeal_id, change, slots, now)
    }
}

#[cfg(feature = "postgres")]
impl OutboxWrite for diesel::PgConnection {
    fn write_outbox(&mut self, appeal_id: &str, change: &OutboxChange, slots: &[(&str, &str)], now: NaiveDateTime) -> Result<(), ServiceError> {
        pg::write(self, appeal_id, change, slots, now)
    }
}

/// Replaces the `⟦name⟧` markers of a row's subject and body (`crate::domain::slots`).
pub fn fill_slots(n: &mut NotificationRow, values: &[(&str, &str)]) {
    n.subject = crate::domain::slots::fill(&n.subject, values);
    n.body = crate::domain::slots::fill(&n.body, values);
}

/// The change's notices with their `⟦slot⟧`s filled and their creation time set.
pub fn filled(change: &OutboxChange, slots: &[(&str, &str)], now: NaiveDateTime) -> Vec<NotificationRow> {
    change
        .notices
        .iter()
        .map(|n| {
            let mut n = n.clone();
            fill_slots(&mut n, slots);
            n.created_at = now;
            n
        })
        .collect()
}

backend_fns! {
    /// Cancels the appeal's pending staff reminders (its deadline moved or control ended).
    pub fn cancel_reminders(c: &mut Conn, appeal_id: &str) -> Result<(), ServiceError> {
        diesel::update(notifications::table.filter(notifications::appeal_id.eq(appeal_id)).filter(notifications::status.eq("pending")).filter(notifications::kind.eq_any(REMINDER_KINDS)))
            .set((notifications::status.eq("cancelled"), notifications::last_error.eq(Some(crate::domain::reminders::CANCELLED_NOTE)), notifications::claimed_until.eq(None::<NaiveDateTime>)))
            .execute(c)?;
        Ok(())
    }

    pub fn write(c: &mut Conn, appeal_id: &str, change: &OutboxChange, slots: &[(&str, &str)], now: NaiveDateTime) -> Result<(), ServiceError> {
        write_filled(c, appeal_id, change.cancel_reminders, &filled(change, slots, now))
    }

    /// [`write`] with the notices already filled ([`filled`]): cancels the appeal's pending
    /// reminders when asked, inserts the notices and queues the appeal for the planner.
    pub fn write_filled(c: &mut Conn, appeal_id: &str, cancel: bool, notices: &[NotificationRow]) -> Result<(), ServiceError> {
        if cancel {
            cancel_reminders(c, appeal_id)?;
        }
        for n in notices {
            diesel::insert_into(notifications::table).values(n).on_conflict_do_nothing().execute(c)?;
        }
        // The planner's next pass re-plans this appeal even when the day is planned already.
        diesel::insert_into(plan_queue::table)
            .values(appeals::table.filter(appeals::id.eq(appeal_id)).select((appeals::organization_id, appeals::id)))
            .into_columns((plan_queue::organization_id, plan_queue::appeal_id))
            .on_conflict_do_nothing()
            .execute(c)?;
        Ok(())
    }

    pub fn insert_planned(c: &mut Conn, rows: &[NotificationRow]) -> Result<usize, ServiceError> {
        c.write_tx(|c| {
            let mut n = 0;
            for r in rows {
                n += diesel::insert_into(notifications::table).values(r).on_conflict_do_nothing().execute(c)?;
            }
            Ok(n)
        })
    }

    pub fn mark_sent(c: &mut Conn, id: &str, worker: &str, message_id: &str, now: NaiveDateTime) -> Result<bool, ServiceError> {
        let n = diesel::update(notifications::table.filter(notifications::id.eq(id)).filter(notifications::status.eq("pending")).filter(notifications::claimed_by.eq(worker)))
            .set((notifications::status.eq("sent"), notifications::sent_at.eq(Some(now)), notifications::message_id.eq(Some(message_id)), notifications::claimed_until.eq(None::<NaiveDateTime>), notifications::last_error.eq(None::<String>)))
            .execute(c)?;
        Ok(n == 1)
    }

    pub fn mark_cancelled(c: &mut Conn, id: &str, worker: &str, reason: &str) -> Result<bool, ServiceError> {
        let n = diesel::update(notifications::table.filter(notifications::id.eq(id)).filter(notifications::status.eq("pending")).filter(notifications::claimed_by.eq(worker)))
            .set((notifications::status.eq("cancelled"), notifications::last_error.eq(Some(reason)), notifications::claimed_until.eq(None::<NaiveDateTime>)))
            .execute(c)?;
        Ok(n == 1)
    }

    pub fn mark_failed(c: &mut Conn, id: &str, worker: &str, error: &str, retry_at: Option<NaiveDateTime>) -> Result<bool, ServiceError> {
        let q = notifications::table.filter(notifications::id.eq(id)).filter(notifications::status.eq("pending")).filter(notifications::claimed_by.eq(worker));
        let n = match retry_at {
            Some(at) => diesel::update(q).set((notifications::scheduled_for.eq(at), notifications::last_error.eq(Some(error)), notifications::claimed_until.eq(None::<NaiveDateTime>))).execute(c)?,
            None => diesel::update(q).set((notifications::status.eq("failed"), notifications::last_error.eq(Some(error)), notifications::claimed_until.eq(None::<NaiveDateTime>))).execute(c)?,
        };
        Ok(n == 1)
    }

    pub fn list(c: &mut Conn, org: &str, f: &ListFilter) -> Result<Vec<NotificationRow>, ServiceError> {
        let mut q = notifications::table.filter(notifications::organization_id.eq(org)).into_boxed();
        if let Some(s) = &f.status { q = q.filter(notifications::status.eq(s.clone())); }
        if let Some(k) = &f.kind { q = q.filter(notifications::kind.eq(k.clone())); }
        if let Some(a) = &f.appeal_id { q = q.filter(notifications::appeal_id.eq(a.clone())); }
        if let Some(r) = &f.recipient { q = q.filter(notifications::recipient.eq(r.clone())); }
        Ok(q.order((notifications::created_at.desc(), notifications::id.desc())).limit(f.limit).select(NotificationRow::as_select()).load(c)?)
    }

    pub fn get(c: &mut Conn, org: &str, id: &str) -> Result<NotificationRow, ServiceError> {
        notifications::table.filter(notifications::organization_id.eq(org)).filter(notifications::id.eq(id)).select(NotificationRow::as_select()).first(c).optional()?.ok_or(ServiceError::NotFound)
    }

    pub fn retry(c: &mut Conn, org: &str, id: &str, actor: &str, now: NaiveDateTime) -> Result<NotificationRow, ServiceError> {
        c.write_tx(|c| {
            let n = get(c, org, id)?;
            if let Some(message) = crate::domain::refusals::retry_refused(&n.status) {
                return Err(ServiceError::conflict(ErrorCode::NotificationNotRetryable, message, serde_json::json!({"notification_status": n.status})));
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

    pub fn backlog(c: &mut Conn, now: NaiveDateTime) -> Result<Backlog, ServiceError> {
        // Each a range of the (status, scheduled_for) index: the sent rows are never read.
        let count = |c: &mut Conn, s: &str| notifications::table.filter(notifications::status.eq(s)).count().get_result::<i64>(c);
        let pending = count(c, "pending")?;
        let failed = count(c, "failed")?;
        let oldest = notifications::table
            .filter(notifications::status.eq("pending"))
            .filter(notifications::scheduled_for.le(now))
            .select(notifications::scheduled_for)
            .order(notifications::scheduled_for.asc())
            .first::<NaiveDateTime>(c)
            .optional()?;
        Ok(Backlog { pending, failed, oldest_due: oldest })
    }

    pub fn organizations(c: &mut Conn) -> Result<Vec<OrganizationRow>, ServiceError> {
        Ok(organizations::table.select(OrganizationRow::as_select()).load(c)?)
    }

    pub fn reminder_appeals(c: &mut Conn, ids: &[String]) -> Result<Vec<ReminderAppeal>, ServiceError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(1000) {
            out.extend(appeals::table.filter(appeals::id.eq_any(chunk))
                .select((appeals::id, appeals::reg_number, appeals::status, appeals::due_date, appeals::control_date))
                .load::<ReminderAppeal>(c)?);
        }
        Ok(out)
    }

    pub fn responsible_names(c: &mut Conn, ids: &[String]) -> Result<Vec<(String, String)>, ServiceError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(1000) {
            out.extend(assignments::table
                .inner_join(users::table.on(users::id.eq(assignments::user_id).and(users::organization_id.eq(assignments::organization_id))))
                .filter(assignments::appeal_id.eq_any(chunk)).filter(assignments::active.eq(true)).filter(assignments::responsible.eq(true))
                .select((assignments::appeal_id, users::full_name))
                .load::<(String, String)>(c)?);
        }
        Ok(out)
    }

    pub fn user_names(c: &mut Conn, ids: &[String]) -> Result<Vec<(String, String)>, ServiceError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(1000) {
            out.extend(users::table.filter(users::id.eq_any(chunk)).select((users::id, users::full_name)).load::<(String, String)>(c)?);
        }
        Ok(out)
    }

    pub fn responsible_open(c: &mut Conn, user: &str) -> Result<Vec<ReminderAppeal>, ServiceError> {
        Ok(assignments::table
            .inner_join(appeals::table.on(appeals::id.eq(assignments::appeal_id).and(appeals::organization_id.eq(assignments::organization_id))))
            .filter(assignments::user_id.eq(user)).filter(assignments::active.eq(true)).filter(assignments::responsible.eq(true))
            .filter(appeals::status.eq_any(crate::domain::workflow::Status::OPEN_CODES))
            .select((appeals::id, appeals::reg_number, appeals::status, appeals::due_date, appeals::control_date))
            .load::<ReminderAppeal>(c)?)
    }

    pub fn summary_figures(c: &mut Conn, org: &str, today: NaiveDate, week_end: NaiveDate, list: i64) -> Result<SummaryFigures, ServiceError> {
        let open = || appeals::table.filter(appeals::organization_id.eq(org)).filter(appeals::status.eq_any(crate::domain::workflow::Status::OPEN_CODES));
        Ok(SummaryFigures {
            overdue_count: open().filter(appeals::due_date.lt(today)).count().get_result(c)?,
            due_count: open().filter(appeals::due_date.ge(today)).filter(appeals::due_date.le(week_end)).count().get_result(c)?,
            returned_count: open().filter(appeals::returned_count.gt(0)).count().get_result(c)?,
            overdue: open().filter(appeals::due_date.lt(today)).order((appeals::due_date.asc(), appeals::reg_number.asc())).limit(list)
                .select((appeals::reg_number, appeals::due_date)).load(c)?,
        })
    }

    pub fn mark_sent_text(c: &mut Conn, id: &str, worker: &str, message_id: &str, now: NaiveDateTime, subject: &str, body: &str) -> Result<bool, ServiceError> {
        let n = diesel::update(notifications::table.filter(notifications::id.eq(id)).filter(notifications::status.eq("pending")).filter(notifications::claimed_by.eq(worker)))
            .set((notifications::status.eq("sent"), notifications::sent_at.eq(Some(now)), notifications::message_id.eq(Some(message_id)), notifications::claimed_until.eq(None::<NaiveDateTime>),
                notifications::last_error.eq(None::<String>), notifications::subject.eq(subject), notifications::body.eq(body)))
            .execute(c)?;
        Ok(n == 1)
    }

    pub fn staff(c: &mut Conn, org: &str) -> Result<Vec<UserRow>, ServiceError> {
        Ok(users::table.filter(users::organization_id.eq(org)).filter(users::active.eq(true)).select(UserRow::as_select()).load(c)?)
    }

}

/// Claims up to `limit` due rows for `worker` until `until`, counting the attempt now: a
/// dispatcher that dies after sending leaves the row to another one once the lease ends.
pub fn claim(pool: &DbPool, worker: &str, now: NaiveDateTime, until: NaiveDateTime, limit: i64) -> Result<Vec<NotificationRow>, ServiceError> {
    match pool {
        #[cfg(feature = "sqlite")]
        DbPool::Sqlite(p) => {
            let mut c = crate::store::pool::checkout(p)?;
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
            let mut c = crate::store::pool::checkout(p)?;
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
pub fn insert_planned(pool: &DbPool, rows: &[NotificationRow]) -> Result<usize, ServiceError> {
    match pool {
        #[cfg(feature = "sqlite")]
        DbPool::Sqlite(_) => dispatch!(pool, insert_planned(rows)),
        #[cfg(feature = "postgres")]
        DbPool::Pg(p) => {
            // Multi-row VALUES, 1,000 rows (19,000 parameters) a statement.
            let mut c = crate::store::pool::checkout(p)?;
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
pub fn mark_sent(pool: &DbPool, id: &str, worker: &str, message_id: &str, now: NaiveDateTime) -> Result<bool, ServiceError> {
    dispatch!(pool, mark_sent(id, worker, message_id, now))
}

/// Cancels a claimed row that is no longer due; false when the claim was lost.
pub fn mark_cancelled(pool: &DbPool, id: &str, worker: &str, reason: &str) -> Result<bool, ServiceError> {
    dispatch!(pool, mark_cancelled(id, worker, reason))
}

/// Records a failed attempt: retried at `retry_at`, or `failed` when there is none.
pub fn mark_failed(pool: &DbPool, id: &str, worker: &str, error: &str, retry_at: Option<NaiveDateTime>) -> Result<bool, ServiceError> {
    dispatch!(pool, mark_failed(id, worker, error, retry_at))
}

/// The admin's list, newest first.
pub fn list(pool: &DbPool, org: &str, f: &ListFilter) -> Result<Vec<NotificationRow>, ServiceError> {
    dispatch!(pool, list(org, f))
}

/// Puts a failed or cancelled row back in the queue (with a history entry on its appeal).
pub fn retry(pool: &DbPool, org: &str, id: &str, actor: &str, now: NaiveDateTime) -> Result<NotificationRow, ServiceError> {
    dispatch!(pool, retry(org, id, actor, now))
}

/// What waits in the outbox: rows pending and given up, and the oldest due pending row.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Backlog {
    /// Rows still to send.
    pub pending: i64,
    /// Rows given up after their attempts.
    pub failed: i64,
    /// When the oldest pending row that is due now was due.
    pub oldest_due: Option<NaiveDateTime>,
}

/// The outbox's backlog at `now` (the metrics' gauges; index ranges only).
pub fn backlog(pool: &DbPool, now: NaiveDateTime) -> Result<Backlog, ServiceError> {
    dispatch!(pool, backlog(now))
}

/// Every organization of the instance.
pub fn organizations(pool: &DbPool) -> Result<Vec<OrganizationRow>, ServiceError> {
    dispatch!(pool, organizations())
}

/// The appeals planned reminders are about.
pub fn reminder_appeals(pool: &DbPool, ids: &[String]) -> Result<Vec<ReminderAppeal>, ServiceError> {
    dispatch!(pool, reminder_appeals(ids))
}

/// (appeal, responsible executor's name) of these appeals.
pub fn responsible_names(pool: &DbPool, ids: &[String]) -> Result<Vec<(String, String)>, ServiceError> {
    dispatch!(pool, responsible_names(ids))
}

/// (user, full name) of these users.
pub fn user_names(pool: &DbPool, ids: &[String]) -> Result<Vec<(String, String)>, ServiceError> {
    dispatch!(pool, user_names(ids))
}

/// Open appeals `user` is the responsible executor of: a digest's items.
pub fn responsible_open(pool: &DbPool, user: &str) -> Result<Vec<ReminderAppeal>, ServiceError> {
    dispatch!(pool, responsible_open(user))
}

/// The weekly summary's counts, with the first `list` overdue appeals.
pub fn summary_figures(pool: &DbPool, org: &str, today: NaiveDate, week_end: NaiveDate, list: i64) -> Result<SummaryFigures, ServiceError> {
    dispatch!(pool, summary_figures(org, today, week_end, list))
}

/// Active users of the organization.
pub fn staff(pool: &DbPool, org: &str) -> Result<Vec<UserRow>, ServiceError> {
    dispatch!(pool, staff(org))
}

/// Marks a claimed planned row sent and keeps the text it went out with.
pub fn mark_sent_text(pool: &DbPool, id: &str, worker: &str, message_id: &str, now: NaiveDateTime, subject: &str, body: &str) -> Result<bool, ServiceError> {
    dispatch!(pool, mark_sent_text(id, worker, message_id, now, subject, body))
}
