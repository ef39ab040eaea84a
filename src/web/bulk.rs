//! Bulk actions in the pages: the registry, the board and «Мои поручения» carry a checkbox per
//! row and an action bar for the roles that may act; a bar button (`POST /appeals/bulk`) opens
//! the single action's form for the chosen appeals, and that form (`POST /appeals/bulk/do`)
//! runs the same use case as `POST /api/v1/appeals/bulk` and shows what was done and what was
//! refused, each refusal with its reason in Russian and a link to the card. Plain forms with a
//! CSRF token: nothing needs JavaScript.

use crate::domain::error_code::ErrorCode;
use super::bar::BAR;
use super::form::Form;
use super::pages::{executor_choices, leave_reasons, page_with, user_names};
use super::session::{self, check_csrf, PageError, Session};
use crate::edge::ApiError;
use crate::control::bulk::{self, Batch, BulkAction};
use crate::domain::roles::{allows, Capability};
use crate::state::AppState;
use crate::store::bulk::Target;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

/// The chosen appeals of a submitted form: every `id`, once each, in order.
fn chosen(form: &Form) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    form.all("id").into_iter().filter(|id| !id.is_empty() && seen.insert(id.clone())).collect()
}

/// The bar's action named by the form, if the caller's role may take it.
fn bar_action(s: &Session, code: &str) -> Result<BulkAction, PageError> {
    let a = BulkAction::parse(code).filter(|a| BAR.contains(a)).ok_or(ApiError::NotFound)?;
    if !a.open_to_role(s.caller.role) {
        return Err(ApiError::Forbidden(format!("роль «{}» не позволяет действие «{}»", s.caller.role.label(), a.label())).into());
    }
    Ok(a)
}

/// A local path to come back to (the list the appeals were chosen on); anything else is `/`.
fn back_of(form: &Form) -> String {
    let b = form.get("back");
    if b.starts_with('/') && !b.starts_with("//") && !b.contains(['\\', '\r', '\n']) {
        b.to_string()
    } else {
        "/".into()
    }
}

/// (id → (registration number, version)) of the chosen appeals the caller may see.
async fn numbers(state: &web::Data<AppState>, s: &Session, ids: &[String]) -> Result<HashMap<String, (String, i32)>, PageError> {
    if !allows(s.caller.role, Capability::ReadAll) {
        // An executor's batch is the consideration flags only, not offered here.
        return Ok(HashMap::new());
    }
    let valid: Vec<String> = ids.iter().filter(|i| uuid::Uuid::parse_str(i).is_ok()).cloned().collect();
    let (pool, org) = (state.pool.clone(), s.caller.org.clone());
    let rows = web::block(move || crate::store::bulk::numbers(&pool, &org, &valid)).await??;
    Ok(rows.into_iter().map(|(id, number, version)| (id, (number, version))).collect())
}

/// The versions the form was shown with (`v_<id>`), as the card's forms carry theirs: the batch
/// changes only what the clerk saw, and a form sent twice (reloaded) changes nothing twice.
fn versions_of(form: &Form, ids: &[String]) -> HashMap<String, i32> {
    ids.iter().filter_map(|id| form.get(&format!("v_{id}")).parse::<i32>().ok().map(|v| (id.clone(), v))).collect()
}

/// The action's form for the chosen appeals, with what was typed and any errors.
/// `shown`: the versions the form was first shown with (kept when it comes back with errors);
/// `None` takes the current ones.
#[allow(clippy::too_many_arguments)]
async fn render_form(state: &web::Data<AppState>, s: &Session, action: BulkAction, ids: &[String], back: &str, shown: Option<HashMap<String, i32>>, values: Value, errors: BTreeMap<String, String>, status: StatusCode) -> Result<HttpResponse, PageError> {
    let users = user_names(state, &s.caller.org).await?;
    let executors = executor_choices(&users);
    let reasons = leave_reasons();
    let known = numbers(state, s, ids).await?;
    let chosen: Vec<Value> = ids
        .iter()
        .map(|id| {
            let version = match &shown {
                Some(v) => v.get(id).copied(),
                None => known.get(id).map(|k| k.1),
            };
            json!({"id": id, "reg_number": known.get(id).map(|k| &k.0), "version": version})
        })
        .collect();
    let summary: Vec<&String> = errors.values().collect();
    page_with(
        state,
        s,
        "bulk_form.html",
        json!({
            "title": format!("{} — отмечено обращений: {}", action.label(), ids.len()), "action": action.as_str(), "label": action.label(),
            "chosen": chosen, "back": back, "v": values, "errors": errors, "summary": summary, "executors": executors, "reasons": reasons,
        }),
        status,
    )
}

/// `POST /appeals/bulk`: a bar button on a list — the chosen action's form for the chosen
/// appeals (or the list's way back with «Не отмечено ни одного обращения»).
pub async fn choose(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> Result<HttpResponse, PageError> {
    let s = session::require(&req, &state).await?;
    let form = Form::parse(&body)?;
    check_csrf(&s, form.raw("csrf"))?;
    let action = bar_action(&s, form.get("action"))?;
    let ids = chosen(&form);
    let back = back_of(&form);
    let mut errors = BTreeMap::new();
    let mut status = StatusCode::OK;
    if ids.is_empty() {
        errors.insert("ids".to_string(), "Не отмечено ни одного обращения: вернитесь к списку и отметьте нужные.".to_string());
        status = StatusCode::UNPROCESSABLE_ENTITY;
    } else if ids.len() > bulk::MAX_IDS {
        errors.insert("ids".to_string(), format!("За один раз — не больше {} обращений.", bulk::MAX_IDS));
        status = StatusCode::UNPROCESSABLE_ENTITY;
    }
    render_form(&state, &s, action, &ids, &back, None, json!({"days": "30"}), errors, status).await
}

/// The single action's body from the bulk form's fields (the card's forms use the same names).
fn params_of(action: BulkAction, f: &Form) -> Value {
    let opt = |name: &str| match f.get(name) {
        "" => Value::Null,
        v => json!(v),
    };
    match action {
        BulkAction::Assign => {
            let responsible = f.get("responsible").to_string();
            let mut executors = vec![json!({"user_id": responsible, "responsible": true})];
            for co in f.all("co") {
                if !co.is_empty() && co != responsible {
                    executors.push(json!({"user_id": co, "responsible": false}));
                }
            }
            json!({"executors": executors, "instruction": opt("instruction")})
        }
        BulkAction::Extend => json!({"days": f.get("days").parse::<i64>().map(Value::from).unwrap_or_else(|_| json!(f.get("days"))), "reason": f.get("reason")}),
        BulkAction::Forward => json!({"organization": opt("organization"), "reason": opt("reason")}),
        BulkAction::Close => json!({"comment": opt("comment")}),
        BulkAction::LeaveWithoutAnswer => json!({"reason": f.get("reason"), "comment": opt("comment")}),
        BulkAction::Consideration => json!({}),
        BulkAction::Answer => json!({"text": f.get("text"), "result": opt("result")}),
        BulkAction::Approve => json!({"close": f.get("close") != "false"}),
        BulkAction::Dispatch => json!({"sent_on": f.get("sent_on"), "channel": f.get("channel")}),
    }
}

/// A refusal of one appeal as a clerk reads it.
fn reason_ru(e: &ApiError) -> String {
    match e {
        ApiError::NotFound => "обращение не найдено или недоступно вам".into(),
        ApiError::IllegalTransition { current, .. } => format!("в состоянии «{}» это действие невозможно", current.label()),
        ApiError::Precondition { .. } => "карточку изменили, пока вы выбирали: откройте её и повторите".into(),
        ApiError::Conflict { code: ErrorCode::BatchRefused, .. } => "не выполнено: в пакете отказано по другим обращениям".into(),
        other => session::describe(other),
    }
}

/// `POST /appeals/bulk/do`: the action's form submitted — runs the batch and shows its result.
pub async fn apply(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> Result<HttpResponse, PageError> {
    let s = session::require(&req, &state).await?;
    let form = Form::parse(&body)?;
    check_csrf(&s, form.raw("csrf"))?;
    let action = bar_action(&s, form.get("action"))?;
    let ids = chosen(&form);
    let back = back_of(&form);
    let typed: HashMap<&str, String> = ["responsible", "instruction", "days", "reason", "organization", "comment"].into_iter().map(|k| (k, form.get(k).to_string())).collect();
    let mut values = json!(typed);
    values["co"] = json!(form.all("co"));
    let shown = versions_of(&form, &ids);
    let params = crate::edge::bulk::typed_params(action, params_of(action, &form));
    let run = match params {
        Ok(params) => {
            let targets = ids.iter().map(|id| Target { id: id.clone(), if_match: shown.get(id).copied() }).collect();
            let batch = Batch { params, targets, all_or_nothing: false };
            let actor = s.caller.actor();
            let (st, login) = (state.clone(), s.caller.login.clone());
            web::block(move || bulk::run(&st, &actor, &login, batch)).await?.map_err(ApiError::from)
        }
        Err(e) => Err(e),
    };
    let outcome = match run {
        Ok(o) => o,
        Err(ApiError::Validation(errs)) => {
            let mut errors = BTreeMap::new();
            for e in errs {
                let key = e.field.strip_prefix("params.").unwrap_or(&e.field).split(['.', '[']).next().unwrap_or("").to_string();
                errors.entry(key).or_insert(e.message);
            }
            return render_form(&state, &s, action, &ids, &back, Some(shown), values, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        Err(e) => return Err(e.into()),
    };
    let known = numbers(&state, &s, &ids).await?;
    let mut done = Vec::new();
    let mut refused = Vec::new();
    for (id, r) in outcome.rows {
        let number = known.get(&id).map(|k| k.0.clone());
        match r {
            Ok(_) => done.push(json!({"id": id, "reg_number": number})),
            Err(e) => {
                let e = ApiError::from(e);
                // An appeal the caller may not see keeps its number to itself.
                let number = if matches!(e, ApiError::NotFound) { None } else { number };
                refused.push(json!({"id": id, "reg_number": number, "reason": reason_ru(&e), "status": e.status_code().as_u16()}));
            }
        }
    }
    tracing::info!(bulk_id = %outcome.bulk_id, action = action.as_str(), actor = %s.caller.login, done = done.len(), refused = refused.len(), "bulk action (web)");
    page_with(
        &state,
        &s,
        "bulk_result.html",
        json!({"title": format!("{}: результат", action.label()), "label": action.label(), "done": done, "refused": refused, "back": back, "bulk_id": outcome.bulk_id}),
        StatusCode::OK,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Form {
        Form::parse(serde_urlencoded::to_string(pairs).unwrap().as_bytes()).unwrap()
    }

    #[test]
    fn chosen_ids_come_once_each_in_order_and_the_way_back_stays_local() {
        let f = form(&[("id", "b"), ("id", "a"), ("id", "b"), ("id", ""), ("back", "//evil.example/")]);
        assert_eq!(chosen(&f), ["b", "a"]);
        assert_eq!(back_of(&f), "/");
        assert_eq!(back_of(&form(&[("back", "/appeals?status=registered")])), "/appeals?status=registered");
    }

    #[test]
    fn the_form_becomes_the_single_actions_body() {
        let f = form(&[("responsible", "u1"), ("co", "u2"), ("co", "u1"), ("instruction", "")]);
        assert_eq!(params_of(BulkAction::Assign, &f), json!({"executors": [{"user_id": "u1", "responsible": true}, {"user_id": "u2", "responsible": false}], "instruction": null}));
        assert_eq!(params_of(BulkAction::Extend, &form(&[("days", "10"), ("reason", "запрос")])), json!({"days": 10, "reason": "запрос"}));
    }
}
