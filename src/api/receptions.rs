//! Personal reception by the head and deputies: the schedule, booking citizens,
//! registering each visitor as an appeal with channel `personal_reception` (through the
//! ordinary registration use case), and an oral answer given with the citizen's consent.

use crate::domain::error_code::ErrorCode;
use super::appeals::card_response;
use crate::edge::views::Card;
use crate::edge::ApiError;
use crate::edge::{parse_json, Caller, Params, ValidJson};
use super::{AppState, ReadProblems, WriteProblems};
use crate::control::answer::ResultInput;
use crate::control::oral::OralAnswer;
use crate::control;
use crate::domain::appeal::{AppealDraft, OfficialRole};
use crate::domain::roles::Capability;
use crate::domain::validation::{Errors, FieldError};
use crate::store::receptions::{ReceptionRow, VisitorRow};
use crate::store::{new_id, ServiceError};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A reception to schedule.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReception {
    /// The official receiving citizens.
    pub official: String,
    /// Head or deputy.
    pub official_role: OfficialRole,
    /// Date.
    pub held_on: NaiveDate,
    /// Local start time, `HH:MM`.
    pub starts_at: String,
    /// Room, address, or the link of a remote reception.
    pub place: String,
    /// Remote (video link) rather than in person.
    #[serde(default)]
    pub remote: bool,
}

/// A citizen booked into a reception, as the schedule lists them: name and time, never the
/// contact (that is on the visitor's card, `GET /receptions/visitors/{id}`, where each read is
/// recorded).
#[derive(Serialize, ToSchema)]
pub struct Visitor {
    /// Id (pass as `visitor_id`).
    pub id: String,
    /// Citizen's name.
    pub full_name: String,
    /// Whether a contact was left at booking (read it on the visitor's card).
    pub has_contact: bool,
    /// When booked.
    pub booked_at: chrono::DateTime<chrono::Utc>,
    /// The appeal the visit was registered as.
    pub appeal_id: Option<String>,
}

/// A reception with its visitors.
#[derive(Serialize, ToSchema)]
pub struct Reception {
    /// Id.
    pub id: String,
    /// Official.
    pub official: String,
    /// `head` or `deputy`.
    pub official_role: String,
    /// Date.
    pub held_on: NaiveDate,
    /// Local start time.
    pub starts_at: String,
    /// Place or link.
    pub place: String,
    /// Remote.
    pub remote: bool,
    /// Booked citizens, in booking order.
    pub visitors: Vec<Visitor>,
}

/// A visitor's card: the contact left at booking, and who read it when.
#[derive(Serialize, ToSchema)]
pub struct VisitorCard {
    /// Id.
    pub id: String,
    /// The reception.
    pub reception_id: String,
    /// Citizen's name.
    pub full_name: String,
    /// Phone or e-mail left at booking.
    pub contact: Option<String>,
    /// When booked.
    pub booked_at: chrono::DateTime<chrono::Utc>,
    /// The appeal the visit was registered as.
    pub appeal_id: Option<String>,
    /// The card's reads, newest first (this one included), at most 50.
    pub reads: Vec<VisitorRead>,
}

/// One read of a visitor's card.
#[derive(Serialize, ToSchema)]
pub struct VisitorRead {
    /// Who.
    pub user_id: String,
    /// When.
    pub at: chrono::DateTime<chrono::Utc>,
}

/// The schedule.
#[derive(Serialize, ToSchema)]
pub struct ReceptionList {
    /// Receptions in time order.
    pub items: Vec<Reception>,
}

fn utc(t: chrono::NaiveDateTime) -> chrono::DateTime<chrono::Utc> {
    t.and_utc()
}

fn reception(r: ReceptionRow, v: Vec<VisitorRow>) -> Reception {
    Reception {
        id: r.id,
        official: r.official,
        official_role: r.official_role,
        held_on: r.held_on,
        starts_at: r.starts_at,
        place: r.place,
        remote: r.remote,
        visitors: v.into_iter().map(|v| Visitor { id: v.id, full_name: v.full_name, has_contact: v.contact.is_some(), booked_at: utc(v.booked_at), appeal_id: v.appeal_id }).collect(),
    }
}

fn is_time(s: &str) -> bool {
    chrono::NaiveTime::parse_from_str(s, "%H:%M").is_ok() && s.len() == 5
}

/// A booked visitor's card with the contact they left; the read is recorded (and, once the
/// visit is an appeal, written to its history as a card read).
#[utoipa::path(tag = "receptions", params(("id" = String, Path, description = "visitor id")),
    responses((status = 200, body = VisitorCard), ReadProblems))]
#[get("/receptions/visitors/{id}")]
pub async fn visitor_card(caller: Caller, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    caller.require(Capability::ReadAll)?;
    let id = id.into_inner();
    if uuid::Uuid::parse_str(&id).is_err() {
        return Err(ApiError::NotFound);
    }
    let (pool, org, user, now) = (state.pool.clone(), caller.org.clone(), caller.id.clone(), state.now_naive());
    let (v, reads) = web::block(move || crate::store::receptions::read_visitor(&pool, &org, &id, &user, now)).await??.ok_or(ApiError::NotFound)?;
    tracing::info!(visitor_id = %v.id, actor = %caller.login, "visitor card read");
    Ok(HttpResponse::Ok().json(VisitorCard {
        id: v.id,
        reception_id: v.reception_id,
        full_name: v.full_name,
        contact: v.contact,
        booked_at: utc(v.booked_at),
        appeal_id: v.appeal_id,
        reads: reads.into_iter().map(|(user_id, at)| VisitorRead { user_id, at: utc(at) }).collect(),
    }))
}

/// The schedule of personal receptions held from `from` to `to` (default: 30 days back to 90
/// days ahead), with their visitors and the appeals they were registered as.
#[utoipa::path(tag = "receptions",
    params(("from" = Option<NaiveDate>, Query), ("to" = Option<NaiveDate>, Query)),
    responses((status = 200, body = ReceptionList), ReadProblems))]
#[get("/receptions")]
pub async fn list_receptions(caller: Caller, state: web::Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    caller.require(Capability::ReadAll)?;
    let p = Params::of(&req)?;
    let today = state.today(&caller.org);
    let from = p.date("from")?.unwrap_or(today - chrono::Duration::days(30));
    let to = p.date("to")?.unwrap_or(today + chrono::Duration::days(90));
    let pool = state.pool.clone();
    let rows = web::block(move || crate::store::receptions::list(&pool, &caller.org, from, to)).await??;
    Ok(HttpResponse::Ok().json(ReceptionList { items: rows.into_iter().map(|(r, v)| reception(r, v)).collect() }))
}

/// Schedules a personal reception (clerk, supervisor, admin).
#[utoipa::path(tag = "receptions", request_body = NewReception, responses((status = 201, body = Reception), WriteProblems))]
#[post("/receptions")]
pub async fn create_reception(caller: Caller, state: web::Data<AppState>, body: ValidJson<NewReception>) -> Result<HttpResponse, ApiError> {
    caller.require(Capability::ReadAll)?;
    let b = body.0;
    let mut e = Errors::default();
    e.text("official", &b.official, 300);
    e.text("place", &b.place, 500);
    if !is_time(&b.starts_at) {
        e.add("starts_at", "время начала ЧЧ:ММ");
    }
    e.finish().map_err(ApiError::Validation)?;
    let row = ReceptionRow {
        id: new_id(),
        organization_id: caller.org.clone(),
        official: b.official.trim().into(),
        official_role: b.official_role.as_str().into(),
        held_on: b.held_on,
        starts_at: b.starts_at,
        place: b.place.trim().into(),
        remote: b.remote,
        created_by: Some(caller.id.clone()),
        created_at: state.now_naive(),
    };
    let pool = state.pool.clone();
    let r = row.clone();
    web::block(move || crate::store::receptions::create(&pool, &r)).await??;
    tracing::info!(reception_id = %row.id, actor = %caller.login, "reception scheduled");
    Ok(HttpResponse::Created().json(reception(row, Vec::new())))
}

/// Booking a citizen into a reception.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookingInput {
    /// The reception.
    pub reception_id: String,
    /// Citizen's name.
    pub full_name: String,
    /// Phone or e-mail for the booking.
    #[serde(default)]
    pub contact: Option<String>,
}

fn not_found(field: &str, message: &str) -> ApiError {
    ApiError::Validation(vec![FieldError { field: field.into(), message: message.into() }])
}

/// Books a citizen into a reception (clerk, supervisor, admin).
#[utoipa::path(tag = "receptions", request_body = BookingInput, responses((status = 201, body = Reception), WriteProblems))]
#[post("/receptions/bookings")]
pub async fn book_visitor(caller: Caller, state: web::Data<AppState>, body: ValidJson<BookingInput>) -> Result<HttpResponse, ApiError> {
    caller.require(Capability::ReadAll)?;
    let b = body.0;
    let mut e = Errors::default();
    e.text("full_name", &b.full_name, 300);
    if let Some(c) = &b.contact {
        e.max_len("contact", c, 200);
    }
    e.finish().map_err(ApiError::Validation)?;
    let (pool, org, now) = (state.pool.clone(), caller.org.clone(), state.now_naive());
    let visitor = VisitorRow { id: new_id(), organization_id: org.clone(), reception_id: b.reception_id.clone(), full_name: b.full_name.trim().into(), contact: b.contact.clone(), booked_at: now, appeal_id: None };
    let found = web::block(move || -> Result<_, ServiceError> {
        if uuid::Uuid::parse_str(&visitor.reception_id).is_err() || crate::store::receptions::get(&pool, &org, &visitor.reception_id)?.is_none() {
            return Ok(None);
        }
        crate::store::receptions::book(&pool, &visitor)?;
        crate::store::receptions::get(&pool, &org, &visitor.reception_id)
    })
    .await??;
    let (r, v) = found.ok_or_else(|| not_found("reception_id", "нет такого приёма"))?;
    tracing::info!(reception_id = %r.id, actor = %caller.login, "citizen booked");
    Ok(HttpResponse::Created().json(reception(r, v)))
}

/// A visitor registered as an appeal.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitInput {
    /// The booked visitor.
    pub visitor_id: String,
    /// The registration body (docs/api.md) without `channel` and `reception`, which come from the
    /// schedule; `received_on` defaults to the reception's date and `form` to `oral` (a letter
    /// handed in is `written`).
    #[schema(value_type = Object)]
    pub appeal: serde_json::Value,
    /// An oral answer given at the reception with the citizen's consent: the appeal is
    /// registered, answered and closed in one transaction, or nothing is written.
    #[serde(default)]
    pub oral_answer: Option<VisitOralAnswer>,
}

/// An oral answer given at the visit itself.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitOralAnswer {
    /// The official who received the citizen and answered: the user id of the head or deputy
    /// (a supervisor), who is recorded as the answer's author and approver.
    pub official_id: String,
    /// What was answered.
    pub text: String,
    /// Result per question.
    pub results: Vec<ResultInput>,
    /// The citizen agreed to an oral answer (59-FZ Art. 13 part 3); without it the answer is written.
    pub consent: bool,
}

/// Field errors of a nested object, named from the request's root (`oral_answer.results[0].code`).
fn nested(prefix: &str, e: ServiceError) -> ApiError {
    match e {
        ServiceError::Invalid(errs) => ApiError::Validation(errs.into_iter().map(|f| FieldError { field: format!("{prefix}.{}", f.field), message: f.message }).collect()),
        other => other.into(),
    }
}

const NO_CONSENT: &str = "устный ответ даётся только с согласия заявителя; иначе готовится письменный ответ";

/// The visitor's reception and booking, or 422 naming `visitor_id`.
fn visit_of(state: &AppState, org: &str, visitor_id: &str) -> Result<(ReceptionRow, VisitorRow), ApiError> {
    let missing = || not_found("visitor_id", "нет такого записавшегося на приём");
    if uuid::Uuid::parse_str(visitor_id).is_err() {
        return Err(missing());
    }
    let v = crate::store::receptions::visitor(&state.pool, org, visitor_id)?.ok_or_else(missing)?;
    let (r, _) = crate::store::receptions::get(&state.pool, org, &v.reception_id)?.ok_or_else(missing)?;
    Ok((r, v))
}

/// Registers a booked visitor as an appeal with channel `personal_reception` (clerk, admin),
/// in one transaction with the visitor's link; with `oral_answer`, the oral answer and the
/// appeal's closing are in that transaction too.
#[utoipa::path(tag = "receptions", request_body = VisitInput, responses((status = 201, body = Card), WriteProblems))]
#[post("/receptions/visits")]
pub async fn register_visit(caller: Caller, state: web::Data<AppState>, body: ValidJson<VisitInput>) -> Result<HttpResponse, ApiError> {
    caller.require(Capability::Register)?;
    let b = body.0;
    if b.oral_answer.as_ref().is_some_and(|o| !o.consent) {
        return Err(not_found("oral_answer.consent", NO_CONSENT));
    }
    let (st, c) = (state.clone(), caller.clone());
    let card = web::block(move || -> Result<_, ApiError> {
        let (r, v) = visit_of(&st, &c.org, &b.visitor_id)?;
        if v.appeal_id.is_some() {
            return Err(ServiceError::conflict(ErrorCode::VisitorAlreadyRegistered, "посетитель уже зарегистрирован как обращение", serde_json::json!({"appeal_id": v.appeal_id})).into());
        }
        let mut a = b.appeal;
        let obj = a.as_object_mut().ok_or_else(|| not_found("appeal", "ожидается объект регистрационной карточки"))?;
        for k in ["channel", "reception"] {
            if obj.contains_key(k) {
                return Err(not_found(&format!("appeal.{k}"), "задаётся из расписания приёма"));
            }
        }
        obj.insert("channel".into(), "personal_reception".into());
        obj.insert("reception".into(), serde_json::json!({"official": r.official, "official_role": r.official_role, "held_on": r.held_on}));
        obj.entry("received_on").or_insert(serde_json::json!(r.held_on));
        obj.entry("form").or_insert("oral".into());
        let draft: AppealDraft = parse_json(&serde_json::to_vec(&a).unwrap_or_default()).map_err(|e| match e {
            ApiError::Validation(errs) => ApiError::Validation(errs.into_iter().map(|f| FieldError { field: format!("appeal.{}", f.field), message: f.message }).collect()),
            other => other,
        })?;
        let derived = crate::intake::validate(&st, &c.org, &draft, false).map_err(|errs| ApiError::Validation(errs.into_iter().map(|f| FieldError { field: format!("appeal.{}", f.field), message: f.message }).collect()))?;
        let registrar = c.actor();
        let plans = match b.oral_answer {
            None => Vec::new(),
            Some(o) => {
                let official = control::oral::official(&st, &c.org, &o.official_id)?.ok_or_else(|| not_found("oral_answer.official_id", "устный ответ даёт принявший гражданина руководитель или заместитель (активный пользователь с ролью контролёра)"))?;
                control::oral::plan(&st, &registrar, &official, OralAnswer { text: o.text, results: o.results }).map_err(|e| nested("oral_answer", e))?
            }
        };
        let oral = !plans.is_empty();
        let mut steps = control::deciders(&st, plans);
        crate::registry::register_visit(&st, &c.org, &c.id, &v.id, &draft, &derived, &mut steps).map_err(|e| if oral { nested("oral_answer", e) } else { e.into() })
    })
    .await??;
    tracing::info!(appeal_id = %card.appeal.id, reg_number = %card.appeal.reg_number, status = %card.appeal.status, actor = %caller.login, "reception visit registered");
    let location = format!("/api/v1/appeals/{}", card.appeal.id);
    let mut b = HttpResponse::Created();
    b.insert_header(("Location", location));
    Ok(card_response(b, Card::from_data(card, &caller.id, caller.role, state.today(&caller.org))))
}

/// An oral answer given at the reception.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OralAnswerInput {
    /// The visitor whose appeal it answers.
    pub visitor_id: String,
    /// What was answered.
    pub text: String,
    /// Result per question.
    pub results: Vec<ResultInput>,
    /// The citizen agreed to an oral answer (59-FZ Art. 13 part 3); without it the answer is written.
    pub consent: bool,
}

/// Records an oral answer given with the citizen's consent to a visitor's registered appeal and
/// closes the appeal with it (supervisor, admin): the caller takes the resolution, answers,
/// approves and records the answer handed over on the day — four control actions with their
/// history entries, in one transaction.
#[utoipa::path(tag = "receptions", request_body = OralAnswerInput, responses((status = 200, body = Card), WriteProblems))]
#[post("/receptions/oral-answers")]
pub async fn oral_answer(caller: Caller, state: web::Data<AppState>, body: ValidJson<OralAnswerInput>) -> Result<HttpResponse, ApiError> {
    caller.require(Capability::Reports)?;
    let b = body.0;
    if !b.consent {
        return Err(not_found("consent", NO_CONSENT));
    }
    let actor = caller.actor();
    let st = state.clone();
    let card = web::block(move || -> Result<_, ApiError> {
        let (_, v) = visit_of(&st, &actor.org, &b.visitor_id)?;
        let id = v.appeal_id.ok_or_else(|| not_found("visitor_id", "посетитель ещё не зарегистрирован как обращение"))?;
        let plans = control::oral::plan(&st, &actor, &actor, OralAnswer { text: b.text, results: b.results })?;
        Ok(control::run_chain(&st, &actor.org, &id, None, plans)?)
    })
    .await??;
    tracing::info!(appeal_id = %card.appeal.id, actor = %caller.login, "oral answer at reception");
    Ok(card_response(HttpResponse::Ok(), Card::from_data(card, &caller.id, caller.role, state.today(&caller.org))))
}
