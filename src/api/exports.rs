//! Monthly exports (docs/api.md, "Statistics and exports") and the answer's file that the ССТУ.РФ
//! export attaches: handlers parse, authorize and call `crate::reports`.

use crate::domain::error_code::ErrorCode;
use crate::edge::ApiError;
use crate::edge::{Caller, Params};
use super::{AppState, ReadProblems};
use crate::store::visibility::visible;
use crate::domain::roles::Capability;
use crate::domain::validation::FieldError;
use crate::reports::sstu::{self, ExportError};
use crate::store::exports::AnswerFileRow;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde_json::json;

/// The ССТУ.РФ export of a month: `{"items": [...]}`, one object per appeal in the connector's
/// model (docs/domain.md §6), or with `format=zip` the connector's batch file (one `<guid>.json` per
/// appeal) in parts of at most `[sstu] zip_part_bytes`, `part=1…N` with N in `Sstu-Parts`.
/// Every violation of the connector's rules answers 422 with the appeal's `reg_number` before
/// anything is sent; then the objects are streamed. Each export is logged (who, when, what,
/// which appeals were skipped and why); `since_last=true` sends only the objects of cards that
/// changed since the month's last complete export. `organization=all` (the regional
/// supervisor): one ZIP for the region, `<code>/sstu-<month>-<k>-of-<n>.zip` per organization
/// with appeals to send (each its own ZIP export, logged as its export) and `manifest.json`;
/// a violation anywhere answers 422 naming `organizations[<code>].<field>`; no `part`.
#[utoipa::path(tag = "exports",
    params(("month" = String, Query, pattern = "^[0-9]{4}-[0-9]{2}$", description = "YYYY-MM"),
           ("since_last" = Option<bool>, Query, description = "only objects changed since the month's last export"),
           ("format" = Option<String>, Query, description = "json (default): one document; zip: the connector's batch file, one `<guid>.json` per appeal"),
           ("part" = Option<u32>, Query, minimum = 1, description = "zip: which part, 1…`Sstu-Parts` (default 1); fetch them in order, the last one completes the export")),
    responses((status = 200, description = "`{\"items\": [...]}`: ССТУ.РФ objects, or the ZIP part; headers `Sstu-Parts`, `Sstu-Part`, `Sstu-Items`, `Sstu-Skipped`; with `organization=all` the region's ZIP (`sstu-<month>-region.zip`)", content(("application/json"), ("application/zip"))),
              (status = 422, description = "violations, each with `reg_number`, `field` and `message` in `errors`", content_type = "application/problem+json"),
              ReadProblems))]
#[get("/exports/sstu")]
pub async fn sstu_export(caller: Caller, state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    caller.require(Capability::Reports)?;
    let p = Params::of(&req)?;
    let month = p.text("month", 7)?.ok_or_else(|| ApiError::Validation(vec![FieldError { field: "month".into(), message: "укажите месяц ГГГГ-ММ".into() }]))?;
    if sstu::parse_month(&month).is_none() {
        return Err(ApiError::Validation(vec![FieldError { field: "month".into(), message: "месяц в виде ГГГГ-ММ".into() }]));
    }
    let since_last = p.flag("since_last")?.unwrap_or(false);
    if p.raw("organization").map(str::trim) == Some("all") {
        return region_export(caller, state, &p, month, since_last).await;
    }
    let zip = p.one_of("format", &["json", "zip"])?.is_some_and(|f| f == "zip");
    let part = p.int("part", 1, 1_000_000)?.unwrap_or(1) as u32;
    if part > 1 && !zip {
        return Err(ApiError::Validation(vec![FieldError { field: "part".into(), message: "части бывают только у format=zip".into() }]));
    }
    let request = sstu::Request { month: month.clone(), since_last, zip, part };
    let (st, org, actor, login) = (state.clone(), caller.org.clone(), caller.id.clone(), caller.login.clone());
    let (chunks, body) = tokio::sync::mpsc::channel::<std::io::Result<web::Bytes>>(4);
    let (plan_tx, plan_rx) = tokio::sync::oneshot::channel::<Result<sstu::Plan, ExportError>>();
    actix_web::rt::task::spawn_blocking(move || {
        let plan_tx = std::cell::RefCell::new(Some(plan_tx));
        let abort = chunks.clone();
        let open = |plan: &sstu::Plan| {
            if let Some(tx) = plan_tx.borrow_mut().take() {
                let _ = tx.send(Ok(plan.clone()));
            }
            Ok(ChannelWriter { tx: chunks, buf: Vec::with_capacity(CHANNEL_CHUNK) })
        };
        match sstu::export_to(&st, &org, Some(&actor), &request, open, |_| Ok(None)) {
            Ok(done) => {
                tracing::info!(month = %request.month, items = done.items, part = done.plan.part, parts = done.plan.parts, skipped = done.plan.skipped.len(), since_last, zip, actor = %login, "sstu export");
                done.body.close();
            }
            Err(e) => match plan_tx.borrow_mut().take() {
                Some(tx) => {
                    let _ = tx.send(Err(e));
                }
                None => {
                    // Headers are gone: end the body with an error so the client sees it cut off.
                    tracing::warn!(month = %request.month, error = %e, "sstu export stopped while streaming");
                    let _ = abort.blocking_send(Err(std::io::Error::other(e.to_string())));
                }
            },
        }
    });
    let plan = match plan_rx.await.map_err(|_| ApiError::Internal("sstu export thread ended".into()))? {
        Ok(plan) => plan,
        Err(ExportError::Invalid(violations)) => return Ok(invalid(&violations)),
        Err(ExportError::Store(e)) => return Err(e.into()),
        Err(e) => return Err(ApiError::Internal(e.to_string())),
    };
    let stream = futures_util::stream::unfold(body, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
    let mut resp = HttpResponse::Ok();
    resp.insert_header(("Sstu-Parts", plan.parts.to_string()))
        .insert_header(("Sstu-Part", plan.part.to_string()))
        .insert_header(("Sstu-Items", plan.items.to_string()))
        .insert_header(("Sstu-Skipped", plan.skipped.len().to_string()));
    if zip {
        resp.content_type("application/zip").insert_header(("Content-Disposition", format!("attachment; filename=\"sstu-{month}-{}-of-{}.zip\"", plan.part, plan.parts)));
    } else {
        resp.content_type("application/json");
    }
    Ok(resp.streaming(stream))
}

/// `organization=all` (regional roles): the region's ZIP, one file per active organization
/// with appeals to send, each exactly that organization's own `format=zip` export (every part
/// as its own entry `<code>/sstu-<month>-<k>-of-<n>.zip`) and logged as its export, plus
/// `manifest.json`. Every organization is checked before the first byte: any violation, or
/// an organization without its department GUID, answers 422 naming the organization
/// (`organizations[<code>].<field>`) and the appeal. `since_last` applies per organization;
/// `part` does not (all parts come at once), nor `format=json`.
async fn region_export(caller: Caller, state: web::Data<AppState>, p: &Params, month: String, since_last: bool) -> Result<HttpResponse, ApiError> {
    if !caller.role.regional() {
        return Err(ApiError::Forbidden(format!("роль «{}» выгружает только свою организацию: organization=all — для ролей региона", caller.role.label())));
    }
    if p.raw("part").is_some() {
        return Err(ApiError::Validation(vec![FieldError { field: "part".into(), message: "региональная выгрузка отдаёт все части сразу: уберите part".into() }]));
    }
    if p.one_of("format", &["json", "zip"])?.is_some_and(|f| f == "json") {
        return Err(ApiError::Validation(vec![FieldError { field: "format".into(), message: "региональная выгрузка бывает только архивом: format=zip или без format".into() }]));
    }
    let (st, m) = (state.clone(), month.clone());
    let members = match web::block(move || sstu::region::check_region(&st, &m, since_last)).await? {
        Ok(members) => members,
        Err(ExportError::Invalid(violations)) => return Ok(invalid(&violations)),
        Err(ExportError::Store(e)) => return Err(e.into()),
        Err(e) => return Err(ApiError::Internal(e.to_string())),
    };
    let (st, actor, login, m) = (state.clone(), caller.id.clone(), caller.login.clone(), month.clone());
    let (chunks, body) = tokio::sync::mpsc::channel::<std::io::Result<web::Bytes>>(4);
    actix_web::rt::task::spawn_blocking(move || {
        let abort = chunks.clone();
        let w = ChannelWriter { tx: chunks, buf: Vec::with_capacity(CHANNEL_CHUNK) };
        match sstu::region::write_region(&st, &members, Some(&actor), &m, since_last, w) {
            Ok((w, manifest)) => {
                let files: usize = manifest.iter().map(|o| o.files.len()).sum();
                let items: usize = manifest.iter().map(|o| o.items).sum();
                tracing::info!(month = %m, organizations = manifest.len(), files, items, since_last, actor = %login, "sstu regional export");
                w.close();
            }
            Err(e) => {
                // Headers are gone: end the body with an error so the client sees it cut off.
                tracing::warn!(month = %m, error = %e, "sstu regional export stopped while streaming");
                let _ = abort.blocking_send(Err(std::io::Error::other(e.to_string())));
            }
        }
    });
    let stream = futures_util::stream::unfold(body, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) });
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header(("Content-Disposition", format!("attachment; filename=\"sstu-{month}-region.zip\"")))
        .streaming(stream))
}

/// 422 for `organization=all` where the result is one organization's: the edge passes `all`
/// through with the caller's own organization in place, which would quietly give (or push) the
/// caller's own month as if it were the region's.
fn one_organization(p: &Params) -> Result<(), ApiError> {
    if p.raw("organization").map(str::trim) == Some("all") {
        return Err(ApiError::Validation(vec![FieldError { field: "organization".into(), message: "здесь — одна организация: укажите её идентификатор (organization=all есть у GET /exports/sstu)".into() }]));
    }
    Ok(())
}

/// The 422 of an export refused for its data (or a part that does not exist).
fn invalid(violations: &[sstu::Violation]) -> HttpResponse {
    let detail = format!("выгрузка в ССТУ.РФ не сформирована: нарушений {}; исправьте карточки и повторите", violations.len());
    let body = json!({"type": format!("urn:appeals:problem:{}", ErrorCode::SstuInvalid), "title": "Данные не проходят проверку ССТУ.РФ", "status": 422, "code": ErrorCode::SstuInvalid.as_str(), "detail": detail, "errors": violations});
    HttpResponse::UnprocessableEntity().content_type("application/problem+json").body(body.to_string())
}

/// Bytes handed to the response at a time.
const CHANNEL_CHUNK: usize = 64 << 10;

/// The export's writer: full buffers go to the response through a bounded channel (the export
/// waits while the client reads); the rest goes only at [`ChannelWriter::close`], after the
/// export was recorded, so a body that ends cleanly is a logged one.
struct ChannelWriter {
    tx: tokio::sync::mpsc::Sender<std::io::Result<web::Bytes>>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    fn send(&mut self) -> std::io::Result<()> {
        let bytes = web::Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHANNEL_CHUNK)));
        self.tx.blocking_send(Ok(bytes)).map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "клиент прервал выгрузку"))
    }

    fn close(mut self) {
        if !self.buf.is_empty() {
            let _ = self.send();
        }
    }
}

impl std::io::Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHANNEL_CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Exports the month (as `GET /exports/sstu`) and POSTs it to the connector at `[sstu] push_url`
/// with retries; logged only once the connector took it. 409 `push_not_configured` without a URL,
/// 502 `push_failed` when every attempt failed.
#[utoipa::path(tag = "exports",
    params(("month" = String, Query, pattern = "^[0-9]{4}-[0-9]{2}$", description = "YYYY-MM"),
           ("since_last" = Option<bool>, Query, description = "only objects changed since the month's last export")),
    responses((status = 200, description = "`{\"items\": N, \"attempts\": N}`"),
              (status = 409, description = "no connector configured", content_type = "application/problem+json"),
              (status = 502, description = "the connector did not take it", content_type = "application/problem+json"),
              ReadProblems))]
#[post("/exports/sstu/push")]
pub async fn sstu_push(caller: Caller, state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    caller.require(Capability::Reports)?;
    let p = Params::of(&req)?;
    one_organization(&p)?;
    let month = p.text("month", 7)?.filter(|m| sstu::parse_month(m).is_some()).ok_or_else(|| ApiError::Validation(vec![FieldError { field: "month".into(), message: "месяц в виде ГГГГ-ММ".into() }]))?;
    let since_last = p.flag("since_last")?.unwrap_or(false);
    let cfg = state.settings.sstu.clone();
    let Some(url) = cfg.push_url.clone() else {
        return Err(ApiError::Conflict { code: ErrorCode::PushNotConfigured, detail: "адрес коннектора ССТУ.РФ не задан ([sstu] push_url)".into(), extra: json!({}) });
    };
    let (st, org, actor, m) = (state.clone(), caller.org.clone(), caller.id.clone(), month.clone());
    let attempts = if cfg.push_attempts == 0 { 3 } else { cfg.push_attempts };
    let backoff = if cfg.push_backoff_ms == 0 { 1000 } else { cfg.push_backoff_ms };
    let result = web::block(move || {
        let deliver = move |body: &mut std::fs::File| sstu::push(&url, body, attempts, backoff);
        sstu::export_with(&st, &org, Some(&actor), &m, since_last, &deliver)
    })
    .await?;
    match result {
        Ok(done) => {
            tracing::info!(month = %month, items = done.items, attempts = done.attempts, actor = %caller.login, "sstu export pushed");
            Ok(HttpResponse::Ok().json(json!({"items": done.items, "attempts": done.attempts})))
        }
        Err(ExportError::Invalid(violations)) => Ok(invalid(&violations)),
        Err(ExportError::Push(m)) => {
            let body = json!({"type": format!("urn:appeals:problem:{}", ErrorCode::PushFailed), "title": "Коннектор ССТУ.РФ недоступен", "status": 502, "code": ErrorCode::PushFailed.as_str(), "detail": m});
            Ok(HttpResponse::BadGateway().content_type("application/problem+json").body(body.to_string()))
        }
        Err(ExportError::Store(e)) => Err(e.into()),
        Err(e @ ExportError::Interrupted(_)) => Err(ApiError::Internal(e.to_string())),
    }
}

/// The appeal's card, if the caller may see the appeal and it has this answer (404 otherwise,
/// before anything else is checked).
async fn visible_answer(state: &web::Data<AppState>, caller: &Caller, id: &str, answer_id: &str) -> Result<crate::store::appeals::CardData, ApiError> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(ApiError::NotFound);
    }
    let pool = state.pool.clone();
    let (org, aid) = (caller.org.clone(), id.to_string());
    let card = web::block(move || crate::store::appeals::get_card(&pool, &org, &aid)).await??;
    if !visible(&caller.actor(), &card) || !card.answers.iter().any(|a| a.id == answer_id) {
        return Err(ApiError::NotFound);
    }
    Ok(card)
}

/// Attaches a version of the answer's signed file (PDF only, at most `[sstu]
/// max_attachment_bytes`, kept in the database): the responsible executor or a supervisor,
/// while the answer awaits review. Every upload is a new version — none is overwritten — with
/// its SHA-256, size, who and when in the history; after approval the file is frozen (409
/// `answer_file_frozen`), and the ССТУ.РФ export sends the version the answer went out with.
#[utoipa::path(tag = "control",
    params(("id" = String, Path), ("answer_id" = String, Path), ("name" = Option<String>, Query, description = "file name, default answer.pdf")),
    request_body(content = Vec<u8>, content_type = "application/pdf"),
    responses((status = 201, description = "stored: `{\"answer_id\", \"file_name\", \"size\", \"sha256\", \"version\"}`"), (status = 409, description = "`answer_file_frozen`: the answer is no longer pending review", content_type = "application/problem+json", body = super::Problem), (status = 413, description = "larger than the connector's limit"), (status = 415, description = "not a PDF"), ReadProblems))]
#[post("/appeals/{id}/answers/{answer_id}/file")]
pub async fn upload_answer_file(caller: Caller, state: web::Data<AppState>, req: HttpRequest, path: web::Path<(String, String)>, mut payload: web::Payload) -> Result<HttpResponse, ApiError> {
    let (id, answer_id) = path.into_inner();
    let card = visible_answer(&state, &caller, &id, &answer_id).await?;
    let responsible = crate::control::part_of(&card, &caller.id) == crate::domain::workflow::Part::Responsible;
    if !responsible && !crate::domain::roles::allows(caller.role, Capability::Reports) {
        return Err(ApiError::Forbidden("файл ответа прикладывает ответственный исполнитель или руководитель".into()));
    }
    let name = Params::of(&req)?.text("name", 200)?.unwrap_or_else(|| "answer.pdf".into());
    if !name.to_lowercase().ends_with(".pdf") || name.contains(['/', '\\']) {
        return Err(ApiError::Validation(vec![FieldError { field: "name".into(), message: "имя файла PDF, например otvet.pdf".into() }]));
    }
    let ct = req.headers().get("Content-Type").and_then(|v| v.to_str().ok()).unwrap_or("");
    let limit = state.settings.sstu.attachment_limit();
    let mut bytes = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::BadRequest(e.to_string()))?;
        if bytes.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge(limit));
        }
        bytes.extend_from_slice(&chunk);
    }
    if !ct.starts_with("application/pdf") || !bytes.starts_with(b"%PDF-") {
        return Err(ApiError::Validation(vec![FieldError { field: "body".into(), message: "принимается только PDF (Content-Type: application/pdf, файл начинается с %PDF-)".into() }]));
    }
    let sha256 = crate::store::exports::sha256_hex(&bytes);
    let row = AnswerFileRow {
        id: crate::store::new_id(),
        organization_id: caller.org.clone(),
        appeal_id: id,
        answer_id: answer_id.clone(),
        version: 0,
        file_name: name.clone(),
        size: bytes.len() as i32,
        sha256: sha256.clone(),
        content: bytes,
        uploaded_by: Some(caller.id.clone()),
        uploaded_at: state.now_naive(),
    };
    let size = row.size;
    let pool = state.pool.clone();
    let version = web::block(move || crate::store::exports::save_file(&pool, &row)).await?.map_err(|e| {
        if e.is_unique_violation() {
            ApiError::Conflict { code: ErrorCode::AnswerFileConcurrent, detail: "одновременно загружается другая версия файла; повторите".into(), extra: json!({}) }
        } else {
            e.into()
        }
    })?;
    tracing::info!(answer_id = %answer_id, size, version, actor = %caller.login, "answer file attached");
    Ok(HttpResponse::Created().json(json!({"answer_id": answer_id, "file_name": name, "size": size, "sha256": sha256, "version": version})))
}

/// Downloads the answer's file, the latest version or `version`; 204 when the answer has none.
#[utoipa::path(tag = "control", params(("id" = String, Path), ("answer_id" = String, Path), ("version" = Option<i32>, Query, minimum = 1, description = "an earlier version (default: the latest)")),
    responses((status = 200, description = "the PDF; `X-File-Version` and `X-File-SHA256` name it", content_type = "application/pdf"), (status = 204, description = "the answer has no file (or no such version)"), ReadProblems))]
#[get("/appeals/{id}/answers/{answer_id}/file")]
pub async fn download_answer_file(caller: Caller, state: web::Data<AppState>, req: HttpRequest, path: web::Path<(String, String)>) -> Result<HttpResponse, ApiError> {
    let (id, answer_id) = path.into_inner();
    visible_answer(&state, &caller, &id, &answer_id).await?;
    let version = Params::of(&req)?.int("version", 1, i32::MAX as i64)?.map(|v| v as i32);
    let pool = state.pool.clone();
    let org = caller.org.clone();
    let Some(f) = web::block(move || crate::store::exports::file(&pool, &org, &answer_id, version)).await?? else {
        return Ok(HttpResponse::NoContent().finish());
    };
    let ascii: String = f.file_name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' { c } else { '_' }).collect();
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{ascii}\"")))
        .insert_header(("X-File-Version", f.version.to_string()))
        .insert_header(("X-File-SHA256", f.sha256.clone()))
        .body(f.content))
}

/// The month and format of a ГАСУ form request.
fn form_params(req: &HttpRequest) -> Result<(String, bool), ApiError> {
    let p = Params::of(req)?;
    one_organization(&p)?;
    let month = p.text("month", 7)?.filter(|m| sstu::parse_month(m).is_some()).ok_or_else(|| ApiError::Validation(vec![FieldError { field: "month".into(), message: "месяц в виде ГГГГ-ММ".into() }]))?;
    let xlsx = p.one_of("format", &["xlsx", "csv"])?.is_none_or(|f| f == "xlsx");
    Ok((month, xlsx))
}

/// Writes a form as the requested file.
fn form_response(t: crate::reports::gasu::Table, xlsx: bool, name: &str) -> Result<HttpResponse, ApiError> {
    if xlsx {
        let bytes = crate::reports::gasu::to_xlsx(&t).map_err(ApiError::Internal)?;
        Ok(HttpResponse::Ok()
            .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            .insert_header(("Content-Disposition", format!("attachment; filename=\"{name}.xlsx\"")))
            .body(bytes))
    } else {
        Ok(HttpResponse::Ok().content_type("text/csv; charset=utf-8").insert_header(("Content-Disposition", format!("attachment; filename=\"{name}.csv\""))).body(crate::reports::gasu::to_csv(&t)))
    }
}

/// Whether a form's read lost its database (a replica gone: repeated on the primary).
fn lost(e: &crate::reports::gasu::FormError) -> bool {
    matches!(e, crate::reports::gasu::FormError::Store(s) if s.is_unavailable())
}

fn form_error(e: crate::reports::gasu::FormError) -> ApiError {
    match e {
        crate::reports::gasu::FormError::Month => ApiError::Validation(vec![FieldError { field: "month".into(), message: "месяц в виде ГГГГ-ММ".into() }]),
        crate::reports::gasu::FormError::Config(m) => ApiError::Internal(m),
        crate::reports::gasu::FormError::Store(s) => s.into(),
    }
}

/// ГАСУ ММО «Информация о результатах рассмотрения обращений в ОМСУ» for a month: the indicator
/// set of `config/exports/gasu_appeals.toml` over the appeals registered in it.
#[utoipa::path(tag = "exports",
    params(("month" = String, Query, pattern = "^[0-9]{4}-[0-9]{2}$"), ("format" = Option<String>, Query, description = "xlsx (default) or csv (UTF-8 with BOM, `;`)")),
    responses((status = 200, description = "the form", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ReadProblems))]
#[get("/exports/gasu/appeals")]
pub async fn gasu_appeals(caller: Caller, state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    caller.require(Capability::Reports)?;
    let (month, xlsx) = form_params(&req)?;
    let (st, org, m) = (state.clone(), caller.org.clone(), month.clone());
    let t = web::block(move || st.on_reads(lost, |st| crate::reports::gasu::appeals_form(st, &org, &m))).await?.map_err(form_error)?;
    tracing::info!(month = %month, actor = %caller.login, "gasu appeals form");
    form_response(t, xlsx, &format!("gasu-appeals-{month}"))
}

/// ГАСУ ММО «Информация о проведении личного приема граждан» for a month: one row per reception.
#[utoipa::path(tag = "exports",
    params(("month" = String, Query, pattern = "^[0-9]{4}-[0-9]{2}$"), ("format" = Option<String>, Query, description = "xlsx (default) or csv (UTF-8 with BOM, `;`)")),
    responses((status = 200, description = "the form", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ReadProblems))]
#[get("/exports/gasu/reception")]
pub async fn gasu_reception(caller: Caller, state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    caller.require(Capability::Reports)?;
    let (month, xlsx) = form_params(&req)?;
    let (st, org, m) = (state.clone(), caller.org.clone(), month.clone());
    let t = web::block(move || st.on_reads(lost, |st| crate::reports::gasu::reception_form(st, &org, &m))).await?.map_err(form_error)?;
    tracing::info!(month = %month, actor = %caller.login, "gasu reception form");
    form_response(t, xlsx, &format!("gasu-reception-{month}"))
}
