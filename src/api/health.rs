//! Liveness and readiness: the only endpoint without a token.

use super::error::ApiError;
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
}

/// Answers 200 when the database answers, 503 otherwise.
#[utoipa::path(tag = "service", security(()), responses((status = 200, body = Health), (status = 503, body = Health)))]
#[get("/health")]
pub async fn health(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let pool = state.pool.clone();
    let db = pool.backend().as_str().to_string();
    let ok = web::block(move || pool.ping()).await?.is_ok();
    let body = Health { status: if ok { "ok" } else { "unavailable" }.into(), database: db };
    Ok(if ok { HttpResponse::Ok().json(body) } else { HttpResponse::ServiceUnavailable().json(body) })
}
