//! Statistics benchmark: fills PostgreSQL with one year of `STATS_N` appeals (default
//! 1,000,000, ~1.1 questions each) and a previous year of `STATS_PREV_N` (default 200,000) with
//! `benches/stats_dataset.sql` (SQLite: `STATS_SQLITE_N`, default 100,000, and a fifth of it the
//! year before, with `stats_dataset_sqlite.sql`), then times a year's statistics beside the previous year
//! (`GET /api/v1/stats`, the app served in-process, over HTTP) and the annual report, p50/max of
//! 5 runs after one warm-up, each beside the same GROUP BYs as hand-written SQL on one connection.
//!
//!     BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench stats
//!
//! Then the same year filtered by one channel, section, executor and department (each read
//! from its slice of the rollups) beside the same rollup statements by hand, with the
//! sequential scans PostgreSQL counted meanwhile.
//!
//! `BENCH_BACKENDS=sqlite` or `=postgres` runs one backend; `BENCH_DB_PREFIX` names the scratch
//! database (default `appeals_stats_`); `STATS_KEEP_DB=1` keeps the
//! PostgreSQL database for EXPLAIN afterwards; `STATS_DB=NAME` keeps it under that name and, when
//! it is already there, measures it again without generating (`STATS_REBUILD=1`: after
//! rebuilding its rollup).

mod support;

use appeals::clock::SystemClock;
use appeals::config::Settings;
use chrono::NaiveDate;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Timed runs after the warm-up (`STATS_RUNS`, default 5).
fn runs() -> usize {
    std::env::var("STATS_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(5)
}

use support::p50_max;

/// One warm-up, then `STATS_RUNS` timed GETs of `url`; also returns the last body's size.
async fn http(client: &awc::Client, url: &str, token: &str) -> (f64, f64, usize) {
    let mut lat = Vec::new();
    let mut size = 0;
    for run in 0..=runs() {
        let (took, n) = support::timed_get(client, url, token).await;
        size = n;
        if run > 0 {
            lat.push(took);
        }
    }
    let (p50, max) = p50_max(lat);
    (p50, max, size)
}

/// The request and its hand-written statements on `conn` timed in turn ([`support::paired`]).
async fn paired(client: &awc::Client, url: &str, token: &str, conn: &mut Raw, statements: &[String]) -> ((f64, f64, usize), (f64, f64)) {
    support::paired(client, url, token, runs(), || {
        for s in statements {
            conn.run(s);
        }
    })
    .await
}

/// One period's grouped counts exactly as `store::stats::period` asks for them, written by hand
/// with the values inlined: appeal groups, question groups, executor groups, three control counts.
fn period_sql(org: &str, start: &str, end: &str, from: NaiveDate, to: NaiveDate, today: NaiveDate) -> Vec<String> {
    let answered = "CASE WHEN COALESCE(a.answer_sent_on, a.answered_on) IS NULL THEN 0 WHEN COALESCE(a.answer_sent_on, a.answered_on) <= a.due_date THEN 1 ELSE 2 END";
    let overdue = format!("CASE WHEN a.status IN ('registered', 'in_work', 'answer_review') AND a.due_date < '{today}' THEN 1 ELSE 0 END");
    let within = format!("a.organization_id = '{org}' AND a.registered_at >= '{start}' AND a.registered_at < '{end}'");
    vec![
        format!(
            "SELECT a.channel, a.form, a.kind, a.legal_regime, a.collective, a.repeated, a.from_organization, a.source_organization, a.reception_official_role, \
             a.late_registration, a.on_site_check, (a.forwarded_to IS NOT NULL) AS forwarded, (a.extension_days IS NOT NULL) AS extended, {answered} AS answered, \
             {overdue} AS overdue_now, COUNT(*), SUM(a.returned_count) FROM appeals a WHERE {within} GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15"
        ),
        format!("SELECT q.code, q.result, a.channel, a.form, COUNT(*) FROM appeals a JOIN questions q ON q.appeal_id = a.id WHERE {within} GROUP BY 1, 2, 3, 4"),
        format!(
            "SELECT u.id, u.full_name, d.name, (a.extension_days IS NOT NULL) AS extended, {answered} AS answered, {overdue} AS overdue_now, COUNT(*) \
             FROM appeals a JOIN assignments s ON s.appeal_id = a.id AND s.responsible AND s.active JOIN users u ON u.id = s.user_id \
             LEFT JOIN departments d ON d.id = u.department_id WHERE {within} GROUP BY 1, 2, 3, 4, 5, 6"
        ),
        format!("SELECT COUNT(*) FROM appeals a WHERE a.organization_id = '{org}' AND a.put_on_control_at >= '{start}' AND a.put_on_control_at < '{end}'"),
        format!("SELECT COUNT(*) FROM appeals a WHERE a.organization_id = '{org}' AND a.closed_on >= '{from}' AND a.closed_on <= '{to}' AND a.put_on_control_at IS NOT NULL"),
        format!("SELECT COUNT(*) FROM appeals a WHERE a.organization_id = '{org}' AND a.put_on_control_at < '{end}' AND (a.closed_on IS NULL OR a.closed_on > '{to}')"),
    ]
}

/// One period's figures as the rollup read asks for them, written by hand with the values
/// inlined: the period's buckets of the yearly, monthly and daily rollups, added or taken away
/// (`domain::buckets::parts`; a year is one yearly bucket) with the pending deltas, the
/// cumulative control figures the same way from 2000 on, and the split of "overdue now" by
/// executor of deadlines earlier this month counted live (the total, and the executors' earlier
/// months, come from the open-appeal rows of the rollup). The executors' names are one more lookup.
/// `slice` is the rollup slice read ('' for the whole body) and `filter` the same appeals as a
/// condition on `appeals a` for the live count.
fn rollup_sql(org: &str, slice: &str, filter: &str, start: &str, end: &str, from: NaiveDate, to: NaiveDate, today: NaiveDate) -> Vec<String> {
    let union = |from: NaiveDate, to: NaiveDate, figures: &str| support::rollup_rows("figure, dim", &format!("organization_id = '{org}' AND slice = '{slice}'"), from, to, figures);
    let month = appeals::domain::rollup::month_of(today);
    let live = format!("FROM appeals a WHERE a.organization_id = '{org}' AND a.status IN ('registered', 'in_work', 'answer_review') AND a.due_date >= '{month}' AND a.due_date < '{today}' AND a.registered_at >= '{start}' AND a.registered_at < '{end}'{filter}");
    let epoch = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap();
    vec![
        format!("SELECT figure AS c1, dim AS c2, SUM(n) AS c3 FROM ({}) x GROUP BY figure, dim", union(from, to, "")),
        format!("SELECT figure AS c1, '' AS c2, SUM(n) AS c3 FROM ({}) x WHERE figure = 'control_put' OR dim <= '{to}' GROUP BY figure", union(epoch, to, " AND figure IN ('control_put', 'control_removed')")),
        format!("SELECT s.user_id AS c1, '' AS c2, COUNT(*) AS c3 FROM assignments s JOIN appeals a ON a.id = s.appeal_id {} AND s.responsible AND s.active GROUP BY s.user_id", &live["FROM appeals a ".len()..]),
        format!("SELECT u.id AS c1, u.full_name AS c2, d.name AS c3 FROM users u LEFT JOIN departments d ON d.id = u.department_id WHERE u.organization_id = '{org}' AND u.login LIKE 'bench_exec_%'"),
    ]
}

/// A plain connection for the generator and the hand-written SQL.
enum Raw {
    Pg(PgConnection),
    Lite(SqliteConnection),
}

/// A row of a rollup statement, every value read as text (SQLite converts the sums).
#[derive(diesel::QueryableByName)]
#[allow(dead_code)]
struct Three {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    c1: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    c2: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    c3: Option<String>,
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    #[allow(dead_code)]
    n: i64,
}

impl Raw {
    /// The first column of the first row, as text.
    fn first_text(&mut self, sql: &str) -> String {
        let rows: Vec<Three> = match self {
            Raw::Pg(c) => diesel::sql_query(sql.replace(" AS c1 ", " AS c1, NULL::text AS c2, NULL::text AS c3 ")).load(c).expect("query"),
            Raw::Lite(c) => diesel::sql_query(sql.replace(" AS c1 ", " AS c1, NULL AS c2, NULL AS c3 ")).load(c).expect("query"),
        };
        rows.into_iter().next().and_then(|r| r.c1).unwrap_or_default()
    }

    /// Sequential scans so far of the tables a statistics read may touch (PostgreSQL only).
    fn seq_scans(&mut self) -> Vec<(String, i64)> {
        match self {
            Raw::Pg(c) => {
                support::pg_seq_scans(c, &["appeals", "questions", "assignments", "users", "stats_deltas", "stats_rollup", "stats_rollup_month", "stats_rollup_year"])
            }
            Raw::Lite(_) => Vec::new(),
        }
    }

    fn batch(&mut self, sql: &str) {
        match self {
            Raw::Pg(c) => c.batch_execute(sql).expect("batch"),
            Raw::Lite(c) => c.batch_execute(sql).expect("batch"),
        }
    }

    /// Runs one statement and reads all its rows (on SQLite through a count over it, so that
    /// every row is produced; PostgreSQL sends them all to the client).
    fn run(&mut self, sql: &str) {
        match self {
            Raw::Pg(c) => {
                diesel::sql_query(sql).execute(c).expect("raw query");
            }
            // The rollup statements' three columns are read into the client, every value, as
            // PostgreSQL's client receives them; the scan's statements are counted over.
            Raw::Lite(c) if sql.contains(" AS c3 ") => {
                let _: Vec<Three> = diesel::sql_query(sql).load(c).expect("raw query");
            }
            Raw::Lite(c) => {
                let _: Vec<Count> = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM ({sql})")).load(c).expect("raw query");
            }
        }
    }
}

/// One warm-up, then `STATS_RUNS` timed rounds of the statements, one call each, on one connection.
fn raw(conn: &mut Raw, statements: &[String]) -> (f64, f64) {
    let mut lat = Vec::new();
    for run in 0..=runs() {
        let t = Instant::now();
        for s in statements {
            conn.run(s);
        }
        if run > 0 {
            lat.push(t.elapsed());
        }
    }
    p50_max(lat)
}

/// Peak resident set of this process (the app, its pool and the client), in MiB.
fn peak_rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse::<u64>().ok()))
        .unwrap_or(0)
        / 1024
}

/// Generates the two years in the database at `url` (unless `reuse`: a database kept by an
/// earlier run, `STATS_DB`, whose data and rollup are there), then measures.
async fn bench(label: &str, url: &str, n: usize, prev_n: usize, reuse: bool) {
    let settings = Settings::for_tests(url);
    let now = appeals::store::micros(chrono::Utc::now());
    let (pool, org) = appeals::app::open(&settings, now).expect("open");
    let (mut gen, dataset) = match url.strip_prefix("sqlite://") {
        Some(path) => (Raw::Lite(SqliteConnection::establish(path).expect("connect")), include_str!("stats_dataset_sqlite.sql")),
        None => (Raw::Pg(PgConnection::establish(url).expect("connect")), include_str!("stats_dataset.sql")),
    };
    if reuse {
        // A supervisor of this run's own (the kept one's token is gone).
        let (token, hash) = appeals::auth::generate_token();
        let sup = appeals::store::users::NewUser { login: format!("bench_supervisor_{}", std::process::id()), full_name: "Контролёр".into(), role: "supervisor".into(), email: None };
        appeals::store::users::create_user(&pool, &org.id, &sup, &hash, now, None).expect("user");
        let state = appeals::app::state(settings, pool, Arc::new(SystemClock)).expect("state");
        if std::env::var("STATS_REBUILD").is_ok() {
            let t = Instant::now();
            let local_day = |at: chrono::NaiveDateTime| state.local_date(&org.id, at.and_utc());
            let rows = appeals::store::stats_deltas::rebuild(&state.pool, &org.id, &local_day, now).expect("rebuild");
            println!("{label}: rollup rebuilt in {:.1} s ({rows} delta rows folded)", t.elapsed().as_secs_f64());
            check_slices(label, &state, &org.id, &mut gen);
        }
        return measure(label, state, &org.id, &token, &mut gen).await;
    }
    let (token, _) = support::bench_staff(&pool, &org.id, now);
    // Five departments of ten executors each.
    gen.batch(&format!(
        "INSERT INTO departments (id, organization_id, code, name, created_at) VALUES {};
         UPDATE users SET department_id = 'bench-dep-' || (1 + CAST(substr(login, 12) AS INTEGER) % 5) WHERE login LIKE 'bench_exec_%';",
        (1..=5).map(|k| format!("('bench-dep-{k}', '{}', 'D{k}', 'Отдел {k}', '2024-01-01 00:00:00')", org.id)).collect::<Vec<_>>().join(", ")
    ));
    let t = Instant::now();
    for (tag, year, count) in [("y25", 2025, n), ("y24", 2024, prev_n)] {
        if count == 0 {
            continue;
        }
        let step = 365 * 24 * 3600 / (count + 1);
        let sql = dataset
            .replace("{org}", &org.id)
            .replace("{n}", &count.to_string())
            .replace("{tag}", tag)
            .replace("{start}", &format!("{year}-01-01 00:00:00"))
            .replace("{step}", &step.max(1).to_string());
        gen.batch(&sql);
    }
    gen.batch("ANALYZE");
    println!("{label}: {n} appeals in 2025, {prev_n} in 2024, 50 executors in 5 departments, generated in {:.1} s", t.elapsed().as_secs_f64());

    let state = appeals::app::state(settings, pool, Arc::new(SystemClock)).expect("state");
    // The rollup of data loaded around the service is built once from the appeals (as the
    // first statistics read of an organization does), then kept by the write paths' deltas.
    let t = Instant::now();
    let local_day = |at: chrono::NaiveDateTime| state.local_date(&org.id, at.and_utc());
    let rows = appeals::store::stats_deltas::rebuild(&state.pool, &org.id, &local_day, now).expect("rebuild");
    println!("{label}: rollup built from {} appeals in {:.1} s ({rows} daily rows)", n + prev_n, t.elapsed().as_secs_f64());
    gen.batch("ANALYZE");
    // Compaction: of nothing pending (what each read pays), and of a backlog of 100,000 delta
    // rows (about 8,000 registrations' worth, spread over the year's days and figures).
    let t = Instant::now();
    appeals::store::stats_deltas::compact(&state.pool).expect("compact");
    let idle = t.elapsed().as_secs_f64() * 1e3;
    gen.batch(&format!(
        "INSERT INTO stats_deltas (organization_id, day, figure, dim, n) SELECT '{}', {}, 'channel', 'bench-' || (i % 7), 1 FROM {}",
        org.id,
        if url.starts_with("sqlite://") { "date('2025-01-01', '+' || (i % 365) || ' days')" } else { "date '2025-01-01' + (i % 365)" },
        if url.starts_with("sqlite://") { "(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 100000) SELECT i FROM s)" } else { "generate_series(1, 100000) AS i" }
    ));
    let t = Instant::now();
    appeals::store::stats_deltas::compact(&state.pool).expect("compact");
    println!("{label}: compaction with nothing pending {idle:.1} ms, of 100,000 pending delta rows {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
    gen.batch("DELETE FROM stats_rollup WHERE dim LIKE 'bench-%'; DELETE FROM stats_rollup_month WHERE dim LIKE 'bench-%'; DELETE FROM stats_rollup_year WHERE dim LIKE 'bench-%'");
    check_slices(label, &state, &org.id, &mut gen);
    measure(label, state, &org.id, &token, &mut gen).await;
}

/// The rollup and the scan agree on the whole registry (figures of 2025 beside 2024), and
/// each filter's slice with the scan of that filter.
fn check_slices(label: &str, state: &appeals::state::AppState, org: &str, gen: &mut Raw) {
    use appeals::reports::statistics::{compute_with, Counting};
    use appeals::reports::stats::PeriodOut;
    let (from, to) = ("2025-01-01".parse::<NaiveDate>().unwrap(), "2025-12-31".parse::<NaiveDate>().unwrap());
    let scope = appeals::store::stats::Scope { org: org.to_string(), start: state.start_of(org, from), end: state.start_of(org, to.succ_opt().unwrap()), from, to, today: state.today(org), channel: None, section: None, executor_id: None, department: None, counting: Default::default() };
    let period = PeriodOut { from, to };
    let compare = appeals::reports::statistics::comparison(period, "previous_year");
    let t = Instant::now();
    let scan = serde_json::to_value(compute_with(&state, period, compare, &scope, 10, Counting::Scan).expect("scan")).unwrap();
    let scan_ms = t.elapsed().as_secs_f64() * 1e3;
    let rollup = serde_json::to_value(compute_with(&state, period, compare, &scope, 10, Counting::Rollup).expect("rollup")).unwrap();
    assert_eq!(rollup, scan, "the rollup and the scan disagree");
    println!("{label}: rollup figures equal the scan's (the scan took {scan_ms:.0} ms)");
    // And for one filter of each kind.
    let exec = gen.first_text("SELECT id AS c1 FROM users WHERE login LIKE 'bench\\_exec\\_%' ESCAPE '\\' ORDER BY login LIMIT 1");
    for f in [
        appeals::store::stats::Scope { channel: Some("email".into()), ..scope.clone() },
        appeals::store::stats::Scope { section: Some("0005".into()), ..scope.clone() },
        appeals::store::stats::Scope { executor_id: Some(exec), ..scope.clone() },
        appeals::store::stats::Scope { department: Some("D1".into()), ..scope.clone() },
    ] {
        let t = Instant::now();
        let scan = serde_json::to_value(compute_with(&state, period, compare, &f, 10, Counting::Scan).expect("scan")).unwrap();
        let scan_ms = t.elapsed().as_secs_f64() * 1e3;
        let rollup = serde_json::to_value(compute_with(&state, period, compare, &f, 10, Counting::Rollup).expect("rollup")).unwrap();
        assert_eq!(rollup, scan, "the rollup slice and the scan disagree for {:?} {:?} {:?} {:?}", f.channel, f.section, f.executor_id, f.department);
        println!("{label}: slice figures equal the scan's for channel {:?} section {:?} executor {:?} department {:?} (the scan took {scan_ms:.0} ms)", f.channel, f.section, f.executor_id, f.department);
    }
    }

/// Times the statistics and the annual report over HTTP beside the hand-written SQL.
async fn measure(label: &str, state: appeals::state::AppState, org: &str, token: &str, gen: &mut Raw) {
    if let Raw::Pg(_) = gen {
        // The hand-written SQL at its best: these few-thousand-row index reads are faster without
        // parallel workers (as the service reads them), and read from a warm cache.
        gen.batch("SET max_parallel_workers_per_gather = 0; SET jit = off");
    }
    let day = |s: &str| s.parse::<NaiveDate>().unwrap();
    let (from, to, pfrom, pto) = (day("2025-01-01"), day("2025-12-31"), day("2024-01-01"), day("2024-12-31"));
    let ts = |d: NaiveDate| state.start_of(org, d).format("%Y-%m-%d %H:%M:%S").to_string();
    let today = state.today(org);
    let mut statements = rollup_sql(org, "", "", &ts(from), &ts(day("2026-01-01")), from, to, today);
    statements.extend(rollup_sql(org, "", "", &ts(pfrom), &ts(day("2025-01-01")), pfrom, pto, today));
    let mut scan_statements = period_sql(org, &ts(from), &ts(day("2026-01-01")), from, to, today);
    scan_statements.extend(period_sql(org, &ts(pfrom), &ts(day("2025-01-01")), pfrom, pto, today));
    let ytd = day("2025-11-23");
    let mut ytd_statements = rollup_sql(org, "", "", &ts(from), &ts(day("2025-11-24")), from, ytd, today);
    ytd_statements.extend(rollup_sql(org, "", "", &ts(pfrom), &ts(day("2024-11-24")), pfrom, day("2024-11-23"), today));
    // The filtered requests: one of each kind, each with its slice and the scan's condition.
    let exec = gen.first_text("SELECT id AS c1 FROM users WHERE login LIKE 'bench\\_exec\\_%' ESCAPE '\\' ORDER BY login LIMIT 1");
    let dep = gen.first_text("SELECT id AS c1 FROM departments WHERE code = 'D1'");
    let filtered: Vec<(String, String, String, String)> = vec![
        ("channel=email".into(), "ch:email".into(), " AND a.channel = 'email'".into(), "channel=email".into()),
        ("section=0005".into(), "sec:0005".into(), " AND EXISTS (SELECT 1 FROM questions qf WHERE qf.appeal_id = a.id AND qf.section = '0005')".into(), "section=0005".into()),
        ("executor".into(), format!("ex:{exec}"), format!(" AND EXISTS (SELECT 1 FROM assignments af WHERE af.appeal_id = a.id AND af.user_id = '{exec}' AND af.active)"), format!("executor_id={exec}")),
        ("department=D1".into(), format!("dep:{dep}"), format!(" AND EXISTS (SELECT 1 FROM assignments ad JOIN users ud ON ud.id = ad.user_id WHERE ad.appeal_id = a.id AND ad.responsible AND ad.active AND ud.department_id = '{dep}')"), "department=D1".into()),
    ];
    let (y25, y26, y24) = (ts(from), ts(day("2026-01-01")), ts(day("2024-01-01")));
    let data = actix_web::web::Data::new(state);
    let srv = actix_test::start(move || appeals::app::service(data.clone()));
    let client = awc::Client::builder().timeout(Duration::from_secs(600)).finish();

    let ((p50, max, size), (r50, rmax)) = paired(&client, &srv.url("/api/v1/stats?from=2025-01-01&to=2025-12-31&compare=previous_year"), token, gen, &statements).await;
    println!("{label}: stats 2025 vs 2024  HTTP p50 {p50:8.1} ms  max {max:8.1} ms ({size} bytes)  | hand-written SQL over the rollups p50 {r50:8.1} ms  max {rmax:8.1} ms  | ratio p50 {:.2}", p50 / r50);
    // A year to date (the statistics page's default period): the year's bucket less the rest.
    let ((y50, ymax, _), (yr50, yrmax)) = paired(&client, &srv.url("/api/v1/stats?from=2025-01-01&to=2025-11-23&compare=previous_year"), token, gen, &ytd_statements).await;
    println!("{label}: stats 2025-01-01..11-23 vs a year before  HTTP p50 {y50:8.1} ms  max {ymax:8.1} ms  | hand-written SQL over the rollups p50 {yr50:8.1} ms  max {yrmax:8.1} ms  | ratio p50 {:.2}", y50 / yr50);
    if std::env::var("STATS_SCAN").is_ok() {
        let (s50, smax) = raw(gen, &scan_statements);
        println!("{label}: the scan's GROUP BYs by hand (no rollup) p50 {s50:8.1} ms  max {smax:8.1} ms");
    }
    // Filtered requests read their slice of the rollups; the hand-written statements read the
    // same slice. PostgreSQL's sequential scans of the tables involved must not move meanwhile.
    std::thread::sleep(Duration::from_secs(1));
    let scans_before = gen.seq_scans();
    for (name, slice, filter, query) in &filtered {
        let mut sql = rollup_sql(org, slice, filter, &y25, &y26, from, to, today);
        sql.extend(rollup_sql(org, slice, filter, &y24, &y25, pfrom, pto, today));
        let url = srv.url(&format!("/api/v1/stats?from=2025-01-01&to=2025-12-31&compare=previous_year&{query}"));
        let ((f50, fmax, fsize), (h50, hmax)) = paired(&client, &url, token, gen, &sql).await;
        println!("{label}: stats 2025 vs 2024, {name:14} HTTP p50 {f50:8.1} ms  max {fmax:8.1} ms ({fsize} bytes)  | hand-written SQL over the slice p50 {h50:8.1} ms  max {hmax:8.1} ms  | ratio p50 {:.2}", f50 / h50);
    }
    std::thread::sleep(Duration::from_secs(2));
    let scans_after = gen.seq_scans();
    if !scans_before.is_empty() {
        println!("{label}: sequential scans over the filtered requests (before → after): {}", scans_before.iter().zip(&scans_after).map(|((t, a), (_, b))| format!("{t} {a}→{b}")).collect::<Vec<_>>().join(", "));
    }
    let (a50, amax, asize) = http(&client, &srv.url("/api/v1/reports/annual?year=2025&format=html"), token).await;
    println!("{label}: annual report 2025  HTTP p50 {a50:8.1} ms  max {amax:8.1} ms ({asize} bytes)");
    println!("{label}: peak RSS of the bench process so far (app in-process + client): {} MiB", peak_rss_mib());
    srv.stop().await;
}

#[actix_web::main]
async fn main() {
    let n: usize = std::env::var("STATS_N").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let prev_n: usize = std::env::var("STATS_PREV_N").ok().and_then(|v| v.parse().ok()).unwrap_or(200_000);
    let lite_n: usize = std::env::var("STATS_SQLITE_N").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let only = std::env::var("BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    if only.contains("sqlite") {
        let dir = std::env::temp_dir().join(format!("appeals-stats-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        bench("sqlite", &format!("sqlite://{}/bench.db", dir.display()), lite_n, lite_n / 5, false).await;
        if std::env::var("STATS_KEEP_DB").is_ok() {
            println!("kept {}", dir.join("bench.db").display());
        } else {
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    let admin = std::env::var("BENCH_DATABASE_URL").or_else(|_| std::env::var("TEST_DATABASE_URL")).ok().filter(|_| only.contains("postgres"));
    let Some(admin) = admin else {
        println!("postgres: skipped (set BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test)");
        return;
    };
    // `BENCH_DB_PREFIX` names the scratch database (several people benchmark on one server).
    // `STATS_DB` names a database to keep, and to measure again without generating it when
    // it is there (`STATS_REBUILD=1` rebuilds its rollup first).
    let kept = std::env::var("STATS_DB").ok();
    let name = kept.clone().unwrap_or_else(|| format!("{}{}", std::env::var("BENCH_DB_PREFIX").unwrap_or_else(|_| "appeals_stats_".into()), std::process::id()));
    let mut c = PgConnection::establish(&admin).expect("PostgreSQL");
    let exists = diesel::sql_query(format!("SELECT 1 AS n FROM pg_database WHERE datname = '{name}'")).execute(&mut c).expect("pg_database") > 0;
    if !exists {
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut c).expect("create database");
    }
    let url = format!("{}/{name}", admin.rsplit_once('/').map(|x| x.0).unwrap_or(&admin));
    bench("postgres", &url, n, prev_n, exists && kept.is_some()).await;
    if std::env::var("STATS_KEEP_DB").is_ok() || kept.is_some() {
        println!("kept database {name}");
    } else {
        let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut c);
    }
}
