//! Every refusal the service answers, as one enum: the stable `code` of a problem document
//! (docs/api.md), matched by type wherever a caller reacts to a particular refusal, never by
//! string. The wording for a person lives with the use case that refuses, or, for a refusal
//! the store finds inside its transaction, in `domain::refusals`.

/// Declares [`ErrorCode`] with each variant's stable code.
macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident => $code:literal,)*) => {
        /// A refusal's stable, machine-readable code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)*
        }

        impl ErrorCode {
            /// Every code, for the checks that they stay unique.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as the problem document's `code` spells it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                }
            }
        }
    };
}

error_codes! {
    /// Field errors (422).
    ValidationFailed => "validation_failed",
    /// A request that cannot be read (400).
    BadRequest => "bad_request",
    /// No credentials (401).
    Unauthorized => "unauthorized",
    /// No token sent.
    TokenMissing => "token_missing",
    /// Not a token of this service.
    TokenMalformed => "token_malformed",
    /// No such token.
    TokenUnknown => "token_unknown",
    /// The token was revoked.
    TokenRevoked => "token_revoked",
    /// The token expired.
    TokenExpired => "token_expired",
    /// The token's user is disabled.
    UserDisabled => "user_disabled",
    /// A request header too large (431).
    HeaderTooLarge => "header_too_large",
    /// The role may not (403).
    Forbidden => "forbidden",
    /// No such resource, or not visible to the caller (404).
    NotFound => "not_found",
    /// The workflow refuses the move in this status (409).
    IllegalTransition => "illegal_transition",
    /// `If-Match` named an older version (412).
    StaleVersion => "stale_version",
    /// `If-Match` required and missing (428).
    IfMatchRequired => "if_match_required",
    /// The path has no such method (405).
    MethodNotAllowed => "method_not_allowed",
    /// The body is over the limit (413).
    PayloadTooLarge => "payload_too_large",
    /// Not JSON (415).
    UnsupportedMediaType => "unsupported_media_type",
    /// A bug or an outage (500).
    Internal => "internal",
    /// A readiness check failed: the instance should get no traffic yet (503).
    NotReady => "not_ready",
    /// The database is out of reach for now (a failover): repeat after `Retry-After` (503).
    DatabaseUnavailable => "database_unavailable",
    /// The deadline was extended already (Art. 12 allows once).
    AlreadyExtended => "already_extended",
    /// The deadline has passed: an extension now would hide the breach.
    DeadlinePassed => "deadline_passed",
    /// No answer is waiting for review.
    NoPendingAnswer => "no_pending_answer",
    /// No approved answer is waiting to be sent.
    NothingToDispatch => "nothing_to_dispatch",
    /// Control ends when the answer has gone out.
    AnswerNotDispatched => "answer_not_dispatched",
    /// The answer was reviewed already.
    AnswerAlreadyReviewed => "answer_already_reviewed",
    /// Only an approved answer is sent.
    AnswerNotApproved => "answer_not_approved",
    /// The answer was sent already.
    AlreadyDispatched => "already_dispatched",
    /// The outgoing number is taken.
    DuplicateOutgoingNumber => "duplicate_outgoing_number",
    /// The forwarding letter's number is taken.
    DuplicateForwardNumber => "duplicate_forward_number",
    /// The organization of this instance an appeal is forwarded to is deactivated: it receives nothing new.
    ReceiverInactive => "receiver_inactive",
    /// The external id was registered already on this channel.
    DuplicateExternalId => "duplicate_external_id",
    /// A uniqueness rule of the database.
    UniqueViolation => "unique_violation",
    /// A bulk action refused as a whole.
    BatchRefused => "batch_refused",
    /// The same form is being registered right now.
    FormInFlight => "form_in_flight",
    /// The visitor was registered already.
    VisitorAlreadyRegistered => "visitor_already_registered",
    /// The notification cannot be retried in its state.
    NotificationNotRetryable => "notification_not_retryable",
    /// The login is taken.
    LoginTaken => "login_taken",
    /// The department code is taken.
    DepartmentCodeTaken => "department_code_taken",
    /// The organization code is taken in the instance.
    OrganizationCodeTaken => "organization_code_taken",
    /// The body is in the directory already.
    BodyExists => "body_exists",
    /// The answer's file can no longer change.
    AnswerFileFrozen => "answer_file_frozen",
    /// Another version of the answer's file is being stored.
    AnswerFileConcurrent => "answer_file_concurrent",
    /// No ССТУ.РФ connector is configured.
    PushNotConfigured => "push_not_configured",
    /// The ССТУ.РФ connector did not take the export.
    PushFailed => "push_failed",
    /// The month's data breaks the connector's rules.
    SstuInvalid => "sstu_invalid",
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case() {
        let codes: std::collections::BTreeSet<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(codes.len(), ErrorCode::ALL.len());
        assert!(codes.iter().all(|c| c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_')));
    }
}
