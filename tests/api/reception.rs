//! Personal reception from the schedule and booking to an oral answer.

use crate::support::*;
use serde_json::json;

both_backends!(a_reception_from_booking_to_an_oral_answer);
async fn a_reception_from_booking_to_an_oral_answer(db: Db) {
    let app = TestApp::start(db).await;
    let new = json!({"official": "Глава МОГО «Ухта» Осмоловский М. Н.", "official_role": "head", "held_on": "2025-03-03", "starts_at": "15:00", "place": "каб. 301", "remote": false});
    let r = app.call("POST", "/api/v1/receptions", Some(&app.clerk), Some(&new)).await;
    assert_eq!(r.status, 201, "{}", r.json);
    let reception = r.json["id"].as_str().unwrap().to_string();
    let r = app.call("POST", "/api/v1/receptions/bookings", Some(&app.clerk), Some(&json!({"reception_id": reception, "full_name": "Кузнецова Анна Сергеевна", "contact": "+79001112233"}))).await;
    assert_eq!(r.status, 201, "{}", r.json);
    let visitor = r.json["visitors"][0]["id"].as_str().unwrap().to_string();

    // The visit becomes an oral appeal of channel personal_reception, its reception from the schedule.
    let visit = json!({"visitor_id": visitor, "appeal": {"kind": "statement", "applicants": [{"full_name": "Кузнецова Анна Сергеевна", "postal_address": "169300, г. Ухта, ул. Ленина, д. 1"}],
        "summary": "Просит установить скамейки во дворе", "questions": [{"code": "0003.0009.0097.0699"}]}});
    let r = app.call("POST", "/api/v1/receptions/visits", Some(&app.clerk), Some(&visit)).await;
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(r.json["channel"], "personal_reception");
    assert_eq!(r.json["form"], "oral");
    let id = r.json["id"].as_str().unwrap().to_string();
    let r = app.call("POST", "/api/v1/receptions/visits", Some(&app.clerk), Some(&visit)).await;
    assert_eq!(r.status, 409, "a visitor is registered once: {}", r.json);

    // Without consent there is no oral answer.
    let mut oral = json!({"visitor_id": visitor, "text": "Разъяснён порядок включения двора в программу благоустройства.", "results": [{"code": "0003.0009.0097.0699", "result": "explained"}], "consent": false});
    app.call("POST", "/api/v1/receptions/oral-answers", Some(&app.supervisor), Some(&oral)).await.assert_problem(422, Some("consent"));
    oral["consent"] = json!(true);
    app.call("POST", "/api/v1/receptions/oral-answers", Some(&app.clerk), Some(&oral)).await.assert_problem(403, None);
    // A result for a question the appeal lacks is refused at the answer, after the resolution
    // was taken in the same transaction: nothing of it stays.
    let mut bad = oral.clone();
    bad["results"] = json!([{"code": "0005.0005.0056.1157", "result": "explained"}]);
    app.call("POST", "/api/v1/receptions/oral-answers", Some(&app.supervisor), Some(&bad)).await.assert_problem(422, Some("results[0].code"));
    let card = app.call("GET", &format!("/api/v1/appeals/{id}"), Some(&app.supervisor), None).await.json;
    assert_eq!(card["status"], "registered", "{card}");
    assert_eq!(card["assignments"].as_array().map_or(0, |a| a.len()), 0, "{card}");
    let r = app.call("POST", "/api/v1/receptions/oral-answers", Some(&app.supervisor), Some(&oral)).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["status"], "closed");
    assert_eq!(r.json["answers"][0]["sent_channel"], "by_hand");
    assert_eq!(r.json["answers"][0]["sent_on"], "2025-03-03");

    // The schedule shows the visitor and the appeal.
    let r = app.call("GET", "/api/v1/receptions?from=2025-03-01&to=2025-03-31", Some(&app.supervisor), None).await;
    assert_eq!(r.status, 200);
    let item = &r.json["items"][0];
    assert_eq!(item["official_role"], "head");
    assert_eq!(item["visitors"][0]["appeal_id"], id.as_str());
    let r = app.call("GET", "/api/v1/receptions?from=2025-04-01&to=2025-04-30", Some(&app.supervisor), None).await;
    assert_eq!(r.json["items"].as_array().unwrap().len(), 0);
}

/// The actions of an appeal's history, oldest first, without card reads.
async fn actions(app: &TestApp, id: &str) -> Vec<(String, String)> {
    let h = app.call("GET", &format!("/api/v1/appeals/{id}/history"), Some(&app.supervisor), None).await.json;
    h["items"].as_array().unwrap().iter().filter(|e| e["action"] != "viewed").map(|e| (e["action"].as_str().unwrap().to_string(), e["actor"].as_str().unwrap_or("").to_string())).collect()
}

both_backends!(an_oral_answer_at_the_visit_is_one_transaction);
async fn an_oral_answer_at_the_visit_is_one_transaction(db: Db) {
    let app = TestApp::start(db).await;
    let new = json!({"official": "Глава МОГО «Ухта» Осмоловский М. Н.", "official_role": "head", "held_on": "2025-03-03", "starts_at": "15:00", "place": "каб. 301"});
    let reception = app.call("POST", "/api/v1/receptions", Some(&app.clerk), Some(&new)).await.json["id"].as_str().unwrap().to_string();
    let r = app.call("POST", "/api/v1/receptions/bookings", Some(&app.clerk), Some(&json!({"reception_id": reception, "full_name": "Кузнецова Анна Сергеевна"}))).await;
    let visitor = r.json["visitors"][0]["id"].as_str().unwrap().to_string();
    let (head, clerk) = (app.user_id("supervisor"), app.user_id("clerk"));
    let appeal = json!({"kind": "statement", "applicants": [{"full_name": "Кузнецова Анна Сергеевна", "postal_address": "169300, г. Ухта, ул. Ленина, д. 1"}],
        "summary": "Просит установить скамейки и отремонтировать дорогу", "questions": [{"code": "0003.0009.0097.0699"}, {"code": "0005.0005.0056.1157"}]});
    let results = json!([{"code": "0003.0009.0097.0699", "result": "explained"}, {"code": "0005.0005.0056.1157", "result": "supported_measures_taken"}]);
    let visit = |oral: serde_json::Value| json!({"visitor_id": visitor, "appeal": appeal, "oral_answer": oral});
    let oral = json!({"official_id": head, "text": "Разъяснён порядок благоустройства; ремонт дороги включён в план.", "results": results, "consent": true});

    // Failures in the middle of the transaction: registration, link and resolution are undone.
    let mut bad = oral.clone();
    bad["results"][1]["code"] = json!("0001.0001.0001.0001");
    let r = app.call("POST", "/api/v1/receptions/visits", Some(&app.clerk), Some(&visit(bad))).await;
    r.assert_problem(422, Some("oral_answer.results[1].code"));
    let mut missing = oral.clone();
    missing["results"] = json!([results[0]]);
    let r = app.call("POST", "/api/v1/receptions/visits", Some(&app.clerk), Some(&visit(missing))).await;
    r.assert_problem(422, Some("oral_answer.results"));
    // Checks before it: consent, and an official who may answer (a supervisor).
    let mut no = oral.clone();
    no["consent"] = json!(false);
    app.call("POST", "/api/v1/receptions/visits", Some(&app.clerk), Some(&visit(no))).await.assert_problem(422, Some("oral_answer.consent"));
    let mut who = oral.clone();
    who["official_id"] = json!(clerk);
    app.call("POST", "/api/v1/receptions/visits", Some(&app.clerk), Some(&visit(who))).await.assert_problem(422, Some("oral_answer.official_id"));
    let r = app.call("GET", "/api/v1/appeals?channel=personal_reception", Some(&app.supervisor), None).await;
    assert_eq!(r.json["items"].as_array().unwrap().len(), 0, "no appeal is left behind: {}", r.json);
    let r = app.call("GET", "/api/v1/receptions?from=2025-03-01&to=2025-03-31", Some(&app.supervisor), None).await;
    assert!(r.json["items"][0]["visitors"][0]["appeal_id"].is_null(), "{}", r.json);

    // The whole path at once: one closed appeal, its number the first (no number was spent).
    let r = app.call("POST", "/api/v1/receptions/visits", Some(&app.clerk), Some(&visit(oral))).await;
    assert_eq!(r.status, 201, "{}", r.json);
    let card = r.json;
    let id = card["id"].as_str().unwrap().to_string();
    assert_eq!(card["reg_number"], "ОГ-2025-000001");
    assert_eq!((card["channel"].as_str(), card["form"].as_str(), card["status"].as_str()), (Some("personal_reception"), Some("oral"), Some("closed")));
    let answer = &card["answers"][0];
    assert_eq!((answer["author_id"].as_str(), answer["status"].as_str(), answer["sent_channel"].as_str(), answer["sent_on"].as_str()), (Some(head.as_str()), Some("approved"), Some("by_hand"), Some("2025-03-03")));
    let got: Vec<(&str, &str)> = card["questions"].as_array().unwrap().iter().map(|q| (q["code"].as_str().unwrap(), q["result"].as_str().unwrap_or(""))).collect();
    assert_eq!(got, [("0003.0009.0097.0699", "explained"), ("0005.0005.0056.1157", "supported_measures_taken")]);
    let want: Vec<(String, String)> = [("registered", &clerk), ("assign", &clerk), ("answer", &head), ("approve", &head), ("dispatch", &head)].iter().map(|(a, u)| (a.to_string(), u.to_string())).collect();
    assert_eq!(actions(&app, &id).await, want);
    let r = app.call("GET", "/api/v1/appeals?channel=personal_reception", Some(&app.supervisor), None).await;
    assert_eq!(r.json["items"].as_array().unwrap().len(), 1);
    let r = app.call("GET", "/api/v1/receptions?from=2025-03-01&to=2025-03-31", Some(&app.supervisor), None).await;
    assert_eq!(r.json["items"][0]["visitors"][0]["appeal_id"], id.as_str());
    // Once registered, the visitor is not registered again.
    let r = app.call("POST", "/api/v1/receptions/visits", Some(&app.clerk), Some(&json!({"visitor_id": visitor, "appeal": appeal}))).await;
    assert_eq!(r.status, 409, "{}", r.json);
}

both_backends!(reception_input_is_checked);
async fn reception_input_is_checked(db: Db) {
    let app = TestApp::start(db).await;
    let good = json!({"official": "Заместитель главы", "official_role": "deputy", "held_on": "2025-03-03", "starts_at": "10:00", "place": "https://vks.example.ru/1", "remote": true});
    for (over, field) in [(json!({"starts_at": "25:00"}), "starts_at"), (json!({"official_role": "mayor"}), "official_role"), (json!({"place": " "}), "place")] {
        let mut b = good.clone();
        for (k, v) in over.as_object().unwrap() {
            b[k] = v.clone();
        }
        app.call("POST", "/api/v1/receptions", Some(&app.clerk), Some(&b)).await.assert_problem(422, Some(field));
    }
    app.call("POST", "/api/v1/receptions", Some(&app.executor), Some(&good)).await.assert_problem(403, None);
    let r = app.call("POST", "/api/v1/receptions/bookings", Some(&app.clerk), Some(&json!({"reception_id": "00000000-0000-0000-0000-000000000000", "full_name": "Иванов"}))).await;
    r.assert_problem(422, Some("reception_id"));
    let r = app.call("POST", "/api/v1/receptions/visits", Some(&app.clerk), Some(&json!({"visitor_id": "nope", "appeal": {}}))).await;
    r.assert_problem(422, Some("visitor_id"));
    let reception = app.call("POST", "/api/v1/receptions", Some(&app.clerk), Some(&good)).await.json["id"].as_str().unwrap().to_string();
    let r = app.call("POST", "/api/v1/receptions/bookings", Some(&app.clerk), Some(&json!({"reception_id": reception, "full_name": "Иванов Иван"}))).await;
    let visitor = r.json["visitors"][0]["id"].as_str().unwrap().to_string();
    let r = app.call("POST", "/api/v1/receptions/visits", Some(&app.clerk), Some(&json!({"visitor_id": visitor, "appeal": {"channel": "post"}}))).await;
    r.assert_problem(422, Some("appeal.channel"));
    let r = app.call("POST", "/api/v1/receptions/visits", Some(&app.clerk), Some(&json!({"visitor_id": visitor, "appeal": {"kind": "statement", "summary": "x", "questions": [{"code": "9999.9999.9999.9999"}]}}))).await;
    r.assert_problem(422, Some("appeal.questions[0].code"));
    let r = app.call("POST", "/api/v1/receptions/oral-answers", Some(&app.supervisor), Some(&json!({"visitor_id": visitor, "text": "x", "results": [], "consent": true}))).await;
    r.assert_problem(422, Some("visitor_id"));
}

/// The body of a GET as bytes (XLSX is binary).
async fn download(app: &TestApp, url: &str) -> (u16, String, Vec<u8>) {
    let mut resp = app.srv.get(url).insert_header(("Authorization", format!("Bearer {}", app.supervisor))).send().await.unwrap();
    let ctype = resp.headers().get("Content-Type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let body = resp.body().limit(1 << 24).await.unwrap().to_vec();
    (resp.status().as_u16(), ctype, body)
}

/// Rows of the workbook's sheet «Форма» as text (numbers as integers).
fn sheet(bytes: Vec<u8>) -> Vec<Vec<String>> {
    use calamine::{Data, Reader, Xlsx};
    let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let range = wb.worksheet_range("Форма").unwrap();
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::Float(f) => format!("{}", *f as i64),
                    Data::Int(i) => i.to_string(),
                    Data::String(s) => s.clone(),
                    Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

fn figure(rows: &[Vec<String>], code: &str) -> String {
    rows.iter().find(|r| r[0] == code).unwrap_or_else(|| panic!("no row {code}: {rows:?}"))[2].clone()
}

/// March 2025: one reception with two visitors (an oral appeal answered orally, a letter
/// handed in), plus a forwarded electronic appeal explained and a paper one in work.
async fn march(app: &TestApp) {
    let r = app.call("POST", "/api/v1/receptions", Some(&app.clerk), Some(&json!({"official": "Иванов И. И.", "official_role": "deputy", "held_on": "2025-03-03", "starts_at": "10:00", "place": "каб. 1"}))).await;
    let reception = r.json["id"].as_str().unwrap().to_string();
    let mut visitors = Vec::new();
    for name in ["Первый Посетитель", "Второй Посетитель"] {
        let r = app.call("POST", "/api/v1/receptions/bookings", Some(&app.clerk), Some(&json!({"reception_id": reception, "full_name": name}))).await;
        let me = r.json["visitors"].as_array().unwrap().iter().find(|v| v["full_name"] == name).unwrap();
        visitors.push(me["id"].as_str().unwrap().to_string());
    }
    let oral = json!({"visitor_id": visitors[0], "appeal": {"kind": "statement", "summary": "Скамейки", "questions": [{"code": "0003.0009.0097.0699"}, {"code": "0005.0005.0056.1157"}]}});
    assert_eq!(app.call("POST", "/api/v1/receptions/visits", Some(&app.clerk), Some(&oral)).await.status, 201);
    let written = json!({"visitor_id": visitors[1], "appeal": {"kind": "complaint", "form": "written", "summary": "Письмо", "questions": [{"code": "0003.0009.0097.0699"}]}});
    let r = app.call("POST", "/api/v1/receptions/visits", Some(&app.clerk), Some(&written)).await;
    assert_eq!(r.status, 201, "{}", r.json);
    let answer = json!({"visitor_id": visitors[0], "text": "Разъяснено.", "results": [{"code": "0003.0009.0097.0699", "result": "explained"}, {"code": "0005.0005.0056.1157", "result": "supported_measures_taken"}], "consent": true});
    assert_eq!(app.call("POST", "/api/v1/receptions/oral-answers", Some(&app.supervisor), Some(&answer)).await.status, 200);
    app.register(json!({"channel": "forwarded", "form": "electronic", "source": {"organization": "Администрация Губернатора", "number": "1-2", "date": "2025-03-01"}})).await;
    app.register(json!({"collective": true, "signatures": 12})).await;
}

both_backends!(gasu_forms_read_back_with_the_right_figures);
async fn gasu_forms_read_back_with_the_right_figures(db: Db) {
    let app = TestApp::start(db).await;
    march(&app).await;
    let (status, ctype, bytes) = download(&app, "/api/v1/exports/gasu/appeals?month=2025-03&format=xlsx").await;
    assert_eq!(status, 200);
    assert!(ctype.contains("spreadsheetml"), "{ctype}");
    let rows = sheet(bytes);
    assert!(rows[0][0].starts_with("Информация о результатах рассмотрения обращений в ОМСУ"), "{:?}", rows[0]);
    // By the default convention the oral appeal answered at the reception is the reception
    // form's figure, not the appeals form's (its statement, its control, its two questions and
    // their results are left out); the letter handed in at the reception counts.
    for (code, want) in [("1", "3"), ("1.1", "2"), ("1.2", "1"), ("1.3", "0"), ("2", "1"), ("3.2", "0"), ("3.3", "3"), ("5", "1"), ("6", "0"), ("7", "3"), ("7.3", "3"), ("7.5", "0"), ("8.1", "0"), ("8.2", "0"), ("8.6", "3"), ("10", "0")] {
        assert_eq!(figure(&rows, code), want, "indicator {code}");
    }
    // The reception form: one row per reception.
    let (_, _, bytes) = download(&app, "/api/v1/exports/gasu/reception?month=2025-03").await;
    let rows = sheet(bytes);
    assert_eq!(rows[1][3], "Принято граждан");
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(rows[2], ["03.03.2025", "Иванов И. И.", "Заместитель главы", "2", "0003.0009.0097.0699 — 2, 0005.0005.0056.1157 — 1", "1", "1"]);
    // CSV: UTF-8 with BOM, semicolons.
    let (status, ctype, bytes) = download(&app, "/api/v1/exports/gasu/appeals?month=2025-03&format=csv").await;
    assert_eq!(status, 200);
    assert!(ctype.starts_with("text/csv"));
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.starts_with('\u{feff}'));
    assert!(text.contains("\r\n1;Поступило обращений, всего;3\r\n"), "{text}");
    assert!(text.contains("за март 2025 г.\r\n"), "{text}");
    for bad in ["?month=2025-3", "?month=2025-03&format=pdf", ""] {
        let r = app.call("GET", &format!("/api/v1/exports/gasu/appeals{bad}"), Some(&app.supervisor), None).await;
        assert_eq!(r.status, 422, "{bad}");
    }
    app.call("GET", "/api/v1/exports/gasu/reception?month=2025-03", Some(&app.clerk), None).await.assert_problem(403, None);
}

both_backends!(a_deployment_adds_an_indicator_in_config_alone);
async fn a_deployment_adds_an_indicator_in_config_alone(db: Db) {
    let dir = std::env::temp_dir().join(format!("appeals-gasu-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(dir.join("exports")).unwrap();
    std::fs::write(dir.join("exports/gasu_appeals.toml"), "title = \"Своя форма\"\n[[indicators]]\ncode = \"99\"\nname = \"Коллективных электронных или бумажных\"\ncount = \"appeals\"\nwhere = { collective = true, form = [\"written\", \"electronic\"] }\n\
        [[indicators]]\ncode = \"98\"\nname = \"Электронных с вопросом раздела 0003\"\ncount = \"appeals\"\nwhere = { section = \"0003\", form = \"electronic\" }\n\
        [[indicators]]\ncode = \"97\"\nname = \"Коллективных с вопросом без результата\"\ncount = \"appeals\"\nwhere = { result = \"none\", collective = true }\n\
        [[indicators]]\ncode = \"96\"\nname = \"С разъяснённым вопросом\"\ncount = \"appeals\"\nwhere = { result = \"explained\" }\n").unwrap();
    let cfg = dir.clone();
    let app = TestApp::start_with(db, move |s| s.config_dir = cfg).await;
    march(&app).await;
    let (_, _, bytes) = download(&app, "/api/v1/exports/gasu/appeals?month=2025-03").await;
    let rows = sheet(bytes);
    assert_eq!(rows.len(), 6, "{rows:?}");
    assert_eq!(figure(&rows, "99"), "1");
    // Appeal indicators on their questions' facts: an appeal counts once when some question matches.
    assert_eq!(figure(&rows, "98"), "1");
    assert_eq!(figure(&rows, "97"), "1");
    // The oral appeal explained at the reception stays out by the default convention.
    assert_eq!(figure(&rows, "96"), "0");
    std::fs::remove_dir_all(dir).ok();
}
