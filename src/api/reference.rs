//! Reference data: channels, the classifier, users (to pick executors).

use crate::edge::ApiError;
use crate::edge::{Caller, Params};
use super::AppState;
use crate::domain::channels::Channel;
use crate::domain::roles::{Capability, Role};
use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

/// A list of channels.
#[derive(Serialize, ToSchema)]
pub struct ChannelList {
    /// Channels.
    pub items: Vec<Channel>,
}

/// A classifier entry.
#[derive(Serialize, ToSchema)]
pub struct ClassifierItem {
    /// Full code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Level 1–5.
    pub level: i32,
    /// Parent code.
    pub parent: Option<String>,
    /// Section › topic › theme › question: where the entry sits, as a clerk reads it.
    pub path: String,
}

/// Classifier entries.
#[derive(Serialize, ToSchema)]
pub struct ClassifierList {
    /// Entries.
    pub items: Vec<ClassifierItem>,
}

/// A user as others see them.
#[derive(Serialize, ToSchema)]
pub struct UserItem {
    /// Id.
    pub id: String,
    /// Login.
    pub login: String,
    /// Full name.
    pub full_name: String,
    /// Role.
    pub role: String,
    /// E-mail.
    pub email: Option<String>,
    /// Code of the user's department (`GET /api/v1/departments`), if any.
    pub department: Option<String>,
    /// The user's organization.
    pub organization_id: String,
    /// False once disabled: the user's sessions and tokens ended for good.
    pub active: bool,
    /// Failed sign-ins with this login in the last hour (administrators only, and only when
    /// there were any): someone may be guessing the password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_sign_ins: Option<i32>,
}

impl UserItem {
    /// The API view of a stored user and their department's code.
    pub fn from_row(u: crate::store::models::UserRow, department: Option<String>) -> Self {
        UserItem { id: u.id, login: u.login, full_name: u.full_name, role: u.role, email: u.email, department, organization_id: u.organization_id, active: u.active, failed_sign_ins: None }
    }
}

/// Users.
#[derive(Serialize, ToSchema)]
pub struct UserList {
    /// Users.
    pub items: Vec<UserItem>,
}

/// The channel catalog with Russian names.
#[utoipa::path(tag = "reference", responses((status = 200, body = ChannelList), super::ReadProblems))]
#[get("/channels")]
pub async fn channels(_caller: Caller, state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(ChannelList { items: state.channels.all().to_vec() })
}

/// Finds classifier entries by the words people write (Russian stems, ё folded, synonyms),
/// best first, or by code; or lists the children of a code.
#[utoipa::path(tag = "reference",
    params(("q" = Option<String>, Query, description = "words as written on the letter («ямы во дворе», «не горят фонари») or a code or its beginning; questions and sub-questions come first, best match first"),
           ("parent" = Option<String>, Query, description = "list the direct children of this code (with `q`: only those that match)"),
           ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "default 100")),
    responses((status = 200, body = ClassifierList), super::ReadProblems))]
#[get("/classifier")]
pub async fn classifier(caller: Caller, state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let p = Params::of(&req)?;
    let q = p.text("q", 200)?;
    let parent = p.text("parent", 30)?;
    let limit = p.int("limit", 1, 1000)?.unwrap_or(100) as usize;
    let today = state.today(&caller.org);
    let st = state.clone();
    let found = web::block(move || st.classifier.find(&st.pool, &caller.org, today, q.as_deref(), parent.as_deref(), limit)).await??;
    Ok(HttpResponse::Ok().json(ClassifierList { items: found.into_iter().map(|f| ClassifierItem { code: f.code, name: f.name, level: f.level, parent: f.parent, path: f.path }).collect() }))
}

/// Active users of the caller's organization, e.g. `?role=executor` to pick executors;
/// `include_disabled=true` (admins) lists disabled ones too.
#[utoipa::path(tag = "reference",
    params(("role" = Option<Role>, Query), ("include_disabled" = Option<bool>, Query, description = "admins only")),
    responses((status = 200, body = UserList), super::ReadProblems))]
#[get("/users")]
pub async fn users(caller: Caller, state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    caller.require(Capability::ListUsers)?;
    let roles: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
    let p = Params::of(&req)?;
    let role = p.one_of("role", &roles)?;
    let all = p.flag("include_disabled")?.unwrap_or(false);
    if all {
        caller.require(Capability::ManageUsers)?;
    }
    let pool = state.pool.clone();
    let admin = crate::domain::roles::allows(caller.role, Capability::ManageUsers);
    let since = state.now_naive() - chrono::Duration::seconds(crate::auth::throttle::LOGIN_ALARM_QUIET_SECS);
    let (rows, failures) = web::block(move || -> Result<_, crate::store::ServiceError> {
        let rows = crate::store::users::list_users(&pool, &caller.org, role.as_deref(), all)?;
        let failures = if admin {
            let logins: Vec<String> = rows.iter().map(|(u, _)| u.login.clone()).collect();
            crate::store::login_attempts::recent_failures(&pool, &caller.org, &logins, since)?.into_iter().collect()
        } else {
            std::collections::HashMap::new()
        };
        Ok((rows, failures))
    })
    .await??;
    let items = rows
        .into_iter()
        .map(|(u, d)| {
            let failed = failures.get(&u.login).copied().filter(|n| *n > 0);
            UserItem { failed_sign_ins: failed, ..UserItem::from_row(u, d) }
        })
        .collect();
    Ok(HttpResponse::Ok().json(UserList { items }))
}
