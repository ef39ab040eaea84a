//! Visitors' contacts only on the visitor's card: the schedule and the booking answer carry
//! names and times, and each read of the card is recorded (in the appeal's history too, once
//! the visit is an appeal).

use crate::support::*;
use serde_json::json;

/// A reception with one visitor who left a contact; the visitor's id.
pub async fn some_visitor_id(app: &TestApp) -> String {
    let r = app.call("POST", "/api/v1/receptions", Some(&app.clerk), Some(&json!({"official": "Глава", "official_role": "head", "held_on": "2025-03-03", "starts_at": "10:00", "place": "каб. 1"}))).await;
    assert_eq!(r.status, 201, "{}", r.json);
    let reception = r.json["id"].as_str().unwrap().to_string();
    let r = app.call("POST", "/api/v1/receptions/bookings", Some(&app.clerk), Some(&json!({"reception_id": reception, "full_name": "Кузнецова Анна Сергеевна", "contact": "+79001112233"}))).await;
    assert_eq!(r.status, 201, "{}", r.json);
    r.json["visitors"].as_array().unwrap().last().unwrap()["id"].as_str().unwrap().to_string()
}

both_backends!(contacts_only_on_the_visitors_card_and_every_read_recorded);
async fn contacts_only_on_the_visitors_card_and_every_read_recorded(db: Db) {
    let app = TestApp::start(db).await;
    let visitor = some_visitor_id(&app).await;
    let r = app.call("GET", "/api/v1/receptions?from=2025-03-01&to=2025-03-31", Some(&app.clerk), None).await;
    assert_eq!(r.status, 200);
    assert!(!r.json.to_string().contains("+79001112233"), "the schedule carries no contact: {}", r.json);
    let v = &r.json["items"][0]["visitors"][0];
    assert_eq!((v["full_name"].as_str(), v["has_contact"].as_bool()), (Some("Кузнецова Анна Сергеевна"), Some(true)));
    assert!(v.get("contact").is_none());
    // A second booking's answer lists the first visitor without their contact either.
    let reception = r.json["items"][0]["id"].as_str().unwrap();
    let r = app.call("POST", "/api/v1/receptions/bookings", Some(&app.clerk), Some(&json!({"reception_id": reception, "full_name": "Второй Посетитель"}))).await;
    assert_eq!(r.status, 201);
    assert!(!r.json.to_string().contains("+79001112233"), "{}", r.json);
    // The card shows it and records who read it.
    let card = app.call("GET", &format!("/api/v1/receptions/visitors/{visitor}"), Some(&app.clerk), None).await;
    assert_eq!(card.status, 200, "{}", card.json);
    assert_eq!(card.json["contact"], "+79001112233");
    assert_eq!(card.json["reads"].as_array().unwrap().len(), 1);
    assert_eq!(card.json["reads"][0]["user_id"], app.user_id("clerk").as_str());
    let card = app.call("GET", &format!("/api/v1/receptions/visitors/{visitor}"), Some(&app.supervisor), None).await;
    assert_eq!(card.json["reads"].as_array().unwrap().len(), 2);
    assert_eq!(card.json["reads"][0]["user_id"], app.user_id("supervisor").as_str(), "newest first");
    // Once the visit is an appeal, a read of the card is in the appeal's history too.
    let visit = json!({"visitor_id": visitor, "appeal": {"kind": "statement", "applicants": [{"full_name": "Кузнецова Анна Сергеевна", "postal_address": "169300, г. Ухта, ул. Ленина, д. 1"}], "summary": "Скамейки во дворе", "questions": [{"code": "0003.0009.0097.0699"}]}});
    let r = app.call("POST", "/api/v1/receptions/visits", Some(&app.clerk), Some(&visit)).await;
    assert_eq!(r.status, 201, "{}", r.json);
    let appeal = r.json["id"].as_str().unwrap().to_string();
    app.call("GET", &format!("/api/v1/receptions/visitors/{visitor}"), Some(&app.admin), None).await;
    let h = app.call("GET", &format!("/api/v1/appeals/{appeal}/history"), Some(&app.supervisor), None).await;
    let reads: Vec<_> = h.json["items"].as_array().unwrap().iter().filter(|e| e["action"] == "viewed" && e["actor"] == app.user_id("admin").as_str()).collect();
    assert_eq!(reads.len(), 1, "{}", h.json);
    // Executors never see it; unknown visitors are 404.
    app.call("GET", &format!("/api/v1/receptions/visitors/{visitor}"), Some(&app.executor), None).await.assert_problem(403, None);
    app.call("GET", &format!("/api/v1/receptions/visitors/{}", uuid::Uuid::new_v4()), Some(&app.clerk), None).await.assert_problem(404, None);
    app.call("GET", "/api/v1/receptions/visitors/nope", Some(&app.clerk), None).await.assert_problem(404, None);
}
