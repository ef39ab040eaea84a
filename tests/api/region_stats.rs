//! The region's statistics (`organization=all`): the organizations' figures summed, each
//! compared figure by organization, an appeal forwarded inside the region counted once for the
//! region and once in each organization's own figures, the region's annual report with its table
//! by organization, and who may ask.

use crate::support::*;
use serde_json::{json, Value};

const YEAR: &str = "from=2025-01-01&to=2025-12-31";

async fn stats(app: &TestApp, token: &str, extra: &str) -> Value {
    let r = app.call("GET", &format!("/api/v1/stats?{YEAR}{extra}"), Some(token), None).await;
    assert_eq!(r.status, 200, "{}", r.json);
    r.json
}

fn by_org(figure: &Value, org: &str) -> (i64, i64) {
    let line = figure["by_organization"].as_array().expect("by_organization").iter().find(|l| l["organization_id"] == org).unwrap_or_else(|| panic!("{org} in {figure}"));
    (line["current"].as_i64().unwrap(), line["previous"].as_i64().unwrap())
}

fn line(lines: &Value, code: &str) -> i64 {
    lines.as_array().unwrap().iter().find(|l| l["code"] == code).map(|l| l["current"].as_i64().unwrap()).unwrap_or(0)
}

both_backends!(the_region_sums_its_organizations_and_counts_a_forward_inside_it_once);
async fn the_region_sums_its_organizations_and_counts_a_forward_inside_it_once(db: Db) {
    let app = TestApp::start(db).await;
    let pg = matches!(app.pool, appeals::store::DbPool::Pg(_));
    let town = app.second_organization("ukhta", "Администрация городского округа «Ухта»").await;
    // The region's own appeals: two by post, one from the internet reception with two questions.
    app.register(json!({})).await;
    app.register(json!({"applicants": [{"full_name": "Кузнецов Иван Ильич", "postal_address": "169300, г. Ухта, ул. Ленина, д. 5"}], "summary": "Просит отремонтировать крышу"})).await;
    let sent = app
        .register(json!({"channel": "email", "form": "electronic", "applicants": [{"full_name": "Петров Пётр Петрович", "email": "petrov@example.ru"}],
            "summary": "Просит убрать снег во дворе", "questions": [{"code": "0003.0009.0097.0699", "text": "снег"}, {"code": "0005.0005.0056.1157", "text": "жалоба"}], "reply_channel": "email"}))
        .await;
    // The town's own appeal.
    let r = app.call("POST", "/api/v1/appeals", Some(&town.clerk), Some(&appeal(json!({"applicants": [{"full_name": "Сидорова Анна Ивановна", "postal_address": "169300, г. Ухта, ул. Мира, д. 1"}]})))).await;
    assert_eq!(r.status, 201, "{}", r.json);
    // The region forwards its internet appeal to the town: the town registers its own copy.
    let r = app.call("POST", &format!("/api/v1/appeals/{}/forward", sent["id"].as_str().unwrap()), Some(&app.clerk), Some(&json!({"organization_id": town.id, "reason": "Вопрос относится к ведению городского округа"}))).await;
    assert_eq!(r.status, 200, "{}", r.json);

    // Each organization's own figures, as its supervisor reads them.
    let own = stats(&app, &app.supervisor, "").await;
    let theirs = stats(&app, &town.supervisor, "").await;
    assert_eq!(own["appeals"]["current"], 3);
    assert_eq!(theirs["appeals"]["current"], 2, "the town received the forwarded appeal: {}", theirs["appeals"]);
    assert!(own["appeals"].get("by_organization").is_none(), "one organization's figures carry no breakdown by organization");

    // The town's rollup not built yet (as at a startup that is still building it): the region
    // counts the town by the scan and the region by its rollup, then both by the rollups.
    for table in ["stats_rollup_state", "stats_rollup", "stats_rollup_month", "stats_rollup_year", "stats_deltas"] {
        app.sql(&format!("DELETE FROM {table} WHERE organization_id = '{}'", town.id));
    }
    let before = if pg { Some(app.seq_scans(&["appeals", "questions"])) } else { None };
    let region = stats(&app, &app.regional_supervisor, "&organization=all").await;
    if let Some(before) = before {
        assert_eq!(app.seq_scans(&["appeals", "questions"]), before, "the region's statistics scanned a table");
    }
    // Counted from the rollups or by the scan (an organization's rollup is built in the
    // background at startup), the region's figures are the same.
    for org in [&app.org, &town.id] {
        appeals::reports::statistics::prepare_rollup(&app.state, org).expect("rollup");
    }
    let again = stats(&app, &app.regional_supervisor, "&organization=all").await;
    assert_eq!(again, region, "the rollups and the scan disagree");
    // The region received four appeals from citizens: the town's copy is the same letter.
    assert_eq!(region["appeals"]["current"], 4, "{}", region["appeals"]);
    assert_eq!(region["forwarded_within_region"]["current"], 1);
    assert_eq!(region["appeals"]["current"].as_i64().unwrap() + 1, own["appeals"]["current"].as_i64().unwrap() + theirs["appeals"]["current"].as_i64().unwrap());
    assert_eq!(by_org(&region["appeals"], &app.org).0, 3);
    assert_eq!(by_org(&region["appeals"], &town.id).0, 2);
    // Questions: 1 + 1 + 2 at the region, 1 at the town, and the copy's 2 counted once.
    assert_eq!(region["questions"]["current"], 5, "{}", region["questions"]);
    assert_eq!(by_org(&region["questions"], &town.id).0, 3);
    // The copy's channel («forwarded») is not a channel the region received anything by.
    assert_eq!(line(&theirs["by_channel"], "forwarded"), 1);
    assert_eq!(line(&region["by_channel"], "forwarded"), 0, "{}", region["by_channel"]);
    assert_eq!(line(&region["by_channel"], "email"), 1);
    assert_eq!(line(&region["by_channel"], "post"), 3);
    // What the organizations did stays: the region's forwarding, the town's control.
    assert_eq!(region["forwarded"]["current"], 1);
    assert_eq!(by_org(&region["forwarded"], &app.org).0, 1);
    // Every compared figure is given by organization; the filters by channel apply to each.
    for figure in ["written", "electronic", "collective", "repeated", "late_registration"] {
        assert_eq!(region[figure]["by_organization"].as_array().map(Vec::len), Some(2), "{figure}: {}", region[figure]);
    }
    let post = stats(&app, &app.regional_supervisor, "&organization=all&channel=post").await;
    assert_eq!(post["appeals"]["current"], 3);
    assert_eq!(by_org(&post["appeals"], &town.id).0, 1);

    // One organization by id, as its own supervisor sees it.
    let one = stats(&app, &app.regional_supervisor, &format!("&organization={}", town.id)).await;
    assert_eq!(one["appeals"], theirs["appeals"]);

    // Who may ask: the region only for a regional role; no per-person filter over the region.
    app.call("GET", &format!("/api/v1/stats?{YEAR}&organization=all"), Some(&app.supervisor), None).await.assert_problem(403, None);
    app.call("GET", &format!("/api/v1/stats?{YEAR}&organization=all"), Some(&town.supervisor), None).await.assert_problem(403, None);
    app.call("GET", &format!("/api/v1/stats?{YEAR}&organization=all&executor_id={}", app.user_id("executor")), Some(&app.regional_supervisor), None).await.assert_problem(422, Some("executor_id"));
    app.call("GET", &format!("/api/v1/stats?{YEAR}&organization=all&department=zhkh"), Some(&app.regional_supervisor), None).await.assert_problem(422, Some("department"));
}

both_backends!(the_regions_annual_report_has_a_table_by_organization);
async fn the_regions_annual_report_has_a_table_by_organization(db: Db) {
    let app = TestApp::start(db).await;
    let town = app.second_organization("ukhta", "Администрация городского округа «Ухта»").await;
    app.register(json!({})).await;
    let sent = app.register(json!({"applicants": [{"full_name": "Кузнецов Иван Ильич", "postal_address": "169300, г. Ухта, ул. Ленина, д. 5"}], "summary": "Просит отремонтировать крышу"})).await;
    let r = app.call("POST", &format!("/api/v1/appeals/{}/forward", sent["id"].as_str().unwrap()), Some(&app.clerk), Some(&json!({"organization_id": town.id, "reason": "По компетенции"}))).await;
    assert_eq!(r.status, 200, "{}", r.json);

    let csv = String::from_utf8(app.raw_bytes("GET", "/api/v1/reports/annual?year=2025&organization=all&format=csv&breakdown=by_organization", Some(&app.regional_supervisor)).await).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 3, "{csv}");
    assert!(rows.iter().any(|l| l.starts_with("\"Администрация городского округа «Ухта»\";1;") || l.starts_with("Администрация городского округа «Ухта»;1;")), "{csv}");
    let html = app.call("GET", "/api/v1/reports/annual?year=2025&organization=all", Some(&app.regional_supervisor), None).await;
    assert_eq!(html.status, 200);
    let text = html.json.as_str().unwrap_or_default().to_string();
    assert!(text.contains("Обращения по организациям региона"), "{text}");
    assert!(text.contains("Переадресовано между организациями региона – 1"), "{text}");
    // The region received two appeals, as the multi-year table says.
    assert!(text.contains("В 2025 году поступило 2 обращения"), "{text}");
    // One organization's report has no such table; the region's is for regional roles only.
    let own = app.call("GET", "/api/v1/reports/annual?year=2025", Some(&app.supervisor), None).await;
    assert!(!own.json.as_str().unwrap_or_default().contains("Обращения по организациям региона"));
    app.call("GET", "/api/v1/reports/annual?year=2025&organization=all", Some(&app.supervisor), None).await.assert_problem(403, None);
}
