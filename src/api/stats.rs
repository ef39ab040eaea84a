//! `GET /api/v1/stats`: every figure the annual reports quote, for a period beside a comparison
//! period (supervisor, admin).

use crate::edge::ApiError;
use crate::edge::{Caller, Params};
use super::{AppState, ReadProblems};
use crate::domain::roles::Capability;
use crate::domain::validation::FieldError;
use crate::reports::rollup::Tally;
use crate::reports::stats::{self, Names, PeriodOut, Stats};
use crate::store::stats::Scope;
pub use crate::store::stats_deltas::Detail;
use actix_web::{get, web, HttpRequest, HttpResponse};
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

/// Reads the period, the comparison and the filters of a request (the statistics page too).
pub fn scope_of(state: &AppState, caller: &Caller, p: &Params) -> Result<(PeriodOut, Option<PeriodOut>, Scope, usize), ApiError> {
    let bad = |field: &str, message: &str| ApiError::Validation(vec![FieldError { field: field.into(), message: message.into() }]);
    let from = p.date("from")?.ok_or_else(|| bad("from", "укажите начало периода ГГГГ-ММ-ДД"))?;
    let to = p.date("to")?.ok_or_else(|| bad("to", "укажите конец периода ГГГГ-ММ-ДД"))?;
    if to < from {
        return Err(bad("to", "конец периода раньше начала"));
    }
    if (to - from).num_days() > 366 * 10 {
        return Err(bad("to", "период не длиннее 10 лет"));
    }
    let period = PeriodOut { from, to };
    let how = p.one_of("compare", &["previous_year", "previous_period", "none"])?.unwrap_or_else(|| "previous_year".into());
    let compare = match (p.date("compare_from")?, p.date("compare_to")?) {
        (Some(f), Some(t)) if t >= f => Some(PeriodOut { from: f, to: t }),
        (Some(_), Some(_)) => return Err(bad("compare_to", "конец периода сравнения раньше начала")),
        (Some(_), None) => return Err(bad("compare_to", "укажите и конец периода сравнения")),
        (None, Some(_)) => return Err(bad("compare_from", "укажите и начало периода сравнения")),
        (None, None) => comparison(period, &how),
    };
    let channel = p.text("channel", 100)?;
    if let Some(c) = &channel {
        if state.channels.get(c).is_none() {
            return Err(bad("channel", "нет такого канала поступления"));
        }
    }
    let executor_id = p.text("executor_id", 64)?;
    if executor_id.as_deref().is_some_and(|e| uuid::Uuid::parse_str(e).is_err()) {
        return Err(bad("executor_id", "ожидается идентификатор пользователя (UUID)"));
    }
    let scope = Scope {
        org: caller.org.clone(),
        start: state.start_of(from),
        end: state.start_of(to.succ_opt().unwrap_or(to)),
        from,
        to,
        today: state.today(),
        channel,
        section: p.section("section")?,
        executor_id,
        department: p.text("department", 200)?,
        counting: state.settings.statistics,
    };
    let top = p.int("top", 1, 100)?.unwrap_or(10) as usize;
    Ok((period, compare, scope, top))
}

/// Computes the statistics of a request (shared by the JSON endpoint and the annual report).
pub fn compute(state: &AppState, period: PeriodOut, compare: Option<PeriodOut>, scope: &Scope, top: usize) -> Result<Stats, ApiError> {
    compute_for(state, period, compare, scope, top, Detail::Full)
}

/// [`compute`] with only the figures a caller shows ([`Detail::Summary`]: the statistics page,
/// which has no tables by executor). Requests unfiltered or filtered by one of channel, section,
/// executor or department read the rollups (that filter's slice) once they are built; requests
/// combining filters, and every request while the rollup is still being built at startup, count
/// by the scan: the same figures, only slower. Nothing is built inline on a request.
pub fn compute_for(state: &AppState, period: PeriodOut, compare: Option<PeriodOut>, scope: &Scope, top: usize, detail: Detail) -> Result<Stats, ApiError> {
    let how = if rollup_ready(state, &scope.org)? { slice_of(state, scope)?.map(How::Rollup).unwrap_or(How::Scan) } else { How::Scan };
    compute_counted(state, period, compare, scope, top, how, detail)
}

/// The rollup slice that holds exactly the appeals a request's filters keep, or `None` when no
/// single slice does (two filters at once; a department code matching several departments).
pub fn slice_of(state: &AppState, scope: &Scope) -> Result<Option<String>, ApiError> {
    use crate::reports::rollup::slice;
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
pub fn rollup_ready(state: &AppState, org: &str) -> Result<bool, ApiError> {
    if !crate::store::stats_deltas::is_built(&state.pool, org)? {
        return Ok(false);
    }
    crate::store::stats_deltas::compact(&state.pool)?;
    Ok(true)
}

/// Builds the organization's rollup from its appeals unless it is built (at startup, in the
/// background: a million appeals take minutes); returns the rows written when it built.
pub fn build_rollup(state: &AppState, org: &str) -> Result<Option<usize>, ApiError> {
    let local_day = |t: chrono::NaiveDateTime| state.local_date(t.and_utc());
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
pub fn prepare_rollup(state: &AppState, org: &str) -> Result<(), ApiError> {
    build_rollup(state, org)?;
    crate::store::stats_deltas::compact(&state.pool)?;
    Ok(())
}

/// One period's figures, counted the given way.
pub fn tally(state: &AppState, scope: &Scope, how: &How, detail: Detail) -> Result<Tally, ApiError> {
    Ok(match how {
        How::Scan => Tally::from_groups(&crate::store::stats::period(&state.pool, scope)?, scope.counting),
        How::Rollup(slice) => crate::store::stats_deltas::read(&state.pool, scope, slice, detail)?,
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
pub fn compute_with(state: &AppState, period: PeriodOut, compare: Option<PeriodOut>, scope: &Scope, top: usize, way: Counting) -> Result<Stats, ApiError> {
    let how = match way {
        Counting::Scan => How::Scan,
        Counting::Rollup => {
            prepare_rollup(state, &scope.org)?;
            How::Rollup(slice_of(state, scope)?.ok_or_else(|| ApiError::Internal("no rollup slice holds these filters".into()))?)
        }
    };
    compute_counted(state, period, compare, scope, top, how, Detail::Full)
}

/// The statistics counted one way, the rollup taken as it is.
fn compute_counted(state: &AppState, period: PeriodOut, compare: Option<PeriodOut>, scope: &Scope, top: usize, how: How, detail: Detail) -> Result<Stats, ApiError> {
    let cur = tally(state, scope, &how, detail)?;
    let prev = match compare {
        Some(c) => tally(state, &Scope { start: state.start_of(c.from), end: state.start_of(c.to.succ_opt().unwrap_or(c.to)), from: c.from, to: c.to, ..scope.clone() }, &how, detail)?,
        None => Tally::default(),
    };
    // Classifier names from the codes kept in memory (read-locked only while building).
    let classifier = state.codes.read().unwrap_or_else(|e| e.into_inner());
    let channel = |c: &str| state.channels.name_of(c).to_string();
    let names = Names { channel: &channel, classifier: &classifier };
    Ok(stats::build(period, compare, &cur, &prev, &names, top))
}

/// Every figure of the reports for `from`–`to` beside the comparison period.
#[utoipa::path(tag = "reports",
    params(("from" = chrono::NaiveDate, Query, description = "first day, YYYY-MM-DD"), ("to" = chrono::NaiveDate, Query, description = "last day, inclusive"),
           ("compare" = Option<String>, Query, description = "previous_year (default), previous_period or none"),
           ("compare_from" = Option<chrono::NaiveDate>, Query, description = "an explicit comparison period (with compare_to)"), ("compare_to" = Option<chrono::NaiveDate>, Query),
           ("section" = Option<String>, Query, pattern = "^[0-9]{4}$"), ("channel" = Option<String>, Query), ("department" = Option<String>, Query),
           ("executor_id" = Option<String>, Query), ("top" = Option<i64>, Query, minimum = 1, maximum = 100, description = "how many top questions (default 10)")),
    responses((status = 200, body = Stats), ReadProblems))]
#[get("/stats")]
pub async fn get_stats(caller: Caller, state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    caller.require(Capability::Reports)?;
    let p = Params::of(&req)?;
    let (period, compare, scope, top) = scope_of(&state, &caller, &p)?;
    let st = state.clone();
    let s = web::block(move || compute(&st, period, compare, &scope, top)).await??;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(s))
}

/// The annual report: HTML (default), the workbook, or one breakdown as CSV.
#[utoipa::path(tag = "reports",
    params(("year" = i32, Query, minimum = 2000, maximum = 2100), ("format" = Option<String>, Query, description = "html (default), xlsx or csv"),
           ("breakdown" = Option<String>, Query, description = "for csv: by_channel (default), by_form, by_kind, by_legal_regime, by_section, by_topic, by_theme, top_questions, results")),
    responses((status = 200, description = "the report", content(("text/html"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ("text/csv"))), ReadProblems))]
#[get("/reports/annual")]
pub async fn annual_report(caller: Caller, state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    use crate::reports::annual;
    caller.require(Capability::Reports)?;
    let p = Params::of(&req)?;
    let bad = |field: &str, message: &str| ApiError::Validation(vec![FieldError { field: field.into(), message: message.into() }]);
    let y = p.int("year", 2000, 2100)?.ok_or_else(|| bad("year", "укажите год"))? as i32;
    let format = p.one_of("format", &["html", "xlsx", "csv"])?.unwrap_or_else(|| "html".into());
    let names: Vec<&str> = annual::BREAKDOWNS.iter().map(|(n, _)| *n).collect();
    let which = p.one_of("breakdown", &names)?.unwrap_or_else(|| "by_channel".into());
    let period = year(y).ok_or_else(|| bad("year", "нет такого года"))?;
    let compare = year(y - 1);
    let scope = Scope {
        org: caller.org.clone(),
        start: state.start_of(period.from),
        end: state.start_of(period.to.succ_opt().unwrap_or(period.to)),
        from: period.from,
        to: period.to,
        today: state.today(),
        channel: None,
        section: None,
        executor_id: None,
        department: None,
        counting: state.settings.statistics,
    };
    let st = state.clone();
    let (s, years) = web::block(move || -> Result<_, ApiError> {
        let s = compute(&st, period, compare, &scope, 10)?;
        let built = rollup_ready(&st, &scope.org)?;
        let mut years = Vec::new();
        for earlier in (y - 4)..=y {
            let Some(p) = year(earlier) else { continue };
            let n = if built {
                crate::store::stats_deltas::appeals_between(&st.pool, &scope.org, p.from, p.to, scope.counting)?
            } else {
                let end = st.start_of(p.to.succ_opt().unwrap_or(p.to));
                crate::store::stats::appeals_received(&st.pool, &Scope { start: st.start_of(p.from), end, from: p.from, to: p.to, ..scope.clone() })?
            };
            years.push(annual::YearCount { year: earlier, count: n });
        }
        // Years before the registry's first appeal are not "0 appeals": they are unknown.
        while years.first().is_some_and(|c| c.count == 0 && c.year < y) {
            years.remove(0);
        }
        Ok((s, years))
    })
    .await??;
    let prev = Some(y - 1);
    let mut ok = HttpResponse::Ok();
    ok.insert_header(("Cache-Control", "no-store"));
    Ok(match format.as_str() {
        "xlsx" => {
            let bytes = annual::xlsx(&s, y, prev, &years).map_err(|e| ApiError::Internal(e.to_string()))?;
            ok.content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
                .insert_header(("Content-Disposition", format!("attachment; filename=\"appeals-{y}.xlsx\"")))
                .body(bytes)
        }
        "csv" => {
            let lines = annual::breakdown(&s, &which).unwrap_or(&[]);
            ok.content_type("text/csv; charset=utf-8").insert_header(("Content-Disposition", format!("attachment; filename=\"appeals-{y}-{which}.csv\""))).body(annual::csv(lines, y, prev))
        }
        _ => {
            let override_path = state.settings.config_dir.join("templates").join("annual.html");
            let template = std::fs::read_to_string(&override_path).unwrap_or_else(|_| annual::TEMPLATE.to_string());
            let html = annual::html(&template, &state.settings.organization.name, y, prev, &s, &years).map_err(|e| ApiError::Internal(format!("annual template: {e}")))?;
            // A document to keep and print, saved as a file: its own inline style then works
            // outside the service's Content-Security-Policy, which allows none.
            ok.content_type("text/html; charset=utf-8").insert_header(("Content-Disposition", format!("attachment; filename=\"appeals-{y}.html\""))).body(html)
        }
    })
}

/// The first and last day of `year`.
pub fn year(y: i32) -> Option<PeriodOut> {
    Some(PeriodOut { from: NaiveDate::from_ymd_opt(y, 1, 1)?, to: NaiveDate::from_ymd_opt(y, 12, 31)? })
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
