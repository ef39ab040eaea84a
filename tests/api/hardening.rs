//! Personal data in lists, errors people meet, and the edges a security probe found.

use crate::support::*;
use serde_json::{json, Value};

fn fields(r: &Resp) -> Vec<String> {
    r.json["errors"].as_array().map(|a| a.iter().filter_map(|e| e["field"].as_str().map(String::from)).collect()).unwrap_or_default()
}

fn cyrillic(s: &str) -> bool {
    s.chars().any(|c| ('а'..='я').contains(&c.to_lowercase().next().unwrap_or(c)))
}

async fn assign(app: &TestApp, id: &str, who: &str) {
    let r = app.call("POST", &format!("/api/v1/appeals/{id}/assign"), Some(&app.clerk), Some(&json!({"executors": [{"user_id": app.user_id(who), "responsible": true}]}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
}

both_backends!(lists_carry_no_contacts_and_the_card_read_is_recorded);
async fn lists_carry_no_contacts_and_the_card_read_is_recorded(db: Db) {
    let app = TestApp::start(db).await;
    let card = app.register(json!({"applicants": [{"full_name": "Смирнова Ольга Петровна", "postal_address": "г. Ухта, ул. Мира, д. 1", "email": "smirnova@example.ru", "phone": "+79001234567"}]})).await;
    let id = card["id"].as_str().unwrap();
    assign(&app, id, "executor").await;
    for (path, token) in [("/api/v1/appeals", &app.clerk), ("/api/v1/me/assignments", &app.executor)] {
        let r = app.call("GET", path, Some(token), None).await;
        assert_eq!(r.status, 200, "{path}: {}", r.json);
        let item = &r.json["items"][0];
        assert_eq!(item["id"], id);
        let person = item["applicants"][0].as_object().unwrap();
        assert_eq!(person["full_name"], "Смирнова Ольга Петровна");
        for f in ["postal_address", "email", "phone", "epgu_id"] {
            assert!(!person.contains_key(f), "{path} leaks {f}: {}", r.json);
        }
        assert!(!r.json.to_string().contains("smirnova@example.ru"), "{path}");
        assert_eq!(r.header("Cache-Control"), Some("no-store"), "{path}");
    }
    // Lists are not recorded; the card read is, and it carries the contacts.
    let before = app.call("GET", &format!("/api/v1/appeals/{id}/history"), Some(&app.clerk), None).await.json["items"].as_array().unwrap().len();
    let r = app.call("GET", &format!("/api/v1/appeals/{id}"), Some(&app.clerk), None).await;
    assert_eq!(r.json["applicants"][0]["email"], "smirnova@example.ru");
    assert_eq!(r.header("Cache-Control"), Some("no-store"));
    let h = app.call("GET", &format!("/api/v1/appeals/{id}/history"), Some(&app.clerk), None).await;
    let items = h.json["items"].as_array().unwrap();
    assert_eq!(items.len(), before + 1);
    assert_eq!(items.last().unwrap()["action"], "viewed");
    assert_eq!(h.header("Cache-Control"), Some("no-store"));
    // The contract names the list item apart from the card.
    let spec = serde_json::to_value(appeals::api::openapi()).unwrap();
    let item = &spec["components"]["schemas"]["ListItem"];
    assert_eq!(item["properties"]["applicants"]["items"]["$ref"], "#/components/schemas/ApplicantBrief");
    assert!(spec["components"]["schemas"]["ApplicantBrief"]["properties"].get("email").is_none());
}

both_backends!(a_bad_body_names_every_bad_field_in_russian);
async fn a_bad_body_names_every_bad_field_in_russian(db: Db) {
    let app = TestApp::start(db).await;
    let r = app.call("POST", "/api/v1/appeals", Some(&app.clerk), Some(&json!({}))).await;
    r.assert_problem(422, None);
    let mut f = fields(&r);
    f.sort();
    assert_eq!(f, vec!["channel", "form", "kind", "questions", "received_on", "summary"], "{}", r.json);
    for e in r.json["errors"].as_array().unwrap() {
        assert!(cyrillic(e["message"].as_str().unwrap()), "{e}");
    }
    // Five wrong fields and an unknown one: all six named, nested paths kept.
    let body = json!({"channel": 5, "form": "scroll", "kind": "complaint", "received_on": "2025-13-01", "summary": "Текст",
        "questions": [{"code": 1}], "applicants": [{"full_name": "Иванов", "is_organization": "да"}], "colour": "red"});
    let r = app.call("POST", "/api/v1/appeals", Some(&app.clerk), Some(&body)).await;
    r.assert_problem(422, None);
    let mut f = fields(&r);
    f.sort();
    assert_eq!(f, vec!["applicants[0].is_organization", "channel", "colour", "form", "questions[0].code", "received_on"], "{}", r.json);
    let msg = |field: &str| r.json["errors"].as_array().unwrap().iter().find(|e| e["field"] == field).unwrap()["message"].as_str().unwrap().to_string();
    assert!(msg("form").contains("written"), "{}", msg("form"));
    assert!(msg("colour").contains("неизвестное поле"));
    assert!(msg("received_on").contains("ГГГГ-ММ-ДД"));
    // Unknown fields alone still 422; broken syntax is 400; a duplicated key is refused.
    app.call("POST", "/api/v1/appeals", Some(&app.clerk), Some(&appeal(json!({"extra": 1})))).await.assert_problem(422, Some("extra"));
    let r = app.raw("POST", "/api/v1/appeals", Some(&app.clerk), Some(b"{\"channel\": ".to_vec()), &[]).await;
    r.assert_problem(400, None);
    assert!(cyrillic(r.json["detail"].as_str().unwrap()));
    let dup = appeal(json!({})).to_string().replacen("\"channel\":\"post\"", "\"channel\":\"post\",\"channel\":\"email\"", 1);
    app.raw("POST", "/api/v1/appeals", Some(&app.clerk), Some(dup.into_bytes()), &[]).await.assert_problem(422, Some("channel"));
    // Other bodies too: every field of an assignment.
    let id = app.register(json!({})).await["id"].as_str().unwrap().to_string();
    let r = app.call("POST", &format!("/api/v1/appeals/{id}/assign"), Some(&app.clerk), Some(&json!({"executors": [{"user_id": 7}], "instruction": []}))).await;
    let mut f = fields(&r);
    f.sort();
    assert_eq!(f, vec!["executors[0].user_id", "instruction"], "{}", r.json);
}

both_backends!(every_list_filter_is_validated);
async fn every_list_filter_is_validated(db: Db) {
    let app = TestApp::start(db).await;
    app.register(json!({})).await;
    for (q, field) in [
        ("channel=pigeon", "channel"),
        ("executor_id=not-a-uuid", "executor_id"),
        ("status=lost", "status"),
        ("section=abc", "section"),
        ("overdue=maybe", "overdue"),
        ("registered_from=%2B10000-12-31", "registered_from"),
        ("registered_to=2025-3-3", "registered_to"),
        ("due_within_days=-1", "due_within_days"),
        ("limit=0", "limit"),
        ("cursor=zz", "cursor"),
    ] {
        let r = app.call("GET", &format!("/api/v1/appeals?{q}"), Some(&app.admin), None).await;
        r.assert_problem(422, Some(field));
    }
    let r = app.call("GET", "/api/v1/appeals?channel=post&registered_from=2025-03-03&registered_to=2025-03-03", Some(&app.admin), None).await;
    assert_eq!(r.json["items"].as_array().unwrap().len(), 1, "{}", r.json);
    let r = app.call("GET", &format!("/api/v1/appeals?executor_id={}", app.user_id("executor")), Some(&app.admin), None).await;
    assert_eq!(r.status, 200);
    app.call("GET", "/api/v1/me/assignments?cursor=00", Some(&app.executor), None).await.assert_problem(422, Some("cursor"));
    app.call("GET", "/api/v1/appeals/00000000-0000-0000-0000-000000000000/history?limit=0", Some(&app.admin), None).await.assert_problem(422, Some("limit"));
}

both_backends!(unauthorized_says_why);
async fn unauthorized_says_why(db: Db) {
    let app = TestApp::start(db).await;
    let code = |r: &Resp| r.json["code"].as_str().unwrap_or_default().to_string();
    let r = app.call("GET", "/api/v1/channels", None, None).await;
    r.assert_problem(401, None);
    assert_eq!(code(&r), "token_missing");
    let r = app.call("GET", "/api/v1/channels", Some("abc"), None).await;
    assert_eq!(code(&r), "token_malformed");
    let r = app.call("GET", "/api/v1/channels", Some(&format!("apl_{}", "0".repeat(64))), None).await;
    r.assert_problem(401, None);
    assert_eq!(code(&r), "token_unknown");
    assert!(cyrillic(r.json["detail"].as_str().unwrap()));
    let r = app.call("POST", "/api/v1/users", Some(&app.admin), Some(&json!({"login": "temp", "role": "clerk", "full_name": "Временный", "token_days": 1}))).await;
    let token = r.json["token"].as_str().unwrap().to_string();
    let user = r.json["user"]["id"].as_str().unwrap().to_string();
    app.set_now(start_instant() + chrono::Duration::days(2));
    let r = app.call("GET", "/api/v1/channels", Some(&token), None).await;
    assert_eq!((r.status, code(&r)), (401, "token_expired".to_string()));
    app.set_now(start_instant());
    app.call("POST", &format!("/api/v1/users/{user}/revoke-tokens"), Some(&app.admin), None).await;
    let r = app.call("GET", "/api/v1/channels", Some(&token), None).await;
    assert_eq!((r.status, code(&r)), (401, "token_revoked".to_string()));
}

both_backends!(an_executors_queue_pages_and_never_truncates);
async fn an_executors_queue_pages_and_never_truncates(db: Db) {
    let app = TestApp::start(db).await;
    let mut ids = Vec::new();
    for _ in 0..7 {
        let id = app.register(json!({})).await["id"].as_str().unwrap().to_string();
        assign(&app, &id, "executor").await;
        ids.push(id);
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor { Some(c) => format!("/api/v1/me/assignments?limit=3&cursor={c}"), None => "/api/v1/me/assignments?limit=3".into() };
        let r = app.call("GET", &path, Some(&app.executor), None).await;
        assert_eq!(r.status, 200, "{}", r.json);
        pages += 1;
        for i in r.json["items"].as_array().unwrap() {
            seen.push(i["id"].as_str().unwrap().to_string());
        }
        match r.json["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 7, "every assignment once: {seen:?}");
    app.call("GET", "/api/v1/me/assignments?limit=101", Some(&app.executor), None).await.assert_problem(422, Some("limit"));
}

both_backends!(executors_see_only_ids_of_appeals_they_may_open);
async fn executors_see_only_ids_of_appeals_they_may_open(db: Db) {
    let app = TestApp::start(db).await;
    let first = app.register(json!({})).await["id"].as_str().unwrap().to_string();
    let second = app.register(json!({})).await;
    let second_id = second["id"].as_str().unwrap().to_string();
    assert_eq!(second["related_appeal_ids"], json!([first]), "the same applicant and question link the two");
    assign(&app, &first, "executor2").await;
    assign(&app, &second_id, "executor").await;
    let r = app.call("GET", &format!("/api/v1/appeals/{second_id}"), Some(&app.executor), None).await;
    assert_eq!(r.json["related_appeal_ids"], json!([]), "{}", r.json);
    let list = app.call("GET", "/api/v1/appeals", Some(&app.executor), None).await;
    assert_eq!(list.json["items"][0]["related_appeal_ids"], json!([]));
    let h = app.call("GET", &format!("/api/v1/appeals/{second_id}/history"), Some(&app.executor), None).await;
    assert!(!h.json.to_string().contains(&first), "history leaks the other appeal: {}", h.json);
    // Those who may open it still see the link.
    let r = app.call("GET", &format!("/api/v1/appeals/{second_id}"), Some(&app.clerk), None).await;
    assert_eq!(r.json["related_appeal_ids"], json!([first]));
    let h = app.call("GET", &format!("/api/v1/appeals/{second_id}/history"), Some(&app.clerk), None).await;
    assert!(h.json.to_string().contains(&first));
    // Once assigned the earlier one too, the executor sees the link.
    assign(&app, &first, "executor").await;
    let r = app.call("GET", &format!("/api/v1/appeals/{second_id}"), Some(&app.executor), None).await;
    assert_eq!(r.json["related_appeal_ids"], json!([first]));
}

both_backends!(invisible_and_direction_changing_characters_are_refused_or_normalized);
async fn invisible_and_direction_changing_characters_are_refused_or_normalized(db: Db) {
    let app = TestApp::start(db).await;
    let refused: [(Value, &str); 5] = [
        (json!({"summary": "\u{200b}\u{200b}"}), "summary"),
        (json!({"applicants": [{"full_name": "Ива\u{200b}нов Иван", "postal_address": "г. Ухта"}]}), "applicants[0].full_name"),
        (json!({"applicants": [{"full_name": "Иванов \u{202e}Иван", "postal_address": "г. Ухта"}]}), "applicants[0].full_name"),
        (json!({"external_id": "ПОС-\u{2066}1"}), "external_id"),
        (json!({"questions": [{"code": "0003.0009.0097.0699\u{200b}"}]}), "questions[0].code"),
    ];
    for (over, field) in refused {
        app.call("POST", "/api/v1/appeals", Some(&app.clerk), Some(&appeal(over))).await.assert_problem(422, Some(field));
    }
    let r = app.call("POST", "/api/v1/imports/appeals", Some(&app.admin), Some(&json!({"items": [appeal(json!({"reg_number": "ОГ-2025-\u{202e}321000", "registered_at": "2025-03-03T08:00:00Z"}))]}))).await;
    r.assert_problem(422, Some("items[0].reg_number"));
    // NFC: «й» typed as «и» + combining breve is stored composed, and found either way.
    let card = app.register(json!({"applicants": [{"full_name": "Йошкина Анна", "postal_address": "г. Ухта"}], "summary": "Прои\u{0306}грыш"})).await;
    assert_eq!(card["summary"], "Про\u{0439}грыш");
    for q in ["Йошкина", "И\u{0306}ошкина", "Йош\u{200b}кина"] {
        let r = app.call("GET", &format!("/api/v1/appeals?q={}", urlencode(q)), Some(&app.clerk), None).await;
        assert_eq!(r.json["items"].as_array().map(|a| a.len()), Some(1), "q={q:?}: {}", r.json);
    }
    // Logins: ASCII, lower-cased, unique regardless of case.
    for (login, status) in [("victim\u{200b}", 422), ("v\u{0456}ctim", 422), ("Victim", 201), ("VICTIM", 409), ("victim", 409)] {
        let r = app.call("POST", "/api/v1/users", Some(&app.admin), Some(&json!({"login": login, "role": "clerk", "full_name": "Жертва Атаки"}))).await;
        assert_eq!(r.status, status, "{login:?}: {}", r.json);
        if status == 201 {
            assert_eq!(r.json["user"]["login"], "victim");
        }
    }
}

both_backends!(strict_edges_headers_etags_dates_and_paged_history);
async fn strict_edges_headers_etags_dates_and_paged_history(db: Db) {
    let app = TestApp::start(db).await;
    let id = app.register(json!({})).await["id"].as_str().unwrap().to_string();
    let body = json!({"executors": [{"user_id": app.user_id("executor"), "responsible": true}]}).to_string().into_bytes();
    let assign = format!("/api/v1/appeals/{id}/assign");
    app.raw("POST", &assign, Some(&app.clerk), Some(body.clone()), &[("If-Match", "W/\"1\"")]).await.assert_problem(412, None);
    for bad in ["\"1", "1", "\"x\"", "\"1\", \"2\""] {
        app.raw("POST", &assign, Some(&app.clerk), Some(body.clone()), &[("If-Match", bad)]).await.assert_problem(400, None);
    }
    let r = app.raw("POST", &assign, Some(&app.clerk), Some(body), &[("If-Match", "\"1\"")]).await;
    assert_eq!(r.status, 200, "{}", r.json);
    // Headers: nothing sniffed anywhere, nothing stored from the API, oversized headers 431.
    let r = app.call("GET", "/health", None, None).await;
    assert_eq!(r.header("X-Content-Type-Options"), Some("nosniff"));
    let r = app.call("GET", "/api/v1/nowhere", Some(&app.clerk), None).await;
    assert_eq!((r.status, r.header("X-Content-Type-Options")), (404, Some("nosniff")));
    let big = "a".repeat(20_000);
    let r = app.raw("GET", "/api/v1/channels", Some(&app.clerk), None, &[("X-Padding", big.as_str())]).await;
    r.assert_problem(431, None);
    assert_eq!(r.header("X-Content-Type-Options"), Some("nosniff"));
    // History pages: 7 reads make 8 entries, read 3 at a time.
    for _ in 0..6 {
        app.call("GET", &format!("/api/v1/appeals/{id}"), Some(&app.clerk), None).await;
    }
    let mut all = Vec::new();
    let mut path = format!("/api/v1/appeals/{id}/history?limit=3");
    loop {
        let r = app.call("GET", &path, Some(&app.clerk), None).await;
        assert_eq!(r.status, 200, "{}", r.json);
        all.extend(r.json["items"].as_array().unwrap().iter().map(|i| i["action"].as_str().unwrap().to_string()));
        match r.json["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/appeals/{id}/history?limit=3&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(all.len(), 8, "{all:?}");
    assert_eq!(all[0], "registered");
    assert_eq!(all[1], "assign");
}

both_backends!(users_and_departments_are_administered_over_the_api);
async fn users_and_departments_are_administered_over_the_api(db: Db) {
    let app = TestApp::start(db).await;
    let r = app.call("POST", "/api/v1/departments", Some(&app.admin), Some(&json!({"code": "OOG", "name": "Отдел по работе с обращениями граждан"}))).await;
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(r.json["code"], "oog");
    app.call("POST", "/api/v1/departments", Some(&app.admin), Some(&json!({"code": "oog", "name": "Дубль"}))).await.assert_problem(409, None);
    app.call("POST", "/api/v1/departments", Some(&app.admin), Some(&json!({"code": "отдел", "name": "\u{200b}"}))).await.assert_problem(422, Some("name"));
    let r = app.call("GET", "/api/v1/departments", Some(&app.clerk), None).await;
    assert_eq!(r.json["items"], json!([{"code": "oog", "name": "Отдел по работе с обращениями граждан"}]));
    let exec2 = app.user_id("executor2");
    let path = format!("/api/v1/users/{exec2}");
    let r = app.call("PATCH", &path, Some(&app.admin), Some(&json!({"department": "oog", "role": "clerk"}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!((r.json["department"].as_str(), r.json["role"].as_str(), r.json["active"].as_bool()), (Some("oog"), Some("clerk"), Some(true)));
    app.call("PATCH", &path, Some(&app.admin), Some(&json!({"department": "nope"}))).await.assert_problem(422, Some("department"));
    app.call("PATCH", &path, Some(&app.admin), Some(&json!([null, null]))).await.assert_problem(422, Some("body"));
    app.call("PATCH", &path, Some(&app.admin), Some(&json!({"nickname": "x"}))).await.assert_problem(422, Some("nickname"));
    app.call("PATCH", &path, Some(&app.admin), Some(&json!({"password": "x", "role": "root"}))).await.assert_problem(422, Some("role"));
    app.call("PATCH", &path, Some(&app.admin), Some(&json!({"password": "x"}))).await.assert_problem(422, Some("password"));
    let r = app.call("PATCH", &path, Some(&app.admin), Some(&json!({"department": null}))).await;
    assert_eq!((r.json["department"].clone(), r.json["role"].clone()), (Value::Null, json!("clerk")));
    // Disabled: the user's token stops at once and says why; the list shows them to admins only.
    let r = app.call("PATCH", &path, Some(&app.admin), Some(&json!({"active": false}))).await;
    assert_eq!(r.json["active"], false);
    let r = app.call("GET", "/api/v1/channels", Some(&app.executor2), None).await;
    assert_eq!((r.status, r.json["code"].as_str()), (401, Some("user_disabled")));
    let listed = |r: &Resp| r.json["items"].as_array().unwrap().iter().any(|u| u["id"] == exec2.as_str());
    assert!(!listed(&app.call("GET", "/api/v1/users", Some(&app.clerk), None).await));
    assert!(listed(&app.call("GET", "/api/v1/users?include_disabled=true", Some(&app.admin), None).await));
    assert_eq!(app.call("GET", "/api/v1/users?include_disabled=true", Some(&app.supervisor), None).await.status, 403);
    // Enabled again: the right to sign in comes back, the old token does not.
    app.call("PATCH", &path, Some(&app.admin), Some(&json!({"active": true}))).await;
    let r = app.call("GET", "/api/v1/channels", Some(&app.executor2), None).await;
    assert_eq!((r.status, r.json["code"].as_str()), (401, Some("token_revoked")));
    // An administrator cannot lock themselves out; unknown users are 404.
    let me = format!("/api/v1/users/{}", app.user_id("admin"));
    app.call("PATCH", &me, Some(&app.admin), Some(&json!({"active": false}))).await.assert_problem(422, Some("active"));
    app.call("PATCH", &me, Some(&app.admin), Some(&json!({"role": "clerk"}))).await.assert_problem(422, Some("role"));
    app.call("POST", &format!("{me}/revoke-tokens"), Some(&app.admin), None).await.assert_problem(422, Some("id"));
    assert_eq!(app.call("GET", "/api/v1/channels", Some(&app.admin), None).await.status, 200);
    app.call("PATCH", &format!("/api/v1/users/{}", uuid::Uuid::new_v4()), Some(&app.admin), Some(&json!({"active": true}))).await.assert_problem(404, None);
}

both_backends!(users_are_administered_from_the_command_line);
async fn users_are_administered_from_the_command_line(db: Db) {
    let app = TestApp::start(db).await;
    let url = app.state.settings.database_url.clone();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_appeals"))
            .args(args)
            .env("DATABASE_URL", &url)
            .env("RUST_LOG", "warn")
            .output()
            .expect("the binary runs");
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let list = run(&["user", "list"]);
    assert!(list.lines().any(|l| l.starts_with("executor2\texecutor\tyes")), "{list}");
    run(&["user", "set-role", "--login", "Executor2", "--role", "supervisor"]);
    let token = run(&["user", "token", "--login", "executor2"]).trim().to_string();
    assert!(token.starts_with("apl_") && !token.contains('\n'), "only the token is printed: {token}");
    let r = app.call("GET", "/api/v1/users?role=supervisor", Some(&token), None).await;
    assert_eq!(r.status, 200, "the new token works and carries the new role: {}", r.json);
    run(&["user", "disable", "--login", "executor2"]);
    let r = app.call("GET", "/api/v1/channels", Some(&token), None).await;
    assert_eq!((r.status, r.json["code"].as_str()), (401, Some("user_disabled")));
    assert!(run(&["user", "list"]).lines().any(|l| l.starts_with("executor2\tsupervisor\tno")));
}

both_backends!(every_reference_of_the_served_contract_resolves);
async fn every_reference_of_the_served_contract_resolves(db: Db) {
    let app = TestApp::start(db).await;
    let r = app.call("GET", "/api/v1/openapi.yaml", None, None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json.as_str(), Some(appeals::api::openapi_yaml().as_str()), "served = generated");
    let spec = serde_json::to_value(appeals::api::openapi()).unwrap();
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    match (k.as_str(), x.as_str()) {
                        ("$ref", Some(r)) => out.push(r.to_string()),
                        _ => refs(x, out),
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&spec, &mut all);
    assert!(all.len() > 50);
    for r in all {
        let pointer = r.strip_prefix('#').unwrap_or_else(|| panic!("external reference {r}"));
        assert!(spec.pointer(pointer).is_some(), "{r} does not resolve");
    }
    // The documented problem cases stay.
    let assign = &spec["paths"]["/api/v1/appeals/{id}/assign"]["post"]["responses"];
    for code in ["409", "412", "422"] {
        assert!(assign.get(code).is_some(), "assign documents {code}");
    }
    assert!(spec["paths"]["/api/v1/appeals"]["post"]["responses"].get("409").is_some());
}

both_backends!(repeat_detection_sees_through_unicode_forms);
async fn repeat_detection_sees_through_unicode_forms(db: Db) {
    let app = TestApp::start(db).await;
    // The same surname typed composed and decomposed (й = и + U+0306), address likewise.
    let first = app.register(json!({"applicants": [{"full_name": "Йошкина Анна", "postal_address": "г. Ухта, ул. Мира, д. 1"}]})).await;
    let second = app.register(json!({"applicants": [{"full_name": "И\u{0306}ошкина  Анна", "postal_address": "г. Ухта, ул. Мира, д. 1"}]})).await;
    assert_eq!(second["related_appeal_ids"], json!([first["id"]]), "{second}");
    assert_eq!(second["applicants"][0]["full_name"], "Йошкина  Анна");
}
