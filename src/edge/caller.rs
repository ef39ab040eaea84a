//! Who is calling: the bearer token of an API client, or (for GET downloads linked from the
//! pages) the session cookie of a signed-in browser, resolved to one [`Caller`] that both the
//! API and the pages work with.

use super::error::ApiError;
use crate::domain::roles::{allows, Actor, Capability, Role};
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

/// Name of the session cookie of the pages.
pub const SESSION_COOKIE: &str = "appeals_session";

/// The authenticated user making the request.
#[derive(Clone, Debug)]
pub struct Caller {
    /// User id.
    pub id: String,
    /// Organization id: every query is confined to it.
    pub org: String,
    /// Role.
    pub role: Role,
    /// Login (safe to log).
    pub login: String,
}

impl Caller {
    /// The caller as the use cases see them.
    pub fn actor(&self) -> Actor {
        Actor { id: self.id.clone(), org: self.org.clone(), role: self.role }
    }

    /// 403 unless the role has the capability.
    pub fn require(&self, cap: Capability) -> Result<(), ApiError> {
        if allows(self.role, cap) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!("роль «{}» не позволяет это действие", self.role.label())))
        }
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = req
            .headers()
            .get("Authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(|t| t.trim().to_string());
        let state = req.app_data::<web::Data<AppState>>().cloned();
        // `?organization=ID`: the organization a regional role reads (see [`scoped`]).
        let named_org = organization_param(req.query_string());
        let reads = matches!(*req.method(), actix_web::http::Method::GET | actix_web::http::Method::HEAD);
        // A signed-in browser may read (GET only: downloads linked from the pages, such as the
        // annual report); every write through the API still needs a token.
        let cookie = (token.is_none() && req.method() == actix_web::http::Method::GET)
            .then(|| req.cookie(SESSION_COOKIE).map(|c| c.value().to_string()))
            .flatten();
        Box::pin(async move {
            use crate::auth::TokenProblem;
            if let (Some(value), Some(state)) = (&cookie, &state) {
                if let Some(caller) = caller_of_cookie(state, value).await? {
                    return scoped(state, caller, named_org, reads).await;
                }
            }
            let token = token.filter(|t| !t.is_empty()).ok_or(ApiError::TokenRefused(TokenProblem::Missing))?;
            if !crate::auth::well_formed(&token) {
                return Err(ApiError::TokenRefused(TokenProblem::Malformed));
            }
            let state = state.ok_or_else(|| ApiError::Internal("application state missing".into()))?;
            let hash = crate::auth::hash_token(&token);
            let now = state.now_naive();
            let pool = state.pool.clone();
            let lookup = hash.clone();
            let found = web::block(move || crate::store::users::find_token(&pool, &lookup)).await??;
            let (user, stored) = found.ok_or(ApiError::TokenRefused(TokenProblem::Unknown))?;
            if !crate::auth::hashes_equal(&stored.token_hash, &hash) {
                return Err(ApiError::TokenRefused(TokenProblem::Unknown));
            }
            crate::auth::check_token(stored.revoked_at, stored.expires_at, user.active, now).map_err(ApiError::TokenRefused)?;
            let role = Role::parse(&user.role).ok_or(ApiError::TokenRefused(TokenProblem::Unknown))?;
            let caller = Caller { id: user.id, org: user.organization_id, role, login: user.login };
            scoped(&state, caller, named_org, reads).await
        })
    }
}

/// The `organization` parameter of a query string, if given (`all` included).
fn organization_param(query: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query).ok()?.into_iter().find(|(k, _)| k == "organization").map(|(_, v)| v.trim().to_string())
}

/// The organization a request acts in (every API request; the statistics page's choice). A
/// regional role names any organization of the instance with `?organization=ID` (404 for an id
/// that names none) and then reads, and for the regional
/// administrator manages users, exactly as that organization's own staff would; every other
/// role may name only its own (403 otherwise). `all` is left to the endpoints that sum over the
/// region. The regional supervisor only reads: any other method answers 403 here, once for
/// every endpoint.
pub async fn scoped(state: &web::Data<AppState>, mut caller: Caller, named: Option<String>, reads: bool) -> Result<Caller, ApiError> {
    if caller.role == Role::RegionalSupervisor && !reads {
        return Err(ApiError::Forbidden(format!("роль «{}» только читает: действия ей недоступны", caller.role.label())));
    }
    if named.as_deref() == Some("") {
        return Err(ApiError::Validation(vec![crate::domain::validation::FieldError { field: "organization".into(), message: "пустое значение: укажите идентификатор организации или уберите параметр".into() }]));
    }
    let Some(named) = named.filter(|n| n != "all" && *n != caller.org) else { return Ok(caller) };
    if !caller.role.regional() {
        return Err(ApiError::Forbidden(format!("роль «{}» работает только со своей организацией", caller.role.label())));
    }
    if uuid::Uuid::parse_str(&named).is_err() {
        return Err(ApiError::NotFound);
    }
    let st = state.clone();
    let lookup = named.clone();
    let found = web::block(move || st.find_org(&lookup)).await??;
    if found.is_none() {
        return Err(ApiError::NotFound);
    }
    caller.org = named;
    Ok(caller)
}

/// The caller of a live session cookie: the pages' session, and the API's GET downloads
/// linked from the pages.
pub async fn caller_of_cookie(state: &web::Data<AppState>, value: &str) -> Result<Option<Caller>, ApiError> {
    if value.len() != 64 || !value.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let hash = crate::auth::hash_token(value);
    let pool = state.pool.clone();
    let found = web::block(move || crate::store::sessions::find_session(&pool, &hash)).await??;
    let now = state.now_naive();
    Ok(found.and_then(|(user, s)| {
        let live = s.ended_at.is_none() && s.expires_at > now && user.active;
        let role = Role::parse(&user.role)?;
        live.then(|| Caller { id: user.id, org: user.organization_id, role, login: user.login })
    }))
}
