//! Registration load generator: drives `POST /api/v1/appeals` over real HTTP at concurrency 1
//! and 8, on SQLite and (when `BENCH_DATABASE_URL` or `TEST_DATABASE_URL` is set) PostgreSQL,
//! and prints appeals/s with p50/p99 latency. On PostgreSQL it then runs the same transaction
//! as raw SQL with pgbench (`benches/register.pgbench`) at the same concurrency and prints the ratio.
//!
//!     cargo bench --bench register            # BENCH_N=2000 registrations per run by default

use appeals::clock::SystemClock;
use appeals::config::Settings;
use diesel::{Connection, RunQueryDsl};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Figures {
    rate: f64,
    p50: Duration,
    p99: Duration,
}

fn body(i: usize) -> String {
    let today = chrono::Utc::now().date_naive();
    serde_json::json!({
        "channel": "post", "form": "written", "kind": "complaint", "received_on": today.to_string(),
        "applicants": [{"full_name": format!("Заявитель {i}"), "postal_address": format!("169300, г. Ухта, ул. Ленина, д. {i}"), "email": format!("a{i}@example.ru")}],
        "summary": "Просит отремонтировать тротуар у дома 12 по ул. Октябрьской",
        "questions": [{"code": "0003.0009.0097.0699", "text": "ремонт тротуара"}],
        "reply_channel": "post"
    })
    .to_string()
}

async fn drive(url: &str, token: &str, total: usize, concurrency: usize) -> Figures {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..concurrency {
        let url = url.to_string();
        let token = token.to_string();
        let per = total / concurrency;
        tasks.push(actix_web::rt::spawn(async move {
            let client = awc::Client::builder().timeout(Duration::from_secs(60)).finish();
            let mut lat = Vec::with_capacity(per);
            for i in 0..per {
                let t = Instant::now();
                let resp = client
                    .post(&url)
                    .insert_header(("Authorization", format!("Bearer {token}")))
                    .insert_header(("Content-Type", "application/json"))
                    .send_body(body(w * per + i))
                    .await
                    .expect("request");
                assert_eq!(resp.status().as_u16(), 201, "registration failed");
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("task"));
    }
    let elapsed = started.elapsed();
    all.sort();
    Figures { rate: all.len() as f64 / elapsed.as_secs_f64(), p50: all[all.len() / 2], p99: all[(all.len() * 99 / 100).min(all.len() - 1)] }
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

async fn bench(label: &str, url: &str, total: usize) {
    let settings = Settings::for_tests(url);
    let now = appeals::store::micros(chrono::Utc::now());
    let (pool, org) = appeals::app::open(&settings, now).expect("open database");
    let (token, hash) = appeals::auth::generate_token();
    let user = appeals::store::users::NewUser { login: "bench".into(), full_name: "Нагрузка".into(), role: "admin".into(), email: None };
    appeals::store::users::create_user(&pool, &org.id, &user, &hash, now, None).expect("user");
    let org_id = org.id.clone();
    let state = actix_web::web::Data::new(appeals::app::state(settings, pool, Arc::new(SystemClock)).expect("state"));
    let srv = actix_test::start(move || appeals::api::app(state.clone()));
    let endpoint = srv.url("/api/v1/appeals");
    drive(&endpoint, &token, 200, 4).await; // warm-up
    for c in [1usize, 8] {
        let f = drive(&endpoint, &token, total, c).await;
        let mut line = format!("{label:8} c={c}: {:8.0} appeals/s  p50 {:6.2} ms  p99 {:6.2} ms", f.rate, f.p50.as_secs_f64() * 1e3, f.p99.as_secs_f64() * 1e3);
        if label == "postgres" {
            if let Some(tps) = pgbench(url, &org_id, c, total) {
                line.push_str(&format!("  | pgbench same tx: {tps:8.0} tps  ratio {:.2}", f.rate / tps));
            }
        }
        println!("{line}");
    }
    // Bulk import: one request of IMPORT_N appeals (a region's year arrives in a few such batches).
    let n: usize = std::env::var("IMPORT_N").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let items: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            let mut v: serde_json::Value = serde_json::from_str(&body(1_000_000 + i)).unwrap();
            v["received_on"] = serde_json::json!("2024-03-01");
            v["registered_at"] = serde_json::json!("2024-03-02T09:00:00Z");
            v
        })
        .collect();
    let payload = serde_json::json!({"items": items}).to_string();
    let client = awc::Client::builder().timeout(Duration::from_secs(600)).finish();
    let t = Instant::now();
    let resp = client
        .post(srv.url("/api/v1/imports/appeals"))
        .insert_header(("Authorization", format!("Bearer {token}")))
        .insert_header(("Content-Type", "application/json"))
        .send_body(payload)
        .await
        .expect("import request");
    let took = t.elapsed();
    assert_eq!(resp.status().as_u16(), 201, "import failed");
    println!("{label:8} import of {n} in one request: {:.2} s = {:8.0} appeals/s", took.as_secs_f64(), n as f64 / took.as_secs_f64());
}

#[actix_web::main]
async fn main() {
    let total: usize = std::env::var("BENCH_N").ok().and_then(|v| v.parse().ok()).unwrap_or(2000);
    let dir = std::env::temp_dir().join(format!("appeals-bench-{}", uuid::Uuid::new_v4()));
    bench("sqlite", &format!("sqlite://{}/bench.db", dir.display()), total).await;
    let _ = std::fs::remove_dir_all(&dir);
    let admin = std::env::var("BENCH_DATABASE_URL").or_else(|_| std::env::var("TEST_DATABASE_URL")).ok();
    if let Some(admin) = admin {
        let name = format!("appeals_bench_{}", std::process::id());
        let mut c = diesel::PgConnection::establish(&admin).expect("PostgreSQL");
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut c).expect("create bench database");
        let url = format!("{}/{name}", admin.rsplit_once('/').map(|x| x.0).unwrap_or(&admin));
        bench("postgres", &url, total).await;
        let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut c);
    } else {
        println!("postgres: skipped (set BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test)");
    }
}
