//! Issue 12: personal reception from the schedule and booking to an oral answer.

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
