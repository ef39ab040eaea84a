//! The control workflow's second pass: co-executors, the responsible executor of any role,
//! Art. 11 grounds, extensions after the deadline, question-level codes, corrections and
//! the answer's dispatch — each with the stable code of its refusal.

use crate::support::*;
use serde_json::{json, Value};

fn answer_body() -> Value {
    json!({"text": "Ремонт тротуара включён в план работ.", "results": [{"code": "0003.0009.0097.0699", "result": "explained"}]})
}

fn path(id: &str, tail: &str) -> String {
    format!("/api/v1/appeals/{id}{tail}")
}

/// Registers an appeal and assigns `responsible` with `co` as co-executors; returns its id.
async fn assigned(app: &TestApp, responsible: &str, co: &[&str]) -> String {
    let card = app.register(json!({})).await;
    let id = card["id"].as_str().unwrap().to_string();
    let mut executors = vec![json!({"user_id": app.user_id(responsible), "responsible": true})];
    executors.extend(co.iter().map(|c| json!({"user_id": app.user_id(c), "responsible": false})));
    let r = app.call("POST", &path(&id, "/assign"), Some(&app.clerk), Some(&json!({"executors": executors}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    id
}

/// Answers every question of the appeal as `explained`, approves the answer (closing the
/// appeal) and returns the answer id.
async fn answered_and_approved(app: &TestApp, id: &str) -> String {
    let card = app.call("GET", &path(id, ""), Some(&app.executor), None).await.json;
    let results: Vec<Value> = card["questions"].as_array().unwrap().iter().map(|q| json!({"code": q["code"], "result": "explained"})).collect();
    let body = json!({"text": "Разъяснено.", "results": results});
    let r = app.call("POST", &path(id, "/answers"), Some(&app.executor), Some(&body)).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let answer = r.json["answers"][0]["id"].as_str().unwrap().to_string();
    let r = app.call("POST", &path(id, &format!("/answers/{answer}/approve")), Some(&app.supervisor), Some(&json!({"close": true}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    answer
}

both_backends!(co_executors_contribute_and_only_the_responsible_one_answers);
async fn co_executors_contribute_and_only_the_responsible_one_answers(db: Db) {
    let app = TestApp::start(db).await;
    let id = assigned(&app, "executor", &["executor2"]).await;
    let co = app.call("GET", &path(&id, ""), Some(&app.executor2), None).await;
    assert_eq!(co.status, 200, "a co-executor sees the card");
    assert_eq!(co.json["allowed_actions"], json!(["contribute", "consider"]));
    let lead = app.call("GET", &path(&id, ""), Some(&app.executor), None).await;
    assert_eq!(lead.json["allowed_actions"], json!(["answer", "consider"]));

    // A co-executor's answer is refused and changes nothing.
    let r = app.call("POST", &path(&id, "/answers"), Some(&app.executor2), Some(&answer_body())).await;
    r.assert_problem(403, None);
    assert!(r.json["detail"].as_str().unwrap().contains("ответственный"), "{}", r.json);
    let r = app.call("POST", &path(&id, "/contributions"), Some(&app.executor2), Some(&json!({"text": "Справка отдела благоустройства: ремонт в плане на май"}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["status"], "in_work", "input does not move the appeal");
    let c = &r.json["contributions"][0];
    assert_eq!(c["author_id"], app.user_id("executor2"));
    assert_eq!(c["text"], "Справка отдела благоустройства: ремонт в плане на май");
    assert!(c["created_at"].is_string());
    // The responsible executor sees it and may not "contribute" to their own answer.
    let lead = app.call("GET", &path(&id, ""), Some(&app.executor), None).await;
    assert_eq!(lead.json["contributions"].as_array().unwrap().len(), 1);
    app.call("POST", &path(&id, "/contributions"), Some(&app.executor), Some(&json!({"text": "x"}))).await.assert_problem(403, None);
    app.call("POST", &path(&id, "/contributions"), Some(&app.executor2), Some(&json!({"text": "  "}))).await.assert_problem(422, Some("text"));
    let r = app.call("POST", &path(&id, "/answers"), Some(&app.executor), Some(&answer_body())).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["status"], "answer_review");
    let h = app.call("GET", &path(&id, "/history"), Some(&app.supervisor), None).await;
    let actions: Vec<&str> = h.json["items"].as_array().unwrap().iter().map(|i| i["action"].as_str().unwrap()).filter(|a| *a != "viewed").collect();
    assert_eq!(actions, vec!["registered", "assign", "contribute", "answer"]);
}

both_backends!(a_supervisor_assigned_as_responsible_can_answer);
async fn a_supervisor_assigned_as_responsible_can_answer(db: Db) {
    let app = TestApp::start(db).await;
    let id = assigned(&app, "supervisor", &[]).await;
    let card = app.call("GET", &path(&id, ""), Some(&app.supervisor), None).await;
    assert!(card.json["allowed_actions"].as_array().unwrap().contains(&json!("answer")), "{}", card.json["allowed_actions"]);
    let r = app.call("POST", &path(&id, "/answers"), Some(&app.supervisor), Some(&answer_body())).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["status"], "answer_review");
    assert_eq!(r.json["answers"][0]["author_id"], app.user_id("supervisor"));
}

both_backends!(art11_grounds_are_checked_against_the_card);
async fn art11_grounds_are_checked_against_the_card(db: Db) {
    let app = TestApp::start(db).await;
    // A named appeal with an address is not anonymous.
    let named = app.register(json!({})).await;
    let id = named["id"].as_str().unwrap();
    let r = app.call("POST", &path(id, "/leave-without-answer"), Some(&app.supervisor), Some(&json!({"reason": "anonymous"}))).await;
    r.assert_problem(422, Some("reason"));
    let r = app.call("POST", &path(id, "/leave-without-answer"), Some(&app.supervisor), Some(&json!({"reason": "correspondence_terminated"}))).await;
    r.assert_problem(422, Some("reason"));
    // Without an address for the answer it is.
    let nameless = app.register(json!({"applicants": [{"full_name": "Житель"}]})).await;
    assert_eq!(nameless["anonymous"], true);
    let r = app.call("POST", &path(nameless["id"].as_str().unwrap(), "/leave-without-answer"), Some(&app.supervisor), Some(&json!({"reason": "anonymous"}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["art11_notice_due"], Value::Null, "nobody to notify");

    // Unreadable: the applicant is told within 7 days of registration (3 March → 10 March 2025),
    // and a draft under review is withdrawn.
    let id = assigned(&app, "executor", &[]).await;
    let r = app.call("POST", &path(&id, "/answers"), Some(&app.executor), Some(&answer_body())).await;
    assert_eq!(r.json["answers"][0]["status"], "pending");
    let r = app.call("POST", &path(&id, "/leave-without-answer"), Some(&app.supervisor), Some(&json!({"reason": "unreadable"}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["status"], "left_without_answer");
    assert_eq!(r.json["art11_notice_due"], "2025-03-10");
    assert_eq!(r.json["answers"][0]["status"], "withdrawn");
    assert_eq!(r.json["questions"][0]["result"], "left_without_answer");
}

both_backends!(no_extension_once_the_deadline_has_passed);
async fn no_extension_once_the_deadline_has_passed(db: Db) {
    let app = TestApp::start(db).await;
    let card = app.register(json!({})).await;
    let id = card["id"].as_str().unwrap();
    assert_eq!(card["due_date"], "2025-04-02");
    // The day after the deadline.
    app.set_now(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2025, 4, 3, 7, 0, 0).unwrap());
    let r = app.call("POST", &path(id, "/extend"), Some(&app.supervisor), Some(&json!({"days": 10, "reason": "Запрос документов"}))).await;
    r.assert_problem(409, None);
    assert_eq!(r.json["code"], "deadline_passed");
    assert!(r.json["detail"].as_str().unwrap().contains("02.04.2025"), "{}", r.json);
    let card = app.call("GET", &path(id, ""), Some(&app.supervisor), None).await;
    assert_eq!(card.json["due_date"], "2025-04-02", "nothing changed");
    assert!(!card.json["allowed_actions"].as_array().unwrap().contains(&json!("extend")));
    // On the due day itself an extension is still lawful, once.
    app.set_now(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2025, 4, 2, 7, 0, 0).unwrap());
    let r = app.call("POST", &path(id, "/extend"), Some(&app.supervisor), Some(&json!({"days": 10, "reason": "Запрос документов"}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let r = app.call("POST", &path(id, "/extend"), Some(&app.supervisor), Some(&json!({"days": 5, "reason": "Ещё раз"}))).await;
    r.assert_problem(409, None);
    assert_eq!(r.json["code"], "already_extended");
}

both_backends!(questions_are_coded_at_question_level);
async fn questions_are_coded_at_question_level(db: Db) {
    let app = TestApp::start(db).await;
    for (i, code) in ["0003", "0005.0005", "0005.0005.0056"].iter().enumerate() {
        let body = appeal(json!({"questions": [{"code": "0003.0009.0097.0699"}, {"code": code}]}));
        let r = app.call("POST", "/api/v1/appeals", Some(&app.clerk), Some(&body)).await;
        r.assert_problem(422, Some("questions[1].code"));
        assert!(r.json["errors"][0]["message"].as_str().unwrap().contains("4 сегмента"), "{i}: {}", r.json);
    }
    app.register(json!({"questions": [{"code": "0005.0005.0056.1157"}]})).await;
}

both_backends!(a_card_is_corrected_with_its_history);
async fn a_card_is_corrected_with_its_history(db: Db) {
    let app = TestApp::start(db).await;
    let card = app.register(json!({"kind": "complaint"})).await;
    let id = card["id"].as_str().unwrap();
    let fix = json!({"kind": "statement", "summary": "Просит отремонтировать тротуар у дома 14", "questions": [{"code": "0005.0005.0056.1157", "text": "уборка двора"}],
        "applicants": [{"full_name": "Смирнова Ольга Петровна", "postal_address": "169300, г. Ухта, ул. Октябрьская, д. 14, кв. 4"}]});
    let r = app.call("PATCH", &path(id, ""), Some(&app.clerk), Some(&fix)).await;
    r.assert_problem(428, None);
    let r = app.raw("PATCH", &path(id, ""), Some(&app.clerk), Some(fix.to_string().into_bytes()), &[("If-Match", "\"9\"")]).await;
    r.assert_problem(412, None);
    let r = app.raw("PATCH", &path(id, ""), Some(&app.executor), Some(fix.to_string().into_bytes()), &[("If-Match", "\"1\"")]).await;
    r.assert_problem(404, None);
    let r = app.raw("PATCH", &path(id, ""), Some(&app.supervisor), Some(fix.to_string().into_bytes()), &[("If-Match", "\"1\"")]).await;
    r.assert_problem(403, None);
    // Invalid corrections name their field and change nothing.
    for (bad, field) in [(json!({"questions": [{"code": "0003"}]}), "questions[0].code"), (json!({"summary": " "}), "summary"), (json!({}), "body"), (json!({"applicants": [{"full_name": "Иванов", "email": "nope"}]}), "applicants[0].email")] {
        let r = app.raw("PATCH", &path(id, ""), Some(&app.clerk), Some(bad.to_string().into_bytes()), &[("If-Match", "\"1\"")]).await;
        r.assert_problem(422, Some(field));
    }
    let r = app.raw("PATCH", &path(id, ""), Some(&app.clerk), Some(fix.to_string().into_bytes()), &[("If-Match", "\"1\"")]).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["version"], 2);
    assert_eq!(r.json["kind"], "statement");
    assert_eq!(r.json["questions"][0]["code"], "0005.0005.0056.1157");
    assert_eq!(r.json["applicants"][0]["postal_address"], "169300, г. Ухта, ул. Октябрьская, д. 14, кв. 4");
    assert_eq!(r.json["applicants"][0]["email"], Value::Null);
    // The section follows the new code: the registry filter finds it under 0005, not 0003.
    for (section, n) in [("0005", 1), ("0003", 0)] {
        let r = app.call("GET", &format!("/api/v1/appeals?section={section}"), Some(&app.supervisor), None).await;
        assert_eq!(r.json["items"].as_array().unwrap().len(), n, "section {section}");
    }
    // Search follows the new summary.
    let found = app.call("GET", &format!("/api/v1/appeals?q={}", urlencode("дома 14")), Some(&app.supervisor), None).await;
    assert_eq!(found.json["items"].as_array().unwrap().len(), 1);
    // One history entry with before and after of what changed, and nothing else.
    let h = app.call("GET", &path(id, "/history"), Some(&app.supervisor), None).await;
    let entry = h.json["items"].as_array().unwrap().iter().find(|i| i["action"] == "correct").expect("a correct entry").clone();
    assert_eq!(entry["details"]["kind"], json!({"before": "complaint", "after": "statement"}));
    assert_eq!(entry["details"]["questions"]["before"][0]["code"], "0003.0009.0097.0699");
    assert!(entry["details"].get("form").is_none());
    assert_eq!(entry["actor"], app.user_id("clerk"));

    // Once closed, only an administrator with a reason corrects it.
    let r = app.call("POST", &path(id, "/assign"), Some(&app.clerk), Some(&json!({"executors": [{"user_id": app.user_id("executor"), "responsible": true}]}))).await;
    assert_eq!(r.status, 200);
    let answer = answered_and_approved(&app, id).await;
    let r = app.call("POST", &path(id, &format!("/answers/{answer}/dispatch")), Some(&app.clerk), Some(&json!({"sent_on": "2025-03-03", "channel": "post"}))).await;
    assert_eq!(r.json["status"], "closed", "{}", r.json);
    let v = app.call("GET", &path(id, ""), Some(&app.clerk), None).await.json["version"].to_string();
    let tag = format!("\"{v}\"");
    let small = json!({"summary": "Исправлена опечатка"});
    let r = app.raw("PATCH", &path(id, ""), Some(&app.clerk), Some(small.to_string().into_bytes()), &[("If-Match", &tag)]).await;
    r.assert_problem(409, None);
    let r = app.raw("PATCH", &path(id, ""), Some(&app.admin), Some(small.to_string().into_bytes()), &[("If-Match", &tag)]).await;
    r.assert_problem(409, None);
    let with_reason = json!({"summary": "Исправлена опечатка", "reason": "опечатка в адресе, служебная записка №12"});
    let r = app.raw("PATCH", &path(id, ""), Some(&app.admin), Some(with_reason.to_string().into_bytes()), &[("If-Match", &tag)]).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["status"], "closed");
    assert_eq!(r.json["summary"], "Исправлена опечатка");
}

both_backends!(corrected_questions_keep_their_results);
async fn corrected_questions_keep_their_results(db: Db) {
    let app = TestApp::start(db).await;
    let id = assigned(&app, "executor", &[]).await;
    let r = app.call("POST", &path(&id, "/answers"), Some(&app.executor), Some(&answer_body())).await;
    let answer = r.json["answers"][0]["id"].as_str().unwrap().to_string();
    let r = app.call("POST", &path(&id, &format!("/answers/{answer}/approve")), Some(&app.supervisor), Some(&json!({"close": false}))).await;
    assert_eq!(r.json["status"], "answered");
    let v = r.json["version"].to_string();
    let fix = json!({"questions": [{"code": "0003.0009.0097.0699", "text": "ремонт тротуара у дома 12"}, {"code": "0005.0005.0056.1157"}]});
    let r = app.raw("PATCH", &path(&id, ""), Some(&app.clerk), Some(fix.to_string().into_bytes()), &[("If-Match", &format!("\"{v}\""))]).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["questions"][0]["result"], "explained", "the kept question keeps its result");
    assert_eq!(r.json["questions"][0]["text"], "ремонт тротуара у дома 12");
    assert_eq!(r.json["questions"][1]["result"], Value::Null);
}

both_backends!(a_corrected_card_is_matched_as_corrected);
async fn a_corrected_card_is_matched_as_corrected(db: Db) {
    let app = TestApp::start(db).await;
    // Registered under a misspelt name, then corrected.
    let first = app.register(json!({"applicants": [{"full_name": "Смирнва Ольга Петровна", "postal_address": "169300, г. Ухта, ул. Октябрьская, д. 12, кв. 4"}]})).await;
    let id = first["id"].as_str().unwrap();
    let fix = json!({"applicants": [{"full_name": "Смирнова Ольга Петровна", "postal_address": "169300, г. Ухта, ул. Октябрьская, д. 12, кв. 4"}]});
    let r = app.raw("PATCH", &path(id, ""), Some(&app.clerk), Some(fix.to_string().into_bytes()), &[("If-Match", "\"1\"")]).await;
    assert_eq!(r.status, 200, "{}", r.json);
    // The same person writes again on the same question: linked to the corrected card.
    let again = app.register(json!({})).await;
    assert_eq!(again["related_appeal_ids"], json!([id]));
}

both_backends!(the_approved_answer_is_dispatched_once);
async fn the_approved_answer_is_dispatched_once(db: Db) {
    let app = TestApp::start(db).await;
    let id = assigned(&app, "executor", &[]).await;
    let r = app.call("POST", &path(&id, "/answers"), Some(&app.executor), Some(&answer_body())).await;
    let pending = r.json["answers"][0]["id"].as_str().unwrap().to_string();
    let send = json!({"sent_on": "2025-03-03", "channel": "post"});
    // A draft under review does not go out.
    let r = app.call("POST", &path(&id, &format!("/answers/{pending}/dispatch")), Some(&app.clerk), Some(&send)).await;
    r.assert_problem(409, None);
    let r = app.call("POST", &path(&id, &format!("/answers/{pending}/approve")), Some(&app.supervisor), Some(&json!({}))).await;
    // Approved is not yet answered: the appeal stays on control until the answer goes out.
    assert_eq!(r.json["status"], "answered");
    assert_eq!(r.json["status_label"], "Ответ утверждён, ожидает отправки");
    assert!(r.json["closed_on"].is_null());
    let refused = app.call("POST", &path(&id, "/close"), Some(&app.supervisor), Some(&json!({}))).await;
    refused.assert_problem(409, None);
    assert_eq!(refused.json["code"], "answer_not_dispatched");
    for (bad, field) in [
        (json!({"sent_on": "2025-03-04", "channel": "post"}), "sent_on"),
        (json!({"sent_on": "2025-03-02", "channel": "post"}), "sent_on"),
        (json!({"sent_on": "2025-03-03", "channel": "pigeon"}), "channel"),
        (json!({"sent_on": "2025-03-03", "channel": "post", "outgoing_number": " "}), "outgoing_number"),
    ] {
        let r = app.call("POST", &path(&id, &format!("/answers/{pending}/dispatch")), Some(&app.clerk), Some(&bad)).await;
        r.assert_problem(422, Some(field));
    }
    app.call("POST", &path(&id, &format!("/answers/{pending}/dispatch")), Some(&app.executor), Some(&send)).await.assert_problem(403, None);
    let r = app.call("POST", &path(&id, &format!("/answers/{pending}/dispatch")), Some(&app.clerk), Some(&json!({"sent_on": "2025-03-03", "channel": "by_hand", "outgoing_number": "01-15/77"}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["answers"][0]["outgoing_number"], "01-15/77");
    // The dispatch removes it from control, on the day the answer went out.
    assert_eq!(r.json["status"], "closed");
    assert_eq!(r.json["closed_on"], "2025-03-03");
    let r = app.call("POST", &path(&id, &format!("/answers/{pending}/dispatch")), Some(&app.clerk), Some(&send)).await;
    r.assert_problem(409, None);
    assert_eq!(r.json["code"], "nothing_to_dispatch");

    // A second appeal: the same typed number is refused; generated numbers count on their own.
    let other = assigned(&app, "executor", &[]).await;
    let answer = answered_and_approved(&app, &other).await;
    let r = app.call("POST", &path(&other, &format!("/answers/{answer}/dispatch")), Some(&app.clerk), Some(&json!({"sent_on": "2025-03-03", "channel": "post", "outgoing_number": "01-15/77"}))).await;
    r.assert_problem(409, None);
    assert_eq!(r.json["code"], "duplicate_outgoing_number");
    let r = app.call("POST", &path(&other, &format!("/answers/{answer}/dispatch")), Some(&app.clerk), Some(&send)).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["answers"][0]["outgoing_number"], "ОГ-исх-2025-000001");
}

both_backends!(an_email_answer_goes_only_to_the_national_zone);
async fn an_email_answer_goes_only_to_the_national_zone(db: Db) {
    let app = TestApp::start(db).await;
    // After 30 March 2025 (547-FZ).
    app.set_now(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2025, 4, 7, 7, 0, 0).unwrap());
    let card = app.register(json!({"received_on": "2025-04-07", "applicants": [{"full_name": "Смирнова Ольга Петровна", "postal_address": "169300, г. Ухта", "email": "smirnova@example.com"}]})).await;
    let id = card["id"].as_str().unwrap();
    let r = app.call("POST", &path(id, "/assign"), Some(&app.clerk), Some(&json!({"executors": [{"user_id": app.user_id("executor"), "responsible": true}]}))).await;
    assert_eq!(r.status, 200);
    let answer = answered_and_approved(&app, id).await;
    let r = app.call("POST", &path(id, &format!("/answers/{answer}/dispatch")), Some(&app.clerk), Some(&json!({"sent_on": "2025-04-07", "channel": "email"}))).await;
    r.assert_problem(422, Some("channel"));
    let r = app.call("POST", &path(id, &format!("/answers/{answer}/dispatch")), Some(&app.clerk), Some(&json!({"sent_on": "2025-04-07", "channel": "post"}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
}

both_backends!(each_refusal_has_its_own_code);
async fn each_refusal_has_its_own_code(db: Db) {
    let app = TestApp::start(db).await;
    let card = app.register(json!({"external_id": "pos-1", "channel": "feedback_platform", "form": "electronic"})).await;
    let id = card["id"].as_str().unwrap();
    let r = app.call("POST", "/api/v1/appeals", Some(&app.clerk), Some(&appeal(json!({"external_id": "pos-1", "channel": "feedback_platform", "form": "electronic"})))).await;
    assert_eq!((r.status, r.json["code"].as_str()), (409, Some("duplicate_external_id")));
    let r = app.call("POST", &path(id, "/close"), Some(&app.supervisor), Some(&json!({}))).await;
    assert_eq!((r.status, r.json["code"].as_str()), (409, Some("illegal_transition")));
    let r = app.raw("POST", &path(id, "/assign"), Some(&app.clerk), Some(json!({"executors": [{"user_id": app.user_id("executor"), "responsible": true}]}).to_string().into_bytes()), &[("If-Match", "\"5\"")]).await;
    assert_eq!((r.status, r.json["code"].as_str()), (412, Some("stale_version")));
}

both_backends!(consideration_flags_and_local_dates_are_on_the_card);
async fn consideration_flags_and_local_dates_are_on_the_card(db: Db) {
    let app = TestApp::start(db).await;
    let id = assigned(&app, "executor", &["executor2"]).await;
    let r = app.call("POST", &path(&id, "/consideration"), Some(&app.executor2), Some(&json!({"on_site_check": true, "documents_requested": true}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["consideration"], json!({"documents_requested": true, "on_site_check": true, "by_commission": false, "with_applicant": false}));
    app.call("POST", &path(&id, "/consideration"), Some(&app.clerk), Some(&json!({"by_commission": true}))).await.assert_problem(403, None);
    app.call("POST", &path(&id, "/consideration"), Some(&app.supervisor), Some(&json!({}))).await.assert_problem(422, Some("body"));
    let h = app.call("GET", &path(&id, "/history"), Some(&app.supervisor), None).await;
    let entry = h.json["items"].as_array().unwrap().iter().find(|i| i["action"] == "consider").unwrap().clone();
    assert_eq!(entry["details"]["on_site_check"], json!({"before": false, "after": true}));
    // 21:30 UTC on 3 March is already 4 March in Moscow: the local date is stored.
    app.set_now(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2025, 3, 3, 21, 30, 0).unwrap());
    let answer = answered_and_approved(&app, &id).await;
    let card = app.call("GET", &path(&id, ""), Some(&app.supervisor), None).await.json;
    assert_eq!(card["answered_on"], "2025-03-04");
    assert!(card["closed_on"].is_null(), "still on control until the answer is sent");
    let r = app.call("POST", &path(&id, &format!("/answers/{answer}/dispatch")), Some(&app.clerk), Some(&json!({"sent_on": "2025-03-04", "channel": "post"}))).await;
    assert_eq!(r.json["answer_sent_on"], "2025-03-04");
    assert_eq!(r.json["closed_on"], "2025-03-04");
}
