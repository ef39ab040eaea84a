//! Liveness and readiness: the only endpoint without a token.

use crate::edge::ApiError;
use super::AppState;
use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

/// Health report.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` when the database answers.
    pub status: String,
    /// `sqlite` or `postgres`.
    pub database: String,
    /// The current or next year without a production calendar file (deadlines there use
    /// weekends and fixed holidays only); absent when both years have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calendar_missing: Option<Vec<i32>>,
}

/// Answers 200 when the database answers, 503 otherwise.
///
/// `calendar_missing` lists the current or next year without a production calendar, so
/// monitoring notices before deadlines go wrong.
#[utoipa::path(tag = "service", security(()), responses((status = 200, body = Health), (status = 503, body = Health)))]
#[get("/health")]
pub async fn health(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let pool = state.pool.clone();
    let db = pool.backend().as_str().to_string();
    let ok = web::block(move || pool.ping()).await?.is_ok();
    let missing = state.calendar.missing_years(state.today());
    let calendar_missing = (!missing.is_empty()).then_some(missing);
    let body = Health {
        status: if ok { "ok" } else { "unavailable" }.into(),
        database: db,
        calendar_missing,
    };
    Ok(if ok {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    })
}
