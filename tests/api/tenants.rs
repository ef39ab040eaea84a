//! Organizations as tenants of one instance: adding them and their users, each organization's
//! settings over the config file's, the region's read-only role, and isolation proven over every
//! documented operation: a user of one organization gets 404 for every id of another and never
//! sees its rows in any list, search, board, queue, statistics, report, export or download.

use crate::support::*;
use serde_json::{json, Value};

const MARKER: &str = "Тенантова";

/// Organization B's objects: an appeal with a pending answer, a campaign and one of its letters,
/// a reception visitor, a notification and a user; every id any documented path may take.
struct Foreign {
    appeal: String,
    answer: String,
    campaign: String,
    member: String,
    visitor: String,
    notification: String,
    user: String,
}

async fn fill_foreign(app: &TestApp, b: &OtherOrg) -> Foreign {
    let (clerk, exec) = (b.token("clerk"), b.token("executor"));
    let over = json!({"applicants": [{"full_name": format!("{MARKER} Вера Ильинична"), "postal_address": "140000, г. Люберцы, ул. Мира, д. 1", "email": "tenant@example.ru"}],
        "summary": format!("{MARKER}: просит починить фонтан в парке")});
    let r = app.call("POST", "/api/v1/appeals", Some(&clerk), Some(&appeal(over))).await;
    assert_eq!(r.status, 201, "{}", r.json);
    let id = r.json["id"].as_str().unwrap().to_string();
    let r = app.call("POST", &format!("/api/v1/appeals/{id}/assign"), Some(&clerk), Some(&json!({"executors": [{"user_id": b.ids["executor"], "responsible": true}]}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let r = app.call("POST", &format!("/api/v1/appeals/{id}/answers"), Some(&exec), Some(&json!({"text": "Черновик", "results": [{"code": "0003.0009.0097.0699", "result": "explained"}]}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let answer = r.json["answers"][0]["id"].as_str().unwrap().to_string();
    let n = 7000;
    for i in 0..2 {
        let r = app.call("POST", "/api/v1/appeals", Some(&clerk), Some(&appeal(crate::campaigns::campaign_letter(n + i)))).await;
        assert_eq!(r.status, 201, "{}", r.json);
    }
    let r = app.call("GET", "/api/v1/campaigns", Some(&b.token("supervisor")), None).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let campaign = r.json["items"][0]["id"].as_str().unwrap_or_else(|| panic!("B has a campaign: {}", r.json)).to_string();
    let r = app.call("GET", &format!("/api/v1/campaigns/{campaign}"), Some(&b.token("supervisor")), None).await;
    let member = r.json["appeals"][0]["id"].as_str().or_else(|| r.json["members"][0]["id"].as_str()).map(String::from).unwrap_or_else(|| id.clone());
    let r = app.call("POST", "/api/v1/receptions", Some(&clerk), Some(&json!({"official": "Глава", "official_role": "head", "held_on": "2025-03-03", "starts_at": "10:00", "place": "каб. 1"}))).await;
    assert_eq!(r.status, 201, "{}", r.json);
    let reception = r.json["id"].as_str().unwrap().to_string();
    let r = app.call("POST", "/api/v1/receptions/bookings", Some(&clerk), Some(&json!({"reception_id": reception, "full_name": format!("{MARKER} Пётр"), "contact": "+79005554433"}))).await;
    assert_eq!(r.status, 201, "{}", r.json);
    let visitor = r.json["visitors"].as_array().unwrap().last().unwrap()["id"].as_str().unwrap().to_string();
    let r = app.call("GET", "/api/v1/notifications", Some(&b.token("admin")), None).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let notification = r.json["items"][0]["id"].as_str().unwrap_or_else(|| panic!("B's acknowledgement: {}", r.json)).to_string();
    Foreign { appeal: id, answer, campaign, member, visitor, notification, user: b.ids["executor"].clone() }
}

/// The same path with B's ids in it.
fn with_foreign_ids(path: &str, f: &Foreign, b: &OtherOrg) -> String {
    let id = if path.starts_with("/api/v1/campaigns/") {
        &f.campaign
    } else if path.starts_with("/api/v1/receptions/visitors/") {
        &f.visitor
    } else if path.starts_with("/api/v1/notifications/") {
        &f.notification
    } else if path.starts_with("/api/v1/users/") {
        &f.user
    } else if path.starts_with("/api/v1/organizations/") {
        &b.id
    } else {
        &f.appeal
    };
    path.replace("{answer_id}", &f.answer).replace("{appeal_id}", &f.member).replace("{id}", id)
}

/// Query parameters that make a read return data (a period covering the test's day).
fn query_for(path: &str) -> &'static str {
    match path {
        "/api/v1/stats" => "?from=2025-01-01&to=2025-12-31",
        "/api/v1/reports/annual" => "?year=2025",
        "/api/v1/exports/sstu" => "?month=2025-03",
        "/api/v1/exports/gasu/appeals" | "/api/v1/exports/gasu/reception" => "?month=2025-03&format=csv",
        "/api/v1/receptions" => "?from=2025-03-01&to=2025-03-31",
        "/api/v1/appeals" => "?limit=100",
        _ => "",
    }
}

both_backends!(one_organization_never_reaches_another);
async fn one_organization_never_reaches_another(db: Db) {
    let app = TestApp::start(db).await;
    let b = app.second_org("lub").await;
    let f = fill_foreign(&app, &b).await;
    // Organization A's own appeal, so its lists are not trivially empty.
    let own = app.register(json!({})).await;
    let own_id = own["id"].as_str().unwrap().to_string();
    let foreign_ids = [&f.appeal, &f.answer, &f.campaign, &f.member, &f.visitor, &f.notification, &f.user, &b.id];
    let spec = serde_json::to_value(appeals::api::openapi()).unwrap();
    let who = [("admin", app.admin.clone()), ("supervisor", app.supervisor.clone()), ("clerk", app.clerk.clone()), ("executor", app.executor.clone())];
    let mut reads = 0;
    for (path, ops) in spec["paths"].as_object().unwrap() {
        if !path.starts_with("/api/v1/") || path.starts_with("/api/v1/organizations") {
            continue;
        }
        for method in ops.as_object().unwrap().keys() {
            let method = method.to_uppercase();
            let rule = crate::security::RULES.iter().find(|(m, p, _)| *m == method && p == path).map(|r| r.2).unwrap_or(&[]);
            for (role, token) in &who {
                if path.contains('{') {
                    // Every id of B: 404 to a role that may otherwise call it, 403 to one that may not.
                    let concrete = with_foreign_ids(path, &f, &b);
                    let body = if method == "POST" || method == "PATCH" { crate::security::body_for(&app, path).or(Some(json!({}))) } else { None };
                    let r = app.call(&method, &concrete, Some(token), body.as_ref()).await;
                    let may = rule.contains(role) || (*role == "executor" && rule.contains(&"executor(own)"));
                    let what = format!("{method} {concrete} as A's {role}");
                    if may && !path.starts_with("/api/v1/users/") {
                        assert_eq!(r.status, 404, "{what} must not reveal B's object: {}", r.json);
                    } else {
                        assert!(r.status == 404 || r.status == 403 || r.status == 422, "{what} → {} {}", r.status, r.json);
                    }
                } else if method == "GET" {
                    let r = app.raw("GET", &format!("{path}{}", query_for(path)), Some(token), None, &[]).await;
                    if r.status != 200 {
                        continue;
                    }
                    reads += 1;
                    let text = r.json.to_string();
                    assert!(!text.contains(MARKER), "GET {path} as A's {role} shows B's rows: {text}");
                    for id in foreign_ids {
                        assert!(!text.contains(id.as_str()), "GET {path} as A's {role} shows B's id {id}");
                    }
                }
            }
        }
    }
    assert!(reads > 30, "reads checked: {reads}");
    // Search by B's words, the board and the queue, statistics by count.
    for q in [MARKER, "фонтан"] {
        let r = app.call("GET", &format!("/api/v1/appeals?q={}", urlencode(q)), Some(&app.admin), None).await;
        assert_eq!(r.status, 200, "{}", r.json);
        assert_eq!(r.json["items"].as_array().unwrap().len(), 0, "search «{q}» finds B's appeal: {}", r.json);
    }
    let r = app.call("GET", "/api/v1/stats?from=2025-01-01&to=2025-12-31", Some(&app.supervisor), None).await;
    assert_eq!(r.json["appeals"]["current"], 1, "A's statistics count A's one appeal: {}", r.json["appeals"]);
    let r = app.call("GET", "/api/v1/stats?from=2025-01-01&to=2025-12-31", Some(&b.token("supervisor")), None).await;
    assert_eq!(r.json["appeals"]["current"], 3, "B's count its three: {}", r.json["appeals"]);
    // The other way round: B sees none of A's.
    let r = app.call("GET", &format!("/api/v1/appeals/{own_id}"), Some(&b.token("admin")), None).await;
    r.assert_problem(404, None);
    let r = app.call("GET", "/api/v1/appeals?limit=100", Some(&b.token("clerk")), None).await;
    assert!(!r.json.to_string().contains(&own_id));
    // The web pages, signed in as A's staff: the board, the registry and its search and CSV, the
    // queue and the statistics show nothing of B's; B's card and its print are not found.
    crate::web::set_passwords(&app);
    for login in ["admin", "supervisor", "clerk", "executor"] {
        let mut browser = crate::web::Browser::new(&app);
        browser.sign_in(login).await;
        for page in ["/", "/appeals", "/appeals?q=%D0%A2%D0%B5%D0%BD%D0%B0%D0%BD%D1%82%D0%BE%D0%B2%D0%B0", "/registry.csv", "/me", "/statistics?from=2025-01-01&to=2025-12-31"] {
            let p = browser.get(page).await;
            if p.status == 403 {
                continue;
            }
            assert_eq!(p.status, 200, "{page} as A's {login}: {}", p.body);
            // (The search page repeats its query, B's surname, in its box: B's rows are what must not show.)
            let b_rows = [f.appeal.as_str(), "Вера Ильинична", "починить фонтан", "tenant@example.ru"];
            assert!(!b_rows.iter().any(|b| p.body.contains(b)), "{page} as A's {login} shows B's appeal");
        }
        for page in [format!("/appeals/{}", f.appeal), format!("/appeals/{}/print", f.appeal)] {
            assert_eq!(browser.get(&page).await.status, 404, "{page} as A's {login}");
        }
    }
}

both_backends!(the_regional_supervisor_reads_any_organization_and_acts_on_none);
async fn the_regional_supervisor_reads_any_organization_and_acts_on_none(db: Db) {
    let app = TestApp::start(db).await;
    let b = app.second_org("kor").await;
    let f = fill_foreign(&app, &b).await;
    let rs = app.regional_supervisor.clone();
    // Without `organization` it reads its own organization (A): nothing of B's.
    let r = app.call("GET", "/api/v1/appeals?limit=100", Some(&rs), None).await;
    assert_eq!(r.status, 200);
    assert!(!r.json.to_string().contains(&f.appeal));
    app.call("GET", &format!("/api/v1/appeals/{}", f.appeal), Some(&rs), None).await.assert_problem(404, None);
    // Naming B: its registry, the card (a recorded read), statistics and exports.
    let q = format!("organization={}", b.id);
    let r = app.call("GET", &format!("/api/v1/appeals?limit=100&{q}"), Some(&rs), None).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert!(r.json.to_string().contains(&f.appeal));
    let r = app.call("GET", &format!("/api/v1/appeals/{}?{q}", f.appeal), Some(&rs), None).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert!(r.json.to_string().contains(MARKER), "the card shows the applicant");
    let reads: Vec<Count> = app.rows(&format!("SELECT COUNT(*) AS n FROM history WHERE appeal_id = '{}' AND action = 'viewed' AND actor_id = '{}'", f.appeal, app.user_id("regional_supervisor")));
    assert!(reads[0].n >= 1, "the card's read is recorded");
    let r = app.call("GET", &format!("/api/v1/stats?from=2025-01-01&to=2025-12-31&{q}"), Some(&rs), None).await;
    assert_eq!(r.json["appeals"]["current"], 3, "{}", r.json["appeals"]);
    let r = app.call("GET", &format!("/api/v1/exports/gasu/appeals?month=2025-03&format=csv&{q}"), Some(&rs), None).await;
    assert_eq!(r.status, 200, "{}", r.json);
    // No action, in any organization.
    for (path, body) in [
        (format!("/api/v1/appeals/{}/assign?{q}", f.appeal), json!({"executors": [{"user_id": b.ids["executor"], "responsible": true}]})),
        (format!("/api/v1/appeals?{q}"), appeal(json!({}))),
        (format!("/api/v1/appeals/{}/extend?{q}", f.appeal), json!({"days": 5, "reason": "Запрос"})),
        ("/api/v1/receptions".into(), json!({"official": "Глава", "official_role": "head", "held_on": "2025-03-03", "starts_at": "10:00", "place": "каб. 1"})),
    ] {
        app.call("POST", &path, Some(&rs), Some(&body)).await.assert_problem(403, None);
    }
    app.call("PATCH", &format!("/api/v1/campaigns/{}?{q}", f.campaign), Some(&rs), Some(&json!({"title": "x"}))).await.assert_problem(403, None);
    // An empty value is 422 naming the parameter; an unknown organization is 404; another role
    // naming a foreign one is 403.
    app.call("GET", "/api/v1/appeals?organization=", Some(&rs), None).await.assert_problem(422, Some("organization"));
    app.call("POST", "/api/v1/users/x/revoke-tokens?organization=", Some(&app.regional_admin), None).await.assert_problem(422, Some("organization"));
    app.call("GET", &format!("/api/v1/appeals?organization={}", uuid::Uuid::new_v4()), Some(&rs), None).await.assert_problem(404, None);
    app.call("GET", &format!("/api/v1/appeals?{q}"), Some(&app.admin), None).await.assert_problem(403, None);
    app.call("GET", &format!("/api/v1/stats?from=2025-01-01&to=2025-12-31&{q}"), Some(&app.supervisor), None).await.assert_problem(403, None);
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

both_backends!(organizations_are_added_validated_and_changed_by_the_regional_administrator);
async fn organizations_are_added_validated_and_changed_by_the_regional_administrator(db: Db) {
    let app = TestApp::start(db).await;
    let ra = app.regional_admin.clone();
    let r = app.call("POST", "/api/v1/organizations", Some(&ra), Some(&json!({"code": "dzr", "name": "Администрация г. Дзержинский", "time_zone": "Europe/Moscow", "sstu_department_id": "6F2A0C1E-1111-4222-8333-444455556666", "parent_id": app.org}))).await;
    assert_eq!(r.status, 201, "{}", r.json);
    let id = r.json["id"].as_str().unwrap().to_string();
    assert_eq!(r.json["organization"]["parent_id"], app.org.as_str());
    assert_eq!(r.json["organization"]["effective"]["sstu_department_id"], "6f2a0c1e-1111-4222-8333-444455556666");
    assert_eq!(r.json["organization"]["effective"]["reg_number_template"], "ОГ-{year}-{seq:06}", "the config file's default");
    // Code unique (409 naming it), time zone IANA (422), parent known (422), unknown fields 422.
    let dup = app.call("POST", "/api/v1/organizations", Some(&ra), Some(&json!({"code": "dzr", "name": "Другая", "time_zone": "Europe/Moscow"}))).await;
    dup.assert_problem(409, None);
    assert_eq!(dup.json["field"], "code", "{}", dup.json);
    app.call("POST", "/api/v1/organizations", Some(&ra), Some(&json!({"code": "x1", "name": "Икс", "time_zone": "Moscow/Europe"}))).await.assert_problem(422, Some("time_zone"));
    app.call("POST", "/api/v1/organizations", Some(&ra), Some(&json!({"code": "x2", "name": "Икс", "time_zone": "Europe/Moscow", "parent_id": uuid::Uuid::new_v4()}))).await.assert_problem(422, Some("parent_id"));
    app.call("POST", "/api/v1/organizations", Some(&ra), Some(&json!({"code": "x3", "name": "Икс", "time_zone": "Europe/Moscow", "head": "?"}))).await.assert_problem(422, None);
    app.call("POST", "/api/v1/organizations", Some(&ra), Some(&json!({"code": "код с пробелом", "name": "Икс", "time_zone": "Europe/Moscow"}))).await.assert_problem(422, Some("code"));
    // The organization's own administrator may not add one, and reads only its own.
    app.call("POST", "/api/v1/organizations", Some(&app.admin), Some(&json!({"code": "x4", "name": "Икс", "time_zone": "Europe/Moscow"}))).await.assert_problem(403, None);
    let list = app.call("GET", "/api/v1/organizations", Some(&app.admin), None).await;
    assert_eq!(list.json["items"].as_array().unwrap().len(), 1);
    app.call("GET", &format!("/api/v1/organizations/{id}"), Some(&app.admin), None).await.assert_problem(404, None);
    let list = app.call("GET", "/api/v1/organizations", Some(&ra), None).await;
    assert_eq!(list.json["items"].as_array().unwrap().len(), 2);

    // Its own templates over the config file's: the next registration is numbered by them.
    let r = app.call("PATCH", &format!("/api/v1/organizations/{id}"), Some(&ra), Some(&json!({"name": "Администрация городского округа Дзержинский", "reg_number_template": "ДЗ-{year}-{seq:04}"}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    app.call("PATCH", &format!("/api/v1/organizations/{id}"), Some(&ra), Some(&json!({"time_zone": "Mars/Olympus"}))).await.assert_problem(422, Some("time_zone"));
    app.call("PATCH", &format!("/api/v1/organizations/{id}"), Some(&ra), Some(&json!({"reg_number_template": "без номера"}))).await.assert_problem(422, Some("reg_number_template"));
    app.call("PATCH", &format!("/api/v1/organizations/{}", uuid::Uuid::new_v4()), Some(&ra), Some(&json!({"name": "Нет"}))).await.assert_problem(404, None);
    let r = app.call("POST", "/api/v1/users", Some(&ra), Some(&json!({"login": "dz_clerk", "role": "clerk", "full_name": "Регистратор Дзержинского", "organization_id": id}))).await;
    assert_eq!(r.status, 201, "{}", r.json);
    let dz_clerk = r.json["token"].as_str().unwrap().to_string();
    let card = app.call("POST", "/api/v1/appeals", Some(&dz_clerk), Some(&appeal(json!({})))).await;
    assert_eq!(card.status, 201, "{}", card.json);
    assert_eq!(card.json["reg_number"], "ДЗ-2025-0001");
    // A's numbering is untouched, and its counter its own.
    assert_eq!(app.register(json!({})).await["reg_number"], "ОГ-2025-000001");
    // Cleared: back to the config file's template.
    let r = app.call("PATCH", &format!("/api/v1/organizations/{id}"), Some(&ra), Some(&json!({"reg_number_template": ""}))).await;
    assert_eq!(r.json["reg_number_template"], Value::Null);
    let card = app.call("POST", "/api/v1/appeals", Some(&dz_clerk), Some(&appeal(json!({})))).await;
    assert_eq!(card.json["reg_number"], "ОГ-2025-000002");
    // Deactivated: kept, listed as inactive.
    let r = app.call("PATCH", &format!("/api/v1/organizations/{id}"), Some(&ra), Some(&json!({"active": false}))).await;
    assert_eq!(r.json["active"], false);
}

both_backends!(users_belong_to_one_organization_and_logins_are_unique_in_the_instance);
async fn users_belong_to_one_organization_and_logins_are_unique_in_the_instance(db: Db) {
    let app = TestApp::start(db).await;
    let b = app.second_org("bal").await;
    // A login taken in another organization is taken.
    let r = app.call("POST", "/api/v1/users", Some(&app.admin), Some(&json!({"login": "bal_clerk", "role": "clerk", "full_name": "Тёзка"}))).await;
    r.assert_problem(409, None);
    assert_eq!(r.json["field"], "login");
    // An organization's administrator adds users to its own only, and gives no regional role.
    app.call("POST", "/api/v1/users", Some(&app.admin), Some(&json!({"login": "a1", "role": "clerk", "full_name": "Икс", "organization_id": b.id}))).await.assert_problem(403, None);
    let r = app.call("POST", "/api/v1/users", Some(&app.admin), Some(&json!({"login": "a2", "role": "clerk", "full_name": "Свой", "organization_id": app.org}))).await;
    assert_eq!(r.status, 201, "{}", r.json);
    app.call("POST", "/api/v1/users", Some(&app.admin), Some(&json!({"login": "a3", "role": "regional_supervisor", "full_name": "Икс"}))).await.assert_problem(403, None);
    app.call("PATCH", &format!("/api/v1/users/{}", app.user_id("clerk")), Some(&app.admin), Some(&json!({"role": "regional_admin"}))).await.assert_problem(403, None);
    // B's administrator cannot touch A's users: 404.
    app.call("PATCH", &format!("/api/v1/users/{}", app.user_id("clerk")), Some(&b.token("admin")), Some(&json!({"role": "executor"}))).await.assert_problem(404, None);
    // The regional administrator: an unknown organization is 422 naming it; any organization's users by `?organization=`.
    app.call("POST", "/api/v1/users", Some(&app.regional_admin), Some(&json!({"login": "a4", "role": "clerk", "full_name": "Икс", "organization_id": uuid::Uuid::new_v4()}))).await.assert_problem(422, Some("organization_id"));
    let r = app.call("GET", &format!("/api/v1/users?organization={}", b.id), Some(&app.regional_admin), None).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let logins: Vec<&str> = r.json["items"].as_array().unwrap().iter().filter_map(|u| u["login"].as_str()).collect();
    assert!(logins.contains(&"bal_clerk") && !logins.contains(&"clerk"), "{logins:?}");
    let r = app.call("PATCH", &format!("/api/v1/users/{}?organization={}", b.ids["clerk"], b.id), Some(&app.regional_admin), Some(&json!({"active": false}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    app.call("GET", "/api/v1/channels", Some(&b.token("clerk")), None).await.assert_problem(401, None);
}

// A database that two organizations share a login in is refused, the login named; once the
// operator renames one, the migration runs and the existing registry keeps working.
both_backends!(the_unique_login_migration_refuses_a_shared_login_and_keeps_the_registry);
async fn the_unique_login_migration_refuses_a_shared_login_and_keeps_the_registry(db: Db) {
    use diesel_migrations::MigrationHarness;
    let app = TestApp::start(db).await;
    let card = app.register(json!({})).await;
    let id = card["id"].as_str().unwrap().to_string();
    // Back to the single-body schema of 000039 (the migration's own down file).
    let revert = |app: &TestApp| match &app.pool {
        appeals::store::DbPool::Sqlite(p) => {
            p.get().unwrap().revert_last_migration(appeals::store::pool::SQLITE_MIGRATIONS).unwrap().to_string()
        }
        appeals::store::DbPool::Pg(p) => p.get().unwrap().revert_last_migration(appeals::store::pool::PG_MIGRATIONS).unwrap().to_string(),
    };
    // The later migrations first, then 000040 itself.
    let mut reverted = Vec::new();
    while !reverted.last().is_some_and(|v: &String| v.contains("000040")) {
        reverted.push(revert(&app));
        assert!(reverted.len() < 20, "000040 never reverted: {reverted:?}");
    }
    let now = "2025-03-03 07:00:00";
    app.sql(&format!(
        "INSERT INTO organizations (id, code, name, time_zone, created_at) VALUES ('00000000-0000-4000-8000-0000000000b1', 'other', 'Другая', 'Europe/Moscow', '{now}');
         INSERT INTO users (id, organization_id, login, full_name, role, active, created_at) VALUES ('00000000-0000-4000-8000-0000000000b2', '00000000-0000-4000-8000-0000000000b1', 'clerk', 'Тёзка', 'clerk', TRUE, '{now}');"
    ));
    let err = app.pool.migrate().expect_err("a shared login refuses the migration");
    let msg = err.to_string();
    assert!(msg.contains("логин «clerk» есть в двух организациях"), "{msg}");
    app.sql("UPDATE users SET login = 'clerk_other' WHERE id = '00000000-0000-4000-8000-0000000000b2'");
    assert_eq!(app.pool.migrate().expect("migrates once the logins differ"), reverted.len());
    // The registry as it was: the card reads, the next number follows.
    app.state.orgs.clear();
    let r = app.call("GET", &format!("/api/v1/appeals/{id}"), Some(&app.clerk), None).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(app.register(json!({})).await["reg_number"], "ОГ-2025-000002");
}
