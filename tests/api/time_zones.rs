//! Each organization counts its days in its own time zone: the registration date and the
//! 59-FZ deadline of its appeals, "today" of its lists, the days of its statistics, and the
//! date a forwarded appeal is received on.

use crate::support::*;
use chrono::{TimeZone, Utc};
use serde_json::{json, Value};

/// An organization in Krasnoyarsk (UTC+7) with a clerk and a supervisor: (id, clerk, supervisor).
async fn krasnoyarsk(app: &TestApp) -> (String, String, String) {
    let r = app.call("POST", "/api/v1/organizations", Some(&app.regional_admin), Some(&json!({"code": "krsk", "name": "Администрация города Красноярска", "time_zone": "Asia/Krasnoyarsk"}))).await;
    assert_eq!(r.status, 201, "{}", r.json);
    let id = r.json["id"].as_str().unwrap().to_string();
    let mut tokens = Vec::new();
    for role in ["clerk", "supervisor"] {
        let r = app.call("POST", "/api/v1/users", Some(&app.regional_admin), Some(&json!({"login": format!("krsk_{role}"), "role": role, "full_name": format!("{role} Красноярск"), "organization_id": id}))).await;
        assert_eq!(r.status, 201, "{}", r.json);
        tokens.push(r.json["token"].as_str().unwrap().to_string());
    }
    (id, tokens[0].clone(), tokens[1].clone())
}

fn letter() -> Value {
    appeal(json!({"received_on": "2025-03-03"}))
}

both_backends!(each_organization_counts_its_days_in_its_own_time_zone);
async fn each_organization_counts_its_days_in_its_own_time_zone(db: Db) {
    let app = TestApp::start(db).await;
    let (krsk, clerk, supervisor) = krasnoyarsk(&app).await;
    // 20:30 UTC: still 3 March in Moscow (23:30), already 4 March in Krasnoyarsk (03:30).
    app.set_now(Utc.with_ymd_and_hms(2025, 3, 3, 20, 30, 0).unwrap());
    let moscow = app.register(json!({"received_on": "2025-03-03"})).await;
    let r = app.call("POST", "/api/v1/appeals", Some(&clerk), Some(&letter())).await;
    assert_eq!(r.status, 201, "{}", r.json);
    let east = r.json;
    assert_eq!(moscow["due_date_details"]["start"], "2025-03-03", "{moscow}");
    assert_eq!(east["due_date_details"]["start"], "2025-03-04", "{east}");
    // The 59-FZ deadline runs from each one's own registration day (30 days, shifted off a
    // non-working day): the two differ by the day between them.
    assert_ne!(moscow["due_date"], east["due_date"], "{} {}", moscow["due_date"], east["due_date"]);
    // A received date after the organization's own today is refused, in its own today: 4 March
    // is already today in Krasnoyarsk, still tomorrow in Moscow.
    let r = app.call("POST", "/api/v1/appeals", Some(&clerk), Some(&appeal(json!({"received_on": "2025-03-04", "summary": "Письмо от 4 марта"})))).await;
    assert_eq!(r.status, 201, "Krasnoyarsk's today is 4 March: {}", r.json);
    app.call("POST", "/api/v1/appeals", Some(&app.clerk), Some(&appeal(json!({"received_on": "2025-03-04", "summary": "Письмо из будущего"})))).await.assert_problem(422, Some("received_on"));

    // Statistics count each organization's appeals on its own days.
    let day = |d: &str| format!("/api/v1/stats?from={d}&to={d}&compare=none");
    let east_4 = app.call("GET", &day("2025-03-04"), Some(&supervisor), None).await;
    assert_eq!(east_4.json["appeals"]["current"], 2, "{}", east_4.json["appeals"]);
    let east_3 = app.call("GET", &day("2025-03-03"), Some(&supervisor), None).await;
    assert_eq!(east_3.json["appeals"]["current"], 0);
    let west_3 = app.call("GET", &day("2025-03-03"), Some(&app.supervisor), None).await;
    assert_eq!(west_3.json["appeals"]["current"], 1);

    // Forwarded from Moscow at 23:30 its time, the appeal is received on Krasnoyarsk's 4 March.
    let r = app.call("POST", &format!("/api/v1/appeals/{}/forward", moscow["id"].as_str().unwrap()), Some(&app.clerk), Some(&json!({"organization_id": krsk, "reason": "По компетенции"}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["forwarded"]["letter_date"], "2025-03-03", "the sender's cover letter is dated on its own day");
    let to = r.json["forwarded"]["to_appeal_id"].as_str().unwrap().to_string();
    let got = app.call("GET", &format!("/api/v1/appeals/{to}"), Some(&clerk), None).await;
    assert_eq!(got.json["received_on"], "2025-03-04", "{}", got.json);
    assert_eq!(got.json["due_date_details"]["start"], "2025-03-04");
}
