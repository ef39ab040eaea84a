//! Forwarding inside the instance, on SQLite and (when `BENCH_DATABASE_URL` or
//! `TEST_DATABASE_URL` is set) PostgreSQL, over real HTTP: two organizations forward appeals to
//! each other (`POST /api/v1/appeals/{id}/forward {"organization_id"}`), half of the requests
//! each way, from `BENCH_CLIENTS` (8) keep-alive connections: forwards/s and p50/p99. Beside it,
//! in the same run, the same number of forwards to a body outside the instance
//! (`{"organization": "…"}`: the sender's side alone), the baseline. `FORWARD_N` (2,000)
//! forwards each way. The server is the release `appeals` binary in its own process; this
//! process is the client, its requests rendered before the clock starts.
//!
//!     BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench forward

#[path = "support/http.rs"]
mod http;
use http::{exchange, render, request};
use std::time::{Duration, Instant};

/// The release `appeals` binary serving `url` in its own process.
struct Server {
    child: std::process::Child,
    addr: String,
    dir: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Two organizations' admins (they import and forward): (organization id, token) each.
struct Orgs {
    region: (String, String),
    town: (String, String),
}

/// Starts the server on `url` and makes the two organizations with an admin each.
fn start(url: &str) -> (Server, Orgs) {
    let dir = std::env::temp_dir().join(format!("appeals-bench-forward-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    // The schema and the first organization, as the server's first start makes them.
    let settings = appeals::config::Settings::for_tests(url);
    let now = chrono::Utc::now().naive_utc();
    let (pool, region) = appeals::app::open(&settings, now).expect("open database");
    let town = appeals::store::users::ensure_organization(&pool, "bench_town", "Администрация городского округа", "Europe/Moscow", now).expect("organization");
    let admin = |org: &str, login: &str| {
        let (token, hash) = appeals::auth::generate_token();
        let u = appeals::store::users::NewUser { login: login.into(), full_name: "Нагрузка".into(), role: "admin".into(), email: None };
        appeals::store::users::create_user(&pool, org, &u, &hash, now, None).expect("user");
        token
    };
    let orgs = Orgs { region: (region.id.clone(), admin(&region.id, "bench_region")), town: (town.id.clone(), admin(&town.id, "bench_town")) };
    drop(pool);
    let (child, addr) = http::spawn_server(url, &dir);
    let server = Server { child, addr, dir };
    for _ in 0..400 {
        if let Ok(mut s) = std::net::TcpStream::connect(&server.addr) {
            let (status, _) = exchange(&mut s, &format!("GET /health HTTP/1.1\r\nHost: {}\r\n\r\n", server.addr).into_bytes());
            if status == 200 {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    (server, orgs)
}


/// Imports `n` registered appeals of the caller's organization in chunks; their ids.
fn fresh(addr: &str, token: &str, n: usize, tag: &str) -> Vec<String> {
    let today = chrono::Utc::now().date_naive();
    let mut ids = Vec::with_capacity(n);
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        let items: Vec<serde_json::Value> = chunk
            .iter()
            .map(|i| {
                serde_json::json!({
                    "channel": "post", "form": "written", "kind": "complaint", "received_on": today.to_string(),
                    "registered_at": format!("{today}T00:{:02}:{:02}Z", (i / 60) % 60, i % 60),
                    "applicants": [{"full_name": format!("Заявитель {tag}-{i}"), "postal_address": format!("г. Ухта, д. {tag}-{i}"), "email": format!("z{tag}x{i}@example.ru")}],
                    "summary": "Просит отремонтировать тротуар у дома 12 по ул. Октябрьской",
                    "questions": [{"code": "0003.0009.0097.0699", "text": "ремонт тротуара"}],
                    "reply_channel": "post"
                })
            })
            .collect();
        let r = request(addr, token, "POST", "/api/v1/imports/appeals", Some(&serde_json::json!({"items": items}).to_string()));
        ids.extend(r["ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()));
    }
    ids
}

/// Sends `requests` from `concurrency` keep-alive connections, interleaved; every answer must
/// be 200. The wall time and every request's latency.
fn drive(addr: &str, requests: Vec<Vec<u8>>, concurrency: usize) -> (Duration, Vec<Duration>) {
    let mut batches: Vec<Vec<Vec<u8>>> = vec![Vec::new(); concurrency];
    for (i, r) in requests.into_iter().enumerate() {
        batches[i % concurrency].push(r);
    }
    let started = Instant::now();
    let handles: Vec<_> = batches
        .into_iter()
        .map(|batch| {
            let addr = addr.to_string();
            std::thread::spawn(move || {
                let mut s = std::net::TcpStream::connect(&addr).expect("connect");
                s.set_nodelay(true).unwrap();
                let mut took = Vec::with_capacity(batch.len());
                for req in batch {
                    let t = Instant::now();
                    let (status, body) = exchange(&mut s, &req);
                    took.push(t.elapsed());
                    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body[..body.len().min(2000)]));
                }
                took
            })
        })
        .collect();
    let mut all = Vec::new();
    for h in handles {
        all.extend(h.join().expect("client thread"));
    }
    (started.elapsed(), all)
}

fn line(label: &str, what: &str, n: usize, (wall, mut took): (Duration, Vec<Duration>)) -> f64 {
    took.sort();
    let at = |q: f64| took[((took.len() as f64 * q) as usize).min(took.len() - 1)].as_secs_f64() * 1000.0;
    let rate = n as f64 / wall.as_secs_f64();
    println!("{label:8} {what:46} {n:6} in {:7.2} s = {rate:7.0}/s, p50 {:6.1} ms, p99 {:6.1} ms", wall.as_secs_f64(), at(0.5), at(0.99));
    rate
}

fn bench(label: &str, url: &str) {
    let n: usize = std::env::var("FORWARD_N").ok().and_then(|v| v.parse().ok()).unwrap_or(2000);
    let clients: usize = std::env::var("BENCH_CLIENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(8);
    let (srv, orgs) = start(url);
    let (region, town) = (&orgs.region, &orgs.town);
    // Two rounds on fresh appeals: to a body outside the instance (the baseline), then inside it.
    let outside: Vec<String> = fresh(&srv.addr, &region.1, n, "o");
    let from_region = fresh(&srv.addr, &region.1, n, "r");
    let from_town = fresh(&srv.addr, &town.1, n, "t");
    let body = serde_json::json!({"organization": "Государственная жилищная инспекция", "reason": "Не по компетенции"}).to_string();
    let requests: Vec<Vec<u8>> = outside.iter().map(|id| render(&srv.addr, &region.1, "POST", &format!("/api/v1/appeals/{id}/forward"), Some(&body))).collect();
    let base = line(label, &format!("to a body outside, c={clients}"), n, drive(&srv.addr, requests, clients));
    let to_town = serde_json::json!({"organization_id": town.0, "reason": "Не по компетенции"}).to_string();
    let to_region = serde_json::json!({"organization_id": region.0, "reason": "Не по компетенции"}).to_string();
    let mut requests = Vec::with_capacity(2 * n);
    for (a, b) in from_region.iter().zip(&from_town) {
        requests.push(render(&srv.addr, &region.1, "POST", &format!("/api/v1/appeals/{a}/forward"), Some(&to_town)));
        requests.push(render(&srv.addr, &town.1, "POST", &format!("/api/v1/appeals/{b}/forward"), Some(&to_region)));
    }
    let inside = line(label, &format!("inside the instance, both ways, c={clients}"), 2 * n, drive(&srv.addr, requests, clients));
    println!("{label:8} inside / outside: {:.2}x", inside / base);
}

fn main() {
    let only = std::env::var("BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    if only.contains("sqlite") {
        let dir = std::env::temp_dir().join(format!("appeals-bench-forward-db-{}", uuid::Uuid::new_v4()));
        bench("sqlite", &format!("sqlite://{}/bench.db", dir.display()));
        let _ = std::fs::remove_dir_all(&dir);
    }
    let admin = std::env::var("BENCH_DATABASE_URL").or_else(|_| std::env::var("TEST_DATABASE_URL")).ok().filter(|_| only.contains("postgres"));
    match admin {
        Some(admin) => {
            use diesel::{Connection, RunQueryDsl};
            let name = format!("appeals_bench_forward_{}", std::process::id());
            let mut c = diesel::PgConnection::establish(&admin).expect("PostgreSQL");
            diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut c).expect("create bench database");
            if std::env::var("FORWARD_LOG_STATEMENTS").is_ok() {
                // Every statement of the bench's database in the server's log (a profiling run:
                // count what one forward sends; the figures of such a run are not the bench's).
                diesel::sql_query(format!("ALTER DATABASE {name} SET log_min_duration_statement = 0")).execute(&mut c).expect("log statements");
            }
            let url = format!("{}/{name}", admin.rsplit_once('/').map(|x| x.0).unwrap_or(&admin));
            bench("postgres", &url);
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut c);
        }
        None => println!("postgres: skipped (set BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test)"),
    }
}
