//! Deadlines at the turn of the year, regime citations, the calendar's health and its import
//! command.

use crate::support::*;
use chrono::{TimeZone, Utc};
use serde_json::{json, Value};

/// 10:00 Moscow time on the given day.
fn moscow_morning(y: i32, m: u32, d: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 7, 0, 0).unwrap()
}

async fn card(app: &TestApp, id: &str) -> Value {
    let r = app
        .call(
            "GET",
            &format!("/api/v1/appeals/{id}"),
            Some(&app.supervisor),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    r.json
}

both_backends!(a_letter_received_in_the_new_year_block_is_not_registered_late);
async fn a_letter_received_in_the_new_year_block_is_not_registered_late(db: Db) {
    let app = TestApp::start(db).await;
    // Received Friday 2 Jan 2026: + 3 days = 5 Jan; the preceding working day, 30 Dec 2025, is
    // before receipt, so the registration deadline is Monday 12 Jan 2026.
    app.set_now(moscow_morning(2026, 1, 2));
    let same_day = app.register(json!({"received_on": "2026-01-02"})).await;
    assert_eq!(same_day["late_registration"], false, "{same_day}");
    app.set_now(moscow_morning(2026, 1, 12));
    let first_working_day = app.register(json!({"received_on": "2026-01-02"})).await;
    assert_eq!(first_working_day["late_registration"], false);
    app.set_now(moscow_morning(2026, 1, 13));
    let late = app.register(json!({"received_on": "2026-01-02"})).await;
    assert_eq!(late["late_registration"], true);
}

both_backends!(forwarding_registered_at_the_year_end_can_be_on_time);
async fn forwarding_registered_at_the_year_end_can_be_on_time(db: Db) {
    let app = TestApp::start(db).await;
    let body = json!({"organization": "Министерство строительства", "reason": "по компетенции"});
    // Registered 31 Dec 2025 and 2 Jan 2026: + 7 days falls inside 1–11 Jan; the deadline is
    // Monday 12 Jan 2026, not 30 Dec 2025.
    let mut ids = Vec::new();
    for (m, d, y) in [(12, 31, 2025), (1, 2, 2026)] {
        app.set_now(moscow_morning(y, m, d));
        let c = app
            .register(json!({"received_on": format!("{y}-{m:02}-{d:02}")}))
            .await;
        ids.push(c["id"].as_str().unwrap().to_string());
    }
    app.set_now(moscow_morning(2026, 1, 12));
    let r = app
        .call(
            "POST",
            &format!("/api/v1/appeals/{}/forward", ids[0]),
            Some(&app.clerk),
            Some(&body),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["forwarded"]["late"], false, "{}", r.json);
    app.set_now(moscow_morning(2026, 1, 13));
    let r = app
        .call(
            "POST",
            &format!("/api/v1/appeals/{}/forward", ids[1]),
            Some(&app.clerk),
            Some(&body),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(
        r.json["forwarded"]["late"], true,
        "a day after the deadline is late"
    );
}

both_backends!(a_dobrodel_message_of_2_january_is_not_overdue_at_birth);
async fn a_dobrodel_message_of_2_january_is_not_overdue_at_birth(db: Db) {
    let app = TestApp::start(db).await;
    app.set_now(moscow_morning(2026, 1, 2));
    let c = app.register(json!({"channel": "dobrodel", "form": "electronic", "legal_regime": "dobrodel", "received_on": "2026-01-02", "external_id": "DD-2026-1"})).await;
    assert_eq!(c["legal_regime"], "dobrodel");
    // 2 Jan + 8 days = 10 Jan (off); preceding 30 Dec 2025 is before registration → 12 Jan.
    assert_eq!(c["due_date"], "2026-01-12", "{c}");
    assert_eq!(c["overdue"], false);
    let text = c["due_date_explanation"].as_str().unwrap();
    assert!(text.contains("8 дней (Добродел: "), "{text}");
    assert!(
        text.contains("30.12.2025") && text.contains("следующий рабочий день 12.01.2026"),
        "{text}"
    );
    assert!(!text.contains("59-ФЗ"), "{text}");
    let id = c["id"].as_str().unwrap();
    let overdue = app
        .call(
            "GET",
            "/api/v1/appeals?overdue=true",
            Some(&app.supervisor),
            None,
        )
        .await;
    assert_eq!(
        overdue.json["items"],
        json!([]),
        "not overdue on the day it arrived"
    );
    app.set_now(moscow_morning(2026, 1, 12));
    assert_eq!(card(&app, id).await["overdue"], false);
    app.set_now(moscow_morning(2026, 1, 13));
    assert_eq!(card(&app, id).await["overdue"], true);
    let overdue = app
        .call(
            "GET",
            "/api/v1/appeals?overdue=true",
            Some(&app.supervisor),
            None,
        )
        .await;
    assert_eq!(overdue.json["items"][0]["id"], id);
}

both_backends!(each_regime_cites_its_own_rule);
async fn each_regime_cites_its_own_rule(db: Db) {
    let app = TestApp::start(db).await;
    // A ПОС message: 10 days under the ПОС rules, not Art. 12 of 59-FZ.
    let pos = app.register(json!({"channel": "feedback_platform", "form": "electronic", "legal_regime": "pos_message", "external_id": "POS-1"})).await;
    assert_eq!(pos["legal_regime"], "pos_message");
    assert_eq!(pos["due_date"], "2025-03-13");
    let text = pos["due_date_explanation"].as_str().unwrap();
    assert_eq!(text, "Зарегистрировано 03.03.2025; 10 дней (сообщение ПОС: постановление Правительства РФ от 10.11.2020 № 1802 (ПОС)) → 13.03.2025.");
    // A 59-FZ appeal that came through the platform keeps Art. 12.
    let fz = app
        .register(
            json!({"channel": "feedback_platform", "form": "electronic", "external_id": "POS-2"}),
        )
        .await;
    assert_eq!(fz["legal_regime"], "fz59");
    assert_eq!(fz["due_date"], "2025-04-02");
    assert!(fz["due_date_explanation"]
        .as_str()
        .unwrap()
        .contains("30 дней (ст. 12 59-ФЗ)"));
    // An e-mail letter after 29 March 2025 (547-FZ) becomes regime `other`, with its own rule.
    app.set_now(moscow_morning(2025, 4, 1));
    let mail = app
        .register(json!({"channel": "email", "form": "electronic", "received_on": "2025-04-01"}))
        .await;
    assert_eq!(mail["legal_regime"], "other");
    let text = mail["due_date_explanation"].as_str().unwrap();
    assert!(
        text.starts_with("Зарегистрировано 01.04.2025; 30 дней (иной порядок: обращение вне 59-ФЗ"),
        "{text}"
    );
    assert!(!text.contains("ст. 12 59-ФЗ"), "{text}");
}

both_backends!(a_deployment_configures_a_regime_rule);
async fn a_deployment_configures_a_regime_rule(db: Db) {
    let app = TestApp::start_with(db, |s| {
        s.regime_days.insert("pos_message".into(), 8);
        s.regime_citations
            .insert("pos_message".into(), "п. 9 Правил ПОС".into());
        s.regime_citations.remove("dobrodel");
        s.regime_days.remove("gis_zhkh");
    })
    .await;
    let pos = app.register(json!({"channel": "feedback_platform", "form": "electronic", "legal_regime": "pos_message"})).await;
    assert_eq!(pos["due_date"], "2025-03-11");
    assert!(pos["due_date_explanation"]
        .as_str()
        .unwrap()
        .contains("8 дней (сообщение ПОС: п. 9 Правил ПОС)"));
    let dd = app
        .register(json!({"channel": "dobrodel", "form": "electronic", "legal_regime": "dobrodel"}))
        .await;
    assert!(
        dd["due_date_explanation"]
            .as_str()
            .unwrap()
            .contains("8 дней (Добродел: срок по настройке органа)"),
        "{dd}"
    );
    let gis = app
        .register(json!({"channel": "gis_zhkh", "form": "electronic", "legal_regime": "gis_zhkh"}))
        .await;
    assert_eq!(gis["due_date"], "2025-04-02");
    assert!(
        gis["due_date_explanation"]
            .as_str()
            .unwrap()
            .contains("ГИС ЖКХ: срок не настроен, применён срок ст. 12 59-ФЗ"),
        "{gis}"
    );
}

both_backends!(deadlines_into_2027_follow_the_2027_calendar);
async fn deadlines_into_2027_follow_the_2027_calendar(db: Db) {
    let app = TestApp::start(db).await;
    // Registered Friday 22 Jan 2027 + 30 = Sunday 21 Feb → the working Saturday 20 Feb 2027.
    app.set_now(moscow_morning(2027, 1, 22));
    let c = app.register(json!({"received_on": "2027-01-22"})).await;
    assert_eq!(c["due_date"], "2027-02-20", "{c}");
    // Registered 25 Jan 2027 + 30 = 24 Feb (Wednesday): 22–23 Feb are off, no shift needed.
    app.set_now(moscow_morning(2027, 1, 25));
    let c = app.register(json!({"received_on": "2027-01-25"})).await;
    assert_eq!(c["due_date"], "2027-02-24");
}

both_backends!(health_lists_the_years_without_a_calendar);
async fn health_lists_the_years_without_a_calendar(db: Db) {
    let app = TestApp::start(db).await;
    let r = app.call("GET", "/health", None, None).await;
    assert_eq!(r.status, 200);
    assert!(
        r.json.get("calendar_missing").is_none(),
        "2025 and 2026 ship: {}",
        r.json
    );
    assert_eq!(r.json["status"], "ok");
    app.set_now(moscow_morning(2026, 11, 23));
    let r = app.call("GET", "/health", None, None).await;
    assert!(
        r.json.get("calendar_missing").is_none(),
        "2026 and 2027 ship: {}",
        r.json
    );
    app.set_now(moscow_morning(2027, 6, 1));
    let r = app.call("GET", "/health", None, None).await;
    assert_eq!(r.json["calendar_missing"], json!([2028]));
    assert_eq!(
        r.json["database"],
        if db == Db::Sqlite {
            "sqlite"
        } else {
            "postgres"
        }
    );
    app.set_now(moscow_morning(2028, 1, 10));
    let r = app.call("GET", "/health", None, None).await;
    assert_eq!(r.json["calendar_missing"], json!([2028, 2029]));
}

/// `appeals calendar import` as an operator runs it: both formats, `--year`, a bad file.
#[test]
fn calendar_import_command_writes_year_files() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let out =
        std::env::temp_dir().join(format!("appeals-calendar-import-{}", uuid::Uuid::new_v4()));
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_appeals"))
            .args(args)
            .current_dir(root)
            .env("APPEALS_CONFIG_DIR", root.join("config"))
            .env_remove("APPEALS_ENV")
            .output()
            .expect("run appeals")
    };
    let o = out.to_str().unwrap();
    let xml = root.join("tests/data/calendar/xmlcalendar-2025.xml");
    let r = run(&["calendar", "import", xml.to_str().unwrap(), "--out", o]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let stdout = String::from_utf8_lossy(&r.stdout);
    assert!(
        stdout.contains("2025: записан")
            && stdout.contains("рабочих дней 247")
            && stdout.contains("01.11"),
        "{stdout}"
    );
    let written = std::fs::read_to_string(out.join("2025.toml")).unwrap();
    let cal = appeals::domain::calendar::ProductionCalendar::from_toml_str(&written).unwrap();
    assert!(cal.is_working_day(chrono::NaiveDate::from_ymd_opt(2025, 11, 1).unwrap()));
    assert!(
        written.contains("source = \"Импорт: XML xmlcalendar.ru (xmlcalendar-2025.xml)"),
        "{written}"
    );

    let csv = root.join("tests/data/calendar/mintrud-2024-2025.csv");
    let r = run(&[
        "calendar",
        "import",
        csv.to_str().unwrap(),
        "--out",
        o,
        "--year",
        "2024",
    ]);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(out.join("2024.toml").is_file());
    let r = run(&["calendar", "import", csv.to_str().unwrap(), "--out", o]);
    assert!(String::from_utf8_lossy(&r.stdout).contains("прежний файл заменён"));
    // The written folder loads as a whole.
    let cal = appeals::domain::calendar::ProductionCalendar::load_dir(&out).unwrap();
    assert_eq!(cal.years(), vec![2024, 2025]);

    let r = run(&[
        "calendar",
        "import",
        csv.to_str().unwrap(),
        "--out",
        o,
        "--year",
        "2031",
    ]);
    assert!(!r.status.success());
    assert!(String::from_utf8_lossy(&r.stderr).contains("нет 2031 года"));
    let r = run(&[
        "calendar",
        "import",
        root.join("Cargo.toml").to_str().unwrap(),
        "--out",
        o,
    ]);
    assert!(!r.status.success());
    assert!(String::from_utf8_lossy(&r.stderr).contains("не похож ни на XML"));
    std::fs::remove_dir_all(&out).unwrap();
}
