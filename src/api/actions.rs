//! Control actions over HTTP (docs/api.md): each handler parses the body and `If-Match`, names the
//! caller, and calls its use case in `crate::control`; the answer is the updated card.

use super::appeals::card_response;
use crate::edge::views::Card;
use crate::edge::ApiError;
use crate::edge::{if_match, Caller, ValidJson};
use super::{ActionResponses, AppState};
use crate::control::answer::AnswerInput;
use crate::control::approve::ApproveInput;
use crate::control::assign::AssignInput;
use crate::control::consider::ConsiderationInput;
use crate::control::contribute::ContributionInput;
use crate::control::correct::CorrectionInput;
use crate::control::dispatch::DispatchInput;
use crate::control::extend::ExtendInput;
use crate::control::forward::ForwardInput;
use crate::control::leave::LeaveInput;
use crate::control::rework::CommentInput;
use crate::control::{self, command::Command};
use actix_web::{patch, post, web, HttpRequest, HttpResponse};

/// Executes the command off the async executor and answers with the card as the caller sees it.
async fn respond(state: web::Data<AppState>, caller: Caller, id: String, expected: Option<i32>, command: Command) -> Result<HttpResponse, ApiError> {
    let what = command.name();
    let (st, actor, login) = (state.clone(), caller.actor(), caller.login.clone());
    // An executor's answer shows only the related appeals they may open.
    let card = web::block(move || {
        let mut card = control::command::execute(&st, &actor, &login, &id, expected, command)?;
        crate::queries::card::redact_related(&st, &actor, std::slice::from_mut(&mut card))?;
        Ok::<_, crate::store::ServiceError>(card)
    })
    .await??;
    tracing::info!(appeal_id = %card.appeal.id, action = what, actor = %caller.login, "control action");
    Ok(card_response(HttpResponse::Ok(), Card::from_data(card, &caller.id, caller.role, state.today(&caller.org))))
}

/// Resolution: names the responsible executor and co-executors and puts the appeal on control.
#[utoipa::path(tag = "control", request_body = AssignInput, params(("id" = String, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^\"[0-9]{1,9}\"$", description = "expected version, quoted")),
    responses(ActionResponses))]
#[post("/appeals/{id}/assign")]
pub async fn assign_executors(caller: Caller, state: web::Data<AppState>, req: HttpRequest, id: web::Path<String>, body: ValidJson<AssignInput>) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    respond(state, caller, id.into_inner(), expected, Command::Assign(body.0)).await
}

/// Extends the deadline once by 1–30 days with a reason (Art. 12); never after it has passed.
#[utoipa::path(tag = "control", request_body = ExtendInput, params(("id" = String, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^\"[0-9]{1,9}\"$", description = "expected version, quoted")),
    responses(ActionResponses))]
#[post("/appeals/{id}/extend")]
pub async fn extend_deadline(caller: Caller, state: web::Data<AppState>, req: HttpRequest, id: web::Path<String>, body: ValidJson<ExtendInput>) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    respond(state, caller, id.into_inner(), expected, Command::Extend(body.0)).await
}

/// Forwards the appeal by competence (Art. 8); flagged late after 7 days from registration.
#[utoipa::path(tag = "control", request_body = ForwardInput, params(("id" = String, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^\"[0-9]{1,9}\"$", description = "expected version, quoted")),
    responses(ActionResponses))]
#[post("/appeals/{id}/forward")]
pub async fn forward_appeal(caller: Caller, state: web::Data<AppState>, req: HttpRequest, id: web::Path<String>, body: ValidJson<ForwardInput>) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    if body.0.organization_id.is_none() {
        return respond(state, caller, id.into_inner(), expected, Command::Forward(body.0)).await;
    }
    // To another organization of the instance, with the receiver's new appeal.
    let (st, actor) = (state.clone(), caller.actor());
    let id = id.into_inner();
    let card = web::block(move || crate::edge::forwarding::to_organization(&st, &actor, &id, expected, body.0)).await??;
    tracing::info!(appeal_id = %card.appeal.id, action = "forward", actor = %caller.login, "control action");
    Ok(card_response(HttpResponse::Ok(), Card::from_data(card, &caller.id, caller.role, state.today(&caller.org))))
}

/// The responsible executor (whatever their role) submits the answer with a result for every question.
#[utoipa::path(tag = "control", request_body = AnswerInput, params(("id" = String, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^\"[0-9]{1,9}\"$", description = "expected version, quoted")),
    responses(ActionResponses))]
#[post("/appeals/{id}/answers")]
pub async fn submit_answer(caller: Caller, state: web::Data<AppState>, req: HttpRequest, id: web::Path<String>, body: ValidJson<AnswerInput>) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    respond(state, caller, id.into_inner(), expected, Command::Answer(body.0)).await
}

/// A co-executor sends input to the responsible executor; shown on the card as `contributions`.
#[utoipa::path(tag = "control", request_body = ContributionInput, params(("id" = String, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^\"[0-9]{1,9}\"$", description = "expected version, quoted")),
    responses(ActionResponses))]
#[post("/appeals/{id}/contributions")]
pub async fn contribute(caller: Caller, state: web::Data<AppState>, req: HttpRequest, id: web::Path<String>, body: ValidJson<ContributionInput>) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    respond(state, caller, id.into_inner(), expected, Command::Contribute(body.0)).await
}

/// Approves the pending answer: results go to the questions; the appeal is closed or kept on additional control.
#[utoipa::path(tag = "control", request_body = ApproveInput, params(("id" = String, Path), ("answer_id" = String, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^\"[0-9]{1,9}\"$", description = "expected version, quoted")),
    responses(ActionResponses))]
#[post("/appeals/{id}/answers/{answer_id}/approve")]
pub async fn approve_answer(caller: Caller, state: web::Data<AppState>, req: HttpRequest, path: web::Path<(String, String)>, body: ValidJson<ApproveInput>) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    let (id, answer_id) = path.into_inner();
    respond(state, caller, id, expected, Command::Approve { answer_id, input: body.0 }).await
}

/// Returns the pending answer for rework (counted in reports).
#[utoipa::path(tag = "control", request_body = CommentInput, params(("id" = String, Path), ("answer_id" = String, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^\"[0-9]{1,9}\"$", description = "expected version, quoted")),
    responses(ActionResponses))]
#[post("/appeals/{id}/answers/{answer_id}/return")]
pub async fn return_answer(caller: Caller, state: web::Data<AppState>, req: HttpRequest, path: web::Path<(String, String)>, body: ValidJson<CommentInput>) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    let (id, answer_id) = path.into_inner();
    respond(state, caller, id, expected, Command::Return { answer_id, input: body.0 }).await
}

/// Registers the approved answer's dispatch: outgoing number (typed or from its template), date, way.
#[utoipa::path(tag = "control", request_body = DispatchInput, params(("id" = String, Path), ("answer_id" = String, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^\"[0-9]{1,9}\"$", description = "expected version, quoted")),
    responses(ActionResponses))]
#[post("/appeals/{id}/answers/{answer_id}/dispatch")]
pub async fn dispatch_answer(caller: Caller, state: web::Data<AppState>, req: HttpRequest, path: web::Path<(String, String)>, body: ValidJson<DispatchInput>) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    let (id, answer_id) = path.into_inner();
    respond(state, caller, id, expected, Command::Dispatch { answer_id, input: body.0 }).await
}

/// Removes an answered appeal from additional control.
#[utoipa::path(tag = "control", request_body = CommentInput, params(("id" = String, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^\"[0-9]{1,9}\"$", description = "expected version, quoted")),
    responses(ActionResponses))]
#[post("/appeals/{id}/close")]
pub async fn close_appeal(caller: Caller, state: web::Data<AppState>, req: HttpRequest, id: web::Path<String>, body: ValidJson<CommentInput>) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    respond(state, caller, id.into_inner(), expected, Command::Close(body.0)).await
}

/// Leaves the appeal without an answer on an Art. 11 ground that fits the card.
#[utoipa::path(tag = "control", request_body = LeaveInput, params(("id" = String, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^\"[0-9]{1,9}\"$", description = "expected version, quoted")),
    responses(ActionResponses))]
#[post("/appeals/{id}/leave-without-answer")]
pub async fn leave_without_answer(caller: Caller, state: web::Data<AppState>, req: HttpRequest, id: web::Path<String>, body: ValidJson<LeaveInput>) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    respond(state, caller, id.into_inner(), expected, Command::LeaveWithoutAnswer(body.0)).await
}

/// Corrects the registration card (clerk, admin); `If-Match` is required. A finished appeal
/// only by an administrator with a `reason`.
#[utoipa::path(tag = "appeals", request_body = CorrectionInput, params(("id" = String, Path), ("If-Match" = String, Header, pattern = "^\"[0-9]{1,9}\"$", description = "the version being corrected, quoted")),
    responses(ActionResponses, (status = 428, description = "If-Match is missing", content_type = "application/problem+json", body = super::Problem)))]
#[patch("/appeals/{id}")]
pub async fn correct_appeal(caller: Caller, state: web::Data<AppState>, req: HttpRequest, id: web::Path<String>, body: ValidJson<CorrectionInput>) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    respond(state, caller, id.into_inner(), expected, Command::Correct(body.0)).await
}

/// Records how the appeal is considered: documents requested, on-site check, commission, with the applicant.
#[utoipa::path(tag = "control", request_body = ConsiderationInput, params(("id" = String, Path), ("If-Match" = Option<String>, Header, nullable = false, pattern = "^\"[0-9]{1,9}\"$", description = "expected version, quoted")),
    responses(ActionResponses))]
#[post("/appeals/{id}/consideration")]
pub async fn record_consideration(caller: Caller, state: web::Data<AppState>, req: HttpRequest, id: web::Path<String>, body: ValidJson<ConsiderationInput>) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    respond(state, caller, id.into_inner(), expected, Command::Consider(body.0)).await
}
