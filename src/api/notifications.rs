//! The outbox for administrators: what was sent, skipped or failed, and a retry of a failed row.

use crate::edge::ApiError;
use crate::edge::{Caller, Params};
use super::{AppState, ReadProblems};
use crate::domain::roles::Role;
use crate::domain::validation::FieldError;
use crate::store::models::NotificationRow;
use crate::store::outbox::ListFilter;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// Statuses of an outbox row.
pub const STATUSES: [&str; 5] = ["pending", "sent", "failed", "cancelled", "skipped"];
/// Kinds of notification.
pub const KINDS: [&str; 10] = ["registration_ack", "forwarding_notice", "extension_notice", "answer", "art11_notice", "reminder", "overdue", "escalation", "digest", "summary"];

/// One outbox row, without its text.
#[derive(Serialize, ToSchema)]
pub struct NotificationItem {
    /// Id (also in the message's Message-ID).
    pub id: String,
    /// Appeal, for notices and per-appeal reminders.
    pub appeal_id: Option<String>,
    /// Address.
    pub recipient: String,
    /// Kind.
    pub kind: String,
    /// `pending`, `sent`, `failed`, `cancelled` or `skipped`.
    pub status: String,
    /// When the next attempt is due.
    pub scheduled_for: DateTime<Utc>,
    /// When it was sent.
    pub sent_at: Option<DateTime<Utc>>,
    /// Attempts so far.
    pub attempts: i32,
    /// Last delivery error, or why it was cancelled.
    pub last_error: Option<String>,
    /// Why it was not sent at all (`skipped`).
    pub skip_reason: Option<String>,
    /// Subject.
    pub subject: String,
    /// Message-ID of the sent message.
    pub message_id: Option<String>,
    /// Written.
    pub created_at: DateTime<Utc>,
}

/// A page of outbox rows, newest first.
#[derive(Serialize, ToSchema)]
pub struct NotificationList {
    /// Rows.
    pub items: Vec<NotificationItem>,
}

fn utc(t: chrono::NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(t, Utc)
}

impl From<NotificationRow> for NotificationItem {
    fn from(n: NotificationRow) -> Self {
        NotificationItem {
            id: n.id,
            appeal_id: n.appeal_id,
            recipient: n.recipient,
            kind: n.kind,
            status: n.status,
            scheduled_for: utc(n.scheduled_for),
            sent_at: n.sent_at.map(utc),
            attempts: n.attempts,
            last_error: n.last_error,
            skip_reason: n.skip_reason,
            subject: n.subject,
            message_id: n.message_id,
            created_at: utc(n.created_at),
        }
    }
}

/// The outbox is an administrator's tool: it shows every recipient's address.
fn admin_only(caller: &Caller) -> Result<(), ApiError> {
    if caller.role == Role::Admin {
        Ok(())
    } else {
        Err(ApiError::Forbidden("уведомления доступны только администратору".into()))
    }
}

/// Outbox rows (admin), newest first, filtered by status, kind, appeal and recipient.
#[utoipa::path(tag = "notifications",
    params(("status" = Option<String>, Query, description = "pending, sent, failed, cancelled or skipped"),
           ("kind" = Option<String>, Query, description = "registration_ack, forwarding_notice, extension_notice, answer, art11_notice, reminder, overdue, escalation, digest or summary"),
           ("appeal_id" = Option<String>, Query),
           ("recipient" = Option<String>, Query, description = "exact address"),
           ("limit" = Option<i64>, Query, minimum = 1, maximum = 500, description = "default 100")),
    responses((status = 200, body = NotificationList), ReadProblems))]
#[get("/notifications")]
pub async fn list_notifications(caller: Caller, state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    admin_only(&caller)?;
    let p = Params::of(&req)?;
    let status = p.one_of("status", &STATUSES)?;
    let kind = p.one_of("kind", &KINDS)?;
    let appeal_id = p.text("appeal_id", 64)?;
    if appeal_id.as_deref().is_some_and(|a| uuid::Uuid::parse_str(a).is_err()) {
        return Err(ApiError::Validation(vec![FieldError { field: "appeal_id".into(), message: "ожидается UUID обращения".into() }]));
    }
    let recipient = p.text("recipient", 320)?.map(|r| r.trim().to_string());
    let limit = p.int("limit", 1, 500)?.unwrap_or(100);
    let f = ListFilter { status, kind, appeal_id, recipient, limit };
    let st = state.clone();
    // Planned reminders carry no text until sent: the list shows the subject they would have now.
    let rows = web::block(move || {
        let mut rows = crate::store::outbox::list(&st.pool, &caller.org, &f)?;
        crate::scheduler::render_planned(&st, &mut rows)?;
        Ok::<_, crate::store::ServiceError>(rows)
    })
    .await??;
    Ok(HttpResponse::Ok().json(NotificationList { items: rows.into_iter().map(Into::into).collect() }))
}

/// Puts a failed or cancelled row back in the queue (admin); it goes out on the next dispatch.
#[utoipa::path(tag = "notifications",
    params(("id" = String, Path)),
    responses((status = 200, body = NotificationItem),
              (status = 409, description = "`notification_not_retryable`: the row is pending, sent or skipped", body = super::Problem),
              ReadProblems))]
#[post("/notifications/{id}/retry")]
pub async fn retry_notification(caller: Caller, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    admin_only(&caller)?;
    let id = id.into_inner();
    if uuid::Uuid::parse_str(&id).is_err() {
        return Err(ApiError::NotFound);
    }
    let now = state.now_naive();
    let pool = state.pool.clone();
    let row = web::block(move || crate::store::outbox::retry(&pool, &caller.org, &id, &caller.id, now)).await??;
    Ok(HttpResponse::Ok().json(NotificationItem::from(row)))
}
