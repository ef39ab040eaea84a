//! Why a request could not be carried out below the edge: the store's failures (database,
//! pool, migrations, a row not found, a stale version) and the use cases' refusals (conflicts,
//! field errors found against stored data, the state machine's no). The edge maps each variant
//! to one HTTP status and problem type, and the pages to one Russian message.

/// The error every store function and use case returns.
///
/// Use `Conflict` with its own stable code for every rule a request can break against the
/// stored state (409); `Invalid` for field errors found only against stored data (422);
/// `Refused` for the state machine's no.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// A query failed; unique and foreign-key violations are mapped to 409/422 by the API.
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
    /// No connection could be had.
    #[error("connection pool: {0}")]
    Pool(#[from] r2d2::Error),
    /// The database could not be reached or opened; carries the real cause.
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    /// Migrations failed.
    #[error("migrations: {0}")]
    Migration(String),
    /// The row does not exist (or is not visible to the caller).
    #[error("not found")]
    NotFound,
    /// A uniqueness rule of the domain was hit; carries details for the client.
    #[error("{message}")]
    Conflict {
        /// Stable machine-readable code.
        code: crate::domain::error_code::ErrorCode,
        /// Human-readable explanation.
        message: String,
        /// Extra members for the problem body, e.g. the existing appeal's id.
        extra: serde_json::Value,
    },
    /// `If-Match` named an older version.
    #[error("stale version: the appeal is at version {current}")]
    Stale {
        /// The current version.
        current: i32,
    },
    /// The write must name the version it changes (`If-Match`), and did not.
    #[error("version required")]
    VersionRequired,
    /// The workflow refused the action (decided by the domain inside the transaction).
    #[error("refused: {action:?}")]
    Refused {
        /// Why.
        refusal: crate::domain::workflow::Refusal,
        /// What was attempted.
        action: crate::domain::workflow::Action,
    },
    /// The request is well-formed but refers to something invalid (field errors).
    #[error("invalid input")]
    Invalid(Vec<crate::domain::validation::FieldError>),
}

impl ServiceError {
    /// A 409 with a stable code, an explanation, and extra members for the problem body.
    pub fn conflict(code: crate::domain::error_code::ErrorCode, message: impl Into<String>, extra: serde_json::Value) -> ServiceError {
        ServiceError::Conflict { code, message: message.into(), extra }
    }

    /// True for a unique-constraint violation.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, ServiceError::Db(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)))
    }
}
