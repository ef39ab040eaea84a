//! The directory of bodies, forwarding to a body of it, answer files, and the
//! ССТУ.РФ monthly export (snapshot, validation, re-export, delta, export log).

use crate::support::*;
use serde_json::{json, Value};

pub const OWN: &str = "11111111-2222-4333-8444-555555555555";
const PROSECUTOR: &str = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";
pub const PDF: &[u8] = b"%PDF-1.4\n% answer\n%%EOF\n";

pub async fn start(db: Db) -> TestApp {
    TestApp::start_with(db, |s| s.sstu.department_id = Some(OWN.into())).await
}

pub fn path(id: &str, tail: &str) -> String {
    format!("/api/v1/appeals/{id}{tail}")
}

async fn add_body(app: &TestApp, name: &str, guid: Option<&str>) -> String {
    let r = app.call("POST", "/api/v1/bodies", Some(&app.admin), Some(&json!({"name": name, "inn": "1102012345", "sstu_department_id": guid}))).await;
    assert_eq!(r.status, 201, "{}", r.json);
    r.json["id"].as_str().unwrap().to_string()
}

/// Assigns `executor` and submits an answer `result`, pending review; returns the answer id.
pub async fn pending(app: &TestApp, id: &str, result: &str) -> String {
    let r = app.call("POST", &path(id, "/assign"), Some(&app.clerk), Some(&json!({"executors": [{"user_id": app.user_id("executor"), "responsible": true}]}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let r = app.call("POST", &path(id, "/answers"), Some(&app.executor), Some(&json!({"text": "Ответ по существу.", "results": [{"code": "0003.0009.0097.0699", "result": result}]}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    r.json["answers"].as_array().unwrap().iter().rev().find(|a| a["status"] == "pending").unwrap()["id"].as_str().unwrap().to_string()
}

/// Assigns, answers `result` with the signed file `pdf`, approves and dispatches; returns the answer id.
pub async fn answered(app: &TestApp, id: &str, result: &str, pdf: &[u8]) -> String {
    let answer = pending(app, id, result).await;
    let r = app.raw("POST", &path(id, &format!("/answers/{answer}/file?name=otvet.pdf")), Some(&app.executor), Some(pdf.to_vec()), &[("Content-Type", "application/pdf")]).await;
    assert_eq!(r.status, 201, "{}", r.json);
    approve_and_dispatch(app, id, &answer).await;
    answer
}

/// Approves (closing) and dispatches a pending answer.
pub async fn approve_and_dispatch(app: &TestApp, id: &str, answer: &str) {
    let r = app.call("POST", &path(id, &format!("/answers/{answer}/approve")), Some(&app.supervisor), Some(&json!({"close": true}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let r = app.call("POST", &path(id, &format!("/answers/{answer}/dispatch")), Some(&app.clerk), Some(&json!({"sent_on": "2025-03-03", "channel": "post"}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
}

both_backends!(bodies_are_listed_searched_and_validated);
async fn bodies_are_listed_searched_and_validated(db: Db) {
    let app = start(db).await;
    add_body(&app, "Прокуратура г. Ухты", Some(PROSECUTOR)).await;
    add_body(&app, "Министерство строительства Республики Коми", None).await;
    let r = app.call("GET", &format!("/api/v1/bodies?q={}", urlencode("прокур")), Some(&app.clerk), None).await;
    assert_eq!(r.status, 200);
    let items = r.json["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["sstu_department_id"], PROSECUTOR);
    let r = app.call("GET", "/api/v1/bodies", Some(&app.supervisor), None).await;
    assert_eq!(r.json["items"].as_array().unwrap().len(), 2);
    // Same name again, bad codes, unknown fields, wrong role.
    let r = app.call("POST", "/api/v1/bodies", Some(&app.admin), Some(&json!({"name": "Прокуратура г. Ухты"}))).await;
    assert_eq!(r.status, 409);
    assert_eq!(r.json["code"], "body_exists");
    for (body, field) in [
        (json!({"name": "Орган", "inn": "12ab"}), "inn"),
        (json!({"name": "Орган", "ogrn": "123"}), "ogrn"),
        (json!({"name": "Орган", "sstu_department_id": "not-a-guid"}), "sstu_department_id"),
        (json!({"name": " "}), "name"),
    ] {
        app.call("POST", "/api/v1/bodies", Some(&app.admin), Some(&body)).await.assert_problem(422, Some(field));
    }
    app.call("POST", "/api/v1/bodies", Some(&app.clerk), Some(&json!({"name": "Орган"}))).await.assert_problem(403, None);
}

both_backends!(forwarding_picks_a_body_from_the_directory);
async fn forwarding_picks_a_body_from_the_directory(db: Db) {
    let app = start(db).await;
    let body = add_body(&app, "Прокуратура г. Ухты", Some(PROSECUTOR)).await;
    let id = app.register(json!({})).await["id"].as_str().unwrap().to_string();
    for bad in [json!({}), json!({"body_id": body, "organization": "Прокуратура"}), json!({"body_id": "00000000-0000-0000-0000-000000000000"}), json!({"body_id": "x"})] {
        let r = app.call("POST", &path(&id, "/forward"), Some(&app.clerk), Some(&bad)).await;
        assert_eq!(r.status, 422, "{bad}: {}", r.json);
    }
    let r = app.call("POST", &path(&id, "/forward"), Some(&app.clerk), Some(&json!({"body_id": body, "reason": "по компетенции"}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["status"], "forwarded");
    assert_eq!(r.json["forwarded"]["organization"], "Прокуратура г. Ухты");
    // Our cover letter gets the next outgoing number of its own counter, dated the day of forwarding.
    assert_eq!(r.json["forwarded"]["letter_number"], "ОГ-пер-2025-000001");
    assert_eq!(r.json["forwarded"]["letter_date"], "2025-03-03");
    let card = app.call("GET", &path(&id, ""), Some(&app.supervisor), None).await;
    assert_eq!(card.json["forwarded"]["letter_number"], "ОГ-пер-2025-000001");
    let history = app.call("GET", &path(&id, "/history"), Some(&app.supervisor), None).await.json;
    assert!(history["items"].as_array().unwrap().iter().any(|h| h["action"] == "forward" && h["details"]["letter_date"] == "2025-03-03"), "{history}");
    // Free text stays possible; a number the signed letter already bears is taken as typed, once.
    let other = app.register(json!({})).await["id"].as_str().unwrap().to_string();
    let r = app.call("POST", &path(&other, "/forward"), Some(&app.clerk), Some(&json!({"organization": "Управление Росреестра", "letter_number": "01-15/77"}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["forwarded"]["letter_number"], "01-15/77");
    let third = app.register(json!({})).await["id"].as_str().unwrap().to_string();
    let r = app.call("POST", &path(&third, "/forward"), Some(&app.clerk), Some(&json!({"organization": "Управление Росреестра", "letter_number": "01-15/77"}))).await;
    assert_eq!(r.status, 409, "{}", r.json);
    assert_eq!(r.json["code"], "duplicate_forward_number");
    let r = app.call("POST", &path(&third, "/forward"), Some(&app.clerk), Some(&json!({"organization": "Управление Росреестра", "letter_number": " "}))).await;
    r.assert_problem(422, Some("letter_number"));
    let r = app.call("POST", &path(&third, "/forward"), Some(&app.clerk), Some(&json!({"organization": "Управление Росреестра"}))).await;
    assert_eq!(r.json["forwarded"]["letter_number"], "ОГ-пер-2025-000002", "the refused attempt consumed no number");
}

both_backends!(answer_files_are_pdf_only_and_size_limited);
async fn answer_files_are_pdf_only_and_size_limited(db: Db) {
    let app = TestApp::start_with(db, |s| s.sstu.max_attachment_bytes = 64).await;
    let id = app.register(json!({})).await["id"].as_str().unwrap().to_string();
    let answer = pending(&app, &id, "explained").await;
    let file = path(&id, &format!("/answers/{answer}/file?name=otvet.pdf"));
    let pdf = [("Content-Type", "application/pdf")];
    let r = app.raw("POST", &file, Some(&app.executor), Some(b"hello".to_vec()), &pdf).await;
    r.assert_problem(422, Some("body"));
    let r = app.raw("POST", &file, Some(&app.executor), Some(PDF.to_vec()), &[("Content-Type", "text/plain")]).await;
    r.assert_problem(422, Some("body"));
    let r = app.raw("POST", &file, Some(&app.executor), Some([PDF, &[b' '; 64][..]].concat()), &pdf).await;
    r.assert_problem(413, None);
    let r = app.raw("POST", &path(&id, &format!("/answers/{answer}/file?name=otvet.exe")), Some(&app.executor), Some(PDF.to_vec()), &pdf).await;
    r.assert_problem(422, Some("name"));
    let r = app.raw("POST", &path(&id, "/answers/00000000-0000-0000-0000-000000000000/file"), Some(&app.executor), Some(PDF.to_vec()), &pdf).await;
    assert_eq!(r.status, 404);
    let r = app.raw("POST", &file, Some(&app.executor), Some(PDF.to_vec()), &pdf).await;
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(r.json["size"], PDF.len());
    let r = app.call("GET", &path(&id, &format!("/answers/{answer}/file")), Some(&app.supervisor), None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.ctype, "application/pdf");
    assert_eq!(r.json, Value::String(String::from_utf8_lossy(PDF).into_owned()));
    // An executor not assigned to the appeal does not learn it exists.
    let r = app.call("GET", &path(&id, &format!("/answers/{answer}/file")), Some(&app.executor2), None).await;
    assert_eq!(r.status, 404);
    let history = app.call("GET", &path(&id, "/history"), Some(&app.supervisor), None).await.json;
    assert!(history["items"].as_array().unwrap().iter().any(|h| h["action"] == "answer_file_attached"));
}

both_backends!(a_month_is_exported_in_the_connectors_model);
async fn a_month_is_exported_in_the_connectors_model(db: Db) {
    let app = start(db).await;
    let prosecutor = add_body(&app, "Прокуратура г. Ухты", Some(PROSECUTOR)).await;
    // 1: a direct paper appeal, answered (explained) with a file.
    let a = app.register(json!({})).await["id"].as_str().unwrap().to_string();
    let answer = pending(&app, &a, "explained").await;
    let r = app.raw("POST", &path(&a, &format!("/answers/{answer}/file?name=otvet.pdf")), Some(&app.executor), Some(PDF.to_vec()), &[("Content-Type", "application/pdf")]).await;
    assert_eq!(r.status, 201, "{}", r.json);
    approve_and_dispatch(&app, &a, &answer).await;
    // 2: an electronic appeal forwarded to us with a cover letter, then forwarded by competence.
    let b = app
        .register(json!({"channel": "forwarded", "form": "electronic", "applicants": [{"full_name": "Петров Пётр Петрович", "email": "petrov@example.ru"}],
            "source": {"organization": "Правительство Республики Коми", "number": "01-12/345", "date": "2025-02-27"}}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app.call("POST", &path(&b, "/forward"), Some(&app.clerk), Some(&json!({"body_id": prosecutor}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    // 3: anonymous, still being considered; supported with measures taken is not final until sent.
    // It arrived two days before it was registered: the letter's date (createDate) is the day it
    // arrived, never after it (createDate ≤ incomingDate ≤ registrationDate).
    let c = app.register(json!({"applicants": [], "received_on": "2025-03-01"})).await["id"].as_str().unwrap().to_string();
    // 4: a ПОС message outside 59-FZ is not reported.
    app.register(json!({"channel": "feedback_platform", "form": "electronic", "external_id": "pos-1", "legal_regime": "pos_message"})).await;

    let r = app.call("GET", "/api/v1/exports/sstu?month=2025-03", Some(&app.supervisor), None).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let question = |status: &str| json!({"code": "0003.0009.0097.0699", "status": status, "incomingDate": "2025-03-03", "registrationDate": "2025-03-03"});
    let mut q1 = question("Explained");
    q1["responseDate"] = json!("2025-03-03");
    q1["attachment"] = json!({"name": "otvet.pdf", "content": "JVBERi0xLjQKJSBhbnN3ZXIKJSVFT0YK"});
    let mut q2 = question("Transferred");
    // transferNumber is our cover letter's outgoing number (its own counter), not the registration number.
    q2["transfer"] = json!({"departmentId": PROSECUTOR, "transferDate": "2025-03-03", "transferNumber": "ОГ-пер-2025-000001"});
    let expected = json!({"items": [
        {"departmentId": OWN, "isDirect": true, "format": "Other", "number": "ОГ-2025-000001", "createDate": "2025-03-03",
         "name": "Смирнова Ольга Петровна", "address": "169300, г. Ухта, ул. Октябрьская, д. 12, кв. 4", "email": "smirnova@example.ru", "questions": [q1]},
        {"departmentId": OWN, "isDirect": false, "format": "Electronic", "number": "01-12/345", "createDate": "2025-02-27",
         "name": "Петров Пётр Петрович", "email": "petrov@example.ru", "questions": [q2]},
        {"departmentId": OWN, "isDirect": true, "format": "Other", "number": "ОГ-2025-000003", "createDate": "2025-03-01",
         "questions": [{"code": "0003.0009.0097.0699", "status": "InWork", "incomingDate": "2025-03-01", "registrationDate": "2025-03-03"}]},
    ]});
    let items = r.json["items"].as_array().unwrap();
    for (i, want) in expected["items"].as_array().unwrap().iter().enumerate() {
        for (k, v) in want.as_object().unwrap() {
            assert_eq!(&items[i][k], v, "item {i} field {k}");
        }
    }
    // The snapshot of the whole document, keys in the connector's order.
    assert_eq!(r.json, expected);
    let first = raw_text(&app).await;
    assert!(first.starts_with(&format!("{{\"items\":[{{\"departmentId\":\"{OWN}\",\"isDirect\":true,\"format\":\"Other\",\"number\":\"ОГ-2025-000001\"")), "{first}");
    // A re-export of unchanged data is byte for byte the same.
    assert_eq!(raw_text(&app).await, first);
    // Another month has none of them.
    let r = app.call("GET", "/api/v1/exports/sstu?month=2025-02", Some(&app.supervisor), None).await;
    assert_eq!(r.json, json!({"items": []}));

    // The delta: nothing changed, nothing sent; then only the changed appeal.
    let r = app.call("GET", "/api/v1/exports/sstu?month=2025-03&since_last=true", Some(&app.supervisor), None).await;
    assert_eq!(r.json, json!({"items": []}));
    answered(&app, &c, "supported_measures_taken", PDF).await;
    let r = app.call("GET", "/api/v1/exports/sstu?month=2025-03&since_last=true", Some(&app.admin), None).await;
    let items = r.json["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", r.json);
    assert_eq!(items[0]["number"], "ОГ-2025-000003");
    assert_eq!(items[0]["questions"][0]["status"], "Supported");
    assert_eq!(items[0]["questions"][0]["actionsTaken"], true);
    let r = app.call("GET", "/api/v1/exports/sstu?month=2025-03&since_last=true", Some(&app.admin), None).await;
    assert_eq!(r.json, json!({"items": []}));

    // The log: who, when, what, for which month.
    let logs = appeals::store::exports::export_logs(&app.pool, &app.org, "sstu", "2025-03").unwrap();
    assert_eq!(logs.iter().map(|l| l.items).collect::<Vec<_>>(), [3, 3, 3, 0, 1, 0]);
    assert_eq!(logs[0].created_by.as_deref(), Some(app.user_id("supervisor").as_str()));
    assert_eq!(logs[4].created_by.as_deref(), Some(app.user_id("admin").as_str()));
}

/// The exact bytes of a full export of March 2025, through the use case the endpoint calls.
async fn raw_text(app: &TestApp) -> String {
    let done = appeals::reports::sstu::export(&app.state, &app.org, Some(&app.user_id("supervisor")), "2025-03", false).unwrap();
    String::from_utf8(done.body).unwrap()
}

both_backends!(bad_data_is_never_exported);
async fn bad_data_is_never_exported(db: Db) {
    // Without the body's own GUID every object breaks the required-field rule.
    let app = TestApp::start(db).await;
    let id = app.register(json!({})).await;
    let r = app.call("GET", "/api/v1/exports/sstu?month=2025-03", Some(&app.supervisor), None).await;
    r.assert_problem(422, Some("departmentId"));
    assert_eq!(r.json["errors"][0]["reg_number"], id["reg_number"]);
    let logs = appeals::store::exports::export_logs(&app.pool, &app.org, "sstu", "2025-03").unwrap();
    assert!(logs.is_empty(), "nothing is logged when nothing is exported");
    drop(app);
}

both_backends!(every_violation_names_its_appeal);
async fn every_violation_names_its_appeal(db: Db) {
    let app = start(db).await;
    let no_guid = add_body(&app, "Министерство строительства Республики Коми", None).await;
    let a = app.register(json!({})).await;
    let b = app.register(json!({})).await;
    let (ida, idb) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());
    // Forwarded to a free-text body and to a directory body without a GUID: no transfer.departmentId.
    app.call("POST", &path(ida, "/forward"), Some(&app.clerk), Some(&json!({"organization": "Неизвестный орган"}))).await;
    app.call("POST", &path(idb, "/forward"), Some(&app.clerk), Some(&json!({"body_id": no_guid}))).await;
    let r = app.call("GET", "/api/v1/exports/sstu?month=2025-03", Some(&app.supervisor), None).await;
    r.assert_problem(422, Some("questions[0].transfer.departmentId"));
    let regs: Vec<&str> = r.json["errors"].as_array().unwrap().iter().map(|e| e["reg_number"].as_str().unwrap()).collect();
    assert_eq!(regs, [a["reg_number"].as_str().unwrap(), b["reg_number"].as_str().unwrap()]);
    // Bad months and roles.
    for q in ["", "?month=2025-13", "?month=%D0%BC%D0%B0%D1%80%D1%82"] {
        let r = app.call("GET", &format!("/api/v1/exports/sstu{q}"), Some(&app.supervisor), None).await;
        r.assert_problem(422, Some("month"));
    }
    for who in [&app.clerk, &app.executor] {
        app.call("GET", "/api/v1/exports/sstu?month=2025-03", Some(who), None).await.assert_problem(403, None);
    }
}

/// A connector stand-in: answers the given statuses in turn and hands back each request's body.
fn connector(statuses: Vec<u16>) -> (String, std::sync::mpsc::Receiver<Vec<u8>>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/api/appeals", listener.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for status in statuses {
            let (mut s, _) = listener.accept().unwrap();
            let mut req = Vec::new();
            let mut buf = [0u8; 4096];
            // Headers, then Content-Length bytes of body.
            let body_start = loop {
                let n = s.read(&mut buf).unwrap();
                req.extend_from_slice(&buf[..n]);
                if let Some(i) = req.windows(4).position(|w| w == b"\r\n\r\n") {
                    break i + 4;
                }
            };
            let head = String::from_utf8_lossy(&req[..body_start]).to_lowercase();
            let len: usize = head.lines().find_map(|l| l.strip_prefix("content-length:")).unwrap().trim().parse().unwrap();
            while req.len() < body_start + len {
                let n = s.read(&mut buf).unwrap();
                req.extend_from_slice(&buf[..n]);
            }
            tx.send(req[body_start..].to_vec()).unwrap();
            write!(s, "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").unwrap();
        }
    });
    (url, rx)
}

both_backends!(the_export_is_pushed_to_the_connector_with_retries);
async fn the_export_is_pushed_to_the_connector_with_retries(db: Db) {
    let (url, bodies) = connector(vec![503, 200, 500, 500]);
    let app = TestApp::start_with(db, move |s| {
        s.sstu.department_id = Some(OWN.into());
        s.sstu.push_url = Some(url);
        s.sstu.push_attempts = 2;
        s.sstu.push_backoff_ms = 10;
    })
    .await;
    app.register(json!({})).await;
    app.call("POST", "/api/v1/exports/sstu/push?month=2025-03", Some(&app.clerk), None).await.assert_problem(403, None);
    let r = app.call("POST", "/api/v1/exports/sstu/push?month=2025-03", Some(&app.supervisor), None).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json, json!({"items": 1, "attempts": 2}));
    let first: Value = serde_json::from_slice(&bodies.recv().unwrap()).unwrap();
    let second: Value = serde_json::from_slice(&bodies.recv().unwrap()).unwrap();
    assert_eq!(first, second, "a retry sends the same export");
    assert_eq!(second["items"][0]["number"], "ОГ-2025-000001");
    // Every attempt fails: 502, and nothing is logged, so the next delta still carries the appeal.
    app.register(json!({})).await;
    let r = app.call("POST", "/api/v1/exports/sstu/push?month=2025-03&since_last=true", Some(&app.supervisor), None).await;
    r.assert_problem(502, None);
    assert_eq!(r.json["code"], "push_failed");
    let logs = appeals::store::exports::export_logs(&app.pool, &app.org, "sstu", "2025-03").unwrap();
    assert_eq!(logs.len(), 1);
    let r = app.call("GET", "/api/v1/exports/sstu?month=2025-03&since_last=true", Some(&app.supervisor), None).await;
    assert_eq!(r.json["items"].as_array().unwrap().len(), 1);
    assert_eq!(r.json["items"][0]["number"], "ОГ-2025-000002");
}

both_backends!(push_needs_a_configured_connector);
async fn push_needs_a_configured_connector(db: Db) {
    let app = start(db).await;
    let r = app.call("POST", "/api/v1/exports/sstu/push?month=2025-03", Some(&app.admin), None).await;
    r.assert_problem(409, None);
    assert_eq!(r.json["code"], "push_not_configured");
}
