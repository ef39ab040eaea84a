//! The write pages: the registration form and the card's action forms. A form is turned into
//! the API's JSON body and parsed by the API's own parser, so its Russian field errors are the
//! API's; the use cases are the same functions the API calls.

use crate::domain::error_code::ErrorCode;
use super::form::Form;
use super::pages::{card_with_error, page_with};
use super::session::{self, check_csrf, PageError, Session};
use crate::edge::ApiError;
use crate::edge::parse_json;
use crate::control::{self, command::Command};
use crate::domain::appeal::AppealDraft;
use crate::domain::roles::Capability;
use crate::domain::validation::FieldError;
use crate::state::AppState;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Where an API field error is shown on the registration form.
pub fn form_key(field: &str) -> String {
    let indexed = |rest: &str| -> Option<(usize, String)> {
        let (i, tail) = rest.strip_prefix('[')?.split_once(']')?;
        Some((i.parse().ok()?, tail.trim_start_matches('.').to_string()))
    };
    if let Some(rest) = field.strip_prefix("applicants") {
        return match indexed(rest) {
            Some((i, t)) if ["full_name", "postal_address", "email"].contains(&t.as_str()) => format!("{t}_{i}"),
            Some((i, _)) => format!("full_name_{i}"),
            None => "full_name_0".into(),
        };
    }
    if let Some(rest) = field.strip_prefix("questions") {
        return match indexed(rest) {
            Some((i, t)) if t == "text" => format!("question_text_{i}"),
            Some((i, _)) => format!("question_{i}"),
            None => "question_0".into(),
        };
    }
    match field {
        "source" => "source_organization".into(),
        "reception" => "reception_official".into(),
        f => f.replace('.', "_"),
    }
}

/// Russian names of the choices of the registration form.
fn choices(state: &AppState) -> Value {
    json!({
        "channels": state.channels.all().iter().map(|c| json!({"code": c.code, "label": c.name})).collect::<Vec<_>>(),
        "forms": [{"code": "written", "label": "Письменное"}, {"code": "electronic", "label": "В форме электронного документа"}, {"code": "oral", "label": "Устное"}],
        "kinds": [{"code": "statement", "label": "Заявление"}, {"code": "complaint", "label": "Жалоба"}, {"code": "proposal", "label": "Предложение"}, {"code": "other", "label": "Иное"}],
        "replies": [{"code": "", "label": "—"}, {"code": "post", "label": "Почтой"}, {"code": "email", "label": "По электронной почте"}, {"code": "epgu", "label": "Через Госуслуги"}, {"code": "by_hand", "label": "Лично"}],
        "roles": [{"code": "head", "label": "Руководитель"}, {"code": "deputy", "label": "Заместитель руководителя"}],
    })
}

/// The label of a registration form field, as the form shows it (for the error list).
fn field_label(key: &str) -> String {
    let (base, row) = match key.rsplit_once('_') {
        Some((b, n)) if n.parse::<usize>().is_ok() => (b, n.parse::<usize>().unwrap_or(0)),
        _ => (key, 0),
    };
    let label = match base {
        "full_name" => "ФИО заявителя",
        "postal_address" => "Почтовый адрес",
        "email" => "Электронная почта",
        "question" => "Вопрос",
        "question_text" => "Формулировка вопроса",
        "channel" => "Канал поступления",
        "form" => "Форма обращения",
        "kind" => "Вид обращения",
        "received_on" => "Дата поступления",
        "summary" => "Краткое содержание",
        "reply_channel" => "Способ ответа",
        "source_organization" => "Орган, направивший обращение",
        "source_number" => "Номер сопроводительного письма",
        "source_date" => "Дата сопроводительного письма",
        "reception_official" => "Должностное лицо, ведущее приём",
        "reception_official_role" => "Должность",
        "reception_held_on" => "Дата приёма",
        "signatures" => "Число подписей",
        "collective" => "Коллективное обращение",
        _ => "Поле",
    };
    if row > 0 { format!("{label} {}", row + 1) } else { label.to_string() }
}

/// The error list at the top of the form: each field's label and message, linked to the field.
fn error_list(errors: &BTreeMap<String, String>, other: &[String]) -> Vec<Value> {
    let mut out: Vec<Value> = errors.iter().map(|(k, m)| json!({"href": format!("#{k}"), "text": format!("{}: {m}", field_label(k))})).collect();
    out.extend(other.iter().map(|m| json!({"href": null, "text": m})));
    out
}

/// Renders the registration form with what was typed and the errors beside the fields.
fn render_form(state: &AppState, s: &Session, values: Value, errors: &BTreeMap<String, String>, other: &[String], status: StatusCode) -> Result<HttpResponse, PageError> {
    let summary = error_list(errors, other);
    page_with(state, s, "new.html", json!({"title": "Регистрация обращения", "v": values, "errors": errors, "summary": summary, "c": choices(state)}), status)
}

/// What the clerk typed into the registration form, ready to show again: the fields, the
/// applicants' rows and the questions' rows.
fn typed_values(form: &Form) -> (Value, Vec<Value>, Vec<Value>) {
    let (names, addresses, emails) = (form.all("full_name"), form.all("postal_address"), form.all("email"));
    let applicants: Vec<Value> = (0..names.len().max(1))
        .map(|i| json!({"full_name": names.get(i).cloned().unwrap_or_default(), "postal_address": addresses.get(i).cloned().unwrap_or_default(), "email": emails.get(i).cloned().unwrap_or_default()}))
        .collect();
    let (codes, texts) = (form.all("question"), form.all("question_text"));
    let questions: Vec<Value> = (0..codes.len().max(1)).map(|i| json!({"code": codes.get(i).cloned().unwrap_or_default(), "text": texts.get(i).cloned().unwrap_or_default(), "choices": []})).collect();
    let token = form.get("form_token");
    let values = json!({
        "channel": form.get("channel"), "form": form.get("form"), "kind": form.get("kind"), "received_on": form.get("received_on"),
        "summary": form.get("summary"), "reply_channel": form.get("reply_channel"), "collective": !form.get("collective").is_empty(),
        "anonymous": !form.get("anonymous").is_empty(), "confirm_new": !form.get("confirm_new").is_empty(),
        "form_token": if token.is_empty() { crate::auth::random_hex(16) } else { token.to_string() },
        "source_organization": form.get("source_organization"), "source_number": form.get("source_number"), "source_date": form.get("source_date"),
        "reception_official": form.get("reception_official"), "reception_official_role": form.get("reception_official_role"), "reception_held_on": form.get("reception_held_on"),
    });
    (values, applicants, questions)
}

/// `GET /appeals/new`: an empty registration form (the channel may be preset by `?channel=`).
pub async fn new_form(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let s = session::require(&req, &state).await?;
    s.caller.require(Capability::Register)?;
    let params = crate::edge::Params::of(&req)?;
    // A form kept when the session ended comes back as typed; nothing is registered until the
    // clerk sends it again.
    if let Some(token) = params.raw("draft").filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit())) {
        let (pool, id, user, now) = (state.pool.clone(), crate::auth::hash_token(token), s.caller.id.clone(), state.now_naive());
        if let Some(kept) = web::block(move || crate::store::drafts::take_draft(&pool, &id, &user, now)).await?? {
            let form = Form::parse(kept.body.as_bytes())?;
            let (mut values, applicants, questions) = typed_values(&form);
            values["applicants"] = json!(applicants);
            values["questions"] = json!(questions);
            values["restored"] = json!(true);
            return render_form(&state, &s, values, &BTreeMap::new(), &[], StatusCode::OK);
        }
    }
    let channel = params.raw("channel").filter(|c| state.channels.get(c).is_some()).unwrap_or("post").to_string();
    let values = json!({
        "channel": channel, "form": "written", "kind": "statement", "received_on": state.today(&s.caller.org).to_string(),
        "applicants": [{"full_name": "", "postal_address": "", "email": ""}],
        "questions": [{"code": "", "text": "", "choices": []}],
        "form_token": crate::auth::random_hex(16),
    });
    render_form(&state, &s, values, &BTreeMap::new(), &[], StatusCode::OK)
}

/// True when a «Вопрос» value is a classifier code rather than words to look up.
fn looks_like_code(v: &str) -> bool {
    !v.is_empty() && v.split('.').all(|p| p.len() == 4 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// `POST /appeals/new`: registers the appeal, or shows the form again with every error beside
/// its field and what was typed kept. «Добавить заявителя» / «Добавить вопрос» / «Обновить
/// поля» re-render the form with another row or the channel's own fields, without JavaScript.
pub async fn register(req: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> Result<HttpResponse, PageError> {
    let s = match session::require(&req, &state).await {
        Err(PageError::SignIn { .. }) => return session::keep_draft(&req, &state, &body).await,
        other => other?,
    };
    let form = Form::parse(&body)?;
    check_csrf(&s, form.raw("csrf"))?;
    s.caller.require(Capability::Register)?;
    let (mut values, mut applicants, mut questions) = typed_values(&form);
    let go = form.get("go");
    if go == "add_applicant" || go == "add_question" || go == "refresh" {
        if go == "add_applicant" {
            applicants.push(json!({"full_name": "", "postal_address": "", "email": ""}));
        }
        if go == "add_question" {
            questions.push(json!({"code": "", "text": "", "choices": []}));
        }
        values["applicants"] = json!(applicants);
        values["questions"] = json!(questions);
        return render_form(&state, &s, values, &BTreeMap::new(), &[], StatusCode::OK);
    }
    let mut errors: BTreeMap<String, String> = BTreeMap::new();
    // «Вопрос» takes a code, or words looked up in the classifier (one match is taken).
    let mut draft_questions = Vec::new();
    for (i, q) in questions.iter_mut().enumerate() {
        let typed = q["code"].as_str().unwrap_or("").to_string();
        let text = q["text"].as_str().unwrap_or("").to_string();
        if typed.is_empty() && text.is_empty() {
            continue;
        }
        let code = if looks_like_code(&typed) || typed.is_empty() {
            typed
        } else {
            let st = state.clone();
            let (words, org, today) = (typed.clone(), s.caller.org.clone(), state.today(&s.caller.org));
            let found = web::block(move || st.classifier.find(&st.pool, &org, today, Some(&words), None, 10)).await??;
            let leaves: Vec<_> = found.into_iter().filter(|f| crate::domain::classifier::is_question_level(&f.code)).collect();
            match leaves.len() {
                0 => {
                    errors.insert(format!("question_{i}"), format!("в классификаторе не найдено «{typed}»: уточните слова или введите код"));
                    typed
                }
                1 => {
                    q["code"] = json!(leaves[0].code);
                    leaves[0].code.clone()
                }
                n => {
                    errors.insert(format!("question_{i}"), format!("подходящих вопросов: {n} — выберите вопрос из списка"));
                    q["choices"] = json!(leaves.iter().map(|f| json!({"code": f.code, "name": f.name, "path": f.path})).collect::<Vec<_>>());
                    typed
                }
            }
        };
        draft_questions.push((i, json!({"code": code, "text": if text.is_empty() { Value::Null } else { json!(text) }})));
    }
    let anonymous = !form.get("anonymous").is_empty();
    let draft_applicants: Vec<Value> = applicants
        .iter()
        .filter(|_| !anonymous)
        .filter(|a| ["full_name", "postal_address", "email"].iter().any(|k| !a[k].as_str().unwrap_or("").is_empty()))
        .map(|a| {
            let mut o = Map::new();
            o.insert("full_name".into(), a["full_name"].clone());
            for k in ["postal_address", "email"] {
                if !a[k].as_str().unwrap_or("").is_empty() {
                    o.insert(k.into(), a[k].clone());
                }
            }
            Value::Object(o)
        })
        .collect();
    // Anonymous only when the clerk says so: an empty name is an omission, not anonymity.
    if !anonymous && draft_applicants.is_empty() {
        errors.insert("full_name_0".into(), "обязательное поле (или отметьте «Анонимное обращение»)".into());
    }
    // Art. 7: a written appeal names where the answer goes; without it the clerk registers it
    // as anonymous knowingly (the API takes such a card as anonymous; the form asks).
    if !anonymous && form.get("form") != "oral" {
        for (i, a) in applicants.iter().enumerate() {
            let has = |k: &str| !a[k].as_str().unwrap_or("").trim().is_empty();
            if has("full_name") && !has("postal_address") && !has("email") {
                errors.insert(format!("postal_address_{i}"), "укажите почтовый адрес или электронную почту для ответа (ст. 7 59-ФЗ) или отметьте «Анонимное обращение»".into());
            }
        }
    }
    let channel = form.get("channel").to_string();
    let mut body = json!({
        "channel": channel, "form": form.get("form"), "kind": form.get("kind"), "received_on": form.get("received_on"),
        "applicants": draft_applicants, "collective": !form.get("collective").is_empty(), "summary": form.get("summary"),
        "questions": draft_questions.iter().map(|(_, q)| q.clone()).collect::<Vec<_>>(),
    });
    if !form.get("reply_channel").is_empty() {
        body["reply_channel"] = json!(form.get("reply_channel"));
    }
    if channel == "forwarded" {
        body["source"] = json!({"organization": form.get("source_organization"), "number": form.opt("source_number"), "date": form.opt("source_date")});
    }
    if channel == "personal_reception" {
        body["reception"] = json!({"official": form.get("reception_official"), "official_role": form.get("reception_official_role"), "held_on": form.opt("reception_held_on")});
    }
    // Question rows skipped as empty shift indexes: errors name the row the clerk sees.
    let row_of = |api_index: usize| draft_questions.get(api_index).map(|(i, _)| *i).unwrap_or(api_index);
    let put = |errs: Vec<FieldError>, errors: &mut BTreeMap<String, String>| {
        for e in errs {
            let mut key = form_key(&e.field);
            if let Some(rest) = key.strip_prefix("question_text_").or_else(|| key.strip_prefix("question_")) {
                if let Ok(n) = rest.parse::<usize>() {
                    let prefix = if key.starts_with("question_text_") { "question_text_" } else { "question_" };
                    key = format!("{prefix}{}", row_of(n));
                }
            }
            errors.entry(key).or_insert(e.message);
        }
    };
    let parsed = match parse_json::<AppealDraft>(body.to_string().as_bytes()) {
        Ok(d) => Some(d),
        Err(ApiError::Validation(errs)) => {
            put(errs, &mut errors);
            None
        }
        Err(e) => return Err(e.into()),
    };
    let mut derived = None;
    if let Some(d) = &parsed {
        match crate::intake::validate(&state, &s.caller.org, d, false) {
            Ok(x) => derived = Some(x),
            Err(errs) => put(errs, &mut errors),
        }
    }
    values["applicants"] = json!(applicants);
    values["questions"] = json!(questions);
    let (Some(draft), Some(derived), true) = (parsed, derived, errors.is_empty()) else {
        return render_form(&state, &s, values, &errors, &[], StatusCode::UNPROCESSABLE_ENTITY);
    };
    // The same form posted again (Back, then submit) opens the card it registered.
    let token_hash = Some(form.get("form_token")).filter(|t| !t.is_empty() && t.len() <= 64).map(crate::auth::hash_token);
    if let Some(hash) = &token_hash {
        if let Some(done) = claim(&state, &s, hash).await? {
            return Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, format!("/appeals/{done}?done=already"))).finish());
        }
    }
    let release = |state: web::Data<AppState>, hash: Option<String>| async move {
        if let Some(h) = hash {
            let pool = state.pool.clone();
            web::block(move || crate::store::drafts::release_form_token(&pool, &h)).await??;
        }
        Ok::<(), PageError>(())
    };
    // The same person's near-identical letter of the last 30 days: ask before registering.
    if !form.get("confirm_new").is_empty() {
        values["confirm_new"] = json!(true);
    } else {
        let (st, org, d, since) = (state.clone(), s.caller.org.clone(), draft.clone(), state.now_naive() - chrono::Duration::days(30));
        let earlier = web::block(move || crate::registry::near_duplicates(&st, &org, &d, since)).await??;
        if !earlier.is_empty() {
            release(state.clone(), token_hash.clone()).await?;
            let tz = state.org(&s.caller.org).tz();
            values["duplicates"] = json!(earlier.iter().take(5).map(|e| json!({"id": e.id, "reg_number": e.reg_number, "registered": e.registered_at.and_utc().with_timezone(&tz).format("%d.%m.%Y").to_string()})).collect::<Vec<_>>());
            return render_form(&state, &s, values, &BTreeMap::new(), &[], StatusCode::OK);
        }
    }
    let (st, c) = (state.clone(), s.caller.clone());
    let card = web::block(move || crate::registry::register(&st, &c.org, &c.id, &draft, &derived)).await?;
    let card = match card {
        Ok(c) => c,
        Err(e) => {
            release(state.clone(), token_hash.clone()).await?;
            let e: ApiError = e.into();
            if matches!(e, ApiError::Internal(_)) {
                return Err(e.into());
            }
            let summary = vec![session::describe(&e)];
            return render_form(&state, &s, values, &errors, &summary, e.status_code());
        }
    };
    if let Some(hash) = token_hash {
        let (pool, id) = (state.pool.clone(), card.appeal.id.clone());
        web::block(move || crate::store::drafts::complete_form_token(&pool, &hash, &id)).await??;
    }
    tracing::info!(appeal_id = %card.appeal.id, reg_number = %card.appeal.reg_number, actor = %s.caller.login, "appeal registered (web)");
    Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, format!("/appeals/{}?done=registered", card.appeal.id))).finish())
}

use actix_web::ResponseError;

/// Claims the form's one-time token: `Some(appeal id)` when that form already registered an
/// appeal (a post of it in flight is waited for, up to a few seconds).
async fn claim(state: &web::Data<AppState>, s: &Session, hash: &str) -> Result<Option<String>, PageError> {
    use crate::store::drafts::Claim;
    for _ in 0..50 {
        let (pool, h, org, user, now) = (state.pool.clone(), hash.to_string(), s.caller.org.clone(), s.caller.id.clone(), state.now_naive());
        match web::block(move || crate::store::drafts::claim_form_token(&pool, &h, &org, &user, now)).await?? {
            Claim::Fresh => return Ok(None),
            Claim::Done(id) => return Ok(Some(id)),
            Claim::InFlight => actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
    Err(ApiError::Conflict { code: ErrorCode::FormInFlight, detail: "Эта форма уже отправлена и регистрируется: обновите страницу реестра.".into(), extra: serde_json::Value::Null }.into())
}

/// The API body of an action form, by action.
fn action_body(action: &str, f: &Form) -> Option<Value> {
    let comment = f.opt("comment");
    Some(match action {
        "assign" => {
            let responsible = f.get("responsible").to_string();
            let mut executors = vec![json!({"user_id": responsible, "responsible": true})];
            for co in f.all("co") {
                if !co.is_empty() && co != responsible {
                    executors.push(json!({"user_id": co, "responsible": false}));
                }
            }
            json!({"executors": executors, "instruction": f.opt("instruction")})
        }
        "extend" => json!({"days": f.get("days").parse::<i64>().map(Value::from).unwrap_or_else(|_| json!(f.get("days"))), "reason": f.get("reason")}),
        // An organization of the instance picked from the list, else the body typed by hand.
        "forward" => match f.opt("organization_id") {
            Value::Null => json!({"organization": f.opt("organization"), "reason": f.opt("reason")}),
            org => json!({"organization_id": org, "reason": f.opt("reason")}),
        },
        "answer" => {
            let results: Vec<Value> = f.all("code").iter().zip(f.all("result")).map(|(c, r)| json!({"code": c, "result": r})).collect();
            json!({"text": f.get("text"), "results": results})
        }
        "approve" => json!({"close": f.get("close") != "keep"}),
        "return" | "close" => json!({"comment": comment}),
        "dispatch" => json!({"sent_on": f.get("sent_on"), "channel": f.get("channel"), "outgoing_number": f.opt("outgoing_number")}),
        "leave_without_answer" => json!({"reason": f.get("reason"), "comment": comment}),
        _ => return None,
    })
}

/// The command a card's form sends, typed from the form's fields as the API would type its body.
fn command_of(action: &str, answer_id: String, body: &[u8]) -> Result<Command, ApiError> {
    Ok(match action {
        "assign" => Command::Assign(parse_json(body)?),
        "extend" => Command::Extend(parse_json(body)?),
        "forward" => Command::Forward(parse_json(body)?),
        "answer" => Command::Answer(parse_json(body)?),
        "approve" => Command::Approve { answer_id, input: parse_json(body)? },
        "return" => Command::Return { answer_id, input: parse_json(body)? },
        "dispatch" => Command::Dispatch { answer_id, input: parse_json(body)? },
        "close" => Command::Close(parse_json(body)?),
        "leave_without_answer" => Command::LeaveWithoutAnswer(parse_json(body)?),
        _ => return Err(ApiError::NotFound),
    })
}

/// `POST /appeals/{id}/do/{action}`: one control action from the card's form, with the card's
/// version as `If-Match`; the answer is the card again (303), or the card with the error.
pub async fn act(req: HttpRequest, state: web::Data<AppState>, path: web::Path<(String, String)>, body: web::Bytes) -> Result<HttpResponse, PageError> {
    let s = match session::require(&req, &state).await {
        Err(PageError::SignIn { .. }) => return session::keep_draft(&req, &state, &body).await,
        other => other?,
    };
    let form = Form::parse(&body)?;
    check_csrf(&s, form.raw("csrf"))?;
    let (id, action) = path.into_inner();
    let Some(json_body) = action_body(&action, &form) else { return Err(ApiError::NotFound.into()) };
    let expected = form.get("version").parse::<i32>().ok();
    let answer_id = form.get("answer_id").to_string();
    let (actor, login) = (s.caller.actor(), s.caller.login.clone());
    let outcome = match command_of(&action, answer_id, json_body.to_string().as_bytes()) {
        Ok(command) => {
            let (st, id) = (state.clone(), id.clone());
            match command {
                Command::Forward(input) if input.organization_id.is_some() => web::block(move || crate::edge::forwarding::to_organization(&st, &actor, &id, expected, input)).await?.map_err(ApiError::from),
                command => web::block(move || control::command::execute(&st, &actor, &login, &id, expected, command)).await?.map_err(ApiError::from),
            }
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok(card) => {
            tracing::info!(appeal_id = %card.appeal.id, action = %action, actor = %s.caller.login, "control action (web)");
            Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, format!("/appeals/{}?done={action}", card.appeal.id))).finish())
        }
        Err(ApiError::NotFound) => Err(ApiError::NotFound.into()),
        Err(e @ ApiError::Internal(_)) => Err(e.into()),
        Err(e) => card_with_error(&state, &s, &id, &action, session::describe(&e)).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_fields_land_beside_their_form_fields() {
        assert_eq!(form_key("applicants[1].email"), "email_1");
        assert_eq!(form_key("applicants[0].phone"), "full_name_0");
        assert_eq!(form_key("questions[2].code"), "question_2");
        assert_eq!(form_key("questions[0].text"), "question_text_0");
        assert_eq!(form_key("questions"), "question_0");
        assert_eq!(form_key("source.organization"), "source_organization");
        assert_eq!(form_key("reception"), "reception_official");
        assert_eq!(form_key("summary"), "summary");
        assert!(looks_like_code("0003.0009.0097.0699"));
        assert!(!looks_like_code("тротуар"));
    }
}
