//! Bulk assignment against single assignments, on SQLite and (when `BENCH_DATABASE_URL` or
//! `TEST_DATABASE_URL` is set) PostgreSQL, over real HTTP:
//! - 500 appeals assigned by 500 single requests (`POST /api/v1/appeals/{id}/assign`), one
//!   after another on one keep-alive connection (a clerk's page), and from 8 connections at once;
//! - 500 other appeals assigned by one `POST /api/v1/appeals/bulk`;
//!
//! each round on appeals freshly imported in the same state (registered), `BENCH_ROUNDS` rounds
//! (3 by default). The server is the release `appeals` binary in its own process; this process
//! is the client, its requests rendered before the clock starts.
//!
//!     cargo bench --bench bulk

#[path = "support/http.rs"]
mod http;
use http::{exchange, render, request};
use std::time::{Duration, Instant};

/// How many appeals each way assigns.
const N: usize = 500;

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

/// Runs `appeals <args>` on the server's database and returns what it printed.
fn cli(url: &str, dir: &std::path::Path, args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_appeals"))
        .args(args)
        .env("DATABASE_URL", url)
        .env("APPEALS_DATA_DIR", dir)
        .env("APPEALS_CONFIG_DIR", concat!(env!("CARGO_MANIFEST_DIR"), "/config"))
        .env("RUST_LOG", "warn")
        .output()
        .expect("appeals cli");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Starts the server on `url`; returns it with an admin's token and an executor's id.
fn start(url: &str) -> (Server, String, String) {
    let dir = std::env::temp_dir().join(format!("appeals-bench-bulk-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let (child, addr) = http::spawn_server(url, &dir);
    let server = Server { child, addr, dir: dir.clone() };
    for _ in 0..400 {
        if let Ok(mut s) = std::net::TcpStream::connect(&server.addr) {
            let (status, _) = exchange(&mut s, &format!("GET /health HTTP/1.1\r\nHost: {}\r\n\r\n", server.addr).into_bytes());
            if status == 200 {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let token = cli(url, &dir, &["user", "add", "--login", "bench", "--role", "admin", "--name", "Нагрузка"]);
    cli(url, &dir, &["user", "add", "--login", "bench_exec", "--role", "executor", "--name", "Исполнитель"]);
    let list = request(&server.addr, &token, "GET", "/api/v1/users?role=executor", None);
    let executor = list["items"].as_array().unwrap().iter().find(|u| u["login"] == "bench_exec").expect("the executor")["id"].as_str().unwrap().to_string();
    (server, token, executor)
}


/// Imports `n` registered appeals; their ids.
fn fresh(addr: &str, token: &str, n: usize, round: usize) -> Vec<String> {
    let today = chrono::Utc::now().date_naive();
    let items: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            serde_json::json!({
                "channel": "post", "form": "written", "kind": "complaint", "received_on": today.to_string(),
                "registered_at": format!("{today}T00:{:02}:{:02}Z", (i / 60) % 60, i % 60),
                "applicants": [{"full_name": format!("Заявитель {round}-{i}"), "postal_address": format!("г. Ухта, д. {round}-{i}"), "email": format!("z{round}x{i}@example.ru")}],
                "summary": "Просит отремонтировать тротуар у дома 12 по ул. Октябрьской",
                "questions": [{"code": "0003.0009.0097.0699", "text": "ремонт тротуара"}],
                "reply_channel": "post"
            })
        })
        .collect();
    let r = request(addr, token, "POST", "/api/v1/imports/appeals", Some(&serde_json::json!({"items": items}).to_string()));
    r["ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
}

/// Sends `requests` from `concurrency` keep-alive connections; every answer must be 200.
fn drive(addr: &str, requests: Vec<Vec<u8>>, concurrency: usize) -> Duration {
    let per = requests.len().div_ceil(concurrency);
    let mut batches: Vec<Vec<Vec<u8>>> = Vec::new();
    let mut it = requests.into_iter();
    for _ in 0..concurrency {
        batches.push(it.by_ref().take(per).collect());
    }
    let started = Instant::now();
    let handles: Vec<_> = batches
        .into_iter()
        .map(|batch| {
            let addr = addr.to_string();
            std::thread::spawn(move || {
                let mut s = std::net::TcpStream::connect(&addr).expect("connect");
                s.set_nodelay(true).unwrap();
                for req in batch {
                    let (status, body) = exchange(&mut s, &req);
                    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body[..body.len().min(2000)]));
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("client thread");
    }
    started.elapsed()
}

fn bench(label: &str, url: &str) {
    let (srv, token, executor) = start(url);
    let rounds: usize = std::env::var("BENCH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    let params = serde_json::json!({"executors": [{"user_id": executor, "responsible": true}], "instruction": "Рассмотреть и подготовить ответ"});
    let single_body = params.to_string();
    let (mut singles, mut bulks) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let ids = fresh(&srv.addr, &token, 2 * N, round);
        let (one_by_one, in_bulk) = ids.split_at(N);
        let requests: Vec<Vec<u8>> = one_by_one.iter().map(|id| render(&srv.addr, &token, "POST", &format!("/api/v1/appeals/{id}/assign"), Some(&single_body))).collect();
        let s = drive(&srv.addr, requests, 1);
        let body = serde_json::json!({"action": "assign", "ids": in_bulk, "params": params}).to_string();
        let req = render(&srv.addr, &token, "POST", "/api/v1/appeals/bulk", Some(&body));
        let mut conn = std::net::TcpStream::connect(&srv.addr).expect("connect");
        let t = Instant::now();
        let (status, answer) = exchange(&mut conn, &req);
        let b = t.elapsed();
        assert_eq!(status, 200);
        let answer: serde_json::Value = serde_json::from_slice(&answer).unwrap();
        assert_eq!(answer["done"], N, "{}", answer["refused"]);
        println!(
            "{label:8} round {round}: 500 single assigns, c=1 {:6.2} s = {:6.0}/s | one bulk of 500 {:6.3} s = {:6.0}/s | bulk / single {:5.1}x",
            s.as_secs_f64(),
            N as f64 / s.as_secs_f64(),
            b.as_secs_f64(),
            N as f64 / b.as_secs_f64(),
            s.as_secs_f64() / b.as_secs_f64()
        );
        singles.push(s);
        bulks.push(b);
    }
    // Single requests from 8 connections at once, for comparison.
    let ids = fresh(&srv.addr, &token, N, rounds);
    let requests: Vec<Vec<u8>> = ids.iter().map(|id| render(&srv.addr, &token, "POST", &format!("/api/v1/appeals/{id}/assign"), Some(&single_body))).collect();
    let c8 = drive(&srv.addr, requests, 8);
    singles.sort();
    bulks.sort();
    let (s, b) = (singles[singles.len() / 2], bulks[bulks.len() / 2]);
    println!(
        "{label:8} median: single c=1 {:.0}/s, single c=8 {:.0}/s, bulk {:.0}/s: bulk = {:.1}x single c=1, {:.1}x single c=8",
        N as f64 / s.as_secs_f64(),
        N as f64 / c8.as_secs_f64(),
        N as f64 / b.as_secs_f64(),
        s.as_secs_f64() / b.as_secs_f64(),
        c8.as_secs_f64() / b.as_secs_f64()
    );
}

fn main() {
    let only = std::env::var("BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    if only.contains("sqlite") {
        let dir = std::env::temp_dir().join(format!("appeals-bench-bulk-db-{}", uuid::Uuid::new_v4()));
        bench("sqlite", &format!("sqlite://{}/bench.db", dir.display()));
        let _ = std::fs::remove_dir_all(&dir);
    }
    let admin = std::env::var("BENCH_DATABASE_URL").or_else(|_| std::env::var("TEST_DATABASE_URL")).ok().filter(|_| only.contains("postgres"));
    match admin {
        Some(admin) => {
            use diesel::{Connection, RunQueryDsl};
            let name = format!("{}_{}", std::env::var("BENCH_DB_PREFIX").unwrap_or_else(|_| "appeals_bench_bulk".into()), std::process::id());
            let mut c = diesel::PgConnection::establish(&admin).expect("PostgreSQL");
            diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut c).expect("create bench database");
            let url = format!("{}/{name}", admin.rsplit_once('/').map(|x| x.0).unwrap_or(&admin));
            bench("postgres", &url);
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut c);
        }
        None => println!("postgres: skipped (set BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test)"),
    }
}
