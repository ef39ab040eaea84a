//! Bulk import of a legacy registry or a platform dump: validate every row, then all or nothing.

use crate::edge::ApiError;
use crate::edge::Caller;
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
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
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
pub(super) async fn drain(payload: &mut Payload, mut seen: usize, max: usize) {
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
    let st = state.clone();
    let c = caller.clone();
    let (count, answer) = web::block(move || -> Result<(usize, Vec<u8>), ApiError> {
        let started = std::time::Instant::now();
        let batch = validated(&st, &c, body)?;
        let validated = started.elapsed();
        let stored = crate::registry::import(&st, &batch);
        let large = batch.len() >= LARGE_IMPORT;
        drop(batch);
        let ids = stored?;
        tracing::info!(count = ids.len(), validate_ms = validated.as_millis() as u64, store_ms = (started.elapsed() - validated).as_millis() as u64, "import stored");
        // The answer is written here, so that once the ids are freed too nothing of the import
        // is left on the heap but the answer's own bytes.
        let count = ids.len();
        let answer = serde_json::to_vec(&ImportResult { imported: count, ids }).map_err(|e| ApiError::Internal(format!("import answer: {e}")))?;
        if large {
            // The parsed rows are gone; their pages go back to the OS rather than staying the
            // server's resident size until it restarts.
            crate::memory::return_freed();
        }
        Ok((count, answer))
    })
    .await??;
    tracing::info!(count, actor = %caller.login, "appeals imported");
    Ok(HttpResponse::Created().content_type("application/json").body(answer))
}

/// From this many rows on, an import's freed memory is handed back to the OS when it ends.
const LARGE_IMPORT: usize = 1_000;

/// Rows per unit of validation work handed to a worker.
const VALIDATION_CHUNK: usize = 1_000;

/// At most this many field errors are reported (and validation stops looking further).
const MAX_ERRORS: usize = 1_000;

/// One chunk's outcome: its field errors, and its valid rows as stored rows with their positions.
struct Checked {
    chunk: usize,
    errors: Vec<FieldError>,
    rows: Vec<(usize, NewAppeal)>,
}

/// Reads, validates and prepares every row before anything is stored (all or nothing): the
/// body is read row by row on this thread while workers on every core validate chunks of rows
/// and turn them into stored rows, so neither the JSON tree nor the drafts of the whole body
/// are ever in memory, only the prepared rows. The body is freed before the rows are stored.
fn validated(st: &AppState, c: &Caller, body: ImportBody) -> Result<Vec<NewAppeal>, ApiError> {
    let max = st.settings.limits.import_items;
    let now = st.now();
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).clamp(1, 8);
    let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, Vec<(usize, AppealDraft)>)>(workers * 2);
    let rx = Mutex::new(rx);
    let done: Mutex<Vec<Checked>> = Mutex::new(Vec::new());
    let failed = AtomicUsize::new(0);
    let mut parse_errors: Vec<FieldError> = Vec::new();
    let read = std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let next = rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                let Ok((chunk, drafts)) = next else { break };
                let mut errors = Vec::new();
                let mut rows = Vec::with_capacity(drafts.len());
                for (i, d) in drafts {
                    if failed.load(Ordering::Relaxed) >= MAX_ERRORS {
                        break;
                    }
                    match crate::intake::validate(st, &c.org, &d, true) {
                        Err(errs) => {
                            failed.fetch_add(errs.len(), Ordering::Relaxed);
                            errors.extend(errs.into_iter().map(|e| FieldError { field: format!("items[{i}].{}", e.field), message: e.message }));
                        }
                        Ok(derived) => rows.push((i, crate::registry::prepare(st, &c.org, Some(&c.id), &d, &derived, d.registered_at.unwrap_or(now), "imported"))),
                    }
                }
                done.lock().unwrap_or_else(|e| e.into_inner()).push(Checked { chunk, errors, rows });
            });
        }
        let mut pending = Vec::with_capacity(VALIDATION_CHUNK);
        let mut chunks = 0;
        let read = super::import_stream::for_each_item::<AppealDraft>(&body.0, &mut |i, row| match row {
            Err(errs) => {
                if parse_errors.len() < MAX_ERRORS {
                    parse_errors.extend(errs);
                }
            }
            Ok(d) if i < max && parse_errors.len() + failed.load(Ordering::Relaxed) < MAX_ERRORS => {
                pending.push((i, d));
                if pending.len() == VALIDATION_CHUNK {
                    // The workers hold the receiver until the scope ends: a send cannot fail.
                    let _ = tx.send((chunks, std::mem::replace(&mut pending, Vec::with_capacity(VALIDATION_CHUNK))));
                    chunks += 1;
                }
            }
            Ok(_) => {}
        });
        if !pending.is_empty() {
            let _ = tx.send((chunks, pending));
        }
        drop(tx);
        read
    });
    drop(body);
    let (count, mut errors) = read?;
    if count == 0 || count > max {
        errors.push(FieldError { field: "items".into(), message: format!("от 1 до {max} обращений") });
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let mut done = done.into_inner().unwrap_or_else(|e| e.into_inner());
    done.sort_unstable_by_key(|d| d.chunk);
    let mut errors = parse_errors;
    let mut rows = Vec::with_capacity(count);
    for d in done {
        errors.extend(d.errors);
        rows.extend(d.rows);
    }
    errors.sort_by_key(|e| item_of(&e.field));
    // Numbers and external ids must not repeat within the batch.
    let mut numbers = HashSet::new();
    let mut externals = HashSet::new();
    for (i, a) in &rows {
        let a = &a.appeal;
        if !a.reg_number.is_empty() && !numbers.insert(a.reg_number.as_str()) {
            errors.push(FieldError { field: format!("items[{i}].reg_number"), message: format!("номер {} повторяется в импорте", a.reg_number) });
        }
        if let Some(x) = &a.external_id {
            if !externals.insert((a.channel.as_str(), x.as_str())) {
                errors.push(FieldError { field: format!("items[{i}].external_id"), message: "external_id повторяется в импорте".into() });
            }
        }
    }
    errors.truncate(MAX_ERRORS);
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    Ok(rows.into_iter().map(|(_, a)| a).collect())
}

/// The row an `items[i]…` field belongs to, so errors read in input order.
fn item_of(field: &str) -> usize {
    field.strip_prefix("items[").and_then(|r| r.split(']').next()).and_then(|n| n.parse().ok()).unwrap_or(usize::MAX)
}
