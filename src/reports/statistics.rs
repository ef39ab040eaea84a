//! The statistics use case: every figure the annual reports quote for a period beside a
//! comparison period, read from the rollups (a filter reads its own slice) or, while they are
//! being built, counted by the scan; and the annual report's multi-year table. The API, the
//! statistics page, the CLI, the benchmarks and the tests all call it.

use crate::reports::annual::YearCount;
use crate::domain::rollup::{fig, Tally};
use super::stats::{self, Names, PeriodOut, Stats};
use crate::state::AppState;
use crate::store::stats::Scope;
use crate::store::ServiceError;
pub use crate::store::stats_deltas::Detail;
use chrono::{Months, NaiveDate};

/// The comparison period of `p`: the same days a year earlier, the period just before, or none.
pub fn comparison(p: PeriodOut, how: &str) -> Option<PeriodOut> {
    match how {
        "previous_year" => Some(PeriodOut { from: p.from.checked_sub_months(Months::new(12))?, to: p.to.checked_sub_months(Months::new(12))? }),
        "previous_period" => {
            let days = (p.to - p.from).num_days() + 1;
            let to = p.from.pred_opt()?;
            Some(PeriodOut { from: to - chrono::Duration::days(days - 1), to })
        }
        _ => None,
    }
}

/// Computes the statistics of a request (shared by the JSON endpoint and the annual report).
pub fn compute(state: &AppState, period: PeriodOut, compare: Option<PeriodOut>, scope: &Scope, top: usize) -> Result<Stats, ServiceError> {
    compute_for(state, period, compare, scope, top, Detail::Full)
}

/// [`compute`] with only the figures a caller shows ([`Detail::Summary`]: the statistics page,
/// which has no tables by executor). Requests unfiltered or filtered by one of channel, section,
/// executor or department read the rollups (that filter's slice) once they are built; requests
/// combining filters, and every request while the rollup is still being built at startup, count
/// by the scan: the same figures, only slower. Nothing is built inline on a request.
pub fn compute_for(state: &AppState, period: PeriodOut, compare: Option<PeriodOut>, scope: &Scope, top: usize, detail: Detail) -> Result<Stats, ServiceError> {
    let how = if rollup_ready(state, &scope.org)? { slice_of(state, scope)?.map(How::Rollup).unwrap_or(How::Scan) } else { How::Scan };
    compute_counted(state, period, compare, scope, top, how, detail)
}

/// The rollup slice that holds exactly the appeals a request's filters keep, or `None` when no
/// single slice does (two filters at once; a department code matching several departments).
pub fn slice_of(state: &AppState, scope: &Scope) -> Result<Option<String>, ServiceError> {
    use crate::domain::rollup::slice;
    let set = [&scope.channel, &scope.section, &scope.executor_id, &scope.department].iter().filter(|f| f.is_some()).count();
    Ok(match (&scope.channel, &scope.section, &scope.executor_id, &scope.department) {
        _ if set == 0 => Some(slice::ALL.to_string()),
        _ if set > 1 => None,
        (Some(c), ..) => Some(slice::channel(c)),
        (_, Some(s), ..) => Some(slice::section(s)),
        (_, _, Some(u), _) => Some(slice::executor(u)),
        (.., Some(d)) => {
            // By code or id, as the scan matches it; a value naming no department reads an
            // empty slice (zeros, as the scan counts).
            let ids = crate::store::users::departments_matching(&state.pool, &scope.org, d)?;
            match ids.as_slice() {
                [] => Some(slice::department(d)),
                [id] => Some(slice::department(id)),
                _ => None,
            }
        }
        _ => None,
    })
}

/// True when the organization's rollup is built; then folds what is pending (usually nothing).
/// Both questions are one statement: a read pays one round trip for them.
pub fn rollup_ready(state: &AppState, org: &str) -> Result<bool, ServiceError> {
    let (built, pending) = crate::store::stats_deltas::built_and_pending(&state.pool, org)?;
    if !built {
        return Ok(false);
    }
    // On the replica the pending deltas are read as they are (the primary folds them).
    if pending && !state.on_replica {
        crate::store::stats_deltas::compact(&state.pool)?;
    }
    Ok(true)
}

/// Builds the organization's rollup from its appeals unless it is built (at startup, in the
/// background: a million appeals take minutes); returns the rows written when it built.
pub fn build_rollup(state: &AppState, org: &str) -> Result<Option<usize>, ServiceError> {
    let local_day = |t: chrono::NaiveDateTime| state.local_date(org, t.and_utc());
    Ok(crate::store::stats_deltas::ensure_built(&state.pool, org, &local_day, state.now_naive())?)
}

/// How a request's figures are counted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum How {
    /// From one slice of the rollups plus pending deltas ([`slice_of`]): a year in well under a
    /// second.
    Rollup(String),
    /// By grouping the period's appeals (combined filters; and the check that both agree).
    Scan,
}

/// Makes the organization's rollup current: built from its appeals if it never was (inline:
/// for tests, benchmarks and `appeals stats rebuild`), then pending deltas folded.
pub fn prepare_rollup(state: &AppState, org: &str) -> Result<(), ServiceError> {
    build_rollup(state, org)?;
    crate::store::stats_deltas::compact(&state.pool)?;
    Ok(())
}

/// The figures of each of `periods` (a period and its comparison), counted the given way: from
/// the rollup in one statement for all of them, or by the scan one period after another.
pub fn tallies(state: &AppState, periods: &[&Scope], how: &How, detail: Detail) -> Result<Vec<Tally>, ServiceError> {
    Ok(match how {
        How::Scan => periods.iter().map(|s| Ok(tally_from_groups(&crate::store::stats::period(&state.pool, s)?, s.counting))).collect::<Result<_, ServiceError>>()?,
        How::Rollup(slice) => crate::store::stats_deltas::read(&state.pool, periods, slice, detail)?,
    })
}

/// Which way the tests and benchmarks ask [`compute_with`] to count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counting {
    /// From the rollup slice of the scope's filter (which must have one).
    Rollup,
    /// By the scan.
    Scan,
}

/// [`compute`] counted the way the caller chooses (the rollup built first if need be): the
/// tests and benchmarks compare both ways with it.
pub fn compute_with(state: &AppState, period: PeriodOut, compare: Option<PeriodOut>, scope: &Scope, top: usize, way: Counting) -> Result<Stats, ServiceError> {
    let how = match way {
        Counting::Scan => How::Scan,
        Counting::Rollup => {
            prepare_rollup(state, &scope.org)?;
            How::Rollup(slice_of(state, scope)?.ok_or_else(|| ServiceError::Invalid(vec![crate::domain::validation::FieldError { field: "filters".into(), message: "ни один срез сводных таблиц не соответствует этим фильтрам".into() }]))?)
        }
    };
    compute_counted(state, period, compare, scope, top, how, Detail::Full)
}

/// The statistics counted one way, the rollup taken as it is.
fn compute_counted(state: &AppState, period: PeriodOut, compare: Option<PeriodOut>, scope: &Scope, top: usize, how: How, detail: Detail) -> Result<Stats, ServiceError> {
    let previous = compare.map(|c| Scope { start: state.start_of(&scope.org, c.from), end: state.start_of(&scope.org, c.to.succ_opt().unwrap_or(c.to)), from: c.from, to: c.to, ..scope.clone() });
    let periods: Vec<&Scope> = std::iter::once(scope).chain(previous.as_ref()).collect();
    let mut counted = tallies(state, &periods, &how, detail)?.into_iter();
    let cur = counted.next().unwrap_or_default();
    let prev = counted.next().unwrap_or_default();
    let mut out = build_named(state, period, compare, &cur, &prev, top);
    out.data_as_of = state.data_as_of();
    if scope.channel.is_none() && scope.section.is_none() && scope.executor_id.is_none() && scope.department.is_none() {
        let count = |s: &Scope| crate::store::campaigns::period_counts(&state.pool, &s.org, s.start, s.end);
        let now = count(scope)?;
        let before = match &previous {
            Some(p) => count(p)?,
            None => (0, 0),
        };
        out.mass = Some(stats::MassFigures { campaigns: stats::Figure::new(now.0, before.0), appeals: stats::Figure::new(now.1, before.1) });
    }
    Ok(out)
}

/// The figures of two tallies, with the names of channels and classifier codes.
pub fn build_named(state: &AppState, period: PeriodOut, compare: Option<PeriodOut>, cur: &Tally, prev: &Tally, top: usize) -> Stats {
    // Classifier names from the codes kept in memory (read-locked only while building).
    let classifier = state.codes.read().unwrap_or_else(|e| e.into_inner());
    let channel = |c: &str| state.channels.name_of(c).to_string();
    let names = Names { channel: &channel, classifier: &classifier };
    stats::build(period, compare, cur, prev, &names, top)
}

/// The multi-year table of the annual report: appeals received in each of the five years up to
/// `y` (from the rollups once built), leaving out the years before the registry's first appeal
/// (unknown, not "0 appeals").
pub fn five_years(state: &AppState, scope: &Scope, y: i32) -> Result<Vec<YearCount>, ServiceError> {
    let built = rollup_ready(state, &scope.org)?;
    let mut years = Vec::new();
    for earlier in (y - 4)..=y {
        let Some(p) = year(earlier) else { continue };
        let n = if built {
            crate::store::stats_deltas::appeals_between(&state.pool, &scope.org, p.from, p.to, scope.counting)?
        } else {
            let end = state.start_of(&scope.org, p.to.succ_opt().unwrap_or(p.to));
            crate::store::stats::appeals_received(&state.pool, &Scope { start: state.start_of(&scope.org, p.from), end, from: p.from, to: p.to, ..scope.clone() })?
        };
        years.push(YearCount { year: earlier, count: n });
    }
    while years.first().is_some_and(|c| c.count == 0 && c.year < y) {
        years.remove(0);
    }
    Ok(years)
}

/// The first and last day of `year`.
pub fn year(y: i32) -> Option<PeriodOut> {
    Some(PeriodOut { from: NaiveDate::from_ymd_opt(y, 1, 1)?, to: NaiveDate::from_ymd_opt(y, 12, 31)? })
}

/// The grouped counts of the scan path, as the rollup's figures: both ways of counting meet in
/// one [`Tally`].
pub fn tally_from_groups(p: &crate::store::stats::PeriodCounts, counting: crate::domain::counting::Counting) -> Tally {
    let mut t = Tally { control: p.control, ..Default::default() };
    for g in &p.appeals {
        let n = g.appeals;
        if counting.in_totals(&g.channel, &g.form) {
            t.add(fig::APPEALS, "", n);
            t.add(fig::CHANNEL, &g.channel, n);
            t.add(fig::FORM, &g.form, n);
            t.add(fig::KIND, &g.kind, n);
            t.add(fig::REGIME, &g.legal_regime, n);
            for (on, figure) in [
                (g.from_organization, fig::FROM_ORG),
                (g.collective, fig::COLLECTIVE),
                (g.repeated, fig::REPEATED),
                (g.late_registration, fig::LATE_REG),
                (g.on_site_check, fig::ON_SITE),
                (g.forwarded != 0, fig::FORWARDED),
                (g.extended != 0, fig::EXTENDED),
                (g.overdue_now != 0, fig::OVERDUE),
            ] {
                if on {
                    t.add(figure, "", n);
                }
            }
            if g.answered != 0 {
                t.add(fig::ANSWERED, &g.answered.to_string(), n);
            }
            if let Some(s) = &g.source_organization {
                t.add(fig::SOURCE, s, n);
            }
            t.add(fig::RETURNED, "", g.returned);
        }
        if g.channel == "personal_reception" {
            if let Some(role) = &g.reception_role {
                t.add(fig::RECEPTION, role, n);
            }
        }
    }
    for q in &p.questions {
        if counting.in_totals(&q.channel, &q.form) {
            t.add(fig::Q, &q.code, q.questions);
            if let Some(r) = &q.result {
                t.add(fig::Q_RESULT, r, q.questions);
            }
        }
        if q.channel == "personal_reception" {
            t.add(fig::Q_RECEPTION, &q.code, q.questions);
        }
    }
    for e in &p.executors {
        t.executors.insert(e.user_id.clone(), (e.full_name.clone(), e.department.clone()));
        t.add(fig::EXEC, &e.user_id, e.appeals);
        if e.extended != 0 {
            t.add(fig::EXEC_EXTENDED, &e.user_id, e.appeals);
        }
        match e.answered {
            1 => t.add(fig::EXEC_ON_TIME, &e.user_id, e.appeals),
            2 => t.add(fig::EXEC_LATE, &e.user_id, e.appeals),
            _ => {}
        }
        if e.overdue_now != 0 {
            t.add(fig::EXEC_OVERDUE, &e.user_id, e.appeals);
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;

    #[test]
    fn comparison_periods() {
        let p = PeriodOut { from: "2024-01-01".parse().unwrap(), to: "2024-12-31".parse().unwrap() };
        assert_eq!(comparison(p, "previous_year"), Some(PeriodOut { from: "2023-01-01".parse().unwrap(), to: "2023-12-31".parse().unwrap() }));
        let q = PeriodOut { from: "2024-03-01".parse().unwrap(), to: "2024-03-31".parse().unwrap() };
        assert_eq!(comparison(q, "previous_period"), Some(PeriodOut { from: "2024-01-30".parse().unwrap(), to: "2024-02-29".parse().unwrap() }));
        assert_eq!(comparison(p, "none"), None);
        assert_eq!(year(2024).unwrap().to.day(), 31);
    }
}
