//! Statistics: the Ukhta profile gives back the report's figures; period edges in local time,
//! appeals in two sections, empty periods and comparisons without data.

use crate::support::*;
use serde_json::{json, Value};

fn line<'a>(list: &'a Value, code: &str) -> &'a Value {
    list.as_array().unwrap().iter().find(|l| l["code"] == code).unwrap_or_else(|| panic!("no {code} in {list}"))
}

both_backends!(the_ukhta_profile_gives_back_the_reports_figures);
async fn the_ukhta_profile_gives_back_the_reports_figures(db: Db) {
    let app = TestApp::start(db).await;
    let items = serde_json::to_value(appeals::demo::ukhta()).unwrap();
    let r = app.call("POST", "/api/v1/imports/appeals", Some(&app.admin), Some(&json!({"items": items}))).await;
    assert_eq!(r.status, 201, "{}", r.json);
    let r = app.call("GET", "/api/v1/stats?from=2024-01-01&to=2024-12-31", Some(&app.supervisor), None).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let s = &r.json;
    assert_eq!(s["compare"], json!({"from": "2023-01-01", "to": "2023-12-31"}));
    assert_eq!(s["appeals"], json!({"current": 2607, "previous": 2177, "change_pct": 19.8}));
    assert_eq!(s["questions"]["current"], 2674);
    assert_eq!(s["questions"]["previous"], 2271);
    for (code, cur, prev) in [("forwarded", 470, 387), ("internet_reception", 582, 490), ("email", 196, 230), ("post", 114, 130), ("by_hand", 978, 760), ("gis_zhkh", 89, 70), ("feedback_platform", 178, 110)] {
        let l = line(&s["by_channel"], code);
        assert_eq!((l["current"].as_i64(), l["previous"].as_i64()), (Some(cur), Some(prev)), "{code}");
    }
    assert_eq!(line(&s["by_channel"], "forwarded")["name"], "Перенаправлено другими органами");
    for (code, cur) in [("0001", 106), ("0002", 322), ("0003", 1735), ("0004", 79), ("0005", 432)] {
        assert_eq!(line(&s["by_section"], code)["current"], cur, "{code}");
    }
    assert_eq!(line(&s["by_section"], "0003")["previous"], 1272);
    assert_eq!(line(&s["by_section"], "0003")["name"], "Экономика");
    let top: Vec<(&str, i64)> = s["top_questions"].as_array().unwrap().iter().map(|l| (l["code"].as_str().unwrap(), l["current"].as_i64().unwrap())).collect();
    assert_eq!(top[..3], [("0005.0005.0056.1168", 286), ("0003.0009.0097.0689", 264), ("0003.0009.0099.0742", 243)]);
    // Places 4–10 are the profile's, in its order, falling off (never ten alike).
    let spec: Vec<(&str, i64)> = appeals::demo::top_questions(2024, 1).into_iter().map(|(c, n)| (c, n as i64)).collect();
    assert_eq!(top, spec);
    assert!(top.windows(2).all(|w| w[0].1 > w[1].1), "{top:?}");
    assert_eq!(s["personal_reception"]["citizens_by_head"], 35);
    assert_eq!(s["personal_reception"]["citizens_by_deputies"], 17);
    assert_eq!(s["personal_reception"]["questions"], 53);
    assert_eq!(s["written"]["current"], 2607);
    // Electronic: internet reception, e-mail, ГИС ЖКХ, ПОС = 1,045 of 2,607 written.
    assert_eq!(s["electronic"]["current"], 1045);
    assert_eq!(s["electronic_share_of_written_pct"]["current"], 40.1);
    // The annual report writes the section itself.
    let r = app.call("GET", "/api/v1/reports/annual?year=2024", Some(&app.supervisor), None).await;
    assert_eq!(r.status, 200);
    assert!(r.ctype.starts_with("text/html"), "{}", r.ctype);
    let html = r.json.as_str().unwrap();
    assert!(html.contains("В 2024 году поступило 2\u{a0}607 обращений граждан (2023\u{a0}г. – 2\u{a0}177)."), "{}", &html[..html.len().min(3000)]);
    assert!(html.contains("Это на 19,8 % больше, чем в 2023 году."));
    assert!(html.contains("На личном приёме главой принято 35 граждан, заместителями – 17; граждане поставили 53 вопроса."));
    assert!(html.contains("<svg") && html.contains("@page { size: A4"));
    assert!(html.contains("<td>2023</td>") || html.contains("<th>2023</th>"), "the multi-year table");
    // The workbook, read back.
    let bytes = app.raw_bytes("GET", "/api/v1/reports/annual?year=2024&format=xlsx", Some(&app.supervisor)).await;
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("a real workbook");
    let sheet = wb.worksheet_range("Каналы").expect("a channels sheet");
    // Channels by name only (no internal code); figures as numbers.
    let forwarded = appeals::domain::channels::Catalog::new(&[]).name_of("forwarded").to_string();
    let row = sheet.rows().find(|r| r[0].to_string() == forwarded).expect("forwarded row");
    assert_eq!((row[1].to_string(), row[2].to_string()), ("470".to_string(), "387".to_string()));
    let summary = wb.worksheet_range("Сводка").unwrap();
    assert_eq!(summary.rows().nth(1).unwrap()[1].to_string(), "2607");
    let sections = wb.worksheet_range("Разделы").unwrap();
    assert_eq!(sections.rows().find(|r| r[0].to_string() == "0003").unwrap()[2].to_string(), "1735");
    // One breakdown as CSV for Russian Excel.
    let csv = String::from_utf8(app.raw_bytes("GET", "/api/v1/reports/annual?year=2024&format=csv&breakdown=by_section", Some(&app.supervisor)).await).unwrap();
    assert!(csv.starts_with("\u{feff}Код;Наименование;2024 г.;2023 г.;Изменение, %\r\n"), "{csv}");
    assert!(csv.contains("\r\n0003;Экономика;1735;1272;36,4\r\n"), "{csv}");
    app.call("GET", "/api/v1/reports/annual?year=2024&format=pdf", Some(&app.supervisor), None).await.assert_problem(422, Some("format"));

    // A section filter keeps appeals with a question in it.
    let r = app.call("GET", "/api/v1/stats?from=2024-01-01&to=2024-12-31&section=0004&compare=none", Some(&app.supervisor), None).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert!(r.json["appeals"]["current"].as_i64().unwrap() >= 79 - 67 && r.json["appeals"]["current"].as_i64().unwrap() <= 79, "{}", r.json["appeals"]);
    assert_eq!(r.json["compare"], Value::Null);
}

both_backends!(period_edges_are_local_and_questions_count_per_section);
async fn period_edges_are_local_and_questions_count_per_section(db: Db) {
    let app = TestApp::start(db).await;
    let mut items = Vec::new();
    // 23:30 Moscow on 31 December 2024 is 20:30 UTC: 2024. 00:30 Moscow on 1 January 2025 is 2025.
    for (at, received) in [("2024-12-31T20:30:00Z", "2024-12-31"), ("2024-12-31T21:30:00Z", "2024-12-31")] {
        items.push(appeal(json!({"registered_at": at, "received_on": received,
            "questions": [{"code": "0003.0009.0097.0699"}, {"code": "0005.0005.0056.1168"}]})));
    }
    let r = app.call("POST", "/api/v1/imports/appeals", Some(&app.admin), Some(&json!({"items": items}))).await;
    assert_eq!(r.status, 201, "{}", r.json);
    let y2024 = app.call("GET", "/api/v1/stats?from=2024-01-01&to=2024-12-31", Some(&app.supervisor), None).await.json;
    assert_eq!(y2024["appeals"], json!({"current": 1, "previous": 0}), "no change % against zero");
    assert_eq!(y2024["questions"]["current"], 2);
    assert_eq!(line(&y2024["by_section"], "0003")["current"], 1);
    assert_eq!(line(&y2024["by_section"], "0005")["current"], 1);
    let y2025 = app.call("GET", "/api/v1/stats?from=2025-01-01&to=2025-12-31", Some(&app.supervisor), None).await.json;
    assert_eq!(y2025["appeals"]["current"], 1);
    assert_eq!(y2025["appeals"]["previous"], 1);
    assert_eq!(y2025["appeals"]["change_pct"], 0.0);
    // An empty period: zeros and empty lists, no error.
    let empty = app.call("GET", "/api/v1/stats?from=2020-01-01&to=2020-12-31", Some(&app.supervisor), None).await;
    assert_eq!(empty.status, 200);
    assert_eq!(empty.json["appeals"], json!({"current": 0, "previous": 0}));
    assert_eq!(empty.json["by_channel"], json!([]));
    assert_eq!(empty.json["electronic_share_of_written_pct"], json!({"current": 0.0, "previous": 0.0}));
}

both_backends!(control_and_timeliness_follow_the_workflow);
async fn control_and_timeliness_follow_the_workflow(db: Db) {
    let app = TestApp::start(db).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(app.register(json!({})).await["id"].as_str().unwrap().to_string());
    }
    for id in &ids {
        let r = app.call("POST", &format!("/api/v1/appeals/{id}/assign"), Some(&app.clerk), Some(&json!({"executors": [{"user_id": app.user_id("executor"), "responsible": true}]}))).await;
        assert_eq!(r.status, 200);
    }
    // One answered on time and dispatched, one returned for rework, one left overdue.
    let body = json!({"text": "Ответ", "results": [{"code": "0003.0009.0097.0699", "result": "supported"}]});
    let r = app.call("POST", &format!("/api/v1/appeals/{}/answers", ids[0]), Some(&app.executor), Some(&body)).await;
    let a0 = r.json["answers"][0]["id"].as_str().unwrap().to_string();
    app.call("POST", &format!("/api/v1/appeals/{}/answers/{a0}/approve", ids[0]), Some(&app.supervisor), Some(&json!({}))).await;
    app.call("POST", &format!("/api/v1/appeals/{}/answers/{a0}/dispatch", ids[0]), Some(&app.clerk), Some(&json!({"sent_on": "2025-03-03", "channel": "post"}))).await;
    let r = app.call("POST", &format!("/api/v1/appeals/{}/answers", ids[1]), Some(&app.executor), Some(&body)).await;
    let a1 = r.json["answers"][0]["id"].as_str().unwrap().to_string();
    app.call("POST", &format!("/api/v1/appeals/{}/answers/{a1}/return", ids[1]), Some(&app.supervisor), Some(&json!({}))).await;
    app.call("POST", &format!("/api/v1/appeals/{}/consideration", ids[1]), Some(&app.executor), Some(&json!({"on_site_check": true}))).await;
    app.set_now(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2025, 5, 5, 7, 0, 0).unwrap());
    let s = app.call("GET", "/api/v1/stats?from=2025-03-01&to=2025-03-31&compare=previous_period", Some(&app.supervisor), None).await.json;
    assert_eq!(s["compare"], json!({"from": "2025-01-29", "to": "2025-02-28"}));
    assert_eq!(s["control"], json!({"put_on_control": 3, "removed_from_control": 1, "in_work_at_end": 2}));
    assert_eq!(s["timeliness"]["answered"], 1);
    assert_eq!(s["timeliness"]["on_time"], 1);
    assert_eq!(s["timeliness"]["overdue_now"], 2);
    assert_eq!(s["returned_for_rework"]["current"], 1);
    assert_eq!(s["checked_on_site"]["current"], 1);
    assert_eq!(line(&s["results"], "supported")["current"], 1);
    let ex = &s["timeliness_by_executor"][0];
    assert_eq!((ex["user_id"].as_str(), ex["appeals"].as_i64(), ex["on_time"].as_i64()), (Some(app.user_id("executor").as_str()), Some(3), Some(1)));
    // Bad parameters name themselves; executors may not read statistics.
    for (q, field) in [("from=2025-03-01", "to"), ("from=2025-03-31&to=2025-03-01", "to"), ("from=2025-03-01&to=2025-03-31&channel=pigeon", "channel"), ("from=2025-03-01&to=2025-03-31&compare=last", "compare"), ("from=2025-03-01&to=2025-03-31&executor_id=x", "executor_id")] {
        app.call("GET", &format!("/api/v1/stats?{q}"), Some(&app.supervisor), None).await.assert_problem(422, Some(field));
    }
    app.call("GET", "/api/v1/stats?from=2025-03-01&to=2025-03-31", Some(&app.executor), None).await.assert_problem(403, None);
}

/// The figures of a period counted both ways, as JSON.
fn both_ways(app: &TestApp, from: &str, to: &str) -> (Value, Value) {
    both_ways_filtered(app, from, to, Filter::None)
}

/// One statistics filter of a request.
#[derive(Clone, Debug)]
enum Filter {
    None,
    Channel(&'static str),
    Section(&'static str),
    Executor(String),
    Department(String),
}

/// [`both_ways`] for the appeals one filter keeps: its rollup slice against the scan.
fn both_ways_filtered(app: &TestApp, from: &str, to: &str, filter: Filter) -> (Value, Value) {
    use appeals::reports::statistics::{compute_with, Counting};
    use appeals::reports::stats::PeriodOut;
    let st = &app.state;
    let (from, to): (chrono::NaiveDate, chrono::NaiveDate) = (from.parse().unwrap(), to.parse().unwrap());
    let period = PeriodOut { from, to };
    let compare = appeals::reports::statistics::comparison(period, "previous_period");
    let scope = appeals::store::stats::Scope {
        org: app.org.clone(),
        start: st.start_of(&app.org, from),
        end: st.start_of(&app.org, to.succ_opt().unwrap()),
        from,
        to,
        today: st.today(&app.org),
        channel: None,
        section: None,
        executor_id: None,
        department: None,
        counting: appeals::domain::counting::Counting::default(),
    };
    let scope = match filter {
        Filter::None => scope,
        Filter::Channel(c) => appeals::store::stats::Scope { channel: Some(c.into()), ..scope },
        Filter::Section(s) => appeals::store::stats::Scope { section: Some(s.into()), ..scope },
        Filter::Executor(u) => appeals::store::stats::Scope { executor_id: Some(u), ..scope },
        Filter::Department(d) => appeals::store::stats::Scope { department: Some(d), ..scope },
    };
    let get = |how| serde_json::to_value(compute_with(st, period, compare, &scope, 100, how).unwrap_or_else(|e| panic!("{how:?}: {e:?}"))).unwrap();
    (get(Counting::Rollup), get(Counting::Scan))
}

both_backends!(the_rollup_counts_what_the_scan_counts_after_a_mix_of_actions);
async fn the_rollup_counts_what_the_scan_counts_after_a_mix_of_actions(db: Db) {
    let app = TestApp::start(db).await;
    // A first appeal before the rollup exists: the first read builds it from the appeals.
    app.register(json!({"channel": "email", "form": "electronic"})).await;
    appeals::reports::statistics::prepare_rollup(&app.state, &app.org).unwrap();
    // From here on every figure reaches the rollup only through the write paths' deltas.
    let mut ids = Vec::new();
    for (n, over) in [
        json!({}),
        json!({"channel": "email", "form": "electronic", "kind": "statement"}),
        json!({"channel": "personal_reception", "form": "oral", "reception": {"official": "Глава", "official_role": "head", "held_on": "2025-03-03"}, "questions": [{"code": "0005.0005.0056.1157"}]}),
        json!({"collective": true, "signatures": 12, "questions": [{"code": "0003.0009.0097.0699"}, {"code": "0005.0005.0056.1168"}]}),
        json!({"source": {"organization": "Прокуратура г. Ухты", "number": "7-12", "date": "2025-02-15"}, "received_on": "2025-02-20"}),
        json!({"kind": "proposal"}),
    ]
    .into_iter()
    .enumerate()
    {
        let r = app.call("POST", "/api/v1/appeals", Some(&app.clerk), Some(&appeal(over))).await;
        assert_eq!(r.status, 201, "appeal {n}: {}", r.json);
        ids.push(r.json["id"].as_str().unwrap().to_string());
    }
    let items = json!([appeal(json!({"channel": "post", "registered_at": "2025-03-02T09:00:00Z", "received_on": "2025-03-01"})), appeal(json!({"channel": "by_hand", "registered_at": "2025-03-02T10:00:00Z", "received_on": "2025-03-01", "kind": "statement"}))]);
    let r = app.call("POST", "/api/v1/imports/appeals", Some(&app.admin), Some(&json!({"items": items}))).await;
    assert!(r.status == 200 || r.status == 201, "import: {}", r.json);
    let post = |p: String, token: &str, body: Value| {
        let (app, token) = (&app, token.to_string());
        async move {
            let r = app.call("POST", &p, Some(&token), Some(&body)).await;
            assert!(r.status < 300, "{p}: {}", r.json);
            r.json
        }
    };
    let executor = app.user_id("executor");
    for id in &ids {
        post(format!("/api/v1/appeals/{id}/assign"), &app.clerk, json!({"executors": [{"user_id": executor, "responsible": true}]})).await;
    }
    let body = json!({"text": "Ответ", "results": [{"code": "0003.0009.0097.0699", "result": "supported"}]});
    // 0: answered, approved, dispatched, closed.
    let card = post(format!("/api/v1/appeals/{}/answers", ids[0]), &app.executor, body.clone()).await;
    let a = card["answers"][0]["id"].as_str().unwrap().to_string();
    post(format!("/api/v1/appeals/{}/answers/{a}/approve", ids[0]), &app.supervisor, json!({})).await;
    post(format!("/api/v1/appeals/{}/answers/{a}/dispatch", ids[0]), &app.clerk, json!({"sent_on": "2025-03-03", "channel": "post"})).await;
    // 1: returned for rework, then checked on site, then extended.
    let card = post(format!("/api/v1/appeals/{}/answers", ids[1]), &app.executor, body.clone()).await;
    let a = card["answers"][0]["id"].as_str().unwrap().to_string();
    post(format!("/api/v1/appeals/{}/answers/{a}/return", ids[1]), &app.supervisor, json!({})).await;
    post(format!("/api/v1/appeals/{}/consideration", ids[1]), &app.executor, json!({"on_site_check": true, "by_commission": true})).await;
    post(format!("/api/v1/appeals/{}/extend", ids[1]), &app.supervisor, json!({"days": 10, "reason": "Запрос документов"})).await;
    // 4: forwarded by competence; 5: left without answer.
    post(format!("/api/v1/appeals/{}/forward", ids[4]), &app.clerk, json!({"organization": "Государственная жилищная инспекция", "reason": "по компетенции"})).await;
    post(format!("/api/v1/appeals/{}/leave-without-answer", ids[5]), &app.supervisor, json!({"reason": "unreadable"})).await;
    // 3: corrected (kind, questions).
    let fix = json!({"kind": "statement", "questions": [{"code": "0005.0005.0056.1157"}]});
    let r = app.raw("PATCH", &format!("/api/v1/appeals/{}", ids[3]), Some(&app.clerk), Some(fix.to_string().into_bytes()), &[("If-Match", "\"2\"")]).await;
    assert_eq!(r.status, 200, "{}", r.json);
    app.set_now(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2025, 5, 5, 7, 0, 0).unwrap());
    // With the deltas still pending, then after they are folded; over a month, a partial month
    // and a span of whole and partial months.
    for (from, to) in [("2025-03-01", "2025-03-31"), ("2025-03-02", "2025-03-20"), ("2025-02-15", "2025-05-10"), ("2025-01-01", "2025-12-31")] {
        let (rollup, scan) = both_ways(&app, from, to);
        assert_eq!(rollup, scan, "{from}..{to} with pending deltas");
    }
    appeals::reports::statistics::prepare_rollup(&app.state, &app.org).unwrap();
    for (from, to) in [("2025-03-01", "2025-03-31"), ("2025-03-02", "2025-03-20"), ("2025-02-15", "2025-05-10"), ("2025-01-01", "2025-12-31")] {
        let (rollup, scan) = both_ways(&app, from, to);
        assert_eq!(rollup, scan, "{from}..{to} after compaction");
    }
    // "Overdue now" as of several days: before the deadlines (none), early in the deadlines'
    // month (due earlier this month: counted live), and in a later month (from the rollup of
    // open appeals by deadline month); closing, extending and answering moved it above.
    let mut overdue = Vec::new();
    for (m, d) in [(3, 20), (4, 10), (5, 5)] {
        app.set_now(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2025, m, d, 7, 0, 0).unwrap());
        for (from, to) in [("2025-03-01", "2025-03-31"), ("2025-01-01", "2025-12-31"), ("2025-03-02", "2025-03-02")] {
            let (rollup, scan) = both_ways(&app, from, to);
            assert_eq!(rollup, scan, "{from}..{to} on 2025-{m:02}-{d:02}");
        }
        let (s, _) = both_ways(&app, "2025-03-01", "2025-03-31");
        let by_executor = s["timeliness_by_executor"].as_array().unwrap().iter().map(|e| e["overdue_now"].as_i64().unwrap_or(0)).sum::<i64>();
        overdue.push((s["timeliness"]["overdue_now"].as_i64().unwrap(), by_executor));
    }
    assert_eq!(overdue[0], (0, 0), "nothing is due by 20 March");
    assert!(overdue[1].0 > 0 && overdue[1].1 > 0, "due earlier in April, open on 10 April: {overdue:?}");
    assert!(overdue[2].0 >= overdue[1].0 && overdue[2].1 > 0, "{overdue:?}");
    let (s, _) = both_ways(&app, "2025-03-01", "2025-03-31");
    // The mix really moved the figures the comparison covers.
    assert_eq!(s["appeals"]["current"], 8);
    assert_eq!(s["forwarded"]["current"], 1);
    assert_eq!(s["checked_on_site"]["current"], 1);
    assert_eq!(s["returned_for_rework"]["current"], 1);
    assert_eq!(s["timeliness"]["extended"], 1);
    assert_eq!(s["personal_reception"]["citizens_by_head"], 1);
    assert!(s["control"]["put_on_control"].as_i64().unwrap() >= 6, "{}", s["control"]);
}

both_backends!(every_filter_reads_its_slice_as_the_scan_counts_it);
/// Statistics filtered by channel, section, executor or department come from the rollup's slice
/// of that filter, and equal the scan's figures for the same filter after registrations,
/// corrections, assignments with co-executors, reassignments, answers and a department change,
/// with the deltas pending and after they are folded.
async fn every_filter_reads_its_slice_as_the_scan_counts_it(db: Db) {
    let app = TestApp::start(db).await;
    let (executor, executor2) = (app.user_id("executor"), app.user_id("executor2"));
    for (code, name) in [("oog", "Отдел по работе с обращениями"), ("jkh", "Отдел ЖКХ")] {
        let r = app.call("POST", "/api/v1/departments", Some(&app.admin), Some(&json!({"code": code, "name": name}))).await;
        assert!(r.status < 300, "{}", r.json);
    }
    for (user, dep) in [(&executor, "oog"), (&executor2, "jkh")] {
        let r = app.call("PATCH", &format!("/api/v1/users/{user}"), Some(&app.admin), Some(&json!({"department": dep}))).await;
        assert_eq!(r.status, 200, "{}", r.json);
    }
    app.register(json!({})).await;
    appeals::reports::statistics::prepare_rollup(&app.state, &app.org).unwrap();
    let mut ids = Vec::new();
    for over in [
        json!({"channel": "email", "form": "electronic", "questions": [{"code": "0005.0005.0056.1168"}]}),
        json!({"questions": [{"code": "0003.0009.0097.0699"}, {"code": "0005.0005.0056.1157"}]}),
        json!({"channel": "by_hand", "kind": "statement"}),
        json!({"channel": "personal_reception", "form": "oral", "reception": {"official": "Глава", "official_role": "head", "held_on": "2025-03-03"}, "questions": [{"code": "0005.0005.0056.1157"}]}),
        json!({"channel": "email", "form": "electronic"}),
    ] {
        ids.push(app.register(over).await["id"].as_str().unwrap().to_string());
    }
    let post = |p: String, token: String, body: Value| {
        let app = &app;
        async move {
            let r = app.call("POST", &p, Some(&token), Some(&body)).await;
            assert!(r.status < 300, "{p}: {}", r.json);
            r.json
        }
    };
    let team = json!({"executors": [{"user_id": executor, "responsible": true}, {"user_id": executor2}]});
    for id in &ids[..3] {
        post(format!("/api/v1/appeals/{id}/assign"), app.clerk.clone(), team.clone()).await;
    }
    post(format!("/api/v1/appeals/{}/assign", ids[3]), app.clerk.clone(), json!({"executors": [{"user_id": executor2, "responsible": true}]})).await;
    // Reassigned: executor2 alone, responsible (executor leaves the appeal and its department).
    post(format!("/api/v1/appeals/{}/assign", ids[2]), app.supervisor.clone(), json!({"executors": [{"user_id": executor2, "responsible": true}]})).await;
    // Answered and approved: the results count in every slice of the appeal.
    let body = json!({"text": "Ответ", "results": [{"code": "0005.0005.0056.1168", "result": "explained"}]});
    let card = post(format!("/api/v1/appeals/{}/answers", ids[0]), app.executor.clone(), body).await;
    let a = card["answers"][0]["id"].as_str().unwrap().to_string();
    post(format!("/api/v1/appeals/{}/answers/{a}/approve", ids[0]), app.supervisor.clone(), json!({})).await;
    // Corrected: the questions move the appeal from section 0003 to 0001 (and out of 0005).
    let fix = json!({"questions": [{"code": "0001.0002.0027.0128"}]});
    let r = app.raw("PATCH", &format!("/api/v1/appeals/{}", ids[1]), Some(&app.clerk), Some(fix.to_string().into_bytes()), &[("If-Match", "\"2\"")]).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let jkh = appeals::store::users::department_by_code(&app.state.pool, &app.org, "jkh").unwrap().unwrap().id;
    let filters = || {
        vec![
            Filter::Channel("post"),
            Filter::Channel("email"),
            Filter::Channel("phone"),
            Filter::Section("0001"),
            Filter::Section("0003"),
            Filter::Section("0005"),
            Filter::Executor(executor.clone()),
            Filter::Executor(executor2.clone()),
            Filter::Department("oog".into()),
            Filter::Department("jkh".into()),
            Filter::Department(jkh.clone()),
            Filter::Department("nope".into()),
        ]
    };
    let check = |when: &str| {
        for f in filters() {
            for (from, to) in [("2025-03-01", "2025-03-31"), ("2025-03-02", "2025-03-20"), ("2025-01-01", "2025-12-31")] {
                let (rollup, scan) = both_ways_filtered(&app, from, to, f.clone());
                assert_eq!(rollup, scan, "{f:?} {from}..{to} {when}");
            }
        }
    };
    app.set_now(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2025, 4, 10, 7, 0, 0).unwrap());
    check("with pending deltas");
    appeals::reports::statistics::prepare_rollup(&app.state, &app.org).unwrap();
    check("after compaction");
    let of = |f: Filter| both_ways_filtered(&app, "2025-03-01", "2025-03-31", f).0;
    assert_eq!(of(Filter::Department("oog".into()))["appeals"]["current"], 2, "executor responsible for two");
    assert_eq!(of(Filter::Department("jkh".into()))["appeals"]["current"], 1, "executor2 responsible for one written");
    assert_eq!(of(Filter::Executor(executor2.clone()))["appeals"]["current"], 3, "co-executor counts too");
    assert_eq!(of(Filter::Section("0001"))["appeals"]["current"], 1);
    // The executor moves to the other department: their appeals move with them.
    let r = app.call("PATCH", &format!("/api/v1/users/{executor}"), Some(&app.admin), Some(&json!({"department": "jkh"}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    check("after a department change");
    assert_eq!(of(Filter::Department("oog".into()))["appeals"]["current"], 0);
    assert_eq!(of(Filter::Department("jkh".into()))["appeals"]["current"], 3);
    // And out of any department.
    let r = app.call("PATCH", &format!("/api/v1/users/{executor}"), Some(&app.admin), Some(&json!({"department": null}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    appeals::reports::statistics::prepare_rollup(&app.state, &app.org).unwrap();
    check("after leaving the department");
    assert_eq!(of(Filter::Department("jkh".into()))["appeals"]["current"], 1);
}

both_backends!(a_filtered_request_reads_the_rollup_and_two_filters_the_scan);
/// Over HTTP, a request with one filter takes its figures from the rollup slice (a marker row
/// put into the slice shows in the answer) and a request with two filters from the scan.
async fn a_filtered_request_reads_the_rollup_and_two_filters_the_scan(db: Db) {
    let app = TestApp::start(db).await;
    app.register(json!({"channel": "post", "questions": [{"code": "0003.0009.0097.0699"}]})).await;
    appeals::reports::statistics::prepare_rollup(&app.state, &app.org).unwrap();
    app.sql(&format!("UPDATE stats_rollup_year SET n = n + 1000 WHERE organization_id = '{}' AND slice = 'ch:post' AND figure = 'appeals'", app.org));
    let appeals_of = |q: &'static str| {
        let app = &app;
        async move {
            let r = app.call("GET", &format!("/api/v1/stats?from=2025-01-01&to=2025-12-31&compare=none{q}"), Some(&app.supervisor), None).await;
            assert_eq!(r.status, 200, "{q}: {}", r.json);
            r.json["appeals"]["current"].as_i64().unwrap()
        }
    };
    assert_eq!(appeals_of("").await, 1, "the whole body's slice");
    assert_eq!(appeals_of("&channel=post").await, 1001, "the channel's slice, marker included");
    assert_eq!(appeals_of("&channel=post&section=0003").await, 1, "two filters: the scan");
    assert_eq!(appeals_of("&section=0003").await, 1);
    assert_eq!(appeals_of("&department=nope").await, 0);
}

both_backends!(a_correction_takes_back_what_the_card_counted);
async fn a_correction_takes_back_what_the_card_counted(db: Db) {
    let app = TestApp::start(db).await;
    let card = app.register(json!({"kind": "complaint", "form": "written", "questions": [{"code": "0003.0009.0097.0699"}]})).await;
    let id = card["id"].as_str().unwrap();
    let stats = || async { app.call("GET", "/api/v1/stats?from=2025-03-01&to=2025-03-31", Some(&app.supervisor), None).await.json };
    let s = stats().await;
    assert_eq!(line(&s["by_kind"], "complaint")["current"], 1);
    assert_eq!(line(&s["by_section"], "0003")["current"], 1);
    let fix = json!({"kind": "proposal", "questions": [{"code": "0005.0005.0056.1157"}, {"code": "0005.0005.0056.1168"}]});
    let r = app.raw("PATCH", &format!("/api/v1/appeals/{id}"), Some(&app.clerk), Some(fix.to_string().into_bytes()), &[("If-Match", "\"1\"")]).await;
    assert_eq!(r.status, 200, "{}", r.json);
    // The correction's deltas are -1 for what the card counted and +1 for what it counts now.
    let s = stats().await;
    assert!(s["by_kind"].as_array().unwrap().iter().all(|l| l["code"] != "complaint"), "{}", s["by_kind"]);
    assert_eq!(line(&s["by_kind"], "proposal")["current"], 1);
    assert!(s["by_section"].as_array().unwrap().iter().all(|l| l["code"] != "0003"), "{}", s["by_section"]);
    assert_eq!(line(&s["by_section"], "0005")["current"], 2);
    assert_eq!(s["appeals"]["current"], 1);
    assert_eq!(s["questions"]["current"], 2);
}

both_backends!(a_registry_without_a_rollup_is_counted_by_the_scan_until_it_is_built);
/// Appeals loaded around the service (or from before the rollups): no request builds the rollup
/// inline; the figures come from the scan, the same, until the startup build has run.
async fn a_registry_without_a_rollup_is_counted_by_the_scan_until_it_is_built(db: Db) {
    let app = TestApp::start(db).await;
    for over in [json!({}), json!({"channel": "email", "form": "electronic"})] {
        app.register(over).await;
    }
    let url = "/api/v1/stats?from=2025-03-01&to=2025-03-31";
    let before = app.call("GET", url, Some(&app.supervisor), None).await.json;
    assert_eq!(before["appeals"]["current"], 2, "{before}");
    // As if the appeals had been loaded by SQL: no rollup, no deltas.
    app.sql("DELETE FROM stats_rollup_state; DELETE FROM stats_rollup; DELETE FROM stats_rollup_month; DELETE FROM stats_rollup_year; DELETE FROM stats_deltas");
    let built = || appeals::store::stats_deltas::is_built(&app.state.pool, &app.org).unwrap();
    let scanned = app.call("GET", url, Some(&app.supervisor), None).await.json;
    assert_eq!(scanned, before, "the scan counts what the rollup did");
    let report = app.raw("GET", "/api/v1/reports/annual?year=2025", Some(&app.supervisor), None, &[]).await;
    assert_eq!(report.status, 200);
    assert!(!built(), "a request does not build the rollup");
    // The startup build (what `serve` runs in the background).
    assert!(appeals::reports::statistics::build_rollup(&app.state, &app.org).unwrap().is_some());
    assert!(built());
    assert_eq!(appeals::reports::statistics::build_rollup(&app.state, &app.org).unwrap(), None, "built once");
    let read = app.call("GET", url, Some(&app.supervisor), None).await.json;
    assert_eq!(read, before);
}

both_backends!(the_statistics_read_follows_the_rollups_indexes);
/// The rollup read reaches its rows through the rollups' keys and `appeals_org_status_due`:
/// on PostgreSQL (sequential scans off, as in every test) the tables' seq_scan counters do not
/// move over statistics requests, the statistics page's read and the annual report; on SQLite no
/// statement they ran plans a SCAN of them.
async fn the_statistics_read_follows_the_rollups_indexes(db: Db) {
    use diesel::RunQueryDsl;
    const TABLES: [&str; 6] = ["appeals", "stats_deltas", "stats_rollup", "stats_rollup_month", "stats_rollup_year", "stats_rollup_state"];
    let app = TestApp::start_with(db, |s| if db == Db::Sqlite { s.pool_size = 1 }).await;
    for over in [json!({}), json!({"channel": "email", "form": "electronic"})] {
        app.register(over).await;
    }
    appeals::reports::statistics::prepare_rollup(&app.state, &app.org).unwrap();
    app.register(json!({"kind": "proposal"})).await;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let before = match &app.pool {
        appeals::store::DbPool::Pg(_) => app.seq_scans(&TABLES),
        appeals::store::DbPool::Sqlite(p) => {
            diesel::Connection::set_instrumentation(&mut *p.get().expect("connection"), crate::scale::Capture(seen.clone()));
            Vec::new()
        }
    };
    app.set_now(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2025, 4, 10, 7, 0, 0).unwrap());
    for url in ["/api/v1/stats?from=2025-01-01&to=2025-12-31", "/api/v1/stats?from=2025-01-01&to=2025-04-10", "/api/v1/stats?from=2025-03-04&to=2025-03-20"] {
        let r = app.call("GET", url, Some(&app.supervisor), None).await;
        assert_eq!(r.status, 200, "{url}: {}", r.json);
        assert_eq!(r.json["appeals"]["current"], if url.contains("03-04") { 0 } else { 3 }, "{url}");
    }
    let (from, to) = ("2025-01-01".parse().unwrap(), "2025-04-10".parse().unwrap());
    let scope = appeals::store::stats::Scope { org: app.org.clone(), start: app.state.start_of(&app.org, from), end: app.state.start_of(&app.org, to), from, to, today: app.state.today(&app.org), channel: None, section: None, executor_id: None, department: None, counting: Default::default() };
    let page = appeals::reports::statistics::compute_for(&app.state, appeals::reports::stats::PeriodOut { from, to }, None, &scope, 10, appeals::reports::statistics::Detail::Summary).unwrap();
    assert_eq!(page.appeals.current, 3);
    assert!(page.timeliness_by_executor.is_empty(), "the page's read takes no figures by executor");
    let r = app.raw("GET", "/api/v1/reports/annual?year=2025", Some(&app.supervisor), None, &[]).await;
    assert_eq!(r.status, 200);
    match &app.pool {
        appeals::store::DbPool::Pg(_) => assert_eq!(app.seq_scans(&TABLES), before, "sequential scans (before → after)"),
        appeals::store::DbPool::Sqlite(p) => {
            let mut statements: Vec<String> = seen.lock().unwrap().clone();
            statements.sort();
            statements.dedup();
            let mut c = p.get().expect("connection");
            let mut checked = 0;
            // The rollup read is one statement with a common table expression (`WITH f AS …`).
            for sql in statements.iter().filter(|s| ["SELECT", "WITH"].iter().any(|k| s.trim_start().to_uppercase().starts_with(k)) && TABLES.iter().any(|t| s.contains(t))) {
                let plan: Vec<crate::scale::PlanLine> = diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}")).load(&mut *c).unwrap_or_else(|e| panic!("{e}: {sql}"));
                for line in &plan {
                    for t in TABLES {
                        assert!(!line.detail.starts_with(&format!("SCAN {t}")) && !line.detail.starts_with(&format!("SCAN a ")) && line.detail != "SCAN a", "{}: {sql}", line.detail);
                    }
                }
                checked += 1;
            }
            assert!(checked >= 5, "only {checked} statements checked: {statements:#?}");
        }
    }
}

/// A year of 2025 for the counting conventions, imported: each month two letters by post (one
/// with two questions), an oral appeal at a personal reception, a letter handed in at one, an
/// oral appeal at a live broadcast and a letter forwarded by another body.
fn convention_year() -> Vec<Value> {
    let mut items = Vec::new();
    for m in 1..=12u32 {
        let at = |day: u32, hour: u32| format!("2025-{m:02}-{day:02}T{hour:02}:00:00Z");
        let on = |day: u32| format!("2025-{m:02}-{day:02}");
        let role = if m % 2 == 0 { "head" } else { "deputy" };
        let reception = json!({"official": "Глава города", "official_role": role, "held_on": on(10)});
        for over in [
            json!({"channel": "post", "registered_at": at(5, 8), "received_on": on(4)}),
            json!({"channel": "post", "registered_at": at(6, 8), "received_on": on(5), "questions": [{"code": "0003.0009.0097.0699"}, {"code": "0005.0005.0056.1157"}]}),
            json!({"channel": "personal_reception", "form": "oral", "registered_at": at(10, 9), "received_on": on(10), "reception": reception, "questions": [{"code": "0005.0005.0056.1168"}]}),
            json!({"channel": "personal_reception", "form": "written", "registered_at": at(10, 10), "received_on": on(10), "reception": reception}),
            json!({"channel": "live_broadcast", "form": "oral", "registered_at": at(15, 12), "received_on": on(15)}),
            json!({"channel": "forwarded", "registered_at": at(20, 8), "received_on": on(19), "source": {"organization": "Администрация Главы Республики Коми", "number": format!("12-{m}"), "date": on(17)}}),
        ] {
            items.push(appeal(over));
        }
    }
    items
}

/// The value of a ГАСУ indicator (by its code) in the month's CSV form.
async fn gasu_indicator(app: &TestApp, month: &str, code: &str) -> i64 {
    let bytes = app.raw_bytes("GET", &format!("/api/v1/exports/gasu/appeals?month={month}&format=csv"), Some(&app.supervisor)).await;
    let text = String::from_utf8(bytes).unwrap();
    let row = text.lines().find(|l| l.split(';').next() == Some(code)).unwrap_or_else(|| panic!("no indicator {code}: {text}"));
    row.rsplit(';').next().unwrap().trim().parse().unwrap()
}

/// Both counting conventions over one generated year: the totals, channels, forms and
/// questions against the test's own count, the rollup equal to the scan, and the twelve
/// monthly ГАСУ forms adding up to the year's statistics.
async fn counting_convention(db: Db, in_totals: bool) {
    let app = TestApp::start_with(db, |s| s.statistics.oral_reception_in_totals = in_totals).await;
    app.set_now(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 1, 15, 9, 0, 0).unwrap());
    let r = app.call("POST", "/api/v1/imports/appeals", Some(&app.admin), Some(&json!({"items": convention_year()}))).await;
    assert!(r.status == 200 || r.status == 201, "import: {}", r.json);
    // Per month: 2 by post (3 questions), reception oral 1 (1), reception written 1, broadcast 1, forwarded 1.
    let oral_reception = if in_totals { 12 } else { 0 };
    let appeals = 60 + oral_reception;
    let questions = 12 * (3 + 1 + 1 + 1) + oral_reception;
    let s = app.call("GET", "/api/v1/stats?from=2025-01-01&to=2025-12-31", Some(&app.supervisor), None).await.json;
    assert_eq!(s["appeals"]["current"], appeals, "{s}");
    assert_eq!(s["questions"]["current"], questions);
    let of = |list: &str, code: &str| s[list].as_array().unwrap().iter().find(|x| x["code"] == code).map(|x| x["current"].as_i64().unwrap()).unwrap_or(0);
    assert_eq!(of("by_channel", "personal_reception"), 12 + oral_reception);
    assert_eq!(of("by_channel", "live_broadcast"), 12);
    assert_eq!(of("by_channel", "forwarded"), 12);
    assert_eq!(of("by_channel", "post"), 24);
    assert_eq!(of("by_form", "oral"), 12 + oral_reception);
    assert_eq!(of("by_form", "written"), 48);
    // The reception's own figures are the same under both conventions.
    assert_eq!(s["personal_reception"]["citizens_by_head"].as_i64().unwrap() + s["personal_reception"]["citizens_by_deputies"].as_i64().unwrap(), 24);
    // The scan counts what the rollup counts.
    use appeals::reports::statistics::{compute_with, Counting};
    use appeals::reports::stats::PeriodOut;
    let (from, to) = ("2025-01-01".parse().unwrap(), "2025-12-31".parse().unwrap());
    let scope = appeals::store::stats::Scope {
        org: app.org.clone(), start: app.state.start_of(&app.org, from), end: app.state.start_of(&app.org, to + chrono::Duration::days(1)), from, to, today: app.state.today(&app.org),
        channel: None, section: None, executor_id: None, department: None, counting: app.state.settings.statistics,
    };
    let scan = serde_json::to_value(compute_with(&app.state, PeriodOut { from, to }, None, &scope, 10, Counting::Scan).unwrap()).unwrap();
    let rollup = serde_json::to_value(compute_with(&app.state, PeriodOut { from, to }, None, &scope, 10, Counting::Rollup).unwrap()).unwrap();
    for key in ["appeals", "questions", "by_channel", "by_form", "by_section"] {
        assert_eq!(scan[key], rollup[key], "{key}");
    }
    assert_eq!(rollup["appeals"]["current"], appeals);
    // The twelve monthly forms add up to the year.
    let (mut total, mut oral) = (0, 0);
    for m in 1..=12 {
        total += gasu_indicator(&app, &format!("2025-{m:02}"), "1").await;
        oral += gasu_indicator(&app, &format!("2025-{m:02}"), "1.3").await;
    }
    assert_eq!(total, appeals);
    assert_eq!(oral, 12 + oral_reception);
    // The annual report's multi-year table says the same.
    let html = String::from_utf8(app.raw_bytes("GET", "/api/v1/reports/annual?year=2025", Some(&app.supervisor)).await).unwrap();
    assert!(html.contains(&format!("поступило {} обращени", appeals)), "{html}");
}

both_backends!(oral_reception_kept_apart_from_the_totals_everywhere);
async fn oral_reception_kept_apart_from_the_totals_everywhere(db: Db) {
    counting_convention(db, false).await;
}

both_backends!(oral_reception_counted_in_the_totals_everywhere);
async fn oral_reception_counted_in_the_totals_everywhere(db: Db) {
    counting_convention(db, true).await;
}
