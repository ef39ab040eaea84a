//! Monthly exports benchmark: the ССТУ.РФ export and the ГАСУ forms of one month of a
//! large registry. Fills PostgreSQL with one year of `EXPORT_N` appeals (default 1,000,000, so a
//! month holds ~85,000; SQLite: `EXPORT_SQLITE_N`, default 100,000) with the statistics
//! benchmark's generator (`stats_dataset.sql`, `stats_dataset_sqlite.sql`), makes it valid for
//! the connector (a directory body with a GUID for the forwarding target, our cover letters'
//! numbers on forwarded appeals, the sender's cover letter on forwarded-in ones, `transferred`
//! results only on them, a dispatched answer with a 1 KB file for the month's answered
//! appeals) and adds 20 receptions with
//! visitors in the month. Then the release binary does the work in processes of its own,
//! so that each figure is the serving process's memory, not the generator's: first the CLI
//! `appeals export sstu --month 2025-03` (time, bytes, the process's peak RSS), then
//! `appeals serve` on the same database, timed over HTTP (p50/max of `EXPORT_RUNS`, default 3,
//! after one warm-up): `GET /api/v1/exports/sstu?month=2025-03` (built, validated, logged,
//! streamed), `&since_last=true` (the delta of unchanged data), `&format=zip` part 1 (planning
//! the parts, one run; then again, from the stored plan) and parts 2…N, the delta after 1% of
//! the month's cards changed (one run), and the ГАСУ appeals form (XLSX, CSV) and reception
//! form (XLSX), and last the regional supervisor's `organization=all` ZIP (the region is this one
//! organization: what the region's file costs over the organization's own parts is its checking
//! pass over every organization first), once planning the parts anew (the 1% change moved the
//! month's fingerprint) and once from the stored plan. Each line gives the server's peak RSS (VmHWM, reset through
//! `/proc/PID/clear_refs` before the line); the server's RSS after start is printed first. On
//! PostgreSQL it also reports how many sequential scans the exports made of each table
//! (`pg_stat_user_tables`).
//!
//!     BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench exports
//!
//! `BENCH_BACKENDS=sqlite` or `=postgres` runs one backend; `EXPORT_DB=NAME` generates the
//! PostgreSQL registry into database NAME on the first run and reuses it (kept) on the next;
//! `EXPORT_KEEP_DB=1` keeps the database of a run; `APPEALS_BIN=PATH` measures another build of
//! the binary (an earlier commit's) on the same data.

mod support;

use appeals::clock::SystemClock;
use appeals::config::Settings;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use std::sync::Arc;
use std::time::{Duration, Instant};

const GUID: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";
const INSPECTION: &str = "6f1c2d3e-4b5a-4c6d-8e7f-901234567890";
const TABLES: &str = "'appeals','applicants','questions','assignments','answers','contributions','appeal_links','answer_file_versions','bodies','export_log','receptions','reception_visitors','sstu_sent'";

fn p50_max(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    (ms(v[v.len() / 2]), ms(v[v.len() - 1]))
}

/// The serving process under measurement: its peak resident set (VmHWM) is reset before each
/// line and read after it, so each figure is what that export cost the server, not the bench.
#[derive(Clone, Copy)]
struct Server(u32);

impl Server {
    fn status(&self, field: &str) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.0))
            .ok()
            .and_then(|s| s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse::<u64>().ok()))
            .unwrap_or(0)
            / 1024
    }

    /// Resets the peak to the present resident set.
    fn reset_peak(&self) {
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.0), "5");
    }

    /// Peak resident set since the last reset, MiB.
    fn peak_mib(&self) -> u64 {
        self.status("VmHWM:")
    }

    /// Resident set now, MiB.
    fn rss_mib(&self) -> u64 {
        self.status("VmRSS:")
    }
}

/// Timed runs after the warm-up (`EXPORT_RUNS`, default 3).
fn runs() -> usize {
    std::env::var("EXPORT_RUNS").ok().and_then(|v| v.parse().ok()).unwrap_or(3).max(1)
}

/// A GET whose body is counted as it arrives, never held (the peak RSS is the server's, not a
/// buffered copy of a large export): the time to the last byte, the size and `Sstu-Parts`.
async fn streamed_get(client: &awc::Client, url: &str, token: &str) -> (Duration, usize, Option<String>) {
    use futures_util::StreamExt;
    let t = Instant::now();
    let mut r = client.get(url).insert_header(("Authorization", format!("Bearer {token}"))).send().await.expect("request");
    let parts = r.headers().get("Sstu-Parts").and_then(|v| v.to_str().ok()).map(str::to_string);
    let status = r.status().as_u16();
    let mut n = 0;
    let mut head = Vec::new();
    while let Some(chunk) = r.next().await {
        let chunk = chunk.expect("body");
        if head.len() < 4000 {
            head.extend_from_slice(&chunk[..chunk.len().min(4000 - head.len())]);
        }
        n += chunk.len();
    }
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&head));
    (t.elapsed(), n, parts)
}

/// One warm-up, then [`runs`] timed GETs of `url`: p50, max, the body's size, and the server's
/// peak RSS.
async fn http(client: &awc::Client, server: Server, url: &str, token: &str) -> (f64, f64, usize, u64) {
    let mut lat = Vec::new();
    let mut size = 0;
    server.reset_peak();
    for run in 0..=runs() {
        let (took, n, _) = streamed_get(client, url, token).await;
        size = n;
        if run > 0 {
            lat.push(took);
        }
    }
    let (p50, max) = p50_max(lat);
    (p50, max, size, server.peak_mib())
}

enum Raw {
    Pg(PgConnection),
    Lite(SqliteConnection),
}

impl Raw {
    fn batch(&mut self, sql: &str) {
        match self {
            Raw::Pg(c) => c.batch_execute(sql).expect("batch"),
            Raw::Lite(c) => c.batch_execute(sql).expect("batch"),
        }
    }

    /// Sequential scans so far per table (PostgreSQL only).
    fn seq_scans(&mut self) -> Vec<(String, i64)> {
        match self {
            Raw::Pg(c) => {
                support::pg_seq_scans(c, &TABLES.split(',').map(|t| t.trim().trim_matches('\'')).collect::<Vec<_>>())
            }
            Raw::Lite(_) => Vec::new(),
        }
    }
}

/// Makes the generated registry valid for the connector and adds the month's receptions.
fn fix_ups(pg: bool, org: &str) -> String {
    let date = |e: &str| if pg { format!("({e})::date") } else { format!("date({e})") };
    let mut sql = format!(
        "INSERT INTO bodies (id, organization_id, name, sstu_department_id, search_text, created_at) VALUES ('bench-body', '{org}', 'Государственная жилищная инспекция', '{INSPECTION}', 'государственная жилищная инспекция', '2024-01-01 00:00:00');
         UPDATE appeals SET forward_number = 'ОГ-пер-' || id, forward_date = {} WHERE forwarded_to IS NOT NULL;
         UPDATE appeals SET source_number = 'вх-' || id, source_date = received_on WHERE source_organization IS NOT NULL OR channel = 'forwarded';
         UPDATE questions SET result = 'answered' WHERE result = 'transferred';
         UPDATE questions SET result = 'transferred', actions_taken = {f} WHERE appeal_id IN (SELECT id FROM appeals WHERE forwarded_to IS NOT NULL);
         UPDATE questions SET actions_taken = {f} WHERE actions_taken AND (result IS NULL OR result <> 'supported_measures_taken');",
        date("forwarded_at"),
        f = if pg { "false" } else { "0" },
    );
    // A dispatched answer with its signed file (about 1 KB) for every appeal of the month whose
    // answer went out: the connector takes Explained, Supported and Answered only with it.
    let blob = answer_pdf();
    let hex_blob: String = blob.iter().map(|b| format!("{b:02x}")).collect();
    sql.push_str(&format!(
        "INSERT INTO answers (id, organization_id, appeal_id, author_id, text, results, status, created_at, sent_on, sent_channel, close_on_dispatch)
         SELECT 'bench-ans-' || id, organization_id, id, (SELECT MIN(id) FROM users WHERE organization_id = '{org}'), 'Ответ по существу.', '[]', 'approved', registered_at, answer_sent_on, 'post', {t}
         FROM appeals WHERE organization_id = '{org}' AND answer_sent_on IS NOT NULL
           AND ((registered_on >= '2025-03-01' AND registered_on < '2025-04-01') OR (answer_sent_on >= '2025-03-01' AND answer_sent_on < '2025-04-01'));
         INSERT INTO answer_file_versions (id, organization_id, appeal_id, answer_id, version, file_name, size, sha256, content, uploaded_by, uploaded_at)
         SELECT 'bench-file-' || appeal_id, organization_id, appeal_id, id, 1, 'otvet.pdf', {len}, '{sha}', {content}, NULL, created_at FROM answers WHERE id LIKE 'bench-ans-%';",
        t = if pg { "true" } else { "1" },
        len = blob.len(),
        sha = appeals::store::exports::sha256_hex(&blob),
        content = if pg { format!("decode('{hex_blob}', 'hex')") } else { format!("X'{hex_blob}'") },
    ));
    // 20 receptions in March 2025, the month's oral personal-reception appeals as their visitors.
    for k in 0..20 {
        let day = 3 + k;
        sql.push_str(&format!(
            "INSERT INTO receptions (id, organization_id, official, official_role, held_on, starts_at, place, remote, created_at) VALUES ('bench-r{k}', '{org}', 'Должностное лицо {k}', '{}', '2025-03-{day:02}', '10:00', 'каб. 1', {}, '2025-02-01 00:00:00');",
            if k % 3 == 0 { "head" } else { "deputy" },
            if pg { "false" } else { "0" },
        ));
        sql.push_str(&format!(
            "INSERT INTO reception_visitors (id, organization_id, reception_id, full_name, booked_at, appeal_id)
             SELECT 'bench-v' || id, '{org}', 'bench-r{k}', 'Посетитель', '2025-02-01 00:00:00', id FROM appeals
             WHERE organization_id = '{org}' AND channel = 'personal_reception' AND registered_on = '2025-03-{day:02}';"
        ));
    }
    sql
}

/// A small PDF-like answer file (the bench measures the export, not base64 of large files).
fn answer_pdf() -> Vec<u8> {
    let mut b = b"%PDF-1.4\n".to_vec();
    for i in 0..24 {
        b.extend_from_slice(format!("% Ответ заявителю, строка {i:02}\n").as_bytes());
    }
    b.extend_from_slice(b"%%EOF\n");
    b
}

/// The environment of the release binary on the bench database.
fn binary(url: &str, data: &std::path::Path) -> std::process::Command {
    // `APPEALS_BIN`: another build of the binary (an earlier commit's, for a before/after).
    let bin = std::env::var("APPEALS_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_appeals").to_string());
    let mut cmd = std::process::Command::new(bin);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", url)
        .env("APPEALS_CONFIG_DIR", concat!(env!("CARGO_MANIFEST_DIR"), "/config"))
        .env("APPEALS_DATA_DIR", data)
        .env("APPEALS_SSTU__DEPARTMENT_ID", GUID);
    cmd
}

/// `appeals export sstu --month 2025-03` in a process of its own, its output counted and
/// dropped: the time, the bytes and the process's peak RSS (`ru_maxrss` of `wait4`).
fn cli_export(url: &str, data: &std::path::Path) -> (f64, usize, u64) {
    use std::io::Read;
    let t = Instant::now();
    let mut child = binary(url, data).args(["export", "sstu", "--month", "2025-03"]).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::null()).spawn().expect("appeals export");
    let mut out = child.stdout.take().unwrap();
    let mut buf = vec![0u8; 1 << 16];
    let mut n = 0;
    loop {
        match out.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid out-parameter; wait4 reaps our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as libc::pid_t);
    assert_eq!(status, 0, "appeals export failed");
    (t.elapsed().as_secs_f64() * 1e3, n, usage.ru_maxrss as u64 / 1024)
}

/// The release `appeals serve` on the bench database, listening on `port`, once it answers.
fn serve(url: &str, data: &std::path::Path, port: u16) -> std::process::Child {
    let log = std::fs::File::create(data.join("serve.log")).expect("log");
    let child = binary(url, data)
        .arg("serve")
        .env("APPEALS_LISTEN", format!("127.0.0.1:{port}"))
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("appeals serve");
    for _ in 0..600 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return child;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("appeals serve did not start: see {}", data.join("serve.log").display());
}

async fn bench(label: &str, url: &str, n: usize, reuse: bool) {
    let mut settings = Settings::for_tests(url);
    settings.sstu.department_id = Some(GUID.into());
    let now = appeals::store::micros(chrono::Utc::now());
    let (pool, org) = appeals::app::open(&settings, now).expect("open");
    let pg = !url.starts_with("sqlite://");
    let mut gen = match url.strip_prefix("sqlite://") {
        Some(path) => Raw::Lite(SqliteConnection::establish(path).expect("connect")),
        None => Raw::Pg(PgConnection::establish(url).expect("connect")),
    };
    let token = if reuse {
        // A database generated by an earlier run: a supervisor of this run, and no export yet.
        let (token, hash) = appeals::auth::generate_token();
        let sup = appeals::store::users::NewUser { login: format!("bench_supervisor_{}", std::process::id()), full_name: "Контролёр".into(), role: "supervisor".into(), email: None };
        appeals::store::users::create_user(&pool, &org.id, &sup, &hash, now, None).expect("user");
        gen.batch("DELETE FROM sstu_sent; DELETE FROM sstu_part_plans; DELETE FROM export_log;");
        println!("{label}: reusing the registry generated earlier");
        token
    } else {
        let (token, _) = support::bench_staff(&pool, &org.id, now);
        let dataset = if pg { include_str!("stats_dataset.sql") } else { include_str!("stats_dataset_sqlite.sql") };
        let t = Instant::now();
        let step = 365 * 24 * 3600 / (n + 1);
        gen.batch(&dataset.replace("{org}", &org.id).replace("{n}", &n.to_string()).replace("{tag}", "y25").replace("{start}", "2025-01-01 00:00:00").replace("{step}", &step.max(1).to_string()));
        gen.batch(&fix_ups(pg, &org.id));
        gen.batch("ANALYZE");
        println!("{label}: {n} appeals in 2025 generated and made valid in {:.1} s", t.elapsed().as_secs_f64());
        token
    };

    // The regional supervisor of the regional pass (a login of this run: the registry may be reused).
    let (regional, hash) = appeals::auth::generate_token();
    let rs = appeals::store::users::NewUser { login: format!("bench_regional_{}", std::process::id()), full_name: "Контролёр региона".into(), role: "regional_supervisor".into(), email: None };
    appeals::store::users::create_user(&pool, &org.id, &rs, &hash, now, None).expect("regional user");
    let state = appeals::app::state(settings, pool, Arc::new(SystemClock)).expect("state");
    // How many objects the month holds (the export's own selection).
    let (from, to) = appeals::reports::sstu::parse_month("2025-03").unwrap();
    let period = appeals::store::exports::Period { from, to, from_at: state.start_of(&org.id, from), to_at: state.start_of(&org.id, to) };
    let t = Instant::now();
    let keys = appeals::store::sstu::read(&state.pool, |r| r.month_keys(&org.id, &period)).expect("month");
    let (start, end) = (state.start_of(&org.id, from), state.start_of(&org.id, to));
    let registered = keys.iter().filter(|k| k.registered_at >= start && k.registered_at < end).count();
    println!("{label}: month 2025-03: {} cards ({registered} registered in it), keys read in {:.0} ms", keys.len(), t.elapsed().as_secs_f64() * 1e3);
    // The delta after a change: every 100th card of the month gets a new version.
    let changed: Vec<String> = keys.iter().step_by(100).map(|k| format!("'{}'", k.id)).collect();
    drop(keys);
    drop(state);

    let data = std::env::temp_dir().join(format!("appeals-export-bench-data-{}-{label}", std::process::id()));
    std::fs::create_dir_all(&data).unwrap();
    // The CLI first: a process that does nothing but the export.
    let (ms, size, rss) = cli_export(url, &data);
    println!("{label}: {:36} {ms:9.1} ms  ({size} bytes)  peak RSS {rss} MiB (whole process)", "CLI `appeals export sstu`");

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = serve(url, &data, port);
    let server = Server(child.id());
    let base = |p: &str| format!("http://127.0.0.1:{port}{p}");
    let client = awc::Client::builder().timeout(Duration::from_secs(1200)).finish();
    std::thread::sleep(Duration::from_secs(3));
    let (_, _) = support::timed_get(&client, &base("/health"), &token).await;
    std::thread::sleep(Duration::from_secs(1));
    println!("{label}: server started: RSS {} MiB (peak since start {} MiB)", server.rss_mib(), server.peak_mib());
    let before = gen.seq_scans();
    for (name, path) in [
        ("ССТУ.РФ export", "/api/v1/exports/sstu?month=2025-03"),
        ("ССТУ.РФ delta (unchanged)", "/api/v1/exports/sstu?month=2025-03&since_last=true"),
    ] {
        let (p50, max, size, rss) = http(&client, server, &base(path), &token).await;
        println!("{label}: {name:36} p50 {p50:9.1} ms  max {max:9.1} ms  ({size} bytes)  peak RSS {rss} MiB (RSS after {} MiB)", server.rss_mib());
    }
    // The ZIP: part 1 plans the parts (one check of the month), then every part is built from
    // the stored plan; part 1 again is a re-export, byte-identical.
    server.reset_peak();
    let (took, size, parts) = streamed_get(&client, &base("/api/v1/exports/sstu?month=2025-03&format=zip"), &token).await;
    let parts: u32 = parts.and_then(|p| p.parse().ok()).unwrap_or(1);
    println!("{label}: {:36} {:9.1} ms  ({size} bytes, {parts} parts)  peak RSS {} MiB", "ССТУ.РФ ZIP part 1, planning", took.as_secs_f64() * 1e3, server.peak_mib());
    let (p50, max, size, rss) = http(&client, server, &base("/api/v1/exports/sstu?month=2025-03&format=zip"), &token).await;
    println!("{label}: {:36} p50 {p50:9.1} ms  max {max:9.1} ms  ({size} bytes)  peak RSS {rss} MiB", "ССТУ.РФ ZIP part 1, plan reused");
    server.reset_peak();
    let mut times = Vec::new();
    for part in 2..=parts {
        let (took, _, _) = streamed_get(&client, &base(&format!("/api/v1/exports/sstu?month=2025-03&format=zip&part={part}")), &token).await;
        times.push(format!("{:.0}", took.as_secs_f64() * 1e3));
    }
    println!("{label}: {:36} {} ms  peak RSS {} MiB", format!("ССТУ.РФ ZIP parts 2…{parts}"), times.join(" / "), server.peak_mib());
    // The delta of 1%: the run above is complete, then every 100th card of the month changes.
    for ids in changed.chunks(500) {
        gen.batch(&format!("UPDATE appeals SET version = version + 1 WHERE id IN ({})", ids.join(",")));
    }
    server.reset_peak();
    let (took, size, _) = streamed_get(&client, &base("/api/v1/exports/sstu?month=2025-03&since_last=true"), &token).await;
    println!("{label}: {:36} {:9.1} ms  ({size} bytes, {} cards changed)  peak RSS {} MiB", "ССТУ.РФ delta (1% changed)", took.as_secs_f64() * 1e3, changed.len(), server.peak_mib());
    for (name, path) in [
        ("ГАСУ appeals form, XLSX", "/api/v1/exports/gasu/appeals?month=2025-03&format=xlsx"),
        ("ГАСУ appeals form, CSV", "/api/v1/exports/gasu/appeals?month=2025-03&format=csv"),
        ("ГАСУ reception form, XLSX", "/api/v1/exports/gasu/reception?month=2025-03&format=xlsx"),
    ] {
        let (p50, max, size, rss) = http(&client, server, &base(path), &token).await;
        println!("{label}: {name:36} p50 {p50:9.1} ms  max {max:9.1} ms  ({size} bytes)  peak RSS {rss} MiB");
    }
    // The region's ZIP: every organization checked first, then each one's parts into it.
    for name in ["ССТУ.РФ region ZIP, planning", "ССТУ.РФ region ZIP, plan reused"] {
        server.reset_peak();
        let (took, size, _) = streamed_get(&client, &base("/api/v1/exports/sstu?month=2025-03&organization=all"), &regional).await;
        println!("{label}: {name:36} {:9.1} ms  ({size} bytes)  peak RSS {} MiB", took.as_secs_f64() * 1e3, server.peak_mib());
    }
    std::thread::sleep(Duration::from_secs(2));
    let after = gen.seq_scans();
    if pg {
        let grew: Vec<String> = after.iter().filter_map(|(t, n)| before.iter().find(|(b, _)| b == t).map(|(_, m)| n - m).filter(|d| *d > 0).map(|d| format!("{t} +{d}"))).collect();
        println!("{label}: sequential scans during the exports: {}", if grew.is_empty() { "none".to_string() } else { grew.join(", ") });
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&data);
}

#[actix_web::main]
async fn main() {
    let n: usize = std::env::var("EXPORT_N").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let lite_n: usize = std::env::var("EXPORT_SQLITE_N").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let only = std::env::var("BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    if only.contains("sqlite") {
        let dir = std::env::temp_dir().join(format!("appeals-export-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        bench("sqlite", &format!("sqlite://{}/bench.db", dir.display()), lite_n, false).await;
        let _ = std::fs::remove_dir_all(&dir);
    }
    let admin = std::env::var("BENCH_DATABASE_URL").or_else(|_| std::env::var("TEST_DATABASE_URL")).ok().filter(|_| only.contains("postgres"));
    let Some(admin) = admin else {
        println!("postgres: skipped (set BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test)");
        return;
    };
    // `EXPORT_DB=NAME`: that database, generated on the first run and reused (and kept) after.
    let named = std::env::var("EXPORT_DB").ok();
    let name = named.clone().unwrap_or_else(|| format!("appeals_export_{}", std::process::id()));
    let mut c = PgConnection::establish(&admin).expect("PostgreSQL");
    let url = format!("{}/{name}", admin.rsplit_once('/').map(|x| x.0).unwrap_or(&admin));
    let reuse = named.is_some() && PgConnection::establish(&url).is_ok();
    if !reuse {
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut c).expect("create database");
    }
    bench("postgres", &url, n, reuse).await;
    if named.is_some() || std::env::var("EXPORT_KEEP_DB").is_ok() {
        println!("kept database {name}");
    } else {
        let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut c);
    }
}
