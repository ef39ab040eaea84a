//! `GET /api/v1/stats` and the annual report (supervisor, admin): handlers parse, authorize
//! and call the statistics use case (`crate::reports::statistics`).

use crate::edge::ApiError;
use crate::edge::{Caller, Params};
use super::{AppState, ReadProblems};
use crate::domain::roles::Capability;
use crate::domain::validation::FieldError;
use crate::reports::statistics::{self as stats, five_years};
use crate::reports::stats::Stats;
use crate::store::stats::Scope;
use actix_web::{get, web, HttpRequest, HttpResponse};

#[utoipa::path(tag = "reports",
    params(("from" = chrono::NaiveDate, Query, description = "first day, YYYY-MM-DD"), ("to" = chrono::NaiveDate, Query, description = "last day, inclusive"),
           ("compare" = Option<String>, Query, description = "previous_year (default), previous_period or none"),
           ("compare_from" = Option<chrono::NaiveDate>, Query, description = "an explicit comparison period (with compare_to)"), ("compare_to" = Option<chrono::NaiveDate>, Query),
           ("section" = Option<String>, Query, pattern = "^[0-9]{4}$"), ("channel" = Option<String>, Query), ("department" = Option<String>, Query),
           ("executor_id" = Option<String>, Query), ("top" = Option<i64>, Query, minimum = 1, maximum = 100, description = "how many top questions (default 10)"),
           ("organization" = Option<String>, Query, description = "regional roles: an organization's id, or `all` for the region (every figure summed, each compared figure also `by_organization`; an appeal forwarded inside the region counted once)")),
    responses((status = 200, body = Stats), ReadProblems))]
#[get("/stats")]
pub async fn get_stats(caller: Caller, state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    caller.require(Capability::Reports)?;
    let p = Params::of(&req)?;
    let (period, compare, scope, top) = crate::edge::stats::scope_of(&state, &caller, &p)?;
    let region = crate::edge::stats::asks_for_region(&caller, &p, Some(&scope))?;
    let st = state.clone();
    // Read on the replica when there is one (`data_as_of` then says how fresh).
    let s = web::block(move || {
        st.on_reads(crate::store::ServiceError::is_unavailable, |st| {
            if region {
                crate::reports::region::compute(st, period, compare, &scope, &crate::reports::region::organizations(st)?, top)
            } else {
                stats::compute(st, period, compare, &scope, top)
            }
        })
    })
    .await??;
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(s))
}

/// The annual report: HTML (default), the workbook, or one breakdown as CSV.
#[utoipa::path(tag = "reports",
    params(("year" = i32, Query, minimum = 2000, maximum = 2100), ("format" = Option<String>, Query, description = "html (default), xlsx or csv"),
           ("breakdown" = Option<String>, Query, description = "for csv: by_channel (default), by_form, by_kind, by_legal_regime, by_section, by_topic, by_theme, top_questions, results, by_organization (the region's report)"),
           ("organization" = Option<String>, Query, description = "regional roles: an organization's id, or `all` for the region's report with its table by organization")),
    responses((status = 200, description = "the report", content(("text/html"), ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ("text/csv"))), ReadProblems))]
#[get("/reports/annual")]
pub async fn annual_report(caller: Caller, state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    use crate::reports::annual;
    caller.require(Capability::Reports)?;
    let p = Params::of(&req)?;
    let bad = |field: &str, message: &str| ApiError::Validation(vec![FieldError { field: field.into(), message: message.into() }]);
    let y = p.int("year", 2000, 2100)?.ok_or_else(|| bad("year", "укажите год"))? as i32;
    let format = p.one_of("format", &["html", "xlsx", "csv"])?.unwrap_or_else(|| "html".into());
    let names: Vec<&str> = annual::BREAKDOWNS.iter().map(|(n, _)| *n).chain(["by_organization"]).collect();
    let which = p.one_of("breakdown", &names)?.unwrap_or_else(|| "by_channel".into());
    let period = stats::year(y).ok_or_else(|| bad("year", "нет такого года"))?;
    let compare = stats::year(y - 1);
    let region = crate::edge::stats::asks_for_region(&caller, &p, None)?;
    let scope = Scope {
        org: caller.org.clone(),
        start: state.start_of(&caller.org, period.from),
        end: state.start_of(&caller.org, period.to.succ_opt().unwrap_or(period.to)),
        from: period.from,
        to: period.to,
        today: state.today(&caller.org),
        channel: None,
        section: None,
        executor_id: None,
        department: None,
        counting: state.settings.statistics,
    };
    let st = state.clone();
    let (s, years) = web::block(move || {
        st.on_reads(ApiError::is_unavailable, |st| -> Result<_, ApiError> {
            if region {
                use crate::reports::region;
                let orgs = region::organizations(st)?;
                return Ok((region::compute(st, period, compare, &scope, &orgs, 10)?, region::five_years(st, &scope, &orgs, y)?));
            }
            let s = stats::compute(st, period, compare, &scope, 10)?;
            let years = five_years(st, &scope, y)?;
            Ok((s, years))
        })
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
            let orgs = annual::by_organization(&s);
            let lines = if which == "by_organization" { &orgs[..] } else { annual::breakdown(&s, &which).unwrap_or(&[]) };
            ok.content_type("text/csv; charset=utf-8").insert_header(("Content-Disposition", format!("attachment; filename=\"appeals-{y}-{which}.csv\""))).body(annual::csv(lines, y, prev))
        }
        _ => {
            let title = if region { "Организации региона (сводно)".to_string() } else { state.org(&caller.org).name.clone() };
            let html = annual::html(&state.settings.config_dir, &title, y, prev, &s, &years).map_err(|e| ApiError::Internal(format!("annual template: {e}")))?;
            // A document to keep and print, saved as a file: its own inline style then works
            // outside the service's Content-Security-Policy, which allows none.
            ok.content_type("text/html; charset=utf-8").insert_header(("Content-Disposition", format!("attachment; filename=\"appeals-{y}.html\""))).body(html)
        }
    })
}
