//! The API's load benchmark, on SQLite and (when `BENCH_DATABASE_URL` or `TEST_DATABASE_URL` is
//! set) PostgreSQL, over real HTTP:
//! - registration (`POST /api/v1/appeals`) at concurrency 1 and 8: appeals/s, p50/p99; on PostgreSQL
//!   beside pgbench running the same transaction (`benches/register.pgbench`) at the same concurrency;
//! - bulk import of `IMPORT_N` appeals in one request;
//! - card read (`GET /api/v1/appeals/{id}`) and registry page (`GET /api/v1/appeals?limit=50`),
//!   each beside the same statements issued as raw SQL on one connection;
//! - peak RSS of the server.
//!
//! The server is the release `appeals` binary in its own process; this process is the client.
//!
//!     cargo bench --bench register            # BENCH_N=2000 registrations per run by default

use appeals::config::Settings;
use diesel::{Connection, RunQueryDsl};
use std::time::{Duration, Instant};

struct Figures {
    rate: f64,
    p50: Duration,
    p99: Duration,
}

/// Who writes request `i`.
#[derive(Clone, Copy)]
enum Mix {
    /// Every request from a new applicant.
    Distinct,
    /// 30% from a pool of 1,000 returning applicants (who also match the generated registry).
    Returning,
    /// Always the same applicant.
    One,
}

fn person(i: usize, mix: Mix) -> String {
    match mix {
        Mix::Distinct => format!("{i}"),
        Mix::Returning if i % 10 < 3 => format!("{}", (i.wrapping_mul(2_654_435_761)) % 1000),
        Mix::Returning => format!("{i}"),
        Mix::One => "0".into(),
    }
}

fn body_mix(i: usize, mix: Mix) -> String {
    let today = chrono::Utc::now().date_naive();
    let k = person(i, mix);
    serde_json::json!({
        "channel": "post", "form": "written", "kind": "complaint", "received_on": today.to_string(),
        "applicants": [{"full_name": format!("Заявитель {k}"), "postal_address": format!("г. Ухта, д. {k}"), "email": format!("z{k}@example.ru")}],
        "summary": "Просит отремонтировать тротуар у дома 12 по ул. Октябрьской",
        "questions": [{"code": "0003.0009.0097.0699", "text": "ремонт тротуара"}],
        "reply_channel": "post"
    })
    .to_string()
}

/// Registers `total` appeals from `concurrency` threads, each on one keep-alive connection.
/// Requests are rendered before the clock starts, and the client is plain blocking sockets, so
/// the figure is the server's, not a heavy load generator's (pgbench's client is light C too).
fn drive(addr: &str, token: &str, total: usize, concurrency: usize, offset: usize) -> Figures {
    drive_mix(addr, token, total, concurrency, offset, Mix::Distinct)
}

fn drive_mix(addr: &str, token: &str, total: usize, concurrency: usize, offset: usize, mix: Mix) -> Figures {
    use std::io::{Read, Write};
    let per = total / concurrency;
    let requests: Vec<Vec<Vec<u8>>> = (0..concurrency)
        .map(|w| {
            (0..per)
                .map(|i| {
                    let b = body_mix(offset + w * per + i, mix);
                    format!(
                        "POST /api/v1/appeals HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{b}",
                        b.len()
                    )
                    .into_bytes()
                })
                .collect()
        })
        .collect();
    let started = Instant::now();
    let handles: Vec<_> = requests
        .into_iter()
        .map(|batch| {
            let addr = addr.to_string();
            std::thread::spawn(move || {
                let mut stream = std::net::TcpStream::connect(&addr).expect("connect");
                stream.set_nodelay(true).unwrap();
                let mut buf = vec![0u8; 1 << 16];
                let mut lat = Vec::with_capacity(batch.len());
                for req in batch {
                    let t = Instant::now();
                    stream.write_all(&req).expect("send");
                    // Read the head, then exactly Content-Length bytes of body.
                    let mut have = 0;
                    let head_end = loop {
                        let n = stream.read(&mut buf[have..]).expect("read");
                        assert!(n > 0, "server closed the connection");
                        have += n;
                        if let Some(p) = buf[..have].windows(4).position(|w| w == b"\r\n\r\n") {
                            break p + 4;
                        }
                    };
                    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
                    assert!(head.starts_with("http/1.1 201"), "registration failed: {head}");
                    let len: usize = head.lines().find_map(|l| l.strip_prefix("content-length:")).map(|v| v.trim().parse().unwrap()).unwrap_or(0);
                    let mut body_have = have - head_end;
                    while body_have < len {
                        let n = stream.read(&mut buf[..]).expect("read body");
                        assert!(n > 0, "server closed the connection");
                        body_have += n;
                    }
                    lat.push(t.elapsed());
                }
                lat
            })
        })
        .collect();
    let mut all: Vec<Duration> = handles.into_iter().flat_map(|h| h.join().expect("client thread")).collect();
    let elapsed = started.elapsed();
    all.sort();
    Figures { rate: all.len() as f64 / elapsed.as_secs_f64(), p50: all[all.len() / 2], p99: all[(all.len() * 99 / 100).min(all.len() - 1)] }
}

/// One registration at a time every 100 ms on one keep-alive connection until `stop`: each one's
/// latency (what a clerk registering sees while something else, an import, holds the writer).
fn probe(addr: &str, token: &str, offset: usize, stop: &std::sync::atomic::AtomicBool) -> Vec<Duration> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream.set_nodelay(true).unwrap();
    let mut buf = vec![0u8; 1 << 16];
    let mut lat = Vec::new();
    let mut i = offset;
    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
        let b = body_mix(i, Mix::Distinct);
        i += 1;
        let req = format!("POST /api/v1/appeals HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{b}", b.len());
        let t = Instant::now();
        stream.write_all(req.as_bytes()).expect("send");
        let mut have = 0;
        let head_end = loop {
            let n = stream.read(&mut buf[have..]).expect("read");
            assert!(n > 0, "server closed the connection");
            have += n;
            if let Some(p) = buf[..have].windows(4).position(|w| w == b"\r\n\r\n") {
                break p + 4;
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
        assert!(head.starts_with("http/1.1 201"), "registration failed: {head}");
        let len: usize = head.lines().find_map(|l| l.strip_prefix("content-length:")).map(|v| v.trim().parse().unwrap()).unwrap_or(0);
        let mut body_have = have - head_end;
        while body_have < len {
            let n = stream.read(&mut buf[..]).expect("read body");
            assert!(n > 0, "server closed the connection");
            body_have += n;
        }
        lat.push(t.elapsed());
        std::thread::sleep(Duration::from_millis(100));
    }
    lat
}

/// The SQLite counterpart of `register.pgbench`: one writer on one connection (the service's
/// pragmas, `synchronous = FULL`) running the same registration transaction as prepared
/// statements: `BEGIN IMMEDIATE`, the two `match_keys` ranges, the counter, then the card (its
/// FTS trigger included), applicant, question, two keys, history, acknowledgement, planner
/// queue row and the 21 statistics deltas (seven figures in three slices), `COMMIT`. Returns transactions per second.
/// With `minimal`, the minimal registration transaction instead: `BEGIN IMMEDIATE`, the counter,
/// the card (its FTS trigger fires: it belongs to the table), applicant, question, history, `COMMIT`.
fn sqlite_raw_writer(pool: &appeals::store::DbPool, org: &str, transactions: usize, minimal: bool) -> f64 {
    use appeals::store::prepared::{Arg, Prepared};
    use diesel::connection::SimpleConnection;
    let appeals::store::DbPool::Sqlite(p) = pool else { return 0.0 };
    let mut c = p.get().unwrap();
    // The baseline: every commit flushes the WAL itself, one transaction at a time.
    // SQLite's own automatic checkpoint (every 1,000 pages, its default), as a plain
    // application has it: with the pool's `wal_autocheckpoint = 0` the raw writer grew the WAL
    // by ~25 frames a transaction without end, paying the kernel's zeroing of every new block
    // (and leaving the next measured round a WAL of gigabytes to copy back first).
    c.batch_execute("PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = 1000; PRAGMA wal_checkpoint(RESTART);").unwrap();
    const APPEAL: &str = "INSERT INTO appeals (id, organization_id, reg_number, registered_at, registered_on, received_on, channel, form, kind, legal_regime, collective, \
        anonymous, from_organization, summary, reply_channel, migration_case, late_registration, repeated, status, due_date, due_explanation, forward_late, returned_count, \
        search_text, version, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'post', 'written', 'complaint', 'fz59', 0, 0, 0, 'Просит отремонтировать тротуар у дома 12 по ул. Октябрьской', \
        'post', 0, 0, 0, 'registered', ?, '{\"text\":\"Зарегистрировано; 30 дней (ст. 12 59-ФЗ)\",\"days\":30,\"moved_over\":[]}', 0, 0, ?, 1, ?)";
    const KEYS: &str = "SELECT appeal_id, registered_at FROM (SELECT appeal_id, registered_at FROM match_keys WHERE organization_id = ? AND match_key = ? AND code = '0003.0009.0097.0699' \
        ORDER BY registered_at DESC, appeal_id DESC LIMIT 10) UNION ALL SELECT appeal_id, registered_at FROM (SELECT appeal_id, registered_at FROM match_keys \
        WHERE organization_id = ? AND match_key = ? AND code = '0003.0009.0097.0699' ORDER BY registered_at DESC, appeal_id DESC LIMIT 10)";
    let today = chrono::Utc::now().date_naive();
    let call = uuid::Uuid::new_v4().simple().to_string();
    let t = Instant::now();
    for i in 0..transactions {
        let n = format!("{}-{i}", &call[..8]);
        let (id, now) = (format!("raw-a-{n}"), appeals::store::micros(chrono::Utc::now()).to_string());
        let text = |v: &str| Arg::Text(v.to_string());
        c.batch_execute("BEGIN IMMEDIATE").unwrap();
        let run = |c: &mut diesel::SqliteConnection, sql: &'static str, args: Vec<Arg>| Prepared::new(sql, args).execute(c).expect("raw writer statement");
        let (akey, ekey) = (format!("сырой {n}|a|адрес{n}"), format!("сырой {n}|e|r{n}@example.ru"));
        if !minimal {
            run(&mut c, KEYS, vec![text(org), text(&akey), text(org), text(&ekey)]);
        }
        #[derive(diesel::QueryableByName)]
        struct Seq {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            last_seq: i64,
        }
        let seq: Vec<Seq> = Prepared::new("INSERT INTO reg_counters (organization_id, year, last_seq) VALUES (?, 2099, 1) ON CONFLICT (organization_id, year) DO UPDATE SET last_seq = last_seq + 1 RETURNING last_seq", vec![text(org)]).load(&mut c).unwrap();
        let number = format!("СЫР-{}", seq[0].last_seq);
        run(&mut c, APPEAL, vec![text(&id), text(org), text(&number), text(&now), text(&today.to_string()), text(&today.to_string()), text(&(today + chrono::Duration::days(30)).to_string()),
            text(&format!("{} сырой {n} просит отремонтировать тротуар у дома 12 по ул. октябрьской", number.to_lowercase())), text(&now)]);
        run(&mut c, "INSERT INTO applicants (id, organization_id, appeal_id, position, is_organization, full_name, postal_address, email, name_key, address_key, email_key) VALUES (?, ?, ?, 0, 0, ?, ?, ?, ?, ?, ?)",
            vec![text(&format!("raw-p-{n}")), text(org), text(&id), text(&format!("Сырой {n}")), text(&format!("Адрес {n}")), text(&format!("r{n}@example.ru")), text(&format!("сырой {n}")), text(&format!("адрес{n}")), text(&format!("r{n}@example.ru"))]);
        run(&mut c, "INSERT INTO questions (id, organization_id, appeal_id, position, code, section, text, actions_taken) VALUES (?, ?, ?, 0, '0003.0009.0097.0699', '0003', 'ремонт тротуара', 0)",
            vec![text(&format!("raw-q-{n}")), text(org), text(&id)]);
        if minimal {
            run(&mut c, "INSERT INTO history (organization_id, appeal_id, at, action, details) VALUES (?, ?, ?, 'registered', ?)", vec![text(org), text(&id), text(&now), text(&format!("{{\"reg_number\":\"{number}\"}}"))]);
            c.batch_execute("COMMIT").unwrap();
            continue;
        }
        run(&mut c, "INSERT INTO match_keys (organization_id, match_key, code, registered_at, appeal_id) VALUES (?, ?, '0003.0009.0097.0699', ?, ?), (?, ?, '0003.0009.0097.0699', ?, ?)",
            vec![text(org), text(&akey), text(&now), text(&id), text(org), text(&ekey), text(&now), text(&id)]);
        run(&mut c, "INSERT INTO history (organization_id, appeal_id, at, action, details) VALUES (?, ?, ?, 'registered', ?)", vec![text(org), text(&id), text(&now), text(&format!("{{\"reg_number\":\"{number}\"}}"))]);
        run(&mut c, "INSERT INTO notifications (id, organization_id, appeal_id, recipient, kind, dedup_key, subject, body, status, scheduled_for, attempts, created_at) \
            VALUES (?, ?, ?, ?, 'registration_ack', ?, ?, ?, 'pending', ?, 0, ?) ON CONFLICT DO NOTHING",
            vec![text(&format!("raw-n-{n}")), text(org), text(&id), text(&format!("r{n}@example.ru")), text(&format!("registration_ack:{id}::0")), text(&format!("Ваше обращение зарегистрировано: № {number}")),
                text(&format!("Уважаемый(ая) Сырой {n}!\n\nВаше обращение, поступившее {today}, зарегистрировано {today} под номером {number}.\nСрок рассмотрения — до {} (ст. 12 Федерального закона от 02.05.2006 № 59-ФЗ).\n\nПри переписке, пожалуйста, указывайте номер обращения.\n\nАдминистрация муниципального образования\n", today + chrono::Duration::days(30))),
                text(&now), text(&now)]);
        run(&mut c, "INSERT INTO plan_queue (organization_id, appeal_id) VALUES (?, ?) ON CONFLICT DO NOTHING", vec![text(org), text(&id)]);
        // A new card's deltas: seven figures in each of its three slices (the whole body, its
        // channel, its question's section), as `rollup::diff` makes them.
        let due = (today + chrono::Duration::days(30)).to_string();
        run(&mut c, "INSERT INTO stats_deltas (organization_id, slice, day, figure, dim, n) VALUES (?, '', ?, 'appeals', '', 1), (?, '', ?, 'channel', 'post', 1), (?, '', ?, 'form', 'written', 1), (?, '', ?, 'kind', 'complaint', 1), \
            (?, '', ?, 'regime', 'fz59', 1), (?, '', ?, 'q', '0003.0009.0097.0699', 1), (?, '', ?, 'open', ?, 1), (?, 'ch:post', ?, 'appeals', '', 1), \
            (?, 'ch:post', ?, 'channel', 'post', 1), (?, 'ch:post', ?, 'form', 'written', 1), (?, 'ch:post', ?, 'kind', 'complaint', 1), (?, 'ch:post', ?, 'regime', 'fz59', 1), \
            (?, 'ch:post', ?, 'q', '0003.0009.0097.0699', 1), (?, 'ch:post', ?, 'open', ?, 1), (?, 'sec:0003', ?, 'appeals', '', 1), (?, 'sec:0003', ?, 'channel', 'post', 1), \
            (?, 'sec:0003', ?, 'form', 'written', 1), (?, 'sec:0003', ?, 'kind', 'complaint', 1), (?, 'sec:0003', ?, 'regime', 'fz59', 1), (?, 'sec:0003', ?, 'q', '0003.0009.0097.0699', 1), \
            (?, 'sec:0003', ?, 'open', ?, 1)",
            { let mut v = Vec::new(); for _ in 0..3 { for f in 0..7 { v.push(text(org)); v.push(text(&today.to_string())); if f == 6 { v.push(text(&due)); } } } v });
        c.batch_execute("COMMIT").unwrap();
    }
    let tps = transactions as f64 / t.elapsed().as_secs_f64();
    // The next round starts from a WAL copied back, as this one did.
    c.batch_execute("PRAGMA wal_autocheckpoint = 0; PRAGMA wal_checkpoint(RESTART);").unwrap();
    tps
}

fn pgbench(url: &str, org: &str, concurrency: usize, transactions: usize) -> Option<f64> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/register.pgbench");
    let out = std::process::Command::new("pgbench")
        .args(["-n", "-M", "prepared", "-D", &format!("org={org}"), "-c", &concurrency.to_string(), "-j", &concurrency.to_string(), "-t", &(transactions / concurrency).to_string(), "-f", script, url])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        eprintln!("pgbench failed: {}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    text.lines().find(|l| l.starts_with("tps = ")).and_then(|l| l[6..].split_whitespace().next()).and_then(|v| v.parse().ok())
}

/// The database inserting an import's rows by itself: copies of 100,000 stored appeals with
/// their applicants, questions, keys, links and history (new ids, made beforehand in temporary
/// tables), inserted table by table with `INSERT … SELECT` in key order in one transaction on
/// the service's database, every index, trigger and foreign key in place. No parsing, no
/// network, no client: the floor an import of the same rows can reach on this machine.
/// Prints each table's time; returns the inserts' and the commit's seconds.
fn import_floor(pool: &appeals::store::DbPool, label: &str) -> f64 {
    use diesel::connection::SimpleConnection;
    fn run<C: diesel::Connection + diesel::connection::SimpleConnection>(c: &mut C, label: &str, begin: &str) -> f64 {
        let ids = "SELECT id FROM appeals ORDER BY id LIMIT 100000";
        let history = "organization_id, appeal_id, at, action, actor_id, details";
        c.batch_execute(begin).expect("begin");
        c.batch_execute(&format!(
            "CREATE TEMP TABLE f_appeals AS SELECT * FROM appeals ORDER BY id LIMIT 100000;
             UPDATE f_appeals SET id = 'f' || id, reg_number = 'f' || reg_number, external_id = NULL, forward_number = NULL;
             CREATE TEMP TABLE f_applicants AS SELECT * FROM applicants WHERE appeal_id IN ({ids});
             UPDATE f_applicants SET id = 'f' || id, appeal_id = 'f' || appeal_id;
             CREATE TEMP TABLE f_questions AS SELECT * FROM questions WHERE appeal_id IN ({ids});
             UPDATE f_questions SET id = 'f' || id, appeal_id = 'f' || appeal_id;
             CREATE TEMP TABLE f_match_keys AS SELECT * FROM match_keys WHERE appeal_id IN ({ids});
             UPDATE f_match_keys SET appeal_id = 'f' || appeal_id;
             CREATE TEMP TABLE f_appeal_links AS SELECT * FROM appeal_links WHERE appeal_id IN ({ids});
             UPDATE f_appeal_links SET appeal_id = 'f' || appeal_id;
             CREATE TEMP TABLE f_history AS SELECT {history} FROM history WHERE appeal_id IN ({ids});
             UPDATE f_history SET appeal_id = 'f' || appeal_id;"
        ))
        .expect("copies");
        let mut total = 0.0;
        let mut line = format!("{label:8} import floor (the database inserting 100,000 appeals' rows by itself):");
        for (table, cols, order) in [
            ("appeals", "*", "id"),
            ("applicants", "*", "id"),
            ("questions", "*", "id"),
            ("match_keys", "*", "match_key, code, registered_at, appeal_id"),
            ("appeal_links", "*", "appeal_id, related_appeal_id"),
            ("history", history, "appeal_id"),
        ] {
            let into = if cols == "*" { table.to_string() } else { format!("{table} ({cols})") };
            let t = Instant::now();
            c.batch_execute(&format!("INSERT INTO {into} SELECT {cols} FROM f_{table} ORDER BY {order}")).expect("floor insert");
            let took = t.elapsed().as_secs_f64();
            total += took;
            line.push_str(&format!(" {table} {took:.2} s,"));
        }
        c.batch_execute("DROP TABLE f_appeals; DROP TABLE f_applicants; DROP TABLE f_questions; DROP TABLE f_match_keys; DROP TABLE f_appeal_links; DROP TABLE f_history;").expect("drop copies");
        let t = Instant::now();
        c.batch_execute("COMMIT").expect("commit");
        let commit = t.elapsed().as_secs_f64();
        println!("{line} commit {commit:.2} s; in all {:.2} s = {:.0} appeals/s", total + commit, 100_000.0 / (total + commit));
        total + commit
    }
    match pool {
        appeals::store::DbPool::Sqlite(p) => {
            let mut c = p.get().unwrap();
            // The import's own cache (`BulkInsert::bulk_tx_begin`); the pool's connections never
            // checkpoint automatically.
            c.batch_execute("PRAGMA cache_size = -262144;").unwrap();
            run(&mut *c, label, "BEGIN IMMEDIATE")
        }
        appeals::store::DbPool::Pg(p) => run(&mut *p.get().unwrap(), label, "BEGIN"),
    }
}

/// The release `appeals` binary serving `url` in its own process, as in production.
struct Server {
    child: std::process::Child,
    base: String,
    _dir: TempDir,
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A directory removed when dropped.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn start_server(url: &str) -> (Server, String) {
    // BENCH_SERVER_BIN runs another build of the server (a saved "before" binary, for paired runs).
    let bin_var = std::env::var("BENCH_SERVER_BIN").ok();
    let bin = bin_var.as_deref().unwrap_or(env!("CARGO_BIN_EXE_appeals"));
    let dir = std::env::temp_dir().join(format!("appeals-bench-srv-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let env = |c: &mut std::process::Command| {
        c.env("DATABASE_URL", url)
            .env("APPEALS_LISTEN", format!("127.0.0.1:{port}"))
            .env("APPEALS_DATA_DIR", &dir)
            .env("APPEALS_CONFIG_DIR", concat!(env!("CARGO_MANIFEST_DIR"), "/config"))
            .env("RUST_LOG", std::env::var("BENCH_SERVER_LOG").unwrap_or_else(|_| "warn".into()));
    };
    let mut cmd = std::process::Command::new(bin);
    // BENCH_SERVER_LOG=info shows the server's own timings (e.g. an import's validate/store split) on stderr.
    let log = if std::env::var("BENCH_SERVER_LOG").is_ok() { std::process::Stdio::inherit() } else { std::process::Stdio::null() };
    cmd.arg("serve").stdout(std::process::Stdio::null()).stderr(log);
    env(&mut cmd);
    let child = cmd.spawn().expect("start appeals serve");
    let server = Server { child, base: format!("http://127.0.0.1:{port}"), _dir: TempDir(dir.clone()) };
    let client = awc::Client::default();
    for _ in 0..200 {
        if let Ok(r) = client.get(server.url("/health")).send().await {
            if r.status().is_success() {
                break;
            }
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    let mut add = std::process::Command::new(bin);
    add.args(["user", "add", "--login", "bench", "--role", "admin", "--name", "Нагрузка"]);
    env(&mut add);
    let out = add.output().expect("user add");
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(token.starts_with("apl_"), "user add printed no token");
    (server, token)
}

async fn bench(label: &str, url: &str, total: usize) {
    let (srv, token) = start_server(url).await;
    // A pool of our own for the raw-SQL baselines, on the database the server migrated.
    let settings = Settings::for_tests(url);
    let (raw_pool, org) = appeals::app::open(&settings, appeals::store::micros(chrono::Utc::now())).expect("open database");
    let org_id = org.id.clone();
    let hash = appeals::auth::hash_token(&token);
    let endpoint = srv.base.trim_start_matches("http://").to_string();
    if std::env::var("BENCH_ONLY").as_deref() == Ok("import") {
        // The import alone (profiling): IMPORT_N appeals in one request, twice (empty, then filled).
        let client = awc::Client::builder().timeout(Duration::from_secs(600)).finish();
        let n: usize = std::env::var("IMPORT_N").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
        for (k, offset) in [1_000_000usize, 5_000_000].into_iter().enumerate() {
            // What another writer sees meanwhile: one registration every 100 ms from another client.
            let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let beside = {
                let (endpoint, token, stop) = (endpoint.clone(), token.clone(), stop.clone());
                std::thread::spawn(move || probe(&endpoint, &token, 60_000_000 + k * 100_000, &stop))
            };
            let took = import(&client, &srv, &token, n, offset, Mix::Returning).await;
            stop.store(true, std::sync::atomic::Ordering::SeqCst);
            let mut lat = beside.join().expect("probe");
            lat.sort();
            let ms = |d: Duration| d.as_secs_f64() * 1e3;
            println!("{label:8} import {} of {n} in one request: {:.2} s = {:8.0} appeals/s", k + 1, took.as_secs_f64(), n as f64 / took.as_secs_f64());
            if let (Some(first), Some(last)) = (lat.first(), lat.last()) {
                println!("{label:8}   registrations beside it (one every 100 ms): {}, fastest {:.1} ms, median {:.1} ms, slowest {:.1} ms", lat.len(), ms(*first), ms(lat[lat.len() / 2]), ms(*last));
            }
        }
        println!("{label:8} peak RSS of the server: {} MiB", peak_rss_kib(srv.child.id()) / 1024);
        if n >= 100_000 {
            import_floor(&raw_pool, label);
        }
        return;
    }
    drive(&endpoint, &token, 200, 4, 10_000_000); // warm-up
    for (k, c) in [1usize, 8].into_iter().enumerate() {
        let f = drive(&endpoint, &token, total, c, k * total);
        let mut line = format!("{label:8} c={c}: {:8.0} appeals/s  p50 {:6.2} ms  p99 {:6.2} ms", f.rate, f.p50.as_secs_f64() * 1e3, f.p99.as_secs_f64() * 1e3);
        if label == "postgres" {
            if let Some(tps) = pgbench(url, &org_id, c, total) {
                line.push_str(&format!("  | pgbench same tx: {tps:8.0} tps  ratio {:.2}", f.rate / tps));
            }
        } else {
            // One writer: SQLite takes one write transaction at a time whatever the clients.
            let tps = sqlite_raw_writer(&raw_pool, &org_id, total, false);
            let min = sqlite_raw_writer(&raw_pool, &org_id, total, true);
            line.push_str(&format!("  | one raw writer, same tx: {tps:8.0} tps  ratio {:.2}; minimal tx: {min:8.0} tps  ratio {:.2}", f.rate / tps, f.rate / min));
        }
        println!("{line}");
    }
    if std::env::var("BENCH_ONLY").as_deref() == Ok("register") {
        // Distinct applicants at c=1 and c=8 beside the raw writers, and the peak RSS (profiling, paired runs).
        println!("{label:8} peak RSS of the server after the rounds: {} MiB", peak_rss_kib(srv.child.id()) / 1024);
        return;
    }
    // Three consecutive rounds on a young registry, 30% returning applicants, no ANALYZE.
    let round = |k: usize| {
        let f = drive_mix(&endpoint, &token, total, 8, 20_000_000 + k * total, Mix::Returning);
        println!("{label:8} returning 30%, c=8, round {}: {:8.0} appeals/s  p50 {:6.2} ms  p99 {:6.2} ms", k + 1, f.rate, f.p50.as_secs_f64() * 1e3, f.p99.as_secs_f64() * 1e3);
        f
    };
    let first = round(0);
    round(1);
    let third = round(2);
    println!("{label:8} third round / first: {:.2}", third.rate / first.rate);
    println!("{label:8} peak RSS of the server after the rounds (before any import): {} MiB", peak_rss_kib(srv.child.id()) / 1024);
    let client = awc::Client::builder().timeout(Duration::from_secs(600)).finish();
    // One applicant with 2,000 earlier appeals, registering again from one client.
    let took = import(&client, &srv, &token, 2000, 40_000_000, Mix::One).await;
    println!("{label:8} import of 2000 from one applicant: {:.2} s", took.as_secs_f64());
    println!("{label:8} peak RSS of the server during that import: {} MiB", peak_rss_kib(srv.child.id()) / 1024);
    reset_peak_rss(srv.child.id());
    let f = drive_mix(&endpoint, &token, 500, 1, 41_000_000, Mix::One);
    println!("{label:8} applicant with 2,000+ earlier appeals, c=1: {:8.0} appeals/s  p50 {:6.2} ms  p99 {:6.2} ms", f.rate, f.p50.as_secs_f64() * 1e3, f.p99.as_secs_f64() * 1e3);
    println!("{label:8} peak RSS of the server during that round (peak reset after its import): {} MiB", peak_rss_kib(srv.child.id()) / 1024);
    // Bulk import: IMPORT_N appeals (100,000 by default) in one request, 30% returning applicants.
    let n: usize = std::env::var("IMPORT_N").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let took = import(&client, &srv, &token, n, 1_000_000, Mix::Returning).await;
    println!("{label:8} import of {n} in one request: {:.2} s = {:8.0} appeals/s", took.as_secs_f64(), n as f64 / took.as_secs_f64());
    // PostgreSQL: the generated registry on top (BENCH_FULL appeals, e.g. 1,000,000).
    let full: usize = std::env::var("BENCH_FULL").ok().and_then(|v| v.parse().ok()).unwrap_or(0);
    if label == "postgres" && full > 0 {
        let t = Instant::now();
        generate(&raw_pool, &org_id, full);
        println!("{label:8} generated {full} more appeals in {:.0} s", t.elapsed().as_secs_f64());
    }
    if let appeals::store::DbPool::Sqlite(p) = &raw_pool {
        // The server's own follow-up of the import (the search index merged, a passive
        // checkpoint: 0.7–1.7 s, see `store::appeals::after_import`) finishes first, so the
        // round measures the registry at full size, not the import's aftermath.
        std::thread::sleep(Duration::from_secs(5));
        // The registry settled, as PostgreSQL's is vacuumed above: the import's pages copied from
        // the WAL into the database (the server's own passive checkpoint after an import does the
        // same in the background; measured apart, the round during it ran at 0.70× the first).
        use diesel::connection::SimpleConnection;
        let t = Instant::now();
        // RESTART, not TRUNCATE: the next writer starts the WAL over from its beginning, as
        // the server's own checkpoints let it, and the file keeps its size. Truncated, the
        // round paid for growing it again (the kernel zeroing each new block of the file under
        // the WAL's unaligned frames: 10–12% of the server's CPU in some runs).
        p.get().unwrap().batch_execute("PRAGMA wal_checkpoint(RESTART)").expect("checkpoint");
        println!("{label:8} checkpoint after the import: {:.1} s", t.elapsed().as_secs_f64());
    }
    println!("{label:8} peak RSS of the server, the import included: {} MiB; now {} MiB", peak_rss_kib(srv.child.id()) / 1024, rss_kib(srv.child.id()) / 1024);
    reset_peak_rss(srv.child.id());
    let f = drive_mix(&endpoint, &token, total, 8, 30_000_000, Mix::Returning);
    println!("{label:8} full size, returning 30%, c=8: {:8.0} appeals/s  p50 {:6.2} ms  p99 {:6.2} ms  | / first round {:.2}", f.rate, f.p50.as_secs_f64() * 1e3, f.p99.as_secs_f64() * 1e3, f.rate / first.rate);
    println!("{label:8} peak RSS of the server during the full-size round (peak reset before it): {} MiB", peak_rss_kib(srv.child.id()) / 1024);

    // Card read and registry page, beside the same statements as raw SQL.
    // Appeals the service registered above (pgbench's rows carry ids of their own shape).
    let mut r = client.get(srv.url("/api/v1/appeals?limit=50&q=%D0%B7%D0%B0%D1%8F%D0%B2%D0%B8%D1%82%D0%B5%D0%BB%D1%8C")).insert_header(("Authorization", format!("Bearer {token}"))).send().await.expect("list");
    let page: serde_json::Value = serde_json::from_slice(&r.body().limit(64 << 20).await.expect("body")).expect("json");
    let ids: Vec<String> = page["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()).collect();
    let id = ids[0].clone();
    let in_list = ids.iter().map(|i| format!("'{i}'")).collect::<Vec<_>>().join(",");
    let auth = format!("SELECT u.id FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = '{hash}' AND t.revoked_at IS NULL AND u.active");
    let children = |ids: &str| {
        vec![
            format!("SELECT * FROM applicants WHERE appeal_id IN ({ids}) ORDER BY appeal_id, position"),
            format!("SELECT * FROM questions WHERE appeal_id IN ({ids}) ORDER BY appeal_id, position"),
            format!("SELECT * FROM assignments WHERE appeal_id IN ({ids}) ORDER BY assigned_at"),
            format!("SELECT * FROM answers WHERE appeal_id IN ({ids}) ORDER BY created_at"),
            format!("SELECT appeal_id, related_appeal_id FROM appeal_links WHERE organization_id = '{org_id}' AND appeal_id IN ({ids})"),
            format!("SELECT related_appeal_id, appeal_id FROM appeal_links WHERE organization_id = '{org_id}' AND related_appeal_id IN ({ids})"),
        ]
    };
    let mut card_sql = vec![auth.clone(), format!("SELECT * FROM appeals WHERE organization_id = '{org_id}' AND id = '{id}'")];
    card_sql.extend(children(&format!("'{id}'")));
    card_sql.push(format!("INSERT INTO history (organization_id, appeal_id, at, actor_id, action, details) VALUES ('{org_id}', '{id}', CURRENT_TIMESTAMP, NULL, 'viewed', '{{}}')"));
    let mut list_sql = vec![auth, format!("SELECT * FROM appeals WHERE organization_id = '{org_id}' ORDER BY registered_at DESC, id DESC LIMIT 51")];
    list_sql.extend(children(&in_list));
    for (what, url, sql) in [("card read", srv.url(&format!("/api/v1/appeals/{id}")), card_sql), ("page of 50", srv.url("/api/v1/appeals?limit=50"), list_sql)] {
        let (h50, h99) = timed(500, || {
            let req = client.get(&url).insert_header(("Authorization", format!("Bearer {token}")));
            async move {
                let mut r = req.send().await.expect("request");
                assert_eq!(r.status().as_u16(), 200);
                r.body().limit(64 << 20).await.expect("body");
            }
        })
        .await;
        let (r50, r99) = raw_sql(&raw_pool, &sql, 500);
        println!("{label:8} {what:10}: HTTP p50 {h50:6.2} ms  p99 {h99:6.2} ms  | raw SQL p50 {r50:6.2} ms  p99 {r99:6.2} ms  | ratio p50 {:.2}", r50 / h50);
    }
    println!("{label:8} peak RSS of the server since the full-size round began (reads included): {} MiB", peak_rss_kib(srv.child.id()) / 1024);
}

/// Imports `n` appeals of the given mix in one request; returns how long it took.
async fn import(client: &awc::Client, srv: &Server, token: &str, n: usize, offset: usize, mix: Mix) -> Duration {
    let items: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            let mut v: serde_json::Value = serde_json::from_str(&body_mix(offset + i, mix)).unwrap();
            v["received_on"] = serde_json::json!("2024-03-01");
            v["registered_at"] = serde_json::json!(format!("2024-03-02T{:02}:{:02}:{:02}Z", (i / 3600) % 24, (i / 60) % 60, i % 60));
            v
        })
        .collect();
    let payload = serde_json::json!({"items": items}).to_string();
    let t = Instant::now();
    let mut resp = client
        .post(srv.url("/api/v1/imports/appeals"))
        .insert_header(("Authorization", format!("Bearer {token}")))
        .insert_header(("Content-Type", "application/json"))
        .send_body(payload)
        .await
        .expect("import request");
    let took = t.elapsed();
    let status = resp.status().as_u16();
    assert_eq!(status, 201, "import failed: {:?}", resp.body().limit(1 << 20).await.map(|b| String::from_utf8_lossy(&b[..b.len().min(2000)]).into_owned()));
    took
}

/// Adds `n` generated appeals (benches/dataset.sql) to the registry, matching keys included.
fn generate(pool: &appeals::store::DbPool, org: &str, n: usize) {
    use diesel::connection::SimpleConnection;
    let appeals::store::DbPool::Pg(p) = pool else { return };
    let mut c = p.get().unwrap();
    let now = appeals::store::micros(chrono::Utc::now());
    for i in 1..=20 {
        let (_, hash) = appeals::auth::generate_token();
        let u = appeals::store::users::NewUser { login: format!("bench_exec_{i}"), full_name: format!("Исполнитель {i}"), role: "executor".into(), email: None };
        appeals::store::users::create_user(pool, org, &u, &hash, now, None).expect("user");
    }
    let step = (2 * 365 * 24 * 3600) / n.max(1);
    let sql = include_str!("dataset.sql").replace("{org}", org).replace("{n}", &n.to_string()).replace("{start}", "2023-01-01 00:00:00").replace("{step}", &step.to_string());
    c.batch_execute(&sql).expect("dataset");
    // A registry that grew to this size over years has been vacuumed and analyzed; right after a
    // bulk load autovacuum would instead run through the measured round.
    c.batch_execute("VACUUM ANALYZE appeals, applicants, questions, match_keys, history").expect("vacuum");
}

async fn timed<F, Fut>(rounds: usize, mut call: F) -> (f64, f64)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut lat = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t = Instant::now();
        call().await;
        lat.push(t.elapsed());
    }
    percentiles(lat)
}

fn percentiles(mut v: Vec<Duration>) -> (f64, f64) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    (ms(v[v.len() / 2]), ms(v[(v.len() * 99 / 100).min(v.len() - 1)]))
}

/// The same statements as the API issues, on one pooled connection, `rounds` times.
fn raw_sql(pool: &appeals::store::DbPool, sql: &[String], rounds: usize) -> (f64, f64) {
    use diesel::RunQueryDsl;
    let mut lat = Vec::with_capacity(rounds);
    macro_rules! run {
        ($c:expr) => {
            for _ in 0..rounds {
                let t = Instant::now();
                for q in sql {
                    diesel::sql_query(q.as_str()).execute($c).expect("raw statement");
                }
                lat.push(t.elapsed());
            }
        };
    }
    match pool {
        appeals::store::DbPool::Sqlite(p) => run!(&mut p.get().unwrap()),
        appeals::store::DbPool::Pg(p) => run!(&mut p.get().unwrap()),
    }
    percentiles(lat)
}

fn peak_rss_kib(pid: u32) -> u64 {
    proc_status_kib(pid, "VmHWM:")
}

/// The server's resident memory now, in KiB.
fn rss_kib(pid: u32) -> u64 {
    proc_status_kib(pid, "VmRSS:")
}

/// One `kB` line of `/proc/<pid>/status`.
fn proc_status_kib(pid: u32, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(key)).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

/// Starts the server's peak RSS afresh from its current RSS (Linux `clear_refs` 5), so a phase's
/// peak is its own and not an earlier import's.
fn reset_peak_rss(pid: u32) {
    if let Err(e) = std::fs::write(format!("/proc/{pid}/clear_refs"), "5") {
        println!("(peak RSS not reset: {e})");
    }
}

#[actix_web::main]
async fn main() {
    let total: usize = std::env::var("BENCH_N").ok().and_then(|v| v.parse().ok()).unwrap_or(2000);
    let dir = std::env::temp_dir().join(format!("appeals-bench-{}", uuid::Uuid::new_v4()));
    let only = std::env::var("BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    if only.contains("sqlite") {
        bench("sqlite", &format!("sqlite://{}/bench.db", dir.display()), total).await;
    }
    if std::env::var_os("BENCH_KEEP_DB").is_some() {
        println!("sqlite database kept: {}/bench.db", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let admin = std::env::var("BENCH_DATABASE_URL").or_else(|_| std::env::var("TEST_DATABASE_URL")).ok().filter(|_| only.contains("postgres"));
    if let Some(admin) = admin {
        // BENCH_DB_PREFIX names the scratch database (engineers sharing one server keep theirs apart).
        let name = format!("{}_{}", std::env::var("BENCH_DB_PREFIX").unwrap_or_else(|_| "appeals_bench".into()), std::process::id());
        let mut c = diesel::PgConnection::establish(&admin).expect("PostgreSQL");
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut c).expect("create bench database");
        let url = format!("{}/{name}", admin.rsplit_once('/').map(|x| x.0).unwrap_or(&admin));
        bench("postgres", &url, total).await;
        if std::env::var_os("BENCH_KEEP_DB").is_some() {
            // For measuring statements by hand on the filled registry afterwards.
            println!("postgres database kept: {url}");
        } else {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut c);
        }
    } else {
        println!("postgres: skipped (set BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test)");
    }
}
