//! The grouped counts statistics are built from: a few GROUP BY statements over one period's
//! appeals (reached through `appeals_org_registered`, `appeals_org_on_control`,
//! `appeals_org_closed_on`), each returning at most a few thousand groups whatever the size of
//! the registry. The figures themselves are computed in `crate::reports::stats`.

use super::dialect::Dialect;
use super::{DbPool, ServiceError};
use crate::{backend_fns, dispatch};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Date, Integer, Nullable, Text, Timestamp};

/// One period and the filters of a statistics request, resolved to stored values.
#[derive(Clone, Debug)]
pub struct Scope {
    /// Organization.
    pub org: String,
    /// First instant of the period (UTC of its first local day's midnight).
    pub start: NaiveDateTime,
    /// First instant after it.
    pub end: NaiveDateTime,
    /// First local day.
    pub from: NaiveDate,
    /// Last local day.
    pub to: NaiveDate,
    /// Today, for "overdue now".
    pub today: NaiveDate,
    /// Only this channel.
    pub channel: Option<String>,
    /// Only appeals with a question in this section.
    pub section: Option<String>,
    /// Only appeals assigned to this user.
    pub executor_id: Option<String>,
    /// Only appeals whose responsible executor is in this department (its code or id).
    pub department: Option<String>,
    /// Whether oral appeals at a personal reception count in the totals.
    pub counting: crate::domain::counting::Counting,
}

/// Appeals of the period grouped by everything the reports break them down by.
#[derive(Clone, Debug, QueryableByName)]
pub struct AppealGroup {
    #[diesel(sql_type = Text)]
    pub channel: String,
    #[diesel(sql_type = Text)]
    pub form: String,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub legal_regime: String,
    #[diesel(sql_type = Bool)]
    pub collective: bool,
    #[diesel(sql_type = Bool)]
    pub repeated: bool,
    #[diesel(sql_type = Bool)]
    pub from_organization: bool,
    #[diesel(sql_type = Nullable<Text>)]
    pub source_organization: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub reception_role: Option<String>,
    #[diesel(sql_type = Bool)]
    pub late_registration: bool,
    #[diesel(sql_type = Bool)]
    pub on_site_check: bool,
    #[diesel(sql_type = Integer)]
    pub forwarded: i32,
    #[diesel(sql_type = Integer)]
    pub extended: i32,
    /// 0 not answered, 1 answered on time, 2 answered late.
    #[diesel(sql_type = Integer)]
    pub answered: i32,
    #[diesel(sql_type = Integer)]
    pub overdue_now: i32,
    #[diesel(sql_type = BigInt)]
    pub appeals: i64,
    #[diesel(sql_type = BigInt)]
    pub returned: i64,
}

/// Questions of the period's appeals grouped by code and result.
#[derive(Clone, Debug, QueryableByName)]
pub struct QuestionGroup {
    #[diesel(sql_type = Text)]
    pub code: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub result: Option<String>,
    #[diesel(sql_type = Text)]
    pub channel: String,
    #[diesel(sql_type = Text)]
    pub form: String,
    #[diesel(sql_type = BigInt)]
    pub questions: i64,
}

/// Timeliness of the period's appeals by responsible executor.
#[derive(Clone, Debug, QueryableByName)]
pub struct ExecutorGroup {
    #[diesel(sql_type = Text)]
    pub user_id: String,
    #[diesel(sql_type = Text)]
    pub full_name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub department: Option<String>,
    #[diesel(sql_type = Integer)]
    pub extended: i32,
    #[diesel(sql_type = Integer)]
    pub answered: i32,
    #[diesel(sql_type = Integer)]
    pub overdue_now: i32,
    #[diesel(sql_type = BigInt)]
    pub appeals: i64,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

use crate::domain::rollup::ControlCounts;

/// Everything one period contributes to the statistics.
#[derive(Clone, Debug, Default)]
pub struct PeriodCounts {
    /// Appeal groups.
    pub appeals: Vec<AppealGroup>,
    /// Question groups.
    pub questions: Vec<QuestionGroup>,
    /// Timeliness by executor.
    pub executors: Vec<ExecutorGroup>,
    /// Control figures.
    pub control: ControlCounts,
}

/// A value bound to a hand-built statement (the statistics and their rollups share it).
pub(super) enum Bind {
    Text(String),
    Ts(NaiveDateTime),
    Day(NaiveDate),
}

/// A statement with its parameters, spelled for one backend.
pub(super) struct Sql<C> {
    pub(super) text: String,
    pub(super) binds: Vec<Bind>,
    _c: std::marker::PhantomData<C>,
}

impl<C: Dialect> Sql<C> {
    pub(super) fn new() -> Self {
        Sql { text: String::new(), binds: Vec::new(), _c: std::marker::PhantomData }
    }

    /// Appends `fragment`, in which each `?` is the next of `binds`.
    pub(super) fn push(&mut self, fragment: &str, binds: Vec<Bind>) -> &mut Self {
        let mut it = binds.into_iter();
        for ch in fragment.chars() {
            if ch == '?' {
                self.binds.push(it.next().expect("a bind for every marker"));
                self.text.push_str(&C::marker(self.binds.len()));
            } else {
                self.text.push(ch);
            }
        }
        self
    }

    /// The scope's WHERE conditions on appeals `a` registered in the period.
    fn registered_in(&mut self, s: &Scope) -> &mut Self {
        self.registered(s, false)
    }

    /// [`Self::registered_in`], or with `within` the appeals of every organization that came
    /// from another organization of the instance (`appeals_received_within`, a partial index).
    fn registered(&mut self, s: &Scope, within: bool) -> &mut Self {
        if within {
            self.push(" WHERE a.source_appeal_id IS NOT NULL AND a.registered_at >= ? AND a.registered_at < ?", vec![Bind::Ts(s.start), Bind::Ts(s.end)]);
        } else {
            self.push(" WHERE a.organization_id = ? AND a.registered_at >= ? AND a.registered_at < ?", vec![Bind::Text(s.org.clone()), Bind::Ts(s.start), Bind::Ts(s.end)]);
        }
        self.filters(s)
    }

    /// The request's filters on appeals `a`.
    pub(super) fn filters(&mut self, s: &Scope) -> &mut Self {
        if let Some(ch) = &s.channel {
            self.push(" AND a.channel = ?", vec![Bind::Text(ch.clone())]);
        }
        if let Some(sec) = &s.section {
            self.push(" AND EXISTS (SELECT 1 FROM questions qf WHERE qf.appeal_id = a.id AND qf.organization_id = a.organization_id AND qf.section = ?)", vec![Bind::Text(sec.clone())]);
        }
        if let Some(u) = &s.executor_id {
            self.push(" AND EXISTS (SELECT 1 FROM assignments af WHERE af.appeal_id = a.id AND af.organization_id = a.organization_id AND af.user_id = ? AND af.active)", vec![Bind::Text(u.clone())]);
        }
        if let Some(d) = &s.department {
            self.push(
                " AND EXISTS (SELECT 1 FROM assignments ad JOIN users ud ON ud.id = ad.user_id AND ud.organization_id = ad.organization_id JOIN departments dd ON dd.id = ud.department_id AND dd.organization_id = ud.organization_id \
                 WHERE ad.appeal_id = a.id AND ad.organization_id = a.organization_id AND ad.responsible AND ad.active AND (dd.code = ? OR dd.id = ?))",
                vec![Bind::Text(d.clone()), Bind::Text(d.clone())],
            );
        }
        self
    }
}

/// Answer state of appeal `a`: 0 not answered, 1 on time, 2 late (by the dispatch date, or the
/// approval date where the answer was not dispatched).
const ANSWERED: &str = "CASE WHEN COALESCE(a.answer_sent_on, a.answered_on) IS NULL THEN 0 WHEN COALESCE(a.answer_sent_on, a.answered_on) <= a.due_date THEN 1 ELSE 2 END";
/// Open statuses, for "overdue now".
const OPEN: &str = "a.status IN ('registered', 'in_work', 'answer_review')";

/// Runs a [`Sql`] on connection type `Conn` in scope, loading rows of `$t`.
macro_rules! load_sql {
    ($c:expr, $sql:expr, $t:ty) => {{
        let sql = $sql;
        let mut q = diesel::sql_query(sql.text.clone()).into_boxed::<<Conn as diesel::Connection>::Backend>();
        for b in &sql.binds {
            q = match b {
                Bind::Text(v) => q.bind::<Text, _>(v.clone()),
                Bind::Ts(v) => q.bind::<Timestamp, _>(*v),
                Bind::Day(v) => q.bind::<Date, _>(*v),
            };
        }
        let rows: Vec<$t> = q.load($c)?;
        rows
    }};
}
pub(super) use load_sql;

backend_fns! {
    /// The period's appeals grouped by everything the reports break them down by; `within`:
    /// only those one organization of the instance forwarded to another, in every organization.
    fn appeal_groups(c: &mut Conn, s: &Scope, within: bool) -> Result<Vec<AppealGroup>, ServiceError> {
        let mut q = Sql::<Conn>::new();
        q.push(&format!(
            "SELECT a.channel, a.form, a.kind, a.legal_regime, a.collective, a.repeated, a.from_organization, a.source_organization, \
             a.reception_official_role AS reception_role, a.late_registration, a.on_site_check, \
             CASE WHEN a.forwarded_to IS NULL THEN 0 ELSE 1 END AS forwarded, CASE WHEN a.extension_days IS NULL THEN 0 ELSE 1 END AS extended, \
             {ANSWERED} AS answered, CASE WHEN {OPEN} AND a.due_date < ? THEN 1 ELSE 0 END AS overdue_now, \
             COUNT(*) AS appeals, COALESCE(SUM(a.returned_count), 0) AS returned FROM appeals a"), vec![Bind::Day(s.today)]);
        q.registered(s, within);
        q.push(" GROUP BY a.channel, a.form, a.kind, a.legal_regime, a.collective, a.repeated, a.from_organization, a.source_organization, a.reception_official_role, \
                a.late_registration, a.on_site_check, forwarded, extended, answered, overdue_now", vec![]);
        Ok(load_sql!(c, &q, AppealGroup))
    }

    /// The questions of those appeals grouped by code and result.
    fn question_groups(c: &mut Conn, s: &Scope, within: bool) -> Result<Vec<QuestionGroup>, ServiceError> {
        let mut q = Sql::<Conn>::new();
        q.push("SELECT qq.code, qq.result, a.channel, a.form, COUNT(*) AS questions FROM appeals a JOIN questions qq ON qq.appeal_id = a.id AND qq.organization_id = a.organization_id", vec![]);
        q.registered(s, within);
        q.push(" GROUP BY qq.code, qq.result, a.channel, a.form", vec![]);
        Ok(load_sql!(c, &q, QuestionGroup))
    }

    pub fn period(c: &mut Conn, s: &Scope) -> Result<PeriodCounts, ServiceError> {
        let appeals = appeal_groups(c, s, false)?;
        let questions = question_groups(c, s, false)?;

        let mut q = Sql::<Conn>::new();
        q.push(&format!(
            "SELECT u.id AS user_id, u.full_name, d.name AS department, CASE WHEN a.extension_days IS NULL THEN 0 ELSE 1 END AS extended, {ANSWERED} AS answered, \
             CASE WHEN {OPEN} AND a.due_date < ? THEN 1 ELSE 0 END AS overdue_now, COUNT(*) AS appeals \
             FROM appeals a JOIN assignments s ON s.appeal_id = a.id AND s.organization_id = a.organization_id AND s.responsible AND s.active \
             JOIN users u ON u.id = s.user_id AND u.organization_id = s.organization_id LEFT JOIN departments d ON d.id = u.department_id AND d.organization_id = u.organization_id"), vec![Bind::Day(s.today)]);
        q.registered_in(s);
        q.push(" GROUP BY u.id, u.full_name, d.name, extended, answered, overdue_now", vec![]);
        let executors = load_sql!(c, &q, ExecutorGroup);

        let count = |c: &mut Conn, q: Sql<Conn>| -> Result<i64, ServiceError> { Ok(load_sql!(c, &q, Count).first().map(|n| n.n).unwrap_or(0)) };
        let mut q = Sql::<Conn>::new();
        q.push("SELECT COUNT(*) AS n FROM appeals a WHERE a.organization_id = ? AND a.put_on_control_at >= ? AND a.put_on_control_at < ?", vec![Bind::Text(s.org.clone()), Bind::Ts(s.start), Bind::Ts(s.end)]);
        q.filters(s);
        let put_on_control = count(c, q)?;
        let mut q = Sql::<Conn>::new();
        q.push("SELECT COUNT(*) AS n FROM appeals a WHERE a.organization_id = ? AND a.closed_on >= ? AND a.closed_on <= ? AND a.put_on_control_at IS NOT NULL", vec![Bind::Text(s.org.clone()), Bind::Day(s.from), Bind::Day(s.to)]);
        q.filters(s);
        let removed_from_control = count(c, q)?;
        let mut q = Sql::<Conn>::new();
        q.push("SELECT COUNT(*) AS n FROM appeals a WHERE a.organization_id = ? AND a.put_on_control_at < ? AND (a.closed_on IS NULL OR a.closed_on > ?)", vec![Bind::Text(s.org.clone()), Bind::Ts(s.end), Bind::Day(s.to)]);
        q.filters(s);
        let in_work_at_end = count(c, q)?;
        Ok(PeriodCounts { appeals, questions, executors, control: ControlCounts { put_on_control, removed_from_control, in_work_at_end } })
    }

    pub fn received_within(c: &mut Conn, s: &Scope) -> Result<PeriodCounts, ServiceError> {
        let appeals = appeal_groups(c, s, true)?;
        let questions = question_groups(c, s, true)?;
        Ok(PeriodCounts { appeals, questions, ..Default::default() })
    }

    pub fn appeals_received(c: &mut Conn, s: &Scope) -> Result<i64, ServiceError> {
        let mut q = Sql::<Conn>::new();
        q.push("SELECT COUNT(*) AS n FROM appeals a", vec![]);
        q.registered_in(s);
        if !s.counting.oral_reception_in_totals {
            q.push(" AND NOT (a.channel = 'personal_reception' AND a.form = 'oral')", vec![]);
        }
        Ok(load_sql!(c, &q, Count).first().map(|n| n.n).unwrap_or(0))
    }
}

/// The grouped counts of one period.
pub fn period(pool: &DbPool, s: &Scope) -> Result<PeriodCounts, ServiceError> {
    dispatch!(pool, period(s))
}

/// The period's appeals (and their questions) that one organization of the instance forwarded
/// to another, counted in the receivers, whatever the scope's organization: what the region's
/// figures take away so that the region counts each such appeal once (`Tally::less_intake`).
/// Only the scope's channel and section filters apply.
pub fn received_within(pool: &DbPool, s: &Scope) -> Result<PeriodCounts, ServiceError> {
    dispatch!(pool, received_within(s))
}

/// Appeals received in the scope's period (by the scope's counting convention), for
/// the annual report's multi-year table.
pub fn appeals_received(pool: &DbPool, s: &Scope) -> Result<i64, ServiceError> {
    dispatch!(pool, appeals_received(s))
}
