//! Request extractors: the authenticated caller, JSON bodies with field-naming errors and a
//! size limit, `If-Match` versions, and query strings that answer 400 with a problem body.

use super::error::ApiError;
use super::AppState;
use crate::domain::roles::{allows, Capability, Role};
use crate::domain::validation::FieldError;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

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
        Box::pin(async move {
            let token = token.filter(|t| !t.is_empty() && t.len() <= 200).ok_or(ApiError::Unauthorized)?;
            let state = state.ok_or_else(|| ApiError::Internal("application state missing".into()))?;
            let hash = crate::auth::hash_token(&token);
            let now = state.now_naive();
            let pool = state.pool.clone();
            let found = web::block(move || crate::store::users::authenticate(&pool, &hash, now)).await??;
            let (user, stored) = found.ok_or(ApiError::Unauthorized)?;
            if !crate::auth::hashes_equal(&stored, &crate::auth::hash_token(&token)) {
                return Err(ApiError::Unauthorized);
            }
            let role = Role::parse(&user.role).ok_or(ApiError::Unauthorized)?;
            Ok(Caller { id: user.id, org: user.organization_id, role, login: user.login })
        })
    }
}

/// A JSON body parsed with the path of any bad field; `BIG` selects the import size limit.
#[derive(Debug)]
pub struct ValidJson<T, const BIG: bool = false>(pub T);

/// Turns serde's complaint into a field error (422) or a syntax error (400).
pub fn json_error(err: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = err.path().to_string();
    let inner = err.into_inner();
    let msg = inner.to_string();
    let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
    match inner.classify() {
        serde_json::error::Category::Data => {
            let mut field = if path == "." { String::new() } else { path };
            for prefix in ["unknown field `", "missing field `"] {
                if let Some(rest) = msg.strip_prefix(prefix) {
                    let name = rest.split('`').next().unwrap_or("");
                    let already = field == name || field.ends_with(&format!(".{name}"));
                    if !already {
                        field = if field.is_empty() { name.to_string() } else { format!("{field}.{name}") };
                    }
                }
            }
            if field.is_empty() {
                field = "body".into();
            }
            ApiError::Validation(vec![FieldError { field, message: msg }])
        }
        _ => ApiError::BadRequest(format!("тело запроса не является корректным JSON: {msg}")),
    }
}

/// Parses JSON bytes into `T`, naming the failing field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let v = serde_path_to_error::deserialize(&mut de).map_err(json_error)?;
    de.end().map_err(|e| ApiError::BadRequest(format!("лишние данные после JSON: {e}")))?;
    Ok(v)
}

impl<T: DeserializeOwned + 'static, const BIG: bool> FromRequest for ValidJson<T, BIG> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map(|s| if BIG { s.settings.limits.import_body_bytes } else { s.settings.limits.body_bytes })
            .unwrap_or(1 << 20);
        let ctype_ok = req
            .headers()
            .get("Content-Type")
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                let v = v.to_ascii_lowercase();
                v.starts_with("application/json") || (v.starts_with("application/") && v.contains("+json"))
            })
            .unwrap_or(false);
        let declared = req.headers().get("Content-Length").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if declared.is_some_and(|n| n > limit) {
                drain(&mut payload).await;
                return Err(ApiError::PayloadTooLarge(limit));
            }
            if !ctype_ok {
                drain(&mut payload).await;
                return Err(ApiError::UnsupportedMediaType);
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| ApiError::BadRequest(format!("тело запроса не прочитано: {e}")))?;
                if body.len() + chunk.len() > limit {
                    drain(&mut payload).await;
                    return Err(ApiError::PayloadTooLarge(limit));
                }
                body.extend_from_slice(&chunk);
            }
            if body.is_empty() {
                return Err(ApiError::BadRequest("пустое тело запроса".into()));
            }
            parse_json(&body).map(ValidJson)
        })
    }
}

/// Most bytes read and discarded from a refused body, so the client receives our answer
/// instead of a reset connection; anything larger is cut off.
const DRAIN_LIMIT: usize = 128 << 20;

async fn drain(payload: &mut Payload) {
    let mut seen = 0usize;
    while let Some(Ok(chunk)) = payload.next().await {
        seen += chunk.len();
        if seen > DRAIN_LIMIT {
            break;
        }
    }
}

/// The version named by `If-Match: "7"`, if sent.
pub fn if_match(req: &HttpRequest) -> Result<Option<i32>, ApiError> {
    let Some(v) = req.headers().get("If-Match") else { return Ok(None) };
    let s = v.to_str().map_err(|_| ApiError::BadRequest("If-Match: некорректное значение".into()))?.trim();
    if s == "*" {
        return Ok(None);
    }
    let s = s.strip_prefix("W/").unwrap_or(s).trim_matches('"');
    s.parse::<i32>().map(Some).map_err(|_| ApiError::BadRequest("If-Match: ожидается версия карточки в кавычках, например \"7\"".into()))
}

/// Query parameters, read one by one so an error names the parameter.
pub struct Params(std::collections::HashMap<String, String>);

impl Params {
    /// Parses the request's query string; a parameter given twice is refused, not guessed at.
    pub fn of(req: &HttpRequest) -> Result<Self, ApiError> {
        let pairs = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
            .map_err(|e| ApiError::BadRequest(format!("строка запроса не разобрана: {e}")))?
            .into_inner();
        let mut map = std::collections::HashMap::new();
        for (k, v) in pairs {
            if crate::domain::validation::has_forbidden_controls(&k) || crate::domain::validation::has_forbidden_controls(&v) {
                return Err(Self::bad(&k, "недопустимые управляющие символы"));
            }
            if map.insert(k.clone(), v).is_some() {
                return Err(Self::bad(&k, "параметр указан больше одного раза"));
            }
        }
        Ok(Params(map))
    }

    /// A typed parameter's raw value: absent is fine, present but empty is an error.
    fn typed(&self, name: &str) -> Result<Option<&str>, ApiError> {
        match self.0.get(name).map(|s| s.trim()) {
            Some("") => Err(Self::bad(name, "пустое значение")),
            other => Ok(other),
        }
    }

    fn bad(name: &str, message: impl Into<String>) -> ApiError {
        ApiError::Validation(vec![FieldError { field: name.to_string(), message: message.into() }])
    }

    /// A text parameter; empty counts as absent.
    pub fn text(&self, name: &str, max: usize) -> Result<Option<String>, ApiError> {
        match self.0.get(name).map(|s| s.trim()).filter(|s| !s.is_empty()) {
            Some(v) if v.chars().count() > max => Err(Self::bad(name, format!("не длиннее {max} символов"))),
            Some(v) => Ok(Some(v.to_string())),
            None => Ok(None),
        }
    }

    /// A `YYYY-MM-DD` date.
    pub fn date(&self, name: &str) -> Result<Option<chrono::NaiveDate>, ApiError> {
        self.typed(name)?.map(|v| v.parse().map_err(|_| Self::bad(name, "ожидается дата ГГГГ-ММ-ДД"))).transpose()
    }

    /// An integer within bounds.
    pub fn int(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        self.typed(name)?
            .map(|v| match v.parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
                _ => Err(Self::bad(name, format!("ожидается целое число от {min} до {max}"))),
            })
            .transpose()
    }

    /// `true` or `false`.
    pub fn flag(&self, name: &str) -> Result<Option<bool>, ApiError> {
        self.typed(name)?
            .map(|v| match v {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(Self::bad(name, "ожидается true или false")),
            })
            .transpose()
    }

    /// An opaque value (a cursor): absent is fine, present must not be empty.
    pub fn opaque(&self, name: &str, max: usize) -> Result<Option<String>, ApiError> {
        match self.typed(name)? {
            Some(v) if v.len() > max => Err(Self::bad(name, format!("не длиннее {max} символов"))),
            other => Ok(other.map(String::from)),
        }
    }

    /// A classifier section code: four digits.
    pub fn section(&self, name: &str) -> Result<Option<String>, ApiError> {
        match self.typed(name)? {
            Some(v) if v.len() == 4 && v.bytes().all(|b| b.is_ascii_digit()) => Ok(Some(v.to_string())),
            Some(_) => Err(Self::bad(name, "ожидается код раздела классификатора из 4 цифр, например 0005")),
            None => Ok(None),
        }
    }

    /// One of a fixed set of codes.
    pub fn one_of(&self, name: &str, allowed: &[&str]) -> Result<Option<String>, ApiError> {
        match self.typed(name)? {
            Some(v) if !allowed.contains(&v) => Err(Self::bad(name, format!("допустимые значения: {}", allowed.join(", ")))),
            other => Ok(other.map(String::from)),
        }
    }
}
