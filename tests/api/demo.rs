//! Demo data tells a finished story: the Ukhta profile's appeals go through the control use
//! case, so the 2024 report has its control and results sections, nothing from 2023 is
//! overdue and the top questions follow the spec; a registry with real appeals is refused.

use crate::support::*;
use appeals::demo::{DemoError, Profile};
use serde_json::{json, Value};

/// The size the suite loads: every figure of the report divided by 20 (about 250 appeals,
/// some 800 workflow steps). The full profile's top questions are checked in `stats.rs`.
const DIVISOR: usize = 20;

fn stats(s: &Value, path: &[&str]) -> i64 {
    path.iter().fold(s, |v, k| &v[*k]).as_i64().unwrap_or_else(|| panic!("{path:?} in {s}"))
}

both_backends!(the_ukhta_demo_fills_the_2024_report_and_leaves_nothing_overdue);
async fn the_ukhta_demo_fills_the_2024_report_and_leaves_nothing_overdue(db: Db) {
    let app = TestApp::start(db).await;
    let loaded = appeals::demo::load(&app.state, &app.org, &Profile::Ukhta { divisor: DIVISOR }, false).expect("load the demo");
    assert_eq!(loaded.appeals, appeals::demo::ukhta_scaled(DIVISOR).len());
    assert_eq!(loaded.refused, 0, "every step of the story is one the use case accepts");
    assert!(loaded.steps > 3 * loaded.appeals, "{loaded:?}");
    // The steps ran on clocks of their own: the service's clock is where the test put it.
    assert_eq!(appeals::clock::Clock::now(app.clock.as_ref()), start_instant());

    let r = app.call("GET", "/api/v1/stats?from=2024-01-01&to=2024-12-31", Some(&app.supervisor), None).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let s = &r.json;
    // Control: the year's appeals were put on control (those of late December in January) and
    // as many removed (those of late 2023 in January); in work at the year's end: a few of
    // December's, answered in January.
    let put = stats(s, &["control", "put_on_control"]);
    let removed = stats(s, &["control", "removed_from_control"]);
    let at_end = stats(s, &["control", "in_work_at_end"]);
    assert!(put > stats(s, &["appeals", "current"]) * 9 / 10, "{}", s["control"]);
    assert!(removed > put * 9 / 10, "{}", s["control"]);
    assert!(at_end < put / 10, "{}", s["control"]);
    // Timeliness: mostly on time, some late, some extended, nothing overdue today.
    let t = &s["timeliness"];
    let (on_time, late, extended) = (stats(t, &["on_time"]), stats(t, &["late"]), stats(t, &["extended"]));
    assert!(on_time > 10 * late && late > 0 && extended > 0, "{t}");
    assert_eq!(stats(t, &["overdue_now"]), 0, "{t}");
    assert!(stats(s, &["forwarded", "current"]) > 0 && stats(s, &["returned_for_rework", "current"]) > 0, "{s}");
    // Results per question: several, explained the most frequent.
    let results = s["results"].as_array().unwrap();
    let codes: Vec<&str> = results.iter().map(|l| l["code"].as_str().unwrap()).collect();
    for code in ["explained", "supported", "supported_measures_taken", "not_supported"] {
        assert!(codes.contains(&code), "{code} in {results:?}");
    }
    let count = |code: &str| results.iter().find(|l| l["code"] == code).map(|l| l["current"].as_i64().unwrap()).unwrap_or(0);
    assert!(results.iter().all(|l| l["current"].as_i64().unwrap() <= count("explained")), "{results:?}");
    // Top questions: the report's first three lead.
    let top: Vec<&str> = s["top_questions"].as_array().unwrap()[..3].iter().map(|l| l["code"].as_str().unwrap()).collect();
    let spec: Vec<&str> = appeals::demo::top_questions(2024, 1)[..3].iter().map(|(c, _)| *c).collect();
    assert_eq!(top, spec);

    // 2023: finished long ago, nothing overdue.
    let r = app.call("GET", "/api/v1/stats?from=2023-01-01&to=2023-12-31", Some(&app.supervisor), None).await;
    assert_eq!(stats(&r.json, &["timeliness", "overdue_now"]), 0, "{}", r.json["timeliness"]);
    assert!(stats(&r.json, &["control", "put_on_control"]) > 0);
    // Nor on the registry's overdue list, nor anything of 2023 still open.
    let r = app.call("GET", "/api/v1/appeals?overdue=true", Some(&app.supervisor), None).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["items"], json!([]));
    for status in ["registered", "in_work", "answer_review"] {
        let r = app.call("GET", &format!("/api/v1/appeals?registered_from=2023-01-01&registered_to=2023-12-31&status={status}"), Some(&app.supervisor), None).await;
        assert_eq!(r.json["items"], json!([]), "{status}");
    }

    // The annual report says so in words.
    let r = app.call("GET", "/api/v1/reports/annual?year=2024", Some(&app.supervisor), None).await;
    let html = r.json.as_str().unwrap();
    assert!(!html.contains("Поставлено на контроль 0 "), "{html}");
    assert!(html.contains("просрочено на сегодня – 0."), "{html}");
    assert!(html.contains("Рассмотрено. Разъяснено"), "{html}");
}

both_backends!(demo_data_stays_out_of_a_live_registry);
async fn demo_data_stays_out_of_a_live_registry(db: Db) {
    let app = TestApp::start(db).await;
    let small = Profile::Random { scale: 12 };
    // An empty registry takes a demo profile, and not the same one twice.
    let loaded = appeals::demo::load(&app.state, &app.org, &small, false).expect("an empty database takes the demo");
    assert_eq!((loaded.appeals, loaded.refused), (12, 0));
    match appeals::demo::load(&app.state, &app.org, &small, true) {
        Err(DemoError::AlreadyLoaded { profile: "random", appeals: 12 }) => {}
        other => panic!("{other:?}"),
    }
    // One real appeal makes it a live registry: refused without `into_live`, nothing written.
    app.register(json!({})).await;
    let ukhta = Profile::Ukhta { divisor: 50 };
    match appeals::demo::load(&app.state, &app.org, &ukhta, false) {
        Err(e @ DemoError::Live { appeals: 1 }) => assert!(e.to_string().contains("--into-live"), "{e}"),
        other => panic!("{other:?}"),
    }
    let r = app.call("GET", "/api/v1/appeals?limit=100", Some(&app.supervisor), None).await;
    assert_eq!(r.json["items"].as_array().unwrap().len(), 13);
    // With `into_live` it goes in beside the real appeal.
    let loaded = appeals::demo::load(&app.state, &app.org, &ukhta, true).expect("into_live");
    assert_eq!(loaded.refused, 0);
}

/// `appeals demo-data` as an operator runs it: a database with a real appeal is refused
/// (exit code 1, the message names `--into-live`) and keeps only its appeal.
#[test]
fn demo_data_command_refuses_a_live_registry() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let (url, _) = fresh_database(Db::Sqlite);
    let settings = appeals::config::Settings::for_tests(&url);
    let now = appeals::store::micros(start_instant());
    let (pool, org) = appeals::app::open(&settings, now).expect("open");
    let clock = std::sync::Arc::new(appeals::clock::FixedClock::new(start_instant()));
    let state = appeals::app::state(settings, pool.clone(), clock).expect("state");
    let real = appeals::demo::random(1, start_instant().date_naive());
    let derived = appeals::intake::validate(&state, &org.id, &real[0], true).expect("valid");
    let row = appeals::registry::prepare(&state, &org.id, None, &real[0], &derived, start_instant(), "imported");
    appeals::registry::import(&state, &[row]).expect("import");
    let data = std::env::temp_dir().join(format!("appeals-demo-cli-{}", uuid::Uuid::new_v4()));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_appeals"))
        .args(["demo-data", "--profile", "ukhta", "--database-url", &url])
        .current_dir(root)
        .env("APPEALS_CONFIG_DIR", root.join("config"))
        .env("APPEALS_DATA_DIR", &data)
        .env_remove("APPEALS_ENV")
        .env_remove("DATABASE_URL")
        .output()
        .expect("run appeals");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("--into-live") && stderr.contains("в базе 1 обращение не из демо-профиля"), "{stderr}");
    let census = appeals::store::demo::census(&pool, "demo-%").unwrap();
    assert_eq!((census.appeals, census.matching), (1, 0));
    assert!(!data.join("admin-token").exists(), "a refused load writes nothing");
}
