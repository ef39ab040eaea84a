//! `GET /api/v1/stats`: every figure the annual reports quote, for a period beside a comparison
//! period (supervisor, admin).

use super::error::ApiError;
use super::extract::{Caller, Params};
use super::{AppState, ReadProblems};
use crate::domain::roles::Capability;
use crate::domain::validation::FieldError;
use crate::reports::stats::{self, Names, PeriodOut, Stats};
use crate::store::stats::{PeriodCounts, Scope};
use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::{Months, NaiveDate};
use std::collections::HashMap;

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

/// Reads the period, the comparison and the filters of a request.
fn scope_of(state: &AppState, caller: &Caller, p: &Params) -> Result<(PeriodOut, Option<PeriodOut>, Scope, usize), ApiError> {
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
    };
    let top = p.int("top", 1, 100)?.unwrap_or(10) as usize;
    Ok((period, compare, scope, top))
}

/// Computes the statistics of a request (shared by the JSON endpoint and the annual report).
pub fn compute(state: &AppState, period: PeriodOut, compare: Option<PeriodOut>, scope: &Scope, top: usize) -> Result<Stats, ApiError> {
    let cur = crate::store::stats::period(&state.pool, scope)?;
    let prev = match compare {
        Some(c) => crate::store::stats::period(&state.pool, &Scope { start: state.start_of(c.from), end: state.start_of(c.to.succ_opt().unwrap_or(c.to)), from: c.from, to: c.to, ..scope.clone() })?,
        None => PeriodCounts::default(),
    };
    let mut codes: Vec<String> = cur.questions.iter().chain(prev.questions.iter()).flat_map(|q| {
        let parts: Vec<&str> = q.code.split('.').collect();
        (1..=parts.len().min(4)).map(move |n| parts[..n].join(".")).collect::<Vec<_>>()
    }).collect();
    codes.sort();
    codes.dedup();
    let classifier: HashMap<String, String> = crate::store::stats::names(&state.pool, &codes)?.into_iter().collect();
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
