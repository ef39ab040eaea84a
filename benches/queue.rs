//! Control-list benchmark on a large registry: generates `QUEUE_N` appeals (default
//! 1,000,000) in PostgreSQL with `benches/dataset.sql`, then measures p50/p99 over HTTP of an
//! executor's queue (`GET /api/v1/me/assignments`) and of the overdue list
//! (`GET /api/v1/appeals?overdue=true`), each beside the same query as hand-written SQL.
//!
//!     BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench queue

use appeals::clock::SystemClock;
use appeals::config::Settings;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn pct(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    (ms(v[v.len() / 2]), ms(v[(v.len() * 99 / 100).min(v.len() - 1)]))
}

async fn http(client: &awc::Client, url: &str, token: &str, rounds: usize) -> (f64, f64, usize) {
    let mut lat = Vec::new();
    let mut items = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        let mut r = client.get(url).insert_header(("Authorization", format!("Bearer {token}"))).send().await.expect("request");
        let body = r.body().limit(64 << 20).await.expect("body");
        lat.push(t.elapsed());
        assert_eq!(r.status().as_u16(), 200, "{}", String::from_utf8_lossy(&body));
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        items = v["items"].as_array().map(|a| a.len()).unwrap_or(0);
    }
    let (p50, p99) = pct(lat);
    (p50, p99, items)
}

/// The ids a card query returns, as a quoted, comma-separated SQL list.
fn ids_of(conn: &mut PgConnection, card_sql: &str) -> String {
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
    }
    let v: Vec<Id> = diesel::sql_query(card_sql.replace("SELECT *", "SELECT id")).load(conn).expect("ids");
    if v.is_empty() {
        return "''".into();
    }
    v.into_iter().map(|i| format!("'{}'", i.id)).collect::<Vec<_>>().join(",")
}

/// Statements reading the parts of the cards with ids `ids` (a quoted, comma-separated list).
fn children(org: &str, ids: &str) -> String {
    [
        format!("SELECT * FROM applicants WHERE appeal_id IN ({ids}) ORDER BY appeal_id, position;"),
        format!("SELECT * FROM questions WHERE appeal_id IN ({ids}) ORDER BY appeal_id, position;"),
        format!("SELECT * FROM assignments WHERE appeal_id IN ({ids}) ORDER BY assigned_at;"),
        format!("SELECT * FROM answers WHERE appeal_id IN ({ids}) ORDER BY created_at;"),
        format!("SELECT appeal_id, related_appeal_id FROM appeal_links WHERE organization_id = '{org}' AND appeal_id IN ({ids});"),
        format!("SELECT related_appeal_id, appeal_id FROM appeal_links WHERE organization_id = '{org}' AND related_appeal_id IN ({ids});"),
    ]
    .concat()
}

/// The statements (one string, `;`-separated) `rounds` times on one connection.
fn raw_all(conn: &mut PgConnection, sql: &str, rounds: usize) -> (f64, f64) {
    let mut lat = Vec::new();
    for _ in 0..rounds {
        let t = Instant::now();
        for statement in sql.split(';').filter(|s| !s.trim().is_empty()) {
            diesel::sql_query(statement).execute(conn).expect("raw query");
        }
        lat.push(t.elapsed());
    }
    pct(lat)
}

#[actix_web::main]
async fn main() {
    let Some(admin) = std::env::var("BENCH_DATABASE_URL").or_else(|_| std::env::var("TEST_DATABASE_URL")).ok() else {
        println!("queue: skipped (set BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test)");
        return;
    };
    let n: usize = std::env::var("QUEUE_N").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let executors: usize = std::env::var("QUEUE_EXECUTORS").ok().and_then(|v| v.parse().ok()).unwrap_or(2_000);
    let rounds = 200;
    let name = format!("appeals_queue_{}", std::process::id());
    let mut c = PgConnection::establish(&admin).expect("PostgreSQL");
    diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut c).expect("create database");
    let url = format!("{}/{name}", admin.rsplit_once('/').map(|x| x.0).unwrap_or(&admin));

    let settings = Settings::for_tests(&url);
    let now = appeals::store::micros(chrono::Utc::now());
    let (pool, org) = appeals::app::open(&settings, now).expect("open");
    let mut tokens = Vec::new();
    for i in 1..=executors {
        let (token, hash) = appeals::auth::generate_token();
        let u = appeals::store::users::NewUser { login: format!("bench_exec_{i}"), full_name: format!("Исполнитель {i}"), role: "executor".into(), email: None };
        appeals::store::users::create_user(&pool, &org.id, &u, &hash, now, None).expect("user");
        if i <= 20 {
            tokens.push(token);
        }
    }
    let (sup_token, hash) = appeals::auth::generate_token();
    let sup = appeals::store::users::NewUser { login: "bench_supervisor".into(), full_name: "Контролёр".into(), role: "supervisor".into(), email: None };
    appeals::store::users::create_user(&pool, &org.id, &sup, &hash, now, None).expect("user");

    let step = (2 * 365 * 24 * 3600) / n.max(1);
    let sql = include_str!("dataset.sql")
        .replace("{org}", &org.id)
        .replace("{n}", &n.to_string())
        .replace("{executors}", &executors.to_string())
        .replace("{start}", "2024-11-01 06:00:00")
        .replace("{step}", &step.max(1).to_string());
    let t = Instant::now();
    let mut gen = PgConnection::establish(&url).expect("connect");
    gen.batch_execute(&sql).expect("generate dataset");
    println!("dataset: {n} appeals, {executors} executors generated in {:.1} s", t.elapsed().as_secs_f64());

    let state = actix_web::web::Data::new(appeals::app::state(settings, pool, Arc::new(SystemClock)).expect("state"));
    let srv = actix_test::start(move || appeals::app::service(state.clone()));
    let client = awc::Client::builder().timeout(Duration::from_secs(120)).finish();

    let queue_url = srv.url("/api/v1/me/assignments");
    let (p50, p99, items) = http(&client, &queue_url, &tokens[0], rounds).await;
    let exec_id = ids_of(&mut gen, "SELECT * FROM users WHERE login = 'bench_exec_1'").trim_matches('\'').to_string();
    let queue_sql = format!(
        "SELECT * FROM appeals WHERE organization_id = '{}' AND status IN ('registered','in_work','answer_review','answered') \
         AND id IN (SELECT appeal_id FROM assignments WHERE user_id = '{exec_id}' AND active) ORDER BY due_date, registered_at, id LIMIT 500;",
        org.id
    );
    // The same work as the endpoint: the queue, then the cards' parts for the ids it returned.
    let queue_all = [queue_sql.clone(), children(&org.id, &ids_of(&mut gen, &queue_sql))].concat();
    let (r50, r99) = raw_all(&mut gen, &queue_all, rounds);
    println!("executor queue  HTTP p50 {p50:7.2} ms  p99 {p99:7.2} ms ({items} cards)  | raw SQL p50 {r50:6.2} ms  p99 {r99:6.2} ms  | ratio p50 {:.1}", p50 / r50);

    let overdue_url = srv.url("/api/v1/appeals?overdue=true&limit=50");
    let (p50, p99, items) = http(&client, &overdue_url, &sup_token, rounds).await;
    let today = chrono::Utc::now().date_naive();
    let overdue_sql = format!(
        "SELECT * FROM appeals WHERE organization_id = '{}' AND status IN ('registered','in_work','answer_review') AND due_date < '{today}' \
         ORDER BY registered_at DESC, id DESC LIMIT 51;",
        org.id
    );
    let overdue_all = [overdue_sql.clone(), children(&org.id, &ids_of(&mut gen, &overdue_sql))].concat();
    let (r50, r99) = raw_all(&mut gen, &overdue_all, rounds);
    println!("overdue list    HTTP p50 {p50:7.2} ms  p99 {p99:7.2} ms ({items} cards)  | raw SQL p50 {r50:6.2} ms  p99 {r99:6.2} ms  | ratio p50 {:.1}", p50 / r50);

    drop(gen);
    let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut c);
}
