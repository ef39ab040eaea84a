//! The control workflow: lifecycle, state machine, roles, versions, deadlines.

use crate::support::*;
use serde_json::{json, Value};

async fn assign(app: &TestApp, id: &str, login: &str) -> Value {
    let body = json!({"executors": [{"user_id": app.user_id(login), "responsible": true}], "instruction": "Для рассмотрения и подготовки ответа заявителю"});
    let r = app.call("POST", &format!("/api/v1/appeals/{id}/assign"), Some(&app.clerk), Some(&body)).await;
    assert_eq!(r.status, 200, "{}", r.json);
    r.json
}

fn answer_body() -> Value {
    json!({"text": "Ремонт тротуара включён в план работ на II квартал 2025 года.", "results": [{"code": "0003.0009.0097.0699", "result": "supported_measures_taken"}]})
}

fn last_answer_id(card: &Value) -> String {
    card["answers"].as_array().unwrap().last().unwrap()["id"].as_str().unwrap().to_string()
}

both_backends!(full_lifecycle_with_rework_and_additional_control);
async fn full_lifecycle_with_rework_and_additional_control(db: Db) {
    let app = TestApp::start(db).await;
    let card = app.register(json!({})).await;
    let id = card["id"].as_str().unwrap().to_string();
    assert_eq!(card["allowed_actions"], json!(["assign", "forward", "correct"]), "clerk's actions on a new card");
    let card = assign(&app, &id, "executor").await;
    assert_eq!(card["status"], "in_work");
    assert_eq!(card["assignments"][0]["responsible"], true);
    assert_eq!(card["version"], 2);

    let mine = app.call("GET", "/api/v1/me/assignments", Some(&app.executor), None).await;
    assert_eq!(mine.json["items"][0]["id"], id.as_str());
    assert_eq!(mine.json["items"][0]["allowed_actions"], json!(["answer", "consider"]));

    let r = app.call("POST", &format!("/api/v1/appeals/{id}/answers"), Some(&app.executor), Some(&answer_body())).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["status"], "answer_review");
    let answer1 = last_answer_id(&r.json);
    assert_eq!(r.json["answers"][0]["status"], "pending");

    let r = app.call("POST", &format!("/api/v1/appeals/{id}/answers/{answer1}/return"), Some(&app.supervisor), Some(&json!({"comment": "Укажите сроки ремонта"}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["status"], "in_work");
    assert_eq!(r.json["returned_count"], 1);
    assert_eq!(r.json["answers"][0]["status"], "returned");

    let r = app.call("POST", &format!("/api/v1/appeals/{id}/answers"), Some(&app.executor), Some(&answer_body())).await;
    let answer2 = last_answer_id(&r.json);
    let r = app.call("POST", &format!("/api/v1/appeals/{id}/answers/{answer2}/approve"), Some(&app.supervisor), Some(&json!({"close": false}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["status"], "answered");
    assert_eq!(r.json["questions"][0]["result"], "supported_measures_taken");
    assert_eq!(r.json["questions"][0]["actions_taken"], true);
    assert_eq!(r.json["questions"][0]["result_label"], "Рассмотрено. Поддержано, меры приняты");
    // The same answer cannot be approved twice.
    let again = app.call("POST", &format!("/api/v1/appeals/{id}/answers/{answer2}/approve"), Some(&app.supervisor), Some(&json!({"close": true}))).await;
    again.assert_problem(409, None);

    // Not off control before the answer has gone out.
    let r = app.call("POST", &format!("/api/v1/appeals/{id}/close"), Some(&app.supervisor), Some(&json!({"comment": "Ремонт выполнен"}))).await;
    r.assert_problem(409, None);
    assert_eq!(r.json["code"], "answer_not_dispatched");

    // The signed answer leaves the building with the next outgoing number; kept on additional
    // control by the approval, the appeal stays on it.
    let r = app.call("POST", &format!("/api/v1/appeals/{id}/answers/{answer2}/dispatch"), Some(&app.clerk), Some(&json!({"sent_on": "2025-03-03", "channel": "post"}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["status"], "answered");
    assert_eq!(r.json["status_label"], "Дан ответ, на дополнительном контроле");
    assert_eq!(r.json["answers"][1]["outgoing_number"], "ОГ-исх-2025-000001");
    assert_eq!(r.json["answers"][1]["sent_on"], "2025-03-03");
    assert_eq!(r.json["answers"][1]["sent_channel"], "post");

    let r = app.call("POST", &format!("/api/v1/appeals/{id}/close"), Some(&app.supervisor), Some(&json!({"comment": "Ремонт выполнен"}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["status"], "closed");
    assert_eq!(r.json["allowed_actions"], json!([]));

    let h = app.call("GET", &format!("/api/v1/appeals/{id}/history"), Some(&app.supervisor), None).await;
    let actions: Vec<&str> = h.json["items"].as_array().unwrap().iter().map(|i| i["action"].as_str().unwrap()).collect();
    assert_eq!(actions, vec!["registered", "assign", "answer", "return", "answer", "approve", "dispatch", "close"]);
    let assign_entry = &h.json["items"][1];
    assert_eq!(assign_entry["details"]["status"], json!({"before": "registered", "after": "in_work"}));
    assert_eq!(assign_entry["actor"], app.user_id("clerk"));
    let mine = app.call("GET", "/api/v1/me/assignments", Some(&app.executor), None).await;
    assert_eq!(mine.json["items"].as_array().unwrap().len(), 0, "closed appeals leave the queue");
}

both_backends!(illegal_moves_and_stale_versions);
async fn illegal_moves_and_stale_versions(db: Db) {
    let app = TestApp::start(db).await;
    let card = app.register(json!({})).await;
    let id = card["id"].as_str().unwrap();
    let r = app.call("POST", &format!("/api/v1/appeals/{id}/close"), Some(&app.supervisor), Some(&json!({}))).await;
    r.assert_problem(409, None);
    assert_eq!(r.json["current_status"], "registered");
    assert_eq!(r.json["allowed_actions"], json!(["assign", "extend", "forward", "leave_without_answer"]));

    let body = json!({"executors": [{"user_id": app.user_id("executor"), "responsible": true}]});
    let r = app.raw("POST", &format!("/api/v1/appeals/{id}/assign"), Some(&app.clerk), Some(body.to_string().into_bytes()), &[("If-Match", "\"7\"")]).await;
    r.assert_problem(412, None);
    assert_eq!(r.json["current_version"], 1);
    let r = app.raw("POST", &format!("/api/v1/appeals/{id}/assign"), Some(&app.clerk), Some(body.to_string().into_bytes()), &[("If-Match", "\"1\"")]).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.header("ETag"), Some("\"2\""));
    // Two clerks who both read version 2: the second write is refused, not lost.
    let b2 = json!({"executors": [{"user_id": app.user_id("executor2"), "responsible": true}]});
    let first = app.raw("POST", &format!("/api/v1/appeals/{id}/assign"), Some(&app.clerk), Some(b2.to_string().into_bytes()), &[("If-Match", "\"2\"")]).await;
    assert_eq!(first.status, 200);
    let second = app.raw("POST", &format!("/api/v1/appeals/{id}/assign"), Some(&app.clerk), Some(body.to_string().into_bytes()), &[("If-Match", "\"2\"")]).await;
    second.assert_problem(412, None);

    for (bad, field) in [
        (json!({"executors": []}), "executors"),
        (json!({"executors": [{"user_id": "nobody", "responsible": true}]}), "executors[0].user_id"),
        (json!({"executors": [{"user_id": app.user_id("executor"), "responsible": false}]}), "executors"),
        (json!({"executors": [{"user_id": app.user_id("clerk"), "responsible": true}]}), "executors[0].user_id"),
    ] {
        let r = app.call("POST", &format!("/api/v1/appeals/{id}/assign"), Some(&app.clerk), Some(&bad)).await;
        r.assert_problem(422, Some(field));
    }
    let r = app.call("POST", "/api/v1/appeals/00000000-0000-0000-0000-000000000000/assign", Some(&app.clerk), Some(&body)).await;
    r.assert_problem(404, None);
    let r = app.call("POST", "/api/v1/appeals/not-a-uuid/assign", Some(&app.clerk), Some(&body)).await;
    r.assert_problem(404, None);
    // An answer must give a result for every question and only for its questions.
    let r = app.call("POST", &format!("/api/v1/appeals/{id}/answers"), Some(&app.executor2), Some(&json!({"text": "Ответ", "results": [{"code": "0005.0005.0056.1157", "result": "explained"}]}))).await;
    r.assert_problem(422, Some("results"));
    let r = app.call("POST", &format!("/api/v1/appeals/{id}/answers"), Some(&app.executor2), Some(&json!({"text": "Ответ", "results": [{"code": "0003.0009.0097.0699", "result": "maybe"}]}))).await;
    r.assert_problem(422, Some("results[0].result"));
}

both_backends!(role_action_matrix);
/// Every action × every role on an appeal in the state the action needs: the permission table holds.
async fn role_action_matrix(db: Db) {
    let app = TestApp::start(db).await;
    let roles = ["admin", "supervisor", "clerk", "executor"];
    let token = |r: &str| match r { "admin" => app.admin.clone(), "supervisor" => app.supervisor.clone(), "clerk" => app.clerk.clone(), _ => app.executor.clone() };
    // (action, who may, needs assignment to be visible to the executor)
    let actions = ["assign", "extend", "forward", "answers", "approve", "return", "close", "leave-without-answer"];
    for action in actions {
        for role in roles {
            let card = app.register(json!({})).await;
            let id = card["id"].as_str().unwrap().to_string();
            // Bring the appeal into the state the action needs; the executor is assigned, so sees it.
            assign(&app, &id, "executor").await;
            let mut answer_id = String::new();
            if matches!(action, "approve" | "return" | "close") {
                let r = app.call("POST", &format!("/api/v1/appeals/{id}/answers"), Some(&app.executor), Some(&answer_body())).await;
                answer_id = last_answer_id(&r.json);
                if action == "close" {
                    let r = app.call("POST", &format!("/api/v1/appeals/{id}/answers/{answer_id}/approve"), Some(&app.supervisor), Some(&json!({"close": false}))).await;
                    assert_eq!(r.status, 200);
                    let r = app.call("POST", &format!("/api/v1/appeals/{id}/answers/{answer_id}/dispatch"), Some(&app.clerk), Some(&json!({"sent_on": "2025-03-03", "channel": "post"}))).await;
                    assert_eq!(r.status, 200, "{}", r.json);
                }
            }
            let (path, body) = match action {
                "assign" => ("assign".to_string(), json!({"executors": [{"user_id": app.user_id("executor"), "responsible": true}]})),
                "extend" => ("extend".into(), json!({"days": 10, "reason": "Запрос документов в другом органе"})),
                "forward" => ("forward".into(), json!({"organization": "Министерство строительства", "reason": "по компетенции"})),
                "answers" => ("answers".into(), answer_body()),
                "approve" => (format!("answers/{answer_id}/approve"), json!({"close": true})),
                "return" => (format!("answers/{answer_id}/return"), json!({"comment": "доработать"})),
                "close" => ("close".into(), json!({})),
                _ => ("leave-without-answer".into(), json!({"reason": "obscene"})),
            };
            let r = app.call("POST", &format!("/api/v1/appeals/{id}/{path}"), Some(&token(role)), Some(&body)).await;
            let allowed = match action {
                "assign" | "forward" => role != "executor",
                "answers" => role == "executor",
                _ => matches!(role, "admin" | "supervisor"),
            };
            if allowed {
                assert_eq!(r.status, 200, "{action} by {role}: {}", r.json);
            } else {
                r.assert_problem(403, None);
            }
        }
    }
    // An executor not assigned learns nothing: 404 for every action, each sent a body it accepts.
    let card = app.register(json!({})).await;
    let id = card["id"].as_str().unwrap();
    assign(&app, id, "executor").await;
    for (path, body) in [
        ("answers", answer_body()),
        ("assign", json!({"executors": [{"user_id": app.user_id("executor2"), "responsible": true}]})),
        ("extend", json!({"days": 5, "reason": "Запрос документов"})),
        ("close", json!({})),
        ("contributions", json!({"text": "Справка"})),
    ] {
        let r = app.call("POST", &format!("/api/v1/appeals/{id}/{path}"), Some(&app.executor2), Some(&body)).await;
        r.assert_problem(404, None);
    }
}

both_backends!(extension_once_across_the_may_holidays);
async fn extension_once_across_the_may_holidays(db: Db) {
    let app = TestApp::start(db).await;
    // Registered Monday 7 April 2025: 30 days → 7 May 2025, a working day.
    app.set_now(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2025, 4, 7, 8, 0, 0).unwrap());
    let card = app.register(json!({"received_on": "2025-04-07"})).await;
    assert_eq!(card["due_date"], "2025-05-07");
    let id = card["id"].as_str().unwrap();
    for (bad, field) in [(json!({"days": 0, "reason": "x"}), "days"), (json!({"days": 31, "reason": "x"}), "days"), (json!({"days": 5, "reason": " "}), "reason")] {
        let r = app.call("POST", &format!("/api/v1/appeals/{id}/extend"), Some(&app.supervisor), Some(&bad)).await;
        r.assert_problem(422, Some(field));
    }
    // +30 days from the nominal 7 May = 6 June 2025 (Friday), a working day.
    let r = app.call("POST", &format!("/api/v1/appeals/{id}/extend"), Some(&app.supervisor), Some(&json!({"days": 30, "reason": "Запрос документов в Минстрой"}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["due_date"], "2025-06-06");
    assert_eq!(r.json["extended"], true);
    assert_eq!(r.json["extension"]["days"], 30);
    assert!(r.json["due_date_explanation"].as_str().unwrap().contains("Продлено"));
    let r = app.call("POST", &format!("/api/v1/appeals/{id}/extend"), Some(&app.supervisor), Some(&json!({"days": 5, "reason": "ещё"}))).await;
    r.assert_problem(409, None);
    let h = app.call("GET", &format!("/api/v1/appeals/{id}/history"), Some(&app.supervisor), None).await;
    let ext = h.json["items"].as_array().unwrap().iter().find(|i| i["action"] == "extend").unwrap().clone();
    assert_eq!(ext["details"]["due_date"], json!({"before": "2025-05-07", "after": "2025-06-06"}));
}

both_backends!(deadline_on_a_holiday_moves_back_and_overdue_lists);
async fn deadline_on_a_holiday_moves_back_and_overdue_lists(db: Db) {
    let app = TestApp::start(db).await;
    // Registered Tuesday 1 April 2025 + 30 = Thursday 1 May 2025, a holiday → Wednesday 30 April.
    app.set_now(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2025, 4, 1, 8, 0, 0).unwrap());
    let a = app.register(json!({"received_on": "2025-04-01"})).await;
    assert_eq!(a["due_date"], "2025-04-30");
    assert!(a["due_date_details"]["moved_over"].as_array().unwrap().contains(&json!("2025-05-01")));
    let id = a["id"].as_str().unwrap();
    assign(&app, id, "executor").await;
    app.set_now(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2025, 4, 10, 8, 0, 0).unwrap());
    let b = app.register(json!({"received_on": "2025-04-10", "summary": "второе"})).await;
    assign(&app, b["id"].as_str().unwrap(), "executor").await;

    let r = app.call("GET", "/api/v1/me/assignments?due_within_days=25", Some(&app.executor), None).await;
    let ids: Vec<&str> = r.json["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![id], "only the one due within 25 days");
    let r = app.call("GET", "/api/v1/me/assignments", Some(&app.executor), None).await;
    assert_eq!(r.json["items"].as_array().unwrap().len(), 2);
    assert_eq!(r.json["items"][0]["id"], id, "nearest deadline first");

    app.set_now(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2025, 5, 5, 8, 0, 0).unwrap());
    let r = app.call("GET", "/api/v1/appeals?overdue=true", Some(&app.supervisor), None).await;
    let items = r.json["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["overdue"], true);
    // The second: registered 10 April + 30 = Saturday 10 May, inside the 8–11 May holidays → Wednesday 7 May.
    let r = app.call("GET", &format!("/api/v1/appeals?executor_id={}&due_within_days=10", app.user_id("executor")), Some(&app.supervisor), None).await;
    let items = r.json["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], b["id"]);
    assert_eq!(items[0]["due_date"], "2025-05-07");
}

both_backends!(forwarding_and_leaving_without_answer);
async fn forwarding_and_leaving_without_answer(db: Db) {
    let app = TestApp::start(db).await;
    let a = app.register(json!({})).await;
    let id = a["id"].as_str().unwrap();
    // Forwarded 10 days after registration: later than the 7 days of Art. 8.
    app.set_now(start_instant() + chrono::Duration::days(10));
    let r = app.call("POST", &format!("/api/v1/appeals/{id}/forward"), Some(&app.clerk), Some(&json!({"organization": "Прокуратура г. Ухты", "reason": "по компетенции"}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["status"], "forwarded");
    assert_eq!(r.json["forwarded"]["late"], true);
    assert_eq!(r.json["questions"][0]["result"], "transferred");
    let r = app.call("POST", &format!("/api/v1/appeals/{id}/assign"), Some(&app.clerk), Some(&json!({"executors": [{"user_id": app.user_id("executor"), "responsible": true}]}))).await;
    r.assert_problem(409, None);

    let b = app.register(json!({"applicants": []})).await;
    assert_eq!(b["anonymous"], true);
    let id = b["id"].as_str().unwrap();
    let r = app.call("POST", &format!("/api/v1/appeals/{id}/leave-without-answer"), Some(&app.supervisor), Some(&json!({"reason": "flying"}))).await;
    r.assert_problem(422, Some("reason"));
    let r = app.call("POST", &format!("/api/v1/appeals/{id}/leave-without-answer"), Some(&app.supervisor), Some(&json!({"reason": "anonymous"}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["status"], "left_without_answer");
    assert_eq!(r.json["left_without_answer_reason"], "anonymous");
    assert_eq!(r.json["questions"][0]["result"], "left_without_answer");
}
