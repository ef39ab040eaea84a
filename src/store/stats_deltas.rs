//! Statistics rollups. Write transactions append signed delta rows
//! ([`record`], computed by `crate::domain::rollup::diff` from the card before and after);
//! [`compact`] folds them into the daily, monthly and yearly rollups under a lock; a read sums
//! the period's buckets plus the deltas not yet folded ([`read`]). An organization's rollup is
//! built from its appeals ([`rebuild`]: at startup in the background, or `appeals stats
//! rebuild`), so data written before the rollups existed (or loaded around the service, as the
//! benchmarks do) is counted too; until it is, statistics are counted by the scan.
//!
//! Every row carries a slice (`crate::domain::rollup::slice`): a request filtered by one
//! channel, section, executor or department reads its slice's rows exactly as an unfiltered one
//! reads the whole body's (`slice = ''`); the key leads by (organization, slice, day).
//!
//! Writers never update a shared row: concurrent registrations on one day append their own
//! delta rows, and only the compaction (one at a time) touches the rollups.

use super::appeals::card::CardData;
use super::models::AppealRow;
use super::schema::{appeals, assignments, questions, stats_deltas, stats_rollup, stats_rollup_month, stats_rollup_state, stats_rollup_year, users};
use super::stats::{load_sql, Bind, Scope, Sql};
use crate::domain::rollup::ControlCounts;
use super::{DbPool, ServiceError, WriteTx};
use crate::domain::buckets::{self, Level};
use crate::domain::rollup::{self, fig, Facts, Row, Tally};
use crate::{backend_fns, dispatch};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable, Text, Timestamp};
use std::collections::HashMap;

/// The local day of a stored UTC instant (the organization's time zone).
pub type LocalDay<'a> = &'a dyn Fn(NaiveDateTime) -> NaiveDate;

/// Users' departments (user id → department id), for the department slices.
pub type Departments = HashMap<String, String>;

/// What the statistics count of a card. `local_day` turns the control instant into a local day;
/// `departments` holds (at least) those of the card's active responsible executors.
pub fn facts_of(card: &CardData, local_day: LocalDay, departments: &Departments) -> Facts {
    let q: Vec<(String, Option<String>)> = card.questions.iter().map(|q| (q.code.clone(), q.result.clone())).collect();
    let active: Vec<(String, bool)> = card.assignments.iter().filter(|a| a.active).map(|a| (a.user_id.clone(), a.responsible)).collect();
    facts_of_row(&card.appeal, q, &active, departments, local_day)
}

/// The users whose departments [`facts_of`] needs: the cards' active responsible executors.
pub fn responsible_users<'a>(cards: impl IntoIterator<Item = &'a CardData>) -> Vec<String> {
    let mut out: Vec<String> = cards.into_iter().flat_map(|c| c.assignments.iter().filter(|a| a.active && a.responsible).map(|a| a.user_id.clone())).collect();
    out.sort();
    out.dedup();
    out
}

/// [`facts_of`] from the parts of a card: its active assignments as (user, responsible).
pub fn facts_of_row(a: &AppealRow, questions: Vec<(String, Option<String>)>, active: &[(String, bool)], departments: &Departments, local_day: LocalDay) -> Facts {
    let executors: Vec<String> = active.iter().filter(|(_, r)| *r).map(|(u, _)| u.clone()).collect();
    let mut assigned: Vec<String> = active.iter().map(|(u, _)| u.clone()).collect();
    assigned.sort();
    assigned.dedup();
    let mut deps: Vec<String> = executors.iter().filter_map(|u| departments.get(u).cloned()).collect();
    deps.sort();
    deps.dedup();
    Facts {
        org: a.organization_id.clone(),
        registered_on: a.registered_on,
        channel: a.channel.clone(),
        form: a.form.clone(),
        kind: a.kind.clone(),
        legal_regime: a.legal_regime.clone(),
        collective: a.collective,
        repeated: a.repeated,
        from_organization: a.from_organization,
        source_organization: a.source_organization.clone(),
        reception_role: a.reception_official_role.clone(),
        late_registration: a.late_registration,
        on_site_check: a.on_site_check,
        forwarded: a.forwarded_to.is_some(),
        extended: a.extension_days.is_some(),
        answered: rollup::answered(a.answer_sent_on, a.answered_on, a.due_date),
        returned: a.returned_count as i64,
        put_on_control_on: a.put_on_control_at.map(local_day),
        closed_on: a.closed_on,
        questions,
        executors,
        assigned,
        departments: deps,
        open_due: crate::domain::workflow::Status::OPEN_CODES.contains(&a.status.as_str()).then_some(a.due_date),
    }
}

/// New cards are never on control at registration (the registry leaves it unset), so their
/// facts need no time zone; this is the day used should one ever be.
pub fn utc_day(t: NaiveDateTime) -> NaiveDate {
    t.date()
}

/// A delta row as written (PostgreSQL's registration sends them as JSON inside its one statement).
#[derive(Insertable, serde::Serialize, Default)]
#[diesel(table_name = stats_deltas)]
pub(crate) struct NewDelta<'a> {
    organization_id: &'a str,
    slice: &'a str,
    day: NaiveDate,
    figure: &'a str,
    dim: &'a str,
    n: i64,
}

/// The insertable form of delta rows.
pub(crate) fn new_deltas(rows: &[Row]) -> Vec<NewDelta<'_>> {
    rows.iter().map(|(org, slice, day, figure, dim, n)| NewDelta { organization_id: org, slice, day: *day, figure, dim, n: *n }).collect()
}

#[derive(QueryableByName)]
struct Sum {
    #[diesel(sql_type = Text)]
    dim: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// What a statistics read asks first ([`built_and_pending`]).
#[derive(QueryableByName)]
struct BuiltPending {
    #[diesel(sql_type = BigInt)]
    built: i64,
    #[diesel(sql_type = BigInt)]
    pending: i64,
}

/// A row of the one statement of a rollup read ([`read_statement`]): `part` is the period's
/// index times [`PARTS`] plus what the row is ([`FIGURES`], [`CONTROL`] or [`LIVE`]); an
/// executor's figures carry the executor's name and department.
#[derive(QueryableByName)]
struct ReadRow {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    part: i32,
    #[diesel(sql_type = Text)]
    figure: String,
    #[diesel(sql_type = Text)]
    dim: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
    #[diesel(sql_type = Nullable<Text>)]
    full_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    department: Option<String>,
}

/// What the rows of one period are in a rollup read: its figures summed by (figure, dim)...
const FIGURES: usize = 0;
/// ...the cumulative control figures ("in work at the period's end")...
const CONTROL: usize = 1;
/// ...and the executors' "overdue now" of deadlines earlier this month, counted live.
const LIVE: usize = 2;
/// Kinds of rows per period.
const PARTS: usize = 3;

/// The one statement of a rollup read of `slice` over `periods`: for each period its figures,
/// its control figures summed from the first day on record, and (in full) its executors'
/// deadlines of this month counted live, joined to the executors' names. One round trip
/// instead of four per period, and no separate lookup of names.
fn read_statement<C: super::dialect::Dialect>(q: &mut Sql<C>, periods: &[&Scope], slice: &str, detail: Detail) {
    let figures = match detail {
        Detail::Full => String::new(),
        Detail::Summary => format!(" AND figure IN ({})", summary_figures_sql()),
    };
    let control = format!(" AND figure IN ('{}', '{}')", fig::CONTROL_PUT, fig::CONTROL_REMOVED);
    q.push("WITH f AS (", vec![]);
    for (i, s) in periods.iter().enumerate() {
        let part = |kind: usize| i * PARTS + kind;
        if i > 0 {
            q.push(" UNION ALL ", vec![]);
        }
        q.push(&format!("SELECT {} AS part, figure, dim, CAST(SUM(n) AS BIGINT) AS n FROM (", part(FIGURES)), vec![]);
        union_of(q, &s.org, slice, s.from, &buckets::parts(s.from, s.to), s.to, &figures);
        q.push(") x GROUP BY figure, dim", vec![]);
        // "In work at the period's end": put on control up to its last day, less those of them
        // removed up to then (the dimension, a `YYYY-MM-DD` day, orders as text).
        q.push(&format!(" UNION ALL SELECT {} AS part, figure, '' AS dim, CAST(SUM(n) AS BIGINT) AS n FROM (", part(CONTROL)), vec![]);
        union_of(q, &s.org, slice, EPOCH, &buckets::parts(EPOCH, s.to), s.to, &control);
        q.push(&format!(") x WHERE figure = '{}' OR dim <= ? GROUP BY figure", fig::CONTROL_PUT), vec![Bind::Text(s.to.to_string())]);
        // "Overdue now" came whole from the rollup. By executor, the rollup keeps deadline
        // months (days × executors would multiply its rows); those due earlier this month are
        // counted live (`appeals_org_status_due`, at most one month of deadlines), for the
        // slice's appeals: the request's filter, as the scan applies it.
        let month = rollup::month_of(s.today);
        if detail == Detail::Full && month < s.today {
            q.push(
                &format!(
                    " UNION ALL SELECT {} AS part, '{}' AS figure, s.user_id AS dim, COUNT(*) AS n FROM assignments s JOIN appeals a ON a.id = s.appeal_id AND a.organization_id = s.organization_id \
                     WHERE a.organization_id = ? AND a.status IN ('registered', 'in_work', 'answer_review') AND a.due_date >= ? AND a.due_date < ? \
                     AND a.registered_at >= ? AND a.registered_at < ? AND s.responsible AND s.active",
                    part(LIVE),
                    fig::EXEC_OVERDUE
                ),
                vec![Bind::Text(s.org.clone()), Bind::Day(month), Bind::Day(s.today), Bind::Ts(s.start), Bind::Ts(s.end)],
            );
            q.filters(s);
            q.push(" GROUP BY s.user_id", vec![]);
        }
    }
    // The names of the executors the periods mention, in the same statement.
    q.push(
        &format!(
            ") SELECT f.part, f.figure, f.dim, f.n, u.full_name, d.name AS department FROM f \
             LEFT JOIN users u ON f.figure = '{}' AND u.id = f.dim LEFT JOIN departments d ON d.id = u.department_id AND d.organization_id = u.organization_id",
            fig::EXEC
        ),
        vec![],
    );
}

/// Folds every committed delta into the rollups, one backend's way.
pub trait Compact: Sized {
    /// Moves the deltas into `stats_rollup` and `stats_rollup_month` inside the caller's
    /// transaction (PostgreSQL: under the compaction's advisory lock); returns how many rows.
    fn fold_deltas(&mut self) -> Result<usize, ServiceError>;
    /// A transaction that sees one snapshot throughout (the rebuild's).
    fn snapshot_tx<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, ServiceError>) -> Result<T, ServiceError>;
    /// After a rebuild, outside any transaction: PostgreSQL vacuums the deltas the rebuild
    /// folded (else the next compaction walks their dead rows) and analyzes the rollups.
    fn tidy_after_rebuild(&mut self) -> Result<(), ServiceError>;
    /// The few small statements of a rollup read, in one read-only snapshot. PostgreSQL runs
    /// them without JIT compilation and without parallel workers: for a few thousand rows through an index their start-up
    /// costs more than they save (a comparison year read 6 ms alone, 21–30 ms with two workers).
    fn read_tx<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, ServiceError>) -> Result<T, ServiceError>;
}

#[cfg(feature = "postgres")]
impl Compact for diesel::PgConnection {
    fn snapshot_tx<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, ServiceError>) -> Result<T, ServiceError> {
        self.build_transaction().repeatable_read().run(f)
    }

    fn tidy_after_rebuild(&mut self) -> Result<(), ServiceError> {
        diesel::sql_query("VACUUM (ANALYZE) stats_deltas, stats_rollup, stats_rollup_month, stats_rollup_year").execute(self)?;
        Ok(())
    }

    fn read_tx<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, ServiceError>) -> Result<T, ServiceError> {
        self.build_transaction().read_only().run(|c| {
            // Nor JIT: the region's read (every organization's periods in one statement) costs
            // enough for PostgreSQL to compile it, which took seconds where the reading takes
            // a fraction of one.
            diesel::connection::SimpleConnection::batch_execute(c, "SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL jit = off")?;
            f(c)
        })
    }

    fn fold_deltas(&mut self) -> Result<usize, ServiceError> {
        {
            let c = self;
            // One compaction at a time; writers never wait for it (they only insert deltas).
            diesel::sql_query("SELECT pg_advisory_xact_lock(1100011)").execute(c)?;
            // The DELETE's RETURNING is exactly what is folded: a delta committed meanwhile is
            // neither deleted nor counted twice. New rollup rows go in key order, so that a day's
            // (a month's, a year's) rows share heap pages and a period reads few of them.
            let n = diesel::sql_query(
                "WITH d AS (DELETE FROM stats_deltas WHERE id > 0 RETURNING organization_id, slice, day, figure, dim, n), \
                 g AS (SELECT organization_id, slice, day, figure, dim, SUM(n)::BIGINT AS n FROM d GROUP BY 1, 2, 3, 4, 5), \
                 dd AS (INSERT INTO stats_rollup (organization_id, slice, day, figure, dim, n) SELECT * FROM g ORDER BY 1, 2, 3, 4, 5 \
                 ON CONFLICT (organization_id, slice, day, figure, dim) DO UPDATE SET n = stats_rollup.n + excluded.n), \
                 yy AS (INSERT INTO stats_rollup_year (organization_id, slice, day, figure, dim, n) SELECT organization_id, slice, date_trunc('year', day)::date, figure, dim, SUM(n)::BIGINT FROM g GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5 \
                 ON CONFLICT (organization_id, slice, day, figure, dim) DO UPDATE SET n = stats_rollup_year.n + excluded.n) \
                 INSERT INTO stats_rollup_month (organization_id, slice, day, figure, dim, n) SELECT organization_id, slice, date_trunc('month', day)::date, figure, dim, SUM(n)::BIGINT FROM g GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5 \
                 ON CONFLICT (organization_id, slice, day, figure, dim) DO UPDATE SET n = stats_rollup_month.n + excluded.n",
            )
            .execute(c)?;
            Ok(n)
        }
    }
}

#[cfg(feature = "sqlite")]
impl Compact for diesel::SqliteConnection {
    fn snapshot_tx<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, ServiceError>) -> Result<T, ServiceError> {
        self.write_tx(f)
    }

    fn tidy_after_rebuild(&mut self) -> Result<(), ServiceError> {
        Ok(())
    }

    fn read_tx<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, ServiceError>) -> Result<T, ServiceError> {
        // A read transaction: one snapshot, and no writer waits for it in WAL mode.
        self.transaction(f)
    }

    fn fold_deltas(&mut self) -> Result<usize, ServiceError> {
        // SQLite has one writer: nothing commits between these statements.
        {
            let c = self;
            diesel::sql_query(
                "INSERT INTO stats_rollup (organization_id, slice, day, figure, dim, n) SELECT organization_id, slice, day, figure, dim, SUM(n) FROM stats_deltas WHERE id > 0 GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5 \
                 ON CONFLICT (organization_id, slice, day, figure, dim) DO UPDATE SET n = stats_rollup.n + excluded.n",
            )
            .execute(c)?;
            diesel::sql_query(
                "INSERT INTO stats_rollup_month (organization_id, slice, day, figure, dim, n) SELECT organization_id, slice, date(day, 'start of month'), figure, dim, SUM(n) FROM stats_deltas WHERE id > 0 GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5 \
                 ON CONFLICT (organization_id, slice, day, figure, dim) DO UPDATE SET n = stats_rollup_month.n + excluded.n",
            )
            .execute(c)?;
            diesel::sql_query(
                "INSERT INTO stats_rollup_year (organization_id, slice, day, figure, dim, n) SELECT organization_id, slice, date(day, 'start of year'), figure, dim, SUM(n) FROM stats_deltas WHERE id > 0 GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5 \
                 ON CONFLICT (organization_id, slice, day, figure, dim) DO UPDATE SET n = stats_rollup_year.n + excluded.n",
            )
            .execute(c)?;
            Ok(diesel::sql_query("DELETE FROM stats_deltas WHERE id > 0").execute(c)?)
        }
    }
}

/// How much of the figures a read needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detail {
    /// Everything, the executors' and departments' timeliness included (the API, the reports).
    Full,
    /// Without the figures by executor (the statistics page shows none): with thousands of
    /// executors those are most of a period's rollup rows.
    Summary,
}

/// The figures a [`Detail::Summary`] read takes (all but the per-executor ones).
const SUMMARY_FIGURES: [&str; 20] = [
    fig::APPEALS, fig::CHANNEL, fig::FORM, fig::KIND, fig::REGIME, fig::FROM_ORG, fig::COLLECTIVE, fig::REPEATED, fig::LATE_REG, fig::ON_SITE,
    fig::FORWARDED, fig::EXTENDED, fig::ANSWERED, fig::SOURCE, fig::RETURNED, fig::RECEPTION, fig::Q, fig::Q_RESULT, fig::Q_RECEPTION, fig::OPEN,
];

/// The summary's figures with their oral-reception twins (`fig::oral`), as an SQL list.
fn summary_figures_sql() -> String {
    SUMMARY_FIGURES.iter().flat_map(|f| [*f, fig::oral(f)]).collect::<std::collections::BTreeSet<_>>().iter().map(|f| format!("'{f}'")).collect::<Vec<_>>().join(", ")
}

/// A day before any registry: cumulative figures are summed from here.
const EPOCH: NaiveDate = match NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(d) => d,
    None => panic!("a valid date"),
};

/// The rollup table of a level.
fn table_of(level: Level) -> &'static str {
    match level {
        Level::Day => "stats_rollup",
        Level::Month => "stats_rollup_month",
        Level::Year => "stats_rollup_year",
    }
}

/// Appends `(figure, dim, ±n)` rows of one slice over `from..=to`, joined by UNION ALL: the
/// pending deltas of those days and the rollup buckets of `parts` (each through its table's
/// primary key), each narrowed by `figures` (a condition on `figure`, or empty).
fn union_of<C: super::dialect::Dialect>(q: &mut Sql<C>, org: &str, slice: &str, from: NaiveDate, parts: &[buckets::Part], to: NaiveDate, figures: &str) {
    let key = || vec![Bind::Text(org.to_string()), Bind::Text(slice.to_string())];
    let with = |mut k: Vec<Bind>, a: NaiveDate, b: NaiveDate| {
        k.extend([Bind::Day(a), Bind::Day(b)]);
        k
    };
    q.push(&format!("SELECT figure, dim, n FROM stats_deltas WHERE organization_id = ? AND slice = ? AND day >= ? AND day <= ?{figures}"), with(key(), from, to));
    for p in parts {
        let n = if p.sign < 0 { "-n" } else { "n" };
        q.push(&format!(" UNION ALL SELECT figure, dim, {n} FROM {} WHERE organization_id = ? AND slice = ? AND day >= ? AND day <= ?{figures}", table_of(p.level)), with(key(), p.first, p.last));
    }
}

/// Adds one summed rollup row to a tally; the open-appeal figures become "overdue now" where
/// their deadline is before today (by executor: where the deadline month is wholly before
/// today's month; this month's are counted live).
fn add_read(t: &mut Tally, figure: &str, dim: &str, n: i64, today: NaiveDate, counting: crate::domain::counting::Counting) {
    if n == 0 {
        return;
    }
    // Oral appeals at a reception count in the totals only by the body's convention.
    let figure = match fig::plain_of_oral(figure) {
        Some(_) if !counting.oral_reception_in_totals => return,
        Some(plain) => plain,
        None => figure,
    };
    match figure {
        fig::OPEN => {
            if dim.parse::<NaiveDate>().is_ok_and(|due| due < today) {
                t.add(fig::OVERDUE, "", n);
            }
        }
        fig::EXEC_OPEN => {
            if let Some((_, user)) = rollup::parse_open_dim(dim).filter(|(m, _)| rollup::wholly_overdue(*m, today)) {
                t.add(fig::EXEC_OVERDUE, user, n);
            }
        }
        _ => t.add(figure, dim, n),
    }
}

backend_fns! {
    pub fn record(c: &mut Conn, rows: &[Row]) -> Result<(), ServiceError> {
        let new = new_deltas(rows);
        for chunk in new.chunks(5000) {
            diesel::insert_into(stats_deltas::table).values(chunk).execute(c)?;
        }
        Ok(())
    }

    pub fn compact(c: &mut Conn) -> Result<usize, ServiceError> {
        // Nothing pending (the usual case for a read): no write transaction, no lock.
        if stats_deltas::table.filter(stats_deltas::id.gt(0)).select(stats_deltas::id).first::<i64>(c).optional()?.is_none() {
            return Ok(0);
        }
        c.write_tx(|c| c.fold_deltas())
    }

    pub fn mark_built_if_empty(c: &mut Conn, org: &str, now: NaiveDateTime) -> Result<bool, ServiceError> {
        c.write_tx(|c| {
            if is_built(c, org)? || appeals::table.filter(appeals::organization_id.eq(org)).select(appeals::id).first::<String>(c).optional()?.is_some() {
                return Ok(false);
            }
            // No appeals yet: the rollup is the deltas' from the first registration on.
            diesel::insert_into(stats_rollup_state::table).values((stats_rollup_state::organization_id.eq(org), stats_rollup_state::built_at.eq(now))).execute(c)?;
            Ok(true)
        })
    }

    pub fn built_and_pending(c: &mut Conn, org: &str) -> Result<(bool, bool), ServiceError> {
        let row: Vec<BuiltPending> = diesel::sql_query(format!(
            "SELECT (SELECT COUNT(*) FROM stats_rollup_state WHERE organization_id = {}) AS built, \
             (SELECT COUNT(*) FROM (SELECT id FROM stats_deltas WHERE id > 0 LIMIT 1) x) AS pending",
            <Conn as crate::store::dialect::Dialect>::marker(1)
        ))
        .bind::<Text, _>(org)
        .load(c)?;
        Ok(row.first().map(|r| (r.built > 0, r.pending > 0)).unwrap_or((false, false)))
    }

    pub fn is_built(c: &mut Conn, org: &str) -> Result<bool, ServiceError> {
        Ok(stats_rollup_state::table.find(org).select(stats_rollup_state::organization_id).first::<String>(c).optional()?.is_some())
    }

    pub fn departments_of(c: &mut Conn, users: &[String]) -> Result<Departments, ServiceError> {
        let mut out = Departments::new();
        for chunk in users.chunks(500) {
            for (u, d) in users::table.filter(users::id.eq_any(chunk)).filter(users::department_id.is_not_null()).select((users::id, users::department_id.assume_not_null())).load::<(String, String)>(c)? {
                out.insert(u, d);
            }
        }
        Ok(out)
    }

    pub fn facts_of_rows(c: &mut Conn, rows: &[AppealRow], local_day: LocalDay) -> Result<Vec<Facts>, ServiceError> {
        let ids: Vec<&String> = rows.iter().map(|r| &r.id).collect();
        let mut qs: HashMap<String, Vec<(String, Option<String>)>> = HashMap::new();
        let mut ex: HashMap<String, Vec<(String, bool)>> = HashMap::new();
        for chunk in ids.chunks(5000) {
            for (a, code, result) in questions::table.filter(questions::appeal_id.eq_any(chunk)).order((questions::appeal_id, questions::position)).select((questions::appeal_id, questions::code, questions::result)).load::<(String, String, Option<String>)>(c)? {
                qs.entry(a).or_default().push((code, result));
            }
            for (a, u, r) in assignments::table.filter(assignments::appeal_id.eq_any(chunk)).filter(assignments::active.eq(true)).select((assignments::appeal_id, assignments::user_id, assignments::responsible)).load::<(String, String, bool)>(c)? {
                ex.entry(a).or_default().push((u, r));
            }
        }
        let mut responsible: Vec<String> = ex.values().flatten().filter(|(_, r)| *r).map(|(u, _)| u.clone()).collect();
        responsible.sort();
        responsible.dedup();
        let deps = departments_of(c, &responsible)?;
        Ok(rows.iter().map(|r| facts_of_row(r, qs.remove(&r.id).unwrap_or_default(), &ex.remove(&r.id).unwrap_or_default(), &deps, local_day)).collect())
    }

    pub fn rebuild(c: &mut Conn, org: &str, local_day: LocalDay, now: NaiveDateTime) -> Result<usize, ServiceError> {
        // One snapshot (PostgreSQL: repeatable read): deltas committed by others meanwhile are
        // neither folded here nor reflected in the appeals read here, so they count once, later.
        c.snapshot_tx(|c| {
            // Under the compaction's lock (PostgreSQL), so no fold runs meanwhile.
            c.fold_deltas()?;
            diesel::delete(stats_rollup::table.filter(stats_rollup::organization_id.eq(org))).execute(c)?;
            diesel::delete(stats_rollup_month::table.filter(stats_rollup_month::organization_id.eq(org))).execute(c)?;
            diesel::delete(stats_rollup_year::table.filter(stats_rollup_year::organization_id.eq(org))).execute(c)?;
            // The rows go in as deltas and are folded at the end: one code path writes the
            // rollups. They are summed in memory and written whenever the sums grow past
            // `FLUSH_AT` keys (the slices by executor make millions at a million appeals).
            const FLUSH_AT: usize = 1_000_000;
            let mut day: HashMap<(String, NaiveDate, &'static str, String), i64> = HashMap::new();
            let mut count = 0;
            let mut flush = |c: &mut Conn, day: &mut HashMap<(String, NaiveDate, &'static str, String), i64>| -> Result<(), ServiceError> {
                let rows: Vec<Row> = day.drain().filter(|(_, n)| *n != 0).map(|((s, d, figure, dim), n)| (org.to_string(), s, d, figure, dim, n)).collect();
                count += rows.len();
                record(c, &rows)
            };
            let mut last = String::new();
            loop {
                let rows: Vec<AppealRow> = appeals::table
                    .filter(appeals::organization_id.eq(org))
                    .filter(appeals::id.gt(&last))
                    .order(appeals::id.asc())
                    .limit(5000)
                    .select(AppealRow::as_select())
                    .load(c)?;
                let Some(end) = rows.last() else { break };
                last = end.id.clone();
                let mut out = Vec::new();
                for f in facts_of_rows(c, &rows, local_day)? {
                    rollup::contributions(&f, 1, &mut out);
                }
                for (_, s, d, figure, dim, n) in out {
                    *day.entry((s, d, figure, dim)).or_insert(0) += n;
                }
                if day.len() >= FLUSH_AT {
                    flush(c, &mut day)?;
                }
            }
            flush(c, &mut day)?;
            c.fold_deltas()?;
            diesel::delete(stats_rollup_state::table.find(org)).execute(c)?;
            diesel::insert_into(stats_rollup_state::table).values((stats_rollup_state::organization_id.eq(org), stats_rollup_state::built_at.eq(now))).execute(c)?;
            Ok(count)
        })
        .and_then(|count| {
            c.tidy_after_rebuild()?;
            Ok(count)
        })
    }

    pub fn appeals_between(c: &mut Conn, org: &str, from: NaiveDate, to: NaiveDate, counting: crate::domain::counting::Counting) -> Result<i64, ServiceError> {
        let mut q = Sql::<Conn>::new();
        q.push("SELECT '' AS dim, CAST(COALESCE(SUM(n), 0) AS BIGINT) AS n FROM (", vec![]);
        let figures = if counting.oral_reception_in_totals { format!(" AND figure IN ('{}', '{}')", fig::APPEALS, fig::oral(fig::APPEALS)) } else { format!(" AND figure = '{}'", fig::APPEALS) };
        union_of(&mut q, org, rollup::slice::ALL, from, &buckets::parts(from, to), to, &figures);
        q.push(") x", vec![]);
        Ok(load_sql!(c, &q, Sum).first().map(|r| r.n).unwrap_or(0))
    }

    pub fn open_by_deadline(c: &mut Conn, org: &str, today: NaiveDate) -> Result<Vec<(String, i64)>, ServiceError> {
        let mut q = Sql::<Conn>::new();
        q.push("SELECT '' AS figure, dim, CAST(SUM(n) AS BIGINT) AS n FROM (", vec![]);
        union_of(&mut q, org, rollup::slice::ALL, EPOCH, &buckets::parts(EPOCH, today), today, &format!(" AND figure IN ('{}', '{}')", fig::OPEN, fig::oral(fig::OPEN)));
        q.push(") x GROUP BY dim", vec![]);
        Ok(load_sql!(c, &q, Sum).into_iter().filter(|r| r.n > 0).map(|r| (r.dim, r.n)).collect())
    }

    pub fn question_usage(c: &mut Conn, org: &str, from: NaiveDate, to: NaiveDate) -> Result<Vec<(String, i64)>, ServiceError> {
        let mut q = Sql::<Conn>::new();
        q.push("SELECT dim, CAST(SUM(n) AS BIGINT) AS n FROM (", vec![]);
        union_of(&mut q, org, rollup::slice::ALL, from, &buckets::parts(from, to), to, &format!(" AND figure = '{}'", fig::Q));
        q.push(") x GROUP BY dim", vec![]);
        Ok(load_sql!(c, &q, Sum).into_iter().filter(|r| r.n > 0).map(|r| (r.dim, r.n)).collect())
    }

    pub fn read(c: &mut Conn, periods: &[&Scope], slice: &str, detail: Detail) -> Result<Vec<Tally>, ServiceError> {
        c.read_tx(|c| read_in(c, periods, slice, detail))
    }

    fn read_in(c: &mut Conn, periods: &[&Scope], slice: &str, detail: Detail) -> Result<Vec<Tally>, ServiceError> {
        let mut q = Sql::<Conn>::new();
        read_statement(&mut q, periods, slice, detail);
        let mut tallies: Vec<Tally> = periods.iter().map(|_| Tally::default()).collect();
        let mut in_work = vec![0i64; periods.len()];
        for r in load_sql!(c, &q, ReadRow) {
            let k = r.part as usize % PARTS;
            let (Some(t), Some(s)) = (tallies.get_mut(r.part as usize / PARTS), periods.get(r.part as usize / PARTS)) else { continue };
            match k {
                FIGURES => {
                    if r.figure == fig::EXEC && r.n != 0 {
                        if let Some(name) = r.full_name {
                            t.executors.insert(r.dim.clone(), (name, r.department));
                        }
                    }
                    add_read(t, &r.figure, &r.dim, r.n, s.today, s.counting);
                }
                CONTROL => in_work[r.part as usize / PARTS] += if r.figure == fig::CONTROL_PUT { r.n } else { -r.n },
                _ => t.add(fig::EXEC_OVERDUE, &r.dim, r.n),
            }
        }
        for (t, in_work) in tallies.iter_mut().zip(in_work) {
            t.control = ControlCounts { put_on_control: t.total(fig::CONTROL_PUT), removed_from_control: t.total(fig::CONTROL_REMOVED), in_work_at_end: in_work };
        }
        Ok(tallies)
    }
}

/// How many questions of each classifier code the organization registered in `from..=to`, from
/// the rollup (a handful of rows per code, whatever the number of appeals): the classifier
/// lookup ranks the codes a body actually uses first.
pub fn question_usage(pool: &DbPool, org: &str, from: NaiveDate, to: NaiveDate) -> Result<Vec<(String, i64)>, ServiceError> {
    dispatch!(pool, question_usage(org, from, to))
}

/// Appends the delta rows of one write inside the caller's transaction (a no-op when empty).
pub fn record_rows<C: Recorder>(c: &mut C, rows: &[Row]) -> Result<(), ServiceError> {
    if rows.is_empty() {
        return Ok(());
    }
    c.record_deltas(rows)
}

/// The connection types deltas can be written through, for code generic over the backend.
pub trait Recorder {
    /// Inserts the rows.
    fn record_deltas(&mut self, rows: &[Row]) -> Result<(), ServiceError>;
    /// The departments of `users` (those without one left out).
    fn departments(&mut self, users: &[String]) -> Result<Departments, ServiceError>;
    /// The statistics' facts of stored appeals, read in the caller's transaction.
    fn facts_of_rows(&mut self, rows: &[AppealRow], local_day: LocalDay) -> Result<Vec<Facts>, ServiceError>;
}

/// Up to how many delta rows SQLite writes with one multi-row statement whose text is kept
/// prepared (one text per count: a new card makes 21 with one question, a few more per further
/// question or applicant); larger sets go in chunks of this size.
#[cfg(feature = "sqlite")]
const SQLITE_DELTAS_PREPARED: usize = 64;

/// The delta rows in as few statements as their count allows, each a multi-row `VALUES` of a
/// text fixed per count, so SQLite prepares it once per connection: diesel does not cache its
/// multi-row inserts, and parsing the 21-row statement of every registration was paid under the
/// writer lock.
#[cfg(feature = "sqlite")]
fn sqlite_record_prepared(c: &mut diesel::SqliteConnection, rows: &[Row]) -> Result<(), ServiceError> {
    use super::prepared::{Arg, Prepared};
    static BY_COUNT: [std::sync::OnceLock<String>; SQLITE_DELTAS_PREPARED + 1] = [const { std::sync::OnceLock::new() }; SQLITE_DELTAS_PREPARED + 1];
    for chunk in rows.chunks(SQLITE_DELTAS_PREPARED) {
        let sql = BY_COUNT[chunk.len()].get_or_init(|| {
            format!("INSERT INTO stats_deltas (organization_id, slice, day, figure, dim, n) VALUES {}", vec!["(?, ?, ?, ?, ?, ?)"; chunk.len()].join(", "))
        });
        let mut args = Vec::with_capacity(chunk.len() * 6);
        for (org, slice, day, figure, dim, n) in chunk {
            // Dates as diesel writes them on SQLite (`%Y-%m-%d` text).
            args.extend([Arg::Text(org.clone()), Arg::Text(slice.clone()), Arg::Text(day.format("%Y-%m-%d").to_string()), Arg::Text(figure.to_string()), Arg::Text(dim.clone()), Arg::BigInt(*n)]);
        }
        Prepared::owned(std::borrow::Cow::Borrowed(sql.as_str()), args).execute(c)?;
    }
    Ok(())
}

#[cfg(feature = "sqlite")]
impl Recorder for diesel::SqliteConnection {
    fn record_deltas(&mut self, rows: &[Row]) -> Result<(), ServiceError> {
        sqlite_record_prepared(self, rows)
    }

    fn departments(&mut self, users: &[String]) -> Result<Departments, ServiceError> {
        sqlite::departments_of(self, users)
    }

    fn facts_of_rows(&mut self, rows: &[AppealRow], local_day: LocalDay) -> Result<Vec<Facts>, ServiceError> {
        sqlite::facts_of_rows(self, rows, local_day)
    }
}

#[cfg(feature = "postgres")]
impl Recorder for diesel::PgConnection {
    fn record_deltas(&mut self, rows: &[Row]) -> Result<(), ServiceError> {
        pg::record(self, rows)
    }

    fn departments(&mut self, users: &[String]) -> Result<Departments, ServiceError> {
        pg::departments_of(self, users)
    }

    fn facts_of_rows(&mut self, rows: &[AppealRow], local_day: LocalDay) -> Result<Vec<Facts>, ServiceError> {
        pg::facts_of_rows(self, rows, local_day)
    }
}

/// The delta rows of a newly registered card (written in the registering transaction).
pub fn new_card_rows(card: &CardData) -> Vec<Row> {
    // A new card has no assignments, so no departments to look up.
    rollup::diff(None, Some(&facts_of(card, &utc_day, &Departments::new())))
}

/// The deltas of an import's cards, counted chunk by chunk as the rows are written and recorded
/// once at the end (a few rows per day and figure for the whole batch). An import's cards mostly
/// share their facts (day, channel, form, kind, question codes…): each distinct set of facts is
/// counted, and its delta rows are made once with that count ([`rollup::contributions`] is
/// linear in its sign), instead of some twenty rows of strings per card summed afterwards.
#[derive(Default)]
pub struct ImportDeltas {
    counted: HashMap<Facts, i64>,
}

impl ImportDeltas {
    /// Adds one chunk's cards (with their questions).
    pub fn add(&mut self, rows: &[AppealRow], questions: &[super::models::QuestionRow]) {
        let mut qs: HashMap<&str, Vec<(String, Option<String>)>> = HashMap::new();
        for q in questions {
            qs.entry(q.appeal_id.as_str()).or_default().push((q.code.clone(), q.result.clone()));
        }
        let departments = Departments::new();
        for r in rows {
            let f = facts_of_row(r, qs.remove(r.id.as_str()).unwrap_or_default(), &[], &departments, &utc_day);
            *self.counted.entry(f).or_insert(0) += 1;
        }
    }

    /// The summed delta rows of every card added so far.
    pub fn rows(&self) -> Vec<Row> {
        let mut out = Vec::new();
        for (f, n) in &self.counted {
            rollup::contributions(f, *n, &mut out);
        }
        rollup::aggregate(out)
    }

    /// Writes the summed deltas inside the import's transaction.
    pub fn record<C: Recorder>(self, c: &mut C) -> Result<(), ServiceError> {
        record_rows(c, &self.rows())
    }
}

/// The deltas of a control action or correction: the card after less the card before.
pub fn record_change<C: Recorder>(c: &mut C, before: &CardData, after: &CardData, local_day: LocalDay) -> Result<(), ServiceError> {
    record_changes(c, &[(before, after)], local_day)
}

/// [`record_change`] for many cards at once (a bulk action): one lookup of the responsible
/// executors' departments, one insert.
pub fn record_changes<C: Recorder>(c: &mut C, cards: &[(&CardData, &CardData)], local_day: LocalDay) -> Result<(), ServiceError> {
    let users = responsible_users(cards.iter().flat_map(|(b, a)| [*b, *a]));
    let deps = if users.is_empty() { Departments::new() } else { c.departments(&users)? };
    let mut rows = Vec::new();
    for (before, after) in cards {
        rows.extend(rollup::diff(Some(&facts_of(before, local_day, &deps)), Some(&facts_of(after, local_day, &deps))));
    }
    record_rows(c, &rows)
}

/// A change that moves appeals between slices without touching their cards (a user's
/// department): reads the facts of `rows` before and after `change`, all in the caller's
/// transaction, and records the difference.
pub fn record_around<C: Recorder, T>(c: &mut C, rows: &[AppealRow], local_day: LocalDay, change: impl FnOnce(&mut C) -> Result<T, ServiceError>) -> Result<T, ServiceError> {
    let before = c.facts_of_rows(rows, local_day)?;
    let out = change(c)?;
    let after = c.facts_of_rows(rows, local_day)?;
    let mut deltas = Vec::new();
    for (b, a) in before.iter().zip(&after) {
        deltas.extend(rollup::diff(Some(b), Some(a)));
    }
    record_rows(c, &rollup::aggregate(deltas))?;
    Ok(out)
}

/// The organization's open appeals (oral ones at a reception too) by deadline day
/// (`YYYY-MM-DD`, count), registered up to `today`, from the rollup and its pending deltas
/// alone: a few rows per registration day, never the appeals themselves (the metrics' gauges).
pub fn open_by_deadline(pool: &DbPool, org: &str, today: NaiveDate) -> Result<Vec<(String, i64)>, ServiceError> {
    dispatch!(pool, open_by_deadline(org, today))
}

/// Folds pending deltas into the rollups (the scheduler's pass, and lazily before a read).
pub fn compact(pool: &DbPool) -> Result<usize, ServiceError> {
    dispatch!(pool, compact())
}

/// Appeals received from `from` to `to` (oral ones at a personal reception excluded), for the
/// annual report's multi-year table; the rollup must be current ([`compact`]).
pub fn appeals_between(pool: &DbPool, org: &str, from: NaiveDate, to: NaiveDate, counting: crate::domain::counting::Counting) -> Result<i64, ServiceError> {
    dispatch!(pool, appeals_between(org, from, to, counting))
}

/// Builds the organization's rollup from its appeals if it has never been built.
pub fn ensure_built(pool: &DbPool, org: &str, local_day: LocalDay, now: NaiveDateTime) -> Result<Option<usize>, ServiceError> {
    if dispatch!(pool, is_built(org))? {
        return Ok(None);
    }
    Ok(Some(dispatch!(pool, rebuild(org, local_day, now))?))
}

/// Rebuilds the organization's rollup from its appeals (returns the delta rows it folded).
pub fn rebuild(pool: &DbPool, org: &str, local_day: LocalDay, now: NaiveDateTime) -> Result<usize, ServiceError> {
    dispatch!(pool, rebuild(org, local_day, now))
}

/// The figures of one slice for each of `periods` (a period and its comparison), from the
/// rollups plus pending deltas (as few year, month and day buckets as `domain::buckets::parts`
/// finds), with the control figures, "overdue now" (open appeals by deadline month; this
/// month's counted live) and, in full, the executors' names: one statement in one read-only
/// snapshot, whatever the number of periods.
pub fn read(pool: &DbPool, periods: &[&Scope], slice: &str, detail: Detail) -> Result<Vec<Tally>, ServiceError> {
    dispatch!(pool, read(periods, slice, detail))
}

/// Whether the organization's rollup has been built, and whether deltas wait to be folded
/// (of any organization): the two questions a statistics read asks first, in one round trip.
pub fn built_and_pending(pool: &DbPool, org: &str) -> Result<(bool, bool), ServiceError> {
    dispatch!(pool, built_and_pending(org))
}

/// Whether the organization's rollup has been built (until then statistics are counted by the
/// scan: exact, only slower).
pub fn is_built(pool: &DbPool, org: &str) -> Result<bool, ServiceError> {
    dispatch!(pool, is_built(org))
}

/// At startup: an organization without appeals has nothing to build, so its rollup is marked
/// built at once and kept by the deltas from the first registration. True when it did.
pub fn mark_built_if_empty(pool: &DbPool, org: &str, now: NaiveDateTime) -> Result<bool, ServiceError> {
    dispatch!(pool, mark_built_if_empty(org, now))
}
