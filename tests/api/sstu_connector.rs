//! What the ССТУ.РФ connector's tools accept: each of its rules refused with the appeal's
//! number, the batch ZIP (one `<guid>.json` per appeal, parts of bounded size, byte-identical
//! on re-export), the answer file once per appeal, the configurable `format` mapping, the
//! skipping of `А26-…` appeals, and the delta from the cards' versions.

use crate::exports::{answered, path, pending, OWN, PDF};
use crate::support::*;
use serde_json::{json, Value};
use std::io::Read;

/// A GET of an export file: status, headers and the exact bytes.
async fn fetch(app: &TestApp, url: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut resp = app.srv.get(url).insert_header(("Authorization", format!("Bearer {}", app.supervisor))).send().await.expect("request sent");
    let headers = resp.headers().iter().map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string())).collect();
    let bytes = resp.body().limit(256 << 20).await.expect("body read").to_vec();
    (resp.status().as_u16(), headers, bytes)
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
    headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).unwrap_or_else(|| panic!("no {name}"))
}

/// Every entry of a ZIP part: (file name, parsed object).
fn entries(zip: &[u8]) -> Vec<(String, Value)> {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(zip)).expect("a ZIP");
    (0..z.len())
        .map(|i| {
            let mut f = z.by_index(i).unwrap();
            let mut s = String::new();
            f.read_to_string(&mut s).unwrap();
            (f.name().unwrap().to_string(), serde_json::from_str(&s).expect("one JSON object per entry"))
        })
        .collect()
}

/// All parts of a ZIP export, fetched in order: (bytes of each part, every entry).
async fn all_parts(app: &TestApp, query: &str) -> (Vec<Vec<u8>>, Vec<(String, Value)>) {
    let (status, headers, first) = fetch(app, &format!("/api/v1/exports/sstu?{query}&format=zip")).await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&first));
    assert_eq!(header(&headers, "Content-Type"), "application/zip");
    let parts: u32 = header(&headers, "Sstu-Parts").parse().unwrap();
    let mut files = vec![first];
    for part in 2..=parts {
        let (status, headers, bytes) = fetch(app, &format!("/api/v1/exports/sstu?{query}&format=zip&part={part}")).await;
        assert_eq!(status, 200);
        assert_eq!(header(&headers, "Sstu-Parts"), parts.to_string(), "the parts stay the same while they are fetched");
        files.push(bytes);
    }
    let all = files.iter().flat_map(|f| entries(f)).collect();
    (files, all)
}

const LIMIT: usize = 4000;

both_backends!(the_zip_holds_one_object_per_appeal_in_bounded_parts);
async fn the_zip_holds_one_object_per_appeal_in_bounded_parts(db: Db) {
    let app = TestApp::start_with(db, |s| {
        s.sstu.department_id = Some(OWN.into());
        s.sstu.zip_part_bytes = LIMIT;
    })
    .await;
    // Answer files of about 1 KB, so that the month needs several parts.
    let pdf: Vec<u8> = [PDF, &[b'x'; 900][..]].concat();
    let mut ids = Vec::new();
    for _ in 0..6 {
        let a = app.register(json!({})).await;
        answered(&app, a["id"].as_str().unwrap(), "explained", &pdf).await;
        ids.push((a["id"].as_str().unwrap().to_string(), a["reg_number"].as_str().unwrap().to_string()));
    }
    for _ in 0..4 {
        let a = app.register(json!({})).await;
        ids.push((a["id"].as_str().unwrap().to_string(), a["reg_number"].as_str().unwrap().to_string()));
    }
    let (files, all) = all_parts(&app, "month=2025-03").await;
    assert!(files.len() > 1, "{} part(s)", files.len());
    for f in &files {
        assert!(f.len() <= LIMIT, "a part of {} bytes", f.len());
    }
    // One `<guid>.json` per appeal (its id is a UUID), each a whole object.
    let mut got: Vec<(String, String)> = all.iter().map(|(name, o)| (name.trim_end_matches(".json").to_string(), o["number"].as_str().unwrap().to_string())).collect();
    got.sort();
    let mut want = ids.clone();
    want.sort();
    assert_eq!(got, want);
    assert!(all.iter().all(|(_, o)| o["departmentId"] == OWN && o["questions"].as_array().is_some_and(|q| !q.is_empty())));
    let with_file = all.iter().filter(|(_, o)| o["questions"][0]["attachment"]["content"].is_string()).count();
    assert_eq!(with_file, 6);
    // A re-export of unchanged data is byte for byte the same, part by part.
    let (again, _) = all_parts(&app, "month=2025-03").await;
    assert_eq!(again, files);
    // A part past the last is a bad request, not an empty file.
    let r = app.call("GET", &format!("/api/v1/exports/sstu?month=2025-03&format=zip&part={}", files.len() + 1), Some(&app.supervisor), None).await;
    r.assert_problem(422, Some("part"));
    let r = app.call("GET", "/api/v1/exports/sstu?month=2025-03&part=2", Some(&app.supervisor), None).await;
    r.assert_problem(422, Some("part"));
    let r = app.call("GET", "/api/v1/exports/sstu?month=2025-03&format=xml", Some(&app.supervisor), None).await;
    r.assert_problem(422, Some("format"));
    // The log: the last part completes an export; the others are logged as parts.
    let done = appeals::store::exports::export_logs(&app.pool, &app.org, "sstu", "2025-03").unwrap();
    let parts = appeals::store::exports::export_logs(&app.pool, &app.org, "sstu_part", "2025-03").unwrap();
    assert_eq!((done.len(), parts.len()), (2, 2 * (files.len() - 1)));
    assert_eq!(done.iter().chain(&parts).map(|l| l.items as usize).sum::<usize>(), 20);

    // Nothing changed: the delta is one empty part. Then one card changes: only it goes.
    let (files, all) = all_parts(&app, "month=2025-03&since_last=true").await;
    assert_eq!((files.len(), all.len()), (1, 0));
    let (id, reg) = &ids[7];
    answered(&app, id, "explained", PDF).await;
    let (_, all) = all_parts(&app, "month=2025-03&since_last=true").await;
    assert_eq!(all.iter().map(|(_, o)| o["number"].as_str().unwrap()).collect::<Vec<_>>(), [reg.as_str()]);
    let (_, all) = all_parts(&app, "month=2025-03&since_last=true").await;
    assert!(all.is_empty());
    if app.db == Db::Postgres {
        assert!(app.seq_scans(&["sstu_sent"]).iter().all(|(_, n)| *n == 0), "sstu_sent is reached by its key only");
    }
}

both_backends!(a_delta_in_parts_is_complete_only_after_its_last_part);
async fn a_delta_in_parts_is_complete_only_after_its_last_part(db: Db) {
    let app = TestApp::start_with(db, |s| {
        s.sstu.department_id = Some(OWN.into());
        s.sstu.zip_part_bytes = 1500;
    })
    .await;
    for _ in 0..5 {
        app.register(json!({})).await;
    }
    // The delta's parts: fetching part 1 does not shift the rest.
    let (files, all) = all_parts(&app, "month=2025-03&since_last=true").await;
    assert!(files.len() > 1);
    assert_eq!(all.len(), 5);
    // An abandoned run (part 1 of several only) is not a complete export: the next delta
    // sends part 1 again, with the card added since.
    let added = app.register(json!({})).await;
    let (status, headers, first) = fetch(&app, "/api/v1/exports/sstu?month=2025-03&format=zip").await;
    assert_eq!(status, 200);
    assert_ne!(header(&headers, "Sstu-Parts"), "1");
    let mut want: Vec<String> = entries(&first).iter().map(|(_, o)| o["number"].as_str().unwrap().to_string()).collect();
    assert!(!want.is_empty());
    if !want.iter().any(|n| n == added["reg_number"].as_str().unwrap()) {
        want.push(added["reg_number"].as_str().unwrap().to_string());
    }
    let r = app.call("GET", "/api/v1/exports/sstu?month=2025-03&since_last=true", Some(&app.supervisor), None).await;
    let got: Vec<String> = r.json["items"].as_array().unwrap().iter().map(|o| o["number"].as_str().unwrap().to_string()).collect();
    assert_eq!(got, want, "{}", r.json);
    let r = app.call("GET", "/api/v1/exports/sstu?month=2025-03&since_last=true", Some(&app.supervisor), None).await;
    assert_eq!(r.json["items"].as_array().unwrap().len(), 0, "{}", r.json);
    // A new version with the same object is not sent again, and takes its new version.
    app.sql(&format!("UPDATE appeals SET version = version + 1 WHERE id = '{}'", added["id"].as_str().unwrap()));
    let r = app.call("GET", "/api/v1/exports/sstu?month=2025-03&since_last=true", Some(&app.supervisor), None).await;
    assert_eq!(r.json["items"].as_array().unwrap().len(), 0, "{}", r.json);
    let ids = vec![added["id"].as_str().unwrap().to_string()];
    let sent = appeals::store::sstu::read(&app.pool, |r| r.sent(&app.org, "2025-03", &ids)).unwrap();
    let card = appeals::store::appeals::get_card(&app.pool, &app.org, &ids[0]).unwrap();
    assert_eq!((sent[0].version, sent[0].complete), (card.appeal.version, true));
}

both_backends!(each_connector_rule_names_the_appeal);
async fn each_connector_rule_names_the_appeal(db: Db) {
    let app = TestApp::start_with(db, |s| s.sstu.department_id = Some(OWN.into())).await;
    // Explained and dispatched without the answer file.
    let a = app.register(json!({})).await;
    let answer = pending(&app, a["id"].as_str().unwrap(), "explained").await;
    crate::exports::approve_and_dispatch(&app, a["id"].as_str().unwrap(), &answer).await;
    // Forwarded to us with a cover letter dated after the letter arrived.
    let b = app
        .register(json!({"channel": "forwarded", "received_on": "2025-03-03", "source": {"organization": "Правительство Республики Коми", "number": "01-12/9", "date": "2025-03-01"}}))
        .await;
    app.sql(&format!("UPDATE appeals SET source_date = '2025-03-04' WHERE id = '{}'", b["id"].as_str().unwrap()));
    // A response dated before the registration (a legacy card).
    let c = app.register(json!({})).await;
    answered(&app, c["id"].as_str().unwrap(), "answered", PDF).await;
    app.sql(&format!("UPDATE appeals SET answer_sent_on = '2025-03-02' WHERE id = '{}'", c["id"].as_str().unwrap()));
    for url in ["/api/v1/exports/sstu?month=2025-03", "/api/v1/exports/sstu?month=2025-03&format=zip", "/api/v1/exports/sstu?month=2025-03&since_last=true&format=zip"] {
        let r = app.call("GET", url, Some(&app.supervisor), None).await;
        assert_eq!(r.status, 422, "{url}: {}", r.json);
        let errors: Vec<(&str, &str)> = r.json["errors"].as_array().unwrap().iter().map(|e| (e["reg_number"].as_str().unwrap(), e["field"].as_str().unwrap())).collect();
        assert_eq!(
            errors,
            [
                (a["reg_number"].as_str().unwrap(), "questions[0].attachment"),
                (b["reg_number"].as_str().unwrap(), "questions[0].incomingDate"),
                (c["reg_number"].as_str().unwrap(), "questions[0].responseDate"),
            ],
            "{url}"
        );
    }
    let logs = appeals::store::exports::export_logs(&app.pool, &app.org, "sstu", "2025-03").unwrap();
    assert!(logs.is_empty(), "nothing is logged when nothing is exported");
}

both_backends!(the_answer_file_goes_once_per_appeal);
async fn the_answer_file_goes_once_per_appeal(db: Db) {
    let app = TestApp::start_with(db, |s| s.sstu.department_id = Some(OWN.into())).await;
    let codes = ["0003.0009.0097.0699", "0005.0005.0056.1157"];
    let a = app.register(json!({"questions": [{"code": codes[0], "text": "тротуар"}, {"code": codes[1], "text": "канализация"}]})).await;
    let id = a["id"].as_str().unwrap();
    let r = app.call("POST", &path(id, "/assign"), Some(&app.clerk), Some(&json!({"executors": [{"user_id": app.user_id("executor"), "responsible": true}]}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let r = app.call("POST", &path(id, "/answers"), Some(&app.executor), Some(&json!({"text": "Ответ.", "results": [{"code": codes[0], "result": "not_supported"}, {"code": codes[1], "result": "explained"}]}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let answer = r.json["answers"].as_array().unwrap().iter().rev().find(|a| a["status"] == "pending").unwrap()["id"].as_str().unwrap().to_string();
    let r = app.raw("POST", &path(id, &format!("/answers/{answer}/file?name=otvet.pdf")), Some(&app.executor), Some(PDF.to_vec()), &[("Content-Type", "application/pdf")]).await;
    assert_eq!(r.status, 201, "{}", r.json);
    crate::exports::approve_and_dispatch(&app, id, &answer).await;
    let r = app.call("GET", "/api/v1/exports/sstu?month=2025-03", Some(&app.supervisor), None).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let q = &r.json["items"][0]["questions"];
    assert_eq!((q[0]["status"].as_str(), q[1]["status"].as_str()), (Some("NotSupported"), Some("Explained")));
    // On the question that needs it, and only there.
    assert!(q[0].get("attachment").is_none(), "{q}");
    assert_eq!(q[1]["attachment"]["name"], "otvet.pdf");
}

both_backends!(presidential_appeals_are_skipped_and_logged);
async fn presidential_appeals_are_skipped_and_logged(db: Db) {
    let from_president = json!({"channel": "forwarded", "source": {"organization": "Администрация Президента Российской Федерации", "number": "А26-01-12345678", "date": "2025-03-01"}});
    let app = TestApp::start_with(db, |s| s.sstu.department_id = Some(OWN.into())).await;
    let skipped = app.register(from_president.clone()).await;
    let kept = app.register(json!({})).await;
    let r = app.call("GET", "/api/v1/exports/sstu?month=2025-03", Some(&app.supervisor), None).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["items"].as_array().unwrap().iter().map(|o| o["number"].clone()).collect::<Vec<_>>(), [kept["reg_number"].clone()]);
    assert_eq!(r.header("Sstu-Skipped"), Some("1"));
    let logs = appeals::store::exports::export_logs(&app.pool, &app.org, "sstu", "2025-03").unwrap();
    let payload: Value = serde_json::from_str(&logs[0].payload).unwrap();
    assert_eq!(payload["skipped"][0]["reg_number"], skipped["reg_number"]);
    assert_eq!(payload["skipped"][0]["number"], "А26-01-12345678");
    assert!(payload["skipped"][0]["reason"].as_str().unwrap().contains("Администрации Президента"));
    drop(app);

    // A deployment that reports them too, and reads `Electronic` as "came from another body".
    let app = TestApp::start_with(db, |s| {
        s.sstu.department_id = Some(OWN.into());
        s.sstu.skip_source_prefixes = vec![];
        s.sstu.electronic_forms = vec![];
        s.sstu.electronic_channels = vec!["forwarded".into()];
    })
    .await;
    app.register(from_president).await;
    app.register(json!({"channel": "internet_reception", "form": "electronic"})).await;
    let r = app.call("GET", "/api/v1/exports/sstu?month=2025-03", Some(&app.supervisor), None).await;
    let got: Vec<(&str, &str)> = r.json["items"].as_array().unwrap().iter().map(|o| (o["number"].as_str().unwrap(), o["format"].as_str().unwrap())).collect();
    assert_eq!(got, [("А26-01-12345678", "Electronic"), ("ОГ-2025-000002", "Other")]);
    assert_eq!(r.header("Sstu-Skipped"), Some("0"));
}

/// The export log's `plan` of each run's parts, oldest first: `made` or `reused`.
fn planning(app: &TestApp) -> Vec<String> {
    let mut logs = appeals::store::exports::export_logs(&app.pool, &app.org, "sstu", "2025-03").unwrap();
    logs.extend(appeals::store::exports::export_logs(&app.pool, &app.org, "sstu_part", "2025-03").unwrap());
    logs.sort_by(|a, b| a.id.cmp(&b.id));
    logs.iter().map(|l| serde_json::from_str::<Value>(&l.payload).unwrap()["plan"].as_str().unwrap_or("-").to_string()).collect()
}

both_backends!(zip_parts_are_planned_once_per_month_and_data);
async fn zip_parts_are_planned_once_per_month_and_data(db: Db) {
    let app = TestApp::start_with(db, |s| {
        s.sstu.department_id = Some(OWN.into());
        s.sstu.zip_part_bytes = LIMIT;
    })
    .await;
    let pdf: Vec<u8> = [PDF, &[b'x'; 900][..]].concat();
    let mut ids = Vec::new();
    for i in 0..8 {
        let a = app.register(json!({})).await;
        if i < 6 {
            answered(&app, a["id"].as_str().unwrap(), "explained", &pdf).await;
        }
        ids.push(a["id"].as_str().unwrap().to_string());
    }
    let plan = || appeals::store::sstu::read(&app.pool, |r| r.part_plan(&app.org, "2025-03")).unwrap();
    // Part 1 checks the month and plans the parts; the others are built from that plan alone.
    let (files, all) = all_parts(&app, "month=2025-03").await;
    let n = files.len();
    assert!(n > 2, "{n} part(s)");
    assert_eq!(all.len(), 8);
    let mut want = vec!["made".to_string()];
    want.extend(std::iter::repeat_n("reused".to_string(), n - 1));
    assert_eq!(planning(&app), want);
    let first = plan().expect("a stored plan");
    assert_eq!(first.parts as usize, n);
    // The last part completed the run: every appeal is sent, complete, at its card's version.
    let sent = appeals::store::sstu::read(&app.pool, |r| r.sent(&app.org, "2025-03", &ids)).unwrap();
    assert_eq!(sent.len(), 8);
    assert!(sent.iter().all(|s| s.complete), "{sent:?}");
    let r = app.call("GET", "/api/v1/exports/sstu?month=2025-03&since_last=true", Some(&app.supervisor), None).await;
    assert_eq!(r.json["items"].as_array().unwrap().len(), 0, "{}", r.json);

    // A re-export of unchanged data: the same plan for every part, byte for byte the same files.
    let (again, _) = all_parts(&app, "month=2025-03").await;
    assert_eq!(again, files);
    assert!(planning(&app)[n + 1..].iter().all(|p| p == "reused"), "{:?}", planning(&app));
    let kept = plan().unwrap();
    assert_eq!((kept.fingerprint.as_str(), kept.planned_at), (first.fingerprint.as_str(), first.planned_at));

    // A change in the month plans again, and the files carry it.
    answered(&app, &ids[7], "explained", PDF).await;
    let (changed, all) = all_parts(&app, "month=2025-03").await;
    assert_ne!(changed, files);
    assert_eq!(all.len(), 8);
    let log = planning(&app);
    assert_eq!(log[log.len() - changed.len()..][0], "made", "{log:?}");
    assert_ne!(plan().unwrap().fingerprint, first.fingerprint);
    let with_file = all.iter().filter(|(_, o)| o["questions"][0]["attachment"]["content"].is_string()).count();
    assert_eq!(with_file, 7);

    // A card that now breaks a rule: any part, even past the first, is refused naming it.
    let bad = app
        .register(json!({"channel": "forwarded", "received_on": "2025-03-03", "source": {"organization": "Правительство Республики Коми", "number": "01-12/9", "date": "2025-03-01"}}))
        .await;
    app.sql(&format!("UPDATE appeals SET source_date = '2025-03-04', version = version + 1 WHERE id = '{}'", bad["id"].as_str().unwrap()));
    let r = app.call("GET", "/api/v1/exports/sstu?month=2025-03&format=zip&part=2", Some(&app.supervisor), None).await;
    assert_eq!(r.status, 422, "{}", r.json);
    let errors: Vec<(&str, &str)> = r.json["errors"].as_array().unwrap().iter().map(|e| (e["reg_number"].as_str().unwrap(), e["field"].as_str().unwrap())).collect();
    assert_eq!(errors, [(bad["reg_number"].as_str().unwrap(), "questions[0].incomingDate")]);
}
