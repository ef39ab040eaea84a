//! The reminder scheduler: a planner that writes due staff reminders into the outbox, and a
//! dispatcher that claims pending rows, sends them and marks them. Both take the instant as a
//! parameter, so `appeals remind --once --at …` and the tests run them "as if it were then".
//!
//! Planning is idempotent (a deduplication key per organization: appeal, rule, recipient and
//! deadline version, or day); dispatching is at-least-once with a lease: a dispatcher that dies
//! between sending and marking leaves the row to the next one after the lease, which resends it
//! with the same Message-ID — at most one duplicate, nothing lost.

use crate::domain::reminders;
use crate::domain::validation::is_russian_zone_email;
use crate::domain::workflow::Status;
use crate::notify::mail::Mailer;
use crate::domain::ru::short_date as ru_date;
use crate::state::AppState;
use crate::store::models::{NotificationRow, UserRow};
use crate::store::{outbox, reminder_plan};
use crate::store::{micros, ServiceError};
use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use serde_json::json;
use std::collections::HashMap;

/// Most overdue appeals listed by name in a weekly summary (all are counted).
const SUMMARY_LIST: i64 = 100;

/// What one pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    /// Rows the planner added (directly, or by expanding executors' batches).
    pub planned: usize,
    /// Messages sent.
    pub sent: usize,
    /// Attempts that failed and will be retried.
    pub retried: usize,
    /// Rows given up as `failed`.
    pub failed: usize,
    /// Planned reminders cancelled at sending time because they were no longer due.
    pub cancelled: usize,
}

/// Why a planned reminder was cancelled at sending time, as the admin's list shows it.
const STALE_REASON: &str = "отменено при отправке: срок изменён или обращение снято с контроля после планирования";

/// «1 рабочий день», «3 рабочих дня», «5 рабочих дней».
fn working_days_words(n: i64) -> String {
    format!("{n} {}", crate::domain::ru::plural(n, "рабочий день", "рабочих дня", "рабочих дней"))
}

fn status_label(s: &str) -> &'static str {
    Status::parse(s).map(Status::label).unwrap_or("—")
}

fn with_email(u: &UserRow) -> Option<&str> {
    u.email.as_deref().filter(|m| !m.trim().is_empty())
}

/// Plans the staff reminders due at `now` for every organization. Outside an organization's own
/// working hours (its settings over the config file's) or on a non-working day nothing is
/// planned for it. The day's first pass leaves
/// batches per executor that [`expand`] (and so [`dispatch`]) turns into reminders.
pub fn plan(state: &AppState, now: DateTime<Utc>) -> Result<reminder_plan::Planned, ServiceError> {
    let mut total = reminder_plan::Planned::default();
    for org in outbox::organizations(&state.pool)? {
        let local = local_time(state, &org.time_zone, now);
        let hours = state.org(&org.id);
        if !reminders::in_working_hours(&state.calendar, local, &hours.work_start, &hours.work_end) {
            continue;
        }
        let day = OrgDay::at(state, &org.id, local)?;
        let p = reminder_plan::plan_pass(&state.pool, &day.pass(&org.id, now))?;
        total.rows += p.rows;
        total.batches += p.batches;
    }
    Ok(total)
}

/// Expands up to `limit` of the day's batches across the organizations into reminder rows;
/// returns (batches expanded, rows written). Each batch is one short transaction, so the
/// day's reminders reach the outbox executor by executor while the first ones are already
/// being sent, instead of in one long write at the morning's first pass.
pub fn expand(state: &AppState, now: DateTime<Utc>, limit: usize) -> Result<(usize, usize), ServiceError> {
    let (mut batches, mut rows) = (0, 0);
    for org in outbox::organizations(&state.pool)? {
        if batches >= limit {
            break;
        }
        let local = local_time(state, &org.time_zone, now);
        if !reminder_plan::has_batches(&state.pool, &org.id, local.date())? {
            continue;
        }
        let day = OrgDay::at(state, &org.id, local)?;
        let pass = day.pass(&org.id, now);
        while batches < limit {
            match reminder_plan::expand_next(&state.pool, &pass)? {
                Some(n) => {
                    batches += 1;
                    rows += n;
                }
                None => break,
            }
        }
    }
    Ok((batches, rows))
}

/// `now` in the organization's time zone (the configured one when its own is unreadable).
fn local_time(state: &AppState, tz: &str, now: DateTime<Utc>) -> chrono::NaiveDateTime {
    let tz: chrono_tz::Tz = tz.parse().unwrap_or(state.settings.time_zone());
    now.with_timezone(&tz).naive_local()
}

/// What a pass over one organization needs: the rules' dates for its day and the staff whose
/// address gets nothing (outside the national zone: their rows are written `skipped` with the
/// reason, as applicants' are).
struct OrgDay {
    dates: reminders::PlanDates,
    skipped_users: Vec<String>,
}

impl OrgDay {
    fn at(state: &AppState, org: &str, local: chrono::NaiveDateTime) -> Result<OrgDay, ServiceError> {
        let skipped_users = outbox::staff(&state.pool, org)?.into_iter().filter(|u| with_email(u).is_some_and(|m| !is_russian_zone_email(m))).map(|u| u.id).collect();
        Ok(OrgDay { dates: reminders::plan_dates(&state.settings.reminders, &state.calendar, local.date()), skipped_users })
    }

    fn pass<'a>(&'a self, org: &'a str, now: DateTime<Utc>) -> reminder_plan::PlanPass<'a> {
        reminder_plan::PlanPass { org, dates: &self.dates, at: micros(now), skipped_users: &self.skipped_users }
    }
}

/// What the planner stored with a reminder: who it is for, the day it was planned for, and
/// its rule's dates.
#[derive(Debug, Default, serde::Deserialize)]
struct Planned {
    user: String,
    on: Option<NaiveDate>,
    deadline: Option<NaiveDate>,
    due_date: Option<NaiveDate>,
    until: Option<NaiveDate>,
    week_end: Option<NaiveDate>,
}

/// Renders planned reminders (rows with parameters and no text yet) from their templates,
/// with the appeal, the recipient's name and the lists as they are now. Rows already
/// rendered are left alone. Few queries per batch: appeals and names are read together.
/// Returns the indexes of reminders that are no longer due (`reminders::still_due`): their
/// appeal left control or its deadline moved after they were planned.
pub fn render_planned(state: &AppState, rows: &mut [NotificationRow]) -> Result<Vec<usize>, ServiceError> {
    let todo: Vec<(usize, Planned)> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.body.is_empty())
        .filter_map(|(i, r)| Some((i, serde_json::from_str::<Planned>(r.params.as_deref()?).unwrap_or_default())))
        .collect();
    if todo.is_empty() {
        return Ok(Vec::new());
    }
    let mut stale = Vec::new();
    let mut appeal_ids: Vec<String> = todo.iter().filter_map(|(i, _)| rows[*i].appeal_id.clone()).collect();
    appeal_ids.sort();
    appeal_ids.dedup();
    let mut user_ids: Vec<String> = todo.iter().map(|(_, p)| p.user.clone()).collect();
    user_ids.sort();
    user_ids.dedup();
    let appeals: HashMap<String, outbox::ReminderAppeal> = outbox::reminder_appeals(&state.pool, &appeal_ids)?.into_iter().map(|a| (a.id.clone(), a)).collect();
    let names: HashMap<String, String> = outbox::user_names(&state.pool, &user_ids)?.into_iter().collect();
    let escalated: Vec<String> = todo.iter().filter(|(i, _)| rows[*i].kind == "escalation").filter_map(|(i, _)| rows[*i].appeal_id.clone()).collect();
    let executors: HashMap<String, String> = if escalated.is_empty() { HashMap::new() } else { outbox::responsible_names(&state.pool, &escalated)?.into_iter().collect() };
    let mut summaries: HashMap<(String, NaiveDate), outbox::SummaryFigures> = HashMap::new();
    let cal = &state.calendar;
    for (i, p) in todo {
        let r = &rows[i];
        // Rows of several organizations come in one pass: each names its own.
        let org_settings = state.org(&r.organization_id);
        let org_name = &org_settings.name;
        let on = p.on.unwrap_or_else(|| r.created_at.date());
        let user_name = names.get(&p.user).cloned().unwrap_or_default();
        let appeal = r.appeal_id.as_ref().and_then(|a| appeals.get(a));
        if let Some(a) = appeal {
            let open = Status::parse(&a.status).is_some_and(|s| s.is_open());
            if !reminders::still_due(&r.kind, open, p.deadline, p.due_date, a.control_date.unwrap_or(a.due_date), a.due_date) {
                stale.push(i);
            }
        }
        let ctx = match (r.kind.as_str(), appeal) {
            ("reminder" | "overdue", Some(a)) => {
                let deadline = p.deadline.unwrap_or(a.due_date);
                json!({"org_name": org_name, "user_name": user_name, "reg_number": a.reg_number, "deadline": ru_date(deadline), "due_date": ru_date(a.due_date),
                    "internal": deadline != a.due_date, "status": status_label(&a.status), "due_today": on == deadline,
                    "days_left": reminders::working_days_between(cal, on, deadline), "days_left_words": working_days_words(i64::from(reminders::working_days_between(cal, on, deadline)))})
            }
            ("escalation", Some(a)) => {
                let due = p.due_date.unwrap_or(a.due_date);
                json!({"org_name": org_name, "user_name": user_name, "reg_number": a.reg_number, "due_date": ru_date(due), "days_overdue": reminders::working_days_between(cal, due, on),
                    "days_overdue_words": working_days_words(i64::from(reminders::working_days_between(cal, due, on))),
                    "executor_name": executors.get(&a.id), "status": status_label(&a.status)})
            }
            ("digest", _) => {
                let until = p.until.unwrap_or(on + Days::new(7));
                let mut items: Vec<(NaiveDate, outbox::ReminderAppeal)> =
                    outbox::responsible_open(&state.pool, &p.user)?.into_iter().map(|a| (a.control_date.unwrap_or(a.due_date), a)).filter(|(d, _)| *d <= until).collect();
                items.sort_by(|x, y| (x.0, &x.1.reg_number).cmp(&(y.0, &y.1.reg_number)));
                let items: Vec<_> = items
                    .iter()
                    .map(|(d, a)| json!({"reg_number": a.reg_number, "due_date": ru_date(a.due_date), "deadline": ru_date(*d), "status": status_label(&a.status), "overdue": on > *d}))
                    .collect();
                json!({"org_name": org_name, "user_name": user_name, "today": ru_date(on), "until": ru_date(until), "items": items})
            }
            ("summary", _) => {
                let week_end = p.week_end.unwrap_or(on + Days::new(6 - on.weekday().num_days_from_monday() as u64));
                let key = (r.organization_id.clone(), on);
                if !summaries.contains_key(&key) {
                    let f = outbox::summary_figures(&state.pool, &r.organization_id, on, week_end, SUMMARY_LIST)?;
                    summaries.insert(key.clone(), f);
                }
                let f = &summaries[&key];
                let overdue: Vec<_> = f.overdue.iter().map(|(n, d)| json!({"reg_number": n, "due_date": ru_date(*d)})).collect();
                json!({"org_name": org_name, "user_name": user_name, "today": ru_date(on), "week": crate::domain::ru::period(on, week_end), "week_end": ru_date(week_end),
                    "overdue_count": f.overdue_count, "due_count": f.due_count, "returned_count": f.returned_count, "overdue": overdue})
            }
            // The appeal is gone: the fallback text still names the kind.
            _ => json!({"org_name": org_name, "user_name": user_name, "reg_number": ""}),
        };
        let (subject, body) = state.templates.render_or_plain(&r.kind, &ctx);
        rows[i].subject = subject;
        rows[i].body = body;
    }
    Ok(stale)
}

/// The wait before retry number `attempts` (1-based): `base`, doubling, at most a day.
pub fn backoff(base_seconds: i64, attempts: i32) -> chrono::Duration {
    let exp = (attempts.max(1) - 1).min(20) as u32;
    chrono::Duration::seconds(base_seconds.max(1).saturating_mul(1i64 << exp).min(86_400))
}

/// Sends every pending row due at `now`, batch by batch, as dispatcher `worker`. A batch is
/// rendered together, then sent by up to `[scheduler] concurrency` threads at once, each over
/// its own pooled SMTP connection: a message's round trips (and the 40 ms a server's delayed
/// ACK costs lettre's separate end-of-data write) overlap instead of adding up.
pub fn dispatch(state: &AppState, mailer: &Mailer, now: DateTime<Utc>, worker: &str) -> Result<Report, ServiceError> {
    let s = &state.settings.scheduler;
    let at = micros(now);
    let mut report = Report::default();
    let lanes = s.concurrency.clamp(1, 64);
    // Bounded: rows retried in this pass are scheduled later than `now` and not claimed again.
    for _ in 0..1_000_000 {
        let mut rows = outbox::claim(&state.pool, worker, at, at + chrono::Duration::seconds(s.lease_seconds.max(1)), s.batch.max(1))?;
        if rows.is_empty() {
            // What is pending went out first (applicants' notices among it); then the next
            // executors' batches become rows.
            let (batches, planned) = expand(state, now, lanes)?;
            if batches == 0 {
                break;
            }
            report.planned += planned;
            continue;
        }
        let stale = render_planned(state, &mut rows)?;
        for &i in &stale {
            if outbox::mark_cancelled(&state.pool, &rows[i].id, worker, STALE_REASON)? {
                report.cancelled += 1;
                tracing::info!(notification = %rows[i].id, kind = %rows[i].kind, "planned reminder no longer due; cancelled");
            }
        }
        let rows: Vec<NotificationRow> = rows.into_iter().enumerate().filter(|(i, _)| !stale.contains(i)).map(|(_, r)| r).collect();
        if rows.is_empty() {
            continue;
        }
        let per_lane = rows.len().div_ceil(lanes);
        let results: Vec<Result<Report, ServiceError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = rows.chunks(per_lane).map(|lane| scope.spawn(move || send_lane(state, mailer, lane, at, worker))).collect();
            handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
        });
        for r in results {
            let r = r?;
            report.sent += r.sent;
            report.retried += r.retried;
            report.failed += r.failed;
        }
    }
    Ok(report)
}

/// Sends and marks one lane's share of a batch.
fn send_lane(state: &AppState, mailer: &Mailer, rows: &[NotificationRow], at: chrono::NaiveDateTime, worker: &str) -> Result<Report, ServiceError> {
    let s = &state.settings.scheduler;
    let mut report = Report::default();
    for r in rows {
        match mailer.send(r) {
            Ok(mid) => {
                // A planned reminder keeps the text it went out with.
                let marked = if r.params.is_some() { outbox::mark_sent_text(&state.pool, &r.id, worker, &mid, at, &r.subject, &r.body)? } else { outbox::mark_sent(&state.pool, &r.id, worker, &mid, at)? };
                if marked {
                    report.sent += 1;
                    tracing::info!(notification = %r.id, kind = %r.kind, "notification sent");
                } else {
                    tracing::warn!(notification = %r.id, "notification sent, but its claim had passed to another dispatcher");
                }
            }
            Err(e) => {
                let retry_at = (r.attempts < s.max_attempts).then(|| at + backoff(s.backoff_seconds, r.attempts));
                outbox::mark_failed(&state.pool, &r.id, worker, &e, retry_at)?;
                // The error text may quote the address: it stays in the row, not in the log.
                if retry_at.is_some() {
                    report.retried += 1;
                    tracing::warn!(notification = %r.id, kind = %r.kind, attempts = r.attempts, "notification not sent; will retry");
                } else {
                    report.failed += 1;
                    tracing::error!(notification = %r.id, kind = %r.kind, attempts = r.attempts, "notification failed for good");
                }
            }
        }
    }
    Ok(report)
}

/// One planning and one dispatch pass as if it were `now`.
pub fn run_once(state: &AppState, mailer: &Mailer, now: DateTime<Utc>) -> Result<Report, ServiceError> {
    let planned = plan(state, now)?;
    let worker = uuid::Uuid::new_v4().to_string();
    let mut r = dispatch(state, mailer, now, &worker)?;
    r.planned += planned.rows;
    Ok(r)
}

/// Runs passes every `[scheduler] interval_seconds` on a thread of its own, for `serve`.
pub fn spawn(state: std::sync::Arc<AppState>, mailer: Mailer) -> std::thread::JoinHandle<()> {
    std::thread::Builder::new()
        .name("scheduler".into())
        .spawn(move || loop {
            let started = std::time::Instant::now();
            let done = run_once(&state, &mailer, state.now());
            match &done {
                Ok(r) if *r != Report::default() => tracing::info!(planned = r.planned, sent = r.sent, retried = r.retried, failed = r.failed, cancelled = r.cancelled, "scheduler pass"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "scheduler pass failed"),
            }
            // The statistics' pending deltas are folded into the rollups.
            let compacted = crate::store::stats_deltas::compact(&state.pool);
            if let Err(e) = &compacted {
                tracing::warn!(error = %e, "statistics compaction failed");
            }
            let r = done.as_ref().cloned().unwrap_or_default();
            crate::telemetry::get().scheduler_pass(started.elapsed(), done.is_ok() && compacted.is_ok(), r.sent, r.retried, r.failed, r.cancelled);
            std::thread::sleep(std::time::Duration::from_secs(state.settings.scheduler.interval_seconds.max(1)));
        })
        .expect("scheduler thread starts")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(60, 1).num_seconds(), 60);
        assert_eq!(backoff(60, 2).num_seconds(), 120);
        assert_eq!(backoff(60, 4).num_seconds(), 480);
        assert_eq!(backoff(60, 40).num_seconds(), 86_400);
    }
}
