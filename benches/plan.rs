//! Reminder planning and dispatch benchmark: generates `PLAN_N` open appeals (default
//! 1,000,000) in PostgreSQL and `PLAN_SQLITE_N` (100,000) in SQLite, all in work with a
//! responsible executor, deadlines spread from 3 days overdue to 30 days ahead; then times a
//! planning pass (first: writes the due reminders; second: everything already planned) beside
//! one SQL scan over the same rows, with the peak RSS of the pass; and dispatch throughput to a
//! local SMTP sink, one sending lane and `[scheduler] concurrency` lanes.
//!
//!     BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench plan
//!
//! A third pass follows with 1,000 appeals queued as changed (the day marker holds): the steady
//! state of a busy registry.
//!
//! `BENCH_BACKENDS=postgres` or `=sqlite` runs one backend; `PLAN_DISPATCH=0` skips dispatch;
//! `PLAN_DB=name` keeps the PostgreSQL database and reuses it next time. Figures: `benches/README.md`.

use appeals::clock::SystemClock;
use appeals::config::Settings;
use chrono::{TimeZone, Utc};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl};
use std::io::{BufRead, BufReader, Write};
use std::sync::Arc;
use std::time::Instant;

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()))
        .unwrap_or(0.0)
        / 1024.0
}

/// An SMTP sink that accepts everything; returns its port.
fn smtp_sink() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            std::thread::spawn(move || {
                let _ = s.set_nodelay(true);
                let mut out = s.try_clone().unwrap();
                let mut r = BufReader::new(s);
                let _ = out.write_all(b"220 sink\r\n");
                let mut line = String::new();
                let mut in_data = false;
                loop {
                    line.clear();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let reply: &[u8] = if in_data {
                        if line != ".\r\n" {
                            continue;
                        }
                        in_data = false;
                        b"250 ok\r\n"
                    } else if line.to_uppercase().starts_with("DATA") {
                        in_data = true;
                        b"354 go\r\n"
                    } else if line.to_uppercase().starts_with("QUIT") {
                        let _ = out.write_all(b"221 bye\r\n");
                        return;
                    } else {
                        b"250 ok\r\n"
                    };
                    if out.write_all(reply).is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

/// Resets the peak-RSS mark (Linux `clear_refs` 5), so a phase's peak is its own.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The baseline row of the scan.
#[derive(diesel::QueryableByName)]
#[allow(dead_code)]
struct ScanRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    id: String,
    #[diesel(sql_type = diesel::sql_types::Date)]
    due_date: chrono::NaiveDate,
}

/// The planner's selection as one SQL scan, every row read into the client.
fn scan_sql(org: &str, bound: &str) -> String {
    format!(
        "SELECT a.id, a.due_date FROM appeals a JOIN assignments s ON s.appeal_id = a.id AND s.active AND s.responsible \
         WHERE a.organization_id = '{org}' AND a.status IN ('registered','in_work','answer_review') {bound} ORDER BY a.due_date, a.id"
    )
}

fn create_staff(pool: &appeals::store::DbPool, org: &str, executors: usize, now: chrono::NaiveDateTime) {
    for i in 1..=executors {
        let (_, hash) = appeals::auth::generate_token();
        let u = appeals::store::users::NewUser { login: format!("bench_exec_{i}"), full_name: format!("Исполнитель {i}"), role: "executor".into(), email: Some(format!("exec{i}@uhta.ru")) };
        appeals::store::users::create_user(pool, org, &u, &hash, now, None).expect("user");
    }
    let (_, hash) = appeals::auth::generate_token();
    let sup = appeals::store::users::NewUser { login: "bench_supervisor".into(), full_name: "Контролёр".into(), role: "supervisor".into(), email: Some("chief@uhta.ru".into()) };
    appeals::store::users::create_user(pool, org, &sup, &hash, now, None).expect("user");
}

/// Wednesday 2 April 2025, 10:00 Moscow: a working day inside working hours.
fn instant() -> (chrono::DateTime<Utc>, chrono::NaiveDate) {
    (Utc.with_ymd_and_hms(2025, 4, 2, 7, 0, 0).unwrap(), chrono::NaiveDate::from_ymd_opt(2025, 4, 2).unwrap())
}

/// Times the planner (two passes) against the scan, then dispatch at one lane and at eight.
fn measure(label: &str, settings: &Settings, pool: &appeals::store::DbPool, scan: &mut dyn FnMut(&str) -> (f64, usize), mark: &mut dyn FnMut(&str)) {
    let (at, today) = instant();
    let state = appeals::app::state(settings.clone(), pool.clone(), Arc::new(SystemClock)).expect("state");
    let horizon = appeals::domain::reminders::horizon(&settings.reminders, &state.calendar, today);
    let (scan_h, rows_h) = scan(&format!("AND a.due_date <= '{horizon}'"));
    let (scan_all, rows_all) = scan("");
    println!("{label}: SQL scan: {rows_h} rows due by {horizon} in {scan_h:.2} s; all {rows_all} open rows in {scan_all:.2} s");

    reset_peak();
    let rss0 = peak_rss_mb();
    let t = Instant::now();
    let planned = appeals::scheduler::plan(&state, at).expect("plan");
    let first = t.elapsed().as_secs_f64();
    let rss1 = peak_rss_mb();
    println!(
        "{label}: planning pass 1: {} executors' batches and {} rows written in {first:.2} s (ratio to the horizon scan {:.2}×, to the full scan {:.2}×)",
        planned.batches,
        planned.rows,
        first / scan_h,
        first / scan_all
    );
    // The dispatcher's side of the same day: every batch expanded into per-appeal rows, one
    // transaction each, as many per call as the dispatcher takes (its lanes; the sending
    // itself is timed below).
    let per_call = settings.scheduler.concurrency.clamp(1, 64);
    reset_peak();
    let t = Instant::now();
    let (mut batches, mut rows, mut slowest) = (0usize, 0usize, 0f64);
    loop {
        let b = Instant::now();
        let (n, r) = appeals::scheduler::expand(&state, at, per_call).expect("expand");
        if n == 0 {
            break;
        }
        slowest = slowest.max(b.elapsed().as_secs_f64());
        batches += n;
        rows += r;
    }
    let expanded = t.elapsed().as_secs_f64();
    let rss_x = peak_rss_mb();
    println!(
        "{label}: expansion: {batches} batches into {rows} reminders in {expanded:.2} s ({:.1} ms a batch on average; slowest call of {per_call} batches {:.1} ms); peak RSS {rss_x:.1} MB",
        expanded * 1000.0 / batches.max(1) as f64,
        slowest * 1000.0
    );
    reset_peak();
    let t = Instant::now();
    let again = appeals::scheduler::plan(&state, at).expect("plan");
    let second = t.elapsed().as_secs_f64();
    let rss2 = peak_rss_mb();
    println!("{label}: planning pass 2: {} batches, {} rows, {second:.2} s (ratio to the horizon scan {:.2}×)", again.batches, again.rows, second / scan_h);
    println!("{label}: peak RSS: {rss0:.1} MB at the start of planning, {rss1:.1} MB during pass 1, {rss2:.1} MB during pass 2");
    // A busy minute: 1,000 appeals queued by actions since the last pass (the day marker holds).
    mark("INSERT INTO plan_queue (organization_id, appeal_id) SELECT organization_id, id FROM appeals ORDER BY id LIMIT 1000");
    let t = Instant::now();
    let third = appeals::scheduler::plan(&state, at).expect("plan");
    let busy = t.elapsed().as_secs_f64();
    println!("{label}: planning pass 3 (1,000 appeals queued as changed): {} new, {busy:.2} s (ratio to the horizon scan {:.3}×)", third.rows, busy / scan_h);

    if std::env::var("PLAN_DISPATCH").as_deref() == Ok("0") {
        return;
    }
    // Dispatch throughput: planned rows (rendered at send time) to the local SMTP sink.
    let port = smtp_sink();
    for (lanes, n) in [(1usize, 200usize), (settings.scheduler.concurrency.max(2), 1000)] {
        let mut s = settings.clone();
        s.mail.transport = "smtp".into();
        s.mail.url = format!("smtp://127.0.0.1:{port}");
        s.scheduler.concurrency = lanes;
        mark(&format!("UPDATE notifications SET status = CASE WHEN id IN (SELECT id FROM notifications WHERE status IN ('pending', 'cancelled') ORDER BY id LIMIT {n}) THEN 'pending' ELSE 'cancelled' END WHERE status IN ('pending', 'cancelled')"));
        let state = appeals::app::state(s.clone(), pool.clone(), Arc::new(SystemClock)).expect("state");
        let mailer = appeals::notify::mail::Mailer::from_settings(&s).expect("mailer");
        let t = Instant::now();
        let r = appeals::scheduler::dispatch(&state, &mailer, at, "bench").expect("dispatch");
        let secs = t.elapsed().as_secs_f64();
        println!("{label}: dispatch, {lanes} lane(s): {} messages rendered and sent in {secs:.2} s = {:.0} msg/s", r.sent, r.sent as f64 / secs);
    }
}

fn postgres(admin: &str) {
    let n: usize = std::env::var("PLAN_N").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let executors = 2000;
    // `PLAN_DB` names a database kept after the run and reused by the next one (its planned
    // rows cleared), so a change to the planner can be measured without generating again.
    let keep = std::env::var("PLAN_DB").ok();
    let name = keep.clone().unwrap_or_else(|| format!("appeals_plan_{}", std::process::id()));
    let mut c = PgConnection::establish(admin).expect("PostgreSQL");
    let exists = keep.is_some() && diesel::sql_query(format!("SELECT 1 FROM pg_database WHERE datname = '{name}'")).execute(&mut c).expect("lookup") == 1;
    if !exists {
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut c).expect("create database");
    }
    let url = format!("{}/{name}", admin.rsplit_once('/').map(|x| x.0).unwrap_or(admin));
    let settings = Settings::for_tests(&url);
    let (at, today) = instant();
    let now = appeals::store::micros(at);
    let (pool, org) = appeals::app::open(&settings, now).expect("open");
    let mut gen = PgConnection::establish(&url).expect("connect");
    if exists {
        gen.batch_execute("TRUNCATE notifications, plan_marks, plan_queue, plan_batches").expect("reset outbox");
        gen.batch_execute("VACUUM ANALYZE notifications").expect("vacuum outbox");
    } else {
        create_staff(&pool, &org.id, executors, now);
    }
    let t = Instant::now();
    let sql = format!(
        "INSERT INTO appeals (id, organization_id, reg_number, registered_at, registered_on, received_on, channel, form, kind, legal_regime, collective,
           anonymous, from_organization, summary, reply_channel, migration_case, late_registration, repeated, status, due_date, due_explanation,
           forward_late, returned_count, search_text, version, updated_at, put_on_control_at)
         SELECT md5('a' || i)::uuid::text, '{org}', 'ГЕН-' || i, d::timestamp, d, d, 'post', 'written', 'complaint', 'fz59', false, false, false,
           'Синтетическое обращение', 'post', false, false, false, 'in_work', d + 30, '{{}}', false, (i % 7 = 0)::int, 'ген-' || i, 1, d::timestamp, d::timestamp
         FROM (SELECT i, date '{today}' - 33 + (i % 34) AS d FROM generate_series(1, {n}) AS i) s;
         INSERT INTO assignments (id, organization_id, appeal_id, user_id, responsible, instruction, active, assigned_at)
         SELECT md5('s' || i)::uuid::text, '{org}', md5('a' || i)::uuid::text, u.ids[1 + i % array_length(u.ids, 1)], true, NULL, true, timestamp '{today}'
         FROM generate_series(1, {n}) AS i, (SELECT array_agg(id ORDER BY login) AS ids FROM users WHERE login LIKE 'bench\\_exec\\_%') u;
         ANALYZE;",
        org = org.id
    );
    if !exists {
        gen.batch_execute(&sql).expect("generate dataset");
    }
    println!("PostgreSQL: {n} open appeals, {executors} executors, generated in {:.1} s", t.elapsed().as_secs_f64());
    let org_id = org.id.clone();
    let mut scan_conn = PgConnection::establish(&url).expect("connect");
    let mut scan = |bound: &str| {
        let t = Instant::now();
        let rows: Vec<ScanRow> = diesel::sql_query(scan_sql(&org_id, bound)).load(&mut scan_conn).expect("scan");
        (t.elapsed().as_secs_f64(), rows.len())
    };
    let mut mark = |sql: &str| gen.batch_execute(sql).expect("mark");
    measure("PostgreSQL", &settings, &pool, &mut scan, &mut mark);
    drop(pool);
    if keep.is_none() {
        let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut c);
    }
}

fn sqlite() {
    use diesel::SqliteConnection;
    let n: usize = std::env::var("PLAN_SQLITE_N").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let executors = 200;
    let dir = std::env::temp_dir().join(format!("appeals-plan-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("plan.db");
    let url = format!("sqlite://{}", path.display());
    let settings = Settings::for_tests(&url);
    let (at, today) = instant();
    let now = appeals::store::micros(at);
    let (pool, org) = appeals::app::open(&settings, now).expect("open");
    create_staff(&pool, &org.id, executors, now);
    let t = Instant::now();
    let mut gen = SqliteConnection::establish(&path.to_string_lossy()).expect("connect");
    gen.batch_execute("PRAGMA busy_timeout = 10000;").expect("pragma");
    let sql = format!(
        "BEGIN;
         CREATE TEMP TABLE ex AS SELECT row_number() OVER (ORDER BY login) - 1 AS k, id FROM users WHERE login LIKE 'bench_exec_%';
         WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < {n})
         INSERT INTO appeals (id, organization_id, reg_number, registered_at, registered_on, received_on, channel, form, kind, legal_regime, collective,
           anonymous, from_organization, summary, reply_channel, migration_case, late_registration, repeated, status, due_date, due_explanation,
           forward_late, returned_count, search_text, version, updated_at, put_on_control_at)
         SELECT 'gen-a-' || i, '{org}', 'ГЕН-' || i, d || ' 00:00:00', d, d, 'post', 'written', 'complaint', 'fz59', 0, 0, 0,
           'Синтетическое обращение', 'post', 0, 0, 0, 'in_work', date(d, '+30 days'), '{{}}', 0, (i % 7 = 0), 'ген-' || i, 1, d || ' 00:00:00', d || ' 00:00:00'
         FROM (SELECT i, date('{today}', '-33 days', '+' || (i % 34) || ' days') AS d FROM g);
         WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < {n})
         INSERT INTO assignments (id, organization_id, appeal_id, user_id, responsible, instruction, active, assigned_at)
         SELECT 'gen-s-' || i, '{org}', 'gen-a-' || i, ex.id, 1, NULL, 1, '{today} 00:00:00' FROM g JOIN ex ON ex.k = i % {executors};
         COMMIT;
         ANALYZE;",
        org = org.id
    );
    gen.batch_execute(&sql).expect("generate dataset");
    println!("SQLite: {n} open appeals, {executors} executors, generated in {:.1} s", t.elapsed().as_secs_f64());
    let org_id = org.id.clone();
    let mut scan_conn = SqliteConnection::establish(&path.to_string_lossy()).expect("connect");
    let mut scan = |bound: &str| {
        let t = Instant::now();
        let rows: Vec<ScanRow> = diesel::sql_query(scan_sql(&org_id, bound)).load(&mut scan_conn).expect("scan");
        (t.elapsed().as_secs_f64(), rows.len())
    };
    let mut mark = |sql: &str| gen.batch_execute(sql).expect("mark");
    measure("SQLite", &settings, &pool, &mut scan, &mut mark);
    drop(pool);
    let _ = std::fs::remove_dir_all(dir);
}

fn main() {
    let backends = std::env::var("BENCH_BACKENDS").unwrap_or_else(|_| "postgres,sqlite".into());
    if backends.contains("postgres") {
        match std::env::var("BENCH_DATABASE_URL").or_else(|_| std::env::var("TEST_DATABASE_URL")) {
            Ok(admin) => postgres(&admin),
            Err(_) => println!("plan: PostgreSQL skipped (set BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test)"),
        }
    }
    if backends.contains("sqlite") {
        sqlite();
    }
}
