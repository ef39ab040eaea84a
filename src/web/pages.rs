//! The read pages: sign-in or control board at `/`, the registry, the card and its print view,
//! the executor's queue, statistics; the page templates and static files.

use super::session::{self, PageError, Session};
use crate::edge::list::{encode_cursor, filter_from};
use crate::edge::views::{Card, ListItem};
use crate::edge::ApiError;
use crate::edge::Params;
use crate::domain::roles::{allows, Capability, Role};
use crate::domain::workflow::Status;
use crate::state::AppState;
use crate::store::appeals::{CardData, ListFilter};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::Path;

/// Page templates shipped in the binary; `config/templates/web/<name>` replaces one.
const SHIPPED: &[(&str, &str)] = &[
    ("base.html", include_str!("../../config/templates/web/base.html")),
    ("login.html", include_str!("../../config/templates/web/login.html")),
    ("board.html", include_str!("../../config/templates/web/board.html")),
    ("list.html", include_str!("../../config/templates/web/list.html")),
    ("registry.html", include_str!("../../config/templates/web/registry.html")),
    ("me.html", include_str!("../../config/templates/web/me.html")),
    ("new.html", include_str!("../../config/templates/web/new.html")),
    ("card.html", include_str!("../../config/templates/web/card.html")),
    ("print.html", include_str!("../../config/templates/web/print.html")),
    ("statistics.html", include_str!("../../config/templates/web/statistics.html")),
    ("bulk_bar.html", include_str!("../../config/templates/web/bulk_bar.html")),
    ("bulk_form.html", include_str!("../../config/templates/web/bulk_form.html")),
    ("bulk_result.html", include_str!("../../config/templates/web/bulk_result.html")),
];

const CSS: &str = include_str!("../../config/templates/web/app.css");
const JS: &str = include_str!("../../config/templates/web/app.js");

/// The page templates, compiled once at start (HTML auto-escaped).
pub struct Pages {
    env: minijinja::Environment<'static>,
}

impl std::fmt::Debug for Pages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pages")
    }
}

/// `2026-12-23` as a Russian reader writes it, `23.12.2026`; anything that does not start with
/// an ISO date passes unchanged, so a template can apply it to an optional value.
pub fn ru_date(value: minijinja::Value) -> String {
    if value.is_none() || value.is_undefined() {
        return String::new();
    }
    let value = value.to_string();
    match chrono::NaiveDate::parse_from_str(value.get(..10).unwrap_or(""), "%Y-%m-%d") {
        Ok(d) => format!("{}{}", crate::domain::ru::short_date(d), value.get(10..).unwrap_or("")),
        Err(_) => value,
    }
}

/// «7 декабря 2026 г.» for a `YYYY-MM-DD` value (anything else as it is).
pub fn ru_long_date(value: minijinja::Value) -> String {
    if value.is_none() || value.is_undefined() {
        return String::new();
    }
    let text = value.to_string();
    match chrono::NaiveDate::parse_from_str(text.get(..10).unwrap_or(""), "%Y-%m-%d") {
        Ok(d) => crate::domain::ru::long_date(d),
        Err(_) => text,
    }
}

impl Pages {
    /// The environment with the pages' filters and functions, before any template.
    fn environment() -> minijinja::Environment<'static> {
        let mut env = minijinja::Environment::new();
        env.add_filter("ru_date", ru_date);
        env.add_filter("ru_long_date", ru_long_date);
        env.add_filter("ru_number", |n: i64| crate::domain::ru::number(n));
        env.add_filter("ru_period", |from: String, to: String| match (from.parse(), to.parse()) {
            (Ok(f), Ok(t)) => crate::domain::ru::period(f, t),
            _ => format!("{from} — {to}"),
        });
        // Only official classifier codes are shown; internal codes (channels, forms) never are.
        env.add_filter("official_code", |code: String| if crate::domain::classifier::is_code_shape(&code) { code } else { String::new() });
        env.add_function("bulk_actions", super::bar::bar_actions);
        env
    }

    /// The shipped templates only.
    pub fn shipped() -> Self {
        let mut env = Self::environment();
        crate::templates::load_into(&mut env, SHIPPED, None, "").expect("shipped page templates compile");
        Pages { env }
    }

    /// The shipped templates, each replaced by `<config_dir>/templates/web/<name>` where that
    /// file exists; one that does not compile stops the start, not a clerk's page.
    pub fn load(config_dir: &Path) -> Result<Self, String> {
        let mut env = Self::environment();
        crate::templates::load_into(&mut env, SHIPPED, Some(&config_dir.join("templates").join("web")), "")?;
        Ok(Pages { env })
    }

    /// Renders page `name` with `ctx`.
    pub fn render(&self, name: &str, ctx: Value) -> Result<String, ApiError> {
        crate::state::PageTemplates::render_page(self, name, ctx).map_err(ApiError::Internal)
    }
}

impl crate::state::PageTemplates for Pages {
    fn render_page(&self, name: &str, ctx: Value) -> Result<String, String> {
        let tpl = self.env.get_template(name).map_err(|e| format!("template {name}: {e}"))?;
        tpl.render(minijinja::Value::from(minijinja::value::Serde(ctx))).map_err(|e| format!("template {name}: {e:#}"))
    }
}

/// An HTML answer that no browser or proxy stores (pages carry personal data).
pub fn html(status: actix_web::http::StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status).insert_header((header::CACHE_CONTROL, "no-store")).content_type("text/html; charset=utf-8").body(body)
}

/// Renders a page for a signed-in user: `extra` plus the user, the CSRF token and the menu.
pub fn page(state: &AppState, s: &Session, name: &str, extra: Value) -> Result<HttpResponse, PageError> {
    page_with(state, s, name, extra, actix_web::http::StatusCode::OK)
}

/// [`page`] with a status other than 200 (422 for a form with errors).
pub fn page_with(state: &AppState, s: &Session, name: &str, mut extra: Value, status: actix_web::http::StatusCode) -> Result<HttpResponse, PageError> {
    let role = s.caller.role;
    let mut base = json!({
        "user": {"login": s.caller.login, "full_name": s.full_name, "role": role.as_str(), "role_label": role.label()},
        "csrf": s.csrf,
        "nav": {"register": allows(role, Capability::Register), "stats": allows(role, Capability::Reports)},
        "org_name": state.org(&s.caller.org).name,
        "today": state.today(&s.caller.org).to_string(),
    });
    if role.regional() {
        // A regional role picks the organization the pages show, in the header.
        let orgs: Vec<Value> = crate::store::organizations::list(&state.pool).map_err(ApiError::from)?.into_iter().map(|o| json!({"id": o.id, "name": o.name})).collect();
        base["regional"] = json!({"organizations": orgs, "current": s.caller.org});
    }
    if let (Some(obj), Some(b)) = (extra.as_object_mut(), base.as_object()) {
        for (k, v) in b {
            obj.entry(k.clone()).or_insert(v.clone());
        }
    }
    Ok(html(status, state.pages.render_page(name, extra).map_err(ApiError::Internal)?))
}

/// `GET /static/app.css`.
pub async fn css() -> HttpResponse {
    HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "max-age=3600")).content_type("text/css; charset=utf-8").body(CSS)
}

/// `GET /static/app.js`: optional improvements; every page works without it.
pub async fn js() -> HttpResponse {
    HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "max-age=3600")).content_type("text/javascript; charset=utf-8").body(JS)
}

/// The Russian names of the organization's users by id (history, assignments, executor picker).
pub async fn user_names(state: &web::Data<AppState>, org: &str) -> Result<Vec<crate::store::users::UserWithDepartment>, PageError> {
    let (pool, org) = (state.pool.clone(), org.to_string());
    Ok(web::block(move || crate::store::users::list_users(&pool, &org, None, true)).await??)
}

/// List items as the caller may see them (no contacts; related appeals already redacted by
/// the list's query), ready for a template.
fn items(state: &AppState, s: &Session, rows: Vec<CardData>, mut campaigns: HashMap<String, crate::store::campaigns::CampaignSummary>) -> Vec<Value> {
    let today = state.today(&s.caller.org);
    rows.into_iter()
        .map(|c| {
            let campaign = campaigns.remove(&c.appeal.id);
            let mut card = Card::from_data(c, &s.caller.id, s.caller.role, today);
            card.campaign = campaign;
            serde_json::to_value(ListItem(card)).unwrap_or(Value::Null)
        })
        .collect()
}

/// A page of the registry (`queries::lists::registry`).
async fn registry_page(state: &web::Data<AppState>, s: &Session, f: ListFilter) -> Result<crate::queries::lists::Page, PageError> {
    let (st, actor) = (state.clone(), s.caller.actor());
    // The registry and its CSV read the replica when there is one.
    Ok(web::block(move || st.on_reads(crate::store::ServiceError::is_unavailable, |st| crate::queries::lists::registry(st, &actor, f.clone()))).await??)
}

/// `GET /`: the sign-in page, or the control board of the signed-in user.
pub async fn home(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    use actix_web::http::StatusCode;
    let s = match session::current(&req, &state).await {
        Ok(Some(s)) => s,
        Ok(None) => {
            let expired = req.query_string().contains("expired=1");
            let msg = expired.then_some("Сеанс завершён или истёк. Войдите снова.");
            return session::login_page(&state, msg, "", StatusCode::OK);
        }
        Err(PageError::SignIn { .. }) => return session::login_page(&state, Some("Сеанс завершён или истёк. Войдите снова."), "", StatusCode::OK),
        Err(e) => return Err(e),
    };
    board(&state, &s).await
}

/// Most items a board section lists; the count beyond it reads «более N».
const BOARD_ITEMS: i64 = 20;

/// The control board: not assigned → in work → due today → overdue, for the caller's role
/// (an executor sees only what is assigned to them).
async fn board(state: &web::Data<AppState>, s: &Session) -> Result<HttpResponse, PageError> {
    let (st, actor) = (state.clone(), s.caller.actor());
    let board = web::block(move || crate::queries::lists::board(&st, &actor, BOARD_ITEMS)).await??;
    let sections: Vec<Value> = board
        .into_iter()
        .map(|b| json!({"code": b.code, "title": b.title, "link": b.link, "count": b.count, "shown": b.cards.len(), "items": items(state, s, b.cards, b.campaigns)}))
        .collect();
    page(state, s, "board.html", json!({"title": "Ежедневный мониторинг", "sections": sections}))
}

/// Query pairs of the registry's filter form, for links to the next page and the CSV.
fn keep_query(p: &Params, names: &[&str]) -> String {
    let pairs: Vec<(&str, &str)> = names.iter().filter_map(|n| p.raw(n).map(|v| (*n, v))).collect();
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// The registry's filter parameters (the API's, with `q` labelled «Поиск»).
const FILTERS: [&str; 10] = ["q", "status", "channel", "section", "registered_from", "registered_to", "overdue", "due_within_days", "executor_id", "campaign_id"];

/// `GET /appeals`: the registry with the API's filters, keyset paging and a CSV link.
pub async fn registry(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let s = session::require(&req, &state).await?;
    let p = Params::of(&req)?.without_empty();
    let mut error = None;
    let mut rows = Vec::new();
    let mut campaigns = HashMap::new();
    let mut next = None;
    match filter_from(&state, &s.caller, &p) {
        Ok(f) => {
            let page = registry_page(&state, &s, f).await?;
            rows = page.cards;
            campaigns = page.campaigns;
            if page.more {
                next = rows.last().map(encode_cursor);
            }
        }
        Err(e) => error = Some(session::describe(&e)),
    }
    let query = keep_query(&p, &FILTERS);
    let values: HashMap<&str, &str> = FILTERS.iter().filter_map(|n| p.raw(n).map(|v| (*n, v))).collect();
    let statuses: Vec<Value> = Status::ALL.iter().map(|st| json!({"code": st.as_str(), "label": st.label()})).collect();
    let channels: Vec<Value> = state.channels.all().iter().map(|c| json!({"code": c.code, "label": c.name})).collect();
    let status = if error.is_some() { actix_web::http::StatusCode::UNPROCESSABLE_ENTITY } else { actix_web::http::StatusCode::OK };
    page_with(
        &state,
        &s,
        "registry.html",
        json!({
            "title": "Реестр обращений", "items": items(&state, &s, rows, campaigns), "error": error, "f": values,
            "statuses": statuses, "channels": channels, "query": query,
            "next": next.map(|c| if query.is_empty() { format!("cursor={c}") } else { format!("{query}&cursor={c}") }),
        }),
        status,
    )
}

/// Most rows one CSV download carries.
const CSV_MAX_ROWS: usize = 10_000;

/// One CSV field, quoted, with formula starts neutralized (a cell beginning `=` is not run).
fn csv_field(s: &str) -> String {
    crate::csv::quoted(s)
}

/// `GET /registry.csv`: the filtered registry as CSV (`;`, UTF-8 with BOM, for spreadsheets),
/// read page by page through the same keyset query as the registry.
pub async fn registry_csv(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let s = session::require(&req, &state).await?;
    let p = Params::of(&req)?.without_empty();
    let mut f = filter_from(&state, &s.caller, &p)?;
    f.limit = 500;
    f.after = None;
    let mut out = String::from("\u{feff}Рег. номер;Дата регистрации;Канал;Заявители;Краткое содержание;Состояние;Срок;Массовая кампания\r\n");
    let mut n = 0;
    loop {
        let page = registry_page(&state, &s, f.clone()).await?;
        let rows = page.cards;
        let campaigns = page.campaigns;
        let last = rows.last().map(|c| (c.appeal.registered_at, c.appeal.id.clone()));
        let full = page.more;
        for c in &rows {
            let a = &c.appeal;
            let names: Vec<&str> = c.applicants.iter().map(|x| x.full_name.as_str()).collect();
            let status = Status::parse(&a.status).map(|s| s.label()).unwrap_or("");
            let cells = [
                a.reg_number.clone(),
                state.local_date(&a.organization_id, chrono::DateTime::from_naive_utc_and_offset(a.registered_at, chrono::Utc)).format("%d.%m.%Y").to_string(),
                state.channels.name_of(&a.channel).to_string(),
                names.join(", "),
                a.summary.clone(),
                status.to_string(),
                a.due_date.format("%d.%m.%Y").to_string(),
                campaigns.get(&a.id).map(|c| c.title.clone()).unwrap_or_default(),
            ];
            out.push_str(&cells.iter().map(|c| csv_field(c)).collect::<Vec<_>>().join(";"));
            out.push_str("\r\n");
            n += 1;
        }
        if !full || n >= CSV_MAX_ROWS {
            break;
        }
        f.after = last;
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::CONTENT_DISPOSITION, "attachment; filename=\"registry.csv\""))
        .content_type("text/csv; charset=utf-8")
        .body(out))
}

/// `GET /me`: «Мои поручения», the caller's open assignments, nearest deadline first, paged
/// like `GET /api/v1/me/assignments` (`limit` 1–100, default 50; a keyset `cursor` per page).
pub async fn my_queue(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let s = session::require(&req, &state).await?;
    let p = Params::of(&req)?.without_empty();
    let limit = p.int("limit", 1, 100)?.unwrap_or(50);
    let after_due = p.opaque("cursor", 400)?.map(|c| crate::edge::list::decode_due_cursor(&c)).transpose()?;
    let (st, actor) = (state.clone(), s.caller.actor());
    let queue = web::block(move || crate::queries::lists::queue(&st, &actor, None, after_due, limit)).await??;
    let rows = queue.cards;
    let campaigns = queue.campaigns;
    let mut next = None;
    if queue.more {
        next = rows.last().map(|c| {
            let cursor = crate::edge::list::encode_due_cursor(c);
            if p.raw("limit").is_some() { format!("limit={limit}&cursor={cursor}") } else { format!("cursor={cursor}") }
        });
    }
    // The resolution each executor works to, beside the appeal it concerns.
    let users = user_names(&state, &s.caller.org).await?;
    let names: HashMap<&str, &str> = users.iter().map(|(u, _)| (u.id.as_str(), u.full_name.as_str())).collect();
    let resolutions: Vec<Value> = rows.iter().map(|c| resolution(state.get_ref(), c, Some(&s.caller.id), &names)).collect();
    let mut listed = items(&state, &s, rows, campaigns);
    for (item, r) in listed.iter_mut().zip(resolutions) {
        item["resolution"] = r;
    }
    page(&state, &s, "me.html", json!({"title": "Мои поручения", "items": listed, "next": next}))
}

/// The Art. 11 grounds as a form's choices.
pub fn leave_reasons() -> Vec<Value> {
    crate::domain::workflow::LeaveReason::ALL.iter().map(|r| json!({"code": r.as_str(), "label": r.label()})).collect()
}

/// Active users an appeal may be assigned to, as a form's choices (administrators are not).
pub fn executor_choices(users: &[crate::store::users::UserWithDepartment]) -> Vec<Value> {
    users.iter().filter(|(u, _)| u.active && u.role != "admin").map(|(u, _)| json!({"id": u.id, "name": u.full_name, "role": Role::parse(&u.role).map(|r| r.label()).unwrap_or("")})).collect()
}

/// The resolution (поручение) an assignment carries, with who gave it and when: the caller's
/// own assignment when they have one, else the responsible executor's. Null before assignment.
pub fn resolution(state: &AppState, card: &CardData, caller: Option<&str>, names: &HashMap<&str, &str>) -> Value {
    let active: Vec<_> = card.assignments.iter().filter(|a| a.active).collect();
    let chosen = caller.and_then(|me| active.iter().find(|a| a.user_id == me)).or_else(|| active.iter().find(|a| a.responsible)).or(active.first());
    let Some(a) = chosen else { return Value::Null };
    let at = a.assigned_at.and_utc().with_timezone(&state.org(&card.appeal.organization_id).tz());
    json!({
        "text": a.instruction.as_deref().map(str::trim).filter(|t| !t.is_empty()),
        "by": a.assigned_by.as_deref().map(|u| names.get(u).copied().unwrap_or("—")),
        "at": at.format("%d.%m.%Y %H:%M").to_string(),
        "responsible": a.responsible,
    })
}

/// Shows a card the caller may open (404 exactly like the API), the read recorded.
async fn visible_card(state: &web::Data<AppState>, s: &Session, id: &str) -> Result<CardData, PageError> {
    let (st, actor, id) = (state.clone(), s.caller.actor(), id.to_string());
    Ok(web::block(move || crate::queries::card::show(&st, &actor, &id, json!({"via": "web"}))).await??)
}

/// Russian names of history actions.
fn action_label(a: &str) -> &str {
    match a {
        "registered" => "Зарегистрировано",
        "viewed" => "Просмотр карточки",
        "assign" => "Резолюция: назначены исполнители",
        "extend" => "Срок продлён",
        "forward" => "Направлено по компетенции",
        "answer" => "Ответ представлен на проверку",
        "contribute" => "Материалы соисполнителя",
        "approve" => "Ответ утверждён",
        "return" => "Ответ возвращён на доработку",
        "dispatch" => "Ответ отправлен",
        "close" => "Снято с контроля",
        "leave_without_answer" => "Оставлено без ответа",
        "correct" | "correct_finished" => "Исправление карточки",
        "consider" => "Ход рассмотрения",
        other => other,
    }
}

/// Everything the card page and the print view show.
pub async fn card_context(state: &web::Data<AppState>, s: &Session, card: CardData) -> Result<Value, PageError> {
    let pending = card.answers.iter().find(|a| a.status == "pending").map(|a| a.id.clone());
    let dispatchable = card.answers.iter().find(|a| a.status == "approved" && a.outgoing_number.is_none()).map(|a| a.id.clone());
    let (pool, org, id) = (state.pool.clone(), s.caller.org.clone(), card.appeal.id.clone());
    let history = web::block(move || crate::store::history::page(&pool, &org, &id, None, 500)).await??;
    let users = user_names(state, &s.caller.org).await?;
    let names: HashMap<&str, &str> = users.iter().map(|(u, _)| (u.id.as_str(), u.full_name.as_str())).collect();
    let history: Vec<Value> = history
        .iter()
        .filter(|h| h.action != "viewed")
        .map(|h| {
            json!({
                "at": h.at.and_utc().with_timezone(&state.org(&card.appeal.organization_id).tz()).format("%d.%m.%Y %H:%M").to_string(),
                "who": h.actor_id.as_deref().map(|a| names.get(a).copied().unwrap_or("—")).unwrap_or("система"),
                "what": action_label(&h.action),
            })
        })
        .collect();
    let executors = executor_choices(&users);
    let assignees: Vec<Value> = card.assignments.iter().filter(|a| a.active).map(|a| json!({"name": names.get(a.user_id.as_str()).copied().unwrap_or("—"), "responsible": a.responsible})).collect();
    let channel_name = state.channels.name_of(&card.appeal.channel).to_string();
    // The classifier names kept in memory with the codes (as validation and the statistics use them).
    let question_names: HashMap<String, String> = {
        let known = state.codes.read().unwrap_or_else(|e| e.into_inner());
        card.questions.iter().filter_map(|q| known.get(&q.code).map(|n| (q.code.clone(), n.clone()))).collect()
    };
    let resolution_view = resolution(state.get_ref(), &card, Some(&s.caller.id), &names);
    // Re-assignment starts from the current resolution, not from the first name in the list.
    let responsible_id = card.assignments.iter().find(|a| a.active && a.responsible).map(|a| a.user_id.clone());
    let co_ids: Vec<String> = card.assignments.iter().filter(|a| a.active && !a.responsible).map(|a| a.user_id.clone()).collect();
    // The answer under review, with its result per question, for the approval form.
    let under_review = card.answers.iter().find(|a| a.status == "pending").map(|a| {
        let results: Vec<Value> = serde_json::from_str(&a.results).unwrap_or_default();
        let labelled: Vec<Value> = results
            .iter()
            .map(|r| {
                let code = r["code"].as_str().unwrap_or("");
                let label = r["result"].as_str().and_then(crate::domain::appeal::QuestionResult::parse).map(|x| x.label()).unwrap_or("—");
                json!({"code": code, "label": label})
            })
            .collect();
        json!({"text": a.text, "results": labelled, "author": names.get(a.author_id.as_str()).copied().unwrap_or("—")})
    });
    let registered_on = state.local_date(&card.appeal.organization_id, card.appeal.registered_at.and_utc());
    let campaign = crate::store::campaigns::of_appeal(&state.pool, &s.caller.org, &card.appeal.id, s.caller.actor().confined_to().as_deref())?;
    let mut view = Card::from_data(card, &s.caller.id, s.caller.role, state.today(&s.caller.org));
    view.campaign = campaign;
    let allowed: Vec<&str> = view.allowed_actions.iter().map(|a| a.as_str()).collect();
    // The action forms the card shows (an action without a form of its own shows none, so the
    // «Действия» heading never stands over nothing).
    let forms: Vec<&str> = allowed
        .iter()
        .copied()
        .filter(|a| match *a {
            "approve" | "return" => pending.is_some(),
            "dispatch" => dispatchable.is_some(),
            other => ["assign", "answer", "extend", "forward", "close", "leave_without_answer"].contains(&other),
        })
        .collect();
    use crate::domain::appeal::QuestionResult as R;
    let results: Vec<Value> = [R::Supported, R::SupportedMeasuresTaken, R::Explained, R::NotSupported, R::Answered]
        .iter()
        .map(|r| json!({"code": r.as_str(), "label": r.label()}))
        .collect();
    let reasons = leave_reasons();
    // The other active organizations of the instance, for forwarding with a card of their own.
    let organizations: Vec<Value> = if allowed.contains(&"forward") {
        let (pool, own) = (state.pool.clone(), s.caller.org.clone());
        web::block(move || crate::store::organizations::list(&pool)).await??.into_iter().filter(|o| o.active && o.id != own).map(|o| json!({"id": o.id, "name": o.name})).collect()
    } else {
        Vec::new()
    };
    Ok(json!({
        "organizations": organizations,
        "card": view, "allowed": allowed, "history": history, "executors": executors, "assignees": assignees,
        "pending_answer_id": pending, "dispatch_answer_id": dispatchable, "results": results, "reasons": reasons,
        "channel_name": channel_name, "question_names": question_names,
        "resolution": resolution_view,
        "responsible_id": responsible_id, "co_ids": co_ids, "under_review": under_review,
        "registered_on": registered_on.to_string(), "forms": forms,
    }))
}

/// `GET /appeals/{id}`: the card, its deadline and history, and forms for exactly the actions
/// the card's `allowed_actions` lists for the caller.
pub async fn card(req: HttpRequest, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, PageError> {
    let s = session::require(&req, &state).await?;
    let card = visible_card(&state, &s, &id).await?;
    let mut ctx = card_context(&state, &s, card).await?;
    let q = Params::of(&req).ok();
    ctx["done"] = json!(q.as_ref().and_then(|p| p.raw("done").map(String::from)));
    // An action form kept when the session ended comes back filled in, not sent.
    if let Some(token) = q.as_ref().and_then(|p| p.raw("draft")).filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit())) {
        let (pool, hid, user, now) = (state.pool.clone(), crate::auth::hash_token(token), s.caller.id.clone(), state.now_naive());
        if let Some(kept) = web::block(move || crate::store::drafts::take_draft(&pool, &hid, &user, now)).await?? {
            let action = kept.path.rsplit('/').next().unwrap_or("").to_string();
            let fields: serde_json::Map<String, Value> = serde_urlencoded::from_str::<Vec<(String, String)>>(&kept.body)
                .unwrap_or_default()
                .into_iter()
                .filter(|(k, _)| !matches!(k.as_str(), "csrf" | "version"))
                .map(|(k, v)| (k, Value::String(v)))
                .collect();
            ctx["draft"] = json!({"action": action, "fields": fields});
        }
    }
    ctx["title"] = json!(format!("Обращение {}", ctx["card"]["reg_number"].as_str().unwrap_or("")));
    page(&state, &s, "card.html", ctx)
}

/// Renders the card page with an action's error beside its form (422).
pub async fn card_with_error(state: &web::Data<AppState>, s: &Session, id: &str, action: &str, error: String) -> Result<HttpResponse, PageError> {
    let card = visible_card(state, s, id).await?;
    let mut ctx = card_context(state, s, card).await?;
    ctx["error"] = json!({"action": action, "text": error});
    ctx["title"] = json!(format!("Обращение {}", ctx["card"]["reg_number"].as_str().unwrap_or("")));
    page_with(state, s, "card.html", ctx, actix_web::http::StatusCode::UNPROCESSABLE_ENTITY)
}

/// `GET /appeals/{id}/print`: the registration card and the resolution for paper.
pub async fn print(req: HttpRequest, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, PageError> {
    let s = session::require(&req, &state).await?;
    let card = visible_card(&state, &s, &id).await?;
    let mut ctx = card_context(&state, &s, card).await?;
    ctx["title"] = json!("Регистрационно-контрольная карточка");
    page(&state, &s, "print.html", ctx)
}

/// `GET /statistics`: the period picker, the tables, and links to the reports' files. A regional
/// role also picks the organization (from the header's list, [`page_with`]'s `regional`): one of
/// the instance's, or the whole region (`all`), whose figures are summed with a table by
/// organization, as `GET /api/v1/stats?organization=all`.
pub async fn statistics(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let s = session::require(&req, &state).await?;
    s.caller.require(Capability::Reports)?;
    let p = Params::of(&req)?.without_empty();
    let regional = s.caller.role.regional();
    let organization = if regional { p.raw("organization").map(String::from) } else { None };
    let caller = crate::edge::caller::scoped(&state, s.caller.clone(), organization.clone(), true).await?;
    let today = state.today(&caller.org);
    use chrono::Datelike;
    let from = p.raw("from").map(String::from).unwrap_or_else(|| format!("{}-01-01", today.year()));
    let to = p.raw("to").map(String::from).unwrap_or_else(|| today.to_string());
    let mut pairs = vec![("from", from.as_str()), ("to", to.as_str()), ("compare", "previous_year")];
    if let Some(o) = organization.as_deref() {
        pairs.push(("organization", o));
    }
    let params = Params::from_pairs(&pairs);
    let mut error = None;
    let mut stats = Value::Null;
    let (mut channel_chart, mut section_chart) = (String::new(), String::new());
    let scope = crate::edge::stats::scope_of(&state, &caller, &params).and_then(|(period, compare, scope, top)| {
        let region = crate::edge::stats::asks_for_region(&caller, &params, Some(&scope))?;
        Ok((period, compare, scope, top, region))
    });
    match scope {
        Ok((period, compare, scope, top, region)) => {
            let st = state.clone();
            // The page shows no tables by executor, so it does not read them.
            let computed = web::block(move || {
                st.on_reads(crate::store::ServiceError::is_unavailable, |st| {
                    if region {
                        crate::reports::region::compute(st, period, compare, &scope, &crate::reports::region::organizations(st)?, top)
                    } else {
                        crate::reports::statistics::compute_for(st, period, compare, &scope, top, crate::reports::statistics::Detail::Summary)
                    }
                })
            });
            match computed.await? {
                Ok(mut v) => {
                    // The page shows no theme, topic, source or form tables: not rendered, not converted.
                    (v.by_topic, v.by_theme, v.by_source, v.by_form, v.by_legal_regime) = Default::default();
                    // The annual report's own inline SVG charts, so both show the same pictures.
                    // (An empty period draws no empty figure.)
                    let chart = |lines: &[crate::reports::stats::Line], limit| if lines.iter().any(|l| l.current > 0) { crate::reports::annual::bar_chart(lines, limit) } else { String::new() };
                    channel_chart = chart(&v.by_channel, 12);
                    section_chart = chart(&v.by_section, 5);
                    stats = serde_json::to_value(v).unwrap_or(Value::Null)
                }
                Err(e) => error = Some(session::describe(&ApiError::from(e))),
            }
        }
        Err(e) => error = Some(session::describe(&e)),
    }
    let chosen = organization.unwrap_or_else(|| caller.org.clone());
    // The report links carry the choice (an id or `all`, checked above), so the files are the
    // region's or that body's.
    let of = if regional { format!("&organization={chosen}") } else { String::new() };
    let year = from.get(..4).and_then(|y| y.parse::<i32>().ok()).unwrap_or(today.year());
    let month = to.get(..7).unwrap_or("").to_string();
    let month_label = format!("{month}-01").parse::<chrono::NaiveDate>().map(crate::domain::ru::month).unwrap_or_default();
    page(&state, &s, "statistics.html", json!({"title": "Статистика", "from": from, "to": to, "stats": stats, "error": error, "year": year, "month": month, "month_label": month_label, "channel_chart": channel_chart, "section_chart": section_chart,
        "organization": chosen, "region": chosen == "all", "of": of}))
}

/// `GET /classifier/suggest?q=`: classifier entries matching words, for the form's script.
pub async fn suggest(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let s = session::require(&req, &state).await?;
    let p = Params::of(&req)?;
    let Some(q) = p.text("q", 100)? else { return Ok(HttpResponse::Ok().json(json!([]))) };
    let st = state.clone();
    let (org, today) = (s.caller.org.clone(), state.today(&s.caller.org));
    let found = web::block(move || st.classifier.find(&st.pool, &org, today, Some(&q), None, 15)).await??;
    let out: Vec<Value> = found.into_iter().filter(|f| crate::domain::classifier::is_question_level(&f.code)).map(|f| json!({"code": f.code, "name": f.name, "path": f.path})).collect();
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_the_russian_way() {
        assert_eq!(ru_date(minijinja::Value::from("2026-12-23")), "23.12.2026");
        assert_eq!(ru_date(minijinja::Value::from("2026-12-23 20:32")), "23.12.2026 20:32");
        assert_eq!(ru_date(minijinja::Value::from("не дата")), "не дата");
        assert_eq!(ru_date(minijinja::Value::from(())), "");
    }

    #[test]
    fn shipped_pages_compile_and_escape() {
        let p = Pages::shipped();
        let base = json!({"title": "T", "org_name": "О", "csrf": "c", "today": "2025-03-03",
            "user": {"login": "u", "full_name": "<b>Иванов</b>", "role": "clerk", "role_label": "Делопроизводитель"},
            "nav": {"register": true, "stats": false}});
        let mut ctx = base.clone();
        ctx["items"] = json!([]);
        ctx["full"] = json!(false);
        let html = p.render("me.html", ctx).unwrap();
        assert!(html.contains("&lt;b&gt;Иванов") && !html.contains("<b>"));
        assert!(!html.contains("/statistics"));
        let html = p.render("login.html", json!({"csrf": "t", "message": null, "login": "", "org_name": "О"})).unwrap();
        assert!(html.contains("Войти"));
    }

    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(csv_field("a\"b"), "\"a\"\"b\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "\"'=HYPERLINK(1)\"");
    }
}
