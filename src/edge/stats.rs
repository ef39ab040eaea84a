//! The statistics requests' query string: the period, the comparison period and the filters,
//! the same for `GET /api/v1/stats` and the statistics page.

use super::caller::Caller;
use super::error::ApiError;
use super::params::Params;
use crate::domain::validation::FieldError;
use crate::reports::statistics::comparison;
use crate::reports::stats::PeriodOut;
use crate::state::AppState;
use crate::store::stats::Scope;

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
        start: state.start_of(&caller.org, from),
        end: state.start_of(&caller.org, to.succ_opt().unwrap_or(to)),
        from,
        to,
        today: state.today(&caller.org),
        channel,
        section: p.section("section")?,
        executor_id,
        department: p.text("department", 200)?,
        counting: state.settings.statistics,
    };
    let top = p.int("top", 1, 100)?.unwrap_or(10) as usize;
    Ok((period, compare, scope, top))
}

/// True when the request asks for the region's figures (`organization=all`), which only a
/// regional role may (403 otherwise); an executor or a department belongs to one organization,
/// so with those filters the region is refused (422 naming the filter).
pub fn asks_for_region(caller: &Caller, p: &Params, scope: Option<&Scope>) -> Result<bool, ApiError> {
    if p.text("organization", 64)?.as_deref() != Some("all") {
        return Ok(false);
    }
    if !caller.role.regional() {
        return Err(ApiError::Forbidden(format!("роль «{}» работает только со своей организацией: статистика по региону ей недоступна", caller.role.label())));
    }
    if let Some(s) = scope {
        for (field, set) in [("executor_id", s.executor_id.is_some()), ("department", s.department.is_some())] {
            if set {
                return Err(ApiError::Validation(vec![FieldError { field: field.into(), message: "по региону (organization=all) этот фильтр не применяется: выберите одну организацию".into() }]));
            }
        }
    }
    Ok(true)
}
