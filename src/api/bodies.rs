//! The directory of bodies (docs/api.md, exports): forwarding picks the receiving body from it,
//! and the ССТУ.РФ export takes the body's department GUID for `transfer.departmentId`.

use crate::domain::error_code::ErrorCode;
use crate::edge::ApiError;
use crate::edge::{Caller, Params, ValidJson};
use super::{AppState, ReadProblems, WriteProblems};
use crate::domain::roles::Capability;
use crate::domain::validation::Errors;
use crate::reports::sstu::is_guid;
use crate::store::bodies::{BodyRow, NewBody};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A new body of the directory.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBodyInput {
    /// Full name, unique in the directory.
    pub name: String,
    /// ИНН: 10 or 12 digits.
    #[serde(default)]
    pub inn: Option<String>,
    /// ОГРН: 13 or 15 digits.
    #[serde(default)]
    pub ogrn: Option<String>,
    /// The body's department GUID in ССТУ.РФ.
    #[serde(default)]
    pub sstu_department_id: Option<String>,
}

impl NewBodyInput {
    /// Field checks; every bad field is named.
    pub fn validate(&self) -> Result<(), Vec<crate::domain::validation::FieldError>> {
        let mut e = Errors::default();
        e.text("name", &self.name, 500);
        let digits = |s: &str, lens: &[usize]| s.chars().all(|c| c.is_ascii_digit()) && lens.contains(&s.len());
        if self.inn.as_deref().is_some_and(|v| !digits(v, &[10, 12])) {
            e.add("inn", "ИНН — 10 или 12 цифр");
        }
        if self.ogrn.as_deref().is_some_and(|v| !digits(v, &[13, 15])) {
            e.add("ogrn", "ОГРН — 13 или 15 цифр");
        }
        if self.sstu_department_id.as_deref().is_some_and(|v| !is_guid(v)) {
            e.add("sstu_department_id", "идентификатор подразделения ССТУ.РФ — GUID вида 8-4-4-4-12 шестнадцатеричных цифр");
        }
        e.finish()
    }
}

/// A body as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct Body {
    /// Id (pass as `body_id` to `forward`).
    pub id: String,
    /// Name.
    pub name: String,
    /// ИНН.
    pub inn: Option<String>,
    /// ОГРН.
    pub ogrn: Option<String>,
    /// ССТУ.РФ department GUID.
    pub sstu_department_id: Option<String>,
}

impl From<BodyRow> for Body {
    fn from(r: BodyRow) -> Self {
        Body { id: r.id, name: r.name, inn: r.inn, ogrn: r.ogrn, sstu_department_id: r.sstu_department_id }
    }
}

/// Bodies of the directory.
#[derive(Serialize, ToSchema)]
pub struct BodyList {
    /// Bodies by name.
    pub items: Vec<Body>,
}

/// Searches the directory of bodies by name, INN or OGRN (`q`), by name; at most `limit` (default 100).
#[utoipa::path(tag = "bodies",
    params(("q" = Option<String>, Query, description = "text of the name, INN or OGRN, case-insensitive"),
           ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000)),
    responses((status = 200, body = BodyList), ReadProblems))]
#[get("/bodies")]
pub async fn list_bodies(caller: Caller, state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    caller.require(Capability::ReadAll)?;
    let p = Params::of(&req)?;
    let q = p.text("q", 200)?;
    let limit = p.int("limit", 1, 1000)?.unwrap_or(100);
    let pool = state.pool.clone();
    let rows = web::block(move || crate::store::bodies::search(&pool, &caller.org, q.as_deref(), limit)).await??;
    Ok(HttpResponse::Ok().json(BodyList { items: rows.into_iter().map(Body::from).collect() }))
}

/// Adds a body to the directory (admin); a name already there is 409 `body_exists`.
#[utoipa::path(tag = "bodies", request_body = NewBodyInput, responses((status = 201, body = Body), WriteProblems))]
#[post("/bodies")]
pub async fn create_body(caller: Caller, state: web::Data<AppState>, body: ValidJson<NewBodyInput>) -> Result<HttpResponse, ApiError> {
    caller.require(Capability::ManageUsers)?;
    let b = body.0;
    b.validate().map_err(ApiError::Validation)?;
    let trim = |o: Option<String>| o.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let new = NewBody { name: b.name.trim().into(), inn: trim(b.inn), ogrn: trim(b.ogrn), sstu_department_id: trim(b.sstu_department_id).map(|g| g.to_lowercase()) };
    let pool = state.pool.clone();
    let now = state.now_naive();
    let org = caller.org.clone();
    let row = web::block(move || crate::store::bodies::create(&pool, &org, &new, now)).await?.map_err(|e| {
        if e.is_unique_violation() {
            ApiError::Conflict { code: ErrorCode::BodyExists, detail: "такой орган уже есть в справочнике".into(), extra: serde_json::json!({"field": "name"}) }
        } else {
            e.into()
        }
    })?;
    tracing::info!(body_id = %row.id, actor = %caller.login, "body added");
    Ok(HttpResponse::Created().json(Body::from(row)))
}
