//! Visibility before everything: an appeal another executor may not see answers 404 to every
//! action, whatever `If-Match` says — a stale version must not reveal that the appeal exists
//! or how often it changed.

use crate::support::*;
use serde_json::{json, Value};

/// Every action on an appeal with its body (valid for a caller allowed to take it).
fn actions(app: &TestApp, answer: &str) -> Vec<(&'static str, String, Value)> {
    vec![
        ("PATCH", String::new(), json!({"summary": "Исправленное краткое содержание"})),
        ("POST", "/assign".into(), json!({"executors": [{"user_id": app.user_id("executor2"), "responsible": true}]})),
        ("POST", "/extend".into(), json!({"days": 5, "reason": "Запрос документов"})),
        ("POST", "/forward".into(), json!({"organization": "Прокуратура"})),
        ("POST", "/answers".into(), json!({"text": "Ответ", "results": [{"code": "0003.0009.0097.0699", "result": "explained"}]})),
        ("POST", "/contributions".into(), json!({"text": "Справка отдела"})),
        ("POST", "/consideration".into(), json!({"on_site_check": true})),
        ("POST", format!("/answers/{answer}/approve"), json!({"close": true})),
        ("POST", format!("/answers/{answer}/return"), json!({})),
        ("POST", format!("/answers/{answer}/dispatch"), json!({"sent_on": "2025-03-03", "channel": "post"})),
        ("POST", "/close".into(), json!({})),
        ("POST", "/leave-without-answer".into(), json!({"reason": "obscene"})),
    ]
}

both_backends!(another_executors_appeal_is_404_whatever_if_match_says);
async fn another_executors_appeal_is_404_whatever_if_match_says(db: Db) {
    let app = TestApp::start(db).await;
    let (id, answer) = crate::security::own_appeal(&app).await;
    let version = app.call("GET", &format!("/api/v1/appeals/{id}"), Some(&app.executor), None).await.json["version"].as_i64().unwrap();
    assert!(version > 1);
    for (method, tail, body) in actions(&app, &answer) {
        let path = format!("/api/v1/appeals/{id}{tail}");
        for tag in [format!("\"{version}\""), "\"1\"".to_string()] {
            let r = app.raw(method, &path, Some(&app.executor2), Some(body.to_string().into_bytes()), &[("If-Match", &tag)]).await;
            assert_eq!(r.status, 404, "{method} {tail} with If-Match {tag} as another executor: {}", r.json);
            assert!(r.json.get("current_version").is_none(), "{method} {tail}: {}", r.json);
        }
        // A random id answers the same.
        let ghost = format!("/api/v1/appeals/{}{tail}", uuid::Uuid::new_v4());
        let r = app.raw(method, &ghost, Some(&app.executor2), Some(body.to_string().into_bytes()), &[("If-Match", "\"1\"")]).await;
        assert_eq!(r.status, 404, "{method} {tail} on a random id");
    }
    // The file of the answer, too.
    let pdf = b"%PDF-1.4 x".to_vec();
    let r = app.raw("POST", &format!("/api/v1/appeals/{id}/answers/{answer}/file"), Some(&app.executor2), Some(pdf), &[("Content-Type", "application/pdf"), ("If-Match", "\"1\"")]).await;
    assert_eq!(r.status, 404);
    // A batch answers that row the same, stale version or not.
    for tag in [format!("\"{version}\""), "\"1\"".to_string()] {
        let body = json!({"action": "consideration", "ids": [id], "params": {"on_site_check": true}, "if_match": {id.clone(): tag}});
        let r = app.call("POST", "/api/v1/appeals/bulk", Some(&app.executor2), Some(&body)).await;
        assert_eq!(r.status, 200, "{}", r.json);
        assert_eq!(r.json["results"][0]["status"], 404, "{}", r.json);
        assert!(r.json["results"][0].get("version").is_none_or(|v| v.is_null()), "{}", r.json);
    }
    // The check can fail: the appeal's own executor, with a stale version, hears 412.
    let r = app.raw("POST", &format!("/api/v1/appeals/{id}/consideration"), Some(&app.executor), Some(json!({"on_site_check": true}).to_string().into_bytes()), &[("If-Match", "\"1\"")]).await;
    assert_eq!(r.status, 412, "{}", r.json);
    assert_eq!(r.json["current_version"], version);
    // Nothing was written by the refused requests.
    let r = app.call("GET", &format!("/api/v1/appeals/{id}"), Some(&app.supervisor), None).await;
    assert_eq!(r.json["version"], version);
}
