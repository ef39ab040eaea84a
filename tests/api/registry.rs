//! Registration, reading, search, pagination and import, on every backend.

use crate::support::*;
use serde_json::{json, Value};

async fn count_all(app: &TestApp) -> usize {
    let mut n = 0;
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/appeals?limit=100&cursor={c}"),
            None => "/api/v1/appeals?limit=100".into(),
        };
        let r = app.call("GET", &path, Some(&app.admin), None).await;
        assert_eq!(r.status, 200, "{}", r.json);
        n += r.json["items"].as_array().unwrap().len();
        match r.json["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return n,
        }
    }
}

both_backends!(health_names_the_backend);
async fn health_names_the_backend(db: Db) {
    let app = TestApp::start(db).await;
    let r = app.call("GET", "/health", None, None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["database"], if db == Db::Sqlite { "sqlite" } else { "postgres" });
}

both_backends!(registration_assigns_number_deadline_and_history);
async fn registration_assigns_number_deadline_and_history(db: Db) {
    let app = TestApp::start(db).await;
    let r = app.call("POST", "/api/v1/appeals", Some(&app.clerk), Some(&appeal(json!({})))).await;
    assert_eq!(r.status, 201, "{}", r.json);
    let card = &r.json;
    assert_eq!(card["reg_number"], "ОГ-2025-000001");
    assert_eq!(card["status"], "registered");
    // Registered Monday 3 March 2025 + 30 days = Wednesday 2 April 2025, a working day.
    assert_eq!(card["due_date"], "2025-04-02");
    assert!(card["due_date_explanation"].as_str().unwrap().contains("30"));
    assert_eq!(card["version"], 1);
    assert_eq!(r.header("ETag"), Some("\"1\""));
    let id = card["id"].as_str().unwrap();
    assert_eq!(r.header("Location"), Some(format!("/api/v1/appeals/{id}").as_str()));
    assert_eq!(card["late_registration"], false);

    let second = app.register(json!({})).await;
    assert_eq!(second["reg_number"], "ОГ-2025-000002");

    let back = app.call("GET", &format!("/api/v1/appeals/{id}"), Some(&app.clerk), None).await;
    assert_eq!(back.status, 200);
    assert_eq!(back.json["applicants"][0]["full_name"], "Смирнова Ольга Петровна");
    assert_eq!(back.json["questions"][0]["code"], "0003.0009.0097.0699");

    let h = app.call("GET", &format!("/api/v1/appeals/{id}/history"), Some(&app.supervisor), None).await;
    let actions: Vec<&str> = h.json["items"].as_array().unwrap().iter().map(|i| i["action"].as_str().unwrap()).collect();
    assert_eq!(actions, vec!["registered", "viewed"], "card reads are recorded");
    assert_eq!(h.json["items"][1]["actor"], app.user_id("clerk"));
}

both_backends!(late_registration_is_recorded_not_refused);
async fn late_registration_is_recorded_not_refused(db: Db) {
    let app = TestApp::start(db).await;
    // Received Wednesday 26 February, registered Monday 3 March: more than 3 days.
    let card = app.register(json!({"received_on": "2025-02-26"})).await;
    assert_eq!(card["late_registration"], true);
    let card = app.register(json!({"received_on": "2025-02-28"})).await;
    assert_eq!(card["late_registration"], false);
}

both_backends!(bad_input_is_refused_with_the_field_and_nothing_written);
async fn bad_input_is_refused_with_the_field_and_nothing_written(db: Db) {
    let app = TestApp::start(db).await;
    let cases: Vec<(Value, u16, &str)> = vec![
        (appeal(json!({"channel": "pigeon"})), 422, "channel"),
        (appeal(json!({"form": "telepathy"})), 422, "form"),
        (appeal(json!({"questions": [{"code": "9999.9999.9999.9999"}]})), 422, "questions[0].code"),
        (appeal(json!({"questions": [{"code": "0003.09"}]})), 422, "questions[0].code"),
        (appeal(json!({"channel": "forwarded"})), 422, "source"),
        (appeal(json!({"channel": "personal_reception"})), 422, "reception"),
        (appeal(json!({"received_on": "2999-01-01"})), 422, "received_on"),
        (appeal(json!({"received_on": "2025-02-30"})), 422, "received_on"),
        (appeal(json!({"questions": []})), 422, "questions"),
        (appeal(json!({"summary": "   "})), 422, "summary"),
        (appeal(json!({"colour": "red"})), 422, "colour"),
        (appeal(json!({"applicants": [{"full_name": "Петров П.П.", "email": "not-an-email"}]})), 422, "applicants[0].email"),
        (appeal(json!({"applicants": [{"full_name": "Петров П.П.", "phone": "call me"}]})), 422, "applicants[0].phone"),
        (appeal(json!({"signatures": 5})), 422, "signatures"),
        (appeal(json!({"reg_number": "ОГ-1"})), 422, "reg_number"),
        (appeal(json!({"summary": 12})), 422, "summary"),
    ];
    for (body, status, field) in cases {
        let r = app.call("POST", "/api/v1/appeals", Some(&app.clerk), Some(&body)).await;
        r.assert_problem(status, Some(field));
    }
    let r = app.raw("POST", "/api/v1/appeals", Some(&app.clerk), Some(b"{\"channel\": \"post\",".to_vec()), &[]).await;
    r.assert_problem(400, None);
    let r = app.raw("POST", "/api/v1/appeals", Some(&app.clerk), Some(vec![0xff, 0xfe, b'{']), &[]).await;
    r.assert_problem(400, None);
    let big = appeal(json!({"summary": "я".repeat(6 * 1024 * 1024)}));
    let r = app.call("POST", "/api/v1/appeals", Some(&app.clerk), Some(&big)).await;
    r.assert_problem(413, None);
    let r = app.call("POST", "/api/v1/appeals", None, Some(&appeal(json!({})))).await;
    r.assert_problem(401, None);
    let r = app.call("POST", "/api/v1/appeals", Some("apl_forged"), Some(&appeal(json!({})))).await;
    r.assert_problem(401, None);
    let r = app.call("POST", "/api/v1/appeals", Some(&app.executor), Some(&appeal(json!({})))).await;
    r.assert_problem(403, None);
    let r = app.call("POST", "/api/v1/appeals", Some(&app.supervisor), Some(&appeal(json!({})))).await;
    r.assert_problem(403, None);
    assert_eq!(count_all(&app).await, 0, "a refused request left something behind");
    // The sequence was not consumed either.
    assert_eq!(app.register(json!({})).await["reg_number"], "ОГ-2025-000001");
}

both_backends!(external_id_is_idempotent_per_channel);
async fn external_id_is_idempotent_per_channel(db: Db) {
    let app = TestApp::start(db).await;
    let body = json!({"channel": "feedback_platform", "form": "electronic", "external_id": "POS-77-123456"});
    let first = app.register(body.clone()).await;
    let again = app.call("POST", "/api/v1/appeals", Some(&app.clerk), Some(&appeal(body))).await;
    again.assert_problem(409, None);
    assert_eq!(again.json["id"], first["id"]);
    // The same id on another channel is another appeal.
    app.register(json!({"channel": "dobrodel", "form": "electronic", "external_id": "POS-77-123456"})).await;
    assert_eq!(count_all(&app).await, 2);
}

both_backends!(concurrent_registrations_get_distinct_sequential_numbers);
async fn concurrent_registrations_get_distinct_sequential_numbers(db: Db) {
    let app = TestApp::start(db).await;
    let bodies: Vec<Value> = (0..40).map(|i| appeal(json!({"summary": format!("Обращение №{i}")}))).collect();
    let futures = bodies.iter().map(|b| app.call("POST", "/api/v1/appeals", Some(&app.clerk), Some(b)));
    let results = futures_util::future::join_all(futures).await;
    let mut numbers: Vec<String> = results.iter().map(|r| {
        assert_eq!(r.status, 201, "{}", r.json);
        r.json["reg_number"].as_str().unwrap().to_string()
    }).collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 40);
    assert_eq!(numbers.first().unwrap(), "ОГ-2025-000001");
    assert_eq!(numbers.last().unwrap(), "ОГ-2025-000040");
}

/// Registers 12 appeals at once and checks that each number the answer gave is the one stored
/// on the card, in its search text, its first history entry and its acknowledgement: on
/// PostgreSQL the database reserves the number and fills it into the rows itself.
async fn numbers_stored_everywhere_as_answered(app: &TestApp, first: &str, last: &str) {
    let bodies: Vec<Value> = (0..12).map(|i| appeal(json!({"summary": format!("Обращение №{i}")}))).collect();
    let results = futures_util::future::join_all(bodies.iter().map(|b| app.call("POST", "/api/v1/appeals", Some(&app.clerk), Some(b)))).await;
    let mut numbers = Vec::new();
    for r in results {
        assert_eq!(r.status, 201, "{}", r.json);
        let (id, number) = (r.json["id"].as_str().unwrap().to_string(), r.json["reg_number"].as_str().unwrap().to_string());
        let card = app.call("GET", &format!("/api/v1/appeals/{id}"), Some(&app.clerk), None).await;
        assert_eq!(card.json["reg_number"], number.as_str());
        let found = app.call("GET", &format!("/api/v1/appeals?q={}", urlencode(&number)), Some(&app.admin), None).await;
        let ids: Vec<&str> = found.json["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
        assert_eq!(ids, vec![id.as_str()], "search by {number}");
        let h = app.call("GET", &format!("/api/v1/appeals/{id}/history"), Some(&app.supervisor), None).await;
        assert_eq!(h.json["items"][0]["details"]["reg_number"], number.as_str(), "{}", h.json);
        let ack = app.call("GET", &format!("/api/v1/notifications?appeal_id={id}&kind=registration_ack"), Some(&app.admin), None).await;
        let subject = ack.json["items"][0]["subject"].as_str().unwrap_or_default().to_string();
        assert!(subject.ends_with(&format!("№ {number}")), "{subject}");
        numbers.push(number);
    }
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 12);
    assert_eq!((numbers.first().unwrap().as_str(), numbers.last().unwrap().as_str()), (first, last));
}

both_backends!(every_trace_of_a_new_number_matches_the_answer);
async fn every_trace_of_a_new_number_matches_the_answer(db: Db) {
    let app = TestApp::start(db).await;
    numbers_stored_everywhere_as_answered(&app, "ОГ-2025-000001", "ОГ-2025-000012").await;
}

both_backends!(a_template_with_two_sequences_is_numbered_by_the_service);
async fn a_template_with_two_sequences_is_numbered_by_the_service(db: Db) {
    // The database fills in one sequence only; this template takes the two-step path.
    let app = TestApp::start_with(db, |s| s.organization.reg_number_template = "{seq:03}/{year}/{seq}".into()).await;
    numbers_stored_everywhere_as_answered(&app, "001/2025/1", "012/2025/12").await;
}

both_backends!(search_filters_and_keyset_pagination);
async fn search_filters_and_keyset_pagination(db: Db) {
    let app = TestApp::start(db).await;
    for i in 0..9 {
        app.register(json!({"summary": format!("Обращение о дороге №{i}")})).await;
    }
    app.register(json!({"channel": "internet_reception", "form": "electronic", "applicants": [{"full_name": "ЁЛКИН Пётр", "email": "elkin@example.ru"}],
        "questions": [{"code": "0005.0005.0056.1157"}]})).await;
    // Case-insensitive Cyrillic, ё folded into е, on both backends.
    for q in ["смирнова", "СМИРНОВА", "елкин", "ЁЛКИН", "ОГ-2025-000010", "дороге №3"] {
        let r = app.call("GET", &format!("/api/v1/appeals?q={}", urlencode(q)), Some(&app.admin), None).await;
        assert_eq!(r.status, 200);
        let n = r.json["items"].as_array().unwrap().len();
        let want = match q { "смирнова" | "СМИРНОВА" => 9, "елкин" | "ЁЛКИН" => 1, _ => 1 };
        assert_eq!(n, want, "q={q}");
    }
    // LIKE wildcards are literal; a query without three letters or digits in a row is refused.
    let r = app.call("GET", &format!("/api/v1/appeals?q={}", urlencode("дор%")), Some(&app.admin), None).await;
    assert_eq!(r.json["items"].as_array().unwrap().len(), 0, "{}", r.json);
    let r = app.call("GET", "/api/v1/appeals?q=%25", Some(&app.admin), None).await;
    r.assert_problem(422, Some("q"));
    let r = app.call("GET", "/api/v1/appeals?channel=internet_reception", Some(&app.admin), None).await;
    assert_eq!(r.json["items"].as_array().unwrap().len(), 1);
    let r = app.call("GET", "/api/v1/appeals?section=0005", Some(&app.admin), None).await;
    assert_eq!(r.json["items"].as_array().unwrap().len(), 1);
    let r = app.call("GET", "/api/v1/appeals?registered_from=2025-03-04", Some(&app.admin), None).await;
    assert_eq!(r.json["items"].as_array().unwrap().len(), 0);
    let r = app.call("GET", "/api/v1/appeals?registered_from=2025-03-03&registered_to=2025-03-03", Some(&app.admin), None).await;
    assert_eq!(r.json["items"].as_array().unwrap().len(), 10);

    // Walk pages of 3 while new appeals arrive: nothing repeats, nothing is skipped.
    let mut seen: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    let mut inserted = false;
    loop {
        let path = match &cursor { Some(c) => format!("/api/v1/appeals?limit=3&cursor={c}"), None => "/api/v1/appeals?limit=3".into() };
        let r = app.call("GET", &path, Some(&app.admin), None).await;
        assert_eq!(r.status, 200, "{}", r.json);
        seen.extend(r.json["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()));
        if !inserted {
            app.set_now(start_instant() + chrono::Duration::minutes(5));
            app.register(json!({})).await;
            inserted = true;
        }
        match r.json["next_cursor"].as_str() { Some(c) => cursor = Some(c.into()), None => break }
    }
    let mut distinct = seen.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(seen.len(), 10);
    assert_eq!(distinct.len(), 10);
    for bad in ["limit=0", "limit=101", "cursor=zz", "registered_from=yesterday", "status=lost", "overdue=maybe"] {
        let r = app.call("GET", &format!("/api/v1/appeals?{bad}"), Some(&app.admin), None).await;
        r.assert_problem(422, None);
    }
}


both_backends!(executors_see_only_their_assignments);
async fn executors_see_only_their_assignments(db: Db) {
    let app = TestApp::start(db).await;
    let card = app.register(json!({})).await;
    let id = card["id"].as_str().unwrap();
    let r = app.call("GET", "/api/v1/appeals", Some(&app.executor), None).await;
    assert_eq!(r.json["items"].as_array().unwrap().len(), 0);
    let r = app.call("GET", &format!("/api/v1/appeals/{id}"), Some(&app.executor), None).await;
    r.assert_problem(404, None);
    let r = app.call("GET", &format!("/api/v1/appeals/{id}/history"), Some(&app.executor), None).await;
    r.assert_problem(404, None);
    let body = json!({"executors": [{"user_id": app.user_id("executor"), "responsible": true}], "instruction": "Для рассмотрения и подготовки ответа заявителю"});
    let r = app.call("POST", &format!("/api/v1/appeals/{id}/assign"), Some(&app.clerk), Some(&body)).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let r = app.call("GET", "/api/v1/appeals", Some(&app.executor), None).await;
    assert_eq!(r.json["items"].as_array().unwrap().len(), 1);
    let r = app.call("GET", &format!("/api/v1/appeals/{id}"), Some(&app.executor), None).await;
    assert_eq!(r.status, 200);
    let r = app.call("GET", "/api/v1/appeals", Some(&app.executor2), None).await;
    assert_eq!(r.json["items"].as_array().unwrap().len(), 0);
    let r = app.call("GET", "/api/v1/users?role=executor", Some(&app.executor), None).await;
    r.assert_problem(403, None);
    let r = app.call("GET", "/api/v1/users?role=executor", Some(&app.clerk), None).await;
    assert_eq!(r.json["items"].as_array().unwrap().len(), 2);
}

both_backends!(repeated_appeals_are_linked);
async fn repeated_appeals_are_linked(db: Db) {
    let app = TestApp::start(db).await;
    let first = app.register(json!({})).await;
    // Still under consideration: a duplicate, linked but not "repeated".
    let dup = app.register(json!({"applicants": [{"full_name": "смирнова ольга  петровна", "postal_address": "169300 г Ухта ул Октябрьская д 12 кв 4"}]})).await;
    assert_eq!(dup["repeated"], false);
    assert_eq!(dup["related_appeal_ids"], json!([first["id"]]));
    // After the first deadline passed unanswered, the same question is a repeated appeal.
    app.set_now(start_instant() + chrono::Duration::days(40));
    let rep = app.register(json!({"received_on": "2025-04-12", "applicants": [{"full_name": "Смирнова Ольга Петровна", "email": "SMIRNOVA@example.ru"}]})).await;
    assert_eq!(rep["repeated"], true);
    // Matched by name + e-mail to the first; the duplicate gave only an address.
    assert_eq!(rep["related_appeal_ids"], json!([first["id"]]));
    // Another question of the same person is not related.
    let other = app.register(json!({"received_on": "2025-04-12", "questions": [{"code": "0005.0005.0056.1157"}]})).await;
    assert_eq!(other["related_appeal_ids"], json!([]));
    let back = app.call("GET", &format!("/api/v1/appeals/{}", first["id"].as_str().unwrap()), Some(&app.clerk), None).await;
    assert_eq!(back.json["related_appeal_ids"].as_array().unwrap().len(), 2, "links are visible from both sides");
}

both_backends!(repeats_are_found_while_others_register);
/// Registrations arriving together: on SQLite one waits for the writer while another writes, and
/// reads the earlier appeals outside the lock; when nobody writes it reads them on the writer.
/// Either way each of the person's new letters finds the letter written before the burst.
async fn repeats_are_found_while_others_register(db: Db) {
    let app = TestApp::start(db).await;
    let first = app.register(json!({})).await;
    let bodies: Vec<Value> = (0..24)
        .map(|i| if i % 3 == 0 { appeal(json!({})) } else { appeal(json!({"applicants": [{"full_name": format!("Иванов Пётр {i}"), "email": format!("p{i}@example.ru")}]})) })
        .collect();
    let results = futures_util::future::join_all(bodies.iter().map(|b| app.call("POST", "/api/v1/appeals", Some(&app.clerk), Some(b)))).await;
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r.status, 201, "{}", r.json);
        let related = r.json["related_appeal_ids"].as_array().unwrap();
        if i % 3 == 0 {
            assert!(related.contains(&first["id"]), "letter {i} of the same person: {related:?}");
        } else {
            assert!(related.is_empty(), "letter {i} of another person: {related:?}");
        }
    }
    let back = app.call("GET", &format!("/api/v1/appeals/{}", first["id"].as_str().unwrap()), Some(&app.clerk), None).await;
    assert!(back.json["related_appeal_ids"].as_array().unwrap().len() >= 8, "{}", back.json);
}

both_backends!(import_is_all_or_nothing);
async fn import_is_all_or_nothing(db: Db) {
    let app = TestApp::start(db).await;
    let row = |n: Option<&str>| {
        let mut a = appeal(json!({"received_on": "2024-03-01", "registered_at": "2024-03-02T09:00:00Z"}));
        if let Some(n) = n { a["reg_number"] = json!(n); }
        a
    };
    let r = app.call("POST", "/api/v1/imports/appeals", Some(&app.admin), Some(&json!({"items": [row(Some("12/2024")), row(None), row(None)]}))).await;
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(r.json["imported"], 3);
    let id = r.json["ids"][0].as_str().unwrap().to_string();
    let card = app.call("GET", &format!("/api/v1/appeals/{id}"), Some(&app.admin), None).await;
    assert_eq!(card.json["reg_number"], "12/2024");
    assert_eq!(card.json["registered_at"], "2024-03-02T09:00:00Z");
    // Registered Saturday 2 March 2024 + 30 days = Monday 1 April 2024.
    assert_eq!(card.json["due_date"], "2024-04-01");
    let second = app.call("GET", &format!("/api/v1/appeals/{}", r.json["ids"][1].as_str().unwrap()), Some(&app.admin), None).await;
    assert_eq!(second.json["reg_number"], "ОГ-2024-000001");

    let before = count_all(&app).await;
    let mut bad = vec![row(None), row(None), row(None)];
    bad.push(appeal(json!({"questions": [{"code": "0000.1111"}]})));
    let r = app.call("POST", "/api/v1/imports/appeals", Some(&app.admin), Some(&json!({"items": bad}))).await;
    r.assert_problem(422, Some("items[3].questions[0].code"));
    let r = app.call("POST", "/api/v1/imports/appeals", Some(&app.admin), Some(&json!({"items": [row(Some("12/2024"))]}))).await;
    r.assert_problem(422, Some("items[0].reg_number"));
    let r = app.call("POST", "/api/v1/imports/appeals", Some(&app.admin), Some(&json!({"items": [row(Some("7")), row(Some("7"))]}))).await;
    r.assert_problem(422, Some("items[1].reg_number"));
    let r = app.call("POST", "/api/v1/imports/appeals", Some(&app.clerk), Some(&json!({"items": [row(None)]}))).await;
    r.assert_problem(403, None);
    assert_eq!(count_all(&app).await, before);
    // Registration continues the imported year's sequence without clashing.
    app.set_now(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2024, 3, 5, 9, 0, 0).unwrap());
    let next = app.register(json!({"received_on": "2024-03-04"})).await;
    assert_eq!(next["reg_number"], "ОГ-2024-000003");
    // A legacy number in the template's format moves the counter past it.
    let r = app.call("POST", "/api/v1/imports/appeals", Some(&app.admin), Some(&json!({"items": [row(Some("ОГ-2024-000010")), row(None)]}))).await;
    assert_eq!(r.status, 201, "{}", r.json);
    let second = app.call("GET", &format!("/api/v1/appeals/{}", r.json["ids"][1].as_str().unwrap()), Some(&app.admin), None).await;
    assert_eq!(second.json["reg_number"], "ОГ-2024-000011");
    let next = app.register(json!({"received_on": "2024-03-04"})).await;
    assert_eq!(next["reg_number"], "ОГ-2024-000012");
}

both_backends!(a_large_import_is_read_and_checked_in_chunks);
/// 1,200 rows cross the reader's chunks of 1,000: errors in a later chunk still name their row,
/// in input order, and refuse the whole batch; a clean batch answers its ids in input order.
async fn a_large_import_is_read_and_checked_in_chunks(db: Db) {
    let app = TestApp::start(db).await;
    let row = |i: usize| appeal(json!({"channel": "feedback_platform", "form": "electronic", "external_id": format!("POS-{i}"), "received_on": "2024-03-01", "registered_at": "2024-03-02T09:00:00Z"}));
    let before = count_all(&app).await;
    let mut items: Vec<Value> = (0..1200).map(row).collect();
    items[1150]["favourite_colour"] = json!("blue");
    items[1100]["questions"] = json!([{"code": "0000.1111"}]);
    items[1199]["external_id"] = json!("POS-3");
    let r = app.call("POST", "/api/v1/imports/appeals", Some(&app.admin), Some(&json!({"items": items}))).await;
    r.assert_problem(422, Some("items[1100].questions[0].code"));
    let fields: Vec<&str> = r.json["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["items[1100].questions[0].code", "items[1150].favourite_colour", "items[1199].external_id"], "{}", r.json);
    assert_eq!(count_all(&app).await, before);

    let items: Vec<Value> = (0..1200).map(row).collect();
    let r = app.call("POST", "/api/v1/imports/appeals", Some(&app.admin), Some(&json!({"items": items}))).await;
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(r.json["ids"].as_array().unwrap().len(), 1200);
    for i in [0usize, 999, 1000, 1199] {
        let card = app.call("GET", &format!("/api/v1/appeals/{}", r.json["ids"][i].as_str().unwrap()), Some(&app.admin), None).await;
        assert_eq!(card.json["external_id"], format!("POS-{i}"), "ids in input order");
        assert_eq!(card.json["applicants"].as_array().unwrap().len(), 1);
        assert_eq!(card.json["questions"].as_array().unwrap().len(), 1);
    }
}

both_backends!(reference_data);
async fn reference_data(db: Db) {
    let app = TestApp::start(db).await;
    let r = app.call("GET", "/api/v1/channels", Some(&app.executor), None).await;
    let codes: Vec<&str> = r.json["items"].as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap()).collect();
    for c in ["internet_reception", "email", "post", "by_hand", "gis_zhkh", "feedback_platform", "dobrodel", "personal_reception", "forwarded"] {
        assert!(codes.contains(&c), "{c}");
    }
    let r = app.call("GET", "/api/v1/classifier?parent=0005.0005.0056", Some(&app.clerk), None).await;
    let items = r.json["items"].as_array().unwrap();
    assert!(items.len() >= 25);
    assert!(items.iter().any(|i| i["code"] == "0005.0005.0056.1157" && i["level"] == 4 && i["parent"] == "0005.0005.0056"));
    let r = app.call("GET", &format!("/api/v1/classifier?q={}&limit=5", urlencode("ЖИЛИЩНО")), Some(&app.clerk), None).await;
    assert!(!r.json["items"].as_array().unwrap().is_empty());
    assert!(r.json["items"].as_array().unwrap().len() <= 5);
    let r = app.call("GET", "/api/v1/classifier", None, None).await;
    r.assert_problem(401, None);
}

both_backends!(a_revised_classifier_is_picked_up_without_restart);
async fn a_revised_classifier_is_picked_up_without_restart(db: Db) {
    let app = TestApp::start(db).await;
    let code = "0005.0005.0056.1157.0999";
    let body = appeal(json!({"questions": [{"code": code}]}));
    app.call("POST", "/api/v1/appeals", Some(&app.clerk), Some(&body)).await.assert_problem(422, Some("questions[0].code"));
    let entry = appeals::domain::classifier::Entry { code: code.into(), level: 5, parent: Some("0005.0005.0056.1157".into()), name: "Новый подвопрос".into() };
    appeals::store::classifier::upsert_all(&app.pool, &[entry]).unwrap();
    assert_eq!(appeals::app::reload_codes(&app.state).unwrap(), 2109);
    let card = app.register(json!({"questions": [{"code": code}]})).await;
    assert_eq!(card["questions"][0]["code"], code);
    // The lookup by words knows the new entry too.
    let r = app.call("GET", &format!("/api/v1/classifier?q={}&limit=3", urlencode("новые подвопросы")), Some(&app.clerk), None).await;
    assert_eq!(r.json["items"][0]["code"], code, "{}", r.json);
}

both_backends!(the_classifier_is_found_by_the_words_people_write);
async fn the_classifier_is_found_by_the_words_people_write(db: Db) {
    let app = TestApp::start(db).await;
    let first = |q: &str| {
        let path = format!("/api/v1/classifier?q={}&limit=5", urlencode(q));
        let app = &app;
        async move { app.call("GET", &path, Some(&app.clerk), None).await.json["items"].as_array().unwrap().clone() }
    };
    // An inflection, a colloquial word through the synonyms, ё: each finds its question first, with its path.
    let items = first("уличного освещения").await;
    assert_eq!(items[0]["code"], "0003.0009.0097.0690");
    assert_eq!(items[0]["path"], "Экономика › Хозяйственная деятельность › Градостроительство и архитектура › Уличное освещение");
    assert_eq!(first("не горят фонари").await[0]["code"], "0003.0009.0097.0690");
    assert!(first("Счётчики воды").await.iter().any(|i| i["code"] == "0005.0005.0056.1172"));
    let pits = first("ямы во дворе").await;
    assert!(pits.iter().any(|i| i["code"] == "0003.0009.0097.0699"), "{pits:?}");
    assert!(pits.iter().all(|i| i["level"].as_i64().unwrap() >= 4));
    // What the organization uses comes first among equal matches: register three appeals on one
    // of the ten «дошкольное образование» sub-questions, rebuild the rollup, ask again.
    let favourite = "0002.0013.0139.0351.0031";
    assert_ne!(first("дошкольное образование").await[0]["code"], favourite);
    for _ in 0..3 {
        app.register(json!({"questions": [{"code": favourite}]})).await;
    }
    appeals::store::stats_deltas::compact(&app.pool).unwrap();
    let fresh = appeals::classifier_index::ClassifierIndex::load(&app.pool, std::path::Path::new("config")).unwrap();
    let org = app.state.settings.organization.code.clone();
    let org_id = appeals::store::users::ensure_organization(&app.pool, &org, &app.state.settings.organization.name, &app.state.settings.organization.time_zone, app.state.now_naive()).unwrap().id;
    let found = fresh.find(&app.pool, &org_id, app.state.today(&org_id), Some("дошкольное образование"), None, 3).unwrap();
    assert_eq!(found[0].code, favourite);
    // A code or its beginning finds itself and what lies under it; nonsense finds nothing.
    assert_eq!(first("0005.0005.0056.1157").await[0]["code"], "0005.0005.0056.1157");
    assert!(first("абырвалг").await.is_empty());
}

fn ids_of(v: &Value) -> Vec<String> {
    let mut ids: Vec<String> = v.as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_string()).collect();
    ids.sort();
    ids
}

both_backends!(an_appeal_forwarded_by_competence_makes_no_repeat);
async fn an_appeal_forwarded_by_competence_makes_no_repeat(db: Db) {
    let app = TestApp::start(db).await;
    let first = app.register(json!({})).await;
    let id = first["id"].as_str().unwrap();
    let r = app.call("POST", &format!("/api/v1/appeals/{id}/forward"), Some(&app.clerk), Some(&json!({"organization": "Прокуратура г. Ухты"}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    // Long after the forwarded one's deadline: this body never answered it, so no repeat.
    app.set_now(start_instant() + chrono::Duration::days(40));
    let again = app.register(json!({"received_on": "2025-04-12"})).await;
    assert_eq!(again["repeated"], false);
    assert_eq!(again["related_appeal_ids"], json!([id]), "still linked, as related");
    let history = app.call("GET", &format!("/api/v1/appeals/{}/history", again["id"].as_str().unwrap()), Some(&app.clerk), None).await;
    assert_eq!(history.json["items"][0]["details"]["repeated"], false);
}

both_backends!(the_ten_most_recent_earlier_appeals_are_linked);
async fn the_ten_most_recent_earlier_appeals_are_linked(db: Db) {
    let app = TestApp::start(db).await;
    let mut earlier = Vec::new();
    for i in 0..12 {
        app.set_now(start_instant() + chrono::Duration::minutes(i));
        earlier.push(app.register(json!({})).await["id"].as_str().unwrap().to_string());
    }
    app.set_now(start_instant() + chrono::Duration::minutes(30));
    let latest = app.register(json!({})).await;
    let mut expected: Vec<String> = earlier[2..].to_vec();
    expected.sort();
    assert_eq!(ids_of(&latest["related_appeal_ids"]), expected, "the most recent ten, not an arbitrary ten");
}

async fn card_of(app: &TestApp, id: &str) -> Value {
    app.call("GET", &format!("/api/v1/appeals/{id}"), Some(&app.admin), None).await.json
}

both_backends!(imports_detect_repeats_against_stored_and_imported_rows);
async fn imports_detect_repeats_against_stored_and_imported_rows(db: Db) {
    let app = TestApp::start(db).await;
    let stored = app.register(json!({})).await["id"].as_str().unwrap().to_string();
    let row = |at: &str, received: &str| appeal(json!({"received_on": received, "registered_at": at}));
    // Older legacy appeals of the same person and question, one of another question.
    let items = json!({"items": [
        row("2024-01-10T09:00:00Z", "2024-01-09"),
        row("2024-06-10T09:00:00Z", "2024-06-09"),
        appeal(json!({"received_on": "2024-06-09", "registered_at": "2024-06-11T09:00:00Z", "questions": [{"code": "0005.0005.0056.1157"}]})),
        row("2025-03-03T08:00:00Z", "2025-03-03"),
    ]});
    app.set_now(start_instant() + chrono::Duration::hours(3));
    let r = app.call("POST", "/api/v1/imports/appeals", Some(&app.admin), Some(&items)).await;
    assert_eq!(r.status, 201, "{}", r.json);
    let ids: Vec<String> = r.json["ids"].as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_string()).collect();
    let first = card_of(&app, &ids[0]).await;
    assert_eq!(first["repeated"], false);
    // The second came after the first's deadline (never answered): a repeat of it.
    let second = card_of(&app, &ids[1]).await;
    assert_eq!(second["repeated"], true);
    assert_eq!(ids_of(&second["related_appeal_ids"]), {
        let mut v = vec![ids[0].clone(), ids[3].clone()];
        v.sort();
        v
    });
    let other = card_of(&app, &ids[2]).await;
    assert_eq!(other["related_appeal_ids"], json!([]));
    // The fourth was registered an hour after the stored one (still being considered) and after both legacy ones.
    let fourth = card_of(&app, &ids[3]).await;
    let mut expected = vec![ids[0].clone(), ids[1].clone(), stored.clone()];
    expected.sort();
    assert_eq!(ids_of(&fourth["related_appeal_ids"]), expected, "stored and imported earlier appeals");
    assert_eq!(fourth["repeated"], true);
}

both_backends!(import_dates_are_the_organizations_local_dates);
async fn import_dates_are_the_organizations_local_dates(db: Db) {
    let app = TestApp::start(db).await;
    // 22:30Z on 4 March is 01:30 on 5 March in Moscow: received on the 5th is not "after registration".
    let items = json!({"items": [appeal(json!({"received_on": "2025-03-05", "registered_at": "2025-03-04T22:30:00Z"}))]});
    app.set_now(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2025, 3, 5, 9, 0, 0).unwrap());
    let r = app.call("POST", "/api/v1/imports/appeals", Some(&app.admin), Some(&items)).await;
    assert_eq!(r.status, 201, "{}", r.json);
    let card = app.call("GET", &format!("/api/v1/appeals/{}", r.json["ids"][0].as_str().unwrap()), Some(&app.admin), None).await;
    // 30 days from Wednesday 5 March 2025 (local) = Friday 4 April.
    assert_eq!(card.json["due_date"], "2025-04-04", "{}", card.json);
    // Received after the local registration date is still refused.
    let items = json!({"items": [appeal(json!({"received_on": "2025-03-05", "registered_at": "2025-03-04T20:30:00Z"}))]});
    let r = app.call("POST", "/api/v1/imports/appeals", Some(&app.admin), Some(&items)).await;
    r.assert_problem(422, Some("items[0].received_on"));
}
