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

    /// True when the database could not be reached or was lost under the request (a PostgreSQL
    /// failover: the primary gone, a standby not yet promoted, a connection reset), so nothing
    /// was committed by this request and the same request may be repeated: the edge answers 503
    /// with `Retry-After`. A pool that found no connection in the failover timeout counts too.
    pub fn is_unavailable(&self) -> bool {
        match self {
            ServiceError::Pool(_) => true,
            ServiceError::Db(e) => db_unavailable(e),
            _ => false,
        }
    }

    /// True for a unique-constraint violation.
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, ServiceError::Db(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)))
    }
}

/// Whether a diesel error means the server went away or is not (yet) a primary: the connection
/// closed or reset, the server shutting down or in recovery, a read-only session.
pub(crate) fn db_unavailable(e: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match e {
        Error::DatabaseError(DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::ReadOnlyTransaction, _) => true,
        Error::DatabaseError(DatabaseErrorKind::Unknown, info) => lost_connection_message(info.message()),
        Error::RollbackErrorOnCommit { rollback_error, commit_error } => db_unavailable(rollback_error) || db_unavailable(commit_error),
        Error::BrokenTransactionManager => true,
        _ => false,
    }
}

/// libpq's and the server's words for a lost or refusing server (SQLSTATE classes 08 and 57P,
/// which diesel does not name apart from `ClosedConnection`).
fn lost_connection_message(m: &str) -> bool {
    const MARKS: [&str; 9] = [
        "server closed the connection",
        "no connection to the server",
        "terminating connection",
        "could not receive data from server",
        "could not send data to server",
        "connection to server",
        "the database system is shutting down",
        "the database system is in recovery mode",
        "the database system is starting up",
    ];
    MARKS.iter().any(|mark| m.contains(mark))
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::result::{DatabaseErrorKind, Error};

    #[test]
    fn a_lost_server_is_unavailable_a_broken_rule_is_not() {
        let db = |kind, msg: &str| ServiceError::Db(Error::DatabaseError(kind, Box::new(msg.to_string())));
        assert!(db(DatabaseErrorKind::ClosedConnection, "x").is_unavailable());
        assert!(db(DatabaseErrorKind::ReadOnlyTransaction, "cannot execute INSERT in a read-only transaction").is_unavailable());
        assert!(db(DatabaseErrorKind::Unknown, "server closed the connection unexpectedly").is_unavailable());
        assert!(db(DatabaseErrorKind::Unknown, "FATAL: terminating connection due to administrator command").is_unavailable());
        assert!(!db(DatabaseErrorKind::UniqueViolation, "duplicate key").is_unavailable());
        assert!(!db(DatabaseErrorKind::Unknown, "division by zero").is_unavailable());
        assert!(!ServiceError::NotFound.is_unavailable());
    }
}
