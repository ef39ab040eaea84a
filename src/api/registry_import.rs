//! `POST /api/v1/imports/registry`: a body's legacy journal (Excel or CSV) uploaded as a form
//! file, checked row by row and, unless `dry_run`, imported all or nothing
//! (`crate::registry::legacy`). The handler only reads the form.

use super::{AppState, WriteProblems};
use crate::domain::roles::Capability;
use crate::domain::validation::FieldError;
use crate::edge::params::Params;
use crate::edge::{ApiError, Caller};
use crate::intake::legacy::columns::Mapping;
use crate::registry::legacy::Outcome;
use actix_web::{post, web, HttpRequest, HttpResponse};
use utoipa::ToSchema;

/// The upload form.
#[allow(dead_code)]
#[derive(ToSchema)]
#[schema(as = LegacyJournalUpload)]
pub struct RegistryUpload {
    /// The journal: XLSX (first sheet) or CSV (UTF-8 or Windows-1251, `;` or `,`).
    #[schema(format = Binary, value_type = String)]
    file: Vec<u8>,
    /// Column mapping in TOML (`config/legacy-import.example.toml`); default: the deployment's
    /// `config/legacy-import.toml`, else the usual Russian headers.
    #[schema(value_type = Option<String>)]
    mapping: Option<String>,
}

/// The deployment's mapping file (`<config>/legacy-import.toml`), else the default headers.
pub fn deployment_mapping(state: &AppState) -> Result<Mapping, ApiError> {
    let path = state.settings.config_dir.join("legacy-import.toml");
    match std::fs::read_to_string(&path) {
        Ok(text) => Mapping::parse(&text).map_err(|m| ApiError::Internal(format!("{}: {m}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Mapping::default()),
        Err(e) => Err(ApiError::Internal(format!("{}: {e}", path.display()))),
    }
}

/// Checks a legacy journal and imports it in one transaction (admin). With `dry_run=true`
/// nothing is stored: the answer lists the rows that would be refused (row, column, Russian
/// message) and the summary. A real run with a refused row stores nothing (422, `errors[]`
/// with fields `rows[N].<column>`); a journal number the registry already has for that year is
/// skipped, so a second run adds nothing and says so.
#[utoipa::path(tag = "appeals",
    params(("dry_run" = Option<bool>, Query, description = "check only, store nothing")),
    request_body(content = RegistryUpload, content_type = "multipart/form-data"),
    responses((status = 200, body = Outcome, description = "a dry run, or nothing new to import"), (status = 201, body = Outcome, description = "imported"), WriteProblems))]
#[post("/imports/registry")]
pub async fn import_registry(caller: Caller, state: web::Data<AppState>, req: HttpRequest, mut payload: web::Payload) -> Result<HttpResponse, ApiError> {
    use futures_util::StreamExt;
    caller.require(Capability::Import)?;
    let params = Params::of(&req)?;
    params.only(&["dry_run"])?;
    let dry_run = params.flag("dry_run")?.unwrap_or(false);
    let ct = req.headers().get("Content-Type").and_then(|v| v.to_str().ok()).unwrap_or("");
    let limit = state.settings.limits.import_body_bytes;
    let Some(boundary) = crate::edge::multipart::boundary(ct) else {
        super::imports::drain(&mut payload.into_inner(), 0, 2 * limit).await;
        return Err(ApiError::Validation(vec![FieldError { field: "file".into(), message: "ожидается форма multipart/form-data с файлом журнала в поле file".into() }]));
    };
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::BadRequest(format!("тело запроса не прочитано: {e}")))?;
        if body.len() + chunk.len() > limit {
            super::imports::drain(&mut payload.into_inner(), body.len(), 2 * limit).await;
            return Err(ApiError::PayloadTooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    let st = state.clone();
    let c = caller.clone();
    let outcome = web::block(move || -> Result<Outcome, ApiError> {
        let bad = |m: String| ApiError::Validation(vec![FieldError { field: "file".into(), message: m }]);
        let parts = crate::edge::multipart::parts(&body, &boundary).map_err(|m| bad(m.to_string()))?;
        let file = parts.iter().find(|p| p.name == "file").ok_or_else(|| bad("в форме нет поля file с файлом журнала".into()))?;
        if file.body.is_empty() {
            return Err(bad("файл журнала пуст".into()));
        }
        let mapping = match parts.iter().find(|p| p.name == "mapping") {
            Some(m) => {
                let text = std::str::from_utf8(m.body).map_err(|_| ApiError::Validation(vec![FieldError { field: "mapping".into(), message: "файл сопоставления должен быть в UTF-8".into() }]))?;
                Mapping::parse(text).map_err(|m| ApiError::Validation(vec![FieldError { field: "mapping".into(), message: m }]))?
            }
            None => deployment_mapping(&st)?,
        };
        Ok(crate::registry::legacy::run(&st, &c.org, Some(&c.id), file.body, &mapping, dry_run)?)
    })
    .await??;
    tracing::info!(imported = outcome.imported, dry_run, actor = %caller.login, "legacy journal import");
    Ok(if outcome.imported > 0 { HttpResponse::Created().json(outcome) } else { HttpResponse::Ok().json(outcome) })
}
