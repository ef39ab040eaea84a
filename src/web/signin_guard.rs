//! The sign-in throttle at the door (rules in `auth::throttle`, counts in
//! `store::login_attempts`): the attempt is counted before its password is checked, and the
//! outcome settles the count afterwards.

use crate::auth::throttle::{self, Subjects};
use crate::state::AppState;
use actix_web::{web, HttpRequest};

/// One counted attempt, to settle once the password is checked.
pub struct Attempt {
    org: Option<String>,
    subjects: Subjects,
}

/// The client's address as the throttle sees it (see [`throttle::client_address`]).
pub fn address(req: &HttpRequest, state: &AppState) -> String {
    let trusted = throttle::parse_proxies(&state.settings.web.trusted_proxies).unwrap_or_default();
    let forwarded = req.headers().get("X-Forwarded-For").and_then(|v| v.to_str().ok());
    throttle::client_address(req.peer_addr().map(|a| a.ip()), forwarded, &trusted)
}

/// Counts an attempt of `login` before its password is checked; `Err(seconds)` when it must
/// wait instead (then the password must not be checked at all).
pub async fn before_password(req: &HttpRequest, state: &web::Data<AppState>, login: &str) -> Result<Result<Attempt, i64>, crate::store::ServiceError> {
    let subjects = Subjects::of(login, &address(req, state));
    let (pool, code, now) = (state.pool.clone(), state.settings.organization.code.clone(), state.now_naive());
    let s = subjects.clone();
    let outcome = web::block(move || -> Result<_, crate::store::ServiceError> {
        let org = crate::store::sessions::organization_by_code(&pool, &code)?;
        let claimed = match &org {
            Some(o) => crate::store::login_attempts::claim(&pool, o, &s, now)?,
            None => Ok(()),
        };
        Ok(claimed.map(|()| org))
    })
    .await
    .map_err(|e| crate::store::ServiceError::Connect(e.to_string()))??;
    Ok(outcome.map(|org| Attempt { org, subjects }))
}

/// Settles a counted attempt: a right password starts the pair afresh; a wrong one counts for
/// the login's alarm, logged at every tenth recent failure.
pub async fn after_password(state: &web::Data<AppState>, attempt: Attempt, ok: bool) -> Result<(), crate::store::ServiceError> {
    let Some(org) = attempt.org else { return Ok(()) };
    let (pool, now, subjects) = (state.pool.clone(), state.now_naive(), attempt.subjects);
    let failures = web::block(move || -> Result<i32, crate::store::ServiceError> {
        if ok {
            crate::store::login_attempts::succeeded(&pool, &org, &subjects, now)?;
            Ok(0)
        } else {
            crate::store::login_attempts::failed(&pool, &org, &subjects, now)
        }
    })
    .await
    .map_err(|e| crate::store::ServiceError::Connect(e.to_string()))??;
    if failures > 0 && failures % throttle::LOGIN_ALARM_EVERY == 0 {
        tracing::warn!(failures, "many failed sign-ins for one login within the hour: possible password guessing");
    } else if failures > 0 {
        tracing::debug!(failures, "failed sign-in counted");
    }
    Ok(())
}
