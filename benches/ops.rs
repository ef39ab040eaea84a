//! Operations benchmark: a backup of the SQLite registry (`appeals backup`'s library call:
//! `VACUUM INTO`, integrity check, flush, rename) and its restore at `OPS_SQLITE_N` (100,000)
//! appeals, and the time of one `/metrics` scrape (gauges read from the database, text
//! encoded) at that size and at `OPS_PG_N` (1,000,000) appeals on PostgreSQL, p50/max of
//! `OPS_RUNS` (20) after a warm-up. The registries come from `stats_dataset_sqlite.sql` /
//! `stats_dataset.sql` (one year, 2025) with their rollup built.
//!
//!     BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench ops
//!
//! `BENCH_BACKENDS=sqlite` or `=postgres` runs one backend; `OPS_DB=NAME` keeps the PostgreSQL
//! database under that name and measures it again without generating when it is there.

mod support;

use appeals::clock::SystemClock;
use appeals::config::Settings;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn env_n(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Fills the database at `url` with `n` appeals of 2025 and builds its rollup; returns the state.
fn generate(label: &str, url: &str, n: usize) -> appeals::state::AppState {
    let settings = Settings::for_tests(url);
    let now = appeals::store::micros(chrono::Utc::now());
    let (pool, org) = appeals::app::open(&settings, now).expect("open");
    support::bench_staff(&pool, &org.id, now);
    let step = 365 * 24 * 3600 / (n + 1);
    let fill = |sql: &str| sql.replace("{org}", &org.id).replace("{n}", &n.to_string()).replace("{tag}", "y25").replace("{start}", "2025-01-01 00:00:00").replace("{step}", &step.max(1).to_string());
    let t = Instant::now();
    match url.strip_prefix("sqlite://") {
        Some(path) => SqliteConnection::establish(path).expect("connect").batch_execute(&fill(include_str!("stats_dataset_sqlite.sql"))).expect("dataset"),
        None => PgConnection::establish(url).expect("connect").batch_execute(&fill(include_str!("stats_dataset.sql"))).expect("dataset"),
    }
    println!("{label}: {n} appeals generated in {:.1} s", t.elapsed().as_secs_f64());
    let state = appeals::app::state(settings, pool, Arc::new(SystemClock)).expect("state");
    let t = Instant::now();
    let local_day = |at: chrono::NaiveDateTime| state.local_date(&org.id, at.and_utc());
    appeals::store::stats_deltas::rebuild(&state.pool, &org.id, &local_day, now).expect("rollup");
    println!("{label}: rollup built in {:.1} s", t.elapsed().as_secs_f64());
    state
}

/// p50 and max of `/metrics` over HTTP, `OPS_RUNS` times after one warm-up; prints the open
/// appeals the scrape reported.
async fn scrape(label: &str, state: appeals::state::AppState) {
    let data = actix_web::web::Data::new(state);
    let served = data.clone();
    let srv = actix_test::start(move || appeals::app::metrics_service(served.clone()));
    let client = awc::Client::default();
    let once = || async {
        let t = Instant::now();
        let mut r = client.get(srv.url("/metrics")).send().await.expect("scrape");
        let body = r.body().limit(64 << 20).await.expect("body");
        (t.elapsed(), String::from_utf8_lossy(&body).into_owned())
    };
    let (_, text) = once().await;
    let mut times = Vec::new();
    for _ in 0..env_n("OPS_RUNS", 20) {
        times.push(once().await.0);
    }
    times.sort();
    let open: Vec<&str> = text.lines().filter(|l| l.starts_with("appeals_open_appeals{")).collect();
    println!("{label}: /metrics p50 {:.1} ms  max {:.1} ms ({} bytes; {})", ms(times[times.len() / 2]), ms(*times.last().unwrap()), text.len(), open.join(", "));
    srv.stop().await;
}

async fn sqlite(n: usize) {
    let dir = std::env::temp_dir().join(format!("appeals-ops-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/bench.db", dir.display());
    let state = generate("sqlite", &url, n);
    let db_bytes = std::fs::metadata(dir.join("bench.db")).map(|m| m.len()).unwrap_or(0);
    let copy = dir.join("copy.db");
    let t = Instant::now();
    let facts = appeals::store::backup::backup(&url, &copy).expect("backup");
    let took = t.elapsed();
    println!(
        "sqlite: backup of {} appeals: {:.2} s, copy {:.1} MB (database file {:.1} MB before its WAL is checkpointed)",
        facts.appeals,
        took.as_secs_f64(),
        facts.bytes as f64 / 1e6,
        db_bytes as f64 / 1e6
    );
    let t = Instant::now();
    appeals::store::backup::check(&copy).expect("check");
    println!("sqlite: of which the copy's integrity check: {:.2} s", t.elapsed().as_secs_f64());
    let target = format!("sqlite://{}/restored/appeals.db", dir.display());
    let t = Instant::now();
    appeals::store::backup::restore(&target, &copy, false).expect("restore");
    println!("sqlite: restore of the copy: {:.2} s", t.elapsed().as_secs_f64());
    scrape("sqlite", state).await;
    let _ = std::fs::remove_dir_all(&dir);
}

async fn postgres(admin: &str, n: usize) {
    let kept = std::env::var("OPS_DB").ok();
    let name = kept.clone().unwrap_or_else(|| format!("appeals_ops_{}", std::process::id()));
    let mut c = PgConnection::establish(admin).expect("PostgreSQL");
    let exists = diesel::sql_query(format!("SELECT 1 AS n FROM pg_database WHERE datname = '{name}'")).execute(&mut c).expect("pg_database") > 0;
    if !exists {
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut c).expect("create database");
    }
    let url = format!("{}/{name}", admin.rsplit_once('/').map(|x| x.0).unwrap_or(admin));
    let state = if exists && kept.is_some() {
        let settings = Settings::for_tests(&url);
        let (pool, _) = appeals::app::open(&settings, appeals::store::micros(chrono::Utc::now())).expect("open");
        appeals::app::state(settings, pool, Arc::new(SystemClock)).expect("state")
    } else {
        let s = generate("postgres", &url, n);
        PgConnection::establish(&url).expect("connect").batch_execute("ANALYZE").expect("analyze");
        s
    };
    scrape("postgres", state).await;
    if kept.is_some() {
        println!("kept database {name}");
    } else {
        let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut c);
    }
}

#[actix_web::main]
async fn main() {
    let only = std::env::var("BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    if only.contains("sqlite") {
        sqlite(env_n("OPS_SQLITE_N", 100_000)).await;
    }
    match std::env::var("BENCH_DATABASE_URL").or_else(|_| std::env::var("TEST_DATABASE_URL")).ok().filter(|_| only.contains("postgres")) {
        Some(admin) => postgres(&admin, env_n("OPS_PG_N", 1_000_000)).await,
        None => println!("postgres: skipped (set BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test)"),
    }
}
