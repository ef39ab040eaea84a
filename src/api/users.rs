//! User administration over the API: create a user with a token, change a user's role, state
//! or department, revoke a user's tokens; the organization's directory of departments.

use crate::domain::error_code::ErrorCode;
use crate::edge::ApiError;
use crate::edge::{Caller, ValidJson};
use super::reference::UserItem;
use super::{AppState, ReadProblems, WriteProblems};
use crate::domain::roles::{Capability, Role};
use crate::domain::validation::{is_email, Errors};
use actix_web::{get, patch, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A new user.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    /// Login, unique in the instance (every organization's users sign in on one page).
    pub login: String,
    /// Role.
    pub role: Role,
    /// Full name.
    pub full_name: String,
    /// E-mail for notifications.
    #[serde(default)]
    pub email: Option<String>,
    /// The token expires after this many days (none: until revoked).
    #[serde(default)]
    pub token_days: Option<u32>,
    /// The user's organization (default: the caller's). A regional administrator names any
    /// organization of the instance; an organization's administrator only its own (403).
    #[serde(default)]
    pub organization_id: Option<String>,
}

/// The created user and its token, shown this once.
#[derive(Serialize, ToSchema)]
pub struct CreatedUser {
    /// The user.
    pub user: UserItem,
    /// API token; only its hash is stored.
    pub token: String,
    /// When the token expires.
    pub token_expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// How many tokens were revoked.
#[derive(Serialize, ToSchema)]
pub struct Revoked {
    /// Count.
    pub revoked: usize,
}

/// Creates a user and returns its API token once (admin).
#[utoipa::path(tag = "users", request_body = NewUserBody,
    responses((status = 201, body = CreatedUser), WriteProblems))]
#[post("/users")]
pub async fn create_user(caller: Caller, state: web::Data<AppState>, body: ValidJson<NewUserBody>) -> Result<HttpResponse, ApiError> {
    caller.require(Capability::ManageUsers)?;
    let b = body.0;
    may_grant(&caller, b.role)?;
    let org = match b.organization_id.as_deref().map(str::trim) {
        None | Some("") => caller.org.clone(),
        Some(o) => {
            if !super::organizations::may_add_users_to(&caller, o) {
                return Err(ApiError::Forbidden("администратор организации создаёт пользователей только своей организации".into()));
            }
            let st = state.clone();
            let lookup = o.to_string();
            let found = if uuid::Uuid::parse_str(o).is_ok() { web::block(move || st.find_org(&lookup)).await?? } else { None };
            match found {
                Some(f) => f.id.clone(),
                None => return Err(ApiError::Validation(vec![crate::domain::validation::FieldError { field: "organization_id".into(), message: "нет такой организации".into() }])),
            }
        }
    };
    let mut e = Errors::default();
    let login = crate::domain::text::login(&b.login).map_err(|m| e.add("login", m)).unwrap_or_default();
    e.text("full_name", &b.full_name, 300);
    if let Some(m) = &b.email {
        if !is_email(m) {
            e.add("email", "некорректный адрес электронной почты");
        }
    }
    if b.token_days.is_some_and(|d| d == 0 || d > 3650) {
        e.add("token_days", "от 1 до 3650 дней");
    }
    e.finish().map_err(ApiError::Validation)?;
    let (token, hash) = crate::auth::generate_token();
    let now = state.now_naive();
    let expires = b.token_days.map(|d| now + chrono::Duration::days(d as i64));
    let user = crate::store::users::NewUser { login, full_name: b.full_name.trim().into(), role: b.role.as_str().into(), email: b.email.clone() };
    let pool = state.pool.clone();
    let row = web::block(move || crate::store::users::create_user(&pool, &org, &user, &hash, now, expires)).await?.map_err(|e| {
        if e.is_unique_violation() {
            ApiError::Conflict { code: ErrorCode::LoginTaken, detail: "логин занят (логины уникальны во всём экземпляре)".into(), extra: serde_json::json!({"field": "login"}) }
        } else {
            e.into()
        }
    })?;
    tracing::info!(user_id = %row.id, role = %row.role, actor = %caller.login, "user created");
    Ok(HttpResponse::Created().json(CreatedUser {
        user: UserItem::from_row(row, None),
        token,
        token_expires_at: expires.map(|t| chrono::DateTime::from_naive_utc_and_offset(t, chrono::Utc)),
    }))
}

/// Revokes every token of a user at once (admin): the next request with them is refused.
/// Not one's own (422): that would lock the administrator out.
#[utoipa::path(tag = "users", params(("id" = String, Path, description = "user id")),
    responses((status = 200, body = Revoked), ReadProblems))]
#[post("/users/{id}/revoke-tokens")]
pub async fn revoke_tokens(caller: Caller, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    caller.require(Capability::ManageUsers)?;
    let id = id.into_inner();
    if uuid::Uuid::parse_str(&id).is_err() {
        return Err(ApiError::NotFound);
    }
    if id == caller.id {
        // The request's own token would die with the others and lock the administrator out.
        return Err(ApiError::Validation(vec![crate::domain::validation::FieldError {
            field: "id".into(),
            message: "свои токены отзывает другой администратор или команда appeals user token на сервере".into(),
        }]));
    }
    let pool = state.pool.clone();
    let org = caller.org.clone();
    let now = state.now_naive();
    let target = id.clone();
    let revoked = web::block(move || -> Result<usize, crate::store::ServiceError> {
        if crate::store::users::users_by_ids(&pool, &org, std::slice::from_ref(&target))?.is_empty() {
            return Err(crate::store::ServiceError::NotFound);
        }
        crate::store::users::revoke_tokens(&pool, &org, &target, now)
    })
    .await??;
    tracing::info!(user_id = %id, revoked, actor = %caller.login, "tokens revoked");
    Ok(HttpResponse::Ok().json(Revoked { revoked }))
}

/// What an administrator changes about a user; absent fields stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    /// New role.
    #[serde(default)]
    pub role: Option<Role>,
    /// `false` disables the user (their tokens stop working at once), `true` enables again.
    #[serde(default)]
    pub active: Option<bool>,
    /// Department code from `GET /api/v1/departments`; `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub department: Option<Option<String>>,
    /// A new password for the web pages (8–200 characters; stored only as an argon2 hash);
    /// setting it ends the user's open sessions.
    #[serde(default)]
    pub password: Option<String>,
}

/// Tells a JSON `null` (clear) from an absent member (keep).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// Changes a user's role, state or department (admin). An administrator cannot disable or
/// demote themselves, so an organization never locks its last administrator out by accident.
#[utoipa::path(tag = "users", request_body = UserPatch, params(("id" = String, Path, description = "user id")),
    responses((status = 200, body = UserItem), WriteProblems, (status = 404, description = "no such user", body = super::Problem, content_type = "application/problem+json")))]
#[patch("/users/{id}")]
pub async fn update_user(caller: Caller, state: web::Data<AppState>, id: web::Path<String>, body: ValidJson<UserPatch>) -> Result<HttpResponse, ApiError> {
    caller.require(Capability::ManageUsers)?;
    let id = id.into_inner();
    if uuid::Uuid::parse_str(&id).is_err() {
        return Err(ApiError::NotFound);
    }
    let b = body.0;
    if let Some(r) = b.role {
        may_grant(&caller, r)?;
    }
    let mut e = Errors::default();
    if id == caller.id && (b.active == Some(false) || b.role.is_some_and(|r| r != caller.role)) {
        e.add(if b.active == Some(false) { "active" } else { "role" }, "нельзя отключить или понизить собственную учётную запись администратора");
    }
    let department = match &b.department {
        Some(Some(code)) => match crate::domain::text::code(code) {
            Ok(c) => Some(Some(c)),
            Err(m) => {
                e.add("department", m);
                None
            }
        },
        Some(None) => Some(None),
        None => None,
    };
    if let Some(problem) = b.password.as_deref().and_then(crate::auth::password_problem) {
        e.add("password", problem);
    }
    e.finish().map_err(ApiError::Validation)?;
    // Hashing is deliberately slow: off the async executor.
    let password_hash = match b.password.clone() {
        Some(p) => Some(web::block(move || crate::auth::hash_password(&p)).await?.map_err(ApiError::Internal)?),
        None => None,
    };
    let now = state.now_naive();
    let pool = state.pool.clone();
    let org = caller.org.clone();
    let target = id.clone();
    let role = b.role.map(|r| r.as_str().to_string());
    let tz = state.org(&caller.org).tz();
    let (row, dept) = web::block(move || -> Result<_, ApiError> {
        let department_id = match department {
            Some(Some(code)) => match crate::store::users::department_by_code(&pool, &org, &code)? {
                Some(d) => Some(Some(d.id)),
                None => return Err(ApiError::Validation(vec![crate::domain::validation::FieldError { field: "department".into(), message: format!("отдел с кодом «{code}» не найден") }])),
            },
            other => other.map(|_| None),
        };
        // One transaction: the role/state/department change and the new password land together or not at all.
        let change = crate::store::users::UserChange { role, active: b.active, department_id, password: password_hash.map(|h| (h, now)), at: Some(now), time_zone: Some(tz) };
        Ok(crate::store::users::update_user(&pool, &org, &target, &change)?)
    })
    .await??;
    tracing::info!(user_id = %id, role = %row.role, active = row.active, department = ?dept, password_set = b.password.is_some(), actor = %caller.login, "user changed");
    Ok(HttpResponse::Ok().json(UserItem::from_row(row, dept)))
}

/// A department of the organization.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Department {
    /// Short code, e.g. `oog` (ASCII letters, digits, `.`, `_`, `-`).
    pub code: String,
    /// Name, e.g. «Отдел по работе с обращениями граждан».
    pub name: String,
}

/// The organization's departments.
#[derive(Serialize, ToSchema)]
pub struct DepartmentList {
    /// Departments by code.
    pub items: Vec<Department>,
}

/// The directory of the organization's departments, which users belong to and statistics break
/// timeliness down by.
#[utoipa::path(tag = "users", responses((status = 200, body = DepartmentList), ReadProblems))]
#[get("/departments")]
pub async fn departments(caller: Caller, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    caller.require(Capability::ListUsers)?;
    let pool = state.pool.clone();
    let rows = web::block(move || crate::store::users::list_departments(&pool, &caller.org)).await??;
    Ok(HttpResponse::Ok().json(DepartmentList { items: rows.into_iter().map(|d| Department { code: d.code, name: d.name }).collect() }))
}

/// Adds a department (admin); a taken code answers 409.
#[utoipa::path(tag = "users", request_body = Department, responses((status = 201, body = Department), WriteProblems))]
#[post("/departments")]
pub async fn create_department(caller: Caller, state: web::Data<AppState>, body: ValidJson<Department>) -> Result<HttpResponse, ApiError> {
    caller.require(Capability::ManageUsers)?;
    let b = body.0;
    let mut e = Errors::default();
    let code = crate::domain::text::code(&b.code).map_err(|m| e.add("code", m)).unwrap_or_default();
    e.text("name", &b.name, 300);
    e.finish().map_err(ApiError::Validation)?;
    let row = crate::store::models::DepartmentRow { id: crate::store::new_id(), organization_id: caller.org.clone(), code, name: b.name.trim().to_string(), created_at: state.now_naive() };
    let out = Department { code: row.code.clone(), name: row.name.clone() };
    let pool = state.pool.clone();
    web::block(move || crate::store::users::create_department(&pool, &row)).await?.map_err(|e| {
        if e.is_unique_violation() {
            ApiError::Conflict { code: ErrorCode::DepartmentCodeTaken, detail: "отдел с таким кодом уже есть".into(), extra: serde_json::json!({"field": "code"}) }
        } else {
            e.into()
        }
    })?;
    tracing::info!(code = %out.code, actor = %caller.login, "department created");
    Ok(HttpResponse::Created().json(out))
}

/// 403 unless the caller may give `role`: the region's roles only a regional administrator
/// gives, so an organization's administrator cannot raise anyone above their organization.
fn may_grant(caller: &Caller, role: Role) -> Result<(), ApiError> {
    if role.regional() && !crate::domain::roles::allows(caller.role, Capability::ManageOrganizations) {
        return Err(ApiError::Forbidden(format!("роль «{}» назначает только администратор региона", role.label())));
    }
    Ok(())
}
