//! Liveness (`/health`) and readiness (`/health/ready`): the only endpoints without a token.

use crate::domain::validation::FieldError;
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
    let missing = state.calendar.missing_years(state.instance_today());
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

/// Readiness report: every check passed.
#[derive(Serialize, ToSchema)]
pub struct Ready {
    /// `ready`.
    pub status: String,
    /// `sqlite` or `postgres`.
    pub database: String,
    /// The checks made, each `ok`: `database`, `writable`, `migrations`, `calendar` (and
    /// `replica` when a replica is configured).
    pub checks: Vec<String>,
    /// How long the checks took, milliseconds.
    pub elapsed_ms: u64,
}

/// Answers 200 when this instance can take traffic: the database answers and takes writes,
/// its migrations are exactly this binary's, and the production calendar covers this year and
/// the next. Otherwise 503 `not_ready`, each failed check named in `errors` (`field`: the
/// check). For load balancers and orchestrators; liveness is `/health`.
#[utoipa::path(
    tag = "service",
    security(()),
    responses((status = 200, body = Ready), (status = 503, description = "a check failed; each is named in `errors`", body = super::Problem, content_type = "application/problem+json"))
)]
#[get("/health/ready")]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let started = std::time::Instant::now();
    let st = state.clone();
    let (checks, failed) = web::block(move || readiness(&st)).await?;
    if !failed.is_empty() {
        return Err(ApiError::NotReady(failed));
    }
    Ok(HttpResponse::Ok().json(Ready {
        status: "ready".into(),
        database: state.pool.backend().as_str().into(),
        checks,
        elapsed_ms: started.elapsed().as_millis() as u64,
    }))
}

/// Runs the checks: (names of those that passed, those that failed with the reason).
fn readiness(state: &AppState) -> (Vec<String>, Vec<FieldError>) {
    let mut passed = Vec::new();
    let mut failed = Vec::new();
    let mut check = |name: &str, outcome: Result<(), String>| match outcome {
        Ok(()) => passed.push(name.to_string()),
        Err(message) => failed.push(FieldError { field: name.into(), message }),
    };
    let reachable = state.pool.ping_within().map_err(|e| format!("база данных не отвечает: {e}"));
    let up = reachable.is_ok();
    check("database", reachable);
    if up {
        check(
            "writable",
            match state.pool.writable() {
                Ok(true) => Ok(()),
                Ok(false) => Err("база данных доступна только для чтения (реплика или режим только чтения)".into()),
                Err(e) => Err(format!("база данных не принимает запись: {e}")),
            },
        );
        check(
            "migrations",
            match state.pool.migration_gap() {
                Ok(g) if g.pending.is_empty() && g.unknown.is_empty() => Ok(()),
                Ok(g) if !g.unknown.is_empty() => Err(format!("база данных обновлена более новой версией программы (миграции {})", g.unknown.join(", "))),
                Ok(g) => Err(format!("не применены миграции {}", g.pending.join(", "))),
                Err(e) => Err(format!("не удалось прочитать миграции: {e}")),
            },
        );
    }
    let missing = state.calendar.missing_years(state.instance_today());
    check(
        "calendar",
        if missing.is_empty() {
            Ok(())
        } else {
            let years: Vec<String> = missing.iter().map(i32::to_string).collect();
            Err(format!("нет производственного календаря на {} год (config/calendar/ГГГГ.toml)", years.join(" и ")))
        },
    );
    if let Some(outcome) = replica_lag(state) {
        check("replica", outcome);
    }
    (passed, failed)
}

/// The read replica's lag against `[database] replica_max_lag_seconds`, when one is
/// configured and answers; `None` (the check does not appear) while none is configured or it
/// does not answer: its reads then go to the primary, so the instance still serves correctly
/// (the log has the warning, the check list lacks `replica`).
fn replica_lag(state: &AppState) -> Option<Result<(), String>> {
    let replica = state.replica.as_ref()?;
    let bound = state.settings.database.replica_max_lag_seconds as f64;
    match replica.freshness() {
        Ok(f) if f.lag_seconds <= bound => Some(Ok(())),
        Ok(f) => Some(Err(format!("реплика отстаёт на {:.0} с (допустимо {:.0} с)", f.lag_seconds, bound))),
        Err(e) => {
            tracing::warn!(cause = %e, "read replica not answering the readiness check: its reads go to the primary");
            None
        }
    }
}
