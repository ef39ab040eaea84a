//! The API's one error type, rendered once as `application/problem+json` (RFC 9457) with a
//! stable machine-readable `code`. Internal causes are logged, never shown.

use crate::domain::error_code::ErrorCode;
use crate::domain::validation::FieldError;
use crate::domain::workflow::{Action, Refusal, Status};
use crate::store::ServiceError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde_json::{json, Value};

/// Everything a handler can answer other than success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Field-level problems (422).
    #[error("invalid input")]
    Validation(Vec<FieldError>),
    /// Malformed request: broken JSON, bad query string (400).
    #[error("{0}")]
    BadRequest(String),
    /// No or bad token (401).
    #[error("authentication required")]
    Unauthorized,
    /// A token refused for a reason the caller is told (401).
    #[error("token refused")]
    TokenRefused(crate::auth::TokenProblem),
    /// A request header too large to handle (431).
    #[error("header too large")]
    HeaderTooLarge(String),
    /// The role may not do this (403).
    #[error("{0}")]
    Forbidden(String),
    /// No such resource, or not visible to the caller (404).
    #[error("not found")]
    NotFound,
    /// A uniqueness rule (409).
    #[error("{detail}")]
    Conflict {
        /// Stable code of this kind of conflict.
        code: ErrorCode,
        /// Explanation.
        detail: String,
        /// Extra members (e.g. the existing appeal's id).
        extra: Value,
    },
    /// The state machine refuses the move (409).
    #[error("illegal transition")]
    IllegalTransition {
        /// Current status.
        current: Status,
        /// What the caller may do now.
        allowed: Vec<Action>,
        /// The refused action.
        action: Action,
    },
    /// A stale `If-Match` (412).
    #[error("stale version")]
    Precondition {
        /// Current version.
        current: i32,
    },
    /// A write that must name the version it corrects came without `If-Match` (428).
    #[error("precondition required")]
    PreconditionRequired,
    /// A known path asked with a method it does not have (405); carries the allowed ones.
    #[error("method not allowed")]
    MethodNotAllowed(Vec<String>),
    /// Body over the limit (413).
    #[error("body too large")]
    PayloadTooLarge(usize),
    /// Not JSON (415).
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// A bug or an outage (500); the cause is logged only.
    #[error("internal error")]
    Internal(String),
    /// A readiness check failed (503); each failed check is named in `errors` (`field`: the
    /// check, `message`: what is wrong).
    #[error("not ready")]
    NotReady(Vec<FieldError>),
    /// The database is out of reach for now (a failover of PostgreSQL in progress, every
    /// connection lost): 503 with `Retry-After`. Nothing is half-written (every write is one
    /// transaction); a write whose COMMIT was under way when the server died may have been
    /// committed, so a registration is repeated with its `external_id`, which finds it then.
    /// The cause is logged only.
    #[error("database unavailable")]
    Unavailable(String),
}

/// Seconds a client is told to wait before repeating a request the database could not take.
pub const RETRY_AFTER_SECONDS: u32 = 5;

impl ApiError {
    /// True for [`ApiError::Unavailable`]: the database was lost under the request.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, ApiError::Unavailable(_))
    }

    /// The refusal's stable code.
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::Validation(_) => ErrorCode::ValidationFailed,
            ApiError::BadRequest(_) => ErrorCode::BadRequest,
            ApiError::Unauthorized => ErrorCode::Unauthorized,
            ApiError::TokenRefused(p) => p.code(),
            ApiError::HeaderTooLarge(_) => ErrorCode::HeaderTooLarge,
            ApiError::Forbidden(_) => ErrorCode::Forbidden,
            ApiError::NotFound => ErrorCode::NotFound,
            ApiError::Conflict { code, .. } => *code,
            ApiError::IllegalTransition { .. } => ErrorCode::IllegalTransition,
            ApiError::Precondition { .. } => ErrorCode::StaleVersion,
            ApiError::PreconditionRequired => ErrorCode::IfMatchRequired,
            ApiError::MethodNotAllowed(_) => ErrorCode::MethodNotAllowed,
            ApiError::PayloadTooLarge(_) => ErrorCode::PayloadTooLarge,
            ApiError::UnsupportedMediaType => ErrorCode::UnsupportedMediaType,
            ApiError::Internal(_) => ErrorCode::Internal,
            ApiError::NotReady(_) => ErrorCode::NotReady,
            ApiError::Unavailable(_) => ErrorCode::DatabaseUnavailable,
        }
    }

    fn title(&self) -> &'static str {
        match self {
            ApiError::Validation(_) => "Ошибка в данных запроса",
            ApiError::BadRequest(_) => "Некорректный запрос",
            ApiError::Unauthorized | ApiError::TokenRefused(_) => "Требуется авторизация",
            ApiError::HeaderTooLarge(_) => "Слишком большой заголовок запроса",
            ApiError::Forbidden(_) => "Недостаточно прав",
            ApiError::NotFound => "Не найдено",
            ApiError::Conflict { .. } => "Конфликт",
            ApiError::IllegalTransition { .. } => "Действие недопустимо в текущем статусе",
            ApiError::Precondition { .. } => "Карточка изменена другим пользователем",
            ApiError::PreconditionRequired => "Нужен заголовок If-Match",
            ApiError::MethodNotAllowed(_) => "Метод не поддерживается",
            ApiError::PayloadTooLarge(_) => "Слишком большой запрос",
            ApiError::UnsupportedMediaType => "Ожидается application/json",
            ApiError::Internal(_) => "Внутренняя ошибка",
            ApiError::NotReady(_) => "Служба не готова принимать запросы",
            ApiError::Unavailable(_) => "База данных временно недоступна",
        }
    }

    /// The problem document.
    pub fn body(&self) -> Value {
        let status = self.status_code().as_u16();
        let mut b = json!({"type": format!("urn:appeals:problem:{}", self.code()), "title": self.title(), "status": status, "code": self.code().as_str()});
        let detail: String = match self {
            ApiError::Validation(errs) => {
                b["errors"] = json!(errs);
                errs.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ")
            }
            ApiError::BadRequest(m) | ApiError::Forbidden(m) => m.clone(),
            ApiError::Unauthorized => "передайте заголовок Authorization: Bearer <токен>".into(),
            ApiError::TokenRefused(p) => p.detail().into(),
            ApiError::HeaderTooLarge(name) => format!("заголовок {name} слишком велик"),
            ApiError::NotFound => "ресурс не найден".into(),
            ApiError::Conflict { detail, extra, .. } => {
                if let (Some(obj), Some(ext)) = (b.as_object_mut(), extra.as_object()) {
                    for (k, v) in ext {
                        obj.insert(k.clone(), v.clone());
                    }
                }
                detail.clone()
            }
            ApiError::IllegalTransition { current, allowed, action } => {
                b["current_status"] = json!(current.as_str());
                b["allowed_actions"] = json!(allowed.iter().map(|a| a.as_str()).collect::<Vec<_>>());
                format!(
                    "действие «{}» недопустимо в статусе «{}»; допустимо: {}",
                    action.label(),
                    current.label(),
                    if allowed.is_empty() { "ничего".into() } else { allowed.iter().map(|a| a.label()).collect::<Vec<_>>().join(", ") }
                )
            }
            ApiError::Precondition { current } => {
                b["current_version"] = json!(current);
                format!("текущая версия карточки {current}; перечитайте её и повторите")
            }
            ApiError::PreconditionRequired => "исправление карточки требует If-Match с её текущей версией (ETag)".into(),
            ApiError::MethodNotAllowed(allowed) => format!("допустимые методы: {}", allowed.join(", ")),
            ApiError::PayloadTooLarge(limit) => format!("тело запроса больше {limit} байт"),
            ApiError::UnsupportedMediaType => "Content-Type должен быть application/json".into(),
            ApiError::Internal(_) => "внутренняя ошибка сервера; подробности в журнале".into(),
            ApiError::NotReady(errs) => {
                b["errors"] = json!(errs);
                errs.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ")
            }
            ApiError::Unavailable(_) => format!("связь с базой данных потеряна (переключение на резервный сервер); повторите запрос через {RETRY_AFTER_SECONDS} с"),
        };
        b["detail"] = json!(detail);
        b
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized | ApiError::TokenRefused(_) => StatusCode::UNAUTHORIZED,
            ApiError::HeaderTooLarge(_) => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } | ApiError::IllegalTransition { .. } => StatusCode::CONFLICT,
            ApiError::Precondition { .. } => StatusCode::PRECONDITION_FAILED,
            ApiError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::NotReady(_) | ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(cause) = self {
            tracing::error!(cause = %cause, "internal error");
        }
        if let ApiError::Unavailable(cause) = self {
            tracing::warn!(cause = %cause, "database unavailable, answered 503");
            crate::telemetry::get().refused(self.code().as_str());
            return HttpResponse::build(self.status_code())
                .content_type("application/problem+json")
                .insert_header(("Retry-After", RETRY_AFTER_SECONDS.to_string()))
                .body(self.body().to_string());
        }
        crate::telemetry::get().refused(self.code().as_str());
        let mut r = HttpResponse::build(self.status_code());
        r.content_type("application/problem+json");
        match self {
            ApiError::Unauthorized | ApiError::TokenRefused(crate::auth::TokenProblem::Missing) => {
                r.insert_header(("WWW-Authenticate", "Bearer"));
            }
            ApiError::TokenRefused(_) => {
                r.insert_header(("WWW-Authenticate", "Bearer error=\"invalid_token\""));
            }
            _ => {}
        }
        if let ApiError::MethodNotAllowed(allowed) = self {
            r.insert_header(("Allow", allowed.join(", ")));
        }
        r.body(self.body().to_string())
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        if e.is_unavailable() {
            return ApiError::Unavailable(e.to_string());
        }
        match e {
            ServiceError::NotFound | ServiceError::Db(DieselError::NotFound) => ApiError::NotFound,
            ServiceError::Conflict { code, message, extra } => ApiError::Conflict { code, detail: message, extra },
            ServiceError::Stale { current } => ApiError::Precondition { current },
            ServiceError::VersionRequired => ApiError::PreconditionRequired,
            ServiceError::Invalid(errs) => ApiError::Validation(errs),
            ServiceError::Refused { refusal: r, action } => refusal(r, action),
            ServiceError::Db(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info)) => {
                ApiError::Conflict { code: ErrorCode::UniqueViolation, detail: format!("нарушена уникальность: {}", info.constraint_name().unwrap_or("ключ")), extra: json!({}) }
            }
            ServiceError::Db(DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _)) => {
                ApiError::Validation(vec![FieldError { field: "body".into(), message: "ссылка на несуществующую запись".into() }])
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

/// Maps a state-machine refusal to the API's answer.
pub fn refusal(r: Refusal, action: Action) -> ApiError {
    match r {
        Refusal::Role => ApiError::Forbidden(format!("роль не позволяет действие «{}»", action.label())),
        // Visible, but the action belongs to another part in the resolution.
        Refusal::NotAssigned => ApiError::Forbidden(match action {
            Action::Answer => "ответ направляет только ответственный исполнитель; соисполнители передают ему свои материалы (contributions)".into(),
            Action::Contribute => "материалы к ответу передают соисполнители; ответственный исполнитель направляет сам ответ".into(),
            _ => format!("действие «{}» доступно только исполнителям по резолюции", action.label()),
        }),
        Refusal::Status { current, allowed } => ApiError::IllegalTransition { current, allowed, action },
    }
}
