//! The reminder scheduler: a planner that writes due staff reminders into the outbox, and a
//! dispatcher that claims pending rows, sends them and marks them. Both take the instant as a
//! parameter, so `appeals remind --once --at …` and the tests run them "as if it were then".
//!
//! Planning is idempotent (a deduplication key per organization: appeal, rule, recipient and
//! deadline version, or day); dispatching is at-least-once with a lease: a dispatcher that dies
//! between sending and marking leaves the row to the next one after the lease, which resends it
//! with the same Message-ID — at most one duplicate, nothing lost.

use crate::domain::reminders::{self, ExecutorReminder};
use crate::domain::workflow::Status;
use crate::notify::mail::Mailer;
use crate::notify::{ru_date, row};
use crate::state::AppState;
use crate::store::models::{NotificationRow, UserRow};
use crate::store::outbox::{self, OpenAppeal};
use crate::store::{micros, StoreError};
use chrono::{DateTime, Datelike, Days, Utc};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

/// Most overdue appeals listed by name in a weekly summary (all are counted).
const SUMMARY_LIST: usize = 100;

/// What one pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    /// Rows the planner added.
    pub planned: usize,
    /// Messages sent.
    pub sent: usize,
    /// Attempts that failed and will be retried.
    pub retried: usize,
    /// Rows given up as `failed`.
    pub failed: usize,
}

fn status_label(s: &str) -> &'static str {
    Status::parse(s).map(Status::label).unwrap_or("—")
}

fn with_email(u: &UserRow) -> Option<&str> {
    u.email.as_deref().filter(|m| !m.trim().is_empty())
}

/// A reminder still to be rendered: its key, recipient, kind, template and context.
struct Due {
    key: String,
    appeal: Option<String>,
    to: String,
    kind: &'static str,
    ctx: serde_json::Value,
}

/// Plans the staff reminders due at `now` for every organization. Outside working hours or on
/// a non-working day of an organization nothing is planned for it.
pub fn plan(state: &AppState, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let mut total = 0;
    for org in outbox::organizations(&state.pool)? {
        total += plan_org(state, &org.id, &org.time_zone, now)?;
    }
    Ok(total)
}

fn plan_org(state: &AppState, org: &str, tz: &str, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let rules = &state.settings.reminders;
    let cal = &state.calendar;
    let tz: chrono_tz::Tz = tz.parse().unwrap_or(state.settings.time_zone());
    let local = now.with_timezone(&tz).naive_local();
    if !rules.in_working_hours(cal, local) {
        return Ok(0);
    }
    let today = local.date();
    let at = micros(now);
    let org_name = state.settings.organization.name.clone();
    let staff: HashMap<String, UserRow> = outbox::staff(&state.pool, org)?.into_iter().map(|u| (u.id.clone(), u)).collect();
    let supervisors: Vec<&UserRow> = staff.values().filter(|u| u.role == "supervisor" && with_email(u).is_some()).collect();
    let horizon = reminders::horizon(rules, cal, today);
    let week_end = today + Days::new(6 - today.weekday().num_days_from_monday() as u64);
    let digest_until = today + Days::new(7);
    let mut digests: BTreeMap<String, Vec<serde_json::Value>> = BTreeMap::new();
    // The summary keeps counts and only the first overdue items, so memory does not grow with the registry.
    let (mut overdue, mut overdue_count, mut due_count, mut returned_count) = (Vec::new(), 0usize, 0usize, 0usize);
    let mut planned = 0;
    // Day by day from the oldest open deadline to the horizon: each day is one equality probe
    // of the (organization, status, due_date) index, whatever the table's statistics say.
    let mut day = outbox::min_open_due(&state.pool, org)?.unwrap_or(horizon + Days::new(1));
    while day <= horizon {
        let page: Vec<OpenAppeal> = outbox::open_due_on(&state.pool, org, day)?;
        day = day + Days::new(1);
        if page.is_empty() {
            continue;
        }
        let ids: Vec<String> = page.iter().map(|a| a.id.clone()).collect();
        let responsible: HashMap<String, String> = outbox::responsible_of(&state.pool, &ids)?.into_iter().collect();
        let mut due = Vec::new();
        for a in &page {
            let executor = responsible.get(&a.id).and_then(|u| staff.get(u));
            // The executor's internal control date, where configured, is their deadline.
            let deadline = a.control_date.unwrap_or(a.due_date);
            let item = json!({"reg_number": a.reg_number, "due_date": ru_date(a.due_date), "deadline": ru_date(deadline), "status": status_label(&a.status), "overdue": today > deadline});
            if let Some(u) = executor {
                if let (Some(email), Some(r)) = (with_email(u), reminders::executor_reminder(rules, cal, today, deadline)) {
                    let days_left = reminders::working_days_between(cal, today, deadline);
                    let ctx = json!({"org_name": org_name, "user_name": u.full_name, "reg_number": a.reg_number, "deadline": ru_date(deadline), "due_date": ru_date(a.due_date),
                        "internal": a.control_date.is_some(), "status": status_label(&a.status), "due_today": r == ExecutorReminder::DueToday, "days_left": days_left});
                    due.push(Due { key: format!("{}:{}:{}:{}:{}", r.kind(), a.id, r.key(today), u.id, deadline), appeal: Some(a.id.clone()), to: email.into(), kind: r.kind(), ctx });
                }
                if rules.digest && with_email(u).is_some() && deadline <= digest_until {
                    digests.entry(u.id.clone()).or_default().push(item.clone());
                }
            }
            if reminders::escalation_due(rules, cal, today, a.due_date) {
                let days = reminders::working_days_between(cal, a.due_date, today);
                for s in &supervisors {
                    let ctx = json!({"org_name": org_name, "user_name": s.full_name, "reg_number": a.reg_number, "due_date": ru_date(a.due_date), "days_overdue": days,
                        "executor_name": executor.map(|u| u.full_name.clone()), "status": status_label(&a.status)});
                    due.push(Due { key: format!("escalation:{}:{}:{}", a.id, s.id, a.due_date), appeal: Some(a.id.clone()), to: with_email(s).unwrap_or_default().into(), kind: "escalation", ctx });
                }
            }
            if a.due_date < today {
                overdue_count += 1;
                if overdue.len() < SUMMARY_LIST {
                    overdue.push(item);
                }
            } else if a.due_date <= week_end {
                due_count += 1;
            }
            if a.returned_count > 0 {
                returned_count += 1;
            }
        }
        planned += write_due(state, org, due, at)?;
    }
    let mut due = Vec::new();
    for (user, items) in digests {
        let Some(u) = staff.get(&user) else { continue };
        let ctx = json!({"org_name": org_name, "user_name": u.full_name, "today": ru_date(today), "until": ru_date(digest_until), "items": items});
        due.push(Due { key: format!("digest:{}:{}", u.id, today), appeal: None, to: with_email(u).unwrap_or_default().into(), kind: "digest", ctx });
    }
    if rules.weekly_summary && reminders::first_working_day_of_week(cal, today) {
        let week = reminders::week_label(today);
        for s in &supervisors {
            // Counts in full, the overdue list capped: a large registry must not make a letter of megabytes.
            let ctx = json!({"org_name": org_name, "user_name": s.full_name, "today": ru_date(today), "week": week, "week_end": ru_date(week_end),
                "overdue_count": overdue_count, "due_count": due_count, "returned_count": returned_count, "overdue": overdue});
            due.push(Due { key: format!("summary:{}:{}", s.id, week), appeal: None, to: with_email(s).unwrap_or_default().into(), kind: "summary", ctx });
        }
    }
    planned += write_due(state, org, due, at)?;
    Ok(planned)
}

/// Renders and inserts the reminders; a key already planned is left out by the unique index
/// itself (`ON CONFLICT DO NOTHING`), the one check no planner statistics can turn into a scan.
fn write_due(state: &AppState, org: &str, due: Vec<Due>, at: chrono::NaiveDateTime) -> Result<usize, StoreError> {
    if due.is_empty() {
        return Ok(0);
    }
    let rows: Vec<NotificationRow> = due
        .into_iter()
        .map(|d| {
            let (subject, body) = state.templates.render_or_plain(d.kind, &d.ctx);
            row(org, d.appeal.as_deref(), &d.to, d.kind, d.key, subject, body, at)
        })
        .collect();
    outbox::insert_planned(&state.pool, &rows)
}

/// The wait before retry number `attempts` (1-based): `base`, doubling, at most a day.
pub fn backoff(base_seconds: i64, attempts: i32) -> chrono::Duration {
    let exp = (attempts.max(1) - 1).min(20) as u32;
    chrono::Duration::seconds(base_seconds.max(1).saturating_mul(1i64 << exp).min(86_400))
}

/// Sends every pending row due at `now`, batch by batch, as dispatcher `worker`.
pub fn dispatch(state: &AppState, mailer: &Mailer, now: DateTime<Utc>, worker: &str) -> Result<Report, StoreError> {
    let s = &state.settings.scheduler;
    let at = micros(now);
    let mut report = Report::default();
    // Bounded: rows retried in this pass are scheduled later than `now` and not claimed again.
    for _ in 0..10_000 {
        let rows = outbox::claim(&state.pool, worker, at, at + chrono::Duration::seconds(s.lease_seconds.max(1)), s.batch.max(1))?;
        if rows.is_empty() {
            break;
        }
        for r in rows {
            match mailer.send(&r) {
                Ok(mid) => {
                    if outbox::mark_sent(&state.pool, &r.id, worker, &mid, at)? {
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
    }
    Ok(report)
}

/// One planning and one dispatch pass as if it were `now`.
pub fn run_once(state: &AppState, mailer: &Mailer, now: DateTime<Utc>) -> Result<Report, StoreError> {
    let planned = plan(state, now)?;
    let worker = uuid::Uuid::new_v4().to_string();
    let mut r = dispatch(state, mailer, now, &worker)?;
    r.planned = planned;
    Ok(r)
}

/// Runs passes every `[scheduler] interval_seconds` on a thread of its own, for `serve`.
pub fn spawn(state: std::sync::Arc<AppState>, mailer: Mailer) -> std::thread::JoinHandle<()> {
    std::thread::Builder::new()
        .name("scheduler".into())
        .spawn(move || loop {
            match run_once(&state, &mailer, state.now()) {
                Ok(r) if r != Report::default() => tracing::info!(planned = r.planned, sent = r.sent, retried = r.retried, failed = r.failed, "scheduler pass"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "scheduler pass failed"),
            }
            // The statistics' pending deltas are folded into the rollups (issue 11).
            if let Err(e) = crate::store::stats_deltas::compact(&state.pool) {
                tracing::warn!(error = %e, "statistics compaction failed");
            }
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
