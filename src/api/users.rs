//! User administration over the API: create a user with a token, revoke a user's tokens.

use super::error::ApiError;
use super::extract::{Caller, ValidJson};
use super::reference::UserItem;
use super::{AppState, ReadProblems, WriteProblems};
use crate::domain::roles::{Capability, Role};
use crate::domain::validation::{is_email, Errors};
use actix_web::{post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A new user.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    /// Login, unique in the organization.
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
    let org = caller.org.clone();
    let row = web::block(move || crate::store::users::create_user(&pool, &org, &user, &hash, now, expires)).await?.map_err(|e| {
        if e.is_unique_violation() {
            ApiError::Conflict { detail: "логин занят".into(), extra: serde_json::json!({"field": "login"}) }
        } else {
            e.into()
        }
    })?;
    tracing::info!(user_id = %row.id, role = %row.role, actor = %caller.login, "user created");
    Ok(HttpResponse::Created().json(CreatedUser {
        user: UserItem { id: row.id, login: row.login, full_name: row.full_name, role: row.role, email: row.email },
        token,
        token_expires_at: expires.map(|t| chrono::DateTime::from_naive_utc_and_offset(t, chrono::Utc)),
    }))
}

/// Revokes every token of a user at once (admin): the next request with them is refused.
#[utoipa::path(tag = "users", params(("id" = String, Path, description = "user id")),
    responses((status = 200, body = Revoked), ReadProblems))]
#[post("/users/{id}/revoke-tokens")]
pub async fn revoke_tokens(caller: Caller, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    caller.require(Capability::ManageUsers)?;
    let id = id.into_inner();
    if uuid::Uuid::parse_str(&id).is_err() {
        return Err(ApiError::NotFound);
    }
    let pool = state.pool.clone();
    let org = caller.org.clone();
    let now = state.now_naive();
    let target = id.clone();
    let revoked = web::block(move || -> Result<usize, crate::store::StoreError> {
        if crate::store::users::users_by_ids(&pool, &org, std::slice::from_ref(&target))?.is_empty() {
            return Err(crate::store::StoreError::NotFound);
        }
        crate::store::users::revoke_tokens(&pool, &org, &target, now)
    })
    .await??;
    tracing::info!(user_id = %id, revoked, actor = %caller.login, "tokens revoked");
    Ok(HttpResponse::Ok().json(Revoked { revoked }))
}
