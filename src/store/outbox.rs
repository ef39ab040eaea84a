//! The notification outbox: rows written in the transaction of the action that causes them,
//! rows planned by the scheduler (deduplicated per organization), claims with a lease for the
//! dispatcher (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the write lock on SQLite), delivery
//! marks with backoff, and the admin's list and retry.

use super::history;
use super::models::{NotificationRow, OrganizationRow, UserRow};
use super::schema::{appeals, assignments, notifications, organizations, plan_batches, plan_marks, plan_queue, users};
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
    pub fn cancel_reminders(c: &mut Conn, appeal_id: &str) -> Result<(), StoreError> {
        diesel::update(notifications::table.filter(notifications::appeal_id.eq(appeal_id)).filter(notifications::status.eq("pending")).filter(notifications::kind.eq_any(REMINDER_KINDS)))
            .set((notifications::status.eq("cancelled"), notifications::last_error.eq(Some("отменено: срок изменён или обращение снято с контроля")), notifications::claimed_until.eq(None::<NaiveDateTime>)))
            .execute(c)?;
        Ok(())
    }

    pub fn write(c: &mut Conn, appeal_id: &str, change: &OutboxChange, slots: &[(&str, &str)], now: NaiveDateTime) -> Result<(), StoreError> {
        write_filled(c, appeal_id, change.cancel_reminders, &filled(change, slots, now))
    }

    /// [`write`] with the notices already filled ([`filled`]): cancels the appeal's pending
    /// reminders when asked, inserts the notices and queues the appeal for the planner.
    pub fn write_filled(c: &mut Conn, appeal_id: &str, cancel: bool, notices: &[NotificationRow]) -> Result<(), StoreError> {
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

    pub fn mark_cancelled(c: &mut Conn, id: &str, worker: &str, reason: &str) -> Result<bool, StoreError> {
        let n = diesel::update(notifications::table.filter(notifications::id.eq(id)).filter(notifications::status.eq("pending")).filter(notifications::claimed_by.eq(worker)))
            .set((notifications::status.eq("cancelled"), notifications::last_error.eq(Some(reason)), notifications::claimed_until.eq(None::<NaiveDateTime>)))
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

    pub fn reminder_appeals(c: &mut Conn, ids: &[String]) -> Result<Vec<ReminderAppeal>, StoreError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(1000) {
            out.extend(appeals::table.filter(appeals::id.eq_any(chunk))
                .select((appeals::id, appeals::reg_number, appeals::status, appeals::due_date, appeals::control_date))
                .load::<ReminderAppeal>(c)?);
        }
        Ok(out)
    }

    pub fn responsible_names(c: &mut Conn, ids: &[String]) -> Result<Vec<(String, String)>, StoreError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(1000) {
            out.extend(assignments::table
                .inner_join(users::table.on(users::id.eq(assignments::user_id)))
                .filter(assignments::appeal_id.eq_any(chunk)).filter(assignments::active.eq(true)).filter(assignments::responsible.eq(true))
                .select((assignments::appeal_id, users::full_name))
                .load::<(String, String)>(c)?);
        }
        Ok(out)
    }

    pub fn user_names(c: &mut Conn, ids: &[String]) -> Result<Vec<(String, String)>, StoreError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(1000) {
            out.extend(users::table.filter(users::id.eq_any(chunk)).select((users::id, users::full_name)).load::<(String, String)>(c)?);
        }
        Ok(out)
    }

    pub fn responsible_open(c: &mut Conn, user: &str) -> Result<Vec<ReminderAppeal>, StoreError> {
        Ok(assignments::table
            .inner_join(appeals::table.on(appeals::id.eq(assignments::appeal_id)))
            .filter(assignments::user_id.eq(user)).filter(assignments::active.eq(true)).filter(assignments::responsible.eq(true))
            .filter(appeals::status.eq_any(OPEN_STATUSES))
            .select((appeals::id, appeals::reg_number, appeals::status, appeals::due_date, appeals::control_date))
            .load::<ReminderAppeal>(c)?)
    }

    pub fn summary_figures(c: &mut Conn, org: &str, today: NaiveDate, week_end: NaiveDate, list: i64) -> Result<SummaryFigures, StoreError> {
        let open = || appeals::table.filter(appeals::organization_id.eq(org)).filter(appeals::status.eq_any(OPEN_STATUSES));
        Ok(SummaryFigures {
            overdue_count: open().filter(appeals::due_date.lt(today)).count().get_result(c)?,
            due_count: open().filter(appeals::due_date.ge(today)).filter(appeals::due_date.le(week_end)).count().get_result(c)?,
            returned_count: open().filter(appeals::returned_count.gt(0)).count().get_result(c)?,
            overdue: open().filter(appeals::due_date.lt(today)).order((appeals::due_date.asc(), appeals::reg_number.asc())).limit(list)
                .select((appeals::reg_number, appeals::due_date)).load(c)?,
        })
    }

    pub fn plan_pass(c: &mut Conn, d: Dialect, p: &PlanPass, reason: &str) -> Result<Planned, StoreError> {
        use diesel::sql_types::{Text, Timestamp};
        let rules = p.rules();
        c.write_tx(|c| {
            let mark: Option<(NaiveDate, String)> = plan_marks::table.filter(plan_marks::organization_id.eq(p.org)).select((plan_marks::day, plan_marks::rules)).first(c).optional()?;
            // Taken out first: an action committing meanwhile queues its appeal again.
            let queued: Vec<String> = diesel::delete(plan_queue::table.filter(plan_queue::organization_id.eq(p.org))).returning(plan_queue::appeal_id).get_results(c)?;
            let mut out = Planned::default();
            let statements: Vec<String> = if mark.as_ref().is_some_and(|(day, r)| *day == p.dates.today && *r == rules) {
                queued.chunks(QUEUE_CHUNK).flat_map(|ids| plan_statements(d, p, Scope::Appeals(ids))).collect()
            } else {
                // The day's first pass: the executors with something due get a batch each, expanded
                // by the dispatcher; a batch of an earlier day is not sent late.
                diesel::delete(plan_batches::table.filter(plan_batches::organization_id.eq(p.org)).filter(plan_batches::day.ne(p.dates.today))).execute(c)?;
                for s in batch_statements(d, p) {
                    out.batches += diesel::sql_query(s.as_str()).bind::<Text, _>(p.org).bind::<Timestamp, _>(p.at).execute(c)?;
                }
                summary_statement(d, p).into_iter().collect()
            };
            for s in statements {
                out.rows += diesel::sql_query(s.as_str()).bind::<Text, _>(p.org).bind::<Timestamp, _>(p.at).bind::<Text, _>(reason).execute(c)?;
            }
            diesel::delete(plan_marks::table.filter(plan_marks::organization_id.eq(p.org))).execute(c)?;
            diesel::insert_into(plan_marks::table)
                .values((plan_marks::organization_id.eq(p.org), plan_marks::day.eq(p.dates.today), plan_marks::rules.eq(&rules), plan_marks::planned_at.eq(p.at)))
                .execute(c)?;
            Ok(out)
        })
    }

    pub fn expand_next(c: &mut Conn, d: Dialect, p: &PlanPass, reason: &str) -> Result<Option<usize>, StoreError> {
        use diesel::sql_types::{Date, Text, Timestamp};
        c.write_tx(|c| {
            if d.pg {
                // A batch lost with a crash is lost with its deletion: it is expanded again, and
                // the first durable commit after it (a row marked sent) flushes it anyway.
                diesel::sql_query("SET LOCAL synchronous_commit = off").execute(c)?;
            }
            // Another dispatcher expanding a batch right now keeps it; this one takes the next.
            let lock = if d.pg { " FOR UPDATE SKIP LOCKED" } else { "" };
            let next: Option<BatchRow> = diesel::sql_query(d.sql(format!("SELECT executor_id FROM plan_batches WHERE organization_id = $1 AND day = $2 ORDER BY executor_id LIMIT 1{lock}")))
                .bind::<Text, _>(p.org)
                .bind::<Date, _>(p.dates.today)
                .get_result(c)
                .optional()?;
            let Some(batch) = next else { return Ok(None) };
            let scope = if batch.executor_id.is_empty() { Scope::Unassigned } else { Scope::Executor(&batch.executor_id) };
            let mut n = 0;
            for s in plan_statements(d, p, scope) {
                n += diesel::sql_query(s.as_str()).bind::<Text, _>(p.org).bind::<Timestamp, _>(p.at).bind::<Text, _>(reason).execute(c)?;
            }
            diesel::delete(plan_batches::table.filter(plan_batches::organization_id.eq(p.org)).filter(plan_batches::day.eq(p.dates.today)).filter(plan_batches::executor_id.eq(&batch.executor_id))).execute(c)?;
            Ok(Some(n))
        })
    }

    pub fn mark_sent_text(c: &mut Conn, id: &str, worker: &str, message_id: &str, now: NaiveDateTime, subject: &str, body: &str) -> Result<bool, StoreError> {
        let n = diesel::update(notifications::table.filter(notifications::id.eq(id)).filter(notifications::status.eq("pending")).filter(notifications::claimed_by.eq(worker)))
            .set((notifications::status.eq("sent"), notifications::sent_at.eq(Some(now)), notifications::message_id.eq(Some(message_id)), notifications::claimed_until.eq(None::<NaiveDateTime>),
                notifications::last_error.eq(None::<String>), notifications::subject.eq(subject), notifications::body.eq(body)))
            .execute(c)?;
        Ok(n == 1)
    }

    pub fn has_batches(c: &mut Conn, org: &str, day: NaiveDate) -> Result<bool, StoreError> {
        Ok(diesel::select(diesel::dsl::exists(plan_batches::table.filter(plan_batches::organization_id.eq(org)).filter(plan_batches::day.eq(day)))).get_result(c)?)
    }

    pub fn staff(c: &mut Conn, org: &str) -> Result<Vec<UserRow>, StoreError> {
        Ok(users::table.filter(users::organization_id.eq(org)).filter(users::active.eq(true)).select(UserRow::as_select()).load(c)?)
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

/// Cancels a claimed row that is no longer due; false when the claim was lost.
pub fn mark_cancelled(pool: &DbPool, id: &str, worker: &str, reason: &str) -> Result<bool, StoreError> {
    dispatch!(pool, mark_cancelled(id, worker, reason))
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

/// The appeals planned reminders are about.
pub fn reminder_appeals(pool: &DbPool, ids: &[String]) -> Result<Vec<ReminderAppeal>, StoreError> {
    dispatch!(pool, reminder_appeals(ids))
}

/// (appeal, responsible executor's name) of these appeals.
pub fn responsible_names(pool: &DbPool, ids: &[String]) -> Result<Vec<(String, String)>, StoreError> {
    dispatch!(pool, responsible_names(ids))
}

/// (user, full name) of these users.
pub fn user_names(pool: &DbPool, ids: &[String]) -> Result<Vec<(String, String)>, StoreError> {
    dispatch!(pool, user_names(ids))
}

/// Open appeals `user` is the responsible executor of: a digest's items.
pub fn responsible_open(pool: &DbPool, user: &str) -> Result<Vec<ReminderAppeal>, StoreError> {
    dispatch!(pool, responsible_open(user))
}

/// The weekly summary's counts, with the first `list` overdue appeals.
pub fn summary_figures(pool: &DbPool, org: &str, today: NaiveDate, week_end: NaiveDate, list: i64) -> Result<SummaryFigures, StoreError> {
    dispatch!(pool, summary_figures(org, today, week_end, list))
}

/// Whether the organization has batches of `day` left to expand (a read, so the dispatcher's
/// idle minutes take no write lock and read no staff list).
pub fn has_batches(pool: &DbPool, org: &str, day: NaiveDate) -> Result<bool, StoreError> {
    dispatch!(pool, has_batches(org, day))
}

/// Active users of the organization.
pub fn staff(pool: &DbPool, org: &str) -> Result<Vec<UserRow>, StoreError> {
    dispatch!(pool, staff(org))
}

/// One organization's planning pass, as the store needs it: the rule dates the calendar gave,
/// the instant rows are written at, and the staff whose address gets nothing (outside the
/// national zone: their rows are written `skipped` with the reason, as applicants' are).
#[derive(Clone, Debug)]
pub struct PlanPass<'a> {
    /// Organization.
    pub org: &'a str,
    /// What fires today.
    pub dates: &'a crate::domain::reminders::PlanDates,
    /// The pass's instant (UTC), written as `scheduled_for` and `created_at`.
    pub at: NaiveDateTime,
    /// Users whose address is outside the national zone.
    pub skipped_users: &'a [String],
}

impl PlanPass<'_> {
    /// SQL true for a recipient `u` whose address is outside the national zone.
    fn skipped_condition(&self) -> String {
        if self.skipped_users.is_empty() {
            "FALSE".to_string()
        } else {
            format!("u.id IN ({})", self.skipped_users.iter().map(|u| lit(u)).collect::<Vec<_>>().join(", "))
        }
    }

    /// What the day's plan depends on besides the appeals: the rules' dates and the skipped
    /// staff. A marker with other rules (a changed config, a calendar edit) is not trusted.
    fn rules(&self) -> String {
        format!("{:?}; skipped: {}", self.dates, self.skipped_users.join(","))
    }
}

/// Queued appeals planned per statement (a literal `IN` list).
const QUEUE_CHUNK: usize = 500;

/// The notification columns a planned row fills (the rest keep their defaults).
const PLAN_COLUMNS: &str = "id, organization_id, appeal_id, recipient, kind, dedup_key, subject, body, status, scheduled_for, attempts, created_at, skip_reason, params";

/// An open appeal's deadline as the executor sees it: the internal control date where set.
/// Spelled as in the `appeals_open_deadline` index, so both backends reach rows through it.
const DEADLINE: &str = "COALESCE(a.control_date, a.due_date)";

/// The partial index's predicate, spelled as in the index.
const OPEN: &str = "a.status IN ('registered', 'in_work', 'answer_review')";

/// A recipient among the organization's staff: active, with an address.
const STAFF: &str = "u.active = TRUE AND u.organization_id = $1 AND u.email IS NOT NULL AND TRIM(u.email) <> ''";

/// The responsible executor of `a`, as `s` and `u`.
const RESPONSIBLE: &str = "JOIN assignments s ON s.appeal_id = a.id AND s.active = TRUE AND s.responsible = TRUE JOIN users u ON u.id = s.user_id";

/// A user's assignments as `s` with their appeals as `a` (reached through `assignments_user_active`).
const RESPONSIBLE_OF_USER: &str = "assignments s JOIN appeals a ON a.id = s.appeal_id";

/// The SQL differences the planner's statements meet.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Dialect {
    pg: bool,
}

impl Dialect {
    /// A date literal (ours, never user input).
    fn date(self, d: NaiveDate) -> String {
        if self.pg { format!("DATE '{d}'") } else { format!("'{d}'") }
    }

    /// A fresh UUIDv7 per row with the pass's instant as its time: ids of one pass share the
    /// 48-bit millisecond prefix and land at the primary key's right edge (a random UUID put
    /// each row on a random leaf page), the rest is random (74 bits).
    fn new_id(self, at: NaiveDateTime) -> String {
        let ms = at.and_utc().timestamp_millis().max(0) as u64 & 0xffff_ffff_ffff;
        let head = format!("{:08x}-{:04x}-7", ms >> 16, ms & 0xffff);
        if self.pg {
            // gen_random_uuid(): xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx; from its 16th character on.
            format!("'{head}' || substr(gen_random_uuid()::text, 16)")
        } else {
            format!(
                "'{head}' || substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || \
                 substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))"
            )
        }
    }

    /// `$n` placeholders as the backend spells them (`?n` on SQLite).
    fn sql(self, s: String) -> String {
        if self.pg { s } else { s.replace('$', "?") }
    }
}

/// A SQL string literal of a value we made (keys, dates, UUIDs).
fn lit(v: &str) -> String {
    format!("'{}'", v.replace('\'', "''"))
}

/// Which appeals a planning statement covers.
#[derive(Clone, Copy, Debug)]
enum Scope<'a> {
    /// Appeals queued by actions since the day's first pass (and their executors' digests).
    Appeals(&'a [String]),
    /// One executor's batch: the appeals they are responsible for (their reminders and the
    /// supervisors' escalations of them) and their digest.
    Executor(&'a str),
    /// Open appeals without a responsible executor: their escalations.
    Unassigned,
}

/// What a planning pass wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Planned {
    /// Outbox rows (queued appeals' reminders, the weekly summary).
    pub rows: usize,
    /// Executors' batches for the dispatcher to expand.
    pub batches: usize,
}

/// A batch as the dispatcher claims it.
#[derive(QueryableByName)]
struct BatchRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    executor_id: String,
}

/// The per-appeal planning statements of one scope: executor reminders (the few deadline
/// dates that fire today and the daily overdue reminder, one statement over the open-deadline
/// index), escalation (one range of legal due dates) and the digest. Each is an
/// `INSERT … SELECT … ON CONFLICT DO NOTHING`: the unique key per organization leaves out what
/// is planned already. Rows carry keys and parameters only; the dispatcher renders them.
fn plan_statements(d: Dialect, p: &PlanPass, scope: Scope) -> Vec<String> {
    let dates = p.dates;
    let today = dates.today.to_string();
    let skipped = p.skipped_condition();
    let status = format!("CASE WHEN {skipped} THEN 'skipped' ELSE 'pending' END");
    let reason = format!("CASE WHEN {skipped} THEN $3 END");
    let id = d.new_id(p.at);
    let responsible_of = |user: &str| format!("SELECT s.appeal_id FROM assignments s WHERE s.user_id = {} AND s.active = TRUE AND s.responsible = TRUE", lit(user));
    // The appeals of the scope, as a condition on `a`.
    let appeals_of = match scope {
        Scope::Appeals(ids) if ids.is_empty() => " AND a.id IN (NULL)".to_string(),
        Scope::Appeals(ids) => format!(" AND a.id IN ({})", ids.iter().map(|i| lit(i)).collect::<Vec<_>>().join(", ")),
        Scope::Executor(user) => format!(" AND a.id IN ({})", responsible_of(user)),
        Scope::Unassigned => " AND NOT EXISTS (SELECT 1 FROM assignments s WHERE s.appeal_id = a.id AND s.active = TRUE AND s.responsible = TRUE)".to_string(),
    };
    // (organization, appeal, recipient, kind, key) then the common tail, then params.
    let select = |appeal: &str, kind: &str, key: &str, params: &str| format!("SELECT {id}, $1, {appeal}, TRIM(u.email), {kind}, {key}, '', '', {status}, $2, 0, $2, {reason}, {params}");
    let params = |extra: &str| format!("'{{\"user\":\"' || u.id || '\",\"on\":\"{today}\"{extra}}}'");
    let mut out = Vec::new();
    // Executor reminders, the step dates and the daily overdue one in one statement: the
    // deadlines as an `IN` list and a range of the partial index. Rows are inserted in appeal
    // order, which is their deduplication key's and `notifications_appeal`'s order.
    let mut when: Vec<String> = Vec::new();
    let mut kind = "'reminder'".to_string();
    let mut rule = String::from("CASE");
    if let Some(key) = &dates.overdue_key {
        when.push(format!("{DEADLINE} < {}", d.date(dates.today)));
        kind = format!("CASE WHEN {DEADLINE} < {} THEN 'overdue' ELSE 'reminder' END", d.date(dates.today));
        rule.push_str(&format!(" WHEN {DEADLINE} < {} THEN {}", d.date(dates.today), lit(key)));
    }
    if !dates.steps.is_empty() {
        when.push(format!("{DEADLINE} IN ({})", dates.steps.iter().map(|(day, _, _)| d.date(*day)).collect::<Vec<_>>().join(", ")));
        for (day, _, key) in &dates.steps {
            rule.push_str(&format!(" WHEN {DEADLINE} = {} THEN {}", d.date(*day), lit(key)));
        }
    }
    rule.push_str(" END");
    let reminder_key = format!("{kind} || ':' || a.id || ':' || {rule} || ':' || u.id || ':' || CAST({DEADLINE} AS TEXT)");
    let reminder_params = params(&format!(",\"deadline\":\"' || CAST({DEADLINE} AS TEXT) || '\""));
    let escalation_key = "'escalation:' || a.id || ':' || u.id || ':' || CAST(a.due_date AS TEXT)";
    let escalation_params = params(",\"due_date\":\"' || CAST(a.due_date AS TEXT) || '\"");
    let supervisors = "JOIN users u ON u.organization_id = a.organization_id AND u.role = 'supervisor'";
    if let Scope::Executor(user) = scope {
        // One read of the executor's open appeals (through `assignments_user_active`) feeds
        // both their reminders and the supervisors' escalations of them.
        let mut wanted = when.clone();
        if let Some(e) = dates.escalate_through {
            wanted.push(format!("a.due_date <= {}", d.date(e)));
        }
        let mut parts = Vec::new();
        if !when.is_empty() {
            parts.push(format!("{} FROM mine a JOIN users u ON u.id = {} WHERE ({}) AND {STAFF}", select("a.id", &kind, &reminder_key, &reminder_params), lit(user), when.join(" OR ")));
        }
        if let Some(e) = dates.escalate_through {
            parts.push(format!("{} FROM mine a {supervisors} WHERE a.due_date <= {} AND {STAFF}", select("a.id", "'escalation'", escalation_key, &escalation_params), d.date(e)));
        }
        if !parts.is_empty() {
            out.push(format!(
                "WITH mine AS MATERIALIZED (SELECT a.id, a.organization_id, a.control_date, a.due_date FROM {RESPONSIBLE_OF_USER} WHERE s.user_id = {} AND s.active = TRUE AND s.responsible = TRUE \
                 AND a.organization_id = $1 AND {OPEN} AND ({})) INSERT INTO notifications ({PLAN_COLUMNS}) {} ON CONFLICT DO NOTHING",
                lit(user),
                wanted.join(" OR "),
                parts.join(" UNION ALL ")
            ));
        }
    } else {
        if !when.is_empty() && !matches!(scope, Scope::Unassigned) {
            out.push(format!(
                "INSERT INTO notifications ({PLAN_COLUMNS}) {} FROM appeals a {RESPONSIBLE} WHERE a.organization_id = $1 AND {OPEN} AND ({}){appeals_of} AND {STAFF} ORDER BY a.id ON CONFLICT DO NOTHING",
                select("a.id", &kind, &reminder_key, &reminder_params),
                when.join(" OR "),
            ));
        }
        if let Some(e) = dates.escalate_through {
            out.push(format!(
                "INSERT INTO notifications ({PLAN_COLUMNS}) {} FROM appeals a {supervisors} WHERE a.organization_id = $1 AND {OPEN} AND a.due_date <= {}{appeals_of} AND {STAFF} ORDER BY a.id ON CONFLICT DO NOTHING",
                select("a.id", "'escalation'", escalation_key, &escalation_params),
                d.date(e)
            ));
        }
    }
    if let Some(until) = dates.digest_until {
        let key = format!("'digest:' || u.id || ':{today}'");
        let executors = match scope {
            Scope::Appeals(_) => format!(" AND u.id IN (SELECT q.user_id FROM assignments q JOIN appeals a ON a.id = q.appeal_id WHERE q.active = TRUE AND q.responsible = TRUE{appeals_of})"),
            Scope::Executor(user) => format!(" AND u.id = {}", lit(user)),
            Scope::Unassigned => String::new(),
        };
        if !matches!(scope, Scope::Unassigned) {
            out.push(format!(
                "INSERT INTO notifications ({PLAN_COLUMNS}) {} FROM users u WHERE {STAFF}{executors} \
                 AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.organization_id = $1 AND n.dedup_key = {key}) \
                 AND EXISTS (SELECT 1 FROM assignments s JOIN appeals a ON a.id = s.appeal_id WHERE s.user_id = u.id AND s.active = TRUE AND s.responsible = TRUE AND {OPEN} AND {DEADLINE} <= {}) \
                 ON CONFLICT DO NOTHING",
                select("NULL", "'digest'", &key, &params(&format!(",\"until\":\"{until}\""))),
                d.date(until)
            ));
        }
    }
    out.into_iter().map(|s| d.sql(s)).collect()
}

/// The day's first pass: one batch per executor with an open appeal at a reminder step, an
/// escalation or in the digest's week, found by probing each executor's assignments until the
/// first such appeal; and one for appeals without a responsible executor when escalation is on.
/// Every user of the organization is probed, the inactive too: the appeals of an executor who
/// left still escalate. Binds: `$1` organization, `$2` the pass's instant.
fn batch_statements(d: Dialect, p: &PlanPass) -> Vec<String> {
    let dates = p.dates;
    let day = d.date(dates.today);
    // The latest executor deadline any rule reads today.
    let last = [dates.steps.last().map(|s| s.0), dates.digest_until, dates.overdue_key.as_ref().map(|_| dates.today - chrono::Days::new(1))].into_iter().flatten().max();
    let mut due: Vec<String> = Vec::new();
    if let Some(l) = last {
        due.push(format!("{DEADLINE} <= {}", d.date(l)));
    }
    if let Some(e) = dates.escalate_through {
        due.push(format!("a.due_date <= {}", d.date(e)));
    }
    let mut out = Vec::new();
    if !due.is_empty() {
        out.push(format!(
            "INSERT INTO plan_batches (organization_id, day, executor_id, planned_at) SELECT $1, {day}, u.id, $2 FROM users u WHERE u.organization_id = $1 \
             AND EXISTS (SELECT 1 FROM {RESPONSIBLE_OF_USER} WHERE s.user_id = u.id AND s.active = TRUE AND s.responsible = TRUE AND a.organization_id = $1 AND {OPEN} AND ({})) \
             ON CONFLICT DO NOTHING",
            due.join(" OR ")
        ));
    }
    if dates.escalate_through.is_some() {
        out.push(format!("INSERT INTO plan_batches (organization_id, day, executor_id, planned_at) VALUES ($1, {day}, '', $2) ON CONFLICT DO NOTHING"));
    }
    out.into_iter().map(|s| d.sql(s)).collect()
}

/// The weekly summary to the supervisors, on its day (it concerns no appeal: written by the
/// pass itself). Binds as [`plan_statements`].
fn summary_statement(d: Dialect, p: &PlanPass) -> Option<String> {
    let (week, week_end) = p.dates.summary.as_ref()?;
    let skipped = p.skipped_condition();
    let today = p.dates.today;
    Some(d.sql(format!(
        "INSERT INTO notifications ({PLAN_COLUMNS}) SELECT {}, $1, NULL, TRIM(u.email), 'summary', 'summary:' || u.id || ':{week}', '', '', \
         CASE WHEN {skipped} THEN 'skipped' ELSE 'pending' END, $2, 0, $2, CASE WHEN {skipped} THEN $3 END, \
         '{{\"user\":\"' || u.id || '\",\"on\":\"{today}\",\"week\":\"{week}\",\"week_end\":\"{week_end}\"}}' \
         FROM users u WHERE u.role = 'supervisor' AND {STAFF} ON CONFLICT DO NOTHING",
        d.new_id(p.at)
    )))
}

/// One organization's planning pass, in one transaction.
///
/// The day's first pass (or one after the rules, an import or the staff changed: no marker for
/// the day with these rules) writes no per-appeal row: it finds the executors with anything due
/// today and leaves one batch each, which the dispatcher expands ([`expand_next`]), so the pass
/// costs about one read of the open appeals, not a write per reminder. Later passes that day
/// plan the appeals queued by actions since (`plan_queue`) row by row, so an extension, an
/// assignment or a registration is planned by the very next pass.
pub fn plan_pass(pool: &DbPool, p: &PlanPass) -> Result<Planned, StoreError> {
    let reason = crate::domain::validation::SKIP_FOREIGN_ZONE;
    match pool {
        #[cfg(feature = "sqlite")]
        DbPool::Sqlite(_) => dispatch!(pool, plan_pass(Dialect { pg: false }, p, reason)),
        #[cfg(feature = "postgres")]
        DbPool::Pg(_) => dispatch!(pool, plan_pass(Dialect { pg: true }, p, reason)),
    }
}

/// Expands one of the organization's batches of `p`'s day into that executor's reminders, the
/// escalations of their appeals and their digest, and deletes it, in one transaction (two
/// dispatchers never expand the same batch: `SKIP LOCKED` on PostgreSQL, the write lock on
/// SQLite; the deduplication key would leave a second expansion empty anyway). Batches of
/// other days are never expanded (the day's first pass deletes them). `None` when no batch of
/// the day is left.
pub fn expand_next(pool: &DbPool, p: &PlanPass) -> Result<Option<usize>, StoreError> {
    let reason = crate::domain::validation::SKIP_FOREIGN_ZONE;
    match pool {
        #[cfg(feature = "sqlite")]
        DbPool::Sqlite(_) => dispatch!(pool, expand_next(Dialect { pg: false }, p, reason)),
        #[cfg(feature = "postgres")]
        DbPool::Pg(_) => dispatch!(pool, expand_next(Dialect { pg: true }, p, reason)),
    }
}

/// Marks a claimed planned row sent and keeps the text it went out with.
pub fn mark_sent_text(pool: &DbPool, id: &str, worker: &str, message_id: &str, now: NaiveDateTime, subject: &str, body: &str) -> Result<bool, StoreError> {
    dispatch!(pool, mark_sent_text(id, worker, message_id, now, subject, body))
}
