//! Access control generated from the OpenAPI document, token revocation and expiry, hostile input.

use crate::support::*;
use serde_json::{json, Value};

/// Who may call each documented operation. A new endpoint without a row here fails the test.
/// `EXEC_OWN`: executors may, on appeals assigned to them (others are invisible: 404).
const ANON: &str = "anonymous";
const EXEC_OWN: &str = "executor(own)";
/// The region's roles: the administrator manages organizations and users and reads no appeal
/// (an appeal's id is as invisible to them as a foreign one to an executor: 404); the
/// supervisor reads everything and acts on nothing (403 on every write).
const RA: &str = "regional_admin";
const RS: &str = "regional_supervisor";
/// Every caller the matrix tries.
const WHO: [&str; 7] = [ANON, "admin", "supervisor", "clerk", "executor", RA, RS];
pub const RULES: &[(&str, &str, &[&str])] = &[
    ("GET", "/health", &[ANON, "admin", "supervisor", "clerk", "executor", RA, RS]),
    ("GET", "/health/ready", &[ANON, "admin", "supervisor", "clerk", "executor", RA, RS]),
    ("GET", "/api/v1/openapi.yaml", &[ANON, "admin", "supervisor", "clerk", "executor", RA, RS]),
    ("GET", "/api/v1/channels", &["admin", "supervisor", "clerk", "executor", RA, RS]),
    ("GET", "/api/v1/classifier", &["admin", "supervisor", "clerk", "executor", RA, RS]),
    ("GET", "/api/v1/users", &["admin", "supervisor", "clerk", RA, RS]),
    ("POST", "/api/v1/users", &["admin", RA]),
    ("POST", "/api/v1/users/{id}/revoke-tokens", &["admin", RA]),
    ("PATCH", "/api/v1/users/{id}", &["admin", RA]),
    ("GET", "/api/v1/departments", &["admin", "supervisor", "clerk", RA, RS]),
    ("POST", "/api/v1/departments", &["admin", RA]),
    ("POST", "/api/v1/appeals", &["admin", "clerk"]),
    ("GET", "/api/v1/appeals", &["admin", "supervisor", "clerk", "executor", RA, RS]),
    ("GET", "/api/v1/me/assignments", &["admin", "supervisor", "clerk", "executor", RA, RS]),
    ("GET", "/api/v1/appeals/{id}", &["admin", "supervisor", "clerk", EXEC_OWN, RS]),
    ("GET", "/api/v1/appeals/{id}/history", &["admin", "supervisor", "clerk", EXEC_OWN, RS]),
    ("POST", "/api/v1/imports/appeals", &["admin"]),
    ("POST", "/api/v1/imports/registry", &["admin"]),
    ("POST", "/api/v1/appeals/{id}/assign", &["admin", "supervisor", "clerk"]),
    ("POST", "/api/v1/appeals/{id}/extend", &["admin", "supervisor"]),
    ("POST", "/api/v1/appeals/{id}/forward", &["admin", "supervisor", "clerk"]),
    ("POST", "/api/v1/appeals/{id}/answers", &[EXEC_OWN]),
    ("POST", "/api/v1/appeals/{id}/answers/{answer_id}/approve", &["admin", "supervisor"]),
    ("POST", "/api/v1/appeals/{id}/answers/{answer_id}/return", &["admin", "supervisor"]),
    ("POST", "/api/v1/appeals/{id}/close", &["admin", "supervisor"]),
    ("POST", "/api/v1/appeals/{id}/leave-without-answer", &["admin", "supervisor"]),
    ("POST", "/api/v1/appeals/{id}/answers/{answer_id}/dispatch", &["admin", "supervisor", "clerk"]),
    ("PATCH", "/api/v1/appeals/{id}", &["admin", "clerk"]),
    // The body's action decides (tests/api/bulk.rs); here a resolution, which executors may not give.
    ("POST", "/api/v1/appeals/bulk", &["admin", "supervisor", "clerk"]),
    // Co-executors only, whatever their role (tests/api/control.rs): the executor here is the responsible one.
    ("POST", "/api/v1/appeals/{id}/contributions", &[]),
    ("POST", "/api/v1/appeals/{id}/consideration", &["admin", "supervisor", EXEC_OWN]),
    ("GET", "/api/v1/stats", &["admin", "supervisor", RS]),
    ("GET", "/api/v1/reports/annual", &["admin", "supervisor", RS]),
    ("GET", "/api/v1/bodies", &["admin", "supervisor", "clerk", RS]),
    ("POST", "/api/v1/bodies", &["admin", RA]),
    ("GET", "/api/v1/exports/sstu", &["admin", "supervisor", RS]),
    ("POST", "/api/v1/exports/sstu/push", &["admin", "supervisor"]),
    ("GET", "/api/v1/exports/gasu/appeals", &["admin", "supervisor", RS]),
    ("GET", "/api/v1/exports/gasu/reception", &["admin", "supervisor", RS]),
    ("GET", "/api/v1/receptions", &["admin", "supervisor", "clerk", RS]),
    ("POST", "/api/v1/receptions", &["admin", "supervisor", "clerk"]),
    ("POST", "/api/v1/receptions/bookings", &["admin", "supervisor", "clerk"]),
    ("POST", "/api/v1/receptions/visits", &["admin", "clerk"]),
    ("POST", "/api/v1/receptions/oral-answers", &["admin", "supervisor"]),
    ("GET", "/api/v1/receptions/visitors/{id}", &["admin", "supervisor", "clerk", RS]),
    // The responsible executor or a supervisor, while the answer awaits review.
    ("POST", "/api/v1/appeals/{id}/answers/{answer_id}/file", &["admin", "supervisor", EXEC_OWN]),
    ("GET", "/api/v1/appeals/{id}/answers/{answer_id}/file", &["admin", "supervisor", "clerk", EXEC_OWN, RS]),
    ("GET", "/api/v1/campaigns", &["admin", "supervisor", "clerk", RS]),
    ("GET", "/api/v1/campaigns/{id}", &["admin", "supervisor", "clerk", RS]),
    ("PATCH", "/api/v1/campaigns/{id}", &["admin", "supervisor", "clerk"]),
    ("DELETE", "/api/v1/campaigns/{id}/appeals/{appeal_id}", &["admin", "supervisor", "clerk"]),
    // The body's action decides, as for bulk actions: here a resolution.
    ("POST", "/api/v1/campaigns/{id}/actions", &["admin", "supervisor", "clerk"]),
    ("GET", "/api/v1/notifications", &["admin"]),
    ("POST", "/api/v1/organizations", &[RA]),
    ("GET", "/api/v1/organizations", &["admin", RA, RS]),
    // The caller's own organization here: an organization's administrator reads its own.
    ("GET", "/api/v1/organizations/{id}", &["admin", RA, RS]),
    ("PATCH", "/api/v1/organizations/{id}", &[RA]),
    ("POST", "/api/v1/notifications/{id}/retry", &["admin"]),
];

pub fn body_for(app: &TestApp, path: &str) -> Option<Value> {
    Some(match path {
        "/api/v1/users" => json!({"login": format!("u{}", uuid::Uuid::new_v4().simple()), "role": "executor", "full_name": "Новый Исполнитель"}),
        "/api/v1/organizations" => json!({"code": format!("o{}", &uuid::Uuid::new_v4().simple().to_string()[..12]), "name": "Администрация посёлка", "time_zone": "Europe/Moscow"}),
        "/api/v1/organizations/{id}" => json!({"name": "Администрация городского округа"}),
        "/api/v1/users/{id}" => json!({"role": "executor"}),
        "/api/v1/departments" => json!({"code": format!("d{}", &uuid::Uuid::new_v4().simple().to_string()[..12]), "name": "Отдел"}),
        "/api/v1/appeals" => appeal(json!({})),
        "/api/v1/appeals/{id}" => json!({"summary": "Исправленное краткое содержание"}),
        "/api/v1/receptions" => json!({"official": "Глава", "official_role": "head", "held_on": "2025-03-03", "starts_at": "10:00", "place": "каб. 1"}),
        "/api/v1/receptions/bookings" => json!({"reception_id": "00000000-0000-0000-0000-000000000000", "full_name": "Иванов"}),
        "/api/v1/receptions/visits" => json!({"visitor_id": "00000000-0000-0000-0000-000000000000", "appeal": {}}),
        "/api/v1/receptions/oral-answers" => json!({"visitor_id": "00000000-0000-0000-0000-000000000000", "text": "Ответ", "results": [], "consent": true}),
        "/api/v1/bodies" => json!({"name": format!("Орган {}", uuid::Uuid::new_v4().simple())}),
        "/api/v1/imports/appeals" => json!({"items": [appeal(json!({}))]}),
        "/api/v1/campaigns/{id}" => json!({"title": "Двор на ул. Строителей"}),
        "/api/v1/campaigns/{id}/actions" => json!({"action": "assign", "params": {"executors": [{"user_id": app.user_id("executor"), "responsible": true}]}}),
        "/api/v1/appeals/bulk" => json!({"action": "assign", "ids": [uuid::Uuid::new_v4().to_string()], "params": {"executors": [{"user_id": app.user_id("executor"), "responsible": true}]}}),
        p if p.ends_with("/assign") => json!({"executors": [{"user_id": app.user_id("executor"), "responsible": true}]}),
        p if p.ends_with("/extend") => json!({"days": 5, "reason": "Запрос документов"}),
        p if p.ends_with("/forward") => json!({"organization": "Прокуратура"}),
        p if p.ends_with("/answers") => json!({"text": "Ответ", "results": [{"code": "0003.0009.0097.0699", "result": "explained"}]}),
        p if p.ends_with("/approve") => json!({"close": true}),
        p if p.ends_with("/leave-without-answer") => json!({"reason": "obscene"}),
        p if p.ends_with("/dispatch") => json!({"sent_on": "2025-03-03", "channel": "post"}),
        p if p.ends_with("/contributions") => json!({"text": "Справка отдела"}),
        p if p.ends_with("/consideration") => json!({"on_site_check": true}),
        p if p.ends_with("/return") || p.ends_with("/close") => json!({}),
        _ => return None,
    })
}

/// A fresh appeal assigned to `executor`, with a pending answer: every action has something to act on.
pub async fn own_appeal(app: &TestApp) -> (String, String) {
    let card = app.register(json!({})).await;
    let id = card["id"].as_str().unwrap().to_string();
    let r = app.call("POST", &format!("/api/v1/appeals/{id}/assign"), Some(&app.clerk), Some(&json!({"executors": [{"user_id": app.user_id("executor"), "responsible": true}]}))).await;
    assert_eq!(r.status, 200);
    let r = app.call("POST", &format!("/api/v1/appeals/{id}/answers"), Some(&app.executor), Some(&json!({"text": "Черновик", "results": [{"code": "0003.0009.0097.0699", "result": "explained"}]}))).await;
    assert_eq!(r.status, 200);
    let answer = r.json["answers"][0]["id"].as_str().unwrap().to_string();
    (id, answer)
}

both_backends!(every_documented_operation_has_a_rule_and_keeps_it);
async fn every_documented_operation_has_a_rule_and_keeps_it(db: Db) {
    let app = TestApp::start(db).await;
    let spec = serde_json::to_value(appeals::api::openapi()).unwrap();
    for (path, ops) in spec["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            let method = method.to_uppercase();
            let rule = RULES.iter().find(|(m, p, _)| *m == method && p == path);
            let Some((_, _, allowed)) = rule else { panic!("{method} {path} has no access rule in tests/api/security.rs") };
            for who in WHO {
                for foreign in [false, true] {
                    // A notification is no appeal: there is no foreign one to hide.
                    // Nor is a campaign (an executor sees none at all), nor an organization.
                    if foreign && (!path.contains("{id}") || path.starts_with("/api/v1/notifications/") || path.starts_with("/api/v1/receptions/visitors/") || path.starts_with("/api/v1/campaigns/") || path.starts_with("/api/v1/organizations/")) {
                        continue;
                    }
                    let (id, answer) = own_appeal(&app).await;
                    if foreign {
                        // Unassign the executor: the appeal becomes someone else's.
                        let r = app.call("POST", &format!("/api/v1/appeals/{id}/answers/{answer}/return"), Some(&app.supervisor), Some(&json!({}))).await;
                        assert_eq!(r.status, 200);
                        let r = app.call("POST", &format!("/api/v1/appeals/{id}/assign"), Some(&app.clerk), Some(&json!({"executors": [{"user_id": app.user_id("executor2"), "responsible": true}]}))).await;
                        assert_eq!(r.status, 200);
                    }
                    let concrete = path.replace("{answer_id}", &answer).replace("{id}", if path.starts_with("/api/v1/users/") { app.user_id("executor2") } else { id.clone() }.as_str());
                    let concrete = if path.starts_with("/api/v1/notifications/") { path.replace("{id}", &crate::notifications::some_notification_id(&app).await) } else { concrete };
                    let concrete = if path.starts_with("/api/v1/campaigns/") {
                        let (campaign, member) = crate::campaigns::some_campaign(&app).await;
                        path.replace("{appeal_id}", &member).replace("{id}", &campaign)
                    } else {
                        concrete
                    };
                    let concrete = if path.starts_with("/api/v1/organizations/") { path.replace("{id}", &app.org) } else { concrete };
                    let concrete = if path.starts_with("/api/v1/receptions/visitors/") { path.replace("{id}", &crate::reception_contacts::some_visitor_id(&app).await) } else { concrete };
                    let token = match who {
                        ANON => None,
                        "admin" => Some(app.admin.clone()),
                        "supervisor" => Some(app.supervisor.clone()),
                        "clerk" => Some(app.clerk.clone()),
                        RA => Some(app.regional_admin.clone()),
                        RS => Some(app.regional_supervisor.clone()),
                        _ => Some(app.executor.clone()),
                    };
                    let body = if method == "POST" || method == "PATCH" { body_for(&app, path) } else { None };
                    let r = app.call(&method, &concrete, token.as_deref(), body.as_ref()).await;
                    let may = allowed.contains(&who) || (who == "executor" && !foreign && allowed.contains(&EXEC_OWN));
                    let what = format!("{method} {path} as {who}{}", if foreign { " on a foreign appeal" } else { "" });
                    if may {
                        assert!(![401, 403, 404].contains(&r.status) && r.status < 500, "{what} → {} {}", r.status, r.json);
                    } else if who == ANON {
                        r.assert_problem(401, None);
                    } else if who == "executor" && (foreign && !path.starts_with("/api/v1/users/") || (method == "GET" && path == "/api/v1/campaigns/{id}")) {
                        // An executor with none of a campaign's appeals learns nothing of it.
                        assert_eq!(r.status, 404, "{what} must not reveal the appeal: {}", r.json);
                    } else if who == RA && (path.starts_with("/api/v1/appeals/{id}") || (method == "GET" && path == "/api/v1/campaigns/{id}")) {
                        // No appeal (nor so a campaign) is visible to the region's administrator:
                        // 404, as a foreign one.
                        assert!(r.status == 404 || r.status == 403, "{what} → {} {}", r.status, r.json);
                    } else {
                        assert_eq!(r.status, 403, "{what} → {} {}", r.status, r.json);
                    }
                }
            }
        }
    }
}

both_backends!(revoked_and_expired_tokens_stop_working_at_once);
async fn revoked_and_expired_tokens_stop_working_at_once(db: Db) {
    let app = TestApp::start(db).await;
    let r = app.call("POST", "/api/v1/users", Some(&app.admin), Some(&json!({"login": "temp", "role": "clerk", "full_name": "Временный Сотрудник", "token_days": 1}))).await;
    assert_eq!(r.status, 201, "{}", r.json);
    let token = r.json["token"].as_str().unwrap().to_string();
    let user = r.json["user"]["id"].as_str().unwrap().to_string();
    assert_eq!(app.call("GET", "/api/v1/channels", Some(&token), None).await.status, 200);
    // A day and a second later the token has expired.
    app.set_now(start_instant() + chrono::Duration::days(1) + chrono::Duration::seconds(1));
    app.call("GET", "/api/v1/channels", Some(&token), None).await.assert_problem(401, None);
    app.set_now(start_instant());
    assert_eq!(app.call("GET", "/api/v1/channels", Some(&token), None).await.status, 200);
    let r = app.call("POST", &format!("/api/v1/users/{user}/revoke-tokens"), Some(&app.admin), None).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["revoked"], 1);
    app.call("GET", "/api/v1/channels", Some(&token), None).await.assert_problem(401, None);
    let r = app.call("POST", "/api/v1/users", Some(&app.admin), Some(&json!({"login": "temp", "role": "clerk", "full_name": "Дубль"}))).await;
    r.assert_problem(409, None);
    let r = app.call("POST", "/api/v1/users", Some(&app.admin), Some(&json!({"login": "x y", "role": "root", "full_name": ""}))).await;
    r.assert_problem(422, Some("role"));
    app.call("POST", "/api/v1/users/not-a-user/revoke-tokens", Some(&app.admin), None).await.assert_problem(404, None);
}

both_backends!(hostile_input_gets_4xx_and_stores_nothing);
async fn hostile_input_gets_4xx_and_stores_nothing(db: Db) {
    let app = TestApp::start(db).await;
    let injections = ["'; DROP TABLE appeals; --", "\" OR 1=1 --", "../../../../etc/passwd", "%00", "<script>alert(1)</script>", "${jndi:ldap://x}", "\\\\server\\share"];
    // As text they are legitimate content: stored verbatim, nothing else happens.
    for s in injections {
        let card = app.register(json!({"summary": s, "applicants": [{"full_name": s, "postal_address": s}], "questions": [{"code": "0003.0009.0097.0699", "text": s}]})).await;
        let back = app.call("GET", &format!("/api/v1/appeals/{}", card["id"].as_str().unwrap()), Some(&app.clerk), None).await;
        assert_eq!(back.json["summary"], s);
        for param in ["q", "channel", "executor_id", "status", "section", "registered_from", "cursor", "limit"] {
            let r = app.call("GET", &format!("/api/v1/appeals?{param}={}", urlencode(s)), Some(&app.admin), None).await;
            assert!(r.status == 200 || r.status == 422, "{param}={s} → {}", r.status);
        }
        let r = app.call("GET", &format!("/api/v1/appeals/{}", urlencode(s)), Some(&app.admin), None).await;
        assert!(r.status == 404, "{s} as an id → {}", r.status);
    }
    let stored = injections.len();
    assert_eq!(count(&app).await, stored, "the registry survived");

    let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_object = format!("{{\"channel\": {}{}}}", "{\"a\":".repeat(5000), "1}".repeat(5000));
    let raws: Vec<(Vec<u8>, &str)> = vec![
        (nested.into_bytes(), "deeply nested array"),
        (deep_object.into_bytes(), "deeply nested object"),
        (vec![b'{', b'"', 0xc3, 0x28, b'"', b':', b'1', b'}'], "invalid UTF-8"),
        (appeal(json!({})).to_string().replacen("\"channel\":\"post\"", "\"channel\":\"post\",\"channel\":\"email\"", 1).into_bytes(), "duplicated key"),
        (appeal(json!({})).to_string().replacen("\"collective\":false", "\"collective\":false,\"signatures\":99999999999999999999999", 1).into_bytes(), "giant number"),
        (appeal(json!({})).to_string().replacen("\"collective\":false", "\"collective\":false,\"signatures\":1e400", 1).into_bytes(), "huge float"),
        (appeal(json!({"summary": "текст\u{0}с нулём"})).to_string().into_bytes(), "NUL in text"),
        (appeal(json!({"external_id": "ПОС\u{0}"})).to_string().into_bytes(), "NUL in external id"),
        (b"null".to_vec(), "null body"),
        (b"[]".to_vec(), "array body"),
        (b"".to_vec(), "empty body"),
    ];
    for (body, what) in raws {
        let r = app.raw("POST", "/api/v1/appeals", Some(&app.clerk), Some(body), &[]).await;
        assert!((400..500).contains(&r.status), "{what} → {} {}", r.status, r.json);
        assert!(r.ctype.contains("problem+json"), "{what}");
    }
    let r = app.raw("POST", "/api/v1/appeals", Some(&app.clerk), Some(appeal(json!({})).to_string().into_bytes()), &[("Content-Type", "text/plain")]).await;
    assert!(r.status == 415 || r.status == 400, "{}", r.status);
    for q in ["q=%00", "channel=post%00", "limit=99999999999999999999", "limit=-1", "due_within_days=1e9", "q=a&q=b"] {
        let r = app.call("GET", &format!("/api/v1/appeals?{q}"), Some(&app.admin), None).await;
        assert!((400..500).contains(&r.status), "{q} → {}", r.status);
    }
    let r = app.call("POST", &format!("/api/v1/appeals/{}/assign", uuid::Uuid::new_v4()), Some(&app.clerk), Some(&json!({"executors": [{"user_id": "x\u{0}", "responsible": true}]}))).await;
    r.assert_problem(422, Some("executors[0].user_id"));
    assert_eq!(count(&app).await, stored, "refused requests stored nothing");
}

async fn count(app: &TestApp) -> usize {
    app.call("GET", "/api/v1/appeals?limit=100", Some(&app.admin), None).await.json["items"].as_array().unwrap().len()
}
