//! Control actions (API.md): each checks the state machine, changes the card in one
//! transaction with a history entry, honours `If-Match`, and answers with the updated card.

use super::appeals::{card_response, visible};
use super::dto::Card;
use super::error::ApiError;
use super::extract::{if_match, Caller, ValidJson};
use super::{ActionResponses, AppState};
use crate::domain::appeal::QuestionResult;
use crate::domain::deadline::{self, Extension};
use crate::domain::roles::Role;
use crate::domain::validation::Errors;
use crate::domain::workflow::{self, Action, LeaveReason, Status};
use crate::store::appeals::{CardData, Change};
use crate::store::models::{AnswerRow, AssignmentRow};
use crate::store::{new_id, StoreError};
use actix_web::{post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;
use utoipa::ToSchema;

/// One executor of a resolution.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecutorInput {
    /// User id.
    pub user_id: String,
    /// The responsible executor (exactly one); others are co-executors.
    #[serde(default)]
    pub responsible: bool,
}

/// A resolution: executors and instruction.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    /// Executors; exactly one responsible.
    pub executors: Vec<ExecutorInput>,
    /// Instruction text, e.g. «Для рассмотрения и подготовки ответа заявителю».
    #[serde(default)]
    pub instruction: Option<String>,
}

/// A deadline extension (Art. 12: once, at most 30 days).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtendBody {
    /// Days to add, 1–30.
    pub days: i64,
    /// Reason.
    pub reason: String,
}

/// Forwarding by competence.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForwardBody {
    /// Receiving body.
    pub organization: String,
    /// Reason.
    #[serde(default)]
    pub reason: Option<String>,
}

/// A result for one question.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResultInput {
    /// Question's classifier code.
    pub code: String,
    /// Result.
    pub result: QuestionResult,
}

/// A draft answer.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    /// Answer text.
    pub text: String,
    /// A result for every question.
    pub results: Vec<ResultInput>,
}

/// Approval.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveBody {
    /// Remove from control (default) or keep on additional control.
    #[serde(default = "yes")]
    pub close: bool,
}

fn yes() -> bool {
    true
}

/// A comment (return for rework, close).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    /// Comment.
    #[serde(default)]
    pub comment: Option<String>,
}

/// Art. 11 ground.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeaveBody {
    /// Reason.
    pub reason: LeaveReason,
    /// Comment.
    #[serde(default)]
    pub comment: Option<String>,
}

type Decide = Box<dyn FnMut(&CardData) -> Result<Change, StoreError> + Send>;

/// Runs one action: visibility, state machine, the action's own change, If-Match, one transaction.
async fn act(state: web::Data<AppState>, caller: Caller, req: &HttpRequest, id: String, action: Action, mut decide: Decide) -> Result<HttpResponse, ApiError> {
    if uuid::Uuid::parse_str(&id).is_err() {
        return Err(ApiError::NotFound);
    }
    let expected = if_match(req)?;
    let st = state.clone();
    let c = caller.clone();
    let card = web::block(move || {
        let now = st.now_naive();
        crate::store::appeals::mutate(&st.pool, &c.org, &id, expected, &c.id, now, &mut |card: &CardData| {
            if !visible(&c, card) {
                return Err(StoreError::NotFound);
            }
            let status = Status::parse(&card.appeal.status).unwrap_or(Status::Registered);
            let assigned = card.assignments.iter().any(|a| a.active && a.user_id == c.id);
            let next = workflow::check(status, action, c.role, assigned).map_err(|refusal| StoreError::Refused { refusal, action })?;
            let mut change = decide(card)?;
            let row = change.appeal.get_or_insert_with(|| card.appeal.clone());
            if row.status == card.appeal.status && next != status {
                row.status = next.as_str().into();
            }
            change.action = action.as_str().into();
            if let Some(obj) = change.details.as_object_mut() {
                obj.entry("status").or_insert(json!({"before": card.appeal.status, "after": row.status}));
            }
            Ok(change)
        })
    })
    .await??;
    tracing::info!(appeal_id = %card.appeal.id, action = action.as_str(), actor = %caller.login, "control action");
    Ok(card_response(HttpResponse::Ok(), Card::from_data(card, &caller.id, caller.role, state.today())))
}

fn invalid(errors: Errors) -> Result<(), ApiError> {
    errors.finish().map_err(ApiError::Validation)
}

/// Resolution: names the responsible executor and co-executors and puts the appeal on control.
#[utoipa::path(tag = "control", request_body = AssignBody, params(("id" = String, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^\"[0-9]{1,9}\"$", description = "expected version, quoted")),
    responses(ActionResponses))]
#[post("/appeals/{id}/assign")]
pub async fn assign_executors(caller: Caller, state: web::Data<AppState>, req: HttpRequest, id: web::Path<String>, body: ValidJson<AssignBody>) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let mut e = Errors::default();
    if b.executors.is_empty() || b.executors.len() > 50 {
        e.add("executors", "от 1 до 50 исполнителей");
    }
    if b.executors.iter().filter(|x| x.responsible).count() != 1 && !b.executors.is_empty() {
        e.add("executors", "ровно один ответственный исполнитель (responsible: true)");
    }
    let mut seen = std::collections::HashSet::new();
    for (i, x) in b.executors.iter().enumerate() {
        if uuid::Uuid::parse_str(&x.user_id).is_err() {
            e.add(format!("executors[{i}].user_id"), "нет такого пользователя");
        } else if !seen.insert(x.user_id.clone()) {
            e.add(format!("executors[{i}].user_id"), "исполнитель указан дважды");
        }
    }
    if let Some(t) = &b.instruction {
        e.max_len("instruction", t, 4000);
    }
    invalid(e)?;
    let ids: Vec<String> = b.executors.iter().map(|x| x.user_id.clone()).collect();
    // (every id is a well-formed UUID by now)
    let pool = state.pool.clone();
    let org = caller.org.clone();
    let users = web::block(move || crate::store::users::users_by_ids(&pool, &org, &ids)).await??;
    let mut e = Errors::default();
    for (i, x) in b.executors.iter().enumerate() {
        match users.iter().find(|u| u.id == x.user_id) {
            None => e.add(format!("executors[{i}].user_id"), "нет такого пользователя"),
            Some(u) if !u.active || !matches!(Role::parse(&u.role), Some(Role::Executor | Role::Supervisor)) => {
                e.add(format!("executors[{i}].user_id"), "исполнителем может быть только активный исполнитель или контролёр")
            }
            _ => {}
        }
    }
    invalid(e)?;
    let now = state.now_naive();
    let actor = caller.id.clone();
    let decide: Decide = Box::new(move |card| {
        let mut row = card.appeal.clone();
        if row.put_on_control_at.is_none() {
            row.put_on_control_at = Some(now);
        }
        let before: Vec<_> = card.assignments.iter().filter(|a| a.active).map(|a| json!({"user_id": a.user_id, "responsible": a.responsible})).collect();
        let new_assignments: Vec<AssignmentRow> = b
            .executors
            .iter()
            .map(|x| AssignmentRow {
                id: new_id(),
                organization_id: row.organization_id.clone(),
                appeal_id: row.id.clone(),
                user_id: x.user_id.clone(),
                responsible: x.responsible,
                instruction: b.instruction.clone(),
                active: true,
                assigned_by: Some(actor.clone()),
                assigned_at: now,
            })
            .collect();
        let after: Vec<_> = new_assignments.iter().map(|a| json!({"user_id": a.user_id, "responsible": a.responsible})).collect();
        Ok(Change {
            appeal: Some(row),
            replace_assignments: true,
            new_assignments,
            details: json!({"executors": {"before": before, "after": after}, "instruction": b.instruction}),
            ..Default::default()
        })
    });
    act(state, caller, &req, id.into_inner(), Action::Assign, decide).await
}

/// Extends the deadline once by 1–30 days with a reason (Art. 12).
#[utoipa::path(tag = "control", request_body = ExtendBody, params(("id" = String, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^\"[0-9]{1,9}\"$", description = "expected version, quoted")),
    responses(ActionResponses))]
#[post("/appeals/{id}/extend")]
pub async fn extend_deadline(caller: Caller, state: web::Data<AppState>, req: HttpRequest, id: web::Path<String>, body: ValidJson<ExtendBody>) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let rules = state.settings.deadlines.clone();
    let mut e = Errors::default();
    if b.days < 1 || b.days > rules.max_extension_days as i64 {
        e.add("days", format!("продление от 1 до {} дней", rules.max_extension_days));
    }
    e.text("reason", &b.reason, 2000);
    invalid(e)?;
    let st = state.clone();
    let who = caller.login.clone();
    let today = state.today();
    let decide: Decide = Box::new(move |card| {
        let days = b.days as u32;
        deadline::check_extension(&rules, card.appeal.extension_days.is_some(), days).map_err(|err| StoreError::Conflict { message: err.to_string(), extra: json!({"field": "days"}) })?;
        let mut row = card.appeal.clone();
        let ext = Extension { days, reason: b.reason.trim().into(), decided_by: who.clone(), decided_on: today };
        let regime = crate::domain::appeal::LegalRegime::parse(&row.legal_regime).unwrap_or(crate::domain::appeal::LegalRegime::Fz59);
        let due = crate::registry::deadline_for(&st, regime, row.registered_on, row.migration_case, Some(&ext));
        let details = json!({"due_date": {"before": row.due_date, "after": due.due}, "days": days, "reason": ext.reason});
        row.due_date = due.due;
        row.control_date = due.control_date;
        row.due_explanation = serde_json::to_string(&due).unwrap_or_default();
        row.extension_days = Some(days as i32);
        row.extension_reason = Some(ext.reason.clone());
        row.extended_by = Some(who.clone());
        row.extended_on = Some(today);
        Ok(Change { appeal: Some(row), details, ..Default::default() })
    });
    act(state, caller, &req, id.into_inner(), Action::Extend, decide).await
}

/// Forwards the appeal by competence (Art. 8); flagged late after 7 days from registration.
#[utoipa::path(tag = "control", request_body = ForwardBody, params(("id" = String, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^\"[0-9]{1,9}\"$", description = "expected version, quoted")),
    responses(ActionResponses))]
#[post("/appeals/{id}/forward")]
pub async fn forward_appeal(caller: Caller, state: web::Data<AppState>, req: HttpRequest, id: web::Path<String>, body: ValidJson<ForwardBody>) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let mut e = Errors::default();
    e.text("organization", &b.organization, 500);
    if let Some(r) = &b.reason {
        e.max_len("reason", r, 2000);
    }
    invalid(e)?;
    let st = state.clone();
    let today = state.today();
    let now = state.now_naive();
    let decide: Decide = Box::new(move |card| {
        let mut row = card.appeal.clone();
        let limit = deadline::forwarding_deadline(&st.calendar, &st.settings.deadlines, row.registered_on);
        row.forwarded_to = Some(b.organization.trim().into());
        row.forward_reason = b.reason.clone();
        row.forwarded_at = Some(now);
        row.forward_late = today > limit.due;
        let results = card.questions.iter().map(|q| (q.id.clone(), Some(QuestionResult::Transferred.as_str().to_string()), false, Some(today))).collect();
        let details = json!({"organization": row.forwarded_to, "reason": row.forward_reason, "late": row.forward_late, "forward_due": limit.due});
        Ok(Change { appeal: Some(row), replace_assignments: true, question_results: results, details, ..Default::default() })
    });
    act(state, caller, &req, id.into_inner(), Action::Forward, decide).await
}

/// An assigned executor submits the answer with a result for every question.
#[utoipa::path(tag = "control", request_body = AnswerBody, params(("id" = String, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^\"[0-9]{1,9}\"$", description = "expected version, quoted")),
    responses(ActionResponses))]
#[post("/appeals/{id}/answers")]
pub async fn submit_answer(caller: Caller, state: web::Data<AppState>, req: HttpRequest, id: web::Path<String>, body: ValidJson<AnswerBody>) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let mut e = Errors::default();
    e.text("text", &b.text, 100_000);
    invalid(e)?;
    let author = caller.id.clone();
    let now = state.now_naive();
    let decide: Decide = Box::new(move |card| {
        let mut e = Errors::default();
        for (i, r) in b.results.iter().enumerate() {
            if !card.questions.iter().any(|q| q.code == r.code) {
                e.add(format!("results[{i}].code"), format!("в обращении нет вопроса {}", r.code));
            } else if b.results.iter().filter(|x| x.code == r.code).count() > 1 {
                e.add(format!("results[{i}].code"), "результат по вопросу указан дважды");
            }
        }
        for q in &card.questions {
            if !b.results.iter().any(|r| r.code == q.code) {
                e.add("results", format!("нет результата по вопросу {}", q.code));
            }
        }
        e.finish().map_err(StoreError::Invalid)?;
        let results = json!(b.results.iter().map(|r| json!({"code": r.code, "result": r.result.as_str()})).collect::<Vec<_>>());
        let ans = AnswerRow {
            id: new_id(),
            organization_id: card.appeal.organization_id.clone(),
            appeal_id: card.appeal.id.clone(),
            author_id: author.clone(),
            text: b.text.trim().into(),
            results: results.to_string(),
            status: "pending".into(),
            created_at: now,
            reviewed_by: None,
            reviewed_at: None,
            review_comment: None,
        };
        let details = json!({"answer_id": ans.id, "results": results});
        Ok(Change { new_answer: Some(ans), details, ..Default::default() })
    });
    act(state, caller, &req, id.into_inner(), Action::Answer, decide).await
}

fn pending_answer<'a>(card: &'a CardData, answer_id: &str) -> Result<&'a AnswerRow, StoreError> {
    let a = card.answers.iter().find(|a| a.id == answer_id).ok_or(StoreError::NotFound)?;
    if a.status != "pending" {
        return Err(StoreError::Conflict { message: format!("ответ уже рассмотрен (статус {})", a.status), extra: json!({"answer_status": a.status}) });
    }
    Ok(a)
}

/// Approves the pending answer: results go to the questions; the appeal is closed or kept on additional control.
#[utoipa::path(tag = "control", request_body = ApproveBody, params(("id" = String, Path), ("answer_id" = String, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^\"[0-9]{1,9}\"$", description = "expected version, quoted")),
    responses(ActionResponses))]
#[post("/appeals/{id}/answers/{answer_id}/approve")]
pub async fn approve_answer(caller: Caller, state: web::Data<AppState>, req: HttpRequest, path: web::Path<(String, String)>, body: ValidJson<ApproveBody>) -> Result<HttpResponse, ApiError> {
    let (id, answer_id) = path.into_inner();
    let close = body.0.close;
    let reviewer = caller.id.clone();
    let now = state.now_naive();
    let today = state.today();
    let decide: Decide = Box::new(move |card| {
        let ans = pending_answer(card, &answer_id)?;
        let results: Vec<serde_json::Value> = serde_json::from_str(&ans.results).unwrap_or_default();
        let mut question_results = Vec::new();
        for q in &card.questions {
            let r = results.iter().find(|r| r["code"] == q.code).and_then(|r| r["result"].as_str()).map(String::from);
            let taken = r.as_deref() == Some(QuestionResult::SupportedMeasuresTaken.as_str());
            question_results.push((q.id.clone(), r, taken, Some(today)));
        }
        let mut row = card.appeal.clone();
        row.answered_at = Some(now);
        let target = if close { Status::Closed } else { Status::Answered };
        row.status = target.as_str().into();
        if close {
            row.closed_at = Some(now);
        }
        let details = json!({"answer_id": ans.id, "close": close});
        Ok(Change { appeal: Some(row), answer_reviews: vec![(ans.id.clone(), "approved".into(), reviewer.clone(), None)], question_results, details, ..Default::default() })
    });
    act(state, caller, &req, id, Action::Approve, decide).await
}

/// Returns the pending answer for rework (counted in reports).
#[utoipa::path(tag = "control", request_body = CommentBody, params(("id" = String, Path), ("answer_id" = String, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^\"[0-9]{1,9}\"$", description = "expected version, quoted")),
    responses(ActionResponses))]
#[post("/appeals/{id}/answers/{answer_id}/return")]
pub async fn return_answer(caller: Caller, state: web::Data<AppState>, req: HttpRequest, path: web::Path<(String, String)>, body: ValidJson<CommentBody>) -> Result<HttpResponse, ApiError> {
    let (id, answer_id) = path.into_inner();
    let comment = body.0.comment;
    let mut e = Errors::default();
    if let Some(c) = &comment {
        e.max_len("comment", c, 4000);
    }
    invalid(e)?;
    let reviewer = caller.id.clone();
    let decide: Decide = Box::new(move |card| {
        let ans = pending_answer(card, &answer_id)?;
        let mut row = card.appeal.clone();
        row.returned_count += 1;
        let details = json!({"answer_id": ans.id, "comment": comment, "returned_count": row.returned_count});
        Ok(Change { appeal: Some(row), answer_reviews: vec![(ans.id.clone(), "returned".into(), reviewer.clone(), comment.clone())], details, ..Default::default() })
    });
    act(state, caller, &req, id, Action::Return, decide).await
}

/// Removes an answered appeal from additional control.
#[utoipa::path(tag = "control", request_body = CommentBody, params(("id" = String, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^\"[0-9]{1,9}\"$", description = "expected version, quoted")),
    responses(ActionResponses))]
#[post("/appeals/{id}/close")]
pub async fn close_appeal(caller: Caller, state: web::Data<AppState>, req: HttpRequest, id: web::Path<String>, body: ValidJson<CommentBody>) -> Result<HttpResponse, ApiError> {
    let comment = body.0.comment;
    let mut e = Errors::default();
    if let Some(c) = &comment {
        e.max_len("comment", c, 4000);
    }
    invalid(e)?;
    let now = state.now_naive();
    let decide: Decide = Box::new(move |card| {
        let mut row = card.appeal.clone();
        row.closed_at = Some(now);
        Ok(Change { appeal: Some(row), details: json!({"comment": comment}), ..Default::default() })
    });
    act(state, caller, &req, id.into_inner(), Action::Close, decide).await
}

/// Leaves the appeal without an answer on an Art. 11 ground.
#[utoipa::path(tag = "control", request_body = LeaveBody, params(("id" = String, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^\"[0-9]{1,9}\"$", description = "expected version, quoted")),
    responses(ActionResponses))]
#[post("/appeals/{id}/leave-without-answer")]
pub async fn leave_without_answer(caller: Caller, state: web::Data<AppState>, req: HttpRequest, id: web::Path<String>, body: ValidJson<LeaveBody>) -> Result<HttpResponse, ApiError> {
    let b = body.0;
    let mut e = Errors::default();
    if let Some(c) = &b.comment {
        e.max_len("comment", c, 4000);
    }
    invalid(e)?;
    let now = state.now_naive();
    let today = state.today();
    let decide: Decide = Box::new(move |card| {
        let mut row = card.appeal.clone();
        row.left_reason = Some(b.reason.as_str().into());
        row.closed_at = Some(now);
        let results = card.questions.iter().map(|q| (q.id.clone(), Some(QuestionResult::LeftWithoutAnswer.as_str().to_string()), false, Some(today))).collect();
        Ok(Change { appeal: Some(row), question_results: results, details: json!({"reason": b.reason.as_str(), "comment": b.comment}), ..Default::default() })
    });
    act(state, caller, &req, id.into_inner(), Action::LeaveWithoutAnswer, decide).await
}
