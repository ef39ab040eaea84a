//! Registry text search benchmark: the API's `GET /api/v1/appeals?q=` and the web
//! registry `GET /appeals?q=` with no match, one match, a few, and every card matching (its
//! first and second page, and with a status filter), p50/max over `SEARCH_RUNS` requests after
//! one warm-up. PostgreSQL: `SEARCH_PG_N` (1,000,000) appeals of `benches/dataset.sql`; SQLite:
//! `SEARCH_SQLITE_N` (100,000) of `benches/stats_dataset_sqlite.sql`. On PostgreSQL the trigram
//! index is dropped for the load and built afterwards (its build time is printed: what the
//! migration costs an existing registry), and `seq_scan` of appeals is read before and after.
//!
//!     cargo bench --bench search                      # SQLite, then PostgreSQL when BENCH_DATABASE_URL is set
//!     SEARCH_WINDOWS=20000,5000 cargo bench --bench search   # several `limits.search_window`s
//!     BENCH_BACKENDS=postgres BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench search

mod support;

use appeals::clock::SystemClock;
use appeals::config::Settings;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// p50 and max in milliseconds.
fn pct(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    if v.is_empty() {
        return (0.0, 0.0);
    }
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    (ms(v[v.len() / 2]), ms(v[v.len() - 1]))
}

/// `runs` timed GETs after one warm-up; (p50, max, the last body).
async fn timed(client: &awc::Client, url: &str, header: (&str, String), runs: usize) -> (f64, f64, String) {
    let mut lat = Vec::new();
    let mut last = String::new();
    for i in 0..=runs {
        let t = Instant::now();
        let mut r = client.get(url).insert_header((header.0, header.1.clone())).send().await.expect("request");
        let body = r.body().limit(64 << 20).await.expect("body");
        if i > 0 {
            lat.push(t.elapsed());
        }
        assert_eq!(r.status().as_u16(), 200, "{url}: {}", String::from_utf8_lossy(&body));
        last = String::from_utf8_lossy(&body).into_owned();
    }
    let (p50, max) = pct(lat);
    (p50, max, last)
}

/// `appeals`' sequential scans so far (PostgreSQL), after flushing this backend's counters.
fn seq_scans(c: &mut PgConnection) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query("SELECT pg_stat_clear_snapshot()").execute(c).expect("snapshot");
    let v: Vec<N> = diesel::sql_query("SELECT COALESCE(seq_scan, 0) AS n FROM pg_stat_user_tables WHERE relname = 'appeals'").load(c).expect("stats");
    v[0].n
}

/// One backend's run: generate, serve in-process, time every query.
async fn run(label: &str, url: &str, n: usize, runs: usize) {
    let settings = Settings::for_tests(url);
    // `SEARCH_WINDOWS` (comma-separated) measures each `limits.search_window` on the same data.
    let windows: Vec<i64> = std::env::var("SEARCH_WINDOWS").ok().map(|v| v.split(',').filter_map(|w| w.trim().parse().ok()).collect()).unwrap_or_else(|| vec![settings.limits.search_window]);
    let now = appeals::store::micros(chrono::Utc::now());
    let (pool, org) = appeals::app::open(&settings, now).expect("open");
    let (token, sup_id) = support::bench_staff(&pool, &org.id, now);
    // A browser session of the supervisor, stored as sign-in stores it.
    let cookie = appeals::auth::random_hex(32);
    let session = appeals::store::sessions::SessionRow {
        id: appeals::store::new_id(),
        organization_id: org.id.clone(),
        user_id: sup_id.clone(),
        token_hash: appeals::auth::hash_token(&cookie),
        csrf_token: appeals::auth::random_hex(32),
        created_at: now,
        expires_at: now + chrono::Duration::days(1),
        ended_at: None,
    };
    appeals::store::sessions::create_session(&pool, &session).expect("session");

    let t = Instant::now();
    let (tag, number);
    let mut pg = None;
    if let Some(path) = url.strip_prefix("sqlite://") {
        (tag, number) = ("y25", format!("y25-{}", n / 2));
        let step = 365 * 24 * 3600 / (n + 1);
        let sql = include_str!("stats_dataset_sqlite.sql")
            .replace("{org}", &org.id)
            .replace("{n}", &n.to_string())
            .replace("{tag}", tag)
            .replace("{start}", "2025-01-01 00:00:00")
            .replace("{step}", &step.max(1).to_string());
        let mut c = SqliteConnection::establish(path).expect("connect");
        c.batch_execute(&sql).expect("generate");
        c.batch_execute("ANALYZE").expect("analyze");
        println!("{label}: {n} appeals generated in {:.1} s (the trigram index kept by the triggers)", t.elapsed().as_secs_f64());
    } else {
        (tag, number) = ("ген", format!("ген-{}", n / 2));
        let step = (2 * 365 * 24 * 3600) / n.max(1);
        let sql = include_str!("dataset.sql")
            .replace("{org}", &org.id)
            .replace("{n}", &n.to_string())
            .replace("{executors}", "50")
            .replace("{start}", "2024-11-01 06:00:00")
            .replace("{step}", &step.max(1).to_string());
        let mut c = PgConnection::establish(url).expect("connect");
        c.batch_execute("DROP INDEX appeals_search_trgm").expect("drop");
        c.batch_execute(&sql).expect("generate");
        println!("{label}: {n} appeals generated in {:.1} s", t.elapsed().as_secs_f64());
        let t = Instant::now();
        c.batch_execute("CREATE INDEX appeals_search_trgm ON appeals USING gin (search_text gin_trgm_ops)").expect("index");
        println!("{label}: appeals_search_trgm built in {:.1} s", t.elapsed().as_secs_f64());
        c.batch_execute("VACUUM ANALYZE appeals").expect("vacuum");
        pg = Some(c);
    }
    let _ = tag;

    let before = pg.as_mut().map(seq_scans);
    println!("| backend | window | path | q | matches shown | p50 | max |");
    println!("|---|---|---|---|---|---|---|");
    for window in windows {
        let mut settings = settings.clone();
        settings.limits.search_window = window;
        measure(label, window, settings, pool.clone(), &cookie, &token, &number, n, runs).await;
    }
    if let (Some(c), Some(b)) = (pg.as_mut(), before) {
        println!("{label}: seq_scan of appeals during the searches: {}", seq_scans(c) - b);
    }
}

/// Serves the registry with `settings` in-process and times every case.
#[allow(clippy::too_many_arguments)]
async fn measure(label: &str, window: i64, settings: Settings, pool: appeals::store::DbPool, cookie: &str, token: &str, number: &str, n: usize, runs: usize) {
    let state = actix_web::web::Data::new(appeals::app::state(settings, pool, Arc::new(SystemClock)).expect("state"));
    let srv = actix_test::start(move || appeals::app::service(state.clone()));
    let client = awc::Client::builder().timeout(Duration::from_secs(120)).finish();
    let bearer = ("Authorization", format!("Bearer {token}"));
    let session = ("Cookie", format!("{}={cookie}", appeals::edge::caller::SESSION_COOKIE));
    let few = if n >= 1_000_000 { "№ 12345" } else { "№ 1234" };
    // Percent-encodes a query's value (every byte but ASCII letters and digits).
    let enc = |s: &str| s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect::<String>();
    // The many-match case's second page starts after the first page's cursor.
    let (_, _, first) = timed(&client, &srv.url(&format!("/api/v1/appeals?q={}", enc("синтетическое"))), bearer.clone(), 0).await;
    let cursor = serde_json::from_str::<serde_json::Value>(&first).unwrap()["next_cursor"].as_str().unwrap().to_string();
    let cases: Vec<(&str, String, String)> = vec![
        ("иванов (none)", "иванов".into(), String::new()),
        ("number (one)", number.to_string(), String::new()),
        ("few", few.into(), String::new()),
        ("синтетическое (all)", "синтетическое".into(), String::new()),
        ("all, page 2", "синтетическое".into(), format!("&cursor={cursor}")),
        ("all + status=registered", "синтетическое".into(), "&status=registered".into()),
    ];
    for (name, q, more) in &cases {
        for (path, header) in [("/api/v1/appeals", bearer.clone()), ("/appeals", session.clone())] {
            if path == "/appeals" && name.contains("page 2") {
                continue;
            }
            let (p50, max, body) = timed(&client, &srv.url(&format!("{path}?q={}{more}", enc(q))), header, runs).await;
            let shown = if path == "/appeals" { body.matches("href=\"/appeals/").count() } else { serde_json::from_str::<serde_json::Value>(&body).unwrap()["items"].as_array().map_or(0, Vec::len) };
            println!("| {label} | {window} | `{path}` | {name} | {shown} | {p50:.1} ms | {max:.1} ms |");
        }
    }
}

#[actix_web::main]
async fn main() {
    let backends = std::env::var("BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    let runs: usize = std::env::var("SEARCH_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(20);
    if backends.contains("sqlite") {
        let n: usize = std::env::var("SEARCH_SQLITE_N").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
        let dir = std::env::temp_dir().join(format!("s3search_bench_{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        run("SQLite", &format!("sqlite://{}", dir.join("bench.db").display()), n, runs).await;
        let _ = std::fs::remove_dir_all(&dir);
    }
    if backends.contains("postgres") {
        let Some(admin) = std::env::var("BENCH_DATABASE_URL").ok() else {
            println!("PostgreSQL: skipped (set BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test)");
            return;
        };
        let n: usize = std::env::var("SEARCH_PG_N").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
        let name = format!("s3search_{}", std::process::id());
        let mut c = PgConnection::establish(&admin).expect("PostgreSQL");
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut c).expect("create database");
        let url = format!("{}/{name}", admin.rsplit_once('/').map(|x| x.0).unwrap_or(&admin));
        run("PostgreSQL", &url, n, runs).await;
        let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut c);
    }
}
