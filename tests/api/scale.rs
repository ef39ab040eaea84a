//! Plans that cannot go wrong: every request path reaches appeals, applicants and
//! questions through an index, on a fresh database with no statistics, with one applicant who
//! has written hundreds of times. PostgreSQL proves it with `pg_stat_user_tables.seq_scan`;
//! SQLite with `EXPLAIN QUERY PLAN` of every statement the server ran.

use crate::support::*;
use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel::prelude::*;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

/// The tables whose rows must only be reached through an index.
const TABLES: [&str; 6] = ["appeals", "applicants", "questions", "match_keys", "web_drafts", "web_form_tokens"];

/// Records the SQL of every statement a connection runs.
pub(crate) struct Capture(pub(crate) Arc<Mutex<Vec<String>>>);

impl Instrumentation for Capture {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            let sql = query.to_string();
            let sql = sql.split(" -- binds:").next().unwrap_or("").to_string();
            self.0.lock().unwrap().push(sql);
        }
    }
}

/// One line of SQLite's `EXPLAIN QUERY PLAN`.
#[derive(QueryableByName)]
pub(crate) struct PlanLine {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub(crate) detail: String,
}

/// Sequential scans so far of the watched tables (`TestApp::seq_scans` flushes every pooled
/// connection's statistics first).
fn seq_scans(app: &TestApp) -> Vec<(String, i64)> {
    app.seq_scans(&TABLES)
}

#[derive(QueryableByName)]
struct IndexScans {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    idx_scan: i64,
}

/// Scans so far of the trigram index (flushed like [`seq_scans`]).
fn trigram_scans(app: &TestApp) -> i64 {
    seq_scans(app);
    let appeals::store::DbPool::Pg(pool) = &app.pool else { unreachable!("PostgreSQL only") };
    let mut c = pool.get().expect("pooled connection");
    diesel::sql_query("SELECT pg_stat_clear_snapshot()").execute(&mut *c).expect("clear snapshot");
    let rows: Vec<IndexScans> = diesel::sql_query("SELECT COALESCE(idx_scan, 0) AS idx_scan FROM pg_stat_user_indexes WHERE indexrelname = 'appeals_search_trgm'")
        .load(&mut *c)
        .expect("pg_stat_user_indexes");
    rows.first().map(|r| r.idx_scan).unwrap_or(-1)
}

/// A returning applicant: person 0 writes on every fourth appeal, the rest take turns.
fn body(i: usize) -> Value {
    let person = if i % 4 == 0 { 0 } else { 1 + i % 37 };
    let code = if i % 3 == 0 { "0005.0005.0056.1157" } else { "0003.0009.0097.0699" };
    let mut applicant = json!({"full_name": format!("Заявитель Номер{person}"), "postal_address": format!("169300, г. Ухта, ул. Октябрьская, д. {person}")});
    if person % 2 == 0 {
        applicant["email"] = json!(format!("person{person}@example.ru"));
    }
    appeal(json!({"applicants": [applicant], "questions": [{"code": code}], "summary": format!("Обращение {i}")}))
}

/// Registers `n` appeals; returns their cards.
async fn register_many(app: &TestApp, n: usize) -> Vec<Value> {
    let mut cards = Vec::with_capacity(n);
    for i in 0..n {
        let r = app.call("POST", "/api/v1/appeals", Some(&app.clerk), Some(&body(i))).await;
        assert_eq!(r.status, 201, "{}", r.json);
        cards.push(r.json);
    }
    cards
}

/// The read paths: registry pages with each filter, the queue, a card, its history.
async fn read_everything(app: &TestApp, cards: &[Value]) {
    let id = cards[0]["id"].as_str().unwrap();
    let body = json!({"executors": [{"user_id": app.user_id("executor"), "responsible": true}], "instruction": "Для рассмотрения"});
    let r = app.call("POST", &format!("/api/v1/appeals/{id}/assign"), Some(&app.clerk), Some(&body)).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let second = cards[1]["id"].as_str().unwrap();
    let r = app.call("POST", &format!("/api/v1/appeals/{second}/forward"), Some(&app.clerk), Some(&json!({"organization": "Прокуратура"}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let exec_id = app.user_id("executor");
    let pages = [
        "/api/v1/appeals?limit=50".to_string(),
        "/api/v1/appeals?status=registered&limit=20".into(),
        "/api/v1/appeals?section=0005".into(),
        "/api/v1/appeals?channel=post&registered_from=2025-03-01&registered_to=2025-03-31".into(),
        "/api/v1/appeals?overdue=true".into(),
        "/api/v1/appeals?due_within_days=40".into(),
        format!("/api/v1/appeals?executor_id={exec_id}"),
        // Text search, run with a small `search_window`: many matches (filled in the
        // window or read through the trigram index), few, none, and with another filter.
        format!("/api/v1/appeals?q={}", urlencode("номер0")),
        format!("/api/v1/appeals?q={}&limit=5", urlencode("номер0")),
        format!("/api/v1/appeals?q={}", urlencode("обращение 123")),
        format!("/api/v1/appeals?q={}", urlencode("кузнецов")),
        format!("/api/v1/appeals?q={}&status=registered", urlencode("номер1")),
        // Statistics and the monthly exports: their date indexes hold only the cards that have
        // the date (put on control, forwarded, dispatched, closed), and still serve the ranges.
        "/api/v1/stats?from=2025-01-01&to=2025-12-31".into(),
        "/api/v1/exports/gasu/appeals?month=2025-03&format=csv".into(),
    ];
    for p in &pages {
        let r = app.call("GET", p, Some(&app.supervisor), None).await;
        assert_eq!(r.status, 200, "{p}: {}", r.json);
        if let Some(next) = r.json["next_cursor"].as_str() {
            let r = app.call("GET", &format!("{p}&cursor={next}"), Some(&app.supervisor), None).await;
            assert_eq!(r.status, 200, "{p}: {}", r.json);
        }
    }
    // The ССТУ.РФ export reads the month's cards through all four date indexes, then refuses
    // them: the test organization has no ССТУ.РФ id.
    let r = app.call("GET", "/api/v1/exports/sstu?month=2025-03", Some(&app.supervisor), None).await;
    assert_eq!((r.status, r.json["code"].as_str()), (422, Some("sstu_invalid")));
    let r = app.call("GET", "/api/v1/appeals?limit=5", Some(&app.executor), None).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let r = app.call("GET", "/api/v1/me/assignments", Some(&app.executor), None).await;
    assert_eq!(r.json["items"].as_array().map(Vec::len), Some(1), "{}", r.json);
    for path in [format!("/api/v1/appeals/{id}"), format!("/api/v1/appeals/{id}/history")] {
        let r = app.call("GET", &path, Some(&app.supervisor), None).await;
        assert_eq!(r.status, 200, "{path}: {}", r.json);
    }
    // The pages' own reads: the board's exact counts (one per status), the same person's recent
    // letters for the near-duplicate question, a kept form and a registration form's token.
    use appeals::store::appeals::{ListFilter, ListOrder};
    let now = app.state.now_naive();
    let today = app.state.today(&app.org);
    let board = ListFilter {
        org: app.org.clone(), registered_from: None, registered_before: None, statuses: vec!["registered".into(), "in_work".into()], channel: None, section: None,
        executor_id: None,
        campaign_id: None, visible_to: None, due_on_or_before: None, due_before: Some(today), due_on_or_after: None, search: None, after: None, after_due: None,
        limit: 21, order: ListOrder::DueFirst,
    };
    appeals::store::appeals::count_due_first(&app.pool, &board).unwrap();
    appeals::store::appeals::count_due_first(&app.pool, &ListFilter { visible_to: Some(exec_id.clone()), ..board }).unwrap();
    let earlier = appeals::store::drafts::recent_by_person(&app.pool, &app.org, &["кузнецов иван|a|ухта".into()], now - chrono::Duration::days(30)).unwrap();
    assert!(earlier.is_empty());
    let kept = appeals::store::drafts::DraftRow { id: "d".repeat(64), organization_id: app.org.clone(), user_id: exec_id.clone(), path: "/appeals/new".into(), body: "summary=x".into(), created_at: now, expires_at: now + chrono::Duration::hours(1) };
    appeals::store::drafts::save_draft(&app.pool, &kept).unwrap();
    assert!(appeals::store::drafts::peek_draft(&app.pool, &kept.id, &exec_id, now).unwrap().is_some());
    assert!(appeals::store::drafts::take_draft(&app.pool, &kept.id, &exec_id, now).unwrap().is_some());
    let claim = appeals::store::drafts::claim_form_token(&app.pool, &"t".repeat(64), &app.org, &exec_id, now).unwrap();
    assert_eq!(claim, appeals::store::drafts::Claim::Fresh);
    appeals::store::drafts::complete_form_token(&app.pool, &"t".repeat(64), id).unwrap();
    appeals::store::drafts::release_form_token(&app.pool, &"u".repeat(64)).unwrap();
}

both_backends!(every_request_path_follows_an_index_on_a_fresh_registry);
async fn every_request_path_follows_an_index_on_a_fresh_registry(db: Db) {
    match db {
        Db::Postgres => {
            let app = TestApp::start_with(db, |s| s.limits.search_window = 50).await;
            let before = seq_scans(&app);
            let trigram_before = trigram_scans(&app);
            // A fresh database, no ANALYZE: the plans of the first registrations are the ones
            // prepared statements keep.
            let cards = register_many(&app, 2000).await;
            read_everything(&app, &cards).await;
            let after = seq_scans(&app);
            assert_eq!(before.len(), TABLES.len(), "{before:?}");
            assert_eq!(after, before, "sequential scans of {TABLES:?} (before → after)");
            assert!(trigram_scans(&app) > trigram_before, "the searches read appeals_search_trgm");
            // The returning applicant's latest appeal links the ten most recent earlier ones.
            let last = cards.iter().enumerate().filter(|(i, _)| i % 4 == 0).last().unwrap().1;
            assert_eq!(last["related_appeal_ids"].as_array().unwrap().len(), 10);
        }
        Db::Sqlite => {
            // One pooled connection, so every statement of the server is captured on it.
            let app = TestApp::start_with(db, |s| {
                s.pool_size = 1;
                s.limits.search_window = 20;
            })
            .await;
            let seen = Arc::new(Mutex::new(Vec::new()));
            let appeals::store::DbPool::Sqlite(pool) = &app.pool else { unreachable!("SQLite only") };
            pool.get().expect("connection").set_instrumentation(Capture(seen.clone()));
            let cards = register_many(&app, 200).await;
            read_everything(&app, &cards).await;
            let mut statements: Vec<String> = seen.lock().unwrap().clone();
            statements.sort();
            statements.dedup();
            let mut c = pool.get().expect("connection");
            let mut checked = 0;
            let mut trigram = 0;
            for sql in statements.iter().filter(|s| TABLES.iter().any(|t| s.contains(&format!("`{t}`")) || s.contains(&format!(" {t} ")))) {
                let head = sql.trim_start().to_uppercase();
                if !(head.starts_with("SELECT") || head.starts_with("UPDATE") || head.starts_with("DELETE") || head.starts_with("WITH")) {
                    continue;
                }
                let plan: Vec<PlanLine> = diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}")).load(&mut *c).unwrap_or_else(|e| panic!("{e}: {sql}"));
                for line in &plan {
                    // The text search's FTS5 lookup (a MATCH, `M`), not a scan of the whole FTS table.
                    if line.detail.starts_with("SCAN appeal_search VIRTUAL TABLE INDEX 0:M") {
                        trigram += 1;
                    }
                    for t in TABLES {
                        assert!(!line.detail.starts_with(&format!("SCAN {t}")), "{}: {sql}", line.detail);
                    }
                }
                checked += 1;
            }
            assert!(checked >= 10, "only {checked} statements checked: {statements:#?}");
            assert!(trigram >= 1, "no search read the trigram index: {statements:#?}");
        }
    }
}

/// One line of PostgreSQL's `EXPLAIN`.
#[derive(QueryableByName)]
struct PgPlanLine {
    #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
    line: String,
}

both_backends!(the_date_indexes_hold_only_dated_cards_and_still_serve_the_reports);
/// The four date indexes of statistics and exports are partial (`WHERE date IS NOT NULL`, so a
/// new card adds nothing to them); each range the reports ask for must still be read through
/// its own index, as a prepared statement with its values bound, on an empty table.
async fn the_date_indexes_hold_only_dated_cards_and_still_serve_the_reports(db: Db) {
    let app = TestApp::start(db).await;
    let ranges = [
        ("appeals_org_closed_on", "SELECT id FROM appeals WHERE organization_id = ? AND closed_on >= ? AND closed_on < ?", "date"),
        ("appeals_org_sent_on", "SELECT id FROM appeals WHERE organization_id = ? AND answer_sent_on >= ? AND answer_sent_on < ?", "date"),
        ("appeals_org_forwarded", "SELECT id FROM appeals WHERE organization_id = ? AND forwarded_at >= ? AND forwarded_at < ?", "timestamp"),
        ("appeals_org_on_control", "SELECT COUNT(*) FROM appeals a WHERE a.organization_id = ? AND a.put_on_control_at < ? AND (a.closed_on IS NULL OR a.closed_on > ?)", "timestamp"),
    ];
    for (index, sql, kind) in ranges {
        let plan: Vec<String> = match &app.pool {
            appeals::store::DbPool::Sqlite(p) => {
                let lines: Vec<PlanLine> = diesel::sql_query(format!("EXPLAIN QUERY PLAN {}", sql.replacen('?', "'org'", 1).replace('?', "'2025-03-01'"))).load(&mut *p.get().unwrap()).unwrap();
                lines.into_iter().map(|l| l.detail).collect()
            }
            appeals::store::DbPool::Pg(p) => {
                let mut c = p.get().unwrap();
                let mut n = 0;
                let numbered = sql.split('?').enumerate().map(|(i, part)| if i == 0 { part.to_string() } else { n += 1; format!("${n}{part}") }).collect::<String>();
                diesel::sql_query(format!("PREPARE q (text, {kind}, {kind}) AS {numbered}")).execute(&mut *c).unwrap();
                diesel::sql_query("SET plan_cache_mode = force_generic_plan").execute(&mut *c).unwrap();
                let lines: Vec<PgPlanLine> = diesel::sql_query("EXPLAIN EXECUTE q ('org', '2025-03-01', '2025-04-01')").load(&mut *c).unwrap();
                diesel::sql_query("DEALLOCATE q").execute(&mut *c).unwrap();
                diesel::sql_query("RESET plan_cache_mode").execute(&mut *c).unwrap();
                lines.into_iter().map(|l| l.line).collect()
            }
        };
        assert!(plan.iter().any(|l| l.contains(index)), "{sql}: {plan:#?}");
    }
}
