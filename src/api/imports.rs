//! Bulk import of a legacy registry or a platform dump: validate every row, then all or nothing.

use super::error::ApiError;
use super::extract::Caller;
use actix_web::{dev::Payload, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use super::{AppState, WriteProblems};
use crate::domain::appeal::AppealDraft;
use crate::domain::roles::Capability;
use crate::domain::validation::FieldError;
use crate::store::appeals::NewAppeal;
use actix_web::{post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use utoipa::ToSchema;

/// Appeals to import: registration bodies plus `registered_at` and optionally `reg_number`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportRequest {
    /// Rows.
    pub items: Vec<AppealDraft>,
}

/// An import body as read, parsed later on the blocking pool: a 64 MiB document would otherwise
/// hold an async worker (and every request queued on it) for the parse. Same rules as every
/// JSON body (`ValidJson`): a JSON content type, the import size limit, 413 beyond it.
pub struct ImportBody(web::Bytes);

impl FromRequest for ImportBody {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        use futures_util::StreamExt;
        let limit = req.app_data::<web::Data<AppState>>().map(|s| s.settings.limits.import_body_bytes).unwrap_or(64 << 20);
        let json = req.headers().get("Content-Type").and_then(|v| v.to_str().ok()).map(|v| v.to_ascii_lowercase()).is_some_and(|v| v.starts_with("application/json") || (v.starts_with("application/") && v.contains("+json")));
        let declared = req.headers().get("Content-Length").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if declared.is_some_and(|n| n > limit) || !json {
                drain(&mut payload, 0, 2 * limit).await;
                return Err(if json { ApiError::PayloadTooLarge(limit) } else { ApiError::UnsupportedMediaType });
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| ApiError::BadRequest(format!("тело запроса не прочитано: {e}")))?;
                if body.len() + chunk.len() > limit {
                    drain(&mut payload, body.len(), 2 * limit).await;
                    return Err(ApiError::PayloadTooLarge(limit));
                }
                body.extend_from_slice(&chunk);
            }
            if body.is_empty() {
                return Err(ApiError::BadRequest("пустое тело запроса".into()));
            }
            Ok(ImportBody(body.freeze()))
        })
    }
}

/// Reads and discards a refused body (up to `max` bytes), so the client gets our answer, not a reset.
async fn drain(payload: &mut Payload, mut seen: usize, max: usize) {
    use futures_util::StreamExt;
    while let Some(Ok(chunk)) = payload.next().await {
        seen += chunk.len();
        if seen > max {
            break;
        }
    }
}

/// What was imported.
#[derive(Serialize, ToSchema)]
pub struct ImportResult {
    /// Count.
    pub imported: usize,
    /// Ids, in input order.
    pub ids: Vec<String>,
}

/// Imports appeals in one transaction; any invalid row refuses the whole batch with its path.
#[utoipa::path(tag = "appeals", request_body = ImportRequest,
    responses((status = 201, body = ImportResult), WriteProblems))]
#[post("/imports/appeals")]
pub async fn import_appeals(caller: Caller, state: web::Data<AppState>, body: ImportBody) -> Result<HttpResponse, ApiError> {
    caller.require(Capability::Import)?;
    let items = web::block(move || super::extract::parse_json::<ImportRequest>(&body.0)).await??.items;
    let max = state.settings.limits.import_items;
    if items.is_empty() || items.len() > max {
        return Err(ApiError::Validation(vec![FieldError { field: "items".into(), message: format!("от 1 до {max} обращений") }]));
    }
    let st = state.clone();
    let c = caller.clone();
    let ids = web::block(move || -> Result<Vec<String>, ApiError> {
        let started = std::time::Instant::now();
        let now = st.now();
        // Validation and row building are pure CPU per row: spread over the cores, in input order.
        let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).clamp(1, 8);
        let size = items.len().div_ceil(workers).max(1);
        let parts: Vec<(Vec<FieldError>, Vec<NewAppeal>)> = std::thread::scope(|scope| {
            let handles: Vec<_> = items
                .chunks(size)
                .enumerate()
                .map(|(part, rows)| {
                    let (st, c) = (&st, &c);
                    scope.spawn(move || {
                        let mut errors = Vec::new();
                        let mut prepared = Vec::with_capacity(rows.len());
                        for (k, d) in rows.iter().enumerate() {
                            let i = part * size + k;
                            match crate::registry::validate(st, d, true) {
                                Err(errs) => errors.extend(errs.into_iter().map(|e| FieldError { field: format!("items[{i}].{}", e.field), message: e.message })),
                                Ok(derived) => prepared.push(crate::registry::prepare(st, &c.org, Some(&c.id), d, &derived, d.registered_at.unwrap_or(now), "imported")),
                            }
                            if errors.len() >= 1000 {
                                break;
                            }
                        }
                        (errors, prepared)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("import worker")).collect()
        });
        let mut errors = Vec::new();
        let mut prepared = Vec::with_capacity(items.len());
        for (e, p) in parts {
            errors.extend(e);
            prepared.extend(p);
        }
        // Numbers and external ids must not repeat within the batch.
        let mut numbers = HashSet::new();
        let mut externals = HashSet::new();
        for (i, d) in items.iter().enumerate() {
            if let Some(n) = &d.reg_number {
                if !numbers.insert(n) {
                    errors.push(FieldError { field: format!("items[{i}].reg_number"), message: format!("номер {n} повторяется в импорте") });
                }
            }
            if let Some(x) = &d.external_id {
                if !externals.insert((&d.channel, x)) {
                    errors.push(FieldError { field: format!("items[{i}].external_id"), message: "external_id повторяется в импорте".into() });
                }
            }
        }
        errors.truncate(1000);
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        let validated = started.elapsed();
        let ids = crate::registry::import(&st, &prepared)?;
        tracing::info!(count = ids.len(), validate_ms = validated.as_millis() as u64, store_ms = (started.elapsed() - validated).as_millis() as u64, "import stored");
        Ok(ids)
    })
    .await??;
    tracing::info!(count = ids.len(), actor = %caller.login, "appeals imported");
    Ok(HttpResponse::Created().json(ImportResult { imported: ids.len(), ids }))
}
