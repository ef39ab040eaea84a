//! What operators watch: `/metrics` on the metrics listener after a few requests (series by
//! route template, registrations, actions, refusals, the outbox, open and overdue appeals per
//! organization from the rollup, the pool, build information; no ids or personal data in
//! labels), and `/health/ready` naming the check that failed.

use crate::support::*;
use serde_json::json;

/// Scrapes of this module one at a time: the gauges are the process's, set at each scrape.
static SCRAPES: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn scrape(app: &TestApp) -> String {
    let state = app.state.clone();
    let srv = actix_test::start(move || appeals::app::metrics_service(state.clone()));
    let mut r = srv.get("/metrics").send().await.expect("scrape");
    assert_eq!(r.status().as_u16(), 200);
    let ctype = r.headers().get("Content-Type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert!(ctype.starts_with("text/plain; version=0.0.4"), "{ctype}");
    String::from_utf8(r.body().limit(8 << 20).await.unwrap().to_vec()).unwrap()
}

/// The value of the series `name{labels}` (labels as Prometheus writes them, sorted by name).
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')).and_then(|v| v.trim().parse().ok()))
}

both_backends!(metrics_show_requests_work_and_backlog_without_ids);
async fn metrics_show_requests_work_and_backlog_without_ids(db: Db) {
    let app = TestApp::start(db).await;
    let first = app.register(json!({})).await;
    app.register(json!({"summary": "Просит установить скамейки во дворе дома 12"})).await;
    let id = first["id"].as_str().unwrap();
    let r = app.call("GET", &format!("/api/v1/appeals/{id}"), Some(&app.clerk), None).await;
    assert_eq!(r.status, 200);
    let body = json!({"executors": [{"user_id": app.user_id("executor"), "responsible": true}], "instruction": "Для рассмотрения"});
    let r = app.call("POST", &format!("/api/v1/appeals/{id}/assign"), Some(&app.clerk), Some(&body)).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let r = app.call("POST", "/api/v1/appeals", Some(&app.clerk), Some(&json!({"channel": "post"}))).await;
    r.assert_problem(422, None);

    let _one = SCRAPES.lock().await;
    let text = scrape(&app).await;
    for series in [
        r#"appeals_http_requests_total{method="POST",route="/api/v1/appeals",status="201"}"#,
        r#"appeals_http_requests_total{method="GET",route="/api/v1/appeals/{id}",status="200"}"#,
        r#"appeals_http_requests_total{method="POST",route="/api/v1/appeals/{id}/assign",status="200"}"#,
        r#"appeals_http_requests_total{method="POST",route="/api/v1/appeals",status="422"}"#,
        r#"appeals_http_request_duration_seconds_count{method="POST",route="/api/v1/appeals"}"#,
        r#"appeals_registrations_total{channel="post"}"#,
        r#"appeals_control_actions_total{action="assign"}"#,
        r#"appeals_refusals_total{code="validation_failed"}"#,
    ] {
        assert!(value(&text, series).is_some_and(|v| v >= 1.0), "{series} missing:\n{text}");
    }
    let backend = if db == Db::Sqlite { "sqlite" } else { "postgres" };
    assert_eq!(value(&text, &format!(r#"appeals_build_info{{backend="{backend}",version="{}"}}"#, env!("CARGO_PKG_VERSION"))), Some(1.0), "{text}");
    assert_eq!(value(&text, r#"appeals_db_pool_connections{state="max"}"#), Some(4.0), "{text}");
    assert!(value(&text, r#"appeals_db_pool_connections{state="in_use"}"#).is_some(), "{text}");
    assert!(value(&text, "appeals_db_pool_wait_seconds_count").is_some_and(|v| v >= 1.0), "{text}");
    assert!(value(&text, r#"appeals_outbox_notifications{status="pending"}"#).is_some(), "{text}");
    assert!(value(&text, r#"appeals_outbox_notifications{status="failed"}"#).is_some(), "{text}");
    assert!(value(&text, "appeals_outbox_oldest_pending_seconds").is_some(), "{text}");
    assert!(value(&text, "appeals_scheduler_last_pass_timestamp_seconds").is_some(), "{text}");
    // Open appeals of this organization, from the rollup: both due in 30 days, none overdue.
    assert_eq!(value(&text, r#"appeals_open_appeals{organization="default",state="open"}"#), Some(2.0), "{text}");
    assert_eq!(value(&text, r#"appeals_open_appeals{organization="default",state="overdue"}"#), Some(0.0), "{text}");
    // No concrete path, id, number or personal data in any label.
    for secret in [id, first["reg_number"].as_str().unwrap(), "Смирнова", "smirnova@example.ru", &app.user_id("executor")] {
        assert!(!text.contains(secret), "{secret} reached the metrics");
    }
    // Two months later both are overdue.
    app.set_now(start_instant() + chrono::Duration::days(60));
    let text = scrape(&app).await;
    assert_eq!(value(&text, r#"appeals_open_appeals{organization="default",state="overdue"}"#), Some(2.0), "{text}");
    assert_eq!(value(&text, r#"appeals_open_appeals{organization="default",state="open"}"#), Some(2.0), "{text}");
}

both_backends!(readiness_names_what_failed);
async fn readiness_names_what_failed(db: Db) {
    let app = TestApp::start(db).await;
    let r = app.call("GET", "/health/ready", None, None).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["status"], "ready");
    assert_eq!(r.json["checks"], json!(["database", "writable", "migrations", "calendar"]));
    // Liveness keeps its contract.
    let r = app.call("GET", "/health", None, None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["status"], "ok");

    // A migration the binary has, missing from the database.
    let last = appeals::store::backup::known_versions().into_iter().max().unwrap();
    app.sql(&format!("DELETE FROM __diesel_schema_migrations WHERE version = '{last}'"));
    let r = app.call("GET", "/health/ready", None, None).await;
    r.assert_problem(503, Some("migrations"));
    assert_eq!(r.json["code"], "not_ready");
    assert!(r.json["detail"].as_str().unwrap().contains(&last), "{}", r.json);
    // One the binary does not know (a newer version migrated the database).
    app.sql(&format!("INSERT INTO __diesel_schema_migrations (version) VALUES ('{last}'), ('29991231000001')"));
    let r = app.call("GET", "/health/ready", None, None).await;
    r.assert_problem(503, Some("migrations"));
    assert!(r.json["detail"].as_str().unwrap().contains("29991231000001"), "{}", r.json);
    app.sql("DELETE FROM __diesel_schema_migrations WHERE version = '29991231000001'");
    assert_eq!(app.call("GET", "/health/ready", None, None).await.status, 200);

    // SQLite: another process holds the file's write lock longer than the check waits.
    if db == Db::Sqlite {
        use diesel::connection::SimpleConnection;
        use diesel::Connection;
        let path = app.state.settings.database_url.trim_start_matches("sqlite://").to_string();
        let mut other = diesel::SqliteConnection::establish(&path).unwrap();
        other.batch_execute("BEGIN IMMEDIATE").unwrap();
        let r = app.call("GET", "/health/ready", None, None).await;
        other.batch_execute("ROLLBACK").unwrap();
        r.assert_problem(503, Some("writable"));
        assert_eq!(app.call("GET", "/health/ready", None, None).await.status, 200);
    }

    // No production calendar for next year: not ready, and only that check is named.
    app.set_now(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2027, 6, 1, 7, 0, 0).unwrap());
    let r = app.call("GET", "/health/ready", None, None).await;
    r.assert_problem(503, Some("calendar"));
    assert_eq!(r.json["errors"].as_array().unwrap().len(), 1, "{}", r.json);
    assert!(r.json["detail"].as_str().unwrap().contains("2028"), "{}", r.json);
}

both_backends!(reads_fall_back_to_the_primary_when_the_replica_is_unreachable);
/// `DATABASE_READ_URL` naming a server nobody answers on: statistics, the registry and
/// readiness answer from the primary as if no replica were configured (a warning in the log).
async fn reads_fall_back_to_the_primary_when_the_replica_is_unreachable(db: Db) {
    let app = TestApp::start_with(db, |s| s.database.read_url = "postgres://postgres@127.0.0.1:1/appeals?connect_timeout=2".into()).await;
    let card = app.register(json!({})).await;
    for _ in 0..2 {
        let r = app.call("GET", "/api/v1/stats?from=2025-01-01&to=2025-12-31", Some(&app.supervisor), None).await;
        assert_eq!(r.status, 200, "{}", r.json);
        assert_eq!(r.json["appeals"]["current"], 1, "{}", r.json);
        assert!(r.json.get("data_as_of").is_none(), "read on the primary, current: {}", r.json);
    }
    let r = app.call("GET", "/api/v1/appeals?limit=10", Some(&app.supervisor), None).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["items"][0]["id"], card["id"]);
    let r = app.call("GET", "/health/ready", None, None).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["checks"], json!(["database", "writable", "migrations", "calendar"]));
}

#[actix_web::test]
#[cfg_attr(not(postgres_tests), ignore = "PostgreSQL: TEST_DATABASE_URL was not set when the tests were built")]
async fn reads_on_a_replica_write_nothing_and_say_how_fresh() {
    // The "replica" is the primary's own database behind the second pool, whose sessions are
    // read-only: every read routed there must work without writing (a write would fail), and
    // says how fresh it is. (`.ci/failover.py` runs the same against a real streaming replica.)
    let app = TestApp::start_with(Db::Postgres, |s| s.database.read_url = s.database_url.clone()).await;
    let card = app.register(json!({})).await;
    // A pending delta of the rollup is read as it is, not folded (a write) on the replica.
    let r = app.call("GET", "/api/v1/stats?from=2025-01-01&to=2025-12-31", Some(&app.supervisor), None).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["appeals"]["current"], 1, "{}", r.json);
    assert!(r.json["data_as_of"].as_str().is_some_and(|s| s.starts_with("данные на ")), "{}", r.json);
    let r = app.call("GET", "/api/v1/appeals?limit=10&q=%D0%BE%D0%B1%D1%80%D0%B0%D1%89%D0%B5%D0%BD%D0%B8%D0%B5", Some(&app.supervisor), None).await;
    assert_eq!(r.status, 200, "{}", r.json);
    for path in ["/api/v1/reports/annual?year=2025", "/api/v1/reports/annual?year=2025&format=csv", "/api/v1/exports/gasu/appeals?month=2025-03&format=csv", "/api/v1/exports/gasu/reception?month=2025-03&format=csv"] {
        let r = app.call("GET", path, Some(&app.supervisor), None).await;
        assert_eq!(r.status, 200, "{path}: {}", r.json);
    }
    let r = app.call("GET", "/health/ready", None, None).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["checks"], json!(["database", "writable", "migrations", "calendar", "replica"]));
    // The card reads the primary.
    let r = app.call("GET", &format!("/api/v1/appeals/{}", card["id"].as_str().unwrap()), Some(&app.clerk), None).await;
    assert_eq!(r.status, 200, "{}", r.json);
}
