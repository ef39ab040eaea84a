//! Signing in and out, the session cookie, CSRF checks, and how page errors are answered.

use crate::edge::{ApiError, Caller};
use crate::domain::roles::Role;
use crate::state::AppState;
use crate::store::sessions::SessionRow;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use serde_json::json;

use crate::edge::caller::SESSION_COOKIE;
/// Name of the sign-in form's double-submit CSRF cookie (there is no session yet to hold it).
pub const LOGIN_COOKIE: &str = "appeals_login";

/// A signed-in user of the pages.
#[derive(Clone, Debug)]
pub struct Session {
    /// The caller, exactly as the API would see them.
    pub caller: Caller,
    /// Full name for the page header.
    pub full_name: String,
    /// The token every form of this session posts back.
    pub csrf: String,
}

/// What a page answers instead of the page.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// Not signed in, or the session ended: back to the sign-in page.
    #[error("sign in")]
    SignIn {
        /// The session existed but ended (expired or signed out).
        expired: bool,
    },
    /// The form came without the session's CSRF token.
    #[error("csrf")]
    Csrf,
    /// An API-style error, shown as a page.
    #[error("{0}")]
    Api(#[from] ApiError),
}

impl From<crate::store::ServiceError> for PageError {
    fn from(e: crate::store::ServiceError) -> Self {
        PageError::Api(e.into())
    }
}

impl From<actix_web::error::BlockingError> for PageError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        PageError::Api(e.into())
    }
}

/// The Russian text of an error a page shows.
pub fn describe(e: &ApiError) -> String {
    match e {
        ApiError::Validation(errs) => errs.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("; "),
        ApiError::NotFound => "Не найдено (или недоступно вам).".into(),
        ApiError::Forbidden(m) | ApiError::BadRequest(m) => m.clone(),
        ApiError::Conflict { detail, .. } => detail.clone(),
        ApiError::IllegalTransition { current, action, .. } => format!("Действие «{}» невозможно в состоянии «{}».", action.label(), current.label()),
        ApiError::Precondition { .. } => "Карточку уже изменили: обновите страницу и повторите.".into(),
        ApiError::Internal(_) => "Внутренняя ошибка. Повторите позже или сообщите администратору.".into(),
        ApiError::Unavailable(_) => "База данных временно недоступна (переключение на резервный сервер). Повторите через несколько секунд; обращение, регистрация которого прервалась, проверьте в реестре.".into(),
        other => other.to_string(),
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> actix_web::http::StatusCode {
        use actix_web::http::StatusCode;
        match self {
            PageError::SignIn { .. } => StatusCode::SEE_OTHER,
            PageError::Csrf => StatusCode::FORBIDDEN,
            PageError::Api(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            PageError::SignIn { expired } => {
                let to = if *expired { "/?expired=1" } else { "/" };
                HttpResponse::SeeOther().insert_header((header::LOCATION, to)).insert_header((header::CACHE_CONTROL, "no-store")).finish()
            }
            PageError::Csrf => plain_page(self.status_code(), "Форма отклонена", "Форма пришла без действительного CSRF-токена (или из другого сеанса). Вернитесь, обновите страницу и отправьте форму снова."),
            PageError::Api(ApiError::Internal(m)) => {
                tracing::error!(error = %m, "page failed");
                plain_page(self.status_code(), "Ошибка", &describe(&ApiError::Internal(String::new())))
            }
            PageError::Api(e) => {
                let title = match e {
                    ApiError::NotFound => "Не найдено",
                    ApiError::Forbidden(_) => "Недоступно",
                    _ => "Ошибка",
                };
                plain_page(self.status_code(), title, &describe(e))
            }
        }
    }
}

/// A minimal page for errors (no template: it must render even when templates are broken).
pub fn plain_page(status: actix_web::http::StatusCode, title: &str, text: &str) -> HttpResponse {
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
    let body = format!(
        "<!doctype html><html lang=\"ru\"><head><meta charset=\"utf-8\"><title>{t}</title><link rel=\"stylesheet\" href=\"/static/app.css\"></head><body><main><h1>{t}</h1><p role=\"alert\">{x}</p><p><a href=\"/\">На главную</a></p></main></body></html>",
        t = esc(title),
        x = esc(text)
    );
    HttpResponse::build(status).insert_header((header::CACHE_CONTROL, "no-store")).content_type("text/html; charset=utf-8").body(body)
}

/// The signed-in session of the request, if any. `Err(SignIn{expired})` tells an ended session
/// from none at all.
pub async fn current(req: &HttpRequest, state: &web::Data<AppState>) -> Result<Option<Session>, PageError> {
    let Some(cookie) = req.cookie(SESSION_COOKIE) else { return Ok(None) };
    let value = cookie.value().to_string();
    if value.len() != 64 || !value.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let hash = crate::auth::hash_token(&value);
    let pool = state.pool.clone();
    let found = web::block(move || crate::store::sessions::find_session(&pool, &hash)).await??;
    let Some((user, s)) = found else { return Ok(None) };
    let now = state.now_naive();
    if s.ended_at.is_some() || s.expires_at <= now || !user.active {
        return Err(PageError::SignIn { expired: true });
    }
    let role = Role::parse(&user.role).ok_or(PageError::SignIn { expired: true })?;
    Ok(Some(Session { caller: Caller { id: user.id, org: user.organization_id, role, login: user.login }, full_name: user.full_name, csrf: s.csrf_token }))
}


/// The cookie holding the organization a regional role reads in the pages (its id).
pub const ORG_COOKIE: &str = "appeals_org";

/// The session, or a redirect to the sign-in page. A regional role reads in the organization
/// it picked (`GET /organization?id=`), as the API's `?organization=ID` does; a pick that no
/// longer names an organization falls back to its own.
pub async fn require(req: &HttpRequest, state: &web::Data<AppState>) -> Result<Session, PageError> {
    let mut s = current(req, state).await?.ok_or(PageError::SignIn { expired: false })?;
    if let Some(picked) = req.cookie(ORG_COOKIE).filter(|_| s.caller.role.regional()) {
        if let Ok(caller) = crate::edge::caller::scoped(state, s.caller.clone(), Some(picked.value().to_string()), true).await {
            s.caller = caller;
        }
    }
    Ok(s)
}

/// `GET /organization?id=`: a regional role picks the organization whose registry, board, cards
/// and statistics the pages show (its own id goes back to its own); 403 for any other role, 404
/// for an id that names no organization.
pub async fn pick_organization(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let s = current(&req, &state).await?.ok_or(PageError::SignIn { expired: false })?;
    if !s.caller.role.regional() {
        return Err(ApiError::Forbidden(format!("роль «{}» работает только со своей организацией", s.caller.role.label())).into());
    }
    let p = crate::edge::Params::of(&req)?;
    let id = p.text("id", 64)?.unwrap_or_default();
    let own = s.caller.org.clone();
    let caller = crate::edge::caller::scoped(&state, s.caller, Some(id), true).await?;
    let mut c = cookie(&state, ORG_COOKIE, caller.org.clone(), None);
    if caller.org == own {
        c.make_removal();
    }
    Ok(HttpResponse::SeeOther().cookie(c).insert_header((header::LOCATION, "/")).finish())
}

/// Refuses a form whose `csrf` field is not this session's token.
pub fn check_csrf(session: &Session, sent: Option<&str>) -> Result<(), PageError> {
    match sent {
        Some(t) if crate::auth::hashes_equal(t, &session.csrf) => Ok(()),
        _ => Err(PageError::Csrf),
    }
}

fn cookie<'a>(state: &AppState, name: &'a str, value: String, max_age: Option<chrono::Duration>) -> Cookie<'a> {
    let mut c = Cookie::build(name, value).path("/").http_only(true).same_site(SameSite::Strict).secure(state.settings.web.secure_cookie).finish();
    if let Some(age) = max_age {
        c.set_max_age(actix_web::cookie::time::Duration::seconds(age.num_seconds()));
    }
    c
}

/// The sign-in page; it sets a fresh double-submit CSRF cookie for its form.
pub fn login_page(state: &AppState, message: Option<&str>, login: &str, status: actix_web::http::StatusCode) -> Result<HttpResponse, PageError> {
    login_page_keeping(state, message, login, None, status)
}

/// The sign-in page carrying a kept draft's token: signing in leads back to the form.
pub fn login_page_keeping(state: &AppState, message: Option<&str>, login: &str, draft: Option<&str>, status: actix_web::http::StatusCode) -> Result<HttpResponse, PageError> {
    let token = crate::auth::random_hex(16);
    let html = state.pages.render_page("login.html", json!({"csrf": token, "message": message, "login": login, "draft": draft, "org_name": state.settings.organization.name})).map_err(ApiError::Internal)?;
    Ok(HttpResponse::build(status)
        .cookie(cookie(state, LOGIN_COOKIE, token, Some(chrono::Duration::hours(12))))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .content_type("text/html; charset=utf-8")
        .body(html))
}

/// How long a form posted after its session ended is kept for its user.
const DRAFT_MINUTES: i64 = 60;

/// The answer to a form posted without a live session: when the browser still holds the
/// ended session's cookie, the form is kept for that user (an hour) and the sign-in page leads
/// back to it; otherwise the sign-in page alone. Nothing of the form is registered or logged.
pub async fn keep_draft(req: &HttpRequest, state: &web::Data<AppState>, body: &web::Bytes) -> Result<HttpResponse, PageError> {
    use actix_web::http::StatusCode;
    let ended = match req.cookie(SESSION_COOKIE).map(|c| c.value().to_string()) {
        Some(v) if v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()) => {
            let (pool, hash) = (state.pool.clone(), crate::auth::hash_token(&v));
            web::block(move || crate::store::sessions::find_session(&pool, &hash)).await??
        }
        _ => None,
    };
    let Some((user, _)) = ended.filter(|(u, _)| u.active) else {
        return login_page(state, Some("Сеанс истёк. Войдите снова."), "", StatusCode::OK);
    };
    let token = crate::auth::random_hex(32);
    let now = state.now_naive();
    let row = crate::store::drafts::DraftRow {
        id: crate::auth::hash_token(&token),
        organization_id: user.organization_id.clone(),
        user_id: user.id.clone(),
        path: req.path().to_string(),
        body: String::from_utf8_lossy(body).into_owned(),
        created_at: now,
        expires_at: now + chrono::Duration::minutes(DRAFT_MINUTES),
    };
    let pool = state.pool.clone();
    web::block(move || crate::store::drafts::save_draft(&pool, &row)).await??;
    tracing::info!(user_id = %user.id, "form kept after the session ended");
    login_page_keeping(state, Some("Сеанс истёк. Войдите снова — введённые данные сохранены."), &user.login, Some(&token), StatusCode::OK)
}

/// Where a kept form comes back after signing in: the registration form, or the card whose
/// action form was posted.
fn draft_return_path(posted: &str, token: &str) -> String {
    match posted.split_once("/do/") {
        Some((card, _)) if card.starts_with("/appeals/") => format!("{card}?draft={token}"),
        _ => format!("/appeals/new?draft={token}"),
    }
}

/// `POST /login`: checks the CSRF pair, the throttle and the password; opens a session.
pub async fn login(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> Result<HttpResponse, PageError> {
    use actix_web::http::StatusCode;
    let form = super::form::Form::parse(&body)?;
    let login = crate::domain::text::login(form.get("login")).unwrap_or_default();
    let password = form.raw("password").unwrap_or("").to_string();
    let pair_ok = match (req.cookie(LOGIN_COOKIE), form.raw("csrf")) {
        (Some(c), Some(sent)) => !sent.is_empty() && crate::auth::hashes_equal(c.value(), sent),
        _ => false,
    };
    if !pair_ok {
        return Err(PageError::Csrf);
    }
    // Counted before the password is checked (see `signin_guard`).
    let attempt = match super::signin_guard::before_password(&req, &state, &login).await? {
        Ok(a) => a,
        Err(wait) => {
            tracing::warn!(login = %login, "sign-in throttled");
            let mut page = login_page(&state, Some(&format!("Слишком много неудачных попыток входа. Повторите через {wait} с.")), &login, StatusCode::TOO_MANY_REQUESTS)?;
            // The wait, for programs as for people.
            if let Ok(v) = header::HeaderValue::from_str(&wait.max(1).to_string()) {
                page.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return Ok(page);
        }
    };
    let (pool, lookup) = (state.pool.clone(), login.clone());
    let checked = web::block(move || -> Result<Option<crate::store::models::UserRow>, crate::store::ServiceError> {
        // Logins are unique in the instance: the login alone names the user and their organization.
        let found = if lookup.is_empty() { None } else { crate::store::sessions::password_of(&pool, &lookup)? };
        let (user, hash) = match found {
            Some((u, h)) => (Some(u), h),
            None => (None, None),
        };
        let ok = crate::auth::verify_password(&password, hash.as_deref());
        Ok(user.filter(|u| ok && u.active))
    })
    .await??;
    super::signin_guard::after_password(&state, attempt, checked.is_some()).await?;
    let Some(user) = checked else {
        tracing::info!(login = %login, "sign-in refused");
        return login_page(&state, Some("Неверный логин или пароль."), &login, StatusCode::UNAUTHORIZED);
    };
    let token = crate::auth::random_hex(32);
    let at = state.now_naive();
    let minutes = state.settings.web.session_minutes.max(1) as i64;
    let row = SessionRow {
        id: crate::store::new_id(),
        organization_id: user.organization_id.clone(),
        user_id: user.id.clone(),
        token_hash: crate::auth::hash_token(&token),
        csrf_token: crate::auth::random_hex(32),
        created_at: at,
        expires_at: at + chrono::Duration::minutes(minutes),
        ended_at: None,
    };
    let pool = state.pool.clone();
    web::block(move || crate::store::sessions::create_session(&pool, &row)).await??;
    tracing::info!(user_id = %user.id, "signed in");
    // A form kept when the last session ended leads back to itself.
    let mut to = "/".to_string();
    let draft = form.get("draft").to_string();
    if draft.len() == 64 && draft.bytes().all(|b| b.is_ascii_hexdigit()) {
        let (pool, id, user_id) = (state.pool.clone(), crate::auth::hash_token(&draft), user.id.clone());
        if let Some(kept) = web::block(move || crate::store::drafts::peek_draft(&pool, &id, &user_id, at)).await?? {
            to = draft_return_path(&kept.path, &draft);
        }
    }
    let mut gone = cookie(&state, LOGIN_COOKIE, String::new(), None);
    gone.make_removal();
    Ok(HttpResponse::SeeOther()
        // The cookie outlives the session by the draft's hour: a form posted just after the
        // session ended still says whose it is (the server refuses the session itself).
        .cookie(cookie(&state, SESSION_COOKIE, token, Some(chrono::Duration::minutes(minutes + DRAFT_MINUTES))))
        .cookie(gone)
        .insert_header((header::LOCATION, to))
        .finish())
}

/// `POST /logout`: ends the session (CSRF-checked) and clears the cookie.
pub async fn logout(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> Result<HttpResponse, PageError> {
    let session = match current(&req, &state).await {
        Ok(Some(s)) => s,
        Ok(None) | Err(PageError::SignIn { .. }) => return Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, "/")).finish()),
        Err(e) => return Err(e),
    };
    let form = super::form::Form::parse(&body)?;
    check_csrf(&session, form.raw("csrf"))?;
    if let Some(c) = req.cookie(SESSION_COOKIE) {
        let hash = crate::auth::hash_token(c.value());
        let (pool, now) = (state.pool.clone(), state.now_naive());
        web::block(move || crate::store::sessions::end_session(&pool, &hash, now)).await??;
    }
    tracing::info!(user_id = %session.caller.id, "signed out");
    let mut gone = cookie(&state, SESSION_COOKIE, String::new(), None);
    gone.make_removal();
    let mut picked = cookie(&state, ORG_COOKIE, String::new(), None);
    picked.make_removal();
    Ok(HttpResponse::SeeOther().cookie(gone).cookie(picked).insert_header((header::LOCATION, "/")).finish())
}
