//! Which staff reminders are due at an instant (упреждающий контроль): pure rules over the
//! production calendar, with the instant injected so tests never read the wall clock.
//!
//! A reminder is only ever due on a working day inside working hours in the organization's
//! time zone. Rules pick the tightest applicable step, so a planner that missed a day (a
//! stopped server) catches up with one reminder, not a burst of stale ones.

use super::calendar::ProductionCalendar;
use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime};
use serde::Deserialize;

/// The reminder rules of `[reminders]` in the config.
#[derive(Clone, Debug, Deserialize)]
pub struct ReminderRules {
    /// Working days before the deadline on which the executor is reminded.
    pub days_before: Vec<u32>,
    /// Remind on the due day itself.
    pub on_due_day: bool,
    /// Remind every working day while overdue.
    pub daily_overdue: bool,
    /// Escalate to supervisors after this many working days overdue (0 = never).
    pub escalate_after_days: u32,
    /// Morning digest per executor.
    pub digest: bool,
    /// Weekly summary for supervisors.
    pub weekly_summary: bool,
    /// Start of working hours, `HH:MM`.
    pub work_start: String,
    /// End of working hours, `HH:MM` (an hour earlier on a shortened pre-holiday day).
    pub work_end: String,
}

impl Default for ReminderRules {
    fn default() -> Self {
        ReminderRules {
            days_before: vec![5, 3, 1],
            on_due_day: true,
            daily_overdue: true,
            escalate_after_days: 2,
            digest: true,
            weekly_summary: true,
            work_start: "09:00".into(),
            work_end: "18:00".into(),
        }
    }
}

fn hm(s: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M").ok()
}

impl ReminderRules {
    /// Rejects unreadable hours or an empty working day.
    pub fn check(&self) -> Result<(), String> {
        check_hours(&self.work_start, &self.work_end).map_err(|e| match e {
            HoursError::Empty => "work_start must be before work_end".to_string(),
            _ => "work_start and work_end must be HH:MM".to_string(),
        })?;
        if self.days_before.iter().any(|d| *d == 0 || *d > 60) {
            return Err("days_before: 1 to 60 working days".into());
        }
        Ok(())
    }
}

/// Why a body's working hours are refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HoursError {
    /// The start is not `HH:MM`.
    StartUnreadable,
    /// The end is not `HH:MM`.
    EndUnreadable,
    /// The day would be empty: the start is not before the end.
    Empty,
}

/// Rejects unreadable hours or an empty working day: the config file's and each
/// organization's own. Hours are written as clocks show them, `HH:MM` (`9:5` is refused, not
/// read as 09:05).
pub fn check_hours(work_start: &str, work_end: &str) -> Result<(), HoursError> {
    let strict = |s: &str| Some(s.trim()).filter(|s| s.len() == 5 && s.as_bytes()[2] == b':').and_then(hm);
    let a = strict(work_start).ok_or(HoursError::StartUnreadable)?;
    let b = strict(work_end).ok_or(HoursError::EndUnreadable)?;
    if a >= b {
        return Err(HoursError::Empty);
    }
    Ok(())
}

/// Whether staff may be written to at this local instant of a body working from `work_start`
/// to `work_end`: a working day, inside those hours (the end an hour earlier on a shortened
/// pre-holiday day).
pub fn in_working_hours(cal: &ProductionCalendar, local: NaiveDateTime, work_start: &str, work_end: &str) -> bool {
    let day = local.date();
    if !cal.is_working_day(day) {
        return false;
    }
    let start = hm(work_start).unwrap_or(NaiveTime::from_hms_opt(9, 0, 0).expect("valid"));
    let mut end = hm(work_end).unwrap_or(NaiveTime::from_hms_opt(18, 0, 0).expect("valid"));
    if cal.is_short_day(day) {
        end -= chrono::Duration::hours(1);
    }
    local.time() >= start && local.time() < end
}

/// What an executor is told about one appeal today.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExecutorReminder {
    /// N working days remain (the configured step).
    Before(u32),
    /// The deadline is today.
    DueToday,
    /// The deadline has passed.
    Overdue,
}

impl ExecutorReminder {
    /// The outbox kind.
    pub fn kind(self) -> &'static str {
        match self {
            ExecutorReminder::Overdue => "overdue",
            _ => "reminder",
        }
    }

    /// The rule's part of the deduplication key: once per step per deadline, daily when overdue.
    pub fn key(self, today: NaiveDate) -> String {
        match self {
            ExecutorReminder::Before(n) => format!("before{n}"),
            ExecutorReminder::DueToday => "due".into(),
            ExecutorReminder::Overdue => format!("overdue{today}"),
        }
    }
}

/// Working days in `(from, to]`.
pub fn working_days_between(cal: &ProductionCalendar, from: NaiveDate, to: NaiveDate) -> u32 {
    let mut n = 0;
    let mut d = from;
    while d < to {
        d = d + Days::new(1);
        if cal.is_working_day(d) {
            n += 1;
        }
    }
    n
}

/// The reminder due today for an executor whose deadline is `deadline`, if any. Call only on
/// working days (see [`in_working_hours`]).
pub fn executor_reminder(rules: &ReminderRules, cal: &ProductionCalendar, today: NaiveDate, deadline: NaiveDate) -> Option<ExecutorReminder> {
    if today == deadline {
        return rules.on_due_day.then_some(ExecutorReminder::DueToday);
    }
    if today > deadline {
        return rules.daily_overdue.then_some(ExecutorReminder::Overdue);
    }
    let left = working_days_between(cal, today, deadline);
    // The tightest step that still covers what is left: 4 days left → the 5-day reminder.
    rules.days_before.iter().copied().filter(|n| *n >= left).min().map(ExecutorReminder::Before)
}

/// Whether supervisors are to be told today that the legal deadline `due` has been overdue
/// for the configured number of working days (once per deadline: the key carries no day).
pub fn escalation_due(rules: &ReminderRules, cal: &ProductionCalendar, today: NaiveDate, due: NaiveDate) -> bool {
    rules.escalate_after_days > 0 && today > due && working_days_between(cal, due, today) >= rules.escalate_after_days
}

/// The horizon of a planning pass: deadlines on or before it can need a reminder today
/// (the largest step in working days, counted generously in calendar days).
pub fn horizon(rules: &ReminderRules, cal: &ProductionCalendar, today: NaiveDate) -> NaiveDate {
    let steps = rules.days_before.iter().copied().max().unwrap_or(0).max(7);
    let mut d = today;
    let mut left = steps;
    while left > 0 {
        d = d + Days::new(1);
        if cal.is_working_day(d) {
            left -= 1;
        }
    }
    d
}

/// Whether today is the first working day of its ISO week: the weekly summary's day.
pub fn first_working_day_of_week(cal: &ProductionCalendar, today: NaiveDate) -> bool {
    if !cal.is_working_day(today) {
        return false;
    }
    let monday = today - Days::new(today.weekday().num_days_from_monday() as u64);
    let mut d = monday;
    while d < today {
        if cal.is_working_day(d) {
            return false;
        }
        d = d + Days::new(1);
    }
    true
}

/// The ISO week label of a day, for the weekly summary's deduplication key.
pub fn week_label(today: NaiveDate) -> String {
    let w = today.iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}

/// What one planning pass on `today` asks of the store: the deadlines each rule fires for,
/// computed here from the production calendar, so the store plans with a few index probes over
/// open appeals by deadline instead of judging every appeal in turn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanDates {
    /// The organization-local day of the pass.
    pub today: NaiveDate,
    /// Executor reminders for deadlines from today on: (deadline, kind, rule part of the key).
    pub steps: Vec<(NaiveDate, &'static str, String)>,
    /// The rule part of the key of the daily reminder for every deadline before today, if on.
    pub overdue_key: Option<String>,
    /// Supervisors hear of every legal due date on or before this one (once per due date).
    pub escalate_through: Option<NaiveDate>,
    /// The morning digest lists deadlines up to this day.
    pub digest_until: Option<NaiveDate>,
    /// The weekly summary's (ISO week label, last day of the week), on its day.
    pub summary: Option<(String, NaiveDate)>,
}

/// The dates the rules fire for on `today` (a working day: see [`in_working_hours`]).
/// Agrees with [`executor_reminder`] and [`escalation_due`] for every deadline.
pub fn plan_dates(rules: &ReminderRules, cal: &ProductionCalendar, today: NaiveDate) -> PlanDates {
    let max = rules.days_before.iter().copied().max().unwrap_or(0);
    let mut steps = Vec::new();
    let mut d = today;
    // Past the largest step no deadline gets a reminder: `left` only grows with the date.
    while working_days_between(cal, today, d) <= max {
        if let Some(r) = executor_reminder(rules, cal, today, d) {
            steps.push((d, r.kind(), r.key(today)));
        }
        d = d + Days::new(1);
    }
    let escalate_through = (rules.escalate_after_days > 0).then(|| {
        // The latest due date with `escalate_after_days` working days in (due, today].
        let (mut e, mut n) = (today, 0);
        while n < rules.escalate_after_days {
            if cal.is_working_day(e) {
                n += 1;
            }
            e = e - Days::new(1);
        }
        e
    });
    let week_end = today + Days::new(6 - today.weekday().num_days_from_monday() as u64);
    PlanDates {
        today,
        steps,
        overdue_key: rules.daily_overdue.then(|| ExecutorReminder::Overdue.key(today)),
        escalate_through,
        digest_until: rules.digest.then(|| today + Days::new(7)),
        summary: (rules.weekly_summary && first_working_day_of_week(cal, today)).then(|| (week_label(today), week_end)),
    }
}

/// Whether a planned staff reminder still tells the truth when it is about to be sent. The
/// planner reads an appeal in one transaction and an extension or a close may commit just after
/// that read; the reminder it wrote then names a deadline that no longer holds (or an appeal no
/// longer on control), and sending it would mislead the executor. Digests and summaries are
/// rendered from the registry as it is at sending time, so they are never stale.
pub fn still_due(kind: &str, open: bool, planned_deadline: Option<NaiveDate>, planned_due: Option<NaiveDate>, deadline_now: NaiveDate, due_now: NaiveDate) -> bool {
    match kind {
        "reminder" | "overdue" => open && planned_deadline.is_none_or(|d| d == deadline_now),
        "escalation" => open && planned_due.is_none_or(|d| d == due_now),
        _ => true,
    }
}

/// The note a cancelled reminder keeps, read by whoever looks at the outbox.
pub const CANCELLED_NOTE: &str = "отменено: срок изменён или обращение снято с контроля";

#[cfg(test)]
mod tests {
    use super::*;

    fn cal() -> ProductionCalendar {
        ProductionCalendar::from_toml_str(include_str!("../../config/calendar/2025.toml")).unwrap()
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn an_organizations_own_hours() {
        let c = cal();
        assert!(in_working_hours(&c, at("2025-03-03 07:30"), "07:00", "16:00"), "an early body");
        assert!(!in_working_hours(&c, at("2025-03-03 16:00"), "07:00", "16:00"));
        assert!(!in_working_hours(&c, at("2025-03-07 15:00"), "07:00", "16:00"), "shortened pre-holiday day ends at 15:00");
        assert!(check_hours("08:00", "17:00").is_ok());
        assert_eq!(check_hours("17:00", "08:00"), Err(HoursError::Empty));
        assert_eq!(check_hours("8", "17:00"), Err(HoursError::StartUnreadable));
        assert_eq!(check_hours("08:00", "17"), Err(HoursError::EndUnreadable));
        assert_eq!(check_hours("08:00", "9:5"), Err(HoursError::EndUnreadable), "not read as 09:05");
    }

    #[test]
    fn working_hours_and_days() {
        let r = ReminderRules::default();
        let c = cal();
        assert!(in_working_hours(&c, at("2025-03-03 09:00"), &r.work_start, &r.work_end), "Monday 09:00");
        assert!(!in_working_hours(&c, at("2025-03-03 08:59"), &r.work_start, &r.work_end));
        assert!(!in_working_hours(&c, at("2025-03-03 18:00"), &r.work_start, &r.work_end));
        assert!(!in_working_hours(&c, at("2025-03-01 11:00"), &r.work_start, &r.work_end), "Saturday");
        assert!(!in_working_hours(&c, at("2025-06-13 11:00"), &r.work_start, &r.work_end), "a transferred day off");
        assert!(!in_working_hours(&c, at("2025-01-03 11:00"), &r.work_start, &r.work_end), "New Year holidays");
        // 7 March 2025 is a shortened pre-holiday day: 17:00 is already after hours.
        assert!(in_working_hours(&c, at("2025-03-07 16:59"), &r.work_start, &r.work_end));
        assert!(!in_working_hours(&c, at("2025-03-07 17:00"), &r.work_start, &r.work_end));
    }

    #[test]
    fn steps_before_the_deadline() {
        let r = ReminderRules::default();
        let c = cal();
        // Deadline Friday 14 March 2025.
        let due = d("2025-03-14");
        assert_eq!(executor_reminder(&r, &c, d("2025-03-04"), due), None, "8 working days left");
        assert_eq!(executor_reminder(&r, &c, d("2025-03-06"), due), None, "6 working days left");
        assert_eq!(executor_reminder(&r, &c, d("2025-03-07"), due), Some(ExecutorReminder::Before(5)));
        assert_eq!(executor_reminder(&r, &c, d("2025-03-11"), due), Some(ExecutorReminder::Before(3)));
        assert_eq!(executor_reminder(&r, &c, d("2025-03-12"), due), Some(ExecutorReminder::Before(3)), "2 left: still the 3-day step, deduplicated");
        assert_eq!(executor_reminder(&r, &c, d("2025-03-13"), due), Some(ExecutorReminder::Before(1)));
        assert_eq!(executor_reminder(&r, &c, due, due), Some(ExecutorReminder::DueToday));
        assert_eq!(executor_reminder(&r, &c, d("2025-03-17"), due), Some(ExecutorReminder::Overdue));
        assert_eq!(ExecutorReminder::Overdue.key(d("2025-03-17")), "overdue2025-03-17");
    }

    #[test]
    fn escalation_after_working_days_overdue() {
        let r = ReminderRules::default();
        let c = cal();
        let due = d("2025-03-14");
        assert!(!escalation_due(&r, &c, d("2025-03-17"), due), "one working day over");
        assert!(escalation_due(&r, &c, d("2025-03-18"), due), "two working days over");
        let off = ReminderRules { escalate_after_days: 0, ..r };
        assert!(!escalation_due(&off, &c, d("2025-04-18"), due));
    }

    #[test]
    fn week_boundaries() {
        let c = cal();
        assert!(first_working_day_of_week(&c, d("2025-03-03")));
        assert!(!first_working_day_of_week(&c, d("2025-03-04")));
        assert!(first_working_day_of_week(&c, d("2025-01-09")), "6–8 January are holidays");
        assert_eq!(week_label(d("2025-03-03")), "2025-W10");
        assert!(horizon(&ReminderRules::default(), &c, d("2025-03-03")) >= d("2025-03-12"));
    }

    #[test]
    fn bad_hours_are_rejected() {
        let r = ReminderRules { work_start: "18:00".into(), work_end: "09:00".into(), ..ReminderRules::default() };
        assert!(r.check().is_err());
        assert!(ReminderRules::default().check().is_ok());
    }

    #[test]
    fn plan_dates_agree_with_the_rules_for_every_deadline() {
        let c = cal();
        for rules in [ReminderRules::default(), ReminderRules { days_before: vec![10, 2], on_due_day: false, daily_overdue: false, escalate_after_days: 5, ..ReminderRules::default() }] {
            let mut today = d("2025-01-09");
            while today < d("2025-12-20") {
                if c.is_working_day(today) {
                    let p = plan_dates(&rules, &c, today);
                    for off in -60i64..60 {
                        let due = today + chrono::Duration::days(off);
                        let want = executor_reminder(&rules, &c, today, due).map(|r| (r.kind(), r.key(today)));
                        let got = if due < today {
                            p.overdue_key.clone().map(|k| ("overdue", k))
                        } else {
                            p.steps.iter().find(|s| s.0 == due).map(|s| (s.1, s.2.clone()))
                        };
                        assert_eq!(got, want, "today {today}, deadline {due}");
                        assert_eq!(p.escalate_through.is_some_and(|e| due <= e), escalation_due(&rules, &c, today, due), "today {today}, due {due}");
                    }
                }
                today = today + Days::new(1);
            }
        }
        let p = plan_dates(&ReminderRules::default(), &c, d("2025-03-03"));
        assert_eq!(p.summary, Some(("2025-W10".into(), d("2025-03-09"))));
        assert_eq!(p.digest_until, Some(d("2025-03-10")));
    }

    #[test]
    fn a_reminder_of_a_moved_or_closed_deadline_is_no_longer_due() {
        let (old, new) = (d("2025-04-10"), d("2025-04-24"));
        assert!(still_due("reminder", true, Some(old), None, old, old));
        assert!(!still_due("reminder", true, Some(old), None, new, new), "extended after planning");
        assert!(!still_due("overdue", false, Some(old), None, old, old), "closed after planning");
        assert!(still_due("escalation", true, None, Some(old), d("2025-04-09"), old), "an internal date does not move the legal deadline");
        assert!(!still_due("escalation", true, None, Some(old), new, new));
        assert!(still_due("digest", false, None, None, old, old));
        assert!(still_due("summary", true, None, None, old, old));
    }
}

