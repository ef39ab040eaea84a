//! The record cannot be rewritten: an answer's file is attached by the responsible executor or
//! a supervisor while the answer awaits review; every upload is a new version kept with its
//! SHA-256, size, who and when; after approval the file is frozen, a corrected file belongs to
//! the new answer after a return for rework, and the ССТУ.РФ export sends the version the
//! answer went out with.

use crate::exports::{approve_and_dispatch, path, start};
use crate::support::*;
use serde_json::json;

const V1: &[u8] = b"%PDF-1.4\n% first draft\n%%EOF\n";
const V2: &[u8] = b"%PDF-1.4\n% signed answer\n%%EOF\n";

fn sha256(b: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(b))
}

async fn upload(app: &TestApp, token: &str, id: &str, answer: &str, name: &str, bytes: &[u8]) -> Resp {
    app.raw("POST", &path(id, &format!("/answers/{answer}/file?name={name}")), Some(token), Some(bytes.to_vec()), &[("Content-Type", "application/pdf")]).await
}

/// An appeal with `executor` responsible and `executor2` co-executor, and a pending answer.
async fn pending_with_coexecutor(app: &TestApp) -> (String, String) {
    let id = app.register(json!({})).await["id"].as_str().unwrap().to_string();
    let execs = json!({"executors": [{"user_id": app.user_id("executor"), "responsible": true}, {"user_id": app.user_id("executor2"), "responsible": false}]});
    assert_eq!(app.call("POST", &path(&id, "/assign"), Some(&app.clerk), Some(&execs)).await.status, 200);
    let r = app.call("POST", &path(&id, "/answers"), Some(&app.executor), Some(&json!({"text": "Ответ по существу.", "results": [{"code": "0003.0009.0097.0699", "result": "explained"}]}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let answer = r.json["answers"].as_array().unwrap().iter().rev().find(|a| a["status"] == "pending").unwrap()["id"].as_str().unwrap().to_string();
    (id, answer)
}

both_backends!(answer_files_are_versioned_frozen_at_approval_and_exported_as_dispatched);
async fn answer_files_are_versioned_frozen_at_approval_and_exported_as_dispatched(db: Db) {
    let app = start(db).await;
    let (id, answer) = pending_with_coexecutor(&app).await;
    // Neither a clerk nor a co-executor attaches the responsible official's file.
    upload(&app, &app.clerk, &id, &answer, "v1.pdf", V1).await.assert_problem(403, None);
    upload(&app, &app.executor2, &id, &answer, "v1.pdf", V1).await.assert_problem(403, None);
    // The responsible executor, then a supervisor: two versions, none overwritten.
    let r = upload(&app, &app.executor, &id, &answer, "v1.pdf", V1).await;
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!((r.json["version"].as_i64(), r.json["sha256"].as_str()), (Some(1), Some(sha256(V1).as_str())));
    let r = upload(&app, &app.supervisor, &id, &answer, "v2.pdf", V2).await;
    assert_eq!((r.status, r.json["version"].as_i64()), (201, Some(2)), "{}", r.json);
    let latest = app.call("GET", &path(&id, &format!("/answers/{answer}/file")), Some(&app.clerk), None).await;
    assert_eq!(latest.json, json!(String::from_utf8_lossy(V2)));
    assert_eq!((latest.header("X-File-Version"), latest.header("X-File-SHA256")), (Some("2"), Some(sha256(V2).as_str())));
    let first = app.call("GET", &path(&id, &format!("/answers/{answer}/file?version=1")), Some(&app.clerk), None).await;
    assert_eq!(first.json, json!(String::from_utf8_lossy(V1)), "the first version is kept");
    assert_eq!(app.call("GET", &path(&id, &format!("/answers/{answer}/file?version=3")), Some(&app.clerk), None).await.status, 204);
    // The history keeps each version's SHA-256, size, who and when.
    let h = app.call("GET", &path(&id, "/history"), Some(&app.supervisor), None).await.json;
    let attached: Vec<_> = h["items"].as_array().unwrap().iter().filter(|e| e["action"] == "answer_file_attached").collect();
    assert_eq!(attached.len(), 2, "{h}");
    let by_version = |v: i64| attached.iter().find(|e| e["details"]["version"] == v).unwrap_or_else(|| panic!("version {v}: {h}"));
    assert_eq!(by_version(1)["details"]["sha256"], sha256(V1).as_str());
    assert_eq!(by_version(1)["details"]["size"], V1.len());
    assert_eq!(by_version(1)["actor"], app.user_id("executor").as_str());
    assert_eq!(by_version(2)["actor"], app.user_id("supervisor").as_str());
    assert!(by_version(2)["at"].is_string(), "{h}");
    // Approved: frozen for everyone; dispatched: still frozen, and exported as dispatched.
    let r = app.call("POST", &path(&id, &format!("/answers/{answer}/approve")), Some(&app.supervisor), Some(&json!({"close": false}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    for token in [&app.executor, &app.supervisor, &app.admin] {
        let r = upload(&app, token, &id, &answer, "v3.pdf", V1).await;
        r.assert_problem(409, None);
        assert_eq!(r.json["code"], "answer_file_frozen");
    }
    let r = app.call("POST", &path(&id, &format!("/answers/{answer}/dispatch")), Some(&app.clerk), Some(&json!({"sent_on": "2025-03-03", "channel": "post"}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(upload(&app, &app.supervisor, &id, &answer, "v3.pdf", V1).await.status, 409);
    let export = app.call("GET", "/api/v1/exports/sstu?month=2025-03", Some(&app.supervisor), None).await;
    assert_eq!(export.status, 200, "{}", export.json);
    let item = export.json["items"].as_array().unwrap().iter().find(|i| i.to_string().contains("v2.pdf")).unwrap_or_else(|| panic!("{}", export.json));
    assert!(!item.to_string().contains("v1.pdf") && !item.to_string().contains("v3.pdf"));
    let after = app.call("GET", &path(&id, &format!("/answers/{answer}/file")), Some(&app.clerk), None).await;
    assert_eq!(after.header("X-File-Version"), Some("2"));
}

both_backends!(a_corrected_file_goes_with_the_new_answer_after_a_return);
async fn a_corrected_file_goes_with_the_new_answer_after_a_return(db: Db) {
    let app = start(db).await;
    let (id, first) = pending_with_coexecutor(&app).await;
    assert_eq!(upload(&app, &app.executor, &id, &first, "otvet.pdf", V1).await.status, 201);
    let r = app.call("POST", &path(&id, &format!("/answers/{first}/return")), Some(&app.supervisor), Some(&json!({"comment": "Подпись не та"}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let r = upload(&app, &app.executor, &id, &first, "otvet.pdf", V2).await;
    assert_eq!((r.status, r.json["code"].as_str()), (409, Some("answer_file_frozen")), "the returned answer keeps its file");
    let r = app.call("POST", &path(&id, "/answers"), Some(&app.executor), Some(&json!({"text": "Исправленный ответ.", "results": [{"code": "0003.0009.0097.0699", "result": "explained"}]}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let second = r.json["answers"].as_array().unwrap().iter().find(|a| a["status"] == "pending").unwrap()["id"].as_str().unwrap().to_string();
    let r = upload(&app, &app.executor, &id, &second, "otvet-2.pdf", V2).await;
    assert_eq!((r.status, r.json["version"].as_i64()), (201, Some(1)), "{}", r.json);
    approve_and_dispatch(&app, &id, &second).await;
    let old = app.call("GET", &path(&id, &format!("/answers/{first}/file")), Some(&app.supervisor), None).await;
    assert_eq!(old.json, json!(String::from_utf8_lossy(V1)), "the returned answer's file is kept as it was");
}

/// The security pass's tables — sign-in counts, visitor card reads, answer file versions — are
/// reached through their indexes on PostgreSQL (whose sessions run with `enable_seqscan = off`,
/// so a missing index shows as a sequential scan).
#[actix_web::test]
#[cfg_attr(not(postgres_tests), ignore = "PostgreSQL: TEST_DATABASE_URL was not set when the tests were built")]
async fn new_tables_are_read_through_indexes_on_postgres() {
    let app = start(Db::Postgres).await;
    crate::ended_access::set_password(&app, "clerk");
    let visitor = crate::reception_contacts::some_visitor_id(&app).await;
    let (id, answer) = pending_with_coexecutor(&app).await;
    let tables = ["answer_file_versions", "login_attempts", "visitor_reads"];
    let before = app.seq_scans(&tables);
    let base = app.srv.url("").trim_end_matches('/').to_string();
    for password in ["неверный-пароль", "неверный-пароль", crate::ended_access::PASSWORD] {
        crate::ended_access::sign_in_at(&base, "clerk", password, &[]).await;
    }
    assert_eq!(app.call("GET", "/api/v1/users", Some(&app.admin), None).await.status, 200);
    assert_eq!(app.call("GET", &format!("/api/v1/receptions/visitors/{visitor}"), Some(&app.clerk), None).await.status, 200);
    assert_eq!(upload(&app, &app.executor, &id, &answer, "v1.pdf", V1).await.status, 201);
    assert_eq!(upload(&app, &app.executor, &id, &answer, "v2.pdf", V2).await.status, 201);
    assert_eq!(app.call("GET", &path(&id, &format!("/answers/{answer}/file?version=1")), Some(&app.clerk), None).await.status, 200);
    approve_and_dispatch(&app, &id, &answer).await;
    assert_eq!(upload(&app, &app.executor, &id, &answer, "v3.pdf", V1).await.status, 409);
    assert_eq!(app.call("GET", "/api/v1/exports/sstu?month=2025-03", Some(&app.supervisor), None).await.status, 200);
    assert_eq!(app.seq_scans(&tables), before, "a request scanned one of these tables sequentially");
    // A restart's look for versions without a SHA-256 goes through its partial index too.
    appeals::app::open(&app.state.settings, appeals::store::micros(start_instant())).expect("reopen");
    assert_eq!(app.seq_scans(&tables), before, "the start scanned answer_file_versions");
}
