//! Bulk actions (`POST /api/v1/appeals/bulk` and the pages' action bar): each appeal answered
//! as the single action would answer it, batches of hundreds, all or nothing, two batches over
//! the same appeals at once, exactly the single actions' statistics, notices and history, and
//! the pages' checkboxes, form and result page over HTTP with cookies.

use crate::support::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;

const BULK: &str = "/api/v1/appeals/bulk";

/// Imports `n` appeals (one request, as a legacy registry would arrive); their ids in order.
async fn many(app: &TestApp, n: usize, tag: &str) -> Vec<String> {
    let items: Vec<Value> = (0..n)
        .map(|i| {
            appeal(json!({
                "registered_at": format!("2025-03-03T06:{:02}:{:02}Z", (i / 60) % 60, i % 60),
                "applicants": [{"full_name": format!("Заявитель {tag} {i}"), "postal_address": format!("г. Ухта, д. {i}"), "email": format!("z{tag}{i}@example.ru")}],
            }))
        })
        .collect();
    let r = app.call("POST", "/api/v1/imports/appeals", Some(&app.admin), Some(&json!({"items": items}))).await;
    assert_eq!(r.status, 201, "{}", r.json);
    r.json["ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
}

fn assign_to(app: &TestApp, login: &str) -> Value {
    json!({"executors": [{"user_id": app.user_id(login), "responsible": true}], "instruction": "Рассмотреть и подготовить ответ"})
}

/// One number from the test's database.
fn scalar(app: &TestApp, sql: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let rows: Vec<N> = app.rows(sql);
    rows[0].n
}

/// (key, count) rows of a grouping query whose columns are `k` (text) and `n` (bigint).
fn grouped(app: &TestApp, sql: &str) -> BTreeMap<String, i64> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        k: String,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let rows: Vec<Row> = app.rows(sql);
    rows.into_iter().filter(|r| r.n != 0).map(|r| (r.k, r.n)).collect()
}

/// Everything a control action leaves behind besides the card: statistics deltas by figure
/// and dimension, notices by kind and state, history entries by action.
fn footprint(app: &TestApp) -> BTreeMap<String, i64> {
    let mut all = BTreeMap::new();
    for (prefix, sql) in [
        ("stats", "SELECT figure || '/' || dim AS k, CAST(SUM(n) AS BIGINT) AS n FROM stats_deltas GROUP BY figure, dim"),
        ("outbox", "SELECT kind || '/' || status AS k, CAST(COUNT(*) AS BIGINT) AS n FROM notifications GROUP BY kind, status"),
        ("history", "SELECT action AS k, CAST(COUNT(*) AS BIGINT) AS n FROM history GROUP BY action"),
        ("plan", "SELECT 'queued' AS k, CAST(COUNT(*) AS BIGINT) AS n FROM plan_queue"),
    ] {
        for (k, n) in grouped(app, sql) {
            all.insert(format!("{prefix}:{k}"), n);
        }
    }
    all
}

fn minus(a: &BTreeMap<String, i64>, b: &BTreeMap<String, i64>) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    for k in a.keys().chain(b.keys()) {
        let d = a.get(k).copied().unwrap_or(0) - b.get(k).copied().unwrap_or(0);
        if d != 0 {
            out.insert(k.clone(), d);
        }
    }
    out
}

fn statuses(r: &Resp) -> Vec<u64> {
    r.json["results"].as_array().unwrap_or_else(|| panic!("{}", r.json)).iter().map(|x| x["status"].as_u64().unwrap()).collect()
}

both_backends!(two_hundred_appeals_assigned_in_one_request);
async fn two_hundred_appeals_assigned_in_one_request(db: Db) {
    let app = TestApp::start(db).await;
    let ids = many(&app, 200, "a").await;
    let r = app.call("POST", BULK, Some(&app.clerk), Some(&json!({"action": "assign", "ids": ids, "params": assign_to(&app, "executor")}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!((r.json["done"].as_u64(), r.json["refused"].as_u64()), (Some(200), Some(0)));
    let rows = r.json["results"].as_array().unwrap();
    // Every row in the request's order, at the card's next version.
    for (row, id) in rows.iter().zip(&ids) {
        assert_eq!(row["id"], json!(id));
        assert_eq!(row["status"], 200);
        assert_eq!(row["version"], 2, "{row}");
        assert!(row.get("code").is_none());
    }
    let bulk_id = r.json["bulk_id"].as_str().unwrap().to_string();
    // Each appeal's history shows the resolution as its own entry, linked by the batch's id.
    let h = app.call("GET", &format!("/api/v1/appeals/{}/history", ids[137]), Some(&app.supervisor), None).await;
    let entry = h.json["items"].as_array().unwrap().iter().find(|e| e["action"] == "assign").expect("an assign entry").clone();
    assert_eq!(entry["details"]["bulk_id"], json!(bulk_id), "{entry}");
    assert_eq!(entry["actor"], json!(app.user_id("clerk")), "{entry}");
    assert_eq!(scalar(&app, &format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM history WHERE action = 'assign' AND details LIKE '%{bulk_id}%'")), 200);
    assert_eq!(scalar(&app, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM appeals WHERE status = 'in_work' AND put_on_control_at IS NOT NULL"), 200);
    assert_eq!(scalar(&app, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM assignments WHERE active AND responsible"), 200);
    // The executor now has them, and the card says so.
    let card = app.call("GET", &format!("/api/v1/appeals/{}", ids[0]), Some(&app.executor), None).await;
    assert_eq!(card.status, 200);
    assert_eq!(card.json["status"], "in_work");
    assert_eq!(card.json["assignments"][0]["instruction"], "Рассмотреть и подготовить ответ");
}

both_backends!(each_row_answers_as_the_single_action_would);
async fn each_row_answers_as_the_single_action_would(db: Db) {
    let app = TestApp::start(db).await;
    let ids = many(&app, 6, "m").await;
    // ids[1] already extended, ids[2] forwarded: wrong states for another extension.
    let r = app.call("POST", &format!("/api/v1/appeals/{}/extend", ids[1]), Some(&app.supervisor), Some(&json!({"days": 10, "reason": "запрос документов"}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let r = app.call("POST", &format!("/api/v1/appeals/{}/forward", ids[2]), Some(&app.clerk), Some(&json!({"organization": "Министерство транспорта"}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let unknown = uuid::Uuid::new_v4().to_string();
    let body = json!({"action": "extend", "ids": [ids[0], ids[1], ids[2], unknown, "не-идентификатор", ids[3]], "params": {"days": 5, "reason": "проверка на месте"}, "if_match": {ids[3].clone(): "\"9\""}});
    let r = app.call("POST", BULK, Some(&app.supervisor), Some(&body)).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(statuses(&r), [200, 409, 409, 404, 404, 412]);
    let rows = &r.json["results"];
    assert_eq!(rows[1]["code"], "already_extended");
    assert_eq!(rows[2]["code"], "illegal_transition");
    assert!(rows[2]["detail"].as_str().unwrap().contains("Направлено по компетенции"), "{}", rows[2]);
    assert_eq!(rows[3]["code"], "not_found");
    assert_eq!((rows[5]["code"].as_str(), rows[5]["version"].as_i64()), (Some("stale_version"), Some(1)));
    assert_eq!((r.json["done"].as_u64(), r.json["refused"].as_u64()), (Some(1), Some(5)));
    // The refused ones are untouched; the done one moved.
    let card = |i: usize| {
        let path = format!("/api/v1/appeals/{}", ids[i]);
        let app = &app;
        async move { app.call("GET", &path, Some(&app.supervisor), None).await }
    };
    assert_eq!(card(0).await.json["extended"], true);
    assert_eq!(card(3).await.json["version"], 1);
    assert_eq!(card(1).await.json["version"], 2);

    // An executor sees only what is assigned to them: another's appeal is a 404 row, exactly as
    // singly, and one of theirs left without an answer a 409.
    let r = app.call("POST", BULK, Some(&app.clerk), Some(&json!({"action": "assign", "ids": [ids[3], ids[4]], "params": assign_to(&app, "executor")}))).await;
    assert_eq!(statuses(&r), [200, 200]);
    let r = app.call("POST", BULK, Some(&app.clerk), Some(&json!({"action": "assign", "ids": [ids[5]], "params": assign_to(&app, "executor2")}))).await;
    assert_eq!(statuses(&r), [200]);
    let r = app.call("POST", BULK, Some(&app.supervisor), Some(&json!({"action": "leave-without-answer", "ids": [ids[4]], "params": {"reason": "unreadable"}}))).await;
    assert_eq!(statuses(&r), [200]);
    let r = app.call("POST", BULK, Some(&app.executor), Some(&json!({"action": "consideration", "ids": [ids[3], ids[5], ids[4]], "params": {"on_site_check": true}}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(statuses(&r), [200, 404, 409]);
    let single = app.call("POST", &format!("/api/v1/appeals/{}/consideration", ids[5]), Some(&app.executor), Some(&json!({"on_site_check": true}))).await;
    assert_eq!(single.status, 404, "the single action agrees");
    assert!(r.json.to_string().find("Заявитель").is_none(), "no personal data in the answer");
    // A ground that does not fit one card is that row's 422.
    let named = app.register(json!({})).await["id"].as_str().unwrap().to_string();
    let nameless = app.register(json!({"applicants": [{"full_name": "Житель"}]})).await["id"].as_str().unwrap().to_string();
    let r = app.call("POST", BULK, Some(&app.supervisor), Some(&json!({"action": "leave-without-answer", "ids": [named, nameless], "params": {"reason": "anonymous"}}))).await;
    assert_eq!(statuses(&r), [422, 200]);
    assert_eq!(r.json["results"][0]["code"], "validation_failed");
}

both_backends!(all_or_nothing_refuses_everything_when_one_is_refused);
async fn all_or_nothing_refuses_everything_when_one_is_refused(db: Db) {
    let app = TestApp::start(db).await;
    let ids = many(&app, 4, "n").await;
    let r = app.call("POST", &format!("/api/v1/appeals/{}/forward", ids[3]), Some(&app.clerk), Some(&json!({"organization": "Министерство транспорта"}))).await;
    assert_eq!(r.status, 200);
    let before = footprint(&app);
    let body = json!({"action": "forward", "ids": ids, "params": {"organization": "Министерство здравоохранения", "reason": "не относится к ведению"}, "all_or_nothing": true});
    let r = app.call("POST", BULK, Some(&app.clerk), Some(&body)).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(statuses(&r), [409, 409, 409, 409]);
    let codes: Vec<&str> = r.json["results"].as_array().unwrap().iter().map(|x| x["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["batch_refused", "batch_refused", "batch_refused", "illegal_transition"]);
    assert_eq!((r.json["done"].as_u64(), r.json["refused"].as_u64()), (Some(0), Some(4)));
    // Nothing written: no card moved, no history, notice, delta or cover-letter number.
    assert_eq!(footprint(&app), before);
    assert_eq!(scalar(&app, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM appeals WHERE status = 'forwarded'"), 1);
    assert_eq!(scalar(&app, "SELECT CAST(MAX(last_seq) AS BIGINT) AS n FROM forward_counters"), 1);
    // Without the refused one, all of them in one transaction.
    let body = json!({"action": "forward", "ids": ids[..3], "params": {"organization": "Министерство здравоохранения"}, "all_or_nothing": true});
    let r = app.call("POST", BULK, Some(&app.clerk), Some(&body)).await;
    assert_eq!(statuses(&r), [200, 200, 200]);
    assert_eq!(scalar(&app, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM appeals WHERE status = 'forwarded'"), 4);
    // Each cover letter has its own number.
    assert_eq!(scalar(&app, "SELECT CAST(COUNT(DISTINCT forward_number) AS BIGINT) AS n FROM appeals WHERE forward_number IS NOT NULL"), 4);
}

both_backends!(a_batch_writes_what_the_single_actions_write);
async fn a_batch_writes_what_the_single_actions_write(db: Db) {
    let app = TestApp::start(db).await;
    let singles = many(&app, 5, "s").await;
    let batch = many(&app, 5, "b").await;
    for ids in [&singles, &batch] {
        let r = app.call("POST", BULK, Some(&app.clerk), Some(&json!({"action": "assign", "ids": ids, "params": assign_to(&app, "executor")}))).await;
        assert_eq!(statuses(&r), [200; 5]);
    }
    let params = json!({"organization": "Министерство транспорта", "reason": "вопрос дорог регионального значения"});
    let start = footprint(&app);
    for id in &singles {
        let r = app.call("POST", &format!("/api/v1/appeals/{id}/forward"), Some(&app.clerk), Some(&params)).await;
        assert_eq!(r.status, 200, "{}", r.json);
    }
    let after_singles = footprint(&app);
    let r = app.call("POST", BULK, Some(&app.clerk), Some(&json!({"action": "forward", "ids": batch, "params": params}))).await;
    assert_eq!(statuses(&r), [200; 5]);
    let after_batch = footprint(&app);
    let by_singles = minus(&after_singles, &start);
    assert!(by_singles.keys().any(|k| k.starts_with("stats:")), "{by_singles:?}");
    assert!(by_singles.contains_key("outbox:forwarding_notice/pending"), "{by_singles:?}");
    assert_eq!(minus(&after_batch, &after_singles), by_singles);
}

both_backends!(two_batches_over_the_same_appeals_at_once);
async fn two_batches_over_the_same_appeals_at_once(db: Db) {
    let app = TestApp::start(db).await;
    let ids = many(&app, 100, "c").await;
    // Both clerks saw the list at version 1 and say so.
    let versions = |part: &[String]| part.iter().map(|id| (id.clone(), json!("\"1\""))).collect::<serde_json::Map<String, Value>>();
    let a = json!({"action": "assign", "ids": ids[..70], "params": assign_to(&app, "executor"), "if_match": versions(&ids[..70])});
    let b = json!({"action": "assign", "ids": ids[30..], "params": assign_to(&app, "executor2"), "if_match": versions(&ids[30..])});
    let (ra, rb) = tokio::join!(app.call("POST", BULK, Some(&app.clerk), Some(&a)), app.call("POST", BULK, Some(&app.supervisor), Some(&b)));
    let (sa, sb) = (statuses(&ra), statuses(&rb));
    assert!(sa[..30].iter().all(|s| *s == 200) && sb[40..].iter().all(|s| *s == 200), "{sa:?} {sb:?}");
    for i in 30..70 {
        let (x, y) = (sa[i], sb[i - 30]);
        assert!((x, y) == (200, 412) || (x, y) == (412, 200), "appeal {i}: {x} and {y}");
        let winner = if x == 200 { "executor" } else { "executor2" };
        let active = scalar(&app, &format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM assignments WHERE appeal_id = '{}' AND active AND user_id = '{}'", ids[i], app.user_id(winner)));
        assert_eq!(active, 1, "appeal {i} ends with the winner's resolution");
    }
    // No lost update: every appeal has exactly one resolution, one history entry for it, version 2.
    assert_eq!(scalar(&app, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM assignments WHERE active"), 100);
    assert_eq!(scalar(&app, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM history WHERE action = 'assign'"), 100);
    assert_eq!(scalar(&app, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM appeals WHERE version = 2"), 100);
    assert_eq!(ra.json["done"].as_u64().unwrap() + rb.json["done"].as_u64().unwrap(), 100);

    // Without versions, two forwardings of the same appeals: each appeal is forwarded by exactly
    // one of them, the other is told it already was.
    let fa = json!({"action": "forward", "ids": ids[..70], "params": {"organization": "Министерство транспорта"}});
    let fb = json!({"action": "forward", "ids": ids[30..], "params": {"organization": "Министерство здравоохранения"}});
    let (ra, rb) = tokio::join!(app.call("POST", BULK, Some(&app.clerk), Some(&fa)), app.call("POST", BULK, Some(&app.supervisor), Some(&fb)));
    let (sa, sb) = (statuses(&ra), statuses(&rb));
    for i in 30..70 {
        assert!(matches!((sa[i], sb[i - 30]), (200, 409) | (409, 200)), "appeal {i}: {} and {}", sa[i], sb[i - 30]);
    }
    assert_eq!(scalar(&app, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM history WHERE action = 'forward'"), 100);
    assert_eq!(scalar(&app, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM notifications WHERE kind = 'forwarding_notice'"), 100);
    assert_eq!(scalar(&app, "SELECT CAST(COUNT(DISTINCT forward_number) AS BIGINT) AS n FROM appeals"), 100);
}

both_backends!(a_database_failure_stays_its_rows_own);
async fn a_database_failure_stays_its_rows_own(db: Db) {
    let app = TestApp::start(db).await;
    let ids = many(&app, 3, "f").await;
    // The database refuses the history entry of one appeal, mid-write (after its card's update).
    match db {
        Db::Sqlite => app.sql(&format!("CREATE TRIGGER refuse_one BEFORE INSERT ON history WHEN NEW.appeal_id = '{}' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;", ids[1])),
        Db::Postgres => app.sql(&format!(
            "CREATE FUNCTION refuse_one() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.appeal_id = '{}' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$;
             CREATE TRIGGER refuse_one BEFORE INSERT ON history FOR EACH ROW EXECUTE FUNCTION refuse_one();",
            ids[1]
        )),
    }
    let r = app.call("POST", BULK, Some(&app.clerk), Some(&json!({"action": "assign", "ids": ids, "params": assign_to(&app, "executor")}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(statuses(&r), [200, 500, 200]);
    assert_eq!(r.json["results"][1]["code"], "internal");
    assert!(!r.json.to_string().contains("refused by the test"), "the cause is logged, not shown");
    // Nothing of the failed appeal was written; the others are whole.
    // (Read in the database: opening the card would write a "viewed" entry, which the trigger refuses too.)
    assert_eq!(scalar(&app, &format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM appeals WHERE id = '{}' AND version = 1 AND status = 'registered'", ids[1])), 1);
    assert_eq!(scalar(&app, &format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM assignments WHERE appeal_id = '{}'", ids[1])), 0);
    assert_eq!(scalar(&app, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM assignments WHERE active"), 2);
    assert_eq!(scalar(&app, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM history WHERE action = 'assign'"), 2);
    assert_eq!(scalar(&app, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM plan_queue WHERE appeal_id IN (SELECT id FROM appeals WHERE status = 'in_work')"), 2);
}

both_backends!(bad_batches_are_refused_whole_and_name_the_field);
async fn bad_batches_are_refused_whole_and_name_the_field(db: Db) {
    let app = TestApp::start(db).await;
    let ids = many(&app, 2, "x").await;
    let call = |token: &str, body: Value| {
        let token = token.to_string();
        let app = &app;
        async move { app.call("POST", BULK, Some(&token), Some(&body)).await }
    };
    call(&app.clerk, json!({"action": "assign", "ids": [], "params": assign_to(&app, "executor")})).await.assert_problem(422, Some("ids"));
    let too_many: Vec<String> = (0..501).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    call(&app.clerk, json!({"action": "assign", "ids": too_many, "params": assign_to(&app, "executor")})).await.assert_problem(422, Some("ids"));
    call(&app.clerk, json!({"action": "assign", "ids": [ids[0], ids[1], ids[0]], "params": assign_to(&app, "executor")})).await.assert_problem(422, Some("ids[2]"));
    call(&app.clerk, json!({"action": "return", "ids": ids, "params": {}})).await.assert_problem(422, Some("action"));
    // A clerk never approves an answer: the batch is refused whole.
    call(&app.clerk, json!({"action": "approve", "ids": ids, "params": {}})).await.assert_problem(403, None);
    call(&app.clerk, json!({"action": "assign", "ids": ids, "params": {"executors": []}})).await.assert_problem(422, Some("params.executors"));
    // `params` is an object: left out it is the empty body, an explicit null is refused.
    call(&app.supervisor, json!({"action": "close", "ids": ids, "params": null})).await.assert_problem(422, Some("params"));
    call(&app.clerk, json!({"action": "assign", "ids": ids, "params": {"executors": [{"user_id": app.user_id("executor"), "responsible": true}], "colour": 1}})).await.assert_problem(422, Some("params.colour"));
    call(&app.supervisor, json!({"action": "extend", "ids": ids, "params": {"days": 45, "reason": "x"}})).await.assert_problem(422, Some("params.days"));
    call(&app.clerk, json!({"action": "forward", "ids": ids, "params": {"organization": "Минтранс", "letter_number": "12-34"}})).await.assert_problem(422, Some("params.letter_number"));
    call(&app.clerk, json!({"action": "assign", "ids": ids, "params": assign_to(&app, "executor"), "if_match": {uuid::Uuid::new_v4().to_string(): "\"1\""}})).await.assert_problem(422, Some("if_match."));
    call(&app.clerk, json!({"action": "assign", "ids": ids, "params": assign_to(&app, "executor"), "if_match": {ids[0].clone(): "7"}})).await.assert_problem(422, Some("if_match."));
    call(&app.clerk, json!({"action": "assign", "ids": ids, "params": assign_to(&app, "executor"), "extra": true})).await.assert_problem(422, Some("extra"));
    // A role bulks only what it may do singly: a clerk does not extend, an executor does not assign.
    call(&app.clerk, json!({"action": "extend", "ids": ids, "params": {"days": 5, "reason": "x"}})).await.assert_problem(403, None);
    call(&app.executor, json!({"action": "assign", "ids": ids, "params": assign_to(&app, "executor")})).await.assert_problem(403, None);
    app.call("POST", BULK, None, Some(&json!({"action": "assign", "ids": ids, "params": {}}))).await.assert_problem(401, None);
    // Nothing was written by any of them.
    assert_eq!(scalar(&app, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM appeals WHERE version > 1"), 0);
}

// ---- pages ----------------------------------------------------------------------------------

/// Every user's password in these tests.
const PASSWORD: &str = "пароль-для-тестов";

/// A browser without JavaScript: its cookies and the CSRF token of its last page.
struct Browser<'a> {
    app: &'a TestApp,
    cookies: BTreeMap<String, String>,
    csrf: String,
}

impl<'a> Browser<'a> {
    async fn send(&mut self, method: &str, path: &str, body: Option<Vec<u8>>) -> (u16, String) {
        let cookie = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
        let client = awc::Client::builder().disable_redirects().timeout(std::time::Duration::from_secs(60)).finish();
        let m = actix_web::http::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = client.request(m, self.app.srv.url(path)).insert_header(("Content-Type", "application/x-www-form-urlencoded"));
        if !cookie.is_empty() {
            req = req.insert_header(("Cookie", cookie));
        }
        let mut resp = match body {
            Some(b) => req.send_body(b).await,
            None => req.send().await,
        }
        .expect("request sent");
        for v in resp.headers().get_all("set-cookie") {
            let v = v.to_str().unwrap_or("");
            if let Some((name, value)) = v.split(';').next().unwrap_or("").split_once('=') {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
        let status = resp.status().as_u16();
        let body = String::from_utf8_lossy(&resp.body().limit(64 << 20).await.expect("body")).into_owned();
        if let Some(at) = body.find("name=\"csrf\" value=\"") {
            self.csrf = body[at + 19..].split('"').next().unwrap_or("").to_string();
        }
        (status, body)
    }

    async fn post(&mut self, path: &str, pairs: &[(&str, &str)]) -> (u16, String) {
        let mut all = vec![("csrf", self.csrf.clone())];
        all.extend(pairs.iter().map(|(k, v)| (*k, v.to_string())));
        self.send("POST", path, Some(serde_urlencoded::to_string(&all).unwrap().into_bytes())).await
    }

    async fn sign_in(app: &'a TestApp, login: &str) -> Browser<'a> {
        let mut b = Browser { app, cookies: BTreeMap::new(), csrf: String::new() };
        b.send("GET", "/", None).await;
        let (status, _) = b.post("/login", &[("login", login), ("password", PASSWORD)]).await;
        assert_eq!(status, 303, "sign-in of {login}");
        b
    }
}

both_backends!(pages_select_act_and_read_the_result);
async fn pages_select_act_and_read_the_result(db: Db) {
    let app = TestApp::start(db).await;
    let hash = appeals::auth::hash_password(PASSWORD).unwrap();
    for login in ["supervisor", "clerk", "executor"] {
        appeals::store::sessions::set_password(&app.pool, &app.org, &app.user_id(login), &hash, appeals::store::micros(start_instant())).unwrap();
    }
    let ids = many(&app, 3, "p").await;
    // ids[2] is forwarded already: the batch's refusal.
    let r = app.call("POST", &format!("/api/v1/appeals/{}/forward", ids[2]), Some(&app.clerk), Some(&json!({"organization": "Министерство транспорта"}))).await;
    assert_eq!(r.status, 200);
    let number = |i: usize| scalar_text(&app, &ids[i]);

    let mut b = Browser::sign_in(&app, "clerk").await;
    let (status, registry) = b.send("GET", "/appeals", None).await;
    assert_eq!(status, 200);
    // A checkbox per row and the bar with what a clerk may do (no extension, no closing).
    assert!(registry.contains(&format!("name=\"id\" value=\"{}\"", ids[0])), "{registry}");
    assert!(registry.contains("aria-label=\"Отметить "), "{registry}");
    for label in [">Назначить</button>", ">Направить по компетенции</button>"] {
        assert!(registry.contains(label), "{label}");
    }
    assert!(!registry.contains(">Продлить срок</button>"));
    let (_, board) = b.send("GET", "/", None).await;
    assert!(board.contains("action=\"/appeals/bulk\"") && board.contains(&format!("value=\"{}\"", ids[0])), "{board}");

    // Without the form's CSRF token nothing happens.
    let plain = serde_urlencoded::to_string([("action", "assign"), ("id", ids[0].as_str())]).unwrap();
    let (status, _) = b.send("POST", "/appeals/bulk", Some(plain.into_bytes())).await;
    assert_eq!(status, 403);
    // Nothing chosen: said so.
    let (status, page) = b.post("/appeals/bulk", &[("action", "assign"), ("back", "/appeals")]).await;
    assert_eq!(status, 422);
    assert!(page.contains("Не отмечено ни одного обращения"), "{page}");

    // Choose three, «Назначить»: the single action's form for them.
    let (status, form) = b.post("/appeals/bulk", &[("action", "assign"), ("back", "/appeals"), ("id", &ids[0]), ("id", &ids[1]), ("id", &ids[2])]).await;
    assert_eq!(status, 200, "{form}");
    assert!(form.contains("Ответственный исполнитель") && form.contains("action=\"/appeals/bulk/do\""), "{form}");
    assert!(form.contains(&number(0)), "the chosen appeals are named");
    // A missing responsible executor is shown beside the form, nothing written.
    let (status, again) = b.post("/appeals/bulk/do", &[("action", "assign"), ("back", "/appeals"), ("id", &ids[0]), ("responsible", "")]).await;
    assert_eq!(status, 422, "{again}");
    assert!(again.contains("role=\"alert\""), "{again}");
    let executor = app.user_id("executor");
    // The form carries the version each card was shown at, as the card's own forms do.
    let shown: Vec<(String, String)> = ids
        .iter()
        .map(|id| {
            let key = format!("v_{id}");
            let at = form.find(&format!("name=\"{key}\" value=\"")).unwrap_or_else(|| panic!("no version for {id}: {form}")) + key.len() + 15;
            (key, form[at..].split('"').next().unwrap().to_string())
        })
        .collect();
    let mut fields: Vec<(&str, &str)> = vec![("action", "assign"), ("back", "/appeals"), ("id", &ids[0]), ("id", &ids[1]), ("id", &ids[2]), ("responsible", &executor), ("instruction", "Подготовить ответ")];
    fields.extend(shown.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let (status, result) = b.post("/appeals/bulk/do", &fields).await;
    assert_eq!(status, 200, "{result}");
    assert!(result.contains("Выполнено: <strong id=\"done-count\">2</strong>"), "{result}");
    assert!(result.contains("Отказано: <strong id=\"refused-count\">1</strong>"), "{result}");
    for i in [0, 1] {
        assert!(result.contains(&format!("<a href=\"/appeals/{}\">{}</a>", ids[i], number(i))), "{result}");
    }
    // The refusal, in Russian, with a link to its card.
    assert!(result.contains(&format!("<a href=\"/appeals/{}\">{}</a></td><td>в состоянии «Направлено по компетенции» это действие невозможно", ids[2], number(2))), "{result}");
    assert_eq!(scalar(&app, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM assignments WHERE active"), 2);
    // The same form sent again (a reload) changes nothing twice: every card has moved on.
    let (status, again) = b.post("/appeals/bulk/do", &fields).await;
    assert_eq!(status, 200, "{again}");
    assert!(again.contains("Выполнено: <strong id=\"done-count\">0</strong>"), "{again}");
    assert!(again.contains("карточку изменили"), "{again}");
    assert_eq!(scalar(&app, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM history WHERE action = 'assign'"), 2);

    // An executor may take none of the bar's actions: no checkboxes, and the form is refused.
    let mut e = Browser::sign_in(&app, "executor").await;
    let (_, mine) = e.send("GET", "/me", None).await;
    assert!(mine.contains(&number(0)), "{mine}");
    assert!(!mine.contains("name=\"id\""), "{mine}");
    let (status, _) = e.post("/appeals/bulk", &[("action", "assign"), ("id", &ids[0])]).await;
    assert_eq!(status, 403);
    // A supervisor's board offers the whole bar.
    let mut s = Browser::sign_in(&app, "supervisor").await;
    let (_, board) = s.send("GET", "/", None).await;
    for label in [">Назначить<", ">Направить по компетенции<", ">Продлить срок<", ">Снять с контроля<", ">Оставить без ответа<"] {
        assert!(board.contains(label), "{label}");
    }
    let (_, mine) = s.send("GET", "/me", None).await;
    assert!(mine.contains("Мои поручения"));
}

/// The registration number of appeal `id`.
fn scalar_text(app: &TestApp, id: &str) -> String {
    #[derive(diesel::QueryableByName)]
    struct T {
        #[diesel(sql_type = diesel::sql_types::Text)]
        t: String,
    }
    let sql = format!("SELECT reg_number AS t FROM appeals WHERE id = '{id}'");
    let rows: Vec<T> = app.rows(&sql);
    rows[0].t.clone()
}
